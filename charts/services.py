"""The government-services screen's charts and tables (政务服务): the plans' service rates,
the service cases against the legal limit (by month, department and district), the 差评 and
their rectification, and the KPI cards that choose the district chart's indicator.

City-wide counts (smart-approval and one-thing-once services) are the city's: shown on their
cards for the whole city, never split across districts or ranked.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

import i18n
from charts import common
from charts import state as st
from charts.overview import kpi_texts
from data import catalog
from data.calendar import month_start, shift_months
from layouts import figures, overview
from layouts.ids import Services

#: The plans' service rates (monthly statistics per district), in the rates chart's order.
RATE_CODES = ("one_network_rate", "online_acceptance_rate", "e_license_rate",
              "mobile_service_rate")
#: The figures computed from the service cases (kind ``cases``).
CASE_CODES = ("service_cases", "service_on_time_rate", "bad_rating_share",
              "bad_rating_rectified_rate")
#: Counts of the city as a whole: shown for the city only, never per district.
CITY_COUNTS = catalog.CITY_ONLY
#: The KPI cards, in order.
KPI_CARDS = (*RATE_CODES, *CASE_CODES, *CITY_COUNTS)
#: What the district chart ranks when the chosen indicator is not one of the screen's.
DEFAULT_RANKED = "service_on_time_rate"
#: The time charts show at least this many months up to the range's end.
WINDOW_MONTHS = 13


def has_cases(runtime) -> bool:
    """Whether the reader sees any service case (a store may have none loaded)."""
    return runtime.queries.service_case_span() is not None


def no_cases_text(lang: str) -> str:
    return i18n.t("svc_no_cases", lang)


def _window(s: st.FilterState) -> tuple[str, str]:
    """The months the time charts show: the range, widened to WINDOW_MONTHS months."""
    end = dt.date.fromisoformat(s.end)
    first = min(month_start(s.start), shift_months(month_start(end), 1 - WINDOW_MONTHS))
    return first.isoformat(), s.end


def _district(s: st.FilterState) -> str | None:
    """The district whose own targets apply: the one chosen, else the city's."""
    districts = s.scope_districts
    if isinstance(districts, str):
        return districts
    return districts[0] if districts and len(districts) == 1 else None


def kpi_cards(s: st.FilterState, runtime) -> list:
    """The screen's KPI cards: the service rates and the case figures for the area, the
    city-wide counts for the city (for a reader of some districts only, not at all: their
    districts' part of a city count means nothing)."""
    q, catalogue, stale = runtime.queries, runtime.catalogue, runtime.stale_feeds()
    frame = q.kpis(s.scope, s.start, s.end, (*RATE_CODES, *CASE_CODES))
    cards = [overview.kpi_card(**kpi_texts(row, catalogue.get(row.code), s.lang, stale),
                               lang=s.lang, card_type=Services.KPI_CARD)
             for row in frame.itertuples()]
    if not q.scope.districts:
        city = q.kpis(None, s.start, s.end, CITY_COUNTS)
        note = i18n.t("svc_city_only", s.lang)
        cards += [overview.kpi_card(**kpi_texts(row, catalogue.get(row.code), s.lang, stale),
                                    lang=s.lang, card_type=Services.KPI_CARD, note=note)
                  for row in city.itertuples()]
    return cards


def note_text(s: st.FilterState, runtime) -> str:
    """The line under the cards: that no case is loaded, or that the counts are the
    city's when a district is chosen."""
    if not has_cases(runtime):
        return no_cases_text(s.lang)
    if s.district and not runtime.queries.scope.districts:
        return i18n.t("svc_counts_note", s.lang)
    return ""


@common.reads(*(f"indicator_values:{code}" for code in RATE_CODES))
def rates_chart(s: st.FilterState, runtime, theme):
    """The plans' service rates month by month, each with its target."""
    q, catalogue = runtime.queries, runtime.catalogue
    first, last = _window(s)
    year = dt.date.fromisoformat(s.end).year
    parts = []
    for code in RATE_CODES:
        frame = q.indicator_changes(code, s.scope_districts, first, last)
        held = catalogue.target(code, year, _district(s))
        parts.append(frame[["period", "value"]].assign(code=code, target=held.target))
    frame = pd.concat(parts, ignore_index=True)
    title = i18n.t("svc_rates", s.lang)
    if frame["value"].isna().all():
        return figures.empty(theme, title, i18n.t("no_data", s.lang))
    return figures.service_rates(frame, [catalogue.get(c) for c in RATE_CODES], theme=theme,
                                 lang=s.lang, start=s.start, end=s.end, title=title)


@common.reads("service_cases")
def cases_chart(s: st.FilterState, runtime, theme):
    """Cases accepted each month and the share completed within the legal limit."""
    title = i18n.t("svc_cases", s.lang)
    if not has_cases(runtime):
        return figures.empty(theme, title, no_cases_text(s.lang))
    first, last = _window(s)
    frame = runtime.queries.service_breakdown("month", s.scope, first, last)
    held = runtime.catalogue.target("service_on_time_rate",
                                    dt.date.fromisoformat(s.end).year, _district(s))
    if frame.empty:
        return figures.empty(theme, title, i18n.t("no_data", s.lang))
    return figures.case_volumes(frame, theme=theme, lang=s.lang, start=s.start, end=s.end,
                                target=held.target, title=title)


@common.reads("service_cases")
def ratings_chart(s: st.FilterState, runtime, theme):
    """Each month's 差评, rectified or not, and their share of the rated cases."""
    title = i18n.t("svc_ratings", s.lang)
    if not has_cases(runtime):
        return figures.empty(theme, title, no_cases_text(s.lang))
    first, last = _window(s)
    frame = runtime.queries.service_breakdown("month", s.scope, first, last)
    if frame.empty:
        return figures.empty(theme, title, i18n.t("no_data", s.lang))
    return figures.bad_ratings(frame, theme=theme, lang=s.lang, start=s.start, end=s.end,
                               title=title)


@common.reads("service_cases")
def departments_chart(s: st.FilterState, runtime, theme):
    """Each department's share of cases completed within the legal limit."""
    title = i18n.t("svc_departments", s.lang)
    if not has_cases(runtime):
        return figures.empty(theme, title, no_cases_text(s.lang))
    frame = runtime.queries.service_breakdown("department", s.scope, s.start, s.end)
    if not frame["n"].any():
        return figures.empty(theme, title, i18n.t("no_data", s.lang))
    ind = runtime.catalogue.get("service_on_time_rate")
    held = runtime.catalogue.target(ind.code, dt.date.fromisoformat(s.end).year, _district(s))
    return figures.departments_on_time(frame, ind, theme=theme, lang=s.lang,
                                       target=held.target, title=title)


def ranked_code(s: st.FilterState, runtime) -> str:
    """The district chart's indicator: the chosen one when it is a services indicator that
    districts have (a rate, or a case figure), else DEFAULT_RANKED."""
    ind = runtime.catalogue.get(s.indicator)
    if ind.domain == "services" and ind.code not in CITY_COUNTS:
        return ind.code
    return DEFAULT_RANKED


@common.reads("indicator")
def districts_chart(s: st.FilterState, runtime, theme):
    """The districts ranked by the chosen services indicator (the share within the legal
    limit by default); a city-wide count is not split across districts."""
    chosen = runtime.catalogue.get(s.indicator)
    if chosen.code in CITY_COUNTS:
        return figures.empty(theme, figures.indicator_title(chosen, s.lang),
                             i18n.t("svc_not_by_district", s.lang))
    ind = runtime.catalogue.get(ranked_code(s, runtime))
    title = f"{i18n.t('ranking', s.lang)} · {figures.indicator_title(ind, s.lang)}"
    if ind.kind == "cases" and not has_cases(runtime):
        return figures.empty(theme, title, no_cases_text(s.lang))
    frame = runtime.queries.indicator_by_district(ind.code, s.start, s.end)
    if frame["headline"].isna().all():
        return figures.empty(theme, title, i18n.t("no_data", s.lang))
    return figures.ranking(frame, ind, theme=theme, lang=s.lang, selected=s.scope_districts)


def _round(value, digits: int = 1):
    return None if value is None or pd.isna(value) else round(float(value), digits)


def department_rows(s: st.FilterState, runtime) -> list[dict]:
    """The department table: cases, completed, % within the limit, mean working days
    against the mean legal limit, 差评 and % rectified."""
    if not has_cases(runtime):
        return []
    frame = runtime.queries.service_breakdown("department", s.scope, s.start, s.end)
    return [{"name": row["name_en"] if s.lang == "en" else row["name_zh"],
             "n": int(row["n"]), "completed": int(row["n_completed"]),
             "on_time_rate": _round(row["on_time_rate"]),
             "days": (f"{_round(row['mean_days'])} / {_round(row['mean_limit'])}"
                      if not pd.isna(row["mean_days"]) else None),
             "bad": int(row["n_bad"]), "rectified_rate": _round(row["rectified_rate"])}
            for _, row in frame.iterrows() if row["n"] > 0]


CHARTS: dict[str, common.Chart] = {
    Services.RATES: rates_chart,
    Services.CASES: cases_chart,
    Services.RATINGS: ratings_chart,
    Services.DEPARTMENTS: departments_chart,
    Services.DISTRICTS: districts_chart,
}
