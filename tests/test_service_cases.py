"""Government service cases (issue 18, item 4): `citybrain load service_cases` reads cases as
service halls export them (Excel with a title and a units row, GBK CSV), refuses bad rows by
file, row and column with nothing changed, replaces cases of the same id; the legal limit's
due day in working days; the queries' figures against the rows; the demo city's cases."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli import main as citybrain
from data.load.build import KINDS, Item, load
from data.load.problems import LoadError
from data.load.service_cases import read_service_cases
from data.queries import Queries
from data.services import due_date
from data.store import Store
from tests.new_city import checksums, excel, write

DEPARTMENTS = {"D06": ("市场监督管理局", "Market Regulation Bureau"),
               "D20": ("自然资源局", "Natural Resources Bureau"),
               "D16": ("行政审批局", "Administrative Approval Bureau"),
               "D07": ("民政局", "Civil Affairs Bureau"),
               "D08": ("人力资源和社会保障局", "Human Resources and Social Security Bureau")}
AREAS = {"360702": ("章贡区", "Zhanggong"), "360703": ("南康区", "Nankang")}
CITY = {"city_code": "360700", "city_name_zh": "赣州市", "city_name_en": "Ganzhou"}
#: The loads' time: after every case below (the test city's own data end 2026-11-24 10:00,
#: so these cases are the only ones from 2026-11-25 on).
NOW = dt.datetime(2026, 12, 4, 12, 0)
HEADER = ["办件编号", "事项名称", "办理部门", "区县", "办理渠道", "受理时间", "办结时间", "法定时限",
          "评价", "整改情况"]
#: Six cases of 章贡区, as a hall exports them: departments by name (one with the city's
#: prefix) or code, the 好差评 five grades beside 好评/差评, a case still open.
CASES = [
    # Wed; 3 working days: due Mon 11-30, done Fri: on time, 2 working days
    ["SC2026112501", "企业开办", "市场监督管理局", "章贡区", "网上办理", "2026-11-25 09:00",
     "2026-11-27 15:00", "3", "好评", None],
    # Fri; 2 working days: due Tue 12-01, done Thu 12-03: late, 4 working days; rectified
    ["SC2026112701", "不动产登记", "赣州市自然资源局", "360702", "窗口", "2026-11-27 10:00",
     "2026-12-03 16:00", "2个工作日", "差评", "已整改"],
    # Saturday; 1 working day: due Mon 11-30; still open at the load: past its limit
    ["SC2026112801", "不动产登记", "D20", "章贡区", "自助终端", "2026-11-28 10:00", None, "1",
     None, None],
    # open, due 12-15: not judged yet
    ["SC2026120101", "建筑工程施工许可", "行政审批局", "章贡区", "网办", "2026-12-01 09:30", None,
     "10", "未评价", "无需整改"],
    # 即办: due the same day; 不满意 is a 差评, not rectified (nothing said)
    ["SC2026120201", "婚姻登记", "民政局", "章贡区", "窗口办理", "2026-12-02 10:00",
     "2026-12-02 11:00", "即办", "不满意", None],
    # Mon; done Tue: 1 working day; 基本满意 is a 中评
    ["SC2026113001", "社会保障卡申领", "D08", "章贡区", "掌上办理", "2026-11-30 14:00",
     "2026-12-01 10:00", "5", "基本满意", None],
]
CASE_CODES = ("service_cases", "service_on_time_rate", "bad_rating_share",
              "bad_rating_rectified_rate")


def workbook(path: Path, rows=CASES) -> Path:
    """The cases as an office's workbook: a title row, the header, a units row, a footnote."""
    units = [None] * 7 + ["工作日", None, None]
    return excel(path, [["赣州市章贡区政务服务办件明细（2026年11月）"], HEADER, units, *rows,
                        ["注：法定时限按工作日计。"]])


def read(path: Path):
    return read_service_cases(path, departments=DEPARTMENTS, areas=AREAS, as_of=NOW, city=CITY)


def problem(path: Path):
    with pytest.raises(LoadError) as info:
        read(path)
    return info.value.problems


@pytest.mark.parametrize("accepted, limit, due", [
    (dt.date(2026, 11, 25), 3, dt.date(2026, 11, 30)),    # Wed + 3: Thu, Fri, Mon
    (dt.date(2026, 11, 27), 1, dt.date(2026, 11, 30)),    # Fri + 1: Mon
    (dt.date(2026, 11, 28), 1, dt.date(2026, 11, 30)),    # Sat + 1: Mon
    (dt.date(2026, 11, 29), 5, dt.date(2026, 12, 4)),     # Sun + 5: Mon..Fri
    (dt.date(2026, 12, 2), 0, dt.date(2026, 12, 2)),      # 即办: the same day
    (dt.date(2026, 11, 2), 20, dt.date(2026, 11, 30))])   # four working weeks
def test_the_legal_limit_counts_working_days_after_the_acceptance_day(accepted, limit, due):
    assert due_date(accepted, limit) == due


def test_a_halls_workbook_with_a_title_and_a_units_row(tmp_path):
    frame = read(workbook(tmp_path / "办件.xlsx")).set_index("case_id")
    assert len(frame) == 6
    assert frame.at["SC2026112701", "department_code"] == "D20"       # 赣州市自然资源局
    assert set(frame["district_code"]) == {"360702"}
    assert list(frame["channel"]) == ["online", "window", "kiosk", "online", "window",
                                      "mobile"]
    assert frame.at["SC2026112701", "due_date"] == dt.date(2026, 12, 1)
    assert frame.at["SC2026112701", "working_days"] == 4
    assert frame.at["SC2026120201", "limit_days"] == 0
    assert frame.at["SC2026120201", "working_days"] == 0
    assert pd.isna(frame.at["SC2026112801", "completed_at"])
    assert pd.isna(frame.at["SC2026112801", "working_days"])
    assert frame["rating"].tolist() == ["good", "bad", None, None, "bad", "fair"]
    assert frame.at["SC2026112701", "rectified"] == True  # noqa: E712
    assert frame.at["SC2026120201", "rectified"] == False  # noqa: E712 (差评, not said)
    assert pd.isna(frame.at["SC2026112501", "rectified"])


@pytest.mark.parametrize("change, column, expected", [
    ({3: "360799"}, "区县", "matches no district"),
    ({2: "不存在局"}, "办理部门", "not a department of the store"),
    ({6: "2026-11-27 08:00"}, "办结时间", "before the acceptance"),
    ({8: "很好"}, "评价", "not a rating"),
    ({8: "3"}, "评价", "not a rating"),
    ({9: "已整改", 8: "好评"}, "整改情况", "only a 差评 is rectified"),
    ({9: "无需整改"}, "整改情况", "contradicts"),       # the second case is a 差评
    ({7: "二十天"}, "法定时限", "not a legal limit"),
    ({4: "邮寄"}, "办理渠道", "not a channel"),
    ({5: "2026-12-05 09:00"}, "受理时间", "in the future"),
])
def test_a_bad_row_is_named_by_file_row_and_column(tmp_path, change, column, expected):
    rows = [list(row) for row in CASES]
    for index, value in change.items():
        rows[1][index] = value
    found = problem(workbook(tmp_path / "bad.xlsx", rows))
    assert [(p.file.endswith("bad.xlsx"), p.row, p.column) for p in found] == [
        (True, 5, column)], found      # title 1, header 2, units 3, the second case 5
    assert expected in found[0].expected and found[0].value is not None


def test_a_case_id_given_twice_is_refused(tmp_path):
    rows = [list(row) for row in CASES]
    rows[3][0] = rows[0][0]
    found = problem(workbook(tmp_path / "twice.xlsx", rows))
    assert (found[0].row, found[0].column) == (7, "办件编号")
    assert "a duplicate of row 4" in found[0].expected


def test_service_cases_is_a_kind_of_load():
    assert "service_cases" in KINDS and KINDS.index("departments") < KINDS.index("service_cases")


@pytest.fixture(scope="module")
def loaded(city_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cases")
    db = Path(shutil.copy(city_path, folder / "city.duckdb"))
    # a city's own store: its as-of follows its latest data (a demo's stays where it was
    # generated), here the last case completed, 2026-12-03 16:00
    import duckdb
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE meta SET value = 'false' WHERE key = 'is_demo'")
    load(db, [Item("service_cases", workbook(folder / "办件.xlsx"))], now=NOW)
    return db


def test_the_figures_of_the_loaded_cases(loaded):
    store = Store(loaded)
    try:
        q = Queries(store)
        got = q.service_summary("360702", "2026-11-25", "2026-12-04")
        assert store.rows("SELECT value FROM meta WHERE key = 'as_of'") == [("2026-12-03T16:00",)]
        # 6 accepted; 4 completed, 1 open past its limit: 5 due, 3 of them on time
        assert (got["n"], got["n_completed"], got["n_due"], got["n_on_time"]) == (6, 4, 5, 3)
        assert got["on_time_rate"] == pytest.approx(60.0)
        # rated: 好评, 差评, 差评, 中评; one 差评 rectified
        assert (got["n_rated"], got["n_good"], got["n_fair"], got["n_bad"],
                got["n_rectified"]) == (4, 1, 1, 2, 1)
        assert got["bad_share"] == pytest.approx(50.0)
        assert got["rectified_rate"] == pytest.approx(50.0)
        assert got["mean_days"] == pytest.approx((2 + 4 + 0 + 1) / 4)
        kpis = q.kpis("360702", "2026-11-25", "2026-12-04", CASE_CODES).set_index("code")
        assert kpis["headline"].tolist() == pytest.approx([6, 60.0, 50.0, 50.0])
        by_department = q.service_breakdown("department", "360702", "2026-11-25",
                                            "2026-12-04").set_index("key")
        assert by_department.at["D20", "n"] == 2 and by_department.at["D20", "n_due"] == 2
        assert by_department.at["D20", "on_time_rate"] == 0.0
        assert by_department.at["D06", "on_time_rate"] == 100.0
        assert by_department.at["D20", "name_zh"] == "自然资源局"
        by_district = q.indicator_by_district("service_on_time_rate", "2026-11-25",
                                              "2026-12-04").set_index("district_code")
        assert by_district.at["360702", "value"] == pytest.approx(60.0)
        assert by_district.drop(index="360702")["value"].isna().all()
        # freshness: the cases' feed, monthly
        feeds = q.datasets().set_index("name")
        assert feeds.at["service_cases", "frequency"] == "monthly"
    finally:
        store.close()


def test_loading_the_same_cases_again_replaces_them(loaded, tmp_path):
    rows = [list(row) for row in CASES]
    rows[1][8], rows[1][9] = "满意", None          # the 差评 was withdrawn: 好评 now
    before = Store(loaded)
    try:
        n = before.rows("SELECT count(*) FROM service_cases")[0][0]
    finally:
        before.close()
    load(loaded, [Item("service_cases", workbook(tmp_path / "again.xlsx", rows))], now=NOW)
    store = Store(loaded)
    try:
        assert store.rows("SELECT count(*) FROM service_cases")[0][0] == n
        got = Queries(store).service_summary("360702", "2026-11-25", "2026-12-04")
        assert (got["n"], got["n_bad"], got["n_rectified"], got["n_good"]) == (6, 1, 0, 2)
    finally:
        store.close()


def test_a_gbk_csv_through_the_cli_and_a_bad_one_changes_nothing(loaded, tmp_path, capsys):
    lines = [",".join(HEADER),
             "GBK0001,户口迁移,公安局,南康区,窗口,2026-11-02 09:00,2026-11-20 10:00,20,好评,",
             "GBK0002,食品经营许可,市场监督管理局,南康区,网上办理,2026/11/3 14:30,,10,,"]
    good = write(tmp_path / "办件.csv", "\n".join(lines) + "\n", "gbk")
    assert citybrain(["load", "service_cases", str(good), "--db", str(loaded), "--quiet"]) == 0
    store = Store(loaded)
    try:
        rows = store.rows("SELECT case_id, department_code, district_code, channel, "
                          "limit_days, due_date, rating FROM service_cases "
                          "WHERE case_id LIKE 'GBK%' ORDER BY 1")
    finally:
        store.close()
    assert rows == [("GBK0001", "D02", "360703", "window", 20, dt.date(2026, 11, 30), "good"),
                    ("GBK0002", "D06", "360703", "online", 10, dt.date(2026, 11, 17), None)]
    before = checksums(loaded)
    bad = write(tmp_path / "坏.csv", "\n".join([lines[0], lines[1].replace("南康区", "360799")])
                + "\n", "gbk")
    capsys.readouterr()
    assert citybrain(["load", "service_cases", str(bad), "--db", str(loaded), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "nothing loaded" in err and "row 2" in err and "'区县'" in err and "360799" in err
    assert checksums(loaded) == before


def test_the_demo_citys_cases_and_their_figures(store, queries):
    """The small test city's cases (800 over its 24 months), and the figures the queries
    give against the same rows computed here."""
    cases = store.df("SELECT * FROM service_cases")
    assert len(cases) == 800 and cases["case_id"].is_unique
    assert set(cases["channel"]) == {"online", "mobile", "window", "kiosk"}
    assert set(cases["rating"].dropna()) == {"good", "fair", "bad"}
    assert (cases["completed_at"].dropna() >= cases.loc[cases["completed_at"].notna(),
                                                          "accepted_at"]).all()
    assert cases["accepted_at"].max() <= pd.Timestamp("2026-11-24 10:00")
    start, end = "2026-01-01", "2026-10-31"
    day = cases["accepted_at"].dt.normalize()
    part = cases[(day >= start) & (day <= end) & (cases["district_code"] != "360702")]
    districts = tuple(sorted(set(queries.district_codes) - {"360702"}))
    due_end = pd.to_datetime(part["due_date"]) + pd.Timedelta(days=1)
    completed = part["completed_at"].notna()
    due = completed | (part["as_of"] >= due_end)
    on_time = completed & (part["completed_at"] < due_end)
    got = queries.service_summary(districts, start, end)
    assert got["n"] == len(part)
    assert got["on_time_rate"] == pytest.approx(100 * on_time.sum() / due.sum())
    bad = part["rating"] == "bad"
    assert got["bad_share"] == pytest.approx(100 * bad.sum() / part["rating"].notna().sum())
    assert got["rectified_rate"] == pytest.approx(
        100 * (bad & part["rectified"].fillna(False)).sum() / bad.sum())
    by = queries.service_breakdown("department", districts, start, end).set_index("key")
    want = part.groupby("department_code").size()
    assert by["n"].astype(int).to_dict() == want.to_dict()
    # the legal limit: every due day is its limit's working days after acceptance
    accepted = cases["accepted_at"].to_numpy().astype("datetime64[D]")
    expected = np.where(cases["limit_days"] == 0, accepted,
                        np.busday_offset(accepted, cases["limit_days"].to_numpy(),
                                         roll="backward"))
    assert (pd.to_datetime(cases["due_date"]).to_numpy().astype("datetime64[D]")
            == expected).all()


@pytest.mark.render
def test_the_monthly_reports_services_section_in_pdf_word_and_excel(settings, store, queries,
                                                                    tmp_path):
    """The 政务服务 section: the month's cases, the share within the legal limit, 差评 and
    rectified, by department, and the city's counts, in all three files."""
    import unicodedata

    from docx import Document
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from charts.runtime import Runtime
    from report import files as report_files
    from report.monthly import build_report

    runtime = Runtime(settings, store, queries)
    report = build_report(runtime, "2026-10", sections=("services", "alerts"))
    part = report.services
    want = queries.service_summary(None, "2026-10-01", "2026-10-31")
    assert part.summary == want and want["n"] > 0
    assert part.departments["n"].sum() == want["n"]
    assert list(part.counts["code"]) == ["smart_approval_items", "one_thing_items"]
    city = queries.kpis(None, "2026-10-01", "2026-10-31",
                        ("smart_approval_items",)).iloc[0]["headline"]
    assert part.counts["value"].iloc[0] == pytest.approx(city)
    assert f"受理政务服务办件{want['n']}件" in part.lines[0]
    assert f"法定时限内办结率{want['on_time_rate']:.1f}%" in part.lines[0]
    figures: list = []
    pdf = report_files.write_pdf(report, figures, tmp_path / "r.pdf")
    docx = report_files.write_docx(report, figures, tmp_path / "r.docx")
    xlsx = report_files.write_xlsx(report, tmp_path / "r.xlsx")
    # NFKC and the radicals supplement back to characters (the CJK font maps 门 to ⻔)
    radicals = str.maketrans({"⻔": "门", "⻚": "页", "⻓": "长", "⻰": "龙", "⻅": "见",
                              "⻋": "车", "⻛": "风", "⻜": "飞", "⻢": "马"})
    text = unicodedata.normalize("NFKC", "".join(p.extract_text() for p in
                                                 PdfReader(str(pdf)).pages))
    flat = "".join(text.translate(radicals).split())
    assert "政务服务" in flat and "政务服务(按部门)" in flat
    top = part.departments.iloc[0]
    assert str(top["name"]) in flat and "智能审批事项数" in flat
    doc = Document(str(docx))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert any(h.endswith("政务服务") for h in headings)
    titles = [t for t, _ in report_files.services_tables(report)]
    tables = {t: f for t, f in report_files.tables(report)}
    word = [[c.text for c in row.cells] for table in doc.tables for row in table.rows]
    assert [top["name"], str(int(top["n"]))] == word[[r[0] for r in word].index(top["name"])][:2]
    book = load_workbook(xlsx, read_only=True)
    sheets = {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    by_department = next(rows for name, rows in sheets.items() if name.startswith("政务服务（按部门"))
    assert len(by_department) - 1 == len(tables[titles[1]]) == len(part.departments)
    assert by_department[1][:2] == (top["name"], int(top["n"]))
    summary = next(rows for name, rows in sheets.items() if name.startswith("政务服务 ·"))
    assert summary[1][:2] == ("受理办件", want["n"])


def test_without_cases_the_screen_says_so_and_counts_stay_the_citys(new_city, queries):
    """A new city without service cases: the case charts and the note say none is loaded
    (the rates still show); a reader of some districts gets no city-wide count cards."""
    from types import SimpleNamespace

    from charts import services as svc
    from charts import state as st
    from data.queries import Scope
    from layouts import theme
    from tests.new_city import serving

    with serving(new_city) as runtime:
        state, _ = st.parse_query("?lang=zh", runtime.context)
        assert runtime.queries.service_case_span() is None
        for chart in (svc.cases_chart, svc.ratings_chart, svc.departments_chart):
            figure = chart(state, runtime, theme.WALL)
            assert figure.layout.annotations[0].text == svc.no_cases_text("zh")
        assert svc.note_text(state, runtime) == svc.no_cases_text("zh")
        assert svc.department_rows(state, runtime) == []
        assert runtime.queries.service_summary(None, state.start, state.end)["n"] == 0
    # a city-wide count chosen: not ranked by district
    full = SimpleNamespace(queries=queries, catalogue=queries.catalogue,
                           stale_feeds=lambda: set())
    ctx_state = st.FilterState(**{**st.parse_query("?lang=en", _context(queries))[0].to_dict(),
                                  "indicator": "one_thing_items"})
    figure = svc.districts_chart(ctx_state, full, theme.WALL)
    assert figure.layout.annotations[0].text == "A city-wide count: not split or ranked by district"
    codes = [card.id["code"] for card in svc.kpi_cards(ctx_state, full)]
    assert codes == list(svc.KPI_CARDS)
    scoped = queries.scoped(Scope(frozenset({"360702"})))
    mine = SimpleNamespace(queries=scoped, catalogue=queries.catalogue, stale_feeds=lambda: set())
    codes = [card.id["code"] for card in svc.kpi_cards(ctx_state, mine)]
    assert codes == [*svc.RATE_CODES, *svc.CASE_CODES]


def _context(queries):
    from charts.runtime import Runtime
    from settings import Settings
    return Runtime(Settings(db_path=queries.store.path, build_demo_if_missing=False,
                            cache_type="simple", auth=False, store_writes="copy"),
                   queries.store, queries).context


def test_an_open_case_falls_due_when_the_stores_as_of_passes_its_day(loaded, tmp_path):
    """Offices send last month's cases once: a case open in that file is judged again when
    later data moves the store's as-of past its due day, without being sent again."""
    import duckdb
    db = Path(shutil.copy(loaded, tmp_path / "later.duckdb"))
    before = Store(db)
    try:
        due = Queries(before).service_summary("360702", "2026-11-25", "2026-12-04")["n_due"]
    finally:
        before.close()
    with duckdb.connect(str(db)) as con:       # what a later load of other data does
        con.execute("UPDATE meta SET value = '2026-12-16T09:00' WHERE key = 'as_of'")
    after = Store(db)
    try:
        got = Queries(after).service_summary("360702", "2026-11-25", "2026-12-04")
    finally:
        after.close()
    # SC2026120101, open, due 12-15: now due and late
    assert got["n_due"] == due + 1 and got["n_on_time"] == 3
    assert got["on_time_rate"] == pytest.approx(50.0)
