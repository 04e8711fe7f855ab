"""The grid-governance screen's queries against independent pandas computations over the raw
events, at every scope (city, district, township, grid cell, lassos), and the event table's
paging, filters, whitelists and downloads."""

import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from data import catalog, export
from data.queries import EVENT_TABLE_COLUMNS, Queries
from data.queries.event_table import EVENT_EXPORT_COLUMNS
from tests.conftest import TEST_NOW
from tests.test_queries import on_time_rate

START, END = "2026-01-01", "2026-11-24"
RANGES = [(START, END), ("2025-06-15", "2025-07-31")]
#: Scopes by name; the township, cell and township lasso are found in the data (fixture).
SCOPES = ["city", "district", "township", "cell", "districts", "townships"]


@pytest.fixture(scope="module")
def raw(store):
    """Every raw event, read without the rollups."""
    return store.df("SELECT * FROM grid_events")


@pytest.fixture(scope="module")
def areas(raw):
    """A code for each scope: the busiest township, a busy cell of it, two-area lassos."""
    townships = raw["township_code"].value_counts().index
    cells = raw.loc[raw["township_code"] == townships[0], "grid_code"].value_counts().index
    return {"city": None, "district": "360702", "township": townships[0], "cell": cells[0],
            "districts": ("360702", "360731"), "townships": (townships[0], townships[1])}


def _rows(raw: pd.DataFrame, area, start: str, end: str) -> pd.DataFrame:
    """The raw events of an area (None, a code, or a tuple of codes of one level) reported on
    the days [start, end]."""
    day = raw["reported_at"].dt.normalize()
    keep = (day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end))
    if area is not None:
        codes = {area} if isinstance(area, str) else set(area)
        column = next(c for c in ("district_code", "township_code", "grid_code")
                      if raw[c].isin(codes).any())
        keep &= raw[column].isin(codes)
    return raw[keep]


def _hours(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.total_seconds() / 3600.0


@pytest.fixture(params=[(s, r) for s in SCOPES for r in range(len(RANGES))],
                ids=[f"{s}-{r}" for s in SCOPES for r in range(len(RANGES))])
def case(request, raw, areas):
    """(area, start, end, the pandas rows of that area and range) for each scope x range."""
    scope, r = request.param
    start, end = RANGES[r]
    area = areas[scope]
    return area, start, end, _rows(raw, area, start, end)


# --- the charts' queries ---------------------------------------------------------------------

def test_funnel_counts_the_events_that_reached_each_stage(queries, case):
    area, start, end, mine = case
    got = queries.event_funnel(area, start, end)
    assert got["stage"].tolist() == [*catalog.EVENT_STAGES, "returned"]
    want = [len(mine)] + [int(mine[f"{stage}_at"].notna().sum())
                          for stage in list(catalog.EVENT_STAGES)[1:]]
    want.append(int((mine["returned_count"] > 0).sum()))
    assert got["n"].tolist() == want


def test_handling_histogram_buckets_closed_events_by_day(queries, case):
    area, start, end, mine = case
    got = queries.handling_time_histogram(area, start, end)
    closed = mine[mine["closed_at"].notna()]
    hours = _hours(closed["closed_at"], closed["reported_at"])
    want = (pd.DataFrame({"bucket_h": (np.floor(hours / 24) * 24).clip(upper=240).astype(int),
                          "on_time": closed["closed_at"] <= closed["deadline_at"]})
            .groupby(["bucket_h", "on_time"]).size())
    assert list(got.columns) == ["bucket_h", "on_time", "n"]
    assert got.set_index(["bucket_h", "on_time"])["n"].to_dict() == want.to_dict()
    assert set(got["bucket_h"]) <= set(range(0, 241, 24))


def test_deadline_hours_is_the_median_allowed_time(queries, case):
    area, start, end, mine = case
    got = queries.deadline_hours(area, start, end)
    # the store counts allowed times to the whole hour; the demo's deadlines are whole hours,
    # so this is the exact median over the raw rows
    assert got == pytest.approx(_hours(mine["deadline_at"], mine["reported_at"]).median())


def test_deadline_hours_of_no_events_is_none(queries, areas):
    assert queries.deadline_hours(None, "2019-01-01", "2019-01-31") is None
    assert queries.deadline_hours(areas["township"], "2019-01-01", "2019-01-31") is None


def test_overdue_events_are_open_past_the_deadline_most_overdue_first(queries, case):
    area, start, end, mine = case
    # open at the store's as-of time and past the deadline (whenever each was loaded)
    as_of = pd.Timestamp(TEST_NOW)
    late = mine[mine["closed_at"].isna() & (mine["deadline_at"] < as_of)].assign(
        hours_overdue=lambda f: _hours(pd.Series(as_of, index=f.index), f["deadline_at"]))
    late = late.sort_values(["hours_overdue", "event_id"], ascending=[False, True])
    for limit in (20, 5, 10_000):
        got = queries.overdue_events(area, start, end, limit)
        assert list(got.columns) == ["event_id", "district_code", "township_code", "grid_code",
                                     "category", "department_code", "status", "reported_at",
                                     "deadline_at", "hours_overdue"]
        want = late.head(limit)
        assert got["event_id"].tolist() == want["event_id"].tolist()
        np.testing.assert_allclose(got["hours_overdue"], want["hours_overdue"], rtol=1e-12)
        assert (got["status"] != "closed").all()


def test_open_events_are_every_open_one_overdue_first_then_the_nearest_deadline(queries,
                                                                                 case):
    """A grid cell's list to supervise from: every event still open at the as-of time, the
    overdue ones first (most overdue first), then those not yet due, the hours left as
    negative hours; the overdue list is its head."""
    area, start, end, mine = case
    as_of = pd.Timestamp(TEST_NOW)
    still = mine[mine["closed_at"].isna()].assign(
        hours_overdue=lambda f: _hours(pd.Series(as_of, index=f.index), f["deadline_at"]))
    still = still.sort_values(["hours_overdue", "event_id"], ascending=[False, True])
    for limit in (5, 10_000):
        got = queries.open_events(area, start, end, limit)
        want = still.head(limit)
        assert got["event_id"].tolist() == want["event_id"].tolist()
        np.testing.assert_allclose(got["hours_overdue"], want["hours_overdue"], rtol=1e-12)
        assert got["category"].tolist() == want["category"].tolist()
        assert got["department_code"].tolist() == want["department_code"].tolist()
    every = queries.open_events(area, start, end, 10_000)
    late = queries.overdue_events(area, start, end, 10_000)
    assert every.head(len(late))["event_id"].tolist() == late["event_id"].tolist()
    assert (every["hours_overdue"].iloc[len(late):] <= 0).all()


def test_open_events_by_cell_counts_each_cells_open_and_overdue_ones(queries, case):
    area, start, end, mine = case
    as_of = pd.Timestamp(TEST_NOW)
    still = mine[mine["closed_at"].isna()].assign(late=lambda f: f["deadline_at"] < as_of)
    want = (still.groupby(["district_code", "township_code", "grid_code"])
            .agg(n_open=("event_id", "size"), n_overdue=("late", "sum")).reset_index()
            .sort_values(["n_overdue", "n_open", "grid_code"], ascending=[False, False, True]))
    got = queries.open_events_by_cell(area, start, end, 10_000)
    assert list(got.columns) == ["district_code", "township_code", "grid_code", "n_open",
                                 "n_overdue"]
    assert got["grid_code"].tolist() == want["grid_code"].tolist()
    assert got["n_open"].tolist() == want["n_open"].tolist()
    assert got["n_overdue"].tolist() == want["n_overdue"].astype(int).tolist()
    assert got["township_code"].tolist() == want["township_code"].tolist()
    assert queries.open_events_by_cell(area, start, end, 3)["grid_code"].tolist() == \
        want["grid_code"].head(3).tolist()


def test_the_test_city_has_overdue_events_to_show(queries):
    assert len(queries.overdue_events(None, START, END)) == 20
    assert queries.overdue_events(None, START, END, 0).empty
    for bad in (-1, 2.5, "20", True):
        with pytest.raises(ValueError, match="limit"):
            queries.overdue_events(None, START, END, bad)
        with pytest.raises(ValueError, match="limit"):
            queries.open_events(None, START, END, bad)
        with pytest.raises(ValueError, match="limit"):
            queries.open_events_by_cell(None, START, END, bad)


def test_category_by_source_counts_each_pair(queries, case):
    area, start, end, mine = case
    got = queries.category_by_source(area, start, end)
    want = mine.groupby(["category", "channel"]).size()
    assert got.set_index(["category", "channel"])["n"].to_dict() == want.to_dict()
    assert set(got["category"]) <= set(catalog.EVENT_CATEGORIES)
    assert set(got["channel"]) <= set(catalog.EVENT_SOURCES)


def test_department_table_matches_pandas(queries, store, raw, case):
    area, start, end, mine = case
    got = queries.department_table(area, start, end)
    assert list(got.columns) == ["department_code", "name_zh", "name_en", "n", "closure_rate",
                                 "on_time_rate", "satisfaction_rate", "mean_hours"]
    assert got["n"].tolist() == sorted(got["n"], reverse=True)
    closed = mine["closed_at"].notna()
    frame = mine.assign(
        closed=closed, on_time=closed & (mine["closed_at"] <= mine["deadline_at"]),
        rated=mine["satisfaction"].notna(),
        satisfied=mine["satisfaction"].fillna(0) >= 4,
        hours=_hours(mine["closed_at"], mine["reported_at"]))
    by = frame.groupby("department_code")
    with np.errstate(divide="ignore", invalid="ignore"):
        want = pd.DataFrame({
            "n": by.size(),
            "closure_rate": 100.0 * by["closed"].sum() / by.size(),
            # as the on_time_rate indicator: of the area's events due in the range
            "on_time_rate": _rows(raw, area, "1900-01-01", "2100-12-31").groupby(
                "department_code").apply(on_time_rate, start, end, include_groups=False)
            .reindex(by.size().index),
            "satisfaction_rate": 100.0 * by["satisfied"].sum()
            / by["rated"].sum().replace(0, np.nan),
            "mean_hours": by["hours"].mean()})
    got = got.set_index("department_code")
    assert sorted(got.index) == sorted(want.index)
    want = want.loc[got.index]
    assert got["n"].tolist() == want["n"].tolist()
    for column in ("closure_rate", "on_time_rate", "satisfaction_rate", "mean_hours"):
        np.testing.assert_allclose(got[column].astype(float), want[column].astype(float),
                                   rtol=1e-9, equal_nan=True, err_msg=column)
    names = store.df("SELECT code, name_zh, name_en FROM departments").set_index("code")
    assert got["name_zh"].to_dict() == names.loc[got.index, "name_zh"].to_dict()
    assert got["name_en"].to_dict() == names.loc[got.index, "name_en"].to_dict()


def test_department_rates_are_nan_where_undefined(queries, raw):
    """On the as-of day most events are still open: a cell with none closed has no on-time
    rate, satisfaction or mean hours, and a closure rate of 0."""
    today = _rows(raw, None, END, END)
    closed = today.groupby("grid_code")["closed_at"].count()
    cell = closed[closed == 0].index[0]
    table = queries.department_table(cell, END, END)
    assert len(table) and (table["n"] > 0).all()
    assert (table["closure_rate"] == 0).all()
    for column in ("on_time_rate", "satisfaction_rate", "mean_hours"):
        assert table[column].isna().all(), column


def test_the_city_adds_up_the_districts(queries):
    """The rollup path (districts) and the raw path agree on the same events."""
    city = queries.event_funnel(None, START, END)["n"].tolist()
    districts = np.sum([queries.event_funnel(code, START, END)["n"].tolist()
                        for code in sorted(queries.district_codes)], axis=0)
    assert city == districts.tolist()


def test_unknown_areas_raise_before_any_sql(queries):
    for method in (queries.event_funnel, queries.handling_time_histogram,
                   queries.deadline_hours, queries.overdue_events, queries.category_by_source,
                   queries.department_table):
        with pytest.raises(KeyError):
            method("3607'; DROP TABLE grid_events --", START, END)
    with pytest.raises(KeyError, match="one level"):
        queries.event_funnel(("360702", queries.areas("townships").code.iloc[0]), START, END)


# --- the event table -------------------------------------------------------------------------

def _sorted(rows: pd.DataFrame, column: str, descending: bool) -> pd.DataFrame:
    """The table's order in pandas: the column (empty cells last), then the newest first,
    then event_id."""
    if column == "event_id":
        return rows.sort_values("event_id", ascending=not descending)
    if column == "reported_at":
        return rows.sort_values([column, "event_id"], ascending=[not descending, True],
                                kind="stable")
    return rows.sort_values([column, "reported_at", "event_id"],
                            ascending=[not descending, False, True], na_position="last",
                            kind="stable")


def _all_pages(queries, area, start, end, filters=(), sort="reported_at", descending=True,
               size=97) -> tuple[pd.DataFrame, set[int]]:
    pages, totals, offset = [], set(), 0
    while True:
        page, total = queries.events_page(area, start, end, filters, sort, descending, offset,
                                          size)
        totals.add(total)
        if page.empty:
            break
        assert len(page) <= size
        pages.append(page)
        offset += size
    return pd.concat(pages, ignore_index=True) if pages else page, totals


def test_page_columns_and_first_page(queries, raw):
    page, total = queries.events_page(None, START, END)
    mine = _rows(raw, None, START, END)
    assert list(page.columns) == list(EVENT_TABLE_COLUMNS)
    assert total == len(mine)
    want = _sorted(mine, "reported_at", True).head(50)[list(EVENT_TABLE_COLUMNS)]
    pd.testing.assert_frame_equal(page.reset_index(drop=True), want.reset_index(drop=True),
                                  check_dtype=False)


@pytest.mark.parametrize("sort", EVENT_TABLE_COLUMNS)
@pytest.mark.parametrize("descending", [True, False])
def test_paging_covers_every_row_once_in_the_sort_order(queries, raw, sort, descending):
    start, end = "2026-09-01", "2026-10-15"
    got, totals = _all_pages(queries, None, start, end, sort=sort, descending=descending)
    want = _sorted(_rows(raw, None, start, end), sort, descending)
    assert totals == {len(want)}
    assert got["event_id"].is_unique
    assert got["event_id"].tolist() == want["event_id"].tolist()


@pytest.mark.parametrize("scope", ["district", "township", "cell", "districts", "townships"])
def test_paging_follows_the_area(queries, raw, areas, scope):
    area = areas[scope]
    got, totals = _all_pages(queries, area, *RANGES[0], sort="category", descending=False,
                             size=41)
    want = _sorted(_rows(raw, area, *RANGES[0]), "category", False)
    assert totals == {len(want)} and len(want) > 0
    assert got["event_id"].tolist() == want["event_id"].tolist()


@pytest.mark.parametrize("sort", ["category", "channel", "department_code", "status",
                                  "returned_count", "satisfaction"])
@pytest.mark.parametrize("descending", [True, False])
def test_paging_through_long_runs_of_ties_with_filters(queries, raw, sort, descending):
    """Sorts by a column of few values page inside one value's rows (Queries._event_page)."""
    filters = (("satisfaction", "!=", 3), ("reported_at", "<", "2026-10-01"))
    got, totals = _all_pages(queries, "360731", *RANGES[0], filters, sort, descending, size=13)
    want = _rows(raw, "360731", *RANGES[0])
    for item in filters:
        want = _pandas_filter(want, *item)
    assert totals == {len(want)} and len(want) > 100
    assert got["event_id"].tolist() == _sorted(want, sort, descending)["event_id"].tolist()


def _pandas_filter(rows: pd.DataFrame, column: str, op: str, value) -> pd.DataFrame:
    """A table filter in pandas with SQL's rule: a comparison never matches an empty cell."""
    cells = rows[column]
    if op in ("contains", "not contains", "starts with", "ends with"):
        text = cells.astype(str).str.lower()      # a search on the value as text, any case
        found = {"contains": lambda: text.str.contains(str(value).lower(), regex=False),
                 "not contains": lambda: text.str.contains(str(value).lower(), regex=False),
                 "starts with": lambda: text.str.startswith(str(value).lower()),
                 "ends with": lambda: text.str.endswith(str(value).lower())}[op]()
        if op == "not contains":
            return rows[cells.isna() | ~found]        # an empty cell contains nothing
        return rows[cells.notna() & found]
    if op in ("is null", "is not null"):
        return rows[cells.isna() if op == "is null" else cells.notna()]
    if op in ("in", "not in"):
        inside = cells.isin(list(value))
        return rows[cells.notna() & (inside if op == "in" else ~inside)]
    if pd.api.types.is_datetime64_any_dtype(cells):
        value = pd.Timestamp(value)
    elif pd.api.types.is_string_dtype(cells):
        value = str(value)      # a text column reads its filter value as text
    else:
        value = float(value)
    compare = {"=": cells.__eq__, "!=": cells.__ne__, "<": cells.__lt__, "<=": cells.__le__,
               ">": cells.__gt__, ">=": cells.__ge__}[op]
    return rows[cells.notna() & compare(value).fillna(False).astype(bool)]


FILTERS = [
    ("category", "=", "safety"), ("category", "!=", "appearance"), ("status", "<", "handled"),
    ("channel", ">=", "patrol"), ("category", "contains", "LIVE"),
    ("category", "in", ("dispute", "order")), ("status", "not in", ("closed",)),
    ("department_code", "in", ()), ("district_code", "=", 360702),
    ("satisfaction", "=", 5), ("satisfaction", "!=", 5), ("satisfaction", "<", 3),
    ("satisfaction", "<=", "3"), ("satisfaction", ">", 3.5), ("returned_count", ">=", 1),
    ("event_id", "<=", 5000), ("event_id", "contains", "77"),
    ("reported_at", ">=", "2026-06-01"), ("reported_at", "<", "2026-06-01T12:00"),
    ("closed_at", ">", "2026-10-01 08:00:00"), ("deadline_at", "<=", "2026-03-01"),
    ("reported_at", "contains", "2026-02"), ("grid_code", "contains", "3607020"),
    ("grid_code", "starts with", "360731"), ("grid_code", "ends with", "07"),
    ("reporter_name", "not contains", "王"), ("event_id", "ends with", "3"),
    ("closed_at", "is null", None), ("satisfaction", "is not null", None),
    ("reporter_phone", "is null", None),
]


@pytest.mark.parametrize("item", FILTERS, ids=[f"{c} {o} {v}" for c, o, v in FILTERS])
def test_each_filter_matches_what_pandas_keeps(queries, raw, item):
    for area in (None, "360731"):
        got, totals = _all_pages(queries, area, *RANGES[0], filters=(item,), sort="event_id",
                                 descending=False, size=5000)
        want = _pandas_filter(_rows(raw, area, *RANGES[0]), *item)
        assert totals == {len(want)}, (area, item)
        assert got["event_id"].tolist() == sorted(want["event_id"]), (area, item)


def test_filters_combine_with_and(queries, raw):
    filters = (("category", "in", ("safety", "appearance")), ("status", "=", "closed"),
               ("satisfaction", ">=", 4))
    page, total = queries.events_page("360702", *RANGES[0], filters, "satisfaction", False, 0,
                                      10_000)
    want = _rows(raw, "360702", *RANGES[0])
    for item in filters:
        want = _pandas_filter(want, *item)
    assert total == len(want) > 0
    assert page["event_id"].tolist() == _sorted(want, "satisfaction", False)["event_id"].tolist()


@pytest.mark.parametrize("bad", [
    ("nope", "=", 1), ("category; DROP TABLE grid_events --", "=", "x"),
    ("category", "LIKE", "x"), ("category", "= 1 OR 1=1 --", "x"), ("category", None, "x"),
    (["category"], "=", "x"), ("category", "="), "category = x", ("event_id", "=", "abc"),
    ("reported_at", ">", "yesterday"), ("satisfaction", "=", None), ("category", "in", "x"),
    ("closed_at", "is null", "x"), ("grid_code", "starts with", None),
    ("grid_code", "STARTS WITH", "3607"),
])
def test_bad_filters_raise_value_errors_naming_the_problem(queries, store, bad):
    with pytest.raises(ValueError) as error:
        queries.events_page(None, START, END, (bad,))
    text = str(error.value)
    assert any(word in text for word in ("column", "operator", "filter", "value"))
    assert store.rows("SELECT count(*) FROM grid_events")[0][0] > 0


def test_error_messages_name_the_bad_column_and_operator(queries):
    with pytest.raises(ValueError, match="unknown filter column 'nope'"):
        queries.events_page(None, START, END, (("nope", "=", 1),))
    with pytest.raises(ValueError, match="unknown filter operator 'LIKE' on category"):
        queries.events_page(None, START, END, (("category", "LIKE", "x"),))
    with pytest.raises(ValueError, match="unknown sort column 'lon'"):
        queries.events_page(None, START, END, (), "lon")


@pytest.mark.parametrize("sort", ["reported_at DESC; DROP TABLE grid_events", "lon", "1", None])
def test_sort_columns_outside_the_whitelist_raise(queries, sort):
    with pytest.raises(ValueError, match="sort column"):
        queries.events_page(None, START, END, (), sort)
    with pytest.raises(ValueError, match="sort column"):
        queries.events_export(None, START, END, (), sort)


@pytest.mark.parametrize("value", ["' OR 1=1 --", "x'); DROP TABLE grid_events; --",
                                   "%", "_"])
def test_injection_strings_as_values_match_nothing(queries, store, value):
    for op in ("=", "contains"):
        page, total = queries.events_page(None, START, END, (("category", op, value),))
        assert total == 0 and page.empty
    assert store.rows("SELECT count(*) FROM grid_events")[0][0] > 0


@pytest.mark.parametrize("offset, limit", [(-1, 50), (0, -1), (0, 10_001), (0.5, 50),
                                           (0, "50"), (True, 50)])
def test_bad_offsets_and_limits_raise(queries, offset, limit):
    with pytest.raises(ValueError, match="offset|limit"):
        queries.events_page(None, START, END, (), "reported_at", True, offset, limit)


def test_a_page_past_the_end_is_empty_with_the_total(queries, raw):
    page, total = queries.events_page("360702", *RANGES[0], (), "reported_at", True, 10**9, 50)
    assert page.empty and list(page.columns) == list(EVENT_TABLE_COLUMNS)
    assert total == len(_rows(raw, "360702", *RANGES[0]))


# --- downloads -------------------------------------------------------------------------------

EXPORT_FILTERS = (("category", "in", ("safety", "dispute")), ("satisfaction", "<=", 4))


def _page_rows(queries, area, filters, sort, descending) -> pd.DataFrame:
    return _all_pages(queries, area, *RANGES[0], filters, sort, descending, size=10_000)[0]


@pytest.mark.parametrize("area", [None, "360731"])
def test_csv_download_has_the_pages_rows_in_order(queries, area):
    want = _page_rows(queries, area, EXPORT_FILTERS, "satisfaction", True)
    buffer = io.BytesIO()
    reader = queries.events_export(area, *RANGES[0], EXPORT_FILTERS, "satisfaction", True)
    assert export.write_events_csv(reader, buffer) == len(want) > 0
    data = buffer.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    got = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig",
                      dtype={c: str for c in ("district_code", "township_code", "grid_code")})
    # the table's columns, then what the events load file has beyond them (it loads back)
    assert list(got.columns) == list(EVENT_EXPORT_COLUMNS)
    assert got["event_id"].tolist() == want["event_id"].tolist()
    for column in ("reported_at", "deadline_at", "closed_at"):
        pd.testing.assert_series_equal(pd.to_datetime(got[column]), want[column],
                                       check_dtype=False, check_names=False)
    for column in ("district_code", "township_code", "grid_code", "category", "status"):
        assert got[column].tolist() == want[column].tolist()
    assert got["satisfaction"].isna().tolist() == want["satisfaction"].isna().tolist()


def test_csv_headers_in_chinese_survive_the_bom(queries):
    buffer = io.BytesIO()
    export.write_events_csv(queries.events_export("360702", "2026-11-01", END), buffer,
                            lang="zh")
    got = pd.read_csv(io.BytesIO(buffer.getvalue()), encoding="utf-8-sig")
    assert got.columns[0] == "事件编号" and "上报时间" in got.columns


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_xlsx_download_has_named_headers_and_real_datetimes(queries, lang):
    """The workbook: a first sheet saying what made it, then the rows with the table's
    headers, names beside codes for named columns, typed cells with number formats."""
    want = _page_rows(queries, "360731", EXPORT_FILTERS, "reported_at", False)
    en = 1 if lang == "en" else 0
    vocabulary = queries.event_vocabulary()
    names = {"category": {c: pair[en] for c, pair in vocabulary.categories.items()},
             "status": {c: pair[en] for c, pair in vocabulary.stages.items()}}
    about = [("区域" if lang == "zh" else "Area", "于都县"), ("行数", f"{len(want):,}")]
    buffer = io.BytesIO()
    reader = queries.events_export("360731", *RANGES[0], EXPORT_FILTERS, "reported_at", False)
    assert export.write_events_xlsx(reader, buffer, lang=lang, names=names,
                                    about=about) == len(want) > 0
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert book.sheetnames == [("说明", "About")[en], ("事件明细", "Event records")[en]]
    assert [tuple(r) for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == \
        about
    sheet = book.worksheets[1]
    rows = list(sheet.iter_rows(values_only=True))
    headers = []
    for column in EVENT_EXPORT_COLUMNS:
        headers.append(export.header(column, lang))
        if column in names:
            headers.append(export.code_header(column, lang))
    assert list(rows[0]) == headers
    assert {"类别", "类别代码", "状态代码"} <= set(headers) if lang == "zh" else \
        {"Category", "Category code", "Status code"} <= set(headers)
    got = pd.DataFrame(rows[1:], columns=headers)
    assert len(got) == len(want)
    assert got[headers[0]].tolist() == want["event_id"].tolist()
    for column in ("reported_at", "deadline_at", "closed_at"):
        filled = got[export.header(column, lang)].dropna()
        assert len(filled) and all(isinstance(v, dt.datetime) for v in filled)
        pd.testing.assert_series_equal(pd.to_datetime(got[export.header(column, lang)]),
                                       want[column], check_dtype=False, check_names=False)
    for column in names:
        assert got[export.header(column, lang)].tolist() == \
            [names[column][c] for c in want[column]]
        assert got[export.code_header(column, lang)].tolist() == want[column].tolist()
    assert got[export.header("category", lang)].iloc[0] != want["category"].iloc[0]
    assert [None if pd.isna(v) else int(v) for v in want["satisfaction"]] == \
        got[export.header("satisfaction", lang)].tolist()
    # numbers as numbers with their formats: whole numbers, coordinates to six places
    first = {headers[i]: cell for i, cell in enumerate(next(sheet.iter_rows(min_row=2)))}
    assert first[headers[0]].number_format == "0"
    assert first[export.header("returned_count", lang)].number_format == "0"
    assert first[export.header("lon", lang)].number_format == "0.000000"
    assert isinstance(first[export.header("lon", lang)].value, float)


def test_the_tables_workbook_writes_numbers_ranks_and_yes_no(tmp_path):
    """Small tables (key tasks, the monthly report): whole numbers as whole numbers, other
    numbers rounded to two places with a format, yes/no in words, a first 说明 sheet."""
    frame = pd.DataFrame({"排名": [1, 2, 3], "数值": [5.330513542, 98.5, None],
                          "达标": [True, False, None], "计数": [3.0, 7.0, float("nan")],
                          "名称": ["章贡区", "南康区", "=1+1"]})
    for lang, yes, no in (("zh", "是", "否"), ("en", "Yes", "No")):
        buffer = io.BytesIO()
        assert export.write_tables_xlsx([("排名", frame)], buffer, lang=lang,
                                        about=[("时间", "2026-11")]) == 3
        book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
        assert book.sheetnames == [("说明" if lang == "zh" else "About"), "排名"]
        rows = list(book["排名"].iter_rows(min_row=2))
        assert [r[0].value for r in rows] == [1, 2, 3]
        assert all(r[0].number_format == "0" and r[3].number_format in ("0", "General")
                   for r in rows)
        assert [r[1].value for r in rows] == [5.33, 98.5, None]
        assert rows[0][1].number_format == "#,##0.0#"
        assert [r[2].value for r in rows] == [yes, no, None]
        assert [r[3].value for r in rows] == [3, 7, None]
        assert rows[2][4].value == "=1+1" and rows[2][4].data_type == "s"


def test_excel_row_limit_is_checked_before_writing(queries, monkeypatch):
    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 10)
    total = queries.events_page("360702", *RANGES[0])[1]
    assert total > 10
    buffer = io.BytesIO()
    with pytest.raises(ValueError, match=rf"{total:,} events match.*narrow the filter"):
        export.write_events_xlsx(queries.events_export("360702", *RANGES[0]), buffer)
    assert buffer.getvalue() == b""
    # a stream that does not declare its count is stopped at the limit, counted to the end
    reader = queries.events_export("360702", *RANGES[0])
    plain = pa.RecordBatchReader.from_batches(reader.schema.remove_metadata(), reader)
    with pytest.raises(ValueError, match=rf"{total:,} events match"):
        export.write_events_xlsx(plain, buffer)
    assert buffer.getvalue() == b""
    # exactly at the limit it writes
    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", total)
    assert export.write_events_xlsx(queries.events_export("360702", *RANGES[0]), buffer) == total
    assert buffer.getvalue().startswith(b"PK")


def test_export_declares_its_count_and_is_not_memoised():
    assert "events_export" not in Queries.CACHED
    for name in ("event_funnel", "handling_time_histogram", "deadline_hours", "overdue_events",
                 "category_by_source", "department_table", "events_page"):
        assert name in Queries.CACHED


def test_export_metadata_matches_the_page_total(queries):
    reader = queries.events_export(None, *RANGES[1], (("status", "=", "closed"),))
    total = queries.events_page(None, *RANGES[1], (("status", "=", "closed"),))[1]
    assert export.declared_rows(reader) == total == sum(b.num_rows for b in reader)


def test_memoised_grid_queries_do_not_touch_the_store_twice(store):
    from flask import Flask
    from flask_caching import Cache

    class CountingStore:
        fingerprint, version = store.fingerprint, store.version
        part_versions = store.part_versions
        calls = 0

        def _count(self, method, sql, params):
            CountingStore.calls += 1
            return getattr(store, method)(sql, params)

        def df(self, sql, params=()):
            return self._count("df", sql, params)

        def records(self, sql, params=()):
            return self._count("records", sql, params)

        def rows(self, sql, params=()):
            return self._count("rows", sql, params)

    cache = Cache(Flask("t"), config={"CACHE_TYPE": "SimpleCache"})
    q = Queries(CountingStore(), cache)
    q.departments()    # a dimension, read once per store: not part of the count below
    calls = [
        lambda: q.event_funnel("360702", START, END),
        lambda: q.handling_time_histogram(None, START, END),
        lambda: q.deadline_hours(("360702", "360731"), START, END),
        lambda: q.overdue_events(None, START, END, 20),
        lambda: q.category_by_source(None, START, END),
        lambda: q.department_table(None, START, END),
        lambda: q.events_page(None, START, END, (("category", "in", ("safety",)),),
                              "category", False, 50, 50),
    ]
    for call in calls:
        first = call()
        before = CountingStore.calls
        again = call()
        assert CountingStore.calls == before
        if isinstance(first, tuple):
            pd.testing.assert_frame_equal(first[0], again[0])
            assert first[1] == again[1]
        elif isinstance(first, pd.DataFrame):
            pd.testing.assert_frame_equal(first, again)
        else:
            assert first == again
