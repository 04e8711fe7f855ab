"""Targets from the city (issue 18, item 2): a targets file read as offices keep it (Excel with a
title row and a units row, GBK CSV, Chinese or English headers), its bad rows named by file,
row and column with nothing changed; the target of the period's year, and a district's own,
on the KPI cards, the ranking, the alerts, the wall and the monthly report; a catalogue file
re-declaring a built-in indicator; the data screen listing what is in force and from where."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cli import main as citybrain
from data import alerts, catalog
from data.catalog import BUILT_IN, Target
from data.load.build import KINDS, Item, load
from data.load.catalogue import read_catalogue
from data.load.problems import LoadError
from data.load.targets import read_targets
from data.queries import Queries
from tests.new_city import excel, serving, write

YEARS = range(2023, 2032)
AREAS = {"360702": "章贡区", "360703": "南康区", "360722": "信丰县", "360726": "安远县"}
CITY = {"city_code": "360700", "city_name_zh": "赣州市", "city_name_en": "Ganzhou"}
OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def read(path: Path):
    return read_targets(path, catalogue=BUILT_IN, areas=AREAS, years=YEARS, city=CITY)


def problems(path: Path) -> LoadError:
    with pytest.raises(LoadError) as info:
        read(path)
    return info.value


def where(err: LoadError) -> list[tuple]:
    return [(p.row, p.column) for p in err.problems]


# --- reading ---------------------------------------------------------------------------------

#: An office's plan: a title row, the header, a units row, the plan's yearly steps as rows,
#: a district's own target, a city-wide row written as 全市, a footnote.
PLAN = [
    ["赣州市2026—2028年主要指标目标值"],
    ["序号", "指标", "年份", "区县", "目标值", "预警值"],
    ["单位", None, None, None, "%", "%"],
    [1, "地区生产总值", 2026, None, 6.5, 4.5],
    [2, "地区生产总值", "2027年", "全市", 6.0, 4.0],
    [3, "gdp", 2028, "", 5.5, None],
    [4, "地区生产总值", 2026, "章贡区", 7.5, 5.5],
    [5, "优良天数比例", 2026, "360722", 97, 92],
    [6, "Closure rate", 2026, "赣州市", 96, 91],
    ["注：增速目标为同比增长（%）。"],
]


def test_an_excel_plan_with_title_and_units_rows(tmp_path):
    got = read(excel(tmp_path / "目标.xlsx", PLAN))
    assert list(got.columns) == ["indicator_code", "year", "district_code", "target", "alert"]
    rows = [tuple(None if pd.isna(v) else v for v in r) for r in got.itertuples(index=False)]
    assert rows == [("gdp", 2026, None, 6.5, 4.5), ("gdp", 2027, None, 6.0, 4.0),
                    ("gdp", 2028, None, 5.5, None), ("gdp", 2026, "360702", 7.5, 5.5),
                    ("good_air_rate", 2026, "360722", 97.0, 92.0),
                    ("closure_rate", 2026, None, 96.0, 91.0)]
    assert got.attrs["warnings"] == []


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_a_csv_in_gbk_or_utf8_with_chinese_or_english_headers(tmp_path, encoding):
    chinese = write(tmp_path / "zh.csv", "指标名称,年度,地区,目标,预警线,单位,备注\n"
                    "城镇调查失业率,2026,南康区,5.0%,5.8,%,\n"
                    "智能审批事项数,2027年,,600,500,项,三年行动计划\n", encoding)
    english = write(tmp_path / "en.csv", "indicator,year,district_code,target,alert\n"
                    "unemployment_rate,2026,360703,5,5.8\n"
                    "smart_approval_items,2027,,600,500\n", encoding)
    for path in (chinese, english):
        got = read(path)
        assert got[["indicator_code", "year", "target", "alert"]].values.tolist() == [
            ["unemployment_rate", 2026, 5.0, 5.8], ["smart_approval_items", 2027, 600.0, 500.0]]
        assert got["district_code"].tolist() == ["360703", None]


def test_bad_rows_name_file_row_column_value_and_what_was_expected(tmp_path):
    text = ("指标,年份,地区,目标值,预警值\n"
            "gdpp,2026,,6,4\n"                       # 2: unknown indicator
            "gdp,2026,不存在县,6,4\n"                  # 3: unknown district
            "gdp,2045,,6,4\n"                        # 4: a year outside the store's
            "gdp,明年,,6,4\n"                         # 5: not a year
            "gdp,2027,,六点五,4\n"                     # 6: not a number
            "gdp,2028,,,\n"                          # 7: no target
            "unemployment_rate,2026,,5.5,5.0\n"      # 8: alert on the wrong side
            "gdp,2026,360702,7,5\n"
            "地区生产总值,2026,章贡区,7.5,5\n"            # 10: a duplicate of row 9
            "smart_approval_items,2026,,95%,80\n")   # 11: a % on a count
    err = problems(write(tmp_path / "bad.csv", text, "gbk"))
    assert where(err) == [(2, "指标"), (3, "地区"), (4, "年份"), (5, "年份"), (6, "目标值"),
                          (7, "目标值"), (8, "预警值"), (10, "指标"), (11, "目标值")]
    said = [str(p).replace(str(tmp_path) + "/", "") for p in err.problems]
    assert said[0].startswith("bad.csv, row 2, column '指标': 'gdpp': not in the catalogue")
    assert "matches no district of the store" in said[1] and "360702 章贡区" in said[1]
    assert "'2045': outside the store's years: expected a year from 2023 to 2031" in said[2]
    assert "not a year" in said[3] and "not a number" in said[4]
    assert "empty: expected the gdp target" in said[5]
    assert "must lie above the target (5.5) when lower is better" in said[6]
    assert "a duplicate of row 9: give each only once" in said[7]
    assert "a percentage, but the target of smart_approval_items is in 项" in said[8]


def test_a_units_row_that_is_not_the_targets_unit(tmp_path):
    rows = [["指标", "年份", "目标值"], [None, None, "%"], ["智能审批事项数", 2026, 500],
            ["gdp", 2026, 6]]
    err = problems(excel(tmp_path / "units.xlsx", rows))
    assert where(err) == [(3, "目标值")]
    assert "not the unit of smart_approval_items's targets: expected 项" in str(err)


def test_a_column_per_year_is_refused_with_the_shape_to_use(tmp_path):
    err = problems(write(tmp_path / "wide.csv", "指标,2024,2025,2026\ngdp,6.5,6,5.5\n"))
    assert "a column per year" in str(err) and "no year column" in str(err)


# --- the catalogue -----------------------------------------------------------------------------

def test_the_catalogue_answers_the_target_of_a_year_and_district_and_its_source():
    plan = BUILT_IN.with_targets([
        Target("gdp", 5.0, 3.0, "targets", "plan.xlsx", 2026),
        Target("gdp", 7.0, 5.0, "targets", "plan.xlsx", 2026, "360702")])
    assert plan.target("gdp", 2026) == Target("gdp", 5.0, 3.0, "targets", "plan.xlsx", 2026)
    assert plan.target("gdp", 2026, "360702").target == 7.0
    assert plan.target("gdp", 2026, "360703").target == 5.0       # no own: the city's
    assert plan.target("gdp", 2027) == Target("gdp", 6.5, 4.5, "built-in")
    assert plan.applied("gdp", 2026, "360702").alert == 5.0
    assert plan.applied("gdp", 2030) is BUILT_IN.get("gdp")
    assert [t.district for t in plan.in_force(2026) if t.code == "gdp"] == [None, "360702"]
    assert plan.target_years() == [2026]


def test_a_stores_copy_of_the_built_in_catalogue_is_not_a_redeclaration():
    row = {**BUILT_IN.as_rows()[0], "target": 1.0}
    assert catalog.from_rows([row]).get("gdp").target == 6.5       # an old store's copy
    again = catalog.from_rows([{**row, "source": "cat.csv"}])
    assert again.get("gdp").target == 1.0
    assert again.target("gdp", 2026) == Target("gdp", 1.0, 4.5, "catalogue", "cat.csv")


def test_read_catalogue_redeclares_a_built_in_from_what_the_file_gives(tmp_path):
    got = read_catalogue(write(tmp_path / "cat.csv", "代码,名称,单位,方向,目标,预警\n"
                               "retail_sales,社会消费品零售总额（限上）,,越高越好,9,4\n"
                               "new_market_entities,新增市场主体,万户,越高越好,,\n"))
    retail, entities = got
    built = BUILT_IN.get("retail_sales")
    assert (retail.name_zh, retail.name_en, retail.unit_zh, retail.unit_en) == \
        ("社会消费品零售总额（限上）", built.name_en, "亿元", "100M CNY")
    assert (retail.basis, retail.time, retail.target, retail.alert) == ("yoy", "sum", 9.0, 4.0)
    assert (entities.unit_zh, entities.unit_en, entities.target) == ("万户", "万户", 5.0)
    replaced = BUILT_IN.with_own(got, "cat.csv")
    assert [i.code for i in replaced] == [i.code for i in BUILT_IN]
    assert replaced.get("retail_sales").name_zh == "社会消费品零售总额（限上）"
    assert replaced.target("retail_sales", 2026).source == "catalogue"


# --- loads into a copy of the test city -------------------------------------------------------

def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def planned(city_path, tmp_path_factory):
    """A copy of the test city with a plan loaded by `citybrain load targets` from an Excel
    file: GDP +5% for the city in 2026 (the demo plan: +6%), 章贡区 +9.5% (the demo: +7%),
    信丰县 held to 60 smart-approval services (it has 40: past its alert line of 45)."""
    folder = tmp_path_factory.mktemp("planned")
    db = Path(shutil.copy(city_path, folder / "city.duckdb"))
    plan = excel(folder / "targets.xlsx", [
        ["2026年目标值"], ["指标", "年份", "地区", "目标值", "预警值"],
        ["地区生产总值", 2026, None, 5.0, 3.0], ["地区生产总值", 2026, "章贡区", 9.5, 8.0],
        ["地区生产总值", 2027, None, 5.0, 3.0],
        ["智能审批事项数", 2026, "信丰县", 60, 45]])
    assert citybrain(["load", "targets", str(plan), "--db", str(db), "--quiet"]) == 0
    return db


@pytest.fixture(scope="module")
def runtime(planned):
    with serving(planned) as runtime:
        yield runtime


def test_targets_is_a_kind_of_load():
    assert "targets" in KINDS


def test_the_loaded_plan_replaces_rows_of_its_keys_only(runtime):
    c = runtime.catalogue
    assert c.target("gdp", 2026) == Target("gdp", 5.0, 3.0, "targets", "targets.xlsx", 2026)
    assert c.target("gdp", 2026, "360702").target == 9.5
    assert c.target("gdp", 2025).file == "demo-generator"              # the demo plan's
    assert c.target("retail_sales", 2026, "360702").target == 7.5      # ditto, untouched
    assert c.target("gdp", 2031).source == "built-in"


def test_kpi_cards_and_wall_tiles_hold_the_year_and_district_targets(runtime):
    from charts.overview import kpi_texts
    q = runtime.queries
    start, end = (d.isoformat() for d in OCT)
    city = q.kpis(None, start, end).set_index("code")
    own = q.kpis("360702", start, end).set_index("code")
    other = q.kpis("360703", start, end).set_index("code")
    assert (city.loc["gdp", "target"], own.loc["gdp", "target"],
            other.loc["gdp", "target"]) == (5.0, 9.5, 5.0)
    assert own.loc["gdp", "status"] == catalog.breach(
        runtime.catalogue.applied("gdp", 2026, "360702"), own.loc["gdp", "headline"])
    # a township of 章贡区 is held to its district's target
    town = q.areas("townships").query("parent == '360702'")["code"].iloc[0]
    assert q.kpis(town, start, end).set_index("code").loc["gdp", "target"] == 9.5
    rows = q.kpis(None, start, end).itertuples()
    card = kpi_texts(next(rows), runtime.catalogue.get("gdp"), "zh")
    assert card["target"] == "+5%"
    # the wall's tiles are the KPI cards' texts for the city over its window
    from charts.wall import WallView, tiles
    view = WallView(runtime, None, "zh")
    assert "+5%" in str(tiles("gdp")(view, None)[0].to_plotly_json())


def test_the_ranking_draws_the_citys_line_and_the_districts_own_marks(runtime):
    from charts.overview import ranking_chart
    from charts.state import FilterState
    from layouts import theme
    state = FilterState(None, "2026-07-01", "2026-09-30", "gdp", "zh")
    figure = ranking_chart(state, runtime, theme.WALL)
    assert [s.x0 for s in figure.layout.shapes] == [5.0]
    marks = figure.data[1]
    assert list(marks.y) == ["360702"] and list(marks.x) == [9.5]   # a row per code
    assert list(marks.hovertext) == ["章贡区"]
    ticks = dict(zip(figure.layout.yaxis.tickvals, figure.layout.yaxis.ticktext))
    assert ticks["360702"] == "章贡区"
    # the mark's hover says the target as the bars say values; no "trace 0" legend
    assert list(marks.text) == ["+9.5%"] and "%{text}" in marks.hovertemplate
    assert figure.layout.showlegend is False


def test_alerts_and_the_report_hold_districts_to_their_own_lines(runtime):
    from report import monthly
    found = alerts.find(runtime, *OCT, None, "zh")
    mine = found[(found["code"] == "smart_approval_items")]
    # a city total is checked per district only where a district has a target of its own
    assert mine["area_code"].tolist() == ["360722"] and mine["threshold"].tolist() == [45.0]
    report = monthly.build_report(runtime, "2026-10", districts=("360702",))
    kpis = report.kpis.set_index("code")
    assert kpis.loc["gdp", "target"] == 9.5
    assert kpis.loc["gdp", "met"] == (kpis.loc["gdp", "value"] >= 9.5)
    assert monthly.build_report(runtime, "2026-10").kpis.set_index("code").loc[
        "gdp", "target"] == 5.0


def test_the_data_screen_lists_the_targets_in_force_and_where_they_came_from(runtime):
    from callbacks.datasets import targets
    table = targets(runtime, "zh").to_plotly_json()
    rows = [[cell.children for cell in tr.children]
            for tr in table["props"]["children"][0].children[1].children]
    assert ["地区生产总值", "全市", "+5%", "+3%", "目标值文件 targets.xlsx"] in rows
    assert ["地区生产总值", "章贡区", "+9.5%", "+8%", "目标值文件 targets.xlsx"] in rows
    assert ["零售总额" in r[0] for r in rows].count(True) == 2      # the city, 章贡区
    assert ["平均办理时长", "全市", "48小时", "72小时", "系统内置"] in rows
    assert "2024、2025、2027" in str(table)           # the other years the plan sets
    # the demo's own plan is said to be generated, not a file called demo-generator
    assert any(r[-1] == "演示城市的规划（生成）" for r in rows)
    assert "demo-generator" not in str(table)
    english = str(targets(runtime, "en").to_plotly_json())
    assert "Targets file targets.xlsx" in english and "Built in" in english
    assert "2024, 2025 and 2027" in english


def test_the_data_screen_says_each_feeds_frequency_in_the_interface_language(runtime):
    from callbacks.datasets import feeds
    chinese, english = (str(feeds(runtime, lang).to_plotly_json()) for lang in ("zh", "en"))
    assert "逐小时" in chinese and "月度" in chinese and "hourly" not in chinese
    assert "hourly" in english and "monthly" in english


def test_a_bad_targets_file_changes_nothing(planned, tmp_path):
    before = _digest(planned)
    bad = write(tmp_path / "bad.csv", "指标,年份,地区,目标值\ngdp,2026,,6\ngdp,2026,不存在县,6\n",
                "gbk")
    with pytest.raises(LoadError) as info:
        load(planned, [Item("targets", bad)])
    assert [str(p).replace(str(tmp_path) + "/", "") for p in info.value.problems] == [
        "bad.csv, row 3, column '地区': '不存在县': matches no district of the store (leave it "
        "empty, or write 全市, for a city-wide target): 360702 章贡区, 360703 南康区, "
        "360704 赣县区, 360722 信丰县, 360723 大余县, 360724 上犹县, 360725 崇义县, "
        "360726 安远县, … (18 in all)"]
    assert _digest(planned) == before


# --- a catalogue re-declaring a built-in indicator ---------------------------------------------

def test_a_catalogue_file_redeclares_a_built_in_indicator(city_path, tmp_path):
    from callbacks.datasets import targets
    db = Path(shutil.copy(city_path, tmp_path / "city.duckdb"))
    declared = write(tmp_path / "cat.csv", "代码,名称,name_en,单位,方向,目标,预警\n"
                     "tax_revenue,税收收入（全口径）,Tax revenue (all),亿元,越高越好,8,2\n")
    report = load(db, [Item("catalogue", declared)])
    assert "1 built-in indicators declared again (tax_revenue)" in report.notes[0]
    with serving(db) as runtime:
        store = runtime.store
        c = store.catalogue
        ind = c.get("tax_revenue")
        assert (ind.name_zh, ind.name_en, ind.basis, ind.target, ind.alert) == \
            ("税收收入（全口径）", "Tax revenue (all)", "yoy", 8.0, 2.0)
        assert c.target("tax_revenue", 2026) == Target("tax_revenue", 8.0, 2.0, "catalogue",
                                                      "cat.csv")
        kpis = Queries(store).kpis(None, "2026-10-01", "2026-10-31", ("tax_revenue",))
        assert kpis["target"].tolist() == [8.0]
        assert "税收收入（全口径）" in str(targets(runtime, "zh").to_plotly_json())
        assert "指标目录文件 cat.csv" in str(targets(runtime, "zh").to_plotly_json())
        assert "（全口径）" in runtime.names_text()     # the interface font keeps its name


def test_the_trend_steps_its_target_line_at_each_new_year():
    from layouts import figures, theme
    frame = pd.DataFrame({"period": pd.date_range("2025-07-01", "2026-10-01", freq="MS"),
                          "value": 10.0, "yoy": 5.0})
    ind = BUILT_IN.get("gdp")
    stepped = figures.trend(frame, ind, theme=theme.WALL, lang="zh", start=None, end=None,
                            targets=[(2025, 6.5), (2026, 6.0)])
    lines = [(s.x0, s.x1, s.y0) for s in stepped.layout.shapes]
    assert lines == [("2025-07-01", "2025-12-31", 6.5), ("2026-01-01", "2026-10-31", 6.0)]
    assert [a.text for a in stepped.layout.annotations][-2:] == ["2025 目标 6.5%",
                                                                 "2026 目标 6%"]
    # on the wall's panel colour, mostly opaque: the line runs through the bars
    assert {a.bgcolor for a in stepped.layout.annotations if "目标" in a.text} == {
        "rgba(10,23,48,0.8)"}
    # a window that takes one month of 2024: its line is drawn, its label left out (it sat
    # on 2025's)
    frame_2024 = pd.concat([pd.DataFrame({"period": [pd.Timestamp("2024-12-01")],
                                          "value": [9.0], "yoy": [4.0]}), frame])
    early = figures.trend(frame_2024, ind, theme=theme.WALL, lang="zh", start=None, end=None,
                          targets=[(2024, 8.0), (2025, 6.5), (2026, 6.0)])
    assert [s.y0 for s in early.layout.shapes] == [8.0, 6.5, 6.0]
    assert [a.text for a in early.layout.annotations if "目标" in a.text] == [
        "2025 目标 6.5%", "2026 目标 6%"]
    flat = figures.trend(frame, ind, theme=theme.WALL, lang="zh", start=None, end=None,
                         targets=[(2025, 6.0), (2026, 6.0)])
    assert [s.y0 for s in flat.layout.shapes] == [6.0]
