"""Time series and bars of the overview: an indicator's trend, daily AQI, events by status
and category, the districts' ranking and indicators against their targets."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import i18n
from data import catalog
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
            notes.append({"xref": "x", "x": x0.strftime("%Y-%m-%d"), "xanchor": "left",
                          "yref": axis, "y": value, "yanchor": "bottom", "showarrow": False,
                          "text": f"{year} {i18n.t('target', lang)} {value:g}{suffix}",
                          "font": {"color": theme.ok}})
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
            selected: str | None) -> go.Figure:
    """Return districts ranked by the indicator's headline, best first, coloured by target.

    With the target, alert and status columns of ``Queries.indicator_by_district``, each
    district is held to its own target for the year (a district with one of its own gets a
    mark at it) and the line is the city's; without them, to ``ind``'s."""
    sign = -1 if ind.better == "higher" else 1
    data = frame.assign(_key=frame["headline"] * sign).sort_values("_key", na_position="last")
    names = [r.name_en if lang == "en" else r.name_zh for r in data.itertuples()]
    if "status" in data:
        status = data["status"].tolist()
    else:
        status = [catalog.breach(ind, None if pd.isna(v) else v) for v in data["headline"]]
    colors = [theme.status_colors[s] if s != "none" else theme.accent for s in status]
    yoy_basis = ind.is_growth
    text = [i18n.change(v, ind, lang) if yoy_basis else i18n.quantity(v, ind, lang)
            for v in data["headline"]]
    trace = {"type": "bar", "orientation": "h", "y": names, "x": _numbers(data["headline"]),
             "customdata": data["district_code"].tolist(), "text": text,
             # the value at the bar's start, away from the target marks near its end
             "textposition": "auto", "insidetextanchor": "start",
             "textfont": {"color": "#0a1730"},
             "hovertemplate": "%{y}: %{text}<extra></extra>",
             "marker": {"color": colors, "line": {
                 "width": [3 if c in _chosen(selected) else 0 for c in data["district_code"]],
                 "color": theme.text}}}
    traces: list[dict] = [trace]
    city_target = ind.target
    if "target" in data and "own_target" in data:
        shared = data.loc[~data["own_target"].astype(bool), "target"].dropna()
        city_target = float(shared.iloc[0]) if len(shared) else None
        own = data[data["own_target"].astype(bool) & data["target"].notna()]
        if len(own):
            label = i18n.t("own_target", lang)
            traces.append({
                "type": "scatter", "mode": "markers", "name": label,
                "y": [r.name_en if lang == "en" else r.name_zh for r in own.itertuples()],
                "x": _numbers(own["target"]), "showlegend": False,
                # the target as the bars write their values (8.0%, +6.5%), not 8.00000
                "text": [i18n.change(v, ind, lang) if yoy_basis else i18n.quantity(v, ind, lang)
                         for v in own["target"]],
                "marker": {"symbol": "line-ns", "size": 18,
                           "line": {"width": 3, "color": theme.text}},
                "hovertemplate": f"%{{y}} {label} %{{text}}<extra></extra>"})
    shapes = []
    if city_target is not None:
        # under the bars: it shows between them and past the shorter ones, and never
        # crosses a value written on a bar (98.5% read as 93.5%)
        shapes.append({"type": "line", "yref": "paper", "y0": 0, "y1": 1, "xref": "x",
                       "x0": city_target, "x1": city_target, "layer": "below",
                       "line": {"color": theme.ok, "width": 2, "dash": "dash"}})
    return _figure(theme, f"{i18n.t('ranking', lang)} · {headline_title(ind, lang)}", traces,
                   shapes, margin={"l": 96, "r": 16, "t": 44, "b": 24}, uirevision="ranking",
                   showlegend=False,
                   bargap=0.18, yaxis={"autorange": "reversed"},
                   xaxis={"ticksuffix": "%"} if yoy_basis else {},
                   uniformtext={"minsize": max(12, theme.font_size - 6), "mode": "show"})


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
