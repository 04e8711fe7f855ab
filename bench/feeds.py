"""Feeds while analysts browse: a city's systems post events as analysts work.

    python -m bench.feeds [--events 1000000] [--seconds 120] [--users 20] [--batch 10000]
                          [--db FILE] [--out bench/out/feeds.json]

It copies a demo city (bench/out/city-<scale>.duckdb, built once like `python -m bench`; or
``--db``) to a temporary folder and starts gunicorn as docs/DEPLOY.md does: the store's
service, which owns the file and writes the feeds, two workers with threads asking it, and
Redis (``--writes in-place``: one worker that owns the file). Then, for ``--seconds``:

- ``--users`` simulated analysts (bench/load.py's, signed in) do cross-filter sessions;
- ``--senders`` feeders (2) post ``--batch``-event batches to ``/api/v1/feeds/events`` back to
  back, or ``--rate`` events a second between them (CSV, as a 12345 hotline's system would):
  events reported in the last two hours before the city's
  as-of time, under new ids, and every other batch also re-sends the previous one with its
  events closed (an upsert of the same ids);
- a prober posts a single new event every second: the time to its 200 is the time until the
  next query reads it (the batch is committed before the answer);
- a wall display (signed in with a kiosk token) asks for its refresh every ``--wall-every``
  seconds (10), as a whole (what changed after a batch is most of it).

It prints events/s sustained, the batches' and the single events' p50/p95, the analysts'
p50/p95/p99 and failures, writes bench/out/feeds.json and exits 1 unless every goal is met:
>= 5,000 events/s (at a ``--rate``: that rate offered and kept up with), analysts' p95 <
500 ms and no failed request, single event p95 < 1 s, the wall's refresh p95 < 5 s (a posted
event is on the wall within its refresh interval plus 5 s) and none failed.
"""

# locust patches the standard library for gevent when it is imported: first
import locust  # noqa: F401,I001

import argparse
import datetime as dt
import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import gevent
import gevent.event

from bench.__main__ import NOW, OUT, SCALES, _geography, callback_body, ensure_city
from bench.load import (STATES, Analyst, Plan, _add_accounts, _cpu, _percentile, _summary,
                        _warm_up, analysts)
from bench.servers import Gunicorn, RedisServer
from settings import STORE_WRITES

GOALS = {"events_per_s": 5000, "analyst_p95_ms": 500, "single_p95_ms": 1000,
         "wall_p95_ms": 5000}
#: Seconds between two health checks, as a load balancer asks (nginx Plus, HAProxy: 2-5 s).
HEALTH_EVERY = 2
#: Seconds between two looks at the store's service (its descriptors, threads, memory).
SERVICE_EVERY = 10

COLUMNS = ["event_id", "grid_code", "category", "channel", "department_code", "reported_at",
           "accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at",
           "deadline_at", "returned_count", "satisfaction", "lon", "lat"]
STAGES = ["reported_at", "accepted_at", "dispatched_at", "handled_at", "verified_at",
          "closed_at", "deadline_at"]


def _templates(db: Path, n: int):
    """``n`` of the city's events as the rows new ones are made of (read before the server
    owns the file)."""
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT {', '.join(COLUMNS)} FROM grid_events USING SAMPLE "
                           f"{int(n)} ROWS (reservoir, 7)").df()
    finally:
        con.close()


class Batches:
    """Batches of new events (open, reported in the two hours before the as-of time) and,
    every other batch, the previous batch's events closed."""

    def __init__(self, templates, size: int):
        import numpy as np
        self.templates, self.size = templates.head(size).reset_index(drop=True), size
        self.rng = np.random.default_rng(11)
        self.next_id = 2_000_000_000
        self.previous = None

    def new(self, n: int | None = None):
        import pandas as pd
        frame = self.templates.head(n or self.size).copy()
        frame["event_id"] = range(self.next_id, self.next_id + len(frame))
        self.next_id += len(frame)
        reported = pd.Timestamp(NOW) - pd.to_timedelta(
            self.rng.integers(5, 120, len(frame)), unit="min")
        shift = reported - frame["reported_at"]
        for stage in STAGES:
            frame[stage] = frame[stage] + shift
        for stage in ("dispatched_at", "handled_at", "verified_at", "closed_at"):
            frame[stage] = pd.NaT
        frame["accepted_at"] = frame["reported_at"] + pd.Timedelta(minutes=2)
        frame["satisfaction"] = None
        return frame

    def body(self, frame) -> bytes:
        return frame[COLUMNS].to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S").encode()

    def __iter__(self):
        import pandas as pd
        turn = 0
        while True:
            frame = self.new()
            if turn % 2 and self.previous is not None:
                closed = self.previous.copy()
                for stage in ("dispatched_at", "handled_at", "verified_at", "closed_at"):
                    closed[stage] = closed["reported_at"] + pd.Timedelta(minutes=4)
                frame = pd.concat([frame.head(self.size - len(closed)), closed])
            self.previous = frame.head(self.size // 2)
            turn += 1
            yield len(frame), self.body(frame)


def _timed(request, timeout: float, open_=urllib.request.urlopen
           ) -> tuple[int, float, bytes]:
    """(status, ms, body) of a request (an error status: no body)."""
    start = time.perf_counter()
    try:
        with open_(request, timeout=timeout) as response:
            body = response.read()
            return response.status, (time.perf_counter() - start) * 1000, body
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, (time.perf_counter() - start) * 1000, b""


def _post(url: str, token: str, body: bytes) -> tuple[int, float, int]:
    """(status, ms, accepted)."""
    status, ms, answer = _timed(urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "text/csv"}), 120)
    return status, ms, json.loads(answer)["accepted"] if status < 400 else 0


def _get(url: str) -> tuple[int, float]:
    """(status, ms) of a GET; status 0: no answer (refused, or none in 30 s)."""
    start = time.perf_counter()
    try:
        return _timed(url, 30)[:2]
    except OSError:             # URLError, a timeout: counted as failed, not lost
        return 0, (time.perf_counter() - start) * 1000


class WallDisplay:
    """A wall display signed in with a kiosk token, asking for its refresh as its page does
    (POST /_dash-update-component with the CSRF cookie's token)."""

    def __init__(self, url: str, kiosk: str):
        import http.cookiejar
        self.url, self.jar = url, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(f"{url}/wall?kiosk={kiosk}", timeout=60).read()
        specs = json.loads(self.opener.open(url + "/_dash-dependencies", timeout=60).read())
        found = [s for s in specs if any(i["id"] == "wall-refresh" for i in s["inputs"])]
        if len(found) != 1:
            raise RuntimeError(f"expected one wall refresh callback, found {len(found)}")
        self.output = found[0]["output"]
        self.turn = 0

    def refresh(self) -> tuple[int, float]:
        """(status, ms) of one refresh, everything the wall shows asked for."""
        self.turn += 1
        body = callback_body(
            self.output, [{"id": "wall-refresh", "property": "n_intervals", "value": self.turn}],
            [{"id": "wall-config", "property": "data", "value": {"lang": "zh"}},
             {"id": "wall-shown", "property": "data", "value": None}])
        token = next((c.value for c in self.jar if c.name == "_csrf_token"), "")
        request = urllib.request.Request(self.url + "/_dash-update-component", data=body,
                                         method="POST", headers={
                                             "Content-Type": "application/json",
                                             "X-CSRFToken": token})
        return _timed(request, 120, self.opener.open)[:2]


def run(args) -> dict:
    scale = next((k for k, v in SCALES.items() if v == args.events), None)
    source = Path(args.db) if args.db else ensure_city(scale or str(args.events), args.events)
    folder = Path(tempfile.mkdtemp(prefix="citybrain-feeds-"))
    redis = server = None
    try:
        db = Path(shutil.copy(source, folder / "city.duckdb"))
        geo = _geography(db, STATES)
        batches = Batches(_templates(db, max(args.batch, 1)), max(args.batch, 1))
        redis = RedisServer(folder).start()
        env = {**os.environ, "CITYBRAIN_DB": str(db), "CITYBRAIN_BUILD_DEMO": "0",
               "CITYBRAIN_AUTH": "on", "REDIS_URL": redis.url}
        accounts = _add_accounts(env, min(max(args.users, 1), 10))   # the plan signs in
        from data.access import Access
        access = Access(folder / "access.sqlite")
        token = access.add_feed_token("bench-hotline", "events")
        _, kiosk = access.add_kiosk("bench wall")
        server = Gunicorn(db, {"CITYBRAIN_AUTH": "on", "REDIS_URL": redis.url,
                               "CITYBRAIN_FEED_MAX_ROWS": str(max(args.batch, 50_000)),
                               "CITYBRAIN_FEED_RATE": "100000 per minute",
                               "CITYBRAIN_STORE_WRITES": args.writes},
                          workers=args.workers, threads=args.threads, keep_alive=75,
                          log=Path(args.out).with_suffix(".gunicorn.log")).start()
        _warm_up(server, args.workers)
        Analyst.plan = Plan(server.url, geo, True, accounts)
        Analyst.host = server.url
        return _measure(args, server, batches, token, WallDisplay(server.url, kiosk))
    finally:
        if server:
            server.stop()
        if redis:
            redis.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _measure(args, server: Gunicorn, batches: Batches, token: str, wall: WallDisplay
             ) -> dict:
    _, runner, samples = analysts(server.url)
    url = server.url + "/api/v1/feeds/events"
    fed: list[tuple] = []           # (status, ms, accepted, rows sent)
    single: list[tuple] = []
    stop = gevent.event.Event()

    source = iter(batches)

    def feed():
        due = time.monotonic()
        while not stop.is_set():
            rows, body = next(source)
            status, ms, accepted = _post(url, token, body)
            fed.append((status, ms, accepted, rows))
            if args.rate:       # this sender's share of the rate; behind it, at once
                due += rows * args.senders / args.rate
                gevent.sleep(max(0.0, due - time.monotonic()))

    def probe():
        while not stop.is_set():
            status, ms, _ = _post(url, token, batches.body(batches.new(1)))
            single.append((status, ms))
            gevent.sleep(1)

    refreshes: list[tuple] = []

    def watch():
        while not stop.is_set():
            refreshes.append(wall.refresh())
            gevent.sleep(args.wall_every)

    # a load balancer's health check, every HEALTH_EVERY seconds: one that waits past its
    # timeout (often 2-5 s) takes the server out of rotation, every screen with it
    health: list[tuple] = []

    def check():
        while not stop.is_set():
            health.append(_get(server.url + "/healthz"))
            gevent.sleep(HEALTH_EVERY)

    service: list[tuple] = []

    def look_at_service():
        while not stop.is_set():
            found = _service_use(server)
            if found:
                service.append((round(time.time() - start), *found))
            gevent.sleep(SERVICE_EVERY)

    cpu = _cpu(server)
    start = time.time()
    looker = gevent.spawn(look_at_service)
    if args.users:
        runner.start(args.users, spawn_rate=args.users)
        gevent.sleep(5)             # the analysts are browsing
    feeding = time.time()
    feeders = [gevent.spawn(feed) for _ in range(args.senders if args.batch else 0)]
    others = ([gevent.spawn(probe)] if args.probe else []) + (
        [gevent.spawn(watch)] if args.wall_every else []) + [gevent.spawn(check)]
    gevent.sleep(args.seconds)
    stop.set()
    gevent.joinall(feeders, timeout=180)
    fed_seconds = time.time() - feeding     # not counting the wait for a last probe's answer
    gevent.joinall([*others, looker], timeout=180)
    runner.quit()
    elapsed = time.time() - start
    accepted = sum(f[2] for f in fed if f[0] == 200)
    result = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "args": vars(args), "seconds_fed": round(fed_seconds, 1),
        "events_per_s": accepted / fed_seconds if args.batch else 0,
        "batches": _answered(fed, {200}) | {"statuses": sorted({f[0] for f in fed})},
        "single": _answered(single, {200}),
        "wall": _answered(refreshes, {200, 204}),     # 204: nothing changed
        "health": _answered(health, {200}) | {"max": max((h[1] for h in health), default=0)},
        "analysts": _summary(samples, elapsed),
        # what the analysts asked, request by request (a change in the mix shows here)
        "analysts_by_name": {name: _summary([x for x in samples if x[1] == name])
                             for name in sorted({x[1] for x in samples})},
        "cpu": _cpu(server, cpu, elapsed),
        # (second, descriptors, threads, MB resident) every SERVICE_EVERY s: a leak shows
        "service": service,
    }
    result["cpu"] = {k: round(v, 2) if isinstance(v, float) else v
                     for k, v in result["cpu"].items()}
    return result


def _service_use(server: Gunicorn) -> tuple[int, int, int] | None:
    """The store's service's open descriptors, threads and resident MB (gunicorn's master
    started it: CITYBRAIN_STORE_WRITES=service); None without one."""
    import psutil
    for child in psutil.Process(server.process.pid).children():
        try:
            if "data.service" in child.cmdline():
                return (child.num_fds(), child.num_threads(),
                        round(child.memory_info().rss / 2**20))
        except psutil.NoSuchProcess:
            continue
    return None


def _answered(sent: list[tuple], ok: set[int]) -> dict:
    """How many of ``sent`` ((status, ms, ...) each) were sent and failed, and the p50/p95
    of those answered with an ``ok`` status."""
    ms = sorted(one[1] for one in sent if one[0] in ok)
    return {"sent": len(sent), "failed": len(sent) - len(ms),
            "p50": _percentile(ms, 0.5), "p95": _percentile(ms, 0.95)}


def report(r: dict) -> str:
    a, b, s, w = r["analysts"], r["batches"], r["single"], r["wall"]
    city = (f"a copy of {Path(r['args']['db']).name}" if r["args"].get("db")
            else f"{r['args']['events']:,}-event city")
    return "\n".join([
        f"feeds: {city}, {r['args']['batch']:,}-event batches for "
        f"{r['seconds_fed']:.0f} s from {r['args']['senders']} senders, {r['args']['users']} analysts, {r['args']['workers']} "
        f"gunicorn worker(s) x "
        f"{r['args']['threads']} threads, Redis, CITYBRAIN_STORE_WRITES={r['args']['writes']}",
        f"events written: {r['events_per_s']:,.0f}/s"
        f"{' of ' + format(r['args']['rate'], ',') + ' offered' if r['args'].get('rate') else ''}"
        f"  ({b['sent']} batches, {b['failed']} "
        f"failed; a batch p50 {b['p50']:.0f} ms, p95 {b['p95']:.0f} ms)",
        f"a single posted event readable after: p50 {s['p50']:.0f} ms, p95 {s['p95']:.0f} ms "
        f"({s['sent']} sent, {s['failed']} failed)",
        f"the wall's refresh: p50 {w['p50']:.0f} ms, p95 {w['p95']:.0f} ms ({w['sent']} asked, "
        f"{w['failed']} failed)",
        f"/healthz: p50 {r['health']['p50']:.0f} ms, p95 {r['health']['p95']:.0f} ms, "
        f"max {r['health']['max']:.0f} ms ({r['health']['sent']} asked, "
        f"{r['health']['failed']} failed)",
        f"analysts: {a['requests']:,} requests, {a['failures']} failed, p50 {a['p50']:.0f} ms, "
        f"p95 {a['p95']:.0f} ms, p99 {a['p99']:.0f} ms",
        f"CPU: gunicorn {r['cpu']['gunicorn_cores']:.1f} cores, the generator "
        f"{r['cpu']['generator_cores']:.1f}, of {r['cpu']['machine_cores']}",
        *([_service_line(r["service"])] if r.get("service") else [])])


def _service_line(samples: list) -> str:
    _, fds, threads, rss = zip(*samples)
    return (f"the store's service: descriptors {min(fds)}-{max(fds)}, threads "
            f"{min(threads)}-{max(threads)}, memory {rss[0]:,} -> {rss[-1]:,} MB "
            f"({len(samples)} looks)")


def _enough_written(r: dict) -> bool:
    """Back to back: the goal's events a second. At a ``--rate`` (the batches' count is the
    rate's): at least the goal's offered, and written within one batch per sender of it."""
    rate, seconds = r["args"].get("rate") or 0, r["seconds_fed"]
    if not rate:
        return r["events_per_s"] >= GOALS["events_per_s"]
    behind = (rate - r["events_per_s"]) * seconds
    return rate >= GOALS["events_per_s"] and behind <= r["args"]["batch"] * r["args"]["senders"]


def met(r: dict) -> bool:
    return (_enough_written(r)
            and r["analysts"]["p95"] < GOALS["analyst_p95_ms"]
            and r["analysts"]["failures"] == 0 and r["batches"]["failed"] == 0
            and r["single"]["p95"] < GOALS["single_p95_ms"] and r["single"]["failed"] == 0
            and r["wall"]["p95"] < GOALS["wall_p95_ms"] and r["wall"]["failed"] == 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feeds", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=SCALES["1m"],
                        help="the demo city's size (built once under bench/out/)")
    parser.add_argument("--db", help="serve a copy of this store instead of a demo city")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--batch", type=int, default=10_000,
                        help="events a batch (0: no batches, the analysts and the prober "
                             "only: the baseline)")
    parser.add_argument("--senders", type=int, default=2,
                        help="batches in flight at once (a system's parallel senders: one is "
                             "read while the one before it is written)")
    parser.add_argument("--rate", type=int, default=0,
                        help="events a second the senders offer between them (0: each posts "
                             "its next batch as soon as the last is answered, the most the "
                             "server sustains); at the goal's 5000 the analysts' figures "
                             "are those of the goal's load")
    parser.add_argument("--no-probe", dest="probe", action="store_false",
                        help="no single events either: the analysts alone")
    parser.add_argument("--wall-every", type=float, default=10,
                        help="seconds between a wall display's refreshes (0: no wall)")
    parser.add_argument("--threads", type=int, default=16,
                        help="threads a worker, as gunicorn.conf.py serves a store written "
                             "in place or by its service")
    parser.add_argument("--workers", type=int,
                        help="gunicorn's workers (default: 1 with in-place, else 2)")
    parser.add_argument("--writes", choices=STORE_WRITES, default="service",
                        help="CITYBRAIN_STORE_WRITES: service (gunicorn's default), the store "
                             "in a process of its own and --workers asking it; in-place, "
                             "one worker owning it; copy, every batch a copy of the store")
    parser.add_argument("--out", default=str(OUT / "feeds.json"))
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = 1 if args.writes == "in-place" else 2
    result = run(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    print(report(result), flush=True)
    ok = met(result)
    print(f"goals: >= {GOALS['events_per_s']:,} events/s, analysts p95 < "
          f"{GOALS['analyst_p95_ms']} ms and no failure, a single event p95 < "
          f"{GOALS['single_p95_ms']} ms, the wall's refresh p95 < {GOALS['wall_p95_ms']} ms: "
          + ("met" if ok else "MISSED"), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
