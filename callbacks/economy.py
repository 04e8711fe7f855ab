"""Callbacks of the economy screen: the filter store to its four charts.

Statistics exist per district: below a district the screen shows that district.
"""

from __future__ import annotations

from callbacks import filters
from callbacks import state as st
from callbacks.filters import Control, district_click_control
from callbacks.shell import Screen, district_options
from data import catalog
from layouts import economy, figures, i18n, theme
from layouts.ids import Economy

THEME = theme.WALL

CONTROLS = (
    district_click_control(Economy.MULTIPLES),
    district_click_control(Economy.SHARES),
    Control(Economy.VS, "value", lambda s, v, _t, c: st.set_vs(s, v, c),
            shows=lambda s, _c: s.vs),
)


def render(state: st.FilterState, _runtime, _app, ids, head, bar):
    return economy.page(ids=ids, lang=state.lang, head=head, bar=bar)


def bar_extra(state: st.FilterState, runtime):
    return economy.vs_control(lang=state.lang, options=district_options(runtime, state.lang),
                              value=state.vs)


SCREEN = Screen("economy", Economy.PREFIX, render, bar_extra)


# --- the screen's charts: (state, runtime, theme) -> figure, shared with chart export ----

def _names(runtime, lang: str) -> dict[str, str]:
    return {row["code"]: i18n.name(row, lang) for _, row in runtime.queries.districts().iterrows()}


def _empty(title: str, s: st.FilterState, theme, message_key: str = "no_data"):
    return figures.empty(theme, title, i18n.t(message_key, s.lang))


@filters.reads("indicator")
def multiples_chart(s: st.FilterState, runtime, theme):
    """The indicator in every district, one small chart each."""
    ind = catalog.get(s.indicator)
    frame = runtime.queries.indicator_monthly_by_district(ind.code, s.start, s.end)
    if frame.empty or frame["value"].isna().all():
        return _empty(figures.indicator_title(ind, s.lang), s, theme)
    return figures.small_multiples(frame, ind, _names(runtime, s.lang), theme=theme,
                                   lang=s.lang, selected=s.scope_districts)


@filters.reads("indicator")
def changes_chart(s: st.FilterState, runtime, theme):
    """The city's or district's value with its YoY and MoM."""
    ind = catalog.get(s.indicator)
    frame = runtime.queries.indicator_changes(ind.code, s.scope_districts, s.start, s.end)
    if frame.empty or frame["value"].isna().all():
        return _empty(figures.indicator_title(ind, s.lang), s, theme)
    return figures.yoy_mom(frame, ind, theme=theme, lang=s.lang)


@filters.reads("indicator")
def shares_chart(s: st.FilterState, runtime, theme):
    """Each district's share of the city (totals only)."""
    ind = catalog.get(s.indicator)
    title = f"{i18n.t('shares', s.lang)} · {figures.indicator_title(ind, s.lang)}"
    try:
        frame = runtime.queries.district_shares(ind.code, s.start, s.end)
    except ValueError:
        return _empty(title, s, theme, "shares_totals_only")
    if frame.empty:
        return _empty(title, s, theme)
    return figures.district_shares(frame, ind, theme=theme, lang=s.lang,
                                   selected=s.scope_districts)


@filters.reads("indicator")
def compare_chart(s: st.FilterState, runtime, theme):
    """The district beside the one to compare with."""
    ind = catalog.get(s.indicator)
    title = f"{i18n.t('compare', s.lang)} · {figures.indicator_title(ind, s.lang)}"
    if not (s.district and s.vs) or s.district == s.vs:
        return _empty(title, s, theme, "compare_hint")
    q, names = runtime.queries, _names(runtime, s.lang)
    return figures.compare_districts(
        q.indicator_changes(ind.code, s.district, s.start, s.end),
        q.indicator_changes(ind.code, s.vs, s.start, s.end),
        names[s.district], names[s.vs], ind, theme=theme, lang=s.lang)


CHARTS = {Economy.MULTIPLES: multiples_chart, Economy.CHANGES: changes_chart,
          Economy.SHARES: shares_chart, Economy.COMPARE: compare_chart}


def register(app, runtime) -> None:
    """Register the economy screen's callbacks."""
    filters.register_controller(app, runtime, Economy.PREFIX, CONTROLS)
    filters.register_charts(app, runtime, CHARTS, THEME)
