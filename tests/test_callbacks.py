"""Overview callbacks called directly as functions, on the small test city."""

import json
from urllib.parse import parse_qs, urlparse

import plotly.graph_objects as go
import pytest
from dash import Patch, no_update

from callbacks import overview as overview_callbacks
from callbacks.filters import input_names
from charts import overview as overview_charts
from charts.common import store_payload
from charts.state import FilterState
from layouts.figures import MAP_DATA_TRACE
from layouts.ids import Bar, Overview, Shell
from tests.conftest import run_callback

CITY = store_payload(FilterState(None, "2026-01-01", "2026-11-24", "fixed_asset_investment",
                                 "zh"))
#: The controller's outputs: the store, the notice, playback, then the controls it mirrors.
OUT = {"payload": 0, "notice": 1, "paused": 2, "play": 3, "indicator": 4, "district": 5,
       "slider": 6, "step": 7, "quick_range": 8, "layers": 9}


def _filters(app, values=None, *, search="", current=None, trigger=None, value=1,
             paused=True, prefix=Overview.PREFIX, controls=overview_callbacks.CONTROLS):
    """Call a screen's filter controller; ``values`` by control key ("ops-map.clickData")."""
    args = {name: None for name in input_names(prefix, controls)}
    args.update(search=search, current=current, paused=paused, **(values or {}))
    triggered = [{"prop_id": trigger, "value": value}] if trigger else []
    return run_callback(app, app.filter_controllers[prefix], *args.values(),
                        triggered=triggered)


def test_first_load_parses_the_url(app):
    payload, notice, *_ = _filters(app, search="?district=360702&lang=en")
    assert payload["district"] == "360702" and payload["lang"] == "en"
    assert payload["query"].startswith("?district=360702&")
    assert notice == ""


def test_a_bad_url_gives_a_notice_not_an_error(app):
    payload, notice, *_ = _filters(app, search="?district=1%27;DROP&from=yesterday")
    assert payload["district"] is None
    assert "district=1';DROP" in notice and "from=yesterday" in notice


def test_map_click_filters_and_a_second_click_clears(app):
    click = {"points": [{"location": "360731", "customdata": "360731"}]}
    payload, _, *_ = _filters(app, {"ops-map.clickData": click}, current=CITY,
                              trigger="ops-map.clickData")
    assert payload["district"] == "360731"
    again, _, *_ = _filters(app, {"ops-map.clickData": click}, current=payload,
                          trigger="ops-map.clickData")
    assert again["district"] is None


def test_trend_selection_sets_the_range_and_clear_resets(app):
    sel = {"range": {"x": ["2025-03-04 10:00", "2025-08-01"]}}
    payload, _, *_ = _filters(app, {"ops-trend.selectedData": sel}, current=CITY,
                              trigger="ops-trend.selectedData")
    assert (payload["start"], payload["end"]) == ("2025-03-04", "2025-08-01")
    cleared, _, *_ = _filters(app, {"ops-clear.n_clicks": 1}, current=payload,
                          trigger="ops-clear.n_clicks")
    assert (cleared["start"], cleared["end"]) == ("2026-01-01", "2026-11-24")


def test_an_unchanged_state_does_not_rewrite_the_store(app):
    from dash.exceptions import PreventUpdate
    # the browser echoing the URL the store wrote: nothing to do, the notice stays
    with pytest.raises(PreventUpdate):
        _filters(app, search=CITY["query"], current=CITY, trigger="ops-page-url.search")


def test_every_chart_shows_the_chosen_district(app, queries):
    """Each chart carries the chosen district's own numbers, not merely other numbers."""
    d, start, end = "360726", "2026-01-01", "2026-11-24"
    state = store_payload(FilterState(d, start, end, "closure_rate", "zh"))
    trend = run_callback(app, "ops-trend.figure", state)
    monthly = queries.indicator_monthly("closure_rate", d)
    assert list(trend.data[0].y) == pytest.approx(monthly["value"].tolist())
    air = run_callback(app, "ops-air.figure", state)
    assert sorted(v for t in air.data for v in t.y) == sorted(queries.aqi_daily(d)["aqi"])
    status = run_callback(app, "ops-events-status.figure", state)
    assert sum(sum(t.y) for t in status.data) == queries.events_monthly_by_status(d)["n"].sum()
    category = run_callback(app, "ops-events-category.figure", state)
    assert sum(category.data[0].x) == queries.events_by_category(d, start, end)["n"].sum()
    # an event metric ranks the district's townships (test_the_ranking_follows_the_drill);
    # a statistic ranks the districts with the chosen one outlined
    gdp = store_payload(FilterState(d, start, end, "gdp", "zh"))
    ranking = run_callback(app, "ops-ranking.figure", gdp).data[0]
    outlined = [c for c, w in zip(ranking.customdata, ranking.marker.line.width) if w]
    assert outlined == [d]
    cards = json.dumps(run_callback(app, "ops-kpis.children", state), ensure_ascii=False,
                       default=str)
    closure = queries.indicator_value("closure_rate", d, start, end)["value"]
    assert f"{closure:.1f}%" in cards
    assert "安远县" in run_callback(app, "app-filter-text.children", state)


def _ranked(figure) -> dict[str, dict]:
    """The ranking's bars by area code: text, value, opacity, and whether it is an empty
    bar (no data)."""
    bars = {}
    for trace in figure.data:
        if trace.type != "bar":
            continue
        empty = trace.marker.color == "rgba(0,0,0,0)"
        opacity = trace.marker.opacity or [1.0] * len(trace.customdata)
        for code, text, x, alpha in zip(trace.customdata, trace.text, trace.x, opacity):
            bars[code] = {"text": text, "x": x, "opacity": alpha, "empty": empty}
    return bars


def test_the_ranking_follows_the_drill_with_the_events_beside_each_rate(app, queries):
    """Drilled into a district the ranking lists its townships, into a township its grid
    cells (the worst of them when they are many), each rate written with the events it
    rests on; a rate on few events is pale and says so, an area without any is an empty
    bar saying 暂无数据, not a bar at 0."""
    from data.alerts import MIN_ALERT_EVENTS
    d, start, end = "360723", "2026-01-01", "2026-11-24"     # 14 townships: all of them
    want = queries.event_metric_by_area("closure_rate", d, start, end).set_index("area_code")
    assert len(want) <= overview_charts.RANKING_MAX_BARS
    figure = run_callback(app, "ops-ranking.figure",
                          store_payload(FilterState(d, start, end, "closure_rate", "zh")))
    assert figure.layout.title.text.startswith("乡镇排名")
    bars = _ranked(figure)
    assert sorted(bars) == sorted(want.index)             # the district's townships
    for code, bar in bars.items():
        row = want.loc[code]
        if row.isna()["headline"]:
            assert bar["empty"] and bar["text"] == "暂无数据" and bar["x"] > 0
            continue
        assert bar["text"] == f"{row.headline:.1f}%（{int(row.events):,}件）"
        assert bar["opacity"] < 1 if row.events < MIN_ALERT_EVENTS else bar["opacity"] == 1
    assert (want["events"] < MIN_ALERT_EVENTS).any()       # the test city has thin ones
    assert f"不足{MIN_ALERT_EVENTS}件" in figure.layout.title.subtitle.text
    # a click on a township's bar drills into it; its cells are ranked then
    township = want["events"].idxmax()
    click = {"points": [{"customdata": township}]}
    payload, *_ = _filters(app, {"ops-ranking.clickData": click},
                           current=store_payload(FilterState(d, start, end, "closure_rate",
                                                             "zh")),
                           trigger="ops-ranking.clickData")
    assert payload["township"] == township and payload["district"] == d
    cells = queries.event_metric_by_area("closure_rate", township, start, end)
    figure = run_callback(app, "ops-ranking.figure", payload)
    assert figure.layout.title.text.startswith("网格排名")
    bars = _ranked(figure)
    assert set(bars) <= set(cells["area_code"])
    assert len(bars) == min(len(cells), overview_charts.RANKING_MAX_BARS)
    if len(cells) > overview_charts.RANKING_MAX_BARS:   # the worst kept, and the note says so
        assert f"共{len(cells)}个" in figure.layout.title.subtitle.text
        rated = cells.dropna(subset=["headline"])
        shown = rated[rated["area_code"].isin(bars)]["headline"]
        left = rated[~rated["area_code"].isin(bars)]["headline"]
        assert left.empty or shown.max() <= left.min()
    for code, bar in bars.items():
        row = cells.set_index("area_code").loc[code]
        if not bar["empty"]:
            assert bar["text"].endswith(f"（{int(row.events):,}件）")
    # English: the same count, in its own words
    english = run_callback(app, "ops-ranking.figure", {**payload, "lang": "en"})
    assert english.layout.title.text.startswith("Grid-cell ranking")
    assert any("(n=" in text for text in english.data[0].text)


def test_an_indicator_without_township_figures_ranks_districts_and_says_so(app, queries):
    d, start, end = "360726", "2026-01-01", "2026-11-24"
    for lang, words in (("zh", "本指标无乡镇数据"), ("en", "no township figures")):
        figure = run_callback(app, "ops-ranking.figure",
                              store_payload(FilterState(d, start, end, "retail_sales", lang)))
        assert words in figure.layout.title.subtitle.text
        assert sorted(_ranked(figure)) == sorted(queries.districts()["code"])
    township = queries.event_metric_by_area("event_count", d, start, end)["area_code"][0]
    figure = run_callback(app, "ops-ranking.figure", store_payload(
        FilterState(d, start, end, "good_air_rate", "zh", township=township)))
    assert "本指标无网格数据" in figure.layout.title.subtitle.text


def test_the_kpi_cards_of_a_township_give_their_counts_and_name_district_figures(app,
                                                                                 queries):
    d, start, end = "360726", "2026-01-01", "2026-11-24"
    township = queries.event_metric_by_area("event_count", d, start, end).sort_values(
        "value")["area_code"].iloc[-1]
    payload = store_payload(FilterState(d, start, end, "closure_rate", "zh",
                                        township=township))
    def bases(cards) -> dict:
        # each card's basis beside its name: what its value rests on, or 区县
        return {card.id["code"]: (basis.children, "few" in basis.className)
                for card in cards for basis in card.children[0].children[1:] if basis}

    shown = bases(run_callback(app, "ops-kpis.children", payload))
    kpis = queries.kpis(township, start, end).set_index("code")
    from data.alerts import rests_on_few
    for code in ("closure_rate", "on_time_rate", "satisfaction_rate"):
        events = int(kpis.loc[code, "events"])
        assert shown[code] == (f"{events:,}件", rests_on_few(events))
    for code in ("gdp", "unemployment_rate", "good_air_rate", "water_good_rate"):
        assert shown[code] == ("区县", False)
    # the district's own cards: the counts, and no card stays behind
    district = bases(run_callback(app, "ops-kpis.children",
                                  store_payload(FilterState(d, start, end, "closure_rate",
                                                            "zh"))))
    assert set(district) == {"closure_rate", "on_time_rate", "satisfaction_rate"}


def test_a_tampered_store_is_refused(app):
    from dash.exceptions import PreventUpdate
    for bad in ({**CITY, "district": "1 OR 1=1"}, {**CITY, "indicator": "x;DROP"},
                {**CITY, "start": "1999-01-01"}):
        with pytest.raises(PreventUpdate):
            run_callback(app, "ops-kpis.children", bad)
        with pytest.raises(PreventUpdate):
            _map(app, bad)


MAP_KEY = "..ops-map.figure...ops-map-drawn.data.."


def _map(app, payload, drawn_for=None):
    """The map's Patch for a filter store payload (the page drawn for another state)."""
    patch, _ = run_callback(app, MAP_KEY, payload, drawn_for)
    return patch


def _assigned(patch) -> dict:
    return {tuple(op["location"]): op["params"]["value"]
            for op in patch.to_plotly_json()["operations"] if op["operation"] == "Assign"}


def test_the_first_recolour_after_drawing_the_page_is_skipped(app):
    patch, drawn = run_callback(app, MAP_KEY, CITY, CITY["query"])
    assert patch is no_update and drawn is None       # once: later changes recolour
    patch, drawn = run_callback(app, MAP_KEY, CITY, None)
    assert isinstance(patch, Patch) and drawn is None


def test_map_update_is_a_patch_without_geometry(app):
    patch = _map(app, CITY)
    assert isinstance(patch, Patch)
    body = json.dumps(patch.to_plotly_json())
    # values, names and codes of 18 districts; no geometry (it comes once, by URL)
    assert "coordinates" not in body and len(body) < 12_000
    ops = _assigned(patch)
    assert ops[("data", MAP_DATA_TRACE, "geojson")] == "/geo/districts.geojson"
    assert len(ops[("data", MAP_DATA_TRACE, "locations")]) == 18


def test_choosing_a_district_drills_the_map_into_its_townships(app, queries):
    state = store_payload(FilterState("360702", "2026-01-01", "2026-11-24", "closure_rate",
                                      "zh"))
    ops = _assigned(_map(app, state))
    townships = queries.areas("townships")
    mine = sorted(townships.loc[townships.parent == "360702", "code"])
    # every township once, those without a value too (grey, still clickable)
    trace = {key[2]: value for key, value in ops.items()
             if key[:2] == ("data", MAP_DATA_TRACE) and len(key) == 3}
    assert sorted(trace["locations"]) == mine
    assert trace["geojson"] == "/geo/townships.geojson?parent=360702"
    assert "章贡区" in ops[("layout", "title", "text")]
    assert ops[("layout", "uirevision")] == "map-360702"
    # the values are the townships' own closure rates (fewer than 50: none clipped)
    by_area = queries.event_metric_by_area("closure_rate", "360702", "2026-01-01",
                                           "2026-11-24").set_index("area_code")["headline"]
    z = dict(zip(trace["locations"], trace["z"]))
    assert {c: z[c] for c in by_area.dropna().index} == pytest.approx(by_area.dropna().to_dict())
    # an area without a value sits in the grey band at the bottom of the scale
    assert by_area.isna().any()
    assert all(z[c] == trace["zmin"] for c in by_area[by_area.isna()].index)
    assert min(z[c] for c in by_area.dropna().index) > trace["zmin"]
    assert trace["colorscale"][0][1] == trace["colorscale"][1][1] == \
        overview_callbacks.THEME.map_no_data
    texts = dict(zip(trace["locations"], trace["text"]))
    assert {texts[c] for c in by_area[by_area.isna()].index} == {"暂无数据"}
    # the map's style now names the district's townships (the city's districts before)
    style = urlparse(ops[("layout", "map", "style")])
    assert style.path == f"/geo/style/{overview_callbacks.THEME.name}.json"
    assert parse_qs(style.query) == {"names": ["townships"], "parent": ["360702"],
                                     "lang": ["zh"]}
    city = urlparse(_assigned(_map(app, CITY))[("layout", "map", "style")])
    assert parse_qs(city.query) == {"names": ["districts"], "lang": ["zh"]}


def test_a_chosen_grid_cell_is_outlined_among_its_townships_cells(app, queries):
    cells = queries.areas("grid_cells")
    cell = cells.code.iloc[100]
    township = cells.parent.iloc[100]
    state = store_payload(FilterState(township[:6], "2026-01-01", "2026-11-24", "pm25", "en",
                                      township=township, cell=cell))
    ops = _assigned(_map(app, state))
    locations = ops[("data", MAP_DATA_TRACE, "locations")]
    assert set(locations) <= set(cells.loc[cells.parent == township, "code"])
    widths = dict(zip(locations, ops[("data", MAP_DATA_TRACE, "marker", "line", "width")]))
    assert widths[cell] == max(widths.values()) > min(widths.values())
    # PM2.5 has no grid-level values: the map says it shows events per 10k residents instead
    assert "event metrics only" in ops[("layout", "title", "text")]
    crumbs = run_callback(app, "ops-breadcrumbs.children", state)
    labels = [c.children for c in crumbs if getattr(c, "className", "") != "crumb-sep"]
    names = queries.districts().set_index("code")
    assert labels[:2] == ["Ganzhou", names.loc[township[:6], "name_en"]] and len(labels) == 4


def test_map_layers_follow_the_toggles_and_the_area(app, queries):
    state = store_payload(FilterState("360731", "2026-01-01", "2026-11-24", "closure_rate",
                                      "zh", layers=("stations", "water", "events")))
    ops = _assigned(_map(app, state))
    from layouts.figures import MAP_LAYER_TRACES
    stations = queries.stations_aqi("360731", "2026-01-01", "2026-11-24")
    assert len(ops[("data", MAP_LAYER_TRACES["stations"], "lon")]) == len(stations) > 0
    assert ops[("data", MAP_LAYER_TRACES["stations"], "visible")] is True
    density = ops[("data", MAP_LAYER_TRACES["events"], "z")]
    assert sum(density) == queries.event_density("360731", "2026-01-01", "2026-11-24")[
        "n"].sum()
    legend = json.dumps(run_callback(app, "ops-map-legend.children", state), default=str,
                        ensure_ascii=False)
    assert "优" in legend and "劣Ⅴ类" in legend
    off = store_payload(FilterState("360731", "2026-01-01", "2026-11-24", "closure_rate", "zh"))
    ops = _assigned(_map(app, off))
    assert ops[("data", MAP_LAYER_TRACES["stations"], "lon")] == []
    assert ops[("data", MAP_LAYER_TRACES["stations"], "visible")] is False
    assert run_callback(app, "ops-map-legend.children", off) == []


def test_page_renders_in_the_language_of_the_link(app):
    page = run_callback(app, "app-page.children", "/", "?lang=en")
    text = json.dumps(page.to_plotly_json(), default=str, ensure_ascii=False)
    assert "Overview" in text and "DEMO DATA" in text
    page = run_callback(app, "app-page.children", "/", "")
    text = json.dumps(page.to_plotly_json(), default=str, ensure_ascii=False)
    assert "运行总览" in text and "演示数据" in text


def test_filter_text_names_district_and_range(app):
    text = run_callback(app, "app-filter-text.children", store_payload(
        FilterState("360702", "2025-02-01", "2025-03-31", "pm25", "zh")))
    assert "章贡区" in text and "2025-02-01" in text and "2025-03-31" in text


def test_callbacks_refuse_to_run_without_a_state(app):
    from dash.exceptions import PreventUpdate
    with pytest.raises(PreventUpdate):
        run_callback(app, "ops-kpis.children", None)


def _ids(node, ids: set) -> set:
    if hasattr(node, "to_plotly_json"):
        node = node.to_plotly_json()
    if isinstance(node, dict):
        props = node.get("props", node)
        if isinstance(props.get("id"), str):
            ids.add(props["id"])
        for value in props.values():
            _ids(value, ids)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _ids(item, ids)
    return ids


def test_every_callback_id_exists_on_a_rendered_screen(app):
    """suppress_callback_exceptions is on (pages are rendered by a callback), so check here:
    every callback's single-ID inputs, states and outputs are all on one screen."""
    from layouts import frame
    from layouts import ids as id_enums

    shell = _ids(frame.shell(), set())
    screens = {name: _ids(run_callback(app, "app-page.children", f"/{path}", ""), set(shell))
               for name, path in [(n, p) for n, p, _ in frame.SCREENS] + list(frame.OWN_PAGES)}
    screens["wall"] = _ids(run_callback(app, "app-page.children", "/wall", ""), set(shell))
    assert {m.value for m in id_enums.Wall if m.name != "PREFIX"} <= screens["wall"]
    assert _ids(run_callback(app, "app-page.children", "/economy", "?mode=wall"),
                set()) == screens["wall"] - shell
    callbacks = app._callback_list   # server and clientside callbacks alike
    assert len(callbacks) >= len(app.callback_map)
    for callback in callbacks:
        deps = {dep["id"] for dep in callback["inputs"] + callback.get("state", [])
                if not dep["id"].startswith("{")}
        deps |= {out.rsplit(".", 1)[0] for out in callback["output"].strip(".").split("...")
                 if not out.startswith("{")}
        assert any(deps <= ids for ids in screens.values()), callback["output"]
    patterns = {Overview.KPI_CARD, Shell.NAV, Shell.EXPORT,   # pattern-matching types
                id_enums.Report.DOWNLOAD, id_enums.Grid.CELL_PICK, id_enums.Grid.CELL_SUPERVISE}
    for name, enum in (("overview", id_enums.Overview), ("grid", id_enums.Grid),
                       ("events", id_enums.Events), ("environment", id_enums.Environment),
                       ("economy", id_enums.Economy), ("report", id_enums.Report),
                       ("datasets", id_enums.Datasets)):
        members = [m for m in enum if m not in patterns and m.name != "PREFIX"]
        bar = Bar(enum.PREFIX)
        assert {m.value for m in members} <= screens[name], name
        assert {m.value for m in Shell if m not in patterns} <= screens[name], name
        assert {bar.CLEAR, bar.TIME_SLIDER, bar.PAGE_URL, bar.BREADCRUMBS} <= screens[name]


def test_every_chart_callback_answers_every_kind_of_filter(app):
    """Each indicator, with and without a district, over ranges with and without a year-ago
    (the store starts in December 2024) or with no data at all: no callback may fail."""
    from data import catalog
    ranges = [("2024-12-01", "2024-12-31"), ("2025-02-01", "2025-06-30"),
              ("2026-01-01", "2026-11-24"), ("2026-11-20", "2026-11-24")]
    outputs = ["ops-kpis.children", MAP_KEY, "ops-ranking.figure", "ops-trend.figure",
               "ops-air.figure", "ops-events-status.figure", "ops-events-category.figure",
               "app-filter-text.children"]
    for i, code in enumerate(catalog.BUILT_IN.codes()):
        for district in (None, "360726"):
            start, end = ranges[i % len(ranges)] if district else ranges[(i + 1) % len(ranges)]
            payload = store_payload(FilterState(district, start, end, code, "en" if i % 2 else
                                                "zh"))
            for key in outputs:
                out = (_map(app, payload) if key == MAP_KEY else
                       run_callback(app, key, payload))
                if key == "ops-kpis.children":
                    assert len(out) == 9
                elif key == "app-filter-text.children":
                    assert start in out and end in out
                elif isinstance(out, go.Figure):
                    # a chart, or a placeholder that says there is no data
                    assert out.layout.title.text and (out.data or out.layout.annotations)
                else:
                    assert isinstance(out, Patch), key


def test_the_time_slider_sets_the_range_and_follows_other_changes(app):
    out = _filters(app, {"ops-time-slider.value": [31, 89]}, current=CITY,
                   trigger="ops-time-slider.value")
    assert (out[0]["start"], out[0]["end"]) == ("2025-01-01", "2025-02-28")
    assert out[OUT["slider"]] is no_update           # it already shows that
    sel = {"range": {"x": ["2025-03-01", "2025-03-31"]}}
    out = _filters(app, {"ops-trend.selectedData": sel}, current=CITY,
                   trigger="ops-trend.selectedData")
    assert out[OUT["slider"]] == [90, 120]           # a drag on a chart moves the slider


def test_a_quick_range_sets_the_days_and_the_picker_names_what_is_shown(app):
    # the test city's last day is 2026-11-24
    out = _filters(app, {"ops-quick-range.value": "last_month"}, current=CITY,
                   trigger="ops-quick-range.value")
    assert (out[0]["start"], out[0]["end"]) == ("2026-10-01", "2026-10-31")
    assert out[OUT["slider"]] == [669, 699]               # the slider follows
    assert out[OUT["quick_range"]] is no_update           # the picker already says 上月
    # a drag on the slider to days no quick range covers empties the picker
    out = _filters(app, {"ops-time-slider.value": [31, 89], "ops-quick-range.value":
                         "last_month"}, current=out[0], trigger="ops-time-slider.value")
    assert out[OUT["quick_range"]] is None
    # the year-to-date of a bare URL is 本年
    assert _filters(app, search="")[OUT["quick_range"]] == "this_year"


def test_play_steps_the_window_until_the_last_day(app):
    start = store_payload(FilterState(None, "2026-08-01", "2026-09-30", "closure_rate", "zh"))
    out = _filters(app, current=start, trigger="ops-play.n_clicks", paused=True)
    assert out[OUT["paused"]] is False and out[OUT["play"]] == "⏸"          # playing
    out = _filters(app, current=start, trigger="ops-play-tick.n_intervals", paused=False)
    assert (out[0]["start"], out[0]["end"]) == ("2026-09-01", "2026-10-31")
    end = store_payload(FilterState(None, "2026-09-25", "2026-11-24", "closure_rate", "zh"))
    out = _filters(app, current=end, trigger="ops-play-tick.n_intervals", paused=False)
    assert out[OUT["paused"]] is True and out[OUT["play"]] == "▶"  # stopped at the last day
    out = _filters(app, current=end, trigger="ops-play.n_clicks", paused=True)
    assert out[0]["start"] == "2024-12-01"            # play again starts from the beginning


def test_a_map_selection_filters_the_charts_to_the_picked_districts(app, queries):
    selection = {"points": [{"location": c, "customdata": c} for c in ("360702", "360731")]}
    out = _filters(app, {"ops-map.selectedData": selection}, current=CITY,
                   trigger="ops-map.selectedData")
    payload = out[0]
    assert payload["picked"] == ["360702", "360731"] and "picked=360702" in payload["query"]
    cards = json.dumps(run_callback(app, "ops-kpis.children", payload), ensure_ascii=False,
                       default=str)
    closure = queries.kpis(("360702", "360731"), CITY["start"], CITY["end"]).set_index(
        "code").loc["closure_rate", "value"]
    assert f"{closure:.1f}%" in cards
    ranking = run_callback(app, "ops-ranking.figure", payload).data[0]
    outlined = {c for c, w in zip(ranking.customdata, ranking.marker.line.width) if w}
    assert outlined == {"360702", "360731"}
    assert "2" in run_callback(app, "app-filter-text.children", payload)
    # a redraw that drops the selection (null) changes nothing
    from dash.exceptions import PreventUpdate
    with pytest.raises(PreventUpdate):
        _filters(app, {"ops-map.selectedData": None}, current=payload,
                 trigger="ops-map.selectedData", value=None)


def test_the_citys_own_counts_are_never_split_across_districts(app):
    """Smart-approval and one-thing-once services are counted for the city: the filter bar
    does not offer them, and a link that names one gets no district ranking or colours."""
    page = json.dumps(run_callback(app, "app-page.children", "/", "").to_plotly_json(),
                      default=str, ensure_ascii=False)
    assert "高频事项电子证照应用率" in page            # a services rate is offered
    assert "智能审批事项数" not in page and "一件事一次办事项数" not in page
    payload = store_payload(FilterState(None, "2026-01-01", "2026-10-31",
                                        "smart_approval_items", "zh"))
    ranking = run_callback(app, "ops-ranking.figure", payload)
    assert not ranking.data and "全市口径" in ranking.layout.annotations[0].text
    z = _assigned(_map(app, payload))[("data", 0, "z")]
    zmin = _assigned(_map(app, payload))[("data", 0, "zmin")]
    assert all(v == zmin for v in z)                 # every district grey: no data
