"""The monthly report (月报): its numbers and words, computed from the store through Queries.

Staff send leaders a report on the month by the 25th. This module decides what it says: the
key indicators against their targets with their changes on last month and on a year ago, the
districts ranked on each section's key indicators, the alerts the month raised, a few
sentences of summary written from those tables, and the numbered figures to draw (a chart of
one of the screens and the filter state to draw it for). Pure data: nothing here renders, and
the screens' chart functions are looked up in ``charts.registry`` by their keys.

Numbers follow the screens' semantics exactly, because they are the screens' queries:
``Queries.kpis`` over the month's range gives each KPI's value on the indicator's basis (the
year-on-year growth in % for growth indicators, the level for rates and shares), its as-of
period (statistics are published a month late and GDP quarterly, so a range is ended at the
latest published period) and its status against the target and alert line in force for
that period's year and the report's area (a targets file's, else the catalogue's:
``Catalogue.target``).

- ``mom``: the headline minus the headline of the period before (the month before; the quarter
  before for quarterly statistics), in the indicator's terms: percentage points for growth
  and rates.
- ``yoy``: the headline minus the headline of the same period a year earlier, same terms (for
  a rate this is ``kpis``' own yoy; for a growth indicator, the change in the growth rate).
- ``ytd``: for flows with a growth basis (the catalogue adds them up over months: ``time`` =
  sum) the cumulative year-on-year growth January to the month (1-10月, 前三季度 for GDP), as
  ``kpis`` computes it for that range, and ``ytd_mom`` its change on the cumulative to the
  period before. Stocks and rates have no cumulative (NaN).

Alerts are the rules of ``data/alerts.py`` over the month (the wall runs them over the last
days).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

import i18n
from charts.state import FilterState
from data import alerts as alert_rules
from data import catalog, freshness
from data.alerts import (
    ALERT_COLUMNS,
    ALERT_RULES,
    as_of_label,
    events_label,
    has_date,
    headline_unit,
    indicator_name,
    num,
)
from data.calendar import month_end, month_start, shift_months, shift_years
from data.catalog import Indicator
from data.queries import KPI_CODES
from report import key_tasks as key_task_section
from report import supervision as supervision_section
from settings import LANGS

#: The report's sections, in order (names: i18n ``section_<name>``).
SECTIONS = ("kpis", "economy", "environment", "grid", "services", "tasks", "supervision",
            "alerts")
#: Each section's key indicators: the districts are ranked on these.
RANKED = {"economy": ("gdp", "fixed_asset_investment", "retail_sales"),
          "environment": ("good_air_rate", "pm25"),
          "grid": ("closure_rate", "on_time_rate", "events_per_10k")}
#: Trend charts show the month and the twelve before it.
TRAILING_MONTHS = 13
#: How many of the most severe alerts get their own figures.
ALERT_FIGURES = 6

#: ``headline_name``: what ``value`` is (地区生产总值增速 for growth); ``period_label``: the
#: period it is about (2026年三季度 for quarterly statistics, else the month); ``mom``: the
#: change from the period before (a quarter for quarterly statistics).
KPI_COLUMNS = ("code", "name", "unit", "value", "target", "met", "mom", "yoy", "as_of",
               "status", "basis", "level", "level_unit", "ytd", "ytd_mom", "ytd_period",
               "ytd_prev_period", "period", "headline_name", "period_label")
RANKING_COLUMNS = ("district_code", "name", "value", "rank", "level", "as_of")
class ReportError(ValueError):
    """A report that cannot be built as asked: the message says what can be asked."""


@dataclass(frozen=True)
class FigureSpec:
    """One numbered figure: a chart of one of the screens (a key of their CHARTS
    registries) and the filter state to draw it for."""

    number: int
    caption: str
    chart: str
    state: FilterState


#: The city-wide counts of the services section: the city's, never a district's part.
SERVICE_CITY_COUNTS = catalog.CITY_ONLY
#: The columns of the services section's department table.
SERVICE_DEPARTMENT_COLUMNS = ("department_code", "name", "n", "completed", "on_time_rate",
                              "mean_days", "mean_limit", "bad", "rectified", "rectified_rate")


@dataclass(frozen=True, eq=False)
class ServicesPart:
    """The month's government services (政务服务): the cases accepted in the month
    (``Queries.service_summary``: sums and rates), by department (SERVICE_DEPARTMENT_COLUMNS,
    most cases first), the city-wide counts (code, name, unit, value, target; empty for a
    reader of some districts only) and the section's sentences."""

    summary: dict
    departments: pd.DataFrame
    counts: pd.DataFrame
    lines: tuple[str, ...]
    loaded: bool                     # any service case in the store


@dataclass(frozen=True, eq=False)
class MonthlyReport:
    month: str                       # "YYYY-MM"
    lang: str
    city_name: str
    is_demo: bool
    as_of: dt.datetime               # the store's as-of time
    sections: tuple[str, ...]
    districts: tuple[str, ...] | None
    kpis: pd.DataFrame               # KPI_COLUMNS, one row per Queries.KPI_CODES
    rankings: dict[str, pd.DataFrame]   # indicator code -> RANKING_COLUMNS, best first
    alerts: pd.DataFrame             # ALERT_COLUMNS, most severe first
    summary: list[str]
    figures: list[FigureSpec]
    start: dt.date                   # the month's first day
    end: dt.date                     # its last day, or the as-of day in the current month
    complete: bool                   # False for the month of the as-of day (partial)
    catalogue: catalog.Catalogue     # the indicators of the store it was built from
    services: ServicesPart | None = None    # the 政务服务 section, when asked for
    key_tasks: key_task_section.TasksPart | None = None   # the 重点工作 section, when asked for
    supervision: supervision_section.SupervisionPart | None = None   # 督办情况, when asked for
    issuer: str = ""                 # who issues it (the cover): Settings.report_issuer
    issued: dt.date | None = None    # the day it was built (local; a demo's as-of day)

    @property
    def issue(self) -> int:
        """The issue number, 第 N 期: a monthly report's issue is its month of the year."""
        return int(self.month[5:])


# --- months ------------------------------------------------------------------------------------

def available_months(runtime) -> list[str]:
    """Return the months ("YYYY-MM") the store has data for, oldest first."""
    return [m.strftime("%Y-%m") for m in runtime.queries.report_months()]


def last_complete_month(runtime) -> str:
    """Return the last month ("YYYY-MM") that ends before the store's as-of day."""
    return shift_months(runtime.as_of.date().replace(day=1), -1).strftime("%Y-%m")


def check_month(month: str, runtime) -> dt.date:
    """The first day of a "YYYY-MM" month with data, or a ReportError naming the months."""
    months = available_months(runtime)
    if not isinstance(month, str) or not re.fullmatch(r"\d{4}-\d{2}", month) \
            or not 1 <= int(month[5:]) <= 12:
        raise ReportError(f"month must be 'YYYY-MM', not {month!r}; " + _month_span(months))
    if month not in months:
        raise ReportError(f"no data for {month}; " + _month_span(months))
    return dt.date.fromisoformat(month + "-01")


def _month_span(months: list[str]) -> str:
    if not months:
        return "the store has no data at all"
    return f"available months: {months[0]} to {months[-1]} ({len(months)} months)"


# --- names and words ---------------------------------------------------------------------------

def section_name(section: str, lang: str) -> str:
    """The section's title in a language."""
    return i18n.t(f"section_{section}", lang)


def _lower_first(text: str) -> str:
    """English indicator names start a sentence capitalised; inside one, lower-cased (not
    acronyms like GDP or PM2.5)."""
    return text if len(text) > 1 and text[1].isupper() else text[:1].lower() + text[1:]


def _month_label(month: dt.date, lang: str) -> str:
    return month.strftime("%B %Y") if lang == "en" else f"{month.year}年{month.month}月"


def _period_label(start: dt.date, end: dt.date, complete: bool, lang: str) -> str:
    """The report month, with the as-of day when the month is not over."""
    label = _month_label(start, lang)
    if complete:
        return label
    if lang == "en":
        return f"{label} (to the {_ordinal(end.day)})"
    return f"{label}（截至{end.day}日）"


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


_QUARTERS_ZH = ("一季度", "二季度", "三季度", "四季度")
_QUARTERS_EN = ("the first quarter", "the second quarter", "the third quarter",
                "the fourth quarter")
_CUM_QUARTERS_ZH = ("一季度", "上半年", "前三季度", "全年")
_CUM_QUARTERS_EN = ("the first quarter", "the first half", "the first three quarters",
                    "the full year")


def _own_period(ind: Indicator, period: dt.date, lang: str) -> str:
    """The period a value belongs to: its quarter for quarterly statistics, else its month."""
    if ind.frequency == "quarterly":
        q = (period.month - 1) // 3
        return (_QUARTERS_EN[q] + f" of {period.year}") if lang == "en" else \
            f"{period.year}年{_QUARTERS_ZH[q]}"
    return _month_label(period, lang)


def _cumulative_label(ind: Indicator, period: dt.date, lang: str) -> str:
    """January to the period: 1-10月 / January–October; 前三季度 for quarterly statistics."""
    if ind.frequency == "quarterly":
        q = (period.month - 1) // 3
        return _CUM_QUARTERS_EN[q] if lang == "en" else _CUM_QUARTERS_ZH[q]
    if period.month == 1:
        return "January" if lang == "en" else "1月"
    if lang == "en":
        return f"January–{period.strftime('%B')}"
    return f"1-{period.month}月"


def _scope_words(runtime, districts: tuple[str, ...] | None, lang: str) -> tuple[str, str]:
    """(the scope's name, the scope as the subject inside a sentence): the city's name and
    全市 / citywide; one or a few districts by name; more as 所选区县."""
    if not districts:
        name = runtime.city_name(lang)
        return name, ("citywide" if lang == "en" else "全市")
    names = runtime.names(lang)
    if len(districts) <= 3:
        joined = (", " if lang == "en" else "、").join(names[d] for d in districts)
        return joined, (f"in {joined}" if lang == "en" else joined)
    word = i18n.t("mr_selected_districts", lang)
    return word, (f"in {word}" if lang == "en" else word)


# --- the report --------------------------------------------------------------------------------

def build_report(runtime, month: str | None = None, sections=SECTIONS,
                 districts: tuple[str, ...] | None = None, lang: str = "zh") -> MonthlyReport:
    """Build the month's report (default: the last complete month).

    ``sections``: any of SECTIONS (kept in SECTIONS order); ``districts``: restrict the report
    to these districts (KPIs of the selection, rankings among them, their alerts).
    Raises ReportError for a month without data, an unknown section, district or language.
    """
    if lang not in LANGS:
        raise ReportError(f"unknown language {lang!r}; languages: {', '.join(LANGS)}")
    chosen = _sections(sections)
    districts = _districts(runtime, districts)
    first = check_month(month if month is not None else last_complete_month(runtime), runtime)
    as_of = runtime.as_of
    start, end = first, min(month_end(first), as_of.date())
    complete = month_end(first) < as_of.date()
    area = None if districts is None else districts[0] if len(districts) == 1 else districts

    # a month's report is due by the 25th of the next: feeds are judged as of then
    due = dt.datetime.combine(end, dt.time()) + dt.timedelta(days=25)
    kpis = (_kpi_table(runtime.queries, area, start, end, lang,
                       runtime.stale_feeds(min(runtime.now, due)))
            if "kpis" in chosen
            else pd.DataFrame(columns=KPI_COLUMNS))
    rankings = {code: _ranking(runtime.queries, code, start, end, districts, lang)
                for section in chosen for code in RANKED.get(section, ())}
    alerts = (alert_rules.find(runtime, start, end, districts, lang) if "alerts" in chosen
              else pd.DataFrame(columns=ALERT_COLUMNS))
    ctx = _Words(runtime, start, end, complete, districts, lang)
    services = (_services(runtime, ctx, area, start, end) if "services" in chosen else None)
    # its sentences open its own section (the summary keeps to the overview's tables)
    summary = _summary(ctx, chosen, kpis, rankings, alerts)
    tasks = (key_task_section.build(runtime, districts, end, complete, lang, ctx.subject)
             if "tasks" in chosen else None)
    if tasks is not None and len(summary) < 8:
        # its sentence before the alerts', where the eight have room (its section says it
        # in any case)
        at = len(summary) - (len(_alert_sentences(ctx, alerts)) if "alerts" in chosen else 0)
        summary = [*summary[:at], tasks.sentence, *summary[at:]]
    figures = _figures(runtime, ctx, chosen, alerts)
    supervision = (supervision_section.build(runtime, districts, start, end, complete, lang,
                                             ctx.subject)
                   if "supervision" in chosen else None)
    return MonthlyReport(
        month=first.strftime("%Y-%m"), lang=lang, city_name=runtime.city_name(lang),
        is_demo=runtime.is_demo, as_of=as_of, sections=chosen, districts=districts,
        kpis=kpis, rankings=rankings, alerts=alerts, summary=summary, figures=figures,
        start=start, end=end, complete=complete, catalogue=runtime.catalogue,
        services=services, key_tasks=tasks, supervision=supervision,
        issuer=runtime.settings.report_issuer or i18n.t("report_issuer", lang).format(
            city=runtime.city_name(lang)),
        issued=runtime.now.date())


def _sections(sections) -> tuple[str, ...]:
    if isinstance(sections, str):
        sections = (sections,)
    try:
        asked = list(sections)
    except TypeError:
        raise ReportError(f"sections must be a tuple of names; sections: "
                          f"{', '.join(SECTIONS)}") from None
    for name in asked:
        if name not in SECTIONS:
            raise ReportError(f"unknown section {name!r}; sections: {', '.join(SECTIONS)}")
    if not asked:
        raise ReportError(f"no sections asked for; sections: {', '.join(SECTIONS)}")
    return tuple(name for name in SECTIONS if name in asked)


def _districts(runtime, districts) -> tuple[str, ...] | None:
    if districts is None:
        # a district user's whole report is of their districts, named as such
        return tuple(sorted(runtime.principal.districts)) or None
    if isinstance(districts, str):
        districts = (districts,)
    codes = tuple(dict.fromkeys(districts))
    known = runtime.queries.district_codes
    for code in codes:
        if code not in known:
            raise ReportError(f"unknown district {code!r}; districts: {', '.join(sorted(known))}")
    if not codes:
        raise ReportError("no districts given: pass None for the whole city")
    return codes


# --- key indicators ----------------------------------------------------------------------------

def _kpi_table(q, area, start: dt.date, end: dt.date, lang: str,
               stale: set[str] = frozenset()) -> pd.DataFrame:
    """One row per KPI: the month's headline and its changes, each from ``Queries.kpis``
    over the range it is about (the month; the period before; a year earlier; January to
    the month)."""
    frames: dict[tuple[dt.date, dt.date], pd.DataFrame] = {}

    def at(s: dt.date, e: dt.date) -> pd.DataFrame:
        if (s, e) not in frames:
            frames[(s, e)] = q.kpis(area, s.isoformat(), e.isoformat()).set_index("code")
        return frames[(s, e)]

    def headline(code: str, rng: tuple[dt.date, dt.date] | None) -> float | None:
        return None if rng is None else num(at(*rng).loc[code, "headline"])

    def diff(a, b):
        return None if a is None or b is None else a - b

    now = at(start, end)
    rows = []
    for code in KPI_CODES:
        ind = q.catalogue.get(code)
        rec = now.loc[code]
        value, last = num(rec["headline"]), rec["last"]
        # the period the value is about: statistics end at their latest publication
        period = month_start(pd.Timestamp(last).date()) if has_date(last) else start
        lag = 3 if ind.frequency == "quarterly" else 1
        before = shift_months(period, -lag)
        own = ((period, month_end(period)) if ind.kind in ("value", "water")
               else (start, end))
        prev = (before, month_end(before))
        ya = (shift_years(own[0], -1), shift_years(own[1], -1))
        ytd = ytd_prev = None
        if ind.is_growth and ind.time == "sum" and _covered(q, ind, period):
            ytd = (period.replace(month=1), month_end(period))
            if before.year == period.year:
                ytd_prev = (period.replace(month=1), month_end(before))
        ytd_value, ytd_before = headline(code, ytd), headline(code, ytd_prev)
        # the target in force for the period's year and the area (Queries.kpis)
        status = rec["status"]
        rows.append({
            "code": code, "name": indicator_name(ind, lang), "unit": headline_unit(ind, lang), "value": value,
            "target": num(rec["target"]), "met": None if status == "none" else status == "ok",
            "mom": diff(value, headline(code, prev)),
            "yoy": diff(value, headline(code, ya)),
            "as_of": as_of_label(last, ind.frequency) + (
                f" ({i18n.t('stale', lang)})" if freshness.feed_of(ind) in stale else ""),
            "status": status, "basis": ind.basis,
            "level": num(rec["value"]),
            "level_unit": ind.unit_en if lang == "en" else ind.unit_zh,
            "ytd": ytd_value, "ytd_mom": diff(ytd_value, ytd_before),
            "ytd_period": _cumulative_label(ind, period, lang) if ytd else None,
            "ytd_prev_period": _cumulative_label(ind, before, lang) if ytd_prev else None,
            "period": period,
            "headline_name": (i18n.t("mr_growth_of", lang).format(name=indicator_name(ind, lang))
                              if ind.is_growth else indicator_name(ind, lang)),
            "period_label": _own_period(ind, period, lang)})
    frame = pd.DataFrame(rows, columns=KPI_COLUMNS)
    for column in ("value", "target", "mom", "yoy", "level", "ytd", "ytd_mom"):
        frame[column] = frame[column].astype(float)
    frame["met"] = frame["met"].astype(object)
    return frame


def _covered(q, ind: Indicator, period: dt.date) -> bool:
    """True when every month (quarter for quarterly statistics) from January to ``period``
    has a value this year and a year earlier: a cumulative growth rate needs both. (The
    store's statistics begin a year before its first shown month: January to December of
    that first year has no complete year-ago total.)"""
    have = set(pd.to_datetime(q.indicator_monthly(ind.code, None).dropna(subset=["value"])
                              ["period"]).dt.date)
    step = 3 if ind.frequency == "quarterly" else 1
    wanted = [dt.date(year, m, 1) for year in (period.year - 1, period.year)
              for m in range(step, period.month + 1, step)]
    return all(m in have for m in wanted)


# --- government services -----------------------------------------------------------------------

def _services(runtime, w: _Words, area, start: dt.date, end: dt.date) -> ServicesPart:
    """The services section: the month's cases (by acceptance day) in the report's area,
    by department, the city's counts (their latest published month) and its sentences."""
    q, lang = runtime.queries, w.lang
    s, e = start.isoformat(), end.isoformat()
    loaded = q.service_case_span() is not None
    summary = q.service_summary(area, s, e)
    frame = q.service_breakdown("department", area, s, e)
    frame = frame[frame["n"] > 0]
    departments = pd.DataFrame({
        "department_code": frame["key"], "name": frame["name_en" if lang == "en" else "name_zh"],
        "n": frame["n"].astype(int), "completed": frame["n_completed"].astype(int),
        "on_time_rate": frame["on_time_rate"], "mean_days": frame["mean_days"],
        "mean_limit": frame["mean_limit"], "bad": frame["n_bad"].astype(int),
        "rectified": frame["n_rectified"].astype(int),
        "rectified_rate": frame["rectified_rate"]}, columns=SERVICE_DEPARTMENT_COLUMNS)
    rows = []
    if not q.scope.districts:
        found = q.kpis(None, s, e, SERVICE_CITY_COUNTS).set_index("code")
        for code in SERVICE_CITY_COUNTS:
            ind = q.catalogue.get(code)
            rows.append({"code": code, "name": indicator_name(ind, lang),
                         "unit": headline_unit(ind, lang),
                         "value": num(found.loc[code, "headline"]),
                         "target": num(found.loc[code, "target"])})
    counts = pd.DataFrame(rows, columns=["code", "name", "unit", "value", "target"])
    return ServicesPart(summary, departments.reset_index(drop=True), counts,
                        _services_sentences(w, summary, departments, counts, loaded), loaded)


def _services_sentences(w: _Words, summary: dict, departments: pd.DataFrame,
                        counts: pd.DataFrame, loaded: bool) -> tuple[str, ...]:
    """The section's sentences, every number one of its tables'."""
    def pct(value) -> str:
        return "—" if value is None or pd.isna(value) else f"{value:.1f}%"

    out = []
    if not loaded:
        out.append(_sentence(w, w.t("mr_services_none", scope=w.subject)))
    else:
        out.append(_sentence(w, w.t(
            "mr_services", period=w.period, scope=w.subject, n=summary["n"],
            done=summary["n_completed"], within=pct(summary["on_time_rate"]),
            rated=summary["n_rated"], bad=summary["n_bad"], share=pct(summary["bad_share"]),
            fixed=summary["n_rectified"], fixed_rate=pct(summary["rectified_rate"]))))
        judged = departments.dropna(subset=["on_time_rate"])
        if len(judged) > 1 and judged["on_time_rate"].min() < judged["on_time_rate"].max():
            worst = judged.sort_values(["on_time_rate", "n"], ascending=[True, False]).iloc[0]
            out.append(_sentence(w, w.t("mr_services_worst", department=worst["name"],
                                        value=pct(worst["on_time_rate"]))))
    if len(counts) == 2 and counts["value"].notna().all():
        value = dict(zip(counts["code"], counts["value"]))
        out.append(_sentence(w, w.t("mr_services_counts",
                                    smart=f"{value['smart_approval_items']:,.0f}",
                                    one=f"{value['one_thing_items']:,.0f}")))
    return tuple(out)


# --- rankings ----------------------------------------------------------------------------------

def _ranking(q, code: str, start: dt.date, end: dt.date, districts, lang: str) -> pd.DataFrame:
    """The districts (or the chosen ones) on one indicator over the month, best first:
    value on the indicator's basis (``indicator_by_district``'s headline), rank 1 = best
    (ties share the better rank), districts without a value last and unranked."""
    ind = q.catalogue.get(code)
    frame = q.indicator_by_district(code, start.isoformat(), end.isoformat())
    if districts is not None:
        frame = frame[frame["district_code"].isin(districts)]
    out = pd.DataFrame({
        "district_code": frame["district_code"].to_numpy(),
        "name": frame["name_en" if lang == "en" else "name_zh"].to_numpy(),
        "value": frame["headline"].astype(float).to_numpy(),
        "level": frame["value"].astype(float).to_numpy(),
        "as_of": [as_of_label(last, ind.frequency) for last in frame["last"]]})
    out["rank"] = out["value"].rank(method="min", ascending=ind.better == "lower"
                                    ).astype("Int64")
    out = out.sort_values(["rank", "district_code"], na_position="last")
    return out[list(RANKING_COLUMNS)].reset_index(drop=True)


# --- the summary -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Words:
    """What every sentence and caption needs: the report's period and scope in words."""

    runtime: object
    start: dt.date
    end: dt.date
    complete: bool
    districts: tuple[str, ...] | None
    lang: str

    @property
    def period(self) -> str:
        return _period_label(self.start, self.end, self.complete, self.lang)

    @property
    def scope(self) -> str:
        return _scope_words(self.runtime, self.districts, self.lang)[0]

    @property
    def subject(self) -> str:
        return _scope_words(self.runtime, self.districts, self.lang)[1]

    def t(self, key: str, **values) -> str:
        return i18n.t(key, self.lang).format(**values)

    @property
    def catalogue(self) -> catalog.Catalogue:
        return self.runtime.catalogue


def _pct(value: float) -> str:
    return f"{abs(value):.1f}"


def _signed(value: float, digits: int = 1) -> str:
    """A signed number, with the typographic minus i18n.change uses."""
    return ("−" if value < 0 else "") + f"{abs(value):.{digits}f}"


def _show(ind: Indicator, value: float, lang: str) -> str:
    """A headline as text: signed growth in %, a rate in %, else the value and its unit."""
    if ind.is_growth or headline_unit(ind, lang) == "%":
        return f"{_signed(value)}%"
    unit = headline_unit(ind, lang)
    text = _signed(value, ind.decimals)
    return f"{text} {unit}".rstrip() if lang == "en" else f"{text}{unit}"


def _growth(value: float, w: _Words) -> str:
    """同比增长5.2% / 同比下降3.0% / up 5.2% year on year."""
    key = "mr_up" if value >= 0 else "mr_down"
    return w.t(key, v=_pct(value))


def _points(change: float, w: _Words, key_up: str, key_down: str, key_flat: str) -> str:
    """A change in percentage points in words, flat when it rounds to 0.0."""
    if round(abs(change), 1) == 0:
        return w.t(key_flat)
    return w.t(key_up if change > 0 else key_down, d=_pct(change))


def _sentence(w: _Words, text: str) -> str:
    text = text.strip()
    if w.lang == "en":
        text = text[:1].upper() + text[1:]
        return text if text.endswith(".") else text + "."
    return text if text.endswith("。") else text + "。"


def _join(w: _Words, parts: list[str]) -> str:
    return ("; " if w.lang == "en" else "；").join(parts)


def _summary(w: _Words, chosen, kpis: pd.DataFrame, rankings: dict, alerts: pd.DataFrame
             ) -> list[str]:
    """4-8 sentences (for the full report) written from the report's own tables: every
    number in them is a value of ``kpis``, ``rankings`` or ``alerts`` (rounded as shown) or
    a count of their rows."""
    by_code = {row["code"]: row for _, row in kpis.iterrows()}
    out = []
    if "kpis" in chosen and by_code:
        out.append(_targets_sentence(w, kpis))
        cumulative = _cumulative_sentence(w, by_code)
        if cumulative:
            out.append(cumulative)
    else:
        out.append(_sentence(w, w.t("mr_opening", period=w.period, scope=w.scope,
                                    sections=(", " if w.lang == "en" else "、").join(
                                        section_name(s, w.lang) for s in chosen))))
    if "economy" in chosen:
        text = _extremes_sentence(w, rankings, RANKED["economy"][1:] + RANKED["economy"][:1])
        if text:
            out.append(text)
    if "environment" in chosen:
        text = _domain_sentence(w, by_code, ("good_air_rate", "water_good_rate"),
                                rankings, (("good_air_rate", "worst"), ("pm25", "range")))
        if text:
            out.append(text)
    if "grid" in chosen:
        text = _domain_sentence(w, by_code, ("closure_rate", "on_time_rate",
                                             "satisfaction_rate"),
                                rankings, (("on_time_rate", "worst"),
                                           ("events_per_10k", "worst")))
        if text:
            out.append(text)
    if "alerts" in chosen:
        out += _alert_sentences(w, alerts)
    return out[:8]


def _targets_sentence(w: _Words, kpis: pd.DataFrame) -> str:
    judged = kpis[kpis["met"].notna()]
    met = int((judged["met"] == True).sum())  # noqa: E712 (object column of True/False)
    missed = []
    for _, row in judged[judged["met"] == False].iterrows():  # noqa: E712
        ind = w.catalogue.get(row["code"])
        note = ""
        if row["period"] != w.start:   # statistics published later: say which period
            note = _own_period(ind, row["period"], w.lang)
        value = _growth(row["value"], w) if ind.is_growth else _show(ind, row["value"], w.lang)
        if note:
            value = f"{value} in {note}" if w.lang == "en" else f"{note}{value}"
        name = row["name"] if w.lang == "zh" else _lower_first(row["name"])
        missed.append(w.t("mr_missed_item", name=name, value=value,
                          target=_show(ind, row["target"], w.lang)))
    if not missed:
        return _sentence(w, w.t("mr_targets_all", period=w.period, scope=w.scope,
                                n=len(judged)))
    return _sentence(w, w.t("mr_targets_some", period=w.period, scope=w.scope,
                            n=len(judged), met=met,
                            items=(", " if w.lang == "en" else "、").join(missed)))


def _cumulative_sentence(w: _Words, by_code: dict) -> str | None:
    """Cumulative growth January to the month of the KPIs that have one, with the change on
    the cumulative to the period before (1-10月全市固定资产投资同比增长5.2%，增速较上月...)."""
    parts, said = [], None
    for code in ("fixed_asset_investment", "retail_sales", "gdp"):
        row = by_code.get(code)
        if row is None or pd.isna(row["ytd"]):
            continue
        ind = w.catalogue.get(code)
        name = row["name"] if w.lang == "zh" else _lower_first(row["name"])
        key = "mr_cumulative_more" if row["ytd_period"] == said else "mr_cumulative"
        said = row["ytd_period"]
        text = w.t(key, period=row["ytd_period"], scope=w.subject, name=name,
                   growth=_growth(row["ytd"], w))
        if not pd.isna(row["ytd_mom"]):
            before = (w.t("mr_prev_month") if ind.frequency != "quarterly"
                      else row["ytd_prev_period"])
            text += w.t("mr_cumulative_change", than=before, move=_points(
                row["ytd_mom"], w, "mr_faster", "mr_slower", "mr_same_pace"))
        parts.append(text)
    return _sentence(w, _join(w, parts)) if parts else None


def _ranked(rankings: dict, code: str) -> pd.DataFrame | None:
    frame = rankings.get(code)
    if frame is None:
        return None
    ranked = frame[frame["rank"].notna()]
    return ranked if len(ranked) >= 2 else None


def _ranked_name(w: _Words, code: str) -> str:
    ind = w.catalogue.get(code)
    name = indicator_name(ind, w.lang) if w.lang == "zh" else _lower_first(indicator_name(ind, w.lang))
    return w.t("mr_growth_of", name=name) if ind.is_growth else name


def _extreme(w: _Words, rankings: dict, code: str, which: str) -> str | None:
    """The best or worst ranked district on an indicator, with its value in brackets."""
    ranked = _ranked(rankings, code)
    if ranked is None:
        return None
    row = ranked.iloc[0 if which == "best" else -1]
    ind = w.catalogue.get(code)
    higher = (which == "best") == (ind.better == "higher")
    return w.t("mr_highest" if higher else "mr_lowest", name=_ranked_name(w, code),
               where=row["name"], value=_show(ind, row["value"], w.lang))


def _range(w: _Words, rankings: dict, code: str) -> str | None:
    """The highest and the lowest district on an indicator, with their values."""
    ranked = _ranked(rankings, code)
    if ranked is None:
        return None
    ind = w.catalogue.get(code)
    hi, lo = ((ranked.iloc[0], ranked.iloc[-1]) if ind.better == "higher"
              else (ranked.iloc[-1], ranked.iloc[0]))
    return w.t("mr_range", name=_ranked_name(w, code), hi=hi["name"],
               hv=_show(ind, hi["value"], w.lang), lo=lo["name"],
               lv=_show(ind, lo["value"], w.lang))


def _extremes_sentence(w: _Words, rankings: dict, codes) -> str | None:
    """By district: the highest and lowest district on each indicator."""
    parts = [text for code in codes if (text := _range(w, rankings, code))]
    if not parts:
        return None
    return _sentence(w, w.t("mr_by_district", period=w.period) + _join(w, parts))


def _domain_sentence(w: _Words, by_code: dict, kpi_codes, rankings, extremes
                     ) -> str | None:
    """The section's KPIs (value, and YoY in points where known), then its districts'
    extremes."""
    parts = []
    for code in kpi_codes:
        row = by_code.get(code)
        if row is None or pd.isna(row["value"]):
            continue
        ind = w.catalogue.get(code)
        name = row["name"] if w.lang == "zh" else _lower_first(row["name"])
        text = w.t("mr_kpi_more" if parts else "mr_kpi", scope=w.subject, name=name,
                   value=_show(ind, row["value"], w.lang))
        if not pd.isna(row["yoy"]):
            text += w.t("mr_kpi_yoy", move=_points(row["yoy"], w, "mr_pts_up",
                                                   "mr_pts_down", "mr_pts_flat"))
        parts.append(text)
    found = [text for code, which in extremes
             if (text := (_range(w, rankings, code) if which == "range"
                          else _extreme(w, rankings, code, which)))]
    if found:
        found[0] = w.t("mr_among", text=found[0])
    parts += found
    if not parts:
        return None
    return _sentence(w, w.t("mr_in_period", period=w.period) + _join(w, parts))


def _alert_sentences(w: _Words, alerts: pd.DataFrame) -> list[str]:
    if alerts.empty:
        return [_sentence(w, w.t("mr_alerts_none", period=w.period))]
    counts = alerts["rule"].value_counts()
    parts = [w.t(f"mr_alerts_{rule}", n=int(counts[rule]),
                 s="" if counts[rule] == 1 else "s") for rule in ALERT_RULES if rule in counts]
    first = _sentence(w, w.t("mr_alerts_count", period=w.period, n=len(alerts),
                             parts=(", " if w.lang == "en" else "、").join(parts),
                             s="" if len(alerts) == 1 else "s"))
    items = []
    for _, row in alerts.head(3).iterrows():
        if row["rule"] == "threshold":
            ind = w.catalogue.get(row["code"])
            value = (_growth(row["value"], w) if ind.is_growth
                     else _show(ind, row["value"], w.lang))
            name = indicator_name(ind, w.lang)
            # what a rate rests on, as the alerts table and the wall say it
            basis = "" if pd.isna(row["events"]) else w.t(
                "mr_alert_basis", count=events_label(int(row["events"]), ind, w.lang))
            items.append(w.t("mr_alert_item", where=row["where"],
                             name=name if w.lang == "zh" else _lower_first(name),
                             value=value, basis=basis,
                             line=_show(ind, row["threshold"], w.lang)))
        elif row["rule"] == "aqi":
            items.append(w.t("mr_alert_item_aqi", where=row["where"], n=int(row["value"]),
                             peak=int(row["peak"]), s="" if row["value"] == 1 else "s"))
        elif row["rule"] == "warning":
            items.append(w.t("mr_alert_item_warning", where=row["where"], what=row["what"]))
        else:
            items.append(w.t("mr_alert_item_surge", where=row["where"], n=int(row["value"]),
                             line=int(row["threshold"])))
    return [first, _sentence(w, w.t("mr_alerts_top", items=_join(w, items)))]


# --- figures -----------------------------------------------------------------------------------

def _figures(runtime, w: _Words, chosen, alerts: pd.DataFrame) -> list[FigureSpec]:
    """The numbered figures of the chosen sections: the month's range for the month's charts,
    the trailing 13 months for trends, the scope's districts, the indicator charted."""
    ctx = runtime.context
    month = (w.start.isoformat(), w.end.isoformat())
    first = max(ctx.first_day, shift_months(w.start, 1 - TRAILING_MONTHS))
    trailing = (first.isoformat(), w.end.isoformat())
    district = w.districts[0] if w.districts and len(w.districts) == 1 else None
    picked = w.districts if w.districts and len(w.districts) > 1 else ()

    def state(span, indicator="fixed_asset_investment", **more) -> FilterState:
        base = {"district": district, "picked": picked}
        base.update(more)
        return FilterState(start=span[0], end=span[1], indicator=indicator, lang=w.lang,
                           **base)

    def title(key: str, code: str | None = None) -> str:
        text = i18n.t(key, w.lang) if key else ""
        if code:
            ind = runtime.catalogue.get(code)
            name = indicator_name(ind, w.lang)
            text = f"{text} · {name}" if text else name
        return text

    def caption(what: str, span, scope: str | None = None) -> str:
        when = (w.period if span == month else
                f"{_month_label(first, w.lang)}{' – ' if w.lang == 'en' else '至'}"
                f"{_month_label(w.start, w.lang)}")
        if scope == "":
            return w.t("mr_caption_plain", what=what, period=when)
        return w.t("mr_caption", what=what, scope=w.scope if scope is None else scope,
                   period=when)

    by_district = ""    # the per-district charts say so in their titles
    specs: list[tuple[str, str, FilterState]] = []
    if "kpis" in chosen:
        for code in KPI_CODES:
            specs.append(("ops-trend", caption(title("mr_trend", code), trailing),
                          state(trailing, code)))
    if "economy" in chosen:
        for code in RANKED["economy"]:
            specs.append(("eco-changes", caption(title("econ_yoy_mom", code), trailing),
                          state(trailing, code)))
        for code in RANKED["economy"]:
            specs.append(("ops-ranking", caption(title("ranking", code), month, by_district),
                          state(month, code)))
        specs.append(("eco-multiples", caption(title("econ_by_district",
                                                     "fixed_asset_investment"), trailing,
                                               by_district),
                      state(trailing, "fixed_asset_investment")))
        specs.append(("eco-shares", caption(title("shares", "retail_sales"), month,
                                            by_district), state(month, "retail_sales")))
    if "environment" in chosen:
        specs += [
            ("env-calendar", caption(title("aqi_calendar"), month), state(month, "aqi")),
            ("ops-air", caption(title("air"), trailing), state(trailing, "aqi")),
            ("env-stations", caption(title("station_ranking"), month), state(month, "aqi")),
            ("env-trends", caption(title("station_trends") + " · PM2.5", month),
             state(month, "pm25", pollutant="pm25")),
            ("env-water", caption(title("water_by_month"), trailing),
             state(trailing, "water_good_rate"))]
        for code in RANKED["environment"]:
            specs.append(("ops-ranking", caption(title("ranking", code), month, by_district),
                          state(month, code)))
    if "grid" in chosen:
        specs += [
            ("grid-funnel", caption(title("funnel"), month), state(month, "closure_rate")),
            ("grid-handling", caption(title("handling"), month),
             state(month, "mean_handling_hours")),
            ("grid-matrix", caption(title("matrix"), month), state(month, "event_count")),
            ("ops-events-category", caption(title("events_category"), month),
             state(month, "event_count")),
            ("ops-events-status", caption(title("events_status"), trailing),
             state(trailing, "event_count"))]
        for code in RANKED["grid"]:
            specs.append(("ops-ranking", caption(title("ranking", code), month, by_district),
                          state(month, code)))
    if "tasks" in chosen:
        specs.append(("tsk-departments", caption(title("tasks_by_department"), month),
                      state(month, "fixed_asset_investment")))
    if "alerts" in chosen:
        specs += _alert_figures(runtime, w, alerts, month, trailing, caption)
    return [FigureSpec(number=i, caption=c, chart=chart, state=s)
            for i, (chart, c, s) in enumerate(specs, start=1)]


def _alert_figures(runtime, w: _Words, alerts, month, trailing, caption) -> list[tuple]:
    """The most severe alerts, each drawn where it shows: the indicator's trend in its
    district (changes for statistics), the district's AQI calendar and station PM2.5, the
    grid cell's events by category and source and by month."""
    lineage = runtime.context.lineage
    out = []
    # an emergency warning has no chart of its own: the figures go to the others
    for _, row in alerts[alerts["rule"] != "warning"].head(ALERT_FIGURES).iterrows():
        prefix = i18n.t("mr_alert_figure", w.lang) + row["where"] + " · "
        if row["rule"] == "threshold":
            ind = w.catalogue.get(row["code"])
            district = row["area_code"] if row["area_code"] in runtime.queries.district_codes \
                else None
            chart = "eco-changes" if ind.kind == "value" else "ops-trend"
            key = "econ_yoy_mom" if ind.kind == "value" else "mr_trend"
            what = f"{prefix}{i18n.t(key, w.lang)} · {indicator_name(ind, w.lang)}"
            out.append((chart, caption(what, trailing, ""),
                        FilterState(district, trailing[0], trailing[1], ind.code, w.lang)))
        elif row["rule"] == "aqi":
            district = row["area_code"]
            out.append(("env-calendar", caption(prefix + i18n.t("aqi_calendar", w.lang),
                                                month, ""),
                        FilterState(district, month[0], month[1], "aqi", w.lang)))
            out.append(("env-trends", caption(prefix + i18n.t("station_trends", w.lang)
                                              + " · PM2.5", month, ""),
                        FilterState(district, month[0], month[1], "pm25", w.lang)))
        else:
            district, township, cell = lineage(row["area_code"])
            cell_state = {"district": district, "township": township, "cell": cell,
                          "indicator": "event_count", "lang": w.lang}
            out.append(("grid-matrix", caption(prefix + i18n.t("matrix", w.lang), month, ""),
                        FilterState(start=month[0], end=month[1], **cell_state)))
            out.append(("ops-events-status", caption(prefix + i18n.t("events_status", w.lang),
                                                     trailing, ""),
                        FilterState(start=trailing[0], end=trailing[1], **cell_state)))
    return out
