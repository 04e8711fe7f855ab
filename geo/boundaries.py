"""The demo city's shipped county boundaries."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely

from geo.crs import convert_geometries

BOUNDARY_DIR = Path(__file__).parent / "boundaries"
GANZHOU_FILE = BOUNDARY_DIR / "ganzhou_districts_gcj02.geojson"


def load_ganzhou_districts() -> gpd.GeoDataFrame:
    """Return Ganzhou's 18 county-level divisions (code, name, geometry) in WGS-84.

    The shipped file is GCJ-02 as published; it is converted here, once, at load time.
    """
    raw = json.loads(GANZHOU_FILE.read_text(encoding="utf-8"))
    codes = [f["properties"]["code"] for f in raw["features"]]
    names = [f["properties"]["name"] for f in raw["features"]]
    geoms = [shapely.geometry.shape(f["geometry"]) for f in raw["features"]]
    wgs = convert_geometries(geoms, "GCJ02", "WGS84")
    return gpd.GeoDataFrame({"code": codes, "name": names}, geometry=list(wgs), crs="EPSG:4326")
