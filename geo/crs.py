"""GCJ-02 <-> WGS-84 conversion.

Chinese web maps (Amap, Tencent) publish GCJ-02 coordinates, GPS and most open data use WGS-84;
the two differ by a few hundred metres. The store keeps WGS-84 only and converts at load time.
The forward formula is the published GCJ-02 obfuscation; the inverse is solved by fixed-point
iteration, which converges to well under a centimetre in a few steps.
"""

from __future__ import annotations

import numpy as np
import shapely

_A = 6378245.0
_EE = 0.00669342162296594323

#: CRS names the loaders accept; the store itself is always WGS-84.
SUPPORTED = ("WGS84", "GCJ02")


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


def convert_geometries(geoms, source: str, target: str = "WGS84"):
    """Return the geometries converted from ``source`` to ``target`` CRS.

    Parameters
    ----------
    geoms : array-like of shapely geometries
    source, target : {"WGS84", "GCJ02"}
    """
    for name in (source, target):
        if name not in SUPPORTED:
            raise ValueError(f"unsupported CRS {name!r}: expected one of {SUPPORTED}")
    if source == target:
        return np.asarray(geoms)
    fn = gcj02_to_wgs84 if source == "GCJ02" else wgs84_to_gcj02

    def _xy(coords: np.ndarray) -> np.ndarray:
        x, y = fn(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms), _xy)
