"""The grid-governance screen's figure builders: valid plotly (they skip validation at run
time) in every theme and language, what each chart shows, and empty frames."""

import pandas as pd
import plotly.graph_objects as go
import pytest

import i18n
from data import catalog
from layouts import figures, theme

START, END = "2026-01-01", "2026-11-24"
LANGS = ("zh", "en")


def _validated(fig: go.Figure) -> go.Figure:
    """Rebuild with plotly's validation on: raises on any unknown property or bad value."""
    return go.Figure(fig.to_dict())


@pytest.fixture(scope="module")
def frames(queries):
    township = queries.areas("townships").code.iloc[0]
    return {area: {"funnel": queries.event_funnel(area, START, END),
                   "handling": queries.handling_time_histogram(area, START, END),
                   "deadline": queries.deadline_hours(area, START, END),
                   "matrix": queries.category_by_source(area, START, END)}
            for area in (None, township)}


def _build(frames_of_area: dict, th: theme.Theme, lang: str) -> dict[str, go.Figure]:
    return {"funnel": figures.funnel(frames_of_area["funnel"], theme=th, lang=lang),
            "handling": figures.handling_histogram(frames_of_area["handling"],
                                                   frames_of_area["deadline"], theme=th,
                                                   lang=lang),
            "matrix": figures.category_source_matrix(frames_of_area["matrix"], theme=th,
                                                     lang=lang)}


@pytest.fixture(scope="module")
def built(frames):
    return {(area, name, lang): _build(by_area, th, lang)
            for area, by_area in frames.items() for name, th in theme.THEMES.items()
            for lang in LANGS}


def test_every_builder_output_passes_plotly_validation(built):
    assert len(built) == 2 * len(theme.THEMES) * len(LANGS)
    for figs in built.values():
        for fig in figs.values():
            _validated(fig)
            assert fig.data, "real data must not give the empty placeholder"


def test_titles_are_in_the_language(built):
    for (_, _, lang), figs in built.items():
        for key, fig in figs.items():
            assert fig.layout.title.text == i18n.t(key, lang)


def test_funnel_shows_the_six_stages_with_shares_of_reported(built, frames):
    fig = built[(None, "wall", "zh")]["funnel"]
    (trace,) = fig.data
    counts = frames[None]["funnel"].set_index("stage")["n"]
    assert list(trace.customdata) == list(catalog.EVENT_STAGES)
    assert list(trace.y) == [zh for zh, _ in catalog.EVENT_STAGES.values()]
    assert list(trace.x) == [counts[s] for s in catalog.EVENT_STAGES]
    assert trace.text[0].endswith("100.0%")
    closed = 100.0 * counts["closed"] / counts["reported"]
    assert trace.text[-1].endswith(f"{closed:.1f}%")
    (note,) = fig.layout.annotations
    assert note.text.startswith("退回重办")
    assert i18n.number(counts["returned"], "zh", 0) in note.text
    english = built[(None, "wall", "en")]["funnel"]
    assert list(english.data[0].y)[0] == "Reported"
    assert "of reported" in english.layout.annotations[0].text


def test_handling_histogram_stacks_on_time_and_late_against_the_deadline(built, frames):
    th = theme.WALL
    fig = built[(None, "wall", "en")]["handling"]
    assert fig.layout.barmode == "stack"
    colors = {t.name: t.marker.color for t in fig.data}
    assert colors == {"Closed on time": th.ok, "Closed late": th.alert}
    frame = frames[None]["handling"]
    assert sum(sum(t.y) for t in fig.data) == frame["n"].sum()
    # bars centred in their 24 hours, labelled by their range; the last one open-ended
    assert all(x % 24 == 12 for t in fig.data for x in t.x)
    assert fig.layout.xaxis.ticktext[-1] == "≥240"
    assert any(label.startswith("≥240") for t in fig.data for label in t.customdata)
    (line,) = fig.layout.shapes
    assert line.line.dash == "dash" and line.x0 == line.x1 == frames[None]["deadline"]
    assert "Median deadline" in fig.layout.annotations[0].text
    zh = built[(None, "print", "zh")]["handling"]
    assert zh.layout.xaxis.title.text == "小时"
    assert {t.marker.color for t in zh.data} == {theme.PRINT.ok, theme.PRINT.alert}


def test_handling_histogram_without_a_deadline_has_no_line(frames):
    fig = figures.handling_histogram(frames[None]["handling"], None, theme=theme.WALL,
                                     lang="zh")
    _validated(fig)
    assert not fig.layout.shapes and not fig.layout.annotations


def test_a_deadline_beyond_the_axis_sits_at_its_end(frames):
    fig = figures.handling_histogram(frames[None]["handling"], 400.0, theme=theme.WALL,
                                     lang="en")
    assert fig.layout.shapes[0].x0 == fig.layout.xaxis.range[1]
    assert "400" in fig.layout.annotations[0].text


def test_category_source_matrix_holds_every_count(built, frames):
    fig = built[(None, "analyst", "zh")]["matrix"]
    (trace,) = fig.data
    frame = frames[None]["matrix"]
    assert len(trace.y) == len(catalog.EVENT_CATEGORIES)
    assert len(trace.x) == len(catalog.EVENT_SOURCES)
    assert sum(map(sum, trace.z)) == frame["n"].sum()
    row = list(catalog.EVENT_CATEGORIES).index("appearance")
    col = list(catalog.EVENT_SOURCES).index("video_ai")
    want = frame.set_index(["category", "channel"])["n"].get(("appearance", "video_ai"), 0)
    assert trace.z[row][col] == want
    assert trace.customdata[row][col] == "appearance|video_ai"
    assert trace.text[row][col] == i18n.number(want, "zh", 0)
    assert trace.y[0] == catalog.EVENT_CATEGORIES["appearance"][0]
    english = built[(None, "analyst", "en")]["matrix"].data[0]
    assert english.x[0] == catalog.EVENT_SOURCES["patrol"][1]


EMPTY = {
    "funnel": pd.DataFrame({"stage": [*catalog.EVENT_STAGES, "returned"], "n": [0] * 7}),
    "handling": pd.DataFrame(columns=["bucket_h", "on_time", "n"]),
    "matrix": pd.DataFrame(columns=["category", "channel", "n"]),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(theme.THEMES))
def test_empty_frames_give_a_placeholder_not_a_crash(queries, name, lang):
    th = theme.THEMES[name]
    # no events at all, as the queries answer a range before the data
    real = {"funnel": queries.event_funnel(None, "2019-01-01", "2019-01-31"),
            "handling": queries.handling_time_histogram(None, "2019-01-01", "2019-01-31"),
            "deadline": queries.deadline_hours(None, "2019-01-01", "2019-01-31"),
            "matrix": queries.category_by_source(None, "2019-01-01", "2019-01-31")}
    for frames_of_area in (real, {**EMPTY, "deadline": None},
                           {"funnel": EMPTY["funnel"].iloc[:0], "handling": EMPTY["handling"],
                            "deadline": float("nan"), "matrix": EMPTY["matrix"]}):
        for key, fig in _build(frames_of_area, th, lang).items():
            _validated(fig)
            assert not fig.data
            assert fig.layout.title.text == i18n.t(key, lang)
            assert fig.layout.annotations[0].text == i18n.t("no_data", lang)


def test_new_interface_text_has_both_languages():
    for key in ("funnel", "handling", "matrix", "of_reported", "returned_events", "hours",
                "closed_on_time", "closed_late", "deadline_median"):
        zh, en = i18n.TEXT[key]
        assert zh and en and zh != en
    assert "{h}" in i18n.t("deadline_median", "zh") and "{h}" in i18n.t("deadline_median", "en")
