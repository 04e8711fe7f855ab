"""The event records screen (事件明细): every grid event of the filters in an AG Grid whose
rows, sort and filters the server answers block by block (the infinite row model), and
downloadable as CSV or Excel."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import html

import i18n
from i18n import grid as grid_text
from layouts import frame, supervision
from layouts.ids import Events

#: Rows the grid asks for at a time; a screen shows about 28, so a block is three screens.
BLOCK_ROWS = 100
#: Blocks the browser keeps (the grid drops the farthest beyond that).
CACHED_BLOCKS = 20

#: The grid's filter for each kind of column (charts/events.columns).
_FILTERS = {"named": "agTextColumnFilter", "text": "agTextColumnFilter",
            "number": "agNumberColumnFilter", "date": "agDateColumnFilter"}
#: Starting widths in pixels (the columns then share the grid's width in proportion).
_WIDTHS = {"event_id": 110, "reported_at": 172, "district_code": 100, "township_code": 140,
           "grid_code": 135, "category": 100, "channel": 125, "department_code": 175,
           "status": 80, "deadline_at": 172, "closed_at": 172, "returned_count": 95,
           "satisfaction": 85, "reporter_name": 90, "reporter_phone": 130}


def _column_def(column: dict) -> dict:
    spec = {"field": column["id"], "headerName": column["name"],
            "tooltipField": column["id"], "headerTooltip": column["name"],
            "filter": _FILTERS[column["kind"]],
            "filterParams": {"filterOptions": column["filters"], "maxNumConditions": 1,
                             "inRangeInclusive": True, "trimInput": True,
                             "buttons": ["clear"]},
            "width": _WIDTHS.get(column["id"], 120), "minWidth": 80}
    if column["id"] == "reported_at":
        # the table opens newest first, and stays sorted one way or the other
        spec.update(sort="desc", sortingOrder=["desc", "asc"])
    return spec


def page(*, ids, lang: str, head, bar, theme, columns: list[dict]):
    """Return the event records screen below the shared ``head`` and filter ``bar``."""
    grid = dag.AgGrid(
        id=Events.TABLE, className="events-grid", rowModelType="infinite",
        columnDefs=[_column_def(c) for c in columns], columnSize="responsiveSizeToFit",
        defaultColDef={"sortable": True, "resizable": True, "floatingFilter": True,
                       "suppressHeaderMenuButton": True, "cellDataType": False,
                       "sortingOrder": ["asc", "desc"]},
        dashGridOptions={
            "theme": frame.grid_theme(theme), "localeText": grid_text.locale_text(lang),
            "cacheBlockSize": BLOCK_ROWS, "maxBlocksInCache": CACHED_BLOCKS,
            # one block at a time: dash-ag-grid answers the latest request only
            "maxConcurrentDatasourceRequests": 1, "blockLoadDebounceMillis": 100,
            "suppressMultiSort": True, "rowHeight": 32, "headerHeight": 38,
            "floatingFiltersHeight": 38, "enableCellTextSelection": True,
            "suppressCellFocus": True, **frame.FULL_TEXT_ON_HOVER},
        # a row is its event (the 督办 panel opens the clicked one)
        getRowId="params.data.event_id + ''",
        style={"height": "100%", "width": "100%"})
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
                html.Div(id=Events.RESET, hidden=True),
            ]),
            frame.panel([grid], "events-panel"),
        ]),
        supervision.panel(Events.PREFIX, lang),
    ])
