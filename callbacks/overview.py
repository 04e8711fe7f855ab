"""Callbacks of the overview screen: thin translators from the filter store to figures.

Every chart listens to the one filter store, never to another chart, so nothing loops; only
the screen's filter controller (``callbacks/filters.py``) writes the store. The map keeps its
geometry in the browser and is recoloured with a ``Patch``.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from dash import ALL, Input, Output, Patch, State, no_update

from callbacks import filters
from callbacks import state as st
from callbacks.filters import Control, district_click_control, range_control
from callbacks.shell import Screen
from data import catalog, freshness
from data.catalog import Indicator
from geo.geojson import map_view, to_geojson
from layouts import export, figures, i18n, overview, theme
from layouts.figures import MAP_DATA_TRACE, MAP_LAYER_TRACES
from layouts.ids import Overview, Shell

THEME = theme.WALL

#: What the map shows below the districts when the chosen indicator is district-level only.
FALLBACK_AREA_METRIC = "events_per_10k"


def _map_selection(state, selection, _trigger, context):
    # a box or lasso; plotly also reports null when a redraw drops the selection, so only a
    # new selection (or 清除筛选) changes the picked shapes
    if not selection:
        return None
    return st.pick(state, st.picked_codes(selection), context)


def _kpi_card(state, trigger, _context):
    return st.set_indicator(state, trigger.get("code"))


#: The overview's own ways of changing the filters, beside the filter bar.
CONTROLS = (
    Control(Overview.MAP, "clickData",
            lambda s, click, _t, c: st.select_area(s, st.clicked_code(click), c)),
    Control(Overview.MAP, "selectedData", _map_selection),
    district_click_control(Overview.RANKING),
    range_control(Overview.TREND), range_control(Overview.AIR),
    range_control(Overview.EVENTS_STATUS),
    Control({"type": Overview.KPI_CARD, "code": ALL}, "n_clicks", filters._clicked(_kpi_card)),
    Control(Overview.LAYERS, "value", lambda s, v, _t, _c: st.set_layers(s, v),
            shows=lambda s, _c: list(s.layers)),
    Control(Overview.GRAIN, "value", lambda s, v, _t, _c: st.set_grain(s, v),
            shows=lambda s, _c: s.grain),
)


def layer_options(lang: str) -> list[dict]:
    """Return the map layer toggles."""
    return [{"label": i18n.t(f"layer_{name}", lang), "value": name} for name in st.MAP_LAYERS]


def grain_options(lang: str) -> list[dict]:
    """Return the map's two grains: the area's children, or every grid cell inside it."""
    return [{"label": i18n.t(f"grain_{grain}", lang), "value": grain} for grain in st.GRAINS]


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
    names = filters.area_names(state, runtime)
    title_prefix = " › ".join(names[1:3]) if parent else names[0]
    if state.grain == "cells" and not state.township:
        title_prefix += f" · {i18n.t('all_cells', lang)}"
    if ind.kind != "events":
        ind = catalog.get(FALLBACK_AREA_METRIC)
        title_prefix += f" · {i18n.t('area_events_only', lang)}"
    frame = q.event_metric_by_area(ind.code, parent, state.start, state.end,
                                   cells=state.grain == "cells")
    geojson = f"/geo/{state.map_level}.geojson" + (f"?parent={parent}" if parent else "")
    return frame, ind, geojson, f"{title_prefix} · {figures.indicator_title(ind, lang)}"


def map_title(title: str, ind: Indicator, state: st.FilterState, runtime) -> str:
    """The map's title and how fresh what it shows is (below the districts an event metric
    may stand in for the chosen indicator)."""
    text = filters.as_of_text((freshness.feed_of(ind),), replace(state, indicator=ind.code),
                              runtime, THEME)
    return f"{title}  {text}" if text else title


def kpi_texts(row, lang: str, stale: set[str] = frozenset()) -> dict:
    """Return what a KPI card says for one row of ``Queries.kpis``: name, value, target,
    change, arrow, arrow_good, status, as_of, stale (its feed is overdue: ``stale`` holds
    the overdue feeds) (the overview's cards and the wall's tiles)."""
    ind = catalog.get(row.code)
    yoy_basis = ind.is_growth
    headline = None if pd.isna(row.headline) else row.headline
    value = i18n.change(headline, ind, lang) if yoy_basis else i18n.quantity(headline, ind, lang)
    if ind.target is None:
        target = None
    elif yoy_basis:
        target = f"{ind.target:+g}%"
    else:
        target = i18n.quantity(ind.target, ind, lang, decimals=0 if ind.target % 1 == 0 else 1)
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
    return {"code": ind.code, "name": name, "value": value, "target": target,
            "change": change, "arrow": arrow, "arrow_good": good, "status": row.status,
            "as_of": figures.as_of_label(row.last, ind.frequency),
            "stale": freshness.feed_of(ind) in stale}


def kpi_cards(frame: pd.DataFrame, lang: str, stale: set[str] = frozenset()) -> list:
    """Return the KPI cards for the ``Queries.kpis`` frame."""
    return [overview.kpi_card(**kpi_texts(row, lang, stale), lang=lang)
            for row in frame.itertuples()]


def render(state: st.FilterState, runtime, app, ids, head, bar):
    """The overview for a state; the map arrives drawn (the charts follow by callback)."""
    center, zoom = runtime.view(state.township or state.district)
    frame, ind, geojson, title = map_layer(state, runtime)
    map_figure = figures.choropleth(
        frame, ind, geojson_url=app.get_relative_path(geojson),
        style_url=app.get_relative_path(f"/geo/style/{THEME.name}.json"),
        center=center, zoom=zoom, size=overview.MAP_SIZE, theme=THEME, lang=state.lang,
        selected=state.picked or state.area,
        title=map_title(title, ind, state, runtime),
        view_key=state.township or state.district or "city",
        layers=overlay_traces(state, runtime), level=state.map_level)
    return overview.page(ids=ids, lang=state.lang, head=head, bar=bar, map_figure=map_figure,
                         layer_options=layer_options(state.lang), layers=list(state.layers),
                         grain_options=grain_options(state.lang), grain=state.grain,
                         map_drawn_for=st.to_query(state))


SCREEN = Screen("overview", Overview.PREFIX, render, trail_in_bar=False)


def register(app, runtime) -> None:
    """Register the overview's callbacks on ``app``, reading through ``runtime``."""
    filters.register_controller(app, runtime, Overview.PREFIX, CONTROLS)

    def _state(data: dict | None) -> st.FilterState:
        return filters.read_state(data, runtime.context)

    # filter store -> KPI cards
    @app.callback(Output(Overview.KPIS, "children"), Input(Shell.FILTERS, "data"))
    def update_kpis(data):
        s = _state(data)
        return kpi_cards(runtime.queries.kpis(s.scope, s.start, s.end), s.lang,
                         runtime.stale_feeds())

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
        trace = patch["data"][MAP_DATA_TRACE]
        trace["geojson"] = app.get_relative_path(geojson)
        for key in ("locations", "z", "zmin", "zmax", "colorscale", "text"):
            trace[key] = arrays[key]
        trace["hovertemplate"] = figures.hover_template(s.map_level, s.lang)
        trace["marker"]["line"]["width"] = arrays["line_width"]
        trace["marker"]["line"]["color"] = arrays["line_color"]
        trace["colorbar"]["title"]["text"] = figures.colorbar_title(ind, s.lang)
        patch["layout"]["title"]["text"] = map_title(title, ind, s, runtime)
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

    # the map has its own callback (a Patch, geometry by URL); its chart function is for files
    filters.register_charts(app, runtime, {k: v for k, v in CHARTS.items()
                                           if k != Overview.MAP}, THEME)


# --- the overview's charts: (state, runtime, theme) -> figure, shared with chart export ----

@filters.reads("indicator")
def ranking_chart(s: st.FilterState, runtime, theme):
    """The districts ranked by the indicator, the chosen ones outlined."""
    ind = catalog.get(s.indicator)
    frame = runtime.queries.indicator_by_district(s.indicator, s.start, s.end)
    return figures.ranking(frame, ind, theme=theme, lang=s.lang, selected=s.scope_districts)


@filters.reads("indicator")
def trend_chart(s: st.FilterState, runtime, theme):
    """The indicator's monthly trend for the city or the district."""
    ind = catalog.get(s.indicator)
    frame = runtime.queries.indicator_monthly(s.indicator, s.scope_districts)
    if frame["value"].notna().sum() == 0:
        return figures.empty(theme, figures.indicator_title(ind, s.lang),
                             i18n.t("no_data", s.lang))
    return figures.trend(frame, ind, theme=theme, lang=s.lang, start=s.start, end=s.end)


@filters.reads("air_hourly")
def air_chart(s: st.FilterState, runtime, theme):
    """The daily AQI of the city or the district."""
    frame = runtime.queries.aqi_daily(s.scope_districts)
    if frame.empty:       # a city loaded without air readings
        return figures.empty(theme, i18n.t("air", s.lang), i18n.t("no_data", s.lang))
    return figures.aqi_daily(frame, theme=theme, lang=s.lang, start=s.start, end=s.end)


@filters.reads("grid_events")
def events_status_chart(s: st.FilterState, runtime, theme):
    """Events reported per month, by their current stage."""
    frame = runtime.queries.events_monthly_by_status(s.scope)
    if frame.empty:
        return figures.empty(theme, i18n.t("events_status", s.lang), i18n.t("no_data", s.lang))
    return figures.events_by_status(frame, theme=theme, lang=s.lang, start=s.start, end=s.end)


@filters.reads("grid_events")
def events_category_chart(s: st.FilterState, runtime, theme):
    """Events per category over the range."""
    frame = runtime.queries.events_by_category(s.scope, s.start, s.end)
    if frame.empty:
        return figures.empty(theme, i18n.t("events_category", s.lang),
                             i18n.t("no_data", s.lang))
    return figures.events_by_category(frame, theme=theme, lang=s.lang)


@filters.reads("indicator")
def map_chart(s: st.FilterState, runtime, theme):
    """The map as a file: the same layer and colours, its shapes inline (a file cannot fetch
    the app's GeoJSON URL) on a plain background (kaleido draws it in Chromium's WebGL)."""
    import json

    frame, ind, _, title = map_layer(s, runtime)
    shapes = runtime.shapes_within(s.map_level, s.township or s.district)
    width, height = export.SIZE
    # fitted to the file's frame (less the title, colour bar and footnote)
    center, zoom = map_view(tuple(shapes.total_bounds), width - 140, height - 130)
    return figures.choropleth(
        frame, ind, geojson_url=json.loads(to_geojson(shapes)), style_url="white-bg",
        center=center, zoom=zoom, size=export.SIZE, theme=theme, lang=s.lang,
        selected=s.picked or s.area, title=title,
        view_key=s.township or s.district or "city", level=s.map_level)


CHARTS = {Overview.MAP: map_chart, Overview.TREND: trend_chart, Overview.AIR: air_chart,
          Overview.EVENTS_STATUS: events_status_chart, Overview.RANKING: ranking_chart,
          Overview.EVENTS_CATEGORY: events_category_chart}
