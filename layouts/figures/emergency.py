"""The emergency scene's map traces: warning areas coloured by level, emergency resources by
kind, and the grid events inside a warning's area; the overview map's two layers and the
wall's emergency map are made of them."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import shapely

import i18n
from data.emergency import RESOURCE_KINDS, kind_name, level_name
from layouts.figures.base import _figure, _numbers
from layouts.theme import MAP_LABEL_LAYER, Theme

#: The national scheme's colours, by level (1 red … 4 blue), bright enough on the dark map.
WARNING_COLORS = {1: "#ff3b3b", 2: "#ff8c1a", 3: "#ffd21f", 4: "#3d8bff"}
#: Resources by kind: shelters green, rescue teams cyan, depots violet (none of the levels').
RESOURCE_COLORS = {"shelter": "#2fd67b", "rescue_team": "#29d3ff", "depot": "#c58cff"}


def _level_scale() -> list:
    """A stepped colour scale over z = level 1..4: each level its own colour."""
    stops = []
    for level, colour in WARNING_COLORS.items():
        low, high = (level - 1) / 4, level / 4
        stops += [[low, colour], [high, colour]]
    return stops


def warning_areas(warnings: pd.DataFrame | None, lang: str) -> dict:
    """The warnings' areas as one choroplethmap trace (their shapes inline: a few polygons),
    filled by level, below the map's names; hidden and empty when ``warnings`` is None."""
    shown = warnings is not None
    frame = warnings if warnings is not None else pd.DataFrame(
        columns=["warning_id", "kind", "level", "title", "issuer", "valid_to", "geom"])
    # the most severe drawn last, over the others
    frame = frame.sort_values("level", ascending=False, kind="stable")
    features = [{"type": "Feature", "id": w.warning_id,
                 "geometry": json.loads(shapely.to_geojson(shapely.from_wkb(w.geom)))}
                for w in frame.itertuples()]
    text = [f"<b>{kind_name(w.kind, lang)} · {level_name(int(w.level), lang)}</b><br>"
            f"{w.title if isinstance(w.title, str) else ''}<br>{w.issuer}<br>"
            f"{i18n.t('emergency_until', lang)} " + (
                pd.Timestamp(w.valid_to).strftime("%m-%d %H:%M") if not pd.isna(w.valid_to)
                else i18n.t("emergency_until_lifted", lang))
            for w in frame.itertuples()]
    return {"type": "choroplethmap", "below": MAP_LABEL_LAYER, "featureidkey": "id",
            "geojson": {"type": "FeatureCollection", "features": features},
            "locations": list(frame["warning_id"]),
            # each level in the middle of its band of the stepped scale
            "z": [float(level) for level in frame["level"]], "zmin": 0.5, "zmax": 4.5,
            "colorscale": _level_scale(),
            "showscale": False, "text": text, "hovertemplate": "%{text}<extra></extra>",
            "marker": {"opacity": 0.45, "line": {"width": 2, "color": [
                WARNING_COLORS[int(level)] for level in frame["level"]]}},
            "visible": shown,
            "name": i18n.t("layer_warnings", lang), "showlegend": False}


def resource_points(resources: pd.DataFrame | None, lang: str, size: int = 13) -> dict:
    """Emergency resources as markers coloured by kind, named on hover with their capacity
    or headcount; hidden and empty when ``resources`` is None."""
    shown = resources is not None
    frame = resources if resources is not None else pd.DataFrame(
        columns=["kind", "name_zh", "name_en", "lon", "lat", "capacity", "headcount"])
    return {"type": "scattermap", "mode": "markers", "lon": _numbers(frame["lon"]),
            "lat": _numbers(frame["lat"]), "text": [resource_text(r, lang) for r in
                                                    frame.itertuples()],
            "hovertemplate": "%{text}<extra></extra>", "visible": shown,
            "name": i18n.t("layer_resources", lang), "showlegend": False,
            "marker": {"size": size, "color": [RESOURCE_COLORS.get(k, "#ffffff")
                                               for k in frame["kind"]]}}


def resource_text(r, lang: str) -> str:
    """A resource's name, kind and what it holds: 于都县应急避难场所 · 避难场所 · 容纳 900 人."""
    name = r.name_en if lang == "en" else r.name_zh
    parts = [f"<b>{name}</b>", kind_name(r.kind, lang, RESOURCE_KINDS)]
    if not pd.isna(r.capacity):
        parts.append(i18n.t("emergency_capacity", lang).format(n=i18n.number(r.capacity,
                                                                             lang, 0)))
    if not pd.isna(r.headcount):
        parts.append(i18n.t("emergency_headcount", lang).format(n=i18n.number(r.headcount,
                                                                              lang, 0)))
    return " · ".join(parts)


def event_points(events: pd.DataFrame, lang: str) -> dict:
    """Grid events as small white dots (open ones amber)."""
    return {"type": "scattermap", "mode": "markers", "lon": _numbers(events["lon"]),
            "lat": _numbers(events["lat"]), "hoverinfo": "skip", "showlegend": False,
            "name": i18n.t("emergency_events", lang),
            "marker": {"size": 7, "opacity": 0.85, "color": [
                "#ffb020" if status != "closed" else "#e8f1ff" for status in events["status"]]}}


def emergency_map(*, warnings: pd.DataFrame, resources: pd.DataFrame, events: pd.DataFrame,
                  style_url: str, center: dict, zoom: float, size: tuple[int, int],
                  theme: Theme, lang: str, title: str) -> go.Figure:
    """The wall's emergency map: the warnings' areas, the events and resources over them."""
    return _figure(theme, title, [warning_areas(warnings, lang), event_points(events, lang),
                                  resource_points(resources, lang, size=18)],
                   margin={"l": 0, "r": 0, "t": 56, "b": 0, "autoexpand": False},
                   uirevision="emergency", width=size[0], height=size[1], autosize=False,
                   map={"style": style_url, "center": center, "zoom": zoom})
