"""Sign-in in real Chromium: the login page, a district analyst whose screens follow their
districts and whose callbacks pass the CSRF check, a leader's narrower header, and a wall
display's kiosk token being revoked under it."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def signed_server(settings, tmp_path_factory, store):
    from app import create_app
    app = create_app(settings.with_(auth=True, access_path=tmp_path_factory.mktemp("acc")
                                    / "access.sqlite", wall_refresh_seconds=10))
    access = app.server.extensions["citybrain_access"]
    districts = [code for (code,) in store.rows("SELECT code FROM districts ORDER BY code")]
    access.add_user("analyst-2", "analyst", PASSWORD, districts[:2])
    access.add_user("boss", "leader", PASSWORD)
    names = dict(store.rows("SELECT code, name_zh FROM districts"))
    with LiveServer(app) as server:
        server.access, server.districts, server.names = access, districts, names
        yield server


def _sign_in(probe, server, name: str, next_path: str = "/"):
    page = probe.page
    page.goto(f"{server.url}{next_path}")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


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
    page.wait_for_selector("#ops-ranking .main-svg")
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
    _sign_in(probe, server, "boss", "/economy")
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
