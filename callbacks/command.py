"""Callbacks of the 指挥调度 screen (/command): the filter store to the open alerts and their
counts; a row's step (acknowledge, close, or choosing it for the assign form) and the assign
form to data/command.py, whose refusals (another district's alert, an unknown department, a
deadline in the past, a role that may only see) come back as the message and change nothing.

The steps are Dash callbacks: the sign-in gate (web/auth.py) lets only users with the
"command" permission reach them, Dash sends the CSRF token with each, and data/command.py
checks the "alerts" permission and the district scope itself.
"""

from __future__ import annotations

import datetime as dt
import importlib

import flask
from dash import ALL, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

import i18n
from callbacks import filters
from callbacks.shell import Screen
from charts import command as alert_command
from charts import state as st
from data.command import CommandError
from layouts import command
from layouts.ids import Command, Shell
from settings import local_now, parse_local_time


def supervision_panel(state: st.FilterState, runtime):
    """The 督办 panel: ``charts.supervision.command_panel(state, runtime)`` when the
    supervision part provides it; until then a line saying it is not connected."""
    try:
        module = importlib.import_module("charts.supervision")
    except ModuleNotFoundError as error:
        if error.name != "charts.supervision":
            raise
        module = None
    panel = getattr(module, "command_panel", None)
    if panel is None:
        return command.hint(i18n.t("cmd_supervision_pending", state.lang))
    return panel(state, runtime)


def render(state: st.FilterState, runtime, _app, ids, head, bar):
    return command.page(ids=ids, lang=state.lang, head=head, bar=bar,
                        departments=alert_command.department_options(runtime, state.lang),
                        may_act=runtime.principal.may("alerts"),
                        supervision=supervision_panel(state, runtime),
                        deadline=default_deadline(runtime.settings.time_zone))


SCREEN = Screen("command", Command.PREFIX, render)


def default_deadline(zone: str) -> str:
    """The deadline the form offers: tomorrow at 18:00, the centre's time."""
    tomorrow = local_now(zone).date() + dt.timedelta(days=1)
    return f"{tomorrow.isoformat()} 18:00"


def _address() -> str:
    return (flask.request.remote_addr or "") if flask.has_request_context() else ""


def take_step(runtime, trigger, department, deadline, note, chosen, lang: str):
    """Do what a click asks; return (message, done: the list must be drawn again, chosen
    key, chosen text)."""
    records = alert_command.command_of(runtime)
    who, address = runtime.principal, _address()
    if isinstance(trigger, dict):
        step, key = trigger.get("step"), trigger.get("key")
        if step == "assign":       # a row's assign: choose it for the form
            found = records.record(key) if isinstance(key, str) else None
            if found is None:
                return command.message(CommandError(404, "unknown", alert=str(key)[:80])
                                       .text(lang), False), False, no_update, no_update
            alert = found["alert"]
            text = f"{alert.get('where') or ''} {alert.get('what') or ''}".strip() or key
            return no_update, False, key, f"{i18n.t('cmd_assign', lang)}：{text}"
        if step not in ("acknowledge", "close") or not isinstance(key, str):
            raise PreventUpdate
        act = records.acknowledge if step == "acknowledge" else records.close
        try:
            done = act(key, who, address=address)
        except CommandError as error:
            return command.message(error.text(lang), False), False, no_update, no_update
    else:                           # the assign form's button
        if not isinstance(chosen, str):
            return command.message(i18n.t("cmd_choose", lang), False), False, no_update, \
                no_update
        step = "assign"
        try:
            done = records.assign(chosen, who, str(department or ""),
                                  parse_local_time(deadline, runtime.settings.time_zone),
                                  str(note or ""), address=address)
        except CommandError as error:
            return command.message(error.text(lang), False), False, no_update, no_update
    alert = done["alert"]
    what = f"{alert.get('where') or ''} {alert.get('what') or ''}".strip() or done["key"]
    return (command.message(i18n.t(f"cmd_done_{step}", lang).format(what=what), True), True,
            None if step == "assign" else no_update,
            i18n.t("cmd_choose", lang) if step == "assign" else no_update)


def register(app, runtime) -> None:
    """Register the command screen's callbacks."""
    filters.register_controller(app, runtime, Command.PREFIX)

    # filter store (district) + a step done -> the open alerts and their counts
    @app.callback(Output(Command.LIST, "children"), Output(Command.SUMMARY, "children"),
                  Input(Shell.FILTERS, "data"), Input(Command.VERSION, "data"))
    def show_alerts(data, _version):
        s = filters.read_state(data, runtime.context)
        rows = alert_command.screen_alerts(runtime, s)
        late = sum(bool(r["escalated"] or r["overdue"]) for r in rows)
        return (command.alert_rows(rows, s.lang, runtime.principal.may("alerts")),
                command.summary(s.lang, alert_command.group_counts(rows, "department_name"),
                                alert_command.group_counts(rows, "district_name"), len(rows),
                                late))

    # a row's step or the assign form -> data/command.py -> the message, the list again
    @app.callback(Output(Command.MESSAGE, "children"),
                  Output(Command.VERSION, "data"), Output(Command.CHOSEN, "data"),
                  Output(Command.CHOSEN_TEXT, "children"),
                  Input({"type": Command.STEP, "step": ALL, "key": ALL}, "n_clicks"),
                  Input(Command.ASSIGN, "n_clicks"),
                  State(Command.DEPARTMENT, "value"), State(Command.DEADLINE, "value"),
                  State(Command.NOTE, "value"), State(Command.CHOSEN, "data"),
                  State(Command.VERSION, "data"), State(Shell.FILTERS, "data"),
                  prevent_initial_call=True)
    def do_step(_clicks, _assign, department, deadline, note, chosen, version, data):
        # drawing the list again fires its buttons' inputs with no click: only a click acts
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            raise PreventUpdate
        lang = filters.read_state(data, runtime.context).lang
        text, done, key, chosen_text = take_step(runtime, ctx.triggered_id, department,
                                                 deadline, note, chosen, lang)
        return text, ((version or 0) + 1 if done else no_update), key, chosen_text
