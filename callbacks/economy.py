"""Callbacks of the economy screen: the filter store to its four charts.

Statistics exist per district: below a district the screen shows that district.
"""

from __future__ import annotations

from callbacks import filters
from callbacks.filters import Control, district_click_control
from callbacks.shell import Screen, district_options
from charts import state as st
from charts.economy import CHARTS
from layouts import economy, theme
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


def register(app, runtime) -> None:
    """Register the economy screen's callbacks."""
    filters.register_controller(app, runtime, Economy.PREFIX, CONTROLS)
    filters.register_charts(app, runtime, CHARTS, THEME)
