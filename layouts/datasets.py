"""The data screen (数据管理): load a file into the store, see what was wrong with it, and how
fresh every feed is. Functions here take what they show as arguments and never query data."""

from __future__ import annotations

from dash import dcc, html

import i18n
from layouts import frame
from layouts.ids import Datasets


def page(*, ids, lang: str, head, bar, kinds: list[dict], feeds, max_mb: int, targets=None,
         targets_title: str = ""):
    """Return the data screen below the shared ``head`` and filter ``bar``: the load panel,
    the feeds' freshness and the targets in force (``targets_table``)."""
    return frame.screen(ids=ids, lang=lang, children=[
        head, bar,
        html.Main(className="cb-body data-body", children=[
            frame.panel([
                html.Div(className="data-tools", children=[
                    html.Label(i18n.t("data_kind", lang), htmlFor=Datasets.KIND),
                    dcc.Dropdown(id=Datasets.KIND, options=kinds, value="indicators",
                                 clearable=False, searchable=False, className="extra-dropdown"),
                    html.Label(i18n.t("data_sheet", lang), htmlFor=Datasets.SHEET),
                    dcc.Input(id=Datasets.SHEET, type="text", debounce=True,
                              className="data-input"),
                    html.Label(i18n.t("data_source_crs", lang), htmlFor=Datasets.SOURCE_CRS),
                    dcc.Dropdown(id=Datasets.SOURCE_CRS, value="WGS84", clearable=False,
                                 searchable=False, className="extra-dropdown",
                                 options=[{"label": "WGS-84", "value": "WGS84"},
                                          {"label": "GCJ-02", "value": "GCJ02"},
                                          {"label": "BD-09", "value": "BD09"}]),
                ]),
                dcc.Upload(id=Datasets.UPLOAD, className="data-upload", multiple=False,
                           max_size=max_mb * 2**20,
                           children=html.Div(i18n.t("data_drop", lang).format(mb=max_mb))),
                dcc.Loading(html.Div(id=Datasets.RESULT, className="data-result",
                                     role="status")),
            ], "data-load-panel", i18n.t("data_load", lang)),
            frame.panel([html.Div(id=Datasets.FEEDS, children=feeds, className="data-feeds")],
                        "data-feeds-panel", i18n.t("data_feeds", lang)),
            frame.panel([html.Div(id=Datasets.TARGETS, children=targets,
                                  className="data-targets")],
                        "data-targets-panel", targets_title),
        ]),
    ])


def result(message: str, problems: list[str], ok: bool):
    """What a load said: one line, then its problems or notes, one per line."""
    return html.Div(className="data-ok" if ok else "data-failed", children=[
        html.P(message), html.Ul([html.Li(p) for p in problems])])


def feeds_table(columns: list[str], rows: list[list], stale: list[bool]):
    """Every feed with its freshness; an overdue feed is marked."""
    return html.Table(className="data-table", children=[
        html.Thead(html.Tr([html.Th(c) for c in columns])),
        html.Tbody([html.Tr([html.Td(cell) for cell in row],
                            className="feed-stale" if late else "")
                    for row, late in zip(rows, stale)])])


def targets_table(columns: list[str], rows: list[list], note: str | None = None):
    """The targets in force, each with where it came from; a district's own target is
    marked (``rows``: cells, and last whether the row is a district's own)."""
    return html.Div([
        html.Table(className="data-table", children=[
            html.Thead(html.Tr([html.Th(c) for c in columns])),
            html.Tbody([html.Tr([html.Td(cell) for cell in row[:-1]],
                                className="target-own" if row[-1] else "")
                        for row in rows])]),
        *([html.P(note, className="hint")] if note else [])])
