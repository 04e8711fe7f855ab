"""督办/催办 components: the panel beside an event list (an event's supervision history and the
form that issues, reminds or answers a 督办), and the open 督办 by department and district for
the command screen (指挥调度). Rows come from data/supervision.py through the callbacks and
charts/supervision.py; nothing here asks for data."""

from __future__ import annotations

from dash import dcc, html

import i18n
from layouts.ids import Command, SupervisePanel


def panel(prefix: str, lang: str):
    """The 督办 panel of one screen, hidden until an event is chosen (a drawer over the
    screen's right side, so neither screen's grid of panels changes)."""
    ids = SupervisePanel(prefix)
    return html.Aside(id=ids.PANEL, className="panel sv-panel", hidden=True, children=[
        dcc.Store(id=ids.EVENT), dcc.Store(id=ids.VERSION, data=0),
        html.Div(className="sv-head", children=[
            html.H2(i18n.t("sv_title", lang), id=ids.TITLE, className="panel-title"),
            html.Button("×", id=ids.CLOSE, className="sv-close", n_clicks=0,
                        title=i18n.t("sv_close", lang)),
        ]),
        html.Div(id=ids.HISTORY, className="sv-history"),
        html.Div(id=ids.FORM, className="sv-form", children=[
            html.Label(i18n.t("sv_department", lang), className="sv-label"),
            dcc.Dropdown(id=ids.DEPARTMENT, options=[], clearable=False,
                         className="sv-department"),
            html.Label(i18n.t("sv_deadline", lang), className="sv-label"),
            dcc.Input(id=ids.DEADLINE, type="text", className="sv-input",
                      placeholder="2026-12-31", debounce=False),
            html.Label(i18n.t("sv_note", lang), className="sv-label"),
            dcc.Textarea(id=ids.NOTE, className="sv-input sv-note", maxLength=500),
            html.Div(className="sv-buttons", children=[
                html.Button(i18n.t("sv_issue", lang), id=ids.ISSUE, n_clicks=0,
                            className="sv-button sv-issue"),
                html.Button(i18n.t("sv_remind", lang), id=ids.REMIND, n_clicks=0,
                            className="sv-button"),
                html.Button(i18n.t("sv_answer", lang), id=ids.ANSWER, n_clicks=0,
                            className="sv-button"),
            ]),
        ]),
        html.Div(id=ids.MESSAGE, className="sv-message", role="status"),
    ])


def _state_badge(item: dict, lang: str):
    if item.get("answered_at"):
        return html.Span(i18n.t("sv_answered_state", lang), className="sv-badge sv-done")
    if item.get("overdue"):
        return html.Span(i18n.t("sv_overdue", lang), className="sv-badge sv-late")
    return html.Span(i18n.t("sv_open_state", lang), className="sv-badge sv-open")


def minute(text: str | None) -> str:
    """An ISO time to the minute, as the screens write times."""
    return "" if not text else text[:16].replace("T", " ")


def history(event_id: int, items: list[dict], lang: str, names: dict[str, str]):
    """An event's 督办, newest first, each with its steps in order: who, when, the note."""
    head = html.Div(i18n.t("sv_event", lang).format(event=event_id), className="sv-event")
    if not items:
        return [head, html.P(i18n.t("sv_none", lang), className="sv-none")]
    blocks = []
    for item in reversed(items):
        department = names.get(item["department_code"], item["department_code"])
        blocks.append(html.Div(className="sv-item", children=[
            html.Div(className="sv-item-head", children=[
                _state_badge(item, lang),
                html.Span(f"{i18n.t('sv_holder', lang)}：{department}" if lang == "zh" else
                          f"{i18n.t('sv_holder', lang)}: {department}"),
                html.Span(f"{i18n.t('sv_deadline', lang)} {minute(item['deadline'])}",
                          className="sv-deadline"),
            ]),
            html.Ol(className="sv-steps", children=[
                html.Li(className=f"sv-step sv-step-{step.step}", children=[
                    html.Span(minute(step.at), className="sv-at"),
                    html.Span(i18n.t(f"sv_step_{step.step}", lang), className="sv-what"),
                    html.Span(step.who, className="sv-who"),
                    html.Span(step.note, className="sv-text") if step.note else None,
                ]) for step in item["steps"]]),
        ]))
    return [head, *blocks]


#: The open list's columns: (row key, i18n key). The department that holds them heads
#: their group.
OPEN_COLUMNS = (("event_id", "event_id"), ("district", "sv_district"),
                ("issued_at", "sv_issued_at"), ("issued_by", "sv_issued_by"),
                ("deadline", "sv_deadline"), ("reminders", "sv_reminders"))


def remind_button(event_id: int, lang: str):
    """One click to remind (催办) an open 督办 (callbacks/command.py)."""
    return html.Button(i18n.t("sv_remind", lang), n_clicks=0,
                       id={"type": Command.REMIND, "event": int(event_id)},
                       className="cmd-btn sv-remind-one")


def open_list(rows: list[dict], lang: str, may_remind: bool = False):
    """The open 督办 for the command screen: grouped by the department that holds them and
    then by district, overdue first within each (``rows`` from
    charts/supervision.open_rows: event_id, district, department, issued_at, issued_by,
    deadline, reminders, overdue), each department's count and overdue count in its head;
    ``may_remind``: a 催办 button on each row."""
    if not rows:
        return html.Div(className="sv-open-list", children=[
            html.P(i18n.t("sv_open_none", lang), className="sv-none")])
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["department"], []).append(row)
    # departments with overdue 督办 first, then those with more open ones
    order = sorted(groups, key=lambda d: (-sum(r["overdue"] for r in groups[d]),
                                          -len(groups[d]), d))
    header = html.Tr([html.Th(i18n.t(key, lang)) for _, key in OPEN_COLUMNS]
                     + ([html.Th("")] if may_remind else []))
    width = len(OPEN_COLUMNS) + may_remind
    sections = []
    for department in order:
        members = sorted(groups[department],
                         key=lambda r: (not r["overdue"], r["district"], r["deadline"]))
        late = sum(r["overdue"] for r in members)
        sections.append(html.Tbody(className="sv-group", children=[
            html.Tr(className="sv-group-head", children=[html.Th(colSpan=width,
                children=f"{i18n.t('sv_holder', lang)} {department} · {len(members)}" + (
                    f" · {i18n.t('sv_overdue', lang)} {late}" if late else ""))]),
            *[html.Tr(className="sv-row sv-row-late" if r["overdue"] else "sv-row",
                      children=[html.Td(minute(r[key])[5:] if key in ("issued_at",
                                                                        "deadline")
                                        else str(r[key])) for key, _ in OPEN_COLUMNS]
                      + ([html.Td(remind_button(r["event_id"], lang))] if may_remind else []))
              for r in members]]))
    return html.Div(className="sv-open-list", children=[
        html.Table(className="sv-open-table", children=[html.Thead(header), *sections])])
