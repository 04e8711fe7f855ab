"""The drop folder (data/load/dropfolder.py, `citybrain sync`, CITYBRAIN_DROP_DIR; docs/FEEDS.md):
files systems write into a folder are loaded one by one, all or nothing, and moved to done/,
or to failed/ beside an errors.txt naming every problem; unfinished files are left alone;
one bad file never stops the folder; the server's own watcher serves what it loads."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from data.load import build, dropfolder
from data.store import connect, write_lock
from tests.new_city import checksums
from tests.test_in_place import FILE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
#: A new event id range per file: a file's events are told from the store's by their ids.
FIRST_ID = 970_000_000


@pytest.fixture
def city(city_path, tmp_path) -> Path:
    return Path(shutil.copy(city_path, tmp_path / "city.duckdb"))


@pytest.fixture
def drop(tmp_path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


def _events_file(city: Path, path: Path, block: int, rows: int = 5, bad_row: int | None = None,
                 age: float = 60) -> Path:
    """The store's first events under new ids (``FIRST_ID + block * 1000`` on), written as an
    events load file; ``bad_row``: that data row names a grid cell the city lacks. The file
    is dated ``age`` seconds back (written and settled)."""
    con = connect(city)
    try:
        frame = con.execute(f"SELECT {', '.join(FILE_COLUMNS)} FROM grid_events "
                            f"ORDER BY event_id LIMIT {rows}").df()
    finally:
        con.close()
    frame["event_id"] = range(FIRST_ID + block * 1000, FIRST_ID + block * 1000 + rows)
    if bad_row is not None:
        frame.loc[bad_row, "grid_code"] = "360799999999"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    _age(path, age)
    return path


def _age(path: Path, seconds: float) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp), follow_symlinks=False)


def _loaded(city: Path, block: int) -> int:
    """How many of a block's events the store holds."""
    con = connect(city)
    try:
        return con.execute("SELECT count(*) FROM grid_events WHERE event_id BETWEEN ? AND ?",
                           [FIRST_ID + block * 1000, FIRST_ID + block * 1000 + 999]
                           ).fetchall()[0][0]
    finally:
        con.close()


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.name != dropfolder.LOCK_NAME)


def test_a_file_in_its_kinds_folder_is_loaded_and_moved_to_done(city, drop):
    _events_file(city, drop / "events" / "hotline-0900.csv", block=1)
    outcomes = dropfolder.sync_once(city, drop)
    assert [(o.kind, o.status, o.rows, o.problems) for o in outcomes] == [
        ("events", "loaded", 5, 0)]
    assert outcomes[0].moved_to == drop / "done" / "events" / "hotline-0900.csv"
    assert _files(drop) == ["done/events/hotline-0900.csv"]
    assert _loaded(city, 1) == 5
    con = connect(city)
    try:
        source = con.execute("SELECT source FROM datasets WHERE name = 'grid_events'"
                             ).fetchall()[0][0]
    finally:
        con.close()
    assert source == "drop:hotline-0900.csv"


def test_a_kind_from_the_files_name_oldest_first(city, drop):
    _events_file(city, drop / "events-20261203.csv", block=2, age=30)
    _events_file(city, drop / "事件_1.csv", block=3, age=90)
    outcomes = dropfolder.sync_once(city, drop)
    assert [(o.name, o.kind, o.status) for o in outcomes] == [
        ("事件_1.csv", "events", "loaded"), ("events-20261203.csv", "events", "loaded")]
    assert _files(drop) == ["done/events-20261203.csv", "done/事件_1.csv"]
    assert _loaded(city, 2) == _loaded(city, 3) == 5


@pytest.mark.parametrize("name, kind", [
    ("events/x.csv", "events"), ("Events/x.csv", "events"), ("空气/x.xlsx", "air"),
    ("air_0900.xlsx", "air"), ("water-2026-11.parquet", "water"), ("水质2026年11月.xlsx", "water"),
    ("指标.csv", "indicators"), ("indicators.csv", "indicators"),
    ("misc/events-1.csv", "events"), ("x.csv", None), ("eventsx.csv", None),
    ("districts/x.csv", None), ("stations-1.csv", None)])
def test_the_kind_of_a_file(name, kind):
    found, why = dropfolder.kind_of(Path(name))
    assert found == kind
    assert (why == "") == (kind is not None)
    if name.startswith(("districts", "stations")):
        assert "citybrain load" in why


def test_a_drop_folder_takes_exactly_the_kinds_written_in_place():
    assert set(dropfolder.DROP_KINDS) == build.IN_PLACE_KINDS


def test_a_file_with_a_bad_row_goes_to_failed_with_every_problem_named(city, drop):
    before = checksums(city)
    _events_file(city, drop / "events" / "batch.csv", block=4, bad_row=2)
    outcome, = dropfolder.sync_once(city, drop)
    assert (outcome.status, outcome.kind, outcome.rows, outcome.problems) == (
        "failed", "events", 0, 1)
    assert _files(drop) == ["failed/events/batch.csv", "failed/events/batch.csv.errors.txt"]
    first, *problems = (drop / "failed/events/batch.csv.errors.txt").read_text(
        encoding="utf-8").splitlines()
    assert "events/batch.csv failed" in first and "nothing of it was written" in first
    # the file as the folder names it, the row as Excel counts it (header: 1), the column,
    # the value, what was expected
    assert len(problems) == 1 and problems[0].startswith(
        "events/batch.csv, row 4, column 'grid_code': '360799999999': matches no grid cell")
    assert checksums(city) == before


def test_an_unknown_kind_fails_naming_the_kinds_and_the_next_file_loads(city, drop):
    _events_file(city, drop / "export.csv", block=5, age=90)
    _events_file(city, drop / "events" / "next.csv", block=6, age=30)
    failed, loaded = dropfolder.sync_once(city, drop)
    assert (failed.status, failed.kind, loaded.status) == ("failed", None, "loaded")
    text = (drop / "failed" / "export.csv.errors.txt").read_text(encoding="utf-8")
    assert "export.csv: cannot tell what it holds" in text
    assert all(f"{kind}/" in text for kind in ("events", "air", "water", "indicators"))
    assert _loaded(city, 5) == 0 and _loaded(city, 6) == 5


def test_a_surprise_fails_its_file_only(city, drop, monkeypatch):
    real = build.load

    def load(store, items, **options):
        if items[0].path.name == "boom.csv":
            raise RuntimeError("the disk said no")
        return real(store, items, **options)

    monkeypatch.setattr(dropfolder, "load", load)
    _events_file(city, drop / "events" / "boom.csv", block=7, age=90)
    _events_file(city, drop / "events" / "fine.csv", block=8, age=30)
    outcomes = dropfolder.sync_once(city, drop)
    assert [o.status for o in outcomes] == ["failed", "loaded"]
    text = (drop / "failed" / "events" / "boom.csv.errors.txt").read_text(encoding="utf-8")
    assert "RuntimeError: the disk said no" in text
    # a surprise may come after the commit: the file is said to be all in or all out
    assert "all of it or nothing of it" in text.splitlines()[0]
    assert _loaded(city, 8) == 5


def test_unfinished_files_are_left_where_they_are(city, drop):
    writing = _events_file(city, drop / "events" / "writing.csv", block=9, age=0)
    temporary = [_events_file(city, drop / name, block=9, age=600) for name in (
        "events/.hotline.csv", "events/hotline.csv.tmp", "events-1.csv.part",
        "events-2.csv.partial", "events-3.csv.crdownload", "~$events.xlsx")]
    (drop / "README.md").write_text("what this folder is for")
    assert dropfolder.sync_once(city, drop, settle_seconds=5) == []
    assert all(p.exists() for p in (writing, *temporary))
    # settled: taken (its temporary neighbours still not)
    outcome, = dropfolder.sync_once(city, drop, settle_seconds=5, now=time.time() + 10)
    assert outcome.file == writing and outcome.status == "loaded"
    assert all(p.exists() for p in temporary) and (drop / "README.md").exists()


def test_a_link_is_not_read(city, drop, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("event_id\nthe server's secret\n")
    (drop / "events").mkdir()
    (drop / "events" / "link.csv").symlink_to(secret)
    _age(drop / "events" / "link.csv", 60)
    outcome, = dropfolder.sync_once(city, drop)
    assert outcome.status == "failed"
    text = (drop / "failed" / "events" / "link.csv.errors.txt").read_text(encoding="utf-8")
    assert "not a plain file" in text and "secret" not in text


def test_files_of_one_name_never_overwrite_each_other(city, drop):
    for block in (10, 11, 12):
        _events_file(city, drop / "events" / "latest.csv", block=block)
        dropfolder.sync_once(city, drop)
    _events_file(city, drop / "events" / "latest.csv", block=13, bad_row=0)
    dropfolder.sync_once(city, drop)
    _events_file(city, drop / "events" / "latest.csv", block=14, bad_row=0)
    dropfolder.sync_once(city, drop)
    assert _files(drop) == [
        "done/events/latest (2).csv", "done/events/latest (3).csv", "done/events/latest.csv",
        "failed/events/latest (2).csv", "failed/events/latest (2).csv.errors.txt",
        "failed/events/latest.csv", "failed/events/latest.csv.errors.txt"]
    ids = {int(pd.read_csv(drop / "done" / "events" / name)["event_id"].iloc[0]) // 1000
           for name in ("latest.csv", "latest (2).csv", "latest (3).csv")}
    assert ids == {FIRST_ID // 1000 + block for block in (10, 11, 12)}


def test_a_file_waits_for_another_load_instead_of_failing(city, drop):
    _events_file(city, drop / "events" / "patient.csv", block=15)
    held = threading.Event()

    def hold():
        with write_lock(city):
            held.set()
            time.sleep(1.5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    started = time.monotonic()
    outcome, = dropfolder.sync_once(city, drop)
    holder.join()
    assert outcome.status == "loaded" and time.monotonic() - started >= 1
    assert _loaded(city, 15) == 5


def _citybrain(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, **options)


def test_sync_once_exits_1_when_a_file_failed(city, drop):
    _events_file(city, drop / "events" / "good.csv", block=16)
    done = _citybrain("sync", str(drop), "--once", "--db", str(city))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "loaded events/good.csv (events): 5 rows -> " \
        "done/events/good.csv"
    _events_file(city, drop / "events" / "bad.csv", block=17, bad_row=1)
    _events_file(city, drop / "events" / "good2.csv", block=18)
    failed = _citybrain("sync", str(drop), "--once", "--db", str(city), "--quiet")
    assert failed.returncode == 1
    assert failed.stdout == ""       # --quiet: only what failed
    assert "failed events/bad.csv (events): 1 problem" in failed.stderr
    assert _loaded(city, 18) == 5
    nothing = _citybrain("sync", str(drop), "--once", "--db", str(city))
    assert (nothing.returncode, nothing.stdout) == (0, "")
    missing = _citybrain("sync", str(drop / "nowhere"), "--once", "--db", str(city))
    assert missing.returncode == 2 and "not a folder" in missing.stderr


def test_sync_watch_loads_what_appears_and_stops_on_sigterm(city, drop, tmp_path):
    watcher = subprocess.Popen(
        [sys.executable, "cli.py", "sync", str(drop), "--watch", "--db", str(city),
         "--interval", "1", "--settle", "0.5"], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        # written under a temporary name, then renamed: the way docs/FEEDS.md asks
        part = _events_file(city, tmp_path / "incoming.csv", block=19)
        (drop / "events").mkdir()
        os.rename(part, drop / "events" / ".incoming.csv")
        os.rename(drop / "events" / ".incoming.csv", drop / "events" / "watched.csv")
        deadline = time.monotonic() + 30
        while not (drop / "done" / "events" / "watched.csv").exists():
            assert time.monotonic() < deadline and watcher.poll() is None, watcher.stderr
            time.sleep(0.2)
        assert _loaded(city, 19) == 5
        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(timeout=30) == 0
        err = watcher.stderr.read()
        assert "loaded events/watched.csv (events): 5 rows" in err and "SIGTERM" in err
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()


def test_the_servers_own_watcher_writes_in_place_and_serves_it(city, drop, tmp_path):
    from app import create_app
    from data.access import Access
    from settings import Settings
    written = _events_file(city, tmp_path / "served.csv", block=20)   # before the server owns it
    app = create_app(Settings(db_path=city, build_demo_if_missing=False, auth=False,
                              cache_type="simple", store_writes="in-place", drop_dir=drop,
                              drop_interval=1))
    runtime = app.citybrain_runtime
    first, last = (day.isoformat() for day in runtime.queries.date_bounds())

    def events() -> int:        # what the screens read: memoised, keyed by the store's version
        with app.server.app_context():
            return int(runtime.queries.events_by_category(None, first, last)["n"].sum())

    try:
        inode, before = city.stat().st_ino, events()
        (drop / "events").mkdir()
        os.rename(written, drop / "events" / "served.csv")
        deadline = time.monotonic() + 30
        while not (drop / "done" / "events" / "served.csv").exists():
            assert time.monotonic() < deadline, _files(drop)
            time.sleep(0.2)
        assert events() == before + 5
        assert city.stat().st_ino == inode, "written in place, not copied and renamed"
        app.citybrain_drop.close(timeout=60)      # the file's audit entry is written by now
        assert not app.citybrain_drop.thread.is_alive()
        entry, = Access(city.parent / "access.sqlite").audit_log(action="feed")
        assert entry["who"] == "drop:drop" and '"rows":5' in entry["what"]
    finally:
        app.citybrain_drop.close(timeout=60)
        runtime.store.close()


def test_the_drop_folders_settings(city, tmp_path):
    from app import create_app
    from settings import Settings, SettingsError, from_env
    found = from_env({"CITYBRAIN_DROP_DIR": str(tmp_path), "CITYBRAIN_DROP_INTERVAL": "2"})
    assert (found.drop_dir, found.drop_interval) == (tmp_path, 2)
    assert (from_env({}).drop_dir, from_env({}).drop_interval) == (None, 5)
    with pytest.raises(SettingsError, match="CITYBRAIN_DROP_INTERVAL"):
        from_env({"CITYBRAIN_DROP_INTERVAL": "0"})
    # the server refuses at start a folder it could not work in
    with pytest.raises(SettingsError, match="CITYBRAIN_DROP_DIR=.*not a folder"):
        create_app(Settings(db_path=city, build_demo_if_missing=False, auth=False,
                            drop_dir=tmp_path / "not-mounted"))
