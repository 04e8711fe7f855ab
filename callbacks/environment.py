"""Callbacks of the environment screen: the filter store to its four charts.

Air and water exist per district: a township or grid cell shows its district's air calendar
and its own stations and sections (placed in cells), as the query layer decides.
"""

from __future__ import annotations

from callbacks import filters
from callbacks import state as st
from callbacks.filters import Control
from callbacks.shell import Screen
from data.queries import POLLUTANTS
from layouts import environment, figures, i18n, theme
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

def _empty(key: str, s: st.FilterState, theme):
    return figures.empty(theme, i18n.t(key, s.lang), i18n.t("no_data", s.lang))


@filters.reads("air_hourly")
def calendar_chart(s: st.FilterState, runtime, theme):
    """The daily AQI of the district (or the city) as a calendar."""
    frame = runtime.queries.aqi_daily(s.scope_districts)
    day = frame["day"].astype(str).str[:10]
    frame = frame[(day >= s.start) & (day <= s.end)]
    if frame.empty:
        return _empty("aqi_calendar", s, theme)
    return figures.aqi_calendar(frame, theme=theme, lang=s.lang, start=s.start, end=s.end)


@filters.reads("air_hourly")
def trends_chart(s: st.FilterState, runtime, theme):
    """Each station's daily readings of the chosen pollutant."""
    frame = runtime.queries.pollutant_daily(s.scope, s.pollutant, s.start, s.end)
    if frame.empty:
        return _empty("station_trends", s, theme)
    return figures.station_trends(frame, s.pollutant, theme=theme, lang=s.lang,
                                  start=s.start, end=s.end)


@filters.reads("air_hourly")
def stations_chart(s: st.FilterState, runtime, theme):
    """The stations ranked by mean AQI."""
    frame = runtime.queries.stations_aqi(s.scope, s.start, s.end)
    if frame.empty or frame["aqi"].isna().all():
        return _empty("station_ranking", s, theme)
    return figures.station_ranking(frame, theme=theme, lang=s.lang)


@filters.reads("water_quality")
def water_chart(s: st.FilterState, runtime, theme):
    """The water sections by class, month by month."""
    frame = runtime.queries.water_classes_monthly(s.scope, s.start, s.end)
    if frame.empty:
        return _empty("water_by_month", s, theme)
    return figures.water_classes_by_month(frame, theme=theme, lang=s.lang)


CHARTS = {Environment.CALENDAR: calendar_chart, Environment.TRENDS: trends_chart,
          Environment.STATIONS: stations_chart, Environment.WATER: water_chart}


def register(app, runtime) -> None:
    """Register the environment screen's callbacks."""
    filters.register_controller(app, runtime, Environment.PREFIX, CONTROLS)
    filters.register_charts(app, runtime, CHARTS, THEME)
