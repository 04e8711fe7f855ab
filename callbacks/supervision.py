"""The 督办 panel's callbacks, registered by each screen that lists events (the event table,
the overdue list): a click on an event opens its history, the form issues, reminds or
answers a 督办 through data/supervision.py (the same steps as web/supervision.py's routes,
with the same checks), and the message says what happened or why not, in the page's language.

Registered from the screen's ``register``, so they need that screen's permission (web/auth.py);
the steps need ``supervise`` besides, which Supervision checks."""

from __future__ import annotations

import flask
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

import i18n
from callbacks import filters
from charts import supervision as chart
from data.supervision import SUPERVISE, SupervisionError
from layouts.ids import Shell, SupervisePanel


def register_panel(app, runtime, prefix: str, table_id: str, opener: str | None = None
                   ) -> None:
    """The panel of the screen ``prefix`` over the AG Grid ``table_id``, whose rows carry
    their event id as the row id (``getRowId``); and, with ``opener``, the buttons of that
    pattern-matching type, ``{"type": opener, "event": <event id>}`` (the grid screen's
    list of a cell's open events)."""
    ids = SupervisePanel(prefix)
    buttons = [Input({"type": opener, "event": ALL}, "n_clicks")] if opener else []

    def _lang(data) -> str:
        try:
            return filters.read_state(data, runtime.context).lang
        except PreventUpdate:
            return runtime.settings.default_lang

    # a click on an event's row or button, or the close button -> the chosen event
    @app.callback(Output(ids.EVENT, "data"), Input(table_id, "cellClicked"),
                  Input(ids.CLOSE, "n_clicks"), *buttons, prevent_initial_call=True)
    def choose_event(clicked, _closed, *_opened):
        if ctx.triggered_id == ids.CLOSE:
            return None
        if isinstance(ctx.triggered_id, dict):
            # a button drawn anew (its list re-rendered) triggers with no click: not a choice
            if not filters.clicked():
                raise PreventUpdate
            return int(ctx.triggered_id["event"])
        row = (clicked or {}).get("rowId")
        if row is None or not str(row).isdigit():
            raise PreventUpdate
        return int(row)

    # the chosen event, or a step done -> its history and the form's choices
    @app.callback(
        Output(ids.PANEL, "hidden"), Output(ids.HISTORY, "children"),
        Output(ids.DEPARTMENT, "options"), Output(ids.DEPARTMENT, "value"),
        Output(ids.DEADLINE, "value"), Output(ids.ISSUE, "disabled"),
        Output(ids.REMIND, "disabled"), Output(ids.ANSWER, "disabled"),
        Input(ids.EVENT, "data"), Input(ids.VERSION, "data"), State(Shell.FILTERS, "data"),
        prevent_initial_call=True)
    def show_event(event_id, _version, data):
        if event_id is None:
            return True, [], [], None, "", True, True, True
        lang = _lang(data)
        who = runtime.principal
        event = runtime.supervision.event(event_id)
        if event is None or (who.districts and event["district_code"] not in who.districts):
            return (False, i18n.t("sv_err_no_event", lang).format(event=event_id), [], None,
                    "", True, True, True)
        history = chart.event_history(event_id, runtime, lang)
        under = any(item["answered_at"] is None
                    for item in runtime.supervision.history(event_id))
        may = who.may(SUPERVISE)
        if not may:
            # why the buttons are off
            history.append(html.P(i18n.t("sv_view_only", lang), className="sv-none"))
        return (False, history, chart.department_options(runtime, lang),
                event["department_code"], chart.default_deadline(runtime),
                not may or under, not may or not under, not may or not under)

    # issue, remind or answer -> the step in the access file, what happened, the history
    @app.callback(
        Output(ids.MESSAGE, "children"), Output(ids.VERSION, "data"),
        Output(ids.NOTE, "value"),
        Input(ids.ISSUE, "n_clicks"), Input(ids.REMIND, "n_clicks"),
        Input(ids.ANSWER, "n_clicks"), State(ids.EVENT, "data"),
        State(ids.DEPARTMENT, "value"), State(ids.DEADLINE, "value"),
        State(ids.NOTE, "value"), State(ids.VERSION, "data"), State(Shell.FILTERS, "data"),
        prevent_initial_call=True)
    def take_step(_issue, _remind, _answer, event_id, department, deadline, note, version,
                  data):
        steps = {ids.ISSUE: "issue", ids.REMIND: "remind", ids.ANSWER: "answer"}
        step = steps.get(ctx.triggered_id)
        if step is None or event_id is None:
            raise PreventUpdate
        lang = _lang(data)
        who, book = runtime.principal, runtime.supervision
        address = (flask.request.remote_addr or "") if flask.has_request_context() else ""
        try:
            if step == "issue":
                book.issue(event_id, who, department, deadline, note or "", address=address)
            elif step == "remind":
                book.remind(event_id, who, note or "", address=address)
            else:
                book.answer(event_id, who, note or "", address=address)
        except SupervisionError as error:
            return html.Span(error.text(lang), className="sv-error"), no_update, no_update
        return i18n.t(f"sv_done_{step}", lang), (version or 0) + 1, ""

