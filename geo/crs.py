"""WGS-84, GCJ-02 and BD-09 conversion.

Chinese web maps publish GCJ-02 (Amap, Tencent) or BD-09 (Baidu: GCJ-02 shifted once more)
coordinates; GPS and most open data use WGS-84. They differ by a few hundred metres (BD-09 by
up to a kilometre). The store keeps WGS-84 only and converts at load time. The forward
formulas are the published ones; GCJ-02's inverse is solved by fixed-point iteration, which
converges to well under a centimetre in a few steps, BD-09's has a closed form.
"""

from __future__ import annotations

import numpy as np
import shapely

_A = 6378245.0
_EE = 0.00669342162296594323

#: CRS names the loaders accept; the store itself is always WGS-84.
SUPPORTED = ("WGS84", "GCJ02", "BD09")
_X_PI = np.pi * 3000.0 / 180.0


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """Return GCJ-02 (lon, lat) arrays for WGS-84 input (scalars or arrays)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, iterations: int = 4):
    """Return WGS-84 (lon, lat) arrays for GCJ-02 input, by fixed-point iteration."""
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (flon - glon), wlat - (flat - glat)
    return wlon, wlat


def bd09_to_gcj02(lon, lat):
    """Return GCJ-02 (lon, lat) arrays for BD-09 input (Baidu's published inverse)."""
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon, lat):
    """Return BD-09 (lon, lat) arrays for GCJ-02 input."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


_TO_WGS84 = {"WGS84": lambda lon, lat: (np.asarray(lon, dtype=float),
                                        np.asarray(lat, dtype=float)),
             "GCJ02": gcj02_to_wgs84,
             "BD09": lambda lon, lat: gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))}
_FROM_WGS84 = {"WGS84": _TO_WGS84["WGS84"], "GCJ02": wgs84_to_gcj02,
               "BD09": lambda lon, lat: gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))}


def convert_points(lon, lat, source: str, target: str = "WGS84"):
    """Return (lon, lat) arrays converted from ``source`` to ``target`` (SUPPORTED names)."""
    for name in (source, target):
        if name not in SUPPORTED:
            raise ValueError(f"unsupported CRS {name!r}: expected one of {SUPPORTED}")
    if source == target:
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return _FROM_WGS84[target](*_TO_WGS84[source](lon, lat))


NAMES = {"WGS84": "WGS-84", "GCJ02": "GCJ-02", "BD09": "BD-09"}


def named(text: str | None) -> str:
    """The system a load option names (WGS84, GCJ02 or BD09, in any case and punctuation:
    "gcj-02", "BD_09"); None means WGS84. ValueError for anything else."""
    if text is None:
        return "WGS84"
    system = str(text).upper().replace("-", "").replace("_", "")
    if system not in SUPPORTED:
        raise ValueError(f"--source-crs WGS84, GCJ02 or BD09, not {text!r}")
    return system


def points_to_wgs84(lon: list, lat: list, source: str) -> tuple[list, list]:
    """A file's coordinate columns (None where a cell was empty or bad) in WGS-84."""
    if source == "WGS84":
        return lon, lat
    whole = [i for i, (x, y) in enumerate(zip(lon, lat)) if x is not None and y is not None]
    x, y = convert_points([lon[i] for i in whole], [lat[i] for i in whole], source)
    lon, lat = list(lon), list(lat)
    for k, i in enumerate(whole):
        lon[i], lat[i] = float(x[k]), float(y[k])
    return lon, lat


def convert_geometries(geoms, source: str, target: str = "WGS84"):
    """Return the geometries converted from ``source`` to ``target`` CRS.

    Parameters
    ----------
    geoms : array-like of shapely geometries
    source, target : {"WGS84", "GCJ02", "BD09"}
    """
    for name in (source, target):
        if name not in SUPPORTED:
            raise ValueError(f"unsupported CRS {name!r}: expected one of {SUPPORTED}")
    if source == target:
        return np.asarray(geoms)

    def _xy(coords: np.ndarray) -> np.ndarray:
        x, y = convert_points(coords[:, 0], coords[:, 1], source, target)
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms), _xy)
