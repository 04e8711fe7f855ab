"""The filter state and its URL form."""

import datetime as dt

import pytest

from charts import state as st

CTX = st.Context(frozenset({"360702", "360731"}), dt.date(2024, 12, 1), dt.date(2026, 11, 24))


def test_a_bare_url_opens_the_whole_city_year_to_date():
    state, dropped = st.parse_query("", CTX)
    assert (state.district, state.start, state.end) == (None, "2026-01-01", "2026-11-24")
    assert state.lang == "zh" and dropped == []


def test_a_full_url_round_trips():
    state, dropped = st.parse_query(
        "?district=360731&from=2025-03-01&to=2025-09-30&indicator=pm25&lang=en", CTX)
    assert dropped == []
    assert state == st.FilterState("360731", "2025-03-01", "2025-09-30", "pm25", "en")
    assert st.parse_query(st.to_query(state), CTX) == (state, [])


def test_months_are_accepted_for_dates():
    state, _ = st.parse_query("?from=2025-02&to=2025-02", CTX)
    assert (state.start, state.end) == ("2025-02-01", "2025-02-28")


@pytest.mark.parametrize("query, dropped", [
    ("?district=999999", ["district=999999"]),
    ("?district=360702%27%20OR%201%3D1", ["district=360702' OR 1=1"]),
    ("?indicator=../../etc/passwd", ["indicator=../../etc/passwd"]),
    ("?from=2026-13-01", ["from=2026-13-01"]),
    ("?from=2020-01-01", ["from=2020-01-01"]),
    ("?lang=fr", ["lang=fr"]),
    ("?colour=red", ["colour=red"]),
    ("?district=360702&district=360731", ["district=360731"]),
])
def test_unknown_or_malformed_values_are_dropped_and_named(query, dropped):
    state, got = st.parse_query(query, CTX)
    assert got == dropped
    assert state.indicator in st.catalog.BUILT_IN   # still a usable state


def test_an_inverted_range_is_dropped():
    state, dropped = st.parse_query("?from=2026-05-01&to=2026-02-01", CTX)
    assert dropped == ["from=2026-05-01", "to=2026-02-01"]
    assert (state.start, state.end) == ("2026-01-01", "2026-11-24")


def test_garbage_never_raises():
    for junk in ("?%%%", "?=&=&", "?from=" + "9" * 5000, "?\x00=\x00", None):
        state, _ = st.parse_query(junk, CTX)
        assert state.end == "2026-11-24"


def test_clicking_the_selected_district_again_clears_it():
    state = st.parse_query("", CTX)[0]
    picked = st.select_district(state, "360702", CTX)
    assert picked.district == "360702"
    assert st.select_district(picked, "360702", CTX).district is None
    assert st.select_district(state, "nope", CTX) == state


def test_range_selection_is_clamped_and_ordered():
    state = st.parse_query("", CTX)[0]
    got = st.select_range(state, "2026-12-30 12:00", "2024-01-01", CTX)
    assert (got.start, got.end) == ("2024-12-01", "2026-11-24")
    assert st.select_range(state, "junk", "2026-01-01", CTX) == state


def test_clear_keeps_indicator_and_language():
    state = st.FilterState("360702", "2025-01-01", "2025-02-01", "pm25", "en")
    cleared = st.clear(state, CTX)
    assert cleared == st.FilterState(None, "2026-01-01", "2026-11-24", "pm25", "en")


def test_click_payloads_are_read_by_customdata_not_index():
    assert st.clicked_code({"points": [{"pointIndex": 3, "customdata": "360731"}]}) == "360731"
    assert st.clicked_code({"points": [{"location": "360702"}]}) == "360702"
    assert st.clicked_code({"points": [{"customdata": ["360702", 5]}]}) == "360702"
    for junk in (None, {}, {"points": []}, {"points": [{"customdata": 5}]}):
        assert st.clicked_code(junk) is None
    assert st.selected_range({"range": {"x": ["2026-01-01", "2026-02-01"]}}) == \
        ("2026-01-01", "2026-02-01")
    assert st.selected_range({"points": []}) is None


def test_an_end_alone_before_the_default_start_gives_that_year_to_date():
    state, dropped = st.parse_query("?to=2025-03-01", CTX)
    assert dropped == [] and (state.start, state.end) == ("2025-01-01", "2025-03-01")
    state, _ = st.parse_query("?to=2024-12-15", CTX)
    assert (state.start, state.end) == ("2024-12-01", "2024-12-15")


def test_the_current_month_as_an_end_means_up_to_today():
    state, dropped = st.parse_query("?from=2026-10&to=2026-11", CTX)
    assert dropped == [] and (state.start, state.end) == ("2026-10-01", "2026-11-24")


def test_a_store_payload_is_checked_like_a_url():
    good = st.parse_query("?district=360702", CTX)[0].to_dict()
    assert st.valid_state(good, CTX) == st.FilterState.from_dict(good)
    for bad in ({**good, "district": "x' OR 1=1"}, {**good, "indicator": "evil"},
                {**good, "start": "2019-01-01"}, {**good, "end": "not a date"},
                {**good, "lang": "de"}, {**good, "start": "2026-05-01", "end": "2026-04-01"},
                None, [], "junk"):
        assert st.valid_state(bad, CTX) is None, bad


def test_map_layers_ride_in_the_url():
    state, dropped = st.parse_query("?layers=water,stations,bogus", CTX)
    assert state.layers == ("stations", "water") and dropped == ["layers=bogus"]
    assert "layers=stations,water" in st.to_query(state)
    assert st.parse_query(st.to_query(state), CTX) == (state, [])
    assert st.set_layers(state, ["events", "x"]).layers == ("events",)
    assert st.valid_state({**state.to_dict(), "layers": ["evil"]}, CTX) is None


def test_playback_steps_the_window_and_stops_at_the_end():
    state = st.FilterState(None, "2025-01-01", "2025-03-31", "gdp", "zh")
    nxt = st.advance(state, CTX)
    assert (nxt.start, nxt.end) == ("2025-02-01", "2025-04-30")
    weekly = st.advance(st.set_step(state, "week"), CTX)
    assert (weekly.start, weekly.end) == ("2025-01-08", "2025-04-07")
    daily = st.advance(st.set_step(state, "day"), CTX)
    assert (daily.start, daily.end) == ("2025-01-02", "2025-04-01")
    near_end = st.FilterState(None, "2026-09-01", "2026-11-10", "gdp", "zh")
    last = st.advance(near_end, CTX)
    assert last.end == "2026-11-24"                   # clamped to the last day with data
    assert st.advance(last, CTX) is None              # and then playback stops
    again = st.rewind(last, CTX)
    assert again.start == "2024-12-01" and again.end < "2025-03-01"
    assert st.set_step(state, "year") == state
    assert st.parse_query("?step=week", CTX)[0].step == "week"
    assert st.parse_query("?step=fortnight", CTX)[1] == ["step=fortnight"]


def test_the_time_slider_maps_positions_to_days():
    state = st.parse_query("", CTX)[0]
    assert st.day_index(CTX, "2024-12-01") == 0
    moved = st.select_days(state, [31, 89], CTX)
    assert (moved.start, moved.end) == ("2025-01-01", "2025-02-28")
    assert st.select_days(state, None, CTX) == state


def _days(start: str, end: str) -> list[int]:
    return [st.day_index(CTX, start), st.day_index(CTX, end)]


def _moved(start: str, end: str, to: list[int]) -> tuple[str, str]:
    state = st.parse_query(f"?from={start}&to={end}", CTX)[0]
    moved = st.select_days(state, to, CTX)
    return moved.start, moved.end


def test_a_long_range_snaps_to_months_in_the_direction_a_handle_moved():
    # one key press (a day) on a year's range moves its handle a whole month
    assert _moved("2026-01-01", "2026-11-24", _days("2025-12-31", "2026-11-24")) == (
        "2025-12-01", "2026-11-24")
    assert _moved("2026-01-01", "2026-11-24", _days("2026-01-02", "2026-11-24")) == (
        "2026-02-01", "2026-11-24")
    assert _moved("2026-01-01", "2026-11-24", _days("2026-01-01", "2026-11-23")) == (
        "2026-01-01", "2026-10-31")
    assert _moved("2026-01-01", "2026-06-30", _days("2026-01-01", "2026-07-01")) == (
        "2026-01-01", "2026-07-31")
    # a drag to the middle of a month ends at that month's boundary beyond it
    assert _moved("2025-03-01", "2025-09-30", _days("2025-02-14", "2025-10-09")) == (
        "2025-02-01", "2025-10-31")
    # never past the store's days
    assert _moved("2026-01-01", "2026-10-31", _days("2026-01-01", "2026-11-20")) == (
        "2026-01-01", "2026-11-24")


def test_a_short_range_keeps_its_days():
    # 近30天: a key press moves a day
    assert _moved("2026-10-26", "2026-11-24", _days("2026-10-25", "2026-11-24")) == (
        "2026-10-25", "2026-11-24")
    # a long range dragged short keeps the days it was dragged to
    assert _moved("2026-01-01", "2026-11-24", _days("2026-10-10", "2026-11-24")) == (
        "2026-10-10", "2026-11-24")


def test_a_lasso_picks_shapes_of_the_level_the_map_shows():
    ctx = st.Context(CTX.districts, CTX.first_day, CTX.last_day,
                     townships={"360702001": "360702", "360731001": "360731"},
                     cells={"360702001001": "360702001"})
    city = st.parse_query("", ctx)[0]
    picked = st.pick(city, ["360702", "360731", "360702"], ctx)
    assert picked.picked == ("360702", "360731") and picked.scope == ("360702", "360731")
    assert picked.scope_districts == ("360702", "360731")
    assert st.parse_query(st.to_query(picked), ctx) == (picked, [])
    # a township is not a shape of the city map; a selection of the wrong level is ignored
    assert st.pick(city, ["360702001"], ctx) == city
    district = st.select_district(city, "360702", ctx)
    towns = st.pick(district, ["360702001"], ctx)
    assert towns.scope == ("360702001",) and towns.scope_districts == "360702"
    assert st.pick(district, ["360731001"], ctx) == district      # not in this district
    # drilling, going up and clearing drop the picked shapes
    assert st.select_area(towns, "360702001", ctx).picked == ()
    assert st.clear(picked, ctx).picked == ()
    assert st.parse_query("?picked=360702001", ctx)[1] == ["picked=360702001"]
    assert st.picked_codes({"points": [{"customdata": "360702"}, {"location": "360702"},
                                       {"customdata": 7}]}) == ["360702"]


@pytest.mark.parametrize("name, days", [
    ("this_month", ("2026-11-01", "2026-11-24")),
    ("last_month", ("2026-10-01", "2026-10-31")),
    ("last_30_days", ("2026-10-26", "2026-11-24")),
    ("this_quarter", ("2026-10-01", "2026-11-24")),
    ("this_year", ("2026-01-01", "2026-11-24")),
    ("same_period_last_year", ("2025-03-01", "2025-09-30")),
])
def test_quick_ranges_count_back_from_the_stores_last_day(name, days):
    shown = st.FilterState(None, "2026-03-01", "2026-09-30", "pm25", "zh")
    state = st.quick_range(shown, name, CTX)
    assert (state.start, state.end) == days
    named = st.quick_range_of(state, CTX)
    assert named == (None if name == "same_period_last_year" else name)


def test_a_quick_range_is_clipped_to_the_store_and_refused_before_it():
    early = st.FilterState(None, "2025-01-01", "2025-01-31", "pm25", "zh")
    # a year before 2025-01 lies before the store's first day (2024-12-01): nothing to show
    assert st.quick_range(early, "same_period_last_year", CTX) is None
    assert st.quick_range(early, "no_such_range", CTX) is None
    # a year back from 2025-06..2025-12 starts at the store's first day
    late = st.FilterState(None, "2025-06-01", "2025-12-31", "pm25", "zh")
    moved = st.quick_range(late, "same_period_last_year", CTX)
    assert (moved.start, moved.end) == ("2024-12-01", "2024-12-31")
    # a store that starts mid-month: "this year" starts there
    young = st.Context(CTX.districts, dt.date(2026, 3, 15), dt.date(2026, 11, 24))
    assert st.quick_range(early, "this_year", young).start == "2026-03-15"


def test_days_two_quick_ranges_share_take_the_wider_name():
    # in February, this year and this quarter are the same days
    february = st.Context(CTX.districts, CTX.first_day, dt.date(2026, 2, 10))
    shown = st.FilterState(None, "2025-06-01", "2025-09-30", "pm25", "zh")
    quarter = st.quick_range(shown, "this_quarter", february)
    assert (quarter.start, quarter.end) == ("2026-01-01", "2026-02-10")
    assert st.quick_range_of(quarter, february) == "this_year"
    # both names describe those days: the picker keeps the one chosen
    assert st.names_range("this_quarter", quarter, february)
    assert st.names_range("this_year", quarter, february)
    assert not st.names_range("this_month", quarter, february)
    assert not st.names_range("same_period_last_year", quarter, february)
