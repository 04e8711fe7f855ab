"""The overview screen a leader watches: header, filter bar, KPI cards, map and charts.

Functions here take what they show as arguments (option lists, names, a prepared map figure)
and never query data.
"""

from __future__ import annotations

from dash import dcc, html

from layouts import i18n
from layouts.ids import Overview, Shell

GRAPH_CONFIG = {"displaylogo": False, "scrollZoom": True,
                "modeBarButtonsToRemove": ["lasso2d", "autoScale2d", "toImage"]}
#: The map keeps box and lasso selection: they pick shapes to filter by.
MAP_CONFIG = {"displaylogo": False, "scrollZoom": True,
              "modeBarButtonsToRemove": ["toImage"]}
#: The map's size in pixels of the 1920x1080 canvas (the middle column of the grid). It is
#: fixed, not responsive: the canvas is scaled as a whole, so the map never changes size, and a
#: resize while MapLibre still loads makes plotly.js throw ("reading 'layers'").
MAP_SIZE = (788, 806)


def header(*, lang: str, city_name: str, is_demo: bool, as_of: str, lang_href: str):
    """Return the header bar: city and screen name, demo badge, data as-of, clock, language."""
    badge = html.Span(i18n.t("demo", lang), className="demo-badge",
                      title=i18n.t("demo_hint", lang)) if is_demo else None
    return html.Header(className="cb-header", children=[
        html.H1([html.Span(city_name, className="city"), " ", i18n.t("title", lang)]),
        badge,
        html.Div(className="cb-header-right", children=[
            html.Span([i18n.t("as_of", lang), " ", html.B(as_of)], className="as-of"),
            html.Span(id=Shell.CLOCK, className="clock"),
            html.A(i18n.t("language", lang), id=Shell.LANG_LINK, href=lang_href,
                   className="lang-link"),
        ]),
    ])


def time_slider(*, lang: str, slider: dict, step_options: list[dict], step: str):
    """Return the time slider: play/pause, the play step, and the range of days."""
    return html.Div(className="time-slider", title=i18n.t("select_hint", lang), children=[
        html.Button("▶", id=Overview.PLAY, n_clicks=0, className="play-btn",
                    title=i18n.t("play", lang)),
        dcc.Dropdown(id=Overview.STEP, options=step_options, value=step, clearable=False,
                     searchable=False, className="step-dropdown"),
        html.Div(className="slider-box", children=dcc.RangeSlider(
            id=Overview.TIME_SLIDER, min=0, max=slider["max"], step=1, marks=slider["marks"],
            value=slider["value"], allowCross=False, updatemode="mouseup",
            allow_direct_input=False)),    # day numbers mean nothing to a user: no inputs
    ])


def filter_bar(*, lang: str, indicator_options: list[dict], indicator: str, slider: dict,
               step_options: list[dict], step: str):
    """Return the filter bar: map indicator, time slider, active filters, the clear control."""
    return html.Div(className="cb-filterbar", children=[
        html.Label(i18n.t("map_indicator", lang), htmlFor=Overview.INDICATOR),
        dcc.Dropdown(id=Overview.INDICATOR, options=indicator_options, value=indicator,
                     clearable=False, searchable=False, className="cb-dropdown"),
        time_slider(lang=lang, slider=slider, step_options=step_options, step=step),
        html.Div(id=Overview.FILTER_TEXT, className="filter-text", **{"aria-live": "polite"}),
        html.Button(i18n.t("clear", lang), id=Overview.CLEAR, n_clicks=0, className="clear-btn"),
        html.Div(id=Shell.NOTICE, className="notice", role="status"),
    ])


def _graph(graph_id: str, figure=None, extra_class: str = ""):
    return html.Div(className=f"panel {extra_class}".strip(), children=dcc.Graph(
        id=graph_id, figure=figure or {}, config=GRAPH_CONFIG, className="graph",
        style={"height": "100%", "width": "100%"}))


def page(*, lang: str, city_name: str, is_demo: bool, as_of: str, lang_href: str,
         indicator_options: list[dict], indicator: str, map_figure,
         layer_options: list[dict], layers: list[str], slider: dict,
         step_options: list[dict], step: str, map_drawn_for: str):
    """Return the whole overview screen."""
    return html.Div(className=f"cb-screen lang-{lang}", children=[
        *page_plumbing(),
        header(lang=lang, city_name=city_name, is_demo=is_demo, as_of=as_of,
               lang_href=lang_href),
        filter_bar(lang=lang, indicator_options=indicator_options, indicator=indicator,
                   slider=slider, step_options=step_options, step=step),
        html.Div(id=Overview.KPIS, className="cb-kpis"),
        html.Main(className="cb-grid", children=[
            _graph(Overview.TREND, extra_class="area-trend"),
            _graph(Overview.AIR, extra_class="area-air"),
            _graph(Overview.EVENTS_STATUS, extra_class="area-events"),
            html.Div(className="panel area-map map-panel", children=[
                # the map arrives drawn for this query; its first recolour is skipped
                dcc.Store(id=Overview.MAP_DRAWN, data=map_drawn_for),
                dcc.Graph(id=Overview.MAP, figure=map_figure, config=MAP_CONFIG,
                          responsive=False, className="graph",
                          style={"width": f"{MAP_SIZE[0]}px", "height": f"{MAP_SIZE[1]}px"}),
                html.Nav(id=Overview.BREADCRUMBS, className="breadcrumbs",
                         **{"aria-label": "breadcrumb"}),
                html.Div(className="map-layers", children=[
                    dcc.Checklist(id=Overview.LAYERS, options=layer_options, value=layers,
                                  inline=True, className="layer-toggles"),
                    html.Div(id=Overview.MAP_LEGEND, className="map-legend"),
                ]),
            ]),
            _graph(Overview.RANKING, extra_class="area-ranking"),
            _graph(Overview.EVENTS_CATEGORY, extra_class="area-category"),
        ]),
    ])


def breadcrumbs(names: list[str]) -> list:
    """Return the drill-down trail 赣州市 › district › township › cell; all but the last
    are buttons that go back up to that level."""
    items = []
    for level, label in enumerate(names):
        if level:
            items.append(html.Span("›", className="crumb-sep"))
        if level == len(names) - 1:
            items.append(html.Span(label, className="crumb current"))
        else:
            items.append(html.Button(label, id={"type": Overview.CRUMB, "level": level},
                                     n_clicks=0, className="crumb"))
    return items


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
             arrow: str, arrow_good: bool | None, status: str, as_of: str, lang: str):
    """Return one KPI card: name, value, target, trend arrow, breach colour, as-of."""
    arrow_class = "arrow " + ("good" if arrow_good else "bad" if arrow_good is False else "flat")
    return html.Div(className=f"kpi status-{status}", id={"type": Overview.KPI_CARD, "code": code},
                    n_clicks=0, title=name, children=[
        html.Div(name, className="kpi-name"),
        html.Div([html.Span(value, className="kpi-value"),
                  html.Span(arrow, className=arrow_class)], className="kpi-main"),
        html.Div([html.Span(f"{i18n.t('target', lang)} {target}" if target else ""),
                  html.Span(change or "", className="kpi-change")], className="kpi-sub"),
        html.Div(f"{i18n.t('as_of', lang)} {as_of}", className="kpi-asof"),
    ])


def page_plumbing() -> list:
    """Return the invisible parts every screen carries: its URL, filter store and clock tick.

    They live inside the page, not the shell, so that every callback touching them sees all
    of its components appear together when the page is rendered.
    """
    return [dcc.Location(id=Shell.PAGE_URL, refresh=False), dcc.Store(id=Shell.FILTERS),
            dcc.Interval(id=Shell.CLOCK_TICK, interval=1000),
            # the time slider's playback: one step per tick while playing
            dcc.Interval(id=Overview.PLAY_TICK, interval=1500, disabled=True),
            html.Div(id=Shell.URL_WRITER, hidden=True)]


def shell():
    """Return the app shell: the URL that picks the page, and the page container."""
    return html.Div([dcc.Location(id=Shell.URL, refresh=False),
                     html.Div(id=Shell.PAGE, className="cb-page")])
