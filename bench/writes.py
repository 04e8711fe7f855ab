"""What a batch costs to write: in place (the store's own file) against a copy renamed over
it (the load of a new city or of boundaries, and the way before), at the bench's scales.

    python -m bench.writes [--scales 1m,10m] [--repeat 5] [--in-place-only]

For each scale it copies bench/out/city-<scale>.duckdb to a temporary folder and writes, in
turn, batches of 1 and of 10,000 events (new ids, reported in the two hours before the
city's as-of time, every other batch closing the previous one's events) through
``data.load.build.load``: in place, and with ``force_copy`` (what a load from another process
does while a server owns the file). It prints the median seconds of each and their ratio,
and the time of a full rollup rebuild, which an in-place batch avoids.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.__main__ import NOW, SCALES, ensure_city
from bench.feeds import Batches, _templates


def _time_batches(db: Path, folder: Path, size: int, repeat: int, copy: bool) -> list[float]:
    from data.load import build
    batches = iter(Batches(_templates(db, max(size, 2)), size))
    times = []
    for i in range(repeat):
        _, body = next(batches)
        path = folder / f"batch-{size}-{i}.csv"
        path.write_bytes(body)
        start = time.perf_counter()
        build.load(db, [build.Item("events", path)], now=NOW, in_place=not copy)
        times.append(time.perf_counter() - start)
    return times


def _rollup_seconds(db: Path) -> float:
    from data.store import EVENT_ROLLUP, connect
    con = connect(db, read_only=False)
    try:
        start = time.perf_counter()
        con.execute("BEGIN")
        con.execute(EVENT_ROLLUP)
        seconds = time.perf_counter() - start
        con.execute("ROLLBACK")
        return seconds
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.writes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1m,10m")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--in-place-only", action="store_true",
                        help="only the writes in place (a feed's), not the copies: at 100M "
                             "each copy is a 7 GB file")
    args = parser.parse_args(argv)
    copies = "" if args.in_place_only else f" {'copy s':>8s} {'ratio':>6s}"
    print(f"{'scale':>6s} {'batch':>7s} {'in place s':>11s}{copies}   (medians of {args.repeat})")
    for scale in args.scales.split(","):
        source = ensure_city(scale, SCALES.get(scale))
        with tempfile.TemporaryDirectory(prefix="citybrain-writes-",
                                         dir=source.parent) as tmp:
            folder = Path(tmp)
            db = Path(shutil.copy(source, folder / "city.duckdb"))
            for size in (1, 10_000):
                place = statistics.median(_time_batches(db, folder, size, args.repeat, False))
                if args.in_place_only:
                    print(f"{scale:>6s} {size:>7,d} {place:11.3f}", flush=True)
                    continue
                copy = statistics.median(_time_batches(db, folder, size, args.repeat, True))
                print(f"{scale:>6s} {size:>7,d} {place:11.2f} {copy:8.2f} "
                      f"{copy / place:5.1f}x", flush=True)
            if not args.in_place_only:
                print(f"{scale:>6s} full rollup rebuild (what every copy load did): "
                      f"{_rollup_seconds(db):.2f} s; store {db.stat().st_size / 1e6:,.0f} MB",
                      flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
