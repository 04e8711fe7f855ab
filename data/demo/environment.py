"""The demo city's environment: hourly and daily air quality per station, monthly water
quality per section."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from data import aqi
from data.demo.city import PLANTED, SOURCE, Calendar
from data.demo.geography import _Geography
from data.store import insert


def _write_air(con, geo: _Geography, rng: np.random.Generator, cal: Calendar) -> None:
    start = pd.Timestamp(cal.first_month)
    hours = pd.date_range(start, pd.Timestamp(cal.now), freq="h")
    n_h, stations = len(hours), geo.stations
    n_s = len(stations)
    doy = hours.day_of_year.to_numpy()
    hod = hours.hour.to_numpy()
    winter = np.cos(2 * np.pi * (doy - 15) / 365.25)           # +1 mid-January, -1 mid-July
    urban = np.where(stations.district_code.isin(["360702", "360703", "360704"]), 1.25, 0.9)
    urban = urban * rng.lognormal(0, 0.08, n_s)
    # a city-wide weather factor (AR(1) over hours) plus each station's own noise; in deep
    # winter (December to February) the weather weighs more: pollution episodes are regional,
    # so some of the city's winter days, whose AQI is from its stations' mean concentrations
    # (good_air_rate), are polluted too
    shock = rng.normal(0, 1, n_h)
    local = rng.normal(0, 1, (n_h, n_s))
    weather = np.empty(n_h)
    station_ar = np.empty((n_h, n_s))
    weather[0], station_ar[0] = 0.0, 0.0
    for h in range(1, n_h):
        weather[h] = 0.985 * weather[h - 1] + 0.17 * shock[h]
        station_ar[h] = 0.9 * station_ar[h - 1] + 0.43 * local[h]
    diurnal = 1 + 0.15 * np.cos(2 * np.pi * (hod - 8) / 24)
    pm25 = ((23 + 12 * winter) * diurnal)[:, None] * urban[None, :] * np.exp(
        (0.38 + 0.25 * np.clip((winter - 0.7) / 0.3, 0, 1))[:, None] * weather[:, None]
        + 0.18 * station_ar)
    # heavy pollution (a daily AQI over 200) is the planted episode's alone
    pm25 = np.minimum(pm25, 140.0)
    # planted episode: the first station of one district at heavy pollution for 36 hours
    ep = np.flatnonzero(stations.district_code.to_numpy() == PLANTED["pm25_episode"][0])[0]
    pm25[-36:, ep] = 165 + 10 * np.sin(np.arange(36) / 4)
    pm10 = pm25 * 1.55 * np.exp(0.1 * station_ar)
    so2 = (9 + 3 * winter)[:, None] * np.exp(0.25 * station_ar)
    no2 = ((22 + 6 * winter) * (1 + 0.35 * np.exp(-((hod - 8) % 24) / 2)
                                + 0.35 * np.exp(-((hod - 18) % 24) / 2)))[:, None] \
        * urban[None, :] * np.exp(0.2 * station_ar)
    co = (0.75 + 0.25 * winter)[:, None] * np.exp(0.15 * station_ar)
    sun = np.clip(np.sin(np.pi * (hod - 7) / 11), 0, None)       # daylight 7h-18h
    o3 = ((36 + 28 * (1 - winter)) * (0.3 + 1.0 * sun))[:, None] * np.exp(
        0.25 * weather[:, None] + 0.12 * station_ar)
    hourly_aqi = aqi.hourly_aqi(pm25.ravel(), pm10.ravel(), so2.ravel(), no2.ravel(), co.ravel(),
                                o3.ravel()).reshape(n_h, n_s)

    as_of = pd.Timestamp(cal.now)
    frame = pa.table({
        "station_code": pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.arange(n_s, dtype=np.int32), n_h)),
            pa.array(stations.code.tolist())),
        "ts": pa.array(np.repeat(hours.to_numpy().astype("datetime64[s]"), n_s)),
        **{name: pa.array(arr.ravel().round(1 if name != "co" else 2).astype(np.float32))
           for name, arr in (("pm25", pm25), ("pm10", pm10), ("so2", so2), ("no2", no2),
                             ("co", co), ("o3", o3))},
        "aqi": pa.array(hourly_aqi.ravel().astype(np.int16)),
        "source": pa.array([SOURCE] * (n_h * n_s)).dictionary_encode(),
        "as_of": pa.array(np.full(n_h * n_s, as_of.to_datetime64().astype("datetime64[s]"))),
    })
    insert(con, "air_hourly", frame)

    # Daily values per HJ 633: 24-hour means, and the day's highest 8-hour O3 mean.
    daily = pd.DataFrame({"station_code": np.tile(stations.code.to_numpy(), n_h),
                          "day": np.repeat(hours.normalize().to_numpy(), n_s),
                          "pm25": pm25.ravel(), "pm10": pm10.ravel(), "so2": so2.ravel(),
                          "no2": no2.ravel(), "co": co.ravel()})
    o3_8h = pd.DataFrame(o3).rolling(8, min_periods=6).mean().to_numpy()
    daily["o3_8h"] = o3_8h.ravel()
    daily = daily.groupby(["station_code", "day"], as_index=False).agg(
        pm25=("pm25", "mean"), pm10=("pm10", "mean"), so2=("so2", "mean"), no2=("no2", "mean"),
        co=("co", "mean"), o3_8h=("o3_8h", "max"))
    daily["aqi"] = aqi.daily_aqi(daily.pm25, daily.pm10, daily.so2, daily.no2, daily.co,
                                 daily.o3_8h).astype(np.int16)
    daily["level"] = aqi.level_index(daily.aqi).astype(np.int8)
    daily["district_code"] = daily.station_code.map(
        dict(zip(stations.code, stations.district_code)))
    for col in ("pm25", "pm10", "so2", "no2", "o3_8h"):
        daily[col] = daily[col].round(1)
    daily["co"] = daily["co"].round(2)
    daily["source"] = SOURCE
    daily["as_of"] = as_of
    daily["day"] = daily["day"].dt.date
    insert(con, "air_daily", daily)


def _write_water(con, geo: _Geography, rng: np.random.Generator, cal: Calendar) -> None:
    sections = geo.sections
    months = [m for m in cal.months() if m <= cal.last_complete_month]
    base = np.where(sections.drinking_source, 2, rng.choice([2, 2, 3, 3, 3], len(sections)))
    rows = []
    for month in months:
        wet = month.month in (5, 6, 7, 8)       # flood season washes more in
        cls = base + (rng.random(len(sections)) < (0.08 if wet else 0.03))
        cls = np.where(sections.drinking_source, np.minimum(cls, 3), cls)
        if month == cal.last_complete_month:
            cls[0] = 5
        rows += [(c, d, month, int(k)) for c, d, k in
                 zip(sections.code, sections.district_code, np.clip(cls, 1, 6))]
    frame = pd.DataFrame(rows, columns=["section_code", "district_code", "period", "class"])
    frame["source"] = SOURCE
    frame["as_of"] = dt.datetime.combine(cal.now.date().replace(day=10), dt.time(9))
    insert(con, "water_quality", frame)
