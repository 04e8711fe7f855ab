"""The environment screen's charts: the AQI calendar, pollutant trends, stations, water
sections."""

from __future__ import annotations

import i18n
from charts import common
from charts import state as st
from layouts import figures
from layouts.ids import Environment


def _empty(key: str, s: st.FilterState, theme):
    return figures.empty(theme, i18n.t(key, s.lang), i18n.t("no_data", s.lang))


@common.reads("air_hourly")
def calendar_chart(s: st.FilterState, runtime, theme):
    """The daily AQI of the district (or the city) as a calendar."""
    frame = runtime.queries.aqi_daily(s.scope_districts)
    day = frame["day"].astype(str).str[:10]
    frame = frame[(day >= s.start) & (day <= s.end)]
    if frame.empty:
        return _empty("aqi_calendar", s, theme)
    return figures.aqi_calendar(frame, theme=theme, lang=s.lang, start=s.start, end=s.end)


@common.reads("air_hourly")
def trends_chart(s: st.FilterState, runtime, theme):
    """Each station's daily readings of the chosen pollutant."""
    frame = runtime.queries.pollutant_daily(s.scope, s.pollutant, s.start, s.end)
    if frame.empty:
        return _empty("station_trends", s, theme)
    return figures.station_trends(frame, s.pollutant, theme=theme, lang=s.lang,
                                  start=s.start, end=s.end)


@common.reads("air_hourly")
def stations_chart(s: st.FilterState, runtime, theme):
    """The stations ranked by mean AQI."""
    frame = runtime.queries.stations_aqi(s.scope, s.start, s.end)
    if frame.empty or frame["aqi"].isna().all():
        return _empty("station_ranking", s, theme)
    return figures.station_ranking(frame, theme=theme, lang=s.lang)


@common.reads("water_quality")
def water_chart(s: st.FilterState, runtime, theme):
    """The water sections by class, month by month."""
    frame = runtime.queries.water_classes_monthly(s.scope, s.start, s.end)
    if frame.empty:
        return _empty("water_by_month", s, theme)
    return figures.water_classes_by_month(frame, theme=theme, lang=s.lang)


CHARTS: dict[str, common.Chart] = {
    Environment.CALENDAR: calendar_chart,
    Environment.TRENDS: trends_chart,
    Environment.STATIONS: stations_chart,
    Environment.WATER: water_chart,
}
