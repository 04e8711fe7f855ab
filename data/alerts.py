"""Alerts: where an indicator is past its catalogue alert line, air is heavily polluted, or a
grid cell's events surge. One set of rules for the monthly report (``find`` over a month) and
for the wall (``live``: the same rules over the last days up to the store's as-of time).

Three rules: an alert line crossed by a district's (or the city's) value for the period
(``catalog.breach`` == "alert"; the line in force for the period's year and the district:
its own, the city's from a targets file, or the catalogue's, ``Catalogue.target``);
districts with days of heavy air pollution or worse (a station's daily AQI at level >= 4,
i.e. above 200); grid cells whose events reach 5x their usual count and at least 20; and an
orange or red emergency warning in force (``warning``: data/emergency.py).

Every alert carries its window (``start``, ``end``: the month for the report, the last days
for the wall; ``window`` names it) and, for an event or case metric, the events its value
rests on (``events``); a rate over fewer than MIN_ALERT_EVENTS raises no alert. ``since`` is
one definition for the report, the wall's banner and list (``_since``): the first day of the
unbroken run of whole months past the line that ends with the window's last whole month.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

import i18n
from data import catalog
from data.aqi import level_index
from data.calendar import month_end, month_start, shift_months
from data.catalog import Indicator
from data.emergency import ALERT_LEVEL, WARNING_LEVELS, kind_name, level_name

# the alert rules, in the order the summary counts them: named in settings, which names them too
from settings import ALERT_RULES

#: AQI level (index into data.aqi.LEVELS) from which a day is an alert: 4 = 重度污染 (> 200).
HEAVY_LEVEL = 4
#: A grid cell surges when its events in the month reach this many times its median monthly
#: count (over the store's other months, months without events counting as 0) ...
SURGE_FACTOR = 5
#: ... and at least this many.
SURGE_MIN = 20
#: An event or case metric (closure, on-time, satisfaction rate, mean handling time; their
#: count: data.queries.indicators.BASIS_COUNT) raises no alert when its value rests on fewer
#: events than this, for a district, the city, or a month of ``since``'s run: below 20 a
#: single event moves a rate by more than 5 points, the gap between the catalogue's targets
#: and alert lines (90 and 85%), so one late event could raise an alert (a district's 75%
#: satisfaction on 8 rated events is no finding). ``rests_on_few`` is the one test of it:
#: the KPI cards and rankings mark such rates with it (charts/overview, layouts/figures).
MIN_ALERT_EVENTS = 20

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
                 "unit", "as_of", "severity", "peak", "baseline", "detail", "events", "start",
                 "end", "window")
#: An emergency warning's severity: above every other rule's (a red flood warning leads the
#: wall), red before orange (``5 - level``, times this).
WARNING_SEVERITY = 10.0



# --- alerts ------------------------------------------------------------------------------------

def find(runtime, start: dt.date, end: dt.date, districts, lang: str) -> pd.DataFrame:
    """Return the alerts of [start, end] (a month), optionally only in some districts, most
    severe first (ALERT_COLUMNS; every window the month)."""
    return _ordered(_threshold_alerts(runtime, start, end, districts, lang)
                    + _aqi_alerts(runtime, start, end, districts, lang)
                    + _surge_alerts(runtime, start, end, districts, lang)
                    + _warning_alerts(runtime, runtime.queries.warnings_between(
                        start.isoformat(), end.isoformat(), ALERT_LEVEL), districts, end,
                        lang), lang)


def live(runtime, lang: str) -> pd.DataFrame:
    """Return the alerts standing at the store's as-of time, most severe first, for the wall:
    ALERT_COLUMNS plus ``scene`` (the wall scene that shows it) and ``key`` (stable while
    the alert stands, so the wall can tell a new alert from one it already shows).

    Only feeds that move within a day are watched (LIVE_FREQUENCIES: air and events, over
    the trailing LIVE_RATE_DAYS); monthly statistics are the monthly report's business.
    ``since`` is the report's (``_since``): on the same data, the wall and the report of the
    last whole month date a breach alike."""
    today = runtime.as_of.date()
    rows = (_threshold_alerts(runtime, today - dt.timedelta(days=LIVE_RATE_DAYS - 1), today,
                              None, lang, frequencies=LIVE_FREQUENCIES)
            + _aqi_alerts(runtime, today - dt.timedelta(days=LIVE_AQI_DAYS - 1), today, None,
                          lang)
            + _recent_surge_alerts(runtime, today, lang)
            + _warning_alerts(runtime, _warnings_standing(runtime), None, today, lang))
    frame = _ordered(rows, lang)
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
    if rule == "warning":
        return "emergency"
    return catalogue.get(code).domain


def _ordered(rows: list[dict], lang: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    for column in ("value", "threshold", "severity", "peak", "baseline"):
        frame[column] = frame[column].astype(float)
    frame["events"] = frame["events"].astype("Int64")
    frame["window"] = [window_label(s, e, lang) for s, e in zip(frame["start"], frame["end"])]
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
    the city: the window's value on the indicator's basis past the line
    (``catalog.breach`` == "alert"), each against the line of its year and district, and for
    an event or case metric on at least MIN_ALERT_EVENTS events (``_since``: since when)."""
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
                 _held(ind, row.target, row.alert), count(row.events))
                for row in frame.itertuples()
                if row.status == "alert" and not rests_on_few(row.events)]
        if districts is None:
            city = q.indicator_value(ind.code, None, s, e)
            if city["status"] == "alert" and not rests_on_few(city["events"]):
                hits.append((None, runtime.scope_name(lang), city["headline"], city["last"],
                             _held(ind, city["target"], city["alert"]), city["events"]))
        if not hits:
            continue
        series = q.indicator_monthly_by_district(ind.code, first_day, e)
        for code, where, value, last, held, events in hits:
            if code is None:
                monthly = q.indicator_monthly(ind.code, None)
            else:
                monthly = series[series["district_code"] == code]
            rows.append({
                "rule": "threshold", "code": ind.code,
                "area_code": code or runtime.meta.get("city_code"),
                "what": _alert_what(ind, lang), "where": where, "value": value,
                "threshold": held.alert, "unit": headline_unit(ind, lang),
                "since": _since(catalogue, ind, code, monthly, last, start, end),
                "as_of": as_of_label(last, ind.frequency), "severity": _severity(held, value),
                "peak": None, "baseline": None, "detail": "", "events": events,
                "start": start, "end": end})
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
           monthly: pd.DataFrame, last, start: dt.date, end: dt.date) -> dt.date:
    """Since when a breach stands: the first day of the unbroken run of whole periods
    (months; quarters for quarterly statistics) past the alert line that ends with the
    window's last whole period, each period on its own value against the line of its year
    (and the district's own), an event metric's on at least MIN_ALERT_EVENTS events.

    The window's last whole period is the report's month itself; for the wall's trailing
    days it is the month before the current one, which is not over (its few days, mostly
    events not yet due, say little); monthly and quarterly feeds end with their latest
    published period. So the wall on any day of a month and the report of the month before
    date a breach alike, and the overview filtered to the run, or to any month of it, shows
    it past the line. When that last whole period is not past the line, the breach is
    younger than a month: since the window's start."""
    if ind.frequency in ("monthly", "quarterly"):
        period = month_start(pd.Timestamp(last).date()) if has_date(last) else start
    else:
        period = month_start(end if end == month_end(end) else
                             shift_months(month_start(end), -1))
    step = 3 if ind.frequency == "quarterly" else 1
    frame = monthly[monthly["period"] <= pd.Timestamp(period)].sort_values("period")
    since, expected = None, period
    for row in frame.iloc[::-1].itertuples():
        month = pd.Timestamp(row.period).date()
        held = catalogue.applied(ind.code, month.year, district)
        if month != expected or rests_on_few(row.events) or \
                catalog.breach(held, num(row.headline)) != "alert":
            break
        since, expected = month, shift_months(month, -step)
    return since or start


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
            "detail": (", " if lang == "en" else "、").join(stations), "events": None,
            "start": start, "end": end})
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
            threshold, median, start, end, lang))
    return _with_since(q, rows, start, end)


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
                               float(cell.n), threshold, usual, start, today, lang))
    return _with_since(q, rows, start, today)


def _surge_row(names, cell, township, district, n, threshold, usual, start, end, lang):
    """A surge alert's row; its ``since`` comes with the others' (``_with_since``)."""
    return {
        "rule": "surge", "code": "event_count", "area_code": cell,
        "what": i18n.t("mr_alert_surge", lang),
        # grid cells have no English names in the store: English gives the cell's code
        "where": " › ".join([names.get(district, district), names.get(township, township),
                             i18n.t("mr_cell", lang).format(name=names.get(cell, cell),
                                                            code=cell)]),
        "value": n, "threshold": threshold, "unit": i18n.t("mr_events", lang),
        "since": None, "as_of": end.isoformat(), "severity": n / threshold, "peak": None,
        "baseline": usual, "detail": "", "events": None, "start": start, "end": end}


def _with_since(q, rows: list[dict], start: dt.date, end: dt.date) -> list[dict]:
    """The surge alerts ``rows`` with each one's ``since`` (``_surges_since``)."""
    since = _surges_since(q, {row["area_code"]: row["threshold"] for row in rows}, start, end)
    return [row | {"since": since[row["area_code"]]} for row in rows]


def _surges_since(q, thresholds: dict[str, float], start: dt.date, end: dt.date
                  ) -> dict[str, dt.date]:
    """Each surging cell's first day of the last unbroken run of days up to ``end`` with at
    least its threshold's daily share (its threshold over the days of [start, end], at least
    1); ``start`` where there is no such day. One query for every cell."""
    daily = q.event_cells_daily(tuple(thresholds), start.isoformat(), end.isoformat())
    counts: dict[str, list[tuple[dt.date, int]]] = {}
    for cell, day, n in zip(daily["grid_code"], daily["day"], daily["n"]):
        counts.setdefault(cell, []).append((pd.Timestamp(day).date(), n))
    days = (end - start).days + 1
    out = {}
    for cell, threshold in thresholds.items():
        per_day = max(1.0, math.ceil(threshold / days))
        busy = sorted(day for day, n in counts.get(cell, ()) if n >= per_day)
        since = busy[-1] if busy else start
        for day in reversed(busy[:-1]):
            if (since - day).days != 1:
                break
            since = day
        out[cell] = since
    return out


def _warnings_standing(runtime) -> pd.DataFrame:
    """The warnings in force at the store's as-of time at ALERT_LEVEL or more severe."""
    frame = runtime.queries.warnings_at(runtime.as_of.isoformat(timespec="seconds"))
    return frame[frame["level"] <= ALERT_LEVEL]


def _warning_alerts(runtime, warnings: pd.DataFrame, districts, end: dt.date,
                    lang: str) -> list[dict]:
    """An orange or red emergency warning (data/emergency.py) in force: value = its level
    (1 red, 2 orange), threshold = ALERT_LEVEL, since = its valid-from, detail = its issuing
    department (the wall's emergency scene has its title); its window runs from its valid-from to its valid-to or ``end``,
    whichever is earlier. ``code`` is the warning's id, so its key stands while it does."""
    names = runtime.names(lang)
    rows = []
    for w in warnings.itertuples():
        if districts is not None and w.district_code not in districts:
            continue
        since = pd.Timestamp(w.valid_from)
        # the window is the warning's time up to ``end``: what the data can show of it
        until = end if pd.isna(w.valid_to) else min(end, pd.Timestamp(w.valid_to).date())
        where = names.get(w.area_code) if isinstance(w.area_code, str) else None
        rows.append({
            "rule": "warning", "code": w.warning_id,
            "area_code": w.area_code if isinstance(w.area_code, str) else w.district_code,
            "what": warning_what(w.kind, int(w.level), lang),
            "where": where or names.get(w.district_code, w.district_code),
            "value": float(w.level), "threshold": float(ALERT_LEVEL), "unit": "",
            "since": since.date(), "as_of": since.strftime("%Y-%m-%d %H:%M"),
            "severity": WARNING_SEVERITY * (5 - int(w.level)), "peak": None,
            "baseline": None,
            "detail": w.issuer,
            "events": None, "start": since.date(), "end": max(until, since.date())})
    return rows


def warning_what(kind: str, level: int, lang: str) -> str:
    """洪涝红色预警（Ⅰ级） / Flood: red warning (level I)."""
    roman = WARNING_LEVELS[level][3]
    if lang == "en":
        return f"{kind_name(kind, lang)}: {level_name(level, lang).lower()} (level {roman})"
    return f"{kind_name(kind, lang)}{level_name(level, lang)}（{roman}级）"


def rests_on_few(events) -> bool:
    """True when a value rests on fewer than MIN_ALERT_EVENTS events (None or NA: the value
    is no event or case metric, so it rests on none of them)."""
    return count(events) is not None and count(events) < MIN_ALERT_EVENTS


# --- labels shared with the monthly report -----------------------------------------------

def window_label(start: dt.date, end: dt.date, lang: str) -> str:
    """What an alert's value is over: a month by name (the report's; a month not over yet
    to its last day), else the last days (the wall's): 2026年11月, 2026年11月（截至24日）,
    近30天 / November 2026, November 2026 (days 1–24), last 30 days."""
    if start == month_start(start) and end <= month_end(start):
        month = month_label(start, lang)
        return month if end == month_end(start) else \
            i18n.t("alert_window_to", lang).format(month=month, day=end.day)
    return i18n.t("alert_window_days", lang).format(n=(end - start).days + 1)


def events_label(events: int, ind: Indicator | None, lang: str,
                 cases: bool | None = None) -> str:
    """What a value rests on, in words: 447件 / 447 events (service cases: cases; ``cases``
    says so when the indicator is not at hand; events when neither is known)."""
    if cases is None:
        cases = ind is not None and ind.kind == "cases"
    return i18n.t("alert_cases" if cases else "alert_events", lang).format(
        n=f"{events:,}" if lang == "en" else events)


def alert_line(alert: Mapping[str, Any], lang: str,
               catalogue: catalog.Catalogue | None = None) -> str:
    """One alert in a line, as the wall's banner and list, the /command screen and the
    webhooks' messages say it: where, what, the value over its window (and the events it rests
    on: cases for a case metric of ``catalogue``), the threshold, since when; an emergency
    warning: its level, its issuer, since when.

    ``alert`` holds ALERT_COLUMNS (a row of ``live`` as a mapping, or a record's snapshot,
    data/notify's payload: ``as_of`` may be missing there, then a warning stands since its
    day)."""
    since = _day_text(alert.get("since"))
    if alert["rule"] == "warning":     # an emergency warning has a level, not a value
        return i18n.t("wall_warning_alert_line", lang).format(
            where=alert["where"] or "", what=alert["what"] or "",
            detail=alert.get("detail") or "", since=alert.get("as_of") or since)
    digits = 0 if alert["rule"] in ("aqi", "surge") else 1
    unit = alert["unit"] or ""

    def amount(number) -> str:
        # 51.7%, 2天 / 2 days, 473件 / 473 events: a space before an English word
        text = i18n.number(number, lang, digits)
        if unit == "%" or not unit or lang == "zh":
            return f"{text}{unit}"
        return f"{text} {unit.removesuffix('s') if number == 1 else unit}"

    basis = alert["window"] or ""
    events = count(alert.get("events"))
    if events is not None:
        code = str(alert.get("code"))
        ind = catalogue.get(code) if catalogue is not None and code in catalogue else None
        # a record's snapshot (the webhooks) says what it counted: no catalogue there
        cases = None if ind is not None or "counted" not in alert else \
            alert["counted"] == "cases"
        basis = i18n.t("alert_basis", lang).format(
            window=basis, count=events_label(events, ind, lang, cases))
    return i18n.t("wall_alert_line", lang).format(
        where=alert["where"] or "", what=alert["what"] or "", value=amount(alert["value"]),
        basis=basis, threshold=amount(alert["threshold"]), since=since)


def _day_text(day) -> str:
    """A day as an alert line says it: 2026-10-01 (a date, or its text already); — if none."""
    if not has_date(day):
        return "—"
    return day.isoformat() if hasattr(day, "isoformat") else str(day)


def month_label(month: dt.date, lang: str) -> str:
    return month.strftime("%B %Y") if lang == "en" else f"{month.year}年{month.month}月"

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

def count(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)

def has_date(value) -> bool:
    return value is not None and not pd.isna(value)
