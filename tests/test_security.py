"""The probe's findings (issue 14), each reproduced and failing safely: hostile files through
the CLI and the data screen, compressed bombs, framework endpoints, the sign-in races, formula
cells, and the answers that must not leak or crash."""

from __future__ import annotations

import base64
import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from cli import main as citybrain
from data.load.boundaries import read_boundaries
from data.load.problems import LoadError
from tests import security_files as hostile
from tests.test_access import PASSWORD, _csrf, _sign_in


@pytest.fixture()
def city_copy(city_path, tmp_path) -> Path:
    copy = tmp_path / "city.duckdb"
    shutil.copy(city_path, copy)
    return copy


def _cli_load(capsys, *args) -> tuple[int, str]:
    code = citybrain(["load", *map(str, args), "--quiet"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# --- files GDAL must not open ----------------------------------------------------------------

def test_sec001_a_vrt_named_geojson_is_refused_by_the_cli(city_copy, tmp_path, capsys):
    vrt = tmp_path / "t.geojson"
    vrt.write_bytes(hostile.VRT)
    before = city_copy.read_bytes()
    code, said = _cli_load(capsys, "townships", vrt, "--db", city_copy)
    assert code != 0
    assert "GeoJSON" in said and "VRT" in said
    assert hostile.PASSWD_MARK not in said
    assert city_copy.read_bytes() == before


def test_sec002_a_zipped_shapefile_that_is_a_vrt_is_refused(city_copy, tmp_path, capsys):
    code, said = _cli_load(capsys, "townships", hostile.zipped_vrt(tmp_path / "t.zip"),
                           "--db", city_copy)
    assert code != 0
    assert "file code" in said and hostile.PASSWD_MARK not in said


def test_sec003_gdal_keeps_only_the_boundary_drivers(tmp_path):
    """Even a file that passed the first-bytes check could not be opened as a VRT, a URL or a
    GDAL pipeline: those drivers are gone from the process."""
    import pyogrio

    from geo.gdal import ALLOWED_DRIVERS, restrict_drivers
    restrict_drivers()
    assert set(pyogrio.list_drivers()) == ALLOWED_DRIVERS
    vrt = tmp_path / "direct.vrt"
    vrt.write_bytes(hostile.VRT)
    with pytest.raises(pyogrio.errors.DataSourceError) as caught:
        pyogrio.read_dataframe(vrt)
    assert hostile.PASSWD_MARK not in str(caught.value)


@pytest.mark.parametrize("path", [
    "/vsicurl/http://127.0.0.1:9/towns.geojson", "/vsis3/bucket/towns.geojson",
    "http://127.0.0.1:9/towns.geojson", "GeoJSON:/etc/towns.geojson"])
def test_sec004_virtual_file_systems_urls_and_driver_prefixes_are_refused(path):
    with pytest.raises(LoadError) as caught:
        read_boundaries(path, level="townships")
    assert "plain local file" in str(caught.value)


@pytest.mark.parametrize("name, head, expected", [
    ("t.gpkg", b"SQLite format 3\x00" + b"\x00" * 84, "GeoPackage"),
    ("t.shp", b"<OGRVRTDataSource>", "file code"),
    ("t.json", b"\xef\xbb\xbf  <?xml version='1.0'?>", "JSON object")])
def test_sec005_each_boundary_format_must_start_with_its_own_bytes(tmp_path, name, head,
                                                                    expected):
    path = tmp_path / name
    path.write_bytes(head + b"\n" * 10)
    with pytest.raises(LoadError) as caught:
        read_boundaries(path, level="townships")
    assert expected in str(caught.value)


def _upload_body(app, filename: str, kind: str, data: bytes, filters) -> dict:
    key = next(k for k, s in app.callback_screens.items() if s == "datasets"
               and "contents" in json.dumps(app.callback_map[k]["inputs"]))
    spec = app.callback_map[key]

    def value(dep):
        if dep["property"] == "contents":
            return "data:application/octet-stream;base64," + base64.b64encode(data).decode()
        if dep["property"] == "filename":
            return filename
        if dep["property"] == "value" and "kind" in str(dep["id"]):
            return kind
        return filters if dep["property"] == "data" else None

    return {"output": key,
            "outputs": [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
                        for p in key.strip(".").split("...")],
            "inputs": [dict(dep, value=value(dep)) for dep in spec["inputs"]],
            "state": [dict(dep, value=value(dep)) for dep in spec.get("state", [])],
            "changedPropIds": [f"{spec['inputs'][0]['id']}.contents"]}


def _filters(app):
    from charts.common import store_payload
    from charts.state import parse_query
    with app.server.test_request_context():
        return store_payload(parse_query("", app.citybrain_runtime.context)[0])


@pytest.fixture()
def signed_in_app(settings, city_copy, tmp_path):
    from app import create_app
    return create_app(settings.with_(db_path=city_copy, auth=True,
                                     access_path=tmp_path / "access.sqlite",
                                     load_memory_mb=2048, load_seconds=120))


def test_sec006_a_vrt_upload_on_the_data_screen_reads_nothing(signed_in_app, tmp_path):
    """The probe read the access file this way (session secret, live session ids) and forged
    an admin session; after GDAL closed the file SQLite dropped the app's WAL files."""
    app = signed_in_app
    access = app.server.extensions["citybrain_access"]
    access.add_user("sta-vrt", "staff", PASSWORD)
    client, _ = _sign_in(app, "sta-vrt")
    vrt = hostile.VRT.replace(b"/etc/passwd", str(access.path).encode())
    store = app.citybrain_runtime.settings.db_path
    before = store.read_bytes()
    response = client.post("/_dash-update-component", headers=_csrf(client),
                           json=_upload_body(app, "t.geojson", "townships", vrt,
                                             _filters(app)))
    assert response.status_code == 200
    said = response.text
    assert "VRT" in said and "secrets" not in said and "session" not in said.lower()
    assert store.read_bytes() == before
    # the access file still works for everyone: a new sign-in succeeds
    access.add_user("ana-after", "analyst", PASSWORD)
    assert _sign_in(app, "ana-after")[1].status_code == 302


def test_an_upload_waiting_for_its_load_leaves_its_slot_to_the_other_callbacks(
        settings, city_copy, tmp_path, monkeypatch):
    """An upload loads in a process of its own, for up to CITYBRAIN_LOAD_SECONDS; its
    callback gives its slot back while it waits, so with one slot the other callbacks (the
    wall's, the analysts') still run."""
    import callbacks.datasets
    from app import create_app
    app = create_app(settings.with_(db_path=city_copy, auth=True, callback_slots=1,
                                    access_path=tmp_path / "access.sqlite"))
    app.server.extensions["citybrain_access"].add_user("sta-slot", "staff", PASSWORD)
    loading, done = threading.Event(), threading.Event()

    def slow_load(*_args, **_kwargs):       # the child process, loading a big file
        loading.set()
        done.wait(60)
        raise LoadError([])
    monkeypatch.setattr(callbacks.datasets, "load_isolated", slow_load)
    uploader, _ = _sign_in(app, "sta-slot")
    analyst, _ = _sign_in(app, "sta-slot")
    answers: dict[str, int] = {}

    def post(name, client, body):
        answers[name] = client.post("/_dash-update-component", headers=_csrf(client),
                                    json=body).status_code

    upload = threading.Thread(target=post, args=("upload", uploader, _upload_body(
        app, "e.csv", "events", b"event_id\n1\n", _filters(app))), daemon=True)
    upload.start()
    try:
        assert loading.wait(60)
        render = {"output": "app-page.children",
                  "outputs": {"id": "app-page", "property": "children"},
                  "inputs": [{"id": "app-url", "property": "pathname", "value": "/data"}],
                  "state": [{"id": "app-url", "property": "search", "value": ""}],
                  "changedPropIds": ["app-url.pathname"]}
        other = threading.Thread(target=post, args=("render", analyst, render), daemon=True)
        other.start()
        other.join(timeout=30)
        assert answers == {"render": 200}           # answered while the upload still waits
    finally:
        done.set()
        upload.join(timeout=60)
        app.citybrain_runtime.store.close()
    assert answers == {"render": 200, "upload": 200}


# --- compressed bombs ---------------------------------------------------------------------------

def test_sec007_compressed_bombs_are_refused_unread(city_copy, tmp_path, capsys):
    xlsx = hostile.workbook_bomb(tmp_path / "bomb.xlsx")
    parquet = hostile.parquet_bomb(tmp_path / "bomb.parquet")
    assert xlsx.stat().st_size < 1_000_000 and parquet.stat().st_size < 100_000
    for path, words in ((xlsx, "unpack to"), (parquet, "cells a byte")):
        code, said = _cli_load(capsys, "indicators", path, "--db", city_copy)
        assert code != 0 and words in said and "refused unread" in said, said


def _events_csv(store_path: Path, out: Path, copies: int) -> Path:
    """A real events file (the test city's events under new ids), ``copies`` times over."""
    import duckdb
    con = duckdb.connect(str(store_path), read_only=True)
    frame = con.execute(
        "SELECT event_id, grid_code, category, channel, department_code, reported_at, "
        "accepted_at, dispatched_at, handled_at, verified_at, closed_at, deadline_at, "
        "returned_count, satisfaction, lon, lat FROM grid_events "
        "WHERE reported_at < TIMESTAMP '2026-11-20'").df()
    con.close()
    with open(out, "w", encoding="utf-8") as handle:
        for n in range(copies):
            part = frame.assign(event_id=frame["event_id"] + 10**9 * (n + 1))
            part.to_csv(handle, index=False, header=n == 0, date_format="%Y-%m-%d %H:%M:%S")
    return out


def test_sec008_an_upload_past_the_memory_limit_is_killed_while_the_server_answers(
        settings, city_copy, tmp_path):
    """A file that needs more memory than a load from the data screen may use is refused
    with the limit named; meanwhile the server answers other requests, and the store is the
    same file as before. The same file loads within a larger limit: it was the limit."""
    from werkzeug.serving import make_server

    from app import create_app
    app = create_app(settings.with_(db_path=city_copy, load_memory_mb=260, load_seconds=120))
    events = _events_csv(city_copy, tmp_path / "events.csv", copies=4)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    import requests
    before = city_copy.read_bytes()
    answered, done = [], threading.Event()

    def ask_others():
        while not done.is_set():
            answered.append(requests.get(base + "/healthz", timeout=30).status_code)
            time.sleep(0.1)

    bomb = hostile.workbook_bomb(tmp_path / "bomb.xlsx")
    asker = threading.Thread(target=ask_others)
    try:
        asker.start()
        refused = requests.post(base + "/_dash-update-component", timeout=300,
                                json=_upload_body(app, "bomb.xlsx", "indicators",
                                                  bomb.read_bytes(), _filters(app)))
        response = requests.post(base + "/_dash-update-component", timeout=300,
                                 json=_upload_body(app, "events.csv", "events",
                                                   events.read_bytes(), _filters(app)))
        done.set()
        asker.join()
    finally:
        server.shutdown()
    assert refused.status_code == 200 and "refused unread" in refused.text
    assert response.status_code == 200
    assert "more than 260 MB of memory" in response.text
    assert len(answered) >= 3 and set(answered) == {200}
    assert city_copy.read_bytes() == before
    assert not list(tmp_path.glob("*.loading*"))

    from data.load.build import Item
    from data.load.isolated import Limits, load_isolated
    report = load_isolated(city_copy, [Item("events", events, {})],
                           limits=Limits(memory_mb=4096, seconds=300))
    assert report.rows["events"] > 0


# --- framework endpoints ------------------------------------------------------------------------

def test_sec009_mcp_and_other_unused_framework_endpoints_are_refused(settings, city_copy,
                                                                      tmp_path, monkeypatch):
    """With DASH_MCP_ENABLED=true a leader and even a kiosk token read event rows through
    Dash 4.4's /_mcp and ran a load."""
    from app import create_app
    monkeypatch.setenv("DASH_MCP_ENABLED", "true")
    app = create_app(settings.with_(db_path=city_copy, auth=True,
                                    access_path=tmp_path / "access.sqlite"))
    access = app.server.extensions["citybrain_access"]
    access.add_user("lead-mcp", "leader", PASSWORD)
    access.add_user("adm-mcp", "admin", PASSWORD)
    _, token = access.add_kiosk("lobby")
    kiosk = app.server.test_client()
    assert kiosk.get(f"/wall?kiosk={token}").status_code == 200
    clients = {"leader": _sign_in(app, "lead-mcp")[0], "admin": _sign_in(app, "adm-mcp")[0],
               "kiosk": kiosk}
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    for who, client in clients.items():
        for path in ("/_mcp", "/_mcp/", "/_reload-hash", "/static/x.js"):
            for response in (client.get(path), client.post(path, json=call)):
                assert response.status_code in (404, 405) or (
                    response.status_code == 400 and "CSRF" in response.text), (who, path)
                assert "tools" not in response.text
        # what the app does use still answers
        assert client.get("/_dash-layout").status_code == 200, who


# --- sign-in: the lock-out race, per-address limits, a cap on password checks -----------------

def test_sec010_parallel_wrong_passwords_get_no_more_checks_than_the_lock_allows(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from data.access import LOCKOUT_FAILURES, Access
    access = Access(tmp_path / "access.sqlite")
    access.add_user("target", "admin", PASSWORD)
    with ThreadPoolExecutor(30) as pool:
        outcomes = list(pool.map(lambda n: access.sign_in("target", f"guess-{n:04d}xx",
                                                          "10.9.9.9"), range(30)))
    reasons = [o.reason for o in outcomes]
    assert reasons.count("wrong") <= LOCKOUT_FAILURES, reasons
    assert reasons.count("locked") >= 30 - LOCKOUT_FAILURES - reasons.count("busy")
    assert access.sign_in("target", PASSWORD, "10.9.9.9").reason == "locked"


class _OneHash:
    """The real hasher, hashing one password once: the accounts made with it share that
    argon2 hash (~0.25 s each) and are checked as any other."""

    def __init__(self, hasher, password: str):
        self._hasher, self._password, self._hashed = hasher, password, hasher.hash(password)

    def hash(self, password: str) -> str:
        return self._hashed if password == self._password else self._hasher.hash(password)

    def __getattr__(self, name):
        return getattr(self._hasher, name)


def test_sec011_one_address_cannot_lock_out_every_account(settings, city_copy, tmp_path,
                                                          monkeypatch):
    from app import create_app
    from data.access import LOCKOUT_FAILURES
    app = create_app(settings.with_(db_path=city_copy, auth=True,
                                    access_path=tmp_path / "access.sqlite",
                                    login_rate="10 per minute"))
    access = app.server.extensions["citybrain_access"]
    names = [f"user{n:02d}" for n in range(40)]
    with monkeypatch.context() as patch:        # the sign-ins below use the hasher as it is
        patch.setattr(access, "_hasher", _OneHash(access._hasher, PASSWORD))
        for name in names:
            access.add_user(name, "analyst", PASSWORD)
    statuses = []
    for name in names:
        statuses.append(_sign_in(app, name, password="wrong password!")[1].status_code)
    assert statuses.count(429) >= 30, statuses
    refused = _sign_in(app, names[-1], password="wrong password!")[1]
    assert refused.status_code == 429 and "Too many sign-in attempts" in refused.text
    assert refused.headers["Retry-After"] == "60"       # the window of 10 per minute
    # the names past the limit were never tried: none is locked, from here or elsewhere
    assert not any(access.locked(name) for name in names[10:])
    # a name locked from one address still signs in from another
    for _ in range(LOCKOUT_FAILURES):
        access.sign_in("user00", "wrong password!", "10.0.0.66")
    assert access.sign_in("user00", PASSWORD, "10.0.0.66").reason == "locked"
    assert access.sign_in("user00", PASSWORD, "10.0.0.77").principal is not None
    audit = access.audit_log(action="refused")
    assert any('"status":429' in row["what"] for row in audit)


def test_sec012_password_checks_run_at_most_a_few_at_once(tmp_path, monkeypatch):
    """60 simultaneous sign-ins with unknown names took 64 MiB of argon2 each."""
    from concurrent.futures import ThreadPoolExecutor

    from data import access as access_module
    access = access_module.Access(tmp_path / "access.sqlite")
    running, most, lock = [0], [0], threading.Lock()
    hasher = access._hasher

    class Counting:
        """The real hasher, counting the checks running at once."""
        def verify(self, hashed, password):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            try:
                return hasher.verify(hashed, password)
            finally:
                with lock:
                    running[0] -= 1

        def __getattr__(self, name):
            return getattr(hasher, name)

    monkeypatch.setattr(access, "_hasher", Counting())
    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(lambda n: access.sign_in(f"nobody{n}", "whatever-pass",
                                                          f"10.1.1.{n}"), range(16)))
    assert {o.reason for o in outcomes} <= {"wrong", "busy"}
    assert 1 <= most[0] <= access_module.PASSWORD_CHECKS


def test_sec013_an_admin_signs_in_from_the_admin_network_or_after_the_recovery_command(
        settings, city_copy, tmp_path):
    import ipaddress

    from app import create_app
    from data.access import LOCKOUT_FAILURES_ANY
    path = tmp_path / "access.sqlite"
    app = create_app(settings.with_(
        db_path=city_copy, auth=True, access_path=path,
        admin_networks=(ipaddress.ip_network("127.0.0.0/8"),), login_rate="2 per minute"))
    access = app.server.extensions["citybrain_access"]
    access.add_user("root-admin", "admin", PASSWORD)

    def lock_out():
        for n in range(LOCKOUT_FAILURES_ANY):
            access.sign_in("root-admin", "wrong password!", f"10.2.0.{n}")
        assert access.sign_in("root-admin", PASSWORD, "10.3.0.1").reason == "locked"

    lock_out()
    assert citybrain(["users", "unlock", "root-admin", "--db", str(city_copy)]) == 0
    assert access.sign_in("root-admin", PASSWORD, "10.3.0.1").principal is not None
    lock_out()
    # the test client asks from 127.0.0.1: the admin network (no lock, no per-address limit)
    for _ in range(3):
        assert _sign_in(app, "root-admin", password="wrong password!")[1].status_code == 200
    assert _sign_in(app, "root-admin")[1].status_code == 302


def test_sec014_sign_in_messages_say_what_happened(settings, city_copy, tmp_path):
    from app import create_app
    from data.access import LOCKOUT_FAILURES
    app = create_app(settings.with_(db_path=city_copy, auth=True,
                                    access_path=tmp_path / "access.sqlite"))
    app.server.extensions["citybrain_access"].add_user("msg-user", "analyst", PASSWORD)
    wrong = _sign_in(app, "msg-user", password="wrong password!")[1]
    assert "Wrong user name or password" in wrong.text and 'value="msg-user"' in wrong.text
    for _ in range(LOCKOUT_FAILURES):
        locked = _sign_in(app, "msg-user", password="wrong password!")[1]
    assert "locked for about 15 minutes" in locked.text


# --- downloads ------------------------------------------------------------------------------------

def test_sec015_csv_downloads_neutralise_formula_cells(settings, city_copy):
    import csv
    import io

    import duckdb

    from app import create_app
    cells = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)",
             "-2+3+cmd|' /C calc'!A0", "\tx", "\rx"]
    con = duckdb.connect(str(city_copy))
    ids = [i for (i,) in con.execute("SELECT event_id FROM grid_events ORDER BY reported_at "
                                     "DESC LIMIT ?", [len(cells)]).fetchall()]
    for event_id, cell in zip(ids, cells):
        con.execute("UPDATE grid_events SET reporter_name = ?, reporter_phone = ? "
                    "WHERE event_id = ?", [cell, "+86 797 8123456", event_id])
    con.close()
    app = create_app(settings.with_(db_path=city_copy))
    text = app.server.test_client().get(
        "/download/events.csv?from=2026-11-01&to=2026-11-24").get_data().decode("utf-8-sig")
    lines = io.StringIO(text)
    (first,) = next(csv.reader(lines))         # one cell: the filters and as-of that made it
    assert first.startswith("# ")
    rows = list(csv.DictReader(lines))
    named = {row["事件编号"]: row for row in rows}
    for event_id, cell in zip(ids, cells):
        row = named[str(event_id)]
        assert row["上报人"] == "'" + cell, row["上报人"]
        assert row["联系电话"] == "'+86 797 8123456"
    # numbers are numbers still
    assert all(row["退回次数"].isdigit() for row in rows)
    assert all(row["事件编号"].isdigit() for row in rows)


# --- answers: health, headers, client errors, kiosk links, the audit of refusals ---------------

@pytest.fixture()
def guarded(settings, city_copy, tmp_path):
    from app import create_app
    app = create_app(settings.with_(db_path=city_copy, auth=True,
                                    access_path=tmp_path / "access.sqlite"))
    access = app.server.extensions["citybrain_access"]
    for role in ("admin", "analyst", "leader"):
        access.add_user(f"g-{role}", role, PASSWORD)
    return app, access


def test_sec016_health_says_ok_or_failed_and_details_only_to_admins(guarded):
    app, _ = guarded
    public = app.server.test_client().get("/healthz")
    assert public.status_code == 200
    assert public.get_json() == {"status": "ok", "checks": {"store": "ok", "cache": "ok"}}
    assert str(app.citybrain_runtime.settings.db_path) not in public.text
    admin = _sign_in(app, "g-admin")[0].get("/healthz").get_json()
    assert admin["status"] == "ok" and admin["pid"] and "store" in admin
    leader = _sign_in(app, "g-leader")[0].get("/healthz").get_json()
    assert "pid" not in leader and "store" not in leader


def test_sec017_every_answer_carries_the_security_headers(guarded):
    app, _ = guarded
    client = _sign_in(app, "g-analyst")[0]
    for path in ("/login", "/", "/grid", "/healthz", "/_dash-layout"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["X-Frame-Options"] == "DENY", path
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, path
        assert "'unsafe-eval'" not in policy and "script-src 'self' 'sha256-" in policy
    wall = client.get("/wall").headers
    assert wall["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in wall["Content-Security-Policy"]


def test_sec018_malformed_requests_get_client_errors(guarded):
    app, _ = guarded
    client = _sign_in(app, "g-admin")[0]
    login = app.server.test_client().get("/login?next=/%0d%0aSet-Cookie:%20x=1")
    assert login.status_code == 200 and "Set-Cookie: x" not in login.text
    clientside = next(k for k, v in app.callback_map.items() if "callback" not in v)
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
               for p in clientside.strip(".").split("...")]
    body = {"output": clientside, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [dict(d, value=None) for d in app.callback_map[clientside]["inputs"]],
            "state": [dict(d, value=None) for d in app.callback_map[clientside].get("state", [])]}
    assert client.post("/_dash-update-component", json=body,
                       headers=_csrf(client)).status_code == 400
    # a pattern (ALL) state sent as one object instead of the list of its matches
    key = next(k for k, v in app.callback_map.items() if "callback" in v and any(
        '["ALL"]' in str(d["id"]) for d in v.get("state", []) + v["inputs"]))
    spec = app.callback_map[key]
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
               for p in key.strip(".").split("...")] if key.startswith("..") else \
        {"id": key.rsplit(".", 1)[0], "property": key.rsplit(".", 1)[1]}
    body = {"output": key, "outputs": outputs,
            "inputs": [dict(d, value={"x": 1}) for d in spec["inputs"]],
            "state": [dict(d, value={"x": 1}) for d in spec.get("state", [])]}
    assert client.post("/_dash-update-component", json=body,
                       headers=_csrf(client)).status_code == 400


def test_sec019_a_block_past_every_store_is_no_rows_never_an_error(app):
    from charts.common import store_payload
    from charts.state import parse_query
    from layouts.ids import Events
    from tests.conftest import run_callback
    key = next(k for k in app.callback_map if f"{Events.TABLE}.getRowsResponse" in k)
    with app.server.test_request_context():
        data = store_payload(parse_query("from=2026-11-01&to=2026-11-24",
                                         app.citybrain_runtime.context)[0])
    first, *_ = run_callback(app, key, {"startRow": 0, "endRow": 100, "sortModel": [],
                                        "filterModel": {}}, data)
    assert len(first["rowData"]) == 100 < first["rowCount"]
    # 2^63 overflows DuckDB's OFFSET: no grid asks for it, and it gets no rows
    far, *_ = run_callback(app, key, {"startRow": 2**63, "endRow": 2**63 + 100,
                                      "sortModel": [], "filterModel": {}}, data)
    assert far == {"rowData": [], "rowCount": first["rowCount"]}


def test_sec020_a_kiosk_link_never_replaces_a_signed_in_user(guarded):
    app, access = guarded
    _, token = access.add_kiosk("lobby")
    client = _sign_in(app, "g-analyst")[0]
    assert client.get(f"/wall?kiosk={token}").status_code == 200
    # still the analyst: a download a kiosk may not make
    assert client.get("/download/events.csv?from=2026-11-20&to=2026-11-24").status_code == 200
    assert not [row for row in access.audit_log(action="kiosk")]


def test_sec021_every_refusal_is_audited(guarded):
    app, access = guarded
    anonymous = app.server.test_client()
    assert anonymous.post("/_dash-update-component", json={}).status_code == 401
    assert anonymous.get("/wall?kiosk=not-a-token").status_code == 403
    leader = _sign_in(app, "g-leader")[0]
    assert leader.get("/download/events.csv").status_code == 403
    assert leader.post("/logout").status_code == 400      # no CSRF token
    analyst = _sign_in(app, "g-analyst")[0]
    assert analyst.get("/download/events.csv?tf=" + "{x} ~~ 1").status_code == 400   # no JSON
    assert analyst.get("/report/2026-10.pdf?sections=nonsense").status_code in (400, 403)
    seen = [(row["who"], json.loads(row["what"])["status"])
            for row in access.audit_log(action="refused")]
    for expected in (("", 401), ("", 403), ("g-leader", 403), ("g-leader", 400),
                     ("g-analyst", 400)):
        assert expected in seen, (expected, seen)


def test_sec022_rotating_the_session_key_ends_every_sign_in(guarded, city_copy, capsys):
    app, access = guarded
    old_key = access.secret_key()
    client = _sign_in(app, "g-analyst")[0]
    assert client.get("/_dash-layout").status_code == 200
    assert citybrain(["secret", "rotate", "--db", str(city_copy)]) == 0
    assert "rotated" in capsys.readouterr().err
    assert access.secret_key() != old_key
    assert client.get("/_dash-layout").status_code == 401
    again = _sign_in(app, "g-analyst")[0]
    assert again.get("/_dash-layout").status_code == 200
    assert app.server.secret_key == access.secret_key()
