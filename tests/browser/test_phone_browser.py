"""The leader's phone view (/m) in Chromium's phone emulation (390x844, touch), in both
languages: signed in as usual, nothing cut and no sideways scroll, text readable without
zooming and buttons a finger wide; a KPI card's tap maps its indicator, the area links show
one district's scene; a leader assigns an alert there (a deadline in the past refused,
nothing changed). Staff seeing the alerts without the steps: tests/test_phone.py. The walk across
users (acknowledged on the phone, assigned on /command, the wall following) is cmd101 in
tests/browser/test_command_browser.py."""

from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from data.command import Command
from tests.browser.conftest import PHONE, phone_card, signed_in, signed_in_server
from tests.browser.test_layout_browser import OVERFLOW

pytestmark = pytest.mark.browser

#: Text smaller than this (CSS px) would need zooming on a phone; the version line in the
#: footer is for a support call, not for reading.
SMALLEST_TEXT = 13
#: A button or link to tap smaller than this (CSS px high) is not a finger's target.
SMALLEST_BUTTON = 40

READABILITY = """() => {
  const small = [], buttons = [];
  for (const el of document.querySelectorAll('.m-screen *')) {
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    if (s.display === 'none' || s.visibility !== 'visible' || r.width === 0) continue;
    if (el.closest('svg, .cb-version, details:not([open]) > :not(summary)')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own && parseFloat(s.fontSize) < %d) small.push(el.className + ' ' + s.fontSize);
    if (el.matches('button, .m-chip, .m-glance-link, .lang-link, summary')
        && r.height < %d) buttons.push(el.className + ' ' + r.height);
  }
  return {small, buttons};
}""" % (SMALLEST_TEXT, SMALLEST_BUTTON)


@pytest.fixture(scope="module")
def phone_server(settings, tmp_path_factory, store):
    with signed_in_server(settings, tmp_path_factory.mktemp("m")) as server:
        server.add_user("boss", "leader")
        server.command = Command(server.access.path, notifier=None)
        server.departments = dict(store.rows(
            "SELECT code, name_zh FROM departments ORDER BY code"))
        yield server


@contextmanager
def on_phone(browser, server, name: str, path: str):
    """``name`` signed in on a phone at ``path``, its alerts, KPI cards and map drawn."""
    with signed_in(browser, server, name, path, **PHONE) as phone:
        phone.page.wait_for_selector(".m-alert")
        phone.page.wait_for_selector(".m-kpis-body .kpi")
        phone.page.wait_for_function(
            "() => document.querySelector('#m-map .js-plotly-plot')?._fullLayout")
        yield phone


def _query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_phone001_reads_on_a_phone_and_shows_one_districts_scene(browser, phone_server, lang):
    with on_phone(browser, phone_server, "boss", f"/m?lang={lang}") as phone:
        page = phone.page
        assert page.evaluate(OVERFLOW) == {"cut": [], "sideways": False}
        assert page.evaluate(READABILITY) == {"small": [], "buttons": []}
        phone.screenshot(f"phone001-{lang}")
        if lang == "zh":          # the taps do the same in either language
            # a KPI card's tap: its indicator on the map, in the address
            card = page.locator(".m-kpis-body .kpi").nth(4)
            code = re.search(r'"code":"([^"]+)"', card.get_attribute("id")).group(1)
            name = card.locator(".kpi-name-text").text_content()
            card.tap()
            expect(page.locator("#m-map-title")).to_contain_text(name)
            assert _query(page)["indicator"] == code

            # an alert's line opens its district's scene: its KPI cards, its alerts only,
            # its townships on the map
            first = page.locator(".m-alert").filter(has=page.locator(".m-alert-text a")).first
            district = first.locator(".m-district").text_content()
            first.locator(".m-alert-text a").tap()
            expect(page.locator(".m-scope summary b")).to_have_text(district)
            expect(page.locator("#m-map-title")).to_contain_text(district)
            assert _query(page)["indicator"] == code and "district" in _query(page)
            page.wait_for_function(
                "(name) => { const d = [...document.querySelectorAll('.m-alert .m-district')];"
                " return d.length > 0 && d.every((e) => e.textContent === name); }",
                arg=district)
            # the language link keeps the district chosen
            assert f"district={_query(page)['district']}" in page.get_attribute("#m-lang",
                                                                                "href")
            assert page.evaluate(OVERFLOW) == {"cut": [], "sideways": False}
        assert phone.errors == []


def test_phone002_a_leader_assigns_an_alert_from_the_phone(browser, phone_server):
    """(Acknowledging on the phone is in cmd101's walk.)"""
    server = phone_server
    with on_phone(browser, server, "boss", "/m") as phone:
        page = phone.page
        # the fifth card, far below the form: the tap brings the form into view
        card = page.locator('.m-alert[data-state="open"]').nth(4)
        key = card.get_attribute("data-key")
        card.locator(".m-btn-assign").tap()
        expect(page.locator("#m-form")).to_be_visible()
        expect(page.locator("#m-chosen-text")).to_contain_text("指派：")
        expect(page.locator("#m-form")).to_be_in_viewport()
        code, name = next(iter(server.departments.items()))
        page.locator("#m-department").tap()
        page.get_by_role("option", name=name, exact=True).tap()
        page.fill("#m-deadline", "2020-01-01 09:00")     # past: refused, nothing changed
        page.locator(".m-assign-submit").tap()
        expect(page.locator(".m-message .error")).to_contain_text("已过去")
        assert server.command.record(key)["state"] == "open"
        page.locator(".m-due .m-chip", has_text="明天18:00").tap()    # one tap, Beijing's
        expect(page.locator("#m-deadline")).to_have_value(re.compile(r"\d{4}-\d\d-\d\d 18:00"))
        due = page.locator("#m-deadline").input_value()
        page.locator(".m-assign-submit").tap()
        expect(page.locator(".m-message .ok")).to_contain_text("已指派")
        expect(page.locator("#m-form")).to_be_hidden()
        mine = phone_card(page, key, "assigned")
        expect(mine.locator(".m-holder")).to_have_text(f"已指派 {name} · 截止 {due[5:]}")
        record = server.command.record(key)
        assert (record["state"], record["department"], record["assigned_by"]) == (
            "assigned", code, "boss")
        assert phone.errors == []
