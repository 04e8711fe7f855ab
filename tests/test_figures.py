"""Figure builders: valid plotly (they skip validation at run time), units in titles, keys."""

import plotly.graph_objects as go
import pytest

from data import catalog
from layouts import figures, theme

START, END = "2026-01-01", "2026-11-24"


def _validated(fig: go.Figure) -> go.Figure:
    """Rebuild with plotly's validation on: raises on any unknown property or bad value."""
    return go.Figure(fig.to_plotly_json())


@pytest.fixture(scope="module")
def built(queries):
    out = {}
    for name, th in theme.THEMES.items():
        for lang in ("zh", "en"):
            for code in ("fixed_asset_investment", "unemployment_rate", "closure_rate",
                         "water_good_rate"):
                ind = catalog.BUILT_IN.get(code)
                by_d = queries.indicator_by_district(code, START, END)
                out[(name, lang, code, "map")] = figures.choropleth(
                    by_d.rename(columns={"district_code": "area_code"}), ind, geojson_url="/geo/districts.geojson", style_url="white-bg",
                    center={"lon": 115, "lat": 25.8}, zoom=7, size=(788, 806), theme=th, lang=lang,
                    selected="360702")
                out[(name, lang, code, "ranking")] = figures.ranking(
                    by_d, ind, theme=th, lang=lang, selected="360702")
                out[(name, lang, code, "trend")] = figures.trend(
                    queries.indicator_monthly(code, None), ind, theme=th, lang=lang,
                    start=START, end=END)
            out[(name, lang, "air")] = figures.aqi_daily(queries.aqi_daily(None), theme=th,
                                                         lang=lang, start=START, end=END)
            out[(name, lang, "events")] = figures.events_by_status(
                queries.events_monthly_by_status(None), theme=th, lang=lang, start=START,
                end=END)
            out[(name, lang, "category")] = figures.events_by_category(
                queries.events_by_category(None, START, END), theme=th, lang=lang)
            out[(name, lang, "empty")] = figures.empty(th, "t", "no data")
            out[(name, lang, "township_ranking")] = figures.ranking(
                queries.event_metric_by_area("satisfaction_rate", "360730", START, END),
                catalog.BUILT_IN.get("satisfaction_rate"), theme=th, lang=lang,
                selected=None, level="townships", note="note")
            density = queries.event_density(None, START, END).assign(lon=115.0, lat=25.8)
            layers = figures.map_layers(
                stations=queries.stations_aqi(None, START, END),
                sections=queries.water_classes(None, START, END), density=density, theme=th,
                lang=lang)
            out[(name, lang, "layers")] = go.Figure(
                {"data": layers, "layout": {"map": {"style": "white-bg"}}}, _validate=False)
    return out


def test_every_builder_output_passes_plotly_validation(built):
    for fig in built.values():
        _validated(fig)


def test_titles_carry_units(built):
    assert "（亿元）" in built[("wall", "zh", "fixed_asset_investment", "trend")].layout.title.text
    assert "(bn CNY)" in built[("print", "en", "fixed_asset_investment", "trend")].layout.title.text
    assert "（%）" in built[("wall", "zh", "closure_rate", "map")].layout.title.text


def test_map_carries_codes_not_geometry(built):
    fig = built[("wall", "zh", "closure_rate", "map")]
    (values,) = fig.data
    assert values.geojson == "/geo/districts.geojson"
    assert len(values.locations) == 18       # every district, always: only colours change
    assert values.customdata is None           # a click reads the location
    assert "%{properties.name_zh}" in values.hovertemplate
    widths = dict(zip(values.locations, values.marker.line.width))
    assert widths["360702"] == max(widths.values())
    # the colour bar has a room of its own: the map keeps its size whatever the labels
    assert fig.layout.margin.r == figures.MAP_COLORBAR_ROOM
    assert fig.layout.margin.autoexpand is False


def test_map_greys_areas_without_a_value_below_the_scale(queries):
    from data import catalog
    frame = queries.event_metric_by_area("closure_rate", "360702", "2026-01-01", "2026-11-24")
    assert frame["headline"].isna().any() and frame["headline"].notna().sum() > 2
    for code in ("closure_rate", "mean_handling_hours"):     # higher and lower is better
        ind = catalog.BUILT_IN.get(code)
        arrays = figures.choropleth_arrays(frame, ind, "zh", theme.ANALYST, None)
        z = dict(zip(arrays["locations"], arrays["z"]))
        scale = arrays["colorscale"]
        assert scale[0][1] == scale[1][1] == theme.ANALYST.map_no_data   # the no-value band
        assert scale[1][0] < scale[2][0] <= 0.01 and scale[-1][0] == 1
        ends = [c for _, c in theme.ANALYST.colorscale]
        assert [scale[2][1], scale[-1][1]] == ([ends[0], ends[-1]] if ind.better == "higher"
                                               else [ends[-1], ends[0]])
        missing = frame.loc[frame["headline"].isna(), "area_code"]
        assert {z[c] for c in missing} == {arrays["zmin"]}
        hover = dict(zip(arrays["locations"], arrays["text"]))
        assert {hover[c] for c in missing} == {"暂无数据"}
        assert min(z[c] for c in frame.loc[frame["headline"].notna(), "area_code"]) \
            > arrays["zmin"]
        # where the lowest value sits on the scale: just above the grey band
        position = (min(v for c, v in z.items() if c not in set(missing)) - arrays["zmin"]) \
            / (arrays["zmax"] - arrays["zmin"])
        assert scale[1][0] < position < 0.01


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


@pytest.mark.parametrize("th", list(theme.THEMES.values()), ids=list(theme.THEMES))
def test_no_data_is_a_grey_unlike_any_colour_of_the_scale(th):
    # 0% is the scale's low end: "no data" must not pass for it (it was the scale's own
    # dark blue) nor for any other value
    grey = _rgb(th.map_no_data)
    assert max(grey) - min(grey) <= 8                   # no hue
    for _, colour in th.colorscale:
        assert sum(abs(a - b) for a, b in zip(grey, _rgb(colour))) > 100, colour


@pytest.mark.parametrize("lang, words", [("zh", "暂无数据"), ("en", "No data")])
def test_map_legend_keys_no_data_and_names_sit_above_the_colours(built, lang, words):
    fig = built[("print", lang, "closure_rate", "map")]
    (key,) = fig.layout.annotations
    (swatch,) = fig.layout.shapes
    assert key.text == words and swatch.fillcolor == theme.PRINT.map_no_data
    # the swatch and its words sit in the colour bar's room, right of the map
    assert key.x > 1 and key.y == swatch.yanchor
    # the areas are drawn below the style's layer of names
    assert fig.data[0].below == theme.MAP_LABEL_LAYER
    style = theme.map_style(theme.PRINT)
    assert [layer["id"] for layer in style["layers"]][-1] == theme.MAP_LABEL_LAYER


def test_map_file_writes_the_names_of_its_level_in_its_language(app, queries):
    from charts.overview import map_chart
    from charts.state import FilterState
    runtime = app.citybrain_runtime
    for lang, column in (("zh", "name_zh"), ("en", "name_en")):
        city = map_chart(FilterState(None, START, END, "closure_rate", lang), runtime,
                         theme.PRINT)
        names = [f["properties"]["name"]
                 for f in city.layout.map.style["sources"][theme.MAP_LABEL_LAYER]["data"]
                 ["features"]]
        assert sorted(names) == sorted(queries.districts()[column])
        drilled = map_chart(FilterState("360702", START, END, "closure_rate", lang), runtime,
                            theme.PRINT)
        names = {f["properties"]["name"]
                 for f in drilled.layout.map.style["sources"][theme.MAP_LABEL_LAYER]["data"]
                 ["features"]}
        townships = runtime.shapes_within("townships", "360702")
        assert names == set(townships[column])
        assert "glyphs" not in drilled.layout.map.style


def test_ranking_orders_best_first_in_the_indicator_direction(built, queries):
    higher = built[("wall", "zh", "closure_rate", "ranking")].data[0]
    assert list(higher.x) == sorted(higher.x, reverse=True)
    lower = built[("wall", "zh", "unemployment_rate", "ranking")].data[0]
    assert list(lower.x) == sorted(lower.x)
    # the entity key rides in customdata
    assert set(higher.customdata) == set(queries.districts()["code"])


def test_the_ranking_writes_each_rate_with_its_count_and_no_data_as_words():
    """86.2%（214件） on a full bar; 0.0% of one event written past its (empty) bar and
    pale; an area without a value an empty outlined bar saying 暂无数据, not a bar at 0."""
    import pandas as pd

    from data.alerts import MIN_ALERT_EVENTS
    ind = catalog.BUILT_IN.get("closure_rate")
    frame = pd.DataFrame({"area_code": ["a", "b", "c"], "name_zh": ["甲镇", "乙镇", "丙镇"],
                          "name_en": ["A", "B", "C"], "headline": [86.2, 0.0, None],
                          "events": pd.array([214, 1, 0], dtype="Int64")})
    figure = _validated(figures.ranking(frame, ind, theme=theme.WALL, lang="zh",
                                        selected="c", level="townships"))
    bars, empty = figure.data[0], figure.data[1]
    assert list(bars.customdata) == ["a", "b"]
    assert list(bars.text) == ["86.2%（214件）", "0.0%（1件）"]
    assert list(bars.textposition) == ["inside", "outside"]     # the 0 bar's words show
    assert list(bars.marker.opacity) == [1.0, 0.35]             # 1 event: pale
    assert list(empty.customdata) == ["c"] and list(empty.text) == ["暂无数据"]
    assert empty.marker.color == "rgba(0,0,0,0)" and empty.x[0] >= 86.2
    assert list(empty.marker.line.width) == [3]                 # chosen: outlined
    assert dict(zip(figure.layout.yaxis.tickvals, figure.layout.yaxis.ticktext)) == {
        "a": "甲镇", "b": "乙镇", "c": "丙镇"}
    assert figure.layout.title.text.startswith("乡镇排名")
    assert f"不足{MIN_ALERT_EVENTS}件" in figure.layout.title.subtitle.text
    english = figures.ranking(frame, ind, theme=theme.WALL, lang="en", selected=None)
    assert list(english.data[0].text) == ["86.2% (n=214)", "0.0% (n=1)"]
    assert list(english.data[1].text) == ["No data"]
    # a fall written past its short bar has room left of it, off the names
    falls = frame.assign(headline=[11.5, -0.4, None]).drop(columns="events")
    growth = figures.ranking(falls, catalog.BUILT_IN.get("gdp"), theme=theme.WALL,
                             lang="zh", selected=None)
    assert list(growth.data[0].textposition) == ["inside", "outside"]
    low, high = growth.layout.xaxis.range
    assert low < -0.4 - 0.25 * 11.5 and high > 11.5


def test_aqi_bars_use_the_official_level_colours(built):
    fig = built[("wall", "zh", "air")]
    assert {t.marker.color for t in fig.data} <= set(theme.AQI_COLORS)
    assert fig.data[0].name == "优"


def test_themes_differ_in_ground(built):
    wall = built[("wall", "zh", "air")].layout.template.layout.paper_bgcolor
    paper = built[("print", "zh", "air")].layout.template.layout.paper_bgcolor
    assert wall != paper and paper.lower() == "#ffffff"


def test_english_charts_show_values_in_their_english_units(built):
    zh = built[("wall", "zh", "fixed_asset_investment", "trend")].data[0].y
    en = built[("wall", "en", "fixed_asset_investment", "trend")].data[0].y
    assert en == pytest.approx([v / 10 for v in zh])      # 亿元 -> bn CNY
    rate_zh = built[("wall", "zh", "closure_rate", "trend")].data[0].y
    rate_en = built[("wall", "en", "closure_rate", "trend")].data[0].y
    assert rate_zh == rate_en
