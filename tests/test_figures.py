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
        assert scale[0][1] == scale[1][1] == theme.ANALYST.grid    # the no-value band
        assert scale[1][0] < scale[2][0] <= 0.01 and scale[-1][0] == 1
        ends = [c for _, c in theme.ANALYST.colorscale]
        assert [scale[2][1], scale[-1][1]] == ([ends[0], ends[-1]] if ind.better == "higher"
                                               else [ends[-1], ends[0]])
        missing = frame.loc[frame["headline"].isna(), "area_code"]
        assert {z[c] for c in missing} == {arrays["zmin"]}
        assert min(z[c] for c in frame.loc[frame["headline"].notna(), "area_code"]) \
            > arrays["zmin"]
        # where the lowest value sits on the scale: just above the grey band
        position = (min(v for c, v in z.items() if c not in set(missing)) - arrays["zmin"]) \
            / (arrays["zmax"] - arrays["zmin"])
        assert scale[1][0] < position < 0.01


def test_ranking_orders_best_first_in_the_indicator_direction(built, queries):
    higher = built[("wall", "zh", "closure_rate", "ranking")].data[0]
    assert list(higher.x) == sorted(higher.x, reverse=True)
    lower = built[("wall", "zh", "unemployment_rate", "ranking")].data[0]
    assert list(lower.x) == sorted(lower.x)
    # the entity key rides in customdata
    assert set(higher.customdata) == set(queries.districts()["code"])


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
