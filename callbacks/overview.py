"""Callbacks of the overview screen: thin translators from the filter store to figures.

Every chart listens to the one filter store, never to another chart, so nothing loops; only
the screen's filter controller (``callbacks/filters.py``) writes the store. The map keeps its
geometry in the browser and is recoloured with a ``Patch``.
"""

from __future__ import annotations

from dash import ALL, Input, Output, Patch, State, no_update

import i18n
from callbacks import filters
from callbacks.filters import Control, range_control
from callbacks.shell import Screen
from charts import state as st
from charts.overview import (
    CHARTS,
    THEME,
    map_as_of,
    map_layer,
    map_legend,
    map_style_path,
    overlay_traces,
    state_kpi_cards,
)
from layouts import figures, overview
from layouts.figures import MAP_DATA_TRACE, MAP_LAYER_TRACES
from layouts.ids import Overview, Shell


def _map_selection(state, selection, _trigger, context):
    # a box or lasso; plotly also reports null when a redraw drops the selection, so only a
    # new selection (or 清除筛选) changes the picked shapes
    if not selection or not selection.get("points"):
        return None
    return st.pick(state, st.picked_codes(selection), context)


def _area_click(state, click, _trigger, context):
    # a map shape or a ranking bar: that district, township or grid cell (again: back up)
    return st.select_area(state, st.clicked_code(click), context)


def _kpi_card(state, trigger, context):
    return st.set_indicator(state, trigger.get("code"), context)


#: The overview's own ways of changing the filters, beside the filter bar.
CONTROLS = (
    Control(Overview.MAP, "clickData", _area_click),
    Control(Overview.MAP, "selectedData", _map_selection),
    # the ranking's bars are the map's shapes (districts, townships or grid cells)
    Control(Overview.RANKING, "clickData", _area_click),
    # category bar click -> its 小类 (the drill), a click on those -> back to the 大类
    Control(Overview.EVENTS_CATEGORY, "clickData",
            lambda s, click, _t, c: st.drill_category(s, st.clicked_code(click), c)),
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


def render(state: st.FilterState, runtime, app, ids, head, bar):
    """The overview for a state; the map arrives drawn (the charts follow by callback)."""
    center, zoom = runtime.view(state.township or state.district)
    frame, ind, geojson, title = map_layer(state, runtime)
    map_figure = figures.choropleth(
        frame, ind, geojson_url=app.get_relative_path(geojson),
        style_url=app.get_relative_path(map_style_path(state, THEME)),
        center=center, zoom=zoom, size=overview.MAP_SIZE, theme=THEME, lang=state.lang,
        selected=state.picked or state.area,
        title=title, subtitle=map_as_of(ind, state, runtime),
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
        return state_kpi_cards(s, runtime)

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
        # the names of the areas shown: a new style only when the level or area changes
        patch["layout"]["map"]["style"] = app.get_relative_path(map_style_path(s, THEME))
        for key in ("locations", "z", "zmin", "zmax", "colorscale", "text"):
            trace[key] = arrays[key]
        trace["hovertemplate"] = figures.hover_template(s.map_level, s.lang)
        trace["marker"]["line"]["width"] = arrays["line_width"]
        trace["marker"]["line"]["color"] = arrays["line_color"]
        trace["colorbar"]["title"]["text"] = figures.colorbar_title(ind, s.lang)
        if not s.picked:
            # plotly's marks of a box or lasso (the others dimmed, the box drawn) would
            # outlive a pick cleared elsewhere: a user's selection survives figure updates
            # until selectionrevision changes
            trace["selectedpoints"] = None
            patch["layout"]["selections"] = []
            patch["layout"]["selectionrevision"] = st.to_query(s) or "none"
        patch["layout"]["title"]["text"] = title
        patch["layout"]["title"]["subtitle"]["text"] = map_as_of(ind, s, runtime)
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


