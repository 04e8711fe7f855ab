"""Callbacks of the event records screen: an AG Grid (infinite row model) whose blocks of
rows the server answers for the filters, and the links that download the same rows as CSV or
Excel (``web/routes.py``). The grid's rows, sort and filter model are charts/events.py's."""

from __future__ import annotations

from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

import i18n
from callbacks import filters, supervision
from callbacks.shell import Screen
from charts import state as st
from charts.events import (
    TableFilterError,
    columns,
    display_rows,
    download_query,
    table_block,
    table_filters,
    table_sort,
)
from layouts import events, theme
from layouts.ids import Events, Shell

THEME = theme.WALL
#: The answer to a block request that has no rows: the grid then shows its empty overlay.
NO_ROWS = {"rowData": [], "rowCount": 0}


def render(state: st.FilterState, _runtime, _app, ids, head, bar):
    return events.page(ids=ids, lang=state.lang, head=head, bar=bar, theme=THEME,
                       columns=columns(state.lang))


SCREEN = Screen("events", Events.PREFIX, render)


def register(app, runtime) -> None:
    """Register the event records screen's callbacks."""
    filters.register_controller(app, runtime, Events.PREFIX)
    supervision.register_panel(app, runtime, Events.PREFIX, Events.TABLE)

    # grid block request (rows, sort and filter models) + filter store -> the block's rows,
    # the count and the download links. Every request is answered: the grid loads one block
    # at a time and would wait for an unanswered one for ever.
    @app.callback(
        Output(Events.TABLE, "getRowsResponse"), Output(Events.COUNT, "children"),
        Output(Events.CSV, "href"), Output(Events.XLSX, "href"),
        Input(Events.TABLE, "getRowsRequest"), State(Shell.FILTERS, "data"),
        prevent_initial_call=True)
    def update_rows(request, data):
        if not isinstance(request, dict):
            raise PreventUpdate          # no grid asked
        try:
            s = filters.read_state(data, runtime.context)
        except PreventUpdate:
            # the store not filled yet (the grid can ask first) or not valid: no rows; a
            # filled store sends the grid back to its first rows (update_grid below)
            return NO_ROWS, no_update, no_update, no_update
        filter_model, sort_model = request.get("filterModel"), request.get("sortModel")
        try:
            where = table_filters(filter_model, runtime)
        except TableFilterError as error:
            message = f"{i18n.t('filter_unreadable', s.lang)}: {error}"
            return NO_ROWS, message, None, None
        sort, descending = table_sort(sort_model)
        # a block no grid asks for (past any store's last row, larger than a block): no
        # rows, and the count of all
        offset, limit = table_block(request) or (0, 0)
        frame, total = runtime.queries.events_page(s.scope, s.start, s.end, where, sort,
                                                   descending, offset, limit)
        query = download_query(s, filter_model, sort_model)
        count = i18n.t("events_matching", s.lang).format(n=f"{total:,}")
        return ({"rowData": display_rows(frame, runtime, s.lang), "rowCount": total}, count,
                app.get_relative_path("/download/events.csv") + query,
                app.get_relative_path("/download/events.xlsx") + query)

    # filter store -> the grid asks for its rows again, from the top (in the browser)
    app.clientside_callback(
        "function(data, grid) { return window.citybrain.reloadGrid(data, grid); }",
        Output(Events.RESET, "children"), Input(Shell.FILTERS, "data"),
        State(Events.TABLE, "id"))
