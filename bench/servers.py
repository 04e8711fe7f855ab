"""The real servers of docs/DEPLOY.md on loopback, for the test suite and the load bench:
Debian's redis-server (no persistence) and gunicorn serving ``app:create_server()``.

Both are started as child processes on free loopback ports and stopped by their own process
id. A missing redis-server is an error, never a reason to skip: `make test` installs it.
"""

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

ROOT = Path(__file__).resolve().parent.parent
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, timeout: float = 10) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
        return json.loads(response.read())


def _stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class RedisServer:
    """A real redis-server on a free loopback port, no persistence (``--save ''
    --appendonly no``). ``stop`` sends SIGTERM; ``start`` again comes back empty on the same
    port, as a restarted cache would."""

    def __init__(self, folder: Path):
        if not Path(REDIS).exists():
            raise RuntimeError(f"redis-server not found at {REDIS}: run `make test` (or "
                               "`make install-test`), which installs Debian's redis-server "
                               "(these tests never skip)")
        self.port, self.folder, self.process = free_port(), Path(folder), None

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
        for _ in range(200):
            try:
                client.ping()
                return self
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, timeout=10)
            self.process = None

    def keys(self) -> list[bytes]:
        import redis
        return redis.Redis.from_url(self.url).keys("citybrain:*")


class Gunicorn:
    """``gunicorn 'app:create_server()'`` on a free loopback port, serving the store ``db``
    with the environment ``env`` added to this process's (REDIS_URL, CITYBRAIN_*...). Its
    output goes to ``log`` (default: gunicorn.log beside the store)."""

    def __init__(self, db: Path, env: dict | None = None, workers: int = 2, threads: int = 1,
                 log: Path | None = None, timeout: int = 120, keep_alive: int | None = None):
        self.port, self.process = free_port(), None
        self.keep_alive = keep_alive
        self.db, self.workers, self.threads = Path(db), workers, threads
        self.log = Path(log) if log else self.db.parent / "gunicorn.log"
        self.timeout = timeout
        # /healthz names the worker and its store to the admin network only: this one
        # several workers read a store that loads copy; one owns it and writes in place
        self.env = {**os.environ, "CITYBRAIN_DB": str(db), "CITYBRAIN_BUILD_DEMO": "0",
                    "CITYBRAIN_ADMIN_NETWORKS": "127.0.0.1/32",
                    "CITYBRAIN_STORE_WRITES": "copy" if workers > 1 else "in-place",
                    **(env or {})}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def health(self, timeout: float = 10) -> dict:
        return get_json(self.url + "/healthz", timeout)

    def start(self, wait: float = 120) -> "Gunicorn":
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                 "--workers", str(self.workers),
                 "--threads", str(self.threads), "--timeout", str(self.timeout),
                 *(["--keep-alive", str(self.keep_alive)] if self.keep_alive else []),
                 "--bind", f"127.0.0.1:{self.port}", "--chdir", str(ROOT),
                 "app:create_server()"],
                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                self.health(timeout=5)
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{self.output()}")

    def output(self, last: int | None = 4000) -> str:
        """What gunicorn printed (its ``last`` characters; None: all)."""
        text = self.log.read_text(errors="replace")
        return text if last is None else text[-last:]

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None
