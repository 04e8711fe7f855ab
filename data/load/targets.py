"""Reading a targets file: an indicator's target and alert line per year, for the city or a
district (a plan's yearly steps, 2024 / 2025 / 2026, are rows)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import pandas as pd

from data.catalog import Catalogue, Indicator
from data.load.cells import _Bad, _is_count, _key, _nfkc, _number, _split_unit, _unit_key
from data.load.columns import _TARGET_FIELDS, _columns, _duplicates, _Findings, _ignored
from data.load.indicators import _TOTAL_ROWS, CATALOGUE_COMMAND, _best_area_column, _Names
from data.load.table import read_table

#: How far ahead of the store's as-of year a plan may set targets (a five-year plan).
PLAN_YEARS_AHEAD = 5
#: What a target frame holds, in order (``indicator_targets`` without source and as_of).
TARGET_COLUMNS = ("indicator_code", "year", "district_code", "target", "alert")
_YEAR_RE = re.compile(r"(\d{4})\s*(?:年度?)?(?:\.0+)?")


def headline_unit(ind: Indicator) -> str:
    """The unit a target of ``ind`` is in: % for a growth target, else the indicator's."""
    return "%" if ind.is_growth else ind.unit_zh


def read_targets(path: str | os.PathLike, *, catalogue: Catalogue, areas: Mapping[str, str],
                 years: range, city: Mapping[str, str] | None = None,
                 sheet: str | None = None) -> pd.DataFrame:
    """Return the targets a targets file sets, checked against the catalogue and the store.

    Parameters
    ----------
    path : str or path-like
        Any table ``read_table`` reads (UTF-8 or GBK CSV, Excel with title rows and a units
        row, Parquet), a row per target with the columns indicator (指标: code or name),
        year (年份: 2026, 2026年), target (目标值) and optionally district (地区: code or
        name; empty, 全市 or the city's name for a city-wide target), alert (预警值: the alert
        line) and unit (单位: checked, as a units row or a bracketed header unit are).
        A target is on the indicator's basis: the year-on-year growth in % for growth
        indicators (GDP +6.5), else the level in the indicator's unit.
    catalogue : Catalogue
        The store's indicators (any kind may have targets).
    areas : mapping of str to str
        The store's district codes -> Chinese names.
    years : range
        The years a target may be set for.
    city : mapping, optional
        The city's code and names (meta ``city_code``, ``city_name_zh``, ``city_name_en``):
        a row naming the city is city-wide.
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    pandas.DataFrame
        TARGET_COLUMNS: district_code None for a city-wide target, alert NaN when none;
        ``attrs["warnings"]``: problems that did not stop the load.

    Raises
    ------
    LoadError
        With every problem: unknown indicators or districts, years that are not years or
        outside ``years``, targets that are empty or not numbers, a % on a target whose
        unit is not %, a unit that is not the target's, a negative target of a count, an
        alert line on the wrong side of the target, a target given twice (indicator x year
        x district).
    """
    table = read_table(path, sheet=sheet)
    found = _Findings(table)
    cols, others = _columns(table, _TARGET_FIELDS, found, several=("district",))
    if "year" not in cols and others and all(isinstance(_year(c), int) for c in others):
        found.error(table.header_row, others[0], others[0], "a column per year: write a plan's "
                    "years as rows (指标, 年份, 目标值: a row per year)")
    else:
        _ignored(found, others, "not an indicator, year, district, target, alert or unit "
                 "column")
    found.check()
    has = {name: columns[0] for name, columns in cols.items()}
    names = _Names(catalogue, areas)
    if "district" in cols:
        has["district"] = _best_area_column(table.frame, cols["district"], names)
    city_words = {_key(w) for w in (city or {}).values() if w} | _TOTAL_ROWS | {_key("市本级")}
    checks = _RowChecks(found, names, years, city_words)
    # a unit for every row: a units row under the target's header, or one in it (目标值（%）)
    column_unit = table.units.get(has["target"]) or _split_unit(has["target"])[1]
    frame = table.frame
    rows, keys = [], []
    for i in range(len(frame)):
        cell = {name: frame.at[i, column] for name, column in has.items()}
        ind = checks.indicator(i, has["indicator"], cell["indicator"])
        year = checks.year(i, has["year"], cell["year"])
        district = checks.district(i, has.get("district"), cell.get("district"))
        ok = ind is not None and year is not None and district is not _BAD
        keys.append((ind.code, year, district) if ok else None)
        if ind is None:
            continue
        unit = cell.get("unit") or column_unit
        if unit and not checks.unit(i, has.get("unit") or has["target"], unit, ind):
            continue
        target = checks.number(i, has["target"], cell["target"], ind, required=True)
        alert = checks.number(i, has.get("alert"), cell.get("alert"), ind)
        if target is not None and alert is not None:
            checks.sides(i, has["alert"], cell["alert"], ind, target, alert)
        if ok and target is not None:
            rows.append((ind.code, year, district, target, alert))
    _duplicates(found, keys, has["indicator"],
                lambda k: f"{k[0]} {k[1]}" + (f" {k[2]}" if k[2] else " city-wide"))
    found.check()
    out = pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
    out = out.astype({"indicator_code": "str", "year": "int64", "target": "float64",
                      "alert": "float64"})
    # None, not NaN, for a city-wide target: it is NULL in the store
    out["district_code"] = pd.Series([r[2] for r in rows], index=out.index, dtype=object)
    out.attrs["warnings"] = found.warnings()
    return out


#: A district cell that failed its check (None means no district: a city-wide target).
_BAD = object()


def _year(text: str) -> int | _Bad | None:
    m = _YEAR_RE.fullmatch(_nfkc(text).strip())
    return int(m.group(1)) if m else _Bad("not a year: expected 2026 or 2026年")


class _RowChecks:
    """The checks of one row's cells: each reports what is wrong into ``found`` and returns
    None (``_BAD`` for a district), or what the cell resolved to."""

    def __init__(self, found: _Findings, names: _Names, years: range, city_words: set[str]):
        self.found, self.names, self.years, self.city_words = found, names, years, city_words

    def _error(self, i: int, column: str | None, value, expected: str) -> None:
        self.found.error(self.found.at(i), column, value, expected)

    def indicator(self, i: int, column: str, text: str | None) -> Indicator | None:
        if text is None:
            self._error(i, column, None, "empty: expected an indicator code or name")
            return None
        ind = self.names.indicator(text)
        if ind is None:
            self._error(i, column, text, "not in the catalogue: expected an indicator code or "
                        "name (gdp, 地区生产总值); declare a city's own indicator first "
                        f"({CATALOGUE_COMMAND})")
        return ind

    def year(self, i: int, column: str, text: str | None) -> int | None:
        span = f"from {self.years.start} to {self.years.stop - 1}"
        if text is None:
            self._error(i, column, None, f"empty: expected a year {span}")
            return None
        year = _year(text)
        if isinstance(year, _Bad):
            self._error(i, column, text, year.expected)
            return None
        if year not in self.years:
            self._error(i, column, text, f"outside the store's years: expected a year {span} "
                        f"(the store's data begin in {self.years.start}; a plan may look "
                        f"{PLAN_YEARS_AHEAD} years past its as-of year)")
            return None
        return year

    def district(self, i: int, column: str | None, text: str | None):
        if text is None or _key(text) in self.city_words:
            return None
        code = self.names.area_code(text)
        if code is None:
            self._error(i, column, text, "matches no district of the store (leave it empty, or "
                        f"write 全市, for a city-wide target): {self.names.area_listing}")
            return _BAD
        return code

    def unit(self, i: int, column: str, unit: str, ind: Indicator) -> bool:
        if ind.is_growth:
            if _unit_key(unit) == "%":
                return True
            expected = f"% (a target of {ind.code} is its growth year on year)"
        else:
            if _unit_key(unit) in {_unit_key(ind.unit_zh), _unit_key(ind.unit_en)}:
                return True
            expected = ind.unit_zh or "no unit"
        self._error(i, column, unit, f"not the unit of {ind.code}'s targets: expected "
                    f"{expected}")
        return False

    def number(self, i: int, column: str | None, text: str | None, ind: Indicator,
               required: bool = False) -> float | None:
        what = "target" if required else "alert line"
        if text is None:
            if required:
                self._error(i, column, None, f"empty: expected the {ind.code} target, a number")
            return None
        parsed = _number(text)
        if parsed is None:
            if required:
                self._error(i, column, text, f"no target: expected the {ind.code} target, a "
                            "number (leave the row out for none)")
            return None
        if isinstance(parsed, _Bad):
            self._error(i, column, text, parsed.expected)
            return None
        value, percent = parsed
        if percent and _unit_key(headline_unit(ind)) != "%":
            self._error(i, column, text, f"a percentage, but the {what} of {ind.code} is in "
                        f"{headline_unit(ind) or 'no unit'}: give it without %")
            return None
        if value < 0 and not ind.is_growth and _is_count(ind.unit_zh):
            self._error(i, column, text, f"negative, but {ind.code} counts {ind.unit_zh}: "
                        "expected 0 or more")
            return None
        return value

    def sides(self, i: int, column: str, text: str, ind: Indicator, target: float,
              alert: float) -> None:
        if (ind.better == "higher" and alert > target) or (
                ind.better == "lower" and alert < target):
            side = "below" if ind.better == "higher" else "above"
            self._error(i, column, text, f"the alert line must lie {side} the target "
                        f"({target:g}) when {ind.better} is better for {ind.code}")
