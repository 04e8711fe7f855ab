"""The emergency scene (应急): warnings and resources read from CSV (UTF-8, GBK), Excel and
Parquet with Chinese or English headers, every bad row refused with nothing written; loaded
into a store and posted to the push API; the queries against pandas; the warning alert; the
demo's red flood warning; the wall scene's parts and the overview's map layers."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import shapely

from data import alerts
from data.access import Access
from data.demo import PLANTED
from data.emergency import ALERT_LEVEL
from data.load.build import Item, load
from data.load.problems import LoadError
from data.load.resources import read_resources
from data.load.warnings import read_warnings
from data.queries import Queries, Scope
from data.store import Store, connect
from tests.conftest import TEST_NOW

YUDU = PLANTED["flood_warning"][0]
AT = TEST_NOW.isoformat(timespec="seconds")


@pytest.fixture(scope="module")
def runtime(app):
    return app.citybrain_runtime


@pytest.fixture(scope="module")
def reference(store):
    """What the readers check a file against: the store's districts and townships."""
    from data.load.build import reference as build_reference
    return build_reference(store.rows, "warnings")


@pytest.fixture(scope="module")
def district_shapes(reference):
    return {"districts": reference["districts"]}


def _town(store, district: str) -> tuple[str, str]:
    return store.rows("SELECT code, name_zh FROM townships WHERE district_code = ? "
                      "ORDER BY code LIMIT 1", [district])[0]


def _inside(store, district: str) -> tuple[float, float]:
    """A point inside a district (an event of it)."""
    return store.rows("SELECT lon, lat FROM grid_events WHERE district_code = ? "
                      "ORDER BY event_id LIMIT 1", [district])[0]


def _problems(error: LoadError) -> list[tuple]:
    return [(Path(p.file).name, p.row, p.column, p.value) for p in error.problems
            if p.level == "error"]


# --- warnings: good files in every format -------------------------------------------------

def test_warnings_csv_in_english_with_area_polygon_and_point(tmp_path, store, reference):
    town, _ = _town(store, "360730")
    lon, lat = _inside(store, "360702")
    square = (f"POLYGON(({lon - .02} {lat - .02}, {lon + .02} {lat - .02}, {lon + .02} "
              f"{lat + .02}, {lon - .02} {lat + .02}, {lon - .02} {lat - .02}))")
    frame = pd.DataFrame([
        ["W1", "flood", "red", "360731", "", "", "", "2026-11-24 05:00", "2026-11-26 05:00",
         "市防汛办"],
        ["W2", "geohazard", "III", town, "", "", "", "2026-11-23 14:00", "", "市自然资源局"],
        ["W3", "weather", "Blue", square, "", "", "", "2026-11-24 07:00", "", "市气象台"],
        ["W4", "work safety", "橙色", "", lon, lat, 2, "2026/11/24 08:00", "", "市应急管理局"],
    ], columns=["warning_id", "kind", "level", "area", "lon", "lat", "radius_km",
                "valid_from", "valid_to", "issuer"])
    path = tmp_path / "warnings.csv"
    frame.to_csv(path, index=False)
    got = read_warnings(path, **reference).set_index("warning_id")
    assert got["level"].to_dict() == {"W1": 1, "W2": 3, "W3": 4, "W4": 2}
    assert got["kind"].to_dict() == {"W1": "flood", "W2": "geohazard", "W3": "weather",
                                     "W4": "work_safety"}
    assert got.loc["W1", "area_code"] == "360731" and got.loc["W1", "district_code"] == "360731"
    assert got.loc["W2", "area_code"] == town and got.loc["W2", "district_code"] == "360730"
    assert pd.isna(got.loc["W2", "valid_to"])
    assert got.loc["W1", "valid_to"] == pd.Timestamp("2026-11-26 05:00")
    # a polygon and a point are filed under the district they lie in
    assert got.loc["W3", "district_code"] == got.loc["W4", "district_code"] == "360702"
    assert shapely.from_wkb(got.loc["W3", "geom"]).equals(shapely.from_wkt(square))
    circle = shapely.from_wkb(got.loc["W4", "geom"])
    assert circle.contains(shapely.Point(lon, lat)) and got.loc["W4", "radius_km"] == 2
    # 2 km across in longitude: about 0.018° north-south, wider east-west at 25°N
    x0, y0, x1, y1 = circle.bounds
    assert (y1 - y0) == pytest.approx(4 / 111.32, rel=0.01) and (x1 - x0) > (y1 - y0)
    assert got.loc["W1", "min_lon"] <= got.loc["W1", "lon"] <= got.loc["W1", "max_lon"]


def test_warnings_gbk_csv_with_chinese_headers_and_a_title_row(tmp_path, store, reference):
    town, town_name = _town(store, "360730")
    text = ("赣州市应急预警信息发布表\n"
            "预警编号,预警类型,预警级别,预警区域,生效时间,解除时间,发布单位,标题\n"
            "Y1,洪涝,红色预警,于都县,2026年11月24日5时,2026年11月26日5时,市防汛办,暴雨洪涝\n"
            f"Y2,地质灾害,Ⅲ级,{town_name},2026-11-23 14:00,,市自然资源局,\n")
    path = tmp_path / "预警.csv"
    path.write_bytes(text.encode("gbk"))
    got = read_warnings(path, **reference).set_index("warning_id")
    assert got["level"].to_dict() == {"Y1": 1, "Y2": 3}
    assert got["area_code"].to_dict() == {"Y1": "360731", "Y2": town}
    assert got.loc["Y1", "valid_from"] == pd.Timestamp("2026-11-24 05:00")
    assert got.loc["Y1", "title"] == "暴雨洪涝" and pd.isna(got.loc["Y2", "title"])


def test_warnings_excel_with_a_title_row_and_parquet(tmp_path, store, reference):
    lon, lat = _inside(store, "360731")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["应急预警台账"])
    ws.append([])
    ws.append(["预警编号", "预警类型", "预警级别", "经度", "纬度", "影响半径", "生效时间",
               "发布单位"])
    ws.append(["X1", "森林火险", "黄色", lon, lat, 3, dt.datetime(2026, 11, 24, 8), "市林业局"])
    wb.save(tmp_path / "warnings.xlsx")
    got = read_warnings(tmp_path / "warnings.xlsx", **reference)
    assert got[["warning_id", "kind", "level", "district_code", "radius_km"]].values.tolist() \
        == [["X1", "forest_fire", 3, "360731", 3.0]]
    assert got["valid_from"].tolist() == [pd.Timestamp("2026-11-24 08:00")]
    pd.DataFrame({"id": ["P1"], "type": ["Weather"], "level": ["IV"], "area": ["360703"],
                  "start": ["2026-11-24 06:00"], "issued_by": ["市气象台"]}).to_parquet(
        tmp_path / "w.parquet")
    got = read_warnings(tmp_path / "w.parquet", **reference)
    assert got[["warning_id", "kind", "level", "area_code"]].values.tolist() == [
        ["P1", "weather", 4, "360703"]]


def test_every_bad_warning_row_is_named(tmp_path, store, reference):
    lon, lat = _inside(store, "360731")
    text = ("预警编号,预警类型,预警级别,预警区域,经度,纬度,生效时间,解除时间,发布单位\n"
            "B1,洪涝,紫色,于都县,,,2026-11-24 05:00,,市防汛办\n"          # row 2: level
            "B2,台风,红色,于都县,,,2026-11-24 05:00,,市防汛办\n"          # row 3: kind
            "B3,洪涝,红色,火星区,,,2026-11-24 05:00,,市防汛办\n"          # row 4: area
            "B4,洪涝,红色,于都县,,,2026-11-24 05:00,2026-11-24 04:00,市防汛办\n"  # row 5
            "B4,洪涝,红色,于都县,,,2026-11-24 05:00,,市防汛办\n"          # row 6: duplicate
            "B6,洪涝,红色,,,,2026-11-24 05:00,,市防汛办\n"                # row 7: nowhere
            "B7,洪涝,红色,,10.0,10.0,2026-11-24 05:00,,市防汛办\n"        # row 8: outside
            f"B8,洪涝,红色,,{lon},,2026-11-24 05:00,,市防汛办\n"          # row 9: no lat
            "B9,洪涝,红色,于都县,,,明天,,\n")                            # row 10: time, issuer
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        read_warnings(path, **reference)
    found = _problems(caught.value)
    assert ("bad.csv", 2, "预警级别", "紫色") in found
    assert ("bad.csv", 3, "预警类型", "台风") in found
    assert ("bad.csv", 4, "预警区域", "火星区") in found
    assert ("bad.csv", 5, "解除时间", "2026-11-24 04:00") in found
    assert ("bad.csv", 6, "预警编号", "B4") in found
    assert ("bad.csv", 7, "预警区域", None) in found
    assert ("bad.csv", 8, "经度", "10.0") in found
    assert ("bad.csv", 9, "纬度", None) in found
    assert ("bad.csv", 10, "生效时间", "明天") in found
    assert ("bad.csv", 10, "发布单位", None) in found
    expected = {(p.row, p.column): p.expected for p in caught.value.problems}
    assert "red" in expected[(2, "预警级别")] and "洪涝" in expected[(3, "预警类型")]
    assert "not after the valid-from" in expected[(5, "解除时间")]
    assert "duplicate of row 5" in expected[(6, "预警编号")]


# --- resources ---------------------------------------------------------------------------

def test_resources_read_in_chinese_and_english(tmp_path, store, district_shapes):
    lon, lat = _inside(store, "360731")
    text = ("编号,类型,名称,经度,纬度,容纳人数,队伍人数\n"
            f"R1,应急避难场所,于都县体育馆,{lon},{lat},2000,\n"
            f"R2,救援队伍,于都县消防救援大队,{lon},{lat},,80\n"
            f"R3,物资储备点,于都县物资库,{lon},{lat},,\n")
    path = tmp_path / "资源.csv"
    path.write_bytes(text.encode("gbk"))
    got = read_resources(path, **district_shapes)
    assert got[["resource_id", "kind", "district_code"]].values.tolist() == [
        ["R1", "shelter", "360731"], ["R2", "rescue_team", "360731"],
        ["R3", "depot", "360731"]]
    assert got["capacity"].tolist()[0] == 2000 and pd.isna(got["capacity"].tolist()[1])
    assert got["headcount"].tolist()[1] == 80
    assert got["name_en"].tolist()[0] == "于都县体育馆"     # no English name: the Chinese one
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2026年应急资源台账"])
    ws.append(["编号", "类型", "名称", "经度", "纬度", "容纳人数", "队伍人数"])
    ws.append([None, None, None, None, None, "人", "人"])
    ws.append(["X1", "避难所", "于都公园", lon, lat, 1200, None])
    wb.save(tmp_path / "resources.xlsx")
    got = read_resources(tmp_path / "resources.xlsx", **district_shapes)
    assert got[["resource_id", "kind", "capacity"]].values.tolist() == [["X1", "shelter", 1200]]
    english = pd.DataFrame({"resource_id": ["E1"], "kind": ["Rescue team"],
                            "name": ["Yudu team"], "lon": [lon], "lat": [lat],
                            "headcount": [40]})
    english.to_parquet(tmp_path / "r.parquet")
    got = read_resources(tmp_path / "r.parquet", **district_shapes)
    assert got[["kind", "headcount"]].values.tolist() == [["rescue_team", 40]]


def test_every_bad_resource_row_is_named(tmp_path, store, district_shapes):
    lon, lat = _inside(store, "360731")
    text = ("编号,类型,名称,经度,纬度,容纳人数,队伍人数\n"
            f"R1,应急避难场所,体育馆,{lon},{lat},,\n"          # row 2: shelter, no capacity
            f"R2,救援队伍,救援队,{lon},{lat},,-5\n"            # row 3: negative headcount
            f"R3,医院,人民医院,{lon},{lat},,\n"               # row 4: kind
            f"R4,物资储备点,物资库,116.0,40.0,,\n"            # row 5: Beijing
            f"R1,物资储备点,物资库,{lon},{lat},,\n")          # row 6: duplicate id
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        read_resources(path, **district_shapes)
    found = _problems(caught.value)
    assert ("bad.csv", 2, "容纳人数", None) in found
    assert ("bad.csv", 3, "队伍人数", "-5") in found
    assert ("bad.csv", 4, "类型", "医院") in found
    assert ("bad.csv", 5, "lon, lat", "116.0, 40.0") in found
    assert ("bad.csv", 6, "编号", "R1") in found


# --- loads, and the push API --------------------------------------------------------------

@pytest.fixture(scope="module")
def city(city_path, tmp_path_factory):
    """A store of this module's own: its loads write it."""
    return Path(shutil.copy(city_path, tmp_path_factory.mktemp("emergency") / "city.duckdb"))


def _count(path: Path, table: str) -> int:
    con = connect(path, read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def test_a_load_writes_warnings_whole_or_not_at_all(city, store, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("预警编号,预警类型,预警级别,预警区域,生效时间,发布单位\n"
                    "L1,气象,黄色,南康区,2026-11-24 09:00,市气象台\n", encoding="utf-8")
    before = _count(city, "emergency_warnings")
    report = load(city, [Item("warnings", good)], now=TEST_NOW)
    assert report.rows == {"warnings": 1} and _count(city, "emergency_warnings") == before + 1
    con = connect(city, read_only=True)
    try:
        assert con.execute("SELECT file, frequency FROM datasets WHERE name = "
                           "'emergency_warnings'").fetchone() == ("good.csv", "event")
        version = con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    finally:
        con.close()
    # lifted: the same id again with its valid-to replaces it
    good.write_text("预警编号,预警类型,预警级别,预警区域,生效时间,解除时间,发布单位\n"
                    "L1,气象,黄色,南康区,2026-11-24 09:00,2026-11-24 09:30,市气象台\n",
                    encoding="utf-8")
    load(city, [Item("warnings", good)], now=TEST_NOW)
    assert _count(city, "emergency_warnings") == before + 1
    bad = tmp_path / "bad.csv"
    bad.write_text("预警编号,预警类型,预警级别,预警区域,生效时间,发布单位\n"
                   "L2,气象,黄色,南康区,2026-11-24 09:00,市气象台\n"
                   "L3,气象,粉色,南康区,2026-11-24 09:00,市气象台\n", encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load(city, [Item("warnings", bad)], now=TEST_NOW)
    assert _problems(caught.value) == [("bad.csv", 3, "预警级别", "粉色")]
    con = connect(city, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM emergency_warnings WHERE warning_id = 'L2'"
                           ).fetchone()[0] == 0
        assert con.execute("SELECT valid_to FROM emergency_warnings WHERE warning_id = 'L1'"
                           ).fetchone()[0] == dt.datetime(2026, 11, 24, 9, 30)
        assert con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() \
            != version
    finally:
        con.close()


def test_resources_load_and_post_through_the_feed_api(city, store, settings):
    from app import create_app
    lon, lat = _inside(store, "360703")
    app = create_app(settings.with_(db_path=city, access_path=city.parent / "access.sqlite",
                                    auth=True))
    client = app.server.test_client()
    token = Access(city.parent / "access.sqlite").add_feed_token("emergency-bureau", "resources,warnings")
    headers = {"Authorization": f"Bearer {token}"}
    before = _count(city, "emergency_resources")
    bad = client.post("/api/v1/feeds/resources", headers=headers, json={"rows": [
        {"编号": "F1", "类型": "避难场所", "名称": "南康体育馆", "经度": lon, "纬度": lat,
         "容纳人数": 1500, "队伍人数": None},
        {"编号": "F2", "类型": "救援队伍", "名称": "南康救援队", "经度": lon, "纬度": lat,
         "容纳人数": None, "队伍人数": None}]})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == [{"row": 2, "field": "队伍人数", "value": None,
                                         "expected": "empty: expected a team's headcount "
                                                     "(队伍人数)"}]
    assert _count(city, "emergency_resources") == before
    good = client.post("/api/v1/feeds/resources", headers=headers, json={"rows": [
        {"编号": "F1", "类型": "避难场所", "名称": "南康体育馆", "经度": lon, "纬度": lat,
         "容纳人数": 1500}]})
    assert good.status_code == 200 and good.get_json()["accepted"] == 1
    assert _count(city, "emergency_resources") == before + 1
    warning = client.post("/api/v1/feeds/warnings", headers=headers, json={"rows": [
        {"warning_id": "F-W1", "kind": "flood", "level": "orange", "area": "南康区",
         "valid_from": "2026-11-24 08:00", "issuer": "市防汛办"}]})
    assert warning.status_code == 200
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/feeds/warnings", "/api/v1/feeds/resources"} <= set(spec["paths"])
    assert "避难场所" in spec["paths"]["/api/v1/feeds/resources"]["post"]["description"]


# --- queries against pandas ----------------------------------------------------------------

@pytest.fixture(scope="module")
def raw(store):
    warnings = store.df("SELECT * FROM emergency_warnings")
    resources = store.df("SELECT * FROM emergency_resources")
    return warnings, resources


def test_warnings_in_force_match_pandas(queries, raw):
    warnings, _ = raw
    for at in (TEST_NOW, TEST_NOW - dt.timedelta(days=3), TEST_NOW + dt.timedelta(days=2)):
        expected = warnings[(warnings["valid_from"] <= at)
                            & (warnings["valid_to"].isna() | (warnings["valid_to"] > at))]
        got = queries.warnings_at(at.isoformat(timespec="seconds"))
        assert sorted(got["warning_id"]) == sorted(expected["warning_id"])
        assert got["level"].is_monotonic_increasing
    month = queries.warnings_between("2026-11-01", "2026-11-30", ALERT_LEVEL)
    assert month["warning_id"].tolist() == warnings[warnings["level"] <= ALERT_LEVEL][
        "warning_id"].tolist() == ["YJ-FLOOD-001"]


def test_resources_and_events_in_a_warning_match_shapely_over_pandas(queries, store, raw):
    warnings, resources = raw
    start, end = "2026-11-14T00:00:00", "2026-11-24T10:00:01"
    events = store.df("SELECT event_id, lon, lat FROM grid_events WHERE reported_at >= ? "
                      "AND reported_at < ?", [dt.datetime(2026, 11, 14),
                                              dt.datetime(2026, 11, 24, 10, 0, 1)])
    for w in warnings.itertuples():
        area = shapely.from_wkb(bytes(w.geom))
        inside = [area.intersects(shapely.Point(x, y))
                  for x, y in zip(resources["lon"], resources["lat"])]
        assert sorted(queries.resources_in_warning(w.warning_id)["resource_id"]) == \
            sorted(resources[inside]["resource_id"])
        inside = [area.intersects(shapely.Point(x, y)) for x, y in zip(events["lon"],
                                                                         events["lat"])]
        assert sorted(queries.events_in_warning(w.warning_id, start, end)["event_id"]) == \
            sorted(events[inside]["event_id"])
    flood = queries.resources_in_warning("YJ-FLOOD-001")
    assert len(flood) >= 6 and set(flood["district_code"]) == {YUDU}
    assert len(queries.events_in_warning("YJ-FLOOD-001", start, end)) > 0


def test_a_scoped_reader_sees_only_its_districts_warnings(store, queries):
    mine = queries.scoped(Scope(frozenset({"360702", "360703"})))
    assert set(mine.warnings_at(AT)["district_code"]) == {"360702", "360703"}
    assert mine.resources_in_warning("YJ-FLOOD-001").empty
    assert mine.events_in_warning("YJ-FLOOD-001", "2026-11-01T00:00:00", AT).empty
    assert set(mine.emergency_resources()["district_code"]) <= {"360702", "360703"}


def test_a_store_from_before_the_emergency_scene_has_no_warnings(tmp_path, city_path):
    old = Path(shutil.copy(city_path, tmp_path / "old.duckdb"))
    con = connect(old, read_only=False)
    con.execute("DROP TABLE emergency_warnings; DROP TABLE emergency_resources")
    con.close()
    store = Store(old)
    try:
        q = Queries(store)
        assert q.warnings_at(AT).empty and q.emergency_resources().empty
        assert q.resources_in_warning("YJ-FLOOD-001").empty
    finally:
        store.close()


# --- the demo and the alert ----------------------------------------------------------------

def test_the_demo_has_a_red_flood_warning_in_force_over_yudu(queries):
    standing = queries.warnings_at(AT)
    red = standing[standing["level"] == 1]
    assert red[["kind", "area_code"]].values.tolist() == [["flood", YUDU]]
    assert len(queries.emergency_resources()) >= 25


def test_an_orange_or_red_warning_raises_an_alert_on_the_wall_and_in_the_report(runtime):
    live = alerts.live(runtime, "zh")
    warned = live[live["rule"] == "warning"]
    # the red flood warning, and neither the yellow nor the blue ones
    assert warned["code"].tolist() == ["YJ-FLOOD-001"]
    row = warned.iloc[0]
    assert row["scene"] == "emergency" and row["key"] == f"warning:YJ-FLOOD-001:{YUDU}"
    assert row["where"] == "于都县" and row["what"] == "洪涝红色预警（I级）"
    assert row["since"] == dt.date(2026, 11, 24) and "市防汛抗旱指挥部办公室" in row["detail"]
    # the most severe alert on the wall
    assert live.iloc[0]["rule"] == "warning"
    report = alerts.find(runtime, dt.date(2026, 11, 1), dt.date(2026, 11, 30), None, "en")
    assert report[report["rule"] == "warning"]["code"].tolist() == ["YJ-FLOOD-001"]
    assert alerts.find(runtime, dt.date(2026, 10, 1), dt.date(2026, 10, 31), None, "en")[
        "rule"].ne("warning").all()
    # a district's report holds its own warnings only
    assert alerts.find(runtime, dt.date(2026, 11, 1), dt.date(2026, 11, 30), ["360702"],
                       "en")["rule"].ne("warning").all()


def test_the_other_rules_are_as_they_were(runtime):
    """The warning rule adds rows: the others keep theirs, in their order."""
    live = alerts.live(runtime, "en")
    others = live[live["rule"] != "warning"].reset_index(drop=True)
    rows = (alerts._threshold_alerts(runtime, runtime.as_of.date() - dt.timedelta(
                days=alerts.LIVE_RATE_DAYS - 1), runtime.as_of.date(), None, "en",
                frequencies=alerts.LIVE_FREQUENCIES)
            + alerts._aqi_alerts(runtime, runtime.as_of.date() - dt.timedelta(
                days=alerts.LIVE_AQI_DAYS - 1), runtime.as_of.date(), None, "en")
            + alerts._recent_surge_alerts(runtime, runtime.as_of.date(), "en"))
    expected = alerts._ordered(rows, "en")
    assert others["key"].tolist() == (expected["rule"] + ":" + expected["code"] + ":"
                                      + expected["area_code"].astype(str)).tolist()


# --- the wall scene and the overview's layers ----------------------------------------------

def _json(components) -> str:
    import plotly.utils
    return json.dumps(components, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_emergency_scene_shows_warnings_by_level_and_the_flood_area(runtime, app, lang):
    from charts import emergency
    from charts import wall as wall_charts
    view = wall_charts.WallView(runtime, app, lang)
    parts = dict((part.name, builder(view, part)) for part, builder in
                 wall_charts.SCENES["emergency"])
    counts = runtime.queries.warnings_at(AT)["level"].value_counts()
    assert [tile.children[1].children.children for tile in parts["levels"]] == [
        str(int(counts.get(level, 0))) for level in (1, 2, 3, 4)]
    text = _json(parts["warnings"])
    assert ("洪涝" if lang == "zh" else "Flood") in text
    focus = _json(parts["resources"])
    assert ("于都县" if lang == "zh" else "Yudu") in focus
    shelters = runtime.queries.resources_in_warning("YJ-FLOOD-001")
    shelters = shelters[shelters["kind"] == "shelter"]
    room = int(shelters["capacity"].sum())
    assert (f'"{room:,}"' if lang == "en" else f'"{room}"') in focus
    figure = parts["map"]
    areas, events, resources = figure.data if hasattr(figure, "data") else figure["data"]
    assert "YJ-FLOOD-001" in list(areas["locations"])
    assert len(resources["lon"]) == len(runtime.queries.emergency_resources())
    window = emergency._event_window(view)
    assert len(events["lon"]) == len(runtime.queries.events_in_warning("YJ-FLOOD-001",
                                                                       *window))


def test_the_overview_map_draws_the_two_layers_when_toggled(runtime):
    from charts import overview
    from charts import state as st
    from layouts.figures import MAP_LAYER_TRACES
    base, _ = st.parse_query("?lang=zh", runtime.context)
    hidden = overview.overlay_traces(base, runtime)
    assert not hidden[MAP_LAYER_TRACES["warnings"] - 1]["visible"]
    shown = overview.overlay_traces(replace(base, layers=("warnings", "resources")), runtime)
    areas = shown[MAP_LAYER_TRACES["warnings"] - 1]
    points = shown[MAP_LAYER_TRACES["resources"] - 1]
    assert areas["visible"] and points["visible"]
    assert set(areas["locations"]) == set(runtime.queries.warnings_at(
        emergency_time(base, runtime))["warning_id"])
    assert len(points["lon"]) == len(runtime.queries.emergency_resources())
    assert [f["id"] for f in areas["geojson"]["features"]] == list(areas["locations"])
    parsed, notices = st.parse_query("?layers=warnings,resources", runtime.context)
    assert parsed.layers == ("warnings", "resources") and not notices


def emergency_time(state, runtime) -> str:
    from charts.emergency import layer_time
    return layer_time(state, runtime)
