"""The store in a process of its own (data/service.py, CITYBRAIN_STORE_WRITES=service): it
owns the file and answers several server processes' queries over a local socket, and a load
from any other process goes to it and is written in place; killed, it is started again and
the servers' next calls find it; under gunicorn, every worker sees a posted batch."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from data.load.build import Item, load
from data.load.problems import LoadError
from data.service import Keeper, RemoteStore, ServiceDown
from data.store import Store
from tests.conftest import TEST_NOW
from tests.test_in_place import FILE_COLUMNS, _post, _write

BY_DISTRICT = "SELECT district_code, count(*) AS n FROM grid_events GROUP BY ALL ORDER BY 1"


@pytest.fixture
def city(city_path, tmp_path) -> Path:
    return Path(shutil.copy(city_path, tmp_path / "city.duckdb"))


@pytest.fixture
def service(city):
    from data.service import address
    keeper = Keeper(city).start(wait_seconds=120)
    yield keeper
    keeper.stop()
    Path(address(city)).unlink(missing_ok=True)     # a killed service's, left in $TMPDIR


def _new_event(city: Path, event_id: int) -> pd.DataFrame:
    """A copy of the city's first event under a new id (read from a copy of the store
    while the service owns it)."""
    store = Store(city)
    try:
        return store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                        "ORDER BY event_id LIMIT 1").assign(event_id=event_id)
    finally:
        store.close()


def _once_it_answers(remote: RemoteStore, sql: str, seconds: float) -> list[tuple]:
    """``remote``'s rows of ``sql`` once its service answers again (ServiceDown till then),
    within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return remote.rows(sql)
        except ServiceDown:
            assert time.monotonic() < deadline, "the service never answered again"
            time.sleep(0.2)


def test_a_remote_store_answers_as_the_store_does(city, service):
    remote = RemoteStore(city)
    local = Store(city)             # a copy: the service owns the file
    try:
        pd.testing.assert_frame_equal(remote.df(BY_DISTRICT), local.df(BY_DISTRICT))
        assert remote.rows(BY_DISTRICT) == local.rows(BY_DISTRICT)
        assert remote.records("SELECT * FROM meta WHERE key = ?", ["as_of"]) == \
            local.records("SELECT * FROM meta WHERE key = ?", ["as_of"])
        streamed = pa.Table.from_batches(list(remote.batches(BY_DISTRICT, rows_per_batch=3)))
        assert streamed.num_rows == len(local.rows(BY_DISTRICT)) and \
            streamed.to_pandas().equals(local.df(BY_DISTRICT))
        assert remote.version == local.version and remote.part_versions == local.part_versions
        assert remote.health_meta()["as_of"] == local.health_meta()["as_of"]
        assert [i.code for i in remote.catalogue] == [i.code for i in local.catalogue]
        with pytest.raises(Exception, match="no_such_table"):
            remote.df("SELECT * FROM no_such_table")
        assert remote.rows("SELECT 1") == [(1,)]        # the connection still answers
    finally:
        remote.close()
        local.close()


def test_a_load_from_another_process_is_written_in_place_by_the_service(city, tmp_path,
                                                                         service):
    remote = RemoteStore(city)
    inode, before = city.stat().st_ino, remote.version
    report = load(city, [Item("events", _write(_new_event(city, 996000001),
                                               tmp_path / "one.csv"))], now=TEST_NOW)
    assert report.rows == {"events": 1} and report.version == remote.version != before
    assert city.stat().st_ino == inode                  # in place, not a copy renamed over
    assert remote.rows("SELECT count(*) FROM grid_events WHERE event_id = 996000001") == [(1,)]
    # a bad batch: every problem named across the socket, nothing written
    bad = _new_event(city, 996000002).assign(grid_code="nowhere", satisfaction=9)
    with pytest.raises(LoadError) as refused:
        load(city, [Item("events", _write(bad, tmp_path / "bad.csv"))], now=TEST_NOW)
    assert {p.column for p in refused.value.problems} >= {"grid_code", "satisfaction"}
    assert all(p.row == 2 for p in refused.value.problems if p.level == "error")
    assert remote.version == report.version
    assert remote.rows("SELECT count(*) FROM grid_events WHERE event_id = 996000002") == [(0,)]
    remote.close()


def test_a_killed_service_is_started_again_with_what_it_wrote(city, tmp_path, service):
    remote = RemoteStore(city)
    # an export streaming as it dies ends in ServiceDown, as a query does
    stream = remote.batches("SELECT * FROM range(500000)", rows_per_batch=1000)
    next(iter(stream))
    os.kill(service.pid, signal.SIGKILL)
    with pytest.raises(ServiceDown, match="stopped during an export"):
        for _ in stream:
            pass
    _once_it_answers(remote, "SELECT 1", seconds=60)     # started again
    load(city, [Item("events", _write(_new_event(city, 996000003), tmp_path / "one.csv"))],
         now=TEST_NOW)
    killed = service.pid
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:                     # the calls made while it is down fail, then answer
        try:
            found = remote.rows("SELECT count(*) FROM grid_events WHERE event_id = 996000003")
            if service.pid != killed:
                break
        except ServiceDown:
            pass
        assert time.monotonic() < deadline, "the service was not started again"
        time.sleep(0.2)
    assert found == [(1,)]              # its log replayed by the new one
    remote.close()


def test_a_hung_service_fails_the_call_in_its_time_and_answers_once_it_goes_on(city, service):
    """A service that stops answering (here SIGSTOP) holds a request for ``answer_seconds``,
    then ServiceDown (the screens' error, the health check's 503), not for good; the calls
    of the next few seconds fail at once rather than each waiting; once it goes on, the
    same thread's calls answer again."""
    from data import service as service_module
    remote = RemoteStore(city)
    try:
        assert remote.rows("SELECT 1") == [(1,)]
        remote.answer_seconds = 1
        os.kill(service.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(ServiceDown, match="no answer in 1 s"):
                remote.rows("SELECT count(*) FROM grid_events")
            with pytest.raises(ServiceDown, match="unanswered in the last"):
                list(remote.batches("SELECT * FROM grid_events"))
            with pytest.raises(ServiceDown, match="unanswered in the last"):
                remote.rows("SELECT 1")
            assert time.monotonic() - started < 10
        finally:
            os.kill(service.pid, signal.SIGCONT)
        remote.answer_seconds = service_module.ANSWER_SECONDS
        assert _once_it_answers(remote, "SELECT 2", seconds=30) == [(2,)]
        # a stream that stalls after it began fails in its time too
        remote.answer_seconds = 1
        stream = remote.batches("SELECT * FROM range(200000)", rows_per_batch=1000)
        next(iter(stream))
        os.kill(service.pid, signal.SIGSTOP)
        try:
            with pytest.raises(ServiceDown, match="no answer in 1 s"):
                for _ in stream:
                    pass
        finally:
            os.kill(service.pid, signal.SIGCONT)
    finally:
        remote.close()


def test_a_sigterm_any_of_the_services_threads_takes_stops_it(city, service):
    """The kernel hands a process's signal to any of its threads; Python runs the handler
    in the main thread, which sat in accept() until the next connection came (a keeper's
    stop waited 60 s, then killed it). Sent to a thread other than the main one (Linux
    prefers the thread named), SIGTERM still stops the service at once."""
    remote = RemoteStore(city)
    assert remote.rows("SELECT 1") == [(1,)]
    first = service.pid
    threads = [int(t) for t in os.listdir(f"/proc/{first}/task") if int(t) != first]
    for thread in reversed(threads):
        try:
            os.kill(thread, signal.SIGTERM)
            break
        except ProcessLookupError:
            continue        # a thread that ended since (a connection's, a query's)
    else:
        pytest.fail(f"none of the service's threads {threads} is left")
    remote.close()
    deadline = time.monotonic() + 5
    while service.pid == first:                 # gone, and its keeper started it again
        assert time.monotonic() < deadline, "SIGTERM did not stop the service"
        time.sleep(0.1)


def test_a_service_killed_as_a_batch_commits_holds_all_of_it_or_none(city, tmp_path,
                                                                       service):
    """kill -9 of the service as a 20,000-event batch commits (its log appears): the load
    that sent it fails, the service started again holds the batch whole or not at all with
    its rollups agreeing, and sending it again completes it."""
    import threading
    store = Store(city)
    rows = store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events ORDER BY event_id "
                    "LIMIT 20000")
    store.close()
    rows["event_id"] += 997_000_000
    batch = _write(rows, tmp_path / "batch.csv")
    failed: list[BaseException] = []

    def send():
        try:
            load(city, [Item("events", batch)], now=TEST_NOW)
        except BaseException as exc:  # noqa: BLE001 (the service died under it: the test)
            failed.append(exc)

    sender = threading.Thread(target=send)
    killed = service.pid
    sender.start()
    deadline = time.monotonic() + 60
    while not any(city.parent.glob(f".{city.name}.*.open.wal")):
        assert time.monotonic() < deadline, "the batch never reached its commit"
        time.sleep(0.001)
    os.kill(killed, signal.SIGKILL)
    sender.join(timeout=60)
    assert failed and isinstance(failed[0], ServiceDown), failed
    remote = RemoteStore(city, wait_seconds=60)         # the keeper starts it again
    counts = ("SELECT (SELECT count(*) FROM grid_events WHERE event_id >= 997000000), "
              "(SELECT count(*) FROM grid_events) = (SELECT sum(n) FROM event_daily)")
    [(n, agree)] = remote.rows(counts)
    assert service.pid != killed and n in (0, len(rows)) and agree, n
    load(city, [Item("events", batch)], now=TEST_NOW)
    assert remote.rows(counts) == [(len(rows), True)]
    remote.close()


def test_a_load_beside_a_service_that_does_not_answer_waits_then_refuses(city, tmp_path):
    """A service being started again (its socket there, nobody listening): a load waits,
    then raises ServiceDown; it never writes the store itself beside its service."""
    import socket

    from data import service as service_module
    at = service_module.address(city)
    left = socket.socket(socket.AF_UNIX)
    left.bind(at)                       # a dead service's socket
    left.close()
    inode, size = city.stat().st_ino, city.stat().st_size
    try:
        started = time.monotonic()
        with pytest.raises(ServiceDown, match="did not answer"):
            service_module.load(city, [Item("events", _write(_new_event(city, 996000005),
                                                             tmp_path / "one.csv"))],
                                wait_seconds=1, now=TEST_NOW)
        assert time.monotonic() - started >= 1
    finally:
        Path(at).unlink(missing_ok=True)
    assert (city.stat().st_ino, city.stat().st_size) == (inode, size)
    assert not list(city.parent.glob("*.loading*"))


def test_a_socket_folder_not_this_users_own_is_no_service(city, tmp_path, monkeypatch):
    """A folder another user made where the sockets go (or opened to all) holds no service
    of ours: a load writes as it would without one, and a service refuses to listen
    there."""
    import tempfile

    from data import service as service_module
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = tmp_path / f"citybrain-{os.getuid()}"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    report = load(city, [Item("events", _write(_new_event(city, 996000007),
                                               tmp_path / "one.csv"))], now=TEST_NOW)
    assert report.rows == {"events": 1}
    with pytest.raises(RuntimeError, match="not this user's own"):
        service_module.address(city)


def test_the_socket_goes_to_citybrain_run_dir_where_a_load_finds_it(city, tmp_path,
                                                                    monkeypatch):
    """CITYBRAIN_RUN_DIR (under systemd /run/citybrain, since the unit's /tmp is its own):
    the service listens there and a load made with the same setting is written by it in
    place (the file this process would otherwise have to copy: the service holds it)."""
    import tempfile

    from data.service import address
    run = Path(tempfile.mkdtemp(prefix="cb-run-"))      # short: a socket's path is <108 bytes
    run.chmod(0o700)
    monkeypatch.setenv("CITYBRAIN_RUN_DIR", str(run))
    keeper = Keeper(city).start(wait_seconds=120)
    try:
        assert Path(address(city)).parent == run and Path(address(city)).is_socket()
        inode = city.stat().st_ino
        report = load(city, [Item("events", _write(_new_event(city, 996000008),
                                                   tmp_path / "one.csv"))], now=TEST_NOW)
        assert report.rows == {"events": 1} and city.stat().st_ino == inode
        remote = RemoteStore(city)
        assert remote.rows("SELECT count(*) FROM grid_events WHERE event_id = 996000008") \
            == [(1,)]
        remote.close()
    finally:
        keeper.stop()
        shutil.rmtree(run, ignore_errors=True)


def test_an_upload_is_read_within_its_limits_then_written_by_the_service(city, tmp_path,
                                                                        service, monkeypatch):
    """An upload of events in a worker: read and checked in a child within the upload's
    limits (here a time no child can meet), then written by the service; the service never
    reads it without them."""
    from callbacks import datasets
    from charts.runtime import Runtime
    from data.queries import Queries
    from data.service import open_store
    from settings import Settings
    path = _write(_new_event(city, 996000006), tmp_path / "upload.csv")
    store = open_store(city, "service")
    settings = Settings(db_path=city, store_writes="service", load_seconds=0.001)
    runtime = Runtime(settings, store, Queries(store))
    with pytest.raises(LoadError, match="took longer than"):
        datasets._load(runtime, city, Item("events", path))
    assert store.rows("SELECT count(*) FROM grid_events WHERE event_id = 996000006") == [(0,)]
    runtime = Runtime(Settings(db_path=city, store_writes="service"), store, Queries(store))
    report = datasets._load(runtime, city, Item("events", path))
    assert report.rows == {"events": 1}
    assert store.rows("SELECT count(*) FROM grid_events WHERE event_id = 996000006") == [(1,)]
    # its fallback when the store was replaced meanwhile (NotInPlace): a copy written by the
    # child within the limits (a new file the service then serves), not handed to the
    # service to read unbounded (which writes in place: the same file)
    from data.load.build import NotInPlace

    def replaced_meanwhile(*args, **kwargs):
        raise NotInPlace("replaced")
    monkeypatch.setattr(datasets, "load", replaced_meanwhile)
    inode = city.stat().st_ino
    other = _write(_new_event(city, 996000009), tmp_path / "other.csv")
    assert datasets._load(runtime, city, Item("events", other)).rows == {"events": 1}
    assert city.stat().st_ino != inode
    deadline = time.monotonic() + 10
    while store.rows("SELECT count(*) FROM grid_events WHERE event_id = 996000009") != [(1,)]:
        assert time.monotonic() < deadline, "the service did not serve the new file"
        time.sleep(0.2)


def test_a_worker_whose_service_is_down_answers_503(city, tmp_path, service, monkeypatch):
    """Its health check says the store failed; a feed's batch posted while the service is
    being started again (its socket there, nobody answering) is refused with 503 and
    Retry-After once the wait is over (30 s; 1 here), the file untouched."""
    import socket

    from app import create_app
    from data import service as service_module
    from data.access import Access
    from settings import Settings
    app = create_app(Settings(db_path=city, build_demo_if_missing=False, auth=False,
                              cache_type="simple", store_writes="service",
                              access_path=city.parent / "access.sqlite"))
    client = app.server.test_client()
    assert client.get("/healthz").status_code == 200
    service.stop()
    down = client.get("/healthz")
    assert (down.status_code, down.get_json()["checks"]["store"]) == (503, "failed")

    token = Access(city.parent / "access.sqlite").add_feed_token("hotline", "events")
    at = service_module.address(city)
    left = socket.socket(socket.AF_UNIX)
    left.bind(at)                       # a service being started again
    left.close()
    monkeypatch.setattr(service_module, "WAIT_SECONDS", 1)
    inode, size = city.stat().st_ino, city.stat().st_size
    try:
        answer = client.post("/api/v1/feeds/events", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
            data=_new_event(city, 996000010)[FILE_COLUMNS].to_csv(index=False).encode())
    finally:
        Path(at).unlink(missing_ok=True)
    assert (answer.status_code, answer.headers.get("Retry-After")) == (503, "5"), \
        answer.get_data(as_text=True)
    assert "send the batch again" in answer.get_json()["error"]
    assert (city.stat().st_ino, city.stat().st_size) == (inode, size)


@pytest.mark.deploy
def test_every_worker_sees_a_posted_batch_at_once(city):
    """gunicorn with two workers and the store's service: a batch posted to one is in the
    store both read (their health checks tell its version), the file written in place; the
    master killed, the service goes too, the file closed. (Stopped as systemd stops it, the
    service goes with gunicorn: tests/browser/test_bundle_browser.py.)"""
    from bench.servers import Gunicorn
    from data.access import Access
    from data.service import address
    token = Access(city.parent / "access.sqlite").add_feed_token("hotline", "events")
    event = _new_event(city, 996000004)
    inode = city.stat().st_ino
    server = Gunicorn(city, {"CITYBRAIN_AUTH": "1", "CITYBRAIN_STORE_WRITES": "service"},
                      workers=2, threads=4).start()
    try:
        before = server.health()["store_version"]
        status, answer = _post(server.url + "/api/v1/feeds/events", token,
                               event[FILE_COLUMNS].to_csv(index=False).encode())
        assert status == 200 and answer["accepted"] == 1, answer
        seen: dict[int, dict] = {}
        deadline = time.monotonic() + 60
        while len(seen) < 2 and time.monotonic() < deadline:
            health = server.health()
            seen[health["pid"]] = health
            time.sleep(0.05)
        assert len(seen) == 2, "one worker answered every health check"
        assert {h["store_version"] for h in seen.values()} == {answer["version"]} != {before}
        assert {h["store"] for h in seen.values()} == {seen[next(iter(seen))]["store"]}
        assert city.stat().st_ino == inode
        # gunicorn's master killed (-9: no on_exit to stop the service): the service finds
        # its keeper gone and lets the store go, its log checkpointed, its socket removed
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        deadline = time.monotonic() + 30
        while Path(address(city)).exists():     # removed after the store is closed
            assert time.monotonic() < deadline, "the service outlived its master"
            time.sleep(0.2)
        store = Store(city, writable=True)
    finally:
        server.stop()
    try:
        assert store.rows("SELECT count(*) FROM grid_events WHERE event_id = 996000004") \
            == [(1,)]
        assert not Path(address(city)).exists()
    finally:
        store.close()


@pytest.mark.deploy
def test_citybrain_serve_starts_its_store_service_and_stops_it_with_itself(city, tmp_path):
    import json
    import subprocess
    import sys
    import urllib.request

    from bench.__main__ import _free_port
    from data.service import address
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys, cli; sys.exit(cli.main())", "serve", "--db",
         str(city), "--port", str(port)],
        env={**os.environ, "CITYBRAIN_STORE_WRITES": "service", "CITYBRAIN_AUTH": "off",
             "CITYBRAIN_BUILD_DEMO": "0", "CITYBRAIN_ACCESS_DB": str(tmp_path / "a.sqlite")},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                            timeout=5) as answer:
                    assert json.loads(answer.read())["status"] == "ok"
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.5)
        assert RemoteStore(city).rows("SELECT 1") == [(1,)]
    finally:
        server.terminate()
        server.wait(timeout=60)
    # the service goes with it (within a second: it looks for its parent every second)
    deadline = time.monotonic() + 30
    while Path(address(city)).exists():
        assert time.monotonic() < deadline, "the store service outlived its server"
        time.sleep(0.2)
    Store(city, writable=True).close()      # nobody holds the file any more


#: How long the service's soak feeds and browses (60 s at least): `make soak` sets 600 s.
SOAK_SECONDS = int(os.environ.get("CITYBRAIN_SOAK_SECONDS", "20"))


@pytest.mark.soak
@pytest.mark.deploy
def test_the_store_service_soaks_feeds_and_analysts(city_path, tmp_path):
    """gunicorn with the store's service (two workers) for SOAK_SECONDS: two systems post
    500-event batches at 1,000 events a second and a single event a second, analysts browse
    and a wall refreshes: nothing fails, every batch is accepted, and the service's
    descriptors and threads stay flat (a connection or thread kept per request would
    climb). Speed is bench.feeds' business (bench/README.md): no latency asserted here."""
    import json
    import subprocess
    import sys
    out = tmp_path / "feeds.json"
    seconds = max(SOAK_SECONDS, 60)     # six looks at the service at least, one each 10 s
    done = subprocess.run(
        [sys.executable, "-m", "bench.feeds", "--db", str(city_path), "--seconds",
         str(seconds), "--users", "5", "--batch", "500", "--rate", "1000",
         "--writes", "service", "--workers", "2", "--threads", "8", "--out", str(out)],
        cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True,
        timeout=seconds + 600)
    assert out.exists(), f"the run did not finish:\n{done.stdout}\n{done.stderr[-4000:]}"
    result = json.loads(out.read_text())
    for part in ("batches", "single", "wall", "health"):
        assert result[part]["failed"] == 0 and result[part]["sent"] > 0, (part, result[part])
    assert result["analysts"]["failures"] == 0 and result["analysts"]["requests"] > 0
    assert result["batches"]["statuses"] == [200]
    # (second, descriptors, threads, MB) every 10 s; the first 30 s are the senders',
    # the analysts' and the wall's connections coming in
    looks = [look for look in result["service"] if look[0] >= 30]
    assert len(looks) >= 3, result["service"]
    third = len(looks) // 3
    # flat: the last third's highest within a few of the first third's (a slow client's
    # connection, an export's stream), where one kept per request would climb for good
    for column, slack in ((1, 8), (2, 8)):
        first, last = [look[column] for look in looks[:third + 1]], \
            [look[column] for look in looks[-third - 1:]]
        assert max(last) <= max(first) + slack, result["service"]
