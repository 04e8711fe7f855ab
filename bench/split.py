"""The feed benchmark's load with the writes in a process of their own: what a store process
serving the analysts' workers could reach on this machine, before it is built.

    python -m bench.split [--seconds 60] [--workers 2] [--rate 5000] [--events 1000000]

Runs two `python -m bench.feeds` at once on the same machine, each on its own copy of the
city: one server takes the feeds (``--rate`` events a second in 10,000-event batches from two
senders, a single event a second, no analysts, no wall), the other serves the 20 analysts
and the wall with no writes, ``--workers`` gunicorn workers reading its file. The cores, the
disk and the page cache are shared as they would be; the interpreter, DuckDB's threads and
the owner's one-query-at-a-time turn are not. The analysts' server starts once the writers'
senders run and stops before them. It prints both reports and the goals of bench/feeds.py
judged on them: the analysts' p95 on one, the single event's p95 and the events a second on
the other.

An upper bound of the gain: in a store process the analysts' queries would still run
beside the writer in one DuckDB, and their answers would cross a socket.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.feeds import GOALS, _enough_written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.split", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60,
                        help="the analysts' run; the writers run 50 s longer around it")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--no-cache", action="store_true",
                        help="the analysts' server computes every answer (CITYBRAIN_CACHE="
                             "null): with no writes its cache would keep answers a store "
                             "process's batches move on every two seconds; a pessimistic "
                             "bound, since a batch of events leaves the air, water and "
                             "statistics answers cached")
    args = parser.parse_args(argv)
    out = Path(tempfile.mkdtemp(prefix="citybrain-split-"))
    common = [sys.executable, "-m", "bench.feeds", "--events", str(args.events)]
    writes = subprocess.Popen(
        common + ["--seconds", str(args.seconds + 50), "--users", "0", "--rate", str(args.rate),
                  "--wall-every", "0", "--out", str(out / "writes.json")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(25)                      # its server started and its senders sending
    analysts = subprocess.run(
        common + ["--seconds", str(args.seconds), "--batch", "0", "--no-probe",
                  "--workers", str(args.workers), "--out", str(out / "analysts.json")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, **({"CITYBRAIN_CACHE": "null"} if args.no_cache else {})})
    written, _ = writes.communicate()
    for name, text in (("writes", written), ("analysts", analysts.stdout)):
        print(f"== {name}\n" + "\n".join(line for line in text.splitlines()
                                          if not line.startswith("[")), flush=True)
    w = json.loads((out / "writes.json").read_text())
    a = json.loads((out / "analysts.json").read_text())
    judged = {
        "events a second": _enough_written(w) and w["batches"]["failed"] == 0,
        "single event p95": w["single"]["p95"] < GOALS["single_p95_ms"]
        and w["single"]["failed"] == 0,
        "analysts' p95": a["analysts"]["p95"] < GOALS["analyst_p95_ms"]
        and a["analysts"]["failures"] == 0,
        "the wall's p95": a["wall"]["p95"] < GOALS["wall_p95_ms"] and a["wall"]["failed"] == 0,
    }
    print("goals judged apart: " + ", ".join(f"{k} {'met' if ok else 'MISSED'}"
                                             for k, ok in judged.items()), flush=True)
    return 0 if all(judged.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
