"""HJ 633-2012 AQI against the standard's own breakpoints."""

import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

from data import aqi
from data.aqi import BREAKPOINTS, daily_aqi, daily_aqi_sql


@pytest.mark.parametrize("conc, expected", [(0, 0), (35, 50), (75, 100), (115, 150),
                                            (150, 200), (250, 300), (350, 400), (500, 500),
                                            (55, 75), (600, 500)])
def test_pm25_iaqi_hits_the_breakpoints_and_interpolates(conc, expected):
    assert aqi.iaqi([conc], "pm25_24h")[0] == expected


def test_iaqi_rounds_up_as_the_standard_requires():
    # 36 µg/m³ PM2.5 is IAQI 50 + 50 * 1/40 = 51.25 -> 52
    assert aqi.iaqi([36], "pm25_24h")[0] == 52


def test_hourly_aqi_is_the_largest_sub_index():
    value = aqi.hourly_aqi(pm25=[20], pm10=[40], so2=[10], no2=[30], co=[0.5], o3=[250])
    assert value[0] == aqi.iaqi([250], "o3_1h")[0] == 125   # 200-300 µg/m³ maps to 100-150


def test_daily_o3_above_800_switches_to_the_one_hour_table():
    assert aqi.daily_aqi([0], [0], [0], [0], [0], [900])[0] == aqi.iaqi([900], "o3_1h")[0]


@pytest.mark.parametrize("value, level", [(0, 0), (50, 0), (51, 1), (100, 1), (101, 2),
                                          (150, 2), (151, 3), (200, 3), (201, 4), (300, 4),
                                          (301, 5), (500, 5)])
def test_levels_follow_the_six_official_bands(value, level):
    assert aqi.level_index([value])[0] == level


def test_missing_concentration_stays_missing():
    assert np.isnan(aqi.iaqi([np.nan], "pm10_24h")[0])


def test_the_daily_aqi_in_sql_is_the_standards_to_the_last_digit():
    """daily_aqi_sql (the city's daily AQI from its stations' mean concentrations, computed in
    the store) gives daily_aqi's numbers: at every breakpoint, between them, past the tables'
    tops, with pollutants missing, and with none measured."""
    rng = np.random.default_rng(7)
    tops = {"pm25": 600, "pm10": 700, "so2": 3000, "no2": 1000, "co": 70, "o3_8h": 1300}
    frame = pd.DataFrame({p: rng.uniform(0, top, 5000) for p, top in tops.items()})
    for p, table in (("pm25", "pm25_24h"), ("pm10", "pm10_24h"), ("so2", "so2_24h"),
                     ("no2", "no2_24h"), ("co", "co_24h"), ("o3_8h", "o3_8h")):
        points = BREAKPOINTS[table].astype(float)
        frame.loc[:len(points) - 1, p] = points
        frame.loc[::9, p] = np.nan
    frame.loc[4990:] = np.nan
    with warnings.catch_warnings():      # a day with nothing measured: an all-NaN max
        warnings.simplefilter("ignore", RuntimeWarning)
        want = daily_aqi(*(frame[p] for p in tops))
    con = duckdb.connect()
    con.register("f", frame)
    got = con.execute(f"SELECT {daily_aqi_sql(*tops)} AS aqi FROM f").df()["aqi"]
    np.testing.assert_array_equal(got.astype(float).to_numpy(), want)
    assert np.isnan(want[-1])
