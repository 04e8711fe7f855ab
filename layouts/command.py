"""The 指挥调度 screen (/command): the open alerts with who holds each (escalated and overdue
first), counts by department and district, one-click acknowledge and close, the step form a
row's assign, resolve or silence button opens (assign: department, deadline, note; resolve:
note; silence: until, reason), and the 督办 panel."""

from __future__ import annotations

from dash import dcc, html

import i18n
from layouts import frame
from layouts.ids import Command


def step_button(step: str, key: str, lang: str):
    return html.Button(i18n.t(f"cmd_{step}", lang), className=f"cmd-btn cmd-btn-{step}",
                       id={"type": Command.STEP, "step": step, "key": key}, n_clicks=0)


#: The steps a row offers in each state, as data/command.py allows them (close: any open
#: state; assign and silence: until resolved; resolve: once someone holds it).
ROW_STEPS = {"open": ("acknowledge", "assign", "silence", "close"),
             "acknowledged": ("assign", "resolve", "silence", "close"),
             "assigned": ("assign", "resolve", "silence", "close"),
             "resolved": ("close",), "silenced": ("close",)}
#: The steps that need the form (the others act at once), and the fields each shows.
FORM_STEPS = {"assign": ("department", "deadline", "note"), "resolve": ("note",),
              "silence": ("until", "reason")}


def alert_rows(rows: list[dict], lang: str, may_act: bool):
    """The open alerts as a table: state, alert (a link to its overview), district, holder,
    and the steps (only for a user who may act)."""
    if not rows:
        return [html.P(i18n.t("cmd_none", lang), className="hint cmd-none")]
    head = [i18n.t(k, lang) for k in ("cmd_col_state", "cmd_col_alert", "cmd_col_district",
                                      "cmd_col_holder")] + ([""] if may_act else [])
    body = []
    for row in rows:
        late = row["escalated"] or row["overdue"]
        text = html.A(row["text"], href=row["href"]) if row.get("href") else row["text"]
        cells = [html.Td(html.Span(row["state_label"],
                                   className=f"cmd-state cmd-state-{row['state']}"
                                   + (" late" if late else ""))),
                 html.Td(text, className="cmd-text"), html.Td(row["district_name"]),
                 html.Td(row["holder"], className="cmd-holder")]
        if may_act:
            cells.append(html.Td(className="cmd-steps", children=[
                step_button(step, row["key"], lang) for step in ROW_STEPS[row["state"]]]))
        body.append(html.Tr(cells, className="cmd-row" + (" late" if late else ""),
                            **{"data-key": row["key"], "data-state": row["state"]}))
    return [html.Table(className="cmd-table", children=[
        html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)])]


def summary(lang: str, by_department: list[tuple], by_district: list[tuple], total: int,
            late: int):
    """Counts of the open alerts by department and by district (late: escalated or
    overdue)."""
    def table(title: str, counts: list[tuple]):
        return html.Div(className="cmd-counts", children=[
            html.H3(title),
            html.Ul([html.Li([html.Span(name), html.B(str(n)),
                              html.Span(f"!{k}", className="late") if k else None])
                     for name, n, k in counts] or [html.Li("—")])])
    return [html.P(i18n.t("cmd_alerts_count", lang).format(n=total, late=late),
                   className="cmd-total"),
            table(i18n.t("cmd_by_department", lang), by_department),
            table(i18n.t("cmd_by_district", lang), by_district)]


def step_form(lang: str, departments: list[dict], may_act: bool, deadline: str = "",
              until: str = ""):
    """The step form for the chosen alert: a row's assign, resolve or silence button chooses
    the alert and the step (``form_class`` shows that step's fields); ``deadline`` and
    ``until``: the times offered."""
    if not may_act:
        return [html.P(i18n.t("cmd_read_only", lang), className="hint cmd-read-only"),
                html.Div(id=Command.MESSAGE, className="cmd-message", role="status")]

    def field(name: str, label: str, control):
        return html.Label([i18n.t(label, lang), control], className=f"cmd-field cmd-field-{name}")

    return [
        dcc.Store(id=Command.FORM_STEP, data="assign"),
        html.Div(id=Command.FORM, className=form_class("assign"), children=[
            html.P(i18n.t("cmd_choose", lang), id=Command.CHOSEN_TEXT, className="cmd-chosen"),
            field("department", "cmd_department",
                  dcc.Dropdown(id=Command.DEPARTMENT, options=departments, clearable=False,
                               placeholder=i18n.t("cmd_department", lang))),
            # text, not datetime-local: Dash's Input cannot drive that type
            field("deadline", "cmd_deadline",
                  dcc.Input(id=Command.DEADLINE, type="text", value=deadline,
                            placeholder="2026-12-05 18:00")),
            field("note", "cmd_note", dcc.Input(id=Command.NOTE, type="text", maxLength=500)),
            field("until", "cmd_until",
                  dcc.Input(id=Command.UNTIL, type="text", value=until,
                            placeholder="2026-12-05 18:00")),
            field("reason", "cmd_reason",
                  dcc.Input(id=Command.REASON, type="text", maxLength=500)),
            html.Button(i18n.t("cmd_assign", lang), id=Command.ASSIGN, n_clicks=0,
                        className="cmd-btn cmd-form-submit cmd-assign-submit"),
        ]),
        html.Div(id=Command.MESSAGE, className="cmd-message", role="status"),
    ]


def form_class(step: str) -> str:
    """The form's classes for ``step``: the stylesheet shows only that step's fields."""
    return " ".join(["cmd-form", f"cmd-form-{step}",
                     *(f"cmd-show-{name}" for name in FORM_STEPS[step])])


def hint(text: str):
    return [html.P(text, className="hint")]


def message(text: str, ok: bool):
    return html.Span(text, className="ok" if ok else "error")


def page(*, ids, lang: str, head, bar, departments: list[dict], may_act: bool,
         deadline: str = "", until: str = ""):
    """Return the command screen below the shared ``head`` and filter ``bar``."""
    return frame.screen(ids=ids, lang=lang, children=[
        head, bar,
        dcc.Store(id=Command.CHOSEN), dcc.Store(id=Command.VERSION, data=0),
        html.Main(className="cb-body command-body", children=[
            frame.panel([html.Div(id=Command.LIST, className="cmd-list")],
                        "cmd-list-panel", i18n.t("cmd_alerts", lang)),
            frame.panel([html.Div(id=Command.SUMMARY, className="cmd-summary")],
                        "cmd-summary-panel"),
            frame.panel(step_form(lang, departments, may_act, deadline, until),
                        "cmd-assign-panel", i18n.t("cmd_form", lang)),
            # drawn by its callback once the page's filter state is set, never before: a
            # 催办 clicked on a panel the filter state then redrew would be done unsaid
            frame.panel([html.Div(id=Command.SUPERVISION, className="cmd-supervision")],
                        "cmd-supervision-panel", i18n.t("cmd_supervision", lang)),
        ]),
    ])
