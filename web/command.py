"""The alert records' routes (data/command.py) for clients other than the /command screen (the
phone view, scripts): the open alerts of the asker's districts, and the steps as POSTs.

The /command screen's buttons call the same ``Command`` methods through its Dash callbacks.
A POST from a browser carries its CSRF token (X-CSRFToken, or a form's csrf_token), as every
POST behind the sign-in does (web/auth.py); a refusal is a 4xx whose ``error`` names what was
wrong (in the language asked for: ``lang``), and changes nothing.

GET  /alerts                          the open alerts (the asker's districts), escalated first
POST /alerts/<key>/acknowledge
POST /alerts/<key>/assign             department, deadline (2026-12-05 18:00, the centre's time), note
POST /alerts/<key>/resolve            note
POST /alerts/<key>/close              note
POST /alerts/<key>/silence            until, reason
"""

from __future__ import annotations

import flask

from charts import command as alert_command
from data.command import CommandError
from settings import LANGS, parse_local_time
from web import auth

blueprint = flask.Blueprint("command", __name__)

STEPS = ("acknowledge", "assign", "resolve", "close", "silence")


def install(server: flask.Flask, runtime) -> None:
    server.extensions["citybrain_command_runtime"] = runtime
    alert_command.command_of(runtime)     # its tables made at start
    server.register_blueprint(blueprint)


def _runtime():
    return flask.current_app.extensions["citybrain_command_runtime"]


def _fields() -> dict:
    """The request's fields: a JSON object, or a form."""
    body = flask.request.get_json(silent=True)
    return body if isinstance(body, dict) else flask.request.form.to_dict()


def _lang(fields: dict) -> str:
    lang = fields.get("lang") or flask.request.args.get("lang")
    return lang if lang in LANGS else _runtime().settings.default_lang


@blueprint.route("/alerts")
def open_alerts():
    who = auth.principal()
    if not who.may("command"):
        return flask.jsonify(error=f"your role ({who.role}) may not see the alerts"), 403
    records = alert_command.command_of(_runtime()).records(districts=who.districts or None)
    return flask.jsonify(alerts=records)


@blueprint.route("/alerts/<key>/<step>", methods=["POST"])
def act(key: str, step: str):
    runtime = _runtime()
    records = alert_command.command_of(runtime)
    who, fields = auth.principal(), _fields()
    lang, zone = _lang(fields), runtime.settings.time_zone
    address = flask.request.remote_addr or ""
    if step not in STEPS:
        return flask.jsonify(error=f"unknown step {step!r}: one of {', '.join(STEPS)}"), 404
    try:
        if step == "acknowledge":
            record = records.acknowledge(key, who, address=address)
        elif step == "assign":
            record = records.assign(key, who, str(fields.get("department", "")),
                                    parse_local_time(fields.get("deadline"), zone),
                                    str(fields.get("note", "")), address=address)
        elif step == "resolve":
            record = records.resolve(key, who, str(fields.get("note", "")), address=address)
        elif step == "close":
            record = records.close(key, who, str(fields.get("note", "")), address=address)
        else:
            record = records.silence(key, who, parse_local_time(fields.get("until"), zone),
                                     str(fields.get("reason", "")), address=address)
    except CommandError as error:
        return flask.jsonify(error=error.text(lang), reason=error.key), error.status
    return flask.jsonify(alert=record)
