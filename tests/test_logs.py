"""The server's log (web/logs.py): a line per request with who and how long, a line per
action, as text or JSON; gunicorn's configuration file."""

from __future__ import annotations

import io
import json
import logging
import os
import runpy
from pathlib import Path

import pytest

import settings as settings_mod
from tests.test_access import END, PASSWORD, START, _sign_in

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def server_log():
    """``web.logs.configure`` writing to a buffer; the root logger restored afterwards."""
    from web import logs
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("werkzeug").level)
    buffer = io.StringIO()

    def configure(**changes):
        logs.configure(settings_mod.Settings(**changes), buffer)
        return buffer
    yield configure
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logging.getLogger("werkzeug").setLevel(saved[2])


@pytest.fixture
def signed_in_app(settings, tmp_path):
    from app import create_app
    app = create_app(settings.with_(auth=True, access_path=tmp_path / "access.sqlite"))
    app.server.extensions["citybrain_access"].add_user("ana", "analyst", PASSWORD, ())
    return app


def test_each_request_and_action_is_one_json_line_with_the_user(server_log, signed_in_app):
    out = server_log(log_json=True)
    client, response = _sign_in(signed_in_app, "ana")
    assert response.status_code == 302
    assert client.get(f"/download/events.csv?from={START}&to={END}").status_code == 200
    assert client.get("/_nope").status_code == 404
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    requests = [r for r in lines if r["logger"] == "citybrain.request"]
    download = next(r for r in requests if r["path"] == "/download/events.csv")
    assert download["method"] == "GET" and download["status"] == 200
    assert download["user"] == "ana" and download["ms"] > 0 and download["level"] == "INFO"
    assert download["address"] == "127.0.0.1" and "time" in download
    refused = next(r for r in requests if r["path"] == "/_nope")
    assert refused["status"] == 404
    # the sign-in page was asked for before anyone signed in: no user on that line
    assert next(r for r in requests if r["path"] == "/login")["user"] == ""
    action = next(r for r in lines if r["logger"] == "citybrain.action")
    assert action["action"] == "download" and action["user"] == "ana"
    assert START in action["detail"]
    # the query string (filters, and whatever a hostile URL carries) is not logged
    assert all("?" not in r["path"] for r in requests)


def test_text_lines_and_the_level_follow_the_settings(server_log, app):
    out = server_log(log_level="WARNING")
    app.server.test_client().get("/healthz")
    assert out.getvalue() == ""
    out = server_log()
    app.server.test_client().get("/healthz")
    line = out.getvalue().strip().splitlines()[-1]
    assert " INFO citybrain.request GET /healthz 200 " in line and line.endswith("user=-")


def test_log_settings_are_checked_at_start():
    s = settings_mod.from_env({"CITYBRAIN_LOG_JSON": "1", "CITYBRAIN_LOG_LEVEL": "warning"})
    assert s.log_json and s.log_level == "WARNING"
    assert settings_mod.from_env({"CITYBRAIN_LOG_LEVEL": ""}).log_level == "INFO"
    with pytest.raises(settings_mod.SettingsError, match="CITYBRAIN_LOG_LEVEL='LOUD'"):
        settings_mod.from_env({"CITYBRAIN_LOG_LEVEL": "LOUD"})


def test_gunicorns_configuration_serves_the_app_and_reads_the_environment(monkeypatch):
    from types import SimpleNamespace
    monkeypatch.setenv("CITYBRAIN_BIND", "0.0.0.0:9000")
    monkeypatch.delenv("CITYBRAIN_STORE_WRITES", raising=False)
    monkeypatch.delenv("CITYBRAIN_WORKERS", raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["wsgi_app"] == "app:create_server()"
    # by default the store in a process of its own and two workers asking it, threads for
    # concurrency (more than the callbacks they run at once: feeds and files do not queue
    # behind them); the workers' settings are told so
    assert (conf["bind"], conf["workers"], conf["threads"]) == ("0.0.0.0:9000", 2, 16)
    # the master's environment (where gunicorn put `-e` too) tells the workers it forks
    monkeypatch.setenv("CITYBRAIN_STORE_WRITES", "")
    assert conf["store_writes"]() == "service" == os.environ["CITYBRAIN_STORE_WRITES"]
    # the store written in place: one process that owns it, also when `-e` says so
    monkeypatch.setenv("CITYBRAIN_STORE_WRITES", "in-place")
    with pytest.raises(SystemExit, match="2 workers: a store written in place"):
        conf["on_starting"](SimpleNamespace(cfg=SimpleNamespace(workers=2)))
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (conf["workers"], conf["threads"]) == (1, 16)
    # several workers read a store that every load copies
    monkeypatch.setenv("CITYBRAIN_STORE_WRITES", "copy")
    monkeypatch.setenv("CITYBRAIN_WORKERS", "2")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (conf["workers"], conf["threads"]) == (2, 4)
    conf["on_starting"](SimpleNamespace(cfg=SimpleNamespace(workers=2)))
    # gunicorn's own access log would repeat the app's request lines, without the user
    assert conf["accesslog"] is None and conf["errorlog"] == "-"


def test_every_environment_variable_the_code_reads_is_documented():
    import re
    code = "".join(path.read_text(encoding="utf-8") for folder in
                   ("app.py", "cli.py", "gunicorn.conf.py", "web", "callbacks", "report",
                    "charts", "layouts", "data", "geo", "settings", "i18n", "tests")
                   for path in ([ROOT / folder] if folder.endswith(".py")
                                else (ROOT / folder).rglob("*.py")))
    names = set(re.findall(r"\b(CITYBRAIN_[A-Z0-9_]*[A-Z0-9]|REDIS_URL|BROWSER_PATH)\b", code))
    assert {"CITYBRAIN_DB", "CITYBRAIN_LOG_JSON", "BROWSER_PATH"} <= names
    deploy = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    assert sorted(n for n in names if f"`{n}`" not in deploy) == []


def test_the_version_is_the_installed_packages(capsys, settings, tmp_path):
    import importlib.metadata

    from app import create_app
    from cli import main
    version = importlib.metadata.version("citybrain")
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"citybrain {version}"
    # /healthz names it to the admin network (a load balancer's operator), nobody else
    signed = settings.with_(auth=True, access_path=tmp_path / "access.sqlite")
    admin_networks = settings_mod.from_env({"CITYBRAIN_ADMIN_NETWORKS": "127.0.0.1/32"})
    app = create_app(signed.with_(admin_networks=admin_networks.admin_networks))
    app.server.extensions["citybrain_access"].add_user("lead", "leader", PASSWORD)
    assert app.server.test_client().get("/healthz").get_json()["version"] == version
    anyone = create_app(signed).server.test_client().get("/healthz").get_json()
    assert anyone["status"] == "ok" and "version" not in anyone
