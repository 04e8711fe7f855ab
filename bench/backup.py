"""What a backup (and a reader's copy: `citybrain report` beside a running server) costs the
feeds: single events written in place while the store is copied, the copy taken under the
write lock (the way before) against the file copied beside the writers (``store.copy_live``).

    python -m bench.backup [--scales 10m,100m] [--repeat 2] [--every 0.2]

For each scale it copies bench/out/city-<scale>.duckdb to a temporary folder, opens it as a
server does (the process owns the file and writes feeds through its own connection), and
backs it up ``--repeat`` times each way, alternated, while a thread writes a single event
every ``--every`` seconds (``data.load.build.load``, in place). It prints each way's
backup seconds and the events' write times during the backups (p50, p95, max), medians
over the repeats, and the ratios. Needs the store's size twice over in free disk.
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


def _in_a_process(function: str, db: Path, dest: Path) -> tuple[float, float]:
    """Run ``function`` (module:name) on ``db`` and ``dest`` in a process of its own, as
    `citybrain backup` runs; return when its work started and ended (this process's
    clock: the process's start-up is not the backup's)."""
    module, name = function.split(":")
    code = (f"import sys, time; from {module} import {name}; start = time.perf_counter(); "
            f"{name}(sys.argv[1], sys.argv[2]); print(start, time.perf_counter())")
    out = subprocess.run([sys.executable, "-c", code, str(db), str(dest)], check=True,
                         capture_output=True, text=True)
    start, end = map(float, out.stdout.split())
    return start, end


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="10m,100m")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--every", type=float, default=0.2)
    args = parser.parse_args(argv)
    from data.store import Store
    ways = {"under the lock (before)": "bench.backup:_backup_under_the_lock",
            "beside the writers": "data.store:backup"}
    for scale in args.scales.split(","):
        source = ensure_city(scale, SCALES.get(scale))
        with tempfile.TemporaryDirectory(prefix="citybrain-backup-", dir=source.parent) as tmp:
            folder = Path(tmp)
            db = Path(shutil.copy(source, folder / "city.duckdb"))
            owner = Store(db, writable=True)
            events = _Events(db, folder, args.every)
            events.start()
            found: dict[str, list[tuple[float, float, float, float]]] = {w: [] for w in ways}
            try:
                time.sleep(2)
                for i in range(args.repeat):
                    for way, run in ways.items():
                        dest = folder / f"backup-{i}-{len(found[way])}-{way[:5]}.duckdb"
                        start, end = _in_a_process(run, db, dest)
                        dest.unlink()
                        during = events.written(start, end)
                        found[way].append((end - start, _quantile(during, 0.5),
                                           _quantile(during, 0.95), max(during, default=0)))
                        print(f"{scale:>5s} {way:<24s} backup {end - start:6.1f} s, "
                              f"{len(during)} events during it: p50 / p95 / max "
                              f"{found[way][-1][1]:.2f} / {found[way][-1][2]:.2f} / "
                              f"{found[way][-1][3]:.2f} s", flush=True)
                        time.sleep(2)
            finally:
                events.stop.set()
                events.join()
                owner.close()
            medians = {way: [statistics.median(r[k] for r in rows) for k in range(4)]
                       for way, rows in found.items()}
            before, after = medians.values()
            print(f"{scale:>5s} medians of {args.repeat}, beside / under the lock: backup "
                  f"{after[0]:.1f} / {before[0]:.1f} s ({after[0] / before[0]:.2f}), an event "
                  f"written meanwhile p95 {after[2]:.2f} / {before[2]:.2f} s "
                  f"({after[2] / before[2]:.2f}), max {after[3]:.2f} / {before[3]:.2f} s "
                  f"({after[3] / before[3]:.2f})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
