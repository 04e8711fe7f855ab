"""A new city from files alone (docs/NEW_CITY.md as a test): an empty data folder, a districts
GeoJSON and an indicators CSV, loaded with `citybrain load`, served by the app with no trace of
the demo city; a failed load leaves the store exactly as it was; a load reaches the running
app without a restart."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
import shapely

import settings as settings_mod
from cli import main as citybrain
from data.store import connect

#: A fictional city of four square districts on the Pearl River delta (not Ganzhou).
CITY = ("440700", "江门市", "Jiangmen")
DISTRICTS = [("440703", "蓬江区", 113.00, 22.55), ("440704", "江海区", 113.10, 22.55),
             ("440705", "新会区", 113.00, 22.45), ("440781", "台山市", 113.10, 22.45)]
MONTHS = [dt.date(2025, m, 1) for m in range(1, 13)] + [dt.date(2026, m, 1) for m in range(1, 11)]


def write_boundaries(path):
    features = [{"type": "Feature",
                 "properties": {"adcode": code, "name": name},
                 "geometry": shapely.geometry.mapping(shapely.box(lon, lat, lon + 0.1,
                                                                  lat + 0.1))}
                for code, name, lon, lat in DISTRICTS]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features,
                                "crs": {"type": "name", "properties": {
                                    "name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}},
                               ensure_ascii=False), encoding="utf-8")
    return path


def write_indicators(path, encoding="utf-8"):
    """Long form, as a statistics bureau exports it: names, not codes."""
    lines = ["地区,指标,时间,数值"]
    for i, (_, name, _, _) in enumerate(DISTRICTS):
        for k, month in enumerate(MONTHS):
            lines.append(f"{name},社会消费品零售总额,{month:%Y-%m},{50 + 10 * i + k:.1f}")
            lines.append(f"{name},城镇调查失业率,{month:%Y-%m},{4.5 + 0.1 * i:.2f}")
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture(scope="module")
def new_city(tmp_path_factory):
    """The walk-through: an empty folder, two files, two commands."""
    folder = tmp_path_factory.mktemp("newcity")
    db = folder / "data" / "city.duckdb"
    boundaries = write_boundaries(folder / "districts.geojson")
    stats = write_indicators(folder / "indicators.csv", encoding="gbk")
    assert citybrain(["load", "districts", str(boundaries), "--db", str(db), "--new-city",
                      "--city-code", CITY[0], "--city-name", CITY[1], "--city-name-en",
                      CITY[2], "--quiet"]) == 0
    assert citybrain(["load", "indicators", str(stats), "--db", str(db), "--quiet"]) == 0
    return db


def checksums(path) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows."""
    con = connect(path)     # the app's configuration: DuckDB refuses another in one process
    try:
        out = {}
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables "
                                    "ORDER BY 1").fetchall():
            rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            out[table] = (len(rows), hashlib.sha1(repr(rows).encode()).hexdigest())
        return out
    finally:
        con.close()


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

    app = create_app(settings_mod.Settings(db_path=new_city, build_demo_if_missing=False))
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


def test_a_load_reaches_the_running_app_without_a_restart(new_city, tmp_path):
    from app import create_app
    from data import runtime as runtime_mod

    app = create_app(settings_mod.Settings(db_path=new_city, build_demo_if_missing=False))
    runtime = app.citybrain_runtime
    client = app.server.test_client()
    assert client.get("/geo/districts.geojson").status_code == 200
    before = runtime.queries.indicator_value("retail_sales", "440703", "2026-10-01",
                                             "2026-10-31")["value"]
    more = tmp_path / "october.csv"
    more.write_text("地区,指标,时间,数值\n蓬江区,社会消费品零售总额,2026-10,999\n",
                    encoding="utf-8")
    assert citybrain(["load", "indicators", str(more), "--db", str(new_city), "--quiet"]) == 0
    runtime._checked -= runtime_mod.RELOAD_CHECK_SECONDS      # do not wait for the next check
    assert client.get("/geo/districts.geojson").status_code == 200   # any request reloads
    after = runtime.queries.indicator_value("retail_sales", "440703", "2026-10-01",
                                            "2026-10-31")["value"]
    assert before != 999 and after == 999
