"""Catalogue indicators (data/catalog.py): monthly statistics, and the air, water and event
metrics derived from the fact tables, over date ranges and compared with a year earlier.

One query answers many (indicator, range) questions: the KPI cards' 36 take four. The few
names that reach SQL text (aggregate expressions) are picked from the fixed dicts below,
keyed by the catalogue, never taken from a request.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import numpy as np
import pandas as pd

from data import catalog
from data.aqi import daily_aqi_sql
from data.calendar import DateRange, month_end, month_start, shift_months, shift_range
from data.catalog import Indicator
from data.queries.base import AREA_ROLLUP, Area, QueryBase
from data.queries.services import SERVICE_EXPR, SERVICE_ROLLUP_TABLE

#: The overview's KPI cards, in display order.
KPI_CODES = ("gdp", "fixed_asset_investment", "retail_sales", "unemployment_rate",
             "good_air_rate", "water_good_rate", "closure_rate", "on_time_rate",
             "satisfaction_rate")

# Air and water metrics over station-days / section-months, but the share of good-air days,
# which is over the area's days: an area's day is good when its daily AQI, from the mean of
# its stations' daily concentrations (HJ 633-2012), is at most 100 (AREA_AIR_DAYS).
_AIR_EXPR = {"good_air_rate": "100.0 * avg(CAST(aqi <= 100 AS INTEGER))",
             "pm25": "avg(pm25)", "aqi": "avg(aqi)"}
#: The air metrics computed over an area's days rather than its station-days.
_AREA_DAY_METRICS = frozenset({"good_air_rate"})
#: An area's daily concentrations (the mean over its stations of their daily means) and its
#: daily AQI from them, per day (and district with ``{keys}``) of the air_daily rows ``{where}``
#: keeps: HJ 633-2012's city daily AQI, and a district's the same way over its stations.
AREA_AIR_DAYS = (
    "(SELECT day, {keys}" + daily_aqi_sql("pm25", "pm10", "so2", "no2", "co", "o3_8h")
    + " AS aqi FROM (SELECT day, {keys}avg(pm25) AS pm25, avg(pm10) AS pm10, "
    "avg(so2) AS so2, avg(no2) AS no2, avg(co) AS co, avg(o3_8h) AS o3_8h FROM air_daily "
    "WHERE true{where} GROUP BY ALL))")
_WATER_EXPR = {"water_good_rate": "100.0 * avg(CAST(class <= 3 AS INTEGER))"}
#: Grid-event metrics over the daily rollups (the department table uses them as well, so a
#: department's figures read like the KPI cards').
EVENT_EXPR = {
    "event_count": "sum(n)",
    "events_per_10k": "sum(n) * 1e4",          # divided by population afterwards
    "closure_rate": "100.0 * sum(n_closed) / nullif(sum(n), 0)",
    "mean_handling_hours": "sum(handling_hours) / nullif(sum(n_closed), 0)",
    "satisfaction_rate": "100.0 * sum(n_satisfied) / nullif(sum(n_rated), 0)",
}
#: Event metrics over the events due on the range's days (DUE_EVENTS), not those reported.
DUE_EXPR = {"on_time_rate": "100.0 * sum(n_on_time) / nullif(sum(n_due), 0)"}
#: The reference time an open event is overdue at: the store's as-of time (meta ``as_of``:
#: its latest data, at most the local time, CITYBRAIN_TZ, of the load that brought it), the
#: time the screens' as-of labels name; every write moves it (and the cache keys with it).
AS_OF = "(SELECT CAST(value AS TIMESTAMP) FROM meta WHERE key = 'as_of')"
#: The events due per day (their deadline's day) whose outcome is known at the reference time:
#: the closed ones (n_on_time of them by the deadline), due up to the as-of day, and the open
#: ones past their deadline. An open event not yet due is left out; one past its deadline
#: counts against the rate until it is closed, and then still, as late. ``{codes}``: the
#: area (and department) columns of the rollup, from event_due_daily (per district and
#: department) or event_due_area_daily (per grid cell). The map of every cell sums the same
#: per cell (``_due_area_rows``).
DUE_EVENTS = (
    "(SELECT day, {codes}n_closed AS n_due, n_on_time FROM {rollup} "
    f"WHERE day <= CAST({AS_OF} AS DATE) UNION ALL "
    "SELECT CAST(deadline_at AS DATE) AS day, {codes}count(*) AS n_due, 0 AS n_on_time "
    f"FROM event_open WHERE deadline_at < {AS_OF} GROUP BY ALL)")
_DUE_CODES = {"event_due_daily": "district_code, department_code, ",
              "event_due_area_daily": "district_code, township_code, grid_code, "}
#: What an event or case metric rests on: the events (service cases) its value is taken over,
#: the denominator of a rate. A rate over few of them swings by whole points with each one
#: (data/alerts.MIN_ALERT_EVENTS). The names are those of the metric's source: the event
#: rollups, DUE_EVENTS, the service-case rollup.
BASIS_COUNT = {"event_count": "sum(n)", "events_per_10k": "sum(n)", "closure_rate": "sum(n)",
               "mean_handling_hours": "sum(n_closed)", "satisfaction_rate": "sum(n_rated)",
               "on_time_rate": "sum(n_due)", "service_cases": "sum(n)",
               "service_on_time_rate": "sum(n_due)", "bad_rating_share": "sum(n_rated)",
               "bad_rating_rectified_rate": "sum(n_bad)"}
# The event sums the metrics above read (event_area_daily and event_area_monthly hold them).
_AREA_SUMS = "n, n_closed, n_on_time, handling_hours, n_rated, n_satisfied"
# How a monthly statistic adds up over the months of a range, per district.
_TIME_COLUMN = {"sum": "total", "mean": "average", "last": "latest"}

#: What an indicator of each kind is computed from (data/store.VERSION_PARTS): its memoised
#: answers stay while other feeds arrive. Event and case metrics judge what is due at the
#: store's as-of time; service cases themselves come with a copy ("base").
_READS_OF_KIND = {"value": ("indicators",), "air": ("air",), "water": ("water",),
                  "events": ("events", "as_of"), "cases": ("as_of",)}

#: kind -> (table, metric expressions, date column) for the derived indicators.
_SOURCE_OF = {"air": ("air_daily", _AIR_EXPR, "day"),
              "water": ("water_quality", _WATER_EXPR, "period"),
              "events": ("event_district_daily", EVENT_EXPR, "day"),
              "cases": (SERVICE_ROLLUP_TABLE, SERVICE_EXPR, "day")}


class IndicatorQueries(QueryBase):
    """Indicators per district, per area below the districts, for the city, and month by
    month."""

    CACHED = ("indicator_by_district", "indicator_value", "event_metric_by_area",
              "indicator_monthly", "kpis",
              # economy screen
              "indicator_monthly_by_district", "indicator_changes", "district_shares")

    def _reads(self, codes) -> tuple[str, ...] | None:
        """What answers about these indicators read (None for an unknown code: the method
        refuses it, keyed on the whole store)."""
        try:
            return tuple(sorted({part for code in codes
                                 for part in _READS_OF_KIND[self.catalogue.get(code).kind]}))
        except (KeyError, TypeError, ValueError):
            return None

    def _reads_one(self, code, *_args, **_kwargs) -> tuple[str, ...] | None:
        return self._reads((code,))

    def _reads_kpis(self, area=None, start=None, end=None, codes=KPI_CODES):
        return self._reads(codes)

    READS = {**dict.fromkeys(("indicator_by_district", "indicator_value",
                              "event_metric_by_area", "indicator_monthly",
                              "indicator_monthly_by_district", "indicator_changes",
                              "district_shares"), _reads_one),
             "kpis": _reads_kpis}

    def _check_district(self, district: str | None) -> None:
        if district is not None and district not in self.district_codes:
            raise KeyError(f"unknown district {district!r}")

    def _check(self, code: str, district: str | None = None) -> Indicator:
        self._check_district(district)
        return self.catalogue.get(code)

    def _target_district(self, area: Area) -> str | None:
        """The district whose own targets an area is held to: the one district it lies in
        (a district user's city of one district too); None for the city's targets."""
        districts = self._district_of(area)
        return districts[0] if districts and len(districts) == 1 else None

    def _judged(self, ind: Indicator, year: int, district: str | None,
                headline: float | None) -> dict:
        """{target, alert, status}: the target and alert line in force for the year and
        district (``Catalogue.target``) and the headline's status against them."""
        held = self.catalogue.applied(ind.code, year, district)
        return {"target": held.target, "alert": held.alert,
                "status": catalog.breach(held, headline)}

    @cached_property
    def _latest_period(self) -> dict[str, dt.date]:
        """The last published month of each monthly statistic (and of water sections)."""
        latest = dict(self.store.rows(
            "SELECT indicator_code, max(period) FROM indicator_values GROUP BY 1"))
        latest["water"] = self.store.rows("SELECT max(period) FROM water_quality")[0][0]
        return latest

    def _clamp(self, ind: Indicator, start: str | dt.date, end: str | dt.date) -> DateRange:
        """Parse a range and end it at the indicator's latest published month.

        A running total (``is_cumulative``, 累计) starts in January of the year it ends in.
        Statistics arrive a month late: without this, Jan-Nov this year (November not yet
        published) would be compared with a full Jan-Nov a year ago. A range wholly after the
        latest publication (this month; year to date in January) shows the latest month, and
        the as-of label says which.
        """
        s = dt.date.fromisoformat(start) if isinstance(start, str) else start
        e = dt.date.fromisoformat(end) if isinstance(end, str) else end
        if ind.kind in ("value", "water"):
            s = month_start(s)
            latest = self._latest_period.get(ind.code if ind.kind == "value" else "water")
            if latest is not None:
                e = min(e, month_end(latest))
                if e < s:
                    s, e = month_start(latest), month_end(latest)
        if ind.is_cumulative:       # the year's running total: January to the range's end
            s = e.replace(month=1, day=1)
        return s, e

    def _metrics(self, specs: list[tuple[Indicator, list[DateRange]]], district: str | None,
                 by_district: bool) -> list[dict]:
        """Answer several indicators over several date ranges, one query per source table.

        One query answers every (indicator, range) pair of a table: the KPI cards' 36
        questions take four queries. Returns records: district_code (None for the city or
        the one district asked), code, r (the range's index in its spec), value, last (the
        latest date behind the value). Plain records, not DataFrames: at these sizes pandas
        costs more than DuckDB.
        """
        records: list[dict] = []
        area, district = district, self._district_of(district)
        for kind in ("value", "air", "water", "events", "cases"):
            group = [(ind, ranges) for ind, ranges in specs if ind.kind == kind]
            if kind == "cases" and SERVICE_ROLLUP_TABLE not in self._tables:
                continue            # a store from before service cases: no values
            if kind == "value" and group:
                records += self._statistics(group, district, by_district)
            else:
                # a group per source: station-days or area-days, events reported or due
                for special in (False, True):
                    part = [(ind, ranges) for ind, ranges in group
                            if (ind.code in _AREA_DAY_METRICS or ind.code in DUE_EXPR)
                            == special]
                    if part:
                        records += self._derived(part, area if kind == "events" else district,
                                                 by_district)
        for rec in records:
            if rec["code"] == "events_per_10k" and rec["value"] is not None:
                rec["value"] /= self._population_of(rec["district_code"] if by_district
                                                    else area)
        return records

    def _statistics(self, group, district, by_district) -> list[dict]:
        """Monthly statistics: per district over each range, then summed or weighted."""
        values, params = [], []
        for ind, ranges in group:
            for r, (s, e) in enumerate(ranges):
                values.append("(?, ?, ?::DATE, ?::DATE)")
                params += [ind.code, r, s, e]
        sql = ("SELECT q.code, q.r, v.district_code, sum(v.value) AS total, "
               "avg(v.value) AS average, arg_max(v.value, v.period) AS latest, "
               "max(v.period) AS last "
               f"FROM indicator_values v JOIN (VALUES {', '.join(values)}) q(code, r, s, e) "
               "ON v.indicator_code = q.code AND v.period BETWEEN q.s AND q.e WHERE true"
               + self._where(district, "v.")[0] + " GROUP BY ALL")
        column = {ind.code: _TIME_COLUMN[ind.time] for ind, _ in group}
        rows = [{"district_code": rec["district_code"], "code": rec["code"], "r": rec["r"],
                 "value": _float(rec[column[rec["code"]]]), "last": rec["last"]}
                for rec in self.store.records(sql, params + self._where(district)[1])]
        if by_district:
            return rows
        space = {ind.code: ind.space for ind, _ in group}
        totals: dict[tuple, list] = {}
        for row in rows:
            if row["value"] is None:
                continue
            acc = totals.setdefault((row["code"], row["r"]), [0.0, 0.0, None])
            # a city loaded without population figures weighs its districts equally
            weight = self._population[row["district_code"]] or 1
            acc[0] += row["value"] * (1 if space[row["code"]] == "sum" else weight)
            acc[1] += weight
            acc[2] = row["last"] if acc[2] is None else max(acc[2], row["last"])
        # flows and stocks add up; rates are weighted by the population that reports them
        return [{"district_code": None, "code": code, "r": r, "last": last,
                 "value": total if space[code] == "sum" else total / weight}
                for (code, r), (total, weight, last) in totals.items()]

    def _source(self, ind: Indicator, area: Area, by_district: bool
                ) -> tuple[str, list, dict[str, str], str, str, list]:
        """Where a derived indicator's values come from: (the table or subquery, its
        parameters, the metric expressions, its date column, the condition keeping the
        area's rows outside it, that condition's parameters). One for every metric of the
        same source: ``_metrics`` groups them so."""
        table, exprs, col = _SOURCE_OF[ind.kind]
        where, params = self._where(area)
        if ind.code in _AREA_DAY_METRICS:    # the area's days: the area is kept inside
            keys = "district_code, " if by_district else ""
            return (AREA_AIR_DAYS.format(keys=keys, where=where), params, _AIR_EXPR, "day",
                    "", [])
        if ind.code in DUE_EXPR:
            return self._due_events(self._below_districts(area)), [], DUE_EXPR, "day", \
                where, params
        if ind.kind == "events":     # only events go below the districts: the per-cell rollup
            table = self._event_source(area, table, below=AREA_ROLLUP).table
        return table, [], exprs, col, where, params

    def _due_events(self, below: bool, raw: bool = False) -> str:
        """DUE_EVENTS from the rollup per district and department, or per grid cell
        (``below`` the districts), or with ``raw`` from the events themselves (every
        column: a township's departments). A store from before the rollups (until its next
        load adds them) has no events due: the rate is undefined there, not wrong."""
        if raw:
            return ("(SELECT CAST(deadline_at AS DATE) AS day, district_code, township_code, "
                    "grid_code, department_code, 1 AS n_due, "
                    "CAST(coalesce(closed_at <= deadline_at, false) AS INTEGER) AS n_on_time "
                    "FROM grid_events WHERE closed_at IS NOT NULL AND "
                    f"CAST(deadline_at AS DATE) <= CAST({AS_OF} AS DATE) "
                    f"OR closed_at IS NULL AND deadline_at < {AS_OF})")
        rollup = "event_due_area_daily" if below else "event_due_daily"
        if rollup not in self._tables or "event_open" not in self._tables:
            return ("(SELECT NULL::DATE AS day, NULL::VARCHAR AS district_code, "
                    "NULL::VARCHAR AS township_code, NULL::VARCHAR AS grid_code, "
                    "NULL::VARCHAR AS department_code, 0 AS n_due, 0 AS n_on_time "
                    "WHERE false)")
        return DUE_EVENTS.format(rollup=rollup, codes=_DUE_CODES[rollup])

    def _derived(self, group, district, by_district) -> list[dict]:
        """Air, water and event metrics of one source: every metric of the group over every
        distinct range."""
        table, table_params, exprs, col, where, where_params = self._source(
            group[0][0], district, by_district)
        distinct = sorted({rng for _, ranges in group for rng in ranges})
        metrics = ", ".join(f'{exprs[ind.code]} AS "{ind.code}"' for ind, _ in group)
        metrics += "".join(f', {BASIS_COUNT[ind.code]} AS "{ind.code}:n"' for ind, _ in group
                           if ind.code in BASIS_COUNT)
        keys = "district_code, " if by_district else ""
        # one SELECT per range, glued with UNION ALL: each gets its own date pushdown, twice
        # as fast as joining a VALUES table of ranges
        parts, params = [], []
        for i, (s, e) in enumerate(distinct):
            parts.append(f"SELECT {i} AS i, {keys}{metrics}, max({col}) AS last FROM {table} "
                         f"WHERE {col} BETWEEN ? AND ?{where}"
                         + (" GROUP BY district_code" if by_district else ""))
            params += table_params + [s, e] + where_params
        by_range: dict[int, list[dict]] = {}
        for rec in self.store.records(" UNION ALL ".join(parts), params):
            by_range.setdefault(rec["i"], []).append(rec)
        index = {rng: i for i, rng in enumerate(distinct)}
        return [{"district_code": rec.get("district_code"), "code": ind.code, "r": r,
                 "value": _float(rec[ind.code]), "last": rec["last"],
                 "events": _count(rec.get(f"{ind.code}:n"))}
                for ind, ranges in group for r, rng in enumerate(ranges)
                for rec in by_range.get(index[rng], [])]

    def event_metric_by_area(self, code: str, parent: str | None, start: str, end: str,
                             cells: bool = False) -> pd.DataFrame:
        """Return an event metric for each child of ``parent``: a district's townships or a
        township's grid cells, over [start, end] and the same range a year earlier. With
        ``cells``, for every grid cell inside ``parent`` (None: the whole city).

        Columns: area_code, name_zh, name_en, value, prior, yoy, headline, events (as in
        ``indicator_by_district``: what the value rests on, 0 for an area without events),
        target, alert and status (the parent's district's, ``Catalogue.target``; an area
        below the districts has none of its own). Only event metrics exist below the
        districts.
        """
        ind = self._check(code)
        if ind.kind != "events":
            raise KeyError(f"{code!r} is not an event metric: below the districts only "
                           f"{', '.join(self.catalogue.codes(kind='events'))} exist")
        parent_column = self._area_column(parent)
        if parent_column == "grid_code":
            raise KeyError(f"a grid cell has no children: {parent!r}")
        child_level, child_column = (("townships", "township_code")
                                     if parent_column == "district_code" and not cells
                                     else ("grid_cells", "grid_code"))
        if parent is None and not cells:
            raise KeyError("the city's children are districts: use indicator_by_district")
        inside, inside_params = (f"{parent_column} = ?", [parent]) if parent else (
            f"true{self._scope_filter()[0]}", self._scope_filter()[1])
        cur = self._clamp(ind, start, end)
        parts, params = [], []
        # what is due is judged at the store's as-of day: read once for both ranges
        as_of_day = (self.store.rows(f"SELECT CAST({AS_OF} AS DATE)")[0][0]
                     if code in DUE_EXPR else None)
        for r, (s, e) in enumerate((cur, shift_range(cur, -1))):
            if code in DUE_EXPR:     # the events due in the range, per cell
                rows, rows_params = self._due_area_rows(s, e, inside, inside_params, as_of_day)
            else:
                rows, rows_params = self._area_rows(s, e, inside, inside_params)
            expr = DUE_EXPR[code] if code in DUE_EXPR else EVENT_EXPR[code]
            parts.append(f"SELECT {r} AS r, {child_column} AS area_code, "
                         f"{expr} AS value, {BASIS_COUNT[code]} AS events "
                         f"FROM ({rows}) GROUP BY 2")
            params += rows_params
        found = self.store.df(" UNION ALL ".join(parts), params)
        frame = self._areas[child_level]
        if parent is not None:
            keep = (frame["parent"] == parent if child_column != "grid_code" or
                    parent_column == "township_code" else
                    frame["parent"].map(self._parent["townships"]) == parent)
            frame = frame[keep]
        frame = frame.rename(columns={"code": "area_code"})
        frame = frame[["area_code", "name_zh", "name_en", "population"]].copy()
        # an area with no event in the range has a count of 0 (its rates stay undefined); the
        # year-ago range may lie before the data, so its counts are not filled
        zero = 0.0 if code in ("event_count", "events_per_10k") else float("nan")
        for r, name in ((0, "value"), (1, "prior")):
            values = found[found["r"] == r].set_index("area_code")["value"].astype(float)
            frame[name] = frame["area_code"].map(values).astype(float)
            if r == 0:
                frame[name] = frame[name].fillna(zero)
            if code == "events_per_10k":
                frame[name] /= frame["population"].where(frame["population"] > 0)
        events = found[found["r"] == 0].set_index("area_code")["events"]
        frame["events"] = frame["area_code"].map(events).fillna(0).astype("Int64")
        frame = _with_change(frame.drop(columns="population").reset_index(drop=True), ind)
        held = self.catalogue.applied(code, cur[1].year, self._target_district(parent))
        frame["target"], frame["alert"] = held.target, held.alert
        frame["status"] = [catalog.breach(held, None if pd.isna(h) else h)
                           for h in frame["headline"]]
        return frame

    def _due_area_rows(self, start: dt.date, end: dt.date, where: str, params: list,
                       as_of_day: dt.date | None) -> tuple[str, list]:
        """The per-cell events due in [start, end] where ``where`` holds (DUE_EVENTS below
        the districts), as a query of n_due and n_on_time per cell: the closed ones due up
        to the as-of day by month and day (``_by_months``), the open ones past their
        deadline counted per cell, not per day and cell (at 100M events a year holds ~400k
        of them: 40 ms of grouping)."""
        if as_of_day is None or not {"event_due_area_daily", "event_due_area_monthly",
                                     "event_open"} <= set(self._tables):
            return (f"SELECT * FROM {self._due_events(True)} WHERE {where} AND day BETWEEN ? "
                    "AND ?", params + [start, end])
        end = min(end, as_of_day)
        closed, closed_params = self._by_months(
            "district_code, township_code, grid_code, n_closed AS n_due, n_on_time",
            "event_due_area_daily", "event_due_area_monthly", start, end, where, params)
        return (f"{closed} UNION ALL SELECT district_code, township_code, grid_code, "
                f"count(*) AS n_due, 0 AS n_on_time FROM event_open WHERE {where} AND "
                f"deadline_at < {AS_OF} AND deadline_at >= ? AND deadline_at < ? GROUP BY ALL",
                closed_params + params + [start, end + dt.timedelta(days=1)])

    def _area_rows(self, start: dt.date, end: dt.date, where: str, params: list
                   ) -> tuple[str, list]:
        """The per-cell event sums of [start, end] where ``where`` holds, as a query: whole
        months from event_area_monthly (30 times fewer rows: every grid cell over seven
        months is ~70k rows instead of ~2M at 10M events), the days around them from
        event_area_daily (``_by_months``)."""
        return self._by_months(f"district_code, township_code, grid_code, {_AREA_SUMS}",
                               "event_area_daily", "event_area_monthly", start, end, where,
                               params)

    def _by_months(self, columns: str, daily: str, monthly: str, start: dt.date,
                   end: dt.date, where: str, params: list) -> tuple[str, list]:
        """``columns`` of the rows of [start, end] where ``where`` holds, as a query: the
        whole months from the rollup ``monthly`` (keyed by month), the days around them from
        ``daily`` (keyed by day), in one scan for both edges (it is sorted by cell). Every
        day from ``daily`` when there is no whole month, or a store built before ``monthly``.
        Table and column names come from this module."""
        first = start if start.day == 1 else month_end(start) + dt.timedelta(days=1)
        last = end if end == month_end(end) else month_start(end) - dt.timedelta(days=1)
        if monthly not in self._tables or first > last:
            return (f"SELECT {columns} FROM {daily} WHERE {where} AND day BETWEEN ? AND ?",
                    params + [start, end])
        parts = [(f"SELECT {columns} FROM {monthly} WHERE {where} AND month BETWEEN ? AND ?",
                  params + [first, month_start(last)])]
        edges = [(s, e) for s, e in ((start, first - dt.timedelta(days=1)),
                                     (last + dt.timedelta(days=1), end)) if s <= e]
        if edges:
            parts.append((f"SELECT {columns} FROM {daily} WHERE {where} AND ("
                          + " OR ".join(["day BETWEEN ? AND ?"] * len(edges)) + ")",
                          params + [d for edge in edges for d in edge]))
        return " UNION ALL ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps]

    def indicator_by_district(self, code: str, start: str, end: str) -> pd.DataFrame:
        """Return one indicator per district over [start, end].

        Columns: district_code, name_zh, name_en, value (the range's aggregate), prior (the
        same range a year earlier), yoy (% change, or point change for level-based rates),
        headline (the value on the catalogue's basis: yoy or level), last (latest data),
        events (what an event or case metric rests on, ``BASIS_COUNT``; None otherwise),
        target and alert (the district's, for the year the range ends in: its own or the
        city's, ``Catalogue.target``), own_target (the district has its own), status
        (``catalog.breach`` against them).
        """
        ind = self._check(code)
        cur = self._clamp(ind, start, end)
        found = {(rec["district_code"], rec["r"]): rec
                 for rec in self._metrics([(ind, [cur, shift_range(cur, -1)])], None, True)}
        frame = self.districts()[["code", "name_zh", "name_en"]].rename(
            columns={"code": "district_code"})
        codes = frame["district_code"]
        empty = {"value": None, "last": None}   # a range may have no data at all
        frame["value"] = [found.get((c, 0), empty)["value"] for c in codes]
        frame["prior"] = [found.get((c, 1), empty)["value"] for c in codes]
        frame["last"] = [found.get((c, 0), empty)["last"] for c in codes]
        frame["events"] = pd.array([found.get((c, 0), empty).get("events") for c in codes],
                                   dtype="Int64")
        frame[["value", "prior"]] = frame[["value", "prior"]].astype(float)
        frame = _with_change(frame, ind)
        year = cur[1].year
        judged = [self._judged(ind, year, c, None if pd.isna(h) else h)
                  for c, h in zip(codes, frame["headline"])]
        frame["target"] = np.array([j["target"] for j in judged], dtype=float)
        frame["alert"] = np.array([j["alert"] for j in judged], dtype=float)
        frame["own_target"] = [self.catalogue.own_target(code, year, c) for c in codes]
        frame["status"] = [j["status"] for j in judged]
        return frame

    def indicator_value(self, code: str, district: str | None, start: str, end: str) -> dict:
        """Return {value, prior, yoy, headline, last, events, target, alert, status} for the
        city or one district (events: as in ``indicator_by_district``; target and alert:
        those in force for the year the range ends in)."""
        ind = self._check(code, district)
        cur = self._clamp(ind, start, end)
        out = _summary(self._metrics([(ind, [cur, shift_range(cur, -1)])], district, False),
                       ind, 0, 1)
        return {**out, **self._judged(ind, cur[1].year, self._target_district(district),
                                      out["headline"])}

    def kpis(self, area: str | None, start: str, end: str,
             codes: tuple[str, ...] = KPI_CODES) -> pd.DataFrame:
        """Return the KPI cards' figures: code, value, headline, yoy, last, previous, target,
        alert, status.

        ``area`` is the city (None), a district, a township or a grid cell: event metrics
        follow it down; statistics, air and water exist per district and follow its district.
        ``previous`` is the headline for the same range ending one month earlier: the card's
        trend arrow compares with it. ``target`` and ``alert`` are those in force for the year
        the range ends in (statistics: their latest published month) and the area's district
        (its own, else the city's: ``Catalogue.target``); ``status`` is the headline's against
        them.
        """
        self._scope(area)     # refuses unknown codes
        specs = []
        for code in codes:
            ind = self._check(code)
            cur = self._clamp(ind, start, end)
            prev_end = cur[1].replace(day=1) - dt.timedelta(days=1)
            prev = self._clamp(ind, min(cur[0], prev_end.replace(day=1)), prev_end)
            specs.append((ind, [cur, shift_range(cur, -1), prev, shift_range(prev, -1)]))
        by_code: dict[str, list[dict]] = {}
        for rec in self._metrics(specs, area, False):
            by_code.setdefault(rec["code"], []).append(rec)
        rows = []
        district = self._target_district(area)
        for ind, ranges in specs:
            now = _summary(by_code.get(ind.code, []), ind, 0, 1)
            before = _summary(by_code.get(ind.code, []), ind, 2, 3)
            rows.append({"code": ind.code, **now, "previous": before["headline"],
                         **self._judged(ind, ranges[0][1].year, district, now["headline"])})
        return pd.DataFrame(rows)

    def indicator_monthly(self, code: str, district: Area) -> pd.DataFrame:
        """Return the indicator month by month over every month in the store.

        Columns: period (month start), value, yoy, headline, events (as in
        ``indicator_by_district``).
        """
        ind = self.catalogue.get(code)
        where_d, where_params = self._where(self._districts_only(district))
        if ind.kind == "value":
            inner = (f"SELECT period, district_code, value FROM indicator_values "
                     f"WHERE indicator_code = ?{where_d}")
            weighted = ("sum(value)" if ind.space == "sum" else
                        "sum(value * population) / sum(population)")
            frame = self.store.df(
                f"SELECT period, {weighted} AS value, NULL::BIGINT AS events FROM ({inner}) v "
                f"JOIN districts d ON d.code = v.district_code GROUP BY period ORDER BY period",
                [code] + where_params)
        else:
            table, table_params, expr, col, where, params = self._source(
                ind, self._districts_only(district), False)
            frame = self.store.df(
                f"SELECT date_trunc('month', {col})::DATE AS period, {expr[code]} AS value, "
                f"{BASIS_COUNT.get(code, 'NULL::BIGINT')} AS events "
                f"FROM {table} WHERE true{where} GROUP BY 1 ORDER BY 1",
                table_params + params)
            if code == "events_per_10k":
                frame["value"] /= self._population_of(district)
        frame["period"] = pd.to_datetime(frame["period"])
        frame["events"] = frame["events"].astype("Int64")
        if ind.is_cumulative:
            frame["value"] = _running_total(frame, [])
        prior = frame.set_index("period")["value"]
        prior.index = prior.index + pd.DateOffset(years=1)
        frame["prior"] = frame["period"].map(prior)
        return _with_change(frame, ind)

    # --- economy screen: monthly series and changes ---

    def _monthly_series(self, ind: Indicator, area: Area, first: dt.date, last: dt.date,
                        by_district: bool) -> pd.DataFrame:
        """The indicator month by month from month ``first`` to month ``last`` (both month
        starts), for an area (or per district), added up as ``indicator_monthly`` adds it up:
        statistics summed or population-weighted across districts, air, water and event
        metrics pooled over the month's station-days, section-months or events. One query.

        Columns: [district_code,] period (Timestamp), value, events (``BASIS_COUNT``).
        """
        keys = "district_code, " if by_district else ""
        wanted = first
        if ind.is_cumulative:        # a running total starts in January
            first = first.replace(month=1)
        if ind.kind == "value":
            where, params = self._where(area, "v.")
            weighted = ("sum(v.value)" if ind.space == "sum" else
                        "sum(v.value * d.population) / sum(d.population)")
            frame = self.store.df(
                f"SELECT {keys}v.period, {weighted} AS value, NULL::BIGINT AS events "
                "FROM indicator_values v "
                "JOIN districts d ON d.code = v.district_code "
                f"WHERE v.indicator_code = ? AND v.period BETWEEN ? AND ?{where} "
                "GROUP BY ALL ORDER BY ALL", [ind.code, first, last] + params)
        else:
            table, table_params, exprs, col, where, params = self._source(ind, area,
                                                                          by_district)
            frame = self.store.df(
                f"SELECT {keys}date_trunc('month', {col})::DATE AS period, "
                f"{exprs[ind.code]} AS value, "
                f"{BASIS_COUNT.get(ind.code, 'NULL::BIGINT')} AS events FROM {table} "
                f"WHERE {col} BETWEEN ? AND ?{where} GROUP BY ALL ORDER BY ALL",
                table_params + [first, month_end(last)] + params)
            if ind.code == "events_per_10k":
                frame["value"] /= (frame["district_code"].map(self._population) if by_district
                                   else self._population_of(area))
        frame["period"] = pd.to_datetime(frame["period"])
        frame["value"] = frame["value"].astype(float)
        frame["events"] = frame["events"].astype("Int64")
        if ind.is_cumulative:
            frame["value"] = _running_total(frame, ["district_code"] if by_district else [])
            frame = frame[frame["period"] >= pd.Timestamp(wanted)].reset_index(drop=True)
        return frame

    def indicator_monthly_by_district(self, code: str, start: str, end: str) -> pd.DataFrame:
        """Return every district's monthly series of an indicator over the months overlapping
        [start, end], for small multiples.

        Columns: district_code, period (month start), value, events, prior (the same month
        a year earlier), yoy, headline: per district exactly what ``indicator_monthly`` gives
        for that district. Rows exist where the district has a value. One query.
        """
        ind = self.catalogue.get(code)
        first, last = month_start(start), month_start(end)
        frame = self._monthly_series(ind, None, shift_months(first, -12), last, True)
        frame = _with_earlier(frame, ["district_code"], 12, "prior")
        frame = frame[frame["period"] >= pd.Timestamp(first)].reset_index(drop=True)
        return _with_change(frame, ind)

    def indicator_changes(self, code: str, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return an indicator month by month over the months overlapping [start, end] with
        its year-on-year and month-on-month changes, for the city (None), a district or a
        selection of districts (values added up as in ``indicator_monthly``).

        Columns: period (month start), value, yoy, mom, prior (the same month a year
        earlier), previous (the period before).

        Both changes follow ``_change``, the rule of every other YoY in the app: % change for
        growth-based quantities (``is_growth``: GDP, investment, sales, deposits, ...), the
        difference for everything else, i.e. percentage points for rates (unemployment,
        industrial VA growth) and the unit's own difference for level-based quantities.
        MoM compares with the period before: the previous month, or the previous quarter for
        quarterly statistics (GDP is stored in quarter-end months only). The store holds
        single-month figures (flows are summed over a range by the catalogue's time rule,
        nothing is stored year-to-date), so MoM compares single months, not 累计 totals. The
        as-of month of air, water and event metrics is partial, as in ``indicator_monthly``.
        """
        ind = self.catalogue.get(code)
        area = self._districts_only(area)
        first, last = month_start(start), month_start(end)
        lag = 3 if ind.frequency == "quarterly" else 1
        frame = self._monthly_series(ind, area, shift_months(first, -12), last, False)
        frame = _with_earlier(frame, [], 12, "prior")
        frame = _with_earlier(frame, [], lag, "previous")
        frame = frame[frame["period"] >= pd.Timestamp(first)].reset_index(drop=True)
        for name, base in (("yoy", "prior"), ("mom", "previous")):
            frame[name] = pd.Series([_change(_float(v), _float(p), ind) for v, p in
                                     zip(frame["value"], frame[base])], dtype=float)
        return frame[["period", "value", "yoy", "mom", "prior", "previous"]]

    def district_shares(self, code: str, start: str, end: str) -> pd.DataFrame:
        """Return each district's value of an indicator over [start, end] and its share (%)
        of the city total: district_code, name_zh, name_en, value, share, last.

        Only totals have shares: indicators the catalogue adds up across districts
        (``space == "sum"``: flows, stocks, event counts). Rates and means raise ValueError
        with a message the screen can show. The range and values are those of
        ``indicator_by_district`` (ended at the last published month).
        """
        ind = self.catalogue.get(code)
        if ind.space != "sum":
            raise ValueError(f"shares are only defined for totals that add up across "
                             f"districts; {ind.name_en} ({code}) is a rate or mean")
        cur = self._clamp(ind, start, end)
        found = {rec["district_code"]: rec
                 for rec in self._metrics([(ind, [cur])], None, True)}
        frame = self.districts()[["code", "name_zh", "name_en"]].rename(
            columns={"code": "district_code"})
        empty = {"value": None, "last": None}
        frame["value"] = pd.Series([found.get(c, empty)["value"]
                                    for c in frame["district_code"]], dtype=float)
        total = frame["value"].sum(min_count=1)
        frame["share"] = 100.0 * frame["value"] / total if total else float("nan")
        frame["last"] = [found.get(c, empty)["last"] for c in frame["district_code"]]
        return frame


def _running_total(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Each month's total from January of its year (累计), per ``keys``: the months a frame
    sorted by period holds (a month without a value adds nothing)."""
    return frame.groupby(keys + [frame["period"].dt.year])["value"].cumsum()


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _count(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _change(value: float | None, prior: float | None, ind: Indicator) -> float | None:
    """Year-on-year change: % growth for flows and stocks, the difference for rates."""
    if value is None or prior is None:
        return None
    if ind.is_growth:
        return (value / prior - 1.0) * 100.0 if prior else None
    return value - prior


def _summary(records: list[dict], ind: Indicator, r_value: int, r_prior: int) -> dict:
    """Return {value, prior, yoy, headline, last, events} from the records of two ranges."""
    by_r = {rec["r"]: (rec["value"], rec["last"], rec.get("events")) for rec in records}
    value, last, events = by_r.get(r_value, (None, None, None))
    value, prior = _float(value), _float(by_r.get(r_prior, (None, None, None))[0])
    yoy = _change(value, prior, ind)
    return {"value": value, "prior": prior, "yoy": yoy,
            "headline": yoy if ind.is_growth else value,
            "last": None if last is None or pd.isna(last) else last, "events": events}


def _with_change(frame: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """Add yoy and headline columns to a frame of value and prior."""
    # _change over whole columns: % growth (none from a zero base) or the difference
    value, prior = frame["value"].astype(float), frame["prior"].astype(float)
    frame["yoy"] = ((value / prior.where(prior != 0) - 1.0) * 100.0 if ind.is_growth
                    else value - prior)
    frame["headline"] = frame["yoy"] if ind.is_growth else frame["value"].astype(float)
    return frame


def _with_earlier(frame: pd.DataFrame, keys: list[str], months: int, name: str
                  ) -> pd.DataFrame:
    """Add column ``name``: each row's value ``months`` earlier (same keys), NaN when absent.

    A merge on the shifted month, not a positional shift: a missing month (or GDP's
    quarter-end-only months) must not pair a value with the wrong period.
    """
    earlier = frame[keys + ["period", "value"]].rename(columns={"value": name})
    earlier["period"] = earlier["period"] + pd.DateOffset(months=months)
    return frame.merge(earlier, on=keys + ["period"], how="left")

