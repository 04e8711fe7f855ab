"""The event vocabulary from the city (issue 18, item 1): categories in two levels (大类/小类)
and channels read as offices keep them (Excel with a title row and merged 大类 cells, GBK CSV),
their bad rows named by file, row and column with nothing changed; events naming an unknown
category, channel or department refused by row; the loaded vocabulary on the screens' charts,
legends and table filter; the category chart's drill to the second level."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from cli import main as citybrain
from data.demo.vocabulary import SUBCATEGORIES
from data.load.build import KINDS, Item, load
from data.load.problems import LoadError
from data.load.vocabulary import read_categories, read_channels
from data.store import Store
from data.vocabulary import Vocabulary
from tests.new_city import excel, serving, write

RANGE = ("2026-01-01", "2026-11-24")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def where(err: LoadError) -> list[tuple]:
    return [(p.row, p.column) for p in err.problems]


# --- reading ---------------------------------------------------------------------------------

#: The standard's event classes as a city keeps them: a title row, 大类 cells merged (empty
#: under each 大类's first row), a 大类 without 小类, a footnote.
STANDARD = [
    ["城市管理事件分类（GB/T 30428.2）"],
    ["大类代码", "大类名称", "大类英文名称", "小类代码", "小类名称", "小类英文名称"],
    ["01", "市容环境", "City appearance", "0101", "暴露垃圾", "Exposed rubbish"],
    [None, None, None, "0102", "乱堆物料", None],
    ["02", "宣传广告", "Advertising", "0201", "非法小广告", "Illegal small adverts"],
    ["05", "突发事件", "Emergencies", None, None, None],
    ["注：小类代码为大类代码加两位。"],
]


def test_categories_from_an_excel_file_with_title_and_merged_cells(tmp_path):
    got = read_categories(excel(tmp_path / "类别.xlsx", STANDARD))
    assert got[["code", "name_zh", "name_en", "parent_code"]].values.tolist() == [
        ["01", "市容环境", "City appearance", None], ["02", "宣传广告", "Advertising", None],
        ["05", "突发事件", "Emergencies", None],
        ["0101", "暴露垃圾", "Exposed rubbish", "01"], ["0102", "乱堆物料", "乱堆物料", "01"],
        ["0201", "非法小广告", "Illegal small adverts", "02"]]
    assert got["ord"].tolist() == list(range(6)) and set(got["vocabulary"]) == {"category"}
    vocab = Vocabulary.from_rows(got.to_dict("records"))
    assert list(vocab.children("01")) == ["0101", "0102"] and vocab.children("05") == {}


def test_hotline_request_types_from_a_gbk_csv(tmp_path):
    text = ("一级分类代码,一级分类,二级分类代码,二级分类\n"
            "ZX,咨询,ZX01,政策咨询\nZX,咨询,ZX02,办事指南\nTS,投诉,TS01,噪声扰民\n")
    got = read_categories(write(tmp_path / "12345.csv", text, "gbk"))
    assert got["code"].tolist() == ["ZX", "TS", "ZX01", "ZX02", "TS01"]
    assert got["parent_code"].tolist() == [None, None, "ZX", "ZX", "TS"]


def test_bad_categories_are_named_by_row_and_column(tmp_path):
    path = excel(tmp_path / "bad.xlsx", [
        ["事件分类表"],
        ["大类代码", "大类名称", "小类代码", "小类名称"],
        ["01", "市容环境", "0101", "暴露垃圾"],
        ["01", "市容", "0102", "乱堆物料"],          # 4: one code, two names
        ["02", "宣传广告", "0101", "非法小广告"],     # 5: a 小类 twice, under another 大类
        ["02", None, "0202", None],                   # 6: a 小类 without its name
        ["0 3", "施工管理", "0301", "施工扬尘"],      # 7: not a code
        ["03", "施工管理", None, "夜间施工"],         # 8: a 小类 without its code
        ["04", "设施管理", "04", "井盖"],             # 9: a 小类 with a 大类's code
    ])
    with pytest.raises(LoadError) as info:
        read_categories(path)
    assert where(info.value) == [(4, "大类名称"), (5, "小类代码"), (6, "小类名称"),
                                 (7, "大类代码"), (8, "小类代码"), (9, "小类代码")]
    assert "a duplicate of row 3 under 大类 01" in str(info.value)


def test_channels_and_their_problems(tmp_path):
    got = read_channels(write(tmp_path / "渠道.csv", "渠道代码,渠道名称,英文名称\n"
                              "wx,微信公众号,WeChat\nhotline,12345热线,\n", "gbk"))
    assert got[["code", "name_zh", "name_en"]].values.tolist() == [
        ["wx", "微信公众号", "WeChat"], ["hotline", "12345热线", "12345热线"]]
    with pytest.raises(LoadError) as info:
        read_channels(write(tmp_path / "bad.csv", "代码,名称\nwx,微信\nwx,微博\n,电话\n"))
    assert where(info.value) == [(3, "代码"), (4, "代码")]


def test_categories_and_channels_are_kinds_of_load():
    assert {"categories", "channels"} <= set(KINDS)
    assert KINDS.index("categories") < KINDS.index("events")


# --- the demo's vocabulary ---------------------------------------------------------------------

def test_the_demo_ships_two_levels_and_files_every_event_under_both(store, queries):
    vocab = queries.event_vocabulary()
    assert len(vocab.categories) == 7 and len(vocab.subcategories) >= 40
    assert vocab.children("appearance")["0101"] == ("暴露垃圾", "Exposed rubbish")
    assert "井盖损坏" in {zh for zh, _ in vocab.children("safety").values()}
    rows = store.rows("SELECT category, subcategory, count(*) FROM grid_events GROUP BY ALL")
    assert all(vocab.parents[sub] == category for category, sub, _ in rows)
    # the drill's rollup adds up to the first level's
    first = queries.events_by_category(None, *RANGE).set_index("category")["n"]
    second = queries.events_by_subcategory(None, *RANGE, "appearance")
    assert second["n"].sum() == first["appearance"]
    raw = store.rows("SELECT subcategory, count(*) FROM grid_events WHERE category = "
                     "'appearance' AND reported_at >= '2026-01-01' AND reported_at < "
                     "'2026-11-25' GROUP BY 1")
    assert dict(zip(second["subcategory"], second["n"])) == dict(raw)


# --- loads into a copy of the test city -------------------------------------------------------

#: The city's own categories: the demo's codes kept (its events are filed under them), the
#: first renamed, and a 大类 of its own with two 小类.
def own_categories() -> list[list]:
    rows = [["某市城市运行事件分类"], ["大类代码", "大类名称", "大类英文名称", "小类代码",
                                      "小类名称", "小类英文名称"]]
    names = {"appearance": ("市容环境类", "Cityscape")}
    from data.catalog import EVENT_CATEGORIES
    for code, children in SUBCATEGORIES.items():
        zh, en = names.get(code, EVENT_CATEGORIES[code])
        for i, (sub, sub_zh, sub_en, _) in enumerate(children):
            rows.append([code, zh, en, sub, sub_zh, sub_en] if i == 0
                        else [None, None, None, sub, sub_zh, sub_en])
    rows += [["construction", "施工管理", "Construction", "0801", "夜间施工扰民",
              "Night-time construction noise"],
             [None, None, None, "0802", "施工占道", "Construction on the road"]]
    return rows


EVENT_HEADER = "事件编号,网格,类别,小类,来源,处置部门,上报时间,办理时限,经度,纬度\n"


@pytest.fixture(scope="module")
def own(city_path, tmp_path_factory):
    """A copy of the test city with its own categories (`citybrain load categories`, Excel)
    and channels (GBK CSV), and two events filed under them."""
    folder = tmp_path_factory.mktemp("own")
    db = Path(shutil.copy(city_path, folder / "city.duckdb"))
    cats = excel(folder / "categories.xlsx", own_categories())
    assert citybrain(["load", "categories", str(cats), "--db", str(db), "--quiet"]) == 0
    store = Store(db)
    channels = store.records("SELECT code, name_zh, name_en FROM event_vocabulary "
                             "WHERE vocabulary = 'channel' ORDER BY ord")
    cell, dept = store.rows("SELECT (SELECT min(code) FROM grid_cells), "
                            "(SELECT min(code) FROM departments)")[0]
    store.close()
    text = "渠道代码,渠道名称,英文名称\n" + "".join(
        f"{c['code']},{c['name_zh']},{c['name_en']}\n" for c in channels) + "wx,微信公众号,WeChat\n"
    assert citybrain(["load", "channels", str(write(folder / "channels.csv", text, "gbk")),
                      "--db", str(db), "--quiet"]) == 0
    events = write(folder / "events.csv", EVENT_HEADER
                   + f"90000001,{cell},夜间施工扰民,,微信公众号,{dept},2026-11-20 08:00,72,"
                     "114.9,25.8\n"
                   + f"90000002,{cell},施工管理,0802,wx,{dept},2026-11-21 08:00,72,114.9,"
                     "25.8\n", "gbk")
    load(db, [Item("events", events)], now=dt.datetime(2026, 11, 24, 10))
    return db


@pytest.fixture(scope="module")
def runtime(own):
    with serving(own) as runtime:
        yield runtime


def test_events_are_filed_under_the_loaded_vocabulary(runtime):
    rows = runtime.store.rows("SELECT event_id, category, subcategory, channel FROM "
                              "grid_events WHERE event_id >= 90000001 ORDER BY 1")
    assert rows == [(90000001, "construction", "0801", "wx"),
                    (90000002, "construction", "0802", "wx")]
    vocab = runtime.queries.event_vocabulary()
    assert vocab.categories["appearance"] == ("市容环境类", "Cityscape")
    assert vocab.channels["wx"] == ("微信公众号", "WeChat")
    assert "微信公众号" in runtime.names_text()          # the interface font keeps them


def state(**kw):
    from charts import state as st
    return st.FilterState(district=None, start="2026-11-01", end="2026-11-24",
                          indicator="closure_rate", lang=kw.pop("lang", "zh"), **kw)


def test_the_loaded_vocabulary_on_the_charts_and_legends(runtime):
    from charts import grid, overview
    from layouts.theme import WALL
    bars = overview.events_category_chart(state(), runtime, WALL).to_plotly_json()
    assert {"市容环境类", "施工管理"} <= set(bars["data"][0]["y"])
    assert "construction" in bars["data"][0]["customdata"]
    english = overview.events_category_chart(state(lang="en"), runtime, WALL).to_plotly_json()
    assert {"Cityscape", "Construction"} <= set(english["data"][0]["y"])
    matrix = grid.matrix_chart(state(), runtime, WALL).to_plotly_json()["data"][0]
    assert "施工管理" in matrix["y"] and "微信公众号" in matrix["x"]


def test_the_loaded_vocabulary_in_the_event_tables_filter_and_rows(runtime):
    from charts import events
    model = {"category": {"filterType": "text", "type": "equals", "filter": "施工管理"},
             "channel": {"filterType": "text", "type": "contains", "filter": "微信"}}
    assert events.table_filters(model, runtime) == (("category", "in", ("construction",)),
                                                    ("channel", "in", ("wx",)))
    frame, total = runtime.queries.events_page(None, "2026-11-01", "2026-11-24",
                                               events.table_filters(model, runtime),
                                               "reported_at", True, 0, 10)
    rows = events.display_rows(frame, runtime, "zh")
    assert total == 2
    assert total == 2
    assert {(r["category"], r["channel"]) for r in rows} == {("施工管理", "微信公众号")}


def test_a_categories_file_that_drops_a_used_category_changes_nothing(own, tmp_path):
    before = digest(own)
    rows = [r for r in own_categories() if not (r and r[0] == "dispute")]
    rows = [r for r in rows if not (len(r) > 3 and str(r[3]).startswith("03"))]
    with pytest.raises(LoadError) as info:
        load(own, [Item("categories", excel(tmp_path / "c.xlsx", rows))])
    text = str(info.value)
    assert "c.xlsx, column '大类代码': 'dispute': a 大类 the store's events are filed under" in text
    assert digest(own) == before


def test_events_naming_unknown_vocabulary_are_refused_by_row(own, tmp_path):
    before = digest(own)
    store = Store(own)
    cell, dept = store.rows("SELECT (SELECT min(code) FROM grid_cells), "
                            "(SELECT min(code) FROM departments)")[0]
    store.close()
    bad = write(tmp_path / "bad.csv", EVENT_HEADER
                + f"1,{cell},施工管理,0802,wx,{dept},2026-11-20 08:00,72,114.9,25.8\n"
                + f"2,{cell},违章建筑,,wx,{dept},2026-11-20 08:00,72,114.9,25.8\n"
                + f"3,{cell},施工管理,,短信,{dept},2026-11-20 08:00,72,114.9,25.8\n"
                + f"4,{cell},施工管理,,wx,不存在的局,2026-11-20 08:00,72,114.9,25.8\n"
                + f"5,{cell},施工管理,0101,wx,{dept},2026-11-20 08:00,72,114.9,25.8\n", "gbk")
    with pytest.raises(LoadError) as info:
        load(own, [Item("events", bad)], now=dt.datetime(2026, 11, 24, 10))
    assert where(info.value) == [(3, "类别"), (4, "来源"), (5, "处置部门"), (6, "小类")]
    text = str(info.value)
    assert "bad.csv, row 3, column '类别': '违章建筑': matches no event category" in text
    assert "'0101': a 小类 of appearance, not of the event's category construction" in text
    assert digest(own) == before


# --- the drill to the second level --------------------------------------------------------------

def test_a_category_bar_drills_to_its_subcategories_and_back(runtime):
    from charts import overview
    from charts import state as st
    from layouts.theme import WALL
    ctx = runtime.context
    assert "construction" in ctx.categories
    top = state()
    bars = overview.events_category_chart(top, runtime, WALL).to_plotly_json()["data"][0]
    click = {"points": [{"customdata": "construction", "y": "施工管理"}]}
    drilled = st.drill_category(top, st.clicked_code(click), ctx)
    assert drilled.category == "construction" and "construction" in bars["customdata"]
    figure = overview.events_category_chart(drilled, runtime, WALL).to_plotly_json()
    # one event each: ties in code order
    assert figure["data"][0]["y"] == ["夜间施工扰民", "施工占道"]
    assert figure["data"][0]["customdata"] == ["0801", "0802"]
    assert "施工管理" in str(figure["layout"]["title"])
    english = overview.events_category_chart(replace(drilled, lang="en"), runtime, WALL)
    assert "Night-time construction noise" in english.to_plotly_json()["data"][0]["y"]
    # any click on the drilled chart goes back up; an unknown code changes nothing
    back = {"points": [{"customdata": "0801"}]}
    assert st.drill_category(drilled, st.clicked_code(back), ctx).category is None
    assert st.drill_category(top, "no-such", ctx) == top


def test_the_drill_is_in_the_url_and_checked_like_it(runtime):
    from callbacks.overview import CONTROLS
    from charts import state as st
    from layouts.ids import Overview
    ctx = runtime.context
    drilled = replace(state(), category="appearance")
    query = st.to_query(drilled)
    assert "category=appearance" in query
    assert st.parse_query(query, ctx) == (drilled, [])
    parsed, dropped = st.parse_query(query.replace("appearance", "nonsense"), ctx)
    assert parsed.category is None and dropped == ["category=nonsense"]
    assert st.valid_state(drilled.to_dict(), ctx) == drilled
    assert st.valid_state({**drilled.to_dict(), "category": "nonsense"}, ctx) is None
    assert any(c.component == Overview.EVENTS_CATEGORY and c.prop == "clickData"
               for c in CONTROLS)
    # the demo city drills the same way, below the districts from the raw events
    q = runtime.queries
    town = q.areas("townships")["code"].iloc[0]
    got = q.events_by_subcategory(town, *RANGE, "appearance")
    raw = runtime.store.rows(
        "SELECT subcategory, count(*) FROM grid_events WHERE township_code = ? AND category "
        "= 'appearance' AND reported_at >= '2026-01-01' AND reported_at < '2026-11-25' "
        "GROUP BY 1", [town])
    assert dict(zip(got["subcategory"], got["n"])) == dict(raw)
