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
              map_background="#ffffff", map_line="#444444")
#: The wall mode (/wall), read from across the room: the same colours, bigger type (the
#: smallest text, tick labels, is 19 px of the 1920x1080 canvas).
FAR = replace(WALL, name="far", font_size=20, title_size=26, automargin=True)
THEMES = {t.name: t for t in (WALL, ANALYST, PRINT, FAR)}


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
        margin=dict(l=56, r=16, t=72, b=36),
    ))


def map_style(theme: Theme) -> dict:
    """Return a MapLibre style with only a background layer: no tiles, no glyphs, offline."""
    return {"version": 8, "name": f"citybrain-{theme.name}", "sources": {},
            "layers": [{"id": "background", "type": "background",
                        "paint": {"background-color": theme.map_background}}]}
