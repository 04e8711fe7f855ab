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
