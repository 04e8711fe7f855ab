"""The 督办/催办 routes (data/supervision.py): an event's supervision history, the open 督办 of
the asker's districts, and the steps (issue, remind, answer) as POSTs.

The screens' panels (callbacks/supervision.py) call the same ``Supervision`` methods; these
routes serve other clients (the command screen's buttons, the phone view, scripts) and answer
in JSON. A POST from a browser carries its CSRF token (X-CSRFToken, or a form's csrf_token),
as every POST behind the sign-in does (web/auth.py); a refusal is a 4xx whose ``error`` names
what was wrong, and changes nothing.

GET  /supervision/open                     the open 督办 (the asker's districts), overdue first
GET  /supervision/events/<id>              an event's 督办 with their steps
POST /supervision/events/<id>/issue        department, deadline, note
POST /supervision/events/<id>/remind       note, deadline (optional: a new one)
POST /supervision/events/<id>/answer       note
"""

from __future__ import annotations

import dataclasses

import flask

from data.supervision import SupervisionError
from web import auth

blueprint = flask.Blueprint("supervision", __name__)


def install(server: flask.Flask, runtime) -> None:
    server.extensions["citybrain_supervision_runtime"] = runtime
    runtime.supervision      # its tables made at start, not by the first request's worker
    server.register_blueprint(blueprint)


def _runtime():
    return flask.current_app.extensions["citybrain_supervision_runtime"]


def _refused(error: SupervisionError):
    return flask.jsonify(error=str(error)), error.status


def _fields() -> dict:
    """The request's fields: a JSON object, or a form."""
    body = flask.request.get_json(silent=True)
    return body if isinstance(body, dict) else flask.request.form.to_dict()


def _in_reach(event_id: str):
    """An event the asker may see (its district in their scope), or the refusal."""
    runtime = _runtime()
    who = auth.principal()
    try:
        number = int(event_id)
    except ValueError:
        return None, _refused(SupervisionError(f"event id {event_id!r} is not a number"))
    event = runtime.supervision.event(number)
    if event is None:
        return None, _refused(SupervisionError(f"no event {number}", 404))
    if who.districts and event["district_code"] not in who.districts:
        return None, _refused(SupervisionError(f"event {number} is outside your districts",
                                               403))
    return number, None


@blueprint.route("/supervision/open")
def open_items():
    who = auth.principal()
    return flask.jsonify(items=_runtime().supervision.open_items(who.districts or None))


@blueprint.route("/supervision/events/<event_id>")
def history(event_id: str):
    number, refusal = _in_reach(event_id)
    if refusal is not None:
        return refusal
    items = _runtime().supervision.history(number)
    for item in items:
        item["steps"] = [dataclasses.asdict(step) for step in item["steps"]]
    return flask.jsonify(event_id=number, items=items)


@blueprint.route("/supervision/events/<event_id>/<step>", methods=["POST"])
def act(event_id: str, step: str):
    supervision = _runtime().supervision
    who, fields = auth.principal(), _fields()
    address = flask.request.remote_addr or ""
    try:
        if step == "issue":
            item = supervision.issue(event_id, who, fields.get("department", ""),
                                     fields.get("deadline", ""), fields.get("note", ""),
                                     address=address)
        elif step == "remind":
            item = supervision.remind(event_id, who, fields.get("note", ""),
                                      fields.get("deadline"), address=address)
        elif step == "answer":
            item = supervision.answer(event_id, who, fields.get("note", ""), address=address)
        else:
            raise SupervisionError(f"unknown step {step!r}: issue, remind or answer", 404)
    except SupervisionError as error:
        return _refused(error)
    return flask.jsonify(id=item, event_id=int(event_id), step=step), (
        201 if step == "issue" else 200)
