"""Callbacks of the key-task screen: the filter store and the screen's own filters (lead
department, status) to the chart, the task and milestone tables and the download link; a
chosen task to its timeline, departments, leader and progress notes."""

from __future__ import annotations

from dash import Input, Output, State
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
                      statuses=task_charts.status_options(state.lang))


SCREEN = Screen("tasks", Tasks.PREFIX, render)


def _chosen(rows) -> str | None:
    """The code of the task a table's selection names, if any."""
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        code = rows[0].get("code") or rows[0].get("task_code")
        return code if isinstance(code, str) else None
    return None


def register(app, runtime) -> None:
    """Register the key-task screen's callbacks."""
    filters.register_controller(app, runtime, Tasks.PREFIX)
    filters.register_charts(app, runtime, task_charts.CHARTS, THEME)

    # filter store + department + status -> task table, milestone table, count, Excel link
    # and the departments to choose from (those leading the state's tasks)
    @app.callback(Output(Tasks.TABLE, "rowData"), Output(Tasks.MILESTONES, "rowData"),
                  Output(Tasks.COUNT, "children"), Output(Tasks.XLSX, "href"),
                  Output(Tasks.DEPARTMENT, "options"),
                  Input(Shell.FILTERS, "data"), Input(Tasks.DEPARTMENT, "value"),
                  Input(Tasks.STATUS, "value"))
    def update_tables(data, department, status):
        s = filters.read_state(data, runtime.context)
        f = task_charts.read_filters(runtime, department, status)
        frame = task_charts.tasks(s, runtime, f)
        marks = task_charts.milestones(s, runtime, f)
        count = i18n.t("tasks_count", s.lang).format(n=len(frame), m=len(marks))
        return (task_charts.task_rows(frame, s.lang), task_charts.milestone_rows(marks, s.lang),
                count,
                app.get_relative_path("/download/tasks.xlsx") + task_charts.download_query(s, f),
                task_charts.department_options(s, runtime))

    # a click on a department's bar -> that department's tasks (again: all of them)
    @app.callback(Output(Tasks.DEPARTMENT, "value"), Input(Tasks.DEPARTMENTS, "clickData"),
                  State(Tasks.DEPARTMENT, "value"), prevent_initial_call=True)
    def choose_department(click, current):
        code = st.clicked_code(click)
        if code is None:
            raise PreventUpdate
        return None if code == current else code

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

