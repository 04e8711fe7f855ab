"""Cell parsers shared by the table readers: text in, a value, ``None`` or a ``_Bad`` out.

Every parser takes one cell's text (already stripped by ``table.read_table``) and returns the
value, ``None`` for "no data" (an empty marker such as "-" or "…"), or a ``_Bad`` saying what
was expected, so that a reader can report every bad cell of a file instead of stopping at the
first. The underscored names are shared inside ``data.load`` only: each reader module imports
the ones it needs.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from data.catalog import INDICATORS


# --- text -----------------------------------------------------------------------------------
def _nfkc(text: str) -> str:
    """Return the text with full-width letters, digits and Roman numerals made plain."""
    return unicodedata.normalize("NFKC", text)


def _key(text: str) -> str:
    """Return the form names are compared in: "PM2.5", "pm2_5" and "ＰＭ２５" are one name."""
    return re.sub(r"[\s_\-.·]", "", _nfkc(text)).casefold()


# --- units ----------------------------------------------------------------------------------
_UNIT_PREFIX = re.compile(r"^(?:计量)?单位\s*[:：]?\s*")
_UNIT_RE = re.compile(
    r"(?:[十百千万亿]*(?:元|美元|人|户|个|件|项|吨|次|人次|辆|台|套|家|所|张|千瓦时|千瓦|度|平方米|"
    r"立方米|公顷|亩|公里|千米|米|小时|工作日|天|日|起|宗|座|条|部|床|标箱|吨公里))"
    r"(?:/[十百千万]?(?:人|户|个|件|次|天|日|年|月))?|%|‰|百分点|db\(a\)|dba|μg/m3|ug/m3|mg/m3|"
    r"kwh|100mkwh|100mcny|10kcny|cny|yuan|persons|entities|cases|services|events|hours|t|10kt|"
    r"m2|10km2|mm|℃")
_KNOWN_UNITS = frozenset(re.sub(r"\s+", "", _nfkc(u)).casefold()
                         for i in INDICATORS for u in (i.unit_zh, i.unit_en) if u)
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


#: Units (base of the unit before any "/") whose values are counts and cannot be negative;
#: units starting with 万 or 亿 are amounts (亿元, 万吨, 万人) and cannot be either.
COUNT_UNITS = frozenset({"人", "人次", "户", "件", "项", "个", "次", "吨"})


def _is_count(unit: str) -> bool:
    """True for counts and amounts, which cannot be negative (growth rates are in %)."""
    u = _nfkc(unit).strip()
    return u.split("/")[0] in COUNT_UNITS or u.startswith(("万", "亿"))


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


def _degrees(low: float, high: float):
    """A parser of a longitude or latitude between ``low`` and ``high`` (a point file's
    columns)."""
    def parse(value: str):
        parsed = _number(value)
        if isinstance(parsed, tuple) and low <= parsed[0] <= high:
            return parsed[0]
        return _Bad(f"not a coordinate: expected degrees from {low:g} to {high:g}")
    return parse


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


def _timestamp_until(as_of: dt.datetime, what: str, why: str):
    """A parser of local times no later than ``as_of``: a later one is refused as "after
    the ``what`` <as_of>: ``why``" (a record cannot tell of what has not happened)."""
    def parse(text: str) -> dt.datetime | _Bad | None:
        t = _timestamp(text)
        if isinstance(t, dt.datetime) and t > as_of:
            return _Bad(f"after the {what} {_time_text(as_of)}: {why}")
        return t
    return parse


def _listing(items: Iterable[str], limit: int = 8) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}, … ({len(items)} in all)"


# --- water classes --------------------------------------------------------------------------
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
