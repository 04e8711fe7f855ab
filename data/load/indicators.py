"""Reading a statistics file: indicator values per district and month."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from data.catalog import Catalogue, Indicator
from data.load.cells import (
    PERIOD_EXPECTED,
    PERIOD_FORMATS,
    _Bad,
    _is_count,
    _key,
    _listing,
    _month_text,
    _number,
    _period,
    _split_unit,
    _unit_key,
)
from data.load.columns import _AREA, _INDICATOR_FIELDS, _VALUE, _columns, _Findings, _ignored
from data.load.problems import Problem
from data.load.table import Table, read_table

#: Where the catalogue of declared indicators is loaded (named in "unknown indicator" errors).
CATALOGUE_COMMAND = "citybrain load catalogue"

#: Outlier warning: a value this many times above (or below 1/this of) its indicator's median.
OUTLIER_FACTOR = 20.0
#: ... when the indicator has at least this many values in the file.
OUTLIER_MIN_VALUES = 5


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


def _is_growth(ind: Indicator) -> bool:
    return ("growth" in ind.code or "growth" in ind.name_en.casefold()
            or any(w in ind.name_zh for w in ("增速", "增长", "增幅", "同比", "环比")))


def _unit_agrees(unit: str, ind: Indicator) -> bool:
    return not ind.unit_zh or _unit_key(unit) in {_unit_key(ind.unit_zh), _unit_key(ind.unit_en)}


def read_indicators(path: str | os.PathLike, *, catalogue: Catalogue,
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
    catalogue : Catalogue
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
    has = {name: columns[0] for name, columns in cols.items()}
    layout = _find_layout(found, has, others)
    found.check()

    names = _Names(catalogue, areas)
    area_column = _best_area_column(table.frame, cols["area"], names)
    for other in cols["area"]:
        if other != area_column:
            _check_same_areas(found, table.frame, area_column, other, names, areas)
    unit_column = has.get("unit")
    units: dict[str, str] = {}
    if layout == "long":
        values = _long_values(table, has, area_column)
    elif layout == "wide-indicators":
        by_indicator = _indicator_columns(found, others, names, units)
        values = _values_of_indicator_columns(table.frame, by_indicator, area_column,
                                              has["period"])
    else:
        by_period = _period_columns(found, others)
        values = _values_of_period_columns(table.frame, by_period, area_column, has["indicator"],
                                           unit_column)
    checks = _ValueChecks(found, names, as_of=as_of, layout=layout, unit_column=unit_column,
                          units=units)
    kept = _checked_values(found, values, checks)
    if not kept and not found.has_errors:
        found.error(table.header_row, None, None, "no values to load: every value cell is empty")
    found.check()
    _indicator_warnings(found, kept, catalogue)
    return Indicators(_indicator_frame(kept), found.warnings(), layout, units)


# --- the layout -----------------------------------------------------------------------------
def _find_layout(found: _Findings, has: dict[str, str], others: list[str]) -> str | None:
    """Return the layout the columns make: "long", "wide-indicators" or "wide-periods".

    Reports a missing area column, and the indicator, period or value column a layout lacks;
    None when no layout fits.
    """
    header_row = found.table.header_row
    if "area" not in has:
        found.error(header_row, None, None, f"no area column: expected one of {', '.join(_AREA)}")
    if "indicator" in has and "period" in has:
        layout = "long"
        if "value" not in has:
            found.error(header_row, None, None,
                        f"no value column: expected one of {', '.join(_VALUE)}")
        # only here: in the wide layouts the other columns are the indicators or the periods
        _ignored(found, others, "not an area, indicator, period, value or unit column")
    elif "period" in has:
        layout = "wide-indicators"
    elif "indicator" in has:
        layout = "wide-periods"
    else:
        layout = None
        found.error(header_row, None, None, "neither an indicator nor a period column: "
                    "expected long form (地区, 指标, 时间, 数值), a column per indicator beside "
                    "地区 and 时间, or a column per period beside 地区 and 指标")
    if layout != "long" and "value" in has:
        found.error(header_row, has["value"], None, "a value column needs both an "
                    "indicator and a period column (long form)")
    return layout


class _Names:
    """The store's districts and the catalogue's indicators, by any name a file gives them."""

    def __init__(self, catalogue: Catalogue, areas: Mapping[str, str]):
        # exact names first; _key (full-width, case, spaces) only when nothing matches exactly
        by_name: dict[str, Indicator] = {}
        for ind in catalogue:
            for name in (ind.code, ind.name_zh, ind.name_en):
                by_name.setdefault(_key(name), ind)
        for ind in catalogue:
            for name in (ind.code, ind.name_zh, ind.name_en):
                by_name[name] = ind
        self._indicators = by_name
        self._areas = ({_key(n): str(c) for c, n in areas.items()}
                       | {_key(str(c)): str(c) for c in areas}
                       | {n: str(c) for c, n in areas.items()} | {str(c): str(c) for c in areas})
        #: The districts, for "matches no district" errors.
        self.area_listing = _listing(f"{c} {n}" for c, n in sorted(areas.items()))

    def area_code(self, text: str) -> str | None:
        """Return the district code a cell names by code or name, or None."""
        return self._areas.get(text) or self._areas.get(_key(text))

    def indicator(self, text: str) -> Indicator | None:
        """Return the indicator a cell or header names by code, name_zh or name_en, or None."""
        return self._indicators.get(text) or self._indicators.get(_key(text))


def _best_area_column(frame: pd.DataFrame, columns: list[str], names: _Names) -> str:
    """Return the area column whose cells name the most districts (files often give both a
    code and a name column)."""
    return max(columns, key=lambda c: sum(
        names.area_code(t) is not None for t in frame[c].dropna().unique()))


def _check_same_areas(found: _Findings, frame: pd.DataFrame, area_column: str, other: str,
                      names: "_Names", areas: Mapping[str, str]) -> None:
    """A row whose two area columns (a code and a name) name different districts: a row
    shifted by hand, or a code typed wrong. Which one is right is the office's to say."""
    for i, (text, again) in enumerate(zip(frame[area_column], frame[other])):
        if not isinstance(text, str) or not isinstance(again, str):
            continue
        code, also = names.area_code(text), names.area_code(again)
        if code is not None and also is not None and code != also:
            found.error(found.at(i), other, again,
                        f"{code} {areas.get(code, '')} as {area_column} says ({text}); "
                        f"{again} is {also} {areas.get(also, '')}")


# --- the unpivot: a _Value per value cell, whatever the layout ------------------------------
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


def _long_values(table: Table, has: dict[str, str], area_column: str) -> list[_Value]:
    """Return a value per row of the long layout (area, indicator, period, value columns)."""
    frame = table.frame
    unit_column = has.get("unit")
    # a unit under or in the value column's header ("数值（亿元）") holds for every row
    value_unit = table.units.get(has["value"]) or _split_unit(has["value"])[1]
    values = []
    for i, row in enumerate(frame.itertuples(index=False)):
        r = dict(zip(frame.columns, row))
        values.append(_Value(i, r[area_column], area_column, r[has["indicator"]],
                             has["indicator"], r[has["period"]], has["period"],
                             r[has["value"]], has["value"],
                             (r[unit_column] if unit_column else None) or value_unit))
    return values


def _indicator_columns(found: _Findings, columns: list[str], names: _Names,
                       units: dict[str, str]) -> dict[str, Indicator]:
    """Return the indicator each column of the wide-indicators layout stands for.

    Reports header cells that name no indicator, name one a second time or state a unit that
    is not the catalogue's, and leaves their columns out; records each stated unit in
    ``units``.
    """
    table = found.table
    resolved: dict[str, Indicator] = {}
    first_column: dict[str, str] = {}
    for column in columns:
        name, bracket_unit = _split_unit(column)
        ind = names.indicator(column) or names.indicator(name)
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
    return resolved


def _period_columns(found: _Findings, columns: list[str]) -> dict[str, tuple]:
    """Return the period (as ``cells._period`` parses it) each column of the wide-periods
    layout stands for; reports header cells that are not periods or repeat one, and leaves
    their columns out."""
    table = found.table
    periods: dict[str, tuple] = {}
    first_period: dict[dt.date, str] = {}
    for column in columns:
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
    return periods


def _filled_cells(frame: pd.DataFrame, columns: dict[str, object]
                  ) -> Iterator[tuple[int, str, object, str]]:
    """Yield (frame row, column, what the column stands for, text) for each filled cell of the
    columns, row by row: a wide table's values in the order a person reads them."""
    for i in range(len(frame)):
        for column, meaning in columns.items():
            text = frame.at[i, column]
            if text is not None:
                yield i, column, meaning, text


def _values_of_indicator_columns(frame: pd.DataFrame, columns: dict[str, Indicator],
                                 area_column: str, period_column: str) -> list[_Value]:
    """Return a value per filled cell of the wide-indicators layout (a column per indicator)."""
    return [_Value(i, frame.at[i, area_column], area_column, ind, column,
                   frame.at[i, period_column], period_column, text, column, None)
            for i, column, ind, text in _filled_cells(frame, columns)]


def _values_of_period_columns(frame: pd.DataFrame, columns: dict[str, tuple], area_column: str,
                              indicator_column: str, unit_column: str | None) -> list[_Value]:
    """Return a value per filled cell of the wide-periods layout (a column per period)."""
    return [_Value(i, frame.at[i, area_column], area_column, frame.at[i, indicator_column],
                   indicator_column, period, column, text, column,
                   frame.at[i, unit_column] if unit_column else None)
            for i, column, period, text in _filled_cells(frame, columns)]


# --- the checks -----------------------------------------------------------------------------
class _Kept(NamedTuple):
    """A value that passed every check, and where it stands in the file (for warnings)."""

    district_code: str
    indicator_code: str
    period: dt.date
    value: float
    row: int
    column: str
    text: str


class _ValueChecks:
    """The checks of a value cell's area, indicator, period and number, in that order.

    Each reports what is wrong into ``found`` and returns None, or returns what it resolved.
    Parsed texts are cached: a file repeats its areas, periods and often its values.
    """

    def __init__(self, found: _Findings, names: _Names, *, as_of: dt.date, layout: str,
                 unit_column: str | None, units: dict[str, str]):
        self.found = found
        self.names = names
        self.as_of_month = dt.date(as_of.year, as_of.month, 1)
        self.layout = layout
        self.unit_column = unit_column
        self.units = units
        self._areas: dict[str, str | None] = {}
        self._numbers: dict[str, object] = {}
        self._periods: dict[str, object] = {}

    def area(self, v: _Value) -> str | None:
        """Return the district code of the value's area; None for a total row (a warning) or
        an empty or unknown area."""
        row = self.found.at(v.i)
        if v.area is None:
            self.found.error(row, v.area_column, None, "empty: expected a district code or name")
            return None
        if v.area not in self._areas:
            self._areas[v.area] = self.names.area_code(v.area)
        code = self._areas[v.area]
        if code is None:
            if _key(v.area) in _TOTAL_ROWS:
                self.found.warn(row, v.area_column, v.area, "a total row: skipped (the dashboard "
                                "adds up the districts itself)")
            else:
                self.found.error(row, v.area_column, v.area,
                                 f"matches no district of the store: {self.names.area_listing}")
        return code

    def indicator(self, v: _Value) -> Indicator | None:
        """Return the value's indicator: in the catalogue, loaded from statistics files (not
        computed) and, where the file states a unit, in the catalogue's unit (recorded in
        ``units``)."""
        row = self.found.at(v.i)
        ind = v.indicator
        if not isinstance(ind, Indicator):
            if ind is None:
                self.found.error(row, v.indicator_column, None, "empty: expected an indicator "
                                 "code or name")
                return None
            resolved = self.names.indicator(ind)
            if resolved is None:
                self.found.error(row, v.indicator_column, ind, UNKNOWN_INDICATOR)
                return None
            ind = resolved
        if ind.kind != "value":
            self.found.error(row, v.indicator_column, ind.code, f"computed by the dashboard "
                             f"from {ind.kind} data, not loaded from a statistics file")
            return None
        if v.unit is not None:
            self.units.setdefault(ind.code, v.unit)
            if not _unit_agrees(v.unit, ind):
                self.found.error(row, self.unit_column or v.value_column, v.unit,
                                 _unit_message(ind))
                return None
        return ind

    def period(self, v: _Value, ind: Indicator) -> dt.date | None:
        """Return the first day of the value's month: a month or quarter as the indicator's
        frequency wants, not after the as-of month."""
        row = self.found.at(v.i)
        period = v.period
        if not isinstance(period, tuple):
            if period is None:
                self.found.error(row, v.period_column, None, f"empty: expected {PERIOD_FORMATS}")
                return None
            if period not in self._periods:
                self._periods[period] = _period(period)
            parsed = self._periods[period]
            if parsed is None or isinstance(parsed, _Bad):
                self.found.error(row, v.period_column, period,
                                 parsed.expected if parsed else PERIOD_EXPECTED)
                return None
            period = parsed
        month, kind = period
        period_text = v.period if isinstance(v.period, str) else v.period_column
        if ind.frequency == "quarterly" and month.month % 3:
            self.found.error(row, v.period_column, period_text, f"{ind.code} is quarterly: "
                             "expected a quarter or a quarter's last month (3, 6, 9, 12)")
            return None
        if ind.frequency != "quarterly" and kind == "quarter":
            self.found.error(row, v.period_column, period_text, f"{ind.code} is monthly: "
                             "expected a month, not a quarter")
            return None
        if month > self.as_of_month:
            self.found.error(row, v.period_column, period_text, f"after the as-of month "
                             f"{_month_text(self.as_of_month)}: a period cannot lie in the "
                             "future")
            return None
        return month

    def number(self, v: _Value, ind: Indicator) -> float | None:
        """Return the value as a number the indicator can take; None for an empty cell too
        (a warning in the long layout, where it is a row without its value)."""
        row = self.found.at(v.i)
        if v.value not in self._numbers:
            self._numbers[v.value] = _number(v.value) if v.value is not None else None
        parsed = self._numbers[v.value]
        if parsed is None:
            if self.layout == "long":
                self.found.warn(row, v.value_column, v.value, "no value: the row is skipped")
            return None
        if isinstance(parsed, _Bad):
            self.found.error(row, v.value_column, v.value, parsed.expected)
            return None
        value, percent = parsed
        if percent and _unit_key(ind.unit_zh) != "%":
            self.found.error(row, v.value_column, v.value, f"a percentage, but {ind.code} is in "
                             f"{ind.unit_zh or 'no unit'}: give the value without %")
            return None
        if value < 0 and _is_count(ind.unit_zh):
            self.found.error(row, v.value_column, v.value, f"negative, but {ind.code} counts "
                             f"{ind.unit_zh}: expected a value of 0 or more")
            return None
        return value


def _checked_values(found: _Findings, values: list[_Value], checks: _ValueChecks
                    ) -> list[_Kept]:
    """Return the values that pass every check and are not duplicates, in file order.

    A value stops at its first problem. A row whose area is wrong is reported once, not once
    per value of a wide table.
    """
    kept: list[_Kept] = []
    first: dict[tuple, int] = {}
    skipped_rows: set[int] = set()
    for v in values:
        if v.i in skipped_rows:
            continue
        code = checks.area(v)
        if code is None:
            skipped_rows.add(v.i)
            continue
        ind = checks.indicator(v)
        if ind is None:
            continue
        month = checks.period(v, ind)
        if month is None:
            continue
        value = checks.number(v, ind)
        if value is None:
            continue
        row = found.at(v.i)
        key = (code, ind.code, month)
        if key in first:
            found.error(row, v.value_column, v.value, f"a duplicate of row {found.at(first[key])}"
                        f" ({code} {ind.code} {_month_text(month)}): give each value once")
            continue
        first[key] = v.i
        kept.append(_Kept(code, ind.code, month, value, row, v.value_column, v.value))
    return kept


def _unit_message(ind: Indicator) -> str:
    return (f"not the catalogue's unit of {ind.code} ({ind.unit_zh}): convert the values or fix "
            "the unit")


def _indicator_warnings(found: _Findings, kept: list[_Kept],
                        catalogue: Catalogue) -> None:
    """Warn about values that load but look wrong (a % rate out of 0..100, outliers)."""
    by_indicator: dict[str, list[_Kept]] = {}
    for k in kept:
        by_indicator.setdefault(k.indicator_code, []).append(k)
    for code, items in by_indicator.items():
        ind = catalogue.get(code)
        percent = _unit_key(ind.unit_zh) == "%"
        if percent and not _is_growth(ind):
            for k in items:
                if not 0 <= k.value <= 100:
                    found.warn(k.row, k.column, k.text,
                               f"{ind.code} is a rate in %: expected 0 to 100")
        # growth rates in % straddle 0, where ratios to the median mean nothing
        if percent or len(items) < OUTLIER_MIN_VALUES:
            continue
        median = float(np.median([k.value for k in items]))
        if median <= 0:
            continue
        for k in items:
            if k.value > OUTLIER_FACTOR * median:
                found.warn(k.row, k.column, k.text, f"more than {OUTLIER_FACTOR:g} times the "
                           f"median of {ind.code} in this file ({median:g}): check the unit")
            elif k.value < median / OUTLIER_FACTOR:
                found.warn(k.row, k.column, k.text, f"less than 1/{OUTLIER_FACTOR:g} of the "
                           f"median of {ind.code} in this file ({median:g}): check the unit")


def _indicator_frame(kept: list[_Kept]) -> pd.DataFrame:
    """Return the kept values as ``Indicators.frame``: typed, sorted by area, indicator and
    period."""
    out = pd.DataFrame([k[:4] for k in kept],
                       columns=["district_code", "indicator_code", "period", "value"])
    out = out.astype({"district_code": "str", "indicator_code": "str", "period": object,
                      "value": "float64"})
    out = out.sort_values(["district_code", "indicator_code", "period"], kind="stable")
    return out.reset_index(drop=True)
