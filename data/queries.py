"""The query layer: the only code that speaks SQL.

Every question the screens ask is a method here taking small hashable arguments (codes, ISO
dates) and returning a DataFrame or a plain value. Values travel as ``?`` parameters; the few
names that reach SQL text (aggregate expressions) are picked from fixed dicts keyed by the
catalogue, never taken from a request. Results are memoised with flask-caching, keyed by the
store file's fingerprint so a reloaded store never answers from an old cache.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import pandas as pd

from data import catalog
from data.aqi import level_index
from data.catalog import Indicator
from data.store import Store

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
# How a monthly statistic adds up over the months of a range, per district.
_TIME_COLUMN = {"sum": "total", "mean": "average", "last": "latest"}

#: kind -> (table, metric expressions, date column) for the derived indicators.
_SOURCE_OF = {"air": ("air_daily", _AIR_EXPR, "day"),
              "water": ("water_quality", _WATER_EXPR, "period"),
              "events": ("event_district_daily", _EVENT_EXPR, "day")}


def month_start(day: str | dt.date) -> dt.date:
    """Return the first day of the month containing ``day``."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return d.replace(day=1)


def month_end(day: str | dt.date) -> dt.date:
    """Return the last day of the month containing ``day``."""
    first = month_start(day)
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


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
              "events_by_category", "kpis")

    def __init__(self, store: Store, cache=None):
        self.store = store
        if cache is not None:
            for name in self.CACHED:
                setattr(self, name, cache.memoize()(getattr(self, name)))

    def __caching_id__(self) -> str:
        # flask-caching keys memoised methods by this: a new store file means new keys.
        return self.store.fingerprint

    # --- dimensions ---------------------------------------------------------------------------

    # Dimensions are small and fixed for the life of a store file: kept on the instance
    # (a new store gets a new Queries), so no callback pays a query for them.

    @cached_property
    def _meta(self) -> dict:
        return dict(self.store.rows("SELECT key, value FROM meta"))

    @cached_property
    def _districts(self) -> pd.DataFrame:
        return self.store.df("SELECT code, name_zh, name_en, population, area_km2, lon, lat "
                             "FROM districts ORDER BY code")

    @cached_property
    def _areas(self) -> dict[str, pd.DataFrame]:
        return {
            "townships": self.store.df(
                "SELECT code, name_zh, name_en, district_code AS parent, population "
                "FROM townships ORDER BY code"),
            "grid_cells": self.store.df(
                "SELECT code, name_zh, name_zh AS name_en, township_code AS parent, population "
                "FROM grid_cells ORDER BY code"),
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

    def names_text(self) -> str:
        """Return every place, station, section and department name in the store, joined
        (the characters the interface font must hold)."""
        return self.store.rows(
            "SELECT string_agg(name_zh || name_en, '') FROM (SELECT name_zh, name_en FROM "
            "districts UNION ALL SELECT name_zh, name_en FROM townships UNION ALL SELECT "
            "name_zh, name_en FROM stations UNION ALL SELECT name_zh, name_en FROM "
            "water_sections UNION ALL SELECT name_zh, name_en FROM departments UNION ALL "
            "SELECT value, '' FROM meta WHERE key LIKE 'city_name_%')")[0][0] or ""

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
            weight = self._population[row["district_code"]]
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
        if area is None:
            return "district_code", ()
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

    def event_metric_by_area(self, code: str, parent: str, start: str, end: str
                             ) -> pd.DataFrame:
        """Return an event metric for each child of ``parent``: a district's townships or a
        township's grid cells, over [start, end] and the same range a year earlier.

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
                                     if parent_column == "district_code"
                                     else ("grid_cells", "grid_code"))
        cur = self._clamp(ind, start, end)
        parts, params = [], []
        for r, (s, e) in enumerate((cur, _shift(cur, -1))):
            parts.append(f"SELECT {r} AS r, {child_column} AS area_code, "
                         f"{_EVENT_EXPR[code]} AS value FROM event_area_daily "
                         f"WHERE {parent_column} = ? AND day BETWEEN ? AND ? GROUP BY 2")
            params += [parent, s, e]
        found = {(rec["area_code"], rec["r"]): _float(rec["value"])
                 for rec in self.store.records(" UNION ALL ".join(parts), params)}
        frame = self._areas[child_level]
        frame = frame[frame["parent"] == parent].rename(columns={"code": "area_code"})
        frame = frame[["area_code", "name_zh", "name_en", "population"]].copy()
        for r, name in ((0, "value"), (1, "prior")):
            frame[name] = [found.get((c, r)) for c in frame["area_code"]]
            frame[name] = frame[name].astype(float)
            if code == "events_per_10k":
                frame[name] /= frame["population"].where(frame["population"] > 0)
        return _with_change(frame.drop(columns="population").reset_index(drop=True), ind)

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

    def kpis(self, area: str | None, start: str, end: str) -> pd.DataFrame:
        """Return the KPI cards' figures: code, value, headline, yoy, last, previous, status.

        ``area`` is the city (None), a district, a township or a grid cell: event metrics
        follow it down; statistics, air and water exist per district and follow its district.
        ``previous`` is the headline for the same range ending one month earlier: the card's
        trend arrow compares with it.
        """
        self._scope(area)     # refuses unknown codes
        specs = []
        for code in KPI_CODES:
            ind = catalog.get(code)
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
        column = self._area_column(parent)
        child = "township_code" if parent is None else "grid_code"
        return self.store.df(
            f"SELECT {child} AS area_code, sum(n)::BIGINT AS n FROM event_area_daily "
            f"WHERE day BETWEEN ? AND ?" + (f" AND {column} = ?" if parent else "")
            + " GROUP BY 1 ORDER BY 1",
            [dt.date.fromisoformat(start), dt.date.fromisoformat(end)]
            + ([parent] if parent else []))

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


Range = tuple[dt.date, dt.date]


def _shift(rng: Range, years: int) -> Range:
    return shift_years(rng[0], years), shift_years(rng[1], years)


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


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
    frame["yoy"] = [_change(_float(v), _float(p), ind)
                    for v, p in zip(frame["value"], frame["prior"])]
    frame["yoy"] = frame["yoy"].astype(float)
    frame["headline"] = frame["yoy"] if ind.is_growth else frame["value"].astype(float)
    return frame
