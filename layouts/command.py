"""The 指挥调度 screen (/command): the open alerts with who holds each (escalated and overdue
first), counts by department and district, one-click acknowledge and close, the assign form
(department, deadline, note), and the 督办 panel."""

from __future__ import annotations

from dash import dcc, html

import i18n
from layouts import frame
from layouts.ids import Command


def step_button(step: str, key: str, lang: str):
    return html.Button(i18n.t(f"cmd_{step}", lang), className=f"cmd-btn cmd-btn-{step}",
                       id={"type": Command.STEP, "step": step, "key": key}, n_clicks=0)


#: The steps a row offers in each state (close: any open state; assign: until resolved).
ROW_STEPS = {"open": ("acknowledge", "assign", "close"),
             "acknowledged": ("assign", "close"), "assigned": ("assign", "close"),
             "resolved": ("close",), "silenced": ("close",)}


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


def assign_form(lang: str, departments: list[dict], may_act: bool, deadline: str = ""):
    """The assign form: the chosen alert, a department, a deadline (``deadline``: the one
    offered), a note."""
    if not may_act:
        return [html.P(i18n.t("cmd_read_only", lang), className="hint cmd-read-only"),
                html.Div(id=Command.MESSAGE, className="cmd-message", role="status")]
    return [
        html.P(i18n.t("cmd_choose", lang), id=Command.CHOSEN_TEXT, className="cmd-chosen"),
        html.Label([i18n.t("cmd_department", lang),
                    dcc.Dropdown(id=Command.DEPARTMENT, options=departments, clearable=False,
                                 placeholder=i18n.t("cmd_department", lang))]),
        html.Label([i18n.t("cmd_deadline", lang),
                    # text, not datetime-local: Dash's Input cannot drive that type
                    dcc.Input(id=Command.DEADLINE, type="text", value=deadline,
                              placeholder="2026-12-05 18:00")]),
        html.Label([i18n.t("cmd_note", lang),
                    dcc.Input(id=Command.NOTE, type="text", maxLength=500)]),
        html.Button(i18n.t("cmd_assign", lang), id=Command.ASSIGN, n_clicks=0,
                    className="cmd-btn cmd-btn-assign cmd-assign-submit"),
        html.Div(id=Command.MESSAGE, className="cmd-message", role="status"),
    ]


def hint(text: str):
    return [html.P(text, className="hint")]


def message(text: str, ok: bool):
    return html.Span(text, className="ok" if ok else "error")


def page(*, ids, lang: str, head, bar, departments: list[dict], may_act: bool, supervision,
         deadline: str = ""):
    """Return the command screen below the shared ``head`` and filter ``bar``."""
    return frame.screen(ids=ids, lang=lang, children=[
        head, bar,
        dcc.Store(id=Command.CHOSEN), dcc.Store(id=Command.VERSION, data=0),
        html.Main(className="cb-body command-body", children=[
            frame.panel([html.Div(id=Command.LIST, className="cmd-list")],
                        "cmd-list-panel", i18n.t("cmd_alerts", lang)),
            frame.panel([html.Div(id=Command.SUMMARY, className="cmd-summary")],
                        "cmd-summary-panel"),
            frame.panel(assign_form(lang, departments, may_act, deadline), "cmd-assign-panel",
                        i18n.t("cmd_assign", lang)),
            frame.panel([html.Div(id=Command.SUPERVISION, className="cmd-supervision",
                                  children=supervision)],
                        "cmd-supervision-panel", i18n.t("cmd_supervision", lang)),
        ]),
    ])
