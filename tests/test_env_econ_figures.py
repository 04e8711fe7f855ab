"""Environment and economy figure builders: valid plotly in every theme and language, the
official colours, entity keys in customdata, and no crash on empty frames."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import i18n
from data import catalog
from data.queries import POLLUTANTS
from layouts import figures, theme

START, END = "2026-01-01", "2026-11-24"
LANGS = ("zh", "en")
#: A flow with a growth target, a rate, and a level quantity: the three change rules.
CODES = ("fixed_asset_investment", "unemployment_rate", "waste_household")
NEW_KEYS = ("aqi_calendar", "env_weekdays", "env_by_station", "station_trends",
            "env_good_limit", "station_ranking", "env_worst_day", "water_by_month",
            "env_sections", "econ_by_district", "econ_mom", "econ_qoq", "econ_yoy_mom")


def _validated(fig: go.Figure) -> go.Figure:
    """Rebuild with plotly's validation on: raises on any unknown property or bad value."""
    return go.Figure(fig.to_dict())


@pytest.fixture(scope="module")
def frames(queries):
    return {
        "calendar": queries.aqi_daily(None).query("day >= @START and day <= @END"),
        "trends": {p: queries.pollutant_daily("360702", p, START, END) for p in POLLUTANTS},
        "ranking": queries.stations_aqi(None, START, END),
        "water": queries.water_classes_monthly(None, START, END),
        "multiples": {c: queries.indicator_monthly_by_district(c, START, END) for c in CODES},
        "changes": {c: queries.indicator_changes(c, None, START, END) for c in CODES},
        "compare": {c: (queries.indicator_changes(c, "360702", START, END),
                        queries.indicator_changes(c, "360731", START, END)) for c in CODES},
        "shares": {c: queries.district_shares(c, START, END)
                   for c in ("fixed_asset_investment", "waste_household")},
        "names": {lang: dict(zip(queries.districts()["code"],
                                 queries.districts()["name_en" if lang == "en" else "name_zh"]))
                  for lang in LANGS},
    }


def _build_all(frames, th, lang, empty=False):
    """Every new builder's figures for one theme and language (empty: zero-row frames)."""
    cut = (lambda f: f.iloc[0:0]) if empty else (lambda f: f)
    names = frames["names"][lang]
    out = {"calendar": figures.aqi_calendar(cut(frames["calendar"]), theme=th, lang=lang,
                                            start=START, end=END),
           "ranking": figures.station_ranking(cut(frames["ranking"]), theme=th, lang=lang),
           "water": figures.water_classes_by_month(cut(frames["water"]), theme=th, lang=lang)}
    for p, frame in frames["trends"].items():
        out[("trends", p)] = figures.station_trends(cut(frame), p, theme=th, lang=lang,
                                                    start=START, end=END)
    for code in CODES:
        ind = catalog.BUILT_IN.get(code)
        out[("multiples", code)] = figures.small_multiples(
            cut(frames["multiples"][code]), ind, names, theme=th, lang=lang,
            selected=("360702", "360731"))
        out[("yoy_mom", code)] = figures.yoy_mom(cut(frames["changes"][code]), ind, theme=th,
                                                 lang=lang)
        a, b = frames["compare"][code]
        out[("compare", code)] = figures.compare_districts(
            cut(a), cut(b), names["360702"], names["360731"], ind, theme=th, lang=lang)
    for code, frame in frames["shares"].items():
        out[("shares", code)] = figures.district_shares(cut(frame), catalog.BUILT_IN.get(code), theme=th,
                                                        lang=lang, selected="360702")
    return out


@pytest.fixture(scope="module")
def built(frames):
    return {(name, lang): _build_all(frames, th, lang)
            for name, th in theme.THEMES.items() for lang in LANGS}


def test_every_builder_passes_plotly_validation_in_every_theme_and_language(built):
    for figs in built.values():
        for key, fig in figs.items():
            _validated(fig)
            assert fig.layout.title.text, key


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(theme.THEMES))
def test_empty_frames_do_not_crash(frames, name, lang):
    for fig in _build_all(frames, theme.THEMES[name], lang, empty=True).values():
        _validated(fig)


def test_new_text_keys_have_both_languages():
    for key in NEW_KEYS:
        zh, en = i18n.TEXT[key]
        assert zh and en and zh != en, key
    assert len(i18n.t("env_weekdays", "zh").split(",")) == 7
    assert len(i18n.t("env_weekdays", "en").split(",")) == 7


def test_calendar_is_weeks_by_weekdays_in_the_official_level_colours(built, frames):
    fig = built[("wall", "zh")]["calendar"]
    cells = fig.data[0]
    assert len(cells.z) == 7 and list(cells.y) == list(range(7))
    assert {c for _, c in cells.colorscale} == set(theme.AQI_COLORS)
    assert (cells.zmin, cells.zmax) == (-0.5, 5.5)
    # 2026-01-01 was a Thursday: row 3 of the first week, with that day's level and AQI
    day = frames["calendar"].set_index(pd.to_datetime(frames["calendar"]["day"])).loc["2026-01-01"]
    assert cells.x[0] == "2025-12-29"
    assert cells.z[3][0] == day["level"]
    assert f"AQI {day['aqi']:.0f}" in cells.text[3][0] and "周四" in cells.text[3][0]
    assert cells.z[0][0] is None           # 29 December is outside the range
    assert all(v is None or 0 <= v <= 5 for row in cells.z for v in row)
    en = built[("wall", "en")]["calendar"].data[0]
    assert "Thu" in en.text[3][0] and list(en.colorbar.ticktext)[0] == "Excellent"


def test_station_trends_one_line_per_station_with_the_unit(built, frames):
    fig = built[("wall", "zh")][("trends", "pm25")]
    stations = frames["trends"]["pm25"]["station_code"].unique()
    assert len(fig.data) == len(stations)
    assert {t.customdata[0] for t in fig.data} == set(stations)
    assert "µg/m³" in fig.layout.title.text
    assert "mg/m³" in built[("wall", "en")][("trends", "co")].layout.title.text
    assert fig.layout.shapes[0].y0 == 75          # PM2.5 24-hour limit at IAQI 100


def test_station_ranking_worst_first_coloured_by_level(built, frames):
    bars = built[("analyst", "zh")]["ranking"].data[0]
    ranked = frames["ranking"].sort_values("aqi", ascending=False)
    assert list(bars.customdata) == ranked["code"].tolist()
    assert list(bars.x) == sorted(bars.x, reverse=True)
    assert list(bars.marker.color) == [theme.AQI_COLORS[lv] for lv in ranked["level"]]
    assert all("最差日" in t for t in bars.text)


def test_water_bars_stack_by_class_in_class_colours(built, frames):
    fig = built[("print", "en")]["water"]
    assert fig.layout.barmode == "stack"
    assert {t.marker.color for t in fig.data} <= set(theme.WATER_COLORS)
    assert sum(sum(t.y) for t in fig.data) == frames["water"]["n"].sum()


def test_small_multiples_one_panel_per_district_and_the_selection_highlighted(built, frames):
    fig = built[("wall", "zh")][("multiples", "fixed_asset_investment")]
    names = frames["names"]["zh"]
    assert len(fig.data) == len(names) == 18
    assert fig.layout.xaxis18.matches == "x" and fig.layout.yaxis18.matches == "y"
    assert [t.customdata[0] for t in fig.data] == list(names)
    assert {a.text.strip("<b>/") for a in fig.layout.annotations} == set(names.values())
    widths = {t.customdata[0]: t.line.width for t in fig.data}
    assert widths["360702"] == widths["360731"] > widths["360703"]
    # a growth indicator is drawn as its YoY (comparable across district sizes)
    first = fig.data[0]
    want = frames["multiples"]["fixed_asset_investment"].query("district_code == '360702'")
    assert list(first.y) == pytest.approx(want["yoy"].tolist())


def test_yoy_mom_bars_and_two_change_lines_on_a_second_axis(built, frames):
    fig = built[("wall", "en")][("yoy_mom", "fixed_asset_investment")]
    bars, yoy, mom = fig.data
    frame = frames["changes"]["fixed_asset_investment"]
    assert list(bars.y) == pytest.approx((frame["value"] * 0.1).tolist())   # 亿元 -> bn CNY
    assert yoy.yaxis == mom.yaxis == "y2" and fig.layout.yaxis2.ticksuffix == "%"
    assert list(mom.y) == pytest.approx(frame["mom"].tolist(), nan_ok=True)
    rate = built[("wall", "zh")][("yoy_mom", "unemployment_rate")]
    assert "个百分点" in rate.data[1].name


def test_quarterly_gdp_compares_with_the_previous_quarter(queries):
    frame = queries.indicator_changes("gdp", None, START, END)
    assert (pd.to_datetime(frame["period"]).dt.month % 3 == 0).all()
    np.testing.assert_allclose(frame["mom"].iloc[1:],
                               (frame["value"] / frame["value"].shift() - 1).iloc[1:] * 100)
    fig = figures.yoy_mom(frame, catalog.BUILT_IN.get("gdp"), theme=theme.WALL, lang="en")
    assert fig.data[2].name.startswith("QoQ")
    _validated(fig)


def test_district_shares_largest_first_with_codes(built, frames):
    bars = built[("wall", "zh")][("shares", "fixed_asset_investment")].data[0]
    assert list(bars.x) == sorted(bars.x, reverse=True)
    assert set(bars.customdata) == set(frames["names"]["zh"])
    assert sum(bars.x) == pytest.approx(100)


def test_compare_districts_two_bars_and_two_yoy_lines(built):
    fig = built[("wall", "en")][("compare", "fixed_asset_investment")]
    kinds = [t.type for t in fig.data]
    assert kinds == ["bar", "scatter", "bar", "scatter"]
    assert fig.layout.barmode == "group"
    assert fig.data[0].name == "Zhanggong" and fig.data[2].name == "Yudu"
