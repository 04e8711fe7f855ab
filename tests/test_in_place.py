"""Batches written into the served store in place (data/load/build.py, docs/ARCHITECTURE.md):
only the rollup rows of the days and districts a batch touches are built again, and they
come out as a full rebuild would; a bad batch changes nothing; readers never see half a
batch; the server that owns the file writes through its own connection, and other processes
read a whole copy or write a copy of their own."""

from __future__ import annotations

import datetime as dt
import gc
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path

import pandas as pd
import pytest

from data.load.build import Item, load
from data.load.problems import LoadError
from data.store import EVENT_ROLLUP, EVENT_STORAGE_ORDER, ROLLUPS, Store, connect
from tests.conftest import TEST_NOW
from tests.new_city import checksums

ROOT = Path(__file__).resolve().parents[1]
#: The columns of an events file (a download's, which loads back), from grid_events.
FILE_COLUMNS = ["event_id", "grid_code", "category", "channel", "department_code",
                "reported_at", "accepted_at", "dispatched_at", "handled_at", "verified_at",
                "closed_at", "deadline_at", "returned_count", "satisfaction", "lon", "lat"]
STAGES = ["reported_at", "accepted_at", "dispatched_at", "handled_at", "verified_at",
          "closed_at", "deadline_at"]


@pytest.fixture
def city(city_path, tmp_path) -> Path:
    return Path(shutil.copy(city_path, tmp_path / "city.duckdb"))


def _events(path: Path, sql: str) -> pd.DataFrame:
    con = connect(path)
    try:
        return con.execute(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events {sql}").df()
    finally:
        con.close()


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame[FILE_COLUMNS].to_csv(path, index=False)
    return path


def _a_batch(city: Path, folder: Path) -> Path:
    """Open events closed, events moved three days back (their old days lose them), and new
    events: every way a batch changes the rollups."""
    opened = _events(city, "WHERE closed_at IS NULL AND reported_at < TIMESTAMP "
                           "'2026-11-20' ORDER BY event_id LIMIT 40")
    for stage in ("accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at"):
        opened[stage] = opened[stage].fillna(opened["reported_at"] + pd.Timedelta(hours=30))
    moved = _events(city, "WHERE closed_at IS NOT NULL ORDER BY event_id DESC LIMIT 25")
    for stage in STAGES:
        moved[stage] = moved[stage] - pd.Timedelta(days=3)
    new = _events(city, "ORDER BY event_id LIMIT 30").assign(
        event_id=lambda f: f["event_id"] + 990_000_000)
    return _write(pd.concat([opened, moved, new]), folder / "batch.csv")


def _rollups(path: Path) -> dict[str, pd.DataFrame]:
    con = connect(path)
    try:
        return {table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").df()
                for table, *_ in ROLLUPS}
    finally:
        con.close()


def _assert_as_a_full_rebuild(city: Path, folder: Path) -> None:
    """Every rollup of ``city`` holds what building it again from all events gives."""
    incremental = _rollups(city)
    rebuilt = Path(shutil.copy(city, folder / "rebuilt.duckdb"))
    con = connect(rebuilt, read_only=False)
    con.execute(EVENT_ROLLUP)
    con.close()
    for table, full in _rollups(rebuilt).items():
        assert len(incremental[table]) == len(full), table
        pd.testing.assert_frame_equal(incremental[table], full, check_exact=False,
                                      rtol=1e-9, obj=table)


def test_a_batch_written_in_place_leaves_the_rollups_as_a_full_rebuild_would(city, tmp_path):
    inode, size = city.stat().st_ino, checksums(city)["grid_events"][0]
    report = load(city, [Item("events", _a_batch(city, tmp_path))], now=TEST_NOW)
    assert report.rows["events"] == 95
    assert city.stat().st_ino == inode, "written in place, not copied and renamed"
    assert not city.with_name(city.name + ".loading").exists()
    assert checksums(city)["grid_events"][0] == size + 30
    _assert_as_a_full_rebuild(city, tmp_path)


def test_two_files_of_one_load_changing_the_same_events_leave_the_rollups_as_a_rebuild(
        city, tmp_path):
    """The rollups change by difference from each event as it was before the whole load: an
    event the first file adds and the second moves and closes counts once, where it ends."""
    new = _events(city, "WHERE closed_at IS NULL ORDER BY event_id LIMIT 20").assign(
        event_id=lambda f: f["event_id"] + 980_000_000)
    first = _write(new, tmp_path / "first.csv")
    moved = new.copy()
    for stage in STAGES:
        moved[stage] = moved[stage] - pd.Timedelta(days=2)
    for hours, stage in enumerate(("accepted_at", "dispatched_at", "handled_at",
                                   "verified_at", "closed_at"), start=1):
        moved[stage] = moved["reported_at"] + pd.Timedelta(hours=hours)
    second = _write(moved, tmp_path / "second.csv")
    load(city, [Item("events", first), Item("events", second)], now=TEST_NOW)
    _assert_as_a_full_rebuild(city, tmp_path)


def test_a_deadline_moved_into_another_month_leaves_the_rollups_as_a_rebuild(city, tmp_path):
    """The due-day rollups lose the day (and month) a deadline leaves and gain the one it
    moves to, neither of them a reported day of the batch."""
    moved = _events(city, "WHERE closed_at IS NOT NULL AND deadline_at BETWEEN TIMESTAMP "
                          "'2026-09-20' AND TIMESTAMP '2026-09-30' ORDER BY event_id LIMIT 10")
    assert len(moved) == 10
    moved["deadline_at"] = moved["deadline_at"] + pd.Timedelta(days=20)     # into October
    load(city, [Item("events", _write(moved, tmp_path / "later.csv"))], now=TEST_NOW)
    _assert_as_a_full_rebuild(city, tmp_path)


def test_every_write_moves_the_store_version(city, tmp_path):
    before = Store(city)
    first = before.version
    before.close()
    load(city, [Item("events", _a_batch(city, tmp_path))], now=TEST_NOW)
    after = Store(city)
    try:
        store_id, count = after.version.split(":")
        assert first.split(":")[0] == store_id and int(count) == int(first.split(":")[1]) + 1
    finally:
        after.close()


def _meta_and_feed(path: Path) -> tuple[str, str, dt.datetime]:
    con = connect(path)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        feed, = con.execute("SELECT as_of FROM datasets WHERE name = 'grid_events'").fetchone()
        return meta["as_of"], meta["first_month"], feed
    finally:
        con.close()


@pytest.mark.parametrize("data", ["every kind", "events alone"])
def test_the_as_of_and_first_month_follow_events_before_and_after_all_others(city, tmp_path,
                                                                             data):
    """The store's as-of, first month and the events feed's latest time are read only at or
    after the as-of and before the first month (a batch's write scans no whole column for
    them): an event older than all data moves the first month back, a newer one the as-of
    and the feed's time on, and one in between moves neither; in a store of events alone
    too, where nothing newer than the as-of is read for an older event."""
    template = _events(city, "ORDER BY event_id LIMIT 1")
    now = TEST_NOW + dt.timedelta(hours=1)

    def post(offset: int, reported: dt.datetime) -> None:
        moved = template.assign(event_id=template["event_id"] + 995_000_000 + offset,
                                reported_at=reported,
                                deadline_at=reported + dt.timedelta(days=3),
                                satisfaction=None)
        for stage in ("accepted_at", "dispatched_at", "handled_at", "verified_at",
                      "closed_at"):
            moved[stage] = pd.NaT            # just reported: open
        load(city, [Item("events", _write(moved, tmp_path / f"{offset}.csv"))], now=now)

    con = connect(city, read_only=False)
    con.execute("UPDATE meta SET value = 'false' WHERE key = 'is_demo'")  # a demo's stays put
    if data == "events alone":
        for table in ("indicator_values", "water_quality", "air_hourly", "service_cases"):
            con.execute(f"DELETE FROM {table}")
    con.close()
    post(1, dt.datetime(2025, 6, 1, 9))          # a city's store: its meta from all its data
    as_of, first_month, feed = _meta_and_feed(city)
    first = dt.date.fromisoformat(first_month)
    post(2, dt.datetime.combine(first, dt.time(9)) + dt.timedelta(days=90))
    assert _meta_and_feed(city) == (as_of, first_month, feed)
    older = dt.datetime.combine(first, dt.time(9)) - dt.timedelta(days=40)
    post(3, older)
    earlier = older.date().replace(day=1).isoformat()
    assert _meta_and_feed(city) == (as_of, earlier, feed)
    newer = dt.datetime.fromisoformat(as_of) + dt.timedelta(minutes=30)
    post(4, newer)
    assert _meta_and_feed(city) == (newer.isoformat(timespec="minutes"), earlier, newer)


def test_a_bad_batch_in_place_changes_nothing(city, tmp_path):
    good = _events(city, "ORDER BY event_id LIMIT 3").assign(
        event_id=lambda f: f["event_id"] + 991_000_000)
    bad = good.copy()
    bad.loc[1, "grid_code"] = "999999999999"
    before, inode = checksums(city), city.stat().st_ino
    with pytest.raises(LoadError) as error:
        load(city, [Item("events", _write(bad, tmp_path / "bad.csv"))], now=TEST_NOW)
    assert any(p.column == "grid_code" and p.row == 3 for p in error.value.problems)
    assert checksums(city) == before and city.stat().st_ino == inode


def _served(city: Path, **settings):
    from app import create_app
    from settings import Settings
    app = create_app(Settings(db_path=city, build_demo_if_missing=False, auth=False,
                              cache_type="simple", store_writes="in-place", **settings))
    return app.citybrain_runtime


@pytest.mark.parametrize("read_in", ["the server", "the readers' process"])
def test_the_server_owning_the_store_writes_through_its_own_connection(city, tmp_path, read_in,
                                                                       monkeypatch):
    from data.load import build
    if read_in != "the server":          # as a batch bigger than a few events is
        monkeypatch.setattr(build, "READ_HERE_BYTES", 0)
    runtime = _served(city)
    try:
        assert runtime.store.writable and Store.owner(city) is runtime.store
        version = runtime.store.version
        total = int(runtime.queries.store.rows("SELECT count(*) FROM grid_events")[0][0])
        batch = runtime.store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                                 "ORDER BY event_id LIMIT 5")
        batch["event_id"] += 992_000_000
        batch["reported_at"] = pd.Timestamp(runtime.as_of) - pd.Timedelta(minutes=10)
        for stage in STAGES[1:]:
            batch[stage] = batch["reported_at"] + pd.Timedelta(minutes=5)
        load(city, [Item("events", _write(batch, tmp_path / "five.csv"))], now=TEST_NOW,
             source="feed:hotline")
        # the next request's queries: the new events, under a new version (cache keys)
        runtime.reload_if_replaced()
        assert runtime.store.version != version
        assert runtime.queries.store.rows("SELECT count(*) FROM grid_events")[0][0] == total + 5
        first, last = runtime.queries.date_bounds()
        assert last >= TEST_NOW.date() - dt.timedelta(days=1)
        # the feed's freshness: its source and latest event; stale once it has sent nothing
        # for longer than an event feed may stay quiet (two days)
        feed = runtime.queries.datasets().set_index("name").loc["grid_events"]
        assert feed["source"] == "feed:hotline"
        assert pd.Timestamp(feed["as_of"]) == \
            pd.Timestamp(runtime.as_of) - pd.Timedelta(minutes=10)
        assert "grid_events" not in runtime.stale_feeds(runtime.as_of)
        assert "grid_events" in runtime.stale_feeds(runtime.as_of + dt.timedelta(days=3))
        # another process reads a whole copy while this one owns the file
        out = subprocess.run(
            [sys.executable, "-c", "import sys; from data.store import Store; "
             "s = Store(sys.argv[1]); print(s.rows('SELECT count(*) FROM grid_events')[0][0])",
             str(city)], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert int(out.stdout) == total + 5
        assert not list(city.parent.glob("*.snapshot"))
    finally:
        runtime.store.close()


def test_a_load_by_another_process_writes_a_copy_the_server_swaps_to(city, tmp_path):
    runtime = _served(city)
    try:
        batch = runtime.store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                                 "ORDER BY event_id LIMIT 4")
        # a batch the server wrote and has not checkpointed: the copy takes its log along
        load(city, [Item("events", _write(batch.assign(event_id=batch["event_id"] +
                                                              993_100_000),
                                          tmp_path / "served.csv"))], now=TEST_NOW)
        assert runtime.store._wal.stat().st_size > 0
        batch["event_id"] += 993_000_000
        path = _write(batch, tmp_path / "four.csv")
        out = subprocess.run([sys.executable, "cli.py", "load", "events", str(path), "--db",
                              str(city)], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        # the one who ran it hears that it copied the store, and how to avoid that
        assert "went into a copy of the whole store" in out.stderr
        assert runtime.reload_if_replaced(now=True)
        assert runtime.store.writable and Store.owner(city) is runtime.store
        assert runtime.queries.store.rows("SELECT count(*) FROM grid_events WHERE event_id "
                                          ">= 993000000")[0][0] == 8
    finally:
        runtime.store.close()


def test_readers_never_see_half_a_batch(city, tmp_path):
    runtime = _served(city)
    store = runtime.store
    template = store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                        "ORDER BY event_id LIMIT 50")
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def read():
        while not done.is_set():
            # events and their rollup in one query: one snapshot of the store
            seen.append(store.rows("SELECT (SELECT count(*) FROM grid_events), "
                                   "(SELECT sum(n) FROM event_daily)")[0])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for batch in range(6):
            frame = template.assign(event_id=template["event_id"] + 994_000_000 + batch * 100)
            load(city, [Item("events", _write(frame, tmp_path / f"b{batch}.csv"))],
                 now=TEST_NOW)
        done.set()
        reader.join()
        seen.append(store.rows("SELECT (SELECT count(*) FROM grid_events), "
                               "(SELECT sum(n) FROM event_daily)")[0])
    finally:
        done.set()
        store.close()
    base = seen[0][0]
    assert len(seen) > 6 and seen[-1][0] == base + 300
    assert all(events == rolled for events, rolled in seen), "a rollup behind its events"
    assert {(events - base) % 50 for events, _ in seen} == {0}, "half a batch seen"


def test_the_readers_process_ends_with_the_server():
    """A server that ends without its exit handlers (os._exit, as a gunicorn worker does, or
    kill -9) leaves no process reading batches behind."""
    out = subprocess.run(
        [sys.executable, "-c", "import os\nif __name__ == '__main__':\n"
         "    from data.load import build\n"
         "    pool = build._readers()\n"
         "    print(pool.submit(os.getpid).result(), flush=True)\n"
         "    os._exit(0)"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    reader = int(out.stdout)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{reader}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Path(f"/proc/{reader}").exists() or \
        "Z" in Path(f"/proc/{reader}/stat").read_text().split()[2], "the reader lives on"


def _writer_of_a_batch(city: Path, folder: Path, then: str) -> list[str]:
    """The command of a server process that writes 30 new events in place (ids from
    996,000,000), prints its log's size, and runs ``then``."""
    new = _events(city, "ORDER BY event_id LIMIT 30").assign(
        event_id=lambda f: f["event_id"] + 996_000_000)
    path = _write(new, folder / "thirty.csv")
    return [sys.executable, "-c", "import os, sys, datetime as dt\n"
            "from pathlib import Path\n"
            "from data.store import Store\n"
            "from data.load.build import Item, load\n"
            "store = Store(sys.argv[1], writable=True)\n"
            "load(sys.argv[1], [Item('events', Path(sys.argv[2]))], now=dt.datetime(2026, 11, 24, 10))\n"
            "print(store._wal.stat().st_size, flush=True)\n" + then,
            str(city), str(path)]


def _die_after_a_batch(city: Path, folder: Path) -> None:
    """A server process that writes 30 new events in place (ids from 996,000,000), answers,
    and ends as kill -9 would: no close, no exit handlers. The batch is in its log only."""
    out = subprocess.run(_writer_of_a_batch(city, folder, "os._exit(0)"), cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 0, "the batch went to the log, not yet into the file"
    assert len(list(city.parent.glob(f".{city.name}.*.open.wal"))) == 1
    assert _events(city, "WHERE event_id >= 996000000").empty    # the file alone lacks it


def _the_batch_is_whole(city: Path, store: Store | None = None) -> bool:
    mine = store or Store(city)
    try:
        n, events, rolled = mine.rows(
            "SELECT (SELECT count(*) FROM grid_events WHERE event_id >= 996000000), "
            "(SELECT count(*) FROM grid_events), (SELECT sum(n) FROM event_daily)")[0]
    finally:
        if store is None:
            mine.close()
    return n == 30 and events == rolled


def test_a_server_that_dies_after_answering_keeps_its_batches(city, tmp_path):
    """A write in place is not checkpointed into the file (only once the log is large): a
    server that dies without closing leaves its committed batches in its log, and the next
    opening of the store, a reader's too, replays them."""
    _die_after_a_batch(city, tmp_path)
    assert _the_batch_is_whole(city)
    assert not list(city.parent.glob(f".{city.name}*.wal"))
    assert not list(city.parent.glob(f".{city.name}.*.alive"))
    _assert_as_a_full_rebuild(city, tmp_path)


def test_a_dead_servers_log_is_replayed_though_its_process_id_is_taken_again(city, tmp_path):
    """Process ids are reused (after a reboot, in a container): a writer is alive while it
    holds the lock on its marker, whatever process has its id now."""
    _die_after_a_batch(city, tmp_path)
    (wal,) = city.parent.glob(f".{city.name}.*.open.wal")
    dead_pid = wal.name[len(city.name) + 2:].split(".")[0]
    for old in city.parent.glob(f".{city.name}.{dead_pid}.*"):
        old.rename(old.with_name(old.name.replace(f".{dead_pid}.", f".{os.getpid()}.", 1)))
    store = Store(city, writable=True)
    try:
        assert _the_batch_is_whole(city, store)
    finally:
        store.close()


def test_a_replay_the_file_is_held_from_keeps_the_log_for_the_next_opening(city, tmp_path):
    """The server dies; someone has the file open (a DuckDB shell, read-only) as the server
    restarts: its opening fails and the log stays, to be replayed once the file is free. A
    recovery cut short leaves its links, which the next one clears."""
    _die_after_a_batch(city, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb\n"
         "con = duckdb.connect(sys.argv[1], read_only=True)\n"
         "print('open', flush=True)\nsys.stdin.read()", str(city)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(Exception, match="(?i)lock"):
            Store(city, writable=True)
        assert len(list(city.parent.glob(f".{city.name}.*.open.wal"))) == 1
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    (wal,) = city.parent.glob(f".{city.name}.*.open.wal")
    cut_short = city.with_name(f".{city.name}.1.{'0' * 32}.recover")
    os.link(city, cut_short)
    os.link(wal, cut_short.with_name(cut_short.name + ".wal"))
    store = Store(city, writable=True)
    try:
        assert _the_batch_is_whole(city, store)
    finally:
        store.close()
    assert not list(city.parent.glob(f".{city.name}.*"))


def test_a_log_duckdb_refuses_is_set_aside_not_lost(city, tmp_path):
    """A dead writer's log that does not fit the file (a copy put back and written since,
    so past the log's checkpoint): DuckDB refuses it; it is kept under a name nothing
    opens, and the store opens."""
    put_back = Path(shutil.copy(city, tmp_path / "put-back.duckdb"))
    con = connect(put_back, read_only=False)
    con.execute("INSERT INTO meta VALUES ('written', 'since')")
    con.execute("CHECKPOINT")
    con.close()
    _die_after_a_batch(city, tmp_path)
    (wal,) = city.parent.glob(f".{city.name}.*.open.wal")
    wal.rename(wal.with_name(wal.name.replace(f".{city.name}.", f".{put_back.name}.")
                             .replace(f".i{city.stat().st_ino}.",
                                      f".i{put_back.stat().st_ino}.")))
    store = Store(put_back, writable=True)
    try:
        assert store.rows("SELECT value FROM meta WHERE key = 'written'") == [("since",)]
    finally:
        store.close()
    assert [p.name.endswith(".open.wal.refused")
            for p in tmp_path.glob(f".{put_back.name}.*")] == [True]


def test_a_backup_put_back_over_the_file_is_not_replayed_onto(city, tmp_path):
    """A server dies with a batch in its log; the store is then restored from last night's
    backup by cp, which keeps the file's inode. The log is not the restored file's (DuckDB
    cannot always tell: a backup is the same database): it is set aside, and the store is
    the backup."""
    from data.store import backup
    backup(city, tmp_path / "last-night.duckdb")
    _die_after_a_batch(city, tmp_path)
    inode = city.stat().st_ino
    shutil.copyfile(tmp_path / "last-night.duckdb", city)
    assert city.stat().st_ino == inode
    store = Store(city, writable=True)
    try:
        assert store.rows("SELECT count(*) FROM grid_events WHERE event_id >= 996000000") \
            == [(0,)]
    finally:
        store.close()
    assert [p.name.endswith(".open.wal.refused")
            for p in city.parent.glob(f".{city.name}.*")] == [True]


def test_a_server_whose_file_was_replaced_never_writes_the_new_one_by_its_name(city,
                                                                                tmp_path):
    """Until it reopens the new file as its owner (at any moment, from any request), a
    server writes a batch by copy: two writable openings of one file in one process
    would each overwrite what the other wrote."""
    from data.load import build
    runtime = _served(city)
    try:
        replacement = Path(shutil.copy(city, tmp_path / "new.duckdb"))
        os.replace(replacement, city)
        assert Store.owner(city) is None and build._own(city) is None
    finally:
        runtime.store.close()
    con = build._own(city)              # nobody serves it now: written in place
    assert con is not None
    con.close()


def test_the_owner_answers_one_query_at_a_time_and_an_export_holds_no_turn(city):
    """The process that writes the store reads it one query at a time, so its writer
    competes with one query for the cores, not with every request's (bench/README.md, "One
    query at a time"); an export, which streams for as long as its reader reads, is not one
    of them."""
    store = Store(city, writable=True)
    try:
        export = store.batches("SELECT event_id FROM grid_events", rows_per_batch=1_000)
        assert export.read_next_batch().num_rows == 1_000      # being read, not finished
        answered: list = []
        beside = threading.Thread(target=lambda: answered.append(store.rows("SELECT 1")),
                                  daemon=True)
        beside.start()
        beside.join(timeout=30)
        assert answered == [[(1,)]]
        answered.clear()
        with store._reading:                            # a request's query answering
            def ask() -> None:          # each answer kept as it comes
                answered.append(store.rows("SELECT 2"))
                answered.append(store.records("SELECT 3 AS n"))
                answered.append(store.df("SELECT 4 AS n")["n"].tolist())

            waiting = threading.Thread(target=ask, daemon=True)
            waiting.start()
            waiting.join(timeout=0.5)
            assert waiting.is_alive() and answered == []
        waiting.join(timeout=30)
        assert answered == [[(2,)], [{"n": 3}], [4]]
        export.close()
    finally:
        store.close()


def test_a_feeds_batch_is_checked_without_a_turn_among_the_requests_queries(city, tmp_path):
    """What a batch is checked against (the city's cells, departments, vocabulary) is read
    once per opening of the store, not per batch in the owner's turn behind the analysts'
    queries: nothing written in place changes it, and a load that does writes a new file."""
    runtime = _served(city)
    try:
        events = runtime.store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                                  "ORDER BY event_id LIMIT 2")
        events["event_id"] += 993_000_000
        load(city, [Item("events", _write(events.head(1), tmp_path / "one.csv"))],
             now=TEST_NOW)
        written: list = []
        with runtime.store._reading:                    # a request's query answering
            second = threading.Thread(target=lambda: written.append(load(
                city, [Item("events", _write(events.tail(1), tmp_path / "two.csv"))],
                now=TEST_NOW)), daemon=True)
            second.start()
            second.join(timeout=60)
            assert written, "the second event waited for the queries' turn"
        assert runtime.store.rows("SELECT count(*) FROM grid_events "
                                  "WHERE event_id >= 993000000")[0][0] == 2
    finally:
        runtime.store.close()


def test_the_reference_data_kept_for_a_served_store_does_not_keep_it_open(city, tmp_path):
    """Kept beside the store, not holding it: a store a load replaced is let go (its
    connection, its file's disk space) once no request uses it."""
    store = Store(city, writable=True)
    events = store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                      "ORDER BY event_id LIMIT 1")
    events["event_id"] += 994_000_000
    load(city, [Item("events", _write(events, tmp_path / "one.csv"))], now=TEST_NOW)
    assert store.rows("SELECT count(*) FROM grid_events WHERE event_id >= 994000000") == [(1,)]
    store.close()
    opening = weakref.ref(store)
    del store
    gc.collect()
    assert opening() is None


def test_a_writer_opens_without_waiting_for_the_lock_when_no_log_is_left(city):
    """Reopening a replaced store (the requests wait for it) takes the lock only to replay
    a dead writer's log."""
    from data.store import StoreBusy, write_lock
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom data.store import write_lock\n"
         "with write_lock(sys.argv[1]):\n    print('held', flush=True)\n"
         "    sys.stdin.read()", str(city)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    opened: list[Store] = []
    try:
        assert holder.stdout.readline().strip() == "held"
        opening = threading.Thread(target=lambda: opened.append(Store(city, writable=True)))
        opening.start()
        opening.join(timeout=60)        # a wait for the lock would last until it is let go
        assert opened, "the opening waited for the lock"
        with pytest.raises(StoreBusy):
            with write_lock(city, wait=False):
                pass
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    opened[0].close()


def test_a_load_from_the_cli_that_died_after_its_commit_is_kept(city):
    """The CLI writes a store nobody serves through the file's own name: its log is
    ``<store>.wal``, which an opening through a link would not see."""
    out = subprocess.run(
        [sys.executable, "-c", "import os, sys\n"
         "from data.store import connect\n"
         "con = connect(sys.argv[1], read_only=False)\n"
         "con.execute(\"INSERT INTO meta VALUES ('left_in_the_log', 'yes')\")\n"
         "os._exit(0)", str(city)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert city.with_name(city.name + ".wal").exists()
    store = Store(city, writable=True)
    try:
        assert store.rows("SELECT value FROM meta WHERE key = 'left_in_the_log'") == [("yes",)]
    finally:
        store.close()
    assert not list(city.parent.glob(f"*{city.name}*.wal"))


def test_a_backup_taken_while_the_server_writes_holds_every_answered_batch(city, tmp_path):
    from data.access import Access
    Access(city.parent / "access.sqlite").add_feed_token("hotline", "events")
    runtime = _served(city)
    try:
        batch = runtime.store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                                 "ORDER BY event_id LIMIT 6")
        batch["event_id"] += 997_000_000
        load(city, [Item("events", _write(batch, tmp_path / "six.csv"))], now=TEST_NOW)
        folder = tmp_path / "backup"
        backup = [sys.executable, "cli.py", "backup", str(folder), "--db", str(city)]
        out = subprocess.run(backup, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == [str(folder / "city.duckdb"),
                                      str(folder / "access.sqlite")]
        # the served file alone lacks the batch (it is in the server's log): a cp would too
        assert runtime.store._wal.stat().st_size > 0
        again = subprocess.run(backup, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert again.returncode == 1 and "exists" in again.stderr
    finally:
        runtime.store.close()
    assert sorted(p.name for p in folder.iterdir()) == ["access.sqlite", "city.duckdb"]
    assert len(_events(folder / "city.duckdb", "WHERE event_id >= 997000000")) == 6
    assert [t["name"] for t in Access(folder / "access.sqlite").feed_tokens()] == ["hotline"]


def _after_the_first_copy(monkeypatch, then) -> list[tuple[str, str]]:
    """Make the store's file copies run ``then()`` after the first one (the store file's,
    copied beside the writers); return each copy's (source, destination) names as made."""
    from data import store as store_module
    real_copy = shutil.copyfile
    copies: list[tuple[str, str]] = []

    def copy(source, dest):
        real_copy(source, dest)
        copies.append((Path(source).name, Path(dest).name))
        if len(copies) == 1:
            then()
        return dest

    monkeypatch.setattr(store_module.shutil, "copyfile", copy)
    return copies


def _copied_while_a_feed_writes(city: Path, tmp_path: Path, monkeypatch, meanwhile: str,
                                copy) -> list[str]:
    """Serve ``city`` in place, write a batch (995…: in the server's log), and run ``copy``
    (a copy of the store) with the file's copy checked to leave the lock free and followed,
    per ``meanwhile``, by nothing or another batch (996…), moved into the file or not;
    return the names of the files copied."""
    from data import store as store_module
    runtime = _served(city)

    def a_feed_writes():
        with store_module.write_lock(city, wait=False):     # StoreBusy before
            pass
        if meanwhile != "nothing":
            if meanwhile.endswith("checkpointed"):
                monkeypatch.setattr(store_module, "CHECKPOINT_WAL_BYTES", 0)
            load(city, [Item("events", _write(later, tmp_path / "later.csv"))],
                 now=TEST_NOW)
            assert runtime.store._wal.exists() != meanwhile.endswith("checkpointed")

    try:
        first = runtime.store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                                 "ORDER BY event_id LIMIT 6")
        later = first.assign(event_id=first["event_id"] + 996_000_000)
        load(city, [Item("events", _write(first.assign(
            event_id=first["event_id"] + 995_000_000), tmp_path / "first.csv"))], now=TEST_NOW)
        assert runtime.store._wal.stat().st_size > 0
        copies = _after_the_first_copy(monkeypatch, a_feed_writes)
        copy(first)
    finally:
        monkeypatch.undo()
        runtime.store.close()
    return [source for source, _ in copies if not source.endswith(".wal")]


@pytest.mark.parametrize("meanwhile", ["nothing", "a batch", "a batch, checkpointed"])
def test_a_copy_leaves_the_writers_free_while_it_copies_the_file(city, tmp_path, monkeypatch,
                                                                 meanwhile):
    """A reader's copy and a backup copy the file without the lock (GBs at 100M events,
    which every feed's batch waited for) and take it for the log. A batch written meanwhile
    is in the log, copied under the lock; one moved into the file meanwhile (a checkpoint)
    makes them copy the file again under the lock: without that the copy would lack it, the
    file copied before it and the log emptied since."""
    from data.store import copy_live
    files = _copied_while_a_feed_writes(
        city, tmp_path, monkeypatch, meanwhile,
        lambda _first: copy_live(city, tmp_path / "copy.duckdb"))
    assert len(_events(tmp_path / "copy.duckdb", "WHERE event_id >= 995000000")) == (
        6 if meanwhile == "nothing" else 12)
    assert files == [city.name] * (2 if meanwhile.endswith("checkpointed") else 1)


@pytest.mark.parametrize("meanwhile", ["nothing", "a batch, checkpointed"])
def test_a_load_by_copy_copies_the_served_file_before_it_takes_the_lock(city, tmp_path,
                                                                        monkeypatch, meanwhile):
    """A load that writes a copy of a store a server writes in place (an upload's child, the
    CLI beside a server) copies the file before it takes the lock, and completes it under
    the lock: the batches the server wrote meanwhile are in the file it renames over."""
    files = _copied_while_a_feed_writes(
        city, tmp_path, monkeypatch, meanwhile,
        lambda first: load(city, [Item("events", _write(first.assign(
            event_id=first["event_id"] + 997_000_000), tmp_path / "by-copy.csv"))],
            now=TEST_NOW, in_place=False))
    found = _events(city, "WHERE event_id >= 995000000")["event_id"] // 1_000_000
    assert sorted(set(found)) == ([995, 997] if meanwhile == "nothing" else [995, 996, 997])
    assert len(found) == (12 if meanwhile == "nothing" else 18)
    assert files == [city.name] * (2 if meanwhile.endswith("checkpointed") else 1)
    assert not list(city.parent.glob(f".{city.name}.*.snapshot*"))


@pytest.mark.parametrize("server", ["this process", "another process"])
def test_a_batch_that_waited_while_a_load_replaced_the_file_goes_into_the_new_one(
        city, tmp_path, monkeypatch, server):
    """A feed's batch that waited its turn while a load by copy renamed a new file over the
    served one (an upload, `citybrain load`) has the server open the new file (nobody need
    be browsing) and is written into it: not into a copy of the whole store renamed over
    it again (15-25 s at 100M, for every batch that was waiting). A batch of a process that
    does not serve the store writes a copy."""
    from contextlib import contextmanager

    from data import store as store_module
    from data.load import build
    from data.store import copy_whole, store_fingerprint, write_lock
    runtime = _served(city)
    waiting = threading.Event()
    real_locked = build._locked

    @contextmanager
    def locked(*args):
        waiting.set()
        with real_locked(*args):
            yield

    monkeypatch.setattr(build, "_locked", locked)
    if server == "another process":         # nobody here to open the new file
        monkeypatch.setattr(store_module, "_REOPENERS", {})
    batch = runtime.store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                             "ORDER BY event_id LIMIT 6")
    batch["event_id"] += 998_000_000
    path = _write(batch, tmp_path / "waited.csv")
    done: dict = {}
    writer = threading.Thread(target=lambda: done.update(
        report=load(city, [Item("events", path)], now=TEST_NOW)))
    try:
        with write_lock(city):              # a load by copy, from another process
            writer.start()
            assert waiting.wait(30)
            time.sleep(0.3)                 # the batch waits for the lock
            copy_whole(city, tmp_path / "new.duckdb")
            os.replace(tmp_path / "new.duckdb", city)
            replaced = store_fingerprint(city)
        writer.join(60)
        assert done["report"].rows == {"events": 6}
        if server == "this process":
            assert Store.owner(city) is runtime.store and store_fingerprint(city) == replaced
            assert len(runtime.store.df("SELECT event_id FROM grid_events "
                                        "WHERE event_id >= 998000000")) == 6
    finally:
        runtime.store.close()
    assert (store_fingerprint(city) == replaced) == (server == "this process")
    assert len(_events(city, "WHERE event_id >= 998000000")) == 6


@pytest.mark.parametrize("memory_mb, bad", [(2048, False), (2048, True), (50, False)])
def test_an_upload_of_a_feeds_kind_is_read_in_a_child_and_written_in_place(city, tmp_path,
                                                                           memory_mb, bad):
    """An upload of events to a server that writes its store in place is read and checked
    in a child process within the upload limits, then written in place as a feed's batch
    is: the served file stays (no 6.9 GB copy at 100M, no store opened again). A bad row is
    named and nothing written; within a limit too small for any read (a child is ~240 MB),
    it is refused naming the limit."""
    import base64

    from callbacks.datasets import load_upload
    from data.store import store_fingerprint
    runtime = _served(city, load_memory_mb=memory_mb)
    served, store = store_fingerprint(city), runtime.store
    try:
        batch = runtime.store.df(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                                 "ORDER BY event_id LIMIT 6")
        batch["event_id"] += 999_000_000
        if bad:
            batch.loc[3, "grid_code"] = "NO-SUCH-CELL"
        text = batch[FILE_COLUMNS].to_csv(index=False)
        said = str(load_upload(runtime, "data:text/csv;base64," + base64.b64encode(
            text.encode()).decode(), "events.csv", "events", None, None, "en"))
        found = runtime.store.df("SELECT event_id FROM grid_events WHERE event_id >= 999000000")
        assert store_fingerprint(city) == served and runtime.store is store
    finally:
        runtime.store.close()
    if memory_mb == 50:
        assert "more than 50 MB of memory" in said and found.empty
    elif bad:
        assert "row 5" in said and "NO-SUCH-CELL" in said and found.empty
    else:
        assert "6 events" in said and len(found) == 6


@pytest.mark.parametrize("time_of_change", ["not the reader's to set", "kept to the second"])
def test_a_copy_of_a_file_whose_time_it_cannot_mark_is_taken_under_the_lock(
        city, tmp_path, monkeypatch, time_of_change):
    """A reader that may not set the file's time (another user's file, a read-only mount),
    or a filesystem that keeps it to the second (a later write in the same second could
    give the file its mark's time back), cannot tell a write meanwhile: it copies under
    the lock, as before, and leaves the file's time as it was."""
    from data import store as store_module
    from data.store import StoreBusy
    real_utime, real_copy = os.utime, shutil.copyfile

    def utime(path, *, ns):
        if time_of_change == "not the reader's to set":
            raise PermissionError("not the file's owner")
        real_utime(path, ns=tuple(t // 10**9 * 10**9 for t in ns))

    locked: list[bool] = []

    def copy(source, dest):
        try:
            with store_module.write_lock(city, wait=False):
                locked.append(False)
        except StoreBusy:
            locked.append(True)
        return real_copy(source, dest)

    if time_of_change == "kept to the second":      # as such a filesystem keeps it
        os.utime(city, ns=(city.stat().st_atime_ns, city.stat().st_mtime_ns // 10**9 * 10**9))
    changed = city.stat().st_mtime_ns
    monkeypatch.setattr(store_module.os, "utime", utime)
    monkeypatch.setattr(store_module.shutil, "copyfile", copy)
    store_module.copy_live(city, tmp_path / "copy.duckdb")
    monkeypatch.undo()
    assert locked == [True]
    assert (tmp_path / "copy.duckdb").read_bytes() == city.read_bytes()
    assert city.stat().st_mtime_ns == changed


def test_copies_at_once_keep_each_others_mark(city, tmp_path, monkeypatch):
    """A second copy starting while the first copies the file keeps the first's mark (the
    file unchanged since): marking it again would make the first copy it over again under
    the lock, and with a backup and a report at once the feeds would wait for the store's
    copy as before."""
    from data import store as store_module
    copies = _after_the_first_copy(
        monkeypatch, lambda: store_module.copy_live(city, tmp_path / "second.duckdb"))
    store_module.copy_live(city, tmp_path / "first.duckdb")
    monkeypatch.undo()
    assert sorted(dest for _, dest in copies if not dest.endswith(".wal")) == [
        "first.duckdb", "second.duckdb"]
    for name in ("first.duckdb", "second.duckdb"):
        assert (tmp_path / name).read_bytes() == city.read_bytes()


def test_a_writer_killed_while_its_file_is_copied_leaves_its_batch_in_the_copy(
        city, tmp_path, monkeypatch):
    """The server dies (kill -9) after a backup or a reader's copy marked the file and
    while it copies it: the file unchanged since the mark, its batch in the dead server's
    log, which is no live writer's log to copy. The copy replays that log into the file
    under the lock and copies the file again: without that it lacked the batch."""
    from data import store as store_module
    writer = subprocess.Popen(_writer_of_a_batch(city, tmp_path, "sys.stdin.read()"),
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert int(writer.stdout.readline()) > 0, "the batch is in the server's log"

        def the_server_dies():
            writer.kill()
            writer.wait(timeout=30)

        _after_the_first_copy(monkeypatch, the_server_dies)
        store_module.copy_live(city, tmp_path / "copy.duckdb")
        monkeypatch.undo()
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert writer.returncode == -9
    assert _the_batch_is_whole(tmp_path / "copy.duckdb")
    assert _the_batch_is_whole(city)       # replayed into the store's file too


def test_a_dead_servers_write_ahead_log_is_cleared(city):
    """Logs that nothing will replay: named before inodes were (their writers checkpointed
    after every write) by a process that is gone, and a dead writer's of a file since
    replaced. A log of this process stays, and so does one of another store whose name
    starts with this one's."""
    hex_ = "0123abcd" * 4
    dead = city.with_name(f".{city.name}.999999999.{hex_}.open.wal")
    replaced = city.with_name(f".{city.name}.999999999.i{city.stat().st_ino + 1}.{hex_}.open.wal")
    alive = city.with_name(f".{city.name}.{os.getpid()}.{hex_}.open.wal")
    other = city.with_name(f".{city.name}.2.999999999.i1.{hex_}.open.wal")
    for wal in (dead, replaced, alive, other):
        wal.write_bytes(b"a log")
    store = Store(city, writable=True)
    store.close()
    assert not dead.exists() and not replaced.exists() and alive.exists() and other.exists()


def test_the_names_a_killed_opening_gave_the_store_are_removed_when_a_server_starts(city):
    """An opening gives the store file names of its own for a moment (``_connect_file``): a
    process killed then (out of memory while a log is replayed) left a second name of the
    file for good, which kept its disk space once a load replaced it (GBs at 100M events). A
    server starting removes the names whose opening's lock nobody holds, and no other: not a
    live opening's, not names without a lock, not another store's."""
    from data.store import _hold
    # a process that dies inside a real opening, before DuckDB has the file
    out = subprocess.run(
        [sys.executable, "-c", "import os, sys\n"
         "from data import store\n"
         "store.connect = lambda *args, **kwargs: os._exit(0)\n"
         "store.Store(sys.argv[1])", str(city)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    left = sorted(city.parent.glob(f".{city.name}.*.open*"))
    assert sorted(p.suffix for p in left) == [".open", ".opening"], left
    assert city.stat().st_nlink == 2                    # the file's second name
    # a live opening (its lock held here), a name without a lock, another store's
    live, inode = "4567cdef" * 4, city.stat().st_ino
    stem = f".{city.name}.{os.getpid()}"
    held = _hold(city.with_name(f"{stem}.{live}.opening"))
    kept = [city.with_name(f"{stem}.i{inode}.{live}.open"),
            city.with_name(f".{city.name}.1.i{inode}.{'89ab' * 8}.open"),
            city.with_name(f".{city.name}.2.1.{'0123abcd' * 4}.link")]
    for name in kept:
        os.link(city, name)
    try:
        runtime = _served(city)
        runtime.store.close()
        assert [name.exists() for name in left] == [False, False]
        assert all(name.exists() for name in kept)
        assert city.with_name(f"{stem}.{live}.opening").exists()
    finally:
        os.close(held)


def test_the_file_of_a_holder_killed_as_it_took_its_lock_is_removed_once_a_minute_old(city):
    """``_hold`` creates its file under a name of its own, locks it and renames it: a
    process killed before the rename left an empty ``….locking`` file for good. A server
    starting removes those nobody holds once a minute old; a fresh one (its holder about to
    lock it) and a held one stay."""
    from data.store import _hold, _let_go_of
    out = subprocess.run(
        [sys.executable, "-c", "import os, sys\nfrom pathlib import Path\n"
         "from data import store\n"
         "store.os.rename = lambda *args: os._exit(0)\n"
         "store._hold(Path(sys.argv[1]))", str(city.with_name(f".{city.name}.1.opening"))],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    [killed] = city.parent.glob(f".{city.name}.1.opening.*.locking")
    fresh = city.with_name(f".{city.name}.2.opening.{'ab' * 16}.locking")
    fresh.touch()
    held_name = city.with_name(f".{city.name}.3.opening.{'cd' * 16}.locking")
    held = _hold(held_name)
    an_hour_ago = time.time() - 3600
    for path in (killed, held_name):
        os.utime(path, (an_hour_ago, an_hour_ago))
    try:
        _served(city).store.close()
        assert not killed.exists() and fresh.exists() and held_name.exists()
    finally:
        _let_go_of(held_name, held)


def _post(url: str, token: str, body: bytes, timeout: float = 120) -> tuple[int, dict]:
    import json
    import urllib.error
    import urllib.request
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_a_server_killed_mid_batch_holds_all_of_it_or_none_and_a_resend_completes_it(
        city, tmp_path):
    """kill -9 of the serving process while it writes a 20,000-event batch: once as the
    batch commits (its write-ahead log appears), once while it reads the rows. After each
    restart the store holds the batch whole or not at all and its rollups agree with its
    events; sending it again completes it."""
    import signal
    import time

    from bench.servers import Gunicorn
    from data.access import Access
    token = Access(city.parent / "access.sqlite").add_feed_token("hotline", "events")
    rows = _events(city, "WHERE reported_at < TIMESTAMP '2026-11-20' ORDER BY event_id "
                         "LIMIT 20000")
    rows["event_id"] += 995_000_000
    body = rows[FILE_COLUMNS].to_csv(index=False).encode()
    env = {"CITYBRAIN_AUTH": "1", "CITYBRAIN_FEED_MAX_ROWS": "20000"}

    def batch_in_store() -> tuple[int, bool]:
        con = connect(city)
        try:
            n, events, rolled = con.execute(
                "SELECT (SELECT count(*) FROM grid_events WHERE event_id >= 995000000), "
                "(SELECT count(*) FROM grid_events), (SELECT sum(n) FROM event_daily)"
            ).fetchall()[0]
            return n, events == rolled
        finally:
            con.close()

    def wal_appeared() -> bool:
        return any(city.parent.glob(f".{city.name}.*.open.wal"))

    for when in (wal_appeared, None):
        server = Gunicorn(city, env, workers=1, threads=4).start()
        worker = server.health()["pid"]
        def send():
            try:
                _post(server.url + "/api/v1/feeds/events", token, body)
            except (OSError, http.client.HTTPException):
                pass            # the server died under it: that is the test

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 60
        if when is None:
            time.sleep(0.5)             # the server is reading and checking the rows
        else:
            while not when() and time.monotonic() < deadline:
                time.sleep(0.001)
            assert when(), "the batch never reached its commit"
        os.kill(worker, signal.SIGKILL)
        server.process.kill()
        server.process.wait(timeout=30)
        sender.join(timeout=60)
        n, agree = batch_in_store()
        print(f"killed {'at the commit' if when else 'reading'}: {n} of the batch's events")
        assert n in (0, len(rows)) and agree, (when, n)

    server = Gunicorn(city, env, workers=1, threads=4).start()
    try:
        status, answer = _post(server.url + "/api/v1/feeds/events", token, body)
        assert status == 200 and answer["accepted"] == len(rows), answer
    finally:
        server.stop()
    assert batch_in_store() == (len(rows), True)
    assert not list(city.parent.glob(f".{city.name}.*.wal"))


def test_a_small_write_waiting_goes_before_the_large_batches_waiting(tmp_path):
    """Writers queue in the serving process: when the write in progress ends, a single
    event waiting goes first, then the batches in the order they came (flock alone lets
    chance pick, so a single event could wait out every batch queued meanwhile)."""
    from data.store import _TURNS, write_turn

    store = tmp_path / "city.duckdb"
    order: list[str] = []
    writing = threading.Event()
    release = threading.Event()

    def writer(name: str, small: bool, hold: threading.Event | None = None) -> None:
        with write_turn(store, small):
            order.append(name)
            if hold is not None:
                writing.set()
                hold.wait(10)

    first = threading.Thread(target=writer, args=("batch 1", False, release))
    first.start()
    assert writing.wait(10)
    queued = []
    for name, small in (("batch 2", False), ("batch 3", False), ("single event", True)):
        thread = threading.Thread(target=writer, args=(name, small))
        thread.start()
        queued.append(thread)
        # each in the queue before the next comes (the order of arrival is what is tested)
        deadline = time.monotonic() + 10
        while len(_TURNS[str(store.resolve())]._waiting) < len(queued):
            assert time.monotonic() < deadline
            time.sleep(0.001)
    release.set()
    for thread in (first, *queued):
        thread.join(10)
    assert order == ["batch 1", "single event", "batch 2", "batch 3"]
    # a writer that fails leaves the turn to the next
    with pytest.raises(RuntimeError):
        with write_turn(store, True):
            raise RuntimeError("a bad batch")
    with write_turn(store, False):
        order.append("after the failure")
    assert order[-1] == "after the failure"


def test_a_store_of_an_older_shape_is_upgraded_after_a_current_one_was_written(city,
                                                                               tmp_path):
    """A write in place skips the upgrade for a shape this process has seen current (twenty
    statements fewer); a store of an older shape written next, in the same process, is
    still upgraded, and all its versions move (answers of every kind may change)."""
    from data.store import VERSION_PARTS
    load(city, [Item("events", _a_batch(city, tmp_path))], now=TEST_NOW)   # shape now known
    older = Path(shutil.copy(city, tmp_path / "older.duckdb"))
    con = connect(older, read_only=False)
    try:
        con.execute("ALTER TABLE grid_events DROP COLUMN reporter_phone")
        before = dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()
    batch = _write(_events(older, "ORDER BY event_id LIMIT 3").assign(
        event_id=lambda f: f["event_id"] + 980_000_000), tmp_path / "three.csv")
    load(older, [Item("events", batch)], now=TEST_NOW)
    con = connect(older)
    try:
        columns = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() "
                                             "WHERE table_name = 'grid_events'").fetchall()}
        after = dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()
    assert "reporter_phone" in columns
    count = after["version"]
    assert int(count) == int(before["version"]) + 1
    assert all(after[f"version:{part}"] == count for part in VERSION_PARTS)


def _out_of_storage_order(path: Path, where: str = "true") -> int:
    """How many of the events matching ``where`` lie out of EVENT_STORAGE_ORDER, by the
    position DuckDB wrote them at (rowid)."""
    con = connect(path)
    try:
        return con.execute(
            f"SELECT count(*) FROM (SELECT rowid, row_number() OVER (ORDER BY rowid) AS written, "
            f"row_number() OVER (ORDER BY {EVENT_STORAGE_ORDER}) AS ordered "
            f"FROM grid_events WHERE {where}) WHERE written <> ordered").fetchone()[0]
    finally:
        con.close()


def _rowids(path: Path, ids) -> dict[int, int]:
    con = connect(path)
    try:
        return dict(con.execute("SELECT event_id, rowid FROM grid_events WHERE event_id IN "
                                f"({', '.join(map(str, ids))})").fetchall())
    finally:
        con.close()


def test_events_are_stored_by_month_then_cell_by_the_demo_and_by_a_load(city, tmp_path):
    """The zone maps the event table's top-N and a report window rely on
    (EVENT_STORAGE_ORDER): the demo is built in that order, a load appends its new events
    in it, and an event a load changes keeps its place (appended at the end, an event closed
    months late would widen the newest row groups' time span)."""
    assert _out_of_storage_order(city) == 0
    frame = pd.read_csv(_a_batch(city, tmp_path))
    shuffled = _write(frame.sample(frac=1, random_state=7), tmp_path / "shuffled.csv")
    con = connect(city)
    last = con.execute("SELECT max(rowid) FROM grid_events").fetchone()[0]
    con.close()
    known = _rowids(city, frame["event_id"])
    assert len(known) == 65                 # 40 closed now, 25 moved; 30 are new
    load(city, [Item("events", shuffled)], now=TEST_NOW)
    after = _rowids(city, frame["event_id"])
    assert {event: after[event] for event in known} == known
    assert sorted(set(after) - set(known)) == sorted(set(frame["event_id"]) - set(known))
    assert all(after[event] > last for event in set(after) - set(known))
    assert _out_of_storage_order(city, f"rowid > {last}") == 0
    # and what they hold now: the closed ones closed, the moved ones moved
    stored = _events(city, f"WHERE event_id IN ({', '.join(map(str, known))})").set_index(
        "event_id").sort_index()
    sent = frame.set_index("event_id").loc[stored.index]
    assert stored["closed_at"].notna().sum() == sent["closed_at"].notna().sum()
    assert (stored["reported_at"] == pd.to_datetime(sent["reported_at"])).all()


def test_health_is_answered_beside_the_requests_queries_and_fails_without_a_store(city):
    """A load balancer's check does not wait its turn behind the requests' queries at the
    owner (it would time out under load and take the server out of rotation), and says
    503 once the store does not answer."""
    from app import create_app
    from settings import Settings
    app = create_app(Settings(db_path=city, build_demo_if_missing=False, auth=False,
                              cache_type="simple", store_writes="in-place"))
    store = app.citybrain_runtime.store
    answered: list = []
    with store._reading:                                # a request's query answering
        check = threading.Thread(target=lambda: answered.append(
            app.server.test_client().get("/healthz")), daemon=True)
        check.start()
        check.join(timeout=30)
        assert [(r.status_code, r.get_json()["status"]) for r in answered] == [(200, "ok")]
    store.close()
    gone = app.server.test_client().get("/healthz")
    assert (gone.status_code, gone.get_json()["checks"]["store"]) == (503, "failed")


def _stuck_after_copying(suffix: str, *command: str) -> subprocess.Popen:
    """A process that runs ``command`` (a ``citybrain`` command line; a store's path alone:
    a reader opening it) and, once it has copied the store into a file ending in
    ``suffix``, says "copied" and waits before it opens the copy, to be stopped there."""
    script = "\n".join([
        "import sys, time",
        "import data.store as store",
        "connect = store.connect",
        "def copied_then_stuck(path, read_only=True):",
        f"    if str(path).endswith({suffix!r}):",
        "        print('copied', flush=True)",
        "        time.sleep(300)",
        "    return connect(path, read_only=read_only)",
        "store.connect = copied_then_stuck",
        "sys.argv[0] = 'citybrain'",
        "import cli",
        "if len(sys.argv) > 2:",
        "    raise SystemExit(cli.run())",
        "store.Store(sys.argv[1])"])
    process = subprocess.Popen([sys.executable, "-c", script, *command], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "copied"
    return process


def test_a_copy_a_dead_reader_left_is_removed_and_a_live_readers_is_kept(city):
    """A reader of a store the server owns reads a whole copy of it (the store's size: GBs
    at 100M events). One killed after copying, before it removed the copy's name, left it
    for good; a server starting removes it, never one a reader still holds."""
    owner = Store(city, writable=True)
    reader = None
    try:
        reader = _stuck_after_copying(".snapshot", str(city))
        copies = list(city.parent.glob(f".{city.name}.*.snapshot"))
        assert len(copies) == 1 and copies[0].stat().st_size > 0
        owner.close()
        owner = _served(city).store                 # the reader lives: its copy stays
        assert copies[0].exists()
        reader.kill()
        reader.wait(timeout=30)
        owner.close()
        owner = _served(city).store                 # the server started again
        assert list(city.parent.glob(f".{city.name}.*.snapshot*")) == []
        assert owner.rows("SELECT count(*) FROM meta")[0][0] > 0
    finally:
        if reader is not None:
            reader.kill()
            reader.stdout.close()
        owner.close()


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_a_backup_stopped_midway_leaves_no_part_of_itself(city, tmp_path, stop):
    """A backup stopped by systemd or ``timeout`` (SIGTERM) unwinds: nothing of it is left
    in the folder, and it ends with 143. One killed outright (SIGKILL) leaves its part (the
    store's size), which the next backup into that folder removes."""
    import signal
    folder = tmp_path / "backup"
    stuck = _stuck_after_copying(".part", "backup", str(folder), "--db", str(city))
    try:
        parts = [p for p in folder.iterdir() if p.name.endswith(".part")]
        assert len(parts) == 1 and parts[0].stat().st_size > 0
        stuck.send_signal(getattr(signal, stop))
        code = stuck.wait(timeout=60)
    finally:
        stuck.kill()
        stuck.stdout.close()
    if stop == "SIGTERM":
        assert code == 143 and list(folder.iterdir()) == []
        return
    assert [p.name for p in folder.iterdir() if p.name.endswith(".part")] == [parts[0].name]
    again = subprocess.run([sys.executable, "cli.py", "backup", str(folder), "--db", str(city)],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["city.duckdb"]


def test_a_folder_a_killed_server_left_for_a_batch_is_removed_when_a_server_starts(
        city, tmp_path):
    """A feed's batch and an upload wait in a folder beside the store while they load; a
    server killed meanwhile left the folder (up to a batch's or an upload's size) for good.
    The next server to start removes it, never one a live server holds, nor one just made."""
    import signal

    from data.store import scratch
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from data.store import scratch\n"
         "with scratch(sys.argv[1], '.feed-') as folder:\n"
         "    (folder / 'events.csv').write_text('event_id\\n1\\n')\n"
         "    print(folder, flush=True)\n"
         "    time.sleep(300)", str(city)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        dead = Path(holder.stdout.readline().strip())
        assert (dead / "events.csv").exists()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        holder.kill()
        holder.stdout.close()
    old, new = (Path(tempfile.mkdtemp(dir=city.parent, prefix=".upload-")) for _ in range(2))
    os.utime(old, (time.time() - 7200, time.time() - 7200))     # unmarked, two hours old
    with scratch(city, ".upload-") as live:
        _served(city).store.close()                 # a server starts
        assert live.exists() and new.exists()
        assert not dead.exists() and not old.exists()
    assert not live.exists()
