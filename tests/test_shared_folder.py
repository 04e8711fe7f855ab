"""A store in a folder several machines share over NFS (docs/DEPLOY.md), where Linux emulates
flock with POSIX locks (tests/posix_locks.py): a process judges another's locks on a
descriptor open for writing and its own without asking for them (asking would drop them),
its threads take the write lock one at a time, and nothing it reads beside the store drops
the lock it holds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from data import store as store_module
from data.load.build import Item, load
from data.store import Store, StoreBusy, write_lock
from tests import posix_locks
from tests.conftest import TEST_NOW
from tests.test_in_place import _events, _write

ROOT = Path(__file__).resolve().parents[1]
#: A process of another machine: data.store with NFS's locks.
ELSEWHERE = ("import sys\nfrom pathlib import Path\nfrom tests import posix_locks\n"
             "posix_locks.install()\nfrom data import store\n")


@pytest.fixture
def city(city_path, tmp_path) -> Path:
    return Path(shutil.copy(city_path, tmp_path / "city.duckdb"))


@pytest.fixture
def nfs(monkeypatch):
    monkeypatch.setattr(store_module, "fcntl", posix_locks)


def _elsewhere(code: str, *args) -> str:
    out = subprocess.run([sys.executable, "-c", ELSEWHERE + code, *map(str, args)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_lock_another_process_holds_is_seen_held_and_a_dead_ones_free(nfs, tmp_path):
    marker = tmp_path / "marker.alive"
    holder = subprocess.Popen(
        [sys.executable, "-c", ELSEWHERE + "store._hold(Path(sys.argv[1]))\n"
         "print('held', flush=True)\nsys.stdin.read()", str(marker)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert store_module._held(marker)           # asked on a read-only descriptor: EBADF
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert marker.exists() and not store_module._held(marker)


def test_a_process_knows_its_own_locks_and_looking_does_not_drop_them(nfs, tmp_path):
    marker = tmp_path / "marker.alive"
    held = store_module._hold(marker)
    try:
        assert store_module._held(marker)       # asked for, a process's own lock is free
        assert _elsewhere("print(store._held(Path(sys.argv[1])))", marker) == "True"
    finally:
        store_module._let_go_of(marker, held)
    assert not marker.exists() and not store_module._held(marker)


def test_a_server_writing_in_place_keeps_its_live_log_through_a_recovery(nfs, city, tmp_path):
    """The server's own log is live: a recovery (a load beside it, a reader opening)
    leaves it, where judging the server's marker free would replay the log of a writer
    still writing it."""
    store = Store(city, writable=True)
    try:
        event = _events(city, "ORDER BY event_id LIMIT 1").assign(event_id=994000001)
        load(city, [Item("events", _write(event, tmp_path / "one.csv"))], now=TEST_NOW)
        logs = [found.wal for found in store_module._logs(city)]
        assert len(logs) == 1 and logs[0].exists()
        assert not store_module._needs_recovery(city)
        assert store_module.open_for_writing(city)
        assert _elsewhere("print(store.open_for_writing(sys.argv[1]))", city) == "True"
        with write_lock(city):
            store_module.recover(city)
        assert logs[0].exists()
        assert store.rows("SELECT count(*) FROM grid_events WHERE event_id = 994000001") \
            == [(1,)]
    finally:
        store.close()


def test_the_write_lock_keeps_this_processes_threads_apart(nfs, city):
    answers: list[str] = []

    def another_writer():
        try:
            with write_lock(city, wait=False):
                answers.append("written")
        except StoreBusy:
            answers.append("busy")

    with write_lock(city):
        thread = threading.Thread(target=another_writer)
        thread.start()
        thread.join(timeout=30)
        # nor did the other thread's look at the lock file drop this one's lock
        assert _elsewhere("try:\n    with store.write_lock(sys.argv[1], wait=False):\n"
                          "        print('written')\nexcept store.StoreBusy:\n"
                          "    print('busy')", city) == "busy"
    assert answers == ["busy"]


def test_a_copys_mark_written_under_the_write_lock_keeps_the_lock(nfs, city):
    """A copy beside the writers marks the file under the lock (``_mark_for_copy``); the
    mark is kept beside the lock file, not in it: reading that would drop the lock."""
    with write_lock(city):
        assert store_module._mark_for_copy(city) is not None
        assert store_module._mark_for_copy(city) is not None       # the mark read back
        assert _elsewhere("try:\n    with store.write_lock(sys.argv[1], wait=False):\n"
                          "        print('written')\nexcept store.StoreBusy:\n"
                          "    print('busy')", city) == "busy"


def test_what_a_dead_process_left_is_swept_and_a_live_ones_kept(nfs, city):
    dead, live = "0123abcd" * 4, "4567cdef" * 4
    inode = city.stat().st_ino
    os.close(os.open(city.with_name(f".{city.name}.1.{dead}.opening"), os.O_CREAT, 0o600))
    os.link(city, city.with_name(f".{city.name}.1.i{inode}.{dead}.open"))
    opening = city.with_name(f".{city.name}.{os.getpid()}.{live}.opening")
    held = store_module._hold(opening)
    os.link(city, city.with_name(f".{city.name}.{os.getpid()}.i{inode}.{live}.open"))
    try:
        store_module.sweep_left_over(city)
        left = sorted(p.name for p in city.parent.glob(f".{city.name}.*"))
        assert left == sorted([opening.name, f".{city.name}.{os.getpid()}.i{inode}.{live}.open"])
        assert city.stat().st_nlink == 2
    finally:
        store_module._let_go_of(opening, held)


def test_a_copy_being_written_stays_held_from_another_machines_view(nfs, city):
    """A reader's copy of the store: the copy's writing and DuckDB's opening of it close
    descriptors of it, which drop a POSIX lock held on the copy itself; the lock is held on
    a file beside it, so another machine's sweep leaves the copy."""
    with store_module._held_copy(city) as copy:
        store_module.copy_live(city, copy)
        store_module.connect(copy).close()
        assert _elsewhere("store._sweep(Path(sys.argv[1]).parent, store._SNAPSHOT, "
                          "prefix=Path(sys.argv[1]).name + '.')\n"
                          "print(Path(sys.argv[2]).exists())", f"{city.parent}/.{city.name}",
                          copy) == "True"
    assert not list(city.parent.glob(f".{city.name}.*.snapshot*"))
