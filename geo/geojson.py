"""GeoJSON for the browser and the initial map view.

The map figures carry only a URL to the GeoJSON (served by ``web/routes.py``), so geometry crosses
the wire once per level, not with every filter change.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import shapely
import shapely.ops

#: map level -> (store table, columns, simplification tolerance in degrees, parent column)
LEVELS = {
    "districts": ("districts", ("code", "name_zh", "name_en"), 0.0, None),
    "townships": ("townships", ("code", "name_zh", "name_en", "district_code"), 0.001,
                  "district_code"),
    "grid_cells": ("grid_cells", ("code", "name_zh", "township_code", "district_code"), 0.0005,
                   "township_code"),
}


def simplify_for_display(frame: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Return the shapes simplified together (shared borders stay shared), to 1e-5°."""
    _check_wgs84(frame)
    geoms = frame.geometry.values
    if tolerance:
        geoms = shapely.coverage_simplify(geoms, tolerance)
    return frame.set_geometry(shapely.set_precision(geoms, 1e-5))


def _check_wgs84(frame) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"expected a GeoDataFrame, got {type(frame).__name__}")
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise ValueError(f"GeoJSON must be WGS-84 (EPSG:4326), got {frame.crs}")


def name_property(level: str, lang: str) -> str:
    """The feature property holding an area's name in ``lang`` (grid cells have one name)."""
    return "name_en" if lang == "en" and "name_en" in LEVELS[level][1] else "name_zh"


def to_geojson(frame: gpd.GeoDataFrame) -> bytes:
    """Return compact GeoJSON bytes with each feature's ``id`` set to its ``code``."""
    _check_wgs84(frame)
    geoms = frame.geometry.values
    props = frame.drop(columns=frame.geometry.name)
    features = [{"type": "Feature", "id": rec["code"], "properties": rec,
                 "geometry": shapely.geometry.mapping(g)}
                for rec, g in zip(props.to_dict("records"), geoms)]
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def map_view(bounds: tuple[float, float, float, float], width_px: int = 760,
             height_px: int = 620) -> tuple[dict, float]:
    """Return (center, zoom) that fits lon/lat bounds into a map of the given pixel size."""
    minx, miny, maxx, maxy = bounds
    center = {"lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2}
    lat_stretch = 1 / math.cos(math.radians(center["lat"]))
    zoom_x = math.log2(width_px * 360 / (512 * max(maxx - minx, 1e-6)))
    zoom_y = math.log2(height_px * 360 / (512 * max(maxy - miny, 1e-6) * lat_stretch))
    return center, round(min(zoom_x, zoom_y) - 0.15, 2)


#: Past this many areas no names are written on the map: the city's 9,559 grid cells are a
#: few pixels each at the city's zoom, and their names would only be dropped as overlapping.
LABELLED_AREAS_MAX = 2000


def label_points(frame: gpd.GeoDataFrame, name_column: str) -> dict:
    """Return a GeoJSON FeatureCollection of one point per area to write its name at.

    The point is the pole of inaccessibility of the area's largest part (polylabel: the
    inside point farthest from the border, where a name fits best; a centroid can fall
    outside a crescent). Each feature has ``name`` and ``rank`` (0 for the largest area):
    where names would overlap, the map keeps the larger area's. Beyond LABELLED_AREAS_MAX
    areas, none.
    """
    _check_wgs84(frame)
    if len(frame) > LABELLED_AREAS_MAX:
        return {"type": "FeatureCollection", "features": []}
    points = []
    for code, name, geom in zip(frame["code"], frame[name_column], frame.geometry.values):
        if geom is None or geom.is_empty or not isinstance(name, str) or not name:
            continue
        part = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
        # a tolerance of a hundredth of the part's size: exact enough for a label, and fast
        minx, miny, maxx, maxy = part.bounds
        tolerance = max(maxx - minx, maxy - miny) / 100 or 1e-6
        point = shapely.ops.polylabel(part, tolerance)
        points.append((geom.area, code, name, round(point.x, 5), round(point.y, 5)))
    points.sort(key=lambda p: (-p[0], p[1]))
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": code, "properties": {"name": name, "rank": rank},
         "geometry": {"type": "Point", "coordinates": [x, y]}}
        for rank, (_, code, name, x, y) in enumerate(points)]}
