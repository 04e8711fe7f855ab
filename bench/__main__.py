"""Cross-filter latency over HTTP: this app against a naive Dash baseline, in one run.

    python -m bench [--scales 1m,10m] [--requests 60] [--no-naive]

For each scale it builds (once, then reuses) a demo city under bench/out/, starts the app and
the naive baseline (bench/naive_app.py) as separate server processes on loopback, and posts the
callback requests a browser would send after a filter change, one at a time, with varied
filters, on every screen. The app runs with its query cache off (CITYBRAIN_CACHE=null), so
every request computes. It prints p50/p95 per callback, the bytes each response carries, the
ratios where the naive app answers the same question, and the worst p95 of the app.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
NOW = dt.datetime(2026, 11, 24, 10)
LAST_DAY = dt.date(2026, 11, 24)
SCALES = {"1m": 1_000_000, "10m": 10_000_000, "100m": 100_000_000}
GOAL_MS = 100
DISTRICTS = ["360702", "360703", "360704", "360722", "360723", "360724", "360725", "360726",
             "360728", "360729", "360730", "360731", "360732", "360733", "360734", "360735",
             "360781", "360783"]
INDICATORS = ["fixed_asset_investment", "closure_rate", "good_air_rate", "retail_sales",
              "on_time_rate", "pm25"]
EVENT_METRICS = ["closure_rate", "events_per_10k", "on_time_rate", "event_count",
                 "satisfaction_rate"]
ECONOMY = ["gdp", "fixed_asset_investment", "retail_sales", "industrial_va_growth",
           "budget_revenue", "unemployment_rate", "electricity", "loans"]
POLLUTANTS = ["pm25", "aqi", "pm10", "o3_8h", "no2", "so2", "co"]
#: The event table's sort as the page first draws it (layouts/events.py), in the naive app's
#: DataTable form (the app's grid gets the same as a sort model, ``_grid_request``).
NEWEST_FIRST = [{"column_id": "reported_at", "direction": "desc"}]
TABLE_FILTER = "{status} = 结案 && {returned_count} > 0"
#: The same filter as the app's grid sends it (its filter model).
GRID_FILTERS = {"": {}, TABLE_FILTER: {
    "status": {"filterType": "text", "type": "equals", "filter": "结案"},
    "returned_count": {"filterType": "number", "type": "greaterThan", "filter": 0}}}
#: Rows a page: the naive table's page, and a block of the same size from the app's grid.
TABLE_PAGE_SIZE = 20

#: The filter controllers' outputs carry a hash (allow_duplicate): found per run from
#: /_dash-dependencies, then written where a row's output says FILTERS.
FILTERS = "<overview filter controller>"
MAP = "..ops-map.figure...ops-map-drawn.data.."
TABLE = "..evt-table.getRowsResponse...evt-count.children...evt-csv.href...evt-xlsx.href.."
NAIVE_TABLE = "..table.data...table.page_count...count.children.."


@dataclass(frozen=True)
class Row:
    """One measured callback: its app output, the filter states it is asked for, and the
    naive app's output answering the same question (None: the naive app has none)."""

    name: str
    output: str
    states: str                    # a key of the state sets (see state_sets)
    naive: str | None = None
    #: the event table's own inputs: (page_current, sort_by, filter_query)
    table: tuple | None = None


#: (section title, rows). The overview's first block is the original comparison.
SECTIONS = [
    ("overview (city and districts)", [
        Row("filters (map click)", FILTERS, "overview"),
        Row("KPI cards", "ops-kpis.children", "overview", "kpis.children"),
        Row("district map", MAP, "overview", "map.figure"),
        Row("district ranking", "ops-ranking.figure", "overview", "ranking.figure"),
        Row("indicator trend", "ops-trend.figure", "overview"),
        Row("daily AQI", "ops-air.figure", "overview", "trend.figure"),
        Row("events by status", "ops-events-status.figure", "overview", "events.figure"),
        Row("events by category", "ops-events-category.figure", "overview", "category.figure"),
        Row("filter text", "app-filter-text.children", "overview"),
    ]),
    ("drill-down (townships and grid cells)", [
        Row("map: townships/cells", MAP, "drill"),
        Row("KPI cards", "ops-kpis.children", "drill"),
        Row("events by status", "ops-events-status.figure", "drill"),
        Row("events by category", "ops-events-category.figure", "drill"),
        Row("breadcrumbs", "ops-breadcrumbs.children", "drill"),
    ]),
    ("all grid cells (grain=cells, whole city)", [
        Row("map: every cell", MAP, "cells", "cells.figure"),
    ]),
    ("grid governance", [
        Row("life-cycle funnel", "grid-funnel.figure", "areas"),
        Row("handling times", "grid-handling.figure", "areas"),
        Row("category x source", "grid-matrix.figure", "areas"),
        Row("department table", "grid-departments.rowData", "areas"),
        Row("overdue list", "grid-overdue.rowData", "areas"),
        Row("open events by grid cell", "grid-cell-events.children", "areas"),
    ]),
    ("event records (20 rows a page)", [
        Row("page 0, newest first", TABLE, "areas", NAIVE_TABLE, (0, NEWEST_FIRST, "")),
        Row("page 5, by category", TABLE, "areas", NAIVE_TABLE,
            (5, [{"column_id": "category", "direction": "asc"}], "")),
        Row("filter row", TABLE, "areas", NAIVE_TABLE, (0, NEWEST_FIRST, TABLE_FILTER)),
    ]),
    ("environment", [
        Row("AQI calendar", "env-calendar.figure", "environment"),
        Row("station trends", "env-trends.figure", "environment"),
        Row("station ranking", "env-stations.figure", "environment"),
        Row("water by month", "env-water.figure", "environment"),
    ]),
    ("economy", [
        Row("small multiples", "eco-multiples.figure", "economy"),
        Row("YoY and MoM", "eco-changes.figure", "economy"),
        Row("district shares", "eco-shares.figure", "economy"),
        Row("two districts", "eco-compare.figure", "compare"),
    ]),
]
#: The rows whose sum is compared with the naive app (the overview, as in earlier runs).
SUMMED = ("overview (city and districts)",)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, timeout: float = 60) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.status, resp.read()


def _wait(port: int, proc: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            if _get(port, "/_dash-layout", timeout=5)[0] == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"server on port {port} did not start in {timeout} s")


def _start(args: list[str], port: int, env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env},
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(port, proc)
    except BaseException:
        _stop(proc)
        raise
    return proc


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def callback_body(output: str, inputs: list, state: list | None = None,
                  changed: str | None = None) -> bytes:
    """The body of a callback request (POST /_dash-update-component) as Dash's renderer
    sends it; ``changed`` defaults to the first input."""
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1)))
               for part in output.strip(".").split("...")]
    first = inputs[0]
    return json.dumps({"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
                       "inputs": inputs, "state": state or [],
                       "changedPropIds": [changed or f"{first['id']}.{first['property']}"]}
                      ).encode()


def _post(port: int, output: str, inputs: list, state: list | None = None,
          changed: str | None = None, body_out: list | None = None) -> tuple[float, int]:
    """POST one callback request as the browser sends it; return (ms, response bytes).
    ``body_out`` (a list) receives the decoded response."""
    body = callback_body(output, inputs, state, changed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    conn.request("POST", "/_dash-update-component", body,
                 {"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    elapsed = time.perf_counter() - start
    # 204 is Dash's PreventUpdate: here it would mean a state the app refused, not an answer
    if resp.status != 200:
        raise RuntimeError(f"{output[:80]}: HTTP {resp.status}: {data[:300]!r}")
    if body_out is not None:
        body_out.append(json.loads(data))
    return elapsed * 1000, len(data)


# --- the filter states asked -----------------------------------------------------------------

def _range(i: int) -> tuple[str, str]:
    """Ranges from two months to more than a year, starting in different months."""
    start = dt.date(2025, 1 + i % 12, 1) if i % 3 else dt.date(2026, 1, 1)
    end = min(LAST_DAY, start + dt.timedelta(days=60 + 37 * (i % 9)))
    return start.isoformat(), end.isoformat()


def _state(i: int, **values) -> dict:
    start, end = _range(i)
    return {"district": None, "start": start, "end": end, "indicator": INDICATORS[i % 6],
            "lang": "zh", **values}


def _overview_states(n: int) -> list[dict]:
    """Every district and the whole city, six indicators."""
    return [_state(i, district=None if i % 7 == 0 else DISTRICTS[i % len(DISTRICTS)])
            for i in range(n)]


def _geography(path: Path, n: int) -> dict:
    """The busiest grid cells and every township, read before the servers start."""
    import duckdb
    con = duckdb.connect(str(path), read_only=True)
    try:
        busiest = con.execute(
            "SELECT district_code, township_code, grid_code FROM event_area_daily "
            "GROUP BY ALL ORDER BY sum(n) DESC LIMIT ?", [n]).fetchall()
        townships = con.execute("SELECT district_code, code FROM townships "
                                "ORDER BY code").fetchall()
    finally:
        con.close()
    return {"busiest": busiest, "townships": townships}


def _drill_states(geo: dict, n: int) -> list[dict]:
    """Filters at township and grid-cell level, the busiest areas first."""
    states = []
    for i, (district, township, cell) in enumerate(geo["busiest"][:n]):
        base = _state(i)
        states.append({**base, "indicator": "closure_rate" if i % 2 else base["indicator"],
                       "district": district, "township": township,
                       "cell": cell if i % 3 == 0 else None})
    return states


def _area(i: int, geo: dict, townships: bool = True) -> dict:
    """The whole city, a district, or (every third) a township spread over the city."""
    if i % 7 == 0:
        return {}
    if townships and i % 3 == 1:
        district, township = geo["townships"][(i * 53) % len(geo["townships"])]
        return {"district": district, "township": township}
    return {"district": DISTRICTS[i % len(DISTRICTS)]}


def state_sets(geo: dict, n: int) -> dict[str, list[dict]]:
    return {
        "overview": _overview_states(n),
        "drill": _drill_states(geo, n),
        # the whole city's 9,559 grid cells, each cell's event metric
        "cells": [_state(i, grain="cells", indicator=EVENT_METRICS[i % len(EVENT_METRICS)])
                  for i in range(n)],
        # the event screens: city, districts and townships
        "areas": [_state(i, **_area(i, geo)) for i in range(n)],
        "environment": [_state(i, pollutant=POLLUTANTS[i % len(POLLUTANTS)], **_area(i, geo))
                        for i in range(n)],
        "economy": [_state(i, indicator=ECONOMY[i % len(ECONOMY)],
                           **_area(i, geo, townships=False)) for i in range(n)],
        # a district beside another one
        "compare": [_state(i, indicator=ECONOMY[i % len(ECONOMY)],
                           district=DISTRICTS[i % len(DISTRICTS)],
                           vs=DISTRICTS[(i * 7 + 3) % len(DISTRICTS)]) for i in range(n)],
    }


# --- requests --------------------------------------------------------------------------------

def _payload(state: dict) -> dict:
    from charts.common import store_payload
    from charts.state import FilterState
    return store_payload(FilterState.from_dict(state))


def _filters_request(spec: dict, state: dict) -> tuple[list, list, str]:
    """A map click on the overview, with the store it changes as State: the inputs in the
    order /_dash-dependencies lists them (pattern-matched ones as empty lists)."""
    current = _payload({**state, "district": None})
    code = state["district"] or "360702"
    values = {"ops-page-url.search": current["query"],
              "ops-map.clickData": {"points": [{"location": code, "customdata": code}]},
              "ops-indicator.value": state["indicator"], "ops-step.value": "month",
              "ops-layers.value": [], "ops-grain.value": "areas",
              "ops-play.n_clicks": 0, "ops-play-tick.n_intervals": 0,
              "ops-clear.n_clicks": 0}
    inputs = []
    for item in spec["inputs"]:
        if item["id"].startswith("{"):           # ALL pattern: no such components drawn
            inputs.append([])
            continue
        key = f"{item['id']}.{item['property']}"
        inputs.append({**item, "value": values.get(key)})
    states = [{"id": "ops-play-tick", "property": "disabled", "value": True},
              {"id": "app-filters", "property": "data", "value": current}]
    return inputs, states, "ops-map.clickData"


def _app_request(row: Row, state: dict, deps: dict) -> tuple[str, list, list, str | None]:
    if row.output == FILTERS:
        spec = deps["filters"]
        inputs, states, changed = _filters_request(spec, state)
        return spec["output"], inputs, states, changed
    store = {"id": "app-filters", "property": "data", "value": _payload(state)}
    if row.table:
        # the grid's block request, the filter store its State
        inputs = [{"id": "evt-table", "property": "getRowsRequest",
                   "value": _grid_request(*row.table)}]
        return row.output, inputs, [store], "evt-table.getRowsRequest"
    inputs, states = [store], []
    if row.output in ("grid-overdue.rowData", "grid-cell-events.children"):
        # the overdue list and a cell's open events also follow a 督办 step on the screen
        # (their 督办 marks)
        inputs.append({"id": "grid-sv-version", "property": "data", "value": None})
    if row.output == MAP:
        # the map takes the query it was drawn for as State: None, always recolour
        states = [{"id": "ops-map-drawn", "property": "data", "value": None}]
    return row.output, inputs, states, None


def _grid_request(page: int, sort_by: list, query: str) -> dict:
    """The naive table's page, sort and filter row as the app's grid asks for them."""
    return {"startRow": page * TABLE_PAGE_SIZE, "endRow": (page + 1) * TABLE_PAGE_SIZE,
            "sortModel": [{"colId": s["column_id"], "sort": s["direction"]} for s in sort_by],
            "filterModel": GRID_FILTERS[query]}


def _naive_request(row: Row, state: dict) -> tuple[str, list]:
    inputs = [{"id": "filters", "property": "data", "value": state}]
    if row.table:
        page, sort_by, query = row.table
        inputs += [{"id": "table", "property": "page_current", "value": page},
                   {"id": "table", "property": "page_size", "value": TABLE_PAGE_SIZE},
                   {"id": "table", "property": "sort_by", "value": sort_by},
                   {"id": "table", "property": "filter_query", "value": query}]
    return row.naive, inputs


def _table_totals(send_for_body: Callable[[dict, list], object], states: list[dict],
                  count_id: str) -> list[int]:
    """How many events the table says match, for the first states (both apps must agree)."""
    totals = []
    for state in states[:3]:
        body: list = []
        send_for_body(state, body)
        text = str(body[0]["response"][count_id]["children"])
        totals.append(int("".join(ch for ch in text if ch.isdigit()) or -1))
    return totals


def _stats(times: list[float], sizes: list[int], states: list[dict]) -> dict:
    slowest = max(range(len(times)), key=times.__getitem__)
    ordered = sorted(times)
    return {"p50": statistics.median(ordered), "p95": ordered[int(0.95 * (len(ordered) - 1))],
            "bytes": int(statistics.median(sizes)), "n": len(times),
            # which filter state took longest (results.json only: for a p95 that stands out)
            "max": times[slowest], "slowest_state": states[slowest]}


def _measure(send: Callable[[dict], tuple[float, int]], states: list[dict],
             warm: int) -> dict:
    for state in states[:warm]:                 # warm-up: imports, first queries
        send(state)
    times, sizes = [], []
    for state in states:
        ms, size = send(state)
        times.append(ms)
        sizes.append(size)
    return _stats(times, sizes, states)


def _dependencies(port: int, specs: list | None = None) -> dict:
    """The callback specs the bench needs from /_dash-dependencies (``specs``: that list,
    already fetched)."""
    if specs is None:
        status, body = _get(port, "/_dash-dependencies")
        if status != 200:
            raise RuntimeError(f"/_dash-dependencies: HTTP {status}")
        specs = json.loads(body)
    found = [s for s in specs if s["output"].startswith("..app-filters.data@")
             and any(i["id"] == "ops-page-url" for i in s["inputs"])]
    if len(found) != 1:
        raise RuntimeError(f"expected one overview filter controller, found {len(found)}")
    outputs = {s["output"] for s in specs}
    missing = [row.output for _, rows in SECTIONS for row in rows
               if row.output != FILTERS and row.output not in outputs]
    if missing:
        raise RuntimeError(f"the app has no callback for {missing}")
    return {"filters": found[0]}


# --- one scale -------------------------------------------------------------------------------

def ensure_city(scale: str, events: int | None = None) -> Path:
    """bench/out/city-<scale>.duckdb, built once (``events``: default the scale's)."""
    path = OUT / f"city-{scale}.duckdb"
    if not path.exists():
        from data.demo import build_demo
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"building the {scale} city into {path} (once)...", file=sys.stderr)
        t = time.perf_counter()
        build_demo(path, events=events or SCALES[scale], now=NOW)
        print(f"  built in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return path


def run_scale(scale: str, n: int, naive: bool) -> dict:
    path = ensure_city(scale)
    sets = state_sets(_geography(path, n), n)
    rows: dict[str, dict[str, dict]] = {title: {} for title, _ in SECTIONS}
    results: dict = {"events": SCALES[scale], "requests": n, "rows": rows}
    port = _free_port()
    env = {"CITYBRAIN_DB": str(path), "CITYBRAIN_CACHE": "null", "CITYBRAIN_BUILD_DEMO": "0",
           "CITYBRAIN_AUTH": "off"}   # the query speed, not the sign-in
    proc = _start([sys.executable, "-m", "cli", "serve", "--port", str(port)], port, env,
                  OUT / f"app-{scale}.log")
    try:
        deps = _dependencies(port)
        for title, section in SECTIONS:
            for row in section:
                def send(state, row=row):
                    output, inputs, states, changed = _app_request(row, state, deps)
                    return _post(port, output, inputs, states, changed)
                rows[title][row.name] = {"app": _measure(send, sets[row.states], warm=3)}
                if row.table:
                    def send_body(state, body, row=row):
                        output, inputs, states, changed = _app_request(row, state, deps)
                        return _post(port, output, inputs, states, changed, body)
                    rows[title][row.name]["app_totals"] = _table_totals(
                        send_body, sets[row.states], "evt-count")
                print(f"  {scale} app  {row.name:24s} "
                      f"p50 {rows[title][row.name]['app']['p50']:7.1f} ms", file=sys.stderr)
        # what the all-cells map's shapes cost, once per area (ETag, Cache-Control)
        status, body = _get(port, "/geo/grid_cells.geojson")
        results["cells_geojson_bytes"] = len(body) if status == 200 else None
    finally:
        _stop(proc)
    if naive:
        port = _free_port()
        t = time.perf_counter()
        proc = _start([sys.executable, "-m", "bench.naive_app", str(path), str(port)], port,
                      {}, OUT / f"naive-{scale}.log")
        results["naive_start_s"] = time.perf_counter() - t
        try:
            for title, section in SECTIONS:
                for row in section:
                    if not row.naive:
                        continue
                    def send(state, row=row):
                        return _post(port, *_naive_request(row, state))
                    rows[title][row.name]["naive"] = _measure(send, sets[row.states], warm=2)
                    if row.table:
                        def send_body(state, body, row=row):
                            return _post(port, *_naive_request(row, state), body_out=body)
                        totals = _table_totals(send_body, sets[row.states], "count")
                        rows[title][row.name]["naive_totals"] = totals
                        if totals != rows[title][row.name]["app_totals"]:
                            raise RuntimeError(
                                f"{row.name}: the naive table counts {totals} events, the "
                                f"app {rows[title][row.name]['app_totals']}")
                    print(f"  {scale} naive {row.name:24s} "
                          f"p50 {rows[title][row.name]['naive']['p50']:7.1f} ms",
                          file=sys.stderr)
        finally:
            _stop(proc)
    worst = max(((r["app"]["p95"], title, name) for title, section in rows.items()
                 for name, r in section.items()))
    results["worst_app_p95"] = {"ms": worst[0], "section": worst[1], "callback": worst[2]}
    return results


# --- the report ------------------------------------------------------------------------------

def _line(name: str, a: dict, b: dict | None) -> str:
    row = f"  {name:24s} {a['p50']:8.1f} {a['p95']:7.1f} {a['bytes']:9d} | "
    if b:
        row += (f"{b['p50']:9.1f} {b['p95']:8.1f} {b['bytes']:9d} | "
                f"{b['p50'] / a['p50']:6.1f} {b['p95'] / a['p95']:6.1f}")
    else:
        row += f"{'–':>9s} {'–':>8s} {'–':>9s} |"
    return row.rstrip()


def report(scale: str, results: dict) -> str:
    rows = results["rows"]
    lines = [(f"\n== scale {scale} ({SCALES[scale]:,} events, {results['requests']} filter "
              f"states per callback): ms over loopback HTTP, bytes per response (median)"),
             (f"  {'callback':24s} {'app p50':>8s} {'p95':>7s} {'bytes':>9s} | "
              f"{'naive p50':>9s} {'p95':>8s} {'bytes':>9s} | {'x p50':>6s} {'x p95':>6s}")]
    for title, section in SECTIONS:
        lines.append(f"{title}:")
        for row in section:
            r = rows[title][row.name]
            lines.append(_line(row.name, r["app"], r.get("naive")))
        if title in SUMMED:
            paired = [r for r in rows[title].values() if "naive" in r]
            if paired:
                app_ms = sum(r["app"]["p50"] for r in paired)
                naive_ms = sum(r["naive"]["p50"] for r in paired)
                app_bytes = sum(r["app"]["bytes"] for r in paired)
                naive_bytes = sum(r["naive"]["bytes"] for r in paired)
                lines.append(f"  {'same questions, sum':24s} {app_ms:8.1f} {'':7s} "
                             f"{app_bytes:9d} | {naive_ms:9.1f} {'':8s} {naive_bytes:9d} | "
                             f"{naive_ms / app_ms:6.1f}")
        if title.startswith("all grid cells") and results.get("cells_geojson_bytes"):
            lines.append(f"  (the app's cell shapes, /geo/grid_cells.geojson: "
                         f"{results['cells_geojson_bytes']:,} bytes, fetched once per area; "
                         f"the naive map embeds its GeoJSON in every response)")
    if "naive_start_s" in results:
        lines.append(f"naive baseline start-up (loading the events into pandas): "
                     f"{results['naive_start_s']:.1f} s")
    over = [(r["app"]["p95"], f"{title} / {name}") for title, section in rows.items()
            for name, r in section.items() if r["app"]["p95"] >= GOAL_MS]
    worst = results["worst_app_p95"]
    lines.append(f"app: worst callback p95 {worst['ms']:.1f} ms ({worst['section']} / "
                 f"{worst['callback']}); goal < {GOAL_MS} ms: "
                 + ("met" if not over else "missed by " + ", ".join(
                     f"{what} {ms:.1f} ms" for ms, what in sorted(over, reverse=True))))
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
    scales = args.scales.split(",")
    for scale in scales:
        if scale not in SCALES:
            parser.error(f"unknown scale {scale!r}: expected {', '.join(SCALES)}")
    if args.requests < 3:
        parser.error("--requests must be at least 3")
    all_results = {}
    for scale in scales:
        all_results[scale] = run_scale(scale, args.requests, naive=not args.no_naive)
        print(report(scale, all_results[scale]), flush=True)
    (OUT / "results.json").write_text(json.dumps(all_results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
