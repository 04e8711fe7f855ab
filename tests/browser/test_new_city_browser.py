"""The walk-through's result in Chromium: the dashboard of a city made from two files shows
that city, its map and its numbers, and nothing of the demo city."""

from __future__ import annotations

import pytest

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def new_city_server(new_city):
    import settings as settings_mod
    from app import create_app
    app = create_app(settings_mod.Settings(db_path=new_city, build_demo_if_missing=False,
                                              auth=False))
    with LiveServer(app) as server:        # which cuts the interface font first
        yield server


@pytest.mark.parametrize("path", ["/?indicator=retail_sales", "/economy", "/wall?seconds=600"])
def test_new001_dashboard_shows_the_new_city(probe, new_city_server, path):
    page = probe.page
    page.goto(new_city_server.url + path)
    page.wait_for_load_state("networkidle")        # the page's callbacks have answered
    page.wait_for_selector(".js-plotly-plot")
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')]"
                           ".every((g) => g._fullLayout)")
    text = page.inner_text("body")
    assert "江门市" in text
    for trace in ("赣州", "章贡", "Ganzhou", "演示数据"):
        assert trace not in text, trace
    if path.startswith("/?"):
        # the map draws the new city's four districts, coloured by their retail sales (its
        # graph mounts after the page went quiet on a loaded machine: wait for it)
        page.wait_for_function("() => document.querySelector('#ops-map .js-plotly-plot')"
                               "?.data?.length > 0")
        locations = page.evaluate("() => document.querySelector('#ops-map .js-plotly-plot')"
                                  ".data[0].locations")
        assert sorted(locations) == ["440703", "440704", "440705", "440781"]
        # the ranking is drawn by a callback after the page's first answer
        page.wait_for_function("t => document.querySelector('#ops-ranking').innerText"
                               ".includes(t)", arg="蓬江区")
    name = path.strip("/").split("?")[0] or "overview"
    probe.screenshot(f"new001-{name}")
    assert probe.errors == []
