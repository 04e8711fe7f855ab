"""Cross-filter latency over HTTP: this app against a naive Dash baseline, in one run.

    python -m bench [--scales 1m,10m] [--requests 60]

For each scale it builds (once, then reuses) a demo city under bench/out/, starts the app and
the naive baseline (bench/naive_app.py) as separate server processes on loopback, and posts the
callback requests a browser would send after a filter change, one at a time, with varied
filters. The app runs with its query cache off (CITYBRAIN_CACHE=null), so every request
computes. It prints p50/p95 per callback, the bytes each response carries, and the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
NOW = dt.datetime(2026, 11, 24, 10)
SCALES = {"1m": 1_000_000, "10m": 10_000_000}
DISTRICTS = ["360702", "360703", "360704", "360722", "360723", "360724", "360725", "360726",
             "360728", "360729", "360730", "360731", "360732", "360733", "360734", "360735",
             "360781", "360783"]
INDICATORS = ["fixed_asset_investment", "closure_rate", "good_air_rate", "retail_sales",
              "on_time_rate", "pm25"]

#: (name, app output, naive output or None): the same question on both sides.
CALLBACKS = [
    ("filters (map click)", "..app-filters.data...app-notice.children...ops-indicator.value"
     "...ops-layers.value...ops-time-slider.value...ops-step.value...ops-play-tick.disabled"
     "...ops-play.children..", None),
    ("KPI cards", "ops-kpis.children", "kpis.children"),
    ("district map", "..ops-map.figure...ops-map-drawn.data..", "map.figure"),
    ("district ranking", "ops-ranking.figure", "ranking.figure"),
    ("indicator trend", "ops-trend.figure", None),
    ("daily AQI", "ops-air.figure", "trend.figure"),
    ("events by status", "ops-events-status.figure", "events.figure"),
    ("events by category", "ops-events-category.figure", "category.figure"),
    ("filter text", "ops-filter-text.children", None),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/_dash-layout")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"server on port {port} did not start in {timeout} s")


def _start(args: list[str], port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(port, proc)
    return proc


def _post(port: int, output: str, inputs: list, state: list | None = None,
          changed: str | None = None) -> tuple[float, int]:
    """POST one callback request as the browser sends it; return (ms, response bytes)."""
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1)))
               for part in output.strip(".").split("...")]
    body = json.dumps({"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
                       "inputs": inputs, "state": state or [],
                       "changedPropIds": [changed or f"{inputs[0]['id']}."
                                                     f"{inputs[0]['property']}"]}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    conn.request("POST", "/_dash-update-component", body,
                 {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    elapsed = time.perf_counter() - start
    if resp.status not in (200, 204):
        raise RuntimeError(f"{output}: HTTP {resp.status}: {data[:300]!r}")
    return elapsed * 1000, len(data)


def _states(n: int) -> list[dict]:
    """Varied filters: every district and the city, ranges of different lengths."""
    states = []
    for i in range(n):
        district = None if i % 7 == 0 else DISTRICTS[i % len(DISTRICTS)]
        start = dt.date(2025, 1 + i % 12, 1) if i % 3 else dt.date(2026, 1, 1)
        end = min(dt.date(2026, 11, 24), start + dt.timedelta(days=60 + 37 * (i % 9)))
        states.append({"district": district, "start": start.isoformat(),
                       "end": end.isoformat(), "indicator": INDICATORS[i % len(INDICATORS)],
                       "lang": "zh"})
    return states


def _app_inputs(output: str, state: dict) -> list[dict]:
    from callbacks.overview import store_payload
    from callbacks.state import FilterState
    payload = store_payload(FilterState.from_dict(state))
    if output.startswith("..app-filters"):
        click = {"points": [{"location": state["district"] or "360702",
                             "customdata": state["district"] or "360702"}]}
        none = [{"id": i, "property": "selectedData", "value": None}
                for i in ("ops-trend", "ops-air", "ops-events-status")]
        inputs = [{"id": "app-page-url", "property": "search", "value": payload["query"]},
                  {"id": "ops-map", "property": "clickData", "value": click},
                  {"id": "ops-map", "property": "selectedData", "value": None},
                  {"id": "ops-ranking", "property": "clickData", "value": None}, *none,
                  {"id": "ops-clear", "property": "n_clicks", "value": 0},
                  {"id": "ops-indicator", "property": "value", "value": state["indicator"]},
                  [], [], {"id": "ops-layers", "property": "value", "value": []},
                  {"id": "ops-time-slider", "property": "value", "value": None},
                  {"id": "ops-step", "property": "value", "value": "month"},
                  {"id": "ops-play", "property": "n_clicks", "value": 0},
                  {"id": "ops-play-tick", "property": "n_intervals", "value": 0}]
        # ALL-pattern inputs (KPI cards, breadcrumbs) are lists; the store rides as state
        return inputs
    return [{"id": "app-filters", "property": "data", "value": payload}]


def _measure(port: int, output: str, states: list[dict], naive: bool) -> dict:
    times, sizes = [], []
    for state in states:
        if naive:
            inputs = [{"id": "filters", "property": "data", "value": state}]
            ms, size = _post(port, output, inputs)
        elif output.startswith("..app-filters"):
            ms, size = _post_filters(port, output, state)
        else:
            # the map takes the query it was drawn for as State: None, always recolour
            extra = ([{"id": "ops-map-drawn", "property": "data", "value": None}]
                     if "ops-map-drawn" in output else [])
            ms, size = _post(port, output, _app_inputs(output, state), state=extra)
        times.append(ms)
        sizes.append(size)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))],
            "bytes": int(statistics.median(sizes))}


def _post_filters(port: int, output: str, state: dict) -> tuple[float, int]:
    """The filter controller takes a map click with the current store as State."""
    from callbacks.overview import store_payload
    from callbacks.state import FilterState
    current = store_payload(FilterState.from_dict({**state, "district": None}))
    return _post(port, output, _app_inputs(output, state),
                 state=[{"id": "ops-play-tick", "property": "disabled", "value": True},
                        {"id": "app-filters", "property": "data", "value": current}],
                 changed="ops-map.clickData")


#: Callbacks that follow the drill-down below the districts (app only: the naive app has none).
DRILL_CALLBACKS = [
    ("map: townships/cells", "..ops-map.figure...ops-map-drawn.data.."),
    ("KPI cards", "ops-kpis.children"),
    ("events by status", "ops-events-status.figure"),
    ("events by category", "ops-events-category.figure"),
    ("breadcrumbs", "ops-breadcrumbs.children"),
]


def _drill_states(path: Path, n: int) -> list[dict]:
    """Filters at township and grid-cell level, the busiest areas first."""
    import duckdb
    con = duckdb.connect(str(path), read_only=True)
    cells = con.execute("SELECT district_code, township_code, grid_code FROM event_area_daily "
                        "GROUP BY ALL ORDER BY sum(n) DESC LIMIT ?", [n]).fetchall()
    con.close()
    states = []
    for i, (district, township, cell) in enumerate(cells):
        base = _states(n)[i]
        states.append({**base, "indicator": "closure_rate" if i % 2 else base["indicator"],
                       "district": district, "township": township,
                       "cell": cell if i % 3 == 0 else None})
    return states


def ensure_city(scale: str) -> Path:
    path = OUT / f"city-{scale}.duckdb"
    if not path.exists():
        from data.demo import build_demo
        print(f"building the {scale} city into {path} (once)...", file=sys.stderr)
        t = time.perf_counter()
        build_demo(path, events=SCALES[scale], now=NOW)
        print(f"  built in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return path


def run_scale(scale: str, n: int, naive: bool) -> dict:
    path = ensure_city(scale)
    states = _states(n)
    results = {"app": {}, "naive": {}}
    port = _free_port()
    env = {"CITYBRAIN_DB": str(path), "CITYBRAIN_CACHE": "null", "CITYBRAIN_BUILD_DEMO": "0"}
    proc = _start([sys.executable, "-m", "cli", "serve", "--port", str(port)], port, env)
    try:
        for name, output, _ in CALLBACKS:
            _measure(port, output, states[:3], naive=False)          # warm-up: imports, JIT
            results["app"][name] = _measure(port, output, states, naive=False)
        drill = _drill_states(path, n)
        results["drill"] = {}
        for name, output in DRILL_CALLBACKS:
            _measure(port, output, drill[:3], naive=False)
            results["drill"][name] = _measure(port, output, drill, naive=False)
    finally:
        proc.terminate()
        proc.wait()
    if naive:
        port = _free_port()
        t = time.perf_counter()
        proc = _start([sys.executable, "-m", "bench.naive_app", str(path), str(port)], port, {})
        results["naive_start_s"] = time.perf_counter() - t
        try:
            for name, _, output in CALLBACKS:
                if output:
                    _measure(port, output, states[:2], naive=True)
                    results["naive"][name] = _measure(port, output, states, naive=True)
        finally:
            proc.terminate()
            proc.wait()
    return results


def report(scale: str, results: dict) -> str:
    lines = [f"\n== scale {scale} ({SCALES[scale]:,} events): ms over loopback HTTP, "
             f"bytes per response (median)"]
    lines.append(f"{'callback':22s} {'app p50':>8s} {'p95':>7s} {'bytes':>8s} | "
                 f"{'naive p50':>9s} {'p95':>8s} {'bytes':>9s} | {'x p50':>6s} {'x p95':>6s}")
    for name, _, _ in CALLBACKS:
        a = results["app"][name]
        row = f"{name:22s} {a['p50']:8.1f} {a['p95']:7.1f} {a['bytes']:8d} | "
        b = results["naive"].get(name)
        if b:
            row += (f"{b['p50']:9.1f} {b['p95']:8.1f} {b['bytes']:9d} | "
                    f"{b['p50'] / a['p50']:6.1f} {b['p95'] / a['p95']:6.1f}")
        else:
            row += f"{'–':>9s} {'–':>8s} {'–':>9s} |"
        lines.append(row)
    paired = [n for n, _, o in CALLBACKS if o and n in results["naive"]]
    if paired:
        app_total = sum(results["app"][n]["p50"] for n in paired)
        naive_total = sum(results["naive"][n]["p50"] for n in paired)
        app_bytes = sum(results["app"][n]["bytes"] for n in paired)
        naive_bytes = sum(results["naive"][n]["bytes"] for n in paired)
        lines.append(f"{'same questions, sum':22s} {app_total:8.1f} {'':7s} {app_bytes:8d} | "
                     f"{naive_total:9.1f} {'':8s} {naive_bytes:9d} | "
                     f"{naive_total / app_total:6.1f}")
        lines.append(f"naive baseline start-up (loading the events into pandas): "
                     f"{results['naive_start_s']:.1f} s")
    lines.append("drill-down (township and grid-cell filters, app only):")
    for name, _ in DRILL_CALLBACKS:
        d = results["drill"][name]
        lines.append(f"  {name:20s} {d['p50']:8.1f} {d['p95']:7.1f} {d['bytes']:8d}")
    worst = max(r["p95"] for r in [*results["app"].values(), *results["drill"].values()])
    lines.append(f"app: worst callback p95 {worst:.1f} ms (goal < 100 ms)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1m,10m")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--no-naive", action="store_true", help="skip the baseline")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    OUT.mkdir(parents=True, exist_ok=True)
    all_results = {}
    for scale in args.scales.split(","):
        if scale not in SCALES:
            parser.error(f"unknown scale {scale!r}: expected {', '.join(SCALES)}")
        all_results[scale] = run_scale(scale, args.requests, naive=not args.no_naive)
        print(report(scale, all_results[scale]), flush=True)
    (OUT / "results.json").write_text(json.dumps(all_results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
