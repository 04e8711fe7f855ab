"""The definitions docs/DATA_MODEL.md gives, pinned on a few hand-made rows where the earlier
definitions answered otherwise: the on-time closure rate of the events due in a period, the
share of good-air days from an area's daily AQI, self-service terminal cases as the year's
running total, the plans' names, the solid-waste kinds' directions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely

from data import catalog
from data.aqi import daily_aqi
from data.queries import Queries
from data.store import EVENT_ROLLUP, SCHEMA, Store, connect, insert

AS_OF = dt.datetime(2026, 11, 24, 10, 0)
T = dt.datetime.fromisoformat
CELLS = ("360702001001", "360702001002")

#: (event_id, cell, reported, deadline, closed or None, the load's as_of): each says why
EVENTS = [
    # reported and due in November, closed in time: on time either way
    (1, CELLS[0], T("2026-11-02 08:00"), T("2026-11-03 08:00"), T("2026-11-02 20:00"), AS_OF),
    # reported in November, open and past its deadline: late now (reported-based: not counted)
    (2, CELLS[0], T("2026-11-05 08:00"), T("2026-11-06 08:00"), None, AS_OF),
    # reported in October, due and closed in time in November: counts in November
    (3, CELLS[1], T("2026-10-28 08:00"), T("2026-11-04 08:00"), T("2026-11-03 08:00"), AS_OF),
    # open, due after the as-of day: not due yet, left out
    (4, CELLS[1], T("2026-11-20 08:00"), T("2026-11-28 08:00"), None, AS_OF),
    # open, due later on the as-of day: not late yet, left out
    (5, CELLS[0], T("2026-11-23 09:00"), T("2026-11-24 12:00"), None, AS_OF),
    # closed in time
    (6, CELLS[1], T("2026-11-10 08:00"), T("2026-11-12 08:00"), T("2026-11-11 08:00"), AS_OF),
    # loaded on the 20th, before its deadline, still open: overdue now though its load's
    # as_of says it was not yet then
    (7, CELLS[0], T("2026-11-19 08:00"), T("2026-11-22 08:00"), None,
     T("2026-11-20 08:00")),
]


def _box(x: float) -> bytes:
    return shapely.box(x, 25.0, x + 0.1, 25.1).wkb


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A store of two districts, one township and two grid cells, three air stations,
    the events above and a self-service statistic: Queries over it."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.duckdb"
    con = connect(path, read_only=False)
    con.execute(SCHEMA)
    meta = {"store_id": "tiny", "version": "1", "as_of": AS_OF.isoformat(timespec="minutes"),
            "is_demo": "false", "city_code": "360700", "city_name_zh": "赣州市",
            "city_name_en": "Ganzhou", "crs": "EPSG:4326"}
    con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
    con.execute("INSERT INTO districts VALUES "
                "('360702', '章贡区', 'Zhanggong', '360700', 1000, 10, 114.9, 25.8, ?), "
                "('360703', '南康区', 'Nankang', '360700', 1000, 10, 114.8, 25.7, ?)",
                [_box(114.9), _box(114.8)])
    con.execute("INSERT INTO townships VALUES ('360702001', '一', 'One', '360702', 1000, 10, ?)",
                [_box(114.9)])
    con.executemany("INSERT INTO grid_cells (code, name_zh, township_code, district_code, h3, "
                    "population, area_km2, geom) VALUES (?, ?, '360702001', '360702', NULL, 500, 5, ?)",
                    [[c, c, _box(114.9)] for c in CELLS])
    con.execute("INSERT INTO departments VALUES ('D01', '城市管理局', 'Urban management')")
    con.execute("INSERT INTO stations VALUES "
                "('S1', '一', 'One', '360702', ?, 114.9, 25.8), "
                "('S2', '二', 'Two', '360702', ?, 114.9, 25.8), "
                "('S3', '三', 'Three', '360703', ?, 114.8, 25.7)", list(CELLS[:1] * 3))
    insert(con, "air_daily", _air())
    insert(con, "grid_events", _events())
    insert(con, "indicator_values", _self_service())
    con.execute(EVENT_ROLLUP)
    con.close()
    store = Store(path)
    yield Queries(store)
    store.close()


#: PM2.5 (µg/m³) per station and day, the only pollutant measured: on 1 November station S1
#: is polluted and S2 clean, and their mean is good; on 2 November their mean is polluted too.
PM25 = {("S1", "2026-11-01"): 100.0, ("S2", "2026-11-01"): 10.0, ("S3", "2026-11-01"): 10.0,
        ("S1", "2026-11-02"): 200.0, ("S2", "2026-11-02"): 20.0, ("S3", "2026-11-02"): 10.0}
DISTRICT_OF = {"S1": "360702", "S2": "360702", "S3": "360703"}


def _air() -> pd.DataFrame:
    frame = pd.DataFrame([{"station_code": s, "district_code": DISTRICT_OF[s],
                           "day": dt.date.fromisoformat(d), "pm25": v}
                          for (s, d), v in PM25.items()])
    nothing = np.full(len(frame), np.nan)
    frame["aqi"] = daily_aqi(frame["pm25"], nothing, nothing, nothing, nothing, nothing)
    frame["level"] = 0
    return frame.assign(source="test", as_of=AS_OF)


def _events() -> pd.DataFrame:
    rows = []
    for event_id, cell, reported, deadline, closed, as_of in EVENTS:
        rows.append({"event_id": event_id, "grid_code": cell, "township_code": cell[:9],
                     "district_code": cell[:6], "category": "appearance", "channel": "patrol",
                     "department_code": "D01", "status": "closed" if closed else "handled",
                     "reported_at": reported, "accepted_at": reported,
                     "dispatched_at": reported, "handled_at": closed, "verified_at": closed,
                     "closed_at": closed, "deadline_at": deadline, "returned_count": 0,
                     "satisfaction": None, "lon": 114.95, "lat": 25.05, "source": "test",
                     "as_of": as_of})
    frame = pd.DataFrame(rows)
    for column in ("handled_at", "verified_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.astype({"satisfaction": "float"})


def _self_service() -> pd.DataFrame:
    """10,000 cases a month in 2026 to October, 9,000 a month in 2025."""
    rows = [{"district_code": "360702", "indicator_code": "self_service_cases",
             "period": dt.date(year, month, 1), "value": value}
            for year, value, last in ((2025, 9000.0, 12), (2026, 10000.0, 10))
            for month in range(1, last + 1)]
    return pd.DataFrame(rows).assign(source="test", as_of=AS_OF)


# --- the on-time closure rate: of the events due in the period -----------------------------

def test_the_on_time_rate_is_of_the_events_due_in_the_period(tiny):
    # due in November up to the as-of time, outcome known: 1, 3, 6 in time; 2 and 7 open
    # past their deadline; 4 (due on the 28th) and 5 (due at noon on the as-of day) not yet
    due = [e for e in EVENTS if e[3] < AS_OF]
    on_time = [e for e in due if e[4] is not None and e[4] <= e[3]]
    want = 100.0 * len(on_time) / len(due)
    assert want == pytest.approx(60.0)
    # the earlier definition, closed by the deadline / closed among those reported in
    # November, said 100%: no open event could lower it
    reported = [e for e in EVENTS if e[2] >= T("2026-11-01 00:00")]
    closed = [e for e in reported if e[4] is not None]
    assert 100.0 * sum(e[4] <= e[3] for e in closed) / len(closed) == 100.0
    assert tiny.indicator_value("on_time_rate", None, "2026-11-01",
                                "2026-11-30")["value"] == pytest.approx(want)
    # the city, a district (rollups), a township and a cell (the per-cell rollup)
    for area in (None, "360702", "360702001", CELLS[0]):
        kpis = tiny.kpis(area, "2026-11-01", "2026-11-30").set_index("code")
        mine = [e for e in due if area is None or e[1].startswith(area)]
        assert kpis.loc["on_time_rate", "value"] == pytest.approx(
            100.0 * sum(e[4] is not None and e[4] <= e[3] for e in mine) / len(mine)), area


def test_an_open_event_past_its_deadline_lowers_the_rate_of_the_day_it_was_due(tiny):
    # 6 November: only event 2 was due, and it is open
    assert tiny.indicator_value("on_time_rate", None, "2026-11-06", "2026-11-06")["value"] == 0
    # 3 and 4 November: events 1 and 3, both in time, though 3 was reported in October
    assert tiny.indicator_value("on_time_rate", None, "2026-11-03", "2026-11-04")["value"] \
        == 100
    # nothing known to be due: no rate
    got = tiny.indicator_value("on_time_rate", None, "2026-11-25", "2026-11-30")["value"]
    assert got is None or np.isnan(got)


def test_the_departments_cells_and_months_read_the_same_definition(tiny):
    due = [e for e in EVENTS if e[3] < AS_OF]
    want = 100.0 * sum(e[4] is not None and e[4] <= e[3] for e in due) / len(due)
    for area in (None, "360702001"):      # the rollup, and the raw events below districts
        table = tiny.department_table(area, "2026-11-01", "2026-11-30").set_index(
            "department_code")
        mine = [e for e in due if area is None or e[1].startswith(area)]
        assert table.loc["D01", "on_time_rate"] == pytest.approx(
            100.0 * sum(e[4] is not None and e[4] <= e[3] for e in mine) / len(mine))
    cells = tiny.event_metric_by_area("on_time_rate", "360702001", "2026-11-01",
                                      "2026-11-30").set_index("area_code")["value"]
    for cell in CELLS:
        mine = [e for e in due if e[1] == cell]
        assert cells[cell] == pytest.approx(
            100.0 * sum(e[4] is not None and e[4] <= e[3] for e in mine) / len(mine))
    monthly = tiny.indicator_monthly("on_time_rate", None).set_index("period")["value"]
    assert monthly[pd.Timestamp("2026-11-01")] == pytest.approx(want)


def test_overdue_is_judged_at_the_stores_as_of_time_not_at_each_load(tiny):
    got = tiny.overdue_events(None, "2026-10-01", "2026-11-30")
    # event 7 was loaded before its deadline; it is overdue now all the same
    assert got["event_id"].tolist() == [2, 7]
    want = [(AS_OF - e[3]).total_seconds() / 3600 for e in EVENTS if e[0] in (2, 7)]
    np.testing.assert_allclose(got["hours_overdue"], want)


def test_an_older_store_has_no_rate_until_a_load_adds_its_rollups(tiny, tmp_path):
    """A store from before the due-day rollups serves without an on-time rate or an
    overdue list (not a wrong one); a load (``store.upgrade``) builds them from its events
    and drops the overdue list judged at each load's time."""
    import shutil

    from data.store import upgrade
    path = shutil.copy(tiny.store.path, tmp_path / "old.duckdb")
    con = connect(path, read_only=False)
    con.execute("DROP TABLE event_due_daily; DROP TABLE event_due_area_daily; "
                "DROP TABLE event_due_area_monthly; DROP TABLE event_open; "
                "CREATE TABLE event_overdue (event_id BIGINT)")
    con.close()
    old = Store(path)
    try:
        q = Queries(old)
        value = q.indicator_value("on_time_rate", None, "2026-11-01", "2026-11-30")["value"]
        assert value is None or np.isnan(value)      # no rate, not a wrong one (0.0)
        assert q.overdue_events(None, "2026-10-01", "2026-11-30").empty
    finally:
        old.close()
    con = connect(path, read_only=False)
    upgrade(con)
    con.close()
    upgraded = Store(path)
    try:
        q = Queries(upgraded)
        assert q.indicator_value("on_time_rate", None, "2026-11-01", "2026-11-30")["value"] \
            == pytest.approx(60.0)
        assert q.overdue_events(None, "2026-10-01", "2026-11-30")["event_id"].tolist() == [2, 7]
        assert "event_overdue" not in q._tables
    finally:
        upgraded.close()


def test_a_store_without_the_monthly_due_rollup_maps_the_same_rates_and_gains_it(tiny,
                                                                                  tmp_path):
    """A store from before event_due_area_monthly answers the cells' on-time rates from its
    daily rollup alone, the same ones; its next load builds the monthly rollup."""
    import shutil

    from data.store import upgrade
    path = shutil.copy(tiny.store.path, tmp_path / "old.duckdb")
    con = connect(path, read_only=False)
    con.execute("DROP TABLE event_due_area_monthly")
    con.close()

    def cells(store_path):
        store = Store(store_path)
        try:
            q = Queries(store)
            return (q.event_metric_by_area("on_time_rate", None, "2026-09-01", "2026-11-30",
                                           cells=True), "event_due_area_monthly" in q._tables)
        finally:
            store.close()

    want, _ = cells(tiny.store.path)
    old, has = cells(path)
    assert not has and want["value"].notna().any()
    pd.testing.assert_frame_equal(old, want)
    con = connect(path, read_only=False)
    upgrade(con)
    con.close()
    upgraded, has = cells(path)
    assert has
    pd.testing.assert_frame_equal(upgraded, want)


# --- good-air days: of the area's days, from its stations' mean concentrations -------------

def test_a_good_air_day_is_judged_on_the_areas_mean_concentrations(tiny):
    # 1 November: S1 polluted, S2 and S3 clean: station-days say 2 in 3 (1 in 2 in 章贡区)
    first = {s: v for (s, d), v in PM25.items() if d == "2026-11-01"}
    station_aqi = daily_aqi(list(first.values()), *[[np.nan] * 3] * 5)
    assert list(station_aqi <= 100) == [False, True, True]
    # the means are good: PM2.5 55 in 章贡区 (S1, S2), 40 in the city
    for stations, area in ((("S1", "S2"), "360702"), (("S1", "S2", "S3"), None)):
        mean = np.mean([first[s] for s in stations])
        assert daily_aqi([mean], *[[np.nan]] * 5)[0] <= 100
        assert tiny.indicator_value("good_air_rate", area, "2026-11-01",
                                    "2026-11-01")["value"] == 100.0
    by_district = tiny.indicator_by_district("good_air_rate", "2026-11-01", "2026-11-01")
    assert by_district.set_index("district_code")["value"].to_dict() == \
        {"360702": 100.0, "360703": 100.0}


def test_a_polluted_mean_makes_a_polluted_day(tiny):
    # 2 November: 章贡区's mean PM2.5 is 110 (AQI > 100), the city's 76.7 (AQI 103)
    for area, stations in (("360702", ("S1", "S2")), (None, ("S1", "S2", "S3"))):
        means = [np.mean([PM25[(s, d)] for s in stations]) for d in ("2026-11-01", "2026-11-02")]
        good = daily_aqi(means, *[[np.nan] * 2] * 5) <= 100
        assert list(good) == [True, False]
        assert tiny.indicator_value("good_air_rate", area, "2026-11-01",
                                    "2026-11-02")["value"] == pytest.approx(50.0)
    assert tiny.indicator_value("good_air_rate", "360703", "2026-11-01",
                                "2026-11-02")["value"] == 100.0
    monthly = tiny.indicator_monthly("good_air_rate", None).set_index("period")["value"]
    assert monthly[pd.Timestamp("2026-11-01")] == pytest.approx(50.0)
    # the AQI calendar shows the same days' AQI
    calendar = tiny.aqi_daily(None).set_index("day")["aqi"]
    assert [v <= 100 for v in calendar] == [True, False]


# --- self-service terminal cases: the year's running total against the year's target -------

def test_self_service_cases_are_the_years_running_total_against_the_years_target(tiny):
    ind = catalog.BUILT_IN.get("self_service_cases")
    assert ind.basis == "ytd" and ind.is_cumulative and not ind.is_growth
    assert ind.target == 100_000 and ind.alert is None
    # October's value is January to October: 10 x 10,000, the year's target reached; the
    # month alone (10,000) against a growth target was the earlier reading
    got = tiny.indicator_value("self_service_cases", None, "2026-10-01", "2026-10-31")
    assert got["value"] == 100_000 and got["headline"] == 100_000
    assert got["prior"] == 90_000 and got["yoy"] == 10_000
    assert got["target"] == 100_000 and got["status"] == "ok"
    # to June: 60,000, short of the year's target
    june = tiny.indicator_value("self_service_cases", None, "2026-06-01", "2026-06-30")
    assert june["value"] == 60_000 and june["status"] == "warn"
    # a range ending after the latest published month ends there (October)
    assert tiny.indicator_value("self_service_cases", None, "2026-11-01",
                                "2026-11-24")["value"] == 100_000
    monthly = tiny.indicator_monthly("self_service_cases", None).set_index("period")
    assert monthly.loc[pd.Timestamp("2026-03-01"), "value"] == 30_000
    assert monthly.loc[pd.Timestamp("2025-12-01"), "value"] == 108_000
    assert monthly.loc[pd.Timestamp("2026-01-01"), "value"] == 10_000   # a new year
    changes = tiny.indicator_changes("self_service_cases", None, "2026-09-01", "2026-10-31")
    assert changes["value"].tolist() == [90_000, 100_000]
    assert changes["prior"].tolist() == [81_000, 90_000]
    per_district = tiny.indicator_monthly_by_district("self_service_cases", "2026-09-01",
                                                      "2026-10-31")
    assert per_district["value"].tolist() == [90_000, 100_000]


# --- names and directions ------------------------------------------------------------------

def test_the_plans_own_names():
    get = catalog.BUILT_IN.get
    assert get("supervision_connected_rate").name_zh == "非现场监管资源对接率"
    assert get("supervision_connected_rate").name_en == "Non-site supervision resources linked"
    assert get("double_random_rate").name_zh == "“双随机”事项覆盖率"
    assert get("double_random_rate").name_en == "Double-random inspection items covered"


def test_each_solid_waste_kind_says_which_way_is_better():
    better = {code: catalog.BUILT_IN.get(code).better
              for code in ("waste_household", "waste_construction", "waste_industrial",
                           "waste_hazardous", "waste_medical")}
    # produced: better less; medical waste disposed: better more (collected safely);
    # household waste collected: collection is near complete, so it follows what is thrown
    # away: better less
    assert better == {"waste_household": "lower", "waste_construction": "lower",
                      "waste_industrial": "lower", "waste_hazardous": "lower",
                      "waste_medical": "higher"}
