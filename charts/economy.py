"""The economy screen's charts: small multiples by district, changes, shares, one district
against another."""

from __future__ import annotations

import i18n
from charts import common
from charts import state as st
from layouts import figures
from layouts.ids import Economy


def _names(runtime, lang: str) -> dict[str, str]:
    return {row["code"]: i18n.name(row, lang) for _, row in runtime.queries.districts().iterrows()}


def _empty(title: str, s: st.FilterState, theme, message_key: str = "no_data"):
    return figures.empty(theme, title, i18n.t(message_key, s.lang))


@common.reads("indicator")
def multiples_chart(s: st.FilterState, runtime, theme):
    """The indicator in every district, one small chart each."""
    ind = runtime.catalogue.get(s.indicator)
    frame = runtime.queries.indicator_monthly_by_district(ind.code, s.start, s.end)
    if frame.empty or frame["value"].isna().all():
        return _empty(figures.indicator_title(ind, s.lang), s, theme)
    return figures.small_multiples(frame, ind, _names(runtime, s.lang), theme=theme,
                                   lang=s.lang, selected=s.scope_districts)


@common.reads("indicator")
def changes_chart(s: st.FilterState, runtime, theme):
    """The city's or district's value with its YoY and MoM."""
    ind = runtime.catalogue.get(s.indicator)
    frame = runtime.queries.indicator_changes(ind.code, s.scope_districts, s.start, s.end)
    if frame.empty or frame["value"].isna().all():
        return _empty(figures.indicator_title(ind, s.lang), s, theme)
    return figures.yoy_mom(frame, ind, theme=theme, lang=s.lang)


@common.reads("indicator")
def shares_chart(s: st.FilterState, runtime, theme):
    """Each district's share of the city (totals only)."""
    ind = runtime.catalogue.get(s.indicator)
    title = f"{i18n.t('shares', s.lang)} · {figures.indicator_title(ind, s.lang)}"
    try:
        frame = runtime.queries.district_shares(ind.code, s.start, s.end)
    except ValueError:
        return _empty(title, s, theme, "shares_totals_only")
    if frame.empty:
        return _empty(title, s, theme)
    return figures.district_shares(frame, ind, theme=theme, lang=s.lang,
                                   selected=s.scope_districts)


@common.reads("indicator")
def compare_chart(s: st.FilterState, runtime, theme):
    """The district beside the one to compare with."""
    ind = runtime.catalogue.get(s.indicator)
    title = f"{i18n.t('compare', s.lang)} · {figures.indicator_title(ind, s.lang)}"
    if not (s.district and s.vs) or s.district == s.vs:
        return _empty(title, s, theme, "compare_hint")
    q, names = runtime.queries, _names(runtime, s.lang)
    return figures.compare_districts(
        q.indicator_changes(ind.code, s.district, s.start, s.end),
        q.indicator_changes(ind.code, s.vs, s.start, s.end),
        names[s.district], names[s.vs], ind, theme=theme, lang=s.lang)


CHARTS: dict[str, common.Chart] = {
    Economy.MULTIPLES: multiples_chart,
    Economy.CHANGES: changes_chart,
    Economy.SHARES: shares_chart,
    Economy.COMPARE: compare_chart,
}
