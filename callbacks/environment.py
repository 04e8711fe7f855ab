"""Callbacks of the environment screen: the filter store to its four charts.

Air and water exist per district: a township or grid cell shows its district's air calendar
and its own stations and sections (placed in cells), as the query layer decides.
"""

from __future__ import annotations

from callbacks import filters
from callbacks.filters import Control
from callbacks.shell import Screen
from charts import state as st
from charts.environment import CHARTS
from data.queries import POLLUTANTS
from layouts import environment, theme
from layouts.ids import Environment

THEME = theme.WALL

CONTROLS = (
    Control(Environment.POLLUTANT, "value", lambda s, v, _t, _c: st.set_pollutant(s, v),
            shows=lambda s, _c: s.pollutant),
)


def pollutant_options(lang: str) -> list[dict]:
    """The pollutants, named with their units."""
    return [{"label": f"{en if lang == 'en' else zh}" + (f" ({unit})" if unit else ""),
             "value": code} for code, (zh, en, unit) in POLLUTANTS.items()]


def render(state: st.FilterState, _runtime, _app, ids, head, bar):
    return environment.page(ids=ids, lang=state.lang, head=head, bar=bar)


def bar_extra(state: st.FilterState, _runtime):
    return environment.pollutant_control(lang=state.lang, options=pollutant_options(state.lang),
                                         value=state.pollutant)


SCREEN = Screen("environment", Environment.PREFIX, render, bar_extra)


# --- the screen's charts: (state, runtime, theme) -> figure, shared with chart export ----


def register(app, runtime) -> None:
    """Register the environment screen's callbacks."""
    filters.register_controller(app, runtime, Environment.PREFIX, CONTROLS)
    filters.register_charts(app, runtime, CHARTS, THEME)
