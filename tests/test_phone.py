"""The phone view's callbacks (callbacks/phone.py) on the served test city, for each kind of
user: who may act gets the steps on each alert card and staff only see; a district user's
view holds their districts only, and the area links offer no other; the page has no filter
bar or navigation of the desktop screens; a KPI card's tap and a map tap change the query
string and nothing else. The browser walks are tests/browser/test_phone_browser.py."""

from __future__ import annotations

import json

import pytest

from charts import state as st
from data.access import Principal
from data.command import Command
from tests.conftest import run_callback

LEADER = Principal("zhang", "leader")
STAFF = Principal("wang", "staff")
ZHANGGONG = Principal("zg", "leader", frozenset({"360702"}))


def _key(app, output: str) -> str:
    return next(key for key in app.callback_map if output in key.strip(".").split("..."))


def _text(component) -> str:
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json")
                      else component, default=lambda c: c.to_plotly_json(),
                      ensure_ascii=False)


@pytest.fixture
def records(app, monkeypatch, tmp_path):
    runtime = app.citybrain_runtime
    found = Command(tmp_path / "access.sqlite", notifier=None,
                    departments=lambda: runtime.queries.departments()["code"].tolist())
    monkeypatch.setitem(runtime.__dict__, "_command", found)
    return found


def _as(app, monkeypatch, principal):
    monkeypatch.setattr(app.citybrain_runtime, "principal_of", lambda: principal)


def test_phone101_who_may_act_gets_the_steps_staff_only_see(app, monkeypatch, records):
    _as(app, monkeypatch, LEADER)
    cards, count, *_ = run_callback(app, _key(app, "m-alerts.children"), "?lang=zh", 0, 0)
    text = _text(cards)
    assert '"step": "acknowledge"' in text and '"step": "assign"' in text
    # the phone offers acknowledge, assign and close; resolve and silence are /command's
    assert '"step": "silence"' not in text and '"step": "resolve"' not in text
    n = len(records.records())
    assert n > 0 and count.startswith(f"{n}条")

    _as(app, monkeypatch, STAFF)
    cards, count, *_ = run_callback(app, _key(app, "m-alerts.children"), "?lang=zh", 0, 0)
    assert '"step"' not in _text(cards) and count.startswith(f"{n}条")
    page = run_callback(app, "app-page.children", "/m", "?lang=zh")
    assert "m-assign" not in _text(page)


def test_phone102_a_district_user_sees_their_districts_only(app, monkeypatch, records):
    _as(app, monkeypatch, LEADER)
    run_callback(app, _key(app, "m-alerts.children"), "?lang=zh", 0, 0)   # syncs the city
    assert {r["district"] for r in records.records()} - {"360702"}   # others' alerts exist
    _as(app, monkeypatch, ZHANGGONG)
    cards, *_ = run_callback(app, _key(app, "m-alerts.children"), "?lang=zh", 0, 0)
    text = _text(cards)
    shown = [r for r in records.records() if f'"data-key": "{r["key"]}"' in text]
    assert shown and {r["district"] for r in shown} == {"360702"}
    scope, *_ = run_callback(app, _key(app, "m-scope.children"), "?lang=zh")
    hrefs = [c["props"]["href"] for c in json.loads(_text(scope))["props"]["children"][1][
        "props"]["children"]]
    # the only other area is the district itself ("everywhere" is what is shown)
    assert len(hrefs) == 1 and "district=360702" in hrefs[0]


def test_phone103_the_page_has_no_desktop_chrome_and_taps_change_the_query(app, monkeypatch):
    _as(app, monkeypatch, LEADER)
    page = _text(run_callback(app, "app-page.children", "/m", "?lang=en&district=360702"))
    assert '"m-url"' in page and '"ops-' not in page and "app-nav" not in page
    context = app.citybrain_runtime.context
    search = "?lang=en&district=360702&indicator=pm25"
    card = {"prop_id": '{"code":"closure_rate","type":"m-kpi-card"}.n_clicks', "value": 1}
    new = run_callback(app, "m-url.search", [1], None, search, triggered=[card])
    state, dropped = st.parse_query(new, context)
    assert dropped == [] and (state.indicator, state.district, state.lang) == (
        "closure_rate", "360702", "en")
    township = next(code for code, district in context.townships.items()
                    if district == "360702")
    tap = {"prop_id": "m-map.clickData", "value": {"points": [{"location": township}]}}
    new = run_callback(app, "m-url.search", [0], tap["value"], search, triggered=[tap])
    assert st.parse_query(new, context)[0].township == township


HOSTILE = ("?district=360702'%20OR%201=1--&lang=zh", "?indicator=../../etc/passwd",
           "?lang=xx&district=%00&township=;DROP%20TABLE%20events", "?from=2026-13-45&to=abc")


@pytest.mark.parametrize("search", HOSTILE)
def test_phone104_a_hostile_query_string_draws_the_default_view(app, monkeypatch, records,
                                                                search):
    """The view's state is its query string, parsed as strictly as every screen's URL: a
    bad value is dropped, never an error or a query of its own."""
    _as(app, monkeypatch, LEADER)
    default = run_callback(app, _key(app, "m-scope.children"), "")
    drawn = run_callback(app, _key(app, "m-scope.children"), search)
    # the same area, indicator and language as with no query string at all
    assert (drawn[3], drawn[4], _text(drawn[0])) == (default[3], default[4], _text(default[0]))
    cards, count, *_ = run_callback(app, _key(app, "m-alerts.children"), search, 0, 0)
    assert count == run_callback(app, _key(app, "m-alerts.children"), "", 0, 0)[1]
