"""The screens and what they share: the page for a path, the filter text, the address bar
and the clock.

A screen is a ``Screen``: its name (as in ``layouts.frame.SCREENS``), how it renders for a
state, its own filter-bar controls, and whether its drill-down trail sits in the bar (screens
without a map) or in the screen (the overview's map).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dash import ALL, Input, Output, State, html

import i18n
from callbacks import filters
from charts import common
from charts import state as st
from charts import wall as wall_charts
from data import catalog
from layouts import figures, frame
from layouts.ids import Bar, Shell
from web import auth


@dataclass(frozen=True)
class Screen:
    name: str
    prefix: str       # of its component IDs (layouts/ids.py)
    #: render(state, runtime, app, ids, head, bar) -> the screen's component tree
    render: Callable
    #: bar_extra(state, runtime) -> the screen's own filter-bar control, or None
    bar_extra: Callable | None = None
    trail_in_bar: bool = True
    #: False: the screen draws its own header and has no filter bar (the phone view)
    chrome: bool = True


def indicator_options(runtime, lang: str) -> list[dict]:
    """Return the indicator choices of the store served, grouped by domain in catalogue
    order: those the map and ranking can split across districts (not catalog.CITY_ONLY)."""
    return [{"label": f"{i18n.t('domain_' + ind.domain, lang)} · "
                      f"{figures.indicator_title(ind, lang)}", "value": ind.code}
            for ind in runtime.catalogue if ind.code not in catalog.CITY_ONLY]


def district_options(runtime, lang: str) -> list[dict]:
    """Return the district choices (the city's districts in code order)."""
    return [{"label": i18n.name(row, lang), "value": row["code"]}
            for _, row in runtime.queries.districts().iterrows()]


def range_options(lang: str) -> list[dict]:
    """Return the time filter's quick ranges."""
    return [{"label": i18n.t(f"range_{name}", lang), "value": name} for name in st.QUICK_RANGES]


def step_options(lang: str) -> list[dict]:
    """Return the time slider's play steps."""
    return [{"label": i18n.t(f"step_{step}", lang), "value": step} for step in st.STEPS]


def register(app, runtime, screens: list[Screen], wall=None) -> None:
    """Register the page router and the callbacks every screen shares. ``wall`` is the
    wall's module (callbacks/wall.py): /wall, or any screen with ?mode=wall."""
    by_path = {path: name for name, path, _ in frame.SCREENS} | dict(
        (path, name) for name, path in frame.OWN_PAGES)
    by_name = {s.name: s for s in screens}

    # URL path -> the screen, built in the language the link asks for
    @app.callback(Output(Shell.PAGE, "children"), Input(Shell.URL, "pathname"),
                  State(Shell.URL, "search"))
    def render_page(pathname, search):
        path = app.strip_relative_path(pathname or "/") or ""
        name = by_path.get(path)
        who = runtime.principal
        # a wall display's kiosk token opens the wall whatever the path
        if wall is not None and (wall_charts.is_wall(path, search) or who.kiosk_id is not None) \
                and who.may("wall"):
            return wall.render(search, runtime, app, first=wall_charts.FIRST_SCENE.get(name))
        state, _ = st.parse_query(search, runtime.context)
        if name not in by_name:
            return frame.not_found(state.lang, app.get_relative_path("/"))
        allowed = [s for s, _, _ in frame.SCREENS if who.may(s)]
        if not who.may(name):
            query = common.store_payload(state)["query"]
            return frame.no_access(state.lang, who.role, [
                (i18n.t(key, state.lang), app.get_relative_path("/" + p) + query)
                for s, p, key in frame.SCREENS if s in allowed]
                + ([(i18n.t("wall_title", state.lang), app.get_relative_path("/wall") + query)]
                   if who.may("wall") else []))
        screen = by_name[name]
        if not screen.chrome:
            return screen.render(state, runtime, app, None, None, None)
        payload = common.store_payload(state)
        head = frame.header(
            lang=state.lang, screen=name, city_name=runtime.city_name(state.lang),
            is_demo=runtime.is_demo, as_of=runtime.as_of.strftime("%Y-%m-%d %H:%M"),
            lang_href=payload["lang_query"], query=payload["query"], allowed=allowed,
            user=who.name or None, logout_href=app.get_relative_path("/logout"),
            csrf_token=auth.csrf_token(), zone=runtime.settings.time_zone,
            wall=wall is not None and who.may("wall"))
        ids = Bar(screen.prefix)
        bar = frame.filter_bar(
            ids=ids, lang=state.lang, indicator_options=indicator_options(runtime, state.lang),
            indicator=state.indicator, district_options=district_options(runtime, state.lang),
            district=state.district, slider=common.slider_model(state, runtime.context),
            step_options=step_options(state.lang), step=state.step,
            range_options=range_options(state.lang),
            quick_range=st.quick_range_of(state, runtime.context),
            extra=screen.bar_extra(state, runtime) if screen.bar_extra else None,
            trail=screen.trail_in_bar,
            # a district user's "everywhere" is their districts
            everywhere=runtime.scope_name(state.lang) if who.districts else None)
        page = screen.render(state, runtime, app, ids, head, bar)
        # the chart download links are for roles that may export (the route refuses others)
        return page if who.may("export") else html.Div(page, className="no-export")

    # filter store -> active-filter text
    @app.callback(Output(Shell.FILTER_TEXT, "children"), Input(Shell.FILTERS, "data"))
    def update_filter_text(data):
        return common.filter_text(filters.read_state(data, runtime.context), runtime)

    # the whole text is its tooltip too: two lines show, and what a third would hold (a
    # screen with a dropdown more, a long indicator name) is cut short by an ellipsis
    app.clientside_callback("function(text) { return text; }",
                            Output(Shell.FILTER_TEXT, "title"),
                            Input(Shell.FILTER_TEXT, "children"))

    # filter store -> browser URL, language link and the screens' links (no server round trip)
    app.clientside_callback(
        "function(data, navIds, exportIds) {"
        " return window.citybrain.writeUrl(data, navIds, exportIds); }",
        Output(Shell.URL_WRITER, "children"), Output(Shell.LANG_LINK, "href"),
        Output({"type": Shell.NAV, "screen": ALL}, "href"),
        Output({"type": Shell.EXPORT, "chart": ALL, "fmt": ALL}, "href"),
        Input(Shell.FILTERS, "data"), State({"type": Shell.NAV, "screen": ALL}, "id"),
        State({"type": Shell.EXPORT, "chart": ALL, "fmt": ALL}, "id"))

    # clock tick -> clock text
    app.clientside_callback(
        "function(n) { return window.citybrain.clock(); }",
        Output(Shell.CLOCK, "children"), Input(Shell.CLOCK_TICK, "n_intervals"))
