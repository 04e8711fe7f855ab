"""The wall (/wall): scenes on a fixed 1920x1080 canvas that rotate, for a room, not a desk.

A wall is one or more 1920x1080 slots side by side (a 32:9 wall has two, a 5760x1080 wall
three: ``assets/citybrain.js`` decides from the display's shape and scales the canvas without
distortion). Under one header, each slot shows a scene: a title band and a body of parts laid
out in fixed boxes, so nothing reflows, nothing overlaps and every chart has a known size.

Functions here take what they show as arguments and never query data.
"""

from __future__ import annotations

from dataclasses import dataclass

from dash import dcc, html

import i18n
import settings
from layouts.ids import Shell, Wall

SLOT = (1920, 1080)
HEADER_HEIGHT = 80
SCENE_TITLE_HEIGHT = 72
#: A scene's body, below its title band: parts are placed in boxes of this area.
BODY = (1920, SLOT[1] - HEADER_HEIGHT - SCENE_TITLE_HEIGHT)
#: Nobody touches the wall: charts are pictures (no hover, no modebar, no listeners).
GRAPH_CONFIG = {"staticPlot": True, "displayModeBar": False}
#: The map keeps MapLibre interactive-off but alive, so its view survives a refresh.
MAP_CONFIG = {"displayModeBar": False, "scrollZoom": False, "doubleClick": False}


@dataclass(frozen=True)
class Part:
    """One part of a scene: a chart ("figure"), or components ("tiles", "list", "table"),
    in a box (x, y, width, height) of the scene's body."""

    name: str
    kind: str
    box: tuple[int, int, int, int]

    @property
    def prop(self) -> str:
        """The component property a refresh writes."""
        return "figure" if self.kind in ("figure", "map") else "children"


def page(*, lang: str, city_name: str, as_of: str, is_demo: bool, scenes: list,
         config: dict, shown: dict, alerts: list[dict], notice: str | None,
         zone: str = settings.DEFAULT_TZ):
    """Return the wall: header, banner, and every scene (``scenes``: (name, title, [(Part,
    content)]) in playlist order; the browser shows some and hides the rest)."""
    badge = html.Span(i18n.t("demo", lang), className="demo-badge") if is_demo else None
    return html.Div(id=Wall.ROOT, className=f"wall lang-{lang}", children=[
        dcc.Store(id=Wall.CONFIG, data=config),
        dcc.Store(id=Wall.SHOWN, data=shown),
        dcc.Store(id=Wall.ALERTS, data=alerts),
        dcc.Interval(id=Wall.REFRESH, interval=config["refresh_ms"]),
        dcc.Interval(id=Shell.CLOCK_TICK, interval=1000),
        html.Div(id=Wall.ROTATOR, hidden=True),
        html.Div(className="wall-canvas", children=[
            html.Header(className="wall-header", children=[
                html.H1([html.Span(city_name, className="city"), " ", i18n.t("title", lang),
                         html.Span(i18n.t("wall_title", lang), className="wall-subtitle")]),
                badge,
                html.Span(notice, className="wall-notice") if notice else None,
                html.Div(className="wall-header-right", children=[
                    html.Span([i18n.t("as_of", lang), " ", html.B(as_of, id=Wall.AS_OF)],
                              className="as-of"),
                    html.Span(id=Shell.CLOCK, className="wall-clock", **{"data-zone": zone}),
                ]),
            ]),
            # a link to the overview of the alert it shows (citybrain.js sets text and href)
            html.A(id=Wall.BANNER, className="wall-banner", hidden=True, role="alert"),
            *[scene(name, title, parts) for name, title, parts in scenes],
        ]),
    ])


def scene(name: str, title: str, parts: list):
    """One scene: its title band and its parts, each absolutely placed in the body."""
    return html.Section(id=Wall.scene_id(name), className="wall-scene", **{"data-scene": name},
                        children=[
        html.Div(className="wall-scene-title", children=[html.H2(title)]),
        html.Div(className="wall-body", children=[part_box(name, part, content)
                                                   for part, content in parts]),
    ])


def part_box(scene_name: str, part: Part, content):
    """A part's panel at its box, holding its chart or components."""
    x, y, width, height = part.box
    style = {"left": f"{x}px", "top": f"{y}px", "width": f"{width}px", "height": f"{height}px"}
    part_id = Wall.part_id(scene_name, part.name)
    if part.kind in ("figure", "map"):
        inner = dcc.Graph(id=part_id, figure=content, responsive=False,
                          config=MAP_CONFIG if part.kind == "map" else GRAPH_CONFIG,
                          style={"width": f"{width}px", "height": f"{height}px"})
    else:
        inner = html.Div(id=part_id, className=f"wall-{part.kind}", children=content)
    return html.Div(className=f"wall-panel wall-panel-{part.kind}", style=style, children=inner)


def tile(*, code: str, name: str, value: str, target: str | None, change: str | None,
         arrow: str, arrow_good: bool | None, status: str, as_of: str, lang: str,
         stale: bool = False):
    """One KPI tile: the indicator, its value in big type, the target, the change, as-of;
    coloured by its status against the target."""
    arrow_class = "arrow " + ("good" if arrow_good else "bad" if arrow_good is False else "flat")
    return html.Div(className=f"wall-tile status-{status}", **{"data-code": code}, children=[
        html.Div(name, className="wall-tile-name"),
        html.Div([html.Span(value, className="wall-tile-value"),
                  html.Span(arrow, className=arrow_class)], className="wall-tile-main"),
        html.Div([html.Span(f"{i18n.t('target', lang)} {target}" if target else ""),
                  html.Span(change or "")], className="wall-tile-sub"),
        html.Div([f"{i18n.t('as_of', lang)} {as_of}",
                  html.Span(f" · {i18n.t('stale', lang)}", className="stale") if stale
                  else None], className="wall-tile-asof"),
    ])


def count_tile(*, name: str, value: int, status: str):
    """A tile holding one count (the key tasks by status)."""
    return html.Div(className=f"wall-tile status-{status}", children=[
        html.Div(name, className="wall-tile-name"),
        html.Div(html.Span(str(value), className="wall-tile-value"), className="wall-tile-main"),
    ])


#: Alerts the list's box shows at a time (each up to three lines of its width); the browser
#: lists them all and turns the pages, every alert's seconds.
ALERT_PAGE = 3


def alert_list():
    """The box of the standing alerts' list. The browser fills it (``listAlerts`` in
    assets/citybrain.js) from the alerts the banner steps through: each alert travels once
    in a refresh, not also as three components of a list (in a storm of 3,361 alerts their
    components and their fingerprint were half of a refresh's Python)."""
    return html.Div(className="wall-alert-list")


def table(columns: list[str], rows: list[list], *, classes: list[str] | None = None,
          title: str | None = None):
    """A plain table in wall type (``classes``: a class per row, e.g. its status)."""
    classes = classes or [""] * len(rows)
    return [
        *([html.H3(title)] if title else []),
        html.Table(className="wall-table", children=[
            html.Thead(html.Tr([html.Th(c) for c in columns])),
            html.Tbody([html.Tr([html.Td(cell) for cell in row], className=cls)
                        for row, cls in zip(rows, classes)]),
        ])]


def progress(value: float, planned: float):
    """A task's progress bar with the plan's mark."""
    return html.Div(className="wall-progress", children=[
        html.Div(className="wall-progress-bar", style={"width": f"{max(0, min(value, 100))}%"}),
        html.Div(className="wall-progress-plan",
                 style={"left": f"{max(0, min(planned, 100))}%"}),
        html.Span(f"{value:.0f}%", className="wall-progress-text")])
