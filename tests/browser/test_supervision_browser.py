"""督办/催办 in the browser (issue 19 item 2): an analyst issues a 督办 from the grid screen's
overdue list, reminds it, sees both in the event's history and the list's mark, and reminds it
again with one click in /command's 督办 panel; in English on
a smaller screen, the event table opens an event's history and refuses a past deadline; on the
grid screen, a grid cell chosen from its panel lists its open events, and one of them is
supervised from there."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import sign_in, signed_in_server

#: The event grid's first row drawn with its data: AG Grid's infinite model draws rows
#: before their block arrives (marked loading, or, seen on a loaded CI machine, unmarked with
#: empty cells) and a click on such a row chooses nothing.
_GRID_LOADED = ("() => !document.querySelector('#evt-table .ag-row-loading') && "
                "document.querySelector(\"#evt-table .ag-center-cols-container "
                ".ag-row[row-index='0'] [col-id='event_id']\")?.innerText.trim()")

pytestmark = pytest.mark.browser

LOCAL = re.compile(r"^(http://127\.0\.0\.1:\d+/|data:|blob:)")


@pytest.fixture(scope="module")
def server(settings, tmp_path_factory):
    with signed_in_server(settings, tmp_path_factory.mktemp("sv-browser")) as live:
        live.add_user("ana", "analyst")
        yield live


def test_sv001_issue_and_remind_from_the_overdue_list(server, probe):
    page = probe.page
    sign_in(page, server, "ana", "/grid?lang=zh")
    first = page.locator("#grid-overdue .ag-center-cols-container .ag-row[row-index='0']")
    first.wait_for()
    event_id = first.locator("[col-id='event_id']").inner_text().strip()
    first.click()
    panel = page.locator("#grid-sv-panel")
    panel.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('#grid-sv-history')"
                           "?.innerText.includes('尚无督办记录')")
    assert f"事件 {event_id}" in panel.inner_text()
    assert page.locator("#grid-sv-remind").is_disabled()
    page.fill("#grid-sv-note", "请三日内处置完毕")
    page.click("#grid-sv-issue")
    page.wait_for_function("() => document.querySelector('#grid-sv-message')"
                           "?.innerText.includes('已发出督办')")
    page.wait_for_function("() => document.querySelector('#grid-sv-history')"
                           "?.innerText.includes('请三日内处置完毕')")
    # the overdue list marks the event, the form now reminds
    page.wait_for_function(
        "() => document.querySelector(\"#grid-overdue .ag-row[row-index='0'] "
        "[col-id='supervision']\")?.innerText.includes('督办中')")
    assert page.locator("#grid-sv-issue").is_disabled()
    page.fill("#grid-sv-note", "仍未处置，请加快")
    page.click("#grid-sv-remind")
    page.wait_for_function("() => document.querySelector('#grid-sv-message')"
                           "?.innerText.includes('已催办')")
    page.wait_for_function("() => document.querySelectorAll('#grid-sv-history "
                           ".sv-step').length === 2")
    steps = page.locator("#grid-sv-history .sv-step").all_inner_texts()
    assert "督办" in steps[0] and "请三日内处置完毕" in steps[0] and "ana" in steps[0]
    assert "催办" in steps[1] and "仍未处置，请加快" in steps[1]
    probe.screenshot("sv001-grid-overdue-supervision-zh")
    # what the browser did is what the access file holds, audited
    log = server.access.audit_log(action="supervision")
    assert [(r["who"], f'"event":{event_id}' in r["what"]) for r in log] == [
        ("ana", True), ("ana", True)]
    # closing the panel hides it
    page.click("#grid-sv-close")
    panel.wait_for(state="hidden")
    probe.screenshot("sv001-grid-overdue-marked-zh")
    # the command screen lists it among the open 督办, held by its department
    page.goto(f"{server.url}/command?lang=zh")
    page.wait_for_function(f"() => document.querySelector('#cmd-supervision .sv-open-table')"
                           f"?.innerText?.includes('{event_id}')")
    # ... and reminds it there in one click (催办, with the usual words), audited
    page.locator(f'#cmd-supervision button[id*=\'"event":{event_id},\']').click()
    page.wait_for_function("() => document.querySelector('#cmd-supervision .cmd-message')"
                           f"?.innerText?.includes('已催办事件 {event_id}')")
    (item,) = server.app.citybrain_runtime.supervision.history(int(event_id))
    assert [(s.step, s.note) for s in item["steps"]][-1] == ("remind", "请加快办理")
    assert len(server.access.audit_log(action="supervision")) == 3
    assert probe.errors == [], probe.errors
    assert [u for u in probe.requests if not LOCAL.match(u)] == []


def test_sv002_the_event_table_shows_the_history_and_refuses_a_past_deadline(server,
                                                                             browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in(page, server, "ana", "/events?lang=en")
        row = page.locator("#evt-table .ag-center-cols-container .ag-row[row-index='0']")
        row.wait_for()
        # the grid asks for its rows again once the filter store is in: a click on the first
        # drawing's row can land on a row being replaced
        page.wait_for_load_state("networkidle")
        page.wait_for_function(_GRID_LOADED)
        event_id = row.locator("[col-id='event_id']").inner_text().strip()
        row.locator("[col-id='category']").click()
        try:
            page.locator("#evt-sv-panel").wait_for(state="visible", timeout=10_000)
        except PlaywrightTimeout:
            # seen once on a loaded CI machine: the reload came after the page went quiet,
            # the click landed on a row being replaced and did nothing; a user clicks again
            # (noted as a known rough edge, not hidden: the second click must open it)
            page.wait_for_function(_GRID_LOADED)
            assert row.locator("[col-id='event_id']").inner_text().strip() == event_id
            row.locator("[col-id='category']").click()
            page.locator("#evt-sv-panel").wait_for(state="visible")
        page.wait_for_function("() => document.querySelector('#evt-sv-history')"
                               "?.innerText.includes('Not under supervision')")
        assert f"Event {event_id}" in page.inner_text("#evt-sv-panel")
        page.fill("#evt-sv-deadline", "2020-01-01")
        page.click("#evt-sv-issue")
        page.wait_for_function("() => document.querySelector('#evt-sv-message')"
                               "?.innerText.includes('is past')")
        # refused: nothing written, the history unchanged
        assert "Not under supervision" in page.inner_text("#evt-sv-history")
        before = len(server.access.audit_log(action="supervision"))
        page.fill("#evt-sv-deadline", (dt.date.today() + dt.timedelta(days=2)).isoformat())
        page.fill("#evt-sv-note", "Clear it by Friday")
        page.click("#evt-sv-issue")
        page.wait_for_function("() => document.querySelector('#evt-sv-message')"
                               "?.innerText.includes('issued')")
        page.wait_for_function("() => document.querySelector('#evt-sv-history')"
                               "?.innerText.includes('Clear it by Friday')")
        assert "Open" in page.inner_text("#evt-sv-history")
        assert len(server.access.audit_log(action="supervision")) == before + 1
        Path("test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path="test-artifacts/sv002-events-supervision-en.png")
        assert errors == [], errors
    finally:
        context.close()


def test_sv003_supervise_an_event_of_a_grid_cell(server, probe):
    page = probe.page
    sign_in(page, server, "ana", "/grid?lang=zh")
    cells = page.locator("#grid-cell-events")
    # the cells with the most overdue open events: choosing one lists its open events
    first_cell = cells.locator(".gc-pick").first
    first_cell.wait_for()
    name = first_cell.inner_text().strip()
    first_cell.click()
    page.wait_for_function(f"() => document.querySelector('#grid-cell-events .gc-head')"
                           f"?.innerText.startsWith('{name}：未办结')")
    page.wait_for_url(re.compile(r"cell="))
    # the trail is a callback of its own
    page.wait_for_function("n => document.querySelector('#grid-breadcrumbs').innerText"
                           ".includes(n)", arg=name)
    # the overdue ones first, with how late; one not yet under 督办 is supervised from here
    assert "超期" in cells.locator(".gc-item").first.locator(".gc-hours").inner_text()
    item = cells.locator(".gc-item:not(:has(.gc-mark))").first
    event_id = item.locator(".gc-id").inner_text().strip()
    item.locator(".gc-supervise").click()
    page.locator("#grid-sv-panel").wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('#grid-sv-history')"
                           "?.innerText.includes('尚无督办记录')")
    assert f"事件 {event_id}" in page.inner_text("#grid-sv-panel")
    page.fill("#grid-sv-note", "网格内超期事件，请今日处置")
    page.click("#grid-sv-issue")
    page.wait_for_function("() => document.querySelector('#grid-sv-message')"
                           "?.innerText.includes('已发出督办')")
    # the cell's list marks it
    page.wait_for_function(
        "(id) => [...document.querySelectorAll('#grid-cell-events .gc-item')].some("
        "(li) => li.querySelector('.gc-id')?.innerText === id && "
        "li.querySelector('.gc-mark')?.innerText === '督办中')", arg=event_id)
    probe.screenshot("sv003-grid-cell-supervision-zh")
    log = server.access.audit_log(action="supervision")
    assert any(r["who"] == "ana" and f'"event":{event_id}' in r["what"] for r in log)
    assert probe.errors == [], probe.errors
    assert [u for u in probe.requests if not LOCAL.match(u)] == []
