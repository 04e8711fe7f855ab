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


def _lists(app, search: str):
    """The alerts' and 督办's callback for a query string, drawn afresh (nothing expanded,
    no digest of a last drawing)."""
    return run_callback(app, _key(app, "m-alerts.children"), search, 0, 0, [], None)


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
    cards, count, *_ = _lists(app, "?lang=zh")
    text = _text(cards)
    assert '"step": "acknowledge"' in text and '"step": "assign"' in text
    # the phone offers acknowledge, assign and close; resolve and silence are /command's
    assert '"step": "silence"' not in text and '"step": "resolve"' not in text
    n = len(records.records())
    assert n > 0 and count.startswith(f"{n}条")

    _as(app, monkeypatch, STAFF)
    cards, count, *_ = _lists(app, "?lang=zh")
    assert '"step"' not in _text(cards) and count.startswith(f"{n}条")
    page = run_callback(app, "app-page.children", "/m", "?lang=zh")
    assert "m-assign" not in _text(page)


def test_phone102_a_district_user_sees_their_districts_alerts_only(app, monkeypatch, records):
    """Alone, with nobody of the whole city looking: their districts' own alerts open (the
    same records as the city's view opens for them), no city-wide or other district's one."""
    _as(app, monkeypatch, ZHANGGONG)
    cards, count, *_ = _lists(app, "?lang=zh")
    mine = records.records()
    assert mine and {r["district"] for r in mine} == {"360702"}
    text = _text(cards)
    assert all(f'"data-key": "{r["key"]}"' in text for r in mine)
    assert count.startswith(f"{len(mine)}条")

    _as(app, monkeypatch, LEADER)
    _lists(app, "?lang=zh")
    city = records.records()
    assert {r["district"] for r in city} - {"360702"}       # others' alerts exist
    assert {r["key"] for r in city if r["district"] == "360702"} == {r["key"] for r in mine}
    assert all(r["opened_count"] == 1 for r in city)          # the same records, not reopened

    _as(app, monkeypatch, ZHANGGONG)
    scope, *_ = run_callback(app, _key(app, "m-scope.children"), "?lang=zh")
    # one district: it is all there is to see, so no other area is offered
    assert "m-scope-links" not in _text(scope) and "章贡区" in _text(scope)


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
    assert (drawn[2], drawn[4], drawn[5], _text(drawn[0]), _text(drawn[1])) == (
        default[2], default[4], default[5], _text(default[0]), _text(default[1]))
    cards, count, *_ = _lists(app, search)
    assert count == _lists(app, "")[1]


def test_phone105_lists_open_whole_and_an_unchanged_minute_redraws_nothing(app, monkeypatch,
                                                                          records):
    from dash.exceptions import PreventUpdate

    from layouts.phone import FIRST_ITEMS
    _as(app, monkeypatch, LEADER)
    first = _lists(app, "?lang=zh")
    n = len(records.records())
    assert n > FIRST_ITEMS
    assert first[0].__len__() == FIRST_ITEMS and first[6] is False      # "+n more" shown
    assert first[5] == f"另有 {n - FIRST_ITEMS} 条"
    key = _key(app, "m-alerts.children")
    whole = run_callback(app, key, "?lang=zh", 1, 0, ["alerts"], first[-1])
    assert len(whole[0]) == n and whole[5] == "收起"
    # the minute's tick with nothing changed: the cards stay as they are (an open list
    # open, buttons not swapped under a finger)
    with pytest.raises(PreventUpdate):
        run_callback(app, key, "?lang=zh", 2, 0, ["alerts"], whole[-1])
    # a step done elsewhere changes a holder: drawn again
    records.acknowledge(records.records()[0]["key"], LEADER)
    again = run_callback(app, key, "?lang=zh", 3, 0, ["alerts"], whole[-1])
    assert "已由 zhang 确认" in _text(again[0])


def test_phone106_one_tap_deadlines_are_the_centres_time(monkeypatch):
    """The one-tap deadlines count from the centre's clock (settings.local_now, Beijing
    time whatever the machine's zone): at 17:30 UTC it is 01:30 the next day in Beijing,
    and "tomorrow" is the day after that."""
    import datetime as dt

    from callbacks import phone as phone_callbacks
    monkeypatch.setattr(phone_callbacks, "local_now", lambda zone: dt.datetime(
        2026, 12, 5, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    assert phone_callbacks.due_time("2h", "Asia/Shanghai") == "2026-12-05 03:30"
    assert phone_callbacks.due_time("tomorrow", "Asia/Shanghai") == "2026-12-06 18:00"
    assert phone_callbacks.due_time("3d", "Asia/Shanghai") == "2026-12-08 18:00"
