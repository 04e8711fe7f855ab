"""Reading hourly air readings per station."""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Iterable

import pandas as pd

from data import aqi as aqi_standard
from data.load.cells import (
    TIME_FORMATS,
    _as_datetime,
    _Bad,
    _datetimes,
    _listing,
    _number,
    _split_unit,
    _time_text,
    _timestamp,
    _unit_key,
    _whole,
)
from data.load.columns import _AIR_FIELDS, _columns, _duplicates, _Findings, _ignored, _parse_column
from data.load.table import read_table

_POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co", "o3")
#: The top of each pollutant's hourly AQI table (HJ 633-2012): above it a value is off the
#: scale, which is more often a unit mix-up (CO in µg/m³) than an event.
AIR_CEILINGS = {"pm25": 500.0, "pm10": 600.0, "so2": 2620.0, "no2": 3840.0, "co": 150.0,
                "o3": 1200.0}
_AIR_UNITS = {"co": "mg/m3"}


def _station_listing(codes: Iterable[str]) -> str:
    return _listing(sorted(codes))


def read_air(path: str | os.PathLike, *, stations: set[str], as_of: dt.datetime,
             sheet: str | None = None) -> pd.DataFrame:
    """Return hourly air readings for ``air_hourly`` (without source and as_of).

    Parameters
    ----------
    path : str or path-like
        A table with a station code (站点, station_code) and an hour (时间, ts), and any of
        pm25, pm10, so2, no2, o3 (µg/m³) and co (mg/m³) (PM2.5, 二氧化硫, … work too); aqi
        is optional.
    stations : set of str
        The store's station codes.
    as_of : datetime.datetime
        Readings after it are refused.
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    pandas.DataFrame
        station_code, ts, pm25, pm10, so2, no2, co, o3 (float, NaN where not measured), aqi
        (Int16; computed with ``data.aqi.hourly_aqi`` where the file has none). Warnings
        (values off the AQI scale) are in ``frame.attrs["warnings"]``.

    Raises
    ------
    LoadError
        With every problem: unknown stations, times that are not whole hours or lie after
        ``as_of``, values that are not numbers or are negative, units that are not the
        store's, an AQI outside 0..500, duplicate station x hour rows.
    """
    table = read_table(path, sheet=sheet)
    found = _Findings(table)
    cols, others = _columns(table, _AIR_FIELDS, found)
    col = {name: columns[0] for name, columns in cols.items()}
    if not any(p in col for p in _POLLUTANTS):
        found.error(table.header_row, None, None, "no pollutant column: expected pm25, pm10, "
                    "so2, no2, co or o3")
    for p in _POLLUTANTS:
        if p in col:
            unit = table.units.get(col[p]) or _split_unit(col[p])[1]
            want = _AIR_UNITS.get(p, "μg/m3")
            if unit and _unit_key(unit) != want:
                found.error(table.header_row, col[p], unit, f"{p} must be in "
                            f"{want.replace('3', '³').replace('μ', 'µ')}: convert the values")
    _ignored(found, others, "not a station, time, pollutant or AQI column")
    found.check()

    as_of = _as_datetime(as_of)
    listing = _station_listing(stations)

    def station(text: str):
        return text if text in stations else _Bad(f"matches no air station of the store: "
                                                  f"{listing}")

    def hour(text: str):
        t = _timestamp(text)
        if isinstance(t, dt.datetime):
            if t.minute or t.second:
                return _Bad("not a whole hour: air_hourly holds one reading per station and hour")
            if t > as_of:
                return _Bad(f"after the as-of time {_time_text(as_of)}: a reading cannot lie "
                            "in the future")
        return t

    def concentration(text: str):
        parsed = _number(text)
        if isinstance(parsed, tuple):
            if parsed[1]:
                return _Bad("a percentage: expected a concentration")
            if parsed[0] < 0:
                return _Bad("negative: expected a concentration of 0 or more")
            return parsed[0]
        return parsed

    codes = _parse_column(found, col["station"], station, "empty: expected a station code")
    times = _parse_column(found, col["ts"], hour, f"empty: expected {TIME_FORMATS}")
    levels = {p: _parse_column(found, col.get(p), concentration) for p in _POLLUTANTS}
    given_aqi = _parse_column(found, col.get("aqi"), lambda t: _whole(t, 0, 500, "an AQI"))
    _duplicates(found, [(c, t) if c and t else None for c, t in zip(codes, times)],
                col["ts"], lambda k: f"{k[0]} {_time_text(k[1])}")
    found.check()
    for p in _POLLUTANTS:
        for i, value in enumerate(levels[p]):
            if value is not None and value > AIR_CEILINGS[p]:
                found.warn(found.at(i), col[p], table.frame.at[i, col[p]],
                           f"above the top of the AQI scale for {p} ({AIR_CEILINGS[p]:g}): "
                           "check the unit")
    out = pd.DataFrame({"station_code": pd.Series(codes, dtype="str"),
                        "ts": _datetimes(times)})
    for p in _POLLUTANTS:
        out[p] = pd.to_numeric(pd.Series(levels[p], dtype=object), errors="coerce")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN rows have no AQI
        computed = aqi_standard.hourly_aqi(*(out[p].to_numpy(float) for p in
                                             ("pm25", "pm10", "so2", "no2", "co", "o3")))
    given = pd.to_numeric(pd.Series(given_aqi, dtype=object), errors="coerce")
    out["aqi"] = given.fillna(pd.Series(computed)).round().astype("Int16")
    out.attrs["warnings"] = found.warnings()
    return out
