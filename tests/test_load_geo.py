"""Reading boundary files (data/load/boundaries.py) on tiny inline fixtures written to tmp_path."""

import re
import sys
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely

from data.load.boundaries import COLUMNS, Boundaries, check_parents, cn_boundaries, read_boundaries
from data.load.problems import MAX_PROBLEMS, LoadError
from geo import crs as gcrs

LON, LAT, SIZE = 115.0, 25.8, 0.1


def _squares(n=3, **columns):
    """n squares side by side around 115E 25.8N in EPSG:4326, with the given columns."""
    geoms = [shapely.box(LON + i * SIZE, LAT, LON + (i + 1) * SIZE, LAT + SIZE) for i in range(n)]
    columns = columns or {"adcode": [str(360702 + i) for i in range(n)],
                          "name": [f"测试{i + 1}区" for i in range(n)]}
    return gpd.GeoDataFrame(columns, geometry=geoms, crs="EPSG:4326")


def _write(frame, path, **kwargs):
    frame.to_file(path, engine="pyogrio", **kwargs)
    return path


def _same(a, b, tolerance=1e-7) -> bool:
    """The same shapes to within ``tolerance`` degrees, whatever the ring order or start."""
    return bool(shapely.equals_exact(shapely.normalize(np.asarray(a)),
                                     shapely.normalize(np.asarray(b)), tolerance).all())


def _problems(exc_info):
    return [(p.row, p.column, p.value) for p in exc_info.value.problems]


# --- formats -------------------------------------------------------------------------------


def test_geojson_guesses_every_field_and_says_so(tmp_path):
    path = _write(_squares(), tmp_path / "districts.geojson")
    b = read_boundaries(path, level="districts")
    assert isinstance(b, Boundaries) and b.file == str(path) and b.level == "districts"
    assert tuple(b.frame.columns) == COLUMNS
    assert b.frame.crs.to_epsg() == 4326
    assert b.frame.index.name == "feature" and list(b.frame.index) == [1, 2, 3]
    assert list(b.frame["code"]) == ["360702", "360703", "360704"]
    assert list(b.frame["name_zh"]) == ["测试1区", "测试2区", "测试3区"]
    assert list(b.frame["name_en"]) == list(b.frame["code"])  # no English names: the codes
    assert b.frame["parent_code"].isna().all()
    assert b.notes == [
        "code field: adcode (6-digit codes)",
        "name field: name",
        "English name field: none found (name_en, NAME_EN, ename); English names are the codes",
        "parent field: none found (parent, parent_code, pcode, 上级代码); parent codes left empty",
        "CRS: EPSG:4326 read from the file",
        "coordinates: taken as WGS-84 (give --source-crs GCJ02 for Amap or Tencent data, "
        "BD09 for Baidu's)",
    ]
    assert b.warnings == []
    assert _same(b.frame.geometry.values, _squares().geometry.values, 1e-12)


def test_geojson_with_chinese_field_names(tmp_path):
    frame = _squares(2, 行政区划代码=["360702001", "360702002"], 名称=["解放街道", "南外街道"],
                     上级代码=["360702", "360702"], NAME_EN=["Jiefang", "Nanwai"])
    b = read_boundaries(_write(frame, tmp_path / "乡镇.geojson"), level="townships")
    assert b.notes[:4] == ["code field: 行政区划代码 (9-digit codes)", "name field: 名称",
                           "English name field: NAME_EN", "parent field: 上级代码"]
    assert list(b.frame["name_zh"]) == ["解放街道", "南外街道"]
    assert list(b.frame["name_en"]) == ["Jiefang", "Nanwai"]
    assert list(b.frame["parent_code"]) == ["360702", "360702"]


def test_code_and_name_guessed_from_the_values(tmp_path):
    frame = _squares(3, id=[1, 2, 3], qh=["360702", "360703", "360704"],
                     remark=["a", "b", "c"], xian=["章贡区", "南康区", "赣县区"])
    b = read_boundaries(_write(frame, tmp_path / "d.geojson"), level="districts")
    assert b.notes[0] == "code field: qh (its values are all digits, 6-digit codes; " \
                         "also all digits: id)"
    assert b.notes[1] == "name field: xian (the first text field with Chinese characters)"
    assert list(b.frame["code"]) == ["360702", "360703", "360704"]
    assert list(b.frame["name_zh"]) == ["章贡区", "南康区", "赣县区"]


def test_integer_codes_are_read_as_digit_strings(tmp_path):
    frame = _squares(2, CODE=[360702, 360703], NAME=["章贡区", "南康区"])
    b = read_boundaries(_write(frame, tmp_path / "d.geojson"), level="districts")
    assert list(b.frame["code"]) == ["360702", "360703"]
    assert b.notes[:2] == ["code field: CODE (6-digit codes)", "name field: NAME"]


def test_named_fields_are_used_without_guessing(tmp_path):
    frame = _squares(2, adcode=["1", "2"], bm=["360702", "360703"], mc=["甲", "乙"],
                     yw=["A", "B"], sj=["360700", "360700"])
    b = read_boundaries(_write(frame, tmp_path / "d.geojson"), level="districts",
                        code_field="bm", name_field="mc", name_en_field="yw", parent_field="sj")
    assert list(b.frame["code"]) == ["360702", "360703"]
    assert list(b.frame["name_en"]) == ["A", "B"]
    assert list(b.frame["parent_code"]) == ["360700", "360700"]
    assert not any(n.startswith(("code field", "name field", "English", "parent"))
                   for n in b.notes)


def test_a_named_field_that_does_not_exist_lists_the_fields(tmp_path):
    path = _write(_squares(), tmp_path / "d.geojson")
    with pytest.raises(LoadError) as exc:
        read_boundaries(path, level="districts", code_field="dm", name_field="mc")
    text = str(exc.value)
    assert f"{path}, column 'dm': a field named 'dm' for the code: " \
           "the file's fields are adcode, name" in text
    assert "column 'mc': a field named 'mc' for the name" in text


def test_datav_parent_objects_and_the_township_note(tmp_path):
    # DataV (Aliyun) GeoJSON: "parent": {"adcode": 360700}
    path = tmp_path / "datav.json"
    path.write_text(_squares(2).assign(parent=[{"adcode": 360700}] * 2).to_json(),
                    encoding="utf-8")
    b = read_boundaries(path, level="districts")
    assert list(b.frame["parent_code"]) == ["360700", "360700"]
    assert "parent field: parent" in b.notes
    t = read_boundaries(_write(_squares(), tmp_path / "t.geojson"), level="townships")
    assert ("parent field: none found (parent, parent_code, pcode, 上级代码); parents are "
            "matched by code prefix later (check_parents)") in t.notes


def test_projected_shapefile_is_reprojected(tmp_path):
    path = _write(_squares().to_crs("EPSG:32650"), tmp_path / "utm.shp")
    b = read_boundaries(path, level="districts")
    assert "CRS: EPSG:32650 read from the file, reprojected to EPSG:4326" in b.notes
    assert b.frame.crs.to_epsg() == 4326
    assert _same(b.frame.geometry.values, _squares().geometry.values)


def test_gbk_shapefile_without_cpg(tmp_path):
    path = _write(_squares(), tmp_path / "gbk.shp", encoding="GBK")
    (tmp_path / "gbk.cpg").unlink()  # as many Chinese shapefiles come: GBK, saying nothing
    b = read_boundaries(path, level="districts")
    assert list(b.frame["name_zh"]) == ["测试1区", "测试2区", "测试3区"]
    assert ("text encoding: GBK (the shapefile names none, and read as Latin-1 its text was "
            "garbled)") in b.notes


def test_a_file_without_crs_needs_one(tmp_path):
    path = _write(_squares().to_crs("EPSG:32650"), tmp_path / "noprj.shp")
    (tmp_path / "noprj.prj").unlink()
    with pytest.raises(LoadError, match=r"a CRS: the file has none .*give one with --crs"):
        read_boundaries(path, level="districts")
    b = read_boundaries(path, level="districts", crs="EPSG:32650")
    assert "CRS: EPSG:32650 given (the file has none), reprojected to EPSG:4326" in b.notes
    assert b.frame.total_bounds == pytest.approx([115.0, 25.8, 115.3, 25.9], abs=1e-6)


def test_coordinates_out_of_range_suggest_a_wrong_crs(tmp_path):
    path = _write(_squares().to_crs("EPSG:32650"), tmp_path / "noprj.shp")
    (tmp_path / "noprj.prj").unlink()
    with pytest.raises(LoadError) as exc:
        read_boundaries(path, level="districts", crs="EPSG:4326")
    assert [(r, c) for r, c, _ in _problems(exc)] == [(1, "geometry"), (2, "geometry"),
                                                      (3, "geometry")]
    text = str(exc.value)
    found = re.search(r"row 1, column 'geometry': 'lon ([\d.]+)\.\.([\d.]+), "
                      r"lat ([\d.]+)\.\.([\d.]+)'", text)
    assert found and [round(float(v), -4) for v in found.groups()] == [
        300000, 310000, 2850000, 2870000]  # UTM metres, shown in full
    assert "lon within -180..180 and lat within -90..90 in EPSG:4326: likely a wrong CRS " \
           "(EPSG:4326 given (the file has none); give the right one with --crs)" in text


def test_a_crs_option_overriding_the_file_is_a_warning(tmp_path):
    path = _write(_squares(), tmp_path / "d.geojson")
    b = read_boundaries(path, level="districts", crs="EPSG:4490")
    assert "CRS: EPSG:4490 given (overriding the file's EPSG:4326), reprojected to EPSG:4326" \
        in b.notes
    assert [str(w) for w in b.warnings] == [
        f"{path}: 'EPSG:4326': the file's CRS; EPSG:4490 was given and is used instead"]
    same = read_boundaries(path, level="districts", crs=4326)
    assert "CRS: EPSG:4326 read from the file (the same as given)" in same.notes
    with pytest.raises(LoadError, match="'EPSG:999999': a CRS such as"):
        read_boundaries(path, level="districts", crs="EPSG:999999")


def test_gcj02_coordinates_are_converted_to_wgs84(tmp_path):
    wgs = _squares()
    gcj = wgs.set_geometry(gcrs.convert_geometries(wgs.geometry.values, "WGS84", "GCJ02"))
    path = _write(gcj, tmp_path / "amap.geojson")
    b = read_boundaries(path, level="districts", source_crs="GCJ02")
    assert "coordinates: GCJ-02 converted to WGS-84 (--source-crs)" in b.notes
    expected = shapely.get_coordinates(wgs.geometry.values)
    assert np.abs(shapely.get_coordinates(b.frame.geometry.values) - expected).max() < 1e-7
    raw = read_boundaries(path, level="districts", source_crs="WGS84")
    assert np.abs(shapely.get_coordinates(raw.frame.geometry.values) - expected).max() > 1e-3
    with pytest.raises(LoadError, match="'EPSG3857': --source-crs WGS84, GCJ02 or BD09"):
        read_boundaries(path, level="districts", source_crs="EPSG3857")


def test_names_in_latin_script_are_the_english_names_too(tmp_path):
    """A city whose boundary file names its districts in Latin script only shows those
    names in English, not its codes; Chinese names without English ones still fall back."""
    latin = _squares(adcode=["360702", "360703", "360704"],
                     name=["Lakeside", "Hill Town", "Riverside"])
    b = read_boundaries(_write(latin, tmp_path / "latin.geojson"), level="districts")
    assert b.frame["name_en"].tolist() == ["Lakeside", "Hill Town", "Riverside"]
    assert ("English name field: none found (name_en, NAME_EN, ename); the names (name) are "
            "in Latin script and serve as English names") in b.notes
    chinese = read_boundaries(_write(_squares(), tmp_path / "zh.geojson"), level="districts")
    assert chinese.frame["name_en"].tolist() == ["360702", "360703", "360704"]


def test_bd09_coordinates_of_a_baidu_export_are_converted_to_wgs84(tmp_path):
    wgs = _squares()
    bd = wgs.set_geometry(gcrs.convert_geometries(wgs.geometry.values, "WGS84", "BD09"))
    b = read_boundaries(_write(bd, tmp_path / "baidu.geojson"), level="districts",
                        source_crs="bd-09")
    assert "coordinates: BD-09 converted to WGS-84 (--source-crs)" in b.notes
    expected = shapely.get_coordinates(wgs.geometry.values)
    assert np.abs(shapely.get_coordinates(b.frame.geometry.values) - expected).max() < 1e-6


def _zip(tmp_path, name, *stems):
    out = tmp_path / name
    with zipfile.ZipFile(out, "w") as archive:
        for stem in stems:
            _write(_squares(), tmp_path / f"{stem}.shp")
            for ext in ("shp", "shx", "dbf", "prj", "cpg"):
                member = tmp_path / f"{stem}.{ext}"
                if member.exists():
                    archive.write(member, f"data/{stem}.{ext}")
    return out


def test_zipped_shapefile(tmp_path):
    b = read_boundaries(_zip(tmp_path, "districts.zip", "districts"), level="districts")
    assert list(b.frame["code"]) == ["360702", "360703", "360704"]
    assert list(b.frame["name_zh"]) == ["测试1区", "测试2区", "测试3区"]
    assert "CRS: EPSG:4326 read from the file" in b.notes


def test_zip_with_several_shapefiles_lists_them(tmp_path):
    path = _zip(tmp_path, "two.zip", "a", "b")
    with pytest.raises(LoadError) as exc:
        read_boundaries(path, level="districts")
    assert str(exc.value) == (f"{path}: 'data/a.shp, data/b.shp': exactly one shapefile (.shp) "
                              "in the zip: it holds 2; unzip it and read the one you mean")


def test_geopackage_layers(tmp_path):
    path = tmp_path / "city.gpkg"
    _write(_squares(), path, layer="districts")
    _write(_squares(2, adcode=["360702001", "360702002"], name=["甲街道", "乙街道"]), path,
           layer="townships")
    with pytest.raises(LoadError) as exc:
        read_boundaries(path, level="districts")
    assert _problems(exc) == [(None, None, "districts, townships")]
    assert "a layer named with the layer option: the GeoPackage holds 2 layers" in str(exc.value)
    b = read_boundaries(path, level="townships", layer="townships")
    assert list(b.frame["code"]) == ["360702001", "360702002"]
    with pytest.raises(LoadError, match="'nope': one of the GeoPackage's layers: districts, "
                                        "townships"):
        read_boundaries(path, level="townships", layer="nope")
    single = tmp_path / "one.gpkg"
    _write(_squares(), single, layer="qx")
    assert "layer: qx (the only one with geometry)" in read_boundaries(
        single, level="districts").notes


def test_unsupported_extension_names_the_supported_ones(tmp_path):
    path = tmp_path / "districts.kml"
    path.write_text("<kml/>")
    with pytest.raises(LoadError) as exc:
        read_boundaries(path, level="districts")
    assert str(exc.value) == (f"{path}: '.kml': a boundary file ending in .geojson, .json, .shp, "
                              ".zip, .gpkg (GeoJSON, Shapefile, a zip holding a Shapefile, "
                              "GeoPackage)")


def test_empty_files(tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(LoadError, match="at least one feature: the file holds none"):
        read_boundaries(empty, level="districts")
    blank = tmp_path / "blank.geojson"
    blank.write_bytes(b"")
    with pytest.raises(LoadError, match=r"the file is empty \(0 bytes\)"):
        read_boundaries(blank, level="districts")
    with pytest.raises(LoadError, match="it does not exist"):
        read_boundaries(tmp_path / "missing.geojson", level="districts")


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="level must be one of"):
        read_boundaries("x.geojson", level="counties")
    with pytest.raises(TypeError, match="got int"):
        read_boundaries(3, level="districts")


# --- problems ------------------------------------------------------------------------------


def test_every_problem_of_a_file_is_reported_together(tmp_path):
    box = shapely.box(LON, LAT, LON + SIZE, LAT + SIZE)
    frame = gpd.GeoDataFrame(
        {"adcode": ["360702", "360703", "360702", None, "36-07", "360706", "360707", "360708"],
         "name": ["甲", "乙", "丙", "丁", "戊", None, "庚", "辛"]},
        geometry=[box, None, box, box, box, shapely.Point(LON, LAT), shapely.Polygon(), box],
        crs="EPSG:4326")
    path = _write(frame, tmp_path / "bad.geojson")
    with pytest.raises(LoadError) as exc:
        read_boundaries(path, level="districts")
    assert _problems(exc) == [
        (3, "adcode", "360702"),
        (4, "adcode", None),
        (5, "adcode", "36-07"),
        (6, "name", None),
        (2, "geometry", None),
        (6, "geometry", "Point"),
        (7, "geometry", None),
    ]
    lines = str(exc.value).splitlines()
    assert lines == [
        f"{path}, row 3, column 'adcode': '360702': a code used once: feature 1 has it too",
        f"{path}, row 4, column 'adcode': a code: this feature has none",
        f"{path}, row 5, column 'adcode': '36-07': a code of digits only (GB/T 2260, such as "
        "360702)",
        f"{path}, row 6, column 'name': a name: this feature has none",
        f"{path}, row 2, column 'geometry': a polygon: this feature's geometry is empty",
        f"{path}, row 6, column 'geometry': 'Point': a Polygon or MultiPolygon (boundaries are "
        "areas)",
        f"{path}, row 7, column 'geometry': a polygon: this feature's geometry is empty",
    ]


def test_no_code_or_name_field_to_be_found(tmp_path):
    frame = _squares(2, bz=["a", "b"])
    with pytest.raises(LoadError) as exc:
        read_boundaries(_write(frame, tmp_path / "d.geojson"), level="districts")
    text = str(exc.value)
    assert "a code field: none is called adcode" in text and "(fields: bz)" in text
    assert "a name field: none is called name" in text


def test_problems_are_capped(tmp_path):
    n = MAX_PROBLEMS + 10
    frame = _squares(n, adcode=[f"x{i}" for i in range(n)], name=["甲"] * n)
    with pytest.raises(LoadError) as exc:
        read_boundaries(_write(frame, tmp_path / "d.geojson"), level="districts")
    assert len(exc.value.problems) == MAX_PROBLEMS and exc.value.more == 10
    assert str(exc.value).endswith("... and 10 more problems")


def test_a_bow_tie_is_repaired_and_listed(tmp_path):
    bow_tie = shapely.Polygon([(LON, LAT), (LON + SIZE, LAT + SIZE), (LON + SIZE, LAT),
                               (LON, LAT + SIZE), (LON, LAT)])
    frame = _squares(2)
    frame.loc[1, "geometry"] = bow_tie
    path = _write(frame, tmp_path / "d.geojson")
    b = read_boundaries(path, level="districts")
    geom = b.frame.geometry.loc[2]
    assert geom.is_valid and geom.geom_type == "MultiPolygon"
    assert geom.area == pytest.approx(SIZE * SIZE / 2)
    assert [(w.row, w.column, w.level) for w in b.warnings] == [(2, "geometry", "warning")]
    assert str(b.warnings[0]) == (
        f"{path}, row 2, column 'geometry': 'Self-intersection[115.05 25.85]': a valid polygon "
        "(code 360703): repaired with make_valid, polygonal parts kept")


def test_a_geometry_with_nothing_polygonal_left_is_an_error(tmp_path):
    flat = shapely.Polygon([(LON, LAT), (LON + SIZE, LAT), (LON + 2 * SIZE, LAT), (LON, LAT)])
    frame = _squares(2)
    frame.loc[0, "geometry"] = flat
    with pytest.raises(LoadError) as exc:
        read_boundaries(_write(frame, tmp_path / "d.geojson"), level="districts")
    assert _problems(exc) == [(1, "geometry", "Self-intersection[115.1 25.8]")]
    assert "a valid polygon (code 360702): make_valid leaves nothing polygonal" in str(exc.value)


# --- parents -------------------------------------------------------------------------------


def _townships(tmp_path, codes, parents=None):
    columns = {"code": codes, "name": [f"镇{i}" for i in range(len(codes))]}
    if parents is not None:
        columns["pcode"] = parents
    path = _write(_squares(len(codes), **columns), tmp_path / "t.geojson")
    return read_boundaries(path, level="townships")


def test_check_parents_fills_the_longest_prefix(tmp_path):
    towns = _townships(tmp_path, ["360702001", "360702101", "360703001"])
    filled = check_parents(towns, {"360702", "360703", "3607021"})
    assert list(filled.frame["parent_code"]) == ["360702", "3607021", "360703"]
    assert filled.notes[-1] == "parent codes: 3 filled from the code prefix"
    assert towns.frame["parent_code"].isna().all()  # the input is left alone


def test_check_parents_uses_the_significant_digits_of_gb_codes(tmp_path):
    districts = _townships(tmp_path, ["360702", "360703"])
    filled = check_parents(districts, {"360700", "360000"})
    assert list(filled.frame["parent_code"]) == ["360700", "360700"]


def test_check_parents_names_unknown_parents(tmp_path):
    towns = _townships(tmp_path, ["360702001", "360799001", "360703001"],
                       parents=["360702", None, "360788"])
    with pytest.raises(LoadError) as exc:
        check_parents(towns, {"360702", "360703"})
    assert _problems(exc) == [(2, "code", "360799001"), (3, "parent_code", "360788")]
    lines = str(exc.value).splitlines()
    assert lines[0].endswith("row 2, column 'code': '360799001': a code starting with a known "
                             "parent code (360702, 360703): no parent found for it")
    assert lines[1].endswith("row 3, column 'parent_code': '360788': the parent of 360703001 "
                             "among the known codes (360702, 360703)")


def test_check_parents_truncates_the_known_codes(tmp_path):
    towns = _townships(tmp_path, ["999999001"])
    with pytest.raises(LoadError, match=r"360710, … \(20 in all\)\)"):
        check_parents(towns, {str(360701 + i) for i in range(20)})
    with pytest.raises(TypeError):
        check_parents(towns, "360702")


# --- cnmaps ----------------------------------------------------------------------------------


def test_cn_boundaries_without_cnmaps_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cnmaps", None)  # import fails even where it is installed
    with pytest.raises(RuntimeError, match=r"pip install 'citybrain\[cn\]'.*about 250 MB"):
        cn_boundaries("广东省", "江门市")
