"""Environment and economy screen queries against independent pandas computations over the
raw tables (air_daily, water_quality, indicator_values, grid_events)."""

import numpy as np
import pandas as pd
import pytest

from data import catalog
from data.queries import POLLUTANTS, Queries
from tests.test_queries import good_air_rate

START, END = "2026-01-01", "2026-11-24"
#: A range that starts and ends inside months: monthly answers cover the months it overlaps.
MID_START, MID_END = "2025-03-15", "2025-08-10"
PICKED = ("360702", "360731")      # a map lasso of two districts
ONE = "360731"


@pytest.fixture(scope="module")
def air(store):
    frame = store.df("SELECT * FROM air_daily")
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


@pytest.fixture(scope="module")
def stations(store):
    return store.df("SELECT s.code, s.name_zh, s.name_en, s.district_code, s.grid_code, "
                    "g.township_code FROM stations s JOIN grid_cells g ON g.code = s.grid_code")


@pytest.fixture(scope="module")
def water(store):
    frame = store.df("SELECT q.section_code, q.period, q.class, w.district_code, w.grid_code, "
                     "g.township_code FROM water_quality q "
                     "JOIN water_sections w ON w.code = q.section_code "
                     "JOIN grid_cells g ON g.code = w.grid_code")
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


@pytest.fixture(scope="module")
def events(store):
    frame = store.df("SELECT district_code, reported_at FROM grid_events")
    frame["period"] = frame["reported_at"].dt.to_period("M").dt.to_timestamp()
    return frame


def _months(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last month starts overlapping [start, end]."""
    return (pd.Timestamp(start).to_period("M").to_timestamp(),
            pd.Timestamp(end).to_period("M").to_timestamp())


def _pandas_series(values, code, districts=None) -> pd.Series:
    """A monthly statistic added up across districts: summed, or population-weighted."""
    v = values[values.indicator_code == code]
    if districts is not None:
        v = v[v.district_code.isin(districts)]
    if catalog.BUILT_IN.get(code).space == "sum":
        return v.groupby("period")["value"].sum()
    return v.groupby("period").apply(
        lambda g: (g["value"] * g["population"]).sum() / g["population"].sum(),
        include_groups=False)


def _rule(code, value, earlier):
    """The documented change rule: % for growth-based quantities, the difference otherwise."""
    if earlier is None or pd.isna(earlier) or pd.isna(value):
        return np.nan
    return (value / earlier - 1) * 100 if catalog.BUILT_IN.get(code).is_growth else value - earlier


# --- pollutant_daily --------------------------------------------------------------------------

def _pollutant_frame(got: pd.DataFrame) -> pd.Series:
    return got.set_index(["station_code", pd.to_datetime(got["day"])])["value"].sort_index()


@pytest.mark.parametrize("pollutant", list(POLLUTANTS))
def test_pollutant_daily_for_the_city_matches_air_daily(queries, air, pollutant):
    got = queries.pollutant_daily(None, pollutant, START, END)
    assert list(got.columns) == ["day", "station_code", "name_zh", "name_en", "value"]
    mine = air[(air.day >= START) & (air.day <= END)]
    want = mine.set_index(["station_code", "day"])[pollutant].astype(float).sort_index()
    got_series = _pollutant_frame(got)
    assert got_series.index.tolist() == want.index.tolist()
    np.testing.assert_allclose(got_series.to_numpy(), want.to_numpy(), rtol=1e-6)


def test_pollutant_daily_follows_districts_townships_cells_and_lassos(queries, air, stations):
    with_station = stations.iloc[0]
    areas = {
        ONE: stations.code[stations.district_code == ONE],
        PICKED: stations.code[stations.district_code.isin(PICKED)],
        with_station.township_code: stations.code[
            stations.township_code == with_station.township_code],
        with_station.grid_code: stations.code[stations.grid_code == with_station.grid_code],
    }
    for area, codes in areas.items():
        assert len(codes) > 0
        got = queries.pollutant_daily(area, "pm25", MID_START, MID_END)
        mine = air[air.station_code.isin(codes) & (air.day >= MID_START) & (air.day <= MID_END)]
        want = mine.set_index(["station_code", "day"])["pm25"].astype(float).sort_index()
        got_series = _pollutant_frame(got)
        assert got_series.index.tolist() == want.index.tolist(), area
        np.testing.assert_allclose(got_series.to_numpy(), want.to_numpy(), rtol=1e-6)
        names = stations.set_index("code")["name_zh"]
        assert (got["name_zh"] == got["station_code"].map(names)).all()


def test_pollutant_daily_dates_are_inclusive(queries, air):
    got = queries.pollutant_daily(None, "aqi", "2026-03-01", "2026-03-01")
    assert pd.to_datetime(got["day"]).unique().tolist() == [pd.Timestamp("2026-03-01")]
    assert len(got) == (air.day == "2026-03-01").sum()


# --- water_classes_monthly --------------------------------------------------------------------

def test_water_classes_monthly_matches_pandas(queries, water):
    one_with_sections = water.township_code.iloc[0]
    for area, rows in ((None, water), (ONE, water[water.district_code == ONE]),
                       (PICKED, water[water.district_code.isin(PICKED)]),
                       (one_with_sections, water[water.township_code == one_with_sections])):
        for start, end in ((START, END), (MID_START, MID_END)):
            first, last = _months(start, end)
            mine = rows[(rows.period >= first) & (rows.period <= last)]
            want = mine.groupby(["period", "class"])["section_code"].nunique()
            got = queries.water_classes_monthly(area, start, end)
            assert list(got.columns) == ["period", "class", "n"]
            got = got.set_index([pd.to_datetime(got["period"]), "class"])["n"]
            assert got.to_dict() == want.to_dict(), (area, start)


def test_water_classes_monthly_counts_every_section_each_month(queries, store):
    got = queries.water_classes_monthly(None, START, END)
    sections = store.rows("SELECT count(*) FROM water_sections")[0][0]
    assert (got.groupby("period")["n"].sum() == sections).all()


# --- indicator_monthly_by_district ------------------------------------------------------------

@pytest.mark.parametrize("code", ["fixed_asset_investment", "unemployment_rate", "gdp",
                                  "deposits"])
def test_monthly_by_district_matches_pandas_over_indicator_values(queries, values, code):
    for start, end in ((START, END), (MID_START, MID_END)):
        first, last = _months(start, end)
        got = queries.indicator_monthly_by_district(code, start, end)
        assert {"district_code", "period", "value", "yoy", "headline"} <= set(got.columns)
        got = got.set_index(["district_code", pd.to_datetime(got["period"])]).sort_index()
        v = values[values.indicator_code == code].set_index(["district_code", "period"])
        v = v["value"].sort_index()
        want = v[(v.index.get_level_values(1) >= first) & (v.index.get_level_values(1) <= last)]
        assert got.index.tolist() == want.index.tolist()
        np.testing.assert_allclose(got["value"], want, rtol=1e-12)
        prior = [v.get((d, p - pd.DateOffset(years=1)), np.nan) for d, p in want.index]
        want_yoy = [_rule(code, x, y) for x, y in zip(want, prior)]
        np.testing.assert_allclose(got["yoy"], want_yoy, rtol=1e-9)
        headline = want_yoy if catalog.BUILT_IN.get(code).is_growth else want.to_numpy()
        np.testing.assert_allclose(got["headline"], headline, rtol=1e-9)


def test_monthly_by_district_of_air_and_events_match_pandas(queries, air, events):
    first, last = _months(MID_START, MID_END)
    got = queries.indicator_monthly_by_district("good_air_rate", MID_START, MID_END)
    got = got.set_index(["district_code", pd.to_datetime(got["period"])])["value"].sort_index()
    mine = air.assign(period=air.day.dt.to_period("M").dt.to_timestamp())
    mine = mine[(mine.period >= first) & (mine.period <= last)]
    # of each district's days, from its stations' mean concentrations (HJ 633-2012)
    want = good_air_rate(mine, ["district_code", "period"])
    np.testing.assert_allclose(got.loc[want.index], want, rtol=1e-9)
    assert len(got) == len(want)
    got = queries.indicator_monthly_by_district("event_count", MID_START, MID_END)
    got = got.set_index(["district_code", pd.to_datetime(got["period"])])["value"].sort_index()
    mine = events[(events.period >= first) & (events.period <= last)]
    want = mine.groupby(["district_code", "period"]).size().astype(float)
    pd.testing.assert_series_equal(got, want, check_names=False)


@pytest.mark.parametrize("code", ["retail_sales", "unemployment_rate", "good_air_rate",
                                  "events_per_10k"])
def test_monthly_by_district_equals_indicator_monthly_of_each_district(queries, code):
    table = queries.indicator_monthly_by_district(code, START, END)
    for district in ("360702", ONE):
        one = queries.indicator_monthly(code, district)
        one = one[(one.period >= START) & (one.period <= END)].reset_index(drop=True)
        mine = table[table.district_code == district].reset_index(drop=True)
        for column in ("value", "yoy", "headline"):
            np.testing.assert_allclose(mine[column], one[column], rtol=1e-9, err_msg=column)


# --- indicator_changes ------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["retail_sales", "unemployment_rate", "gdp", "deposits",
                                  "industrial_va_growth"])
@pytest.mark.parametrize("area", [None, ONE, PICKED])
def test_changes_match_pandas_yoy_and_mom(queries, values, code, area):
    districts = None if area is None else ((area,) if isinstance(area, str) else area)
    series = _pandas_series(values, code, districts)
    # GDP is quarterly (quarter-end months): its MoM compares with the previous quarter
    lag = pd.DateOffset(months=3 if code == "gdp" else 1)
    for start, end in ((START, END), (MID_START, MID_END)):
        first, last = _months(start, end)
        want = series[(series.index >= first) & (series.index <= last)]
        got = queries.indicator_changes(code, area, start, end)
        assert list(got.columns[:4]) == ["period", "value", "yoy", "mom"]
        assert pd.to_datetime(got["period"]).tolist() == want.index.tolist()
        np.testing.assert_allclose(got["value"], want, rtol=1e-9)
        yoy = [_rule(code, x, series.get(p - pd.DateOffset(years=1))) for p, x in want.items()]
        mom = [_rule(code, x, series.get(p - lag)) for p, x in want.items()]
        np.testing.assert_allclose(got["yoy"], yoy, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got["mom"], mom, rtol=1e-9, atol=1e-12)
        if code != "gdp":
            assert got["mom"].notna().all()     # the month before the range is read too


def test_changes_agree_with_indicator_monthly(queries):
    for code in ("fixed_asset_investment", "good_air_rate", "water_good_rate", "closure_rate"):
        changes = queries.indicator_changes(code, ONE, START, END)
        monthly = queries.indicator_monthly(code, ONE)
        monthly = monthly[(monthly.period >= START) & (monthly.period <= END)]
        np.testing.assert_allclose(changes["value"], monthly["value"], rtol=1e-9)
        np.testing.assert_allclose(changes["yoy"], monthly["yoy"], rtol=1e-9)


def test_changes_of_rates_are_points_and_of_quantities_percent(queries, values):
    rate = queries.indicator_changes("unemployment_rate", None, START, END)
    assert (rate["mom"] == rate["value"] - rate["value"].shift()).iloc[1:].all()
    sales = queries.indicator_changes("retail_sales", None, START, END)
    np.testing.assert_allclose(sales["mom"].iloc[1:],
                               (sales["value"] / sales["value"].shift() - 1).iloc[1:] * 100)


def test_changes_refuse_areas_below_the_districts(queries):
    township = queries.areas("townships").code.iloc[0]
    with pytest.raises(KeyError, match="only districts"):
        queries.indicator_changes("retail_sales", township, START, END)


# --- district_shares --------------------------------------------------------------------------

def test_district_shares_of_a_flow_and_a_stock_match_pandas(queries, values):
    last_published = values[values.indicator_code == "retail_sales"].period.max()
    v = values[(values.indicator_code == "retail_sales") & (values.period >= START)
               & (values.period <= last_published)]
    want = v.groupby("district_code")["value"].sum()
    got = queries.district_shares("retail_sales", START, END).set_index("district_code")
    assert list(got.columns[:4]) == ["name_zh", "name_en", "value", "share"]
    np.testing.assert_allclose(got.loc[want.index, "value"], want, rtol=1e-9)
    np.testing.assert_allclose(got.loc[want.index, "share"], 100 * want / want.sum(), rtol=1e-9)
    assert got["share"].sum() == pytest.approx(100)
    # a stock takes its last month, as indicator_by_district does
    d = values[(values.indicator_code == "deposits") & (values.period >= MID_START)
               & (values.period <= MID_END)]
    want = d[d.period == d.period.max()].set_index("district_code")["value"]
    got = queries.district_shares("deposits", MID_START, MID_END).set_index("district_code")
    np.testing.assert_allclose(got.loc[want.index, "share"], 100 * want / want.sum(), rtol=1e-9)


def test_district_shares_of_events_match_pandas(queries, events):
    day = events.reported_at.dt.normalize()
    want = events[(day >= START) & (day <= END)].groupby("district_code").size()
    got = queries.district_shares("event_count", START, END).set_index("district_code")
    np.testing.assert_allclose(got.loc[want.index, "share"], 100 * want / want.sum(), rtol=1e-9)


def test_district_shares_agree_with_indicator_by_district(queries):
    shares = queries.district_shares("fixed_asset_investment", START, END)
    table = queries.indicator_by_district("fixed_asset_investment", START, END)
    np.testing.assert_allclose(shares["value"], table["value"], rtol=1e-12)


@pytest.mark.parametrize("code", ["unemployment_rate", "good_air_rate", "events_per_10k",
                                  "closure_rate", "industrial_va_growth"])
def test_shares_are_only_defined_for_totals(queries, code):
    with pytest.raises(ValueError, match="only defined for totals"):
        queries.district_shares(code, START, END)


# --- whitelists, injection, memoisation -------------------------------------------------------

class CountingStore:
    """A store that counts the queries it answers."""

    def __init__(self, store):
        self.store, self.fingerprint, self.calls = store, store.fingerprint, 0
        self.version, self.part_versions = store.version, store.part_versions
        self.catalogue = store.catalogue      # read when the store was opened, not counted

    def df(self, sql, params=()):
        self.calls += 1
        return self.store.df(sql, params)

    def records(self, sql, params=()):
        self.calls += 1
        return self.store.records(sql, params)

    def rows(self, sql, params=()):
        self.calls += 1
        return self.store.rows(sql, params)


BAD = ["pm25; DROP TABLE stations", "' OR 1=1 --", "aqi) FROM meta --", "PM25"]


@pytest.mark.parametrize("bad", BAD)
def test_bad_codes_raise_and_read_nothing(store, bad):
    counting = CountingStore(store)
    q = Queries(counting)
    assert q.district_codes and q._area_sets   # dimensions load once, before the questions
    counting.calls = 0
    calls = (
        lambda: q.pollutant_daily(None, bad, START, END),
        lambda: q.pollutant_daily(bad, "pm25", START, END),
        lambda: q.pollutant_daily((ONE, bad), "pm25", START, END),
        lambda: q.water_classes_monthly(bad, START, END),
        lambda: q.indicator_monthly_by_district(bad, START, END),
        lambda: q.indicator_changes(bad, None, START, END),
        lambda: q.indicator_changes("retail_sales", bad, START, END),
        lambda: q.district_shares(bad, START, END),
    )
    for call in calls:
        with pytest.raises(KeyError):
            call()
    assert counting.calls == 0
    assert store.rows("SELECT count(*) FROM stations")[0][0] == 42
    assert store.rows("SELECT count(*) FROM districts")[0][0] == 18


def test_unknown_pollutant_names_the_known_ones(queries):
    with pytest.raises(KeyError, match="pm25"):
        queries.pollutant_daily(None, "benzene", START, END)


def test_new_queries_are_memoised(store):
    from flask import Flask
    from flask_caching import Cache

    counting = CountingStore(store)
    cache = Cache(Flask("t"), config={"CACHE_TYPE": "SimpleCache"})
    q = Queries(counting, cache)
    asks = [("pollutant_daily", (PICKED, "no2", START, END)),
            ("water_classes_monthly", (ONE, START, END)),
            ("indicator_monthly_by_district", ("gdp", START, END)),
            ("indicator_changes", ("retail_sales", PICKED, START, END)),
            ("district_shares", ("retail_sales", START, END))]
    for name, args in asks:
        first = getattr(q, name)(*args)
        calls = counting.calls
        again = getattr(q, name)(*args)
        assert counting.calls == calls, name
        pd.testing.assert_frame_equal(first, again)
