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
from data.catalog import Indicator
from data.store import Store

#: The overview's KPI cards, in display order.
KPI_CODES = ("gdp", "fixed_asset_investment", "retail_sales", "unemployment_rate",
             "good_air_rate", "water_good_rate", "closure_rate", "on_time_rate",
             "satisfaction_rate")

# Over the months of a range, per district.
_TIME_AGG = {"sum": "sum(value)", "mean": "avg(value)", "last": "arg_max(value, period)"}
# Across districts, for the city.
_SPACE_AGG = {"sum": "sum(value)", "mean": "sum(value * population) / sum(population)"}
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

#: kind -> (table, metric expressions, date column) for the derived indicators.
_SOURCE_OF = {"air": ("air_daily", _AIR_EXPR, "day"),
              "water": ("water_quality", _WATER_EXPR, "period"),
              "events": ("event_daily", _EVENT_EXPR, "day")}


def month_start(day: str | dt.date) -> dt.date:
    """Return the first day of the month containing ``day``."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return d.replace(day=1)


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
    CACHED = ("districts", "meta", "indicator_by_district", "indicator_value",
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

    def meta(self) -> dict:
        """Return the store's key/value metadata (city names, as-of time, demo flag, ...)."""
        return dict(self.store.rows("SELECT key, value FROM meta"))

    def districts(self) -> pd.DataFrame:
        """Return districts: code, name_zh, name_en, population, area_km2, lon, lat."""
        return self.store.df("SELECT code, name_zh, name_en, population, area_km2, lon, lat "
                             "FROM districts ORDER BY code")

    @cached_property
    def district_codes(self) -> frozenset[str]:
        return frozenset(self.districts()["code"])

    def date_bounds(self) -> tuple[dt.date, dt.date]:
        """Return the first and last day any fact covers."""
        meta = self.meta()
        return (dt.date.fromisoformat(meta["first_month"]),
                dt.datetime.fromisoformat(meta["as_of"]).date())

    # --- indicators ---------------------------------------------------------------------------

    def _check(self, code: str, district: str | None = None) -> Indicator:
        ind = catalog.get(code)
        if district is not None and district not in self.district_codes:
            raise KeyError(f"unknown district {district!r}")
        return ind

    def _metric_sql(self, ind: Indicator, by_district: bool, district: str | None,
                    start: dt.date, end: dt.date) -> tuple[str, list]:
        """SQL giving ``value`` (per district_code when ``by_district``) for one range."""
        params: list = []
        where_d = ""
        if district is not None:
            where_d = " AND district_code = ?"
        if ind.kind == "value":
            params = [ind.code, month_start(start), end] + ([district] if district else [])
            inner = (f"SELECT district_code, {_TIME_AGG[ind.time]} AS value, max(period) AS last "
                     f"FROM indicator_values WHERE indicator_code = ? "
                     f"AND period BETWEEN ? AND ?{where_d} GROUP BY district_code")
            if by_district:
                return f"SELECT district_code, value, last FROM ({inner})", params
            return (f"SELECT {_SPACE_AGG[ind.space]} AS value, max(last) AS last FROM ({inner}) v "
                    f"JOIN districts d ON d.code = v.district_code"), params
        table, exprs, col = _SOURCE_OF[ind.kind]
        expr = exprs[ind.code]
        if ind.kind == "water":
            start = month_start(start)
        params = [start, end] + ([district] if district else [])
        group = "district_code, " if by_district else ""
        sql = (f"SELECT {group}{expr} AS value, max({col}) AS last FROM {table} "
               f"WHERE {col} BETWEEN ? AND ?{where_d}"
               + (" GROUP BY district_code" if by_district else ""))
        return sql, params

    def _clamp(self, ind: Indicator, start: str, end: str) -> tuple[dt.date, dt.date]:
        """Parse a range and end it at the indicator's latest published month.

        Statistics arrive a month late: without this, Jan-Nov this year (November not yet
        published) would be compared with a full Jan-Nov a year ago.
        """
        s, e = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        if ind.kind in ("value", "water"):
            latest = self.store.rows(
                "SELECT max(period) FROM indicator_values WHERE indicator_code = ?"
                if ind.kind == "value" else "SELECT max(period) FROM water_quality",
                [ind.code] if ind.kind == "value" else [])[0][0]
            if latest is not None:
                last_day = (latest.replace(day=28) + dt.timedelta(days=4)).replace(day=1) \
                    - dt.timedelta(days=1)
                e = min(e, last_day)
        return s, e

    def _per_capita(self, values: pd.Series, ind: Indicator, district: str | None) -> pd.Series:
        """Divide per-10k numerators by the population of the city or the district."""
        if ind.code != "events_per_10k":
            return values
        pop = self.districts().set_index("code")["population"]
        return values / (pop[district] if district else pop.sum())

    def indicator_by_district(self, code: str, start: str, end: str) -> pd.DataFrame:
        """Return one indicator per district over [start, end].

        Columns: district_code, name_zh, name_en, value (the range's aggregate), prior (the
        same range a year earlier), yoy (% change, or point change for level-based rates),
        headline (the value on the catalogue's basis: yoy or level).
        """
        ind = self._check(code)
        s, e = self._clamp(ind, start, end)
        cur_sql, cur_p = self._metric_sql(ind, True, None, s, e)
        pri_sql, pri_p = self._metric_sql(ind, True, None, shift_years(s, -1), shift_years(e, -1))
        frame = self.store.df(
            f"SELECT d.code AS district_code, d.name_zh, d.name_en, c.value, p.value AS prior "
            f"FROM districts d LEFT JOIN ({cur_sql}) c ON c.district_code = d.code "
            f"LEFT JOIN ({pri_sql}) p ON p.district_code = d.code ORDER BY d.code",
            cur_p + pri_p)
        if ind.code == "events_per_10k":
            pop = frame["district_code"].map(self.districts().set_index("code")["population"])
            frame["value"] = frame["value"] / pop
            frame["prior"] = frame["prior"] / pop
        return _with_change(frame, ind)

    def indicator_value(self, code: str, district: str | None, start: str, end: str) -> dict:
        """Return {value, prior, yoy, headline, last} for the city or one district."""
        ind = self._check(code, district)
        s, e = self._clamp(ind, start, end)
        cur_sql, cur_p = self._metric_sql(ind, False, district, s, e)
        pri_sql, pri_p = self._metric_sql(ind, False, district, shift_years(s, -1),
                                          shift_years(e, -1))
        frame = self.store.df(f"SELECT c.value, c.last, p.value AS prior FROM ({cur_sql}) c, "
                              f"({pri_sql}) p", cur_p + pri_p)
        frame["value"] = self._per_capita(frame["value"], ind, district)
        frame["prior"] = self._per_capita(frame["prior"], ind, district)
        row = _with_change(frame, ind).iloc[0]
        return {k: (None if pd.isna(row[k]) else row[k])
                for k in ("value", "prior", "yoy", "headline", "last")}

    def indicator_monthly(self, code: str, district: str | None) -> pd.DataFrame:
        """Return the indicator month by month over every month in the store.

        Columns: period (month start), value, yoy, headline (as in ``indicator_by_district``).
        """
        ind = self._check(code, district)
        first = dt.date(1900, 1, 1)
        where_d = " AND district_code = ?" if district else ""
        if ind.kind == "value":
            inner = (f"SELECT period, district_code, value FROM indicator_values "
                     f"WHERE indicator_code = ?{where_d}")
            frame = self.store.df(
                f"SELECT period, {_SPACE_AGG[ind.space]} AS value FROM ({inner}) v "
                f"JOIN districts d ON d.code = v.district_code GROUP BY period ORDER BY period",
                [code] + ([district] if district else []))
        else:
            table, expr, col = _SOURCE_OF[ind.kind]
            frame = self.store.df(
                f"SELECT date_trunc('month', {col})::DATE AS period, {expr[code]} AS value "
                f"FROM {table} WHERE {col} >= ?{where_d} GROUP BY 1 ORDER BY 1",
                [first] + ([district] if district else []))
            frame["value"] = self._per_capita(frame["value"], ind, district)
        frame["period"] = pd.to_datetime(frame["period"])
        prior = frame.set_index("period")["value"]
        prior.index = prior.index + pd.DateOffset(years=1)
        frame["prior"] = frame["period"].map(prior)
        return _with_change(frame, ind)

    # --- environment and events ---------------------------------------------------------------

    def aqi_daily(self, district: str | None) -> pd.DataFrame:
        """Return the daily AQI (mean over stations) and its level: day, aqi, level."""
        where = "WHERE district_code = ?" if district else ""
        frame = self.store.df(
            f"SELECT day, round(avg(aqi)) AS aqi FROM air_daily {where} GROUP BY day ORDER BY day",
            [district] if district else [])
        from data.aqi import level_index
        frame["level"] = level_index(frame["aqi"])
        return frame

    def events_monthly_by_status(self, district: str | None) -> pd.DataFrame:
        """Return events reported per month and current status: period, status, n."""
        where = "WHERE district_code = ?" if district else ""
        return self.store.df(
            f"SELECT date_trunc('month', day)::DATE AS period, status, sum(n)::BIGINT AS n "
            f"FROM event_daily {where} GROUP BY ALL ORDER BY 1, 2",
            [district] if district else [])

    def events_by_category(self, district: str | None, start: str, end: str) -> pd.DataFrame:
        """Return events per category over a range: category, n, n_closed, n_on_time."""
        where_d = " AND district_code = ?" if district else ""
        return self.store.df(
            f"SELECT category, sum(n)::BIGINT AS n, sum(n_closed)::BIGINT AS n_closed, "
            f"sum(n_on_time)::BIGINT AS n_on_time FROM event_daily "
            f"WHERE day BETWEEN ? AND ?{where_d} GROUP BY category ORDER BY n DESC",
            [dt.date.fromisoformat(start), dt.date.fromisoformat(end)]
            + ([district] if district else []))

    def kpis(self, district: str | None, start: str, end: str) -> pd.DataFrame:
        """Return the KPI cards' figures: code, value, headline, yoy, last, previous, status.

        ``previous`` is the headline for the same range ending one month earlier: the card's
        trend arrow compares with it.
        """
        rows = []
        for code in KPI_CODES:
            ind = catalog.get(code)
            s, e = self._clamp(ind, start, end)
            prev_end = e.replace(day=1) - dt.timedelta(days=1)
            prev_start = min(s, prev_end.replace(day=1))
            now = self.indicator_value(code, district, start, end)
            before = self.indicator_value(code, district, prev_start.isoformat(),
                                          prev_end.isoformat())
            rows.append({"code": code, **now, "previous": before["headline"],
                         "status": catalog.breach(ind, now["headline"])})
        return pd.DataFrame(rows)


def _with_change(frame: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    value = frame["value"].astype(float)
    prior = frame["prior"].astype(float)
    if ind.kind == "value" and ind.basis == "yoy":
        yoy = (value / prior.where(prior != 0) - 1.0) * 100.0
    else:
        yoy = value - prior
    frame["yoy"] = yoy
    frame["headline"] = yoy if ind.basis == "yoy" else value
    return frame
