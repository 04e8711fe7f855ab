"""Callbacks of the key-task screen: the filter store, which holds the screen's own filters
too (lead department, status: in the URL as every filter), to the chart, the task and
milestone tables and the download link; a chosen task to its timeline, departments, leader
and progress notes."""

from __future__ import annotations

from dash import Input, Output
from dash.exceptions import PreventUpdate

import i18n
from callbacks import filters
from callbacks.shell import Screen
from charts import state as st
from charts import tasks as task_charts
from layouts import tasks, theme
from layouts.ids import Shell, Tasks

THEME = theme.WALL


def render(state: st.FilterState, runtime, _app, ids, head, bar):
    return tasks.page(ids=ids, lang=state.lang, head=head, bar=bar, theme=THEME,
                      departments=task_charts.department_options(state, runtime),
                      statuses=task_charts.status_options(state.lang),
                      department=state.department, status=state.status)


#: The screen's own filters, in the filter store: the dropdowns, and a department's bar
#: (a click chooses it, a second click shows every department again).
CONTROLS = (
    filters.Control(Tasks.DEPARTMENT, "value",
                    lambda s, v, _t, c: st.set_task_department(s, v, c),
                    shows=lambda s, _c: s.department),
    filters.Control(Tasks.STATUS, "value", lambda s, v, _t, _c: st.set_task_status(s, v),
                    shows=lambda s, _c: s.status),
    filters.Control(Tasks.DEPARTMENTS, "clickData",
                    lambda s, click, _t, c: st.toggle_task_department(
                        s, st.clicked_code(click), c)),
)


SCREEN = Screen("tasks", Tasks.PREFIX, render)


def _chosen(rows) -> str | None:
    """The code of the task a table's selection names, if any."""
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        code = rows[0].get("code") or rows[0].get("task_code")
        return code if isinstance(code, str) else None
    return None


def register(app, runtime) -> None:
    """Register the key-task screen's callbacks."""
    filters.register_controller(app, runtime, Tasks.PREFIX, CONTROLS)
    filters.register_charts(app, runtime, task_charts.CHARTS, THEME)

    # filter store -> task table, milestone table, count, Excel link and the departments to
    # choose from (those leading the state's tasks)
    @app.callback(Output(Tasks.TABLE, "rowData"), Output(Tasks.MILESTONES, "rowData"),
                  Output(Tasks.COUNT, "children"), Output(Tasks.XLSX, "href"),
                  Output(Tasks.DEPARTMENT, "options"), Input(Shell.FILTERS, "data"))
    def update_tables(data):
        s = filters.read_state(data, runtime.context)
        f = task_charts.TaskFilters.of(s)
        frame = task_charts.tasks(s, runtime, f)
        marks = task_charts.milestones(s, runtime, f)
        count = i18n.t("tasks_count", s.lang).format(n=len(frame), m=len(marks))
        return (task_charts.task_rows(frame, s.lang), task_charts.milestone_rows(marks, s.lang),
                count,
                app.get_relative_path("/download/tasks.xlsx") + st.to_query(s),
                task_charts.department_options(s, runtime))

    # a milestone row -> its task chosen in the task table
    @app.callback(Output(Tasks.TABLE, "selectedRows"), Input(Tasks.MILESTONES, "selectedRows"),
                  prevent_initial_call=True)
    def choose_milestone_task(rows):
        code = _chosen(rows)
        if code is None:
            raise PreventUpdate
        return {"ids": [code]}

    # filter store + the chosen task -> its timeline, departments, leader and notes
    @app.callback(Output(Tasks.DETAIL, "children"), Output(Tasks.TIMELINE, "figure"),
                  Input(Shell.FILTERS, "data"), Input(Tasks.TABLE, "selectedRows"))
    def show_task(data, rows):
        s = filters.read_state(data, runtime.context)
        code = _chosen(rows)
        found = task_charts.task_detail(s, runtime, code, THEME) if code else None
        if found is None:
            return tasks.detail_placeholder(s.lang), task_charts.empty_timeline(s.lang, THEME)
        t, lang = i18n.t, s.lang
        sep = ", " if lang == "en" else "、"
        facts = [(t("task_lead", lang), found.lead), (t("task_co", lang), sep.join(found.co)),
                 (t("task_leader", lang), found.leader),
                 (t("task_district", lang), found.district),
                 (t("task_span", lang), found.span),
                 (t("task_progress", lang), found.progress),
                 (t("task_status", lang), t(f"task_{found.status}", lang))]
        return (tasks.detail(lang=lang, title=found.title, facts=facts, notes=found.notes),
                found.figure)

