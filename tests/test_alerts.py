"""Alerts that agree with the screens: each states its window and the events a rate rests on,
rates on few events raise none, "since" is one definition for the wall and the report, and an
alert's link opens the overview on its area, window and indicator."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pandas as pd
import pytest

import i18n
from charts import command as command_charts
from charts import state as st
from charts import wall as wall_charts
from data import alerts, catalog, notify
from data.calendar import month_end, shift_months
from data.demo import PLANTED

OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


@pytest.fixture(scope="module")
def runtime(app):
    return app.citybrain_runtime


@pytest.fixture(scope="module")
def live(runtime):
    return alerts.live(runtime, "zh")


@pytest.fixture(scope="module")
def october(runtime):
    """The report's alerts of the last whole month before the store's as-of day."""
    return alerts.find(runtime, *OCTOBER, None, "zh")


def _one(frame, code, area):
    hit = frame[(frame["rule"] == "threshold") & (frame["code"] == code)
                & (frame["area_code"] == area)]
    assert len(hit) == 1, frame[["rule", "code", "area_code"]]
    return hit.iloc[0]


# --- the window and the events behind a rate ---------------------------------------------------

def test_live_rate_counts_the_events_it_rests_on(live, runtime, store):
    """The on-time rate rests on the events due in the window whose outcome is known (closed,
    or open past their deadline at the as-of time); the closure rate on the events reported."""
    today = runtime.as_of.date()
    start = today - dt.timedelta(days=alerts.LIVE_RATE_DAYS - 1)
    district = PLANTED["slow_handling"][0]
    on_time = _one(live, "on_time_rate", district)
    as_of = pd.Timestamp(store.rows("SELECT value FROM meta WHERE key = 'as_of'")[0][0])
    raw = store.df("SELECT reported_at, deadline_at, closed_at FROM grid_events "
                   "WHERE district_code = ?", [district])
    due_day = raw["deadline_at"].dt.date
    known = (raw["closed_at"].notna() & (due_day <= as_of.date())) | \
        (raw["closed_at"].isna() & (raw["deadline_at"] < as_of))
    due = raw[known & (due_day >= start) & (due_day <= today)]
    assert on_time["events"] == len(due) >= alerts.MIN_ALERT_EVENTS
    on_time_share = 100 * (due["closed_at"] <= due["deadline_at"]).sum() / len(due)
    assert on_time["value"] == pytest.approx(on_time_share)
    assert (on_time["start"], on_time["end"]) == (start, today)

    closure = live[(live["code"] == "closure_rate") & live["events"].notna()].iloc[0]
    reported = store.rows(
        "SELECT count(*) FROM grid_events WHERE CAST(reported_at AS DATE) BETWEEN ? AND ?"
        + ("" if closure["area_code"] == runtime.meta.get("city_code")
           else " AND district_code = ?"),
        [start, today] + ([] if closure["area_code"] == runtime.meta.get("city_code")
                          else [closure["area_code"]]))[0][0]
    assert closure["events"] == reported


def test_alert_text_states_window_and_count_in_both_languages(runtime, app, live):
    district = PLANTED["slow_handling"][0]
    events = int(_one(live, "on_time_rate", district)["events"])
    key = f"threshold:on_time_rate:{district}"
    zh = next(a["text"] for a in wall_charts.WallView(runtime, app, "zh").alerts
              if a["key"] == key)
    en = next(a["text"] for a in wall_charts.WallView(runtime, app, "en").alerts
              if a["key"] == key)
    assert f"（近{alerts.LIVE_RATE_DAYS}天，{events}件）" in zh and zh.startswith("安远县 按期办结率 ")
    assert f"(last {alerts.LIVE_RATE_DAYS} days, {events} events)" in en
    # a unit word is a word: "473 events", "2 days", never "473events"
    for alert in wall_charts.WallView(runtime, app, "en").alerts:
        text = alert["text"]
        assert not any(f"{d}events" in text or f"{d}days" in text for d in "0123456789")
        assert "last 3 days" in text if alert["key"].startswith("surge:") else True
        assert "last 2 days" in text if alert["key"].startswith("aqi:") else True


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_webhook_says_each_alert_as_the_wall_does(runtime, app, lang):
    """The webhook's text is the wall's line after its transition, from what the alert's
    record keeps (charts/command.snapshot): an emergency warning too, by its level and issuer,
    never by a value against a threshold."""
    view = wall_charts.WallView(runtime, app, lang)
    settings = runtime.settings.with_(base_url="http://cb.example", default_lang=lang)
    frame = alerts.live(runtime, lang)
    assert {"threshold", "aqi", "surge", "warning"} <= set(frame["rule"])
    wall_text = {a["key"]: a["text"] for a in view.alerts}
    for row in frame.itertuples():
        record = command_charts.snapshot(row, runtime.context, "./", runtime.catalogue)
        sent = notify.notification("open", {"key": row.key, **record}, settings)["text"]
        assert sent == (f"{i18n.t('notify_open', lang)}{wall_text[row.key]} http://cb.example/ "
                        f"{i18n.t('notify_phone', lang)}http://cb.example/m")
        if row.rule == "warning":
            assert row.detail in sent and i18n.number(row.value, lang) not in sent
    # a rate of service cases rests on cases, not events, in the record's line too (the
    # test city's live alerts have none: one made of a threshold alert)
    rate = next(row for row in frame.itertuples() if row.rule == "threshold")
    cases = rate._replace(code="service_on_time_rate")
    assert runtime.catalogue.get(cases.code).kind == "cases"
    record = command_charts.snapshot(cases, runtime.context, "./", runtime.catalogue)
    line = alerts.alert_line(record, lang)
    assert line == alerts.alert_line(cases._asdict(), lang, runtime.catalogue)
    assert alerts.events_label(int(cases.events), runtime.catalogue.get(cases.code), lang) \
        in line
    if lang == "en":      # Chinese counts both in 件
        assert f"{int(cases.events):,} cases" in line and " events" not in line


def test_window_label_names_a_month_or_the_last_days():
    assert alerts.window_label(*OCTOBER, "zh") == "2026年10月"
    assert alerts.window_label(*OCTOBER, "en") == "October 2026"
    assert alerts.window_label(dt.date(2026, 11, 1), dt.date(2026, 11, 24), "zh") == \
        "2026年11月（截至24日）"
    assert alerts.window_label(dt.date(2026, 10, 26), dt.date(2026, 11, 24), "en") == \
        "last 30 days"


# --- few events -------------------------------------------------------------------------------

def test_rates_on_few_events_raise_no_alert(live, october, runtime):
    """No alert rests on fewer than MIN_ALERT_EVENTS events; a district past the line on fewer
    (the test city has some) is left out, one on more is in."""
    for frame in (live, october):
        counted = frame["events"].dropna()
        assert len(counted) and (counted >= alerts.MIN_ALERT_EVENTS).all()
    today = runtime.as_of.date()
    start = (today - dt.timedelta(days=alerts.LIVE_RATE_DAYS - 1)).isoformat()
    left_out = kept = 0
    for code in ("closure_rate", "on_time_rate", "satisfaction_rate", "mean_handling_hours"):
        frame = runtime.queries.indicator_by_district(code, start, today.isoformat())
        past = frame[frame["status"] == "alert"]
        raised = set(live.loc[(live["rule"] == "threshold") & (live["code"] == code),
                              "area_code"])
        for row in past.itertuples():
            few = row.events < alerts.MIN_ALERT_EVENTS
            assert (row.district_code in raised) != few, (code, row.district_code, row.events)
            left_out, kept = left_out + few, kept + (not few)
    assert left_out and kept
    assert alerts.rests_on_few(alerts.MIN_ALERT_EVENTS - 1)
    assert not alerts.rests_on_few(alerts.MIN_ALERT_EVENTS) and not alerts.rests_on_few(None)


# --- since ------------------------------------------------------------------------------------

def test_every_surging_cell_gets_its_own_since_from_one_query(runtime, queries, monkeypatch):
    """The surge alerts ask for all their cells' days in one query (a storm surges hundreds
    of cells; a query each kept the wall's refresh for tens of seconds under load): each
    cell's days and since are those it has asked alone, whatever the others' thresholds."""
    end = dt.date(2026, 11, 24)
    start = end - dt.timedelta(days=29)
    busiest = queries.store.rows(
        "SELECT grid_code FROM event_area_daily WHERE day BETWEEN ? AND ? GROUP BY 1 "
        "ORDER BY sum(n) DESC, 1 LIMIT 6", [start, end])
    cells = [cell for (cell,) in busiest]
    together = queries.event_cells_daily(tuple(cells), start.isoformat(), end.isoformat())
    assert set(together["grid_code"]) == set(cells)
    for cell in cells:
        alone = queries.event_cells_daily((cell,), start.isoformat(), end.isoformat())
        pd.testing.assert_frame_equal(
            together[together["grid_code"] == cell].reset_index(drop=True), alone)
    # thresholds from one event a day to more than any day has: runs of several lengths
    thresholds = {cell: float(30 * (1 + 2 * i)) for i, cell in enumerate(cells)}
    asked, df = [], queries.store.df
    monkeypatch.setattr(queries.store, "df", lambda *a: asked.append(a) or df(*a))
    since = alerts._surges_since(queries, thresholds, start, end)
    assert len(asked) == 1
    monkeypatch.undo()
    for cell, threshold in thresholds.items():
        assert since[cell] == alerts._surges_since(queries, {cell: threshold}, start,
                                                    end)[cell]
    assert len(set(since.values())) > 1, since
    assert alerts._surges_since(queries, {}, start, end) == {}


def test_since_agrees_between_the_wall_and_the_last_months_report(live, october):
    """The wall (as of 2026-11-24) and the report of October date every breach they share
    alike: both from the run of whole months past the line ending with October."""
    shared = live.merge(october, on=["rule", "code", "area_code"], suffixes=("_wall", "_rep"))
    shared = shared[shared["rule"] == "threshold"]
    assert len(shared) >= 3 and PLANTED["slow_handling"][0] in set(shared["area_code"])
    assert list(shared["since_wall"]) == list(shared["since_rep"])


def test_since_is_the_first_month_of_the_run_past_the_line(october, runtime):
    """Recomputed from the monthly series: every month from ``since`` to October is past the
    line on enough events, the month before is not; and the overview filtered from ``since``
    to October shows the indicator past the line."""
    q, catalogue = runtime.queries, runtime.catalogue
    checked = 0
    for row in october[(october["rule"] == "threshold")
                       & (october["area_code"].str.len() == 6)
                       & (october["area_code"] != runtime.meta.get("city_code"))].itertuples():
        ind = catalogue.get(row.code)
        if ind.frequency in ("monthly", "quarterly"):
            continue            # published a month late: they end with their latest month
        series = q.indicator_monthly_by_district(row.code, "2025-01-01", "2026-10-31")
        series = series[series["district_code"] == row.area_code].set_index("period")

        def past(month: dt.date) -> bool:
            at = pd.Timestamp(month)
            if at not in series.index:
                return False
            held = catalogue.applied(row.code, month.year, row.area_code)
            return (catalog.breach(held, series.loc[at, "headline"]) == "alert"
                    and not alerts.rests_on_few(series.loc[at, "events"]))

        month = row.since
        while month <= OCTOBER[0]:
            assert past(month), (row.code, row.area_code, month)
            month = shift_months(month, 1)
        assert not past(shift_months(row.since, -1))
        value = q.indicator_value(row.code, row.area_code, row.since.isoformat(),
                                  month_end(OCTOBER[0]).isoformat())
        assert value["status"] == "alert", (row.code, row.area_code, row.since)
        checked += 1
    assert checked >= 3


# --- the link ---------------------------------------------------------------------------------

def test_alert_link_opens_the_overview_on_its_area_window_and_indicator(runtime, app, live):
    view = wall_charts.WallView(runtime, app, "en")
    rows = live.set_index("key")
    for alert in view.alerts:
        row = rows.loc[alert["key"]]
        url = urlsplit(alert["href"])
        assert url.path == "./"             # the overview, relative: a path prefix works
        state, dropped = st.parse_query("?" + url.query, runtime.context)
        assert dropped == []
        city = row["area_code"] == runtime.meta.get("city_code")
        assert state.area == (None if city else row["area_code"])
        assert (state.start, state.end) == (row["start"].isoformat(), row["end"].isoformat())
        assert state.lang == "en"
        if row["rule"] == "warning":        # an emergency warning: its area's layers
            assert state.layers == ("warnings", "resources")
        else:
            assert state.indicator == row["code"]
        if row["rule"] == "threshold":      # the overview's figure is the alert's
            value = runtime.queries.indicator_value(row["code"], state.district, state.start,
                                                    state.end)
            assert value["headline"] == pytest.approx(row["value"])
    surge = next(a for a in view.alerts if a["key"].startswith("surge:"))
    state, _ = st.parse_query("?" + urlsplit(surge["href"]).query, runtime.context)
    assert state.cell and state.township and state.district
