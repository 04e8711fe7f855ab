"""Figure builders: pure functions from a DataFrame to a ``go.Figure``, one per chart kind.

They take a theme and a language and never query data; screens and exported reports share them.
Entity keys (district codes) ride in ``customdata`` so clicks can be read back without indices.

Each builder writes the figure as plotly's JSON structure and wraps it without validation:
plotly's object model costs ~10 ms a figure on every callback, the dict ~0.5 ms.
tests/test_figures.py rebuilds every builder's output with validation on, so a typo in a
property name still fails the suite.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import i18n
from data import catalog
from data.aqi import BREAKPOINTS, LEVELS
from data.catalog import Indicator
from data.queries import POLLUTANTS
from data.store import HANDLING_BUCKET_HOURS, HANDLING_LAST_BUCKET
from geo.geojson import name_property
from layouts.theme import AQI_COLORS, NO_DATA_COLOR, STAGE_COLORS, WATER_COLORS, Theme, template

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


#: Where the colour scale's values begin: below it lies the "no value" grey band, too thin to
#: show on the colour bar.
_NO_VALUE_BAND = 0.001
#: Beyond this many areas (the city's 9,559 grid cells) only chosen ones are outlined: a few
#: pixels each, their outlines hid the colours, and drawing them took half of every frame.
OUTLINED_AREAS_MAX = 2000
#: Pixels right of the map for its colour bar, ticks and unit.
MAP_COLORBAR_ROOM = 100


def choropleth_arrays(frame: pd.DataFrame, ind: Indicator, lang: str, theme: Theme,
                      selected) -> dict:
    """Return the map trace's arrays, the part a filter change resends.

    ``frame`` has area_code, value, yoy, headline, one row per area of the level. Every area
    is in the trace, always in the same order: the browser then recolours a level's shapes
    without sending them to MapLibre again (assets/map_recolour.js). An area without a value
    is grey: its z lies at the bottom of the scale, in a grey band below the values' colours.
    The hover names come from the GeoJSON's properties (``hover_template``), so the 9,559
    grid cells' names are not resent with every filter change; the outline is one width and
    colour unless areas are selected (none beyond OUTLINED_AREAS_MAX areas).
    """
    quantity = functools.lru_cache(maxsize=None)(lambda v: i18n.quantity(v, ind, lang))
    change = functools.lru_cache(maxsize=None)(lambda v: i18n.change(v, ind, lang))
    yoy = i18n.t("yoy", lang)
    no_value = i18n.t("no_data", lang)
    has_value = frame["headline"].notna().tolist()
    # grid cells repeat the same few hundred values: each is formatted once
    text = [no_value if not ok else quantity(v) if y != y
            else f"{quantity(v)}<br>{yoy} {change(y)}"
            for ok, v, y in zip(has_value, frame["value"].tolist(), frame["yoy"].tolist())]
    codes = frame["area_code"].tolist()
    chosen = _chosen(selected)
    values = frame["headline"].astype(float)
    known = values.dropna()
    # the colours span the 2nd to 98th percentile: a few tiny grid cells with a handful of
    # residents would otherwise stretch the scale and leave every other cell one colour
    low, high = (known.quantile([0.02, 0.98]).tolist() if len(known) >= 50
                 else (known.min(), known.max()) if len(known) else (0.0, 1.0))
    high = max(high, low + 0.01)    # one value everywhere: the scale's first colour
    floor = low - (high - low) * _NO_VALUE_BAND / (1 - _NO_VALUE_BAND)
    # hover shows the text, so a value beyond the scale can be clipped to its end colour
    z = values.clip(low, high).fillna(floor)
    outlined = chosen & set(codes)
    outline = 0.8 if len(codes) <= OUTLINED_AREAS_MAX else 0.0
    return {
        "locations": codes,
        "z": [round(float(v), 6) for v in z],
        "zmin": round(float(floor), 6), "zmax": round(float(high), 6),
        "colorscale": _scale_with_no_value(theme, reverse=ind.better == "lower"),
        "text": text,
        "line_width": [4.0 if c in chosen else outline for c in codes] if outlined else outline,
        "line_color": [theme.accent if c in chosen else theme.map_line for c in codes]
        if outlined else theme.map_line,
    }


def _scale_with_no_value(theme: Theme, reverse: bool) -> list:
    """The theme's colour scale (reversed when lower is better) above a thin grey band."""
    stops = [(1 - at, colour) for at, colour in reversed(theme.colorscale)] if reverse \
        else list(theme.colorscale)
    band = _NO_VALUE_BAND
    return ([[0, theme.grid], [band / 2, theme.grid]]
            + [[band + at * (1 - band), colour] for at, colour in stops])


def hover_template(level: str, lang: str, body: str = "%{text}") -> str:
    """The map's hover: the area's name from its GeoJSON feature, then ``body``."""
    return f"<b>%{{properties.{name_property(level, lang)}}}</b><br>{body}<extra></extra>"


def colorbar_title(ind: Indicator, lang: str) -> str:
    """The map legend's title: the unit the colours are in."""
    return f"{i18n.t('yoy', lang)} %" if ind.is_growth else i18n.unit(ind, lang)


def choropleth(frame: pd.DataFrame, ind: Indicator, *, geojson_url: str, style_url: str,
               center: dict, zoom: float, theme: Theme, lang: str, selected: str | None,
               size: tuple[int, int], title: str | None = None, view_key: str = "city",
               layers: list[dict] | None = None, level: str = "districts") -> go.Figure:
    """Return a choropleth of one indicator over districts, townships or grid cells, on an
    offline MapLibre map, ``size`` (width, height) pixels of the canvas. ``view_key`` names the
    area shown: the map keeps the user's pan and zoom while it stays the same, and refits when
    it changes.

    Geometry is not in the figure: the browser fetches ``geojson_url`` once and caches it.
    The map style is a URL too (``web/routes.py``): an inline style object makes MapLibre reset
    the style on every update, which fails ("Map error") once a Patch recolours the map.
    """
    arrays = choropleth_arrays(frame, ind, lang, theme, selected)
    areas = {
        "type": "choroplethmap", "geojson": geojson_url, "featureidkey": "id",
        "locations": arrays["locations"], "z": arrays["z"],
        "zmin": arrays["zmin"], "zmax": arrays["zmax"], "colorscale": arrays["colorscale"],
        "text": arrays["text"], "hovertemplate": hover_template(level, lang),
        "marker": {"opacity": 0.85, "line": {"width": arrays["line_width"],
                                             "color": arrays["line_color"]}},
        "colorbar": {"title": {"text": colorbar_title(ind, lang), "side": "right"},
                     "thickness": 12, "len": 0.7, "tickfont": {"color": theme.muted}}}
    return _figure(theme, title or indicator_title(ind, lang), [areas, *(layers or [])],
                   # the colour bar's room is fixed: grown to fit its labels, it resized the
                   # map with each indicator, and MapLibre then paints the map twice
                   margin={"l": 0, "r": MAP_COLORBAR_ROOM, "t": 44, "b": 0, "autoexpand": False},
                   uirevision=f"map-{view_key}",
                   width=size[0], height=size[1], autosize=False,
                   map={"style": style_url, "center": center, "zoom": zoom},
                   clickmode="event")   # a click drills down; box and lasso pick


#: The map's traces, in drawing order, so a Patch can address each: the areas, then the
#: optional layers (points over the density).
MAP_DATA_TRACE = 0
MAP_LAYER_TRACES = {"events": 1, "water": 2, "stations": 3}


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
                   uniformtext={"minsize": max(12, theme.font_size - 6), "mode": "show"})


def targets(frame: pd.DataFrame, inds: list[Indicator], *, theme: Theme, lang: str,
            title: str) -> go.Figure:
    """Return indicators against their targets (the wall's government services): one bar per
    indicator (``frame``: code, headline, status, as ``Queries.kpis`` gives them; percentages;
    ``inds``: the indicator of each row) coloured by status, the target as a mark on it, the
    value written at its end."""
    names = [ind.name_en if lang == "en" else ind.name_zh for ind in inds]
    values = _numbers(frame["headline"])
    colors = [theme.status_colors.get(s, theme.accent) for s in frame["status"]]
    bars = {"type": "bar", "orientation": "h", "y": names, "x": values,
            "marker": {"color": colors}, "text": [i18n.quantity(v, ind, lang)
                                                  for v, ind in zip(values, inds)],
            "textposition": "outside", "cliponaxis": False, "textfont": {"color": theme.text},
            "hovertemplate": "%{y}: %{text}<extra></extra>"}
    marks = {"type": "scatter", "mode": "markers", "y": names,
             "x": [ind.target for ind in inds], "name": i18n.t("target", lang),
             "marker": {"symbol": "line-ns", "size": 34, "line": {"width": 4,
                                                                   "color": theme.text}},
             "hovertemplate": f"%{{y}} {i18n.t('target', lang)} %{{x}}<extra></extra>"}
    return _figure(theme, title, [bars, marks], showlegend=False, bargap=0.3,
                   margin={"l": 360 if lang == "en" else 250, "r": 90, "t": 56, "b": 36},
                   yaxis={"autorange": "reversed"},
                   xaxis={"range": [0, 110], "ticksuffix": "%"})


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


# --- grid governance screen ---

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


def category_source_matrix(frame: pd.DataFrame, *, theme: Theme, lang: str) -> go.Figure:
    """Return events per category (rows) and source (columns) from
    ``Queries.category_by_source`` (category, channel, n) as a heatmap with the counts
    written in: every catalogue category and source, in catalogue order, so the layout
    stays put as the filters change. No events: a placeholder."""
    title = i18n.t("matrix", lang)
    if frame.empty or frame["n"].sum() == 0:
        return empty(theme, title, i18n.t("no_data", lang))
    en = 1 if lang == "en" else 0
    categories = _vocabulary_order(frame["category"], catalog.EVENT_CATEGORIES)
    channels = _vocabulary_order(frame["channel"], catalog.EVENT_SOURCES)
    table = (frame.pivot_table(index="category", columns="channel", values="n",
                               aggfunc="sum", fill_value=0)
             .reindex(index=categories, columns=channels, fill_value=0))
    z = [[int(v) for v in row] for row in table.to_numpy()]
    trace = {"type": "heatmap", "z": z,
             "x": [catalog.EVENT_SOURCES.get(c, (c, c))[en] for c in channels],
             "y": [catalog.EVENT_CATEGORIES.get(c, (c, c))[en] for c in categories],
             "text": [[i18n.number(v, lang, 0) for v in row] for row in z],
             "texttemplate": "%{text}", "customdata": [[f"{cat}|{ch}" for ch in channels]
                                                        for cat in categories],
             "colorscale": [list(stop) for stop in theme.colorscale], "showscale": False,
             "xgap": 2, "ygap": 2, "hovertemplate": "%{y} · %{x}: %{z:,}<extra></extra>"}
    return _figure(theme, title, [trace],
                   margin={"l": 150 if en else 96, "r": 16, "t": 44, "b": 64},
                   yaxis={"autorange": "reversed"}, xaxis={"side": "bottom"})


# --- environment screen ---

def _level_name(level, lang: str) -> str:
    if level is None or pd.isna(level) or level < 0:
        return i18n.t("no_data", lang)
    return LEVELS[int(level)][3 if lang == "en" else 2]


def _level_colorscale() -> list[list]:
    """A stepped colorscale: level k (0-5) fills [k/6, (k+1)/6] with its official colour, so
    z = level on [-0.5, 5.5] shows exactly the HJ 633 colours, never a blend."""
    steps = len(AQI_COLORS)
    return [[bound / steps, color] for k, color in enumerate(AQI_COLORS)
            for bound in (k, k + 1)]


def aqi_calendar(frame: pd.DataFrame, *, theme: Theme, lang: str, start: str | None,
                 end: str | None) -> go.Figure:
    """Return a calendar of the daily AQI over [start, end]: weeks as columns (labelled by
    their Monday), weekdays as rows (Monday on top), each day in its HJ 633-2012 level colour.

    One continuous strip rather than a panel per year: the screen's ranges are months, and a
    strip crossing New Year has no seam. Days without a reading stay blank. ``frame`` is
    ``Queries.aqi_daily``: day, aqi, level. Without start and end the frame's days are shown.
    """
    days = pd.to_datetime(frame["day"]).dt.normalize()
    first = pd.Timestamp(start) if start else (days.min() if len(days) else None)
    last = pd.Timestamp(end) if end else (days.max() if len(days) else None)
    weekdays = i18n.t("env_weekdays", lang).split(",")
    z, text, weeks = [[] for _ in range(7)], [[] for _ in range(7)], []
    if first is not None and last is not None and first <= last:
        by_day = {d: (a, lv) for d, a, lv in zip(days, frame["aqi"], frame["level"])}
        monday = first - pd.Timedelta(days=first.weekday())
        weeks = pd.date_range(monday, last, freq="7D")
        for row in range(7):
            for week in weeks:
                day = week + pd.Timedelta(days=row)
                aqi, level = by_day.get(day, (None, -1))
                inside = first <= day <= last
                has_value = inside and aqi is not None and not pd.isna(aqi)
                z[row].append(int(level) if has_value else None)
                text[row].append(
                    f"{day:%Y-%m-%d} {weekdays[row]}<br>AQI {float(aqi):.0f} · "
                    f"{_level_name(level, lang)}" if has_value else
                    f"{day:%Y-%m-%d} {weekdays[row]}<br>{i18n.t('no_data', lang)}"
                    if inside else "")
    trace = {"type": "heatmap", "x": [f"{w:%Y-%m-%d}" for w in weeks], "y": list(range(7)),
             "z": z, "text": text, "hovertemplate": "%{text}<extra></extra>",
             "zmin": -0.5, "zmax": len(AQI_COLORS) - 0.5, "colorscale": _level_colorscale(),
             "xgap": 2, "ygap": 2, "hoverongaps": False,
             "colorbar": {"tickvals": list(range(len(LEVELS))), "thickness": 10, "len": 0.9,
                          "ticktext": [_level_name(k, lang) for k in range(len(LEVELS))],
                          "tickfont": {"color": theme.muted}}}
    return _figure(theme, i18n.t("aqi_calendar", lang), [trace], uirevision="calendar",
                   xaxis={"type": "date", "tickformat": "%Y-%m", "showgrid": False,
                          "ticklabelmode": "period"},
                   yaxis={"tickvals": list(range(7)), "ticktext": weekdays,
                          "autorange": "reversed", "showgrid": False, "zeroline": False})


def pollutant_title(pollutant: str, lang: str) -> str:
    """Return '<pollutant>（unit）' in the language, as ``indicator_title`` does."""
    name_zh, name_en, unit = POLLUTANTS[pollutant]
    if lang == "en":
        return f"{name_en} ({unit})" if unit else name_en
    return f"{name_zh}（{unit}）" if unit else name_zh


#: The concentration at IAQI 100 (the top of 良) of each pollutant's daily table (HJ 633),
#: equal to GB 3095-2012's class-II daily limits: the dotted line on the station trends.
_GOOD_LIMIT = {"aqi": 100.0, **{code: float(BREAKPOINTS[f"{code}_24h" if code != "o3_8h"
                                                      else code][2])
                                for code in ("pm25", "pm10", "o3_8h", "no2", "so2", "co")}}


def _rows_by_key(keys: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Return (key, row positions) per distinct key, sorted by key. Queries return rows
    grouped by key already, so runs are found in one pass; pandas' groupby on strings costs
    ten times more."""
    if not len(keys):
        return []
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    ends = np.append(starts[1:], len(keys))
    runs: dict[str, list[np.ndarray]] = {}
    for start, end in zip(starts, ends):   # a key seen in several runs (unsorted) is joined
        runs.setdefault(keys[start], []).append(np.arange(start, end))
    return [(key, np.concatenate(parts)) for key, parts in sorted(runs.items())]


def station_trends(frame: pd.DataFrame, pollutant: str, *, theme: Theme, lang: str,
                   start: str | None, end: str | None) -> go.Figure:
    """Return one pollutant's daily values, one line per station, with the good-air limit.

    ``frame`` is ``Queries.pollutant_daily``: day, station_code, name_zh, name_en, value.
    The legend is shown only for a few stations: the whole city's forty would fill the panel.
    """
    unit = POLLUTANTS[pollutant][2]
    decimals = 0 if pollutant == "aqi" else (2 if pollutant == "co" else 1)
    # the city's forty stations over two years are ~30k points: convert them once, in numpy
    # (pandas strftime and groupby per station cost ~50 ms), then hand each station its rows
    day, day_index = np.unique(pd.to_datetime(frame["day"]).to_numpy().astype("datetime64[D]"),
                               return_inverse=True)
    days = np.datetime_as_string(day, unit="D").astype(object)[day_index]
    values = frame["value"].to_numpy(dtype=float, na_value=np.nan)
    readings = values.astype(object)
    readings[np.isnan(values)] = None
    names = frame["name_en" if lang == "en" else "name_zh"].to_numpy(dtype=object)
    traces = []
    for code, rows in _rows_by_key(frame["station_code"].to_numpy(dtype=object)):
        traces.append({"type": "scatter", "mode": "lines", "x": days[rows].tolist(),
                       "y": readings[rows].tolist(), "name": names[rows[0]],
                       "customdata": [code] * len(rows), "line": {"width": 1.5},
                       "hovertemplate": f"%{{x|%Y-%m-%d}}: %{{y:.{decimals}f}} {unit}"})
    limit = _GOOD_LIMIT[pollutant]
    line, note = _target_line(theme, limit, f"{i18n.t('env_good_limit', lang)} {limit:g}")
    line["line"] = {"color": theme.muted, "width": 1, "dash": "dot"}
    note["font"] = {"color": theme.muted}
    title = f"{pollutant_title(pollutant, lang)} · {i18n.t('env_by_station', lang)}"
    xaxis = {**DATE_AXIS, "tickformat": "%m-%d"}
    if start and end:
        xaxis["range"] = [start, end]
    return _figure(theme, title, traces, [line], [note], uirevision="station-trends",
                   showlegend=0 < len(traces) <= 8, xaxis=xaxis, **SELECT_DRAG)


def station_ranking(frame: pd.DataFrame, *, theme: Theme, lang: str) -> go.Figure:
    """Return stations by mean daily AQI, most polluted on top (the stations to act on),
    bars in their level's colour, the worst day's AQI in text; customdata = station code.

    ``frame`` is ``Queries.stations_aqi``: code, name_zh, name_en, aqi, worst, level.
    Stations without readings come last.
    """
    data = frame.sort_values("aqi", ascending=False, na_position="last")
    names = data["name_en" if lang == "en" else "name_zh"].tolist()
    worst = i18n.t("env_worst_day", lang)
    text = [f"{worst} {w:.0f}" if not pd.isna(w) else i18n.t("no_data", lang)
            for w in data["worst"]]
    hover = [f"<b>{n}</b><br>AQI {a:.0f} · {_level_name(lv, lang)}<br>{t}"
             if not pd.isna(a) else f"<b>{n}</b><br>{i18n.t('no_data', lang)}"
             for n, a, lv, t in zip(names, data["aqi"], data["level"], text)]
    colors = [AQI_COLORS[int(lv)] if not pd.isna(lv) and lv >= 0 else NO_DATA_COLOR
              for lv in data["level"]]
    trace = {"type": "bar", "orientation": "h", "y": names, "x": _numbers(data["aqi"]),
             "customdata": data["code"].tolist(), "text": text, "hovertext": hover,
             "hovertemplate": "%{hovertext}<extra></extra>", "textposition": "outside",
             "cliponaxis": False, "textfont": {"color": theme.text},
             "marker": {"color": colors, "line": {"width": 0}}}
    top = float(data["aqi"].max()) if data["aqi"].notna().any() else 100.0
    good = {"type": "line", "yref": "paper", "y0": 0, "y1": 1, "xref": "x", "x0": 100,
            "x1": 100, "line": {"color": theme.muted, "width": 1, "dash": "dot"}}
    return _figure(theme, i18n.t("station_ranking", lang), [trace], [good],
                   uirevision="station-ranking", bargap=0.18,
                   # with dozens of stations the labels would shrink below legibility: hide
                   # them then (the hover still tells)
                   uniformtext={"minsize": 12, "mode": "hide"},
                   margin={"l": 16, "r": 16, "t": 44, "b": 24},
                   yaxis={"autorange": "reversed", "automargin": True},
                   xaxis={"range": [0, max(top, 100.0) * 1.35]})


def water_classes_by_month(frame: pd.DataFrame, *, theme: Theme, lang: str) -> go.Figure:
    """Return water sections per month stacked by class (GB 3838-2002), best class at the
    bottom. ``frame`` is ``Queries.water_classes_monthly``: period, class, n."""
    sections = i18n.t("env_sections", lang)
    traces = []
    for cls, (zh, en) in catalog.WATER_CLASSES.items():
        part = frame[frame["class"] == cls]
        if part.empty:
            continue
        name = en if lang == "en" else zh
        traces.append({"type": "bar", "x": _dates(part["period"]), "y": _numbers(part["n"]),
                       "name": name, "marker": {"color": WATER_COLORS[cls - 1]},
                       "hovertemplate": f"%{{x|%Y-%m}}: %{{y}} {sections}<extra>{name}</extra>"})
    return _figure(theme, i18n.t("water_by_month", lang), traces, uirevision="water",
                   barmode="stack", bargap=0.2, xaxis=DATE_AXIS)


# --- economy screen ---

def _change_unit(ind: Indicator, lang: str) -> str:
    """The unit YoY and MoM are in (``data.queries.indicators._change``): % for growth-based quantities,
    percentage points for rates, the indicator's own unit otherwise."""
    if ind.is_growth:
        return "%"
    if ind.unit_zh == "%":
        return i18n.t("points", lang) if lang == "zh" else "pts"
    return i18n.unit(ind, lang)


def _labelled(label: str, unit: str, lang: str) -> str:
    if not unit:
        return label
    return f"{label} ({unit})" if lang == "en" else f"{label}（{unit}）"


def _change_scale(ind: Indicator, lang: str) -> float:
    """Differences in a level quantity's unit are shown in its English unit too."""
    return 1.0 if ind.is_growth or ind.unit_zh == "%" else i18n.unit_factor(ind, lang)


def _point_text(value, change, ind: Indicator, lang: str) -> str:
    text = i18n.quantity(value, ind, lang)
    if change is not None and not pd.isna(change):
        text += f" · {i18n.t('yoy', lang)} {i18n.change(change, ind, lang)}"
    return text


def _axis_name(prefix: str, index: int) -> str:
    """'x', 'x2', ... as traces name their axes; layout keys add 'axis'."""
    return prefix if index == 1 else f"{prefix}{index}"


def small_multiples(frame: pd.DataFrame, ind: Indicator, names: dict[str, str], *,
                    theme: Theme, lang: str, selected=None) -> go.Figure:
    """Return a grid of small line charts, one per district (``names``: code -> display
    name, in panel order), sharing the y axis; the selected district(s) highlighted.

    Each line is the headline: YoY % for growth-based indicators (districts of different
    size compare on one shared axis), the level otherwise. ``frame`` is
    ``Queries.indicator_monthly_by_district``. customdata = district code, so a click on a
    line picks its district. Axes are written as dicts (xaxis2 ... / yaxis2 ...).
    """
    codes = list(names) or sorted(frame["district_code"].unique())
    chosen = _chosen(selected)
    n = max(len(codes), 1)
    cols = min(6, n)
    rows = -(-n // cols)
    gap_x, row_h = 0.03, 1.0 / rows
    width = (1.0 - gap_x * (cols - 1)) / cols
    growth = ind.is_growth
    factor = 1.0 if growth else i18n.unit_factor(ind, lang)
    by_code = {code: part for code, part in frame.groupby("district_code")}
    traces, shapes, notes, layout = [], [], [], {}
    for k, code in enumerate(codes):
        i, row, col = k + 1, k // cols, k % cols
        x_name, y_name = _axis_name("x", i), _axis_name("y", i)
        x0 = col * (width + gap_x)
        y1 = 1.0 - row * row_h - 0.2 * row_h    # room above each panel for its title
        y0 = 1.0 - (row + 1) * row_h + 0.06 * row_h
        last_in_column = k + cols >= len(codes)
        layout["xaxis" if i == 1 else f"xaxis{i}"] = {
            **DATE_AXIS, "tickformat": "%y-%m", "nticks": 2, "domain": [x0, x0 + width],
            "anchor": y_name, "showticklabels": last_in_column, "showgrid": False,
            **({} if i == 1 else {"matches": "x"})}
        layout["yaxis" if i == 1 else f"yaxis{i}"] = {
            "domain": [y0, y1], "anchor": x_name, "showticklabels": col == 0, "nticks": 4,
            **({"ticksuffix": "%"} if growth else {}), **({} if i == 1 else {"matches": "y"})}
        part = by_code.get(code, frame.iloc[0:0])
        highlight = code in chosen
        y = part["headline"] if growth else part["headline"] * factor
        traces.append({
            "type": "scatter", "mode": "lines", "xaxis": x_name, "yaxis": y_name,
            "x": _dates(part["period"]), "y": _numbers(y), "name": names.get(code, code),
            "customdata": [code] * len(part), "showlegend": False,
            "text": [_point_text(v, c, ind, lang) for v, c in zip(part["value"], part["yoy"])],
            "hovertemplate": "%{x|%Y-%m}: %{text}",
            "line": {"color": "#ffd166" if highlight else theme.accent,
                     "width": 3 if highlight else 1.5}})
        notes.append({"xref": "paper", "yref": "paper", "x": x0 + width / 2, "y": y1,
                      "xanchor": "center", "yanchor": "bottom", "showarrow": False,
                      "text": f"<b>{names.get(code, code)}</b>" if highlight
                      else names.get(code, code),
                      "font": {"color": theme.text if highlight else theme.muted}})
        if highlight:
            shapes.append({"type": "rect", "xref": f"{x_name} domain",
                           "yref": f"{y_name} domain", "x0": 0, "x1": 1, "y0": 0, "y1": 1,
                           "fillcolor": theme.accent, "opacity": 0.1, "line": {"width": 0},
                           "layer": "below"})
    title = (f"{ind.name_en if lang == 'en' else ind.name_zh} {i18n.t('yoy', lang)} %"
             if growth else indicator_title(ind, lang))
    return _figure(theme, f"{title} · {i18n.t('econ_by_district', lang)}", traces, shapes,
                   notes, uirevision="small-multiples", showlegend=False, hovermode="closest",
                   **layout)


def yoy_mom(frame: pd.DataFrame, ind: Indicator, *, theme: Theme, lang: str) -> go.Figure:
    """Return an indicator's monthly values as bars with its YoY and MoM changes as lines on a
    second axis. ``frame`` is ``Queries.indicator_changes``: period, value, yoy, mom."""
    x = _dates(frame["period"])
    unit = _change_unit(ind, lang)
    scale = _change_scale(ind, lang)
    change_text = {name: [i18n.change(v, ind, lang) for v in frame[name]]
                   for name in ("yoy", "mom")}
    traces = [{"type": "bar", "x": x,
               "y": _numbers(frame["value"] * i18n.unit_factor(ind, lang)),
               "name": i18n.unit(ind, lang) or i18n.t("value", lang),
               "text": [i18n.quantity(v, ind, lang) for v in frame["value"]],
               "textposition": "none", "hovertemplate": "%{x|%Y-%m}: %{text}<extra></extra>",
               "marker": {"color": theme.accent}, "opacity": 0.55}]
    # GDP is quarterly: its period-on-period change is against the previous quarter
    period_change = "econ_qoq" if ind.frequency == "quarterly" else "econ_mom"
    for name, label, color in (("yoy", i18n.t("yoy", lang), "#ffd166"),
                               ("mom", i18n.t(period_change, lang), "#ef476f")):
        traces.append({"type": "scatter", "mode": "lines+markers", "x": x, "yaxis": "y2",
                       "y": _numbers(frame[name] * scale), "name": _labelled(label, unit, lang),
                       "text": change_text[name], "line": {"color": color, "width": 2.5},
                       "hovertemplate": f"%{{x|%Y-%m}} {label}: %{{text}}<extra></extra>"})
    return _figure(theme, f"{indicator_title(ind, lang)} · {i18n.t('econ_yoy_mom', lang)}",
                   traces, uirevision="yoy-mom", xaxis=DATE_AXIS, bargap=0.25,
                   margin={"l": 56, "r": 56, "t": 72, "b": 36},
                   yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                           "tickmode": "auto",     # its own round ticks, a true zero line
                           "zeroline": True, "zerolinecolor": theme.muted,
                           **({"ticksuffix": "%"} if unit == "%" else {})})


def district_shares(frame: pd.DataFrame, ind: Indicator, *, theme: Theme, lang: str,
                    selected=None) -> go.Figure:
    """Return each district's share (%) of the city total as horizontal bars, largest on
    top, with its value; customdata = district code. ``frame`` is
    ``Queries.district_shares``: district_code, name_zh, name_en, value, share."""
    data = frame.sort_values("share", ascending=False, na_position="last")
    names = data["name_en" if lang == "en" else "name_zh"].tolist()
    chosen = _chosen(selected)
    text = [f"{s:.1f}% · {i18n.quantity(v, ind, lang)}" if not pd.isna(s)
            else i18n.t("no_data", lang) for s, v in zip(data["share"], data["value"])]
    trace = {"type": "bar", "orientation": "h", "y": names, "x": _numbers(data["share"]),
             "customdata": data["district_code"].tolist(), "text": text,
             "textposition": "outside", "cliponaxis": False, "textfont": {"color": theme.text},
             "hovertemplate": "%{y}: %{text}<extra></extra>",
             "marker": {"color": [theme.warn if c in chosen else theme.accent
                                  for c in data["district_code"]],
                        "line": {"width": [3 if c in chosen else 0
                                           for c in data["district_code"]],
                                 "color": theme.text}}}
    top = float(data["share"].max()) if data["share"].notna().any() else 10.0
    return _figure(theme, f"{i18n.t('shares', lang)} · {indicator_title(ind, lang)}",
                   [trace], uirevision="shares", bargap=0.18,
                   margin={"l": 16, "r": 16, "t": 44, "b": 24},
                   yaxis={"autorange": "reversed", "automargin": True},
                   xaxis={"ticksuffix": "%", "range": [0, top * 1.6]})


def compare_districts(frame_a: pd.DataFrame, frame_b: pd.DataFrame, name_a: str, name_b: str,
                      ind: Indicator, *, theme: Theme, lang: str) -> go.Figure:
    """Return two districts' monthly values as grouped bars with their YoY as lines on a
    second axis. Frames have period, value, yoy (``Queries.indicator_changes`` or
    ``indicator_monthly``)."""
    factor = i18n.unit_factor(ind, lang)
    unit = _change_unit(ind, lang)
    scale = _change_scale(ind, lang)
    yoy = i18n.t("yoy", lang)
    traces = []
    for frame, name, color in ((frame_a, name_a, theme.accent), (frame_b, name_b, "#f78c6b")):
        x = _dates(frame["period"])
        traces.append({"type": "bar", "x": x, "y": _numbers(frame["value"] * factor),
                       "name": name, "marker": {"color": color}, "opacity": 0.7,
                       "text": [i18n.quantity(v, ind, lang) for v in frame["value"]],
                       "textposition": "none",
                       "hovertemplate": "%{x|%Y-%m}: %{text}"})
        traces.append({"type": "scatter", "mode": "lines+markers", "x": x, "yaxis": "y2",
                       "y": _numbers(frame["yoy"] * scale),
                       "name": f"{name} {_labelled(yoy, unit, lang)}",
                       "text": [i18n.change(v, ind, lang) for v in frame["yoy"]],
                       "line": {"color": color, "width": 2.5, "dash": "dot"},
                       "hovertemplate": f"%{{x|%Y-%m}} {yoy}: %{{text}}"})
    return _figure(theme, f"{i18n.t('compare', lang)} · {indicator_title(ind, lang)}",
                   traces, uirevision="compare", barmode="group", bargap=0.25,
                   xaxis=DATE_AXIS, margin={"l": 56, "r": 56, "t": 72, "b": 36},
                   yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                           "tickmode": "auto",     # its own round ticks, a true zero line
                           "zeroline": True, "zerolinecolor": theme.muted,
                           **({"ticksuffix": "%"} if unit == "%" else {})})
