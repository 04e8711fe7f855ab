"""A new city from files alone (docs/NEW_CITY.md as a test): an empty data folder, a districts
GeoJSON and an indicators CSV, loaded with `citybrain load`, served by the app with no trace of
the demo city; a failed load leaves the store exactly as it was; a load reaches the running
app without a restart."""

from __future__ import annotations

import json

import pytest

import settings as settings_mod
from cli import main as citybrain
from data.store import connect
from tests.new_city import DISTRICTS, checksums, serving


def test_new_city_store_holds_only_its_own_places(new_city):
    con = connect(new_city)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        assert (meta["city_code"], meta["city_name_zh"], meta["is_demo"]) == \
            ("440700", "江门市", "false")
        codes = [c for (c,) in con.execute("SELECT code FROM districts ORDER BY 1").fetchall()]
        assert codes == sorted(c for c, *_ in DISTRICTS)
        # townships and grid cells generated inside the districts, codes extending theirs
        assert con.execute("SELECT count(*) FROM townships WHERE NOT starts_with(code, "
                           "district_code)").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM grid_cells").fetchone()[0] > 4
        values = con.execute("SELECT indicator_code, count(*) FROM indicator_values "
                             "GROUP BY 1 ORDER BY 1").fetchall()
        assert values == [("retail_sales", 88), ("unemployment_rate", 88)]
        feeds = dict(con.execute("SELECT name, file FROM datasets").fetchall())
        assert feeds["indicator_values:retail_sales"] == "indicators.csv"
    finally:
        con.close()


def test_dashboard_of_the_new_city_has_no_trace_of_ganzhou(new_city):
    from app import create_app
    from tests.conftest import run_callback

    app = create_app(settings_mod.Settings(db_path=new_city, build_demo_if_missing=False,
                                              auth=False))
    runtime = app.citybrain_runtime
    assert runtime.city_name("zh") == "江门市"
    center, _ = runtime.view(None)
    assert 113.0 < center["lon"] < 113.2 and 22.45 < center["lat"] < 22.65
    client = app.server.test_client()
    geojson = client.get("/geo/districts.geojson").get_data(as_text=True)
    assert "蓬江区" in geojson and "360" not in json.dumps(
        [f["id"] for f in json.loads(geojson)["features"]])
    for path in ("/", "/economy", "/grid", "/environment", "/events", "/report", "/wall"):
        page = run_callback(app, "app-page.children", path, "?from=2026-01-01&to=2026-10-31")
        text = json.dumps(page.to_plotly_json(), default=str, ensure_ascii=False)
        assert "赣州" not in text and "Ganzhou" not in text and "章贡" not in text, path
        assert "江门市" in text or path == "/wall"


def test_failed_load_leaves_the_store_unchanged(new_city, tmp_path):
    before = checksums(new_city)
    bad = tmp_path / "bad.csv"
    bad.write_text("地区,指标,时间,数值\n蓬江区,社会消费品零售总额,2026-09,abc\n"
                   "不存在区,社会消费品零售总额,2026-09,12\n", encoding="utf-8")
    assert citybrain(["load", "indicators", str(bad), "--db", str(new_city), "--quiet"]) == 1
    assert checksums(new_city) == before
    assert not new_city.with_name(new_city.name + ".loading").exists()


def test_a_load_reaches_the_running_app_without_a_restart(new_city, tmp_path, monkeypatch):
    import shutil

    from app import create_app
    from charts import runtime as runtime_mod

    new_city = shutil.copy(new_city, tmp_path / "city.duckdb")   # the others keep theirs

    app = create_app(settings_mod.Settings(db_path=new_city, build_demo_if_missing=False,
                                              auth=False))
    runtime = app.citybrain_runtime
    client = app.server.test_client()
    assert client.get("/geo/districts.geojson").status_code == 200
    before = runtime.queries.indicator_value("retail_sales", "440703", "2026-10-01",
                                             "2026-10-31")["value"]
    more = tmp_path / "october.csv"
    more.write_text("地区,指标,时间,数值\n蓬江区,社会消费品零售总额,2026-10,999\n",
                    encoding="utf-8")
    assert citybrain(["load", "indicators", str(more), "--db", str(new_city), "--quiet"]) == 0
    # the next request after RELOAD_CHECK_SECONDS reloads: no waiting in a test
    monkeypatch.setattr(runtime_mod, "RELOAD_CHECK_SECONDS", 0.0)
    assert client.get("/geo/districts.geojson").status_code == 200
    after = runtime.queries.indicator_value("retail_sales", "440703", "2026-10-01",
                                            "2026-10-31")["value"]
    assert before != 999 and after == 999


def test_a_city_declares_its_own_indicator_and_the_screens_use_it(new_city, tmp_path):
    """An indicator outside the catalogue is refused until a catalogue file declares it."""
    import io
    import shutil

    from fontTools.ttLib import TTFont

    from app import create_app
    from callbacks.shell import indicator_options
    from charts.common import store_payload
    from charts.state import FilterState, parse_query
    from tests.conftest import run_callback

    db = shutil.copy(new_city, tmp_path / "city.duckdb")
    grain = tmp_path / "grain.csv"
    grain.write_text("地区,指标,时间,数值\n" + "".join(
        f"{name},粮食产量,2026-{m:02d},{10 + m}\n" for _, name, _, _ in DISTRICTS
        for m in range(1, 11)), encoding="utf-8")
    assert citybrain(["load", "indicators", str(grain), "--db", str(db), "--quiet"]) == 1
    declared = tmp_path / "catalogue.csv"
    declared.write_text("代码,名称,name_en,单位,unit_en,方向,目标,预警\n"
                        "grain_output,粮食产量,Grain output,万吨,10k t,越高越好,12,8\n",
                        encoding="utf-8")
    assert citybrain(["load", "catalogue", str(declared), "--db", str(db), "--quiet"]) == 0
    assert citybrain(["load", "indicators", str(grain), "--db", str(db), "--quiet"]) == 0
    app = create_app(settings_mod.Settings(db_path=db, build_demo_if_missing=False, auth=False))
    data = store_payload(FilterState(None, "2026-10-01", "2026-10-31", "grain_output", "zh"))
    figure = run_callback(app, "ops-ranking.figure", data)
    assert "粮食产量" in figure.layout.title.text
    assert sorted(figure.data[0].x) == [20.0] * 4
    assert "grain_output" in [o["value"] for o in indicator_options(app.citybrain_runtime, "zh")]
    # the city's own indicator belongs to its store: an app on another store in the same
    # process neither offers nor accepts it, and the first app keeps it
    other = create_app(settings_mod.Settings(db_path=new_city, build_demo_if_missing=False,
                                             auth=False)).citybrain_runtime
    assert "grain_output" not in other.catalogue
    assert "grain_output" not in [o["value"] for o in indicator_options(other, "zh")]
    state, dropped = parse_query("?indicator=grain_output", other.context)
    assert state.indicator != "grain_output" and dropped == ["indicator=grain_output"]
    with pytest.raises(KeyError, match="grain_output"):
        other.queries.indicator_by_district("grain_output", "2026-10-01", "2026-10-31")
    assert app.citybrain_runtime.catalogue.get("grain_output").name_en == "Grain output"
    # the interface font holds the city's own indicator's name (粮 and 食 are in no built-in one)
    font = app.server.test_client().get("/fonts/citybrain-sans-400.woff2")
    cmap = TTFont(io.BytesIO(font.data)).getBestCmap()
    assert [ch for ch in "粮食产量" if ord(ch) not in cmap] == []


def test_real_townships_replace_the_generated_ones(new_city, tmp_path):
    """Townships loaded later replace the generated townships and grid cells of the
    districts they cover; districts are the city itself and come only with --new-city."""
    import shutil

    db = shutil.copy(new_city, tmp_path / "city.duckdb")
    code, _, lon, lat = DISTRICTS[0]
    towns = tmp_path / "towns.geojson"
    towns.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": f"{code}00{k}", "name": f"街道{k}"},
         "geometry": {"type": "Polygon", "coordinates": [[
             [lon + 0.05 * (k - 1), lat], [lon + 0.05 * k, lat], [lon + 0.05 * k, lat + 0.1],
             [lon + 0.05 * (k - 1), lat + 0.1], [lon + 0.05 * (k - 1), lat]]]}}
        for k in (1, 2)]}, ensure_ascii=False), encoding="utf-8")
    before = connect(db)
    try:
        others = before.execute("SELECT count(*) FROM townships WHERE district_code <> ?",
                                [code]).fetchone()[0]
    finally:
        before.close()
    assert citybrain(["load", "townships", str(towns), "--db", str(db), "--quiet"]) == 0
    con = connect(db)
    try:
        assert con.execute("SELECT code FROM townships WHERE district_code = ? ORDER BY 1",
                           [code]).fetchall() == [(f"{code}001",), (f"{code}002",)]
        assert con.execute("SELECT count(*) FROM townships WHERE district_code <> ?",
                           [code]).fetchone()[0] == others
        assert con.execute("SELECT count(*) FROM grid_cells WHERE district_code = ?",
                           [code]).fetchone()[0] == 0     # load its grid cells next
    finally:
        con.close()
    districts = tmp_path / "districts.geojson"
    from tests.new_city import write_boundaries
    write_boundaries(districts)
    assert citybrain(["load", "districts", str(districts), "--db", str(db), "--quiet"]) == 1


def test_a_new_city_loads_its_stations_sections_departments_and_their_readings(new_city,
                                                                              tmp_path):
    """Everything a city has, from files: places first, then what was measured at them."""
    import shutil

    from data.queries import Queries
    from data.store import Store

    db = shutil.copy(new_city, tmp_path / "city.duckdb")
    code, name, lon, lat = DISTRICTS[0]
    files = {
        "departments": "部门代码,部门名称,英文名称\nCG,城市管理局,Urban management\n",
        "stations": f"站点代码,站点名称,经度,纬度\nS1,{name}监测站,{lon + 0.05},{lat + 0.05}\n",
        "sections": (f"断面代码,断面名称,河流,经度,纬度,目标类别,饮用水源\n"
                     f"W1,潭江1号,潭江,{lon + 0.02},{lat + 0.02},Ⅲ,是\n"),
        "air": "站点,时间,pm25,pm10,so2,no2,co,o3\n" + "".join(
            f"S1,2026-11-{d:02d} {h:02d}:00,{30 + h},50,8,20,0.6,60\n"
            for d in (18, 19) for h in range(24)),
        "water": "断面,时间,水质类别\nW1,2026-09,Ⅱ\nW1,2026-10,Ⅲ\n",
        "events": ("事件编号,网格,类别,来源,部门,上报时间,结案时间,办理时限,经度,纬度\n"
                   f"1,{{cell}},appearance,hotline,CG,2026-11-18 09:00,2026-11-18 15:00,48,"
                   f"{lon + 0.05},{lat + 0.05}\n"),
    }
    con = connect(db)
    try:
        cell = con.execute("SELECT code FROM grid_cells WHERE district_code = ? ORDER BY code "
                           "LIMIT 1", [code]).fetchall()[0][0]
    finally:
        con.close()
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text.replace("{cell}", cell), encoding="utf-8")
        assert citybrain(["load", kind, str(path), "--db", str(db), "--quiet"]) == 0, kind
    store = Store(db)
    try:
        q = Queries(store)
        station = store.records("SELECT * FROM stations")[0]
        assert station["district_code"] == code and station["grid_code"].startswith(code)
        assert len(q.aqi_daily(None)) == 2
        assert store.rows("SELECT class FROM water_quality ORDER BY period") == [(2,), (3,)]
        assert q.indicator_value("event_count", None, "2026-11-01", "2026-11-30")["value"] == 1
        feeds = set(q.datasets()["name"])
        assert {"air_hourly", "water_quality", "grid_events"} <= feeds
    finally:
        store.close()
    outside = tmp_path / "outside.csv"
    outside.write_text("站点代码,站点名称,经度,纬度\nS9,远方站,100.0,30.0\n", encoding="utf-8")
    assert citybrain(["load", "stations", str(outside), "--db", str(db), "--quiet"]) == 1


def _station(db, code: str) -> dict:
    """A station's row as the store holds it."""
    from data.store import Store
    store = Store(db)
    try:
        return store.records("SELECT * FROM stations WHERE code = ?", [code])[0]
    finally:
        store.close()


def test_stations_from_a_baidu_export_are_placed_where_they_are(new_city, tmp_path, capsys):
    """A file of points taken from Baidu's map (BD-09) is declared so and lands in WGS-84,
    in the grid cell it lies in; --source-crs means nothing to a table without points."""
    import shutil

    from geo import crs

    db = shutil.copy(new_city, tmp_path / "city.duckdb")
    code, name, lon, lat = DISTRICTS[0]
    bd_lon, bd_lat = crs.convert_points([lon + 0.05], [lat + 0.05], "WGS84", "BD09")
    path = tmp_path / "stations.csv"
    path.write_text(f"站点代码,站点名称,经度,纬度\nS1,{name}监测站,{bd_lon[0]:.9f},"
                    f"{bd_lat[0]:.9f}\n", encoding="utf-8")
    assert citybrain(["load", "stations", str(path), "--source-crs", "BD09", "--db", str(db),
                      "--quiet"]) == 0
    station = _station(db, "S1")
    assert abs(station["lon"] - (lon + 0.05)) < 1e-6 and abs(station["lat"] - (lat + 0.05)) < 1e-6
    assert station["district_code"] == code
    capsys.readouterr()
    assert citybrain(["load", "indicators", str(path), "--source-crs", "GCJ02", "--db",
                      str(db), "--quiet"]) == 2
    assert "--source-crs applies to boundaries and to events, stations, sections, warnings, " \
        "resources, not to indicators" in capsys.readouterr().err


def test_a_load_upgrades_a_store_older_than_the_reporter_columns(new_city, tmp_path):
    """A store built before grid_events had reporter_name and reporter_phone gets them from
    its next load: events with reporters load, and the store still serves."""
    import shutil

    from data.store import Store

    db = shutil.copy(new_city, tmp_path / "city.duckdb")
    con = connect(db, read_only=False)
    try:
        con.execute("ALTER TABLE grid_events DROP COLUMN reporter_phone")
        con.execute("ALTER TABLE grid_events DROP COLUMN reporter_name")
        cell = con.execute("SELECT code FROM grid_cells ORDER BY code LIMIT 1").fetchall()[0][0]
        lon, lat = con.execute("SELECT avg(lon), avg(lat) FROM districts").fetchall()[0]
    finally:
        con.close()
    events = tmp_path / "events.csv"
    events.write_text("事件编号,网格,类别,来源,处置部门,上报时间,办理时限,经度,纬度,上报人,手机号\n"
                      f"1,{cell},appearance,hotline,D13,2026-11-18 09:00,48,{lon},{lat},"
                      "张伟,138 1234 1234\n"
                      f"2,{cell},appearance,hotline,D13,2026-11-18 10:00,48,{lon},{lat},匿名,\n",
                      encoding="utf-8")
    departments = tmp_path / "departments.csv"
    departments.write_text("部门代码,部门名称,英文名称\nD13,属地乡镇街道,Township office\n",
                           encoding="utf-8")
    for kind, path in (("departments", departments), ("events", events)):
        assert citybrain(["load", kind, str(path), "--db", str(db), "--quiet"]) == 0, kind
    store = Store(db)
    try:
        columns = [c for (c,) in store.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'grid_events' ORDER BY ordinal_position")]
        assert columns[-2:] == ["reporter_name", "reporter_phone"]
        assert store.rows("SELECT event_id, reporter_name, reporter_phone FROM grid_events "
                          "ORDER BY 1") == [(1, "张伟", "13812341234"), (2, None, None)]
    finally:
        store.close()


def test_a_load_adds_the_tables_an_older_store_lacks(new_city, tmp_path):
    """A store from before freshness and key-task supervision (no datasets, key_tasks or
    key_task_progress tables) takes a load: the tables are created, as SCHEMA has them."""
    import shutil

    db = shutil.copy(new_city, tmp_path / "city.duckdb")
    con = connect(db, read_only=False)
    try:
        for table in ("key_task_progress", "key_tasks", "datasets"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        codes = [c for (c,) in con.execute("SELECT code FROM districts ORDER BY code"
                                           ).fetchall()]
    finally:
        con.close()
    grain = tmp_path / "gdp.csv"
    grain.write_text("区县代码,指标代码,月份,数值\n" + "".join(
        f"{code},gdp,2026-09,{100 + i}\n" for i, code in enumerate(codes)), encoding="utf-8")
    assert citybrain(["load", "indicators", str(grain), "--db", str(db), "--quiet"]) == 0
    con = connect(db)
    try:
        tables = {t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()
    assert {"datasets", "key_tasks", "key_task_progress"} <= tables


def test_the_load_bar_counts_rows_against_their_total(new_city, tmp_path, capfd):
    """`citybrain load` without --quiet shows a bar in rows that knows its total before the
    first file is read (a CSV's lines), and ends with every row counted."""
    import re
    import shutil
    store = shutil.copy(new_city, tmp_path / "city.duckdb")
    rows = [f"蓬江区,社会消费品零售总额,2025-{m:02d},{100 + m}" for m in range(1, 13)]
    more = tmp_path / "2025.csv"
    more.write_text("地区,指标,时间,数值\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert citybrain(["load", "indicators", str(more), "--db", str(store)]) == 0
    err = capfd.readouterr().err
    # tqdm redraws the line; every frame carries the total of 12 rows (scaled: 12.0, 1.20M)
    frames = re.findall(r"loading:\s+\d+%\|[^|]*\|\s*([\d.]+)/([\d.]+) ", err)
    assert frames and {float(total) for _, total in frames} == {12}, err
    assert float(frames[-1][0]) == 12
    assert "loaded into" in err and "12 indicators" in err


def test_the_data_screen_converts_an_uploaded_baidu_stations_file(new_city, tmp_path):
    """The upload's datum choice (WGS-84, GCJ-02, BD-09) applies to point files as on the
    command line."""
    import base64
    import shutil

    from callbacks.datasets import load_upload
    from geo import crs

    db = shutil.copy(new_city, tmp_path / "city.duckdb")
    code, name, lon, lat = DISTRICTS[1]
    bd_lon, bd_lat = crs.convert_points([lon + 0.03], [lat + 0.03], "WGS84", "BD09")
    text = f"站点代码,站点名称,经度,纬度\nS2,{name}站,{bd_lon[0]:.9f},{bd_lat[0]:.9f}\n"
    contents = "data:text/csv;base64," + base64.b64encode(text.encode()).decode()
    with serving(db) as runtime:
        load_upload(runtime, contents, "stations.csv", "stations", None, "BD09", "zh")
    station = _station(db, "S2")
    assert abs(station["lon"] - (lon + 0.03)) < 1e-6 and abs(station["lat"] - (lat + 0.03)) < 1e-6
    assert station["district_code"] == code
