"""The map: choropleth colours of an indicator by area (the shapes come by URL), and the
stations, water sections and events drawn over it."""

from __future__ import annotations

import functools

import pandas as pd
import plotly.graph_objects as go

import i18n
from data import catalog
from data.aqi import LEVELS
from data.catalog import Indicator
from geo.geojson import name_property
from layouts.figures import emergency
from layouts.figures.base import (
    _chosen,
    _figure,
    _numbers,
    indicator_title,
)
from layouts.theme import (
    AQI_COLORS,
    MAP_LABEL_LAYER,
    NO_DATA_COLOR,
    SUBTITLE_ROOM,
    WATER_COLORS,
    Theme,
)

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
    is a grey of no hue (``theme.map_no_data``), never a colour of the scale: its z lies at the
    bottom of the scale, in a band of that grey below the values' colours.
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
    """The theme's colour scale (reversed when lower is better) above a thin band of the
    no-data grey."""
    stops = [(1 - at, colour) for at, colour in reversed(theme.colorscale)] if reverse \
        else list(theme.colorscale)
    band = _NO_VALUE_BAND
    return ([[0, theme.map_no_data], [band / 2, theme.map_no_data]]
            + [[band + at * (1 - band), colour] for at, colour in stops])


def hover_template(level: str, lang: str, body: str = "%{text}") -> str:
    """The map's hover: the area's name from its GeoJSON feature, then ``body``."""
    return f"<b>%{{properties.{name_property(level, lang)}}}</b><br>{body}<extra></extra>"


def colorbar_title(ind: Indicator, lang: str) -> str:
    """The map legend's title: the unit the colours are in."""
    return f"{i18n.t('yoy', lang)} %" if ind.is_growth else i18n.unit(ind, lang)


def no_data_key(theme: Theme, lang: str) -> tuple[list[dict], list[dict]]:
    """The legend's "no data" key above the colour bar: a swatch of the no-data grey and its
    words (shapes, annotations). The colour bar cannot show it: its band is too thin. Above
    the bar, not below: the overview's layer toggles cover the map's bottom right corner."""
    x = 1 + 6 / 1000     # paper x just right of the plot, in the colour bar's room
    swatch = {"type": "rect", "xref": "paper", "yref": "paper", "xsizemode": "pixel",
              "ysizemode": "pixel", "xanchor": x, "yanchor": 0.91, "x0": 0, "x1": 14,
              "y0": -7, "y1": 7, "fillcolor": theme.map_no_data,
              "line": {"color": theme.muted, "width": 1}}
    words = {"xref": "paper", "yref": "paper", "x": x, "y": 0.91, "xanchor": "left",
             "yanchor": "middle", "xshift": 18, "showarrow": False,
             "text": i18n.t("no_data", lang),
             "font": {"size": min(theme.font_size - 2, 14), "color": theme.muted}}
    return [swatch], [words]


def choropleth(frame: pd.DataFrame, ind: Indicator, *, geojson_url: str, style_url: str | dict,
               center: dict, zoom: float, theme: Theme, lang: str, selected: str | None,
               size: tuple[int, int], title: str | None = None, view_key: str = "city",
               layers: list[dict] | None = None, level: str = "districts",
               subtitle: str | None = None) -> go.Figure:
    """Return a choropleth of one indicator over districts, townships or grid cells, on an
    offline MapLibre map, ``size`` (width, height) pixels of the canvas. ``view_key`` names the
    area shown: the map keeps the user's pan and zoom while it stays the same, and refits when
    it changes. ``subtitle`` (the as-of; "" for a line filled later): a line under the title,
    its room kept whatever it says, so a new text never resizes the map.

    Geometry is not in the figure: the browser fetches ``geojson_url`` once and caches it.
    The map style is a URL too (``web/routes.py``): an inline style object makes MapLibre reset
    the style on every update, which fails ("Map error") once a Patch recolours the map (a
    file, drawn once, may have it inline). The style writes the areas' names
    (``theme.map_style``); the colours are drawn below them.
    """
    arrays = choropleth_arrays(frame, ind, lang, theme, selected)
    areas = {
        "type": "choroplethmap", "geojson": geojson_url, "featureidkey": "id",
        "below": MAP_LABEL_LAYER,
        "locations": arrays["locations"], "z": arrays["z"],
        "zmin": arrays["zmin"], "zmax": arrays["zmax"], "colorscale": arrays["colorscale"],
        "text": arrays["text"], "hovertemplate": hover_template(level, lang),
        "marker": {"opacity": 0.85, "line": {"width": arrays["line_width"],
                                             "color": arrays["line_color"]}},
        "colorbar": {"title": {"text": colorbar_title(ind, lang), "side": "right"},
                     "thickness": 12, "len": 0.7, "tickfont": {"color": theme.muted}}}
    key_shapes, key_words = no_data_key(theme, lang)
    top = 44 + (SUBTITLE_ROOM if subtitle is not None else 0)
    figure = _figure(theme, title or indicator_title(ind, lang), [areas, *(layers or [])],
                     shapes=key_shapes, annotations=key_words,
                     # the colour bar's room is fixed: grown to fit its labels, it resized the
                     # map with each indicator, and MapLibre then paints the map twice
                     margin={"l": 0, "r": MAP_COLORBAR_ROOM, "t": top, "b": 0, "autoexpand": False},
                     uirevision=f"map-{view_key}",
                     width=size[0], height=size[1], autosize=False,
                     map={"style": style_url, "center": center, "zoom": zoom},
                     clickmode="event")   # a click drills down; box and lasso pick
    if subtitle is not None:
        figure.update_layout(title_subtitle={"text": subtitle,
                                             "font": {"size": max(11, theme.font_size - 3)}})
    return figure


#: The map's traces, in drawing order, so a Patch can address each: the areas, then the
#: optional layers (points over the density).
MAP_DATA_TRACE = 0
MAP_LAYER_TRACES = {"events": 1, "water": 2, "stations": 3, "warnings": 4, "resources": 5}


_EMPTY_LAYER = pd.DataFrame(columns=["code", "name_zh", "name_en", "lon", "lat", "n", "class",
                                     "aqi", "level"])


def map_layers(*, stations: pd.DataFrame | None, sections: pd.DataFrame | None,
               density: pd.DataFrame | None, theme: Theme, lang: str,
               warnings: pd.DataFrame | None = None,
               resources: pd.DataFrame | None = None) -> list[dict]:
    """Return the map's optional layers, in MAP_LAYER_TRACES order: an event density, water
    sections coloured by class, air stations coloured by AQI level, emergency warnings'
    areas by level and emergency resources by kind (figures/emergency.py). A layer given as
    None is hidden and sent empty, so toggling costs nothing and the trace indices never
    move."""
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
        emergency.warning_areas(warnings, lang), emergency.resource_points(resources, lang),
    ]
