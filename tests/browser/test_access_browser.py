"""Sign-in in real Chromium: the login page, a district analyst whose screens follow their
districts and whose callbacks pass the CSRF check, a leader's narrower header, and a wall
display's kiosk token being revoked under it."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PASSWORD, sign_in, signed_in_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def signed_server(settings, tmp_path_factory, store):
    districts = [code for (code,) in store.rows("SELECT code FROM districts ORDER BY code")]
    with signed_in_server(settings, tmp_path_factory.mktemp("acc"),
                          wall_refresh_seconds=10) as server:
        server.add_user("analyst-2", "analyst", districts[:2])
        server.add_user("boss", "leader")
        server.districts = districts
        server.names = dict(store.rows("SELECT code, name_zh FROM districts"))
        yield server


def test_login_then_a_district_analyst_sees_only_their_districts(probe, signed_server):
    page, server = probe.page, signed_server
    page.goto(f"{server.url}/grid")
    page.wait_for_url(re.compile(r"/login\?next=%2Fgrid"))
    page.wait_for_selector("#username")
    probe.screenshot("acc001-login")
    page.fill("#username", "analyst-2")
    page.fill("#password", "wrong password here")
    page.click("button[type=submit]")
    page.wait_for_selector("text=用户名或密码错误")
    page.fill("#username", "analyst-2")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/grid"))
    page.wait_for_selector("#grid-funnel .main-svg")   # a callback ran: CSRF header accepted
    page.wait_for_function("() => document.querySelectorAll("
                           "'#grid-departments .ag-center-cols-container .ag-row').length > 1")
    probe.screenshot("acc002-grid-two-districts")
    mine = {server.names[d] for d in server.districts[:2]}
    theirs = {server.names[d] for d in server.districts[2:]}
    page.goto(f"{server.url}/")
    page.wait_for_selector("#ops-ranking .bars .point path")     # drawn, not the empty graph
    page.wait_for_load_state("networkidle")
    ranking = page.inner_text("#ops-ranking")
    assert all(name in ranking for name in mine)
    page.click("#ops-district")          # the district list opens: their districts only
    page.get_by_role("option").first.wait_for()
    everything = page.inner_text("body")
    assert all(name in everything for name in mine)
    assert not [name for name in theirs if name in everything]
    assert "analyst-2" in page.inner_text("header")
    probe.screenshot("acc003-overview-two-districts")
    assert probe.errors == [], probe.errors


def test_a_leader_sees_the_overview_and_wall_links_only(probe, signed_server):
    page, server = probe.page, signed_server
    sign_in(page, server, "boss", "/economy")
    page.wait_for_selector("text=领导角色无权查看此页面")
    links = page.inner_text(".cb-screen")
    assert "运行指挥大屏" in links
    page.goto(f"{server.url}/")
    page.wait_for_selector("#ops-map")
    nav = page.inner_text(".cb-nav")
    assert nav.split() == ["运行总览"] or "网格" not in nav, nav
    page.click("text=退出")
    page.wait_for_url(re.compile(r"/login"))


def test_a_revoked_kiosk_token_takes_the_wall_off_the_display(probe, signed_server):
    page, server = probe.page, signed_server
    token_id, token = server.access.add_kiosk("指挥中心大屏")
    page.goto(f"{server.url}/wall?kiosk={token}")
    page.wait_for_selector(".wall-scene.shown .js-plotly-plot")
    probe.screenshot("acc004-kiosk-wall")
    server.access.revoke_kiosk(token_id)
    # the next refresh is refused (401): the page reloads and the token is refused
    page.wait_for_selector("text=这块屏幕的访问令牌无效或已被撤销", timeout=30_000)
    assert not page.query_selector(".wall-scene")
