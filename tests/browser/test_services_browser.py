"""The government-services screen (/services) in real Chromium, in Chinese and English: its
KPI cards, charts and department table drawn from the test city's service cases; a KPI card
chooses the district chart's indicator; a click on a district's bar chooses that district,
and the city-wide counts then say they are the city's."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser

GRAPHS = ("svc-rates", "svc-cases", "svc-ratings", "svc-departments", "svc-districts")


def _drawn(page, graph_id: str) -> None:
    page.wait_for_function(f"() => {{ const g = document.querySelector('#{graph_id} "
                           f".js-plotly-plot'); return g && g.data && g.data.length > 0; }}")


def _query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


@pytest.mark.parametrize("lang, words", [
    ("zh", ("政务服务", "法定时限内办结率", "差评率", "智能审批事项数", "全市口径", "各部门办件情况")),
    ("en", ("Services", "Completed within the legal limit", "Share of bad ratings",
            "Smart-approval services", "City-wide", "Cases by department"))])
def test_svc001_the_services_screen_in_both_languages(live_server, probe, queries, lang, words):
    page = probe.page
    page.set_default_timeout(45_000)      # five charts, cards and a table per filter change
    page.goto(f"{live_server.url}/services?lang={lang}&from=2026-01-01&to=2026-10-31")
    for graph in GRAPHS:
        _drawn(page, graph)
    page.wait_for_function("() => document.querySelectorAll('#svc-kpis .kpi').length === 10")
    page.wait_for_function("() => document.querySelectorAll('#svc-table .ag-row').length > 3")
    assert page.inner_text("#app-notice") == ""      # the link's filters were all valid
    text = page.inner_text("body")
    for word in words:
        assert word in text, word
    # the table's first department is the one with most cases, as the query says
    frame = queries.service_breakdown("department", None, "2026-01-01", "2026-10-31")
    first = frame.iloc[0]["name_en" if lang == "en" else "name_zh"]
    assert page.inner_text("#svc-table .ag-row[row-index='0'] .ag-cell[aria-colindex='1']") \
        == first
    probe.screenshot(f"svc001-services-{lang}")
    # a KPI card chooses the district chart's indicator
    page.click("#svc-kpis .kpi:nth-child(7)")           # 差评率 / share of bad ratings
    page.wait_for_function("() => location.search.includes('indicator=bad_rating_share')")
    # the chart drawn for it (its title names it: the default's has a % too), so the bar
    # clicked next is not one of the chart being replaced
    page.wait_for_function("name => document.querySelector('#svc-districts .gtitle')"
                           ".textContent.includes(name)",
                           arg="差评率" if lang == "zh" else "Share of bad ratings")
    page.wait_for_load_state("networkidle")
    # a district's bar chooses that district; the city's counts say they are the city's
    bars = page.locator("#svc-districts .bars .point path")
    bar = max((bars.nth(i).bounding_box() for i in range(bars.count())),
              key=lambda box: box["width"])      # a district at 0% has no bar to click
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    page.wait_for_function("() => location.search.includes('district=')")
    assert _query(page)["district"] in queries.district_codes
    page.wait_for_function("() => document.querySelector('#svc-note').innerText.length > 0")
    assert probe.errors == []
