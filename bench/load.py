"""Load and faults: simulated analysts against gunicorn with Redis, with Redis stopped and
started again and the store file swapped by a load in the middle of the run.

    python -m bench.load [--users 50] [--seconds 300] [--workers 4] [--events 1000000]
                         [--db FILE] [--auth on|off] [--out bench/out/load.json]

It copies a demo city (bench/out/city-1m.duckdb, built once like `python -m bench` does; or
``--db``) to a temporary data folder, starts Debian's redis-server (no persistence) and
``gunicorn 'app:create_server()'`` on free loopback ports (bench/servers.py), and runs locust
as a library (no web UI): each simulated user logs in (with CITYBRAIN_AUTH=on) and then does
cross-filter sessions the way an analyst's browser does: it opens a screen (the page, Dash's
layout and dependencies, the page's render callback, the filter controller reading the URL,
every chart of the screen, and the map's GeoJSON, style and the interface fonts, which a
browser then keeps; a quarter of the sessions load the whole page, the others switch screens
with the header's links as Dash does, without a page load), then changes filters (a map click or the district
dropdown through the filter controller, then every callback listening to the filter store, in
parallel like the browser's renderer), picking districts, townships, grid cells, ranges and
indicators at random, with 1-3 s of think time after each step.

Faults, at fractions of the run: redis-server stopped (SIGTERM) at 40 %, started again
(empty) at 55 %, and at 70 % a real load (`citybrain load indicators` of the city's own codes)
that renames a new file over the served store. Every request is recorded with the phase it
started in (before the fault, Redis down, Redis back, after the file swap); ``/healthz`` is
polled once a second to see which cache each worker uses and which store file it serves.

It prints the requests, throughput, failures and p50/p95/p99 (overall, per request name and
per phase), writes bench/out/load.json, and exits 1 if any request failed or the overall p95
is not under the goal (500 ms).
"""

# locust monkey-patches the standard library for gevent when it is imported: first, and only
# in this process (the test suite runs this module as a subprocess)
from locust import FastHttpUser, between, events, task  # noqa: I001
from locust.env import Environment

import argparse
import datetime as dt
import itertools
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gevent
import gevent.pool

from bench.__main__ import (FILTERS, OUT, ROOT, SCALES, SECTIONS, Row, _app_request,
                            _dependencies, _geography, _payload,
                            callback_body, ensure_city, state_sets)
from bench.servers import Gunicorn, RedisServer

GOAL_P95_MS = 500
#: (phase, the fraction of the run it starts at): the faults happen at these fractions
PHASES = (("before fault", 0.0), ("Redis down", 0.40), ("Redis back", 0.55),
          ("after file swap", 0.70))
#: how many different filter states each kind of change is drawn from
STATES = 400
PASSWORD = "load-bench-Passw0rd!"
CALLBACK = "/_dash-update-component"
FONT_WEIGHTS = (400, 700)


def _row(title: str, name: str) -> Row:
    """A row of the cross-filter bench (bench/__main__.SECTIONS)."""
    return next(r for t, rows in SECTIONS if t == title for r in rows if r.name == name)


def _rows(title: str) -> list[Row]:
    return [r for t, rows in SECTIONS if t == title for r in rows if r.output != FILTERS]


FILTER_TEXT = _row("overview (city and districts)", "filter text")


def _screens() -> dict[str, dict]:
    """Each analysis screen: its path, ID prefix, the callbacks a change of the filter store
    makes the browser post (the bench's rows plus the trail and, on the overview, the map
    legend), and the state sets its filters are drawn from (with weights)."""
    def trail(prefix: str) -> Row:
        return Row("breadcrumbs", f"{prefix}-breadcrumbs.children", "areas")
    overview = [*_rows("overview (city and districts)"), trail("ops"),
                Row("map legend", "ops-map-legend.children", "overview")]
    return {
        "overview": {"path": "/", "prefix": "ops", "rows": overview,
                     "states": (("overview", 0.6), ("drill", 0.35), ("cells", 0.05))},
        "grid": {"path": "/grid", "prefix": "grid",
                 "rows": [*_rows("grid governance"), FILTER_TEXT, trail("grid")],
                 "states": (("areas", 1.0),)},
        # the table's first page on a change; paging, sorting and the filter row after it
        "events": {"path": "/events", "prefix": "evt",
                   "rows": [_rows("event records (20 rows a page)")[0], FILTER_TEXT,
                            trail("evt")],
                   "table": _rows("event records (20 rows a page)")[1:],
                   "states": (("areas", 1.0),)},
        "environment": {"path": "/environment", "prefix": "env",
                        "rows": [*_rows("environment"), FILTER_TEXT, trail("env")],
                        "states": (("environment", 1.0),)},
        "economy": {"path": "/economy", "prefix": "eco",
                    "rows": [*_rows("economy"), FILTER_TEXT, trail("eco")],
                    "states": (("economy", 0.5), ("compare", 0.5))},
    }


#: the share of sessions that load the whole page (a new tab, a reload, a shared link); the
#: others switch screens with the header's links (dcc.Link), as analysts mostly do
RELOADS = 0.25
#: how often a session opens each screen
SCREEN_WEIGHTS = {"overview": 4, "grid": 2, "events": 2, "environment": 1, "economy": 1}


# --- what the simulated browsers need, found once before the run ------------------------------

class Plan:
    """The callback specs, state sets and screens every simulated user shares."""

    def __init__(self, url: str, geo: dict, auth: bool, accounts: list[str]):
        specs = json.loads(_signed_in(url, accounts[0] if auth else None)
                           .open(url + "/_dash-dependencies", timeout=60).read())
        self.deps = _dependencies(0, specs)
        self.screens = _screens()
        outputs = {s["output"] for s in specs}
        missing = [row.output for screen in self.screens.values()
                   for row in (*screen["rows"], *screen.get("table", ()))
                   if row.output not in outputs]
        if missing:
            raise RuntimeError(f"the app has no callback for {missing}")
        self.controllers = {}
        for name, screen in self.screens.items():
            found = [s for s in specs if s["output"].startswith("..app-filters.data@")
                     and any(i["id"] == f"{screen['prefix']}-page-url" for i in s["inputs"])]
            if len(found) != 1:
                raise RuntimeError(f"{name}: expected one filter controller, found {len(found)}")
            self.controllers[name] = found[0]
            # every callback the filter store drives on this screen is posted (but those the
            # browser runs itself: the event grid's reload)
            driven = {s["output"] for s in specs
                      if [i["id"] for i in s["inputs"][:1]] == ["app-filters"]
                      and not s.get("clientside_function")
                      and s["output"].strip(".").startswith(f"{screen['prefix']}-")}
            posted = {row.output for row in (*screen["rows"], *screen.get("table", ()))}
            if driven - posted:
                raise RuntimeError(f"{name}: the filter store also drives {driven - posted}; "
                                   "add them to bench/load.py")
        self.sets = state_sets(geo, STATES)
        self.auth, self.accounts = auth, accounts
        from layouts import theme
        self.style = f"/geo/style/{theme.WALL.name}.json"


def _signed_in(url: str, account: str | None):
    """A urllib opener with a cookie jar, signed in as ``account`` (None: no sign-in)."""
    import http.cookiejar
    import urllib.parse
    import urllib.request
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    if account:
        token = _csrf_input(opener.open(url + "/login", timeout=60).read().decode())
        form = {"username": account, "password": PASSWORD, "csrf_token": token, "next": "/"}
        page = opener.open(url + "/login", urllib.parse.urlencode(form).encode(), timeout=60)
        if "/login" in page.geturl():
            raise RuntimeError(f"{account} could not sign in")
    return opener


def controller_request(spec: dict, prefix: str, state: dict, changed: str,
                       current: dict | None) -> tuple[str, list, list, str]:
    """A screen's filter controller as the browser posts it: from the URL (``changed`` the
    page URL, no store yet) or from the district dropdown (the store before the change as
    State). Inputs in the order /_dash-dependencies lists them."""
    payload = _payload(state)
    values = {f"{prefix}-page-url.search": (current or payload)["query"],
              f"{prefix}-indicator.value": state["indicator"],
              f"{prefix}-district.value": state.get("district"),
              f"{prefix}-step.value": "month"}
    inputs = [[] if item["id"].startswith("{") else
              {**item, "value": values.get(f"{item['id']}.{item['property']}")}
              for item in spec["inputs"]]
    states = [{**item, "value": True if item["property"] == "disabled" else current}
              for item in spec["state"]]
    return spec["output"], inputs, states, changed


def map_geojson(state: dict) -> str:
    """The GeoJSON the overview's map asks for in a state (callbacks/overview.map_layer)."""
    from charts.state import FilterState
    s = FilterState.from_dict(state)
    parent = s.township or s.district
    return f"/geo/{s.map_level}.geojson" + (f"?parent={parent}" if parent else "")


# --- the simulated analyst --------------------------------------------------------------------

class Analyst(FastHttpUser):
    """One analyst's browser. ``plan`` is set before the run."""

    plan: Plan = None
    numbers = itertools.count()
    wait_time = between(1, 3)
    #: the browser's connections to one host (Chromium's limit)
    concurrency = 6
    network_timeout = 60.0
    connection_timeout = 10.0

    #: the users' first screens, in turn: every screen is used even in a short run
    firsts = itertools.count()

    def on_start(self):
        self.cached: set[str] = set()       # the browser's cache
        self.reloaded = False
        self.first: str | None = list(SCREEN_WEIGHTS)[next(Analyst.firsts) % len(SCREEN_WEIGHTS)]
        if self.plan.auth:
            self.login()

    # HTTP -----------------------------------------------------------------------------------

    def get(self, url: str, name: str, kind: str, cache: bool = False) -> bytes | None:
        """GET a URL; ``cache``: a resource the app serves with Cache-Control (scripts,
        fonts, styles, GeoJSON), which the browser asks for once (max-age is an hour)."""
        if cache and url in self.cached:
            return None
        with self.client.get(url, name=name, catch_response=True) as r:
            problem = _check_get(r, kind)
            if problem:
                r.failure(f"{problem} {url}" if name != url else problem)
                return None
            r.success()
            if cache:
                self.cached.add(url)
            return r.content

    def post(self, name: str, output: str, inputs: list, states: list,
             changed: str | None = None) -> None:
        headers = {"Content-Type": "application/json"}
        if self.plan.auth:
            headers["X-CSRFToken"] = self.cookie("_csrf_token") or ""
        with self.client.post(CALLBACK, data=callback_body(output, inputs, states, changed),
                              name=name, headers=headers, catch_response=True) as r:
            if r.status_code == 204:       # PreventUpdate: nothing to change, as in a browser
                r.success()
            elif r.status_code != 200:
                r.failure(f"HTTP {r.status_code}: {getattr(r, 'error', None)!r} "
                          f"{(r.content or b'')[:200]!r}")
            elif b'"response"' not in (r.content or b"")[:200]:
                r.failure(f"not a callback answer: {(r.content or b'')[:200]!r}")
            else:
                r.success()

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.client.cookiejar if c.name == name), None)

    def login(self) -> None:
        """GET /login, then POST its form with the hidden CSRF token (docs/DEPLOY.md)."""
        account = self.plan.accounts[next(Analyst.numbers) % len(self.plan.accounts)]
        with self.client.get("/login", name="GET /login", catch_response=True) as r:
            token = _csrf_input(r.text or "")
            if r.status_code != 200 or not token:
                r.failure(f"HTTP {r.status_code}, csrf_token input: {bool(token)}")
                return
            r.success()
        form = {"username": account, "password": PASSWORD, "csrf_token": token, "next": "/"}
        from urllib.parse import urlencode
        with self.client.post("/login", data=urlencode(form), name="POST /login",
                              headers={"Content-Type": "application/x-www-form-urlencoded"},
                              allow_redirects=False, catch_response=True) as r:
            location = r.headers.get("Location", "")
            if r.status_code not in (302, 303) or "/login" in location:
                r.failure(f"login refused: HTTP {r.status_code} to {location!r}")
            else:
                r.success()

    # what the browser does ------------------------------------------------------------------

    def pick(self, screen: dict) -> dict:
        kinds, weights = zip(*screen["states"])
        return random.choice(self.plan.sets[random.choices(kinds, weights)[0]])

    def charts(self, screen_name: str, screen: dict, state: dict, rows=None) -> None:
        """Every callback the filter store drives, in parallel like Dash's renderer."""
        pool = gevent.pool.Pool(self.concurrency)
        for row in rows or screen["rows"]:
            output, inputs, states, changed = _app_request(row, state, self.plan.deps)
            pool.spawn(self.post, f"{screen_name}: {row.name}", output, inputs, states,
                       changed)
        if screen_name == "overview":          # a new area's shapes, once
            url = map_geojson(state)
            pool.spawn(self.get, url, _geo_name(url), "geojson", cache=True)
        pool.join()

    def open_screen(self, name: str, screen: dict, state: dict, reload: bool) -> None:
        """Open a screen. ``reload``: the whole page from its URL (the page, its scripts,
        Dash's layout and callbacks, the fonts); else a click on the header's links
        (dcc.Link: no page load). Then the render callback, the controller reading the URL,
        the charts, and the map's style and GeoJSON unless the browser has them."""
        query = _payload(state)["query"]
        pool = gevent.pool.Pool(self.concurrency)
        if reload:
            page = self.get(screen["path"] + query, f"GET {screen['path']} (page)", "page")
            for url in _assets(page or b""):
                pool.spawn(self.get, url, "GET dash scripts and styles", "asset", cache=True)
            pool.join()
            self.get("/_dash-layout", "GET /_dash-layout", "json")
            self.get("/_dash-dependencies", "GET /_dash-dependencies", "json")
            for weight in FONT_WEIGHTS:
                pool.spawn(self.get, f"/fonts/citybrain-sans-{weight}.woff2",
                           "GET /fonts/*.woff2", "font", cache=True)
        pool.spawn(self.post, "render page", "app-page.children",
                   [{"id": "app-url", "property": "pathname", "value": screen["path"]}],
                   [{"id": "app-url", "property": "search", "value": query}])
        if name == "overview":
            pool.spawn(self.get, self.plan.style, "GET /geo/style/*.json", "json", cache=True)
        pool.join()
        spec = self.plan.controllers[name]
        output, inputs, states, changed = controller_request(
            spec, screen["prefix"], state, f"{screen['prefix']}-page-url.search", None)
        self.post(f"{name}: filter controller (URL)", output, inputs, states, changed)
        self.charts(name, screen, state)

    def change(self, name: str, screen: dict, state: dict, previous: dict) -> None:
        """A filter change: the controller (a map click on the overview, the district
        dropdown elsewhere), then every callback of the filter store."""
        if name == "overview":
            output, inputs, states, changed = _app_request(
                _row("overview (city and districts)", "filters (map click)"), state,
                self.plan.deps)
            self.post("overview: filter controller (map click)", output, inputs, states,
                      changed)
        else:
            prefix = screen["prefix"]
            output, inputs, states, changed = controller_request(
                self.plan.controllers[name], prefix, state, f"{prefix}-district.value",
                _payload(previous))
            self.post(f"{name}: filter controller (district)", output, inputs, states,
                      changed)
        self.charts(name, screen, state)

    @staticmethod
    def think() -> None:
        gevent.sleep(random.uniform(1, 3))

    @task
    def session(self) -> None:
        """Open a screen, look, change filters 2-6 times, looking after each."""
        name = self.first or random.choices(list(SCREEN_WEIGHTS),
                                            list(SCREEN_WEIGHTS.values()))[0]
        self.first = None
        screen = self.plan.screens[name]
        state = self.pick(screen)
        reload = not self.reloaded or random.random() < RELOADS
        self.reloaded = True
        self.open_screen(name, screen, state, reload)
        for _ in range(random.randint(2, 6)):
            self.think()
            if name == "events" and random.random() < 0.4:
                # page, sort or filter the table without changing the filters
                self.charts(name, screen, state, [random.choice(screen["table"])])
                continue
            previous, state = state, self.pick(screen)
            self.change(name, screen, state, previous)


def _geo_name(url: str) -> str:
    """One name per level: GET /geo/townships.geojson?parent=…"""
    return "GET " + url.split("?")[0] + ("?parent=…" if "?" in url else "")


def _csrf_input(html: str) -> str | None:
    tag = re.search(r"<input[^>]*name=[\"']csrf_token[\"'][^>]*>", html)
    value = re.search(r"value=[\"']([^\"']+)[\"']", tag.group(0)) if tag else None
    return value.group(1) if value else None


def _assets(page: bytes) -> list[str]:
    """The scripts and style sheets a Dash page links (served by the app itself)."""
    text = page.decode(errors="replace")
    urls = re.findall(r"<script[^>]+src=\"([^\"]+)\"", text) + \
        re.findall(r"<link[^>]+href=\"([^\"]+\.css[^\"]*)\"", text)
    return [u for u in urls if u.startswith("/")]


def _check_get(r, kind: str) -> str | None:
    """Why a GET's answer is not what the browser expected, or None."""
    if r.status_code != 200:
        return f"HTTP {r.status_code}: {getattr(r, 'error', None)!r}"
    body = r.content or b""
    if kind == "page" and (b"react-entry-point" not in body or b'name="password"' in body):
        return "not the dashboard's page (a login form?)"
    types = {"json": "json", "geojson": "geo+json", "font": "font/woff2"}
    if kind in types and types[kind] not in r.headers.get("Content-Type", ""):
        return f"Content-Type {r.headers.get('Content-Type')!r}"
    return None


# --- the run ----------------------------------------------------------------------------------

def _percentile(ordered: list[float], q: float) -> float:
    """Nearest rank."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def _summary(samples: list[tuple], seconds: float | None = None) -> dict:
    times = sorted(s[2] for s in samples if s[3] is None)
    out = {"requests": len(samples), "failures": sum(1 for s in samples if s[3] is not None),
           "p50": _percentile(times, 0.50), "p95": _percentile(times, 0.95),
           "p99": _percentile(times, 0.99), "max": times[-1] if times else float("nan")}
    if seconds:
        out["rps"] = len(samples) / seconds
    return out


def _indicators_csv(db: Path, folder: Path) -> Path:
    """A small statistics file in the city's own district codes: this month's retail sales."""
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    try:
        codes = [c for (c,) in con.execute("SELECT code FROM districts ORDER BY code")
                 .fetchall()]
    finally:
        con.close()
    path = folder / "retail.csv"
    path.write_text("地区,指标,时间,数值\n" + "".join(
        f"{code},retail_sales,2026-10,{50 + i * 3.7:.1f}\n" for i, code in enumerate(codes)),
        encoding="utf-8")
    return path


class Faults:
    """The faults at their fractions of the run, and /healthz once a second."""

    def __init__(self, redis: RedisServer, server: Gunicorn, db: Path, csv: Path, env: dict,
                 seconds: float):
        self.redis, self.server, self.db, self.csv, self.env = redis, server, db, csv, env
        self.seconds = seconds
        self.timeline: list[dict] = []
        self.health: list[dict] = []
        self.start = time.time()

    def note(self, what: str, **more) -> None:
        at = time.time() - self.start
        self.timeline.append({"t": round(at, 2), "what": what, **more})
        print(f"[{dt.datetime.now():%H:%M:%S} +{at:6.1f} s] {what}"
              + "".join(f" {k}={v}" for k, v in more.items()), file=sys.stderr, flush=True)

    def until(self, fraction: float) -> None:
        gevent.sleep(max(0.0, self.start + fraction * self.seconds - time.time()))

    def inject(self) -> None:
        phases = dict(PHASES)
        self.until(phases["Redis down"])
        self.note("stopping redis-server (SIGTERM)")
        self.redis.stop()
        self.note("redis-server stopped")
        self.until(phases["Redis back"])
        self.redis.start()
        self.note("redis-server started again (empty)")
        self.until(phases["after file swap"])
        before = self.server.health()["store"]
        self.swapped_from = before
        self.note("citybrain load indicators: start", store=before)
        done = subprocess.run(
            [sys.executable, "-m", "cli", "load", "indicators", str(self.csv), "--db",
             str(self.db), "--quiet"], cwd=ROOT, env=self.env, capture_output=True, text=True)
        self.note(f"citybrain load indicators: exit {done.returncode}",
                  output=done.stderr.strip().splitlines()[-1:] or "")
        self.load_exit = done.returncode

    def watch(self) -> None:
        while True:
            try:
                h = self.server.health(timeout=5)
                self.health.append({"t": round(time.time() - self.start, 2), "pid": h["pid"],
                                    "cache": h["cache"], "store": h["store"]})
            except OSError as exc:
                self.health.append({"t": round(time.time() - self.start, 2),
                                    "error": str(exc)})
            gevent.sleep(1)


def _warm_up(server: Gunicorn, workers: int, rounds: int = 12) -> float:
    """Have every worker cut the interface fonts before the users come (fontTools holds a
    worker for a second or more per weight, once per store file): rounds of concurrent font
    requests until one round answers quickly. Returns the seconds it took (not measured)."""
    import urllib.request
    start = time.perf_counter()

    def fetch(weight):
        t = time.perf_counter()
        with urllib.request.urlopen(f"{server.url}/fonts/citybrain-sans-{weight}.woff2",
                                    timeout=120) as r:
            r.read()
        return time.perf_counter() - t
    for weight in FONT_WEIGHTS:
        fast = 0
        for _ in range(rounds):       # until two rounds in a row find every answer ready
            jobs = [gevent.spawn(fetch, weight) for _ in range(2 * workers)]
            gevent.joinall(jobs, raise_error=True)
            fast = fast + 1 if max(j.value for j in jobs) < 0.3 else 0
            if fast == 2:
                break
    return time.perf_counter() - start


def _cpu(server: Gunicorn, before: dict | None = None, seconds: float = 0) -> dict:
    """CPU seconds of gunicorn (master and workers) and of this process (the load
    generator); with ``before``, what was used since, in cores on average, and the machine's
    load average (other work on a shared machine shows there)."""
    import psutil

    def used(p):
        t = p.cpu_times()
        return t.user + t.system
    master = psutil.Process(server.process.pid)
    machine = psutil.cpu_times()
    workers = {c.pid: used(c) for c in master.children(recursive=True)}
    now = {"gunicorn": used(master) + sum(workers.values()),
           "generator": used(psutil.Process()),
           "machine": sum(machine) - machine.idle - getattr(machine, "iowait", 0)}
    if before is None:
        return {**now, "workers": workers}
    cores = {k: (now[k] - before[k]) / seconds for k in now}
    # how evenly the workers shared the work (a kept-alive connection stays with one worker)
    spread = sorted(round((t - before["workers"].get(pid, 0)) / seconds, 2)
                    for pid, t in workers.items())
    return {"gunicorn_cores": cores["gunicorn"], "generator_cores": cores["generator"],
            # everything else busy on the machine meanwhile: redis-server, the load's
            # process, and whatever else runs there
            "other_cores": cores["machine"] - cores["gunicorn"] - cores["generator"],
            "load_average_1min": os.getloadavg()[0], "machine_cores": os.cpu_count(),
            "worker_cores": spread}


def _final_health(server: Gunicorn, pids: set, old_store: str | None = None,
                  tries: int = 100) -> dict:
    """Each worker's last /healthz: asked until every worker seen has answered, on Redis and
    no longer on ``old_store`` (a load that ended as the run did is picked up by a worker's
    next request; ten seconds at most)."""
    last: dict = {}
    for _ in range(tries):
        h = server.health()
        last[h["pid"]] = {"cache": h["cache"], "store": h["store"]}
        if set(last) >= pids and all(v["cache"] == "redis" and v["store"] != old_store
                                     for v in last.values()):
            break
        gevent.sleep(0.1)
    return last


def _add_accounts(env: dict, n: int) -> list[str]:
    """Analyst accounts via `citybrain users add NAME --role analyst --password-stdin`."""
    names = [f"analyst{i:02d}" for i in range(1, n + 1)]

    def add(name):
        done = subprocess.run([sys.executable, "-m", "cli", "users", "add", name, "--role",
                               "analyst", "--password-stdin"], cwd=ROOT, env=env,
                              input=PASSWORD + "\n", capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"citybrain users add {name}: {done.stderr.strip()}")
    for name in names:          # one at a time: each opens the access database to write
        add(name)
    return names


def run(args) -> dict:
    source = Path(args.db) if args.db else ensure_city(
        next((k for k, v in SCALES.items() if v == args.events), str(args.events)),
        args.events)
    folder = Path(tempfile.mkdtemp(prefix="citybrain-load-"))
    redis = server = None
    try:
        db = Path(shutil.copy(source, folder / "city.duckdb"))
        geo = _geography(db, STATES)
        redis = RedisServer(folder).start()
        env = {**os.environ, "CITYBRAIN_DB": str(db), "CITYBRAIN_BUILD_DEMO": "0",
               "CITYBRAIN_AUTH": args.auth, "REDIS_URL": redis.url}
        accounts = _add_accounts(env, min(args.users, args.accounts)) \
            if args.auth == "on" else []
        OUT.mkdir(parents=True, exist_ok=True)
        server = Gunicorn(db, {k: env[k] for k in ("CITYBRAIN_AUTH", "REDIS_URL")},
                          workers=args.workers, threads=args.threads,
                          keep_alive=args.keep_alive,
                          log=Path(args.out).with_suffix(".gunicorn.log")).start()
        print(f"warm-up (fonts cut by every worker, not measured): "
              f"{_warm_up(server, args.workers):.1f} s", file=sys.stderr, flush=True)
        Analyst.plan = Plan(server.url, geo, args.auth == "on", accounts)
        Analyst.host = server.url
        return _locust(args, redis, server, db, _indicators_csv(db, folder), env)
    finally:
        if server:
            server.stop()
        if redis:
            redis.stop()
        shutil.rmtree(folder, ignore_errors=True)


def analysts(url: str) -> tuple[Environment, object, list[tuple]]:
    """Locust's environment and local runner of ``Analyst`` users against ``url``, and the
    list every request is recorded in: (start, name, ms, error or None, bytes)."""
    environment = Environment(user_classes=[Analyst], events=events, host=url)
    samples: list[tuple] = []

    def record(request_type, name, response_time, response_length, exception=None,
               start_time=None, **_):
        samples.append((start_time or time.time(), name, response_time,
                        None if exception is None else str(exception)[:300],
                        response_length))
    environment.events.request.add_listener(record)
    return environment, environment.create_local_runner(), samples


def _locust(args, redis, server, db, csv, env) -> dict:
    environment, runner, samples = analysts(server.url)
    faults = Faults(redis, server, db, csv, env, args.seconds)
    faults.note(f"start: {args.users} users at {args.spawn_rate}/s for {args.seconds} s, "
                f"{args.workers} gunicorn workers x {args.threads} threads, "
                f"auth {args.auth}")
    cpu = _cpu(server)
    watcher = gevent.spawn(faults.watch)
    injector = gevent.spawn(faults.inject)
    runner.start(args.users, spawn_rate=args.spawn_rate)
    gevent.spawn_later(args.seconds, runner.quit)
    runner.greenlet.join()
    faults.note("stop")
    injector.join(timeout=120)
    watcher.kill()
    elapsed = time.time() - faults.start
    pids = {h["pid"] for h in faults.health if "pid" in h}
    final = _final_health(server, pids, getattr(faults, "swapped_from", None))
    keys = len(redis.keys())
    result = _results(args, samples, faults, elapsed, final, keys, environment, runner)
    result["cpu"] = _cpu(server, cpu, elapsed)
    result["cpu"]["gunicorn_ms_per_request"] = \
        1000 * result["cpu"]["gunicorn_cores"] * elapsed / max(1, len(samples))
    result["cpu"] = {k: round(v, 2) if isinstance(v, float) else v
                     for k, v in result["cpu"].items()}
    # a worker killed (timeout) or crashed and booted again would cost requests in flight
    log = server.output(None)
    result["worker_restarts"] = log.count("Booting worker") - args.workers
    result["worker_timeouts"] = log.count("WORKER TIMEOUT")
    return result


def _results(args, samples, faults, elapsed, final, keys, environment, runner) -> dict:
    start = faults.start
    bounds = [(name, start + f * args.seconds) for name, f in PHASES]
    phases = {}
    for i, (name, begin) in enumerate(bounds):
        end = bounds[i + 1][1] if i + 1 < len(bounds) else float("inf")
        chosen = [s for s in samples if begin <= s[0] < end]
        length = (min(end, start + elapsed) - begin)
        phases[name] = {**_summary(chosen, length),
                        "caches": sorted({h["cache"] for h in faults.health
                                          if "cache" in h and begin <= start + h["t"] < end}),
                        "stores": len({h["store"] for h in faults.health
                                       if "store" in h and begin <= start + h["t"] < end})}
    names = sorted({s[1] for s in samples})
    by_name = {n: _summary([s for s in samples if s[1] == n]) for n in names}
    failures = [{"t": round(s[0] - start, 2), "name": s[1], "error": s[3]}
                for s in samples if s[3] is not None]
    stores_before = {h["store"] for h in faults.health
                     if "store" in h and h["t"] < dict(PHASES)["after file swap"] * args.seconds}
    return {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "args": {k: v for k, v in vars(args).items()},
        "seconds": round(elapsed, 1),
        "overall": _summary(samples, elapsed),
        "phases": phases,
        "by_name": by_name,
        "failures": failures[:200],
        "timeline": faults.timeline,
        "load_exit": getattr(faults, "load_exit", None),
        "health_errors": [h for h in faults.health if "error" in h],
        "health": faults.health,
        "final_health": {str(k): v for k, v in final.items()},
        "store_swapped": bool(final) and not stores_before & {v["store"] for v in
                                                               final.values()},
        "redis_keys_at_end": keys,
        "locust": {"requests": environment.stats.total.num_requests,
                   "failures": environment.stats.total.num_failures,
                   "cpu_warning": bool(runner.cpu_warning_emitted)},
    }


def report(r: dict) -> str:
    o = r["overall"]
    lines = [
        f"load: {r['args']['users']} users, {r['seconds']:.0f} s, {r['args']['workers']} "
        f"gunicorn workers x {r['args']['threads']} threads, Redis, auth {r['args']['auth']}",
        f"requests {o['requests']:,}  throughput {o['rps']:.1f} req/s  failures "
        f"{o['failures']}",
        f"latency ms: p50 {o['p50']:.1f}  p95 {o['p95']:.1f}  p99 {o['p99']:.1f}  "
        f"max {o['max']:.0f}",
        "", f"  {'phase':18s} {'requests':>9s} {'req/s':>7s} {'fail':>5s} {'p50':>7s} "
        f"{'p95':>7s} {'p99':>7s}  caches seen on /healthz"]
    for name, p in r["phases"].items():
        lines.append(f"  {name:18s} {p['requests']:9d} {p.get('rps', 0):7.1f} "
                     f"{p['failures']:5d} {p['p50']:7.1f} {p['p95']:7.1f} {p['p99']:7.1f}  "
                     f"{','.join(p['caches'])}")
    lines += ["", f"  {'request':52s} {'n':>7s} {'fail':>5s} {'p50':>7s} {'p95':>7s} "
                  f"{'p99':>7s}"]
    for name, p in sorted(r["by_name"].items(), key=lambda kv: -kv[1]["p95"]):
        lines.append(f"  {name[:52]:52s} {p['requests']:7d} {p['failures']:5d} "
                     f"{p['p50']:7.1f} {p['p95']:7.1f} {p['p99']:7.1f}")
    caches = sorted({v["cache"] for v in r["final_health"].values()})
    lines += ["", f"at the end: workers' caches {','.join(caches)}, Redis keys "
                  f"{r['redis_keys_at_end']}, store swapped on every worker: "
                  f"{r['store_swapped']}, load exit {r['load_exit']}"
              + f", workers booted again: {r['worker_restarts']}",
              f"CPU over the run: gunicorn {r['cpu']['gunicorn_cores']:.1f} cores, the load "
              f"generator {r['cpu']['generator_cores']:.1f}, everything else "
              f"{r['cpu']['other_cores']:.1f}, of {r['cpu']['machine_cores']} "
              f"(gunicorn {r['cpu']['gunicorn_ms_per_request']:.1f} ms a request; workers "
              f"{', '.join(str(c) for c in r['cpu']['worker_cores'])} cores); "
              f"load average at the end {r['cpu']['load_average_1min']:.1f}"
              + (", locust's CPU warning: the load generator was saturated"
                 if r["locust"]["cpu_warning"] else "")]
    for f in r["failures"][:10]:
        lines.append(f"  failure at +{f['t']} s {f['name']}: {f['error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="per worker (docs/DEPLOY.md)")
    parser.add_argument("--keep-alive", type=int, default=75,
                        help="gunicorn's --keep-alive in seconds (75, as nginx; gunicorn's "
                             "own 2 s closes connections the client is about to reuse, "
                             "see bench/README.md)")
    parser.add_argument("--events", type=int, default=SCALES["1m"],
                        help="the demo city's size (built once under bench/out/)")
    parser.add_argument("--db", help="serve a copy of this store instead of a demo city")
    parser.add_argument("--auth", choices=("on", "off"), default="on",
                        help="CITYBRAIN_AUTH: users log in (on) or not")
    parser.add_argument("--accounts", type=int, default=10,
                        help="analyst accounts the users share (auth on)")
    parser.add_argument("--goal-p95", type=float, default=GOAL_P95_MS)
    parser.add_argument("--out", default=str(OUT / "load.json"))
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds < 10:
        parser.error("--users must be at least 1 and --seconds at least 10")
    result = run(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(report(result), flush=True)
    o = result["overall"]
    ok = (o["failures"] == 0 and o["p95"] < args.goal_p95 and result["load_exit"] == 0
          and result["worker_restarts"] == 0 and result["store_swapped"])
    print(f"goal: no failed request, no worker restarted, the store swapped, and p95 < "
          f"{args.goal_p95:.0f} ms: "
          + ("met" if ok else "MISSED"), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
