"""Reading a city's own tables (data/load/table.py and the readers beside it): encodings,
layouts, every problem kind with its row and column, the cap on problems, and property tests
that throw malformed CSV and Excel at the readers (a clear LoadError or a correct load, never a
traceback)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from data.aqi import hourly_aqi
from data.catalog import BUILT_IN, EVENT_CATEGORIES, EVENT_SOURCES, Indicator
from data.load.air import read_air
from data.load.catalogue import read_catalogue
from data.load.events import read_events
from data.load.indicators import Indicators, read_indicators
from data.load.problems import MAX_PROBLEMS, LoadError
from data.load.table import Table, read_table
from data.load.water import read_water

AS_OF = dt.date(2026, 11, 24)
AREAS = {"360702": "章贡区", "360703": "南康区", "360704": "赣县区", "360722": "信丰县",
         "360723": "大余县", "360724": "上犹县"}
LONG = """地区,指标,时间,数值
章贡区,gdp,2026Q1,"1,234.5"
360702,unemployment_rate,2026年1月,5.2%
360703,地区生产总值,2026-03,300
360703,unemployment_rate,202601,4.8
"""
EXPECTED = pd.DataFrame({
    "district_code": ["360702", "360702", "360703", "360703"],
    "indicator_code": ["gdp", "unemployment_rate", "gdp", "unemployment_rate"],
    "period": [dt.date(2026, 3, 1), dt.date(2026, 1, 1), dt.date(2026, 3, 1),
               dt.date(2026, 1, 1)],
    "value": [1234.5, 5.2, 300.0, 4.8]})


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def indicators(path, **kw) -> Indicators:
    return read_indicators(path, catalogue=BUILT_IN, areas=AREAS, as_of=AS_OF, **kw)


def problems(call) -> LoadError:
    """The LoadError a call raises."""
    with pytest.raises(LoadError) as info:
        call()
    return info.value


def where(err: LoadError) -> list[tuple]:
    """(row, column) of every problem, in the order reported."""
    return [(p.row, p.column) for p in err.problems]


# --- encodings and text files ---------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_read_the_same(tmp_path, encoding):
    path = write(tmp_path, "a.csv", LONG, encoding)
    table = read_table(path)
    # text within GBK reads as GBK whichever superset wrote it
    assert table.encoding == {"gb18030": "gbk"}.get(encoding, encoding)
    assert list(table.frame.columns) == ["地区", "指标", "时间", "数值"]
    assert table.rows == [2, 3, 4, 5]
    pd.testing.assert_frame_equal(indicators(path).frame, EXPECTED)


def test_gb18030_only_characters(tmp_path):
    # 𠀀 (CJK extension B) is in GB18030 but not in GBK
    text = LONG.replace("地区,指标,时间,数值", "地区,指标,时间,数值,备注") \
        .replace("4.8\n", "4.8,𠀀备注\n")
    path = write(tmp_path, "a.csv", text, "gb18030")
    table = read_table(path)
    assert table.encoding == "gb18030"
    assert table.frame["备注"].iat[-1] == "𠀀备注"
    pd.testing.assert_frame_equal(indicators(path).frame, EXPECTED)


def test_mixed_encodings_name_the_first_differing_row(tmp_path):
    lines = LONG.splitlines(keepends=True)
    data = b"".join(line.encode("gbk") if n == 3 else line.encode() for n, line in enumerate(lines, 1))
    (tmp_path / "mixed.csv").write_bytes(data)
    err = problems(lambda: read_table(tmp_path / "mixed.csv"))
    assert where(err) == [(3, None)]
    assert "mixes encodings" in err.problems[0].expected
    assert "row 1 is UTF-8" in err.problems[0].expected
    assert err.problems[0].value.startswith("360702,unemployment_rate,2026年1月")


def test_bom_then_gbk_is_mixed(tmp_path):
    data = b"\xef\xbb\xbf" + LONG.encode("gbk")
    (tmp_path / "b.csv").write_bytes(data)
    err = problems(lambda: read_table(tmp_path / "b.csv"))
    assert where(err) == [(1, None)] and "UTF-8 mark" in str(err)


def test_utf16_from_excel_unicode_text(tmp_path):
    path = write(tmp_path, "a.txt", LONG.replace(",", "\t").replace('"1\t234.5"', "1234.5"),
                 "utf-16")
    pd.testing.assert_frame_equal(indicators(path).frame, EXPECTED)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    text = LONG.replace(",", delimiter).replace(f'"1{delimiter}234.5"', '"1,234.5"')
    pd.testing.assert_frame_equal(indicators(write(tmp_path, "a.csv", text)).frame, EXPECTED)


def test_truncated_files(tmp_path):
    err = problems(lambda: read_table(write(tmp_path, "q.csv", LONG + '360704,gdp,2026-03,"12')))
    assert where(err) == [(6, None)] and "never closes" in str(err)
    err = problems(lambda: read_table(write(tmp_path, "p.csv", LONG + "360704,gd")))
    assert where(err) == [(6, None)]
    assert "2 of 4 fields" in str(err) and "truncated" in str(err)
    cut = LONG.encode() + "360704,国内".encode()[:-1]
    (tmp_path / "c.csv").write_bytes(cut)
    err = problems(lambda: read_table(tmp_path / "c.csv"))
    assert "middle of a character" in str(err) and where(err) == [(6, None)]
    # a complete last row without the final line break is fine
    assert len(read_table(write(tmp_path, "ok.csv", LONG.rstrip("\n"))).frame) == 4


def test_empty_files(tmp_path):
    for name, text in (("empty.csv", ""), ("blank.csv", "\n \n\r\n")):
        err = problems(lambda: read_table(write(tmp_path, name, text)))  # noqa: B023
        assert str(err) == f"{tmp_path / name}: the file is empty"
    err = problems(lambda: read_table(write(tmp_path, "h.csv", "地区,指标,时间,数值\n")))
    assert where(err) == [(1, None)] and "no data rows" in str(err)


def test_unsupported_and_missing_files(tmp_path):
    err = problems(lambda: read_table(write(tmp_path, "a.xls", "x")))
    assert "save it as .xlsx" in str(err) and ".parquet" in str(err)
    err = problems(lambda: read_table(write(tmp_path, "a.json", "{}")))
    assert ".csv, .tsv, .txt, .xlsx, .xlsm, .parquet" in str(err)
    assert "no such file" in str(problems(lambda: read_table(tmp_path / "nope.csv")))
    (tmp_path / "zip.csv").write_bytes(b"PK\x03\x04rest")
    assert "name it .xlsx" in str(problems(lambda: read_table(tmp_path / "zip.csv")))
    assert "sheets" in str(problems(lambda: read_table(write(tmp_path, "s.csv", LONG),
                                                       sheet="数据")))


def test_bad_quote_and_empty_header_cell(tmp_path):
    err = problems(lambda: read_table(write(tmp_path, "a.csv", LONG + '360704,gdp,"2026"-03,1\n')))
    assert where(err) == [(6, None)] and "quote" in str(err)
    err = problems(lambda: read_table(write(tmp_path, "b.csv", "地区,指标,,时间\n1,2,3,4\n")))
    assert where(err) == [(2, "C")] and "empty header cell" in str(err)
    err = problems(lambda: read_table(write(tmp_path, "c.csv", "地区,时间,地区\n1,2,3\n")))
    assert where(err) == [(1, "地区")] and "(A and C)" in str(err)


# --- Excel and Parquet ----------------------------------------------------------------------
def bureau_workbook(path, second_sheet: bool = True):
    """The statistics bureau's layout: title rows, header, units row, a blank row, footnotes."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "主要指标"
    ws.append(["2026年各县（市、区）主要经济指标"])
    ws.append(["单位：亿元、%"])
    ws.append([])
    ws.append(["地区", "时间", "地区生产总值", "城镇调查失业率"])
    ws.append([None, None, "亿元", "%"])
    ws.append(["章贡区", dt.datetime(2026, 3, 1), 1234.5, None])
    ws.append([])
    ws.append([360703, "2026年3月", 300, None])
    ws.append(["南康区", "2026-01", None, 4.8])
    ws.append(["章贡区", "2026年1月", None, 0.052])
    ws["D10"].number_format = "0.0%"   # Excel shows 5.2%
    ws.append([])
    ws.append(["注：地区生产总值为季度数据。"])
    ws.append(["数据来源：市统计局"])
    if second_sheet:
        wb.create_sheet("说明").append(["本表为演示数据"])
    wb.save(path)
    return path


def test_bureau_layout(tmp_path):
    path = bureau_workbook(tmp_path / "bureau.xlsx")
    table = read_table(path)
    assert table.header_row == 4
    assert table.units == {"地区生产总值": "亿元", "城镇调查失业率": "%"}
    assert table.rows == [6, 8, 9, 10]
    assert table.encoding is None
    assert table.frame.iloc[0].tolist() == ["章贡区", "2026-03-01", "1234.5", None]
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.rows = []   # type: ignore[misc]
    assert isinstance(table, Table)
    got = indicators(path)
    assert got.layout == "wide-indicators"
    assert got.units == {"gdp": "亿元", "unemployment_rate": "%"}
    assert got.warnings == []
    pd.testing.assert_frame_equal(got.frame, EXPECTED)


def test_bureau_layout_row_numbers_in_problems(tmp_path):
    path = tmp_path / "bad.xlsx"
    bureau_workbook(path)
    wb = openpyxl.load_workbook(path)
    wb["主要指标"]["C8"] = "三百"
    wb["主要指标"]["A9"] = "南康"
    wb.save(path)
    err = problems(lambda: indicators(path))
    assert where(err) == [(8, "地区生产总值"), (9, "地区")]


def test_units_row_against_catalogue(tmp_path):
    path = tmp_path / "u.xlsx"
    bureau_workbook(path)
    wb = openpyxl.load_workbook(path)
    wb["主要指标"]["C5"] = "万元"
    wb.save(path)
    err = problems(lambda: indicators(path))
    assert where(err) == [(4, "地区生产总值")]
    assert err.problems[0].value == "万元" and "unit of gdp (亿元)" in str(err)


def test_sheets(tmp_path):
    path = bureau_workbook(tmp_path / "b.xlsx")
    assert read_table(path, sheet="主要指标").header_row == 4
    err = problems(lambda: read_table(path, sheet="Sheet1"))
    assert str(err) == (f"{path}: 'Sheet1': no such sheet: the workbook has '主要指标', '说明'")
    err = problems(lambda: indicators(path, sheet="说明"))
    assert str(err) == f"{path}, row 1: no data rows under the header in the sheet '说明'"


def test_damaged_workbook(tmp_path):
    path = bureau_workbook(tmp_path / "b.xlsx")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(path.read_bytes()[:2000])
    assert "not a readable Excel workbook" in str(problems(lambda: read_table(cut)))


def test_parquet(tmp_path):
    table = pa.table({"district_code": ["360702", "360703"], "indicator": ["gdp", "gdp"],
                      "period": [dt.date(2026, 3, 1), dt.date(2026, 6, 1)],
                      "value": [1.5, float("nan")]})
    pq.write_table(table, tmp_path / "a.parquet")
    read = read_table(tmp_path / "a.parquet")
    assert read.rows == [2, 3] and read.frame["period"].tolist() == ["2026-03-01", "2026-06-01"]
    got = indicators(tmp_path / "a.parquet")
    assert got.frame.value.tolist() == [1.5]
    (tmp_path / "cut.parquet").write_bytes((tmp_path / "a.parquet").read_bytes()[:-30])
    assert "Parquet" in str(problems(lambda: read_table(tmp_path / "cut.parquet")))


# --- layouts --------------------------------------------------------------------------------
def test_long_and_wide_forms_give_the_same_frame(tmp_path):
    wide_indicators = """区划代码,月份,gdp,城镇调查失业率
360702,2026-03,"1,234.5",
360702,2026-01,,5.2
360703,2026-03,300,-
360703,2026-01,,4.8
"""
    wide_periods = """地区,指标,单位,2026年1月,2026-03
章贡区,地区生产总值,亿元,,1234.5
章贡区,Surveyed urban unemployment,%,5.2,
南康区,gdp,亿元,,300
南康区,unemployment_rate,%,4.8,…
"""
    long = indicators(write(tmp_path, "long.csv", LONG))
    wi = indicators(write(tmp_path, "wi.csv", wide_indicators))
    wp = indicators(write(tmp_path, "wp.csv", wide_periods))
    assert (long.layout, wi.layout, wp.layout) == ("long", "wide-indicators", "wide-periods")
    for got in (long, wi, wp):
        pd.testing.assert_frame_equal(got.frame, EXPECTED)
    assert wp.units == {"gdp": "亿元", "unemployment_rate": "%"}


def test_title_rows_and_units_in_csv_headers(tmp_path):
    text = """2026年各县（市、区）主要指标,,,
,,,
地区代码,地区名称,时间,地区生产总值（亿元）,备注
360702,章贡区,2026-03,"1,234.5",
360703,南康区,2026-03,300,初步
注：数据为初步统计,,,
"""
    path = write(tmp_path, "a.csv", text, "gbk")
    table = read_table(path)
    assert (table.header_row, table.rows) == (3, [4, 5])
    got = indicators(path)
    assert got.units == {"gdp": "亿元"} and got.frame.value.tolist() == [1234.5, 300.0]
    # the name column wins when the code column holds something else
    got = indicators(write(tmp_path, "b.csv", text.replace("360702", "X1").replace("360703", "X2"),
                           "gbk"))
    assert got.frame.district_code.tolist() == ["360702", "360703"]
    err = problems(lambda: indicators(write(tmp_path, "c.csv", text.replace("亿元", "万元"))))
    assert where(err) == [(3, "地区生产总值（万元）")]


def test_period_formats(tmp_path):
    cells = ["2026-01", "2026/2", "2026年3月", "202604", "2026-05-01", "46174", "2026年7月1日",
             "2026.08", "2026/09/30 00:00:00"]
    text = "地区,指标,时间,数值\n" + "".join(f"360702,unemployment_rate,{c},5\n" for c in cells)
    got = indicators(write(tmp_path, "a.csv", text))
    assert [p.month for p in got.frame.period] == list(range(1, 10))
    quarters = "".join(f"360702,gdp,{c},1\n" for c in ("2025年一季度", "2025Q2", "2025年第3季度",
                                                      "2025-q4"))
    got = indicators(write(tmp_path, "q.csv", "地区,指标,时间,数值\n" + quarters))
    assert [p.month for p in got.frame.period] == [3, 6, 9, 12]


def test_layout_problems(tmp_path):
    err = problems(lambda: indicators(write(tmp_path, "a.csv", "指标,时间,数值\ngdp,2026-03,1\n")))
    assert where(err) == [(1, None)] and "no area column" in str(err)
    err = problems(lambda: indicators(write(tmp_path, "b.csv",
                                            "地区,指标,时间\n360702,gdp,2026-03\n")))
    assert "no value column" in str(err)
    err = problems(lambda: indicators(write(tmp_path, "c.csv", "地区,数量\n360702,1\n")))
    assert "neither an indicator nor a period column" in str(err)
    err = problems(lambda: indicators(write(tmp_path, "d.csv",
                                            "地区,指标,2026-01,合计\n360702,retail_sales,1,2\n")))
    assert where(err) == [(1, "合计")] and "neither a period" in str(err)


# --- problems -------------------------------------------------------------------------------
BAD = """地区,指标,时间,数值
360799,gdp,2026-03,1
360702,grain_output,2026-03,1
360702,unemployment_rate,2026-01,5
360702,unemployment_rate,2026年1月,6
360702,unemployment_rate,2026-12,5
360702,retail_sales,2026-03,12..5
360702,new_urban_jobs,2026-03,-5
360702,gdp,2026-04,1
360702,retail_sales,2026-04,12%
360702,unemployment_rate,2026Q1,5
360702,pm25,2026-03,30
360702,retail_sales,2026.1,30
"""


def test_every_problem_kind_with_row_and_column(tmp_path):
    path = write(tmp_path, "bad.csv", BAD)
    err = problems(lambda: indicators(path))
    assert where(err) == [(2, "地区"), (3, "指标"), (5, "数值"), (6, "时间"), (7, "数值"),
                          (8, "数值"), (9, "时间"), (10, "数值"), (11, "时间"), (12, "指标"),
                          (13, "时间")]
    lines = str(err).splitlines()
    assert lines[0] == (f"{path}, row 2, column '地区': '360799': matches no district of the "
                        "store: 360702 章贡区, 360703 南康区, 360704 赣县区, 360722 信丰县, "
                        "360723 大余县, 360724 上犹县")
    assert lines[1] == (f"{path}, row 3, column '指标': 'grain_output': not in the catalogue: "
                        "declare it in a catalogue file (citybrain load catalogue)")
    assert "a duplicate of row 4 (360702 unemployment_rate 2026-01)" in lines[2]
    assert "after the as-of month 2026-11" in lines[3]
    assert "'12..5': not a number" in lines[4]
    assert "'-5': negative, but new_urban_jobs counts 人" in lines[5]
    assert "gdp is quarterly" in lines[6]
    assert "'12%': a percentage, but retail_sales is in 亿元" in lines[7]
    assert "unemployment_rate is monthly" in lines[8]
    assert "computed by the dashboard from air data" in lines[9]
    assert "ambiguous" in lines[10]
    assert all(p.level == "error" and p.file == str(path) for p in err.problems)


def test_problems_are_capped(tmp_path):
    rows = "".join(f"3607{n:02d},gdp,2026-03,1\n" for n in range(80, 80 + MAX_PROBLEMS + 12))
    err = problems(lambda: indicators(write(tmp_path, "a.csv", "地区,指标,时间,数值\n" + rows)))
    assert len(err.problems) == MAX_PROBLEMS and err.more == 12
    assert [p.row for p in err.problems] == list(range(2, 2 + MAX_PROBLEMS))
    assert str(err).splitlines()[-1] == "... and 12 more problems"


def test_problems_of_all_columns_sorted_by_row(tmp_path):
    rows = "".join(f"360702,gdp,2026-{m:02d},x{m}\n" for m in (3, 6, 9))
    rows += "360799,gdp,2026-03,1\n"
    err = problems(lambda: indicators(write(tmp_path, "a.csv", "地区,指标,时间,数值\n" + rows)))
    assert where(err) == [(2, "数值"), (3, "数值"), (4, "数值"), (5, "地区")]


def test_warnings_do_not_stop_a_load(tmp_path):
    rows = "".join(f"{code},retail_sales,2026-03,{v}\n"
                   for code, v in zip(AREAS, (10, 11, 12, 13, 14, 900)))
    rows += "360702,unemployment_rate,2026-03,120\n360702,industrial_va_growth,2026-03,-3\n"
    rows += "全市,retail_sales,2026-03,960\n360703,gdp,2026-03,\n"
    got = indicators(write(tmp_path, "a.csv", "地区,指标,时间,数值\n" + rows))
    assert len(got.frame) == 8
    assert [(w.row, w.column, w.level) for w in got.warnings] == [
        (7, "数值", "warning"), (8, "数值", "warning"), (10, "地区", "warning"),
        (11, "数值", "warning")]
    assert "more than 20 times the median of retail_sales" in got.warnings[0].expected
    assert "rate in %: expected 0 to 100" in got.warnings[1].expected
    assert "a total row" in got.warnings[2].expected


def test_warnings_are_capped_too(tmp_path):
    rows = "".join(f"全市,retail_sales,2026-{m:02d},1\n" for m in range(1, 12)) * 6
    rows += "360702,retail_sales,2026-03,1\n"
    got = indicators(write(tmp_path, "a.csv", "地区,指标,时间,数值\n" + rows))
    assert len(got.frame) == 1 and len(got.warnings) == MAX_PROBLEMS + 1
    assert got.warnings[-1].expected == "... and 16 more warnings"


# --- catalogue ------------------------------------------------------------------------------
CATALOGUE = """代码,名称,英文名称,单位,方向,频率,目标,预警,领域
grain_output,粮食产量,Grain output,万吨,越高越好,月度,100,80,经济
clinic_visits,门诊人次,,人次,higher,monthly,,,services
vaccination_rate,疫苗接种率,Vaccination,%,higher,,95,90,
"""


def test_read_catalogue(tmp_path):
    got = read_catalogue(write(tmp_path, "cat.csv", CATALOGUE))
    assert [i.code for i in got] == ["grain_output", "clinic_visits", "vaccination_rate"]
    grain, visits, rate = got
    assert grain == Indicator("grain_output", "粮食产量", "Grain output", "万吨", "10k t",
                              "economy", "monthly", "value", "higher", target=100.0, alert=80.0,
                              decimals=0)
    assert visits.name_en == "门诊人次" and visits.domain == "services" and visits.target is None
    assert (rate.space, rate.time, rate.unit_en) == ("mean", "mean", "%")
    catalogue = BUILT_IN.with_own(got)
    path = write(tmp_path, "v.csv", "地区,指标,时间,数值\n章贡区,粮食产量,2026-03,5\n")
    got = read_indicators(path, catalogue=catalogue, areas=AREAS, as_of=AS_OF)
    assert got.frame.indicator_code.tolist() == ["grain_output"]


def test_catalogue_problems(tmp_path):
    text = """code,name_zh,unit_zh,better,target,alert,kind
Grain,粮食,万吨,higher,,,
pm25,细颗粒物,µg/m³,lower,,,
ok_one,好,%,higher,90,95,
ok_one,好二,%,sideways,,,
two,好,%,lower,,,air
"""
    err = problems(lambda: read_catalogue(write(tmp_path, "c.csv", text)))
    assert where(err) == [(2, "code"), (3, "code"), (4, "alert"), (5, "code"), (5, "better"),
                          (6, "name_zh"), (6, "kind")]
    assert "lower-case letters" in err.problems[0].expected
    assert "built-in air metric" in err.problems[1].expected
    assert "must lie below the target (90)" in err.problems[2].expected
    assert "a duplicate of row 4" in err.problems[3].expected
    assert "higher (越高越好) | lower (越低越好)" in err.problems[4].expected


def test_a_catalogue_declares_a_yearly_running_total(tmp_path):
    """口径 累计: the year's running total against a yearly target (self-service terminal
    cases' basis), a flow's only."""
    text = """代码,名称,单位,方向,目标,口径,时间汇总
hall_cases,大厅办件量,件,越高越好,50000,累计,
kiosk_rate,自助办理率,%,越高越好,60,年度累计,均值
"""
    err = problems(lambda: read_catalogue(write(tmp_path, "c.csv", text)))
    assert where(err) == [(3, "口径")]
    assert "time sum" in err.problems[0].expected
    got = read_catalogue(write(tmp_path, "ok.csv", text.splitlines()[0] + "\n"
                               + text.splitlines()[1] + "\n"))
    assert got[0].basis == "ytd" and got[0].time == "sum" and got[0].is_cumulative
    # a re-declared built-in running total (self-service cases) made a mean: named on 时间汇总
    again = "代码,名称,单位,方向,目标,时间汇总\nself_service_cases,自助终端办件量,件,越高越好,90000,均值\n"
    err = problems(lambda: read_catalogue(write(tmp_path, "again.csv", again)))
    assert where(err) == [(2, "时间汇总")] and "time sum" in err.problems[0].expected


# --- air, water, events ---------------------------------------------------------------------
STATIONS = {"S01", "S02"}
AIR = """站点,时间,PM2.5,PM10,SO2,NO2,CO,O3
S01,2026-11-24 08:00,35,50,10,40,0.8,60
S01,2026/11/24 9:00,80,,,,,
S02,2026年11月24日10时,-,-,-,-,-,-
"""


def test_read_air(tmp_path):
    got = read_air(write(tmp_path, "air.csv", AIR), stations=STATIONS,
                   as_of=dt.datetime(2026, 11, 24, 10))
    assert list(got.columns) == ["station_code", "ts", "pm25", "pm10", "so2", "no2", "co", "o3",
                                 "aqi"]
    assert got.ts.tolist() == [pd.Timestamp("2026-11-24 08:00"), pd.Timestamp("2026-11-24 09:00"),
                               pd.Timestamp("2026-11-24 10:00")]
    expected = hourly_aqi(*(np.array([[35, 50, 10, 40, 0.8, 60]], float).T))
    assert got.aqi.iat[0] == expected[0] and got.aqi.iat[1] == 107
    assert got.aqi.isna().iat[2] and got.attrs["warnings"] == []


def test_air_problems(tmp_path):
    text = AIR + """S09,2026-11-24 08:00,1,1,1,1,1,1
S01,2026-11-24 08:30,1,1,1,1,1,1
S01,2026-11-24 11:00,1,1,1,1,1,1
S02,2026-11-24 08:00,-1,1,1,1,1,1
S01,2026-11-24 08:00,1,1,1,1,1,1
S02,2026-11-24 07:00,1,1,1,1,900,1
"""
    err = problems(lambda: read_air(write(tmp_path, "air.csv", text), stations=STATIONS,
                                    as_of=dt.datetime(2026, 11, 24, 10)))
    assert where(err) == [(5, "站点"), (6, "时间"), (7, "时间"), (8, "PM2.5"), (9, "时间")]
    assert "matches no air station of the store: S01, S02" in str(err)
    assert "a duplicate of row 2" in err.problems[-1].expected
    ok = read_air(write(tmp_path, "ok.csv", AIR + "S02,2026-11-24 07:00,1,1,1,1,900,1\n"),
                  stations=STATIONS, as_of=dt.datetime(2026, 11, 24, 10))
    assert [(w.row, w.column) for w in ok.attrs["warnings"]] == [(5, "CO")]
    path = write(tmp_path, "u.csv", "站点,时间,CO(μg/m³)\nS01,2026-11-24,1\n")
    err = problems(lambda: read_air(path, stations=STATIONS, as_of=dt.datetime(2026, 11, 24, 10)))
    assert "co must be in mg/m³" in str(err)


def test_read_water(tmp_path):
    text = ("断面代码,月份,水质类别\n" + "".join(f"W{n},2026-0{n},{c}\n" for n, c in enumerate(
        ["Ⅰ类", "Ⅱ", "III", "iv类", "5", "劣Ⅴ类", "劣V"], 1)))
    sections = {f"W{n}" for n in range(1, 8)}
    got = read_water(write(tmp_path, "w.csv", text), sections=sections, as_of=AS_OF)
    assert got["class"].tolist() == [1, 2, 3, 4, 5, 6, 6]
    assert got.period.tolist()[0] == dt.date(2026, 1, 1)
    bad = text + "W9,2026-01,3\nW1,2026-12,3\nW3,2026-05,Ⅵ\nW1,2026年1月,2\n"
    err = problems(lambda: read_water(write(tmp_path, "b.csv", bad), sections=sections,
                                      as_of=AS_OF))
    assert where(err) == [(9, "断面代码"), (10, "月份"), (11, "水质类别"), (12, "月份")]


CELLS = {"360702001001": ("360702001", "360702"), "360702001002": ("360702001", "360702")}
EVENTS = "\n".join(",".join(row) for row in (
    ("事件编号", "网格", "类别", "来源", "处置部门", "上报时间", "受理时间", "派遣时间", "处置时间",
     "核查时间", "结案时间", "办理时限", "退回次数", "满意度", "经度", "纬度", "状态"),
    ("9007199254740993", "360702001001", "市容环境", "12345热线", "city_mgmt", "2026-11-01 08:00",
     "2026-11-01 09:00", "2026-11-01 10:00", "2026-11-02 10:00", "2026-11-02 12:00",
     "2026-11-02 13:00", "72", "1", "5", "114.93", "25.83", "已结案"),
    ("2", "360702001002", "safety", "patrol", "housing", "2026/11/20 10:00:00",
     "2026-11-20 11:00", "", "", "", "", "2026-11-23 10:00", "", "", "114.9", "25.8", "办理中"),
)) + "\n"


def events(path):
    return read_events(path, cells=CELLS, departments={"city_mgmt", "housing"},
                       categories=set(EVENT_CATEGORIES), channels=set(EVENT_SOURCES),
                       as_of=dt.datetime(2026, 11, 24, 10))


def test_read_events(tmp_path):
    got = events(write(tmp_path, "e.csv", EVENTS))
    assert list(got.columns) == [
        "event_id", "grid_code", "township_code", "district_code", "category", "channel",
        "department_code", "status", "reported_at", "accepted_at", "dispatched_at",
        "handled_at", "verified_at", "closed_at", "deadline_at", "returned_count",
        "satisfaction", "lon", "lat", "reporter_name", "reporter_phone", "subcategory"]
    assert got.event_id.tolist() == [9007199254740993, 2]
    assert got.status.tolist() == ["closed", "accepted"]
    assert got.category.tolist() == ["appearance", "safety"]
    assert got.channel.tolist() == ["hotline", "patrol"]
    assert got.township_code.tolist() == ["360702001"] * 2
    assert got.deadline_at.tolist() == [pd.Timestamp("2026-11-04 08:00"),
                                        pd.Timestamp("2026-11-23 10:00")]
    assert got.returned_count.tolist() == [1, 0] and got.satisfaction.isna().tolist() == [False,
                                                                                          True]
    assert got.handled_at.isna().tolist() == [False, True]
    # no reporter columns: no one named
    assert got.reporter_name.isna().all() and got.reporter_phone.isna().all()


@pytest.mark.parametrize("name", ["名称", "地区名称", "name"])
def test_a_wide_file_with_a_code_and_a_name_column_reads_the_name_as_a_name(tmp_path, name):
    """区划代码, 名称, then a column per indicator, as statistics offices write it; a row whose
    name is another district's than its code is refused, naming both."""
    text = (f"区划代码,{name},时间,地区生产总值,城镇调查失业率\n"
            "360702,章贡区,2026-03,1234.5,5.1\n360703,南康区,2026-03,800.1,5.3\n")
    got = indicators(write(tmp_path, "wide.csv", text))
    assert got.layout == "wide-indicators"
    assert sorted(set(got.frame["indicator_code"])) == ["gdp", "unemployment_rate"]
    assert got.frame["district_code"].tolist() == ["360702"] * 2 + ["360703"] * 2
    shifted = text.replace("360703,南康区", "360703,章贡区")
    err = problems(lambda: indicators(write(tmp_path, "shifted.csv", shifted)))
    assert where(err) == [(3, name)]
    assert "360703 南康区 as 区划代码 says (360703); 章贡区 is 360702 章贡区" in str(err)


@pytest.mark.parametrize("system", ["GCJ02", "BD09"])
def test_events_exported_from_a_chinese_map_are_converted_to_wgs84(tmp_path, system):
    from geo import crs
    wgs = events(write(tmp_path, "e.csv", EVENTS))
    lon, lat = crs.convert_points(wgs.lon, wgs.lat, "WGS84", system)
    shifted = EVENTS.replace("114.93,25.83", f"{lon[0]:.9f},{lat[0]:.9f}").replace(
        "114.9,25.8", f"{lon[1]:.9f},{lat[1]:.9f}")
    path = write(tmp_path, "amap.csv", shifted)
    got = read_events(path, cells=CELLS, departments={"city_mgmt", "housing"},
                      categories=set(EVENT_CATEGORIES), channels=set(EVENT_SOURCES),
                      as_of=dt.datetime(2026, 11, 24, 10), source_crs=system)
    assert np.abs(got.lon - wgs.lon).max() < 1e-6 and np.abs(got.lat - wgs.lat).max() < 1e-6
    assert np.abs(events(path).lon - wgs.lon).max() > 1e-3      # undeclared: taken as WGS-84
    err = problems(lambda: read_events(path, cells=CELLS, departments={"city_mgmt", "housing"},
                                       categories=set(EVENT_CATEGORIES),
                                       channels=set(EVENT_SOURCES),
                                       as_of=dt.datetime(2026, 11, 24, 10),
                                       source_crs="mercator"))
    assert "--source-crs WGS84, GCJ02 or BD09" in str(err)


def with_columns(text: str, *cells: str) -> str:
    """``text`` (a CSV) with a column more per line: the header's cell first."""
    lines = text.splitlines()
    return "\n".join(f"{line},{cell}" for line, cell in zip(lines, cells)) + "\n"


@pytest.mark.parametrize("header", [("上报人", "联系电话"), ("reporter_name", "reporter_phone"),
                                    ("举报人姓名", "手机号")])
def test_events_carry_their_reporter(tmp_path, header):
    text = with_columns(with_columns(EVENTS, header[0], "张伟", "匿名"),
                        header[1], "+86 138-1234-1234", "")
    got = events(write(tmp_path, "e.csv", text))
    assert got.reporter_name.tolist()[0] == "张伟" and got.reporter_name.isna().tolist()[1]
    assert got.reporter_phone.tolist()[0] == "13812341234"
    assert got.reporter_phone.isna().tolist()[1]


def test_landlines_load_and_a_phone_that_is_no_number_is_a_problem(tmp_path):
    """12345 hotline exports carry landlines beside mobile numbers: a landline with its area
    code loads as 0AREA-NUMBER; what is neither is a problem naming its row."""
    text = with_columns(EVENTS, "联系电话", "13812341234", "(0797)8123456")
    text += "3,360702001001,safety,patrol,housing,2026-11-20 10:00,,,,,,24,,,114.9,25.8,,1381234\n"
    text += "4,360702001001,safety,patrol,housing,2026-11-20 10:00,,,,,,24,,,114.9,25.8,,8123456\n"
    err = problems(lambda: events(write(tmp_path, "e.csv", text)))
    assert where(err) == [(4, "联系电话"), (5, "联系电话")]
    assert [p.value for p in err.problems] == ["1381234", "8123456"]
    assert all(p.file == str(tmp_path / "e.csv") for p in err.problems)
    assert "like 13812341234" in err.problems[0].expected and "0797-8123456" in \
        err.problems[0].expected
    good = with_columns(EVENTS, "联系电话", "13812341234", "+86 797 8123456")
    assert events(write(tmp_path, "g.csv", good)).reporter_phone.tolist()[1] == "0797-8123456"


def test_event_problems(tmp_path):
    text = EVENTS + """2,360702001009,垃圾,patrol,housing,2026-11-20 10:00,,,,,,24,-1,6,114.9,25.8,
3,360702001001,safety,fax,police,2026-11-25 10:00,2026-11-20 09:00,,,,,24,,,200,25.8,
"""
    err = problems(lambda: events(write(tmp_path, "e.csv", text)))
    assert where(err) == [
        (4, "事件编号"), (4, "网格"), (4, "类别"), (4, "退回次数"), (4, "满意度"),
        (5, "来源"), (5, "处置部门"), (5, "上报时间"), (5, "经度")]
    assert "a duplicate of row 3" in err.problems[0].expected
    assert "matches no grid cell of the store" in err.problems[1].expected
    text = EVENTS.replace("2026-11-02 10:00,2026-11-02 12:00", "2026-11-02 10:00,2026-11-01 12:00")
    err = problems(lambda: events(write(tmp_path, "o.csv", text)))
    assert where(err) == [(2, "核查时间")]
    assert err.problems[0].expected.startswith("before 处置时间 (2026-11-02 10:00)")


# --- property tests: malformed input ends in a LoadError or a correct load ------------------
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def load_or_error(path) -> Indicators | None:
    try:
        got = indicators(path)
    except LoadError as err:
        assert err.problems and all(p.file == str(path) for p in err.problems)
        event("LoadError")
        return None
    event("loaded")
    frame = got.frame
    assert list(frame.columns) == ["district_code", "indicator_code", "period", "value"]
    assert set(frame.district_code) <= set(AREAS) and set(frame.indicator_code) <= set(BUILT_IN.codes())
    assert all(isinstance(p, dt.date) and p.day == 1 and p <= AS_OF for p in frame.period)
    assert np.isfinite(frame.value).all()
    assert not frame.duplicated(["district_code", "indicator_code", "period"]).any()
    return got


@PROPERTY
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path, data):
    (tmp_path / "r.csv").write_bytes(data)
    load_or_error(tmp_path / "r.csv")


@PROPERTY
@given(data=st.data())
def test_mutated_csv(tmp_path, data):
    raw = bytearray(LONG.encode(data.draw(st.sampled_from(["utf-8", "gbk", "utf-8-sig"]))))
    for _ in range(data.draw(st.integers(0, 4))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[at] = data.draw(st.sampled_from(b'",;\t\n\r\x00-%.\xe4\xd6\xff0123456789'))
        elif op == "insert":
            raw[at:at] = data.draw(st.sampled_from([b'"', b",", b"\n", b"\xe4\xb8", b"\xd6\xd0",
                                                    b"2026-13", b"-5", b"\xef\xbb\xbf", b"1e999"]))
        elif op == "delete":
            del raw[at:at + data.draw(st.integers(1, 8))]
        else:
            del raw[at:]
    (tmp_path / "m.csv").write_bytes(bytes(raw))
    load_or_error(tmp_path / "m.csv")


CELL = st.one_of(
    st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["章贡区", "360702", "gdp", "城镇调查失业率", "2026-03", "2026Q1", "亿元", "%",
                     "注：", "地区", "指标", "时间", "数值", "-", "1,234", "5%", "2027-01"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=8),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)))


#: Rows that load, so the property also sees correct loads, mixed with random ones.
GOOD_ROW = st.tuples(st.sampled_from(list(AREAS) + list(AREAS.values())),
                     st.sampled_from(["retail_sales", "城镇调查失业率",
                                      "Deposits of financial institutions", "gdp"]),
                     st.sampled_from(["2026-03", dt.datetime(2026, 6, 1), "2025Q4", 202609,
                                      "2026年3月"]),
                     st.one_of(st.floats(0, 1e6), st.integers(0, 10**6),
                               st.sampled_from(["1,234.5", "-", None]))).map(list)


@PROPERTY
@given(rows=st.lists(st.one_of(GOOD_ROW, GOOD_ROW, st.lists(CELL, max_size=6)), max_size=8),
       header=st.sampled_from([["地区", "指标", "时间", "数值"], ["district_code", "indicator",
                               "period", "value"], ["地区", "时间", "gdp"],
                               ["地区", "指标", "2026-01"], []]))
def test_random_excel_cells(tmp_path, rows, header):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [header, *rows]:
        ws.append(row)
    wb.save(tmp_path / "x.xlsx")
    load_or_error(tmp_path / "x.xlsx")


SAMPLES = {
    "air": (AIR, lambda p: read_air(p, stations=STATIONS, as_of=dt.datetime(2026, 11, 24, 10))),
    "water": ("断面,时间,类别\nW1,2026-01,Ⅲ\nW1,2026-02,劣Ⅴ\n",
              lambda p: read_water(p, sections={"W1"}, as_of=AS_OF)),
    "events": (EVENTS, events),
    "catalogue": (CATALOGUE, read_catalogue),
}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), kind=st.sampled_from(sorted(SAMPLES)))
def test_mutated_files_of_every_importer(tmp_path, data, kind):
    text, read = SAMPLES[kind]
    raw = bytearray(text.encode())
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at:at + data.draw(st.integers(0, 4))] = data.draw(
            st.sampled_from([b"", b'"', b",", b"\n", b"-", b"9", b"\xd6\xd0", b"2030"]))
    (tmp_path / "m.csv").write_bytes(bytes(raw))
    try:
        read(tmp_path / "m.csv")
        event("loaded")
    except LoadError as err:
        assert err.problems
        event("LoadError")
