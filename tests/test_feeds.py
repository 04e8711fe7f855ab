"""The push API (web/feeds.py, docs/FEEDS.md): a city's system posts rows with its own token;
a bad batch writes nothing and names every bad row; a batch sent twice changes nothing; the
rows reach the app's queries."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from data.access import Access
from data.store import connect
from tests.new_city import checksums

ROOT = Path(__file__).resolve().parents[1]
URL = "/api/v1/feeds/"
COLUMNS = ("事件编号", "网格", "类别", "来源", "处置部门", "上报时间", "受理时间", "派遣时间",
           "处置时间", "核查时间", "结案时间", "办理时限", "退回次数", "满意度", "经度", "纬度",
           "状态")


@pytest.fixture(scope="module")
def city(city_path, tmp_path_factory):
    """A store of this module's own (the API writes to it) and its access file; each test
    posts its own event ids with a token of its own."""
    return Path(shutil.copy(city_path, tmp_path_factory.mktemp("feeds") / "city.duckdb"))


@pytest.fixture(scope="module")
def client(city, settings):
    from app import create_app
    app = create_app(settings.with_(db_path=city, access_path=city.parent / "access.sqlite",
                                    auth=True, feed_max_rows=50,
                                    feed_rate="8 per minute"))
    return app.server.test_client()


def _token(city: Path, name: str, feeds: str) -> str:
    return Access(city.parent / "access.sqlite").add_feed_token(name, feeds)


def _event(city: Path, event_id: int, reported: str = "2026-11-24 09:00", **changes) -> dict:
    con = connect(city, read_only=True)
    try:
        cell, lon, lat, department = con.execute(
            "SELECT grid_code, lon, lat, department_code FROM grid_events ORDER BY event_id "
            "LIMIT 1").fetchone()
    finally:
        con.close()
    row = dict(zip(COLUMNS, (event_id, cell, "市容环境", "12345热线", department, reported,
                             "2026-11-24 09:10", None, None, None, None, 72, 0, None,
                             round(lon, 5), round(lat, 5), "办理中")))
    return {**row, **changes}


def _events_with_id(city: Path, event_id: int) -> int:
    con = connect(city, read_only=True)
    try:
        return con.execute("SELECT count(*) FROM grid_events WHERE event_id = ?",
                           [event_id]).fetchone()[0]
    finally:
        con.close()


def _event_row(city: Path, event_id: int) -> tuple:
    con = connect(city, read_only=True)
    try:
        return con.execute("SELECT * EXCLUDE (as_of) FROM grid_events WHERE event_id = ?",
                           [event_id]).fetchone()
    finally:
        con.close()


def test_a_system_posts_an_event_and_sending_it_again_changes_nothing(city, client):
    token = _token(city, "hotline-12345", "events")
    auth = {"Authorization": f"Bearer {token}"}
    got = client.post(URL + "events", json={"rows": [_event(city, 880000001)]}, headers=auth)
    assert got.status_code == 200, got.get_json()
    answer = got.get_json()
    assert answer["accepted"] == 1 and answer["version"]
    assert _events_with_id(city, 880000001) == 1
    before, row = checksums(city), _event_row(city, 880000001)
    again = client.post(URL + "events", json={"rows": [_event(city, 880000001)]}, headers=auth)
    assert again.status_code == 200 and again.get_json()["accepted"] == 1
    # every table as many rows as before, the event as it was (only the load's own time,
    # its as_of, moves on)
    assert {t: n for t, (n, _) in checksums(city).items()} == \
        {t: n for t, (n, _) in before.items()}
    assert _event_row(city, 880000001) == row
    # every batch is in the audit log, under the feed's name
    log = Access(city.parent / "access.sqlite").audit_log(action="feed")
    mine = [e for e in log if e["who"] == "feed:hotline-12345"]
    assert len(mine) == 2 and all('"kind":"events"' in e["what"] for e in mine)


def test_a_csv_batch_with_the_load_files_columns(city, client):
    token = _token(city, "city-mgmt", "events,air")
    rows = [_event(city, 880000010 + i) for i in range(3)]
    body = ",".join(COLUMNS) + "\n" + "\n".join(
        ",".join("" if v is None else str(v) for v in r.values()) for r in rows) + "\n"
    got = client.post(URL + "events", data=body.encode(), content_type="text/csv",
                      headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200 and got.get_json()["accepted"] == 3
    assert all(_events_with_id(city, 880000010 + i) == 1 for i in range(3))


@pytest.mark.parametrize("read_in", ["the server", "the readers' process"])
def test_one_bad_row_writes_nothing_and_every_bad_row_is_named(city, client, read_in,
                                                               monkeypatch):
    from data.load import build
    if read_in != "the server":          # as a batch bigger than a few events is
        monkeypatch.setattr(build, "READ_HERE_BYTES", 0)
    token = _token(city, f"hotline-bad-rows-{len(read_in)}", "events")
    before = checksums(city)
    rows = [_event(city, 880000020),
            _event(city, 880000021, 网格="999999999999"),
            _event(city, 880000022, 上报时间="yesterday")]
    got = client.post(URL + "events", json={"rows": rows},
                      headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 422
    errors = got.get_json()["errors"]
    assert {(e["row"], e["field"]) for e in errors} >= {(2, "网格"), (3, "上报时间")}
    bad_cell = next(e for e in errors if e["row"] == 2)
    assert bad_cell["value"] == "999999999999" and bad_cell["expected"]
    assert checksums(city) == before                  # not even the good first row
    assert not list(city.parent.glob(".feed-*")) and not list(city.parent.glob("*.loading"))


@pytest.mark.parametrize("headers, status", [
    ({}, 401),
    ({"Authorization": "Bearer cbf_not-a-token"}, 401),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, 401),
])
def test_without_a_valid_token_nothing_is_written(city, client, headers, status):
    before = checksums(city)
    got = client.post(URL + "events", json={"rows": [_event(city, 880000030)]},
                      headers=headers)
    assert got.status_code == status and "Bearer" in got.headers["WWW-Authenticate"]
    assert checksums(city) == before


def test_a_token_posts_only_its_feeds_and_a_revoked_one_nothing(city, client):
    token = _token(city, "air-stations", "air")
    auth = {"Authorization": f"Bearer {token}"}
    got = client.post(URL + "events", json={"rows": [_event(city, 880000040)]}, headers=auth)
    assert got.status_code == 403 and "air" in got.get_json()["error"]
    assert client.post(URL + "nowhere", json={"rows": []}, headers=auth).status_code == 404
    Access(city.parent / "access.sqlite").revoke_feed_token("air-stations")
    got = client.post(URL + "air", json={"rows": [{"a": 1}]}, headers=auth)
    assert got.status_code == 401


def test_batches_past_the_limits_and_bodies_that_are_not_rows(city, client):
    token = _token(city, "hotline-limits", "events")
    auth = {"Authorization": f"Bearer {token}"}
    too_many = [_event(city, 880000100 + i) for i in range(51)]      # the fixture's limit: 50
    got = client.post(URL + "events", json={"rows": too_many}, headers=auth)
    assert got.status_code == 413 and "50 rows" in got.get_json()["error"]
    for body, ctype in ((b"{not json", "application/json"),
                        (b'{"rows": {"a": 1}}', "application/json"),
                        (b'{"rows": [{"a": {"b": 1}}]}', "application/json"),
                        (b'{"rows": [{"a": 1}, {"b": 2}]}', "application/json"),
                        (b"a,b\n1,2\n", "application/xml")):
        got = client.post(URL + "events", data=body, content_type=ctype, headers=auth)
        assert got.status_code in (400, 415), (body, got.status_code)
        assert got.get_json()["error"]


def test_a_token_past_its_rate_waits_and_others_go_on(city, client):
    busy = {"Authorization": f"Bearer {_token(city, 'chatty', 'events')}"}
    calm = {"Authorization": f"Bearer {_token(city, 'calm', 'events')}"}
    answers = [client.post(URL + "events", data=b"{}", content_type="application/json",
                           headers=busy).status_code for _ in range(9)]   # the fixture: 8
    assert answers[:8] == [400] * 8 and answers[8] == 429
    got = client.post(URL + "events", data=b"{}", content_type="application/json",
                      headers=busy)
    assert got.status_code == 429 and got.headers["Retry-After"] == "60"    # 8 per minute
    assert "wait" in got.get_json()["error"]
    assert client.post(URL + "events", data=b"{}", content_type="application/json",
                       headers=calm).status_code == 400            # another token: not limited
    # every refusal is audited; a sender past its rate once a minute, not per batch
    refused = [row for row in Access(city.parent / "access.sqlite").audit_log(
        action="refused") if row["who"] == "feed:chatty"]
    statuses = [json.loads(row["what"])["status"] for row in refused]
    assert sorted(statuses) == [400] * 8 + [429], "two batches past the rate, one line"


def test_every_refused_batch_is_audited_with_who_and_why(city, client):
    access = Access(city.parent / "access.sqlite")
    air = {"Authorization": f"Bearer {_token(city, 'air-audited', 'air')}"}
    client.post(URL + "events", json={"rows": [_event(city, 880000050)]}, headers=air)
    client.post(URL + "events", json={"rows": [_event(city, 880000051)]},
                headers={"Authorization": "Bearer cbf_not-a-token"})
    client.post(URL + "air", data=b"a,b\n1,2\n", content_type="application/xml", headers=air)
    log = access.audit_log(action="refused", limit=3)[::-1]
    assert [(row["who"], json.loads(row["what"])["status"]) for row in log] == [
        ("feed:air-audited", 403), ("feed:?", 401), ("feed:air-audited", 415)]
    assert "covers air, not events" in log[0]["what"]


def test_rows_are_posted_not_read(client):
    got = client.get(URL + "events")
    assert got.status_code == 405 and got.headers["Allow"] == "POST"
    assert "post" in got.get_json()["error"]


def test_tokens_from_the_command_line(city_path, tmp_path):
    city = Path(shutil.copy(city_path, tmp_path / "city.duckdb"))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(city.parent), "CITYBRAIN_BUILD_DEMO": "0"}

    def citybrain(*args):
        return subprocess.run([sys.executable, "-m", "cli", "tokens", *args, "--db",
                               str(city)], capture_output=True, text=True, cwd=ROOT, env=env)
    added = citybrain("add", "hotline-12345", "--feeds", "events,air")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]            # the last line: the token
    assert Access(city.parent / "access.sqlite").feed_client(token) == (
        "hotline-12345", frozenset({"events", "air"}))
    assert "active" in citybrain("list").stdout and token not in citybrain("list").stdout
    assert citybrain("add", "hotline-12345", "--feeds", "events").returncode == 1
    refused = citybrain("add", "x", "--feeds", "weather")
    assert refused.returncode == 1 and "weather" in refused.stderr
    assert citybrain("revoke", "hotline-12345").returncode == 0
    assert Access(city.parent / "access.sqlite").feed_client(token) is None
    assert "revoked" in citybrain("list").stdout


def test_the_api_describes_itself(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert sorted(doc["paths"]) == [f"/api/v1/feeds/{k}" for k in
                                    ("air", "events", "indicators", "resources", "warnings",
                                     "water")]
    post = doc["paths"]["/api/v1/feeds/events"]["post"]
    assert {"200", "401", "403", "413", "422"} <= set(post["responses"])
    assert "事件编号" in post["description"]


def _download(settings, city: Path, query: str) -> tuple[bytes, list[int]]:
    """/download/events.csv of a query string, and the event ids it holds (read past its
    first line, which says what made it)."""
    from app import create_app
    browser = create_app(settings.with_(db_path=city, auth=False)).server.test_client()
    got = browser.get(f"/download/events.csv?{query}")
    assert got.status_code == 200
    text = got.data.decode("utf-8-sig")
    assert text.startswith("# ")
    frame = pd.read_csv(io.StringIO(text), skiprows=1, dtype=str)
    return got.data, [int(v) for v in frame.iloc[:, 0]]


def _rows(city: Path, ids: list[int], what: str = "* EXCLUDE (as_of, source)") -> list:
    con = connect(city, read_only=True)
    try:
        return con.execute(f"SELECT {what} FROM grid_events WHERE event_id "
                           f"IN ({', '.join('?' * len(ids))}) ORDER BY event_id", ids).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_what_the_event_download_writes_posts_back_unchanged(city, client, settings, lang):
    """docs/FEEDS.md: a system may post rows as /download/events.csv writes them: the
    screen's headers and names in either language with the codes beside them, and the
    first line saying what made the file."""
    body, ids = _download(settings, city, "from=2026-11-10&to=2026-11-20&district=360702"
                                          f"&lang={lang}")
    assert 5 < len(ids) < 50
    before = _rows(city, ids)
    token = _token(city, f"round-trip-{lang}", "events")
    posted = client.post(URL + "events", data=body, content_type="text/csv",
                         headers={"Authorization": f"Bearer {token}"})
    assert posted.status_code == 200, posted.get_json()
    # every column read for what it is (none ignored), the first line taken for a title
    assert posted.get_json()["accepted"] == len(ids)
    assert posted.get_json()["warnings"] == []
    assert _rows(city, ids) == before
    assert {source for (source,) in _rows(city, ids, "source")} == {"events.csv"}


def test_a_downloaded_name_edited_without_its_code_is_refused(city, client, settings):
    """A download holds each named column twice (类别, 类别代码) and the codes are read: a name
    changed alone would change nothing, so it is refused with the row and the column."""
    import csv
    body, ids = _download(settings, city, "from=2026-11-10&to=2026-11-20&district=360702")
    lines = body.decode("utf-8-sig").splitlines()
    header = next(csv.reader([lines[1]]))
    rows = list(csv.reader(lines[2:]))
    at = header.index("类别")
    rows[2][at] = next(name for name in ("市容环境", "街面秩序") if name != rows[2][at])
    out = io.StringIO()
    csv.writer(out).writerows([next(csv.reader([lines[0]])), header, *rows])
    token = _token(city, "edited-name", "events")
    posted = client.post(URL + "events", data=out.getvalue().encode("utf-8"),
                         content_type="text/csv", headers={"Authorization": f"Bearer {token}"})
    assert posted.status_code == 422
    (error,) = posted.get_json()["errors"]
    assert error["field"] == "类别" and error["row"] == 3 and "类别代码" in error["expected"]
    # without the names the codes alone load
    for row in (header, *rows):
        del row[at]
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    posted = client.post(URL + "events", data=out.getvalue().encode("utf-8"),
                         content_type="text/csv", headers={"Authorization": f"Bearer {token}"})
    assert posted.status_code == 200 and posted.get_json()["accepted"] == len(ids)


@pytest.mark.parametrize(("lang", "fmt"), [("zh", "csv"), ("en", "csv"), ("zh", "xlsx")])
def test_what_the_event_download_writes_loads_back_unchanged(city_path, settings, tmp_path,
                                                            lang, fmt):
    """``citybrain load events`` reads a downloaded file as it is, in either language; a
    workbook past its first sheet (说明)."""
    from app import create_app
    city = Path(shutil.copy(city_path, tmp_path / "city.duckdb"))
    query = f"from=2026-11-01&to=2026-11-20&lang={lang}"
    _, ids = _download(settings, city, query)
    assert len(ids) > 100
    browser = create_app(settings.with_(db_path=city, auth=False)).server.test_client()
    path = tmp_path / f"events-{lang}.{fmt}"
    path.write_bytes(browser.get(f"/download/events.{fmt}?{query}").data)
    but_place, place = "* EXCLUDE (as_of, source, lon, lat)", "lon, lat"
    before = _rows(city, ids, but_place), _rows(city, ids, place)
    out = subprocess.run([sys.executable, "-m", "cli", "load", "events", str(path), "--db",
                          str(city)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                              "CITYBRAIN_BUILD_DEMO": "0"})
    assert out.returncode == 0, out.stderr
    assert "ignored" not in out.stdout + out.stderr
    assert _rows(city, ids, but_place) == before[0]
    if fmt == "csv":
        assert _rows(city, ids, place) == before[1]
    else:   # a workbook's numbers come back to 15 digits: the place to a few nanometres
        for got, want in zip(_rows(city, ids, place), before[1]):
            assert got == pytest.approx(want, abs=1e-9)
    # written again, from the file (not left alone)
    assert {source for (source,) in _rows(city, ids, "source")} == {path.name}


def test_callbacks_past_their_slots_wait_and_a_feed_batch_does_not(city, settings):
    """A server runs ``callback_slots`` Dash callbacks at once and queues the others; a feed's
    batch (and every other request) does not wait behind them (web/limits.gate_view)."""
    import threading

    from dash.exceptions import PreventUpdate

    from app import create_app
    app = create_app(settings.with_(db_path=city, access_path=city.parent / "access.sqlite",
                                    callback_slots=2))
    key = "ops-kpis.children"
    entered, release, lock = threading.Semaphore(0), threading.Event(), threading.Lock()
    running, most = [0], [0]

    def held(*args, **kwargs):          # a callback that takes as long as the test says
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        entered.release()
        release.wait(30)
        with lock:
            running[0] -= 1
        raise PreventUpdate

    app.callback_map[key]["callback"] = held
    spec = app.callback_map[key]
    body = {"output": key, "outputs": {"id": "ops-kpis", "property": "children"},
            "inputs": [{"id": str(d["id"]), "property": d["property"], "value": None}
                       for d in spec["inputs"]], "state": [], "changedPropIds": []}
    answers: list[int] = []

    def post() -> None:
        answers.append(app.server.test_client().post("/_dash-update-component",
                                                     json=body).status_code)

    callers = [threading.Thread(target=post, daemon=True) for _ in range(3)]
    for caller in callers:
        caller.start()
    try:
        assert entered.acquire(timeout=30) and entered.acquire(timeout=30)
        assert not entered.acquire(timeout=0.5), "a third callback ran beside two"
        token = _token(city, "hotline-slots", "events")
        fed = app.server.test_client().post(
            URL + "events", json={"rows": [_event(city, 880000901)]},
            headers={"Authorization": f"Bearer {token}"})
        assert fed.status_code == 200 and _events_with_id(city, 880000901) == 1
        assert answers == []                    # the callbacks still hold their slots
    finally:
        release.set()
    for caller in callers:
        caller.join(timeout=30)
    assert answers == [204, 204, 204] and most[0] == 2
