"""The query layer: the only code that speaks SQL.

Every question the screens ask is a method here taking small hashable arguments (codes, ISO
dates) and returning a DataFrame or a plain value. Values travel as ``?`` parameters; the few
names that reach SQL text (aggregate expressions) are picked from fixed dicts keyed by the
catalogue, never taken from a request. Results are memoised with flask-caching, keyed by the
store file's fingerprint so a reloaded store never answers from an old cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
import pyarrow as pa

from data import catalog
from data.aqi import level_index
from data.catalog import Indicator
from data.export import ROWS_METADATA_KEY
from data.store import DEADLINE_HOURS, EVENT_SUMS, HANDLING_BUCKET, Store

#: The city (None), one area's code, or a selection of codes of one level (a map lasso).
Area = str | tuple[str, ...] | None

#: The overview's KPI cards, in display order.
KPI_CODES = ("gdp", "fixed_asset_investment", "retail_sales", "unemployment_rate",
             "good_air_rate", "water_good_rate", "closure_rate", "on_time_rate",
             "satisfaction_rate")

# Air and water metrics over station-days / section-months.
_AIR_EXPR = {"good_air_rate": "100.0 * avg(CAST(aqi <= 100 AS INTEGER))",
             "pm25": "avg(pm25)", "aqi": "avg(aqi)"}
_WATER_EXPR = {"water_good_rate": "100.0 * avg(CAST(class <= 3 AS INTEGER))"}
# Grid-event metrics over the daily rollup.
_EVENT_EXPR = {
    "event_count": "sum(n)",
    "events_per_10k": "sum(n) * 1e4",          # divided by population afterwards
    "closure_rate": "100.0 * sum(n_closed) / nullif(sum(n), 0)",
    "on_time_rate": "100.0 * sum(n_on_time) / nullif(sum(n_closed), 0)",
    "mean_handling_hours": "sum(handling_hours) / nullif(sum(n_closed), 0)",
    "satisfaction_rate": "100.0 * sum(n_satisfied) / nullif(sum(n_rated), 0)",
}
# The event sums the metrics above read (event_area_daily and event_area_monthly hold them).
_AREA_SUMS = "n, n_closed, n_on_time, handling_hours, n_rated, n_satisfied"
# How a monthly statistic adds up over the months of a range, per district.
_TIME_COLUMN = {"sum": "total", "mean": "average", "last": "latest"}

#: kind -> (table, metric expressions, date column) for the derived indicators.
_SOURCE_OF = {"air": ("air_daily", _AIR_EXPR, "day"),
              "water": ("water_quality", _WATER_EXPR, "period"),
              "events": ("event_district_daily", _EVENT_EXPR, "day")}

# --- key-task supervision ---

KEY_TASK_COLUMNS = ("code", "title", "lead_department_code", "lead_department",
                    "district_code", "district", "start_month", "due_month", "period",
                    "progress", "planned", "status")
#: A key task's statuses, most urgent first (the order Queries.key_tasks sorts by).
KEY_TASK_STATUSES = ("overdue", "at_risk", "on_track", "done")
#: Progress (%) at which a task counts as done: progress is cumulative, 100 is the whole task.
KEY_TASK_DONE = 100.0
#: Points behind the linear plan at which a task is at risk. Progress is reported monthly in
#: lumps (a contract signed, a system accepted), so a month or so behind the straight line is
#: ordinary; 15 points is about two months on a year-long task, when supervision (督办) steps in.
KEY_TASK_AT_RISK_GAP = 15.0
#: The name and title columns of each language: the only column names key_tasks writes into
#: SQL.
_LANG_COLUMNS = {"zh": ("name_zh", "title_zh"), "en": ("name_en", "title_en")}
#: The district shown for a city-wide task.
_CITY_WIDE = {"zh": "全市", "en": "Citywide"}

# --- environment screen ---

#: The pollutants of the station charts, in display order: code -> (name_zh, name_en, unit).
#: Units per HJ 633-2012: µg/m³, CO in mg/m³, the AQI has none. The µ is the micro sign the
#: catalogue and the interface font use. Names are the formulas Chinese air-quality releases
#: print, so every glyph is already in the served font subset.
POLLUTANTS: dict[str, tuple[str, str, str]] = {
    "aqi": ("空气质量指数", "AQI", ""),
    "pm25": ("PM2.5", "PM2.5", "µg/m³"),
    "pm10": ("PM10", "PM10", "µg/m³"),
    "o3_8h": ("O3-8h", "O3 (8-hour)", "µg/m³"),
    "no2": ("NO2", "NO2", "µg/m³"),
    "so2": ("SO2", "SO2", "µg/m³"),
    "co": ("CO", "CO", "mg/m³"),
}
#: The air_daily column of each pollutant: the only column names pollutant_daily writes into
#: SQL (24-hour means; o3_8h is the day's highest 8-hour mean, aqi the daily AQI).
_POLLUTANT_COLUMN = {"aqi": "aqi", "pm25": "pm25", "pm10": "pm10", "o3_8h": "o3_8h",
                     "no2": "no2", "so2": "so2", "co": "co"}

# --- economy screen ---


def _shift_months(first: dt.date, months: int) -> dt.date:
    """Return the first day of the month ``months`` after the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_start(day: str | dt.date) -> dt.date:
    """Return the first day of the month containing ``day``."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return d.replace(day=1)


def month_end(day: str | dt.date) -> dt.date:
    """Return the last day of the month containing ``day``."""
    first = month_start(day)
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Scope:
    """What one user's queries may return: the districts (empty: the whole city) and
    whether reporters' names and phone numbers are shown in clear.

    A scoped ``Queries`` knows only its districts: its dimension tables hold nothing else,
    so every area code outside them is unknown, and "the city" means its districts. Rows of
    other districts cannot come back from any method (tests/test_access.py calls them all).
    """
    districts: frozenset[str] = frozenset()
    personal_data: bool = True

    @property
    def key(self) -> str:
        """A stable text for cache keys: hex digits only, since flask-caching deletes every
        other character from the instance part of a memoised method's key (so "a|b" and
        "ab" would be one key)."""
        text = json.dumps([sorted(self.districts), self.personal_data])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


#: Everything: the CLI, the demo build, tests, and apps without login.
FULL = Scope()


def shift_years(day: str | dt.date, years: int) -> dt.date:
    """Return ``day`` moved by whole years (29 February falls back to the 28th)."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


class Queries:
    """All reads of one store. Construct with the store and a flask-caching ``Cache``."""

    #: Methods memoised in the cache (all take only hashable arguments).
    CACHED = ("indicator_by_district", "indicator_value", "event_metric_by_area",
              "stations_aqi", "water_classes", "event_density",
              "indicator_monthly", "aqi_daily", "events_monthly_by_status",
              "events_by_category", "kpis",
              # environment and economy screens
              "pollutant_daily", "water_classes_monthly", "indicator_monthly_by_district",
              "indicator_changes", "district_shares",
              # grid governance screen (events_export streams and is not memoised)
              "event_funnel", "handling_time_histogram", "deadline_hours", "overdue_events",
              "category_by_source", "department_table", "events_page")

    def __init__(self, store: Store, cache=None, scope: Scope = FULL):
        self.store, self.scope = store, scope
        if cache is not None:
            for name in self.CACHED:
                setattr(self, name, cache.memoize()(getattr(self, name)))

    def __caching_id__(self) -> str:
        # flask-caching keys memoised methods by this: a new store file means new keys, and
        # a scope answers "the city" with its own districts
        return self.store.fingerprint + ("" if self.scope == FULL else f"_{self.scope.key}")

    def scoped(self, scope: Scope, cache=None) -> "Queries":
        """The same store's queries limited to a scope."""
        return Queries(self.store, cache, scope)

    def _scope_filter(self, column: str = "district_code") -> tuple[str, list]:
        """(" AND <column> IN (?, ...)", codes) for a scoped reader; empty otherwise."""
        codes = sorted(self.scope.districts)
        if not codes:
            return "", []
        return f" AND {column} IN ({', '.join('?' * len(codes))})", codes

    # --- dimensions ---------------------------------------------------------------------------

    # Dimensions are small and fixed for the life of a store file: kept on the instance
    # (a new store gets a new Queries), so no callback pays a query for them.

    @cached_property
    def _meta(self) -> dict:
        return dict(self.store.rows("SELECT key, value FROM meta"))

    @cached_property
    def _districts(self) -> pd.DataFrame:
        where, params = self._scope_filter("code")
        return self.store.df("SELECT code, name_zh, name_en, population, area_km2, lon, lat "
                             f"FROM districts WHERE true{where} ORDER BY code", params)

    @cached_property
    def _areas(self) -> dict[str, pd.DataFrame]:
        where, params = self._scope_filter()
        return {
            "townships": self.store.df(
                "SELECT code, name_zh, name_en, district_code AS parent, population "
                f"FROM townships WHERE true{where} ORDER BY code", params),
            "grid_cells": self.store.df(
                "SELECT code, name_zh, name_zh AS name_en, township_code AS parent, population "
                f"FROM grid_cells WHERE township_code IN (SELECT code FROM townships "
                f"WHERE true{where}) ORDER BY code", params),
        }

    def areas(self, level: str) -> pd.DataFrame:
        """Return the townships or grid cells: code, name_zh, name_en, parent, population."""
        return self._areas[level].copy()

    def meta(self) -> dict:
        """Return the store's key/value metadata (city names, as-of time, demo flag, ...)."""
        return dict(self._meta)

    def districts(self) -> pd.DataFrame:
        """Return districts: code, name_zh, name_en, population, area_km2, lon, lat."""
        return self._districts.copy()

    @cached_property
    def _departments(self) -> pd.DataFrame:
        return self.store.df("SELECT code, name_zh, name_en FROM departments ORDER BY code")

    def departments(self) -> pd.DataFrame:
        """Return the handling departments: code, name_zh, name_en."""
        return self._departments.copy()

    def names_text(self) -> str:
        """Return every place, station, section and department name and key-task title in
        the store, joined (the characters the interface font must hold)."""
        return self.store.rows(
            "SELECT string_agg(name_zh || name_en, '') FROM (SELECT name_zh, name_en FROM "
            "districts UNION ALL SELECT name_zh, name_en FROM townships UNION ALL SELECT "
            "name_zh, name_en FROM stations UNION ALL SELECT name_zh, name_en FROM "
            "water_sections UNION ALL SELECT name_zh, name_en FROM departments UNION ALL "
            + ("SELECT title_zh, title_en FROM key_tasks UNION ALL " if self.has_key_tasks
               else "") +
            "SELECT value, '' FROM meta WHERE key LIKE 'city_name_%')")[0][0] or ""

    @cached_property
    def _tables(self) -> frozenset[str]:
        return frozenset(name for (name,) in self.store.rows(
            "SELECT table_name FROM information_schema.tables"))

    @property
    def has_key_tasks(self) -> bool:
        """Stores built before key-task supervision have no key_tasks table: they still
        serve, with no tasks."""
        return "key_tasks" in self._tables

    @cached_property
    def _datasets(self) -> pd.DataFrame:
        if "datasets" not in self._tables:      # a store from before freshness was recorded
            return pd.DataFrame(columns=["name", "source", "file", "frequency", "as_of",
                                         "loaded_at", "row_count"])
        return self.store.df("SELECT * FROM datasets ORDER BY name")

    def datasets(self) -> pd.DataFrame:
        """Every feed's freshness: name (a fact table, or indicator_values:<code>), source,
        file, frequency, as_of (its latest data), loaded_at, row_count."""
        return self._datasets.copy()

    @cached_property
    def district_codes(self) -> frozenset[str]:
        return frozenset(self.districts()["code"])

    def date_bounds(self) -> tuple[dt.date, dt.date]:
        """Return the first and last day any fact covers."""
        meta = self.meta()
        return (dt.date.fromisoformat(meta["first_month"]),
                dt.datetime.fromisoformat(meta["as_of"]).date())

    # --- indicators ---------------------------------------------------------------------------

    def _check_district(self, district: str | None) -> None:
        if district is not None and district not in self.district_codes:
            raise KeyError(f"unknown district {district!r}")

    def _check(self, code: str, district: str | None = None) -> Indicator:
        self._check_district(district)
        return catalog.get(code)

    @cached_property
    def _latest_period(self) -> dict[str, dt.date]:
        """The last published month of each monthly statistic (and of water sections)."""
        latest = dict(self.store.rows(
            "SELECT indicator_code, max(period) FROM indicator_values GROUP BY 1"))
        latest["water"] = self.store.rows("SELECT max(period) FROM water_quality")[0][0]
        return latest

    def _clamp(self, ind: Indicator, start: str | dt.date, end: str | dt.date) -> Range:
        """Parse a range and end it at the indicator's latest published month.

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
        return s, e

    def _metrics(self, specs: list[tuple[Indicator, list[Range]]], district: str | None,
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
        for kind in ("value", "air", "water", "events"):
            group = [(ind, ranges) for ind, ranges in specs if ind.kind == kind]
            if kind == "value" and group:
                records += self._statistics(group, district, by_district)
            elif group:
                records += self._derived(kind, group, area if kind == "events" else district,
                                         by_district)
        for rec in records:
            if rec["code"] == "events_per_10k" and rec["value"] is not None:
                rec["value"] /= self._population_of(rec["district_code"] if by_district
                                                    else area)
        return records

    def _district_of(self, area: Area) -> tuple[str, ...] | None:
        """The districts an area or selection lies in (statistics, air and water are per
        district); None for the city."""
        column, codes = self._scope(area)
        if not codes:
            return None
        districts = []
        for code in codes:
            if column == "grid_code":
                code = self._parent["grid_cells"][code]
            if column in ("township_code", "grid_code"):
                code = self._parent["townships"][code]
            if code not in districts:
                districts.append(code)
        return tuple(districts)

    @cached_property
    def _parent(self) -> dict[str, dict[str, str]]:
        return {level: dict(zip(frame["code"], frame["parent"]))
                for level, frame in self._areas.items()}

    def _population_of(self, area: Area) -> int:
        """Residents of an area or selection (districts, townships or grid cells), or of the
        city for None."""
        column, codes = self._scope(area)
        if not codes:
            return sum(self._population.values())
        if column == "district_code":
            return sum(self._population[code] for code in codes)
        frame = self._areas["townships" if column == "township_code" else "grid_cells"]
        return int(frame.loc[frame["code"].isin(codes), "population"].sum())

    @cached_property
    def _population(self) -> dict[str, int]:
        return dict(zip(self._districts["code"], self._districts["population"]))

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

    def _derived(self, kind, group, district, by_district) -> list[dict]:
        """Air, water and event metrics: every metric of the group over every distinct range."""
        table, exprs, col = _SOURCE_OF[kind]
        if self._scope(district)[0] != "district_code":   # townships or cells: events only
            table = "event_area_daily"
        where, where_params = self._where(district)
        distinct = sorted({rng for _, ranges in group for rng in ranges})
        metrics = ", ".join(f'{exprs[ind.code]} AS "{ind.code}"' for ind, _ in group)
        keys = "district_code, " if by_district else ""
        # one SELECT per range, glued with UNION ALL: each gets its own date pushdown, twice
        # as fast as joining a VALUES table of ranges
        parts, params = [], []
        for i, (s, e) in enumerate(distinct):
            parts.append(f"SELECT {i} AS i, {keys}{metrics}, max({col}) AS last FROM {table} "
                         f"WHERE {col} BETWEEN ? AND ?{where}"
                         + (" GROUP BY district_code" if by_district else ""))
            params += [s, e] + where_params
        by_range: dict[int, list[dict]] = {}
        for rec in self.store.records(" UNION ALL ".join(parts), params):
            by_range.setdefault(rec["i"], []).append(rec)
        index = {rng: i for i, rng in enumerate(distinct)}
        return [{"district_code": rec.get("district_code"), "code": ind.code, "r": r,
                 "value": _float(rec[ind.code]), "last": rec["last"]}
                for ind, ranges in group for r, rng in enumerate(ranges)
                for rec in by_range.get(index[rng], [])]

    def _scope(self, area: Area) -> tuple[str, tuple[str, ...]]:
        """Return (event column, codes) for the city (None), one area code, or a selection of
        codes of one level (a lasso on the map). Unknown codes raise KeyError."""
        if area is None:      # the city: a scoped reader's city is its districts
            return "district_code", tuple(sorted(self.scope.districts))
        codes = (area,) if isinstance(area, str) else tuple(area)
        columns = {self._area_column(code) for code in codes}
        if len(columns) != 1:
            raise KeyError(f"a selection must be of one level: {codes!r}")
        return columns.pop(), codes

    def _where(self, area: Area, alias: str = "") -> tuple[str, list]:
        """Return (" AND <column> IN (?, ...)", codes) keeping an area's rows; empty for the
        city. The column comes from a fixed list, the codes ride as parameters."""
        column, codes = self._scope(area)
        if not codes:
            return "", []
        return f" AND {alias}{column} IN ({', '.join('?' * len(codes))})", list(codes)

    def _districts_only(self, area: Area) -> Area:
        """Refuse areas below the districts where only district tables exist."""
        if self._scope(area)[0] != "district_code":
            raise KeyError(f"only districts here, not {area!r}")
        return area

    def _area_column(self, area: str | None) -> str:
        """The event column an area's code filters on (from a fixed list, never the input)."""
        if area is None or area in self.district_codes:
            return "district_code"
        for level, column in (("townships", "township_code"), ("grid_cells", "grid_code")):
            if area in self._area_sets[level]:
                return column
        raise KeyError(f"unknown area {area!r}")

    @cached_property
    def _area_sets(self) -> dict[str, frozenset[str]]:
        return {level: frozenset(frame["code"]) for level, frame in self._areas.items()}

    def event_metric_by_area(self, code: str, parent: str | None, start: str, end: str,
                             cells: bool = False) -> pd.DataFrame:
        """Return an event metric for each child of ``parent``: a district's townships or a
        township's grid cells, over [start, end] and the same range a year earlier. With
        ``cells``, for every grid cell inside ``parent`` (None: the whole city).

        Columns: area_code, name_zh, name_en, value, prior, yoy, headline (as in
        ``indicator_by_district``). Only event metrics exist below the districts.
        """
        ind = self._check(code)
        if ind.kind != "events":
            raise KeyError(f"{code!r} is not an event metric: below the districts only "
                           f"{', '.join(catalog.codes(kind='events'))} exist")
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
        for r, (s, e) in enumerate((cur, _shift(cur, -1))):
            rows, rows_params = self._area_rows(s, e, inside, inside_params)
            parts.append(f"SELECT {r} AS r, {child_column} AS area_code, "
                         f"{_EVENT_EXPR[code]} AS value FROM ({rows}) GROUP BY 2")
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
        return _with_change(frame.drop(columns="population").reset_index(drop=True), ind)

    def _area_rows(self, start: dt.date, end: dt.date, where: str, params: list
                   ) -> tuple[str, list]:
        """The per-cell event sums of [start, end] where ``where`` holds, as a query: whole
        months from event_area_monthly (30 times fewer rows: every grid cell over seven
        months is ~70k rows instead of ~2M at 10M events), the days around them from
        event_area_daily. A store built before the monthly rollup reads days only."""
        columns = f"district_code, township_code, grid_code, {_AREA_SUMS}"
        first = start if start.day == 1 else month_end(start) + dt.timedelta(days=1)
        last = end if end == month_end(end) else month_start(end) - dt.timedelta(days=1)
        if "event_area_monthly" not in self._tables or first > last:
            return (f"SELECT {columns} FROM event_area_daily WHERE {where} AND day BETWEEN ? "
                    "AND ?", params + [start, end])
        parts = [(f"SELECT {columns} FROM event_area_monthly WHERE {where} AND month BETWEEN "
                  "? AND ?", params + [first, month_start(last)])]
        edges = [(s, e) for s, e in ((start, first - dt.timedelta(days=1)),
                                     (last + dt.timedelta(days=1), end)) if s <= e]
        if edges:    # one scan of the daily rollup for both edges (it is sorted by cell)
            parts.append((f"SELECT {columns} FROM event_area_daily WHERE {where} AND ("
                          + " OR ".join(["day BETWEEN ? AND ?"] * len(edges)) + ")",
                          params + [d for edge in edges for d in edge]))
        return " UNION ALL ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps]

    def indicator_by_district(self, code: str, start: str, end: str) -> pd.DataFrame:
        """Return one indicator per district over [start, end].

        Columns: district_code, name_zh, name_en, value (the range's aggregate), prior (the
        same range a year earlier), yoy (% change, or point change for level-based rates),
        headline (the value on the catalogue's basis: yoy or level), last (latest data).
        """
        ind = self._check(code)
        cur = self._clamp(ind, start, end)
        found = {(rec["district_code"], rec["r"]): rec
                 for rec in self._metrics([(ind, [cur, _shift(cur, -1)])], None, True)}
        frame = self.districts()[["code", "name_zh", "name_en"]].rename(
            columns={"code": "district_code"})
        codes = frame["district_code"]
        empty = {"value": None, "last": None}   # a range may have no data at all
        frame["value"] = [found.get((c, 0), empty)["value"] for c in codes]
        frame["prior"] = [found.get((c, 1), empty)["value"] for c in codes]
        frame["last"] = [found.get((c, 0), empty)["last"] for c in codes]
        frame[["value", "prior"]] = frame[["value", "prior"]].astype(float)
        return _with_change(frame, ind)

    def indicator_value(self, code: str, district: str | None, start: str, end: str) -> dict:
        """Return {value, prior, yoy, headline, last} for the city or one district."""
        ind = self._check(code, district)
        cur = self._clamp(ind, start, end)
        return _summary(self._metrics([(ind, [cur, _shift(cur, -1)])], district, False), ind,
                        0, 1)

    def kpis(self, area: str | None, start: str, end: str,
             codes: tuple[str, ...] = KPI_CODES) -> pd.DataFrame:
        """Return the KPI cards' figures: code, value, headline, yoy, last, previous, status.

        ``area`` is the city (None), a district, a township or a grid cell: event metrics
        follow it down; statistics, air and water exist per district and follow its district.
        ``previous`` is the headline for the same range ending one month earlier: the card's
        trend arrow compares with it.
        """
        self._scope(area)     # refuses unknown codes
        specs = []
        for code in codes:
            ind = self._check(code)
            cur = self._clamp(ind, start, end)
            prev_end = cur[1].replace(day=1) - dt.timedelta(days=1)
            prev = self._clamp(ind, min(cur[0], prev_end.replace(day=1)), prev_end)
            specs.append((ind, [cur, _shift(cur, -1), prev, _shift(prev, -1)]))
        by_code: dict[str, list[dict]] = {}
        for rec in self._metrics(specs, area, False):
            by_code.setdefault(rec["code"], []).append(rec)
        rows = []
        for ind, _ in specs:
            now = _summary(by_code.get(ind.code, []), ind, 0, 1)
            before = _summary(by_code.get(ind.code, []), ind, 2, 3)
            rows.append({"code": ind.code, **now, "previous": before["headline"],
                         "status": catalog.breach(ind, now["headline"])})
        return pd.DataFrame(rows)

    def indicator_monthly(self, code: str, district: Area) -> pd.DataFrame:
        """Return the indicator month by month over every month in the store.

        Columns: period (month start), value, yoy, headline (as in ``indicator_by_district``).
        """
        ind = catalog.get(code)
        where_d, where_params = self._where(self._districts_only(district))
        if ind.kind == "value":
            inner = (f"SELECT period, district_code, value FROM indicator_values "
                     f"WHERE indicator_code = ?{where_d}")
            weighted = ("sum(value)" if ind.space == "sum" else
                        "sum(value * population) / sum(population)")
            frame = self.store.df(
                f"SELECT period, {weighted} AS value FROM ({inner}) v "
                f"JOIN districts d ON d.code = v.district_code GROUP BY period ORDER BY period",
                [code] + where_params)
        else:
            table, expr, col = _SOURCE_OF[ind.kind]
            frame = self.store.df(
                f"SELECT date_trunc('month', {col})::DATE AS period, {expr[code]} AS value "
                f"FROM {table} WHERE true{where_d} GROUP BY 1 ORDER BY 1",
                where_params)
            if code == "events_per_10k":
                frame["value"] /= self._population_of(district)
        frame["period"] = pd.to_datetime(frame["period"])
        prior = frame.set_index("period")["value"]
        prior.index = prior.index + pd.DateOffset(years=1)
        frame["prior"] = frame["period"].map(prior)
        return _with_change(frame, ind)

    # --- environment and events ---------------------------------------------------------------

    def aqi_daily(self, district: Area) -> pd.DataFrame:
        """Return the daily AQI (mean over stations) and its level: day, aqi, level."""
        where, params = self._where(self._districts_only(district))
        frame = self.store.df(
            f"SELECT day, round(avg(aqi)) AS aqi FROM air_daily WHERE true{where} "
            f"GROUP BY day ORDER BY day", params)
        frame["level"] = level_index(frame["aqi"])
        return frame

    def _place_filter(self, area: Area, alias: str) -> tuple[str, list]:
        """WHERE fragment keeping the stations or sections inside an area (via their cell)."""
        column, codes = self._scope(area)
        if not codes:
            return "", []
        marks = ", ".join("?" * len(codes))
        if column == "district_code":
            return f" AND {alias}.district_code IN ({marks})", list(codes)
        if column == "township_code":
            return (f" AND {alias}.grid_code IN (SELECT code FROM grid_cells "
                    f"WHERE township_code IN ({marks}))"), list(codes)
        return f" AND {alias}.grid_code IN ({marks})", list(codes)

    def stations_aqi(self, area: str | None, start: str, end: str) -> pd.DataFrame:
        """Return the air stations in an area with their mean daily AQI over [start, end]:
        code, name_zh, name_en, lon, lat, aqi, worst (the highest daily AQI), level."""
        where, params = self._place_filter(area, "s")
        frame = self.store.df(
            "SELECT s.code, s.name_zh, s.name_en, s.lon, s.lat, round(avg(a.aqi)) AS aqi, "
            "max(a.aqi) AS worst FROM stations s LEFT JOIN air_daily a "
            "ON a.station_code = s.code AND a.day BETWEEN ? AND ? "
            f"WHERE true{where} GROUP BY ALL ORDER BY s.code",
            [dt.date.fromisoformat(start), dt.date.fromisoformat(end)] + params)
        frame["level"] = level_index(frame["aqi"])
        return frame

    def water_classes(self, area: str | None, start: str, end: str) -> pd.DataFrame:
        """Return the water sections in an area with their latest class in [start, end]:
        code, name_zh, name_en, river_zh, lon, lat, class (1-6, 6 = worse than V), period."""
        where, params = self._place_filter(area, "w")
        return self.store.df(
            "SELECT w.code, w.name_zh, w.name_en, w.river_zh, w.lon, w.lat, "
            "arg_max(q.class, q.period) AS class, max(q.period) AS period "
            "FROM water_sections w LEFT JOIN water_quality q ON q.section_code = w.code "
            "AND q.period BETWEEN ? AND ? "
            f"WHERE true{where} GROUP BY ALL ORDER BY w.code",
            [month_start(start), dt.date.fromisoformat(end)] + params)

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
        districts the events themselves are read: they are stored in cell order, so one
        township's rows are a few row groups.
        """
        column = self._scope(area)[0]
        where, params = self._where(area)
        if column == "district_code":
            sql = (f"SELECT date_trunc('month', day)::DATE AS period, status, "
                   f"sum(n)::BIGINT AS n FROM event_daily WHERE true{where} "
                   f"GROUP BY ALL ORDER BY 1, 2")
        else:
            sql = (f"SELECT date_trunc('month', reported_at)::DATE AS period, status, "
                   f"count(*) AS n FROM grid_events WHERE true{where} GROUP BY ALL ORDER BY 1, 2")
        return self.store.df(sql, params)

    def events_by_category(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return events per category over a range: category, n, n_closed, n_on_time."""
        column = self._scope(area)[0]
        where, params = self._where(area)
        s, e = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        if column == "district_code":
            sql = (f"SELECT category, sum(n)::BIGINT AS n, sum(n_closed)::BIGINT AS n_closed, "
                   f"sum(n_on_time)::BIGINT AS n_on_time FROM event_daily "
                   f"WHERE day BETWEEN ? AND ?{where} GROUP BY category ORDER BY n DESC")
        else:
            sql = (f"SELECT category, count(*) AS n, count(closed_at) AS n_closed, "
                   f"count(*) FILTER (WHERE closed_at <= deadline_at) AS n_on_time "
                   f"FROM grid_events WHERE CAST(reported_at AS DATE) BETWEEN ? AND ?{where} "
                   f"GROUP BY category ORDER BY n DESC")
        return self.store.df(sql, [s, e] + params)

    # --- environment screen ---
    # (The AQI calendar reads aqi_daily and the station ranking stations_aqi, above.)

    def pollutant_daily(self, area: Area, pollutant: str, start: str, end: str
                        ) -> pd.DataFrame:
        """Return one pollutant's daily value at every air station in an area over [start,
        end]: day, station_code, name_zh, name_en, value (in POLLUTANTS' unit).

        ``pollutant`` is a key of POLLUTANTS; anything else raises KeyError before any SQL is
        written. The area keeps stations as ``stations_aqi`` does: the city (None), a
        district, a township or a grid cell (by the station's cell), or a selection of one
        level. Ordered by station, then day.
        """
        try:
            column = _POLLUTANT_COLUMN[pollutant]
        except (KeyError, TypeError):
            raise KeyError(f"unknown pollutant {pollutant!r}; known: "
                           f"{', '.join(POLLUTANTS)}") from None
        where, params = self._place_filter(area, "s")
        return self.store.df(
            f"SELECT a.day, a.station_code, s.name_zh, s.name_en, "
            f"CAST(a.{column} AS DOUBLE) AS value "
            "FROM air_daily a JOIN stations s ON s.code = a.station_code "
            f"WHERE a.day BETWEEN ? AND ?{where} ORDER BY a.station_code, a.day",
            [dt.date.fromisoformat(start), dt.date.fromisoformat(end)] + params)

    def water_classes_monthly(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return how many water sections of an area were in each class, month by month, over
        the months overlapping [start, end]: period (month start), class (1-6), n.

        Classes no section was in are absent, not zero. The area keeps sections as
        ``water_classes`` does (by the section's cell below the districts).
        """
        where, params = self._place_filter(area, "w")
        return self.store.df(
            "SELECT q.period, q.class, count(DISTINCT q.section_code) AS n "
            "FROM water_quality q JOIN water_sections w ON w.code = q.section_code "
            f"WHERE q.period BETWEEN ? AND ?{where} GROUP BY ALL ORDER BY 1, 2",
            [month_start(start), dt.date.fromisoformat(end)] + params)

    # --- economy screen ---

    def _monthly_series(self, ind: Indicator, area: Area, first: dt.date, last: dt.date,
                        by_district: bool) -> pd.DataFrame:
        """The indicator month by month from month ``first`` to month ``last`` (both month
        starts), for an area (or per district), added up as ``indicator_monthly`` adds it up:
        statistics summed or population-weighted across districts, air, water and event
        metrics pooled over the month's station-days, section-months or events. One query.

        Columns: [district_code,] period (Timestamp), value.
        """
        keys = "district_code, " if by_district else ""
        if ind.kind == "value":
            where, params = self._where(area, "v.")
            weighted = ("sum(v.value)" if ind.space == "sum" else
                        "sum(v.value * d.population) / sum(d.population)")
            frame = self.store.df(
                f"SELECT {keys}v.period, {weighted} AS value FROM indicator_values v "
                "JOIN districts d ON d.code = v.district_code "
                f"WHERE v.indicator_code = ? AND v.period BETWEEN ? AND ?{where} "
                "GROUP BY ALL ORDER BY ALL", [ind.code, first, last] + params)
        else:
            table, exprs, col = _SOURCE_OF[ind.kind]
            where, params = self._where(area)
            frame = self.store.df(
                f"SELECT {keys}date_trunc('month', {col})::DATE AS period, "
                f"{exprs[ind.code]} AS value FROM {table} "
                f"WHERE {col} BETWEEN ? AND ?{where} GROUP BY ALL ORDER BY ALL",
                [first, month_end(last)] + params)
            if ind.code == "events_per_10k":
                frame["value"] /= (frame["district_code"].map(self._population) if by_district
                                   else self._population_of(area))
        frame["period"] = pd.to_datetime(frame["period"])
        frame["value"] = frame["value"].astype(float)
        return frame

    def indicator_monthly_by_district(self, code: str, start: str, end: str) -> pd.DataFrame:
        """Return every district's monthly series of an indicator over the months overlapping
        [start, end], for small multiples.

        Columns: district_code, period (month start), value, prior (the same month a year
        earlier), yoy, headline: per district exactly what ``indicator_monthly`` gives for
        that district. Rows exist where the district has a value. One query.
        """
        ind = catalog.get(code)
        first, last = month_start(start), month_start(end)
        frame = self._monthly_series(ind, None, _shift_months(first, -12), last, True)
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
        ind = catalog.get(code)
        area = self._districts_only(area)
        first, last = month_start(start), month_start(end)
        lag = 3 if ind.frequency == "quarterly" else 1
        frame = self._monthly_series(ind, area, _shift_months(first, -12), last, False)
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
        ind = catalog.get(code)
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

    # --- grid governance screen ---------------------------------------------------------------

    # At district and city scope these read the rollups built by data/store.py's EVENT_ROLLUP
    # (a 10-million-event city answers from a few hundred thousand rows at most); below the
    # districts they read grid_events, stored in grid-cell order, so a township or a cell is
    # a few row groups. The event table reads grid_events at every scope: it shows rows.

    def _below_districts(self, area: Area) -> bool:
        """True for a township, a grid cell or a selection of them (no district rollup)."""
        return self._scope(area)[0] != "district_code"

    def event_funnel(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return how far the events reported in [start, end] have got: stage, n.

        One row per life-cycle stage in ``catalog.EVENT_STAGES`` order, n = the events that
        reached it ("reported": all of them), then stage "returned": the events sent back to
        handling at least once.
        """
        where, params = self._where(area)
        table = "event_area_daily" if self._below_districts(area) else "event_district_daily"
        counts = [_STAGE_COUNT[stage] for stage in catalog.EVENT_STAGES] + ["n_returned"]
        sums = ", ".join(f"coalesce(sum({c}), 0)::BIGINT" for c in counts)
        row = self.store.rows(f"SELECT {sums} FROM {table} WHERE day BETWEEN ? AND ?{where}",
                              _days(start, end) + params)[0]
        return pd.DataFrame({"stage": [*catalog.EVENT_STAGES, "returned"],
                             "n": pd.Series(row, dtype="int64")})

    def handling_time_histogram(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return the closed events reported in [start, end] by handling time (reported ->
        closed) in 24-hour buckets: bucket_h (the lower bound: 0, 24, ... 216, and 240 for
        everything from 240 h on), on_time (closed by the deadline), n. Empty combinations
        are left out."""
        where, params = self._where(area)
        if self._below_districts(area):
            reported, bounds = _reported(start, end)
            sql = (f"SELECT {HANDLING_BUCKET} AS bucket_h, closed_at <= deadline_at AS on_time, "
                   f"count(*) AS n FROM grid_events WHERE closed_at IS NOT NULL AND "
                   f"{reported}{where} GROUP BY ALL ORDER BY 1, 2")
        else:
            bounds = _days(start, end)
            sql = (f"SELECT bucket_h, on_time, sum(n)::BIGINT AS n FROM event_handling_daily "
                   f"WHERE day BETWEEN ? AND ?{where} GROUP BY ALL ORDER BY 1, 2")
        return self.store.df(sql, bounds + params)

    def deadline_hours(self, area: Area, start: str, end: str) -> float | None:
        """Return the median allowed handling time (deadline - report, hours) of the events
        reported in [start, end]; None when there are none.

        Exact over the allowed times to the whole hour: deadlines are set in hours, and the
        rollup keeps a count per whole hour (an exact median over 10 million raw rows takes
        ~200 ms, the counts ~2 ms). Townships and cells count their raw rows the same way.
        """
        where, params = self._where(area)
        if self._below_districts(area):
            reported, bounds = _reported(start, end)
            sql = (f"SELECT {DEADLINE_HOURS} AS deadline_h, count(*) AS n FROM grid_events "
                   f"WHERE {reported}{where} GROUP BY 1 ORDER BY 1")
        else:
            bounds = _days(start, end)
            sql = (f"SELECT deadline_h, sum(n)::BIGINT AS n FROM event_deadline_daily "
                   f"WHERE day BETWEEN ? AND ?{where} GROUP BY 1 ORDER BY 1")
        return _weighted_median(self.store.rows(sql, bounds + params))

    def overdue_events(self, area: Area, start: str, end: str, limit: int = 20
                       ) -> pd.DataFrame:
        """Return the events reported in [start, end] still open and past their deadline at
        the store's as-of time, most overdue first: event_id, district_code, township_code,
        grid_code, category, department_code, status, reported_at, deadline_at,
        hours_overdue (as-of time - deadline).

        Read from event_overdue, built with the rollups (the open events of ``n_overdue``).
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"limit must be a whole number >= 0, not {limit!r}")
        where, params = self._where(area)
        reported, bounds = _reported(start, end)
        return self.store.df(
            f"SELECT {', '.join(_OVERDUE_COLUMNS)} FROM event_overdue WHERE {reported}{where} "
            f"ORDER BY hours_overdue DESC, event_id LIMIT ?", bounds + params + [limit])

    def category_by_source(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return events reported in [start, end] per category and source: category,
        channel, n (empty combinations left out)."""
        where, params = self._where(area)
        if self._below_districts(area):
            reported, bounds = _reported(start, end)
            sql = (f"SELECT category, channel, count(*) AS n FROM grid_events "
                   f"WHERE {reported}{where} GROUP BY ALL ORDER BY 1, 2")
        else:
            bounds = _days(start, end)
            sql = (f"SELECT category, channel, sum(n)::BIGINT AS n FROM event_daily "
                   f"WHERE day BETWEEN ? AND ?{where} GROUP BY ALL ORDER BY 1, 2")
        return self.store.df(sql, bounds + params)

    def department_table(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return each department's record on the events reported in [start, end], most
        events first: department_code, name_zh, name_en, n, closure_rate (closed / n),
        on_time_rate (closed by the deadline / closed), satisfaction_rate (ratings >= 4 /
        ratings), all in %, and mean_hours (mean handling time of the closed events). NaN
        where a rate has nothing to divide by. The rates are the event indicators' own
        expressions (_EVENT_EXPR), so a department's figures read like the KPI cards'."""
        where, params = self._where(area)
        if self._below_districts(area):
            reported, bounds = _reported(start, end)
            sums = (f"SELECT department_code,{EVENT_SUMS} FROM grid_events "
                    f"WHERE {reported}{where} GROUP BY 1")
        else:
            bounds = _days(start, end)
            sums = f"SELECT * FROM event_department_daily WHERE day BETWEEN ? AND ?{where}"
        rates = ", ".join(f"{_EVENT_EXPR[code]} AS {column}"
                          for column, code in _DEPARTMENT_RATES.items())
        return self.store.df(
            f"SELECT e.department_code, d.name_zh, d.name_en, sum(e.n)::BIGINT AS n, {rates} "
            f"FROM ({sums}) e LEFT JOIN departments d ON d.code = e.department_code "
            f"GROUP BY ALL ORDER BY n DESC, e.department_code", bounds + params)

    def _event_table(self, area: Area, start: str, end: str, filters: tuple
                     ) -> tuple[str, list]:
        """The event table's FROM and WHERE (area, report days, table filters) and their
        parameters."""
        where, params = self._where(area)
        reported, bounds = _reported(start, end)
        conditions, values = _event_filters(filters)
        return (f"FROM {self._event_rows} WHERE {reported}{where}{conditions}",
                bounds + params + values)

    @cached_property
    def _event_rows(self) -> str:
        """What the event table reads: grid_events, with the reporter masked for a reader
        without clearance (so its filters and sorts see only the masked text as well), and
        with empty reporter columns in a store from before they existed."""
        columns = {name for (name,) in self.store.rows(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'grid_events'")}
        if not {"reporter_name", "reporter_phone"} <= columns:
            return ("(SELECT *, NULL::VARCHAR AS reporter_name, NULL::VARCHAR AS "
                    "reporter_phone FROM grid_events)")
        if self.scope.personal_data:
            return "grid_events"
        return f"(SELECT * REPLACE ({_MASKED_REPORTER}) FROM grid_events)"

    def _event_table_count(self, area: Area, start: str, end: str, filters: tuple,
                           from_where: str, params: list) -> int:
        """How many events the table's filters match. The daily rollups hold the count
        without a scan of every event when there is no table filter, or (at district scope)
        when every filter is an equality on event_daily's own columns."""
        where, area_params = self._where(area)
        if not filters:
            table = ("event_area_daily" if self._below_districts(area)
                     else "event_district_daily")
            sql = f"SELECT coalesce(sum(n), 0) FROM {table} WHERE day BETWEEN ? AND ?{where}"
            return int(self.store.rows(sql, _days(start, end) + area_params)[0][0])
        if not self._below_districts(area) and all(
                isinstance(item, tuple | list) and len(item) == 3
                and isinstance(item[0], str) and item[0] in _ROLLUP_FILTER_COLUMNS
                and isinstance(item[1], str) and item[1] in _ROLLUP_FILTER_OPS
                for item in filters):
            conditions, values = _event_filters(filters)
            sql = (f"SELECT coalesce(sum(n), 0) FROM event_daily WHERE day BETWEEN ? AND ?"
                   f"{where}{conditions}")
            return int(self.store.rows(sql, _days(start, end) + area_params + values)[0][0])
        return int(self.store.rows(f"SELECT count(*) {from_where}", params)[0][0])

    def events_page(self, area: Area, start: str, end: str, filters: tuple = (),
                    sort: str = "reported_at", descending: bool = True, offset: int = 0,
                    limit: int = 50) -> tuple[pd.DataFrame, int]:
        """Return one page of the events reported in [start, end] in an area, and how many
        events match in all: (rows with the EVENT_TABLE_COLUMNS, total).

        ``filters`` is a tuple of (column, op, value): column one of EVENT_TABLE_COLUMNS, op
        one of =, !=, <, <=, >, >= (a comparison never matches an empty cell), contains
        (case-insensitive, on the value as text), or in / not in with a tuple of values.
        ``sort`` is one of EVENT_TABLE_COLUMNS; empty cells sort last and ties go by
        event_id, so pages never overlap. Anything else raises ValueError naming it; values
        travel as parameters. DuckDB answers ORDER BY ... LIMIT with a top-N scan, so the
        first pages are fast at any size (a deep offset sorts more).
        """
        for name, number, most in (("offset", offset, None), ("limit", limit, _MAX_PAGE_ROWS)):
            if isinstance(number, bool) or not isinstance(number, int) or number < 0 or (
                    most is not None and number > most):
                raise ValueError(f"{name} must be a whole number from 0"
                                 f"{f' to {most:,}' if most else ''}, not {number!r}")
        from_where, params = self._event_table(area, start, end, filters)
        page = self._event_page(from_where, params, sort, descending, offset, limit)
        return page, self._event_table_count(area, start, end, filters, from_where, params)

    def _event_page(self, from_where: str, params: list, sort: str, descending: bool,
                    offset: int, limit: int) -> pd.DataFrame:
        """One page of the event table, in the table's order.

        A top-N over millions of rows is fast while its heap can skip most rows, and slow when
        the page lies inside a run of hundreds of thousands of equal values (a sort by
        category: every row of the first category ties, and ties go by event_id). For such
        columns the page's sort values are fetched first (a single-column top-N, a few ms);
        when they are all one value the page is that value's rows in event_id order, which
        DuckDB pages fast again: about 60 ms instead of 130 ms on 10 million events.
        """
        order = _event_order(sort, descending)
        if sort in _TIED_SORT_COLUMNS and limit > 0:
            column, direction = _event_column(sort, "sort"), "DESC" if descending else "ASC"
            keys = [key for (key,) in self.store.rows(
                f"SELECT {column} {from_where} ORDER BY {column} {direction} NULLS LAST "
                f"LIMIT ? OFFSET ?", params + [limit, offset])]
            if not keys:      # past the end: nothing to sort
                return self.store.df(f"SELECT {_EVENT_TABLE_SELECT} {from_where} LIMIT 0",
                                     params)
            if keys[0] == keys[-1]:
                value = keys[0]
                same, same_params = ((f"{column} IS NULL", []) if value is None
                                     else (f"{column} = ?", [value]))
                skip = 0
                if offset:   # the rows of this value that belong to earlier pages
                    before = (f"{column} IS NOT NULL" if value is None
                              else f"{column} {'>' if descending else '<'} ?")
                    earlier = self.store.rows(f"SELECT count(*) {from_where} AND {before}",
                                              params + same_params)[0][0]
                    skip = offset - int(earlier)
                return self.store.df(
                    f"SELECT {_EVENT_TABLE_SELECT} {from_where} AND {same} "
                    f"ORDER BY event_id LIMIT ? OFFSET ?", params + same_params + [limit, skip])
        return self.store.df(f"SELECT {_EVENT_TABLE_SELECT} {from_where} ORDER BY {order} "
                             f"LIMIT ? OFFSET ?", params + [limit, offset])

    def events_export(self, area: Area, start: str, end: str, filters: tuple = (),
                      sort: str = "reported_at", descending: bool = True
                      ) -> pa.RecordBatchReader:
        """Stream every event ``events_page`` would page through, in the same order and
        columns, as Arrow record batches (not memoised: a download reads it once).

        The schema's metadata declares the row count (data/export.py ROWS_METADATA_KEY), so
        the Excel writer refuses more rows than a sheet holds before writing anything.
        """
        from_where, params = self._event_table(area, start, end, filters)
        order = _event_order(sort, descending)
        total = self._event_table_count(area, start, end, filters, from_where, params)
        reader = self.store.batches(
            f"SELECT {_EVENT_TABLE_SELECT} {from_where} ORDER BY {order}", params)
        schema = reader.schema.with_metadata({ROWS_METADATA_KEY: str(total).encode()})
        return pa.RecordBatchReader.from_batches(schema, reader)

    # --- key-task supervision (重点工作督办) ---

    CACHED = (*CACHED, "key_tasks")

    def key_tasks(self, as_of: str, lang: str = "zh", department: str | None = None
                  ) -> pd.DataFrame:
        """Return the key tasks and where they stand in the month of ``as_of``, most urgent
        first: one row per task.

        Parameters
        ----------
        as_of : an ISO date; its month is the month judged.
        lang : "zh" or "en", the language of title, lead_department and district.
        department : only the tasks this department leads (a department code); all if None.

        Returns
        -------
        DataFrame with code, title, lead_department_code, lead_department, district_code
        (None for city-wide), district (the district's name, or 全市 / Citywide), start_month,
        due_month, period (the month of the latest progress report up to the as-of month, NaT
        before the first), progress (that report's cumulative %, 0 before it), planned (the
        linear plan's % by the end of the as-of month: months elapsed from the start month
        through the as-of month / months from the start through the due month, clipped to
        0..100) and status (KEY_TASK_STATUSES: done at 100%; overdue when the due month lies
        before the as-of month and the task is not done; at_risk when progress trails the
        plan by more than KEY_TASK_AT_RISK_GAP points; on_track otherwise). Sorted overdue,
        at_risk, on_track, done, then by due month and code.
        """
        month = month_start(as_of)
        if lang not in _LANG_COLUMNS:
            raise ValueError(f"lang must be one of {sorted(_LANG_COLUMNS)}, not {lang!r}")
        if not self.has_key_tasks:
            return pd.DataFrame(columns=KEY_TASK_COLUMNS)
        name, title = _LANG_COLUMNS[lang]
        where, params = ("", []) if department is None else (
            " AND k.lead_department_code = ?", [department])
        if self.scope.districts:       # a district's reader sees its own and city-wide tasks
            scoped, codes = self._scope_filter("k.district_code")
            where += f" AND (k.district_code IS NULL{scoped.replace(' AND ', ' OR ', 1)})"
            params += codes
        sql = f"""
            WITH latest AS (
                SELECT task_code, max(period) AS period, arg_max(progress, period) AS progress
                FROM key_task_progress WHERE period <= ? GROUP BY 1),
            judged AS (
                SELECT k.code, k.{title} AS title, k.lead_department_code,
                       d.{name} AS lead_department, k.district_code,
                       coalesce(s.{name}, ?) AS district, k.start_month, k.due_month,
                       l.period, coalesce(l.progress, 0.0) AS progress,
                       least(greatest(100.0 * (date_diff('month', k.start_month, ?) + 1)
                             / (date_diff('month', k.start_month, k.due_month) + 1), 0.0),
                             100.0) AS planned
                FROM key_tasks k
                JOIN departments d ON d.code = k.lead_department_code
                LEFT JOIN districts s ON s.code = k.district_code
                LEFT JOIN latest l ON l.task_code = k.code
                WHERE true{where})
            SELECT *, CASE WHEN progress >= ? THEN 'done'
                           WHEN due_month < ? THEN 'overdue'
                           WHEN progress < planned - ? THEN 'at_risk'
                           ELSE 'on_track' END AS status
            FROM judged ORDER BY list_position(?, status), due_month, code"""
        return self.store.df(sql, [month, _CITY_WIDE[lang], month, *params,
                                   KEY_TASK_DONE, month, KEY_TASK_AT_RISK_GAP,
                                   list(KEY_TASK_STATUSES)])

    # --- monthly report ---
    # What data/monthly.py asks beyond the screens' questions: which months have data, and
    # the grid cells whose event counts surge. Memoised like the rest (class-body statement:
    # the screens' CACHED tuple above stays as it is).

    CACHED = (*CACHED, "report_months", "event_cell_months", "event_cell_daily",
              "event_cell_window")

    def report_months(self) -> tuple[dt.date, ...]:
        """Return the first day of every month any fact table has data in (statistics, air,
        water, events), from the store's first shown month (meta ``first_month``) on, in
        order. Statistics before it exist only as year-ago bases and are not counted."""
        first = dt.date.fromisoformat(self._meta["first_month"])
        rows = self.store.rows(
            "SELECT DISTINCT m FROM (SELECT DISTINCT period AS m FROM indicator_values "
            "UNION ALL SELECT DISTINCT date_trunc('month', day)::DATE FROM air_daily "
            "UNION ALL SELECT DISTINCT period FROM water_quality "
            "UNION ALL SELECT DISTINCT date_trunc('month', day)::DATE FROM event_district_daily"
            ") WHERE m >= ? ORDER BY m", [first])
        return tuple(_as_date(m) for (m,) in rows)

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
            _days(start, end) + params + [int(min_count)])

    def event_cell_daily(self, cell: str, start: str, end: str) -> pd.DataFrame:
        """Return one grid cell's events reported per day in [start, end]: day, n (days
        without events absent)."""
        if self._area_column(cell) != "grid_code":
            raise KeyError(f"not a grid cell: {cell!r}")
        return self.store.df(
            "SELECT day, sum(n)::BIGINT AS n FROM event_area_daily "
            "WHERE grid_code = ? AND day BETWEEN ? AND ? GROUP BY 1 ORDER BY 1",
            [cell] + _days(start, end))

    def event_cell_window(self, start: str, end: str, base_start: str, base_end: str,
                          min_count: int) -> pd.DataFrame:
        """Return every grid cell with at least ``min_count`` events reported in [start, end]:
        grid_code, township_code, district_code, n, and n_base, its events in
        [base_start, base_end] (the wall compares the last days with the cell's usual)."""
        return self.store.df(
            "WITH hot AS (SELECT grid_code, any_value(township_code) AS township_code, "
            "any_value(district_code) AS district_code, sum(n)::BIGINT AS n "
            f"FROM event_area_daily WHERE day BETWEEN ? AND ?{self._scope_filter()[0]} "
            "GROUP BY 1 HAVING sum(n) >= ?) SELECT hot.*, coalesce((SELECT sum(a.n) FROM event_area_daily a "
            "WHERE a.grid_code = hot.grid_code AND a.day BETWEEN ? AND ?), 0)::BIGINT AS n_base "
            "FROM hot ORDER BY grid_code",
            _days(start, end) + self._scope_filter()[1] + [int(min_count)]
            + _days(base_start, base_end))


# --- grid governance screen: whitelists and helpers ------------------------------------------

#: The event table's columns in display order: the only names a sort or filter may use.
EVENT_TABLE_COLUMNS = ("event_id", "reported_at", "district_code", "township_code", "grid_code",
                       "category", "channel", "department_code", "status", "deadline_at",
                       "closed_at", "returned_count", "satisfaction", "reporter_name",
                       "reporter_phone")
#: The reporter as a reader without clearance sees it: 张** and 138****1234 (the surname
#: and the phone's carrier prefix and last four digits, as Chinese government systems show).
_MASKED_REPORTER = ("left(reporter_name, 1) || repeat('*', greatest(length(reporter_name) - 1,"
                    " 1)) AS reporter_name, left(reporter_phone, 3) || '****' || "
                    "right(reporter_phone, 4) AS reporter_phone")
#: column -> the SQL text written for it: SQL text comes from here, never from a request.
_EVENT_COLUMN_SQL = {column: column for column in EVENT_TABLE_COLUMNS}
_EVENT_TABLE_SELECT = ", ".join(_EVENT_COLUMN_SQL.values())
#: How a filter value is read for a column (text otherwise), so a bad value fails in Python
#: with a clear message rather than as a DuckDB conversion error.
_EVENT_COLUMN_KIND = {"event_id": "number", "returned_count": "number",
                      "satisfaction": "number", "reported_at": "date-time",
                      "deadline_at": "date-time", "closed_at": "date-time"}
#: Comparison operators a table filter may use -> their SQL.
_FILTER_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
#: Set operators (value: a tuple of values) -> their SQL; the screen maps names to codes.
_SET_OPS = {"in": "IN", "not in": "NOT IN"}
#: Table filters event_daily can count (its own columns, equality and set operators).
_ROLLUP_FILTER_COLUMNS = frozenset({"district_code", "category", "channel", "status"})
_ROLLUP_FILTER_OPS = frozenset({"=", "!=", "in", "not in"})
#: Sort columns with few values spread over the whole table: long runs of ties (see
#: Queries._event_page). The area codes are not here: the table is stored in their order.
_TIED_SORT_COLUMNS = frozenset({"category", "channel", "department_code", "status",
                                "returned_count", "satisfaction"})
#: A page is for reading; whole result sets go through events_export.
_MAX_PAGE_ROWS = 10_000
#: Life-cycle stage -> the rollup column counting the events that reached it.
_STAGE_COUNT = {"reported": "n", "accepted": "n_accepted", "dispatched": "n_dispatched",
                "handled": "n_handled", "verified": "n_verified", "closed": "n_closed"}
#: The department table's rate columns -> the event indicator whose expression they use.
_DEPARTMENT_RATES = {"closure_rate": "closure_rate", "on_time_rate": "on_time_rate",
                     "satisfaction_rate": "satisfaction_rate",
                     "mean_hours": "mean_handling_hours"}
_OVERDUE_COLUMNS = ("event_id", "district_code", "township_code", "grid_code", "category",
                    "department_code", "status", "reported_at", "deadline_at", "hours_overdue")


def _days(start: str, end: str) -> list[dt.date]:
    """[start, end] as dates, for the rollups' day column."""
    return [dt.date.fromisoformat(start), dt.date.fromisoformat(end)]


def _reported(start: str, end: str) -> tuple[str, list[dt.datetime]]:
    """The grid_events condition for events reported on the days [start, end]: a half-open
    range of timestamps, compared without casting every row to a date."""
    first, last = _days(start, end)
    return ("reported_at >= ? AND reported_at < ?",
            [dt.datetime.combine(first, dt.time()),
             dt.datetime.combine(last + dt.timedelta(days=1), dt.time())])


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


def _event_column(column, what: str) -> str:
    """The SQL text of an event-table column, from the whitelist; ValueError otherwise."""
    sql = _EVENT_COLUMN_SQL.get(column) if isinstance(column, str) else None
    if sql is None:
        raise ValueError(f"unknown {what} column {column!r}; the event table's columns are "
                         f"{', '.join(EVENT_TABLE_COLUMNS)}")
    return sql


def _event_order(sort: str, descending: bool) -> str:
    """ORDER BY text of the event table: the column, empty cells last, then event_id."""
    column = _event_column(sort, "sort")
    direction = "DESC" if descending else "ASC"
    return f"{column} {direction} NULLS LAST" + ("" if column == "event_id" else ", event_id")


def _filter_value(column: str, value):
    """A filter value read as its column's kind (number, date-time or text)."""
    kind = _EVENT_COLUMN_KIND.get(column, "text")
    try:
        if isinstance(value, bool) or value is None:
            raise TypeError
        if kind == "number":
            if isinstance(value, int | float):
                number = value
            else:
                text = str(value).strip()
                try:
                    number = int(text)
                except ValueError:
                    number = float(text)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError
            return number
        if kind == "date-time":
            if isinstance(value, dt.datetime):
                return value
            if isinstance(value, dt.date):
                return dt.datetime.combine(value, dt.time())
            return dt.datetime.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(f"filter value {value!r} is not a {kind} for column {column}"
                         ) from None
    return str(value)


#: The event table's filter values are checked with this before a query is built (the screen's
#: filter row turns a refused value into a clear message instead of an error).
event_filter_value = _filter_value


def _event_filters(filters: tuple) -> tuple[str, list]:
    """The table filters as " AND <condition>..." and their parameters."""
    if not isinstance(filters, tuple | list):
        raise ValueError(f"table filters are a tuple of (column, op, value), not {filters!r}")
    conditions, values = [], []
    for item in filters:
        condition, more = _event_filter(item)
        conditions.append(f" AND {condition}")
        values += more
    return "".join(conditions), values


def _event_filter(item) -> tuple[str, list]:
    """One (column, op, value) table filter as a SQL condition and its parameters."""
    if not isinstance(item, tuple | list) or len(item) != 3:
        raise ValueError(f"a table filter is (column, op, value), not {item!r}")
    column, op, value = item
    sql = _event_column(column, "filter")
    if op == "contains":
        if value is None or isinstance(value, bool):
            raise ValueError(f"filter value {value!r} cannot be searched for in {column}")
        return f"contains(lower(CAST({sql} AS VARCHAR)), ?)", [str(value).lower()]
    if isinstance(op, str) and op in _SET_OPS:
        if not isinstance(value, tuple | list | set | frozenset):
            raise ValueError(f"filter {op!r} on {column} takes a tuple of values, "
                             f"not {value!r}")
        values = [_filter_value(column, v) for v in value]
        if not values:
            return ("false" if op == "in" else "true"), []
        return f"{sql} {_SET_OPS[op]} ({', '.join('?' * len(values))})", values
    if not isinstance(op, str) or op not in _FILTER_OPS:
        raise ValueError(f"unknown filter operator {op!r} on {column}; known: "
                         f"{', '.join([*_FILTER_OPS, 'contains', *_SET_OPS])}")
    return f"{sql} {_FILTER_OPS[op]} ?", [_filter_value(column, value)]


Range = tuple[dt.date, dt.date]


def _shift(rng: Range, years: int) -> Range:
    return shift_years(rng[0], years), shift_years(rng[1], years)


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# --- monthly report ---

def _as_date(value) -> dt.date:
    """A DuckDB DATE or TIMESTAMP value as a date."""
    return value.date() if isinstance(value, dt.datetime) else value


def _change(value: float | None, prior: float | None, ind: Indicator) -> float | None:
    """Year-on-year change: % growth for flows and stocks, the difference for rates."""
    if value is None or prior is None:
        return None
    if ind.is_growth:
        return (value / prior - 1.0) * 100.0 if prior else None
    return value - prior


def _summary(records: list[dict], ind: Indicator, r_value: int, r_prior: int) -> dict:
    """Return {value, prior, yoy, headline, last} from the records of two ranges."""
    by_r = {rec["r"]: (rec["value"], rec["last"]) for rec in records}
    value, last = by_r.get(r_value, (None, None))
    value, prior = _float(value), _float(by_r.get(r_prior, (None, None))[0])
    yoy = _change(value, prior, ind)
    return {"value": value, "prior": prior, "yoy": yoy,
            "headline": yoy if ind.is_growth else value,
            "last": None if last is None or pd.isna(last) else last}


def _with_change(frame: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """Add yoy and headline columns to a frame of value and prior."""
    # _change over whole columns: % growth (none from a zero base) or the difference
    value, prior = frame["value"].astype(float), frame["prior"].astype(float)
    frame["yoy"] = ((value / prior.where(prior != 0) - 1.0) * 100.0 if ind.is_growth
                    else value - prior)
    frame["headline"] = frame["yoy"] if ind.is_growth else frame["value"].astype(float)
    return frame


# --- economy screen ---

def _with_earlier(frame: pd.DataFrame, keys: list[str], months: int, name: str
                  ) -> pd.DataFrame:
    """Add column ``name``: each row's value ``months`` earlier (same keys), NaN when absent.

    A merge on the shifted month, not a positional shift: a missing month (or GDP's
    quarter-end-only months) must not pair a value with the wrong period.
    """
    earlier = frame[keys + ["period", "value"]].rename(columns={"value": name})
    earlier["period"] = earlier["period"] + pd.DateOffset(months=months)
    return frame.merge(earlier, on=keys + ["period"], how="left")
