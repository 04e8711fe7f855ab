"""What copies of the served store cost the feeds: single events written in place while a
backup (or a reader beside a running server: `citybrain report`) copies the store, and while
a load writes a copy of it (`citybrain load` beside a server), the store's file copied under
the write lock (the way before) or beside the writers (``store.copy_live``,
``store.copy_ahead``); and an upload of 1,000 events from the data screen, loaded by copy in
a child process (before) or read there and written in place by the server (now).

    python -m bench.copies [--scales 10m,100m] [--repeat 2] [--every 0.2] [--only upload]

For each scale it copies bench/out/city-<scale>.duckdb to a temporary folder and, for each
copy and way, ``--repeat`` times, alternated: opens it as a server does (this process owns
the file and writes feeds through its own connection), writes a single event every
``--every`` seconds from a thread (``data.load.build.load``, in place), and runs the copy
in a process of its own, as the CLI and an upload do. It prints each run's seconds and the
events' write times during it (p50, p95, max), then the medians over the repeats and their
ratios. Needs the store's size twice over in free disk.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.__main__ import NOW, SCALES, ensure_city
from bench.feeds import Batches, _templates


def _backup_under_the_lock(path: Path, dest: Path) -> None:
    """``store.backup`` as it was: the whole copy taken under the write lock."""
    from data.store import _wal_of, connect, copy_whole, new_file, write_lock
    with new_file(dest) as part:
        try:
            with write_lock(path):
                copy_whole(path, part)
            con = connect(part, read_only=False)
            con.execute("CHECKPOINT")
            con.close()
        finally:
            _wal_of(part).unlink(missing_ok=True)


class _Events(threading.Thread):
    """A single event written in place every ``every`` seconds; each write's seconds, with
    the time it started, for as long as it runs."""

    def __init__(self, db: Path, folder: Path, every: float):
        super().__init__(daemon=True)
        self.db, self.folder, self.every = db, folder, every
        self.batches = iter(Batches(_templates(db, 2), 1))
        self.times: list[tuple[float, float]] = []
        self.stop = threading.Event()
        self.writing: float | None = None      # when the write under way started

    def written(self, start: float, end: float) -> list[float]:
        """The seconds of the writes under way between ``start`` and ``end``, once done."""
        while (began := self.writing) is not None and began < end and self.is_alive():
            time.sleep(0.01)
        if not self.is_alive():
            raise RuntimeError("the events' thread stopped: see above")
        return [seconds for began, seconds in self.times if began < end
                and began + seconds > start]

    def run(self) -> None:
        from data.load import build
        i = 0
        while not self.stop.is_set():
            _, body = next(self.batches)
            path = self.folder / f"event-{i % 4}.csv"
            path.write_bytes(body)
            start = self.writing = time.perf_counter()
            build.load(self.db, [build.Item("events", path)], now=NOW, in_place=True)
            self.times.append((start, time.perf_counter() - start))
            self.writing = None
            i += 1
            self.stop.wait(self.every)


#: Each copy, each way: what runs in its own process with the store's path and a path for
#: it (``NOW``: the bench's clock), or in the server's (a function of the two).
COPIES = {
    "backup": {
        "before": "from bench.copies import _backup_under_the_lock as run\nrun(db, other)",
        "after": "from data.store import backup\nbackup(db, other)",
    },
    "load by copy": {
        # the way before: no copy ahead of the lock (build.load then copies under it)
        "before": "import data.load.build as b\nb.open_for_writing = lambda path: False\n"
                  "b.load(db, [b.Item('events', other)], now=NOW, in_place=False)",
        "after": "import data.load.build as b\n"
                 "b.load(db, [b.Item('events', other)], now=NOW, in_place=False)",
    },
    # an upload from the data screen, in the server's process: the way before, its child
    # loads a copy of the store; now, its child reads the file and the server writes it
    "upload": {
        "before": lambda db, other: _load_isolated(db, other),
        "after": lambda db, other: _load_isolated(db, other, in_place=True),
    },
}


def _load_isolated(db: Path, other: Path, in_place: bool = False) -> None:
    from functools import partial

    from data.load.build import Item, load
    from data.load.isolated import Limits, load_isolated, read_isolated
    items = [Item("events", other)]
    if in_place:
        load(db, items, now=NOW, read=partial(read_isolated, limits=Limits()))
    else:
        load_isolated(db, items, now=NOW, limits=Limits())


#: The events an upload's file holds.
UPLOAD_EVENTS = 1_000


def _in_a_process(code: str, db: Path, other: Path) -> tuple[float, float]:
    """Run ``code`` (with ``db``, ``other`` and ``NOW`` defined) in a process of its own;
    return when its work started and ended (this process's clock: the process's start-up
    is not the copy's)."""
    script = (f"import sys, time\nfrom pathlib import Path\nfrom bench.__main__ import NOW\n"
              f"db, other = map(Path, sys.argv[1:3])\n"
              f"start = time.perf_counter()\n{code}\nprint(start, time.perf_counter())")
    out = subprocess.run([sys.executable, "-c", script, str(db), str(other)],
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    start, end = map(float, out.stdout.split()[-2:])
    return start, end


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class _Server:
    """The store's owner, opened anew when a load replaces its file, as the server's
    runtime does (``store.when_replaced``)."""

    def __init__(self, db: Path):
        from data.store import Store, when_replaced
        self.db, self.owners, self.lock = db, [Store(db, writable=True)], threading.Lock()
        when_replaced(db, self.reopen)

    def reopen(self) -> None:
        from data.store import Store, store_fingerprint
        with self.lock:
            if store_fingerprint(self.db) != self.owners[-1].fingerprint:
                self.owners.append(Store(self.db, writable=True))

    def close(self) -> None:
        for owner in self.owners:
            owner.close()


def _run(db: Path, folder: Path, copy: str, way: str, every: float
         ) -> tuple[float, float, float, float, int]:
    """One copy while events are written: its seconds, the events' p50, p95 and max and
    their count."""
    server = _Server(db)
    events = _Events(db, folder, every)
    events.start()
    try:
        time.sleep(2)
        if copy == "backup":
            other = folder / "backup.duckdb"
        else:
            other = folder / "load.csv"
            size = UPLOAD_EVENTS if copy == "upload" else 1
            batches = Batches(_templates(db, size), size)
            batches.next_id = 3_000_000_000 + int(time.time() * 1000)   # not the events' ids
            other.write_bytes(next(iter(batches))[1])
        run = COPIES[copy][way]
        if callable(run):
            start = time.perf_counter()
            run(db, other)
            end = time.perf_counter()
        else:
            start, end = _in_a_process(run, db, other)
        during = events.written(start, end)
        if copy == "backup":
            other.unlink()
    finally:
        events.stop.set()
        events.join()
        server.close()
    return (end - start, _quantile(during, 0.5), _quantile(during, 0.95),
            max(during, default=float("nan")), len(during))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.copies", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="10m,100m")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--every", type=float, default=0.2)
    parser.add_argument("--only", default="backup,load,upload",
                        help="the copies to run, by their first word")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    for scale in args.scales.split(","):
        source = ensure_city(scale, SCALES.get(scale))
        with tempfile.TemporaryDirectory(prefix="citybrain-copies-", dir=source.parent) as tmp:
            folder = Path(tmp)
            db = Path(shutil.copy(source, folder / "city.duckdb"))
            for copy, ways in COPIES.items():
                if copy.split()[0] not in only:
                    continue
                found: dict[str, list[tuple]] = {way: [] for way in ways}
                for _ in range(args.repeat):
                    for way in ways:
                        found[way].append(row := _run(db, folder, copy, way, args.every))
                        print(f"{scale:>5s} {copy:<12s} {way:<6s} {row[0]:6.1f} s, {row[4]} "
                              f"events during it: p50 / p95 / max {row[1]:.2f} / "
                              f"{row[2]:.2f} / {row[3]:.2f} s", flush=True)
                before, after = ([statistics.median(r[k] for r in found[way]) for k in range(4)]
                                 for way in ("before", "after"))
                print(f"{scale:>5s} {copy:<12s} medians of {args.repeat}, after / before: "
                      f"{after[0]:.1f} / {before[0]:.1f} s ({after[0] / before[0]:.2f}); an "
                      f"event written meanwhile: p95 {after[2]:.2f} / {before[2]:.2f} s "
                      f"({after[2] / before[2]:.2f}), max {after[3]:.2f} / {before[3]:.2f} s "
                      f"({after[3] / before[3]:.2f})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
