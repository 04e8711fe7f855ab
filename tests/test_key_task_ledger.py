"""Key-task ledgers from the city (issue 18, item 3): `citybrain load key_tasks` reads a
supervision ledger (督办台账) as offices keep it in Excel (a title row, merged task cells,
Chinese dates, departments by name); its bad rows are named by file, row and column with
nothing changed; the loaded tasks, milestones and co-operating departments in the store and
in Queries.key_tasks."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from cli import main as citybrain
from data.load.build import KINDS, Item, load
from data.load.key_tasks import parse_due, read_ledger
from data.load.problems import LoadError
from data.queries import Queries
from data.store import Store
from tests.new_city import checksums, excel, serving, write

DEPARTMENTS = {"D15": ("数据局", "Data Bureau"), "D01": ("城市管理局", "Urban Management"),
               "D02": ("公安局", "Public Security"), "D17": ("工业和信息化局", "Industry and IT")}
AREAS = {"360702": "章贡区", "360722": "信丰县"}
CITY = {"city_code": "360700", "city_name_zh": "赣州市", "city_name_en": "Ganzhou"}
NOV = dt.date(2026, 11, 1)

#: A ledger as an office keeps it: a title row, a task's cells merged over its milestone rows,
#: dates as people write them, departments by name (with the city's prefix), notes by month.
LEDGER = [
    ["赣州市2026年重点工作督办台账"],
    ["序号", "重点工作", "牵头单位", "配合单位", "责任领导", "区县", "时间节点", "完成时限",
     "进展情况", "状态"],
    [1, "建设城市运行管理中心", "市数据局", "城市管理局、赣州市公安局", "张副市长", "全市",
     "完成建设方案编制", "2026年3月底", "10月：平台联调；11月：进入试运行", "已完成"],
    [None, None, None, None, None, None, "平台上线试运行", dt.datetime(2026, 9, 30), None, "滞后"],
    [None, None, None, None, None, None, "通过竣工验收", "12月31日前", None, None],
    [2, "新建5G基站3000个", "工业和信息化局", None, "李副市长", None,
     "2026年6月底前完成1500个", None, "已建成2400个", "推进中"],
    [None, None, None, None, None, None, "年底前完成3000个", None, None, None],
    [3, "章江水环境综合治理", "城市管理局", "公安局,数据局", "王副市长", "章贡区",
     "完成截污管网", "2026-06-30", None, "已完成"],
    ["注：状态按节点填写。"],
]


def read(path: Path, month: dt.date = NOV):
    return read_ledger(path, departments=DEPARTMENTS, areas=AREAS, month=month, city=CITY)


def problems(path: Path) -> LoadError:
    with pytest.raises(LoadError) as info:
        read(path)
    return info.value


@pytest.mark.parametrize("text, day", [
    ("2026年6月底", dt.date(2026, 6, 30)), ("2026-06-30", dt.date(2026, 6, 30)),
    ("6月30日前", dt.date(2026, 6, 30)), ("2026/6/30", dt.date(2026, 6, 30)),
    ("2026.9.15", dt.date(2026, 9, 15)), ("2026年2月", dt.date(2026, 2, 28)),
    ("9月中旬", dt.date(2026, 9, 20)), ("年底前", dt.date(2026, 12, 31)),
    ("２０２６年６月底", dt.date(2026, 6, 30))])
def test_dates_as_offices_write_them(text, day):
    assert parse_due(text, 2026) == day


def test_a_ledger_with_a_title_row_merged_cells_and_chinese_dates(tmp_path):
    out = read(excel(tmp_path / "台账.xlsx", LEDGER))
    tasks = out["tasks"].set_index("code")
    assert list(tasks.index) == ["KT2026-01", "KT2026-02", "KT2026-03"]
    assert list(tasks["lead_department_code"]) == ["D15", "D17", "D01"]
    assert list(tasks["district_code"]) == [None, None, "360702"]
    assert tasks.at["KT2026-01", "leader"] == "张副市长"
    assert tasks.at["KT2026-01", "due_month"] == dt.date(2026, 12, 1)
    assert tasks.at["KT2026-01", "start_month"] == dt.date(2026, 1, 1)
    ms = out["milestones"]
    first = ms[ms["task_code"] == "KT2026-01"]
    assert list(first["due_date"]) == [dt.date(2026, 3, 31), dt.date(2026, 9, 30),
                                       dt.date(2026, 12, 31)]
    assert list(first["done"]) == [True, False, False]
    assert list(first["behind"]) == [False, True, False]
    # the date written in front of a milestone is its due date
    fiveg = ms[ms["task_code"] == "KT2026-02"]
    assert list(fiveg["name"]) == ["完成1500个", "完成3000个"]
    assert list(fiveg["due_date"]) == [dt.date(2026, 6, 30), dt.date(2026, 12, 31)]
    depts = out["departments"]
    assert sorted(depts[depts["task_code"] == "KT2026-01"]["department_code"]) == [
        "D01", "D02", "D15"]
    assert set(depts[depts["task_code"] == "KT2026-03"]["role"]) == {"lead", "co"}
    prog = out["progress"].set_index(["task_code", "period"])
    assert prog.at[("KT2026-01", dt.date(2026, 10, 1)), "note_zh"] == "平台联调"
    assert prog.at[("KT2026-01", NOV), "note_zh"] == "进入试运行"
    assert prog.at[("KT2026-01", NOV), "progress"] == pytest.approx(100 / 3)
    assert prog.at[("KT2026-03", NOV), "progress"] == 100


def test_a_gbk_csv_with_codes_and_percentages(tmp_path):
    text = ("任务编号,工作任务,牵头部门,节点,完成时限,完成进度,填报月份\n"
            "A-1,一网通办,D15,上线,2026年5月,60%,2026年10月\n")
    out = read(write(tmp_path / "ledger.csv", text, "gbk"))
    assert list(out["tasks"]["code"]) == ["A-1"]
    assert out["progress"].set_index("period").at[dt.date(2026, 10, 1), "progress"] == 60


def test_bad_rows_are_named_by_file_row_column_value_and_expected(tmp_path):
    rows = [["督办台账"],
            ["重点工作", "牵头单位", "配合单位", "节点", "完成时限", "状态"],
            ["甲任务", "数据局", "不存在局", "节点一", "2026年6月底", None],      # 3
            ["乙任务", None, None, "节点一", "2026-07-01", None],               # 4
            ["丙任务", "不知名委员会", None, "节点一", "2026-07-01", None],       # 5
            ["丁任务", "公安局", None, "没有日期的节点", None, None],             # 6
            ["戊任务", "公安局", None, "节点一", "下个月吧", None],               # 7
            ["己任务", "公安局", None, "节点一", "2026-02-30", "差不多"]]        # 8
    err = problems(excel(tmp_path / "bad.xlsx", rows))
    found = {(p.row, p.column): p for p in err.problems}
    assert found[(3, "配合单位")].value == "不存在局"
    assert "not a department" in found[(3, "配合单位")].expected
    assert "no lead department" in found[(4, "牵头单位")].expected
    assert found[(5, "牵头单位")].value == "不知名委员会"
    assert "without a date" in found[(6, "完成时限")].expected
    assert found[(7, "完成时限")].value == "下个月吧"
    assert "not a date" in found[(7, "完成时限")].expected
    assert "no such day" in found[(8, "完成时限")].expected
    assert all(p.file.endswith("bad.xlsx") for p in err.problems)


def test_a_ledger_without_its_columns_or_starting_with_a_continuation(tmp_path):
    err = problems(write(tmp_path / "x.csv", "重点工作,节点\n甲,2026-06-30\n"))
    assert any("lead department" in p.expected for p in err.problems)
    err = problems(write(tmp_path / "y.csv", "重点工作,牵头单位,节点,完成时限\n"
                                             ",,节点一,2026-06-30\n"))
    assert err.problems[0].row == 2 and "merged cells" in err.problems[0].expected


def test_key_tasks_is_a_kind_of_load():
    assert "key_tasks" in KINDS and KINDS.index("departments") < KINDS.index("key_tasks")


@pytest.fixture(scope="module")
def loaded(city_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ledger")
    db = Path(shutil.copy(city_path, folder / "city.duckdb"))
    ledger = excel(folder / "台账.xlsx", LEDGER)
    assert citybrain(["load", "key_tasks", str(ledger), "--db", str(db), "--quiet"]) == 0
    return db


def test_the_cli_loads_a_ledger_into_the_store(loaded):
    store = Store(loaded)
    try:
        leaders = dict(store.rows("SELECT code, leader FROM key_tasks WHERE code <= 'KT2026-03'"))
        assert leaders == {"KT2026-01": "张副市长", "KT2026-02": "李副市长",
                           "KT2026-03": "王副市长"}
        assert store.rows("SELECT count(*) FROM key_task_milestones WHERE task_code <= "
                          "'KT2026-03'")[0][0] == 6
        co = store.rows("SELECT department_code FROM key_task_departments WHERE task_code = "
                        "'KT2026-01' AND role = 'co' ORDER BY 1")
        assert co == [("D01",), ("D02",)]
        # the ledger's tasks replaced the demo's of the same code; the other demo tasks stay
        assert store.rows("SELECT count(*) FROM key_tasks")[0][0] == 28
        frame = Queries(store).key_tasks("2026-11-24").set_index("code")
        assert frame.at["KT2026-01", "lead_department_code"] == "D15"
        assert frame.at["KT2026-03", "status"] == "done"
    finally:
        store.close()


def test_a_bad_ledger_changes_nothing(loaded, tmp_path):
    before = checksums(loaded)
    bad = excel(tmp_path / "bad.xlsx", [["重点工作", "牵头单位", "节点", "完成时限"],
                                        ["甲", "数据局", "节点一", None]])
    with pytest.raises(LoadError) as info:
        load(loaded, [Item("key_tasks", bad)])
    assert info.value.problems[0].row == 2
    assert checksums(loaded) == before


def test_the_wall_says_when_a_new_city_has_no_ledger(new_city, app):
    from charts import wall as wall_charts
    with serving(new_city) as runtime:
        for lang, words in (("zh", "尚未加载重点工作督办台账"), ("en", "No key-task ledger")):
            tables = wall_charts.task_table(wall_charts.WallView(runtime, app, lang), None)
            rows = [row for table in tables for row in table.children[1].children]
            assert len(rows) == 1 and words in rows[0].children[0].children


def test_the_demo_ledger_has_milestones_co_operating_departments_and_leaders(store):
    per_task = store.rows("SELECT count(*) FROM key_task_milestones GROUP BY task_code")
    assert len(per_task) == 28 and {n for (n,) in per_task} == {4}
    leads = store.rows("SELECT count(*) FROM key_task_departments WHERE role = 'lead'")[0][0]
    co = store.rows("SELECT count(DISTINCT task_code) FROM key_task_departments "
                    "WHERE role = 'co'")[0][0]
    assert leads == 28 and co >= 20
    assert store.rows("SELECT count(*) FROM key_tasks WHERE leader IS NULL")[0][0] == 0
    # a done task has every milestone done; an overdue one has a milestone behind
    done = store.rows("SELECT bool_and(m.done) FROM key_task_milestones m JOIN "
                      "(SELECT task_code FROM key_task_progress GROUP BY 1 "
                      "HAVING max(progress) >= 100) d USING (task_code)")[0][0]
    assert done
    assert store.rows("SELECT bool_or(behind) FROM key_task_milestones "
                      "WHERE task_code = 'KT2026-03'")[0][0]
