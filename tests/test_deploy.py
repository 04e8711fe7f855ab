"""Serving as in docs/DEPLOY.md: gunicorn workers sharing a real Redis, a load reaching every
worker, and Redis stopping and coming back under a running app."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A real redis-server on a free loopback port, no persistence."""

    def __init__(self, folder: Path):
        if not Path(REDIS).exists():
            pytest.fail(f"redis-server not found at {REDIS}: run `make test`, which installs "
                        "Debian's redis-server (these tests never skip)")
        self.port, self.folder, self.process = free_port(), folder, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def keys(self) -> list[bytes]:
        import redis
        return redis.Redis.from_url(self.url).keys("citybrain:*")


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


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def test_gunicorn_workers_share_redis_and_every_worker_serves_a_load(city_path, tmp_path,
                                                                     redis_server):
    db = shutil.copy(city_path, tmp_path / "city.duckdb")
    port = free_port()
    env = {**os.environ, "CITYBRAIN_DB": str(db), "CITYBRAIN_BUILD_DEMO": "0",
           "REDIS_URL": redis_server.url}
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--chdir", str(root), "app:create_server()"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                first = get_json(url + "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start: " + server.stderr.read1().decode())
        assert first["cache"] == "redis"
        seen = {}
        for _ in range(40):
            health = get_json(url + "/healthz")
            seen[health["pid"]] = health["store"]
            assert get_json(url + "/healthz")["status"] == "ok"
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
            health = get_json(url + "/healthz")        # never fails during the swap
            moved[health["pid"]] = health["store"]
            time.sleep(0.05)
        assert set(moved) >= set(seen), "every worker answered"
        assert not before & set(moved.values()), f"a worker kept the old file: {moved}"
    finally:
        server.terminate()
        server.wait(timeout=20)
