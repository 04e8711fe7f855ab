"""Monthly report timing: a whole month in PDF, DOCX and XLSX, one Chromium for all figures.

    python -m bench.report [--scale 1m] [--month 2026-10]

Uses the bench city under bench/out/ (built by ``python -m bench`` or here on first use) and
prints the total time, the number of figures, and the time per figure: the first (Chromium
starting) and the median of the rest (warm). Goal: >= 20 figures, all three files, < 30 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import ensure_city
    from charts.runtime import Runtime
    from data.queries import Queries
    from data.store import Store
    from report.files import export_report
    from settings import Settings

    parser = argparse.ArgumentParser(prog="python -m bench.report")
    parser.add_argument("--scale", default="1m")
    parser.add_argument("--month", default="2026-10")
    args = parser.parse_args(argv)
    path = ensure_city(args.scale)
    store = Store(path)
    runtime = Runtime(Settings(db_path=path, build_demo_if_missing=False), store, Queries(store))
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        written, figures = export_report(runtime, month=args.month,
                                         formats=["pdf", "docx", "xlsx"], out_dir=Path(out))
        total = time.perf_counter() - started
        sizes = {p.suffix[1:]: p.stat().st_size for p in written}
    first, rest = figures[0].seconds, [f.seconds for f in figures[1:]]
    print(f"monthly report {args.month}, {args.scale} city: {len(figures)} figures, "
          f"PDF+DOCX+XLSX in {total:.1f} s (goal < 30 s)")
    print(f"  per figure: first {first:.2f} s (Chromium starting), then median "
          f"{statistics.median(rest):.2f} s, p95 {sorted(rest)[int(len(rest) * 0.95)]:.2f} s")
    print(f"  figures {sum(f.seconds for f in figures):.1f} s; files: "
          + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sizes.items()))
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
