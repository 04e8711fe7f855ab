"""Serving as in docs/DEPLOY.md: gunicorn workers sharing a real Redis, a load reaching every
worker, and Redis stopping and coming back under a running app."""

from __future__ import annotations

import shutil
import time

import pytest

from bench.servers import Gunicorn, RedisServer


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


def test_gunicorn_workers_share_redis_and_every_worker_serves_a_load(city_path, tmp_path,
                                                                     redis_server):
    db = shutil.copy(city_path, tmp_path / "city.duckdb")
    server = Gunicorn(db, {"REDIS_URL": redis_server.url}, workers=2).start()
    try:
        first = server.health()
        assert first["cache"] == "redis"
        seen = {}
        for _ in range(40):
            health = server.health()
            seen[health["pid"]] = health["store"]
            assert server.health()["status"] == "ok"
        before = set(seen.values())
        assert len(before) == 1

        # a load while the workers serve: every worker moves to the new file
        stats = tmp_path / "october.csv"
        stats.write_text("地区,指标,时间,数值\n章贡区,社会消费品零售总额,2026-10,99.9\n",
                         encoding="utf-8")
        from cli import main as citybrain
        assert citybrain(["load", "indicators", str(stats), "--db", str(db), "--quiet"]) == 0
        deadline = time.monotonic() + 15
        moved: dict = {}
        while time.monotonic() < deadline and (len(moved) < len(seen) or
                                               before & set(moved.values())):
            health = server.health()        # never fails during the swap
            moved[health["pid"]] = health["store"]
            time.sleep(0.05)
        assert set(moved) >= set(seen), "every worker answered"
        assert not before & set(moved.values()), f"a worker kept the old file: {moved}"
    finally:
        server.stop()
