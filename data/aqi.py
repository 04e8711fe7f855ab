"""Air Quality Index per China's HJ 633-2012 (环境空气质量指数技术规定).

Pure numpy: the generator uses it to derive hourly and daily AQI from concentrations, and tests
check it against the standard's breakpoint table.
"""

from __future__ import annotations

import numpy as np

IAQI = np.array([0, 50, 100, 150, 200, 300, 400, 500], dtype=float)

#: Breakpoints (µg/m³, CO in mg/m³) by pollutant and averaging period, HJ 633-2012 table 1.
#: The 1-hour tables of SO2 and O3 stop early: above their last breakpoint the standard uses
#: the 24-hour (SO2) or 1-hour (O3 8-hour) table, which the caller handles by the "24h"/"1h" pair.
BREAKPOINTS: dict[str, np.ndarray] = {
    "so2_24h": np.array([0, 50, 150, 475, 800, 1600, 2100, 2620]),
    "so2_1h": np.array([0, 150, 500, 650, 800]),
    "no2_24h": np.array([0, 40, 80, 180, 280, 565, 750, 940]),
    "no2_1h": np.array([0, 100, 200, 700, 1200, 2340, 3090, 3840]),
    "pm10_24h": np.array([0, 50, 150, 250, 350, 420, 500, 600]),
    "co_24h": np.array([0, 2, 4, 14, 24, 36, 48, 60]),
    "co_1h": np.array([0, 5, 10, 35, 60, 90, 120, 150]),
    "o3_1h": np.array([0, 160, 200, 300, 400, 800, 1000, 1200]),
    "o3_8h": np.array([0, 100, 160, 215, 265, 800]),
    "pm25_24h": np.array([0, 35, 75, 115, 150, 250, 350, 500]),
}

#: (upper AQI bound, key, 中文, English, colour) for the six official levels.
LEVELS = [
    (50, "excellent", "优", "Excellent", "#00e400"),
    (100, "good", "良", "Good", "#ffff00"),
    (150, "light", "轻度污染", "Lightly polluted", "#ff7e00"),
    (200, "moderate", "中度污染", "Moderately polluted", "#ff0000"),
    (300, "heavy", "重度污染", "Heavily polluted", "#99004c"),
    (float("inf"), "severe", "严重污染", "Severely polluted", "#7e0023"),
]


def iaqi(conc, table: str) -> np.ndarray:
    """Return the individual AQI of concentrations for one breakpoint table (ceil, as the standard).

    Values above the table's top are capped at its top IAQI; NaN stays NaN.
    """
    bp = BREAKPOINTS[table].astype(float)
    c = np.asarray(conc, dtype=float)
    top = IAQI[len(bp) - 1]
    out = np.interp(c, bp, IAQI[: len(bp)])
    out = np.where(c >= bp[-1], top, out)
    return np.ceil(np.where(np.isnan(c), np.nan, out))


def hourly_aqi(pm25, pm10, so2, no2, co, o3) -> np.ndarray:
    """Return the hourly (real-time) AQI: PM by their 24-hour tables, gases by 1-hour tables."""
    so2_i = np.where(np.asarray(so2) > 800, iaqi(so2, "so2_24h"), iaqi(so2, "so2_1h"))
    parts = [iaqi(pm25, "pm25_24h"), iaqi(pm10, "pm10_24h"), so2_i,
             iaqi(no2, "no2_1h"), iaqi(co, "co_1h"), iaqi(o3, "o3_1h")]
    return np.nanmax(np.vstack(parts), axis=0)


def daily_aqi(pm25, pm10, so2, no2, co, o3_8h) -> np.ndarray:
    """Return the daily AQI from 24-hour means and the daily maximum 8-hour O3 mean."""
    o3 = np.asarray(o3_8h, dtype=float)
    o3_i = np.where(o3 > 800, iaqi(o3, "o3_1h"), iaqi(o3, "o3_8h"))
    parts = [iaqi(pm25, "pm25_24h"), iaqi(pm10, "pm10_24h"), iaqi(so2, "so2_24h"),
             iaqi(no2, "no2_24h"), iaqi(co, "co_24h"), o3_i]
    return np.nanmax(np.vstack(parts), axis=0)


def level_index(aqi) -> np.ndarray:
    """Return the 0-based level (0 = 优 … 5 = 严重污染) of each AQI value; -1 where missing."""
    bounds = np.array([lv[0] for lv in LEVELS[:-1]])
    values = np.asarray(aqi, dtype=float)
    return np.where(np.isnan(values), -1, np.searchsorted(bounds, values, side="left"))


def _iaqi_sql(column: str, table: str) -> str:
    """SQL of ``iaqi`` for one column: the same interpolation (numpy's arithmetic, so the same
    doubles), capped at the table's top, rounded up; NULL stays NULL."""
    bp = [float(b) for b in BREAKPOINTS[table]]
    iaqi_ = [float(i) for i in IAQI]
    top = iaqi_[len(bp) - 1]
    cases = [f"WHEN {column} IS NULL THEN NULL", f"WHEN {column} >= {bp[-1]!r} THEN {top!r}",
             f"WHEN {column} <= {bp[0]!r} THEN {iaqi_[0]!r}"]
    for j in range(len(bp) - 1):
        slope = (iaqi_[j + 1] - iaqi_[j]) / (bp[j + 1] - bp[j])
        cases.append(f"WHEN {column} < {bp[j + 1]!r} THEN "
                     f"{slope!r} * ({column} - {bp[j]!r}) + {iaqi_[j]!r}")
    return f"ceil(CASE {' '.join(cases)} END)"


def daily_aqi_sql(pm25: str, pm10: str, so2: str, no2: str, co: str, o3_8h: str) -> str:
    """SQL of ``daily_aqi`` over columns of daily concentrations (24-hour means, the daily
    maximum 8-hour O3 mean): the city's or a district's daily AQI from its stations' mean
    concentrations, computed where the data is (HJ 633-2012: the highest IAQI; NULL when no
    pollutant was measured)."""
    o3 = (f"CASE WHEN {o3_8h} > 800 THEN {_iaqi_sql(o3_8h, 'o3_1h')} "
          f"ELSE {_iaqi_sql(o3_8h, 'o3_8h')} END")
    parts = [_iaqi_sql(pm25, "pm25_24h"), _iaqi_sql(pm10, "pm10_24h"),
             _iaqi_sql(so2, "so2_24h"), _iaqi_sql(no2, "no2_24h"), _iaqi_sql(co, "co_24h"), o3]
    return f"greatest({', '.join(parts)})"
