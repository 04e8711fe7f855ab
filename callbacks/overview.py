"""Callbacks of the overview screen: thin translators from the filter store to figures.

Every chart listens to the one filter store, never to another chart, so nothing loops; only
``update_filters`` writes the store. The map keeps its geometry in the browser and is recoloured
with a ``Patch``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from dash import ALL, Input, Output, Patch, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks import state as st
from data import catalog
from data.catalog import Indicator
from layouts import figures, i18n, overview, theme
from layouts.figures import MAP_BASE_TRACE, MAP_DATA_TRACE, MAP_LAYER_TRACES
from layouts.ids import Overview, Shell

THEME = theme.WALL

#: What the map shows below the districts when the chosen indicator is district-level only.
FALLBACK_AREA_METRIC = "events_per_10k"
_RANGE_SOURCES = (Overview.TREND, Overview.AIR, Overview.EVENTS_STATUS)


def indicator_options(lang: str) -> list[dict]:
    """Return the map indicator choices, grouped by domain in catalogue order."""
    return [{"label": f"{i18n.t('domain_' + ind.domain, lang)} · "
                      f"{figures.indicator_title(ind, lang)}", "value": ind.code}
            for ind in catalog.INDICATORS]


def store_payload(state: st.FilterState, from_url: bool = False) -> dict:
    """Return what the filter store holds: the state and the URLs derived from it.

    ``from_url`` marks a state read from the address bar: the browser then replaces its
    history entry instead of adding one, so Back leaves the page rather than repeating it.
    """
    other = "en" if state.lang == "zh" else "zh"
    return {**state.to_dict(), "query": st.to_query(state), "from_url": from_url,
            "lang_query": st.to_query(st.FilterState(**{**state.to_dict(), "lang": other}))}


def area_names(state: st.FilterState, runtime) -> list[str]:
    """Return the names along the drill-down trail: the city, district, township, cell."""
    lang, q = state.lang, runtime.queries
    names = [runtime.city_name(lang)]
    for code, frame in ((state.district, q.districts()), (state.township, q.areas("townships")),
                        (state.cell, q.areas("grid_cells"))):
        if code:
            names.append(i18n.name(frame.set_index("code").loc[code], lang))
    return names


def step_options(lang: str) -> list[dict]:
    """Return the time slider's play steps."""
    return [{"label": i18n.t(f"step_{step}", lang), "value": step} for step in st.STEPS]


def slider_model(state: st.FilterState, context: st.Context) -> dict:
    """Return the time slider's range (days since the store's first day), its marks (each
    year's first month labelled, every month a tick) and the state's position on it."""
    marks, month = {}, context.first_day.replace(day=1)
    while month <= context.last_day:
        if month >= context.first_day:
            label = str(month.year) if month.month == 1 else ""
            marks[st.day_index(context, month)] = label
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return {"max": st.day_index(context, context.last_day), "marks": marks,
            "value": [st.day_index(context, state.start), st.day_index(context, state.end)]}


def layer_options(lang: str) -> list[dict]:
    """Return the map layer toggles."""
    return [{"label": i18n.t(f"layer_{name}", lang), "value": name} for name in st.MAP_LAYERS]


def overlay_traces(state: st.FilterState, runtime) -> list[dict]:
    """Return the map's optional layers for the area the map shows."""
    q, shown = runtime.queries, set(state.layers)
    parent, start, end = state.township or state.district, state.start, state.end
    density = None
    if "events" in shown:
        points = runtime.points("townships" if parent is None else "grid_cells")
        density = points.merge(q.event_density(parent, start, end), on="area_code")
    return figures.map_layers(
        stations=q.stations_aqi(parent, start, end) if "stations" in shown else None,
        sections=q.water_classes(parent, start, end) if "water" in shown else None,
        density=density, theme=THEME, lang=state.lang)


def map_legend(state: st.FilterState) -> list:
    """Return the legend rows of the layers shown, in the catalogue's terms."""
    from data.aqi import LEVELS
    en = state.lang == "en"
    rows = []
    if "stations" in state.layers:
        rows.append((i18n.t("layer_stations", state.lang),
                     [(lv[4], lv[3] if en else lv[2]) for lv in LEVELS]))
    if "water" in state.layers:
        rows.append((i18n.t("layer_water", state.lang),
                     [(theme.WATER_COLORS[c - 1], names[1 if en else 0])
                      for c, names in catalog.WATER_CLASSES.items()]))
    if "events" in state.layers:
        rows.append((i18n.t("legend_events", state.lang), []))
    return overview.legend(rows)


def map_layer(state: st.FilterState, runtime) -> tuple[pd.DataFrame, Indicator, str, str]:
    """Return what the map shows for a state: (frame with area_code, indicator, GeoJSON path,
    title). Below the districts only event metrics exist: another indicator falls back to
    events per 10k residents, and the title says so."""
    q, lang = runtime.queries, state.lang
    ind = catalog.get(state.indicator)
    if state.map_level == "districts":
        frame = q.indicator_by_district(ind.code, state.start, state.end).rename(
            columns={"district_code": "area_code"})
        return frame, ind, "/geo/districts.geojson", figures.indicator_title(ind, lang)
    parent = state.township or state.district
    title_prefix = " › ".join(area_names(state, runtime)[1:3])
    if ind.kind != "events":
        ind = catalog.get(FALLBACK_AREA_METRIC)
        title_prefix += f" · {i18n.t('area_events_only', lang)}"
    frame = q.event_metric_by_area(ind.code, parent, state.start, state.end)
    return (frame, ind, f"/geo/{state.map_level}.geojson?parent={parent}",
            f"{title_prefix} · {figures.indicator_title(ind, lang)}")


def filter_text(state: st.FilterState, runtime) -> str:
    """Return the active filters as one line of text."""
    lang = state.lang
    names = area_names(state, runtime)
    where = " › ".join(names[1:]) if len(names) > 1 else i18n.t("whole_city", lang)
    if state.picked:
        where += f" · {i18n.t('picked', lang).format(n=len(state.picked))}"
    ind = catalog.get(state.indicator)
    return (f"{i18n.t('filters', lang)}: {where} · {state.start} {i18n.t('to', lang)} {state.end}"
            f" · {figures.indicator_title(ind, lang)}")


def kpi_cards(frame: pd.DataFrame, lang: str) -> list:
    """Return the KPI cards for the ``Queries.kpis`` frame."""
    cards = []
    for row in frame.itertuples():
        ind = catalog.get(row.code)
        yoy_basis = ind.is_growth
        headline = None if pd.isna(row.headline) else row.headline
        value = i18n.change(headline, ind, lang) if yoy_basis else i18n.quantity(headline, ind,
                                                                                   lang)
        if ind.target is None:
            target = None
        elif yoy_basis:
            target = f"{ind.target:+g}%"
        else:
            target = i18n.quantity(ind.target, ind, lang, decimals=0 if ind.target % 1 == 0
                                   else 1)
        prev = None if pd.isna(row.previous) else row.previous
        if headline is None or prev is None or abs(headline - prev) < 1e-9:
            arrow, good = "▬", None
        else:
            up = headline > prev
            arrow, good = ("▲" if up else "▼"), (up == (ind.better == "higher"))
        change = None
        if yoy_basis and not pd.isna(row.value):
            change = i18n.quantity(row.value, ind, lang)
        elif not yoy_basis and not pd.isna(row.yoy):
            change = f"{i18n.t('yoy', lang)} {i18n.change(row.yoy, ind, lang)}"
        name = ind.name_en if lang == "en" else ind.name_zh
        if yoy_basis:
            name += f" {i18n.t('yoy', lang)}"
        cards.append(overview.kpi_card(
            code=ind.code, name=name, value=value, target=target, change=change, arrow=arrow,
            arrow_good=good, status=row.status,
            as_of=figures.as_of_label(row.last, ind.frequency), lang=lang))
    return cards


def _changed(value, shown):
    """The value for a control that mirrors the state, or no_update if it already shows it."""
    return no_update if value == shown else value


def register(app, runtime) -> None:
    """Register the overview's callbacks on ``app``, reading through ``runtime``."""
    q = runtime.queries

    def _state(data: dict | None) -> st.FilterState:
        # the store comes back from the browser: never trust it further than the URL
        state = st.valid_state(data, runtime.context)
        if state is None:
            raise PreventUpdate
        return state

    # URL path -> the screen, built in the language the link asks for
    @app.callback(Output(Shell.PAGE, "children"), Input(Shell.URL, "pathname"),
                  State(Shell.URL, "search"))
    def render_page(_pathname, search):
        state, _ = st.parse_query(search, runtime.context)
        center, zoom = runtime.view(state.township or state.district)
        frame, ind, geojson, title = map_layer(state, runtime)
        map_figure = figures.choropleth(
            frame, ind, geojson_url=app.get_relative_path(geojson),
            style_url=app.get_relative_path(f"/geo/style/{THEME.name}.json"),
            center=center, zoom=zoom, size=overview.MAP_SIZE, theme=THEME, lang=state.lang,
            selected=state.picked or state.area,
            title=title, view_key=state.township or state.district or "city",
            layers=overlay_traces(state, runtime))
        return overview.page(
            lang=state.lang, city_name=runtime.city_name(state.lang), is_demo=runtime.is_demo,
            as_of=runtime.as_of.strftime("%Y-%m-%d %H:%M"),
            lang_href=store_payload(state)["lang_query"],
            indicator_options=indicator_options(state.lang), indicator=state.indicator,
            map_figure=map_figure, layer_options=layer_options(state.lang),
            layers=list(state.layers), slider=slider_model(state, runtime.context),
            step_options=step_options(state.lang), step=state.step,
            map_drawn_for=st.to_query(state))

    # URL, map/ranking clicks, range selections, time slider and playback, clear, indicator,
    # KPI card, breadcrumbs, layers -> filter store (and the controls that mirror it)
    @app.callback(
        Output(Shell.FILTERS, "data"), Output(Shell.NOTICE, "children"),
        Output(Overview.INDICATOR, "value"), Output(Overview.LAYERS, "value"),
        Output(Overview.TIME_SLIDER, "value"), Output(Overview.STEP, "value"),
        Output(Overview.PLAY_TICK, "disabled"), Output(Overview.PLAY, "children"),
        Input(Shell.PAGE_URL, "search"), Input(Overview.MAP, "clickData"),
        Input(Overview.MAP, "selectedData"),
        Input(Overview.RANKING, "clickData"),
        *[Input(graph, "selectedData") for graph in _RANGE_SOURCES],
        Input(Overview.CLEAR, "n_clicks"), Input(Overview.INDICATOR, "value"),
        Input({"type": Overview.KPI_CARD, "code": ALL}, "n_clicks"),
        Input({"type": Overview.CRUMB, "level": ALL}, "n_clicks"),
        Input(Overview.LAYERS, "value"), Input(Overview.TIME_SLIDER, "value"),
        Input(Overview.STEP, "value"), Input(Overview.PLAY, "n_clicks"),
        Input(Overview.PLAY_TICK, "n_intervals"),
        State(Overview.PLAY_TICK, "disabled"), State(Shell.FILTERS, "data"))
    def update_filters(search, map_click, map_selection, rank_click, trend_sel, air_sel,
                       events_sel,
                       _clear, indicator, _kpi_clicks, _crumb_clicks, layers, days, step,
                       _play, _tick, paused, current):
        context = runtime.context
        trigger = ctx.triggered_id
        notice = no_update
        play = no_update         # the playback's new paused flag, when it changes
        from_url = current is None or trigger in (None, Shell.PAGE_URL)
        if from_url:
            new, dropped = st.parse_query(search, context)
            notice = (i18n.t("notice_dropped", new.lang) + ", ".join(dropped)) if dropped else ""
        else:
            new = st.valid_state(current, context)
            if new is None:
                raise PreventUpdate
            prop = ctx.triggered[0]["prop_id"].rsplit(".", 1)[-1] if ctx.triggered else ""
            if trigger == Overview.MAP and prop == "selectedData":
                # a box or lasso; plotly also reports null when a redraw drops the selection,
                # so only a new selection (or 清除筛选) changes the picked shapes
                if not map_selection:
                    raise PreventUpdate
                new = st.pick(new, st.picked_codes(map_selection), context)
            elif trigger == Overview.MAP:
                new = st.select_area(new, st.clicked_code(map_click), context)
            elif trigger == Overview.RANKING:
                new = st.select_district(new, st.clicked_code(rank_click), context)
            elif trigger in _RANGE_SOURCES:
                picked = st.selected_range({Overview.TREND: trend_sel, Overview.AIR: air_sel,
                                            Overview.EVENTS_STATUS: events_sel}[trigger])
                if picked is None:
                    raise PreventUpdate
                new = st.select_range(new, *picked, context)
            elif trigger == Overview.CLEAR:
                new = st.clear(new, context)
            elif trigger == Overview.INDICATOR:
                new = st.set_indicator(new, indicator)
            elif isinstance(trigger, dict) and trigger.get("type") == Overview.KPI_CARD:
                if not ctx.triggered[0]["value"]:
                    raise PreventUpdate
                new = st.set_indicator(new, trigger.get("code"))
            elif isinstance(trigger, dict) and trigger.get("type") == Overview.CRUMB:
                if not ctx.triggered[0]["value"] or trigger.get("level") not in (0, 1, 2):
                    raise PreventUpdate
                new = st.up_to(new, trigger["level"])
            elif trigger == Overview.LAYERS:
                new = st.set_layers(new, layers)
            elif trigger == Overview.TIME_SLIDER:
                new = st.select_days(new, days, context)
            elif trigger == Overview.STEP:
                new = st.set_step(new, step)
            elif trigger == Overview.PLAY:
                play = not paused
                if paused:                       # starting: from the beginning if at the end
                    new = st.rewind(new, context)
            elif trigger == Overview.PLAY_TICK:
                stepped = st.advance(new, context)
                if stepped is None:
                    play = True                  # reached the last day: stop
                else:
                    new = stepped
        payload = store_payload(new, from_url)
        unchanged = current is not None and \
            {**payload, "from_url": None} == {**current, "from_url": None}
        if unchanged and play is no_update:
            # nothing changed: the browser echoing the URL we wrote keeps the notice up too
            raise PreventUpdate
        slider = slider_model(new, context)["value"]
        return (no_update if unchanged else payload, notice,
                _changed(new.indicator, indicator), _changed(list(new.layers), layers),
                _changed(slider, days), _changed(new.step, step), play,
                no_update if play is no_update else ("▶" if play else "⏸"))

    # filter store -> active-filter text
    @app.callback(Output(Overview.FILTER_TEXT, "children"), Input(Shell.FILTERS, "data"))
    def update_filter_text(data):
        return filter_text(_state(data), runtime)

    # filter store -> KPI cards
    @app.callback(Output(Overview.KPIS, "children"), Input(Shell.FILTERS, "data"))
    def update_kpis(data):
        s = _state(data)
        return kpi_cards(q.kpis(s.scope, s.start, s.end), s.lang)

    # filter store -> map level, colours and outline (geometry comes by URL, once per area)
    @app.callback(Output(Overview.MAP, "figure"), Output(Overview.MAP_DRAWN, "data"),
                  Input(Shell.FILTERS, "data"), State(Overview.MAP_DRAWN, "data"))
    def recolor_map(data, drawn_for):
        s = _state(data)
        if drawn_for is not None and drawn_for == data.get("query"):
            # the page was just drawn for this very state: a Patch now would only race the
            # map's first render (MapLibre throws on a style still loading)
            return no_update, None
        frame, ind, geojson, title = map_layer(s, runtime)
        arrays = figures.choropleth_arrays(frame, ind, s.lang, THEME, s.picked or s.area)
        patch = Patch()
        base = patch["data"][MAP_BASE_TRACE]
        base["geojson"] = app.get_relative_path(geojson)
        for key, value in figures.choropleth_base_arrays(frame, s.lang).items():
            base[key] = value
        trace = patch["data"][MAP_DATA_TRACE]
        trace["geojson"] = app.get_relative_path(geojson)
        for key in ("locations", "z", "customdata", "text"):
            trace[key] = arrays[key]
        trace["marker"]["line"]["width"] = arrays["line_width"]
        trace["marker"]["line"]["color"] = arrays["line_color"]
        trace["reversescale"] = ind.better == "lower"
        trace["colorbar"]["title"]["text"] = figures.colorbar_title(ind, s.lang)
        patch["layout"]["title"]["text"] = title
        # a new area refits the view; within one area the user's pan and zoom stay
        center, zoom = runtime.view(s.township or s.district)
        patch["layout"]["uirevision"] = f"map-{s.township or s.district or 'city'}"
        patch["layout"]["map"]["center"] = center
        patch["layout"]["map"]["zoom"] = zoom
        for index, layer in zip(MAP_LAYER_TRACES.values(), overlay_traces(s, runtime)):
            for key, value in layer.items():
                patch["data"][index][key] = value
        return patch, None

    # filter store -> map legend of the layers shown
    @app.callback(Output(Overview.MAP_LEGEND, "children"), Input(Shell.FILTERS, "data"))
    def update_map_legend(data):
        return map_legend(_state(data))

    # filter store -> drill-down breadcrumbs
    @app.callback(Output(Overview.BREADCRUMBS, "children"), Input(Shell.FILTERS, "data"))
    def update_breadcrumbs(data):
        return overview.breadcrumbs(area_names(_state(data), runtime))

    # filter store -> district ranking
    @app.callback(Output(Overview.RANKING, "figure"), Input(Shell.FILTERS, "data"))
    def update_ranking(data):
        s = _state(data)
        ind = catalog.get(s.indicator)
        frame = q.indicator_by_district(s.indicator, s.start, s.end)
        return figures.ranking(frame, ind, theme=THEME, lang=s.lang,
                               selected=s.scope_districts)

    # filter store -> the map indicator's monthly trend for the city or district
    @app.callback(Output(Overview.TREND, "figure"), Input(Shell.FILTERS, "data"))
    def update_trend(data):
        s = _state(data)
        ind = catalog.get(s.indicator)
        frame = q.indicator_monthly(s.indicator, s.scope_districts)
        if frame["value"].notna().sum() == 0:
            return figures.empty(THEME, figures.indicator_title(ind, s.lang),
                                 i18n.t("no_data", s.lang))
        return figures.trend(frame, ind, theme=THEME, lang=s.lang, start=s.start, end=s.end)

    # filter store -> daily AQI
    @app.callback(Output(Overview.AIR, "figure"), Input(Shell.FILTERS, "data"))
    def update_air(data):
        s = _state(data)
        return figures.aqi_daily(q.aqi_daily(s.scope_districts), theme=THEME, lang=s.lang,
                                 start=s.start, end=s.end)

    # filter store -> events by month and status
    @app.callback(Output(Overview.EVENTS_STATUS, "figure"), Input(Shell.FILTERS, "data"))
    def update_events_status(data):
        s = _state(data)
        frame = q.events_monthly_by_status(s.scope)
        if frame.empty:
            return figures.empty(THEME, i18n.t("events_status", s.lang), i18n.t("no_data", s.lang))
        return figures.events_by_status(frame, theme=THEME, lang=s.lang, start=s.start,
                                        end=s.end)

    # filter store -> events by category
    @app.callback(Output(Overview.EVENTS_CATEGORY, "figure"), Input(Shell.FILTERS, "data"))
    def update_events_category(data):
        s = _state(data)
        frame = q.events_by_category(s.scope, s.start, s.end)
        if frame.empty:
            return figures.empty(THEME, i18n.t("events_category", s.lang),
                                 i18n.t("no_data", s.lang))
        return figures.events_by_category(frame, theme=THEME, lang=s.lang)

    # filter store -> browser URL and language link (no server round trip)
    app.clientside_callback(
        "function(data) { return window.citybrain.writeUrl(data); }",
        Output(Shell.URL_WRITER, "children"), Output(Shell.LANG_LINK, "href"),
        Input(Shell.FILTERS, "data"))

    # clock tick -> clock text
    app.clientside_callback(
        "function(n) { return window.citybrain.clock(); }",
        Output(Shell.CLOCK, "children"), Input(Shell.CLOCK_TICK, "n_intervals"))

