"""The grid-governance screen: the life-cycle funnel, the handling-time histogram and the
category × channel matrix."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

import i18n
from data import catalog
from data.store import HANDLING_BUCKET_HOURS, HANDLING_LAST_BUCKET
from layouts.figures.base import (
    _figure,
    _numbers,
    empty,
)
from layouts.theme import STAGE_COLORS, Theme

#: Stage text on the funnel's bars: dark on the light stage colours, white on the dark blue.
_STAGE_TEXT = {"closed": "#ffffff"}


def funnel(frame: pd.DataFrame, *, theme: Theme, lang: str) -> go.Figure:
    """Return the events' life-cycle funnel from ``Queries.event_funnel`` (stage, n): a bar
    per stage with its count and share of the reported events, and the returned events
    (sent back to handling at least once) in a note: a return is not a stage every event
    passes, so it has no place in the funnel's order. No reported events: a placeholder."""
    title = i18n.t("funnel", lang)
    counts = {stage: int(n) for stage, n in zip(frame["stage"], frame["n"]) if not pd.isna(n)}
    reported = counts.get("reported", 0)
    if reported <= 0:
        return empty(theme, title, i18n.t("no_data", lang))
    en = lang == "en"
    stages = list(catalog.EVENT_STAGES)
    values = [counts.get(stage, 0) for stage in stages]
    trace = {"type": "funnel", "y": [catalog.EVENT_STAGES[s][1 if en else 0] for s in stages],
             "x": values, "customdata": stages, "textinfo": "text", "textposition": "inside",
             "text": [f"{i18n.number(v, lang, 0)} · {100.0 * v / reported:.1f}%"
                      for v in values],
             "textfont": {"color": [_STAGE_TEXT.get(s, "#0a1730") for s in stages]},
             "marker": {"color": [STAGE_COLORS[s] for s in stages]},
             "connector": {"fillcolor": theme.grid, "line": {"color": theme.grid, "width": 1}},
             "hovertemplate": "%{y}: %{x:,}<extra></extra>"}
    returned = counts.get("returned", 0)
    share = f"{100.0 * returned / reported:.1f}%"
    label, of_reported = i18n.t("returned_events", lang), i18n.t("of_reported", lang)
    note = {"xref": "paper", "yref": "paper", "x": 1, "y": 0, "xanchor": "right",
            "yanchor": "top", "yshift": -8, "showarrow": False, "font": {"color": theme.warn},
            "text": (f"{label} {i18n.number(returned, lang, 0)} ({share} {of_reported})" if en
                     else f"{label} {i18n.number(returned, lang, 0)}（{of_reported} {share}）")}
    return _figure(theme, title, [trace], annotations=[note],
                   margin={"l": 96 if en else 64, "r": 16, "t": 44, "b": 40})


def _bucket_label(low: int, lang: str) -> str:
    """A handling-time bucket's name: '24–48 h', or '≥240 h' for the last one."""
    unit = "h" if lang == "en" else i18n.t("hours", lang)
    sep = " " if lang == "en" else ""
    if low >= HANDLING_LAST_BUCKET:
        return f"≥{low}{sep}{unit}"
    return f"{low}–{low + HANDLING_BUCKET_HOURS}{sep}{unit}"


def handling_histogram(frame: pd.DataFrame, deadline_hours: float | None, *, theme: Theme,
                       lang: str) -> go.Figure:
    """Return closed events by handling time from ``Queries.handling_time_histogram``
    (bucket_h, on_time, n): 24-hour bars on an hours axis, on time and late stacked, and a
    dashed line at the median allowed time (``Queries.deadline_hours``; None: no line).
    The last bucket holds everything from 240 hours on. No rows: a placeholder."""
    title = i18n.t("handling", lang)
    if frame.empty:
        return empty(theme, title, i18n.t("no_data", lang))
    width, last = HANDLING_BUCKET_HOURS, HANDLING_LAST_BUCKET
    traces = []
    for on_time, key, color in ((True, "closed_on_time", theme.ok),
                                (False, "closed_late", theme.alert)):
        part = frame[frame["on_time"].astype(bool) == on_time]
        if part.empty:
            continue
        lows = [int(b) for b in part["bucket_h"]]
        name = i18n.t(key, lang)
        # bars centred in their 24 hours, so the hours axis and the deadline line agree
        traces.append({"type": "bar", "x": [b + width / 2 for b in lows],
                       "y": _numbers(part["n"]), "width": width, "name": name,
                       "customdata": [_bucket_label(b, lang) for b in lows],
                       "marker": {"color": color, "line": {"width": 0}},
                       "hovertemplate": f"%{{customdata}}: %{{y:,}}<extra>{name}</extra>"})
    ticks = list(range(0, last + 1, width))
    axis = {"range": [0, last + width], "tickvals": ticks,
            "ticktext": [str(t) for t in ticks[:-1]] + [f"≥{last}"],
            "title": {"text": i18n.t("hours", lang)}}
    shapes, notes = [], []
    if deadline_hours is not None and not pd.isna(deadline_hours):
        x = min(float(deadline_hours), float(last + width))   # beyond the axis: at its end
        shapes.append({"type": "line", "xref": "x", "x0": x, "x1": x, "yref": "paper",
                       "y0": 0, "y1": 1, "line": {"color": theme.warn, "width": 2,
                                                  "dash": "dash"}})
        notes.append({"xref": "x", "x": x, "xanchor": "left", "yref": "paper", "y": 1,
                      "yanchor": "top", "showarrow": False, "font": {"color": theme.warn},
                      "text": i18n.t("deadline_median", lang).format(
                          h=f"{float(deadline_hours):g}")})
    return _figure(theme, title, traces, shapes, notes, barmode="stack", bargap=0,
                   xaxis=axis)


def _vocabulary_order(codes, vocabulary: dict) -> list[str]:
    """The vocabulary's codes in its order, then any other code found, sorted."""
    return [*vocabulary, *sorted(set(codes) - set(vocabulary))]


def category_source_matrix(frame: pd.DataFrame, *, theme: Theme, lang: str,
                           categories: Mapping[str, tuple[str, str]] | None = None,
                           channels: Mapping[str, tuple[str, str]] | None = None) -> go.Figure:
    """Return events per category (rows) and source (columns) from
    ``Queries.category_by_source`` (category, channel, n) as a heatmap with the counts
    written in: every category and source of the store's vocabulary (code -> (zh, en); the
    grid's by default), in its order, so the layout stays put as the filters change. No
    events: a placeholder."""
    category_names = catalog.EVENT_CATEGORIES if categories is None else categories
    channel_names = catalog.EVENT_SOURCES if channels is None else channels
    title = i18n.t("matrix", lang)
    if frame.empty or frame["n"].sum() == 0:
        return empty(theme, title, i18n.t("no_data", lang))
    en = 1 if lang == "en" else 0
    categories = _vocabulary_order(frame["category"], category_names)
    channels = _vocabulary_order(frame["channel"], channel_names)
    table = (frame.pivot_table(index="category", columns="channel", values="n",
                               aggfunc="sum", fill_value=0)
             .reindex(index=categories, columns=channels, fill_value=0))
    z = [[int(v) for v in row] for row in table.to_numpy()]
    trace = {"type": "heatmap", "z": z,
             "x": [channel_names.get(c, (c, c))[en] for c in channels],
             "y": [category_names.get(c, (c, c))[en] for c in categories],
             "text": [[i18n.number(v, lang, 0) for v in row] for row in z],
             "texttemplate": "%{text}", "customdata": [[f"{cat}|{ch}" for ch in channels]
                                                        for cat in categories],
             "colorscale": [list(stop) for stop in theme.colorscale], "showscale": False,
             "xgap": 2, "ygap": 2, "hovertemplate": "%{y} · %{x}: %{z:,}<extra></extra>"}
    return _figure(theme, title, [trace],
                   margin={"l": 150 if en else 96, "r": 16, "t": 44, "b": 64},
                   # long English source names turn and need more room than "b" gives
                   yaxis={"autorange": "reversed", "automargin": True},
                   xaxis={"side": "bottom", "automargin": True})
