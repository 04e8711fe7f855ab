"""Alerts: where an indicator is past its catalogue alert line, air is heavily polluted, or a
grid cell's events surge. One set of rules for the monthly report (``find`` over a month) and
for the wall (``live``: the same rules over the last days up to the store's as-of time).

Three rules: an alert line crossed by a district's (or the city's) value for the period
(``catalog.breach`` == "alert"; the line in force for the period's year and the district:
its own, the city's from a targets file, or the catalogue's, ``Catalogue.target``);
districts with days of heavy air pollution or worse (a station's daily AQI at level >= 4,
i.e. above 200); grid cells whose events reach 5x their usual count and at least 20.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import pandas as pd

import i18n
from data import catalog
from data.aqi import level_index
from data.calendar import month_start
from data.catalog import Indicator

#: AQI level (index into data.aqi.LEVELS) from which a day is an alert: 4 = 重度污染 (> 200).
HEAVY_LEVEL = 4
#: A grid cell surges when its events in the month reach this many times its median monthly
#: count (over the store's other months, months without events counting as 0) ...
SURGE_FACTOR = 5
#: ... and at least this many.
SURGE_MIN = 20

#: The wall's windows, ending at the store's as-of day: rates over the last 30 days (a week's
#: events are mostly still open, so a week's closure rate would always look bad) ...
LIVE_RATE_DAYS = 30
#: ... heavy air pollution today or yesterday ...
LIVE_AQI_DAYS = 2
#: ... and a surge: a cell's events in the last 3 days against its usual 3 days, the average
#: over the LIVE_BASELINE_DAYS before them.
LIVE_SURGE_DAYS = 3
LIVE_BASELINE_DAYS = 91
#: Feeds the wall watches: those that change within a day.
LIVE_FREQUENCIES = ("daily", "event")

ALERT_COLUMNS = ("what", "where", "value", "threshold", "since", "rule", "code", "area_code",
                 "unit", "as_of", "severity", "peak", "baseline", "detail")
#: Alert rules, in the order the summary counts them.
ALERT_RULES = ("threshold", "aqi", "surge")



# --- alerts ------------------------------------------------------------------------------------

def find(runtime, start: dt.date, end: dt.date, districts, lang: str) -> pd.DataFrame:
    """Return the alerts of [start, end] (a month), optionally only in some districts, most
    severe first (ALERT_COLUMNS)."""
    return _ordered(_threshold_alerts(runtime, start, end, districts, lang)
                    + _aqi_alerts(runtime, start, end, districts, lang)
                    + _surge_alerts(runtime, start, end, districts, lang))


def live(runtime, lang: str) -> pd.DataFrame:
    """Return the alerts standing at the store's as-of time, most severe first, for the wall:
    ALERT_COLUMNS plus ``scene`` (the wall scene that shows it) and ``key`` (stable while
    the alert stands, so the wall can tell a new alert from one it already shows).

    Only feeds that move within a day are watched (LIVE_FREQUENCIES: air and events, over
    the trailing LIVE_RATE_DAYS); monthly statistics are the monthly report's business."""
    today = runtime.as_of.date()
    rows = (_threshold_alerts(runtime, today - dt.timedelta(days=LIVE_RATE_DAYS - 1), today,
                              None, lang, frequencies=LIVE_FREQUENCIES)
            + _aqi_alerts(runtime, today - dt.timedelta(days=LIVE_AQI_DAYS - 1), today, None,
                          lang)
            + _recent_surge_alerts(runtime, today, lang))
    frame = _ordered(rows)
    frame["scene"] = [scene_of(rule, code, runtime.catalogue)
                      for rule, code in zip(frame["rule"], frame["code"])]
    frame["key"] = frame["rule"] + ":" + frame["code"] + ":" + frame["area_code"].astype(str)
    return frame


def scene_of(rule: str, code: str, catalogue: catalog.Catalogue) -> str:
    """The wall scene that shows an alert: its indicator's domain (AQI: environment; a surge
    of events: grid governance)."""
    if rule == "aqi":
        return "environment"
    if rule == "surge":
        return "grid"
    return catalogue.get(code).domain


def _ordered(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    for column in ("value", "threshold", "severity", "peak", "baseline"):
        frame[column] = frame[column].astype(float)
    if frame.empty:
        return frame
    frame["_rule"] = frame["rule"].map(ALERT_RULES.index)
    frame = frame.sort_values(["severity", "_rule", "area_code", "code"],
                              ascending=[False, True, True, True])
    return frame.drop(columns="_rule").reset_index(drop=True)


def _severity(ind: Indicator, value: float) -> float:
    """How far past the alert line, in units of the gap between target and alert line."""
    gap = abs(ind.target - ind.alert) if ind.target is not None else 0.0
    return abs(value - ind.alert) / (gap or 1.0)


def _threshold_alerts(runtime, start, end, districts, lang,
                      frequencies: tuple[str, ...] | None = None) -> list[dict]:
    """Every indicator with an alert line in force, per district (growth, rates and means:
    see ``_per_district``; any indicator where a district has a target of its own) and for
    the city: the month's value on the indicator's basis past the line
    (``catalog.breach`` == "alert"), each against the line of its year and district.
    ``since``: the first month of the unbroken run of months (quarters for quarterly
    statistics) past the line that ends with this one (each month against its year's line)."""
    q, names, catalogue = runtime.queries, runtime.names(lang), runtime.catalogue
    first_day = runtime.context.first_day.isoformat()
    s, e = start.isoformat(), end.isoformat()
    rows = []
    for ind in catalogue:
        if frequencies is not None and ind.frequency not in frequencies:
            continue
        # the value of a range ending early in a year may be the year before's (statistics
        # are published a month late): either year's line counts
        if not any(catalogue.has_alert_line(ind.code, year)
                   for year in {end.year, end.year - 1}):
            continue
        frame = q.indicator_by_district(ind.code, s, e)
        if districts is not None:
            frame = frame[frame["district_code"].isin(districts)]
        if not _per_district(ind):
            frame = frame[frame["own_target"]]
        hits = [(row.district_code, names[row.district_code], num(row.headline), row.last,
                 _held(ind, row.target, row.alert)) for row in frame.itertuples()
                if row.status == "alert"]
        if districts is None:
            city = q.indicator_value(ind.code, None, s, e)
            if city["status"] == "alert":
                hits.append((None, runtime.scope_name(lang), city["headline"], city["last"],
                             _held(ind, city["target"], city["alert"])))
        if not hits:
            continue
        series = q.indicator_monthly_by_district(ind.code, first_day, e)
        for code, where, value, last, held in hits:
            if code is None:
                monthly = q.indicator_monthly(ind.code, None)
            else:
                monthly = series[series["district_code"] == code]
            rows.append({
                "rule": "threshold", "code": ind.code,
                "area_code": code or runtime.meta.get("city_code"),
                "what": _alert_what(ind, lang), "where": where, "value": value,
                "threshold": held.alert, "unit": headline_unit(ind, lang),
                "since": _since(catalogue, ind, code, monthly, last, start),
                "as_of": as_of_label(last, ind.frequency), "severity": _severity(held, value),
                "peak": None, "baseline": None, "detail": ""})
    return rows


def _held(ind: Indicator, target, alert) -> Indicator:
    """The indicator held to a row's target and alert line."""
    return replace(ind, target=None if pd.isna(target) else float(target),
                   alert=None if pd.isna(alert) else float(alert))


def _per_district(ind: Indicator) -> bool:
    """True when a district's value can be held to the city's lines: growth rates and
    rates or means are scale-free; a city total's target (500 smart-approval services) says
    nothing about one district's share of it, so totals are checked for the city only, and
    for a district that has a target of its own (a targets file)."""
    return ind.is_growth or ind.space == "mean"


def _alert_what(ind: Indicator, lang: str) -> str:
    name = indicator_name(ind, lang)
    if ind.is_growth:
        return f"{name} {i18n.t('mr_growth', lang)}" if lang == "en" else \
            f"{name}{i18n.t('mr_growth', lang)}"
    return name


def _since(catalogue: catalog.Catalogue, ind: Indicator, district: str | None,
           monthly: pd.DataFrame, last, start: dt.date) -> dt.date:
    """The first period of the run of periods past the alert line ending at the value's, each
    period against the line of its year (and the district's own)."""
    period = month_start(pd.Timestamp(last).date()) if has_date(last) else start
    frame = monthly[monthly["period"] <= pd.Timestamp(period)].sort_values("period")
    since = period
    for row in frame.iloc[::-1].itertuples():
        held = catalogue.applied(ind.code, pd.Timestamp(row.period).year, district)
        if catalog.breach(held, num(row.headline)) != "alert":
            break
        since = pd.Timestamp(row.period).date()
    return since


def _aqi_alerts(runtime, start, end, districts, lang) -> list[dict]:
    """Districts with days on which a station's daily AQI was at level >= HEAVY_LEVEL
    (重度污染 and worse): value = those days, since = the first of them, peak = the worst
    daily AQI, detail = the stations."""
    q, names = runtime.queries, runtime.names(lang)
    rows = []
    for code in districts or sorted(q.district_codes):
        frame = q.pollutant_daily(code, "aqi", start.isoformat(), end.isoformat())
        heavy = frame[level_index(frame["value"]) >= HEAVY_LEVEL]
        if heavy.empty:
            continue
        days = heavy["day"].nunique()
        stations = heavy.drop_duplicates("station_code")[
            "name_en" if lang == "en" else "name_zh"].tolist()
        rows.append({
            "rule": "aqi", "code": "aqi", "area_code": code,
            "what": i18n.t("mr_alert_aqi", lang), "where": names[code], "value": float(days),
            "threshold": 1.0, "unit": i18n.t("mr_days", lang),
            "since": pd.Timestamp(heavy["day"].min()).date(),
            "as_of": pd.Timestamp(heavy["day"].max()).strftime("%Y-%m-%d"),
            "severity": float(days), "peak": float(heavy["value"].max()), "baseline": None,
            "detail": (", " if lang == "en" else "、").join(stations)})
    return rows


def _surge_alerts(runtime, start, end, districts, lang) -> list[dict]:
    """Grid cells whose events reported in the month reach SURGE_FACTOR times their median
    monthly count (the store's other months, a month without events counting 0) and at least
    SURGE_MIN. ``since``: the first day of the last unbroken run of days each with at least
    the threshold's daily share (threshold / days of the month, at least 1)."""
    q, names = runtime.queries, runtime.names(lang)
    frame = q.event_cell_months(start.isoformat(), end.isoformat(), SURGE_MIN, districts)
    if frame.empty:
        return []
    months = [pd.Timestamp(m) for m in q.report_months()]
    this = pd.Timestamp(start)
    rows = []
    for cell, group in frame.groupby("grid_code", sort=True):
        counts = dict(zip(pd.to_datetime(group["period"]), group["n"]))
        n = float(counts.get(this, 0))
        others = [float(counts.get(m, 0)) for m in months if m != this]
        median = float(pd.Series(others).median()) if others else 0.0
        threshold = max(SURGE_FACTOR * median, float(SURGE_MIN))
        if n < threshold:
            continue
        rows.append(_surge_row(
            names, cell, group["township_code"].iat[0], group["district_code"].iat[0], n,
            threshold, median, _surge_since(q, cell, start, end, threshold), end, lang))
    return rows


def _recent_surge_alerts(runtime, today: dt.date, lang: str) -> list[dict]:
    """Grid cells whose events of the last LIVE_SURGE_DAYS reach SURGE_FACTOR times their
    average over as many days in the LIVE_BASELINE_DAYS before, and at least SURGE_MIN."""
    q, names = runtime.queries, runtime.names(lang)
    start = today - dt.timedelta(days=LIVE_SURGE_DAYS - 1)
    base_end = start - dt.timedelta(days=1)
    base_start = base_end - dt.timedelta(days=LIVE_BASELINE_DAYS - 1)
    frame = q.event_cell_window(start.isoformat(), today.isoformat(), base_start.isoformat(),
                                base_end.isoformat(), SURGE_MIN)
    rows = []
    for cell in frame.itertuples():
        usual = cell.n_base * LIVE_SURGE_DAYS / LIVE_BASELINE_DAYS
        threshold = max(SURGE_FACTOR * usual, float(SURGE_MIN))
        if cell.n < threshold:
            continue
        rows.append(_surge_row(names, cell.grid_code, cell.township_code, cell.district_code,
                               float(cell.n), threshold, usual,
                               _surge_since(q, cell.grid_code, start, today, threshold),
                               today, lang))
    return rows


def _surge_row(names, cell, township, district, n, threshold, usual, since, as_of, lang):
    return {
        "rule": "surge", "code": "event_count", "area_code": cell,
        "what": i18n.t("mr_alert_surge", lang),
        # grid cells have no English names in the store: English gives the cell's code
        "where": " › ".join([names.get(district, district), names.get(township, township),
                             i18n.t("mr_cell", lang).format(name=names.get(cell, cell),
                                                            code=cell)]),
        "value": n, "threshold": threshold, "unit": i18n.t("mr_events", lang),
        "since": since, "as_of": as_of.isoformat(), "severity": n / threshold, "peak": None,
        "baseline": usual, "detail": ""}


def _surge_since(q, cell: str, start: dt.date, end: dt.date, threshold: float) -> dt.date:
    daily = q.event_cell_daily(cell, start.isoformat(), end.isoformat())
    per_day = max(1.0, math.ceil(threshold / ((end - start).days + 1)))
    busy = sorted(pd.Timestamp(d).date() for d, n in zip(daily["day"], daily["n"])
                  if n >= per_day)
    if not busy:
        return start
    since = busy[-1]
    for day in reversed(busy[:-1]):
        if (since - day).days != 1:
            break
        since = day
    return since


# --- labels shared with the monthly report -----------------------------------------------

def indicator_name(ind: Indicator, lang: str) -> str:
    return ind.name_en if lang == "en" else ind.name_zh

def headline_unit(ind: Indicator, lang: str) -> str:
    """The unit of the headline: % for growth, else the catalogue's unit (values are never
    converted: 亿元 stays 亿元 in English too, as 100M CNY)."""
    if ind.is_growth:
        return "%"
    return ind.unit_en if lang == "en" else ind.unit_zh

def as_of_label(last, frequency: str) -> str:
    """A month for monthly statistics, a day for daily feeds (as the KPI cards label them)."""
    if last is None or pd.isna(last):
        return "—"
    ts = pd.Timestamp(last)
    return ts.strftime("%Y-%m") if frequency in ("monthly", "quarterly") else \
        ts.strftime("%Y-%m-%d")

def num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)

def has_date(value) -> bool:
    return value is not None and not pd.isna(value)
