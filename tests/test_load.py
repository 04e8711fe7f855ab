"""Load and faults at small scale (bench/load.py on the suite's small city): simulated
analysts doing cross-filter sessions against gunicorn with a real Redis, which is stopped and
started again mid-run, and a load that swaps the served store file; no request may fail.

It needs redis-server, gunicorn and locust (`make test` installs them) and never skips."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.servers import REDIS

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parent.parent
#: The realistic set-up: every simulated user signs in (docs/DEPLOY.md).
AUTH = "on"


def test_analysts_under_load_see_no_failure_while_redis_stops_and_the_store_is_swapped(
        city_path, tmp_path):
    assert Path(REDIS).exists(), f"redis-server not found at {REDIS}: run `make test`"
    for module in ("gunicorn", "locust"):
        assert importlib.util.find_spec(module), f"{module} missing: run `make install-test`"
    out = tmp_path / "load.json"
    # 6 users for 14 s: Redis down from 5.6 s to 7.7 s, the file swapped at 9.8 s. No latency
    # goal here: speed is measured by `python -m bench.load` (bench/README.md), on a machine
    # this suite shares with other work; a request held up past gunicorn's timeout fails
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", "--db", str(city_path), "--users", "6",
         "--seconds", "14", "--workers", "2", "--threads", "4", "--auth", AUTH,
         "--accounts", "3", "--goal-p95", "inf", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=150)
    assert out.exists(), f"the run did not finish:\n{done.stdout}\n{done.stderr[-4000:]}"
    result = json.loads(out.read_text())
    assert result["overall"]["failures"] == 0, result["failures"][:10]
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-4000:]}"

    phases = result["phases"]
    assert list(phases) == ["before fault", "Redis down", "Redis back", "after file swap"]
    for name, phase in phases.items():
        assert phase["requests"] - phase["failures"] > 0, f"no answer in phase {name}"
    # the workers noticed Redis was gone and answered from their local caches meanwhile
    assert "local" in phases["Redis down"]["caches"]
    assert phases["before fault"]["caches"] == ["redis"]
    # back on Redis at the end, every worker, and sharing answers there again
    final = result["final_health"]
    assert final and {v["cache"] for v in final.values()} == {"redis"}, final
    assert result["redis_keys_at_end"] > 0
    # the load swapped the file and every worker serves the new one
    assert result["load_exit"] == 0
    assert result["store_swapped"], result["final_health"]
    assert result["worker_restarts"] == 0 and result["worker_timeouts"] == 0
    # the screens were all used, with their filter changes
    names = set(result["by_name"])
    for screen in ("overview", "grid", "events"):
        assert any(n.startswith(f"{screen}: filter controller") for n in names), names
    if AUTH == "on":
        assert "POST /login" in names
