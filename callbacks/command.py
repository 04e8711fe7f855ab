"""Callbacks of the 指挥调度 screen (/command): the filter store to the open alerts and their
counts; a row's step (acknowledge and close at once; assign, resolve and silence choose the row
for the step form) and the form to data/command.py, whose refusals (another district's alert,
an unknown department, a deadline or a silence's end in the past, an empty note or reason, a
role that may only see) come back as the message and change nothing.

The steps are Dash callbacks: the sign-in gate (web/auth.py) lets only users with the
"command" permission reach them, Dash sends the CSRF token with each, and data/command.py
checks the "alerts" permission and the district scope itself.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json

import flask
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

import i18n
from callbacks import filters
from callbacks.shell import Screen
from charts import command as alert_command
from charts import state as st
from data.command import CommandError
from data.supervision import SupervisionError
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
                        deadline=default_deadline(runtime.settings.time_zone),
                        until=default_until(runtime.settings.time_zone))


SCREEN = Screen("command", Command.PREFIX, render)


def default_deadline(zone: str) -> str:
    """The deadline the form offers: tomorrow at 18:00, the centre's time."""
    tomorrow = local_now(zone).date() + dt.timedelta(days=1)
    return f"{tomorrow.isoformat()} 18:00"


def default_until(zone: str) -> str:
    """The end a silence form offers: two hours from now, on the hour, the centre's time."""
    later = local_now(zone) + dt.timedelta(hours=2)
    return f"{later:%Y-%m-%d %H}:00"


def _address() -> str:
    return (flask.request.remote_addr or "") if flask.has_request_context() else ""


def take_step(runtime, trigger, department, deadline, note, chosen, lang: str, *,
              step: str = "assign", until=None, reason=None):
    """Do what a click asks; return (message, done: the list must be drawn again, chosen
    key, chosen text).

    ``trigger``: a row's button, {"step": ..., "key": ...}: acknowledge and close act at
    once; assign, resolve and silence choose the row for the form (the form's step is the
    trigger's). Anything else: the form's button, doing ``step`` (assign: ``department``,
    ``deadline``, ``note``; resolve: ``note``; silence: ``until``, ``reason``) on
    ``chosen``."""
    records = alert_command.command_of(runtime)
    who, address = runtime.principal, _address()
    zone = runtime.settings.time_zone
    if isinstance(trigger, dict):
        step, key = trigger.get("step"), trigger.get("key")
        if step in command.FORM_STEPS:      # a row's assign, resolve or silence: choose it
            refused = records.refusal(key, who) if isinstance(key, str) else \
                CommandError(404, "unknown", alert=str(key)[:80])
            if refused is not None:       # not even its words for another district's user
                return command.message(refused.text(lang), False), False, no_update, no_update
            alert = records.record(key)["alert"]
            text = f"{alert.get('where') or ''} {alert.get('what') or ''}".strip() or key
            colon = "：" if lang == "zh" else ": "
            return no_update, False, key, f"{i18n.t(f'cmd_{step}', lang)}{colon}{text}"
        if step not in ("acknowledge", "close") or not isinstance(key, str):
            raise PreventUpdate
        act = records.acknowledge if step == "acknowledge" else records.close
        try:
            done = act(key, who, address=address)
        except CommandError as error:
            return command.message(error.text(lang), False), False, no_update, no_update
    else:                           # the form's button
        if not isinstance(chosen, str):
            return command.message(i18n.t("cmd_choose", lang), False), False, no_update, \
                no_update
        if step not in command.FORM_STEPS:
            raise PreventUpdate
        try:
            if step == "assign":
                done = records.assign(chosen, who, str(department or ""),
                                      parse_local_time(deadline, zone), str(note or ""),
                                      address=address)
            elif step == "resolve":
                done = records.resolve(chosen, who, str(note or ""), address=address)
            else:
                done = records.silence(chosen, who, parse_local_time(until, zone),
                                       str(reason or ""), address=address)
        except CommandError as error:
            return command.message(error.text(lang), False), False, no_update, no_update
    alert = done["alert"]
    what = f"{alert.get('where') or ''} {alert.get('what') or ''}".strip() or done["key"]
    formed = step in command.FORM_STEPS     # a form done: it lets go of its alert
    return (command.message(i18n.t(f"cmd_done_{step}", lang).format(what=what), True), True,
            None if formed else no_update,
            i18n.t("cmd_choose", lang) if formed else no_update)


def remind(runtime, event_id, lang: str):
    """催办 an open 督办 from the panel, with the usual words ("请加快办理"); the message.
    A refusal (a role that may not supervise, another district's event, no open 督办) is
    said and changes nothing (data/supervision.py checks and audits)."""
    try:
        runtime.supervision.remind(event_id, runtime.principal, i18n.t("sv_remind_note", lang),
                                   address=_address())
    except SupervisionError as error:
        return command.message(error.text(lang), False)
    return command.message(i18n.t("sv_done_remind_event", lang).format(event=event_id), True)


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

    # a row's step or the step form -> data/command.py -> the message, the list again
    @app.callback(Output(Command.MESSAGE, "children"),
                  Output(Command.VERSION, "data"), Output(Command.CHOSEN, "data"),
                  Output(Command.CHOSEN_TEXT, "children"), Output(Command.FORM_STEP, "data"),
                  Output(Command.NOTE, "value"), Output(Command.REASON, "value"),
                  Output(Command.DEADLINE, "value"), Output(Command.UNTIL, "value"),
                  Input({"type": Command.STEP, "step": ALL, "key": ALL}, "n_clicks"),
                  Input(Command.ASSIGN, "n_clicks"),
                  State(Command.DEPARTMENT, "value"), State(Command.DEADLINE, "value"),
                  State(Command.NOTE, "value"), State(Command.UNTIL, "value"),
                  State(Command.REASON, "value"), State(Command.FORM_STEP, "data"),
                  State(Command.CHOSEN, "data"), State(Command.VERSION, "data"),
                  State(Shell.FILTERS, "data"), prevent_initial_call=True)
    def do_step(_clicks, _submit, department, deadline, note, until, reason, form_step,
                chosen, version, data):
        # drawing the list again fires its buttons' inputs with no click: only a click acts
        if not filters.clicked():
            raise PreventUpdate
        lang = filters.read_state(data, runtime.context).lang
        trigger = ctx.triggered_id
        text, done, key, chosen_text = take_step(
            runtime, trigger, department, deadline, note, chosen, lang,
            step=form_step or "assign", until=until, reason=reason)
        # a row's assign, resolve or silence sets the form's step (and clears the last
        # step's message, which was about another alert or step); the times it offers
        # count from now (a screen left open for hours offered a silence ending in the past)
        chosen_step = trigger.get("step") if isinstance(trigger, dict) else None
        zone = runtime.settings.time_zone
        if chosen_step in command.FORM_STEPS and key is not no_update:
            return ("", no_update, key, chosen_text, chosen_step, no_update, no_update,
                    default_deadline(zone), default_until(zone))
        # a form done: its words are not the next step's
        cleared = "" if done and not isinstance(trigger, dict) else no_update
        return (text, ((version or 0) + 1 if done else no_update), key, chosen_text, no_update,
                cleared, cleared, no_update, no_update)

    # the form's step -> the fields it shows and its button's words
    @app.callback(Output(Command.FORM, "className"), Output(Command.ASSIGN, "children"),
                  Input(Command.FORM_STEP, "data"), State(Shell.FILTERS, "data"))
    def show_form_step(step, data):
        step = step if step in command.FORM_STEPS else "assign"
        lang = filters.read_state(data, runtime.context).lang
        return command.form_class(step), i18n.t(f"cmd_{step}", lang)

    # filter store (district) -> the open 督办; a 督办's 催办 button -> data/supervision.py
    # -> the message above the panel drawn again
    @app.callback(Output(Command.SUPERVISION, "children"),
                  Input(Shell.FILTERS, "data"),
                  Input({"type": Command.REMIND, "event": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def show_supervision(data, _clicks):
        s = filters.read_state(data, runtime.context)
        # Dash may hand a click and a filter change over in one call: look at every input
        # that changed. Drawing the panel again fires its buttons' inputs with no click.
        clicks = [t for t in ctx.triggered
                  if t["prop_id"].startswith("{") and t.get("value")]
        if clicks:
            event = json.loads(clicks[0]["prop_id"].rsplit(".", 1)[0])["event"]
            said = remind(runtime, event, s.lang)
            return [html.P(said, className="cmd-message"), supervision_panel(s, runtime)]
        if ctx.triggered and all(t["prop_id"].startswith("{") for t in ctx.triggered):
            raise PreventUpdate          # only buttons drawn again
        return supervision_panel(s, runtime)
