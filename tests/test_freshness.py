"""Freshness: each feed's as-of, when it is overdue, and what the screens say about it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from charts.runtime import Runtime
from data import catalog, freshness


@pytest.mark.parametrize("frequency, as_of, reference, stale", [
    ("monthly", dt.datetime(2026, 10, 1), dt.datetime(2026, 11, 25), False),  # a month late
    ("monthly", dt.datetime(2026, 9, 1), dt.datetime(2026, 11, 25), True),    # two months
    ("quarterly", dt.datetime(2026, 9, 1), dt.datetime(2027, 1, 20), False),
    ("quarterly", dt.datetime(2026, 6, 1), dt.datetime(2026, 11, 25), True),
    ("hourly", dt.datetime(2026, 11, 24, 10), dt.datetime(2026, 11, 25, 9), False),
    ("hourly", dt.datetime(2026, 11, 20, 10), dt.datetime(2026, 11, 25, 9), True),
    ("event", None, dt.datetime(2026, 11, 25, 9), True),
])
def test_a_feed_is_stale_when_older_than_its_frequency_allows(frequency, as_of, reference,
                                                               stale):
    assert freshness.is_stale(frequency, as_of, reference) is stale


def test_every_indicator_has_a_feed_the_demo_records(queries):
    names = set(queries.datasets()["name"])
    for ind in catalog.BUILT_IN:
        assert freshness.feed_of(ind) in names, ind.code
    row = queries.datasets().set_index("name").loc["grid_events"]
    n, latest = queries.store.rows("SELECT count(*), max(reported_at) FROM grid_events")[0]
    assert row["row_count"] == n and row["as_of"] == latest
    assert row["source"] == "citybrain-demo/1"


def test_the_demo_city_is_never_stale(app):
    """A demo city is frozen at its as-of time: its feeds are judged at that time."""
    runtime = app.citybrain_runtime
    assert runtime.now == runtime.as_of and runtime.stale_feeds() == set()


@pytest.fixture
def late_city(new_city, monkeypatch):
    """The walk-through's city seen in March 2027: its October statistics are overdue."""
    import settings as settings_mod
    from app import create_app
    monkeypatch.setattr(Runtime, "now", property(lambda self: dt.datetime(2027, 3, 1)))
    return create_app(settings_mod.Settings(db_path=new_city, build_demo_if_missing=False,
                                              auth=False))


def test_overdue_feeds_are_said_on_kpi_cards_and_chart_titles(late_city):
    from charts.common import store_payload
    from charts.state import FilterState
    from tests.conftest import run_callback

    runtime = late_city.citybrain_runtime
    assert "indicator_values:retail_sales" in runtime.stale_feeds()
    data = store_payload(FilterState(None, "2026-01-01", "2026-10-31", "retail_sales", "zh"))
    cards = json.dumps(run_callback(late_city, "ops-kpis.children", data),
                       default=lambda c: c.to_plotly_json(), ensure_ascii=False)
    assert "数据过期" in cards
    figure = run_callback(late_city, "ops-trend.figure", data)
    # on the line under the title: beside it, a long title ran out of a narrow chart
    assert "数据截至 2026-10" in figure.layout.title.subtitle.text
    assert "数据过期" in figure.layout.title.subtitle.text

