"""The demo city's geography: districts, generated townships and grid cells with their
population, departments, air stations and water sections."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from data.demo.city import _DEPARTMENTS, CITY, DISTRICTS, PLANTED
from data.store import insert
from geo.boundaries import load_ganzhou_districts
from geo.tessellate import sample_points, tessellate


@dataclass
class _Geography:
    districts: pd.DataFrame
    cells: pd.DataFrame            # code, district_code, township_code, population
    cell_lon: np.ndarray           # (cells, POOL) points inside each cell
    cell_lat: np.ndarray
    stations: pd.DataFrame
    sections: pd.DataFrame


def _write_geography(con, rng: np.random.Generator) -> _Geography:
    counties = load_ganzhou_districts()
    towns, cells = tessellate(counties)
    # People cluster around the county seat (taken as the county's inner point) and thin out.
    seat = {c: shapely.point_on_surface(g) for c, g in zip(counties.code, counties.geometry)}
    centroids = shapely.centroid(cells.geometry.values)
    km = shapely.distance(centroids, [seat[d] for d in cells.district_code]) * 105.0
    weight = cells.area_km2.to_numpy() * (0.25 + 6.0 * np.exp(-km / 6.0))
    weight *= rng.lognormal(0, 0.35, len(cells))
    pop_of = {c: DISTRICTS[c][1] * 10_000 for c in DISTRICTS}
    cells["population"] = 0
    for code, idx in cells.groupby("district_code").indices.items():
        share = weight[idx] / weight[idx].sum()
        cells.loc[cells.index[idx], "population"] = np.round(share * pop_of[code]).astype(int)
    towns["population"] = towns.code.map(cells.groupby("township_code").population.sum())

    inner = counties.geometry.representative_point()
    districts = pd.DataFrame({
        "code": counties.code, "name_zh": counties.name,
        "name_en": [DISTRICTS[c][0] for c in counties.code], "parent_code": CITY["code"],
        "population": [pop_of[c] for c in counties.code],
        "area_km2": counties.code.map(cells.groupby("district_code").area_km2.sum()),
        "lon": inner.x, "lat": inner.y, "geom": shapely.to_wkb(counties.geometry.values),
    })
    insert(con, "districts", districts)
    insert(con, "townships", pd.DataFrame({
        "code": towns.code, "name_zh": towns.name,
        "name_en": [f"{DISTRICTS[d][0]} {n}" for d, n in zip(towns.district_code, towns.name_en)],
        "district_code": towns.district_code, "population": towns.population,
        "area_km2": towns.area_km2, "geom": shapely.to_wkb(towns.geometry.values)}))
    insert(con, "grid_cells", pd.DataFrame({
        "code": cells.code, "name_zh": cells.name, "name_en": cells.name_en,
        "township_code": cells.township_code,
        "district_code": cells.district_code, "h3": cells.h3, "population": cells.population,
        "area_km2": cells.area_km2, "geom": shapely.to_wkb(cells.geometry.values)}))
    insert(con, "departments", pd.DataFrame(_DEPARTMENTS, columns=["code", "name_zh", "name_en"]))

    lon, lat = sample_points(cells.geometry.values, 32, rng)
    cell_frame = pd.DataFrame(cells[["code", "district_code", "township_code", "population"]])
    stations = _place_stations(cell_frame, lon, lat, districts)
    sections = _place_sections(cell_frame, lon, lat, rng)
    insert(con, "stations", stations)
    insert(con, "water_sections", sections)
    return _Geography(districts, cell_frame, lon, lat, stations, sections)


def _place_stations(cells, lon, lat, districts) -> pd.DataFrame:
    """Two stations per county, more in the three urban districts: 42 in all."""
    extra = {"360702": 3, "360703": 2, "360704": 1}
    rows = []
    for d in districts.itertuples():
        idx = np.flatnonzero(cells.district_code.to_numpy() == d.code)
        # the most populous cells: monitoring stations sit where people live
        ranked = idx[np.argsort(-cells.population.to_numpy()[idx])]
        for k in range(2 + extra.get(d.code, 0)):
            ci = ranked[k * 3]
            rows.append({
                "code": f"A{d.code}{k + 1:02d}", "name_zh": f"{d.name_zh}监测站{k + 1}",
                "name_en": f"{d.name_en} station {k + 1}", "district_code": d.code,
                "grid_code": cells.code.iat[ci], "lon": lon[ci, k % lon.shape[1]],
                "lat": lat[ci, k % lat.shape[1]]})
    return pd.DataFrame(rows)


_RIVERS = ["赣江", "贡江", "章江", "桃江", "琴江", "梅江", "平江", "湘水", "濂江", "上犹江",
           "绵江", "寻乌水", "定南水", "东江"]


def _place_sections(cells, lon, lat, rng) -> pd.DataFrame:
    """30 surface-water sections, four of them drinking-water sources."""
    picks = rng.choice(len(cells), 30, replace=False)
    picks[0] = np.flatnonzero(cells.district_code.to_numpy() == PLANTED["water"][0])[0]
    rows = []
    for k, ci in enumerate(picks):
        river = _RIVERS[k % len(_RIVERS)]
        rows.append({
            "code": f"W{k + 1:03d}", "name_zh": f"{river}{k + 1}号断面",
            "name_en": f"Section {k + 1}", "river_zh": river,
            "district_code": cells.district_code.iat[ci], "grid_code": cells.code.iat[ci],
            "lon": lon[ci, 0], "lat": lat[ci, 0], "target_class": 2 if k % 8 == 3 else 3,
            "drinking_source": k % 8 == 3})
    return pd.DataFrame(rows)
