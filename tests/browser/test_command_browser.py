"""指挥调度 in real Chromium: a leader acknowledges an alert on the phone view (/m), an analyst
assigns it on /command to a department (after a deadline in the past is refused and changes
nothing), the wall's
alert list and command scene say who holds it, an escalated alert is red there, and the
analyst resolves it through the step form (an empty note refused first) and closes it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from data.command import Command
from tests.browser.conftest import PHONE, phone_card, signed_in, signed_in_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def command_server(settings, tmp_path_factory, store):
    with signed_in_server(settings, tmp_path_factory.mktemp("cmd"),
                          wall_refresh_seconds=4) as server:
        server.add_user("boss", "leader")
        server.add_user("ana", "analyst")
        server.command = Command(server.access.path, notifier=None)
        server.departments = dict(store.rows(
            "SELECT code, name_zh FROM departments ORDER BY code"))
        yield server


def _row(page, key: str):
    return page.locator(f'#cmd-list tr[data-key="{key}"]')


def test_cmd101_acknowledge_assign_close_across_two_users_and_the_wall(browser,
                                                                     command_server):
    server = command_server
    # the leader, away from the wall, acknowledges on the phone view
    with signed_in(browser, server, "boss", "/m", **PHONE) as leader:
        page = leader.page
        card = page.locator('.m-alert[data-state="open"]').first
        key = card.get_attribute("data-key")
        assert server.command.record(key)["state"] == "open"
        card.locator(".m-btn-acknowledge").tap()
        expect(page.locator(".m-message .ok")).to_contain_text("已确认")
        assert server.command.record(key)["acknowledged_by"] == "boss"
        expect(phone_card(page, key, "acknowledged").locator(".m-holder")).to_contain_text(
            "已由 boss 确认")
        leader.screenshot("cmd101-leader-phone")
        assert leader.errors == [], leader.errors

    with signed_in(browser, server, "ana", "/command") as analyst:
        page = analyst.page
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
        expect(page.locator("#cmd-note")).to_have_value("")     # not the next step's note
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
        # the next refresh: up to 4 s away, then its answer (seconds on a busy machine)
        expect(page.locator("#wall-banner")).to_have_attribute("data-key", other,
                                                               timeout=15_000)
        expect(page.locator("#wall-banner")).to_have_class(re.compile("escalated"))
        expect(page.locator(f'li.wall-alert-item[data-key="{other}"]')).to_have_class(
            re.compile("escalated"))
        expect(page.locator("#wall-command-alerts")).to_contain_text("超时未确认")
        analyst.screenshot("cmd101-wall")

        page.goto(f"{server.url}/command")
        page.wait_for_selector(f'#cmd-list tr[data-key="{key}"]')
        assert "late" in _row(page, other).get_attribute("class")
        # the row's resolve button turns the form into resolve's (a note only); an empty
        # note is refused and changes nothing
        _row(page, key).locator(".cmd-btn-resolve").click()
        expect(page.locator("#cmd-form")).to_have_class(re.compile("cmd-form-resolve"))
        expect(page.locator("#cmd-deadline")).to_be_hidden()
        expect(page.locator(".cmd-form-submit")).to_have_text("办结")
        page.click(".cmd-form-submit")
        expect(page.locator("#cmd-message .error")).to_contain_text("请填写办结说明")
        assert server.command.record(key)["state"] == "assigned"
        page.fill("#cmd-note", "已清理路面")
        page.click(".cmd-form-submit")
        expect(_row(page, key).locator(".cmd-holder")).to_contain_text("ana 已办结")
        assert server.command.record(key)["resolve_note"] == "已清理路面"
        _row(page, key).locator(".cmd-btn-close").click()
        page.wait_for_selector(f'#cmd-list tr[data-key="{key}"]', state="detached")
        assert server.command.record(key)["closed_by"] == "ana"
        steps = [row["what"] for row in server.command.access.audit_log(action="alert")
                 if key in row["what"]]
        assert [re.search(r'"step":"(\w+)"', s).group(1) for s in reversed(steps)] == [
            "open", "acknowledge", "assign", "resolve", "close"]
        assert analyst.errors == [], analyst.errors
