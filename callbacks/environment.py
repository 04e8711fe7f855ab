"""Callbacks of the environment screen: the filter store to its four charts.

Air and water exist per district: a township or grid cell shows its district's air calendar
and its own stations and sections (placed in cells), as the query layer decides.
"""

from __future__ import annotations

from dash import Input, Output

from callbacks import filters
from callbacks import state as st
from callbacks.filters import Control
from callbacks.shell import Screen
from data.queries import POLLUTANTS
from layouts import environment, figures, i18n, theme
from layouts.ids import Environment, Shell

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


def register(app, runtime) -> None:
    """Register the environment screen's callbacks."""
    q = runtime.queries
    filters.register_controller(app, runtime, Environment.PREFIX, CONTROLS)

    def _state(data):
        return filters.read_state(data, runtime.context)

    def _empty(key: str, lang: str):
        return figures.empty(THEME, i18n.t(key, lang), i18n.t("no_data", lang))

    # filter store -> daily AQI calendar of the district (or the city)
    @app.callback(Output(Environment.CALENDAR, "figure"), Input(Shell.FILTERS, "data"))
    def update_calendar(data):
        s = _state(data)
        frame = q.aqi_daily(s.scope_districts)
        day = frame["day"].astype(str).str[:10]
        frame = frame[(day >= s.start) & (day <= s.end)]
        if frame.empty:
            return _empty("aqi_calendar", s.lang)
        return figures.aqi_calendar(frame, theme=THEME, lang=s.lang, start=s.start, end=s.end)

    # filter store -> each station's daily readings of the chosen pollutant
    @app.callback(Output(Environment.TRENDS, "figure"), Input(Shell.FILTERS, "data"))
    def update_trends(data):
        s = _state(data)
        frame = q.pollutant_daily(s.scope, s.pollutant, s.start, s.end)
        if frame.empty:
            return _empty("station_trends", s.lang)
        return figures.station_trends(frame, s.pollutant, theme=THEME, lang=s.lang,
                                      start=s.start, end=s.end)

    # filter store -> stations ranked by mean AQI
    @app.callback(Output(Environment.STATIONS, "figure"), Input(Shell.FILTERS, "data"))
    def update_stations(data):
        s = _state(data)
        frame = q.stations_aqi(s.scope, s.start, s.end)
        if frame.empty or frame["aqi"].isna().all():
            return _empty("station_ranking", s.lang)
        return figures.station_ranking(frame, theme=THEME, lang=s.lang)

    # filter store -> water sections by class and month
    @app.callback(Output(Environment.WATER, "figure"), Input(Shell.FILTERS, "data"))
    def update_water(data):
        s = _state(data)
        frame = q.water_classes_monthly(s.scope, s.start, s.end)
        if frame.empty:
            return _empty("water_by_month", s.lang)
        return figures.water_classes_by_month(frame, theme=THEME, lang=s.lang)
