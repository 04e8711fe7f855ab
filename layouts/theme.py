"""One theme module: colours, fonts and the plotly templates for wall, analyst and print.

Screens and exported reports build figures with the same builders and pick a theme by name.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import plotly.graph_objects as go

from data.aqi import LEVELS

FONT_FAMILY = ('"CityBrain Sans", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", '
               '"PingFang SC", sans-serif')

#: Official AQI level colours (HJ 633-2012), index = level.
AQI_COLORS = [lv[4] for lv in LEVELS]

#: Water-class colours, class I to worse than V (index = class - 1).
WATER_COLORS = ["#2b83ba", "#5fb3e3", "#3fbf6f", "#f2c12e", "#f07f1d", "#d7191c"]
NO_DATA_COLOR = "#8ea6c8"

#: Life-cycle stage colours, from just reported (warm) to closed (calm).
STAGE_COLORS = {"reported": "#ff6b6b", "accepted": "#ffa94d", "dispatched": "#ffd43b",
                "handled": "#69db7c", "verified": "#4dabf7", "closed": "#3b5bdb"}


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    panel: str
    text: str
    muted: str
    grid: str
    accent: str
    ok: str
    warn: str
    alert: str
    font_size: int
    title_size: int
    colorscale: tuple
    map_background: str
    map_line: str
    #: Tick labels push the plot in rather than being cut at the edge: the far theme's larger
    #: type does not fit the builders' fixed margins.
    automargin: bool = False
    #: The fill of a map area without data: a grey of no hue, which no colour scale holds
    #: (the scales' low end was the same dark blue as the old "no data").
    map_no_data: str = "#737373"

    @property
    def status_colors(self) -> dict[str, str]:
        return {"ok": self.ok, "warn": self.warn, "alert": self.alert, "none": self.muted}


WALL = Theme("wall", background="#050b18", panel="#0a1730", text="#e8f1ff", muted="#8ea6c8",
             grid="#1c2f52", accent="#29d3ff", ok="#2fd67b", warn="#ffb020", alert="#ff4d5e",
             font_size=15, title_size=18,
             colorscale=((0, "#0b3d91"), (0.5, "#19a7ce"), (1, "#7cf7d4")),
             map_background="#050b18", map_line="#9fc3ff")
ANALYST = Theme("analyst", background="#0d1626", panel="#142238", text="#e8eef8",
                muted="#97a8c3", grid="#243755", accent="#4cc9f0", ok="#38c172", warn="#f6ad55",
                alert="#f56565", font_size=13, title_size=15,
                colorscale=((0, "#1d3b6e"), (0.5, "#2b8cbe"), (1, "#a8ddb5")),
                map_background="#0d1626", map_line="#c7d7f0")
PRINT = Theme("print", background="#ffffff", panel="#ffffff", text="#1a1a1a", muted="#555555",
              grid="#dddddd", accent="#1f5fbf", ok="#1e8e3e", warn="#c77700", alert="#c62828",
              font_size=12, title_size=14,
              colorscale=((0, "#deebf7"), (0.5, "#6baed6"), (1, "#08519c")),
              map_background="#ffffff", map_line="#444444", map_no_data="#b3b3b3")
#: The wall mode (/wall), read from across the room: the same colours, bigger type (the
#: smallest text, tick labels, is 19 px of the 1920x1080 canvas).
FAR = replace(WALL, name="far", font_size=20, title_size=26, automargin=True)
THEMES = {t.name: t for t in (WALL, ANALYST, PRINT, FAR)}


#: The charts' top margin, for the title and a legend above the plot.
TOP_MARGIN = 72
#: The room a line under a chart's title takes (its as-of, a note).
SUBTITLE_ROOM = 16


@functools.cache
def template(theme: Theme) -> go.layout.Template:
    """Return the plotly template of a theme (built once: validating it costs milliseconds)."""
    axis = dict(gridcolor=theme.grid, zerolinecolor=theme.grid, linecolor=theme.grid,
                automargin=theme.automargin,
                tickfont=dict(size=theme.font_size - 1, color=theme.muted),
                title=dict(font=dict(size=theme.font_size, color=theme.muted)))
    return go.layout.Template(layout=dict(
        font=dict(family=FONT_FAMILY, size=theme.font_size, color=theme.text),
        title=dict(font=dict(size=theme.title_size, color=theme.text), x=0.01, xanchor="left",
                   y=0.98, yanchor="top"),
        paper_bgcolor=theme.panel, plot_bgcolor=theme.panel,
        colorway=[theme.accent, "#ffd166", "#ef476f", "#06d6a0", "#a78bfa", "#f78c6b", "#7bdff2"],
        xaxis=axis, yaxis=axis,
        legend=dict(font=dict(size=theme.font_size - 1, color=theme.muted),
                    bgcolor="rgba(0,0,0,0)", orientation="h", y=1.0, yanchor="bottom", x=0),
        hoverlabel=dict(font=dict(family=FONT_FAMILY, size=theme.font_size)),
        margin=dict(l=56, r=16, t=TOP_MARGIN, b=36),
    ))


#: The map style's layer of area names: every style has it (empty where nothing is named), so
#: the choropleth can always be drawn below it.
MAP_LABEL_LAYER = "area-names"
#: The names' font: the interface's own, served by the app (the page loads it), then the
#: system's Noto (kaleido's Chromium, which has no page font).
_LABEL_FONTS = ["CityBrain Sans", "Noto Sans CJK SC"]
_NO_LABELS = {"type": "FeatureCollection", "features": []}


def map_style(theme: Theme, labels: dict | None = None) -> dict:
    """Return an offline MapLibre style: a background, and the names of ``labels`` (GeoJSON
    points with ``name`` and ``rank``, ``geo.geojson.label_points``) over the areas.

    The style has no ``glyphs`` URL, on purpose: MapLibre (6.9 in plotly.js 4) then draws
    every character itself with the page's fonts (``text-font`` names CSS families; kaleido's
    Chromium has the system's Noto), so no glyph file is fetched, from the internet or the
    app, Latin letters included. Names that would overlap move beside their point, else are
    dropped, the smaller area's first (``rank``); a halo in the map's background colour keeps
    them legible over any fill.
    """
    return {"version": 8, "name": f"citybrain-{theme.name}",
            "sources": {MAP_LABEL_LAYER: {"type": "geojson", "data": labels or _NO_LABELS}},
            "layers": [
                {"id": "background", "type": "background",
                 "paint": {"background-color": theme.map_background}},
                {"id": MAP_LABEL_LAYER, "type": "symbol", "source": MAP_LABEL_LAYER,
                 # a name that does not fit at its point tries beside it before it is
                 # dropped; type at most 17 px (the far theme's 20 px crowded the districts)
                 "layout": {"text-field": ["get", "name"], "text-font": _LABEL_FONTS,
                            "text-size": min(theme.font_size, 17), "text-max-width": 7,
                            "text-padding": 2, "symbol-sort-key": ["get", "rank"],
                            "text-variable-anchor": ["center", "top", "bottom", "left",
                                                     "right", "top-left", "top-right",
                                                     "bottom-left", "bottom-right"],
                            "text-radial-offset": 0.4},
                 "paint": {"text-color": theme.text, "text-halo-color": theme.map_background,
                           "text-halo-width": 1.6, "text-halo-blur": 0.4}}]}
