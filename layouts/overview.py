"""The overview screen a leader watches: KPI cards, the map and the charts around it.

Functions here take what they show as arguments (option lists, names, a prepared map figure)
and never query data.
"""

from __future__ import annotations

from dash import dcc, html

import i18n
from layouts import frame
from layouts.ids import Overview

#: The map keeps box and lasso selection: they pick shapes to filter by.
MAP_CONFIG = {"displaylogo": False, "scrollZoom": True,
              "modeBarButtonsToRemove": ["toImage"]}
#: The map's size in pixels of the 1920x1080 canvas (the middle column of the grid). It is
#: fixed, not responsive: the canvas is scaled as a whole, so the map never changes size, and a
#: resize while MapLibre still loads makes plotly.js throw ("reading 'layers'").
MAP_SIZE = (788, 806)


def page(*, ids, lang: str, head, bar, map_figure, layer_options: list[dict], layers: list[str],
         grain_options: list[dict], grain: str, map_drawn_for: str):
    """Return the whole overview screen below the shared ``head`` and filter ``bar``."""
    return frame.screen(ids=ids, lang=lang, children=[
        head, bar,
        html.Div(id=Overview.KPIS, className="cb-kpis"),
        html.Main(className="cb-grid", children=[
            frame.graph_panel(Overview.TREND, "area-trend"),
            frame.graph_panel(Overview.AIR, "area-air"),
            frame.graph_panel(Overview.EVENTS_STATUS, "area-events"),
            # the map's column has the map's width before the map arrives (it is drawn a
            # moment after the charts): an empty column let the charts beside it draw at
            # 937 px and rely on a resize that a loaded machine could lose
            html.Div(className="panel chart-panel area-map map-panel",
                     style={"width": f"{MAP_SIZE[0]}px"}, children=[
                # the map arrives drawn for this query; its first recolour is skipped
                dcc.Store(id=Overview.MAP_DRAWN, data=map_drawn_for),
                dcc.Graph(id=Overview.MAP, figure=map_figure, config=MAP_CONFIG,
                          responsive=False, className="graph",
                          style={"width": f"{MAP_SIZE[0]}px", "height": f"{MAP_SIZE[1]}px"}),
                frame.trail_nav(ids, "on-map"),
                frame.export_links(Overview.MAP),
                html.Div(className="map-layers", children=[
                    html.Div(className="layer-toggles", children=[
                        dcc.RadioItems(id=Overview.GRAIN, options=grain_options, value=grain,
                                       inline=True, className="grain-toggle"),
                        dcc.Checklist(id=Overview.LAYERS, options=layer_options, value=layers,
                                      inline=True)]),
                    html.Div(id=Overview.MAP_LEGEND, className="map-legend"),
                ]),
            ]),
            frame.graph_panel(Overview.RANKING, "area-ranking"),
            frame.graph_panel(Overview.EVENTS_CATEGORY, "area-category"),
        ]),
    ])


def legend(rows: list[tuple[str, list[tuple[str, str]]]]) -> list:
    """Return the map legend: for each shown layer a title and (colour, label) swatches."""
    out = []
    for title, swatches in rows:
        out.append(html.Div(className="legend-row", children=[
            html.Span(title, className="legend-title"),
            *[html.Span([html.I(style={"background": color}), label], className="swatch")
              for color, label in swatches]]))
    return out


def kpi_card(*, code: str, name: str, value: str, target: str | None, change: str | None,
             arrow: str, arrow_good: bool | None, status: str, as_of: str, lang: str,
         stale: bool = False, card_type: str = Overview.KPI_CARD, note: str | None = None,
         basis: str | None = None, basis_hint: str | None = None, few: bool = False):
    """Return one KPI card: name, value, target, trend arrow, breach colour, as-of.
    ``card_type``: the pattern-matching ID type of the screen's cards; ``note`` replaces the
    as-of line (全市 for a city-wide count on a district's screen); ``basis``, beside the
    name, what the value rests on (214件, or 区县 where a township's card shows its
    district's; ``basis_hint`` its tooltip), and ``few`` marks a value resting on too few
    events to judge (pale, as its ranking bar)."""
    arrow_class = "arrow " + ("good" if arrow_good else "bad" if arrow_good is False else "flat")
    return html.Div(className=f"kpi status-{status}" + (" few" if few else ""),
                    id={"type": card_type, "code": code},
                    n_clicks=0, title=name, children=[
        # the name line holds the basis: the other lines are full at 1366 px
        html.Div([html.Span(name, className="kpi-name-text"),
                  html.Span(basis, title=basis_hint,
                            className="kpi-basis few" if few else "kpi-basis")
                  if basis else None], className="kpi-name"),
        html.Div([html.Span(value, className="kpi-value"),
                  html.Span(arrow, className=arrow_class)], className="kpi-main"),
        html.Div([html.Span(f"{i18n.t('target', lang)} {target}" if target else ""),
                  html.Span(change or "", className="kpi-change")], className="kpi-sub"),
        html.Div([note or f"{i18n.t('as_of', lang)} {as_of}",
                  html.Span(f" · {i18n.t('stale', lang)}", className="stale") if stale
                  else None], className="kpi-asof"),
    ])
