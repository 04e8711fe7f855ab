"""Callbacks of the economy screen: the filter store to its four charts.

Statistics exist per district: below a district the screen shows that district.
"""

from __future__ import annotations

from dash import Input, Output

from callbacks import filters
from callbacks import state as st
from callbacks.filters import Control, district_click_control
from callbacks.shell import Screen, district_options
from data import catalog
from layouts import economy, figures, i18n, theme
from layouts.ids import Economy, Shell

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


def register(app, runtime) -> None:
    """Register the economy screen's callbacks."""
    q = runtime.queries
    filters.register_controller(app, runtime, Economy.PREFIX, CONTROLS)

    def _state(data):
        return filters.read_state(data, runtime.context)

    def _names(lang: str) -> dict[str, str]:
        return {row["code"]: i18n.name(row, lang) for _, row in q.districts().iterrows()}

    def _empty(title: str, lang: str, message_key: str = "no_data"):
        return figures.empty(THEME, title, i18n.t(message_key, lang))

    # filter store -> the indicator in every district, one small chart each
    @app.callback(Output(Economy.MULTIPLES, "figure"), Input(Shell.FILTERS, "data"))
    def update_multiples(data):
        s = _state(data)
        ind = catalog.get(s.indicator)
        frame = q.indicator_monthly_by_district(ind.code, s.start, s.end)
        if frame.empty or frame["value"].isna().all():
            return _empty(figures.indicator_title(ind, s.lang), s.lang)
        return figures.small_multiples(frame, ind, _names(s.lang), theme=THEME, lang=s.lang,
                                       selected=s.scope_districts)

    # filter store -> the city's or district's value with YoY and MoM
    @app.callback(Output(Economy.CHANGES, "figure"), Input(Shell.FILTERS, "data"))
    def update_changes(data):
        s = _state(data)
        ind = catalog.get(s.indicator)
        frame = q.indicator_changes(ind.code, s.scope_districts, s.start, s.end)
        if frame.empty or frame["value"].isna().all():
            return _empty(figures.indicator_title(ind, s.lang), s.lang)
        return figures.yoy_mom(frame, ind, theme=THEME, lang=s.lang)

    # filter store -> each district's share of the city
    @app.callback(Output(Economy.SHARES, "figure"), Input(Shell.FILTERS, "data"))
    def update_shares(data):
        s = _state(data)
        ind = catalog.get(s.indicator)
        title = f"{i18n.t('shares', s.lang)} · {figures.indicator_title(ind, s.lang)}"
        try:
            frame = q.district_shares(ind.code, s.start, s.end)
        except ValueError:
            return _empty(title, s.lang, "shares_totals_only")
        if frame.empty:
            return _empty(title, s.lang)
        return figures.district_shares(frame, ind, theme=THEME, lang=s.lang,
                                       selected=s.scope_districts)

    # filter store -> the district beside the one to compare with
    @app.callback(Output(Economy.COMPARE, "figure"), Input(Shell.FILTERS, "data"))
    def update_compare(data):
        s = _state(data)
        ind = catalog.get(s.indicator)
        title = f"{i18n.t('compare', s.lang)} · {figures.indicator_title(ind, s.lang)}"
        if not (s.district and s.vs) or s.district == s.vs:
            return _empty(title, s.lang, "compare_hint")
        names = _names(s.lang)
        return figures.compare_districts(
            q.indicator_changes(ind.code, s.district, s.start, s.end),
            q.indicator_changes(ind.code, s.vs, s.start, s.end),
            names[s.district], names[s.vs], ind, theme=THEME, lang=s.lang)
