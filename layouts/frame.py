"""What every screen shares: the header with its navigation, the filter bar, the drill-down
trail, the invisible plumbing (URL, filter store, clock), and the app shell.

Functions here take what they show as arguments and never query data.
"""

from __future__ import annotations

import json

import dash_ag_grid as dag
from dash import dcc, html

import i18n
import settings
from i18n import grid as grid_text
from layouts import export
from layouts.ids import Bar, Shell

#: The screens, in navigation order: (name, path below the app's prefix, text key).
SCREENS = (("overview", "", "nav_overview"), ("grid", "grid", "nav_grid"),
           ("events", "events", "nav_events"), ("environment", "environment", "nav_environment"),
           ("economy", "economy", "nav_economy"), ("tasks", "tasks", "nav_tasks"),
           ("services", "services", "nav_services"), ("report", "report", "nav_report"),
           ("datasets", "data", "nav_data"), ("command", "command", "nav_command"))
#: Screens outside the navigation (name, path): the phone view opens on its own.
OWN_PAGES = (("phone", "m"),)
#: The modebar keeps what analysts use (box select, zoom, pan, reset); downloads are the
#: panel's own PNG/SVG/PDF links. Its tooltips follow the page's
#: language (assets/citybrain.js registers plotly's Chinese texts).
GRAPH_CONFIG = {"displaylogo": False, "scrollZoom": True, "showSendToCloud": False,
                "modeBarButtonsToRemove": ["lasso2d", "autoScale2d", "toImage",
                                           "sendDataToCloud", "toggleSpikelines",
                                           "hoverClosestCartesian", "hoverCompareCartesian"]}


def nav_href(screen: str, query: str) -> str:
    """A screen's link relative to the current page, so a path prefix keeps working (the
    same rule as window.citybrain.writeUrl)."""
    path = dict((name, path) for name, path, _ in SCREENS)[screen]
    return (path or "./") + query


def header(*, lang: str, screen: str, city_name: str, is_demo: bool, as_of: str,
           lang_href: str, query: str, allowed=None, user: str | None = None,
           logout_href: str = "/logout", csrf_token: str = "", zone: str = settings.DEFAULT_TZ,
           wall: bool = False):
    """Return the header bar: city, the screens (those in ``allowed``; None: all), the wall
    (``wall``: the user may open it), demo badge, data as-of, clock, language, and the
    signed-in user with a sign-out link."""
    badge = html.Span(i18n.t("demo", lang), className="demo-badge",
                      title=i18n.t("demo_hint", lang)) if is_demo else None
    # the wall opens in a tab of its own: it has no navigation back to the screens
    wall_link = html.A(i18n.t("nav_wall", lang), href="wall" + query, target="_blank",
                       id={"type": Shell.NAV, "screen": "wall"}, className="nav-link wall-link",
                       title=i18n.t("wall_title", lang)) if wall else None
    nav = html.Nav(className="cb-nav", children=[
        *[dcc.Link(i18n.t(key, lang), href=nav_href(name, query),
                   id={"type": Shell.NAV, "screen": name},
                   className="nav-link current" if name == screen else "nav-link")
          for name, _, key in SCREENS if allowed is None or name in allowed],
        wall_link])
    account = sign_out(user, logout_href, csrf_token, lang) if user else None
    return html.Header(className="cb-header", children=[
        html.H1([html.Span(city_name, className="city"), " ", i18n.t("title", lang)]),
        nav,
        badge,
        html.Div(className="cb-header-right", children=[
            html.Span([i18n.t("as_of", lang), " ", html.B(as_of)], className="as-of"),
            # the centre's clock, not the display's (a kiosk's own zone may be anything)
            html.Span(id=Shell.CLOCK, className="clock", **{"data-zone": zone}),
            html.A(i18n.t("language", lang), id=Shell.LANG_LINK, href=lang_href,
                   className="lang-link"),
            account,
        ]),
    ])


def sign_out(user: str, logout_href: str, csrf_token: str, lang: str, back_to: str = ""):
    """The signed-in user's name and sign-out button. Signing out is a POST with the form's
    CSRF token: no other site can sign a user out. ``back_to``: the path the next sign-in
    returns to (the phone view's own; the desktop's overview otherwise)."""
    return html.Form(className="account", method="post", action=logout_href, children=[
        html.Span(user), dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
        dcc.Input(type="hidden", name="next", value=back_to) if back_to else None,
        html.Button(i18n.t("sign_out", lang), type="submit", className="lang-link")])


def time_slider(*, ids: Bar, lang: str, slider: dict, step_options: list[dict], step: str,
                range_options: list[dict], quick_range: str | None):
    """Return the time filter: a quick range (本月, 近30天...), play/pause, the play step,
    and the range of days (a handle's tooltip shows its date: assets/citybrain.js)."""
    return html.Div(className="time-slider", title=i18n.t("select_hint", lang), children=[
        dcc.Dropdown(id=ids.QUICK_RANGE, options=range_options, value=quick_range,
                     clearable=False, searchable=False, className="quick-range-dropdown",
                     maxHeight=280,      # all six ranges without a scroll bar
                     placeholder=i18n.t("quick_range", lang)),
        html.Button("▶", id=ids.PLAY, n_clicks=0, className="play-btn",
                    title=i18n.t("play", lang)),
        dcc.Dropdown(id=ids.STEP, options=step_options, value=step, clearable=False,
                     searchable=False, className="step-dropdown"),
        html.Div(className="slider-box", **{"data-first-day": slider["first_day"]},
                 children=dcc.RangeSlider(
                     id=ids.TIME_SLIDER, min=0, max=slider["max"], step=1,
                     marks=slider["marks"], value=slider["value"], allowCross=False,
                     updatemode="mouseup",
                     tooltip={"placement": "bottom", "transform": "cbSliderDate"},
                     allow_direct_input=False)),  # day numbers mean nothing to a user
    ])


def filter_bar(*, ids: Bar, lang: str, indicator_options: list[dict], indicator: str,
               district_options: list[dict], district: str | None, slider: dict,
               step_options: list[dict], step: str, range_options: list[dict],
               quick_range: str | None, extra=None, trail: bool = False,
               everywhere: str | None = None):
    """Return the filter bar: indicator, district, time slider, active filters, clear.

    ``extra`` holds a screen's own controls; ``trail`` puts the drill-down breadcrumbs here
    (screens without a map).
    """
    return html.Div(className="cb-filterbar", children=[
        # 48 indicators: typing a few characters of a name finds one
        dcc.Dropdown(id=ids.INDICATOR, options=indicator_options, value=indicator,
                     clearable=False, searchable=True, className="cb-dropdown",
                     placeholder=i18n.t("map_indicator", lang)),
        dcc.Dropdown(id=ids.DISTRICT, options=district_options, value=district,
                     clearable=True, searchable=False, className="district-dropdown",
                     placeholder=everywhere or i18n.t("whole_city", lang)),
        *([extra] if extra is not None else []),
        time_slider(ids=ids, lang=lang, slider=slider, step_options=step_options, step=step,
                    range_options=range_options, quick_range=quick_range),
        trail_nav(ids) if trail else None,
        html.Div(id=Shell.FILTER_TEXT, className="filter-text", **{"aria-live": "polite"}),
        html.Button(i18n.t("clear", lang), id=ids.CLEAR, n_clicks=0, className="clear-btn"),
        html.Div(id=Shell.NOTICE, className="notice", role="status"),
    ])


def trail_nav(ids: Bar, extra_class: str = ""):
    """The drill-down trail's container, filled by a callback."""
    return html.Nav(id=ids.BREADCRUMBS, className=f"breadcrumbs {extra_class}".strip(),
                    **{"aria-label": "breadcrumb"})


def breadcrumbs(ids: Bar, names: list[str]) -> list:
    """Return the drill-down trail 赣州市 › district › township › cell; all but the last
    are buttons that go back up to that level."""
    items = []
    for level, label in enumerate(names):
        if level:
            items.append(html.Span("›", className="crumb-sep"))
        if level == len(names) - 1:
            items.append(html.Span(label, className="crumb current"))
        else:
            items.append(html.Button(label, id={"type": ids.CRUMB, "level": level},
                                     n_clicks=0, className="crumb"))
    return items


def export_links(graph_id: str):
    """The chart's download links (PNG, SVG, PDF, rendered on the server in the print theme)
    behind one small button in the chart's top right corner, so they cover no title; their
    hrefs carry the filters (window.citybrain.writeUrl keeps them current). The layouts are
    the same in both languages, so the button's tooltip says it in both."""
    return html.Details(className="export-menu", children=[
        html.Summary("⤓", className="export-toggle", title="下载图表 · Download chart"),
        html.Div(className="export-links", children=[
            html.A(fmt.upper(), id={"type": Shell.EXPORT, "chart": graph_id, "fmt": fmt},
                   href=f"export/chart/{graph_id}.{fmt}", download="", className="export-link")
            for fmt in export.FORMATS])])


def graph_panel(graph_id: str, extra_class: str = "", figure=None):
    """A panel holding one chart that fills it, with its download links."""
    return html.Div(className=f"panel chart-panel {extra_class}".strip(), children=[
        dcc.Graph(id=graph_id, figure=figure or {}, config=GRAPH_CONFIG, className="graph",
                  style={"height": "100%", "width": "100%"}),
        export_links(graph_id)])


def screen(*, ids: Bar, lang: str, children: list):
    """A screen's canvas: the plumbing, then its header, filter bar and body."""
    return html.Div(id=f"{ids.prefix}-root", className=f"cb-screen lang-{lang}",
                    children=[*page_plumbing(ids), *children, version_footer()])


def version_footer():
    """The running version, small in the screen's bottom margin (outside the layout's flow:
    the screens fill the display exactly), for a support call to read off."""
    return html.Div(f"citybrain {settings.VERSION}", className="cb-version")


def page_plumbing(ids: Bar) -> list:
    """Return the invisible parts every screen carries: its URL, filter store and clock tick.

    They live inside the page, not the shell, so that every callback touching them sees all
    of its components appear together when the page is rendered.
    """
    return [dcc.Location(id=ids.PAGE_URL, refresh=False), dcc.Store(id=Shell.FILTERS),
            dcc.Interval(id=Shell.CLOCK_TICK, interval=1000),
            # the time slider's playback: one step per tick while playing
            dcc.Interval(id=ids.PLAY_TICK, interval=1500, disabled=True),
            html.Div(id=Shell.URL_WRITER, hidden=True)]


def not_found(lang: str, home: str):
    """The page for a path that names no screen."""
    return html.Div(className="cb-screen", children=[
        html.H1(i18n.t("not_found", lang)),
        dcc.Link(i18n.t("nav_overview", lang), href=home, className="nav-link")])


def no_access(lang: str, role: str, links: list[tuple[str, str]]):
    """The page for a screen the user's role does not open: what it does open."""
    return html.Div(className="cb-screen", children=[
        html.H1(i18n.t("no_access", lang).format(role=i18n.t(f"role_{role}", lang))),
        html.Div([dcc.Link(text, href=href, className="nav-link") for text, href in links])])


def shell():
    """Return the app shell: the URL that picks the page, and the page container."""
    return html.Div([dcc.Location(id=Shell.URL, refresh=False),
                     html.Div(id=Shell.PAGE, className="cb-page")])


def grid_theme(theme) -> dict:
    """An AG Grid's look in a screen theme (AG Grid's Theming API, evaluated in the browser
    by dash-ag-grid: no stylesheet to fetch). Every table of the screens is a grid."""
    params = {
        "backgroundColor": theme.panel, "foregroundColor": theme.text,
        "oddRowBackgroundColor": "#0c1b38", "rowHoverColor": "rgba(41, 211, 255, 0.10)",
        "headerBackgroundColor": theme.grid, "headerTextColor": theme.text,
        "headerFontWeight": 700, "borderColor": theme.grid, "columnBorder": True,
        "accentColor": theme.accent, "chromeBackgroundColor": "#0f2244",
        "inputBackgroundColor": "#0f2244", "inputTextColor": theme.text,
        "menuBackgroundColor": theme.panel, "menuTextColor": theme.text,
        "browserColorScheme": "dark", "fontFamily": "inherit", "fontSize": 15,
        "headerFontSize": 15, "wrapperBorderRadius": 0, "spacing": 6,
    }
    return {"function": f"themeQuartz.withParams({json.dumps(params)})"}


#: A table cell or header too narrow for its text ends in an ellipsis and gives the whole
#: text as the browser's own tooltip (its title attribute: no tooltip component to load).
FULL_TEXT_ON_HOVER = {"enableBrowserTooltips": True, "tooltipShowDelay": 400}


def data_grid(table_id: str, columns: list[dict], theme, lang: str, *, sortable: bool = False,
              widths: dict[str, int] | None = None):
    """A small table the server sends whole (``rowData``): the department table, the
    overdue list, the report's KPIs. ``columns``: ``{"id", "name", "type"?: "numeric"}``;
    numbers right-aligned; ``widths`` fixes a column's pixels, the rest share the width."""
    def column(spec: dict) -> dict:
        out = {"field": spec["id"], "headerName": spec["name"], "tooltipField": spec["id"],
               "headerTooltip": spec["name"]}
        if spec.get("type") == "numeric":
            out["type"] = "rightAligned"
        if widths and spec["id"] in widths:
            out.update(width=widths[spec["id"]], suppressSizeToFit=True)
        return out
    return dag.AgGrid(
        id=table_id, className="data-grid", rowData=[], columnDefs=[column(c) for c in columns],
        columnSize="responsiveSizeToFit",
        defaultColDef={"sortable": sortable, "resizable": True, "minWidth": 70,
                       "cellDataType": False, "suppressHeaderMenuButton": True},
        dashGridOptions={"theme": grid_theme(theme), "localeText": grid_text.locale_text(lang),
                         "rowHeight": 30, "headerHeight": 34, "suppressCellFocus": True,
                         "enableCellTextSelection": True, **FULL_TEXT_ON_HOVER},
        style={"height": "100%", "width": "100%"})


def panel(children, extra_class: str = "", title: str | None = None):
    """A panel with an optional heading (for tables; charts carry their own titles)."""
    head = [html.H2(title, className="panel-title")] if title else []
    return html.Div(className=f"panel {extra_class}".strip(), children=[*head, *children])
