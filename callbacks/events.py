"""Callbacks of the event records screen: a server-paged table over every grid event of the
filters, and the links that download the same rows as CSV or Excel (``web/routes.py``). The
table's rows, filter row and sort are charts/events.py's."""

from __future__ import annotations

import math

from dash import Input, Output, ctx

import i18n
from callbacks import filters
from callbacks.shell import Screen
from charts import state as st
from charts.events import (
    TableFilterError,
    columns,
    display_rows,
    download_query,
    table_filters,
    table_sort,
)
from layouts import events, theme
from layouts.ids import Events, Shell

THEME = theme.WALL


def render(state: st.FilterState, _runtime, _app, ids, head, bar):
    return events.page(ids=ids, lang=state.lang, head=head, bar=bar, theme=THEME,
                       columns=columns(state.lang))


SCREEN = Screen("events", Events.PREFIX, render)


#: No store holds more pages than this (a billion events at the smallest page size).
_LAST_PAGE = 100_000_000


def register(app, runtime) -> None:
    """Register the event records screen's callbacks."""
    filters.register_controller(app, runtime, Events.PREFIX)

    # filter store, table page, sort and filter row -> the page's rows, count and downloads
    @app.callback(
        Output(Events.TABLE, "data"), Output(Events.TABLE, "page_count"),
        Output(Events.COUNT, "children"), Output(Events.CSV, "href"),
        Output(Events.XLSX, "href"), Output(Events.TABLE, "page_current"),
        Input(Shell.FILTERS, "data"), Input(Events.TABLE, "page_current"),
        Input(Events.TABLE, "page_size"), Input(Events.TABLE, "sort_by"),
        Input(Events.TABLE, "filter_query"))
    def update_table(data, page, page_size, sort_by, filter_query):
        s = filters.read_state(data, runtime.context)
        size = page_size if isinstance(page_size, int) and 0 < page_size <= 200 else \
            events.PAGE_SIZE
        # a page past any store's last (2^63 overflows DuckDB's OFFSET) is the first
        page = page if isinstance(page, int) and 0 <= page <= _LAST_PAGE else 0
        if not any(t["prop_id"] == f"{Events.TABLE}.page_current" for t in ctx.triggered):
            page = 0          # new filters or sort: back to the first page
        try:
            where = table_filters(filter_query, runtime)
        except TableFilterError as error:
            message = f"{i18n.t('filter_unreadable', s.lang)}: {error}"
            return [], 1, message, None, None, 0
        sort, descending = table_sort(sort_by)
        frame, total = runtime.queries.events_page(s.scope, s.start, s.end, where, sort, descending,
                                     page * size, size)
        query = download_query(s, filter_query, sort_by)
        count = i18n.t("events_matching", s.lang).format(n=f"{total:,}")
        return (display_rows(frame, runtime, s.lang), max(1, math.ceil(total / size)), count,
                app.get_relative_path("/download/events.csv") + query,
                app.get_relative_path("/download/events.xlsx") + query, page)
