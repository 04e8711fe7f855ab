"""The event records table: its columns, its rows as the screen shows them, and its filter row
and sort turned into the query layer's whitelisted terms; shared by the screen and the
CSV/Excel downloads (web/routes.py).

The table's filter row speaks dash_table's filter syntax (``{status} contains 结案 &&
{event_id} > 100``); ``table_filters`` turns it into the query layer's whitelisted
(column, op, value) triples, and names shown instead of codes (districts, categories,
departments...) into the codes they stand for.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pandas as pd

import i18n
from charts import state as st
from data import catalog
from data.queries import EVENT_TABLE_COLUMNS, event_filter_value

#: Columns shown by name rather than code, and where their names come from.
_NAMED = ("district_code", "township_code", "category", "channel", "department_code",
          "status")


_TIMES = ("reported_at", "deadline_at", "closed_at")


_NUMBERS = ("event_id", "returned_count", "satisfaction")


#: dash_table's filter operators -> the query layer's.
_OPERATORS = {"=": "=", "eq": "=", "!=": "!=", "ne": "!=", "<": "<", "lt": "<",
              "<=": "<=", "le": "<=", ">": ">", "gt": ">", ">=": ">=", "ge": ">=",
              "contains": "contains", "datestartswith": "contains"}


# dash_table writes an operator with an optional case prefix: "scontains", "i=", "sge"...
_PART = re.compile(r"^\s*\{(?P<column>[a-z_]+)\}\s+[si]?(?P<op>=|eq|!=|ne|<=|le|<|lt|>=|ge|>|gt|"
                   r"contains|datestartswith)\s+(?P<value>.+?)\s*$")


class TableFilterError(ValueError):
    """A part of the table's filter row that cannot be read."""


def columns(lang: str) -> list[dict]:
    """The table's columns: ids are the query layer's column names, headers in the language."""
    kinds = {**{c: "numeric" for c in _NUMBERS}, **{c: "datetime" for c in _TIMES}}
    return [{"id": c, "name": i18n.t(f"col_{c}", lang), "type": kinds.get(c, "text")}
            for c in EVENT_TABLE_COLUMNS]


def _vocabulary(column: str, runtime) -> dict[str, tuple[str, str]]:
    """code -> (name_zh, name_en) for a column shown by name."""
    if column == "category":
        return catalog.EVENT_CATEGORIES
    if column == "channel":
        return catalog.EVENT_SOURCES
    if column == "status":
        return catalog.EVENT_STAGES
    zh, en = runtime.names("zh"), runtime.names("en")
    codes = {"district_code": runtime.queries.district_codes,
             "township_code": runtime.context.townships,
             "department_code": set(runtime.queries.departments()["code"])}[column]
    return {code: (zh[code], en[code]) for code in codes}


def table_filters(query: str | None, runtime) -> tuple:
    """The table's filter row as (column, op, value) triples; raises TableFilterError naming
    the part it cannot read. Names typed in a named column match their codes."""
    out = []
    try:
        (query or "").encode("utf-8")
    except UnicodeEncodeError:   # a lone surrogate: no text a person typed, nothing to match
        raise TableFilterError("not valid text") from None
    for part in (query or "").split(" && "):
        if not part.strip():
            continue
        match = _PART.match(part)
        if not match or match["column"] not in EVENT_TABLE_COLUMNS:
            raise TableFilterError(part.strip())
        column, op = match["column"], _OPERATORS[match["op"]]
        value = match["value"]
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"`":
            value = value[1:-1]
        if column in _NAMED:
            text = value.lower()
            codes = tuple(sorted(code for code, names in _vocabulary(column, runtime).items()
                                 if text == code.lower() or (op == "contains" and (
                                     text in names[0].lower() or text in names[1].lower()))
                                 or text in (names[0].lower(), names[1].lower())))
            if op not in ("=", "contains", "!="):
                raise TableFilterError(part.strip())
            out.append((column, "not in" if op == "!=" else "in", codes or ("",)))
        elif column in _NUMBERS:
            try:
                number = event_filter_value(column, value)
            except ValueError:
                raise TableFilterError(part.strip()) from None
            out.append((column, "=" if op == "contains" else op, number))
        elif op == "contains":
            out.append((column, op, value))
        else:
            # a date-time compared: "2025", "2025-03" and "2025-03-01" all mean its first moment
            value = value.strip()
            value += {4: "-01-01", 7: "-01"}.get(len(value), "")
            try:
                out.append((column, op, event_filter_value(column, value)))
            except ValueError:
                raise TableFilterError(part.strip()) from None
    return tuple(out)


def table_sort(sort_by: list | None) -> tuple[str, bool]:
    """The table's sort as (column, descending); newest first by default."""
    if sort_by and isinstance(sort_by[0], dict) and \
            sort_by[0].get("column_id") in EVENT_TABLE_COLUMNS:
        return sort_by[0]["column_id"], sort_by[0].get("direction") != "asc"
    return "reported_at", True


def display_rows(frame: pd.DataFrame, runtime, lang: str) -> list[dict]:
    """The page's rows as the table shows them: names for codes, times to the minute."""
    rows = frame.copy()
    en = 1 if lang == "en" else 0
    for column in _NAMED:
        names = {code: pair[en] for code, pair in _vocabulary(column, runtime).items()}
        rows[column] = rows[column].map(names).fillna(rows[column])
    for column in _TIMES:
        rows[column] = pd.to_datetime(rows[column]).dt.strftime("%Y-%m-%d %H:%M")
    rows = rows.astype(object).where(rows.notna(), None)
    return rows.to_dict("records")


def download_query(state: st.FilterState, filter_query: str | None, sort_by) -> str:
    """The download links' query string: the filter state, the table's filter row and sort."""
    sort, descending = table_sort(sort_by)
    extra = {"sort": sort, "desc": "1" if descending else "0"}
    if filter_query:
        extra["tf"] = filter_query
    return st.to_query(state) + "&" + urlencode(extra)
