"""Serving as in docs/DEPLOY.md: gunicorn workers sharing a real Redis, a load reaching every
worker, and Redis stopping and coming back under a running app."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.servers import Gunicorn, RedisServer

pytestmark = pytest.mark.deploy


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def test_queries_are_cached_in_redis_and_answer_while_it_is_down(settings, redis_server,
                                                                 monkeypatch):
    from app import create_app
    from data import cache as cache_mod

    monkeypatch.setattr(cache_mod, "RETRY_SECONDS", 0.3)
    app = create_app(settings.with_(cache_type="redis", redis_url=redis_server.url))
    q = app.citybrain_runtime.queries
    backend = app.server.extensions["cache"]
    backend = next(iter(backend.values()))
    expected = q.indicator_by_district("gdp", "2026-01-01", "2026-10-31")
    assert redis_server.keys(), "the answer went to Redis"
    assert backend.using_redis

    redis_server.stop()
    started = time.monotonic()
    again = q.indicator_by_district("pm25", "2026-01-01", "2026-10-31")   # a new question
    same = q.indicator_by_district("gdp", "2026-01-01", "2026-10-31")
    assert time.monotonic() - started < 3, "a stopped Redis must not hold requests up"
    assert not again.empty and same.equals(expected)
    assert not backend.using_redis

    redis_server.start()                       # empty, on the same port
    time.sleep(0.4)
    q.indicator_by_district("aqi", "2026-01-01", "2026-10-31")
    assert backend.using_redis and redis_server.keys(), "back on Redis once it returns"


def _every_worker(server: Gunicorn, workers: int, answer_ok=lambda health: True,
                  within: float = 15) -> dict:
    """Ask /healthz from four clients at once until ``workers`` worker processes have given
    an answer that is ``answer_ok``; return their answers by pid. One client asking in turn
    is often served by one worker only (it is back in accept() before the next request)."""
    answers: dict = {}
    deadline = time.monotonic() + within
    with ThreadPoolExecutor(4) as pool:
        while len(answers) < workers and time.monotonic() < deadline:
            for health in pool.map(lambda _: server.health(), range(8)):
                assert health["status"] == "ok"          # never fails, a load or not
                if answer_ok(health):
                    answers[health["pid"]] = health
    return answers


def test_gunicorn_workers_share_redis_and_every_worker_serves_a_load(city_path, tmp_path,
                                                                     redis_server):
    db = shutil.copy(city_path, tmp_path / "city.duckdb")
    server = Gunicorn(db, {"REDIS_URL": redis_server.url}, workers=2).start()
    try:
        assert server.health()["cache"] == "redis"
        seen = _every_worker(server, 2)
        assert len(seen) == 2, f"both workers answer: {sorted(seen)}"
        before = {health["store"] for health in seen.values()}
        assert len(before) == 1

        # a load while the workers serve: every worker moves to the new file
        stats = tmp_path / "october.csv"
        stats.write_text("地区,指标,时间,数值\n章贡区,社会消费品零售总额,2026-10,99.9\n",
                         encoding="utf-8")
        from cli import main as citybrain
        assert citybrain(["load", "indicators", str(stats), "--db", str(db), "--quiet"]) == 0
        moved = _every_worker(server, 2, lambda health: health["store"] not in before)
        assert set(moved) == set(seen), f"a worker kept the old file: {sorted(moved)}"
    finally:
        server.stop()
