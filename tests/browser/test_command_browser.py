"""指挥调度 in real Chromium: a leader acknowledges an alert on /command, an analyst assigns it
to a department (after a deadline in the past is refused and changes nothing), the wall's
alert list and command scene say who holds it, an escalated alert is red there, and the
analyst closes it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from data.command import Command
from tests.browser.conftest import ARTIFACTS, LiveServer

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def command_server(settings, tmp_path_factory, store):
    from app import create_app
    app = create_app(settings.with_(auth=True, access_path=tmp_path_factory.mktemp("cmd")
                                    / "access.sqlite", wall_refresh_seconds=4))
    access = app.server.extensions["citybrain_access"]
    access.add_user("boss", "leader", PASSWORD)
    access.add_user("ana", "analyst", PASSWORD)
    departments = dict(store.rows("SELECT code, name_zh FROM departments ORDER BY code"))
    with LiveServer(app) as server:
        server.command = Command(access.path, notifier=None)
        server.departments = departments
        yield server


def _sign_in(page, server, name: str, next_path: str):
    page.goto(f"{server.url}{next_path}")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def _row(page, key: str):
    return page.locator(f'#cmd-list tr[data-key="{key}"]')


def test_cmd101_acknowledge_assign_close_across_two_users_and_the_wall(browser,
                                                                     command_server):
    server = command_server
    leader = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = leader.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, server, "boss", "/command")
    page.wait_for_selector("#cmd-list tr.cmd-row")
    key = page.locator('#cmd-list tr.cmd-row[data-state="open"]').first.get_attribute(
        "data-key")
    assert server.command.record(key)["state"] == "open"
    _row(page, key).locator(".cmd-btn-acknowledge").click()
    expect(page.locator("#cmd-message .ok")).to_contain_text("已确认")
    expect(_row(page, key).locator(".cmd-holder")).to_contain_text("已由 boss 确认")
    assert server.command.record(key)["acknowledged_by"] == "boss"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cmd101-leader.png"))
    leader.close()

    analyst = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = analyst.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, server, "ana", "/command")
    page.wait_for_selector(f'#cmd-list tr[data-key="{key}"]')
    _row(page, key).locator(".cmd-btn-assign").click()
    expect(page.locator("#cmd-chosen-text")).to_contain_text("指派：")
    code, name = next(iter(server.departments.items()))
    page.click("#cmd-department")
    page.get_by_role("option", name=name, exact=True).click()
    # a deadline in the past: refused, said plainly, nothing changed
    page.fill("#cmd-deadline", "2020-01-01 09:00")
    page.fill("#cmd-note", "请当日核查")
    page.click(".cmd-assign-submit")
    expect(page.locator("#cmd-message .error")).to_contain_text("已过去")
    assert server.command.record(key)["state"] == "acknowledged"
    page.fill("#cmd-deadline", "2099-12-05 18:00")
    page.click(".cmd-assign-submit")
    expect(page.locator("#cmd-message .ok")).to_contain_text("已指派")
    holder = f"已指派 {name} · 截止 12-05 18:00"
    expect(_row(page, key).locator(".cmd-holder")).to_have_text(holder)
    record = server.command.record(key)
    assert (record["state"], record["department"], record["assigned_by"],
            record["assign_note"]) == ("assigned", code, "ana", "请当日核查")

    page.goto(f"{server.url}/wall?scenes=command:60,overview:60")
    page.wait_for_selector(f'li.wall-alert-item[data-key="{key}"]', state="attached")
    assert (page.locator(f'li.wall-alert-item[data-key="{key}"] .wall-alert-holder')
            .text_content() == holder)
    expect(page.locator("#wall-command-alerts")).to_contain_text(holder)
    page.wait_for_selector("#wall-banner:not([hidden])")

    # another alert left unacknowledged past its minutes escalates: at the wall's next
    # refresh it is red in the list and the scene, and it interrupts the banner's turn
    other = next(r["key"] for r in server.command.records() if r["state"] == "open"
                 and r["key"] != page.get_attribute("#wall-banner", "data-key"))
    server.command.access.connection().execute(
        "UPDATE alert_records SET opened_at = '2020-01-01T00:00:00+00:00' WHERE key = ?",
        (other,))
    expect(page.locator("#wall-banner")).to_have_attribute("data-key", other)
    expect(page.locator("#wall-banner")).to_have_class(re.compile("escalated"))
    expect(page.locator(f'li.wall-alert-item[data-key="{other}"]')).to_have_class(
        re.compile("escalated"))
    expect(page.locator("#wall-command-alerts")).to_contain_text("超时未确认")
    page.screenshot(path=str(ARTIFACTS / "cmd101-wall.png"))

    page.goto(f"{server.url}/command")
    page.wait_for_selector(f'#cmd-list tr[data-key="{key}"]')
    assert "late" in _row(page, other).get_attribute("class")
    _row(page, key).locator(".cmd-btn-close").click()
    page.wait_for_selector(f'#cmd-list tr[data-key="{key}"]', state="detached")
    assert server.command.record(key)["closed_by"] == "ana"
    steps = [row["what"] for row in server.command.access.audit_log(action="alert")
             if key in row["what"]]
    assert [re.search(r'"step":"(\w+)"', s).group(1) for s in reversed(steps)] == [
        "open", "acknowledge", "assign", "close"]
    analyst.close()
    assert errors == [], errors
