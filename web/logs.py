"""The server's log: one line per request (who, what, how long) and one per action a user
takes (a load, a report, an export, a download), as text or, with CITYBRAIN_LOG_JSON=1, as
one JSON object a line for the centre's log collector.

``configure`` is called by what starts a server (``citybrain serve``, gunicorn's
``app:create_server()``), not by ``create_app``: tests and the CLI keep Python's defaults.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

import flask
from pythonjsonlogger.json import JsonFormatter

#: Request lines; action lines (what the audit log records, also without sign-in).
REQUESTS = logging.getLogger("citybrain.request")
ACTIONS = logging.getLogger("citybrain.action")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure(settings, stream: TextIO | None = None) -> None:
    """Send every logger's records to ``stream`` (default stderr: systemd's journal, gunicorn's
    error log) in the settings' format and level."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if settings.log_json:
        handler.setFormatter(JsonFormatter(
            TEXT_FORMAT,          # the fields, each its own key; extras are added as keys
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # the development server's own request lines would repeat ours
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def install(server: flask.Flask, runtime) -> None:
    """Log every request of ``server`` when it ends, and every action ``runtime.audit``
    records (after web/auth.py has set it)."""
    server.before_request(_start_clock)
    server.after_request(lambda response: _log_request(response, runtime))
    recorded = runtime.audit

    def audit(action: str, detail: str = "") -> None:
        ACTIONS.info("%s %s", action, detail, extra={
            "action": action, "detail": detail, "user": _user(runtime),
            "address": flask.request.remote_addr if flask.has_request_context() else None})
        recorded(action, detail)
    runtime.audit = audit


def _start_clock() -> None:
    flask.g.citybrain_started = time.perf_counter()


def _log_request(response: flask.Response, runtime) -> flask.Response:
    started = flask.g.get("citybrain_started")
    ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    request = flask.request
    user = _user(runtime)
    REQUESTS.info("%s %s %s %s ms user=%s", request.method, request.path, response.status_code,
                  ms, user or "-", extra={
                      "method": request.method, "path": request.path,
                      "status": response.status_code, "ms": ms, "user": user,
                      "bytes": response.calculate_content_length(),
                      "address": request.remote_addr})
    return response


def _user(runtime) -> str:
    try:
        return runtime.principal.name
    except Exception:       # noqa: BLE001 - a failed sign-in lookup must not lose the line
        return ""
