"""Time series and bars of the overview: an indicator's trend, daily AQI, events by status
and category, the districts' ranking and indicators against their targets."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import i18n
from data import alerts, catalog
from data.aqi import LEVELS
from data.catalog import Indicator
from layouts.figures.base import (
    DATE_AXIS,
    DAY_MS,
    SELECT_DRAG,
    _chosen,
    _dates,
    _figure,
    _numbers,
    _range_shape,
    _target_line,
    headline_title,
    indicator_title,
    target_label,
)
from layouts.theme import AQI_COLORS, STAGE_COLORS, Theme

#: A year's target line shorter than this (the first or last month or two of the window) is
#: drawn without its label, which would otherwise sit on the next year's.
TARGET_LABEL_MIN_DAYS = 80


def trend(frame: pd.DataFrame, ind: Indicator, *, theme: Theme, lang: str,
          start: str | None, end: str | None,
          targets: list[tuple[int, float | None]] | None = None) -> go.Figure:
    """Return an indicator's monthly trend: level bars, YoY line, target line, range shaded.

    ``targets``: (year, target) of each year shown, when the targets differ by year (a plan's
    steps): the line then steps at each new year. Without it, ``ind.target`` throughout."""
    yoy_basis = ind.is_growth
    show = frame.dropna(subset=["value"])
    if yoy_basis:
        show = show[show["yoy"].notna()]
    x = _dates(show["period"])
    traces = [{"type": "bar", "x": x, "y": _numbers(show["value"] * i18n.unit_factor(ind, lang)),
               "name": i18n.unit(ind, lang) or i18n.t("value", lang),
               "marker": {"color": theme.accent}, "opacity": 0.55,
               "hovertemplate": "%{x|%Y-%m}: %{y:,.1f}<extra></extra>"}]
    layout = {"xaxis": DATE_AXIS, "bargap": 0.25}
    if yoy_basis:
        traces.append({"type": "scatter", "x": x, "y": _numbers(show["yoy"]), "yaxis": "y2",
                       "mode": "lines+markers", "name": f"{i18n.t('yoy', lang)} %",
                       "line": {"color": "#ffd166", "width": 3},
                       "hovertemplate": "%{x|%Y-%m}: %{y:+.1f}%<extra></extra>"})
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "ticksuffix": "%",
                            "showgrid": False, "tickfont": {"color": "#ffd166"}}
        layout["margin"] = {"l": 56, "r": 48, "t": 72, "b": 36}
    shapes, notes = _range_shape(theme, start, end), []
    suffix = "%" if yoy_basis or ind.unit_zh == "%" else ""
    axis = "y2" if yoy_basis else "y"
    steps = [(year, value) for year, value in (targets or []) if value is not None]
    if len({value for _, value in steps}) > 1 and len(x):
        # a line per year of the plan, each labelled where it starts
        first, last = pd.Timestamp(x[0]), pd.Timestamp(x[-1]) + pd.offsets.MonthEnd(0)
        for year, value in steps:
            x0 = max(pd.Timestamp(year=year, month=1, day=1), first)
            x1 = min(pd.Timestamp(year=year, month=12, day=31), last)
            if x0 > x1:
                continue
            shapes.append({"type": "line", "xref": "x", "x0": x0.strftime("%Y-%m-%d"),
                           "x1": x1.strftime("%Y-%m-%d"), "yref": axis, "y0": value,
                           "y1": value, "line": {"color": theme.ok, "width": 2, "dash": "dash"}})
            if (x1 - x0).days < TARGET_LABEL_MIN_DAYS:
                continue    # a month or two of a year: its label would sit on the next one's
            notes.append(target_label(theme, f"{year} {i18n.t('target', lang)} "
                                      f"{value:g}{suffix}", "x", x0.strftime("%Y-%m-%d"),
                                      axis, value))
    else:
        value = steps[-1][1] if steps else ind.target
        if value is not None:
            line, note = _target_line(theme, value, f"{i18n.t('target', lang)} "
                                      f"{value:g}{suffix}", axis)
            shapes.append(line)
            notes.append(note)
    return _figure(theme, indicator_title(ind, lang), traces, shapes, notes,
                   uirevision="trend", **SELECT_DRAG, **layout)


def aqi_daily(frame: pd.DataFrame, *, theme: Theme, lang: str, start: str | None,
              end: str | None) -> go.Figure:
    """Return daily AQI bars coloured by their official level (HJ 633-2012)."""
    traces = []
    for level, (_, _, zh, en, _) in enumerate(LEVELS):
        part = frame[frame["level"] == level]
        if part.empty:
            continue
        traces.append({"type": "bar", "x": _dates(part["day"]), "y": _numbers(part["aqi"]),
                       "name": en if lang == "en" else zh, "width": DAY_MS,
                       "marker": {"color": AQI_COLORS[level], "line": {"width": 0}},
                       "hovertemplate": "%{x|%Y-%m-%d}: AQI %{y:.0f}<extra></extra>"})
    good = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": 100,
            "y1": 100, "line": {"color": theme.muted, "width": 1, "dash": "dot"}}
    return _figure(theme, i18n.t("air", lang), traces, [good, *_range_shape(theme, start, end)],
                   uirevision="air", bargap=0, barmode="overlay", xaxis=DATE_AXIS, **SELECT_DRAG)


def events_by_status(frame: pd.DataFrame, *, theme: Theme, lang: str, start: str | None,
                     end: str | None) -> go.Figure:
    """Return events reported per month, stacked by current life-cycle stage."""
    traces = []
    for stage, (zh, en) in catalog.EVENT_STAGES.items():
        part = frame[frame["status"] == stage]
        if part.empty:
            continue
        name = en if lang == "en" else zh
        traces.append({"type": "bar", "x": _dates(part["period"]), "y": _numbers(part["n"]),
                       "name": name, "marker": {"color": STAGE_COLORS[stage]},
                       "hovertemplate": f"%{{x|%Y-%m}}: %{{y:,}}<extra>{name}</extra>"})
    return _figure(theme, i18n.t("events_status", lang), traces,
                   _range_shape(theme, start, end), uirevision="events", barmode="stack",
                   bargap=0.2, xaxis=DATE_AXIS, **SELECT_DRAG)


# --- bars ----------------------------------------------------------------------------------

def events_by_category(frame: pd.DataFrame, *, theme: Theme, lang: str,
                       names: Mapping[str, tuple[str, str]] | None = None,
                       parent: tuple[str, str] | None = None) -> go.Figure:
    """Return events per category as horizontal bars, with each category's closure rate.

    ``frame`` has category (or subcategory, the drill's second level), n and n_closed;
    ``names`` are the store's vocabulary (code -> (zh, en)), the grid's categories by
    default. ``parent``: the names of the 大类 whose 小类 these are (the drill), put in the
    title; a bar's customdata is its code either way."""
    names = catalog.EVENT_CATEGORIES if names is None else names
    en = 1 if lang == "en" else 0
    column = "subcategory" if "subcategory" in frame.columns else "category"
    codes = [c if isinstance(c, str) else None for c in frame[column]]
    labels = [names.get(c, (c, c))[en] if c is not None else i18n.t("no_subcategory", lang)
              for c in codes]
    rate = np.where(frame["n"] > 0, 100.0 * frame["n_closed"] / frame["n"].clip(lower=1), np.nan)
    label = [f"{i18n.number(n, lang, 0)} · {i18n.t('closure', lang)} {r:.1f}%"
             for n, r in zip(frame["n"], rate)]
    trace = {"type": "bar", "orientation": "h", "y": labels, "x": _numbers(frame["n"]),
             "text": label, "customdata": [c or "" for c in codes],
             "marker": {"color": theme.accent}, "textfont": {"color": theme.text},
             "hovertemplate": "%{y}: %{x:,}<extra></extra>", "textposition": "outside",
             "cliponaxis": False}
    top = float(frame["n"].max()) if len(frame) else 1.0
    title = i18n.t("events_category", lang)
    if parent is not None:
        title = i18n.t("events_subcategory", lang).format(name=parent[en])
    # a city's own names may be longer than the grid's categories: the margin follows them
    widest = max((len(name) for name in labels), default=0) * (8 if en else 14)
    return _figure(theme, title, [trace],
                   margin={"l": min(260, max(150 if en else 96, widest)), "r": 16, "t": 44,
                           "b": 24},
                   yaxis={"autorange": "reversed"}, xaxis={"range": [0, top * 1.6]})


def ranking(frame: pd.DataFrame, ind: Indicator, *, theme: Theme, lang: str,
            selected: str | tuple[str, ...] | None, level: str = "districts",
            note: str | None = None) -> go.Figure:
    """Return areas ranked by the indicator's headline, best first, coloured by target.

    ``frame``: one row per area, its code in area_code (or district_code), name_zh, name_en,
    headline. With the target, alert and status columns of ``Queries.indicator_by_district``
    each area is held to its own target for the year (a district with one of its own gets a
    mark at it, own_target) and the line is the shared one; without them, to ``ind``'s.
    With an events column (what the value rests on), the count is written beside the value
    (86.2%（214件）) and a value resting on few (``alerts.rests_on_few``, the rule that keeps
    it from raising an alert) is drawn pale: one event closed late reads 0.0%. An area
    without a value gets an empty outlined bar saying 暂无数据, never a bar at 0. ``level``
    (``state.LEVELS``) names the areas in the title; ``note``, a line under it (the
    indicator does not drill, the areas left out)."""
    key = "area_code" if "area_code" in frame else "district_code"
    sign = -1 if ind.better == "higher" else 1
    ranked = frame.assign(_key=frame["headline"] * sign).sort_values("_key",
                                                                     na_position="last")
    names = [r.name_en if lang == "en" else r.name_zh for r in ranked.itertuples()]
    codes = ranked[key].tolist()          # every area's row, those without a value last
    data, missing = ranked[ranked["headline"].notna()], ranked[ranked["headline"].isna()]
    if "status" in data:
        status = data["status"].tolist()
    else:
        status = [catalog.breach(ind, v) for v in data["headline"]]
    colors = [theme.status_colors[s] if s != "none" else theme.accent for s in status]
    yoy_basis = ind.is_growth
    counts = data["events"].tolist() if "events" in data else [None] * len(data)
    few = [alerts.rests_on_few(n) for n in counts]
    text = []
    for v, n in zip(data["headline"], counts):
        shown = i18n.change(v, ind, lang) if yoy_basis else i18n.quantity(v, ind, lang)
        text.append(shown if n is None or pd.isna(n) else
                    i18n.t("with_count", lang).format(value=shown, n=i18n.number(n, lang, 0)))
    chosen, valued = _chosen(selected), data[key].tolist()
    longest = max([abs(v) for v in _numbers(data["headline"])] + [0.0]) or 1.0
    # one row per code, named by its tick (grid cells of two townships may share a name)
    trace = {"type": "bar", "orientation": "h", "y": valued, "x": _numbers(data["headline"]),
             "customdata": valued, "text": text, "hovertext": names[:len(valued)],
             # the value at the bar's start, away from the target marks near its end; past
             # the end of a short bar (plotly writes nothing on a bar at 0: the 0.0% of one
             # event would be a blank row)
             "textposition": ["inside" if abs(v) >= SHORT_BAR * longest else "outside"
                              for v in data["headline"]],
             "insidetextanchor": "start", "cliponaxis": False,
             # dark on a bright bar; a pale bar (few events) shows the panel through it
             "insidetextfont": {"color": [theme.text if f else "#0a1730" for f in few]},
             "outsidetextfont": {"color": theme.text},
             "hovertemplate": "%{hovertext}: %{text}<extra></extra>",
             "marker": {"color": colors, "opacity": [0.35 if f else 1.0 for f in few],
                        "line": {"width": [3 if c in chosen else 0 for c in valued],
                                 "color": theme.text}}}
    traces: list[dict] = [trace]
    if len(missing):
        # an empty outline the length of the axis, the words inside: no data, not 0
        span = max([longest] + [v for v in _numbers(ranked.get("target",
                                                                pd.Series(dtype=float)))
                                if v is not None])
        traces.append({"type": "bar", "orientation": "h", "showlegend": False,
                       "y": missing[key].tolist(), "hovertext": names[len(valued):],
                       "x": [span] * len(missing), "customdata": missing[key].tolist(),
                       "text": [i18n.t("no_data", lang)] * len(missing),
                       "textposition": "inside", "insidetextanchor": "start",
                       "insidetextfont": {"color": theme.muted},
                       "hovertemplate": "%{hovertext}: %{text}<extra></extra>",
                       "marker": {"color": "rgba(0,0,0,0)", "line": {
                           "color": theme.muted, "width": [
                               3 if c in chosen else 1 for c in missing[key]]}}})
    city_target = ind.target
    if "target" in ranked and "own_target" in ranked:
        shared = ranked.loc[~ranked["own_target"].astype(bool), "target"].dropna()
        city_target = float(shared.iloc[0]) if len(shared) else None
        own = ranked[ranked["own_target"].astype(bool) & ranked["target"].notna()]
        if len(own):
            label = i18n.t("own_target", lang)
            traces.append({
                "type": "scatter", "mode": "markers", "name": label,
                "y": own[key].tolist(),
                "hovertext": [r.name_en if lang == "en" else r.name_zh
                              for r in own.itertuples()],
                "x": _numbers(own["target"]), "showlegend": False,
                # the target as the bars write their values (8.0%, +6.5%), not 8.00000
                "text": [i18n.change(v, ind, lang) if yoy_basis else i18n.quantity(v, ind, lang)
                         for v in own["target"]],
                "marker": {"symbol": "line-ns", "size": 18,
                           "line": {"width": 3, "color": theme.text}},
                "hovertemplate": f"%{{hovertext}} {label} %{{text}}<extra></extra>"})
    elif "target" in ranked:    # areas below a district: held to the district's one target
        held = ranked["target"].dropna()
        city_target = float(held.iloc[0]) if len(held) else None
    shapes = []
    if city_target is not None:
        # under the bars: it shows between them and past the shorter ones, and never
        # crosses a value written on a bar (98.5% read as 93.5%)
        shapes.append({"type": "line", "yref": "paper", "y0": 0, "y1": 1, "xref": "x",
                       "x0": city_target, "x1": city_target, "layer": "below",
                       "line": {"color": theme.ok, "width": 2, "dash": "dash"}})
    lines = [note] if note else []
    if any(few):
        lines.append(i18n.t("ranking_few", lang).format(n=alerts.MIN_ALERT_EVENTS))
    # the areas' names set the margin (a township's are longer than a district's)
    widest = max((len(name) for name in names), default=0) * (8 if lang == "en" else 14)
    figure = _figure(theme, f"{i18n.t(RANKING_TITLES[level], lang)} · "
                     f"{headline_title(ind, lang)}", traces, shapes,
                     margin={"l": min(200, max(96, widest)), "r": 16,
                             "t": 64 if lines else 44, "b": 24},
                     uirevision="ranking", showlegend=False, barmode="overlay",
                     bargap=0.18,
                     # every row named: plotly would drop every other name when they crowd
                     yaxis={"autorange": "reversed", "type": "category", "tickmode": "array",
                            "tickvals": codes, "ticktext": names},
                     xaxis={**({"ticksuffix": "%"} if yoy_basis else {}),
                            **_room_left_of_negative_bars(data["headline"], city_target,
                                                          longest)},
                     uniformtext={"minsize": max(12, theme.font_size - 6), "mode": "show"})
    if lines:
        figure.layout.title.subtitle = {
            "text": ("；" if lang == "zh" else "; ").join(lines),
            "font": {"color": theme.muted, "size": max(11, theme.font_size - 3)}}
    return figure


#: A ranking bar shorter than this share of the longest has its value written past its end.
SHORT_BAR = 0.3


def _room_left_of_negative_bars(values: pd.Series, target: float | None,
                                longest: float) -> dict:
    """The ranking's value range when some values are negative (a fall in growth): room
    left of the shortest for the value written past its end, which would otherwise sit on
    the areas' names. Plotly's own range otherwise."""
    low = min(values.min(), 0.0) if len(values) else 0.0
    if low >= 0:
        return {}
    high = max([values.max(), 0.0] + ([target] if target is not None else []))
    return {"range": [low - SHORT_BAR * longest, high + 0.05 * longest]}
#: The ranking's title per map level (``state.LEVELS``).
RANKING_TITLES = {"districts": "ranking", "townships": "ranking_townships",
                  "grid_cells": "ranking_grid_cells"}


def targets(frame: pd.DataFrame, inds: list[Indicator], *, theme: Theme, lang: str,
            title: str) -> go.Figure:
    """Return indicators against their targets (the wall's government services): one bar per
    indicator (``frame``: code, headline, target, status, as ``Queries.kpis`` gives them;
    percentages; ``inds``: the indicator of each row) coloured by status, the target as a mark
    on it, the value written at its end."""
    names = [ind.name_en if lang == "en" else ind.name_zh for ind in inds]
    values = _numbers(frame["headline"])
    colors = [theme.status_colors.get(s, theme.accent) for s in frame["status"]]
    bars = {"type": "bar", "orientation": "h", "y": names, "x": values,
            "marker": {"color": colors}, "text": [i18n.quantity(v, ind, lang)
                                                  for v, ind in zip(values, inds)],
            "textposition": "outside", "cliponaxis": False, "textfont": {"color": theme.text},
            "hovertemplate": "%{y}: %{text}<extra></extra>"}
    marks = {"type": "scatter", "mode": "markers", "y": names,
             "x": (_numbers(frame["target"]) if "target" in frame
                   else [ind.target for ind in inds]), "name": i18n.t("target", lang),
             "marker": {"symbol": "line-ns", "size": 34, "line": {"width": 4,
                                                                   "color": theme.text}},
             "hovertemplate": f"%{{y}} {i18n.t('target', lang)} %{{x}}<extra></extra>"}
    return _figure(theme, title, [bars, marks], showlegend=False, bargap=0.3,
                   margin={"l": 360 if lang == "en" else 250, "r": 90, "t": 56, "b": 36},
                   yaxis={"autorange": "reversed"},
                   xaxis={"range": [0, 110], "ticksuffix": "%"})
