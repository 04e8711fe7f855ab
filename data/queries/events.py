"""Grid events in aggregate: the breakdowns of the overview and the grid governance screen,
and the per-cell counts the monthly report and the wall look for surges in.

At district and city scope these read the rollups built by data/store.py's EVENT_ROLLUP;
below the districts the raw events (``QueryBase._event_source`` chooses). The event table
of single rows is data/queries/event_table.py.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import pandas as pd

from data import catalog
from data.queries.base import AREA_ROLLUP, Area, QueryBase, day_bounds, reported_on_days
from data.queries.indicators import AS_OF, DUE_EXPR, EVENT_EXPR
from data.store import DEADLINE_HOURS, EVENT_SUMS, HANDLING_BUCKET

#: Life-cycle stage -> the rollup column counting the events that reached it.
_STAGE_COUNT = {"reported": "n", "accepted": "n_accepted", "dispatched": "n_dispatched",
                "handled": "n_handled", "verified": "n_verified", "closed": "n_closed"}
#: The department table's rate columns -> the event indicator whose expression they use.
_DEPARTMENT_RATES = {"closure_rate": "closure_rate", "satisfaction_rate": "satisfaction_rate",
                     "mean_hours": "mean_handling_hours"}
_OVERDUE_COLUMNS = ("event_id", "district_code", "township_code", "grid_code", "category",
                    "department_code", "status", "reported_at", "deadline_at", "hours_overdue")


class EventQueries(QueryBase):
    """Event counts, stages, handling times and department records over an area and range."""

    CACHED = ("event_density", "events_monthly_by_status", "events_by_category",
              "events_by_subcategory",
              # grid governance screen
              "event_funnel", "handling_time_histogram", "deadline_hours", "overdue_events",
              "open_events", "open_events_by_cell", "category_by_source", "department_table",
              # monthly report and wall: surging grid cells
              "event_cell_months", "event_cells_daily", "event_cell_window")
    # overdue and on time are judged at the store's as-of time
    READS = dict.fromkeys(CACHED, ("events", "as_of"))

    def event_density(self, parent: str | None, start: str, end: str) -> pd.DataFrame:
        """Return events reported in [start, end] per township (the city) or per grid cell
        (a district or township): area_code, n."""
        where, params = self._where(parent)
        child = "township_code" if parent is None else "grid_code"
        return self.store.df(
            f"SELECT {child} AS area_code, sum(n)::BIGINT AS n FROM event_area_daily "
            f"WHERE day BETWEEN ? AND ?{where} GROUP BY 1 ORDER BY 1",
            [dt.date.fromisoformat(start), dt.date.fromisoformat(end)] + params)

    def events_monthly_by_status(self, area: Area) -> pd.DataFrame:
        """Return events reported per month and current status: period, status, n.

        ``area`` is a district, township or grid-cell code (None: the city). Below the
        districts the events themselves are read: they are stored by month, then cell, so one
        township's rows are a few row groups of each month.
        """
        source = self._event_source(area, "event_daily")
        return self.store.df(
            f"SELECT date_trunc('month', {source.report_time})::DATE AS period, status, "
            f"{source.count} AS n {source.from_where} GROUP BY ALL ORDER BY 1, 2",
            source.params)

    def events_by_category(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return events per category over a range: category, n, n_closed, n_on_time."""
        source = self._event_source(area, "event_daily", start, end)
        counts = ("count(*) AS n, count(closed_at) AS n_closed, "
                  "count(*) FILTER (WHERE closed_at <= deadline_at) AS n_on_time"
                  if source.raw else
                  "sum(n)::BIGINT AS n, sum(n_closed)::BIGINT AS n_closed, "
                  "sum(n_on_time)::BIGINT AS n_on_time")
        return self.store.df(f"SELECT category, {counts} {source.from_where} "
                             "GROUP BY category ORDER BY n DESC", source.params)

    def events_by_subcategory(self, area: Area, start: str, end: str,
                              category: str) -> pd.DataFrame:
        """Return one category's events over a range per second-level category (小类), the
        category chart's drill: subcategory (NULL for events filed without one), n,
        n_closed, n_on_time, most events first.

        At district and city scope from the rollup ``event_subcategory_daily``; below the
        districts from the raw events (as ``_event_source`` chooses). A
        store from before 小类 existed has none: no rows.
        """
        counts = ("sum(n)::BIGINT AS n, sum(n_closed)::BIGINT AS n_closed, "
                  "sum(n_on_time)::BIGINT AS n_on_time")
        if self._below_districts(area):
            if "subcategory" not in self._event_columns:
                return pd.DataFrame(columns=["subcategory", "n", "n_closed", "n_on_time"])
            table, (days, bounds) = "grid_events", reported_on_days(start, end)
            counts = ("count(*) AS n, count(closed_at) AS n_closed, "
                      "count(*) FILTER (WHERE closed_at <= deadline_at) AS n_on_time")
        elif "event_subcategory_daily" in self._tables:
            table, days, bounds = "event_subcategory_daily", "day BETWEEN ? AND ?", \
                day_bounds(start, end)
        else:
            return pd.DataFrame(columns=["subcategory", "n", "n_closed", "n_on_time"])
        where, params = self._where(area)
        return self.store.df(
            f"SELECT subcategory, {counts} FROM {table} WHERE {days}{where} AND category = ? "
            "GROUP BY subcategory ORDER BY n DESC, subcategory", bounds + params + [category])

    @cached_property
    def _event_columns(self) -> frozenset[str]:
        return frozenset(name for (name,) in self.store.rows(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'grid_events'"))

    # --- grid governance screen ---

    def event_funnel(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return how far the events reported in [start, end] have got: stage, n.

        One row per life-cycle stage in ``catalog.EVENT_STAGES`` order, n = the events that
        reached it ("reported": all of them), then stage "returned": the events sent back to
        handling at least once.
        """
        source = self._event_source(area, "event_district_daily", start, end,
                                    below=AREA_ROLLUP)
        counts = [_STAGE_COUNT[stage] for stage in catalog.EVENT_STAGES] + ["n_returned"]
        sums = ", ".join(f"coalesce(sum({c}), 0)::BIGINT" for c in counts)
        row = self.store.rows(f"SELECT {sums} {source.from_where}", source.params)[0]
        return pd.DataFrame({"stage": [*catalog.EVENT_STAGES, "returned"],
                             "n": pd.Series(row, dtype="int64")})

    def handling_time_histogram(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return the closed events reported in [start, end] by handling time (reported ->
        closed) in 24-hour buckets: bucket_h (the lower bound: 0, 24, ... 216, and 240 for
        everything from 240 h on), on_time (closed by the deadline), n. Empty combinations
        are left out."""
        source = self._event_source(area, "event_handling_daily", start, end)
        if source.raw:   # what event_handling_daily holds: closed events, bucketed
            columns = f"{HANDLING_BUCKET} AS bucket_h, closed_at <= deadline_at AS on_time"
            closed = " AND closed_at IS NOT NULL"
        else:
            columns, closed = "bucket_h, on_time", ""
        return self.store.df(f"SELECT {columns}, {source.count} AS n {source.from_where}"
                             f"{closed} GROUP BY ALL ORDER BY 1, 2", source.params)

    def deadline_hours(self, area: Area, start: str, end: str) -> float | None:
        """Return the median allowed handling time (deadline - report, hours) of the events
        reported in [start, end]; None when there are none.

        Exact over the allowed times to the whole hour: deadlines are set in hours, and the
        rollup keeps a count per whole hour (an exact median over 10 million raw rows takes
        ~200 ms, the counts ~2 ms). Townships and cells count their raw rows the same way.
        """
        source = self._event_source(area, "event_deadline_daily", start, end)
        column = f"{DEADLINE_HOURS} AS deadline_h" if source.raw else "deadline_h"
        return _weighted_median(self.store.rows(
            f"SELECT {column}, {source.count} AS n {source.from_where} GROUP BY 1 ORDER BY 1",
            source.params))

    def overdue_events(self, area: Area, start: str, end: str, limit: int = 20
                       ) -> pd.DataFrame:
        """Return the events reported in [start, end] still open and past their deadline at
        the store's as-of time (``indicators.AS_OF``, the on-time rate's reference time),
        most overdue first: event_id, district_code, township_code, grid_code, category,
        department_code, status, reported_at, deadline_at, hours_overdue (as-of time -
        deadline).

        Read from event_open, the open events kept with the rollups: overdue is judged when
        asked, so an event that fell due after its load is overdue now too.
        """
        return self._open_events(area, start, end, limit, overdue_only=True)

    def open_events(self, area: Area, start: str, end: str, limit: int = 50
                    ) -> pd.DataFrame:
        """Return the events reported in [start, end] still open at the store's as-of time,
        overdue or not: the columns of ``overdue_events``, the overdue ones first (most
        overdue first), then those not yet due, the nearest deadline first (hours_overdue
        below 0: the hours left). A grid cell's list on the grid screen, to supervise from."""
        return self._open_events(area, start, end, limit, overdue_only=False)

    def _open_events(self, area: Area, start: str, end: str, limit: int,
                     overdue_only: bool) -> pd.DataFrame:
        _check_limit(limit)
        where, params = self._where(area)
        reported, bounds = reported_on_days(start, end)
        if "event_open" not in self._tables:     # a store from before it, until its next load
            return pd.DataFrame(columns=list(_OVERDUE_COLUMNS))
        columns = ", ".join(_OVERDUE_COLUMNS[:-1])
        late = f"deadline_at < {AS_OF} AND " if overdue_only else ""
        return self.store.df(
            f"SELECT {columns}, date_diff('second', deadline_at, {AS_OF}) / 3600.0 "
            f"AS hours_overdue FROM event_open WHERE {late}"
            f"{reported}{where} ORDER BY hours_overdue DESC, event_id LIMIT ?",
            bounds + params + [limit])

    def open_events_by_cell(self, area: Area, start: str, end: str, limit: int = 12
                            ) -> pd.DataFrame:
        """Return the grid cells of an area with events reported in [start, end] still open
        at the store's as-of time, those with the most overdue ones first (then the most
        open ones): district_code, township_code, grid_code, n_open, n_overdue. Where the
        grid screen lets the analyst pick a cell to supervise its events."""
        _check_limit(limit)
        where, params = self._where(area)
        reported, bounds = reported_on_days(start, end)
        if "event_open" not in self._tables:
            return pd.DataFrame(columns=["district_code", "township_code", "grid_code",
                                         "n_open", "n_overdue"])
        return self.store.df(
            "SELECT district_code, township_code, grid_code, count(*)::BIGINT AS n_open, "
            f"count(*) FILTER (WHERE deadline_at < {AS_OF})::BIGINT AS n_overdue "
            f"FROM event_open WHERE {reported}{where} GROUP BY ALL "
            "ORDER BY n_overdue DESC, n_open DESC, grid_code LIMIT ?",
            bounds + params + [limit])

    def event_brief(self, event_id: int) -> dict | None:
        """Return one event's facts for supervision (data/supervision.py), or None when this
        reader has no such event (a scoped reader knows its districts' only): event_id,
        district_code, township_code, grid_code, category, department_code, status,
        deadline_at, closed_at. A point look-up, not memoised. Supervision asks the full
        reader, so that another district's event is "outside your districts", not unknown."""
        where, params = self._where(None)
        found = self.store.records(
            "SELECT event_id, district_code, township_code, grid_code, category, "
            "department_code, status, deadline_at, closed_at FROM grid_events "
            f"WHERE event_id = ?{where} LIMIT 1", [int(event_id), *params])
        return found[0] if found else None

    def category_by_source(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return events reported in [start, end] per category and source: category,
        channel, n (empty combinations left out)."""
        source = self._event_source(area, "event_daily", start, end)
        return self.store.df(f"SELECT category, channel, {source.count} AS n "
                             f"{source.from_where} GROUP BY ALL ORDER BY 1, 2", source.params)

    def department_table(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return each department's record on the events reported in [start, end], most
        events first: department_code, name_zh, name_en, n, closure_rate (closed / n),
        on_time_rate (of its events due in [start, end], those closed by the deadline: the
        indicator's definition, DUE_EXPR), satisfaction_rate (ratings >= 4 / ratings), all
        in %, and mean_hours (mean handling time of the closed events). NaN where a rate has
        nothing to divide by. The rates are the event indicators' own expressions
        (EVENT_EXPR, DUE_EXPR), so a department's figures read like the KPI cards'."""
        source = self._event_source(area, "event_department_daily", start, end)
        # raw rows are summed with the rollup's own SQL, so both add up alike
        sums = (f"SELECT department_code,{EVENT_SUMS} {source.from_where} GROUP BY 1"
                if source.raw else f"SELECT * {source.from_where}")
        rates = ", ".join(f"{EVENT_EXPR[code]} AS {column}"
                          for column, code in _DEPARTMENT_RATES.items())
        # the on-time rate is of the events due in the range, a question of its own
        below = self._below_districts(area)
        where, params = self._where(area)
        due = (f"SELECT department_code, {DUE_EXPR['on_time_rate']} AS on_time_rate "
               f"FROM {self._due_events(below, raw=below)} WHERE day BETWEEN ? AND ?{where} "
               "GROUP BY 1")
        frame = self.store.df(
            f"SELECT e.department_code, any_value(d.name_zh) AS name_zh, "
            f"any_value(d.name_en) AS name_en, sum(e.n)::BIGINT AS n, {rates}, "
            f"any_value(t.on_time_rate) AS on_time_rate "
            f"FROM ({sums}) e LEFT JOIN departments d ON d.code = e.department_code "
            f"LEFT JOIN ({due}) t ON t.department_code = e.department_code "
            f"GROUP BY e.department_code ORDER BY n DESC, e.department_code",
            source.params + day_bounds(start, end) + params)
        return frame[["department_code", "name_zh", "name_en", "n", "closure_rate",
                      "on_time_rate", "satisfaction_rate", "mean_hours"]]

    # --- surging grid cells (report/monthly.py, the wall) ---

    def event_cell_months(self, start: str, end: str, min_count: int,
                          districts: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Return the monthly event counts of every grid cell with at least ``min_count``
        events reported in [start, end] (optionally only in some districts), over all the
        store's months: grid_code, township_code, district_code, period (month start), n.
        Months without events are absent, not zero."""
        where, params = self._where(districts)
        return self.store.df(
            "WITH hot AS (SELECT grid_code FROM event_area_daily "
            f"WHERE day BETWEEN ? AND ?{where} GROUP BY 1 HAVING sum(n) >= ?) "
            "SELECT grid_code, township_code, district_code, "
            "date_trunc('month', day)::DATE AS period, sum(n)::BIGINT AS n "
            "FROM event_area_daily WHERE grid_code IN (SELECT grid_code FROM hot) "
            "GROUP BY ALL ORDER BY grid_code, period",
            day_bounds(start, end) + params + [int(min_count)])

    def event_cells_daily(self, cells: tuple[str, ...], start: str, end: str
                          ) -> pd.DataFrame:
        """Return some grid cells' events reported per day in [start, end]: grid_code, day,
        n (days without events absent), ordered by cell and day. One query for them all:
        a storm's surge alerts ask for hundreds of cells at once."""
        cells = tuple(dict.fromkeys(cells))
        for cell in cells:
            if self._area_column(cell) != "grid_code":
                raise KeyError(f"not a grid cell: {cell!r}")
        if not cells:
            return pd.DataFrame({"grid_code": pd.Series(dtype=object),
                                 "day": pd.Series(dtype="datetime64[us]"),
                                 "n": pd.Series(dtype="int64")})
        return self.store.df(
            "SELECT grid_code, day, sum(n)::BIGINT AS n FROM event_area_daily "
            "WHERE grid_code IN (SELECT unnest(?)) AND day BETWEEN ? AND ? GROUP BY 1, 2 "
            "ORDER BY 1, 2", [list(cells)] + day_bounds(start, end))

    def event_cell_window(self, start: str, end: str, base_start: str, base_end: str,
                          min_count: int) -> pd.DataFrame:
        """Return every grid cell with at least ``min_count`` events reported in [start, end]:
        grid_code, township_code, district_code, n, and n_base, its events in
        [base_start, base_end] (the wall compares the last days with the cell's usual)."""
        return self.store.df(
            "WITH hot AS (SELECT grid_code, any_value(township_code) AS township_code, "
            "any_value(district_code) AS district_code, sum(n)::BIGINT AS n "
            f"FROM event_area_daily WHERE day BETWEEN ? AND ?{self._scope_filter()[0]} "
            "GROUP BY 1 HAVING sum(n) >= ?) SELECT hot.*, coalesce((SELECT sum(a.n) "
            "FROM event_area_daily a "
            "WHERE a.grid_code = hot.grid_code AND a.day BETWEEN ? AND ?), 0)::BIGINT AS n_base "
            "FROM hot ORDER BY grid_code",
            day_bounds(start, end) + self._scope_filter()[1] + [int(min_count)]
            + day_bounds(base_start, base_end))


def _check_limit(limit) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be a whole number >= 0, not {limit!r}")


def _weighted_median(counts: list[tuple]) -> float | None:
    """The median of values given as sorted (value, count) pairs, as pandas and DuckDB take
    it: the middle value, or the mean of the two middle ones."""
    total = sum(int(n) for _, n in counts)
    if total == 0:
        return None
    # 0-based positions of the middle value(s) in the sorted list of all values
    wanted, found, seen = ((total - 1) // 2, total // 2), [], 0
    for value, n in counts:
        seen += int(n)
        while len(found) < 2 and wanted[len(found)] < seen:
            found.append(float(value))
    return (found[0] + found[1]) / 2
