"""CRS conversion, tessellation and GeoJSON preparation on tiny inline shapes."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo import crs
from geo.boundaries import load_ganzhou_districts
from geo.geojson import LABELLED_AREAS_MAX, label_points, map_view, to_geojson
from geo.tessellate import sample_points, tessellate


def test_wgs84_to_gcj02_matches_the_published_offset():
    # reference pair of the widely used eviltransform test suite (Shanghai)
    lon, lat = crs.wgs84_to_gcj02(121.5272106, 31.1774276)
    assert lon == pytest.approx(121.531541859215, abs=1e-7)
    assert lat == pytest.approx(31.17530398364597, abs=1e-7)


def test_gcj02_round_trip_is_below_a_centimetre():
    lon = np.array([114.93, 115.4, 116.0])
    lat = np.array([25.83, 26.9, 24.9])
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    assert np.abs(back[0] - lon).max() < 1e-7 and np.abs(back[1] - lat).max() < 1e-7


def test_bd09_matches_baidus_published_formulas():
    # reference pairs of the widely used coordTransform library (Beijing)
    assert crs.bd09_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.39762729119315, 39.90865673957631), abs=1e-9)
    assert crs.gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-9)


def test_bd09_round_trip_is_within_a_decimetre_and_every_pair_converts():
    lon, lat = np.array([114.93, 115.4, 116.0]), np.array([25.83, 26.9, 24.9])
    for system in ("GCJ02", "BD09"):
        back = crs.convert_points(*crs.convert_points(lon, lat, "WGS84", system), system)
        assert np.abs(back[0] - lon).max() < 1e-6 and np.abs(back[1] - lat).max() < 1e-6
    shifted = crs.convert_points(lon, lat, "WGS84", "BD09")
    assert (np.abs(shifted[0] - lon) > 1e-3).all()      # hundreds of metres: not a no-op
    assert crs.named("bd-09") == "BD09" and crs.named(None) == "WGS84"
    with pytest.raises(ValueError, match="--source-crs WGS84, GCJ02 or BD09, not 'EPSG:3857'"):
        crs.named("EPSG:3857")


def test_convert_geometries_rejects_unknown_crs():
    with pytest.raises(ValueError, match="unsupported CRS 'EPSG3857'"):
        crs.convert_geometries([shapely.Point(0, 0)], "EPSG3857")


def _square_county(code="360999", size=0.2):
    return gpd.GeoDataFrame({"code": [code], "name": ["测试县"]},
                            geometry=[shapely.box(115.0, 25.0, 115.0 + size, 25.0 + size)],
                            crs="EPSG:4326")


def test_tessellation_covers_the_county_with_nested_codes():
    county = _square_county()
    towns, cells = tessellate(county)
    assert shapely.union_all(cells.geometry.values).symmetric_difference(
        county.geometry.iloc[0]).area < 1e-9
    assert all(c.startswith(t) for c, t in zip(cells["code"], cells["township_code"]))
    assert towns["code"].str.startswith("360999").all()
    assert cells["code"].is_unique and towns["code"].is_unique
    # every township is exactly the union of its cells
    for town in towns.itertuples():
        mine = cells[cells.township_code == town.code].geometry.values
        assert shapely.union_all(mine).symmetric_difference(town.geometry).area < 1e-9
    assert cells["area_km2"].sum() == pytest.approx(county.to_crs(
        "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105").area.iloc[0] / 1e6, rel=1e-6)


def test_tessellate_checks_its_input():
    with pytest.raises(TypeError, match="GeoDataFrame"):
        tessellate([shapely.box(0, 0, 1, 1)])
    with pytest.raises(ValueError, match="EPSG:4326"):
        tessellate(_square_county().to_crs("EPSG:3857"))


def test_sampled_points_lie_inside_their_geometry():
    geoms = np.array([shapely.box(0, 0, 1, 1), shapely.Polygon([(0, 0), (1, 0), (0, 0.01)])])
    lon, lat = sample_points(geoms, 16, np.random.default_rng(1))
    for i, g in enumerate(geoms):
        # the sliver may fall back to its point_on_surface, which lies on it
        assert shapely.intersects_xy(g, lon[i], lat[i]).all()
    assert len({(x, y) for x, y in zip(lon[0], lat[0])}) == 16   # distinct points


def test_shipped_ganzhou_boundaries_are_the_18_coded_counties():
    districts = load_ganzhou_districts()
    assert len(districts) == 18
    assert districts["code"].str.match(r"^3607\d\d$").all()
    assert set(districts["name"]) >= {"章贡区", "瑞金市", "龙南市", "于都县"}
    area = districts.to_crs("+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105").area.sum()
    assert 38_000 < area / 1e6 < 41_000   # about 39,400 km²


def test_geojson_carries_codes_as_feature_ids():
    import json
    body = json.loads(to_geojson(_square_county()))
    assert body["features"][0]["id"] == "360999"
    assert body["features"][0]["properties"]["name"] == "测试县"
    with pytest.raises(ValueError, match="EPSG:4326"):
        to_geojson(_square_county().to_crs("EPSG:3857"))


def test_map_view_fits_the_bounds():
    center, zoom = map_view((114.0, 24.5, 116.6, 27.2), 760, 620)
    assert center == {"lon": pytest.approx(115.3), "lat": pytest.approx(25.85)}
    assert 6.5 < zoom < 8.0


def test_label_points_lie_inside_their_areas_largest_first():
    # a C shape (its centroid lies outside it), a small square, and a two-part area whose
    # name belongs on its larger part
    crescent = shapely.box(0, 0, 3, 3).difference(shapely.box(1, 1, 3, 2))
    small = shapely.box(3, 0, 3.2, 0.2)
    islands = shapely.MultiPolygon([shapely.box(5, 0, 5.1, 0.1), shapely.box(6, 0, 7, 1)])
    frame = gpd.GeoDataFrame({"code": ["a", "b", "c"], "name_en": ["Cee", "Small", "Isles"]},
                             geometry=[crescent, small, islands], crs="EPSG:4326")
    assert not crescent.contains(crescent.centroid)
    labels = label_points(frame, "name_en")
    features = {f["id"]: f for f in labels["features"]}
    for code, geom in zip(frame["code"], frame.geometry):
        x, y = features[code]["geometry"]["coordinates"]
        assert geom.contains(shapely.Point(x, y)), code
    assert shapely.box(6, 0, 7, 1).contains(shapely.Point(*features["c"]["geometry"]["coordinates"]))
    assert {f["properties"]["name"] for f in labels["features"]} == {"Cee", "Small", "Isles"}
    # rank 0 is the largest area: where names collide, the map keeps the larger area's
    by_rank = sorted(labels["features"], key=lambda f: f["properties"]["rank"])
    areas = [frame.set_index("code").geometry[f["id"]].area for f in by_rank]
    assert areas == sorted(areas, reverse=True)
    with pytest.raises(ValueError, match="EPSG:4326"):
        label_points(frame.to_crs("EPSG:3857"), "name_en")


def test_no_label_points_past_the_limit():
    many = gpd.GeoDataFrame({"code": [str(i) for i in range(LABELLED_AREAS_MAX + 1)],
                             "name_zh": ["网格"] * (LABELLED_AREAS_MAX + 1)},
                            geometry=[shapely.box(i, 0, i + 1, 1)
                                      for i in range(LABELLED_AREAS_MAX + 1)], crs="EPSG:4326")
    assert label_points(many, "name_zh")["features"] == []
    assert len(label_points(many.head(3), "name_zh")["features"]) == 3
