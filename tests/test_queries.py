"""The query layer against independent pandas computations over the same rows."""

import numpy as np
import pandas as pd
import pytest

from data import catalog
from data.aqi import daily_aqi
from data.queries import KPI_CODES, Queries
from tests.conftest import TEST_NOW

START, END = "2026-01-01", "2026-11-24"


@pytest.fixture(scope="module")
def events(store):
    """Raw events (not the rollup) as pandas, to recompute every event metric independently."""
    return store.df("SELECT district_code, category, status, reported_at, closed_at, "
                    "deadline_at, satisfaction FROM grid_events")


@pytest.fixture(scope="module")
def values(store):
    frame = store.df("SELECT v.*, d.population FROM indicator_values v "
                     "JOIN districts d ON d.code = v.district_code")
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


def _in_range(frame, col, start=START, end=END):
    day = pd.to_datetime(frame[col]).dt.normalize()
    return frame[(day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end))]


def on_time_rate(ev: pd.DataFrame, start=START, end=END, as_of=TEST_NOW) -> float:
    """The on-time rate as docs/DATA_MODEL.md defines it, from raw events (any report day):
    of the events due on the days [start, end] (up to the as-of day) whose outcome is known
    at the as-of time (closed, or open past the deadline), the share closed by the
    deadline."""
    as_of = pd.Timestamp(as_of)
    due = ev["deadline_at"].dt.normalize()
    mine = ev[(due >= pd.Timestamp(start)) & (due <= min(pd.Timestamp(end), as_of.normalize()))]
    known = mine[mine["closed_at"].notna() | (mine["deadline_at"] < as_of)]
    if known.empty:
        return float("nan")
    return 100.0 * (known["closed_at"] <= known["deadline_at"]).sum() / len(known)


def _pandas_event_metrics(every: pd.DataFrame, start=START, end=END) -> pd.Series:
    """Every event metric of an area's events (of any day): those of the events reported on
    the days [start, end], and the on-time rate of those due then."""
    ev = _in_range(every, "reported_at", start, end)
    closed = ev["closed_at"].notna()
    return pd.Series({
        "event_count": len(ev),
        "closure_rate": 100 * closed.mean(),
        "on_time_rate": on_time_rate(every, start, end),
        "mean_handling_hours": ((ev.loc[closed, "closed_at"] - ev.loc[closed, "reported_at"])
                                .dt.total_seconds() / 3600).mean(),
        "satisfaction_rate": 100 * (ev["satisfaction"].dropna() >= 4).mean(),
    })


@pytest.mark.parametrize("code", ["event_count", "closure_rate", "on_time_rate",
                                  "mean_handling_hours", "satisfaction_rate"])
def test_event_metrics_per_district_match_pandas_over_raw_events(queries, events, code):
    got = queries.indicator_by_district(code, START, END).set_index("district_code")["value"]
    want = events.groupby("district_code").apply(_pandas_event_metrics,
                                                 include_groups=False)[code]
    pd.testing.assert_series_equal(got.sort_index().astype(float),
                                   want.sort_index().astype(float), check_names=False,
                                   rtol=1e-9)


def test_city_event_metrics_and_per_10k(queries, events, store):
    ev = _in_range(events, "reported_at")
    want = _pandas_event_metrics(events)
    for code in ("closure_rate", "on_time_rate", "satisfaction_rate"):
        assert queries.indicator_value(code, None, START, END)["value"] == pytest.approx(want[code])
    pop = store.rows("SELECT sum(population) FROM districts")[0][0]
    per10k = queries.indicator_value("events_per_10k", None, START, END)["value"]
    assert per10k == pytest.approx(len(ev) * 1e4 / pop)


def test_flow_indicator_sums_months_and_compares_with_a_year_ago(queries, values):
    code = "retail_sales"
    got = queries.indicator_by_district(code, START, END).set_index("district_code")
    v = values[values.indicator_code == code]
    # statistics lag a month: the range ends at the last published month (October)
    last = v["period"].max()
    cur = v[(v.period >= START) & (v.period <= last)].groupby("district_code")["value"].sum()
    prior = v[(v.period >= "2025-01-01") & (v.period <= last - pd.DateOffset(years=1))]
    prior = prior.groupby("district_code")["value"].sum()
    np.testing.assert_allclose(got.loc[cur.index, "value"], cur, rtol=1e-9)
    np.testing.assert_allclose(got.loc[cur.index, "yoy"], (cur / prior - 1) * 100, rtol=1e-9)
    city = queries.indicator_value(code, None, START, END)
    assert city["value"] == pytest.approx(cur.sum())
    assert city["headline"] == pytest.approx((cur.sum() / prior.sum() - 1) * 100)


def test_rates_are_population_weighted_for_the_city(queries, values):
    code = "unemployment_rate"
    v = values[(values.indicator_code == code) & (values.period >= START)]
    per_d = v.groupby("district_code").agg(value=("value", "mean"), pop=("population", "first"))
    want = (per_d.value * per_d["pop"]).sum() / per_d["pop"].sum()
    assert queries.indicator_value(code, None, START, END)["value"] == pytest.approx(want)


def test_stocks_take_the_last_month(queries, values):
    code = "deposits"
    v = values[values.indicator_code == code]
    last = v[v.period == v.period.max()].set_index("district_code")["value"]
    got = queries.indicator_by_district(code, START, END).set_index("district_code")["value"]
    np.testing.assert_allclose(got.loc[last.index], last, rtol=1e-12)


def good_air_rate(air: pd.DataFrame, keys: list[str]) -> pd.Series:
    """The share of good-air days per ``keys`` (HJ 633-2012): each day's concentrations
    are the mean of the stations' daily means, its AQI computed from them (data/aqi.py), a
    day good at AQI <= 100."""
    pollutants = ["pm25", "pm10", "so2", "no2", "co", "o3_8h"]
    days = air.astype({p: float for p in pollutants}).groupby(keys + ["day"])[pollutants].mean()
    aqi = pd.Series(daily_aqi(*(days[p] for p in pollutants)), index=days.index)
    good = (aqi <= 100).astype(float).where(aqi.notna())
    return 100 * good.groupby(keys).mean() if keys else pd.Series({"city": 100 * good.mean()})


def test_air_and_water_metrics(queries, store):
    air = _in_range(store.df("SELECT * FROM air_daily"), "day")
    got = queries.indicator_by_district("good_air_rate", START, END).set_index("district_code")
    want = good_air_rate(air, ["district_code"])
    np.testing.assert_allclose(got.loc[want.index, "value"], want, rtol=1e-9)
    assert queries.indicator_value("good_air_rate", None, START, END)["value"] == \
        pytest.approx(good_air_rate(air, [])["city"])
    assert queries.indicator_value("pm25", None, START, END)["value"] == pytest.approx(
        air["pm25"].astype(float).mean(), rel=1e-6)
    water = store.df("SELECT district_code, period, class FROM water_quality "
                     "WHERE period >= DATE '2026-01-01'")
    assert queries.indicator_value("water_good_rate", None, START, END)["value"] == \
        pytest.approx(100 * (water["class"] <= 3).mean())


def test_one_district_filter_equals_its_row_in_the_by_district_table(queries):
    for code in ("fixed_asset_investment", "closure_rate", "good_air_rate"):
        table = queries.indicator_by_district(code, START, END).set_index("district_code")
        one = queries.indicator_value(code, "360702", START, END)
        assert one["value"] == pytest.approx(table.loc["360702", "value"])


def test_monthly_series_and_categories_match_pandas(queries, events):
    monthly = queries.events_monthly_by_status("360731")
    ev = events[events.district_code == "360731"]
    want = ev.groupby([ev.reported_at.dt.to_period("M").dt.to_timestamp(), "status"]).size()
    got = monthly.set_index([pd.to_datetime(monthly.period), "status"])["n"]
    assert got.sort_index().tolist() == want.sort_index().tolist()
    cats = queries.events_by_category(None, START, END).set_index("category")["n"]
    want = _in_range(events, "reported_at").groupby("category").size()
    assert cats.sort_index().tolist() == want.sort_index().tolist()
    assert set(cats.index) <= set(catalog.EVENT_CATEGORIES)


def test_kpis_agree_with_single_indicator_answers(queries):
    """The batched KPI query gives what each indicator's own query gives, for this range and
    for the range ending a month earlier (the trend arrow)."""
    for district in (None, "360731"):
        kpis = queries.kpis(district, START, END).set_index("code")
        assert kpis.index.tolist() == list(KPI_CODES)
        for code in KPI_CODES:
            one = queries.indicator_value(code, district, START, END)
            for key in ("value", "yoy", "headline"):
                assert kpis.loc[code, key] == pytest.approx(one[key], nan_ok=True), (code, key)
            # the range ending the month before this range's latest data
            last_month = pd.Timestamp(one["last"]).replace(day=1) - pd.Timedelta(days=1)
            before = queries.indicator_value(code, district, START, last_month.date().isoformat())
            assert kpis.loc[code, "previous"] == pytest.approx(before["headline"], nan_ok=True)
            # held to the target in force for 2026 (the demo plan's) and the district
            held = queries.catalogue.applied(code, 2026, district)
            assert kpis.loc[code, "status"] == one["status"] == catalog.breach(
                held, one["headline"])
            assert kpis.loc[code, "target"] == one["target"] == held.target, code


def test_a_range_after_the_last_publication_shows_the_latest_month(queries):
    got = queries.indicator_value("retail_sales", None, "2026-11-01", "2026-11-24")
    october = queries.indicator_value("retail_sales", None, "2026-10-01", "2026-10-31")
    assert got["value"] == pytest.approx(october["value"])
    assert str(got["last"])[:7] == "2026-10"


@pytest.mark.parametrize("bad", ["gdp; DROP TABLE districts", "../etc/passwd", "' OR 1=1 --"])
def test_names_not_in_the_catalogue_never_reach_sql(queries, store, bad):
    with pytest.raises(KeyError):
        queries.indicator_by_district(bad, START, END)
    with pytest.raises(KeyError):
        queries.indicator_value("gdp", bad, START, END)
    assert store.rows("SELECT count(*) FROM districts")[0][0] == 18


def test_memoised_queries_do_not_touch_the_store_twice(store):
    from flask import Flask
    from flask_caching import Cache

    class CountingStore:
        fingerprint, version = store.fingerprint, store.version
        part_versions = store.part_versions
        catalogue = store.catalogue
        calls = 0

        def df(self, sql, params=()):
            CountingStore.calls += 1
            return store.df(sql, params)

        def records(self, sql, params=()):
            CountingStore.calls += 1
            return store.records(sql, params)

        def rows(self, sql, params=()):
            return store.rows(sql, params)

    cache = Cache(Flask("t"), config={"CACHE_TYPE": "SimpleCache"})
    q = Queries(CountingStore(), cache)
    first = q.indicator_by_district("gdp", START, END)
    calls = CountingStore.calls
    again = q.indicator_by_district("gdp", START, END)
    assert CountingStore.calls == calls
    pd.testing.assert_frame_equal(first, again)
    q.indicator_by_district("gdp", START, "2026-06-30")
    assert CountingStore.calls > calls


def test_event_metrics_below_the_districts_match_pandas(queries, events, store):
    every = store.df("SELECT district_code, township_code, grid_code, reported_at, "
                     "closed_at, deadline_at, satisfaction, category, status FROM grid_events")
    raw = _in_range(every, "reported_at")
    township = raw.township_code.value_counts().index[0]     # the busiest township
    district = township[:6]
    for code in ("event_count", "closure_rate", "on_time_rate", "satisfaction_rate"):
        got = queries.event_metric_by_area(code, district, START, END).set_index("area_code")
        mine = every[every.district_code == district]
        want = mine.groupby("township_code").apply(_pandas_event_metrics,
                                                   include_groups=False)[code]
        np.testing.assert_allclose(got.loc[want.index, "value"].astype(float),
                                   pd.to_numeric(want).astype(float), rtol=1e-9)
        cells = queries.event_metric_by_area(code, township, START, END).set_index("area_code")
        mine = every[every.township_code == township]
        want = mine.groupby("grid_code").apply(_pandas_event_metrics, include_groups=False)[code]
        np.testing.assert_allclose(cells.loc[want.index, "value"].astype(float),
                                   pd.to_numeric(want).astype(float), rtol=1e-9)
    # the breakdowns and KPI cards follow a township too
    cats = queries.events_by_category(township, START, END).set_index("category")["n"]
    assert cats.sort_index().tolist() == raw[raw.township_code == township].groupby(
        "category").size().sort_index().tolist()
    kpis = queries.kpis(township, START, END).set_index("code")
    for code in ("closure_rate", "on_time_rate"):
        assert kpis.loc[code, "value"] == pytest.approx(
            _pandas_event_metrics(every[every.township_code == township])[code])
    with pytest.raises(KeyError, match="not an event metric"):
        queries.event_metric_by_area("gdp", district, START, END)
    with pytest.raises(KeyError):
        queries.event_metric_by_area("event_count", "3607'--", START, END)


def _pandas_event_basis(every: pd.DataFrame, start=START, end=END,
                        as_of=TEST_NOW) -> pd.Series:
    """What each event metric of an area rests on, from raw events: the events reported in
    [start, end] (count, closure), those of them closed (handling time) and rated
    (satisfaction), and the events due then whose outcome is known (on time)."""
    ev = _in_range(every, "reported_at", start, end)
    as_of = pd.Timestamp(as_of)
    due = every["deadline_at"].dt.normalize()
    mine = every[(due >= pd.Timestamp(start)) & (due <= min(pd.Timestamp(end),
                                                             as_of.normalize()))]
    known = mine[mine["closed_at"].notna() | (mine["deadline_at"] < as_of)]
    return pd.Series({"event_count": len(ev), "closure_rate": len(ev),
                      "mean_handling_hours": int(ev["closed_at"].notna().sum()),
                      "satisfaction_rate": int(ev["satisfaction"].notna().sum()),
                      "on_time_rate": len(known)})


@pytest.mark.parametrize("code", ["event_count", "closure_rate", "on_time_rate",
                                  "mean_handling_hours", "satisfaction_rate"])
def test_the_events_a_township_or_cells_value_rests_on_match_pandas(queries, store, code):
    """The ranking writes the count beside each township's and grid cell's rate: the events
    it is taken over, as pandas counts them on the raw rows (an area without any: 0), and
    the areas are held to their district's target."""
    every = store.df("SELECT district_code, township_code, grid_code, reported_at, "
                     "closed_at, deadline_at, satisfaction FROM grid_events")
    township = _in_range(every, "reported_at").township_code.value_counts().index[0]
    district = township[:6]
    for parent, column in ((district, "township_code"), (township, "grid_code")):
        got = queries.event_metric_by_area(code, parent, START, END).set_index("area_code")
        inside = every[every[column].str.startswith(parent)]
        want = inside.groupby(column).apply(_pandas_event_basis, include_groups=False)[code]
        assert got.loc[want.index, "events"].tolist() == want.astype(int).tolist()
        assert (got.drop(want.index)["events"] == 0).all()    # no event at all: none
        assert got["events"].sum() > 0
        held = queries.catalogue.applied(code, 2026, district)
        assert (got["target"].dropna() == held.target).all()
        assert got["status"].tolist() == [catalog.breach(held, None if pd.isna(h) else h)
                                          for h in got["headline"]]


@pytest.mark.parametrize("start, end", [
    ("2026-01-01", "2026-11-24"),     # whole months, then days of November
    ("2025-12-17", "2026-03-09"),     # days, whole months across a year, days
    ("2026-04-03", "2026-04-28"),     # inside one month: days only
    ("2026-02-01", "2026-02-28"),     # exactly one month
    ("2026-09-01", "2026-12-31"),     # whole months, then days past the as-of day
])
def test_every_grid_cells_metrics_match_pandas_over_any_range(queries, store, start, end):
    """The all-cells map reads whole months from the monthly rollup and the days around
    them from the daily one: every cell's count and rates, and the year-ago values, as
    pandas computes them from the raw events."""
    raw = store.df("SELECT grid_code, reported_at, closed_at, deadline_at, satisfaction "
                   "FROM grid_events")
    got = queries.event_metric_by_area("closure_rate", None, start, end, cells=True)
    counts = queries.event_metric_by_area("event_count", None, start, end, cells=True)
    now = _in_range(raw, "reported_at", start, end)
    # every cell's count and closure rate at once (~9,000 cells: _pandas_event_metrics once
    # per cell takes ~30 s), and the same as _pandas_event_metrics for the busiest cells
    cells = now.assign(closed=now["closed_at"].notna()).groupby("grid_code")
    want = pd.DataFrame({"event_count": cells.size(),
                         "closure_rate": 100 * cells["closed"].mean()})
    for cell in want["event_count"].nlargest(10).index:
        assert want.loc[cell].tolist() == pytest.approx(_pandas_event_metrics(
            now[now.grid_code == cell], start, end)[["event_count", "closure_rate"]].tolist(),
            rel=1e-12)
    got, counts = got.set_index("area_code"), counts.set_index("area_code")
    assert counts.loc[want.index, "value"].tolist() == want["event_count"].astype(float).tolist()
    assert (counts.drop(want.index)["value"] == 0).all()
    np.testing.assert_allclose(got.loc[want.index, "value"].astype(float),
                               pd.to_numeric(want["closure_rate"]).astype(float), rtol=1e-9)
    year_ago = _in_range(raw, "reported_at", *(str(pd.Timestamp(d) - pd.DateOffset(years=1))[:10]
                                                for d in (start, end)))
    prior = year_ago.groupby("grid_code").size()
    assert counts.loc[prior.index, "prior"].tolist() == prior.astype(float).tolist()
    # the on-time rate of the events due in the range (whole months that end by the as-of
    # day from the monthly due rollup), every cell at once, as on_time_rate defines it
    on_time = queries.event_metric_by_area("on_time_rate", None, start, end,
                                           cells=True).set_index("area_code")
    as_of = pd.Timestamp(TEST_NOW)
    due = raw["deadline_at"].dt.normalize()
    mine = raw[(due >= pd.Timestamp(start)) & (due <= min(pd.Timestamp(end), as_of.normalize()))]
    known = mine[mine["closed_at"].notna() | (mine["deadline_at"] < as_of)]
    rate = 100.0 * (known["closed_at"] <= known["deadline_at"]).groupby(known["grid_code"]).mean()
    assert len(rate) > 100
    np.testing.assert_allclose(on_time.loc[rate.index, "value"].astype(float),
                               rate.astype(float), rtol=1e-9)
    # what each rate rests on: the events due whose outcome is known
    assert on_time.loc[rate.index, "events"].tolist() == \
        known.groupby("grid_code").size().loc[rate.index].tolist()
    # a year earlier, the same rule
    ago = [pd.Timestamp(d) - pd.DateOffset(years=1) for d in (start, end)]
    before = raw[(due >= ago[0]) & (due <= ago[1])]
    prior = 100.0 * (before["closed_at"] <= before["deadline_at"]).groupby(
        before["grid_code"]).mean()
    np.testing.assert_allclose(on_time.loc[prior.index, "prior"].astype(float),
                               prior.astype(float), rtol=1e-9)
    assert on_time.drop(rate.index)["value"].isna().all()     # nothing due: no rate
    busiest = known["grid_code"].value_counts().index[0]
    assert on_time.loc[busiest, "value"] == pytest.approx(
        on_time_rate(raw[raw.grid_code == busiest], start, end), rel=1e-12)


def test_map_layer_queries_match_pandas(queries, store):
    air = _in_range(store.df("SELECT station_code, district_code, day, aqi FROM air_daily"),
                    "day")
    stations = queries.stations_aqi("360702", START, END).set_index("code")
    want = air[air.district_code == "360702"].groupby("station_code")["aqi"].mean().round()
    assert stations["aqi"].to_dict() == want.to_dict()
    assert len(queries.stations_aqi(None, START, END)) == 42
    water = store.df("SELECT section_code, period, class FROM water_quality "
                     "WHERE period BETWEEN DATE '2026-01-01' AND DATE '2026-11-24'")
    latest = water.sort_values("period").groupby("section_code")["class"].last()
    got = queries.water_classes(None, START, END).set_index("code")["class"]
    assert got.to_dict() == latest.to_dict()
    counts = queries.event_density(None, START, END).set_index("area_code")["n"]
    raw = _in_range(store.df("SELECT township_code, reported_at FROM grid_events"),
                    "reported_at").groupby("township_code").size()
    assert counts.to_dict() == raw.to_dict()
    one = queries.areas("townships").code.iloc[0]
    cells = queries.event_density(one, START, END)
    assert cells["area_code"].str.startswith(one).all()


def test_a_selection_of_areas_answers_like_pandas_over_its_rows(queries, events):
    picked = ("360702", "360731", "360781")
    ev = _in_range(events, "reported_at")
    mine = ev[ev.district_code.isin(picked)]
    every = events[events.district_code.isin(picked)]
    kpis = queries.kpis(picked, START, END).set_index("code")
    for code in ("closure_rate", "on_time_rate", "satisfaction_rate"):
        assert kpis.loc[code, "value"] == pytest.approx(_pandas_event_metrics(every)[code])
    cats = queries.events_by_category(picked, START, END).set_index("category")["n"]
    assert cats.sort_index().tolist() == mine.groupby("category").size().sort_index().tolist()
    # statistics add up over the picked districts only
    retail = queries.indicator_by_district("retail_sales", START, END).set_index("district_code")
    assert kpis.loc["retail_sales", "value"] == pytest.approx(retail.loc[list(picked),
                                                                          "value"].sum())
    with pytest.raises(KeyError, match="one level"):
        queries.kpis(("360702", queries.areas("townships").code.iloc[0]), START, END)
