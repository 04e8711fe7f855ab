"""Per-feed cache keys (data/queries READS, data/store.VERSION_PARTS): a memoised answer is
keyed on the versions of what it reads, so a batch of events leaves the air, water and
statistics answers cached; and no batch of any feed leaves a stale answer behind. A copy
renamed over the file moves every part."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import flask
import pandas as pd
import pytest
from flask_caching import Cache

from data.load.build import IN_PLACE_KINDS, Item, load
from data.queries import Queries
from data.store import VERSION_PARTS, Store, connect
from tests.conftest import TEST_NOW
from tests.test_access import END, _calls
from tests.test_in_place import FILE_COLUMNS, _a_batch

#: The loads' clock: an hour after the test city's as-of time, so a batch can move it.
LATER = TEST_NOW + dt.timedelta(hours=2)


@pytest.fixture
def city(city_path, tmp_path) -> Path:
    """A copy of the test city that is not a demo: its as-of time moves with the data."""
    path = Path(shutil.copy(city_path, tmp_path / "city.duckdb"))
    con = connect(path, read_only=False)
    try:
        con.execute("UPDATE meta SET value = 'false' WHERE key = 'is_demo'")
    finally:
        con.close()
    return path


def _rows(path: Path, sql: str) -> pd.DataFrame:
    con = connect(path)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


# --- a small batch of each feed, made of the city's own rows, changed ---------------------------

def _events(city: Path, folder: Path) -> Path:
    """test_in_place's batch (events closed, moved, new) and two events reported after the
    store's as-of time, which moves it."""
    path = _a_batch(city, folder)
    frame = pd.read_csv(path)
    later = frame.tail(2).copy()
    later["event_id"] += 1000
    for stage in ("reported_at", "accepted_at"):
        later[stage] = str(TEST_NOW + dt.timedelta(minutes=30))
    for stage in ("dispatched_at", "handled_at", "verified_at", "closed_at", "satisfaction"):
        later[stage] = None
    later["deadline_at"] = str(TEST_NOW + dt.timedelta(days=3))
    pd.concat([frame, later])[FILE_COLUMNS].to_csv(path, index=False)
    return path


def _air(city: Path, folder: Path) -> Path:
    """Every station's last 48 hours, three times as polluted."""
    frame = _rows(city, "SELECT station_code, ts, pm25 * 3 AS pm25, pm10 * 3 AS pm10, so2, "
                        "no2, co, o3 FROM air_hourly WHERE ts > (SELECT max(ts) FROM air_hourly)"
                        " - INTERVAL 48 HOUR")
    frame.to_csv(folder / "air.csv", index=False)
    return folder / "air.csv"


def _water(city: Path, folder: Path) -> Path:
    """Every section's latest month, two classes worse."""
    frame = _rows(city, "SELECT section_code, strftime(period, '%Y-%m') AS period, "
                        "least(class + 2, 6) AS class FROM water_quality "
                        "WHERE period = (SELECT max(period) FROM water_quality)")
    frame["class"] = frame["class"].map({1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "劣Ⅴ"})
    frame.to_csv(folder / "water.csv", index=False)
    return folder / "water.csv"


def _indicators(city: Path, folder: Path) -> Path:
    """Every statistic's this year's values, doubled."""
    frame = _rows(city, "SELECT district_code, indicator_code AS indicator, "
                        "strftime(period, '%Y-%m') AS period, value * 2 AS value "
                        "FROM indicator_values WHERE period >= DATE '2026-01-01'")
    frame.to_csv(folder / "indicators.csv", index=False)
    return folder / "indicators.csv"


def _warnings(city: Path, folder: Path) -> Path:
    """A red flood warning over a district, in force today."""
    district = _rows(city, "SELECT name_zh FROM districts ORDER BY code LIMIT 1").iloc[0, 0]
    path = folder / "warnings.csv"
    path.write_text("预警编号,预警类型,预警级别,预警区域,生效时间,发布单位\n"
                    f"FC1,洪水,红色,{district},2026-11-24 06:00,市水利局\n", encoding="utf-8")
    return path


def _resources(city: Path, folder: Path) -> Path:
    """Every shelter with ten times its capacity, and a new one."""
    frame = _rows(city, "SELECT resource_id, kind, name_zh, name_en, lon, lat, capacity * 10 "
                        "AS capacity, headcount FROM emergency_resources")
    extra = frame.head(1).assign(resource_id="FC-NEW", name_zh="新避难场所",
                                 name_en="New shelter")
    kinds = {"shelter": "应急避难场所", "team": "救援队伍", "depot": "物资储备点"}
    out = pd.concat([frame, extra])
    out["kind"] = out["kind"].map(lambda k: kinds.get(k, k))
    out.to_csv(folder / "resources.csv", index=False)
    return folder / "resources.csv"


BATCHES = {"events": _events, "air": _air, "water": _water, "indicators": _indicators,
           "warnings": _warnings, "resources": _resources}


# --- comparing answers --------------------------------------------------------------------------

def _same(a, b) -> bool:
    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        if not (isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame)):
            return False
        try:
            pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
        except AssertionError:
            return False
        return True
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True                                                   # NaN
    return a == b


def _declared_calls(store: Store) -> dict[str, list[tuple]]:
    """test_access's representative calls of every method that says what it reads."""
    plain = Queries(store)
    districts = plain.districts()["code"].tolist()
    cell = plain.areas("grid_cells")["code"].iloc[0]
    township = plain.areas("townships")["code"].iloc[0]
    calls = {name: args for name, args in _calls(districts, cell, township).items()
             if name in Queries.READS}
    # the economy's and the scene's questions again, on the day the batches land
    calls["indicator_monthly_by_district"] += [("retail_sales", "2026-01-01", END)]
    calls["warnings_at"] += [(f"{END}T09:00:00",)]
    return calls


def _answers(queries: Queries, calls: dict[str, list[tuple]]) -> dict:
    return {(name, args): getattr(queries, name)(*args)
            for name, argsets in calls.items() for args in argsets}


def test_every_memoised_method_says_what_it_reads_in_known_parts():
    assert set(Queries.READS) <= set(Queries.CACHED)
    assert IN_PLACE_KINDS | {"as_of", "base"} == set(VERSION_PARTS)
    for name, reads in Queries.READS.items():
        if not callable(reads):
            assert set(reads) <= set(VERSION_PARTS), name


def test_no_feed_leaves_a_stale_answer_and_events_leave_the_others_cached(city, tmp_path):
    store = Store(city, writable=True)      # the server's: batches are written through it
    try:
        cache = Cache(flask.Flask("t"), config={"CACHE_TYPE": "SimpleCache",
                                               "CACHE_THRESHOLD": 100_000})
        calls = _declared_calls(store)
        assert set(calls) == set(Queries.READS), "a declared method without a call here"
        cached = Queries(store, cache)
        before = _answers(Queries(store), calls)
        assert _same(_answers(cached, calls), before)   # the cache filled, and right
        seen_by: dict[str, set[str]] = {}
        for kind, make in BATCHES.items():
            ids = {name: cached._caching_id_of(name)(*calls[name][0]) for name in calls}
            closure = cached._caching_id_of("indicator_value")("closure_rate", None,
                                                               "2026-01-01", END)
            versions = dict(store.part_versions)
            load(city, [Item(kind, make(city, tmp_path))], now=LATER)
            assert Store.owner(city) is store, "written in place, through the server's store"
            moved = {part for part in VERSION_PARTS
                     if store.part_versions[part] != versions[part]}
            assert kind in moved and "base" not in moved, (kind, moved)
            assert moved <= {kind, "as_of"}, (kind, moved)
            # a new reader per write, as the runtime makes; the same shared cache
            cached, fresh = Queries(store, cache), Queries(store)
            now_cached, now_fresh = _answers(cached, calls), _answers(fresh, calls)
            stale = sorted(f"{name}{args}" for key in now_fresh
                           if not _same(now_cached[key], now_fresh[key])
                           for name, args in [key])
            assert not stale, f"after a batch of {kind}, cached answers differ: {stale}"
            changed = {key[0] for key in now_fresh if not _same(now_fresh[key], before[key])}
            assert changed, f"the {kind} batch changed no answer: the check would be idle"
            seen_by[kind] = changed
            if kind == "events":
                after = {name: cached._caching_id_of(name)(*calls[name][0]) for name in calls}
                kept = {name for name in calls if after[name] == ids[name]}
                assert "as_of" in moved, "the late events moved the store's as-of time"
                # environment, statistics (gdp), the scene, the ledger: the same keys,
                # answered from the cache
                assert calls["indicator_value"][0][0] == "gdp"
                assert {"stations_aqi", "aqi_daily", "pollutant_daily", "water_classes",
                        "water_classes_monthly", "indicator_value", "indicator_by_district",
                        "indicator_monthly", "warnings_at", "emergency_resources",
                        "key_tasks"} <= kept
                # events, event metrics and what is judged at the as-of time: new keys
                assert not {"events_by_category", "event_funnel", "events_page",
                            "overdue_events", "event_metric_by_area", "kpis",
                            "service_summary", "events_in_warning"} & kept
                assert closure != cached._caching_id_of("indicator_value")(
                    "closure_rate", None, "2026-01-01", END)
            before = now_fresh
        # each batch was seen by the questions over its own feed
        assert "events_by_category" in seen_by["events"]
        assert {"stations_aqi", "pollutant_daily"} <= seen_by["air"]
        assert "water_classes" in seen_by["water"]
        assert "indicator_value" in seen_by["indicators"]
        assert "warnings_at" in seen_by["warnings"]
        assert "emergency_resources" in seen_by["resources"]
    finally:
        store.close()


def test_an_indicator_answer_is_keyed_on_its_own_feed(city):
    store = Store(city)
    try:
        q = Queries(store)
        key = q._caching_id_of("indicator_value")
        versions = store.part_versions
        assert f"indicators={versions['indicators']}" in key("gdp", None, "2026-01-01", END)
        assert "events=" not in key("gdp", None, "2026-01-01", END)
        assert f"air={versions['air']}" in key("good_air_rate", None, "2026-01-01", END)
        assert "as_of=" in key(code="closure_rate", district=None, start="2026-01-01", end=END)
        # an unknown code: refused by the method, keyed on the whole store meanwhile
        assert key("no-such-code", None, "2026-01-01", END).endswith(store.version)
    finally:
        store.close()


def test_a_copy_renamed_over_the_file_moves_every_part(city, tmp_path):
    store = Store(city)
    first = dict(store.part_versions)
    store.close()
    load(city, [Item("air", _air(city, tmp_path))], now=LATER, in_place=False)
    store = Store(city)
    try:
        assert all(store.part_versions[part] != first[part] for part in VERSION_PARTS)
    finally:
        store.close()


def test_a_file_put_in_place_without_a_load_gets_versions_of_its_own(city, tmp_path):
    """charts/runtime's rule: a restored copy keeps the versions of the file it replaced."""
    from charts.runtime import Runtime
    from settings import Settings
    copy = Path(shutil.copy(city, tmp_path / "restored.duckdb"))
    settings = Settings(db_path=city, store_writes="copy")
    store = Store(city)
    runtime = Runtime(settings, store, Queries(store))
    first = dict(store.part_versions)
    os.replace(copy, city)
    assert runtime.reload_if_replaced(now=True)
    assert runtime.store.version.startswith(store.version)
    assert all(runtime.store.part_versions[part] != first[part] for part in VERSION_PARTS)
    runtime.store.close()
    store.close()
