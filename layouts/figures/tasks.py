"""The key-task screen (重点工作): tasks by lead department and status, and one task's
milestone timeline against its progress and plan."""

from __future__ import annotations

import datetime as dt
import textwrap

import pandas as pd
import plotly.graph_objects as go

import i18n
from data.queries.key_tasks import KEY_TASK_STATUSES as TASK_STATUSES
from data.queries.key_tasks import MILESTONE_STATUSES
from layouts.figures.base import DATE_AXIS, _figure, empty
from layouts.theme import Theme

# TASK_STATUSES and MILESTONE_STATUSES stack in the queries' order, left to right: the urgent
# ones first, where the eye starts.
#: Marker symbols of a milestone's status: a cross for overdue, a diamond at risk, an open
#: circle open and a filled one done (readable without the colours, in print too).
_SYMBOLS = {"overdue": "x", "at_risk": "diamond", "open": "circle-open", "done": "circle"}


def status_colors(theme: Theme) -> dict[str, str]:
    """A task's or milestone's status -> its colour in the theme."""
    return {"overdue": theme.alert, "at_risk": theme.warn, "on_track": theme.accent,
            "open": theme.accent, "done": theme.ok}


def _wrap(text: str, width: int) -> str:
    """A label broken into lines of about ``width`` (words in English; in Chinese after a
    comma where there is one, else every ``width`` characters)."""
    if text.isascii():
        return "<br>".join(textwrap.wrap(text, width)) or text
    if "，" in text and max(len(part) for part in text.split("，")) <= width + 3:
        return "，<br>".join(text.split("，"))
    return "<br>".join(text[i:i + width] for i in range(0, len(text), width))


def _short(text: str, width: int) -> str:
    """A label cut to ``width`` characters with an ellipsis (the hover has it whole)."""
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def tasks_by_department(frame: pd.DataFrame, *, theme: Theme, lang: str,
                        selected: str | None = None) -> go.Figure:
    """Return the key tasks per lead department, stacked by status, from ``Queries.key_tasks``
    (lead_department_code, lead_department, status): a horizontal bar per department, the
    ones with the most overdue and at-risk tasks on top; the department code rides in
    ``customdata`` (a click picks that department). ``selected``: a department to mark.
    No tasks: a placeholder."""
    title = i18n.t("tasks_by_department", lang)
    if frame.empty:
        return empty(theme, title, i18n.t("wall_no_tasks", lang))
    counts = (frame.groupby(["lead_department_code", "status"]).size().unstack(fill_value=0)
              .reindex(columns=list(TASK_STATUSES), fill_value=0))
    names = frame.groupby("lead_department_code")["lead_department"].first()
    totals = counts.sum(axis=1)
    # bottom to top (plotly draws the first category lowest): the most overdue, then at
    # risk, then the most tasks on top; ties in code order from the top down
    order = sorted(sorted(counts.index, reverse=True), key=lambda c: (
        counts.at[c, "overdue"], counts.at[c, "at_risk"], totals[c]))
    full = [str(names[c]) for c in order]
    labels = [_short(name, 22 if lang == "en" else 9) for name in full]
    colors = status_colors(theme)
    traces = []
    for status in TASK_STATUSES:
        values = [int(counts.at[c, status]) for c in order]
        if not any(values):
            continue
        name = i18n.t(f"task_{status}", lang)
        traces.append({
            "type": "bar", "orientation": "h", "y": labels, "x": values, "name": name,
            "customdata": [[c, n] for c, n in zip(order, full)],
            "marker": {"color": colors[status], "line": {
                "width": [2 if c == selected else 0 for c in order], "color": theme.text}},
            # counts written in while the bars are tall enough to read them
            "text": [str(v) if v and len(order) <= 12 else "" for v in values],
            "textposition": "inside",
            "insidetextanchor": "middle", "textangle": 0,
            "hovertemplate": f"%{{customdata[1]}} · {name}: %{{x}}<extra></extra>"})
    most = int(counts.sum(axis=1).max())
    return _figure(theme, title, traces, barmode="stack", bargap=0.25,
                   margin={"l": 16, "r": 16, "t": 72, "b": 36},
                   legend={"traceorder": "normal"},
                   xaxis={"dtick": 1 if most <= 10 else None, "tickformat": "d",
                          "rangemode": "tozero"},
                   # every department named: smaller type when there are many
                   yaxis={"automargin": True, "tickfont": {
                       "size": theme.font_size - (3 if len(order) > 12 else 1)}},
                   clickmode="event")


def milestone_timeline(milestones: pd.DataFrame, notes: pd.DataFrame, task: dict, *,
                       theme: Theme, lang: str, as_of: str) -> go.Figure:
    """Return one task's timeline: its milestones (``Queries.key_task_milestones`` for the
    task: seq, name, due_date, status) as markers at their due dates, one row each (the
    first on top), the progress reported month by month (``Queries.key_task_notes``:
    period, progress) and the linear plan from the start month to the due month on a
    0-100 % axis behind them, and the as-of day as a dashed line. ``task``: a row of
    ``Queries.key_tasks`` (start_month, due_month)."""
    title = i18n.t("tasks_timeline", lang)
    if milestones.empty and notes.empty:
        return empty(theme, title, i18n.t("no_data", lang))
    colors = status_colors(theme)
    ms = milestones.sort_values("seq")
    width = 18 if lang == "en" else 9
    rows = [_wrap(f"{int(s)}. {n}", width) for s, n in zip(ms["seq"], ms["name"])]
    traces: list[dict] = []
    start = pd.Timestamp(task["start_month"])
    due_end = pd.Timestamp(task["due_month"]) + pd.offsets.MonthEnd(0)
    plan, progress = i18n.t("task_planned", lang), i18n.t("task_progress_pct", lang)
    traces.append({"type": "scatter", "mode": "lines", "x": [start.strftime("%Y-%m-%d"),
                                                             due_end.strftime("%Y-%m-%d")],
                   "y": [0, 100], "yaxis": "y2", "name": plan, "hoverinfo": "skip",
                   "line": {"color": theme.muted, "width": 1.5, "dash": "dot"}})
    if not notes.empty:
        reported = notes.sort_values("period")
        # a month's report is as of its end
        ends = pd.to_datetime(reported["period"]) + pd.offsets.MonthEnd(0)
        traces.append({"type": "scatter", "mode": "lines+markers", "yaxis": "y2",
                       "x": ends.dt.strftime("%Y-%m-%d").tolist(),
                       "y": [float(v) for v in reported["progress"]], "name": progress,
                       "line": {"color": theme.accent, "width": 2, "shape": "hv"},
                       "marker": {"size": 5}, "fill": "tozeroy",
                       "fillcolor": "rgba(41, 211, 255, 0.10)",
                       "hovertemplate": "%{x|%Y-%m}: %{y:.0f}%<extra></extra>"})
    for status in MILESTONE_STATUSES:
        part = ms[ms["status"] == status]
        if part.empty:
            continue
        name = i18n.t(f"ms_{status}", lang)
        traces.append({
            "type": "scatter", "mode": "markers", "name": name,
            "x": pd.to_datetime(part["due_date"]).dt.strftime("%Y-%m-%d").tolist(),
            "y": [rows[i] for i in range(len(ms)) if ms["status"].iloc[i] == status],
            "customdata": part["name"].tolist(),
            "marker": {"symbol": _SYMBOLS[status], "size": 14, "color": colors[status],
                       "line": {"width": 2, "color": colors[status]}},
            "hovertemplate": f"%{{customdata}}<br>%{{x|%Y-%m-%d}} · {name}<extra></extra>"})
    day = dt.date.fromisoformat(as_of).isoformat()
    shapes = [{"type": "line", "xref": "x", "x0": day, "x1": day, "yref": "paper", "y0": 0,
               "y1": 1, "line": {"color": theme.warn, "width": 1.5, "dash": "dash"}}]
    notes_on = [{"xref": "x", "x": day, "xanchor": "right", "yref": "paper", "y": 0,
                 "yanchor": "bottom", "showarrow": False, "font": {"color": theme.warn},
                 "text": f"{i18n.t('timeline_as_of', lang)} {day}"}]
    first = min([start, *pd.to_datetime(ms["due_date"]).tolist()]) - pd.Timedelta(days=10)
    last = max([due_end, pd.Timestamp(day), *pd.to_datetime(ms["due_date"]).tolist()]) \
        + pd.Timedelta(days=10)
    longest = max([len(line) for row in rows for line in row.split("<br>")] or [4])
    return _figure(
        theme, title, traces, shapes, notes_on,
        margin={"l": min(220, 20 + longest * (8 if lang == "en" else 15)), "r": 48, "t": 72,
                "b": 36},
        xaxis={**DATE_AXIS, "range": [first.strftime("%Y-%m-%d"), last.strftime("%Y-%m-%d")]},
        yaxis={"type": "category", "categoryorder": "array", "categoryarray": rows[::-1],
               "automargin": True, "range": [-0.6, len(rows) - 0.4] if rows else None},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 105], "showgrid": False,
                "ticksuffix": "%", "tickvals": [0, 50, 100]},
        showlegend=True)
