"""Key-task supervision (重点工作督办): the demo's tasks and Queries.key_tasks, whose status
rule is checked against an independent pandas computation over the progress rows."""

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from data.calendar import month_start
from data.demo import PLANTED_KEY_TASKS, Calendar, key_task_code, key_tasks
from data.queries import (
    KEY_TASK_AT_RISK_GAP,
    KEY_TASK_DONE,
    KEY_TASK_STATUSES,
    Queries,
)
from data.store import Store, connect
from tests.conftest import TEST_NOW

AS_OF = TEST_NOW.date().isoformat()
PLANTED = {key_task_code(TEST_NOW.year, n): status for n, status in PLANTED_KEY_TASKS.items()}


@pytest.fixture(scope="module")
def tasks(store):
    return store.df("SELECT * FROM key_tasks")


@pytest.fixture(scope="module")
def progress(store):
    frame = store.df("SELECT task_code, period, progress FROM key_task_progress")
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


def _months(a: pd.Series, b: pd.Timestamp | pd.Series) -> pd.Series:
    """Whole months from a to b (both month starts)."""
    return (b.dt.year if isinstance(b, pd.Series) else b.year) * 12 - a.dt.year * 12 \
        + (b.dt.month if isinstance(b, pd.Series) else b.month) - a.dt.month


def _pandas_statuses(tasks: pd.DataFrame, progress: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The status rule written out again in pandas: code -> progress, planned, status."""
    month = pd.Timestamp(month_start(as_of))
    reported = progress[progress["period"] <= month].sort_values("period")
    latest = reported.groupby("task_code")["progress"].last()
    frame = tasks.set_index("code")[["start_month", "due_month"]].apply(pd.to_datetime)
    frame["progress"] = latest.reindex(frame.index).fillna(0.0)
    elapsed = _months(frame["start_month"], month) + 1
    total = _months(frame["start_month"], frame["due_month"]) + 1
    frame["planned"] = (100.0 * elapsed / total).clip(0, 100)
    frame["status"] = np.select(
        [frame["progress"] >= 100, frame["due_month"] < month,
         frame["progress"] < frame["planned"] - 15],
        ["done", "overdue", "at_risk"], "on_track")
    return frame


def test_twenty_eight_tasks_each_led_by_a_known_department(store, tasks):
    assert len(tasks) == 28 and tasks["code"].is_unique
    departments = set(store.df("SELECT code FROM departments")["code"])
    assert set(tasks["lead_department_code"]) <= departments
    districts = set(store.df("SELECT code FROM districts")["code"])
    assert set(tasks["district_code"].dropna()) <= districts
    assert tasks["district_code"].isna().any()          # some are city-wide
    assert (tasks["title_zh"].str.len() > 0).all() and (tasks["title_en"].str.len() > 0).all()
    assert tasks["source"].notna().all() and tasks["as_of"].notna().all()


def test_tasks_belong_to_the_as_of_year_with_due_months_spread_over_it(tasks):
    start, due = pd.to_datetime(tasks["start_month"]), pd.to_datetime(tasks["due_month"])
    assert (due >= start).all()
    assert (due.dt.year == TEST_NOW.year).all()
    assert due.dt.month.nunique() >= 6
    assert (due < pd.Timestamp(month_start(AS_OF))).sum() >= 10     # many already past


def test_progress_is_monthly_cumulative_monotone_and_within_0_100(tasks, progress):
    assert progress["progress"].between(0, 100).all()
    assert (progress["period"].dt.day == 1).all()
    ordered = progress.sort_values(["task_code", "period"])
    steps = ordered.groupby("task_code")["progress"].diff().dropna()
    assert (steps >= 0).all()
    # one report a month from the start month through the as-of month, no gaps
    last = pd.Timestamp(month_start(AS_OF))
    span = tasks.set_index("code")["start_month"].pipe(pd.to_datetime)
    want = (_months(span, last) + 1).clip(lower=0)
    got = progress.groupby("task_code").size().reindex(span.index, fill_value=0)
    pd.testing.assert_series_equal(got, want, check_names=False, check_dtype=False)


def test_most_tasks_reach_100_by_their_due_month(tasks, progress):
    due = tasks.set_index("code")["due_month"].pipe(pd.to_datetime)
    at_due = progress[progress["period"] == progress["task_code"].map(due)]
    done = at_due.set_index("task_code")["progress"] >= 100
    past = due[due < pd.Timestamp(month_start(AS_OF))].index
    assert done.reindex(past).fillna(False).sum() >= len(past) - 4
    assert not done.reindex([c for c, s in PLANTED.items() if s == "overdue"]).any()


def test_planted_tasks_come_out_with_their_status_and_no_others_off_track(queries):
    got = queries.key_tasks(AS_OF).set_index("code")["status"]
    assert 3 <= sum(s == "overdue" for s in PLANTED.values()) <= 4
    assert 3 <= sum(s == "at_risk" for s in PLANTED.values()) <= 4
    for code, status in PLANTED.items():
        assert got[code] == status, code
    off_track = got[got.isin(["overdue", "at_risk"])]
    assert off_track.to_dict() == PLANTED


@pytest.mark.parametrize("as_of", ["2026-03-15", "2026-06-01", "2026-09-30", AS_OF,
                                   "2027-01-31"])
def test_status_rule_matches_pandas_over_the_progress_rows(queries, tasks, progress, as_of):
    got = queries.key_tasks(as_of).set_index("code")
    want = _pandas_statuses(tasks, progress, as_of)
    assert list(got.index) == sorted(got.index, key=lambda c: (
        KEY_TASK_STATUSES.index(want.loc[c, "status"]), want.loc[c, "due_month"], c))
    want = want.loc[got.index]
    assert (got["status"] == want["status"]).all()
    np.testing.assert_allclose(got["progress"], want["progress"])
    np.testing.assert_allclose(got["planned"], want["planned"])
    assert set(got["status"]) <= set(KEY_TASK_STATUSES)


def test_the_rule_constants_are_the_documented_ones():
    assert (KEY_TASK_DONE, KEY_TASK_AT_RISK_GAP) == (100.0, 15.0)


def test_columns_languages_and_names(queries, store):
    zh = queries.key_tasks(AS_OF)
    assert list(zh.columns) == [
        "code", "title", "lead_department_code", "lead_department", "district_code",
        "district", "start_month", "due_month", "period", "progress", "planned", "status",
        "leader"]
    en = queries.key_tasks(AS_OF, "en").set_index("code").loc[zh["code"]]
    names = store.df("SELECT code, name_zh, name_en FROM departments").set_index("code")
    assert (zh["lead_department"].to_numpy()
            == names.loc[zh["lead_department_code"], "name_zh"].to_numpy()).all()
    assert (en["lead_department"].to_numpy()
            == names.loc[en["lead_department_code"], "name_en"].to_numpy()).all()
    assert set(zh.loc[zh["district_code"].isna(), "district"]) == {"全市"}
    assert set(en.loc[en["district_code"].isna(), "district"]) == {"Citywide"}
    assert "章贡区" in set(zh["district"])
    assert (zh["status"].to_numpy() == en["status"].to_numpy()).all()
    with pytest.raises(ValueError, match="lang"):
        queries.key_tasks(AS_OF, "fr")
    with pytest.raises(ValueError):
        queries.key_tasks("2026-11-24' OR 1=1 --")


def test_the_department_filter_travels_as_a_parameter(tmp_path, city_path):
    """A code with a quote in it is data, not SQL: it finds its task and breaks nothing."""
    path = tmp_path / "quoted.duckdb"
    shutil.copy(city_path, path)
    con = connect(path, read_only=False)
    con.execute("INSERT INTO departments VALUES (?, '督查室', 'Inspection Office')", ["D'99"])
    con.execute("INSERT INTO key_tasks (code, title_zh, title_en, lead_department_code, "
                "district_code, start_month, due_month, source, as_of) "
                "VALUES (?, '测试', 'test', ?, NULL, DATE '2026-01-01', "
                "DATE '2026-12-01', 'test', TIMESTAMP '2026-11-24 10:00')",
                ["KT2026-'99", "D'99"])
    con.execute("INSERT INTO key_task_progress VALUES (?, DATE '2026-11-01', 40, NULL, NULL)",
                ["KT2026-'99"])
    con.close()
    store = Store(path)
    try:
        queries = Queries(store)
        got = queries.key_tasks(AS_OF, department="D'99")
        assert got["code"].tolist() == ["KT2026-'99"]
        assert got["status"].tolist() == ["at_risk"]        # 40% against a plan of 91.7%
        assert queries.key_tasks(AS_OF, department="x' OR '1'='1").empty
        assert len(queries.key_tasks(AS_OF)) == 29
        d01 = queries.key_tasks(AS_OF, department="D01")
        assert len(d01) > 0 and (d01["lead_department_code"] == "D01").all()
    finally:
        store.close()


@pytest.mark.parametrize("now", [dt.datetime(2027, 1, 5, 9), dt.datetime(2027, 3, 10, 9),
                                 dt.datetime(2027, 7, 1, 9), TEST_NOW])
def test_generation_is_deterministic_and_plants_hold_through_the_year(now):
    cal = Calendar(now)
    first = key_tasks(cal, np.random.default_rng(5))
    again = key_tasks(cal, np.random.default_rng(5))
    for a, b in zip(first, again):
        pd.testing.assert_frame_equal(a, b)
    tasks, progress = first
    progress = progress.assign(period=pd.to_datetime(progress["period"]))
    status = _pandas_statuses(tasks, progress, now.date().isoformat())["status"]
    planted = {key_task_code(now.year, n): s for n, s in PLANTED_KEY_TASKS.items()}
    for code, want in planted.items():
        assert status[code] == want, (now, code)
    assert not status.drop(list(planted)).isin(["overdue", "at_risk"]).any()
