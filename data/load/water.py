"""Reading monthly water classes per monitoring section."""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd

from data.load.cells import (
    CLASS_FORMATS,
    PERIOD_FORMATS,
    _Bad,
    _listing,
    _month_text,
    _period,
    _water_class,
)
from data.load.columns import _WATER_FIELDS, _duplicates, _open_columns, _parse_column
from data.load.table import read_table


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
    found, col = _open_columns(read_table(path, sheet=sheet), _WATER_FIELDS,
                               "not a section, period or class column")
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
