"""The key-task screen (/tasks) in real Chromium: both languages, choosing a task shows its
timeline, departments, leader and notes; a milestone row chooses its task; a district
analyst signed in sees their district's tasks and the city-wide ones only."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in, signed_in_server

pytestmark = pytest.mark.browser
LOCAL = re.compile(r"^(http://127\.0\.0\.1:\d+/|data:|blob:|about:)")
ROWS = """table => [...document.querySelectorAll(
    `#${table} .ag-center-cols-container .ag-row[row-index]`)]
  .sort((a, b) => a.getAttribute('row-index') - b.getAttribute('row-index'))
  .map(row => [...row.querySelectorAll('.ag-cell[aria-colindex]')]
    .sort((a, b) => a.getAttribute('aria-colindex') - b.getAttribute('aria-colindex'))
    .map(cell => cell.innerText))"""


def _ready(page) -> None:
    page.wait_for_selector("#tsk-departments .main-svg")
    page.wait_for_function(f"() => ({ROWS})('tsk-table').length > 3")
    page.wait_for_function(f"() => ({ROWS})('tsk-milestones').length > 3")


def _timeline_drawn(page) -> None:
    page.wait_for_function("() => { const g = document.querySelector('#tsk-timeline "
                           ".js-plotly-plot'); return g && g.data && g.data.some("
                           "t => t.mode === 'markers'); }")


def test_tsk001_choose_a_task_in_both_languages(live_server, probe, queries):
    page = probe.page
    page.goto(live_server.url + "/tasks")
    _ready(page)
    rows = page.evaluate(ROWS, "tsk-table")
    tasks = queries.key_tasks("2026-11-24")
    assert [r[0] for r in rows] == tasks["title"].tolist()[:len(rows)]
    assert rows[0][-1] == "逾期未完成"
    assert "28 项重点工作" in page.inner_text("#tsk-count")
    page.locator("#tsk-table .ag-center-cols-container .ag-row[row-index='0']").click()
    page.wait_for_selector(".task-detail-title")
    _timeline_drawn(page)
    detail = page.inner_text("#tsk-detail")
    first = tasks.iloc[0]
    assert first["title"] in detail and first["lead_department"] in detail
    assert "配合单位" in detail and "责任领导" in detail and "月度进展" in detail
    probe.screenshot("tsk001-tasks-zh")
    # a milestone row chooses its task
    page.locator("#tsk-milestones .ag-center-cols-container .ag-row[row-index='1']").click()
    task = page.evaluate(ROWS, "tsk-milestones")[1][3]
    page.wait_for_function("t => document.querySelector('.task-detail-title')?.innerText "
                           "=== t", arg=task)
    # in English, filtered to a status: the same screen in the other language
    page.click("#app-lang-link")
    page.wait_for_url(re.compile(r"lang=en"))
    _ready(page)
    assert "Key-task ledger" in page.inner_text("body")
    page.click("#tsk-status")
    page.get_by_role("option", name="At risk", exact=True).click()
    page.wait_for_function(f"() => ({ROWS})('tsk-table').every(r => r.at(-1) === 'At risk')")
    # the status is a filter as any other: in the URL, so a reload (or a link) keeps it
    page.wait_for_url(re.compile(r"status=at_risk"))
    page.reload()
    page.wait_for_function(f"() => {{ const rows = ({ROWS})('tsk-table'); return rows.length"
                           " > 0 && rows.every(r => r.at(-1) === 'At risk'); }")
    assert "At risk" in page.inner_text("#tsk-status")
    page.locator("#tsk-table .ag-center-cols-container .ag-row[row-index='0']").click()
    page.wait_for_selector(".task-detail-title")
    _timeline_drawn(page)
    assert "Co-operating" in page.inner_text("#tsk-detail")
    assert "status=at_risk" in page.get_attribute("#tsk-xlsx", "href")
    probe.screenshot("tsk001-tasks-en")
    assert probe.errors == [], probe.errors
    assert [u for u in probe.requests if not LOCAL.match(u)] == []


@pytest.fixture(scope="module")
def signed_server(settings, tmp_path_factory):
    with signed_in_server(settings, tmp_path_factory.mktemp("acc")) as server:
        server.add_user("nankang", "analyst", ["360703"])
        yield server


def test_tsk002_a_district_analyst_sees_their_tasks_and_the_citywide_ones(probe,
                                                                          signed_server):
    page = probe.page
    sign_in(page, signed_server, "nankang", "/tasks?lang=en")
    _ready(page)
    rows = page.evaluate(ROWS, "tsk-table")
    assert {r[2] for r in rows} == {"Citywide", "Nankang"}
    nankang = next(i for i, r in enumerate(rows) if r[2] == "Nankang")
    page.locator(f"#tsk-table .ag-center-cols-container .ag-row[row-index='{nankang}']"
                 ).click()
    page.wait_for_selector(".task-detail-title")
    _timeline_drawn(page)
    assert rows[nankang][0].rstrip("…") in page.inner_text(".task-detail-title")
    assert "Zhanggong" not in page.inner_text("body")
    probe.screenshot("tsk002-tasks-district-analyst")
    assert probe.errors == [], probe.errors
