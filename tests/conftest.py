"""Shared fixtures: one small generated city per test session, on disk, read-only."""

from __future__ import annotations

import datetime as dt
from contextvars import copy_context

import pytest

from data.demo import build_demo
from data.queries import Queries
from data.store import Store
from settings import Settings

#: Fixed as-of time so every run of the suite sees the same city.
TEST_NOW = dt.datetime(2026, 11, 24, 10, 0)
TEST_EVENTS = 20_000


#: Markers of the modules that take the longest per test: a real browser, a server started
#: with its own processes, charts or reports rendered with Chromium (pyproject.toml).
SLOW_MARKERS = (("browser", "deploy"), ("render",))


@pytest.hookimpl(trylast=True)      # after tests/browser/conftest.py has marked its modules
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test``: ``--dist loadfile --no-loadscope-reorder``), hand
    out the slow modules first: a worker takes a whole module at a time, so one slow
    module dealt last keeps a worker busy for up to a minute while the other has nothing
    left. xdist's own order (most tests first) dealt the modules of one or two tests last,
    and those are among the slowest (tests/test_load.py alone takes ~45 s, the command
    screen's browser test ~20 s). Slow modules (``SLOW_MARKERS``) first, then the rest,
    each group with the most tests first, so the many short modules at the end fill both
    workers up to the same time. A module's own tests keep their order; a run without
    xdist keeps pytest's."""
    if not hasattr(config, "workerinput"):
        return
    modules: dict = {}
    for item in items:
        modules.setdefault(item.path, []).append(item)

    def rank(tests: list) -> tuple[int, int]:
        marks = {mark.name for item in tests for mark in item.iter_markers()}
        slow = next((i for i, names in enumerate(SLOW_MARKERS) if marks & set(names)),
                    len(SLOW_MARKERS))
        return slow, -len(tests)
    items[:] = [item for tests in sorted(modules.values(), key=rank) for item in tests]


@pytest.fixture(scope="session")
def city_path(tmp_path_factory):
    """Path of the small test city's DuckDB file (built once per session)."""
    path = tmp_path_factory.mktemp("city") / "test.duckdb"
    build_demo(path, events=TEST_EVENTS, seed=7, now=TEST_NOW, progress=False)
    return path


@pytest.fixture(scope="session")
def store(city_path):
    s = Store(city_path)
    yield s
    s.close()


@pytest.fixture(scope="session")
def queries(store):
    return Queries(store)


@pytest.fixture(scope="session")
def settings(city_path):
    # sign-in has its own tests (tests/test_access.py); every test client signs in from
    # 127.0.0.1, so the per-address limit has its own (tests/test_security.py)
    # the session's city is shared read-only: its apps never write it in place
    return Settings(db_path=city_path, build_demo_if_missing=False, cache_type="simple",
                    auth=False, login_rate="10000 per minute", store_writes="copy")


@pytest.fixture(scope="session")
def app(settings):
    from app import create_app
    return create_app(settings)


def run_callback(app, output_key: str, *args, triggered: list[dict] | None = None):
    """Call a registered callback's own function directly, with a faked trigger context."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    func = app.callback_map[output_key]["callback"].__wrapped__

    def call():
        context_value.set(AttributeDict(triggered_inputs=triggered or []))
        return func(*args)

    return copy_context().run(call)


@pytest.fixture(scope="session")
def values(store):
    """Every indicator value with its district's population: the raw rows the tests compute
    their own aggregates from."""
    import pandas as pd
    frame = store.df("SELECT v.district_code, v.indicator_code, v.period, v.value, "
                     "d.population FROM indicator_values v "
                     "JOIN districts d ON d.code = v.district_code")
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


def reopen_recent_events(source, dest, district: str = "360702", since: str = "2026-11-04"):
    """Copy the test city to ``dest`` and reopen one district's events since a day (its
    closure rate falls), rebuilding the rollups: a store as a data reload would bring it."""
    import shutil

    import duckdb

    from data.store import EVENT_ROLLUP

    shutil.copy(source, dest)
    con = duckdb.connect(str(dest))
    con.execute("UPDATE grid_events SET status = 'handled', verified_at = NULL, closed_at = NULL, "
                "satisfaction = NULL WHERE district_code = ? AND reported_at >= ?",
                [district, dt.datetime.fromisoformat(since)])
    con.execute(EVENT_ROLLUP)
    con.close()
    return dest


@pytest.fixture(scope="session")
def new_city(tmp_path_factory):
    """The walk-through (docs/NEW_CITY.md): an empty folder, two files, two commands."""
    from cli import main as citybrain
    from tests.new_city import CITY, write_boundaries, write_indicators

    folder = tmp_path_factory.mktemp("newcity")
    db = folder / "data" / "city.duckdb"
    boundaries = write_boundaries(folder / "districts.geojson")
    stats = write_indicators(folder / "indicators.csv", encoding="gbk")
    assert citybrain(["load", "districts", str(boundaries), "--db", str(db), "--new-city",
                      "--city-code", CITY[0], "--city-name", CITY[1], "--city-name-en",
                      CITY[2], "--quiet"]) == 0
    assert citybrain(["load", "indicators", str(stats), "--db", str(db), "--quiet"]) == 0
    return db
