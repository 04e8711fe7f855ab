"""Holes a cold review found in sign-in, roles and district scope (web/auth.py, data/access.py,
data/queries.Scope, callbacks/datasets.py, cli.py), each kept as a regression test."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil

import pandas as pd
import pytest

from charts.common import store_payload
from charts.state import parse_query
from data.access import NOBODY, Access
from data.queries import Queries, Scope
from tests.test_access import END, PASSWORD, START, _csrf, _sign_in
from web import auth


@pytest.fixture()
def own_app(settings, city_path, tmp_path):
    """An app with sign-in on a copy of the test city (an upload may replace the copy)."""
    from app import create_app
    copy = tmp_path / "city.duckdb"
    shutil.copy(city_path, copy)
    return create_app(settings.with_(db_path=copy, auth=True,
                                     access_path=tmp_path / "access.sqlite"))


# --- a district user's scope covers reads only: uploads write any district ------------------

def test_a_district_staff_upload_cannot_write_another_districts_rows(own_app):
    """Medium. A staff user scoped to one district loads, through the data screen, an events
    file whose event lies in another district: it must be refused (the scope is the user's
    whole reach), not written into the other district's data."""
    runtime = own_app.citybrain_runtime
    access: Access = own_app.server.extensions["citybrain_access"]
    store = runtime.store
    mine, other = [c for (c,) in store.rows("SELECT code FROM districts ORDER BY code")][:2]
    access.add_user("sta-one", "staff", PASSWORD, [mine])
    cell, lon, lat = store.rows("SELECT grid_code, lon, lat FROM grid_events "
                                "WHERE district_code = ? LIMIT 1", [other])[0]
    department = store.rows("SELECT code FROM departments ORDER BY code LIMIT 1")[0][0]
    text = ("事件编号,网格,类别,来源,处置部门,上报时间,受理时间,派遣时间,处置时间,核查时间,"
            "结案时间,办理时限,退回次数,满意度,经度,纬度,状态\n"
            f"990000001,{cell},appearance,patrol,{department},2026-11-20 08:00,,,,,,72,,,"
            f"{lon},{lat},已上报\n")
    client, _ = _sign_in(own_app, "sta-one")
    key = next(k for k, s in own_app.callback_screens.items() if s == "datasets"
               and "contents" in json.dumps(own_app.callback_map[k]["inputs"]))
    spec = own_app.callback_map[key]
    with own_app.server.test_request_context():
        city = store_payload(parse_query("", runtime.context)[0])

    def value(dep):
        if dep["property"] == "contents":
            return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()
        if dep["property"] == "filename":
            return "events.csv"
        if dep["property"] == "value" and "kind" in str(dep["id"]):
            return "events"
        return city if dep["property"] == "data" else None

    body = {"output": key,
            "outputs": [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
                        for p in key.strip(".").split("...")],
            "inputs": [dict(dep, value=value(dep)) for dep in spec["inputs"]],
            "state": [dict(dep, value=value(dep)) for dep in spec.get("state", [])],
            "changedPropIds": [f"{spec['inputs'][0]['id']}.contents"]}
    response = client.post("/_dash-update-component", json=body, headers=_csrf(client))
    assert response.status_code < 500
    runtime.reload_if_replaced(now=True)
    written = runtime.store.rows("SELECT district_code FROM grid_events WHERE event_id = ?",
                                 [990000001])
    assert written == [], f"a {mine} staff user wrote an event into {written}"


# --- sessions ---------------------------------------------------------------------------------

def test_a_users_session_ends_after_user_hours(own_app, monkeypatch):
    """Low-medium. The session cookie is permanent (a kiosk's lives 30 days): a user's
    sign-in must still end USER_HOURS after it began, whatever the cookie says."""
    import datetime as dt

    from data import access as access_module
    access: Access = own_app.server.extensions["citybrain_access"]
    access.add_user("ana-hours", "analyst", PASSWORD)
    client, response = _sign_in(own_app, "ana-hours")
    assert response.status_code == 302
    assert client.get("/_dash-layout").status_code == 200
    now = access_module._now
    monkeypatch.setattr(access_module, "_now", lambda delta=dt.timedelta(): now(
        delta + dt.timedelta(hours=auth.USER_HOURS, minutes=1)))
    assert client.get("/_dash-layout").status_code == 401


def test_a_copied_cookie_is_dead_after_signing_out(own_app):
    access: Access = own_app.server.extensions["citybrain_access"]
    access.add_user("ana-out", "analyst", PASSWORD)
    client, _ = _sign_in(own_app, "ana-out")
    cookie = client.get_cookie("session").value
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = own_app.server.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/_dash-layout").status_code == 401


# --- the audit log ----------------------------------------------------------------------------

def test_anonymous_failed_sign_ins_cannot_flood_or_forge_the_audit_log(own_app):
    """Low. A failed sign-in stores the posted user name whole as the entry's ``who`` (no
    length or character check; anyone can fetch the form's CSRF token), and
    ``citybrain audit`` prints it raw: megabytes per request, and forged lines."""
    access: Access = own_app.server.extensions["citybrain_access"]
    forged = "x\n2026-11-24T10:00:00.000+00:00  admin  login  10.0.0.1\n" + "y" * 100_000
    client = own_app.server.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").text).group(1)
    client.post("/login", data={"username": forged, "password": "whatever-password",
                                "csrf_token": token})
    who = access.audit_log(action="login_failed", limit=1)[0]["who"]
    assert len(who) <= 128 and not any(ord(ch) < 32 for ch in who)


def test_kiosk_tokens_and_clearance_grants_are_audited(city_path, tmp_path, monkeypatch,
                                                        capsys):
    """Low. ``citybrain kiosk add/revoke`` write nothing to the audit log, and ``users set
    --clearance`` (the right to see reporters' phone numbers) is logged without saying what
    changed."""
    import cli
    monkeypatch.setenv("CITYBRAIN_ACCESS_DB", str(tmp_path / "access.sqlite"))
    db = ["--db", str(city_path)]
    assert cli.main(["kiosk", "add", "指挥中心大屏", *db]) == 0
    assert cli.main(["kiosk", "revoke", "1", *db]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["users", "add", "li", "--role", "analyst", "--password-stdin", *db]) == 0
    assert cli.main(["users", "set", "li", "--clearance", *db]) == 0
    capsys.readouterr()
    log = Access(tmp_path / "access.sqlite").audit_log()
    kiosk_changes = [row for row in log if "指挥中心大屏" in row["what"] or
                     "kiosk" in row["what"]]
    assert len(kiosk_changes) >= 2, log
    grant = next(row for row in log if row["action"] == "users"
                 and json.loads(row["what"]).get("action") == "set")
    assert "clearance" in grant["what"], grant


# --- the query cache --------------------------------------------------------------------------

def test_an_anonymous_reader_shares_no_cached_answers_with_a_city_reader(store):
    """Low (latent). NOBODY's scope (districts {""}) has the same Scope.key ("*|0") as a
    whole-city reader without clearance, so both Queries have one __caching_id__ and share
    memoised answers: whatever a not-signed-in request computes (nothing) is then served to
    whole-city users such as the demo analyst, and the other way round."""
    import flask
    from flask_caching import Cache

    server = flask.Flask("review")
    cache = Cache(server, config={"CACHE_TYPE": "SimpleCache"})
    with server.app_context():
        base = Queries(store, cache)
        nobody = base.scoped(NOBODY.scope, cache)
        city = base.scoped(Scope(frozenset(), personal_data=False), cache)
        assert nobody.event_funnel(None, START, END)["n"].sum() == 0     # knows no place
        pd.testing.assert_frame_equal(city.event_funnel(None, START, END),
                                      Queries(store).event_funnel(None, START, END))


def test_write_transaction_commits_rolls_back_and_survives_a_failed_commit(tmp_path):
    """The access file's one write block: what the block wrote is kept when it ends (by a
    return too), undone when it raises, and a COMMIT that fails (here a deferred foreign
    key) is rolled back, so the thread's connection writes again afterwards."""
    import sqlite3

    from data.access import write_transaction

    db = sqlite3.connect(tmp_path / "t.sqlite", isolation_level=None)
    db.executescript("PRAGMA foreign_keys = ON; CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                     "CREATE TABLE child (parent INTEGER REFERENCES parent (id) "
                     "DEFERRABLE INITIALLY DEFERRED);")

    def add_and_return(n):
        with write_transaction(db):
            db.execute("INSERT INTO parent VALUES (?)", (n,))
            return n

    assert add_and_return(1) == 1
    with pytest.raises(ValueError):
        with write_transaction(db):
            db.execute("INSERT INTO parent VALUES (2)")
            raise ValueError("refused half-way")
    with pytest.raises(sqlite3.IntegrityError):
        with write_transaction(db):
            db.execute("INSERT INTO parent VALUES (3)")
            db.execute("INSERT INTO child VALUES (99)")      # fails only at COMMIT
    assert not db.in_transaction
    add_and_return(4)
    assert [r[0] for r in db.execute("SELECT id FROM parent ORDER BY id")] == [1, 4]
