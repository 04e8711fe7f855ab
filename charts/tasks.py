"""The key-task screen (重点工作): its chart (tasks by lead department and status), the rows
of its task and milestone tables, one task's detail and the Excel download's sheets.

The month judged is the month of the filter state's last day (``state.end``); the shared
district filter keeps that district's tasks and the city-wide ones (``districts``), as a
district user's reader always does. The screen's own filters, a lead department and a
status, are in the state (``department``, ``status``: in the URL and the download link, as
every filter); ``TaskFilters.of(state)`` hands them to the queries, and a state without
them asks for every task (the chart, the dropdown's departments, a task's detail).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

import i18n
from charts import common
from charts import state as st
from data.queries.key_tasks import KEY_TASK_STATUSES
from layouts import figures
from layouts.figures import tasks as task_figures
from layouts.ids import Tasks


@dataclass(frozen=True)
class TaskFilters:
    """The screen's own filters: a lead department's code and a task status (None: all)."""

    department: str | None = None
    status: str | None = None

    @classmethod
    def of(cls, s: st.FilterState) -> "TaskFilters":
        """The filters the state holds (checked against the store with the state)."""
        return cls(s.department, s.status)


def districts(s: st.FilterState) -> tuple[str, ...] | None:
    """The districts whose tasks (with the city-wide ones) the state asks for: the chosen
    district (also below it: a township's tasks are its district's), the districts picked
    on the map, or None for the whole city (or a district user's districts)."""
    chosen = s.scope_districts
    if chosen is None:
        return None
    return (chosen,) if isinstance(chosen, str) else tuple(sorted(chosen))


def tasks(s: st.FilterState, runtime, f: TaskFilters = TaskFilters()) -> pd.DataFrame:
    """The tasks of the state and filters (``Queries.key_tasks``), most urgent first."""
    return runtime.queries.key_tasks(s.end, s.lang, f.department, districts(s), f.status)


def milestones(s: st.FilterState, runtime, f: TaskFilters = TaskFilters(),
               open_only: bool = True) -> pd.DataFrame:
    """The milestones of those tasks, overdue and at risk first (the open ones only)."""
    return runtime.queries.key_task_milestones(s.end, s.lang, f.department, districts(s),
                                               f.status, open_only=open_only)


@common.reads()
def departments_chart(s: st.FilterState, runtime, theme):
    """The key tasks of each lead department, stacked by status, in the month judged."""
    return task_figures.tasks_by_department(tasks(s, runtime), theme=theme, lang=s.lang)


CHARTS: dict[str, common.Chart] = {Tasks.DEPARTMENTS: departments_chart}


def department_options(s: st.FilterState, runtime) -> list[dict]:
    """The lead departments of the tasks the state shows, by name, and the state's own
    department whether it leads any of them or not: a dropdown drops a value it does not
    offer, and the filter would then be left on with nothing saying so."""
    frame = tasks(s, runtime)
    pairs = dict(zip(frame["lead_department_code"], frame["lead_department"]))
    if s.department and s.department not in pairs:
        pairs[s.department] = common.department_names(runtime, s.lang).get(s.department,
                                                                          s.department)
    return [{"label": name, "value": code}
            for code, name in sorted(pairs.items(), key=lambda p: p[0])]


def status_options(lang: str) -> list[dict]:
    """The task statuses, most urgent first."""
    return [{"label": i18n.t(f"task_{s}", lang), "value": s} for s in KEY_TASK_STATUSES]


def _month(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m")


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def task_rows(frame: pd.DataFrame, lang: str) -> list[dict]:
    """The task table's rows: names, months, whole percentages, the status in words
    (``status_code`` keeps the code for the cell's colour)."""
    return [{"code": row.code, "title": row.title, "lead": row.lead_department,
             "district": row.district, "leader": row.leader if isinstance(row.leader, str)
             else "", "due": _month(row.due_month), "progress": round(float(row.progress)),
             "planned": round(float(row.planned)),
             "status": i18n.t(f"task_{row.status}", lang), "status_code": row.status}
            for row in frame.itertuples()]


def milestone_rows(frame: pd.DataFrame, lang: str) -> list[dict]:
    """The milestone table's rows: status in words, due date, milestone, task, lead
    department and district (``task_code`` selects its task)."""
    return [{"status": i18n.t(f"ms_{row.status}", lang), "status_code": row.status,
             "due": _day(row.due_date), "milestone": row.name, "task": row.title,
             "lead": row.lead_department, "district": row.district,
             "task_code": row.task_code, "id": f"{row.task_code}#{row.seq}"}
            for row in frame.itertuples()]


@dataclass(frozen=True)
class TaskDetail:
    """One task as its detail panel shows it."""

    code: str
    title: str
    lead: str
    co: tuple[str, ...]
    leader: str
    district: str
    span: str                 # "2026-02 – 2026-12"
    progress: str             # "63% (plan 91%)"
    status: str               # the code, one of KEY_TASK_STATUSES
    notes: list[dict]         # {month, progress, note}, latest first
    figure: object            # the milestone timeline


def task_detail(s: st.FilterState, runtime, code: str, theme) -> TaskDetail | None:
    """The task ``code`` as the state judges it: its departments, leader, timeline and
    progress notes; None when the state's tasks do not include it (another district's, or
    a code that names no task)."""
    q = runtime.queries
    found = tasks(s, runtime)
    found = found[found["code"] == code]
    if found.empty:
        return None
    task = found.iloc[0]
    marks = q.key_task_milestones(s.end, s.lang, districts=districts(s), task=code)
    notes = q.key_task_notes(code, s.end, s.lang)
    departments = q.key_task_departments(code, s.lang)
    lang = s.lang
    figure = task_figures.milestone_timeline(marks, notes, task.to_dict(), theme=theme,
                                             lang=lang, as_of=s.end)
    plan = i18n.t("task_planned", lang)
    return TaskDetail(
        code=code, title=task["title"], lead=task["lead_department"],
        co=tuple(departments.loc[departments["role"] == "co", "department"]),
        leader=task["leader"] if isinstance(task["leader"], str) else "—",
        district=task["district"],
        span=f"{_month(task['start_month'])} – {_month(task['due_month'])}",
        progress=f"{task['progress']:.0f}% ({plan} {task['planned']:.0f}%)" if lang == "en"
        else f"{task['progress']:.0f}%（{plan} {task['planned']:.0f}%）",
        status=task["status"],
        notes=[{"month": _month(row.period), "progress": f"{row.progress:.0f}%",
                "note": row.note if isinstance(row.note, str) else ""}
               for row in notes.itertuples()],
        figure=figure)


def empty_timeline(lang: str, theme):
    """The timeline before a task is chosen (the detail beside it says to choose one)."""
    return figures.empty(theme, i18n.t("tasks_timeline", lang), "")


def download_sheets(s: st.FilterState, runtime, f: TaskFilters
                    ) -> list[tuple[str, pd.DataFrame]]:
    """The Excel download's sheets, titled, headers in the state's language: every task of
    the state and filters, and their milestones (all of them, overdue first)."""
    lang = s.lang
    t = i18n.t
    frame = tasks(s, runtime, f)
    sheet = pd.DataFrame({
        t("task_code", lang): frame["code"], t("task_title", lang): frame["title"],
        t("task_lead", lang): frame["lead_department"],
        t("task_district", lang): frame["district"],
        t("task_leader", lang): frame["leader"],
        t("task_start", lang): [_month(v) for v in frame["start_month"]],
        t("task_due", lang): [_month(v) for v in frame["due_month"]],
        t("task_progress_pct", lang): frame["progress"].astype(float),
        t("task_planned_pct", lang): frame["planned"].astype(float).round(1),
        t("task_status", lang): [t(f"task_{v}", lang) for v in frame["status"]]})
    marks = milestones(s, runtime, f, open_only=False)
    ms = pd.DataFrame({
        t("task_code", lang): marks["task_code"], t("task_title", lang): marks["title"],
        t("task_lead", lang): marks["lead_department"],
        t("milestone", lang): marks["name"],
        t("task_due", lang): [_day(v) for v in marks["due_date"]],
        t("task_status", lang): [t(f"ms_{v}", lang) for v in marks["status"]],
        t("ms_ledger_status", lang): marks["status_text"]})
    return [(t("nav_tasks", lang), sheet), (t("milestone", lang), ms)]


def download_about(s: st.FilterState, runtime, f: TaskFilters, rows: int
                   ) -> list[tuple[str, str]]:
    """What the Excel download says about itself (its first sheet, 说明): the area of the
    filter line, the day the tasks are judged at, the screen's department and status, how
    many tasks, the data's as-of, when it was made and from what."""
    lang, t = s.lang, i18n.t
    department = (runtime.names(lang).get(f.department, f.department) if f.department
                  else t("tasks_all_departments", lang))
    status = t(f"task_{f.status}", lang) if f.status else t("tasks_all_statuses", lang)
    return [(t("about_area", lang), common.area_text(s, runtime)),
            (t("about_judged", lang), s.end),
            (t("about_tasks_filters", lang), f"{department} · {status}"),
            (t("about_rows", lang), f"{rows:,}"),
            *common.made_from(runtime, lang)]
