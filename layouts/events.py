"""The event records screen (事件明细): every grid event of the filters, paged, sorted and
filtered on the server, and downloadable as CSV or Excel."""

from __future__ import annotations

from dash import html

import i18n
from layouts import frame
from layouts.ids import Events

PAGE_SIZE = 20


def page(*, ids, lang: str, head, bar, theme, columns: list[dict]):
    """Return the event records screen below the shared ``head`` and filter ``bar``."""
    return frame.screen(ids=ids, lang=lang, children=[
        head, bar,
        html.Main(className="cb-body events-body", children=[
            html.Div(className="events-tools", children=[
                html.Span(id=Events.COUNT, className="events-count"),
                html.Span(i18n.t("filter_hint", lang), className="hint"),
                html.A(i18n.t("download_csv", lang), id=Events.CSV, className="download-btn",
                       download="", href=""),
                html.A(i18n.t("download_xlsx", lang), id=Events.XLSX, className="download-btn",
                       download="", href=""),
            ]),
            frame.panel([frame.data_table(
                Events.TABLE, columns, theme, page_action="custom", page_current=0,
                page_size=PAGE_SIZE, sort_action="custom", sort_mode="single",
                sort_by=[{"column_id": "reported_at", "direction": "desc"}],
                filter_action="custom", filter_query="")], "events-panel"),
        ]),
    ])
