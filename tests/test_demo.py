"""Invariants of the generated demo city (the small test city built in conftest)."""

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
import shapely

from data import catalog, demo
from data.demo import PLANTED, build_demo
from data.demo.events import _SURNAMES
from data.store import connect, read_geo
from tests.conftest import TEST_EVENTS, TEST_NOW

STAGES = ["reported_at", "accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at"]


def test_dimensions_have_the_promised_sizes(store):
    counts = dict(store.rows(
        "SELECT 'districts', count(*) FROM districts UNION ALL "
        "SELECT 'townships', count(*) FROM townships UNION ALL "
        "SELECT 'cells', count(*) FROM grid_cells UNION ALL "
        "SELECT 'stations', count(*) FROM stations UNION ALL "
        "SELECT 'sections', count(*) FROM water_sections"))
    assert counts["districts"] == 18
    assert counts["cells"] >= 5000
    assert counts["townships"] >= 200
    assert counts["stations"] >= 40
    assert counts["sections"] >= 20


def test_grid_cells_have_english_names(queries):
    """An English screen, alert or wall names a cell in English (网格07-08 is Grid 07-08)."""
    cells = queries.areas("grid_cells")
    assert cells["name_en"].notna().all()
    pairs = set(zip(cells["name_zh"], cells["name_en"]))
    assert all(en == "Grid " + zh.removeprefix("网格") for zh, en in pairs)


def test_codes_extend_their_parent_code(store):
    bad = store.rows("SELECT count(*) FROM grid_cells c JOIN townships t "
                     "ON t.code = c.township_code WHERE NOT starts_with(c.code, t.code) "
                     "OR NOT starts_with(t.code, t.district_code) "
                     "OR c.district_code <> t.district_code")
    assert bad[0][0] == 0


def test_population_adds_up_to_about_nine_million(store):
    total, cells = store.rows("SELECT (SELECT sum(population) FROM districts), "
                              "(SELECT sum(population) FROM grid_cells)")[0]
    assert 8_000_000 < total < 10_000_000
    assert abs(cells - total) < 10_000


def test_twenty_four_months_up_to_now(store):
    first, last = store.rows("SELECT min(reported_at), max(reported_at) FROM grid_events")[0]
    assert first >= dt.datetime(2024, 12, 1) and first < dt.datetime(2024, 12, 3)
    assert TEST_NOW - dt.timedelta(hours=6) < last <= TEST_NOW
    months = store.rows("SELECT count(DISTINCT date_trunc('month', ts)) FROM air_hourly")[0][0]
    assert months == 24
    hours_per_station = store.rows(
        "SELECT min(n), max(n) FROM (SELECT count(*) n FROM air_hourly GROUP BY station_code)")[0]
    assert hours_per_station[0] == hours_per_station[1] > 24 * 700


def test_every_value_indicator_is_generated_for_every_district(store):
    got = store.df("SELECT indicator_code, count(DISTINCT district_code) AS d FROM "
                   "indicator_values GROUP BY 1")
    assert set(got.indicator_code) == set(catalog.BUILT_IN.codes(kind="value"))
    assert (got.d == 18).all()


def test_every_fact_row_has_source_and_as_of(store):
    for table in ("indicator_values", "air_hourly", "air_daily", "water_quality", "grid_events"):
        missing = store.rows(f"SELECT count(*) FROM {table} WHERE source IS NULL OR as_of IS NULL")
        assert missing[0][0] == 0, table


def test_life_cycle_timestamps_are_ordered_and_status_is_the_last_stage(store):
    ev = store.df(f"SELECT status, {', '.join(STAGES)}, deadline_at, satisfaction, "
                  "returned_count FROM grid_events")
    stamps = ev[STAGES]
    reached = stamps.notna()
    # a stage is reached only after all earlier ones
    assert (reached.astype(int).diff(axis=1).fillna(0) <= 0).all().all()
    for a, b in zip(STAGES, STAGES[1:]):
        both = stamps[a].notna() & stamps[b].notna()
        assert (stamps.loc[both, a] <= stamps.loc[both, b]).all(), (a, b)
    last = reached.sum(axis=1) - 1
    assert (ev["status"] == [list(catalog.EVENT_STAGES)[i] for i in last]).all()
    assert (stamps.max(axis=1) <= pd.Timestamp(TEST_NOW)).all()
    # satisfaction only on closed events, and on a 1-5 scale
    rated = ev["satisfaction"].notna()
    assert ev.loc[rated, "closed_at"].notna().all()
    assert ev.loc[rated, "satisfaction"].between(1, 5).all()
    # returns, overdue cases and open cases all occur
    assert (ev["returned_count"] > 0).mean() > 0.03
    overdue = ev["closed_at"].fillna(pd.Timestamp(TEST_NOW)) > ev["deadline_at"]
    assert 0.01 < overdue.mean() < 0.3
    assert (ev["status"] != "closed").sum() > 0


def test_points_lie_inside_the_cell_they_name(store):
    cells = read_geo(store, "grid_cells", ("code",)).set_index("code")
    for table in ("stations", "water_sections"):
        pts = store.df(f"SELECT grid_code, lon, lat FROM {table}")
        geoms = cells.geometry.loc[pts.grid_code].values
        assert shapely.contains_xy(geoms, pts.lon, pts.lat).all(), table
    ev = store.df("SELECT grid_code, lon, lat FROM grid_events USING SAMPLE 3000 ROWS")
    geoms = cells.geometry.loc[ev.grid_code].values
    assert shapely.contains_xy(geoms, ev.lon, ev.lat).all()


def test_seasonality_winter_pm25_and_spring_festival_dip(store):
    pm = store.df("SELECT month(day) AS m, avg(pm25) AS pm25 FROM air_daily GROUP BY 1")
    pm = pm.set_index("m")["pm25"]
    assert pm.loc[[12, 1]].mean() > 1.8 * pm.loc[[6, 7]].mean()
    daily = store.df("SELECT CAST(reported_at AS DATE) AS d, count(*) AS n FROM grid_events "
                     "WHERE reported_at BETWEEN '2026-01-20' AND '2026-03-20' GROUP BY 1")
    daily = daily.set_index(pd.to_datetime(daily["d"]))["n"]
    festival = daily.loc["2026-02-14":"2026-02-20"].mean()
    ordinary = daily.drop(daily.loc["2026-02-08":"2026-02-26"].index).mean()
    assert festival < 0.7 * ordinary


def test_planted_anomalies_are_there(store, queries):
    # fixed-asset investment collapses in one district last month
    d, code, _ = PLANTED["fai_drop"]
    by_d = queries.indicator_by_district(code, "2026-10-01", "2026-10-31")
    by_d = by_d.set_index("district_code")
    assert by_d.loc[d, "yoy"] < -35
    # one station of 章贡区 at heavy pollution over the last day, and no other district
    worst = dict(store.rows(
        "SELECT s.district_code, max(a.aqi) FROM air_hourly a JOIN stations s "
        "ON s.code = a.station_code WHERE a.ts > ? GROUP BY 1",
        [TEST_NOW - dt.timedelta(hours=30)]))
    assert worst[PLANTED["pm25_episode"][0]] > 200
    assert max(v for d, v in worst.items() if d != PLANTED["pm25_episode"][0]) < 200
    # last month: unemployment 6.4% and industry at 2.1% in their districts
    for key, value in (("unemployment", 6.4), ("industry", 2.1)):
        d, code, _ = PLANTED[key]
        got = store.rows("SELECT value FROM indicator_values WHERE district_code = ? AND "
                         "indicator_code = ? AND period = DATE '2026-10-01'", [d, code])
        assert got[0][0] == value
    # one water section at class V last month, in 于都县
    assert store.rows("SELECT district_code FROM water_quality WHERE period = DATE "
                      "'2026-10-01' AND class >= 5") == [(PLANTED["water"][0],)]
    # one district's on-time rate falls over the last 45 days
    d = PLANTED["slow_handling"][0]
    recent = queries.indicator_by_district("on_time_rate", "2026-10-15", "2026-11-24")
    recent = recent.set_index("district_code")["value"]
    assert recent.loc[d] < 70 < recent.drop(d).min()
    # one grid cell surges
    top = store.rows("SELECT count(*) FROM grid_events WHERE reported_at > ? GROUP BY grid_code "
                     "ORDER BY 1 DESC LIMIT 2", [TEST_NOW - dt.timedelta(hours=72)])
    assert top[0][0] >= 500 and top[1][0] < 50


def test_the_generator_is_deterministic(tmp_path):
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    for path in (a, b):
        build_demo(path, events=3000, seed=11, now=TEST_NOW, progress=False)
    checksums = []
    for path in (a, b):
        con = connect(path)
        checksums.append([con.execute(
            f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {t}").fetchall()
            for t in ("grid_events", "indicator_values", "air_daily", "water_quality")])
        con.close()
    assert checksums[0] == checksums[1]


def test_reporters_name_citizens_and_grid_workers(store):
    by_channel = {row[0]: row[1:] for row in store.rows(
        "SELECT channel, count(*), count(reporter_name), count(reporter_phone), "
        "count(*) FILTER (WHERE (reporter_name IS NULL) <> (reporter_phone IS NULL)) "
        "FROM grid_events GROUP BY 1")}
    for channel, (_, named, phoned, half) in by_channel.items():
        assert named == phoned and half == 0, channel      # a person, or no one
    for channel in ("hotline", "app"):
        n, named, *_ = by_channel[channel]
        assert 0.8 < named / n < 0.99, channel                 # most, and some anonymous
    assert 0.8 < by_channel["patrol"][1] / by_channel["patrol"][0] < 1
    for channel in ("video_ai", "handover"):
        assert by_channel[channel][1] == 0, channel
    phones = [p for (p,) in store.rows("SELECT reporter_phone FROM grid_events "
                                       "WHERE reporter_phone IS NOT NULL")]
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    names = store.rows("SELECT DISTINCT reporter_name FROM grid_events "
                       "WHERE reporter_name IS NOT NULL")
    assert all(2 <= len(name) <= 3 and name[0] in _SURNAMES for (name,) in names)
    # a cell's patrol events name its one grid worker; one person keeps one number
    workers = store.rows("SELECT max(n) FROM (SELECT count(DISTINCT reporter_phone) AS n FROM "
                         "grid_events WHERE channel = 'patrol' GROUP BY grid_code)")
    assert workers[0][0] == 1
    assert store.rows("SELECT count(*) FROM (SELECT reporter_phone FROM grid_events "
                      "WHERE reporter_phone IS NOT NULL GROUP BY 1 "
                      "HAVING count(DISTINCT reporter_name) > 1)")[0][0] == 0


def test_reporters_leave_every_other_column_as_it_was(store, tmp_path, monkeypatch):
    """Reporters come from a generator of their own: another one changes them and nothing
    else."""
    real = demo._write_events

    def other_people(con, geo, seed, cal, total, bar, people):
        real(con, geo, seed, cal, total, bar, np.random.default_rng(99))

    monkeypatch.setattr(demo, "_write_events", other_people)
    path = demo.build_demo(tmp_path / "c.duckdb", events=TEST_EVENTS, seed=7, now=TEST_NOW,
                           progress=False)
    digest = ("SELECT sum(hash(COLUMNS(* EXCLUDE (reporter_name, reporter_phone)))), "
              "sum(hash(reporter_name)), sum(hash(reporter_phone)) FROM grid_events")
    con = connect(path)
    try:
        other = con.execute(digest).fetchall()[0]
    finally:
        con.close()
    ours = store.rows(digest)[0]
    assert other[:-2] == ours[:-2]
    assert other[-2] != ours[-2] and other[-1] != ours[-1]


def test_a_failed_build_leaves_the_existing_file_alone(tmp_path, monkeypatch):
    target = tmp_path / "city.duckdb"
    target.write_bytes(b"previous store")
    import data.demo as demo

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "_write_events", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.build_demo(target, events=3000, now=TEST_NOW, progress=False)
    assert target.read_bytes() == b"previous store"
    assert not list(tmp_path.glob("*.building*"))


def test_events_below_the_minimum_are_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 1000"):
        build_demo(tmp_path / "x.duckdb", events=10, progress=False)


def test_aqi_levels_are_stored_consistently(store):
    from data.aqi import level_index
    daily = store.df("SELECT aqi, level FROM air_daily")
    assert np.array_equal(level_index(daily.aqi), daily.level.to_numpy())
