"""The analyst screens (grid governance, event records, environment, economy) through their
callbacks and routes, on the small test city: every number checked against the query layer
or pandas over the raw rows."""

from __future__ import annotations

import io
import json
from urllib.parse import quote

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
    # the wall too, in a tab of its own (no login here: every role may open it)
    assert '"href": "wall?district=360702' in text and '"target": "_blank"' in text
    assert ("DEMO DATA" if lang == "en" else "演示数据") in text
    # the installed version in the footer, for a support call (signed-in users only)
    import importlib.metadata
    assert f'"citybrain {importlib.metadata.version("citybrain")}"' in text


def test_no_screen_is_built_from_deprecated_components(app):
    """Dash 4 deprecates its DataTable (a warning on every page that builds one): every table
    is an AG Grid, so rendering every screen warns of nothing."""
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _, path, _ in frame.SCREENS:
            run_callback(app, "app-page.children", f"/{path}", "?lang=zh")
    assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)
            and "dash" in str(w.filename)] == []


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
    rows = run_callback(app, "grid-departments.rowData", d)
    table = queries.department_table("360702", START, END)
    assert [r["n"] for r in rows] == table["n"].tolist()
    assert sum(r["n"] for r in rows) == len(store.df(
        "SELECT * FROM grid_events WHERE district_code = '360702' AND "
        "CAST(reported_at AS DATE) BETWEEN ? AND ?", [START, END]))
    funnel = run_callback(app, "grid-funnel.figure", d)
    stages = queries.event_funnel("360702", START, END)
    assert list(funnel.data[0].x) == stages["n"].tolist()[:6]
    overdue = run_callback(app, "grid-overdue.rowData", d)
    expected = queries.overdue_events("360702", START, END)
    assert [r["event_id"] for r in overdue] == [str(e) for e in expected["event_id"]]
    assert all(r["where"].startswith("章贡区 › ") for r in overdue)
    matrix = run_callback(app, "grid-matrix.figure", d)
    cells = sum(v for row in matrix.data[0].z for v in row if v is not None)
    assert cells == queries.category_by_source("360702", START, END)["n"].sum()


NEWEST = [{"colId": "reported_at", "sort": "desc"}]


def _request(start=0, end=100, sort=None, model=None) -> dict:
    """A block request as the grid sends it (the infinite row model's getRowsRequest)."""
    return {"startRow": start, "endRow": end, "sortModel": NEWEST if sort is None else sort,
            "filterModel": model or {}}


def _table(app, data=CITY, **request):
    """The grid's block callback: (response, count, csv href, xlsx href)."""
    key = next(k for k in app.callback_map if k.startswith("..evt-table.getRowsResponse"))
    return run_callback(app, key, _request(**request), data)


def test_the_event_grid_answers_blocks_sorts_and_filters_on_the_server(app, store):
    raw = store.df("SELECT * FROM grid_events WHERE CAST(reported_at AS DATE) BETWEEN ? AND ?",
                   [START, END])
    response, count, csv_href, xlsx_href = _table(app)
    rows = response["rowData"]
    assert len(rows) == 100 and response["rowCount"] == len(raw)
    assert f"{len(raw):,}" in count
    newest = raw.sort_values(["reported_at", "event_id"], ascending=False).head(100)
    assert [r["event_id"] for r in rows] == newest["event_id"].tolist()
    assert all(not r["district_code"].startswith("3607") for r in rows)   # names, not codes
    # a far block, oldest first: exactly the rows of that stretch
    response, *_ = _table(app, start=4000, end=4100,
                          sort=[{"colId": "reported_at", "sort": "asc"}])
    oldest = raw.sort_values(["reported_at", "event_id"]).iloc[4000:4100]
    assert [r["event_id"] for r in response["rowData"]] == oldest["event_id"].tolist()
    # the last block is short; past the end there are no rows, still the count of all
    response, *_ = _table(app, start=len(raw) - 7, end=len(raw) + 93)
    assert len(response["rowData"]) == 7 and response["rowCount"] == len(raw)
    response, *_ = _table(app, start=len(raw) + 100, end=len(raw) + 200)
    assert response == {"rowData": [], "rowCount": len(raw)}
    # names typed in a column shown by name match their codes; numbers compare as numbers
    model = {"category": {"filterType": "text", "type": "contains", "filter": "市容"},
             "returned_count": {"filterType": "number", "type": "greaterThan", "filter": 0}}
    response, count, *_ = _table(app, model=model)
    match = raw[(raw["category"] == "appearance") & (raw["returned_count"] > 0)]
    assert response["rowCount"] == len(match) and f"{len(match):,}" in count
    assert all(r["category"] == "市容环境" for r in response["rowData"])
    # a model the server cannot read says so, with no rows, instead of failing
    response, count, csv_href, _ = _table(app, model={
        "category": {"filterType": "text", "type": "regex", "filter": ".*"}})
    assert response == {"rowData": [], "rowCount": 0} and "无法识别" in count
    assert csv_href is None


def test_the_event_grid_waits_for_no_store(app):
    """The grid can ask before the page's filter store is filled: it gets no rows (an
    unanswered request would hold its loading for ever) and the count waits."""
    from dash import no_update
    response, count, *_ = _table(app, data=None)
    assert response == {"rowData": [], "rowCount": 0} and count is no_update


def test_the_event_downloads_hold_exactly_the_filtered_rows(app, store):
    from openpyxl import load_workbook
    client = app.server.test_client()
    *_, csv_href, xlsx_href = _table(app, DISTRICT, model={
        "status": {"filterType": "text", "type": "equals", "filter": "结案"}})
    raw = store.df("SELECT * FROM grid_events WHERE district_code = '360702' AND status = "
                   "'closed' AND CAST(reported_at AS DATE) BETWEEN ? AND ?", [START, END])
    got = client.get(csv_href)
    assert got.status_code == 200 and "attachment" in got.headers["Content-Disposition"]
    csv = pd.read_csv(io.BytesIO(got.data), encoding="utf-8-sig", skiprows=1)
    assert csv.iloc[:, 0].tolist() == raw.sort_values(
        ["reported_at", "event_id"], ascending=[False, True])["event_id"].tolist()
    got = client.get(xlsx_href)
    assert got.status_code == 200
    sheet = load_workbook(io.BytesIO(got.data), read_only=True)["事件明细"]
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(raw["event_id"].tolist())
    # a filter the server cannot read is a 400 with the reason, never a 500
    for tf in ('{"x":{"filterType":"text","type":"contains","filter":"1"}}', "{x} = 1", "[",
               "[" * 5000, '{"event_id":{"filterType":"number","type":"equals","filter":"7"}}'):
        bad = client.get("/download/events.csv?tf=" + quote(tf))
        assert bad.status_code == 400 and b"unreadable" in bad.data, tf
    assert client.get("/download/events.pdf").status_code == 404


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_event_downloads_show_the_tables_names_and_say_what_made_them(app, store, lang):
    """#20: the CSV and the workbook carry the table's headers and the names it shows, in
    the state's language, the codes beside them, and a first line (sheet) naming the
    filters, the rows and the as-of that made them."""
    from openpyxl import load_workbook

    from charts.events import columns
    from data.export import code_header
    client = app.server.test_client()
    closed = "结案" if lang == "zh" else "Closed"
    data = store_payload(st.FilterState("360702", "2026-11-01", END, "retail_sales", lang))
    response, _, csv_href, xlsx_href = _table(app, data, end=1000, model={
        "status": {"filterType": "text", "type": "equals", "filter": closed}})
    shown = response["rowData"]
    assert len(shown) == response["rowCount"] > 5
    text = client.get(csv_href).data.decode("utf-8-sig")
    first = text.splitlines()[0]
    district = "章贡区" if lang == "zh" else "Zhanggong"
    as_of = store.rows("SELECT value FROM meta WHERE key = 'as_of'")[0][0][:16]
    for part in (district, f"2026-11-01 {'至' if lang == 'zh' else 'to'} {END}",
                 f"{'状态' if lang == 'zh' else 'Status'} "
                 f"{'等于' if lang == 'zh' else 'equals'} “{closed}”",
                 f"{len(shown):,}", as_of.replace("T", " ")):
        assert part in first, (part, first)
    assert first.startswith("# ")
    csv = pd.read_csv(io.StringIO(text), skiprows=1, dtype=str, keep_default_na=False)
    raw = store.df("SELECT * FROM grid_events WHERE event_id IN (SELECT unnest(?))",
                   [[r["event_id"] for r in shown]]).set_index("event_id")
    for column in columns(lang):
        values = csv[column["name"]].tolist()
        screen = ["" if r[column["id"]] is None else str(r[column["id"]]) for r in shown]
        if column["kind"] == "date":       # the screen to the minute, the file to the second
            values = [v[:16] for v in values]
        assert values == screen, column["name"]
        if column["kind"] == "named":       # the codes beside the names
            codes = csv[code_header(column["id"], lang)].tolist()
            assert codes == [raw.loc[r["event_id"], column["id"]] or "" for r in shown]
            assert codes != values
    # the workbook: the same first words on its first sheet, the same names in its rows
    book = load_workbook(io.BytesIO(client.get(xlsx_href).data), read_only=True)
    about = dict(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert about["区域" if lang == "zh" else "Area"] == district
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    status = rows[0].index("状态" if lang == "zh" else "Status")
    assert {r[status] for r in rows[1:]} == {closed}


def test_a_downloads_first_line_says_the_tables_filters_in_words(app):
    """Numbers, days and empty cells as the grid's menu names them, in either language."""
    model = {"returned_count": {"filterType": "number", "type": "inRange", "filter": 1,
                                "filterTo": 3},
             "reported_at": {"filterType": "date", "type": "greaterThan",
                             "dateFrom": "2026-11-05 00:00:00"},
             "satisfaction": {"filterType": "number", "type": "blank"}}
    client = app.server.test_client()
    for lang, words in (("zh", ("表格筛选：退回次数 介于 1 – 3；上报时间 晚于 2026-11-05；满意度 为空",
                                "排序：满意度 升序")),
                        ("en", ("Table filters: Returns between 1 – 3; Reported after "
                                "2026-11-05; Rating blank", "Sorted by: Rating ascending"))):
        got = client.get(f"/download/events.csv?from=2026-11-01&to={END}&lang={lang}"
                         f"&sort=satisfaction&desc=0&tf=" + quote(json.dumps(model)))
        first = got.data.decode("utf-8-sig").splitlines()[0]
        assert all(w in first for w in words), first


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


def test_the_grid_filter_model_becomes_whitelisted_triples(settings, store, queries):
    import datetime as dt

    from charts.events import TableFilterError, table_filters
    from charts.runtime import Runtime
    runtime = Runtime(settings, store, queries)

    def text(kind, value, **more):
        return {"filterType": "text", "type": kind, "filter": value, **more}

    assert table_filters({"status": text("contains", "结案"),
                          "event_id": {"filterType": "number", "type": "equals", "filter": 12}},
                         runtime) == (("status", "in", ("closed",)), ("event_id", "=", 12))
    # a name in either language, any case; the negative filters keep the other codes
    assert table_filters({"district_code": text("contains", "zhang")}, runtime) == (
        ("district_code", "in", ("360702",)),)
    assert table_filters({"status": text("notEqual", "CLOSED")}, runtime) == (
        ("status", "not in", ("closed",)),)
    assert table_filters({"category": text("startsWith", "nothing like it")}, runtime) == (
        ("category", "in", ()),)
    assert table_filters({"grid_code": text("startsWith", "360702")}, runtime) == (
        ("grid_code", "starts with", "360702"),)
    assert table_filters({"reporter_phone": {"filterType": "text", "type": "blank"}},
                         runtime) == (("reporter_phone", "is null", None),)
    assert table_filters({"satisfaction": {"filterType": "number", "type": "inRange",
                                           "filter": 2, "filterTo": 4}}, runtime) == (
        ("satisfaction", ">=", 2), ("satisfaction", "<=", 4))
    # a date is its whole day; a range includes both ends
    day = dt.datetime(2026, 3, 1)
    assert table_filters({"reported_at": {"filterType": "date", "type": "equals",
                                          "dateFrom": "2026-03-01 00:00:00", "dateTo": None}},
                         runtime) == (("reported_at", ">=", day),
                                      ("reported_at", "<", day + dt.timedelta(days=1)))
    assert table_filters({"deadline_at": {"filterType": "date", "type": "inRange",
                                          "dateFrom": "2026-03-01", "dateTo": "2026-03-31"},
                          "closed_at": {"filterType": "date", "type": "greaterThan",
                                        "dateFrom": "2026-03-31 00:00:00"}}, runtime) == (
        ("deadline_at", ">=", day), ("deadline_at", "<", dt.datetime(2026, 4, 1)),
        ("closed_at", ">=", dt.datetime(2026, 4, 1)))
    assert table_filters({}, runtime) == table_filters(None, runtime) == ()
    number = {"filterType": "number", "type": "equals"}
    for bad in (
            {"nope": text("contains", "x")},                          # no such column
            {"status": text("regex", "x")},                           # no such filter type
            {"status": text("lessThan", "x")},                        # a number's, not text's
            {"status": text("blank", None)},                          # never empty
            {"status": {**number, "filter": 1}},                      # the column's kind
            {"status": text("contains", {"$ne": 1})},                 # an object, not text
            {"status": text("contains", ["结案"])},
            {"status": text("contains", "x" * 201)},
            {"status": text("contains", "\udcff")},                   # no UTF-8
            {"status": {"filterType": "text", "operator": "OR",
                        "conditions": [text("contains", "a"), text("contains", "b")]}},
            {"event_id": {**number, "filter": "12"}},                 # text, not a number
            {"event_id": {**number, "filter": True}},
            {"event_id": {**number, "filter": float("nan")}},
            {"event_id": {**number, "filter": float("inf")}},
            {"event_id": {**number, "filter": 10**20}},
            {"satisfaction": {"filterType": "number", "type": "inRange", "filter": 1}},
            {"reported_at": {"filterType": "date", "type": "equals", "dateFrom": "abc"}},
            {"reported_at": {"filterType": "date", "type": "equals", "dateFrom": "2024-13-01"}},
            {"reported_at": {"filterType": "date", "type": "equals",
                             "dateFrom": "2026-03-01 12:00:00"}},
            {"reported_at": {"filterType": "date", "type": "equals", "dateFrom": "9999-12-31"}},
            {"reported_at": {"filterType": "date", "type": "notEqual",
                             "dateFrom": "2026-03-01"}},
            {"reported_at": "2026-03-01"}, ["status"], "status = closed", 7):
        with pytest.raises(TableFilterError):
            table_filters(bad, runtime)


def test_the_grid_sort_and_block_are_read_strictly():
    from charts.events import MAX_BLOCK, MAX_START_ROW, table_block, table_sort
    assert table_sort([{"colId": "event_id", "sort": "asc"}]) == ("event_id", False)
    assert table_sort([{"colId": "satisfaction", "sort": "desc"}, {"colId": "event_id"}]) == (
        "satisfaction", True)
    for bad in (None, [], "event_id", [{"colId": "lon", "sort": "asc"}], [{"colId": ["x"]}],
                [{"colId": "event_id; DROP TABLE grid_events", "sort": "asc"}], [7]):
        assert table_sort(bad) == ("reported_at", True)
    assert table_block({"startRow": 300, "endRow": 400}) == (300, 100)
    assert table_block({"startRow": MAX_START_ROW, "endRow": MAX_START_ROW + 1}) == (
        MAX_START_ROW, 1)
    for start, end in ((2**63, 2**63 + 100), (-100, 0), (0, 0), (100, 50), (0, MAX_BLOCK + 1),
                       (0.5, 100), ("0", "100"), (True, 100), (None, None), ({}, [])):
        assert table_block({"startRow": start, "endRow": end}) is None, (start, end)


def test_a_tampered_store_of_any_type_is_refused(app):
    for field, bad in (("vs", ["x"]), ("pollutant", {"a": 1}), ("district", ["360702"]),
                       ("indicator", 3), ("grain", None), ("picked", [1, 2])):
        with pytest.raises(PreventUpdate):
            run_callback(app, "app-filter-text.children", {**CITY, field: bad})
