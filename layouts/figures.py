"""Figure builders: pure functions from a DataFrame to a ``go.Figure``, one per chart kind.

They take a theme and a language and never query data; screens and exported reports share them.
Entity keys (district codes) ride in ``customdata`` so clicks can be read back without indices.

Each builder writes the figure as plotly's JSON structure and wraps it without validation:
plotly's object model costs ~10 ms a figure on every callback, the dict ~0.5 ms.
tests/test_figures.py rebuilds every builder's output with validation on, so a typo in a
property name still fails the suite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from data import catalog
from data.aqi import LEVELS
from data.catalog import Indicator
from layouts import i18n
from layouts.theme import (AQI_COLORS, NO_DATA_COLOR, STAGE_COLORS, WATER_COLORS, Theme,
                           template)

SELECT_DRAG = {"dragmode": "select", "selectdirection": "h"}
DAY_MS = 86_400_000   # one day on a date axis: bar widths must not depend on gaps
DATE_AXIS = {"type": "date", "tickformat": "%Y-%m"}


def _figure(theme: Theme, title: str, traces: list[dict], shapes: list[dict] | None = None,
            annotations: list[dict] | None = None, **layout) -> go.Figure:
    spec_layout = {"template": template(theme), "title": {"text": title}, **layout}
    if shapes:
        spec_layout["shapes"] = shapes
    if annotations:
        spec_layout["annotations"] = annotations
    return go.Figure({"data": traces, "layout": spec_layout}, _validate=False)


def _range_shape(theme: Theme, start: str | None, end: str | None) -> list[dict]:
    """Mark the filtered time range on a time axis (the charts keep showing all months)."""
    if not (start and end):
        return []
    return [{"type": "rect", "xref": "x", "yref": "paper", "x0": start, "x1": end, "y0": 0,
             "y1": 1, "fillcolor": theme.accent, "opacity": 0.12, "line": {"width": 0},
             "layer": "below"}]


def _target_line(theme: Theme, value: float, label: str, axis: str = "y") -> tuple[dict, dict]:
    """A dashed horizontal target line across the plot, with its label."""
    shape = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": axis, "y0": value,
             "y1": value, "line": {"color": theme.ok, "width": 2, "dash": "dash"}}
    note = {"xref": "paper", "x": 0, "xanchor": "left", "yref": axis, "y": value,
            "yanchor": "bottom", "text": label, "showarrow": False,
            "font": {"color": theme.ok}}
    return shape, note


def _dates(values) -> list[str]:
    return pd.to_datetime(pd.Series(values)).dt.strftime("%Y-%m-%d").tolist()


def _numbers(values) -> list:
    return [None if pd.isna(v) else float(v) for v in values]


def indicator_title(ind: Indicator, lang: str) -> str:
    """Return '<name>（unit）' in the language, the units-in-title rule of every chart."""
    name = ind.name_en if lang == "en" else ind.name_zh
    unit = i18n.unit(ind, lang)
    return f"{name} ({unit})" if lang == "en" and unit else (f"{name}（{unit}）" if unit else name)


# --- map -----------------------------------------------------------------------------------

def _chosen(selected) -> set:
    """The codes to outline: one code, several (a lasso), or none."""
    if selected is None:
        return set()
    return {selected} if isinstance(selected, str) else set(selected)


def choropleth_arrays(frame: pd.DataFrame, ind: Indicator, lang: str, theme: Theme,
                      selected) -> dict:
    """Return the per-district arrays of the district map, the part a filter change resends.

    ``frame`` has area_code, name_zh, name_en, value, yoy, headline. Areas without a value
    are left out (the grey base layer shows them): a trace whose every value is missing breaks
    MapLibre's paint.
    """
    frame = frame[frame["headline"].notna()]
    hover = []
    for row in frame.itertuples():
        name = row.name_en if lang == "en" else row.name_zh
        parts = [f"<b>{name}</b>", i18n.quantity(row.value, ind, lang)]
        if not pd.isna(row.yoy):
            parts.append(f"{i18n.t('yoy', lang)} {i18n.change(row.yoy, ind, lang)}")
        hover.append("<br>".join(parts))
    codes = frame["area_code"].tolist()
    chosen = _chosen(selected)
    return {
        "locations": codes,
        "customdata": codes,
        "z": [round(float(v), 3) for v in frame["headline"]],
        "text": hover,
        "line_width": [4.0 if c in chosen else 0.8 for c in codes],
        "line_color": [theme.accent if c in chosen else theme.map_line for c in codes],
    }


def choropleth_base_arrays(frame: pd.DataFrame, lang: str) -> dict:
    """Return the grey base layer's arrays: every area, named, with its code to click."""
    codes = frame["area_code"].tolist()
    names = frame["name_en" if lang == "en" else "name_zh"]
    return {"locations": codes, "customdata": codes, "z": [0] * len(codes),
            "text": [f"<b>{n}</b><br>{i18n.t('no_data', lang)}" for n in names]}


def colorbar_title(ind: Indicator, lang: str) -> str:
    """The map legend's title: the unit the colours are in."""
    return f"{i18n.t('yoy', lang)} %" if ind.is_growth else i18n.unit(ind, lang)


def choropleth(frame: pd.DataFrame, ind: Indicator, *, geojson_url: str, style_url: str,
               center: dict, zoom: float, theme: Theme, lang: str, selected: str | None,
               size: tuple[int, int], title: str | None = None, view_key: str = "city",
               layers: list[dict] | None = None) -> go.Figure:
    """Return a choropleth of one indicator over districts, townships or grid cells, on an
    offline MapLibre map, ``size`` (width, height) pixels of the canvas. ``view_key`` names the
    area shown: the map keeps the user's pan and zoom while it stays the same, and refits when
    it changes.

    Geometry is not in the figure: the browser fetches ``geojson_url`` once and caches it.
    The map style is a URL too (``routes.py``): an inline style object makes MapLibre reset
    the style on every update, which fails ("Map error") once a Patch recolours the map.
    """
    arrays = choropleth_arrays(frame, ind, lang, theme, selected)
    base = {   # every area in grey: "no data" still shows its outline and can be clicked
        "type": "choroplethmap", "geojson": geojson_url, "featureidkey": "id",
        **choropleth_base_arrays(frame, lang), "showscale": False,
        "hovertemplate": "%{text}<extra></extra>",
        "colorscale": [[0, theme.grid], [1, theme.grid]],
        "marker": {"opacity": 0.6, "line": {"width": 0.8, "color": theme.map_line}}}
    values = {
        "type": "choroplethmap", "geojson": geojson_url, "featureidkey": "id",
        "locations": arrays["locations"], "z": arrays["z"], "customdata": arrays["customdata"],
        "text": arrays["text"], "hovertemplate": "%{text}<extra></extra>",
        "colorscale": [list(stop) for stop in theme.colorscale],
        "reversescale": ind.better == "lower",
        "marker": {"opacity": 0.85, "line": {"width": arrays["line_width"],
                                             "color": arrays["line_color"]}},
        "colorbar": {"title": {"text": colorbar_title(ind, lang), "side": "right"},
                     "thickness": 12, "len": 0.7, "tickfont": {"color": theme.muted}}}
    return _figure(theme, title or indicator_title(ind, lang), [base, values, *(layers or [])],
                   margin={"l": 0, "r": 0, "t": 44, "b": 0}, uirevision=f"map-{view_key}",
                   width=size[0], height=size[1], autosize=False,
                   map={"style": style_url, "center": center, "zoom": zoom},
                   clickmode="event")   # a click drills down; box and lasso pick


#: The map's traces, in drawing order, so a Patch can address each: the grey base (every area,
#: clickable), the values, then the optional layers (points over the density).
MAP_BASE_TRACE = 0
MAP_DATA_TRACE = 1
MAP_LAYER_TRACES = {"events": 2, "water": 3, "stations": 4}


_EMPTY_LAYER = pd.DataFrame(columns=["code", "name_zh", "name_en", "lon", "lat", "n", "class",
                                     "aqi", "level"])


def map_layers(*, stations: pd.DataFrame | None, sections: pd.DataFrame | None,
               density: pd.DataFrame | None, theme: Theme, lang: str) -> list[dict]:
    """Return the map's optional layers, in MAP_LAYER_TRACES order: an event density, water
    sections coloured by class, air stations coloured by AQI level. A layer given as None is
    hidden and sent empty, so toggling costs nothing and the trace indices never move."""
    en = lang == "en"
    shown = {name for name, frame in (("events", density), ("water", sections),
                                      ("stations", stations)) if frame is not None}
    density = _EMPTY_LAYER if density is None else density
    sections = _EMPTY_LAYER if sections is None else sections
    stations = _EMPTY_LAYER if stations is None else stations
    water_text = [
        f"<b>{name}</b><br>" + (catalog.WATER_CLASSES[int(cls)][1 if en else 0]
                                if not pd.isna(cls) else i18n.t("no_data", lang))
        for name, cls in zip(sections["name_en" if en else "name_zh"], sections["class"])]
    station_text = [
        f"<b>{r.name_en if en else r.name_zh}</b><br>AQI {r.aqi:.0f} · "
        f"{LEVELS[r.level][3 if en else 2]}" if r.level >= 0 else
        f"<b>{r.name_en if en else r.name_zh}</b><br>{i18n.t('no_data', lang)}"
        for r in stations.itertuples()]
    return [
        {"type": "densitymap", "lon": _numbers(density["lon"]), "lat": _numbers(density["lat"]),
         "z": _numbers(density["n"]), "radius": 22, "opacity": 0.75, "showscale": False,
         "hoverinfo": "skip", "visible": "events" in shown, "name": i18n.t("layer_events", lang),
         "showlegend": False,
         "colorscale": [[0, "rgba(255,176,32,0)"], [0.3, "#ffb020"], [1, "#ff4d5e"]]},
        {"type": "scattermap", "mode": "markers", "lon": _numbers(sections["lon"]),
         "lat": _numbers(sections["lat"]), "text": water_text, "visible": "water" in shown,
         "hovertemplate": "%{text}<extra></extra>", "name": i18n.t("layer_water", lang),
         "showlegend": False,
         "marker": {"size": 13, "color": [WATER_COLORS[int(c) - 1] if not pd.isna(c) else
                                          NO_DATA_COLOR for c in sections["class"]]}},
        {"type": "scattermap", "mode": "markers", "lon": _numbers(stations["lon"]),
         "lat": _numbers(stations["lat"]), "text": station_text,
         "visible": "stations" in shown, "hovertemplate": "%{text}<extra></extra>",
         "name": i18n.t("layer_stations", lang), "showlegend": False,
         "marker": {"size": 16, "color": [AQI_COLORS[lv] if lv >= 0 else NO_DATA_COLOR
                                          for lv in stations["level"]]}},
    ]


# --- time series ---------------------------------------------------------------------------

def trend(frame: pd.DataFrame, ind: Indicator, *, theme: Theme, lang: str,
          start: str | None, end: str | None) -> go.Figure:
    """Return an indicator's monthly trend: level bars, YoY line, target line, range shaded."""
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
    if ind.target is not None:
        suffix = "%" if yoy_basis or ind.unit_zh == "%" else ""
        line, note = _target_line(theme, ind.target, f"{i18n.t('target', lang)} "
                                  f"{ind.target:g}{suffix}", "y2" if yoy_basis else "y")
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

def events_by_category(frame: pd.DataFrame, *, theme: Theme, lang: str) -> go.Figure:
    """Return events per category as horizontal bars, with each category's closure rate."""
    names = [catalog.EVENT_CATEGORIES[c][1 if lang == "en" else 0] for c in frame["category"]]
    rate = np.where(frame["n"] > 0, 100.0 * frame["n_closed"] / frame["n"].clip(lower=1), np.nan)
    label = [f"{i18n.number(n, lang, 0)} · {i18n.t('closure', lang)} {r:.1f}%"
             for n, r in zip(frame["n"], rate)]
    trace = {"type": "bar", "orientation": "h", "y": names, "x": _numbers(frame["n"]),
             "text": label, "customdata": frame["category"].tolist(),
             "marker": {"color": theme.accent}, "textfont": {"color": theme.text},
             "hovertemplate": "%{y}: %{x:,}<extra></extra>", "textposition": "outside",
             "cliponaxis": False}
    top = float(frame["n"].max()) if len(frame) else 1.0
    return _figure(theme, i18n.t("events_category", lang), [trace],
                   margin={"l": 150 if lang == "en" else 96, "r": 16, "t": 44, "b": 24},
                   yaxis={"autorange": "reversed"}, xaxis={"range": [0, top * 1.6]})


def ranking(frame: pd.DataFrame, ind: Indicator, *, theme: Theme, lang: str,
            selected: str | None) -> go.Figure:
    """Return districts ranked by the indicator's headline, best first, coloured by target."""
    sign = -1 if ind.better == "higher" else 1
    data = frame.assign(_key=frame["headline"] * sign).sort_values("_key", na_position="last")
    names = [r.name_en if lang == "en" else r.name_zh for r in data.itertuples()]
    status = [catalog.breach(ind, None if pd.isna(v) else v) for v in data["headline"]]
    colors = [theme.status_colors[s] if s != "none" else theme.accent for s in status]
    yoy_basis = ind.is_growth
    text = [i18n.change(v, ind, lang) if yoy_basis else i18n.quantity(v, ind, lang)
            for v in data["headline"]]
    trace = {"type": "bar", "orientation": "h", "y": names, "x": _numbers(data["headline"]),
             "customdata": data["district_code"].tolist(), "text": text,
             "textposition": "auto", "textfont": {"color": "#0a1730"},
             "hovertemplate": "%{y}: %{text}<extra></extra>",
             "marker": {"color": colors, "line": {
                 "width": [3 if c in _chosen(selected) else 0 for c in data["district_code"]],
                 "color": theme.text}}}
    shapes = []
    if ind.target is not None:
        shapes.append({"type": "line", "yref": "paper", "y0": 0, "y1": 1, "xref": "x",
                       "x0": ind.target, "x1": ind.target,
                       "line": {"color": theme.ok, "width": 2, "dash": "dash"}})
    return _figure(theme, f"{i18n.t('ranking', lang)} · {indicator_title(ind, lang)}", [trace],
                   shapes, margin={"l": 96, "r": 16, "t": 44, "b": 24}, uirevision="ranking",
                   bargap=0.18, yaxis={"autorange": "reversed"},
                   xaxis={"ticksuffix": "%"} if yoy_basis else {},
                   uniformtext={"minsize": 12, "mode": "show"})


def empty(theme: Theme, title: str, message: str) -> go.Figure:
    """Return a placeholder figure that says why there is nothing to show."""
    note = {"text": message, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5,
            "y": 0.5, "font": {"size": theme.title_size, "color": theme.muted}}
    return _figure(theme, title, [], annotations=[note], xaxis={"visible": False},
                   yaxis={"visible": False})


def as_of_label(last, frequency: str) -> str:
    """Return an as-of label: a month for monthly statistics, a day for daily feeds."""
    if last is None or pd.isna(last):
        return "—"
    ts = pd.Timestamp(last)
    if frequency in ("monthly", "quarterly"):
        return ts.strftime("%Y-%m")
    return ts.strftime("%Y-%m-%d")
