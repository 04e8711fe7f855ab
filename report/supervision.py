"""The monthly report's supervision section (督办情况): the 督办 issued in the month, by the
department they were issued to: answered on time (by their deadline), answered late, and
still open at the month's end (of which past their deadline then), with a sentence.

The records are the access file's (data/supervision.py); a 督办 belongs to the month it was
issued in, and its state is judged at the month's end (the as-of day in a month not yet
over), so a month's figures do not change with later answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

import i18n
from data import supervision as records

#: The by-department table's count columns, in order (i18n ``sv_<column>``).
COUNTS = ("issued", "answered_on_time", "answered_late", "open", "open_overdue")


@dataclass(frozen=True, eq=False)
class SupervisionPart:
    """The section: ``by_department`` (department_code, department and COUNTS, the most
    issued first), the month's ``totals`` (COUNTS) and its sentence."""

    by_department: pd.DataFrame
    totals: dict[str, int]
    sentence: str


def build(runtime, districts: tuple[str, ...] | None, start: dt.date, end: dt.date,
          complete: bool, lang: str, subject: str) -> SupervisionPart:
    """The section for the 督办 issued from ``start`` to ``end`` (days counted) on the events
    of ``districts`` (None: the city), judged at the end of ``end``."""
    until = end + dt.timedelta(days=1)
    items = runtime.supervision.items(start.isoformat(), until.isoformat(), districts)
    counts = records.summary(items, dt.datetime.combine(until, dt.time()))
    names = runtime.names(lang)
    by_department = counts.assign(department=[names.get(code, code)
                                              for code in counts["department_code"]])
    by_department = by_department[["department_code", "department", *COUNTS]]
    totals = {column: int(by_department[column].sum()) for column in COUNTS}
    when = (f"{start.year}年{start.month}月" if lang == "zh" else f"{start:%B %Y}")
    if not complete:
        when += (f"（截至{end.day}日）" if lang == "zh" else f" (to {end.day} {end:%B})")
    key = "sv_sentence" if totals["issued"] else "sv_sentence_none"
    sentence = i18n.t(key, lang).format(when=when, subject=subject, **totals)
    return SupervisionPart(by_department, totals, sentence)


def tables(part: SupervisionPart, lang: str) -> list[tuple[str, pd.DataFrame]]:
    """The section's table, titled, with display headers: one row per department and a
    total row; none in a month without 督办 (its sentence says so)."""
    if not part.totals["issued"]:
        return []
    t = i18n.t
    d = part.by_department
    frame = pd.DataFrame({t("department", lang): d["department"],
                          **{t(f"sv_{column}", lang): d[column].astype(int)
                             for column in COUNTS}})
    total = pd.DataFrame([{t("department", lang): t("sv_total", lang),
                           **{t(f"sv_{column}", lang): part.totals[column]
                              for column in COUNTS}}])
    return [(t("report_supervision", lang), pd.concat([frame, total], ignore_index=True))]
