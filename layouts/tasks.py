"""The key-task screen (重点工作): the tasks by lead department and status, the open
milestones (overdue and at risk first), the task ledger, and the chosen task's milestone
timeline, departments, leader and monthly progress notes; filters by lead department and
status, and the ledger as Excel."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

import i18n
from i18n import grid as grid_text
from layouts import frame
from layouts.ids import Tasks

#: A status cell's colour class (assets/citybrain.css), by the row's status code.
_STATUS_CLASSES = {f"status-{s}": f"params.data.status_code == '{s}'"
                   for s in ("overdue", "at_risk", "on_track", "open", "done")}


def task_columns(lang: str) -> list[dict]:
    t = i18n.t
    return [{"id": "title", "name": t("task_title", lang), "flex": 3},
            {"id": "lead", "name": t("task_lead", lang), "flex": 2},
            {"id": "district", "name": t("task_district", lang), "width": 96},
            {"id": "due", "name": t("task_due", lang), "width": 96},
            {"id": "progress", "name": t("task_progress_pct", lang), "width": 112,
             "numeric": True},
            {"id": "status", "name": t("task_status", lang), "width": 108, "status": True}]


def milestone_columns(lang: str) -> list[dict]:
    t = i18n.t
    return [{"id": "status", "name": t("task_status", lang), "width": 96, "status": True},
            {"id": "due", "name": t("milestone_due", lang), "width": 112},
            {"id": "milestone", "name": t("milestone", lang), "flex": 2},
            {"id": "task", "name": t("task_title", lang), "flex": 2},
            {"id": "lead", "name": t("task_lead", lang), "flex": 1}]


def _grid(table_id: str, columns: list[dict], theme, lang: str, row_id: str):
    """A table the server sends whole, one row selectable by a click."""
    def column(spec: dict) -> dict:
        out = {"field": spec["id"], "headerName": spec["name"], "tooltipField": spec["id"],
               "headerTooltip": spec["name"]}
        if "width" in spec:
            out.update(width=spec["width"], minWidth=spec["width"])
        else:
            out.update(flex=spec["flex"], minWidth=100)
        if spec.get("numeric"):
            out["type"] = "rightAligned"
        if spec.get("status"):
            out["cellClassRules"] = _STATUS_CLASSES
        return out
    return dag.AgGrid(
        id=table_id, className="data-grid", rowData=[],
        columnDefs=[column(c) for c in columns], getRowId=f"params.data.{row_id}",
        defaultColDef={"sortable": True, "resizable": True, "cellDataType": False,
                       "suppressHeaderMenuButton": True},
        dashGridOptions={"theme": frame.grid_theme(theme),
                         "localeText": grid_text.locale_text(lang),
                         "rowHeight": 30, "headerHeight": 34, "suppressCellFocus": True,
                         **frame.FULL_TEXT_ON_HOVER,
                         "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                          "enableClickSelection": True}},
        style={"height": "100%", "width": "100%"})


def tools(*, lang: str, departments: list[dict], statuses: list[dict],
          department: str | None = None, status: str | None = None):
    """The screen's own filters (lead department, status), the count and the download."""
    return html.Div(className="events-tools tasks-tools", children=[
        dcc.Dropdown(id=Tasks.DEPARTMENT, options=departments, value=department, clearable=True,
                     searchable=True, className="extra-dropdown tasks-department",
                     placeholder=i18n.t("tasks_all_departments", lang)),
        dcc.Dropdown(id=Tasks.STATUS, options=statuses, value=status, clearable=True,
                     searchable=False, className="extra-dropdown tasks-status",
                     placeholder=i18n.t("tasks_all_statuses", lang)),
        html.Span(id=Tasks.COUNT, className="events-count"),
        html.Span(i18n.t("tasks_hint", lang), className="hint"),
        html.A(i18n.t("download_xlsx", lang), id=Tasks.XLSX, className="download-btn",
               download="", href=""),
    ])


def detail(*, lang: str, title: str, facts: list[tuple[str, str]], notes: list[dict]):
    """The chosen task's heading and facts (lead and co-operating departments, leader,
    district, months, progress) and its monthly progress notes, latest first."""
    t = i18n.t
    return [
        html.H3(title, className="task-detail-title"),
        html.Dl(className="task-facts", children=[
            part for label, value in facts
            for part in (html.Dt(label), html.Dd(value or "—"))]),
        html.H4(t("task_notes", lang), className="task-notes-title"),
        html.Ol(className="task-notes", children=[
            html.Li([html.B(n["month"]), html.Span(n["progress"], className="note-pct"),
                     html.Span(n["note"] or "—")]) for n in notes]
            or [html.Li(t("task_no_notes", lang), className="hint")]),
    ]


def detail_placeholder(lang: str):
    return [html.P(i18n.t("tasks_pick", lang), className="hint task-detail-hint")]


def page(*, ids, lang: str, head, bar, theme, departments: list[dict],
         statuses: list[dict], department: str | None = None, status: str | None = None):
    """Return the key-task screen below the shared ``head`` and filter ``bar``."""
    return frame.screen(ids=ids, lang=lang, children=[
        head, bar,
        html.Main(className="cb-body tasks-body", children=[
            tools(lang=lang, departments=departments, statuses=statuses,
                  department=department, status=status),
            frame.graph_panel(Tasks.DEPARTMENTS, "tasks-chart-panel"),
            frame.panel([_grid(Tasks.MILESTONES, milestone_columns(lang), theme, lang, "id")],
                        "tasks-milestones-panel", i18n.t("tasks_milestones", lang)),
            frame.panel([_grid(Tasks.TABLE, task_columns(lang), theme, lang, "code")],
                        "tasks-table-panel", i18n.t("tasks_table", lang)),
            html.Div(className="panel tasks-detail-panel", children=[
                html.Div(id=Tasks.DETAIL, className="task-detail",
                         children=detail_placeholder(lang)),
                dcc.Graph(id=Tasks.TIMELINE, figure={}, config=frame.GRAPH_CONFIG,
                          className="graph task-timeline"),
            ]),
        ]),
    ])
