"""Reading a city's own tables: statistics, air readings, water sections, grid events.

The files come from other systems, exported by people who use Excel: CSV in UTF-8 (with or
without a BOM), GBK or GB18030, Excel workbooks in the statistics bureau's layout (title rows,
the header, a units row, footnotes), Parquet. ``read_table`` turns any of them into a table of
text cells that remembers each row's number as the user sees it; the readers
(``read_catalogue``, ``read_indicators``, ``read_air``, ``read_water``, ``read_events``) check
every cell against the store's codes and the catalogue and raise one ``LoadError`` holding all
the file's problems (up to ``MAX_PROBLEMS``), each naming the file, row, column, value and what
was expected. Nothing here touches a store: the caller writes what a reader returns.

Row numbers count the way a person finds the row: the line in a text editor for CSV (a quoted
value spanning lines keeps its record's first line), the row in Excel for a workbook, and for
Parquet the row as the same table would show in Excel (the header is row 1).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import numpy as np
import pandas as pd

from data import aqi as aqi_standard
from data.catalog import EVENT_CATEGORIES, EVENT_SOURCES, EVENT_STAGES, INDICATORS, Indicator
from data.load.problems import MAX_PROBLEMS, LoadError, Problem, Problems

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES
#: A compressed file that unpacks to more than this many times its size, and to more than
#: _BOMB_FLOOR, is a file of repeated rows made to exhaust memory (a "zip bomb"): a workbook's
#: sheets compress 5-20 times, real Parquet holds well under 50 cells a byte.
_BOMB_RATIO = 100
_BOMB_FLOOR = 50 * 2**20
_BOMB_CELLS_PER_BYTE = 50
_BOMB_CELLS_FLOOR = 2_000_000

#: Where the catalogue of declared indicators is loaded (named in "unknown indicator" errors).
CATALOGUE_COMMAND = "citybrain load catalogue"

#: Title rows above the header are searched this far down; further down a header-like row is
#: data, and dropping everything above it would lose rows silently.
_HEADER_SEARCH_ROWS = 10
#: Outlier warning: a value this many times above (or below 1/this of) its indicator's median.
OUTLIER_FACTOR = 20.0
#: ... when the indicator has at least this many values in the file.
OUTLIER_MIN_VALUES = 5

#: Units (base of the unit before any "/") whose values are counts and cannot be negative;
#: units starting with 万 or 亿 are amounts (亿元, 万吨, 万人) and cannot be either.
COUNT_UNITS = frozenset({"人", "人次", "户", "件", "项", "个", "次", "吨"})

# --- column names ---------------------------------------------------------------------------
# Aliases are compared after _key(): NFKC (full-width letters), case-folded, without spaces,
# "_", "-" and ".", so "PM2.5", "pm2_5" and "ＰＭ２５" are one name.
_AREA = ("district_code", "area_code", "code", "地区代码", "区划代码", "行政区划代码", "地区编码",
         "区县代码", "地区", "区县", "县区", "县(市、区)", "县市区", "地区名称", "区县名称",
         "district", "area", "区域")
_INDICATOR = ("indicator", "indicator_code", "指标", "指标代码", "指标名称", "指标编码")
_PERIOD = ("period", "month", "date", "时间", "期别", "月份", "统计期", "统计时间", "年月", "日期",
           "报告期")
_VALUE = ("value", "数值", "值", "指标值", "本期值", "数据", "本期")
_UNIT = ("unit", "单位", "计量单位")
#: Columns people add for themselves (row numbers, remarks): ignored without a warning.
_NOTES = ("序号", "备注", "说明", "note", "notes", "remark", "remarks", "no", "#")


@dataclass(frozen=True)
class _Field:
    name: str
    label: str
    aliases: tuple[str, ...]
    required: bool = False


_INDICATOR_FIELDS = (
    _Field("area", "area", _AREA),
    _Field("indicator", "indicator", _INDICATOR),
    _Field("period", "period", _PERIOD),
    _Field("value", "value", _VALUE),
    _Field("unit", "unit", _UNIT),
)
_CATALOGUE_FIELDS = (
    _Field("code", "code", ("code", "代码", "指标代码", "编码", "指标编码"), True),
    _Field("name_zh", "Chinese name", ("name_zh", "名称", "指标名称", "中文名称", "指标"), True),
    _Field("name_en", "English name", ("name_en", "英文名称", "英文名", "name")),
    _Field("unit_zh", "unit", ("unit_zh", "单位", "计量单位", "unit"), True),
    _Field("unit_en", "English unit", ("unit_en", "英文单位")),
    _Field("domain", "domain", ("domain", "领域", "板块")),
    _Field("frequency", "frequency", ("frequency", "频率", "频度", "周期")),
    _Field("better", "direction", ("better", "方向", "指标方向", "极性"), True),
    _Field("target", "target", ("target", "目标", "目标值")),
    _Field("alert", "alert threshold", ("alert", "预警", "预警值", "预警线")),
    _Field("space", "space", ("space", "空间汇总", "汇总方式")),
    _Field("time", "time", ("time", "时间汇总", "累计方式")),
    _Field("basis", "basis", ("basis", "口径", "考核口径")),
    _Field("decimals", "decimals", ("decimals", "小数位", "小数位数")),
    _Field("kind", "kind", ("kind", "类型")),
)
_POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co", "o3")
_AIR_FIELDS = (
    _Field("station", "station", ("station_code", "station", "code", "站点", "站点代码", "站点编码",
                                  "监测站", "监测点", "点位", "点位代码", "站号"), True),
    _Field("ts", "time", ("ts", "time", "datetime", "timestamp", "时间", "监测时间", "日期时间",
                          "数据时间"), True),
    _Field("pm25", "PM2.5", ("pm25", "细颗粒物")),
    _Field("pm10", "PM10", ("pm10", "可吸入颗粒物")),
    _Field("so2", "SO2", ("so2", "二氧化硫")),
    _Field("no2", "NO2", ("no2", "二氧化氮")),
    _Field("co", "CO", ("co", "一氧化碳")),
    _Field("o3", "O3", ("o3", "臭氧")),
    _Field("aqi", "AQI", ("aqi", "空气质量指数")),
)
_WATER_FIELDS = (
    _Field("section", "section", ("section_code", "section", "code", "断面", "断面代码", "断面编码",
                                  "断面编号", "监测断面"), True),
    _Field("period", "period", _PERIOD, True),
    _Field("class", "water class", ("class", "water_class", "水质类别", "类别", "水质", "实测类别",
                                    "水质级别"), True),
)
_STAGE_ALIASES = {
    "reported": ("reported_at", "reported", "上报时间"),
    "accepted": ("accepted_at", "accepted", "受理时间"),
    "dispatched": ("dispatched_at", "dispatched", "派遣时间", "派单时间"),
    "handled": ("handled_at", "handled", "处置时间", "办理时间", "处置完成时间"),
    "verified": ("verified_at", "verified", "核查时间", "核实时间"),
    "closed": ("closed_at", "closed", "结案时间", "办结时间"),
}
_EVENT_FIELDS = (
    _Field("event_id", "event id", ("event_id", "id", "事件编号", "事件id", "编号", "案件编号",
                                    "工单号"), True),
    _Field("grid", "grid cell", ("grid_code", "grid", "cell", "网格", "网格编码", "网格代码",
                                 "所属网格"), True),
    _Field("category", "category", ("category", "类别", "事件类别", "事件类型", "事件分类"), True),
    _Field("channel", "channel", ("channel", "来源", "渠道", "上报渠道", "事件来源"), True),
    _Field("department", "department", ("department_code", "department", "部门", "处置部门",
                                         "责任部门", "承办部门", "部门代码"), True),
    *(_Field(stage, f"{stage}_at", aliases, stage == "reported")
      for stage, aliases in _STAGE_ALIASES.items()),
    _Field("deadline", "deadline", ("deadline_at", "deadline", "办理时限", "截止时间", "处置时限",
                                    "期限"), True),
    _Field("returned", "returned count", ("returned_count", "退回次数", "返工次数")),
    _Field("satisfaction", "satisfaction", ("satisfaction", "满意度", "评价")),
    _Field("lon", "longitude", ("lon", "lng", "longitude", "经度"), True),
    _Field("lat", "latitude", ("lat", "latitude", "纬度"), True),
    # derived from the stage times; read so that it is not reported as an unknown column
    _Field("status", "status", ("status", "状态", "事件状态")),
    # personal data (shown masked to users without clearance)
    _Field("reporter_name", "reporter name", ("reporter_name", "reporter", "上报人", "上报人姓名",
                                              "举报人", "举报人姓名", "反映人", "反映人姓名",
                                              "来电人", "来电人姓名", "联系人", "姓名")),
    _Field("reporter_phone", "reporter phone", ("reporter_phone", "phone", "mobile", "联系电话",
                                                "手机号", "手机号码", "手机", "电话", "联系方式",
                                                "上报人电话", "举报人电话", "来电号码")),
)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _key(text: str) -> str:
    return re.sub(r"[\s_\-.·]", "", _nfkc(text)).casefold()


_KNOWN_COLUMNS = frozenset(_key(a) for fields in (_INDICATOR_FIELDS, _CATALOGUE_FIELDS, _AIR_FIELDS,
                                                  _WATER_FIELDS, _EVENT_FIELDS)
                           for f in fields for a in f.aliases)

# --- units ----------------------------------------------------------------------------------
_UNIT_PREFIX = re.compile(r"^(?:计量)?单位\s*[:：]?\s*")
_UNIT_RE = re.compile(
    r"(?:[十百千万亿]*(?:元|美元|人|户|个|件|项|吨|次|人次|辆|台|套|家|所|张|千瓦时|千瓦|度|平方米|"
    r"立方米|公顷|亩|公里|千米|米|小时|天|日|起|宗|座|条|部|床|标箱|吨公里))"
    r"(?:/[十百千万]?(?:人|户|个|件|次|天|日|年|月))?|%|‰|百分点|db\(a\)|dba|μg/m3|ug/m3|mg/m3|"
    r"kwh|100mkwh|100mcny|10kcny|cny|yuan|persons|entities|cases|services|events|hours|t|10kt|"
    r"m2|10km2|mm|℃")
_KNOWN_UNITS = frozenset(re.sub(r"\s+", "", _nfkc(u)).casefold()
                         for i in INDICATORS for u in (i.unit_zh, i.unit_en) if u)
#: English units of the built-in catalogue by their Chinese unit (declared indicators default).
_UNIT_EN = {i.unit_zh: i.unit_en for i in INDICATORS if i.unit_zh}
_UNIT_SYNONYMS = {"百分比": "%", "ug/m3": "μg/m3"}


def _unit_key(text: str) -> str:
    u = re.sub(r"\s+", "", _nfkc(text)).strip("()[]【】")
    u = _UNIT_PREFIX.sub("", u).casefold()
    return _UNIT_SYNONYMS.get(u, u)


def _as_unit(text: str | None) -> str | None:
    """Return the unit a units-row cell (or a bracketed header suffix) names, or None."""
    if not text:
        return None
    u = _unit_key(text)
    if u and (u in _KNOWN_UNITS or _UNIT_RE.fullmatch(u)):
        return _UNIT_PREFIX.sub("", re.sub(r"\s+", "", text).strip("()（）[]【】")).strip()
    return None


def _split_unit(name: str) -> tuple[str, str | None]:
    """Split "地区生产总值（亿元）" into the name and its unit (statistics headers carry both)."""
    m = re.fullmatch(r"(.+?)\s*[(（\[【]([^()（）]+)[)）\]】]", name)
    if m and _as_unit(m.group(2)):
        return m.group(1).strip(), _as_unit(m.group(2))
    return name, None


# --- parsing cells --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Bad:
    """A cell that does not parse, and what was expected instead."""

    expected: str


#: Statistics tables mark "no data" with dashes or ellipses.
_BLANK_MARKERS = frozenset({"-", "--", "—", "——", "–", "…", "……", "...", "/", "n/a", "na",
                            "null", "none", "nan"})
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
NUMBER_EXPECTED = ("not a number: expected digits like 1234.5 (thousands separators and a % are "
                   "fine)")


def _number(text: str) -> tuple[float, bool] | _Bad | None:
    """Parse a number; return (value, had a %), None for an empty marker, or _Bad."""
    t = re.sub(r"\s+", "", _nfkc(text))
    if t.casefold() in _BLANK_MARKERS:
        return None
    percent = t.endswith("%")
    if percent:
        t = t[:-1]
    if _THOUSANDS_RE.fullmatch(t):
        t = t.replace(",", "")
    # a regex, not float(): float() also takes "inf", "nan" and "1_000"
    if not _NUMBER_RE.fullmatch(t):
        return _Bad(NUMBER_EXPECTED)
    value = float(t)
    if not math.isfinite(value):
        return _Bad("too large a number")
    return value, percent


def _whole(text: str, low: int, high: int, what: str) -> int | _Bad | None:
    # int() first: ids beyond 2**53 lose digits as floats
    m = re.fullmatch(r"([+-]?\d{1,30})(?:\.0*)?", _nfkc(text).strip())
    if m:
        value = int(m.group(1))
        return value if low <= value <= high else _Bad(
            f"expected {what}: a whole number from {low} to {high}")
    parsed = _number(text)
    if parsed is None or isinstance(parsed, _Bad):
        return parsed
    value = parsed[0]
    if parsed[1] or not value.is_integer() or not low <= value <= high:
        return _Bad(f"expected {what}: a whole number from {low} to {high}")
    return int(value)


_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_CN_QUARTER = {"1": 3, "2": 6, "3": 9, "4": 12, "一": 3, "二": 6, "三": 9, "四": 12}
_MONTH_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_DAY_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                     r"(?:[T\s]+0{1,2}:00(?::00(?:\.0+)?)?)?")
_QUARTER_RE = re.compile(r"(\d{4})\s*(?:年\s*)?(?:第\s*)?([1-4一二三四])\s*季度?"
                         r"|(\d{4})\s*[-/]?\s*[Qq]\s*([1-4])")
PERIOD_FORMATS = ("2026-01, 2026/1, 2026年1月, 202601, 2026-01-01 or a quarter like 2026Q1 or "
                  "2026年一季度")
PERIOD_EXPECTED = f"not a month: expected {PERIOD_FORMATS}"


def _period(text: str) -> tuple[dt.date, str] | _Bad | None:
    """Parse a period; return (first day of its month, "month" or "quarter"), or _Bad.

    A quarter becomes its last month, where the store keeps quarterly values (GDP).
    """
    t = _nfkc(text).strip()
    if t.casefold() in _BLANK_MARKERS:
        return None
    # Excel keeps 2026.10 as the number 2026.1: the month cannot be told from January
    if re.fullmatch(r"\d{4}\.1", t):
        return _Bad("ambiguous: 2026.1 is January, or October whose trailing 0 Excel dropped; "
                    "write 2026-01 or 2026-10")
    year = month = None
    kind = "month"
    if m := _DAY_RE.fullmatch(t):
        year, month, day = (int(g) for g in m.groups())
        try:
            dt.date(year, month, day)
        except ValueError:
            return _Bad(f"no such day: {PERIOD_EXPECTED}")
    elif (m := _MONTH_RE.fullmatch(t)) or (m := re.fullmatch(r"(\d{4})(\d{2})", t)):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _QUARTER_RE.fullmatch(t):
        year = int(m.group(1) or m.group(3))
        month = _CN_QUARTER[m.group(2) or m.group(4)]
        kind = "quarter"
    elif (m := re.fullmatch(r"(\d{5})(?:\.0+)?", t)) and 20000 <= int(m.group(1)) <= 80000:
        day = (_EXCEL_EPOCH + dt.timedelta(days=int(m.group(1)))).date()   # an Excel date serial
        year, month = day.year, day.month
    if year is None or not 1 <= month <= 12 or not 1900 <= year <= 2200:
        return _Bad(PERIOD_EXPECTED)
    return dt.date(year, month, 1), kind


TIME_FORMATS = "2026-11-24 10:00 (or 2026/11/24 10:00:00, 2026年11月24日10时)"
TIME_EXPECTED = f"not a time: expected {TIME_FORMATS}"
_DATE_PART = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T\s]*(.*))?")


def _timestamp(text: str) -> dt.datetime | _Bad | None:
    """Parse a local date and time (or an Excel serial), to the second."""
    t = _nfkc(text).strip()
    if t.casefold() in _BLANK_MARKERS:
        return None
    if m := re.fullmatch(r"\d{5}(?:\.\d+)?", t):
        days = float(t)
        if not 20000 <= days <= 80000:
            return _Bad(TIME_EXPECTED)
        return _EXCEL_EPOCH + dt.timedelta(seconds=round(days * 86400))
    m = _DATE_PART.fullmatch(t)
    if not m:
        return _Bad(TIME_EXPECTED)
    rest = (m.group(4) or "").strip()
    hms = (0, 0, 0)
    if rest:
        tm = (re.fullmatch(r"(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?", rest)
              or re.fullmatch(r"(\d{1,2})\s*[时點点](?:\s*(\d{1,2})\s*分(?:\s*(\d{1,2})\s*秒)?)?",
                              rest))
        if not tm:
            return _Bad(TIME_EXPECTED)
        hms = tuple(int(g or 0) for g in tm.groups())
    try:
        return dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), *hms)
    except ValueError:
        return _Bad(f"no such date or time: {TIME_EXPECTED}")


def _as_datetime(as_of: dt.date) -> dt.datetime:
    """A datetime as it is; a date as the end of that day."""
    if isinstance(as_of, dt.datetime):
        return as_of
    return dt.datetime.combine(as_of, dt.time(23, 59, 59))


def _datetimes(values: list) -> pd.Series:
    """A datetime column in one resolution whether or not it holds any time."""
    return pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[us]")


def _month_text(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _time_text(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M") + (f":{t.second:02d}" if t.second else "")


def _listing(items: Iterable[str], limit: int = 8) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}, … ({len(items)} in all)"


# --- the table ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """A file's table as text, with each row's number as the user sees it.

    Attributes
    ----------
    file : str
        The file's name as given (every problem names it).
    frame : pandas.DataFrame
        The data rows: cells are stripped text or None; columns are the header's names.
    rows : list of int
        The 1-based row (line) number in the file of each frame row.
    encoding : str or None
        The text encoding found (utf-8, utf-8-sig, gbk, gb18030, utf-16); None for binary.
    units : dict
        Column name -> unit, from a units row under the header (may be empty).
    header_row : int or None
        The header's row number (problems with a column as a whole point at it).
    """

    file: str
    frame: pd.DataFrame
    rows: list[int]
    encoding: str | None
    units: dict[str, str]
    header_row: int | None = None


def _fail(file: str, row: int | None, column: str | None, value, expected: str):
    raise LoadError([Problem(file, row, column, None if value is None else str(value), expected)])


def read_table(path: str | os.PathLike, *, sheet: str | None = None) -> Table:
    """Return a CSV, Excel or Parquet file's table as text cells with their row numbers.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``/``.tsv``/``.txt`` (UTF-8 with or without BOM, GBK, GB18030; delimiter ``,``
        ``;`` or tab, sniffed), ``.xlsx``/``.xlsm`` or ``.parquet`` file.
    sheet : str, optional
        The workbook sheet to read (Excel only); the first sheet by default.

    Returns
    -------
    Table
        In CSV and Excel, title rows above the header, a units row right under it, blank rows
        and footnote rows at the end ("注：…", "数据来源：…") are skipped.

    Raises
    ------
    LoadError
        For an unsupported type, an unreadable, empty or truncated file, mixed encodings, a
        wrong sheet name, empty or repeated column names.
    """
    file = str(path)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        hint = (" (the old Excel format: open it in Excel and save it as .xlsx)"
                if suffix in (".xls", ".et") else "")
        _fail(file, None, None, p.suffix or None,
              f"unsupported file type{hint}: expected {', '.join(SUPPORTED_SUFFIXES)}")
    if not p.exists():
        _fail(file, None, None, None, "no such file")
    if not p.is_file():
        _fail(file, None, None, None, "not a file")
    if sheet is not None and suffix not in EXCEL_SUFFIXES:
        _fail(file, None, None, sheet, "only an Excel workbook has sheets to choose from")
    if suffix in TEXT_SUFFIXES:
        return _read_text(file, p)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(file, p, sheet)
    return _read_parquet(file, p)


def _read_bytes(file: str, p: Path) -> bytes:
    try:
        return p.read_bytes()
    except OSError as err:
        _fail(file, None, None, None, f"cannot be read: {err.strerror or err}")


def _read_text(file: str, p: Path) -> Table:
    data = _read_bytes(file, p)
    if not data.strip():
        _fail(file, None, None, None, "the file is empty")
    if data.startswith(b"PK\x03\x04"):
        _fail(file, None, None, None, "this is an Excel workbook (a zip file), not text: "
              "name it .xlsx")
    text, encoding = _decode(file, data)
    if "\x00" in text:
        row = text.count("\n", 0, text.index("\x00")) + 1
        _fail(file, row, None, None, "contains NUL characters: not a text (CSV) file")
    delimiter = _sniff(text)
    records, last = _csv_records(file, text, delimiter)
    ends_cleanly = text.endswith(("\n", "\r"))
    return _shape(file, records, encoding=encoding, what="file",
                  partial=None if ends_cleanly else last)


def _decode(file: str, data: bytes) -> tuple[str, str]:
    """Decode as UTF-8 (BOM stripped) strictly, else GBK/GB18030; refuse a mix of both.

    A file pasted together from a UTF-8 export and a GBK one decodes "successfully" as
    GB18030 into nonsense, so the lines are classified before a single-codec decode is tried.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as err:
            _fail(file, data[:err.start].count(b"\n") + 1, None, None,
                  "starts as UTF-16 (Excel's Unicode text) but does not decode as UTF-16")
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8):] if bom else data
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError as err:
        if err.reason == "unexpected end of data" and err.end >= len(body):
            _fail(file, body.count(b"\n") + 1, None, None,
                  "the file ends in the middle of a character: it seems truncated")
    lines = body.splitlines()
    utf8_row = other_row = None
    for n, line in enumerate(lines, 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_row = utf8_row or n
        except UnicodeDecodeError:
            other_row = other_row or n
        if utf8_row and other_row:
            break
    if other_row and (utf8_row or bom):
        if bom or utf8_row < other_row:
            row, found, line_enc = other_row, "GBK/GB18030", "gb18030"
            since = (f"row {utf8_row} is UTF-8" if utf8_row and utf8_row < other_row
                     else "the file starts with a UTF-8 mark (BOM)")
        else:
            row, found, line_enc = utf8_row, "UTF-8", "utf-8"
            since = f"row {other_row} is GBK/GB18030"
        _fail(file, row, None, lines[row - 1].decode(line_enc, "replace"),
              f"this line is {found} but {since}: the file mixes encodings; "
              "save it again in one encoding (CSV UTF-8)")
    for encoding in ("gbk", "gb18030"):
        try:
            return body.decode(encoding), encoding
        except UnicodeDecodeError as err:
            if err.reason in ("incomplete multibyte sequence", "unexpected end of data") \
                    and err.end >= len(body) and encoding == "gb18030":
                _fail(file, body.count(b"\n") + 1, None, None,
                      "the file ends in the middle of a character: it seems truncated")
    for n, line in enumerate(lines, 1):
        try:
            line.decode("gb18030")
        except UnicodeDecodeError:
            _fail(file, n, None, line.decode("gb18030", "replace"),
                  "neither UTF-8 nor GBK/GB18030 text: save the file as CSV UTF-8")
    _fail(file, None, None, None, "neither UTF-8 nor GBK/GB18030 text: save the file as CSV UTF-8")


def _sniff(text: str) -> str:
    """Return the delimiter that splits the first lines most consistently (, ; or tab).

    csv.Sniffer guesses from character frequencies and picks letters or "." on Chinese tables;
    counting fields per line is enough for the three delimiters people use.
    """
    sample = [line for line in text.splitlines()[:200] if line.strip()][:40]
    best = (0, 0, ",")
    for delimiter in (",", "\t", ";"):
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=delimiter) if len(r) > 1]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(sorted(set(counts)), key=counts.count)
        score = (counts.count(mode), mode)
        if score > best[:2]:
            best = (*score, delimiter)
    return best[2]


_ODD_EDGES = frozenset('\ufeff\u200b="')


def _text_cell(text: str) -> str | None:
    text = text.strip()
    # the slow path only for the rare cell that needs it (millions of cells pass here)
    if text and (text[0] in _ODD_EDGES or text[-1] in _ODD_EDGES):
        text = text.strip("\ufeff\u200b").strip()
        # ="0360" is how exports keep Excel from reading a code as a number
        if len(text) >= 3 and text.startswith('="') and text.endswith('"'):
            text = text[2:-1].strip()
    return text or None


def _csv_records(file: str, text: str, delimiter: str) -> tuple[list, tuple[int, int]]:
    """Return (row number, cells) per CSV record, and the last non-blank record's row number
    and field count."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = []
    start = 1
    last = (0, 0)
    try:
        for cells in reader:
            records.append((start, [_text_cell(c) for c in cells]))
            if any(records[-1][1]):
                last = (start, len(cells))
            start = reader.line_num + 1
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            _fail(file, start, None, None, "a quoted value opened in this row never closes: the "
                  "file seems truncated (or a closing quote is missing)")
        _fail(file, start, None, None,
              f"not valid CSV ({err}): a quote inside a quoted value must be doubled (\"\")")
    return records, last


def _excel_cell(value) -> str | None:
    """The text a cell shows, close to Excel's: integral numbers without ".0", 15 digits."""
    if value is None:
        return None
    if isinstance(value, str):
        return _text_cell(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return _text_cell(value.decode("utf-8", "replace"))
    return _text_cell(str(value))


def _sheet_cell(cell) -> str | None:
    """A workbook cell's text; a number formatted as a percentage as Excel shows it (0.052
    with format 0.0% reads 5.2%), so a rate in % is not loaded a hundred times too small."""
    value = cell.value
    if (isinstance(value, (int, float)) and not isinstance(value, bool)
            and "%" in (cell.number_format or "")):
        return f"{value * 100:.15g}%"
    return _excel_cell(value)


def _read_excel(file: str, p: Path, sheet: str | None) -> Table:
    try:
        import openpyxl
    except ImportError:
        _fail(file, None, None, None, "reading Excel files needs openpyxl (pip install openpyxl)")
    _check_unpacked_workbook(file, p)
    try:
        book = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 (a damaged zip or XML fails anywhere in openpyxl)
        _fail(file, None, None, None, f"not a readable Excel workbook ({type(err).__name__}): "
              "is it truncated, or another format with an .xlsx name?")
    try:
        names = list(book.sheetnames)
        if sheet is None:
            if not book.worksheets:
                _fail(file, None, None, None, "the workbook has no worksheet")
            ws = book.worksheets[0]
        elif sheet not in names:
            _fail(file, None, None, sheet, "no such sheet: the workbook has "
                  + ", ".join(repr(n) for n in names))
        else:
            ws = book[sheet]
            if not hasattr(ws, "iter_rows"):
                _fail(file, None, None, sheet, "a chart sheet, not a table")
        title = ws.title
        # exports often write a wrong <dimension>; without it every cell is read
        ws.reset_dimensions()
        records = [(n, [_sheet_cell(c) for c in cells])
                   for n, cells in enumerate(ws.iter_rows(), 1)]
    except LoadError:
        raise
    except Exception as err:  # noqa: BLE001 (damaged sheet XML, as above)
        # the parser's own message may quote the file: say only what kind of failure it was
        _fail(file, None, None, sheet, f"the sheet cannot be read ({type(err).__name__})")
    finally:
        book.close()
    return _shape(file, records, encoding=None, what=f"sheet {title!r}")


def _check_unpacked_workbook(file: str, p: Path) -> None:
    """Refuse a workbook whose sheets unpack to far more than the file (repeated rows made to
    exhaust memory), before any XML is parsed. The zip's declared sizes bound what is read:
    Python's zipfile stops at the declared size and fails the CRC of a member that lies."""
    import zipfile
    try:
        with zipfile.ZipFile(p) as archive:
            parts = [i for i in archive.infolist() if i.filename.startswith("xl/worksheets/")
                     or i.filename == "xl/sharedStrings.xml"]
    except (zipfile.BadZipFile, OSError):
        return          # openpyxl says it is not a readable workbook
    unpacked = sum(i.file_size for i in parts)
    packed = sum(i.compress_size for i in parts)
    if unpacked > _BOMB_FLOOR and unpacked > _BOMB_RATIO * max(packed, 1):
        _fail(file, None, None, None,
              f"a workbook of ordinary data: its sheets unpack to {unpacked / 2**20:,.0f} MB "
              f"from {packed / 2**20:,.1f} MB ({unpacked // max(packed, 1):,} times), as a file "
              "made of repeated rows to exhaust memory does; refused unread")


def _check_unpacked_parquet(file: str, p: Path) -> None:
    """Refuse a Parquet file holding far more cells than its size allows real data to (one
    value repeated millions of times), from its footer alone."""
    import pyarrow.parquet as pq
    try:
        meta = pq.ParquetFile(p).metadata
    except Exception:  # noqa: BLE001 (damaged files: the read below says so)
        return
    cells = meta.num_rows * max(meta.num_columns, 1)
    size = max(p.stat().st_size, 1)
    if cells > _BOMB_CELLS_FLOOR and cells > _BOMB_CELLS_PER_BYTE * size:
        _fail(file, None, None, None,
              f"a Parquet file of ordinary data: it declares {meta.num_rows:,} rows × "
              f"{meta.num_columns} columns in {size / 2**10:,.0f} KB ({cells // size:,} cells "
              "a byte), as a file made of one repeated value to exhaust memory does; "
              "refused unread")


def _read_parquet(file: str, p: Path) -> Table:
    import pyarrow.parquet as pq
    _check_unpacked_parquet(file, p)
    try:
        arrow = pq.read_table(p)
    except Exception as err:  # noqa: BLE001 (pyarrow raises several types for damaged files)
        _fail(file, None, None, None, f"not a readable Parquet file ({type(err).__name__}): is "
              "it truncated?")
    header = [str(name) for name in arrow.column_names]
    columns = [[_excel_cell(v) for v in col.to_pylist()] for col in arrow.columns]
    records = [(1, [_text_cell(h) for h in header])]
    records += [(n + 2, list(cells)) for n, cells in enumerate(zip(*columns))]
    return _shape(file, records, encoding=None, what="file", layout=False)


def _is_text(cell: str) -> bool:
    return not re.fullmatch(r"[-+\d.,%\s:/年月日]*", cell)


def _looks_like_header(cells: list, widest: int) -> bool:
    filled = [c for c in cells if c is not None]
    if 2 * len(filled) < widest:
        return False
    if any(_key(c) in _KNOWN_COLUMNS or _key(_split_unit(c)[0]) in _KNOWN_COLUMNS
           for c in filled):
        return True
    return sum(_is_text(c) for c in filled) >= 2


_FOOTNOTE = re.compile(r"^(?:注|附注|说明|备注|数据来源|资料来源|来源|note|source|\*)",
                       re.IGNORECASE)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _shape(file: str, records: list, *, encoding: str | None, what: str,
           partial: tuple[int, int] | None = None, layout: bool = True) -> Table:
    """Find the header among title rows, skip units, blank and footnote rows, name columns."""
    rows = [(n, cells) for n, cells in records if any(c is not None for c in cells)]
    if not rows:
        _fail(file, None, None, None, f"the {what} is empty")
    header_at = 0
    if layout:
        widest = max(sum(c is not None for c in cells) for _, cells in rows[:200])
        header_at = next((i for i, (_, cells) in enumerate(rows[:_HEADER_SEARCH_ROWS])
                          if _looks_like_header(cells, widest)), 0)
    header_row, header = rows[header_at]
    body = rows[header_at + 1:]
    units: dict[str, str] = {}
    if layout and body:
        under = [c for c in body[0][1] if c is not None]
        if all(_as_unit(c) or _unit_key(c) in ("单位", "计量单位") for c in under):
            for i, c in enumerate(body[0][1]):
                if c is not None and i < len(header) and header[i] and _as_unit(c):
                    units[header[i]] = _as_unit(c)
            body = body[1:]
    if layout:
        # footnotes: the first "注…"/"数据来源…" row of the single-cell rows at the end, and
        # every row after it
        end = len(body)
        while end and sum(c is not None for c in body[end - 1][1]) == 1:
            end -= 1
        for i in range(end, len(body)):
            if _FOOTNOTE.match(_nfkc(next(c for c in body[i][1] if c is not None))):
                body = body[:i]
                break
    problems = Problems(file)
    names: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    width = max([len(header)] + [len(cells) for _, cells in body])
    for j in range(width):
        name = header[j] if j < len(header) else None
        if name is None:
            filled = next((n for n, cells in body if j < len(cells) and cells[j] is not None),
                          None)
            if filled is not None:
                problems.add(filled, _column_letter(j), None,
                             "a value under an empty header cell: give the column a name")
            continue
        if name in seen:
            problems.add(header_row, name, None, f"the header names two columns {name!r} "
                         f"({_column_letter(seen[name])} and {_column_letter(j)}): rename one")
            continue
        seen[name] = j
        names.append((j, name))
    if not body:
        problems.add(header_row, None, None, f"no data rows under the header in the {what}")
    elif partial is not None and partial[1] < len(header) and body[-1][0] == partial[0]:
        problems.add(partial[0], None, None,
                     f"the last row has {partial[1]} of {len(header)} fields and the file "
                     "ends without a line break: the file seems truncated")
    problems.check()
    frame = pd.DataFrame([[cells[j] if j < len(cells) else None for j, _ in names]
                          for _, cells in body], columns=[name for _, name in names],
                         dtype=object)
    return Table(file, frame, [n for n, _ in body], encoding, units, header_row)


# --- collecting problems --------------------------------------------------------------------
class _Findings:
    """A file's problems found in any order, reported sorted by row and column, capped.

    Only the first MAX_PROBLEMS (by row) of each level are kept as they come, so a file with
    a million bad rows costs no memory; the rest are counted for "... and N more".
    """

    def __init__(self, table: Table):
        self.table = table
        self._order = {c: i for i, c in enumerate(table.frame.columns)}
        self._seq = count()
        self._found: dict[str, list] = {"error": [], "warning": []}
        self._extra = {"error": 0, "warning": 0}

    def add(self, row: int | None, column: str | None, value, expected: str,
            level: str = "error") -> None:
        found = self._found[level]
        found.append((row or 0, self._order.get(column, -1), next(self._seq),
                      row, column, value, expected))
        if len(found) > 4 * MAX_PROBLEMS:
            found.sort()
            self._extra[level] += len(found) - MAX_PROBLEMS
            del found[MAX_PROBLEMS:]

    @property
    def has_errors(self) -> bool:
        return bool(self._found["error"]) or bool(self._extra["error"])

    def error(self, row, column, value, expected: str) -> None:
        self.add(row, column, value, expected)

    def warn(self, row, column, value, expected: str) -> None:
        self.add(row, column, value, expected, "warning")

    def at(self, i: int) -> int:
        """The file's row number of frame row ``i``."""
        return self.table.rows[i]

    def _problems(self, level: str) -> Problems:
        problems = Problems(self.table.file)
        for *_, row, column, value, expected in sorted(self._found[level]):
            problems.add(row, column, value, expected, level)
        problems.dropped += self._extra[level]
        return problems

    def check(self) -> None:
        """Raise LoadError with every error found so far (warnings alone pass)."""
        if self._found["error"]:
            self._problems("error").check()

    def warnings(self) -> list[Problem]:
        """The warnings, capped like errors, and a last one counting those left out."""
        items = list(self._problems("warning").items)
        # counted here: Problems counts only the errors it leaves out
        more = len(self._found["warning"]) + self._extra["warning"] - len(items)
        if more:
            items.append(Problem(self.table.file, None, None, None,
                                 f"... and {more} more warnings", "warning"))
        return items


def _columns(table: Table, fields: tuple[_Field, ...], found: _Findings,
             several: tuple[str, ...] = ()) -> tuple[dict[str, list[str]], list[str]]:
    """Match the header against the fields' aliases; report missing and doubled columns.

    Returns field name -> its columns (one, or several for a field in ``several``) and the
    columns that matched no field and are not notes.
    """
    lookup: dict[str, str] = {}
    for f in fields:
        for alias in f.aliases:
            lookup.setdefault(_key(alias), f.name)
    notes = {_key(n) for n in _NOTES}
    chosen: dict[str, list[str]] = {}
    others: list[str] = []
    for column in table.frame.columns:
        name = lookup.get(_key(column)) or lookup.get(_key(_split_unit(column)[0]))
        if name is None:
            if _key(column) not in notes:
                others.append(column)
            continue
        if name in chosen and name not in several:
            found.error(table.header_row, column, None, f"a second {name} column beside "
                        f"{chosen[name][0]!r}: keep one")
            continue
        chosen.setdefault(name, []).append(column)
    for f in fields:
        if f.required and f.name not in chosen:
            found.error(table.header_row, None, None,
                        f"no {f.label} column: expected one of {', '.join(f.aliases)}")
    return chosen, others


def _parse_column(found: _Findings, column: str | None, parse: Callable,
                  required: str | None = None) -> list:
    """Parse a column once per distinct text; report bad cells (and empty ones if required).

    Bad and empty cells become None, so the caller only sees values that parsed.
    """
    frame = found.table.frame
    if column is None:
        return [None] * len(frame)
    cache: dict[str, object] = {}
    out = []
    for i, text in enumerate(frame[column].tolist()):
        value = None
        if text is not None:
            value = cache.get(text, cache)
            if value is cache:
                value = cache[text] = parse(text)
        if isinstance(value, _Bad):
            found.error(found.at(i), column, text, value.expected)
            value = None
        elif value is None and required:
            found.error(found.at(i), column, text, required)
        out.append(value)
    return out


def _open_columns(path, sheet: str | None, fields: tuple[_Field, ...], ignored: str
                  ) -> tuple[_Findings, dict[str, str]]:
    """Read a table and find its columns (field name -> the file's column); columns of no
    field are warned about as ``ignored``; a missing required column stops here."""
    table = read_table(path, sheet=sheet)
    found = _Findings(table)
    cols, others = _columns(table, fields, found)
    _ignored(found, others, ignored)
    found.check()
    return found, {name: columns[0] for name, columns in cols.items()}


def _ignored(found: _Findings, others: list[str], expected: str) -> None:
    for column in others:
        found.warn(found.table.header_row, column, None, f"column ignored: {expected}")


def _duplicates(found: _Findings, keys: list, column: str | None, text: Callable) -> None:
    """Report every row whose key (not None) an earlier row already had, naming that row."""
    first: dict = {}
    for i, key in enumerate(keys):
        if key is None:
            continue
        if key in first:
            found.error(found.at(i), column, text(key),
                        f"a duplicate of row {found.at(first[key])}: give each only once")
        else:
            first[key] = i


# --- catalogue ------------------------------------------------------------------------------
CODE_RE = re.compile(r"[a-z][a-z0-9_]{1,40}")
_VOCABULARY = {
    "better": {"higher": ("higher", "越高越好", "正向", "高"),
               "lower": ("lower", "越低越好", "逆向", "负向", "低")},
    "frequency": {"monthly": ("monthly", "月", "月度", "每月", "按月"),
                  "quarterly": ("quarterly", "季", "季度", "每季", "按季")},
    "domain": {"economy": ("economy", "经济", "经济运行"),
               "environment": ("environment", "环境", "生态环境", "生态"),
               "grid": ("grid", "网格", "基层治理", "网格治理", "社会治理"),
               "services": ("services", "政务服务", "服务", "政务")},
    "space": {"sum": ("sum", "求和", "合计", "加总"),
              "mean": ("mean", "平均", "均值", "人口加权平均")},
    "time": {"sum": ("sum", "求和", "累计", "合计"), "mean": ("mean", "平均", "均值"),
             "last": ("last", "期末", "最新", "余额")},
    "basis": {"level": ("level", "水平", "绝对值"), "yoy": ("yoy", "同比", "同比增速")},
}


def _vocabulary_parser(name: str) -> Callable:
    words = {_key(w): code for code, ws in _VOCABULARY[name].items() for w in ws}
    choices = " | ".join(f"{code} ({ws[1]})" if len(ws) > 1 else code
                         for code, ws in _VOCABULARY[name].items())

    def parse(text: str):
        return words.get(_key(text)) or _Bad(f"expected {choices}")
    return parse


def read_catalogue(path: str | os.PathLike, *, sheet: str | None = None) -> list[Indicator]:
    """Return the indicators a catalogue file declares (monthly statistics only).

    Parameters
    ----------
    path : str or path-like
        A table (any format ``read_table`` reads) with the columns code, name_zh, unit_zh and
        better (required; Chinese headers 代码, 名称, 单位, 方向 work too) and optionally
        name_en, unit_en, domain, frequency (monthly | quarterly), target (目标), alert (预警),
        space (sum | mean), time (sum | mean | last), basis (level | yoy), decimals.
        Defaults: name_en = name_zh, unit_en = the built-in English of the unit, domain
        economy, frequency monthly, space and time mean for a unit of % (rates) else sum,
        basis level, decimals 0 for counts else 1.
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    list of Indicator
        With kind "value", in file order.

    Raises
    ------
    LoadError
        With every problem: codes that are not ^[a-z][a-z0-9_]{1,40}$ (they become the
        whitelist's keys), duplicate codes or names, unknown columns or words, thresholds on
        the wrong side of the target, built-in air/water/event codes (those are computed, not
        declared). A built-in monthly statistic's code may be declared again: the city's own
        names, targets and thresholds then replace the built-in ones.
    """
    table = read_table(path, sheet=sheet)
    found = _Findings(table)
    cols, others = _columns(table, _CATALOGUE_FIELDS, found)
    # an error, not a warning: a misspelt 目标 column would drop every target without a word,
    # and a catalogue has no other way to say so
    for column in others:
        found.error(table.header_row, column, None, "not a catalogue column: expected code, "
                    "name_zh, name_en, unit_zh, unit_en, domain, frequency, better, target, "
                    "alert, space, time, basis, decimals (or 代码, 名称, 单位, 方向, 目标, 预警)")
    found.check()
    col = {name: columns[0] for name, columns in cols.items()}
    builtin = {i.code: i for i in INDICATORS}

    def code(text: str):
        if not CODE_RE.fullmatch(text):
            return _Bad("not a usable code: expected lower-case letters, digits and _ "
                        "(2 to 41 characters, starting with a letter), like grain_output")
        if text in builtin and builtin[text].kind != "value":
            return _Bad(f"a built-in {builtin[text].kind} metric computed by the dashboard: "
                        "only monthly statistics can be declared; choose another code")
        return text

    def plain(text: str):
        return text

    def number(text: str):
        parsed = _number(text)
        return parsed[0] if isinstance(parsed, tuple) else parsed

    def decimals(text: str):
        return _whole(text, 0, 6, "decimals")

    def kind(text: str):
        return "value" if _key(text) in ("value", "统计") else _Bad(
            "only kind value (monthly statistics) can be declared: air, water and event "
            "metrics are computed by the dashboard")

    parsed = {
        "code": _parse_column(found, col.get("code"), code, "empty: every indicator needs a code"),
        "name_zh": _parse_column(found, col.get("name_zh"), plain, "empty: give the Chinese name"),
        "name_en": _parse_column(found, col.get("name_en"), plain),
        "unit_zh": _parse_column(found, col.get("unit_zh"), plain),
        "unit_en": _parse_column(found, col.get("unit_en"), plain),
        "target": _parse_column(found, col.get("target"), number),
        "alert": _parse_column(found, col.get("alert"), number),
        "decimals": _parse_column(found, col.get("decimals"), decimals),
        "better": _parse_column(found, col.get("better"), _vocabulary_parser("better"),
                                "empty: expected higher (越高越好) or lower (越低越好)"),
        **{name: _parse_column(found, col.get(name), _vocabulary_parser(name))
           for name in ("frequency", "domain", "space", "time", "basis")},
    }
    _parse_column(found, col.get("kind"), kind)
    _duplicates(found, parsed["code"], col.get("code"), str)
    _duplicates(found, parsed["name_zh"], col.get("name_zh"), str)
    out = []
    for i in range(len(table.frame)):
        p = {name: values[i] for name, values in parsed.items()}
        target, alert, better = p["target"], p["alert"], p["better"]
        if target is not None and alert is not None and better is not None and (
                (better == "higher" and alert > target) or (better == "lower" and alert < target)):
            side = "below" if better == "higher" else "above"
            found.error(found.at(i), col["alert"], table.frame.at[i, col["alert"]],
                        f"the alert threshold must lie {side} the target ({target:g}) when "
                        f"{better} is better")
        if p["code"] is None or p["name_zh"] is None or better is None:
            continue
        unit = p["unit_zh"] or ""
        rate = _unit_key(unit) == "%"
        counted = _is_count(unit)
        out.append(Indicator(
            code=p["code"], name_zh=p["name_zh"], name_en=p["name_en"] or p["name_zh"],
            unit_zh=unit, unit_en=p["unit_en"] or _UNIT_EN.get(unit, unit),
            domain=p["domain"] or "economy", frequency=p["frequency"] or "monthly",
            kind="value", better=better, space=p["space"] or ("mean" if rate else "sum"),
            time=p["time"] or ("mean" if rate else "sum"), basis=p["basis"] or "level",
            target=target, alert=alert,
            decimals=p["decimals"] if p["decimals"] is not None else (0 if counted else 1)))
    found.check()
    return out


# --- indicator values -----------------------------------------------------------------------
@dataclass
class Indicators:
    """Indicator values read from a file, ready for ``indicator_values`` (plus source, as_of).

    Attributes
    ----------
    frame : pandas.DataFrame
        district_code, indicator_code, period (datetime.date, the month's first day; quarterly
        indicators in the quarter's last month), value (float), sorted by the first three.
    warnings : list of Problem
        Suspicious values that do not stop the load (level "warning").
    layout : str
        "long", "wide-indicators" (a column per indicator) or "wide-periods" (one per period).
    units : dict
        Indicator code -> the unit the file states for it (a units row, a bracketed header
        suffix or a unit column); checked against the catalogue.
    """

    frame: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)
    layout: str = "long"
    units: dict[str, str] = field(default_factory=dict)


_TOTAL_ROWS = frozenset(_key(t) for t in ("全市", "合计", "总计", "全市合计", "全市总计", "小计",
                                          "total", "city total"))
UNKNOWN_INDICATOR = f"not in the catalogue: declare it in a catalogue file ({CATALOGUE_COMMAND})"


def _is_count(unit: str) -> bool:
    """True for counts and amounts, which cannot be negative (growth rates are in %)."""
    u = _nfkc(unit).strip()
    return u.split("/")[0] in COUNT_UNITS or u.startswith(("万", "亿"))


def _is_growth(ind: Indicator) -> bool:
    return ("growth" in ind.code or "growth" in ind.name_en.casefold()
            or any(w in ind.name_zh for w in ("增速", "增长", "增幅", "同比", "环比")))


def _unit_agrees(unit: str, ind: Indicator) -> bool:
    return not ind.unit_zh or _unit_key(unit) in {_unit_key(ind.unit_zh), _unit_key(ind.unit_en)}


@dataclass
class _Value:
    """One value cell of any layout, with where it came from."""

    i: int                     # frame row
    area: str | None
    area_column: str
    indicator: Indicator | str | None   # resolved in wide-indicators, text otherwise
    indicator_column: str | None
    period: tuple | str | None          # parsed in wide-periods, text otherwise
    period_column: str | None
    value: str | None
    value_column: str
    unit: str | None


def read_indicators(path: str | os.PathLike, *, catalogue: Mapping[str, Indicator],
                    areas: Mapping[str, str], as_of: dt.date,
                    sheet: str | None = None) -> Indicators:
    """Return the indicator values of a statistics file, checked against store and catalogue.

    Parameters
    ----------
    path : str or path-like
        Any file ``read_table`` reads, in one of three layouts: long (area, indicator, period,
        value columns), wide-indicators (area and period columns, then one column per
        indicator) or wide-periods (area and indicator columns, then one column per period).
        Headers may be Chinese (地区, 指标, 时间, 数值) or English (area_code, indicator,
        period, value); an optional unit column (单位) or units row is checked against the
        catalogue. Indicators may be named by code, name_zh or name_en; areas by code or name.
        Total rows (全市, 合计) are skipped with a warning; empty cells and "-"/"…" are no data.
    catalogue : mapping of str to Indicator
        The known indicators by code (only kind "value" can be loaded).
    areas : mapping of str to str
        The store's district codes -> Chinese names.
    as_of : datetime.date
        Periods after this date's month are refused.
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    Indicators

    Raises
    ------
    LoadError
        With every problem of the file: unknown areas or indicators, periods that are not
        months (or not quarter-end months for quarterly indicators) or lie in the future,
        values that are not numbers, negative counts or amounts (units 人, 人次, 户, 件, 项, 个,
        次, 吨 or starting with 万/亿), a % on a value whose unit is not %, a unit that is not the
        catalogue's, duplicates (area x indicator x period). Warnings: a % rate (not a growth
        rate) outside 0..100; a value over 20 times or under 1/20 of its indicator's median
        in the file (non-% indicators with at least 5 values).
    """
    table = read_table(path, sheet=sheet)
    found = _Findings(table)
    cols, others = _columns(table, _INDICATOR_FIELDS, found, several=("area",))
    frame = table.frame
    has = {name: columns[0] for name, columns in cols.items()}
    if "area" not in cols:
        found.error(table.header_row, None, None,
                    f"no area column: expected one of {', '.join(_AREA)}")
    if "indicator" in has and "period" in has:
        layout = "long"
        if "value" not in has:
            found.error(table.header_row, None, None,
                        f"no value column: expected one of {', '.join(_VALUE)}")
        _ignored(found, others, "not an area, indicator, period, value or unit column")
    elif "period" in has:
        layout = "wide-indicators"
    elif "indicator" in has:
        layout = "wide-periods"
    else:
        layout = None
        found.error(table.header_row, None, None, "neither an indicator nor a period column: "
                    "expected long form (地区, 指标, 时间, 数值), a column per indicator beside "
                    "地区 and 时间, or a column per period beside 地区 and 指标")
    if layout != "long" and "value" in has:
        found.error(table.header_row, has["value"], None, "a value column needs both an "
                    "indicator and a period column (long form)")
    found.check()

    # exact names first; _key (full-width, case, spaces) only when nothing matches exactly
    by_name: dict[str, Indicator] = {}
    for ind in catalogue.values():
        for name in (ind.code, ind.name_zh, ind.name_en):
            by_name.setdefault(_key(name), ind)
    for ind in catalogue.values():
        for name in (ind.code, ind.name_zh, ind.name_en):
            by_name[name] = ind
    area_lookup = ({_key(n): str(c) for c, n in areas.items()}
                   | {_key(str(c)): str(c) for c in areas}
                   | {n: str(c) for c, n in areas.items()} | {str(c): str(c) for c in areas})
    area_listing = _listing(f"{c} {n}" for c, n in sorted(areas.items()))

    def area_code(text: str) -> str | None:
        return area_lookup.get(text) or area_lookup.get(_key(text))

    def indicator(text: str) -> Indicator | None:
        return by_name.get(text) or by_name.get(_key(text))

    # several area columns (a code and a name): the one whose cells name districts best
    area_column = max(cols["area"], key=lambda c: sum(
        area_code(t) is not None for t in frame[c].dropna().unique()))
    units: dict[str, str] = {}
    values: list[_Value] = []
    unit_column = has.get("unit")

    if layout == "long":
        # a unit under or in the value column's header ("数值（亿元）") holds for every row
        value_unit = table.units.get(has["value"]) or _split_unit(has["value"])[1]
        for i, row in enumerate(frame.itertuples(index=False)):
            r = dict(zip(frame.columns, row))
            values.append(_Value(i, r[area_column], area_column, r[has["indicator"]],
                                 has["indicator"], r[has["period"]], has["period"],
                                 r[has["value"]], has["value"],
                                 (r[unit_column] if unit_column else None) or value_unit))
    elif layout == "wide-indicators":
        resolved: dict[str, Indicator] = {}
        first_column: dict[str, str] = {}
        for column in others:
            name, bracket_unit = _split_unit(column)
            ind = indicator(column) or indicator(name)
            if ind is None:
                found.error(table.header_row, column, column, UNKNOWN_INDICATOR)
                continue
            if ind.code in first_column:
                found.error(table.header_row, column, column, f"the same indicator ({ind.code}) "
                            f"as column {first_column[ind.code]!r}: keep one")
                continue
            first_column[ind.code] = column
            unit = table.units.get(column) or bracket_unit
            if unit:
                units[ind.code] = unit
                if not _unit_agrees(unit, ind):
                    found.error(table.header_row, column, unit, _unit_message(ind))
                    continue
            resolved[column] = ind
        for i in range(len(frame)):
            for column, ind in resolved.items():
                text = frame.at[i, column]
                if text is not None:
                    values.append(_Value(i, frame.at[i, area_column], area_column, ind, column,
                                         frame.at[i, has["period"]], has["period"], text, column,
                                         None))
    else:
        periods: dict[str, tuple] = {}
        first_period: dict[dt.date, str] = {}
        for column in others:
            parsed = _period(column)
            if parsed is None or isinstance(parsed, _Bad):
                found.error(table.header_row, column, column, "neither a period nor a known "
                            "column: expected periods like 2026-01 beside 地区 and 指标")
                continue
            if parsed[0] in first_period:
                found.error(table.header_row, column, column, f"the same period as column "
                            f"{first_period[parsed[0]]!r}: keep one")
                continue
            first_period[parsed[0]] = column
            periods[column] = parsed
        for i in range(len(frame)):
            for column, period in periods.items():
                text = frame.at[i, column]
                if text is not None:
                    values.append(_Value(i, frame.at[i, area_column], area_column,
                                         frame.at[i, has["indicator"]], has["indicator"], period,
                                         column, text, column,
                                         frame.at[i, unit_column] if unit_column else None))

    as_of_month = dt.date(as_of.year, as_of.month, 1)
    kept: list[tuple] = []
    first: dict[tuple, int] = {}
    skipped_rows: set[int] = set()
    area_cache: dict[str, str | None] = {}
    number_cache: dict[str, object] = {}
    period_cache: dict[str, object] = {}
    for v in values:
        row = found.at(v.i)
        if v.i in skipped_rows:
            continue
        # the area
        if v.area is None:
            found.error(row, v.area_column, None, "empty: expected a district code or name")
            skipped_rows.add(v.i)
            continue
        if v.area not in area_cache:
            area_cache[v.area] = area_code(v.area)
        code = area_cache[v.area]
        if code is None:
            if _key(v.area) in _TOTAL_ROWS:
                found.warn(row, v.area_column, v.area, "a total row: skipped (the dashboard adds "
                           "up the districts itself)")
            else:
                found.error(row, v.area_column, v.area,
                            f"matches no district of the store: {area_listing}")
            skipped_rows.add(v.i)
            continue
        # the indicator
        ind = v.indicator
        if not isinstance(ind, Indicator):
            if ind is None:
                found.error(row, v.indicator_column, None, "empty: expected an indicator code "
                            "or name")
                continue
            resolved_ind = indicator(ind)
            if resolved_ind is None:
                found.error(row, v.indicator_column, ind, UNKNOWN_INDICATOR)
                continue
            ind = resolved_ind
        if ind.kind != "value":
            found.error(row, v.indicator_column, ind.code, f"computed by the dashboard from "
                        f"{ind.kind} data, not loaded from a statistics file")
            continue
        if v.unit is not None:
            units.setdefault(ind.code, v.unit)
            if not _unit_agrees(v.unit, ind):
                found.error(row, unit_column or v.value_column, v.unit, _unit_message(ind))
                continue
        # the period
        period = v.period
        if not isinstance(period, tuple):
            if period is None:
                found.error(row, v.period_column, None, f"empty: expected {PERIOD_FORMATS}")
                continue
            if period not in period_cache:
                period_cache[period] = _period(period)
            parsed = period_cache[period]
            if parsed is None or isinstance(parsed, _Bad):
                found.error(row, v.period_column, period,
                            parsed.expected if parsed else PERIOD_EXPECTED)
                continue
            period = parsed
        month, kind = period
        period_text = v.period if isinstance(v.period, str) else v.period_column
        if ind.frequency == "quarterly" and month.month % 3:
            found.error(row, v.period_column, period_text, f"{ind.code} is quarterly: expected "
                        "a quarter or a quarter's last month (3, 6, 9, 12)")
            continue
        if ind.frequency != "quarterly" and kind == "quarter":
            found.error(row, v.period_column, period_text, f"{ind.code} is monthly: expected a "
                        "month, not a quarter")
            continue
        if month > as_of_month:
            found.error(row, v.period_column, period_text, f"after the as-of month "
                        f"{_month_text(as_of_month)}: a period cannot lie in the future")
            continue
        # the value
        if v.value not in number_cache:
            number_cache[v.value] = _number(v.value) if v.value is not None else None
        parsed = number_cache[v.value]
        if parsed is None:
            if layout == "long":
                found.warn(row, v.value_column, v.value, "no value: the row is skipped")
            continue
        if isinstance(parsed, _Bad):
            found.error(row, v.value_column, v.value, parsed.expected)
            continue
        value, percent = parsed
        if percent and _unit_key(ind.unit_zh) != "%":
            found.error(row, v.value_column, v.value, f"a percentage, but {ind.code} is in "
                        f"{ind.unit_zh or 'no unit'}: give the value without %")
            continue
        if value < 0 and _is_count(ind.unit_zh):
            found.error(row, v.value_column, v.value, f"negative, but {ind.code} counts "
                        f"{ind.unit_zh}: expected a value of 0 or more")
            continue
        key = (code, ind.code, month)
        if key in first:
            found.error(row, v.value_column, v.value, f"a duplicate of row {found.at(first[key])}"
                        f" ({code} {ind.code} {_month_text(month)}): give each value once")
            continue
        first[key] = v.i
        kept.append((code, ind.code, month, value, row, v.value_column, v.value))
    if not kept and not found.has_errors:
        found.error(table.header_row, None, None, "no values to load: every value cell is empty")
    found.check()
    _indicator_warnings(found, kept, catalogue)
    out = pd.DataFrame([k[:4] for k in kept],
                       columns=["district_code", "indicator_code", "period", "value"])
    out = out.astype({"district_code": "str", "indicator_code": "str", "period": object,
                      "value": "float64"})
    out = out.sort_values(["district_code", "indicator_code", "period"], kind="stable")
    return Indicators(out.reset_index(drop=True), found.warnings(), layout, units)


def _unit_message(ind: Indicator) -> str:
    return (f"not the catalogue's unit of {ind.code} ({ind.unit_zh}): convert the values or fix "
            "the unit")


def _indicator_warnings(found: _Findings, kept: list[tuple],
                        catalogue: Mapping[str, Indicator]) -> None:
    """Warn about values that load but look wrong (a % rate out of 0..100, outliers)."""
    by_indicator: dict[str, list[tuple]] = {}
    for k in kept:
        by_indicator.setdefault(k[1], []).append(k)
    for code, items in by_indicator.items():
        ind = catalogue[code]
        percent = _unit_key(ind.unit_zh) == "%"
        if percent and not _is_growth(ind):
            for _, _, _, value, row, column, text in items:
                if not 0 <= value <= 100:
                    found.warn(row, column, text, f"{ind.code} is a rate in %: expected 0 to 100")
        # growth rates in % straddle 0, where ratios to the median mean nothing
        if percent or len(items) < OUTLIER_MIN_VALUES:
            continue
        median = float(np.median([k[3] for k in items]))
        if median <= 0:
            continue
        for _, _, _, value, row, column, text in items:
            if value > OUTLIER_FACTOR * median:
                found.warn(row, column, text, f"more than {OUTLIER_FACTOR:g} times the median "
                           f"of {ind.code} in this file ({median:g}): check the unit")
            elif value < median / OUTLIER_FACTOR:
                found.warn(row, column, text, f"less than 1/{OUTLIER_FACTOR:g} of the median "
                           f"of {ind.code} in this file ({median:g}): check the unit")


# --- air readings ---------------------------------------------------------------------------
#: The top of each pollutant's hourly AQI table (HJ 633-2012): above it a value is off the
#: scale, which is more often a unit mix-up (CO in µg/m³) than an event.
AIR_CEILINGS = {"pm25": 500.0, "pm10": 600.0, "so2": 2620.0, "no2": 3840.0, "co": 150.0,
                "o3": 1200.0}
_AIR_UNITS = {"co": "mg/m3"}


def _station_listing(codes: Iterable[str]) -> str:
    return _listing(sorted(codes))


def read_air(path: str | os.PathLike, *, stations: set[str], as_of: dt.datetime,
             sheet: str | None = None) -> pd.DataFrame:
    """Return hourly air readings for ``air_hourly`` (without source and as_of).

    Parameters
    ----------
    path : str or path-like
        A table with a station code (站点, station_code) and an hour (时间, ts), and any of
        pm25, pm10, so2, no2, o3 (µg/m³) and co (mg/m³) (PM2.5, 二氧化硫, … work too); aqi
        is optional.
    stations : set of str
        The store's station codes.
    as_of : datetime.datetime
        Readings after it are refused.
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    pandas.DataFrame
        station_code, ts, pm25, pm10, so2, no2, co, o3 (float, NaN where not measured), aqi
        (Int16; computed with ``data.aqi.hourly_aqi`` where the file has none). Warnings
        (values off the AQI scale) are in ``frame.attrs["warnings"]``.

    Raises
    ------
    LoadError
        With every problem: unknown stations, times that are not whole hours or lie after
        ``as_of``, values that are not numbers or are negative, units that are not the
        store's, an AQI outside 0..500, duplicate station x hour rows.
    """
    table = read_table(path, sheet=sheet)
    found = _Findings(table)
    cols, others = _columns(table, _AIR_FIELDS, found)
    col = {name: columns[0] for name, columns in cols.items()}
    if not any(p in col for p in _POLLUTANTS):
        found.error(table.header_row, None, None, "no pollutant column: expected pm25, pm10, "
                    "so2, no2, co or o3")
    for p in _POLLUTANTS:
        if p in col:
            unit = table.units.get(col[p]) or _split_unit(col[p])[1]
            want = _AIR_UNITS.get(p, "μg/m3")
            if unit and _unit_key(unit) != want:
                found.error(table.header_row, col[p], unit, f"{p} must be in "
                            f"{want.replace('3', '³').replace('μ', 'µ')}: convert the values")
    _ignored(found, others, "not a station, time, pollutant or AQI column")
    found.check()

    as_of = _as_datetime(as_of)
    listing = _station_listing(stations)

    def station(text: str):
        return text if text in stations else _Bad(f"matches no air station of the store: "
                                                  f"{listing}")

    def hour(text: str):
        t = _timestamp(text)
        if isinstance(t, dt.datetime):
            if t.minute or t.second:
                return _Bad("not a whole hour: air_hourly holds one reading per station and hour")
            if t > as_of:
                return _Bad(f"after the as-of time {_time_text(as_of)}: a reading cannot lie "
                            "in the future")
        return t

    def concentration(text: str):
        parsed = _number(text)
        if isinstance(parsed, tuple):
            if parsed[1]:
                return _Bad("a percentage: expected a concentration")
            if parsed[0] < 0:
                return _Bad("negative: expected a concentration of 0 or more")
            return parsed[0]
        return parsed

    codes = _parse_column(found, col["station"], station, "empty: expected a station code")
    times = _parse_column(found, col["ts"], hour, f"empty: expected {TIME_FORMATS}")
    levels = {p: _parse_column(found, col.get(p), concentration) for p in _POLLUTANTS}
    given_aqi = _parse_column(found, col.get("aqi"), lambda t: _whole(t, 0, 500, "an AQI"))
    _duplicates(found, [(c, t) if c and t else None for c, t in zip(codes, times)],
                col["ts"], lambda k: f"{k[0]} {_time_text(k[1])}")
    found.check()
    for p in _POLLUTANTS:
        for i, value in enumerate(levels[p]):
            if value is not None and value > AIR_CEILINGS[p]:
                found.warn(found.at(i), col[p], table.frame.at[i, col[p]],
                           f"above the top of the AQI scale for {p} ({AIR_CEILINGS[p]:g}): "
                           "check the unit")
    out = pd.DataFrame({"station_code": pd.Series(codes, dtype="str"),
                        "ts": _datetimes(times)})
    for p in _POLLUTANTS:
        out[p] = pd.to_numeric(pd.Series(levels[p], dtype=object), errors="coerce")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN rows have no AQI
        computed = aqi_standard.hourly_aqi(*(out[p].to_numpy(float) for p in
                                             ("pm25", "pm10", "so2", "no2", "co", "o3")))
    given = pd.to_numeric(pd.Series(given_aqi, dtype=object), errors="coerce")
    out["aqi"] = given.fillna(pd.Series(computed)).round().astype("Int16")
    out.attrs["warnings"] = found.warnings()
    return out


# --- water sections -------------------------------------------------------------------------
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
CLASS_FORMATS = "Ⅰ…Ⅴ, 劣Ⅴ (I…V, 劣V) or 1…6 (6 = worse than V)"
CLASS_EXPECTED = f"not a water class: expected {CLASS_FORMATS}"


def _water_class(text: str) -> int | _Bad:
    # NFKC turns the Roman numeral characters Ⅰ…Ⅴ into the letters I…V
    t = re.sub(r"\s+", "", _nfkc(text)).casefold().removesuffix("类")
    worse = t.startswith("劣")
    t = t.removeprefix("劣").removeprefix("类")
    if re.fullmatch(r"[1-6](?:\.0+)?", t):
        value = int(float(t))
        return value if not worse else (6 if value == 5 else _Bad(CLASS_EXPECTED))
    if t in _ROMAN:
        value = _ROMAN[t]
        return (6 if value == 5 else _Bad(CLASS_EXPECTED)) if worse else value
    return _Bad(CLASS_EXPECTED)


def read_water(path: str | os.PathLike, *, sections: set[str], as_of: dt.date,
               sheet: str | None = None) -> pd.DataFrame:
    """Return monthly water-section classes for ``water_quality`` (without district, source
    and as_of).

    Parameters
    ----------
    path : str or path-like
        A table with a section code (断面, section_code), a month (时间, period; the formats of
        ``read_indicators``) and a class (水质类别, class: Ⅲ, Ⅲ类, III, 劣Ⅴ, 3, 6).
    sections : set of str
        The store's section codes.
    as_of : datetime.date
        Months after this date's month are refused.
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    pandas.DataFrame
        section_code, period (datetime.date, first of month), class (int, 1..6).

    Raises
    ------
    LoadError
        With every problem: unknown sections, bad or future months, quarters, unknown classes,
        duplicate section x month rows.
    """
    found, col = _open_columns(path, sheet, _WATER_FIELDS, "not a section, period or class column")
    listing = _listing(sorted(sections))
    as_of_month = dt.date(as_of.year, as_of.month, 1)

    def section(text: str):
        return text if text in sections else _Bad(f"matches no water section of the store: "
                                                  f"{listing}")

    def month(text: str):
        parsed = _period(text)
        if isinstance(parsed, tuple):
            if parsed[1] == "quarter":
                return _Bad("water quality is monthly: expected a month, not a quarter")
            if parsed[0] > as_of_month:
                return _Bad(f"after the as-of month {_month_text(as_of_month)}: a period cannot "
                            "lie in the future")
            return parsed[0]
        return parsed

    codes = _parse_column(found, col["section"], section, "empty: expected a section code")
    months = _parse_column(found, col["period"], month, f"empty: expected {PERIOD_FORMATS}")
    classes = _parse_column(found, col["class"], _water_class, f"empty: expected {CLASS_FORMATS}")
    _duplicates(found, [(c, m) if c and m else None for c, m in zip(codes, months)],
                col["period"], lambda k: f"{k[0]} {_month_text(k[1])}")
    found.check()
    out = pd.DataFrame({"section_code": pd.Series(codes, dtype="str"),
                        "period": pd.Series(months, dtype=object),
                        "class": pd.Series(classes, dtype="int64")})
    out.attrs["warnings"] = found.warnings()
    return out


# --- grid events ----------------------------------------------------------------------------
_STAGES = tuple(EVENT_STAGES)
EVENT_COLUMNS = ("event_id", "grid_code", "township_code", "district_code", "category",
                 "channel", "department_code", "status", *(f"{s}_at" for s in _STAGES),
                 "deadline_at", "returned_count", "satisfaction", "lon", "lat", "reporter_name",
                 "reporter_phone")
#: What an events file writes for a reporter who stayed anonymous (or for no reporter).
_ANONYMOUS = frozenset(_key(t) for t in ("匿名", "匿名用户", "匿名来电", "匿名举报", "无",
                                         "anonymous", *_BLANK_MARKERS))
PHONE_EXPECTED = ("not a phone number: expected a mobile number (11 digits starting with 1, "
                  "like 13812341234) or a landline with its area code (like 0797-8123456); "
                  "spaces, dashes and a +86 prefix are fine")


def _reporter_name(text: str) -> str | None:
    return None if _key(text) in _ANONYMOUS else " ".join(text.split())


def _reporter_phone(text: str) -> str | _Bad | None:
    """An 11-digit mainland mobile number without spaces, dashes or +86, or a landline as
    0AREA-NUMBER (12345 hotline exports carry both); None for none."""
    if _key(text) in _ANONYMOUS:
        return None
    t = re.sub(r"[\s\-‐‑–—()（）]", "", _nfkc(text))
    # "13812341234.0": a number column written out with a float type, as ids may be
    m = re.fullmatch(r"(?:(?:\+|00)?86)?(1\d{10})(?:\.0+)?", t)
    if m:
        return m.group(1)
    # area codes: 010 and 02x have three digits, the rest four; numbers have 7 or 8 digits
    m = re.fullmatch(r"(?:(?:\+|00)?86(?=[1-9])|0)(10|2\d|[3-9]\d{2})(\d{7,8})", t)
    return f"0{m.group(1)}-{m.group(2)}" if m else _Bad(PHONE_EXPECTED)


def _code_lookup(codes: Iterable[str]) -> dict[str, str]:
    """Code -> code, also by _key (full-width digits, case); an exact match always wins."""
    codes = list(codes)
    return {_key(c): c for c in codes} | {c: c for c in codes}


def _vocabulary(codes: set[str], names: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Code and display names (zh, en) -> code, for the codes the store has."""
    lookup = _code_lookup(codes)
    for code, (zh, en) in names.items():
        if code in codes:
            lookup.setdefault(_key(zh), code)
            lookup.setdefault(_key(en), code)
    return lookup


def read_events(path: str | os.PathLike, *, cells: Mapping[str, tuple[str, str]],
                departments: set[str], categories: set[str], channels: set[str],
                as_of: dt.datetime, sheet: str | None = None) -> pd.DataFrame:
    """Return grid events for ``grid_events`` (without source and as_of).

    Parameters
    ----------
    path : str or path-like
        A table with event_id (事件编号), grid_code (网格), category (类别), channel (来源),
        department_code (处置部门), reported_at (上报时间), deadline_at (办理时限: a time, or
        hours after the report like 72 or 72小时), lon (经度), lat (纬度), and optionally
        accepted_at, dispatched_at, handled_at, verified_at, closed_at (受理/派遣/处置/核查/
        结案时间), returned_count (退回次数, empty = 0), satisfaction (满意度, 1..5),
        reporter_name (上报人) and reporter_phone (联系电话: an 11-digit mobile number; spaces,
        dashes and +86 are dropped); empty or 匿名 = anonymous. A status column is ignored:
        the status is the last stage with a time. Categories and channels may be given by
        code or by their Chinese or English name.
    cells : mapping of str to (str, str)
        Grid cell code -> (township code, district code).
    departments, categories, channels : set of str
        The store's codes.
    as_of : datetime.datetime
        Times after it are refused (a deadline may lie after it).
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    pandas.DataFrame
        The ``grid_events`` columns but source and as_of, in the store's order.

    Raises
    ------
    LoadError
        With every problem: unknown cells, categories, channels or departments, event ids that
        are not whole numbers or repeat, times that do not parse or lie after ``as_of``,
        stages out of order (a stage before an earlier one), a deadline before the report,
        negative or too large return counts, ratings outside 1..5, coordinates out of range,
        phones that are not 11-digit mobile numbers.
    """
    found, col = _open_columns(path, sheet, _EVENT_FIELDS, "not one of the grid event columns")
    as_of = _as_datetime(as_of)

    def member(lookup: dict[str, str], what: str, known: Iterable[str]):
        listing = _listing(sorted(known))

        def parse(text: str):
            return (lookup.get(text) or lookup.get(_key(text))
                    or _Bad(f"matches no {what} of the store: {listing}"))
        return parse

    def event_id(text: str):
        return _whole(text, 1, 2**63 - 1, "an event id")

    def stamp(text: str):
        t = _timestamp(text)
        if isinstance(t, dt.datetime) and t > as_of:
            return _Bad(f"after the as-of time {_time_text(as_of)}: a stage cannot lie in the "
                        "future")
        return t

    def deadline(text: str):
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(小时|h|天|日|d)?", _nfkc(text).strip(), re.IGNORECASE)
        if m and not (m.group(2) is None and re.fullmatch(r"\d{5}(?:\.\d+)?", m.group(1))):
            hours = float(m.group(1)) * (24 if (m.group(2) or "").lower() in ("天", "日", "d")
                                         else 1)
            return dt.timedelta(hours=hours)
        return _timestamp(text)

    def coordinate(low: float, high: float, what: str):
        def parse(text: str):
            parsed = _number(text)
            if isinstance(parsed, tuple):
                return (parsed[0] if low <= parsed[0] <= high and not parsed[1]
                        else _Bad(f"expected a {what} from {low:g} to {high:g} (WGS-84 degrees)"))
            return parsed
        return parse

    ids = _parse_column(found, col["event_id"], event_id, "empty: every event needs its id")
    grid = _parse_column(found, col["grid"], member(_code_lookup(cells), "grid cell",
                                                     cells), "empty: expected a grid cell code")
    category = _parse_column(found, col["category"],
                             member(_vocabulary(categories, EVENT_CATEGORIES), "event category",
                                    categories), "empty: expected a category")
    channel = _parse_column(found, col["channel"],
                            member(_vocabulary(channels, EVENT_SOURCES), "channel", channels),
                            "empty: expected a channel")
    department = _parse_column(found, col["department"],
                               member(_code_lookup(departments), "department",
                                      departments), "empty: expected a department code")
    stamps = {s: _parse_column(found, col.get(s), stamp,
                               f"empty: every event needs its {s} time" if s == "reported"
                               else None) for s in _STAGES}
    due = _parse_column(found, col["deadline"], deadline, "empty: every event needs a deadline")
    returned = _parse_column(found, col.get("returned"),
                             lambda t: _whole(t, 0, 127, "a return count"))
    rating = _parse_column(found, col.get("satisfaction"),
                           lambda t: _whole(t, 1, 5, "a satisfaction rating"))
    lon = _parse_column(found, col["lon"], coordinate(-180, 180, "longitude"),
                        "empty: expected a longitude")
    lat = _parse_column(found, col["lat"], coordinate(-90, 90, "latitude"),
                        "empty: expected a latitude")
    reporter = _parse_column(found, col.get("reporter_name"), _reporter_name)
    phone = _parse_column(found, col.get("reporter_phone"), _reporter_phone)
    _duplicates(found, ids, col["event_id"], str)

    status: list[str | None] = []
    deadlines: list[dt.datetime | None] = []
    for i in range(len(found.table.frame)):
        last = None
        for s in _STAGES:
            t = stamps[s][i]
            if t is None:
                continue
            if last is not None and t < stamps[last][i]:
                found.error(found.at(i), col[s], _time_text(t), f"before {col[last]} "
                            f"({_time_text(stamps[last][i])}): the stages run "
                            + " → ".join(zh for zh, _ in EVENT_STAGES.values()))
            last = s
        status.append(last)
        d = due[i]
        reported = stamps["reported"][i]
        if isinstance(d, dt.timedelta):
            d = reported + d if reported is not None else None
        elif d is not None and reported is not None and d < reported:
            found.error(found.at(i), col["deadline"], _time_text(d),
                        f"before the report ({_time_text(reported)}): expected a later deadline")
        deadlines.append(d)
    found.check()

    out = pd.DataFrame({
        "event_id": pd.Series(ids, dtype="int64"),
        "grid_code": pd.Series(grid, dtype="str"),
        "township_code": pd.Series([cells[g][0] for g in grid], dtype="str"),
        "district_code": pd.Series([cells[g][1] for g in grid], dtype="str"),
        "category": pd.Series(category, dtype="str"),
        "channel": pd.Series(channel, dtype="str"),
        "department_code": pd.Series(department, dtype="str"),
        "status": pd.Series(status, dtype="str"),
        **{f"{s}_at": _datetimes(stamps[s]) for s in _STAGES},
        "deadline_at": _datetimes(deadlines),
        "returned_count": pd.Series([r or 0 for r in returned], dtype="int8"),
        "satisfaction": pd.Series(rating, dtype=object).astype("Int8"),
        "lon": pd.Series(lon, dtype="float64"),
        "lat": pd.Series(lat, dtype="float64"),
        "reporter_name": pd.Series(reporter, dtype="str"),
        "reporter_phone": pd.Series(phone, dtype="str"),
    })
    out.attrs["warnings"] = found.warnings()
    return out


# --- places: air stations, water sections, departments ---------------------------------------
_CODE = ("code", "代码", "编码", "编号")
_NAME_ZH = ("name_zh", "名称", "中文名称", "name")
_NAME_EN = ("name_en", "英文名称", "英文名")
_LON = ("lon", "lng", "longitude", "经度", "x")
_LAT = ("lat", "latitude", "纬度", "y")
_PLACE_FIELDS = {
    "stations": (_Field("code", "code", _CODE + ("station_code", "站点代码", "站点编码"), True),
                 _Field("name_zh", "name", _NAME_ZH + ("站点名称", "站点"), True),
                 _Field("name_en", "English name", _NAME_EN),
                 _Field("lon", "longitude", _LON, True), _Field("lat", "latitude", _LAT, True)),
    "sections": (_Field("code", "code", _CODE + ("section_code", "断面代码", "断面编码"), True),
                 _Field("name_zh", "name", _NAME_ZH + ("断面名称", "断面"), True),
                 _Field("name_en", "English name", _NAME_EN),
                 _Field("river_zh", "river", ("river", "river_zh", "河流", "所属河流", "水体"),
                        True),
                 _Field("lon", "longitude", _LON, True), _Field("lat", "latitude", _LAT, True),
                 _Field("target_class", "target class", ("target_class", "目标类别", "水质目标",
                                                         "目标水质"), True),
                 _Field("drinking_source", "drinking-water source",
                        ("drinking_source", "饮用水源", "是否饮用水源", "水源地"))),
    "departments": (_Field("code", "code", _CODE + ("部门代码", "单位代码"), True),
                    _Field("name_zh", "name", _NAME_ZH + ("部门名称", "部门", "单位名称"), True),
                    _Field("name_en", "English name", _NAME_EN)),
}
_YES = {"是", "yes", "y", "true", "1", "√"}
_NO = {"否", "no", "n", "false", "0", ""}


def read_places(path: str | os.PathLike, *, kind: str, sheet: str | None = None
                ) -> pd.DataFrame:
    """Return the rows of a places file: air stations, water sections or departments.

    Parameters
    ----------
    path : str or path-like
        A table with code and name (and English name) columns; stations and sections also
        lon and lat in WGS-84 degrees; sections a river, a target class (Ⅲ, III, 3) and
        whether it is a drinking-water source (是/否).
    kind : "stations", "sections" or "departments"
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    pandas.DataFrame
        The store table's columns that the file gives (stations and sections without their
        district and grid cell, which the caller finds from the point), and ``row``, each
        row's number in the file, for the caller's own messages.

    Raises
    ------
    LoadError
        With every problem: missing columns, empty or duplicate codes, coordinates that are
        not numbers or out of range, unknown classes, unreadable yes/no values.
    """
    if kind not in _PLACE_FIELDS:
        raise ValueError(f"kind must be one of {sorted(_PLACE_FIELDS)}, not {kind!r}")
    found, col = _open_columns(path, sheet, _PLACE_FIELDS[kind], f"not a column of {kind}")

    def text(value: str):
        return value

    def degrees(low: float, high: float):
        def parse(value: str):
            parsed = _number(value)
            if isinstance(parsed, tuple) and low <= parsed[0] <= high:
                return parsed[0]
            return _Bad(f"not a coordinate: expected degrees from {low:g} to {high:g} "
                        "(WGS-84)")
        return parse

    def yes_no(value: str):
        v = value.strip().casefold()
        return True if v in _YES else False if v in _NO else _Bad("expected 是 or 否 (yes/no)")

    out = {"row": found.table.rows}
    codes = _parse_column(found, col["code"], text, "empty: expected a code")
    _duplicates(found, codes, col["code"], str)
    out["code"] = codes
    out["name_zh"] = _parse_column(found, col["name_zh"], text, "empty: expected a name")
    out["name_en"] = (_parse_column(found, col["name_en"], text) if col.get("name_en")
                      else [None] * len(codes))
    out["name_en"] = [en or zh for en, zh in zip(out["name_en"], out["name_zh"])]
    if kind != "departments":
        out["lon"] = _parse_column(found, col["lon"], degrees(-180, 180), "empty: expected lon")
        out["lat"] = _parse_column(found, col["lat"], degrees(-90, 90), "empty: expected lat")
    if kind == "sections":
        out["river_zh"] = _parse_column(found, col["river_zh"], text, "empty: expected a river")
        out["target_class"] = _parse_column(found, col["target_class"], _water_class,
                                            f"empty: expected {CLASS_FORMATS}")
        out["drinking_source"] = (_parse_column(found, col["drinking_source"], yes_no)
                                  if col.get("drinking_source") else [False] * len(codes))
        out["drinking_source"] = [bool(v) for v in out["drinking_source"]]
    found.check()
    frame = pd.DataFrame(out)
    frame.attrs["warnings"] = found.warnings()
    return frame
