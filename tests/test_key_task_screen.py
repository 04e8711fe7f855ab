"""The key-task screen (/tasks, issue 18 item 3): its questions (milestones, completion by
lead department, notes, departments) checked against pandas over the stored rows, a
district's scope, the chart, the callbacks called as functions and the Excel download."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from charts import state as st
from charts import tasks as task_charts
from charts.common import store_payload
from data.queries import Scope
from data.queries.key_tasks import (
    COMPLETION_COLUMNS,
    KEY_TASK_STATUSES,
    MILESTONE_COLUMNS,
    MILESTONE_STATUSES,
)
from tests.conftest import TEST_NOW, run_callback
from tests.new_city import serving

AS_OF = TEST_NOW.date().isoformat()            # 2026-11-24
OCTOBER_END = "2026-10-31"
CITY = st.FilterState(None, "2026-01-01", AS_OF, "fixed_asset_investment", "zh")


@pytest.fixture(scope="module")
def raw(store):
    """The ledger's rows as stored: tasks, milestones, departments, progress."""
    return {name: store.df(f"SELECT * FROM {name}") for name in (
        "key_tasks", "key_task_milestones", "key_task_departments", "key_task_progress")}


def _milestones_pandas(queries, raw, as_of: str) -> pd.DataFrame:
    """The milestone rule written out again: done; overdue (not done, due before the day);
    at risk (not done, not due, flagged behind or of a task at risk or overdue); open."""
    status = queries.key_tasks(as_of).set_index("code")["status"]
    m = raw["key_task_milestones"].copy()
    m["task_status"] = m["task_code"].map(status)
    due = pd.to_datetime(m["due_date"])
    day = pd.Timestamp(as_of)
    m["status"] = np.select(
        [m["done"], due < day, m["behind"] | m["task_status"].isin(["at_risk", "overdue"])],
        ["done", "overdue", "at_risk"], "open")
    m["rank"] = m["status"].map(MILESTONE_STATUSES.index)
    return m.assign(due=due).sort_values(["rank", "due", "task_code", "seq"]).reset_index(
        drop=True)


@pytest.mark.parametrize("as_of", ["2026-06-15", OCTOBER_END, AS_OF])
def test_milestones_are_judged_and_sorted_as_pandas_says(queries, raw, as_of):
    got = queries.key_task_milestones(as_of)
    want = _milestones_pandas(queries, raw, as_of)
    assert list(got.columns) == list(MILESTONE_COLUMNS)
    assert len(got) == len(raw["key_task_milestones"]) == 28 * 4
    assert got["task_code"].tolist() == want["task_code"].tolist()
    assert got["seq"].tolist() == want["seq"].tolist()
    assert got["status"].tolist() == want["status"].tolist()
    assert set(got["status"]) <= set(MILESTONE_STATUSES)
    # open only: the same rows without the done ones, in the same order
    open_ = queries.key_task_milestones(as_of, open_only=True)
    pd.testing.assert_frame_equal(open_.reset_index(drop=True),
                                  got[got["status"] != "done"].reset_index(drop=True))


def test_the_demo_plants_overdue_milestones_under_the_overdue_tasks(queries):
    got = queries.key_task_milestones(AS_OF, open_only=True)
    overdue = got[got["status"] == "overdue"]
    assert len(overdue) == 9
    assert overdue["due_date"].max() < pd.Timestamp(AS_OF)
    # every overdue task has an overdue milestone; they come first, oldest first
    tasks = queries.key_tasks(AS_OF)
    assert set(tasks.loc[tasks["status"] == "overdue", "code"]) <= set(overdue["task_code"])
    assert got["status"].iloc[:9].eq("overdue").all()
    assert list(overdue["due_date"]) == sorted(overdue["due_date"])
    assert overdue.iloc[0]["name"] == "主体工作完成"
    en = queries.key_task_milestones(AS_OF, "en", open_only=True)
    assert en.iloc[0]["name"] == "Main work done" and en.iloc[0]["title"] != \
        overdue.iloc[0]["title"]


@pytest.mark.parametrize("as_of", [OCTOBER_END, AS_OF])
def test_completion_by_lead_department_matches_pandas(queries, raw, as_of):
    got = queries.key_task_completion(as_of).set_index("lead_department_code")
    assert list(queries.key_task_completion(as_of).columns) == list(COMPLETION_COLUMNS)
    tasks = queries.key_tasks(as_of)
    want = pd.crosstab(tasks["lead_department_code"], tasks["status"]).reindex(
        columns=list(KEY_TASK_STATUSES), fill_value=0)
    m = raw["key_task_milestones"]
    late = m[~m["done"] & (pd.to_datetime(m["due_date"]) < pd.Timestamp(as_of))]
    lead = raw["key_tasks"].set_index("code")["lead_department_code"]
    want["overdue_milestones"] = late["task_code"].map(lead).value_counts().reindex(
        want.index, fill_value=0)
    want["total"] = want[list(KEY_TASK_STATUSES)].sum(axis=1)
    for column in ("total", *KEY_TASK_STATUSES, "overdue_milestones"):
        assert got[column].to_dict() == want[column].to_dict(), column
    assert got["total"].sum() == 28
    # the most overdue first
    assert list(got["overdue"]) == sorted(got["overdue"], reverse=True)
    names = raw["key_tasks"]      # names come from the departments table
    assert got.loc["D16", "lead_department"] == "行政审批局" and len(names) == 28


def test_october_end_figures(queries):
    """The month the report tests use: the numbers its section must say."""
    c = queries.key_task_completion(OCTOBER_END)
    assert (c["done"].sum(), c["on_track"].sum(), c["at_risk"].sum(),
            c["overdue"].sum(), c["overdue_milestones"].sum()) == (10, 11, 4, 3, 8)


def test_district_and_status_filters(queries, raw):
    tasks = raw["key_tasks"]
    got = queries.key_tasks(AS_OF, districts=("360702",))
    want = tasks[tasks["district_code"].isna() | (tasks["district_code"] == "360702")]
    assert sorted(got["code"]) == sorted(want["code"])
    assert set(got["district"]) == {"全市", "章贡区"}
    two = queries.key_tasks(AS_OF, districts=("360702", "360703"))
    assert len(two) == len(got) + (tasks["district_code"] == "360703").sum()
    assert queries.key_tasks(AS_OF, districts=()).district_code.isna().all()
    overdue = queries.key_tasks(AS_OF, status="overdue")
    assert overdue["code"].tolist() == ["KT2026-08", "KT2026-03", "KT2026-21"]
    ms = queries.key_task_milestones(AS_OF, status="overdue", department="D17")
    assert set(ms["task_code"]) == {"KT2026-21"} and len(ms) == 4
    with pytest.raises(ValueError, match="status"):
        queries.key_tasks(AS_OF, status="late' OR 1=1 --")
    with pytest.raises(ValueError, match="status"):
        queries.key_task_milestones(AS_OF, status="nope")


def test_a_tasks_notes_and_departments(queries, raw):
    notes = queries.key_task_notes("KT2026-02", AS_OF)
    progress = raw["key_task_progress"]
    want = progress[progress["task_code"] == "KT2026-02"].sort_values("period",
                                                                       ascending=False)
    assert notes["progress"].tolist() == want["progress"].tolist()
    assert notes["note"].tolist() == want["note_zh"].tolist()
    assert queries.key_task_notes("KT2026-02", AS_OF, "en")["note"].tolist() == \
        want["note_en"].tolist()
    # up to the month asked about
    assert pd.to_datetime(queries.key_task_notes("KT2026-02", "2026-06-30")["period"]
                          ).max() == pd.Timestamp("2026-06-01")
    departments = queries.key_task_departments("KT2026-02")
    stored = raw["key_task_departments"]
    stored = stored[stored["task_code"] == "KT2026-02"]
    assert departments["role"].tolist()[0] == "lead"
    assert departments["department_code"].iloc[0] == "D15"
    assert set(departments["department_code"]) == set(stored["department_code"])
    assert departments.loc[departments["role"] == "co", "department"].tolist() == \
        ["公安局", "行政审批局", "政法委员会"]
    assert queries.key_task_departments("KT2026-02", "en")["department"].iloc[0] == \
        "Data Bureau"
    assert queries.key_task_notes("no such task", AS_OF).empty


def test_a_district_reader_sees_its_own_and_the_citywide_tasks_only(queries, raw):
    scoped = queries.scoped(Scope(frozenset({"360703"})))
    tasks = raw["key_tasks"]
    mine = set(tasks.loc[tasks["district_code"].isna() | (tasks["district_code"] == "360703"),
                         "code"])
    assert set(scoped.key_tasks(AS_OF)["code"]) == mine
    assert set(scoped.key_task_milestones(AS_OF)["task_code"]) == mine
    assert scoped.key_task_completion(AS_OF)["total"].sum() == len(mine)
    # 章贡区's task (KT2026-12) is not theirs: no notes, no departments, not in the table
    assert "KT2026-12" not in mine
    assert scoped.key_task_notes("KT2026-12", AS_OF).empty
    assert scoped.key_task_departments("KT2026-12").empty
    assert not scoped.key_task_notes("KT2026-17", AS_OF).empty       # 南康区's own
    # asking for another district gives the city-wide ones only
    assert scoped.key_tasks(AS_OF, districts=("360702",))["district_code"].isna().all()


def test_the_chart_counts_every_task_by_department_and_status(app, queries):
    runtime = app.citybrain_runtime
    from layouts import theme
    fig = task_charts.departments_chart(CITY, runtime, theme.WALL)
    tasks = queries.key_tasks(AS_OF)
    by_status = {trace.name: sum(trace.x) for trace in fig.data}
    assert by_status == {"逾期未完成": 3, "进度滞后": 4, "正常推进": 6, "已完成": 15}
    bars = fig.data[0]      # overdue: the department codes ride in customdata
    assert {c for c, _ in bars.customdata} == set(tasks["lead_department_code"])
    # the top bar (plotly's last category) is a department with an overdue task
    top = bars.customdata[-1][0]
    assert (tasks[tasks["lead_department_code"] == top]["status"] == "overdue").any()
    en = task_charts.departments_chart(st.FilterState(**{**CITY.to_dict(), "lang": "en"}),
                                       runtime, theme.WALL)
    assert "Key tasks by lead department and status" in en.layout.title.text
    assert {t.name for t in en.data} == {"Overdue", "At risk", "On track", "Done"}


def _key(app, start: str) -> str:
    return next(k for k in app.callback_map if k.startswith(start))


def test_the_screen_renders_and_its_callbacks_fill_tables_and_detail(app):
    page = run_callback(app, "app-page.children", "/tasks", "?lang=en&district=360702")
    text = str(page)
    assert "tsk-table" in text and "Key-task ledger" in text
    data = store_payload(st.FilterState("360702", "2026-01-01", AS_OF,
                                        "fixed_asset_investment", "zh"))
    tables = _key(app, "..tsk-table.rowData")
    rows, marks, count, href, options = run_callback(app, tables, data)
    assert len(rows) == 21 and {r["district"] for r in rows} == {"全市", "章贡区"}
    assert rows[0]["status"] == "逾期未完成" and marks[0]["status_code"] == "overdue"
    open_marks = app.citybrain_runtime.queries.key_task_milestones(
        AS_OF, districts=("360702",), open_only=True)
    assert len(marks) == len(open_marks) == 13
    assert count == "21 项重点工作 · 13 个待完成节点"
    assert href.startswith("/download/tasks.xlsx?") and "district=360702" in href
    assert {o["value"] for o in options} >= {"D04", "D17"}
    # the screen's own filters are in the state: a department, a status
    chosen = st.FilterState("360702", "2026-01-01", AS_OF, "fixed_asset_investment", "zh",
                            department="D17", status="overdue")
    rows, marks, count, href, options = run_callback(app, tables, store_payload(chosen))
    assert [r["code"] for r in rows] == ["KT2026-21"]
    assert "department=D17" in href and "status=overdue" in href
    assert {o["value"] for o in options} >= {"D04", "D17"}     # every department to choose
    # ... so a link reopens them, and one naming what no one knows drops it, saying so
    assert st.parse_query(store_payload(chosen)["query"], app.citybrain_runtime.context) == (
        chosen, [])
    reopened, dropped = st.parse_query("?district=360702&department=D17&status=x",
                                       app.citybrain_runtime.context)
    assert (reopened.department, reopened.status, dropped) == ("D17", None, ["status=x"])
    assert len(run_callback(app, tables, store_payload(reopened))[0]) == 2
    # a store naming an unknown department is refused, as any bad store
    with pytest.raises(PreventUpdate):
        run_callback(app, tables, {**store_payload(chosen), "department": "D99"})
    # choosing a task: its departments, leader, notes and timeline
    detail, figure = run_callback(app, _key(app, "..tsk-detail.children"), data,
                                  [{"code": "KT2026-02"}])
    shown = str(detail)
    assert "建设城市运行管理中心" in shown and "公安局、行政审批局、政法委员会" in shown
    assert "常务副市长" in shown and "2026-11" in shown
    names = {trace.name for trace in figure.data}
    assert {"计划", "进度 %"} <= names and "逾期" in names
    # a task outside the state's districts: the placeholder
    detail, _ = run_callback(app, _key(app, "..tsk-detail.children"), data,
                             [{"code": "KT2026-17"}])
    assert "选择一项重点工作" in str(detail)
    # a milestone row chooses its task
    assert run_callback(app, "tsk-table.selectedRows", [{"task_code": "KT2026-21"}]) == \
        {"ids": ["KT2026-21"]}


def test_the_excel_download_holds_the_filtered_tasks_and_milestones(app):
    from openpyxl import load_workbook
    client = app.server.test_client()
    response = client.get("/download/tasks.xlsx?district=360702&lang=en&department=D17")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["About", "Key tasks", "Milestone"]
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert about["Judged at"] == "2026-11-24" and about["Rows"] == "2"
    # the department by its name, as the screen's dropdown shows it
    assert about["Department and status"].endswith(" · All statuses")
    assert "D17" not in about["Department and status"]
    assert about["Area"] == "Zhanggong"
    rows = list(book["Key tasks"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Code", "Task", "Lead")
    assert [r[0] for r in rows[1:]] == ["KT2026-21", "KT2026-16"]
    assert rows[1][-1] == "Overdue" and rows[1][7] == 73
    milestones = list(book["Milestone"].iter_rows(values_only=True))
    assert len(milestones) == 1 + 8
    assert client.get("/download/tasks.csv").status_code == 404


def test_a_store_without_milestone_tables_still_serves(tmp_path, city_path):
    import shutil

    from data.store import connect
    path = tmp_path / "old.duckdb"
    shutil.copy(city_path, path)
    con = connect(path, read_only=False)
    con.execute("DROP TABLE key_task_milestones")
    con.execute("DROP TABLE key_task_departments")
    con.close()
    with serving(path) as runtime:
        q = runtime.queries
        assert q.key_task_milestones(AS_OF).empty
        c = q.key_task_completion(AS_OF)
        assert c["total"].sum() == 28 and c["overdue_milestones"].sum() == 0
        assert q.key_task_departments("KT2026-02")["department_code"].tolist() == ["D15"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_figures_are_valid_plotly(app, lang):
    """The builders skip plotly's validation (layouts/figures/__init__.py): validate here."""
    import plotly.graph_objects as go

    from layouts import theme
    runtime = app.citybrain_runtime
    s = st.FilterState(None, "2026-01-01", AS_OF, "fixed_asset_investment", lang)
    chart = task_charts.departments_chart(s, runtime, theme.PRINT)
    detail = task_charts.task_detail(s, runtime, "KT2026-03", theme.WALL)
    for fig in (chart, detail.figure, task_charts.empty_timeline(lang, theme.WALL)):
        go.Figure(fig.to_dict())            # raises on a property plotly does not know
    assert detail.status == "overdue" and detail.leader == "常务副市长"
    assert len([t for t in detail.figure.data if t.mode == "markers"]) >= 2


def test_the_download_needs_the_download_and_tasks_permissions():
    from data.access import ROLES
    from web.auth import required
    assert required("/download/tasks.xlsx", {}, {}) == ("download", "tasks")
    may = {role for role, allowed in ROLES.items() if {"download", "tasks"} <= allowed}
    assert may == {"analyst", "admin"}


def test_a_store_from_before_the_leader_column_still_serves(tmp_path, city_path):
    import shutil

    from data.store import connect
    path = tmp_path / "older.duckdb"
    shutil.copy(city_path, path)
    con = connect(path, read_only=False)
    # the progress rows' foreign key holds the table: move them aside meanwhile
    con.execute("CREATE TABLE kept AS SELECT * FROM key_task_progress")
    con.execute("DROP TABLE key_task_progress")
    con.execute("ALTER TABLE key_tasks DROP COLUMN leader")
    con.execute("ALTER TABLE kept RENAME TO key_task_progress")
    con.close()
    with serving(path) as runtime:
        tasks = runtime.queries.key_tasks(AS_OF)
        assert len(tasks) == 28 and tasks["leader"].isna().all()


def test_the_screens_filters_go_through_the_filter_controller(app):
    """The dropdowns and a department's bar change the state (so the URL): a bar chooses its
    department and a second click shows them all again; an unknown department or status
    changes nothing."""
    from callbacks import tasks as tasks_callbacks
    from callbacks.filters import bar_controls, input_names
    from layouts.ids import Bar, Tasks
    mirrors = [c.key for c in (*bar_controls(Bar(Tasks.PREFIX)), *tasks_callbacks.CONTROLS)
               if c.shows]
    shown_at = 4 + mirrors.index(f"{Tasks.DEPARTMENT}.value")   # after store, notice, play

    def call(current, name, value):
        args = {key: None for key in input_names(Tasks.PREFIX, tasks_callbacks.CONTROLS)}
        args.update(search="", current=current, paused=True, **{name: value})
        return run_callback(app, app.filter_controllers[Tasks.PREFIX], *args.values(),
                            triggered=[{"prop_id": name, "value": value}])

    def control(current, name, value):
        return call(current, name, value)[0]

    city = store_payload(CITY)
    picked = control(city, f"{Tasks.DEPARTMENT}.value", "D17")     # from the dropdown
    assert picked["department"] == "D17" and "department=D17" in picked["query"]
    assert control(picked, f"{Tasks.DEPARTMENT}.value", None)["department"] is None
    bar = {"points": [{"customdata": ["D17"]}]}
    out = call(city, f"{Tasks.DEPARTMENTS}.clickData", bar)
    chosen = out[0]
    assert chosen["department"] == "D17" and "department=D17" in chosen["query"]
    assert out[shown_at] == "D17"                    # the dropdown shows the bar's choice
    assert control(chosen, f"{Tasks.DEPARTMENTS}.clickData", bar)["department"] is None
    status = control(chosen, f"{Tasks.STATUS}.value", "at_risk")
    assert (status["department"], status["status"]) == ("D17", "at_risk")
    assert "status=at_risk" in status["query"]
    for name, value in ((f"{Tasks.DEPARTMENT}.value", "D99"), (f"{Tasks.STATUS}.value", "x")):
        with pytest.raises(PreventUpdate):           # nothing changed: no update
            control(chosen, name, value)
    # 清除 clears them with the area and the time
    cleared = control(status, f"{Tasks.PREFIX}-clear.n_clicks", 1)
    assert (cleared["department"], cleared["status"]) == (None, None)


def test_a_department_leading_none_of_the_areas_tasks_stays_chosen_and_said(app):
    """A link naming a department that leads none of the district's tasks: the dropdown
    still offers (so shows) it, the table is empty, and the filter line says why."""
    from charts.common import filter_text
    state = st.FilterState("360702", "2026-01-01", AS_OF, "fixed_asset_investment", "zh",
                           department="D18", status="overdue")
    runtime = app.citybrain_runtime
    assert task_charts.tasks(state, runtime, task_charts.TaskFilters.of(state)).empty
    options = task_charts.department_options(state, runtime)
    name = runtime.queries.departments().set_index("code").loc["D18", "name_zh"]
    assert {"label": name, "value": "D18"} in options
    assert filter_text(state, runtime).endswith(f" · 牵头单位: {name} · 状态: 逾期未完成")
