"""Generated townships and grid cells: H3 hexagons clipped to county shapes.

No public township or grid boundaries ship offline, so the demo city makes its own: every county
is covered by H3 cells (resolution 7, about 5 km² each, "overlap" containment so the border is
covered too), each clipped to the county. A grid cell's township is its resolution-5 H3 parent
within the county, and a township's shape is the union of its cells, so cells nest exactly.
"""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

GRID_RES = 7
TOWNSHIP_RES = 5


def _check_input(counties: gpd.GeoDataFrame) -> None:
    if not isinstance(counties, gpd.GeoDataFrame):
        raise TypeError(f"counties must be a GeoDataFrame, got {type(counties).__name__}")
    if counties.crs is None or counties.crs.to_epsg() != 4326:
        raise ValueError(f"counties must be in EPSG:4326 (WGS-84), got {counties.crs}")
    missing = {"code", "name"} - set(counties.columns)
    if missing:
        raise ValueError(f"counties lacks columns {sorted(missing)}")


def _hexagon(cell: str) -> shapely.Polygon:
    return shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])


def tessellate(counties: gpd.GeoDataFrame, grid_res: int = GRID_RES,
               township_res: int = TOWNSHIP_RES) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return (townships, grid_cells) GeoDataFrames covering the counties.

    Codes extend the parent code: township = county code + 3 digits, grid cell = township code
    + 3 digits. Both frames carry ``code``, ``name``, ``district_code``, ``area_km2`` and the
    clipped geometry; grid cells carry ``township_code`` and their ``h3`` index as well.
    """
    _check_input(counties)
    town_rows, cell_rows = [], []
    for county in counties.sort_values("code").itertuples():
        shape = h3.geo_to_h3shape(county.geometry.__geo_interface__)
        cells = sorted(h3.h3shape_to_cells_experimental(shape, grid_res, contain="overlap"))
        hexes = [_hexagon(c) for c in cells]
        clipped = shapely.intersection(np.array(hexes, dtype=object), county.geometry)
        clipped = np.array([_polygonal(g) for g in clipped], dtype=object)
        frame = _merge_slivers(np.array(cells), clipped)
        frame["parent"] = [h3.cell_to_parent(c, township_res) for c in frame["h3"]]
        for t_idx, (_, group) in enumerate(frame.groupby("parent", sort=True), start=1):
            t_code = f"{county.code}{t_idx:03d}"
            town_rows.append({
                "code": t_code, "name": f"{county.name}第{t_idx}片区",
                "name_en": f"Township {t_idx}", "district_code": county.code,
                "geometry": shapely.union_all(group["geometry"].to_numpy()),
            })
            for c_idx, row in enumerate(group.itertuples(), start=1):
                cell_rows.append({
                    "code": f"{t_code}{c_idx:03d}", "name": f"网格{t_idx:02d}-{c_idx:02d}",
                    "name_en": f"Grid {t_idx:02d}-{c_idx:02d}",
                    "district_code": county.code, "township_code": t_code, "h3": row.h3,
                    "geometry": row.geometry,
                })
    townships = gpd.GeoDataFrame(town_rows, crs="EPSG:4326")
    cells = gpd.GeoDataFrame(cell_rows, crs="EPSG:4326")
    for frame in (townships, cells):
        frame["area_km2"] = frame.to_crs(_equal_area()).area / 1e6
    return townships, cells


def _merge_slivers(cells: np.ndarray, clipped: np.ndarray) -> pd.DataFrame:
    """Fold border slivers (under 2% of a hexagon) into their nearest full cell.

    Clipping hexagons to a county border leaves many crumbs a grid worker could never patrol;
    folding them keeps the county covered without gaps.
    """
    area = shapely.area(clipped)
    sliver = area < 0.02 * np.median(area[area > 0])
    keep_idx = np.flatnonzero(~sliver)
    geoms = clipped.copy()
    tree = shapely.STRtree(clipped[keep_idx])
    for i in np.flatnonzero(sliver & (area > 0)):
        target = keep_idx[tree.query_nearest(clipped[i])[0]]
        geoms[target] = _polygonal(shapely.union(geoms[target], clipped[i]))
    return pd.DataFrame({"h3": cells[keep_idx], "geometry": geoms[keep_idx]})


def _polygonal(geom):
    """Keep only the polygon parts of a clip result (drop slivers reduced to lines)."""
    if isinstance(geom, (shapely.Polygon, shapely.MultiPolygon)):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, shapely.Polygon)]
    return shapely.MultiPolygon(parts) if parts else shapely.Polygon()


def _equal_area() -> str:
    # Albers equal-area for China: area in km² without a dependency on the city's UTM zone.
    return "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m"


def sample_points(geoms, per_geom: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return (lon, lat) arrays of shape (len(geoms), per_geom) of points inside each geometry.

    Rejection sampling in each bounding box, vectorised; a geometry that rejects every
    candidate (a thin sliver) falls back to its ``point_on_surface``.
    """
    geoms = np.asarray(geoms, dtype=object)
    bounds = shapely.bounds(geoms)
    n = len(geoms)
    lon = np.empty((n, per_geom))
    lat = np.empty((n, per_geom))
    filled = np.zeros(n, dtype=int)
    shapely.prepare(geoms)
    for _ in range(12):
        todo = np.flatnonzero(filled < per_geom)
        if todo.size == 0:
            break
        k = per_geom * 4
        x = rng.uniform(bounds[todo, 0, None], bounds[todo, 2, None], (todo.size, k))
        y = rng.uniform(bounds[todo, 1, None], bounds[todo, 3, None], (todo.size, k))
        inside = shapely.contains_xy(geoms[todo, None], x, y)
        for row, gi in enumerate(todo):
            xs, ys = x[row][inside[row]], y[row][inside[row]]
            take = min(per_geom - filled[gi], xs.size)
            lon[gi, filled[gi]:filled[gi] + take] = xs[:take]
            lat[gi, filled[gi]:filled[gi] + take] = ys[:take]
            filled[gi] += take
    for gi in np.flatnonzero(filled < per_geom):
        p = shapely.point_on_surface(geoms[gi])
        lon[gi, filled[gi]:] = p.x
        lat[gi, filled[gi]:] = p.y
    return lon, lat
