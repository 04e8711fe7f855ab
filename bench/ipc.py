"""What a store in a process of its own would add to the analysts' answers: every chart of
the registry drawn for ``--states`` filter states of the cross-filter bench on a copy of the
demo city, in this process, the query cache off; each chart once as now and once with every
query's answer crossing a socket as it would from a store process (the query and its
parameters sent, the answer pickled back through ``multiprocessing.connection``, a thread
at the other end running it), the two ways alternated chart by chart.

    python -m bench.ipc [--events 1000000] [--states 12]

Prints, per chart and in all, the median time as now and the time added, and the answers'
bytes. Both ends run in this process, so the added time holds the pickling at both ends as
two processes would spend it, without their running at once.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import statistics
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Pipe
from pathlib import Path

from bench.__main__ import SCALES, _geography, ensure_city, state_sets

#: The Store methods whose answers would cross the socket.
METHODS = ("df", "rows", "records")


class Across:
    """Store's query methods, their answers sent through a pipe by a thread at the other end
    while ``on``; counts the bytes sent."""

    def __init__(self, store_class):
        self.on, self.bytes, self.store = False, 0, None
        self.originals = {name: getattr(store_class, name) for name in METHODS}
        self.here, there = Pipe()
        threading.Thread(target=self._serve, args=(there,), daemon=True).start()
        for name in METHODS:
            setattr(store_class, name, self._method(name))

    def _serve(self, conn) -> None:
        while True:
            name, sql, params = conn.recv()
            answer = self.originals[name](self.store, sql, params)
            data = pickle.dumps(answer, protocol=5)
            self.bytes += len(data)
            conn.send_bytes(data)

    def _method(self, name: str):
        original = self.originals[name]

        def method(store, sql, params=()):
            if not self.on:
                return original(store, sql, params)
            self.store = store          # the store process's own; only the query crosses
            self.here.send((name, sql, list(params)))
            return pickle.loads(self.here.recv_bytes())
        return method


#: The bench's filter states each screen's charts are drawn for (bench/__main__.state_sets).
SCREEN_STATES = {"overview": ("overview", "drill", "cells"), "grid": ("areas",),
                 "environment": ("environment",), "economy": ("economy", "compare"),
                 "tasks": ("areas",), "services": ("areas",)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ipc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=SCALES["1m"])
    parser.add_argument("--states", type=int, default=12)
    args = parser.parse_args(argv)
    scale = next((k for k, v in SCALES.items() if v == args.events), str(args.events))
    folder = Path(tempfile.mkdtemp(prefix="citybrain-ipc-"))
    try:
        db = Path(shutil.copy(ensure_city(scale, args.events), folder / "city.duckdb"))
        os.environ.update({"CITYBRAIN_DB": str(db), "CITYBRAIN_CACHE": "null",
                           "CITYBRAIN_BUILD_DEMO": "0", "CITYBRAIN_AUTH": "off"})
        return _run(db, args.states)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(db: Path, n: int) -> int:
    import app as app_module
    from charts import registry
    from charts.state import FilterState
    from data.store import Store
    from layouts import theme

    runtime = app_module.create_app().citybrain_runtime
    sets = state_sets(_geography(db, n), n)
    across = Across(Store)
    times: dict[str, dict[bool, list[float]]] = {}
    sent: dict[str, int] = {}
    for screen, charts in registry.SCREEN_CHARTS.items():
        states = [FilterState.from_dict(s) for name in SCREEN_STATES[screen]
                  for s in sets[name]]
        for i, state in enumerate(states):
            for key, chart in charts.items():
                for on in (False, True) if i % 2 else (True, False):
                    across.on, before = on, across.bytes
                    start = time.perf_counter()
                    chart(state, runtime, theme.ANALYST)
                    took = (time.perf_counter() - start) * 1000
                    times.setdefault(str(key), {False: [], True: []})[on].append(took)
                    if on:
                        sent[str(key)] = sent.get(str(key), 0) + across.bytes - before
    print(f"{len(registry.CHARTS)} charts, {n} to {3 * n} filter states each, medians "
          "(ms: as now, across a socket, added; KB of answers a chart)")
    rows = []
    for key, by in times.items():
        now, piped = statistics.median(by[False]), statistics.median(by[True])
        rows.append((key, now, piped, sent[key] / len(by[True]) / 1024))
    for key, now, piped, kb in sorted(rows, key=lambda r: r[2] - r[1], reverse=True):
        print(f"  {key:32s} {now:8.1f} {piped:8.1f} {piped - now:+7.1f} {kb:9.1f}")
    total_now = sum(r[1] for r in rows)
    total_piped = sum(r[2] for r in rows)
    print(f"all charts of a state: {total_now:.0f} ms as now, {total_piped:.0f} ms across "
          f"(x{total_piped / total_now:.3f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
