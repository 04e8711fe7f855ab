"""Air stations and water sections: the daily AQI, each station's pollutants, each
section's water class, kept to an area by the grid cell a station or section stands in."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from data.aqi import level_index
from data.calendar import month_start
from data.queries.base import Area, QueryBase
from data.queries.indicators import AREA_AIR_DAYS

#: The pollutants of the station charts, in display order: code -> (name_zh, name_en, unit).
#: Units per HJ 633-2012: µg/m³, CO in mg/m³, the AQI has none. The µ is the micro sign the
#: catalogue and the interface font use. Names are the formulas Chinese air-quality releases
#: print, so every glyph is already in the served font subset.
POLLUTANTS: dict[str, tuple[str, str, str]] = {
    "aqi": ("空气质量指数", "AQI", ""),
    "pm25": ("PM2.5", "PM2.5", "µg/m³"),
    "pm10": ("PM10", "PM10", "µg/m³"),
    "o3_8h": ("O3-8h", "O3 (8-hour)", "µg/m³"),
    "no2": ("NO2", "NO2", "µg/m³"),
    "so2": ("SO2", "SO2", "µg/m³"),
    "co": ("CO", "CO", "mg/m³"),
}
#: The air_daily column of each pollutant: the only column names pollutant_daily writes into
#: SQL (24-hour means; o3_8h is the day's highest 8-hour mean, aqi the daily AQI).
_POLLUTANT_COLUMN = {"aqi": "aqi", "pm25": "pm25", "pm10": "pm10", "o3_8h": "o3_8h",
                     "no2": "no2", "so2": "so2", "co": "co"}


class EnvironmentQueries(QueryBase):
    """The environment screen's questions (and the overview's AQI calendar and map)."""

    CACHED = ("stations_aqi", "water_classes", "aqi_daily", "pollutant_daily",
              "water_classes_monthly")
    READS = {"stations_aqi": ("air",), "aqi_daily": ("air",), "pollutant_daily": ("air",),
             "water_classes": ("water",), "water_classes_monthly": ("water",)}

    def aqi_daily(self, district: Area) -> pd.DataFrame:
        """Return the area's daily AQI and its level: day, aqi, level. The AQI is HJ
        633-2012's city daily AQI, from the mean of the area's stations' daily
        concentrations: the days the share of good-air days (good_air_rate) counts."""
        where, params = self._where(self._districts_only(district))
        frame = self.store.df(
            f"SELECT day, aqi FROM {AREA_AIR_DAYS.format(keys='', where=where)} ORDER BY day",
            params)
        frame["level"] = level_index(frame["aqi"])
        return frame

    def _place_filter(self, area: Area, alias: str) -> tuple[str, list]:
        """WHERE fragment keeping the stations or sections inside an area (via their cell)."""
        column, codes = self._scope(area)
        if not codes:
            return "", []
        marks = ", ".join("?" * len(codes))
        if column == "district_code":
            return f" AND {alias}.district_code IN ({marks})", list(codes)
        if column == "township_code":
            return (f" AND {alias}.grid_code IN (SELECT code FROM grid_cells "
                    f"WHERE township_code IN ({marks}))"), list(codes)
        return f" AND {alias}.grid_code IN ({marks})", list(codes)

    def stations_aqi(self, area: str | None, start: str, end: str) -> pd.DataFrame:
        """Return the air stations in an area with their mean daily AQI over [start, end]:
        code, name_zh, name_en, lon, lat, aqi, worst (the highest daily AQI), level."""
        where, params = self._place_filter(area, "s")
        frame = self.store.df(
            "SELECT s.code, s.name_zh, s.name_en, s.lon, s.lat, round(avg(a.aqi)) AS aqi, "
            "max(a.aqi) AS worst FROM stations s LEFT JOIN air_daily a "
            "ON a.station_code = s.code AND a.day BETWEEN ? AND ? "
            f"WHERE true{where} GROUP BY ALL ORDER BY s.code",
            [dt.date.fromisoformat(start), dt.date.fromisoformat(end)] + params)
        frame["level"] = level_index(frame["aqi"])
        return frame

    def water_classes(self, area: str | None, start: str, end: str) -> pd.DataFrame:
        """Return the water sections in an area with their latest class in [start, end]:
        code, name_zh, name_en, river_zh, lon, lat, class (1-6, 6 = worse than V), period."""
        where, params = self._place_filter(area, "w")
        return self.store.df(
            "SELECT w.code, w.name_zh, w.name_en, w.river_zh, w.lon, w.lat, "
            "arg_max(q.class, q.period) AS class, max(q.period) AS period "
            "FROM water_sections w LEFT JOIN water_quality q ON q.section_code = w.code "
            "AND q.period BETWEEN ? AND ? "
            f"WHERE true{where} GROUP BY ALL ORDER BY w.code",
            [month_start(start), dt.date.fromisoformat(end)] + params)

    def pollutant_daily(self, area: Area, pollutant: str, start: str, end: str
                        ) -> pd.DataFrame:
        """Return one pollutant's daily value at every air station in an area over [start,
        end]: day, station_code, name_zh, name_en, value (in POLLUTANTS' unit).

        ``pollutant`` is a key of POLLUTANTS; anything else raises KeyError before any SQL is
        written. The area keeps stations as ``stations_aqi`` does: the city (None), a
        district, a township or a grid cell (by the station's cell), or a selection of one
        level. Ordered by station, then day.
        """
        try:
            column = _POLLUTANT_COLUMN[pollutant]
        except (KeyError, TypeError):
            raise KeyError(f"unknown pollutant {pollutant!r}; known: "
                           f"{', '.join(POLLUTANTS)}") from None
        where, params = self._place_filter(area, "s")
        return self.store.df(
            f"SELECT a.day, a.station_code, s.name_zh, s.name_en, "
            f"CAST(a.{column} AS DOUBLE) AS value "
            "FROM air_daily a JOIN stations s ON s.code = a.station_code "
            f"WHERE a.day BETWEEN ? AND ?{where} ORDER BY a.station_code, a.day",
            [dt.date.fromisoformat(start), dt.date.fromisoformat(end)] + params)

    def water_classes_monthly(self, area: Area, start: str, end: str) -> pd.DataFrame:
        """Return how many water sections of an area were in each class, month by month, over
        the months overlapping [start, end]: period (month start), class (1-6), n.

        Classes no section was in are absent, not zero. The area keeps sections as
        ``water_classes`` does (by the section's cell below the districts).
        """
        where, params = self._place_filter(area, "w")
        return self.store.df(
            "SELECT q.period, q.class, count(DISTINCT q.section_code) AS n "
            "FROM water_quality q JOIN water_sections w ON w.code = q.section_code "
            f"WHERE q.period BETWEEN ? AND ?{where} GROUP BY ALL ORDER BY 1, 2",
            [month_start(start), dt.date.fromisoformat(end)] + params)
