"""The monthly report's key-task section (重点工作): the month's completion by lead department
(tasks done, on track, at risk and overdue, and their overdue milestones), the milestones
overdue at the month's end, and one sentence of summary.

The month is judged as ``Queries.key_tasks`` judges it: progress reported up to the month
against the linear plan, as of its last day (the as-of day in the month not yet over). A
milestone is overdue when it is not done and fell due before that day; whether it is done is
what the ledger last said (a ledger keeps no history of its milestones).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

import i18n
from data.queries.key_tasks import COMPLETION_COLUMNS, KEY_TASK_STATUSES

#: The columns of the overdue milestones' table.
OVERDUE_COLUMNS = ("lead_department_code", "lead_department", "title", "name", "due_date", "days_overdue")


@dataclass(frozen=True, eq=False)
class TasksPart:
    """The key-task section: ``completion`` (COMPLETION_COLUMNS, one row per lead
    department, the most overdue first), ``overdue`` (OVERDUE_COLUMNS, the longest overdue
    first), the section's sentence and whether the store has a ledger at all."""

    completion: pd.DataFrame
    overdue: pd.DataFrame
    sentence: str
    loaded: bool


def _when(end: dt.date, complete: bool, lang: str) -> str:
    """截至2026年10月末 / by the end of October 2026; the day in a month not yet over."""
    if lang == "en":
        return (f"by the end of {end:%B %Y}" if complete
                else f"by {end.day} {end:%B %Y}")
    return f"截至{end.year}年{end.month}月" + ("末" if complete else f"{end.day}日")


def build(runtime, districts: tuple[str, ...] | None, end: dt.date, complete: bool,
          lang: str, subject: str) -> TasksPart:
    """The section for the report's districts (None: the city; a district's report holds
    its own tasks and the city-wide ones) as of ``end``, the month's last day counted.
    ``subject``: the report's scope as the subject of a sentence (全市, citywide...)."""
    q = runtime.queries
    as_of = end.isoformat()
    completion = q.key_task_completion(as_of, lang, districts)
    marks = q.key_task_milestones(as_of, lang, districts=districts, open_only=True)
    marks = marks[marks["status"] == "overdue"]
    due = pd.to_datetime(marks["due_date"])
    overdue = pd.DataFrame({
        "lead_department_code": marks["lead_department_code"].to_numpy(),
        "lead_department": marks["lead_department"].to_numpy(),
        "title": marks["title"].to_numpy(), "name": marks["name"].to_numpy(),
        "due_date": due.dt.strftime("%Y-%m-%d").to_numpy(),
        "days_overdue": (pd.Timestamp(end) - due).dt.days.astype(int).to_numpy()},
        columns=list(OVERDUE_COLUMNS))
    overdue = overdue.sort_values(["days_overdue", "lead_department_code"],
                                  ascending=[False, True], kind="stable"
                                  ).reset_index(drop=True)
    loaded = q.has_key_tasks and not q.key_tasks(as_of, lang).empty
    return TasksPart(completion=completion[list(COMPLETION_COLUMNS)], overdue=overdue,
                     sentence=_sentence(completion, overdue, end, complete, lang, subject,
                                        loaded),
                     loaded=loaded)


def _sentence(completion: pd.DataFrame, overdue: pd.DataFrame, end: dt.date, complete: bool,
              lang: str, subject: str, loaded: bool) -> str:
    """截至2026年10月末，全市28项重点工作中已完成15项、…，逾期节点9个，其中工业和信息化局最多（2个）。"""
    if not loaded or completion.empty:
        text = i18n.t("mr_tasks_none", lang).format(scope=subject)
    else:
        counts = {s: int(completion[s].sum()) for s in KEY_TASK_STATUSES}
        late = len(overdue)
        worst = ""
        if late:
            by = overdue.groupby("lead_department_code")["lead_department"].agg(
                ["first", "size"])
            # the most overdue milestones; among as many, the first department by code
            top = by[by["size"] == by["size"].max()].sort_index().iloc[0]
            worst = i18n.t("mr_tasks_worst", lang).format(department=top["first"],
                                                          k=int(top["size"]))
        text = i18n.t("mr_tasks", lang).format(
            when=_when(end, complete, lang), scope=subject,
            n=int(completion["total"].sum()), late=late, worst=worst,
            s="" if late == 1 else "s", **counts)
    text = text.strip()
    if lang == "en":
        return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
    return text if text.endswith("。") else text + "。"


def tables(part: TasksPart, lang: str) -> list[tuple[str, pd.DataFrame]]:
    """The section's two tables, titled, headers in the language: the completion by lead
    department (with a total row) and the overdue milestones."""
    t = i18n.t
    c = part.completion
    by_department = pd.DataFrame({
        t("task_lead", lang): c["lead_department"],
        t("report_tasks_total", lang): c["total"].astype(int),
        **{t(f"task_{s}", lang): c[s].astype(int) for s in ("done", "on_track", "at_risk",
                                                             "overdue")},
        t("report_overdue_milestones", lang): c["overdue_milestones"].astype(int)})
    if not by_department.empty:
        total = by_department.drop(columns=[t("task_lead", lang)]).sum()
        by_department.loc[len(by_department)] = [t("report_total", lang),
                                                 *[int(v) for v in total]]
    o = part.overdue
    milestones = pd.DataFrame({
        t("task_lead", lang): o["lead_department"], t("task_title", lang): o["title"],
        t("milestone", lang): o["name"], t("milestone_due", lang): o["due_date"],
        t("report_days_overdue", lang): o["days_overdue"].astype(int)})
    return [(t("report_tasks", lang), by_department),
            (t("report_overdue_milestones", lang), milestones)]
