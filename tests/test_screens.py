"""The analyst screens (grid governance, event records, environment, economy) through their
callbacks and routes, on the small test city: every number checked against the query layer
or pandas over the raw rows."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from callbacks import economy as economy_callbacks
from callbacks import environment as environment_callbacks
from callbacks.filters import input_names
from charts import state as st
from charts.common import store_payload
from layouts import frame
from layouts.ids import Economy, Environment, Grid
from tests.conftest import run_callback

START, END = "2026-01-01", "2026-11-24"
CITY = store_payload(st.FilterState(None, START, END, "fixed_asset_investment", "zh"))
DISTRICT = store_payload(st.FilterState("360702", START, END, "retail_sales", "zh"))


def _controller(app, prefix, controls, values=None, *, current=CITY, trigger=None, search=""):
    args = {name: None for name in input_names(prefix, controls)}
    args.update(search=search, current=current, paused=True, **(values or {}))
    triggered = [{"prop_id": trigger, "value": 1}] if trigger else []
    return run_callback(app, app.filter_controllers[prefix], *args.values(),
                        triggered=triggered)


def _text(component) -> str:
    from plotly.utils import PlotlyJSONEncoder
    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name,path,_key", frame.SCREENS)
def test_every_screen_renders_with_its_links_keeping_the_filters(app, name, path, _key, lang):
    page = run_callback(app, "app-page.children", f"/{path}", f"?district=360702&lang={lang}")
    text = _text(page)
    for other, other_path, _ in frame.SCREENS:
        assert f'"href": "{other_path or "./"}?district=360702' in text, other
    assert ("DEMO DATA" if lang == "en" else "演示数据") in text


def test_an_unknown_path_says_so(app):
    assert "没有这个页面" in _text(run_callback(app, "app-page.children", "/nowhere", ""))


def test_pollutant_and_comparison_ride_in_the_url():
    ctx = st.Context(frozenset({"360702", "360703"}), __import__("datetime").date(2024, 12, 1),
                     __import__("datetime").date(2026, 11, 24))
    state, dropped = st.parse_query("?pollutant=o3_8h&vs=360703", ctx)
    assert (state.pollutant, state.vs, dropped) == ("o3_8h", "360703", [])
    assert st.parse_query(st.to_query(state), ctx)[0] == state
    state, dropped = st.parse_query("?pollutant=x;DROP&vs=999999", ctx)
    assert (state.pollutant, state.vs) == (st.DEFAULT_POLLUTANT, None)
    assert len(dropped) == 2
    assert st.valid_state({**store_payload(state), "pollutant": "nox"}, ctx) is None


def test_the_district_dropdown_chooses_and_clears(app):
    out = _controller(app, Grid.PREFIX, (), {"grid-district.value": "360703"},
                      trigger="grid-district.value")
    assert out[0]["district"] == "360703"
    out = _controller(app, Grid.PREFIX, (), {"grid-district.value": None}, current=out[0],
                      trigger="grid-district.value")
    assert out[0]["district"] is None


def test_the_pollutant_dropdown_sets_the_state(app):
    out = _controller(app, Environment.PREFIX, environment_callbacks.CONTROLS,
                      {"env-pollutant.value": "no2"}, trigger="env-pollutant.value")
    assert out[0]["pollutant"] == "no2" and "pollutant=no2" in out[0]["query"]


def test_clicking_a_small_multiple_chooses_its_district_and_vs_compares(app):
    click = {"points": [{"customdata": "360731"}]}
    out = _controller(app, Economy.PREFIX, economy_callbacks.CONTROLS,
                      {"eco-multiples.clickData": click}, trigger="eco-multiples.clickData")
    assert out[0]["district"] == "360731"
    out = _controller(app, Economy.PREFIX, economy_callbacks.CONTROLS,
                      {"eco-vs.value": "360702"}, current=out[0], trigger="eco-vs.value")
    assert out[0]["vs"] == "360702" and out[0]["district"] == "360731"


def test_grid_screen_tables_and_charts_carry_the_query_layers_numbers(app, queries, store):
    d = DISTRICT
    rows = run_callback(app, "grid-departments.data", d)
    table = queries.department_table("360702", START, END)
    assert [r["n"] for r in rows] == table["n"].tolist()
    assert sum(r["n"] for r in rows) == len(store.df(
        "SELECT * FROM grid_events WHERE district_code = '360702' AND "
        "CAST(reported_at AS DATE) BETWEEN ? AND ?", [START, END]))
    funnel = run_callback(app, "grid-funnel.figure", d)
    stages = queries.event_funnel("360702", START, END)
    assert list(funnel.data[0].x) == stages["n"].tolist()[:6]
    overdue = run_callback(app, "grid-overdue.data", d)
    expected = queries.overdue_events("360702", START, END)
    assert [r["event_id"] for r in overdue] == [str(e) for e in expected["event_id"]]
    assert all(r["where"].startswith("章贡区 › ") for r in overdue)
    matrix = run_callback(app, "grid-matrix.figure", d)
    cells = sum(v for row in matrix.data[0].z for v in row if v is not None)
    assert cells == queries.category_by_source("360702", START, END)["n"].sum()


def _table(app, data=CITY, page=0, size=20, sort=None, query=""):
    """The table callback; a page other than the first comes from the pager (filters and
    sort changes go back to the first page)."""
    key = next(k for k in app.callback_map if k.startswith("..evt-table.data"))
    triggered = [{"prop_id": "evt-table.page_current", "value": page}] if page else []
    return run_callback(app, key, data, page, size, sort or [], query, triggered=triggered)


def test_the_event_table_pages_sorts_and_filters_on_the_server(app, store):
    raw = store.df("SELECT * FROM grid_events WHERE CAST(reported_at AS DATE) BETWEEN ? AND ?",
                   [START, END])
    rows, pages, count, csv_href, xlsx_href, page = _table(app)
    assert page == 0
    assert len(rows) == 20 and pages == -(-len(raw) // 20)
    assert f"{len(raw):,}" in count
    newest = raw.sort_values(["reported_at", "event_id"], ascending=False).head(20)
    assert [r["event_id"] for r in rows] == newest["event_id"].tolist()
    assert all(not r["district_code"].startswith("3607") for r in rows)   # names, not codes
    # page 3, oldest first
    rows, *_ = _table(app, page=2, sort=[{"column_id": "reported_at", "direction": "asc"}])
    oldest = raw.sort_values(["reported_at", "event_id"]).iloc[40:60]
    assert [r["event_id"] for r in rows] == oldest["event_id"].tolist()
    # names typed in the filter row match their codes; numbers compare as numbers
    rows, pages, count, *_ = _table(app, query="{category} contains 市容 && {returned_count} > 0")
    match = raw[(raw["category"] == "appearance") & (raw["returned_count"] > 0)]
    assert f"{len(match):,}" in count and all(r["category"] == "市容环境" for r in rows)
    # an unreadable filter says so instead of failing
    rows, pages, count, *_ = _table(app, query="{category} ; DROP TABLE grid_events")
    assert rows == [] and "无法识别" in count


def test_the_event_downloads_hold_exactly_the_filtered_rows(app, store):
    from openpyxl import load_workbook
    client = app.server.test_client()
    *_, csv_href, xlsx_href, _ = _table(app, DISTRICT, query="{status} = 结案")
    raw = store.df("SELECT * FROM grid_events WHERE district_code = '360702' AND status = "
                   "'closed' AND CAST(reported_at AS DATE) BETWEEN ? AND ?", [START, END])
    got = client.get(csv_href)
    assert got.status_code == 200 and "attachment" in got.headers["Content-Disposition"]
    csv = pd.read_csv(io.BytesIO(got.data), encoding="utf-8-sig")
    assert sorted(csv.iloc[:, 0].tolist()) == sorted(raw["event_id"].tolist())
    got = client.get(xlsx_href)
    assert got.status_code == 200
    sheet = load_workbook(io.BytesIO(got.data), read_only=True).active
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(raw["event_id"].tolist())
    # a filter the server cannot read is a 400 with the reason, never a 500
    bad = client.get("/download/events.csv?tf=%7Bx%7D%20%3D%201")
    assert bad.status_code == 400 and b"unreadable" in bad.data
    assert client.get("/download/events.pdf").status_code == 404


def test_every_grid_cell_of_the_city_at_the_cells_grain(app, queries, store):
    payload = store_payload(st.FilterState(None, START, END, "events_per_10k", "zh",
                                           grain="cells"))
    patch = run_callback(app, "..ops-map.figure...ops-map-drawn.data..", payload, None)[0]
    ops = {tuple(op["location"]): op["params"]["value"]
           for op in patch.to_plotly_json()["operations"] if op["operation"] == "Assign"}
    cells = queries.areas("grid_cells")
    assert ops[("data", 0, "geojson")] == "/geo/grid_cells.geojson"
    # every cell once, those without a value too (grey): the shapes stay, the colours change
    assert sorted(ops[("data", 0, "locations")]) == sorted(cells["code"]) and len(cells) > 5000
    frame = queries.event_metric_by_area("event_count", None, START, END, cells=True)
    raw = store.df("SELECT grid_code, count(*) AS n FROM grid_events WHERE "
                   "CAST(reported_at AS DATE) BETWEEN ? AND ? GROUP BY 1", [START, END])
    counted = frame.set_index("area_code")["value"]
    expected = raw.set_index("grid_code")["n"].reindex(counted.index, fill_value=0)
    assert counted.tolist() == expected.astype(float).tolist()     # no event: a count of 0
    assert len(counted) == len(cells) and (counted == 0).any()
    inside = queries.event_metric_by_area("event_count", "360702", START, END, cells=True)
    assert set(inside["area_code"]) == set(cells[cells["code"].str.startswith("360702")]["code"])
    with pytest.raises(PreventUpdate):
        run_callback(app, "app-filter-text.children", {**payload, "grain": "hexes"})


def test_the_table_filter_reads_what_dash_table_writes(settings, store, queries):
    from charts.events import TableFilterError, table_filters
    from charts.runtime import Runtime
    runtime = Runtime(settings, store, queries)
    assert table_filters("{status} scontains 结案 && {event_id} s= 12", runtime) == (
        ("status", "in", ("closed",)), ("event_id", "=", 12))
    assert table_filters("{district_code} icontains zhang", runtime) == (
        ("district_code", "in", ("360702",)),)
    assert table_filters('{reported_at} datestartswith "2026-03"', runtime) == (
        ("reported_at", "contains", "2026-03"),)
    assert table_filters("{reported_at} >= 2025-03 && {deadline_at} < 2026", runtime) == (
        ("reported_at", ">=", __import__("datetime").datetime(2025, 3, 1)),
        ("deadline_at", "<", __import__("datetime").datetime(2026, 1, 1)))
    for bad in ("{nope} = 1", "{event_id} > ten", "status = closed", "{status} > 结案",
                "{reported_at} > abc", "{deadline_at} < 2024-13-01", "{event_id} = nan",
                "{event_id} = inf", "{satisfaction} = 1e400"):
        with pytest.raises(TableFilterError):
            table_filters(bad, runtime)


def test_a_tampered_store_of_any_type_is_refused(app):
    for field, bad in (("vs", ["x"]), ("pollutant", {"a": 1}), ("district", ["360702"]),
                       ("indicator", 3), ("grain", None), ("picked", [1, 2])):
        with pytest.raises(PreventUpdate):
            run_callback(app, "app-filter-text.children", {**CITY, field: bad})
