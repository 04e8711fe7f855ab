"""The event records table: its columns, its rows as the screen shows them, and the grid's
block requests (rows, sort model, filter model) turned into the query layer's whitelisted
terms; shared by the screen and the CSV/Excel downloads (web/routes.py).

The table is an AG Grid with the infinite row model: for every block of rows it sends
``{startRow, endRow, sortModel, filterModel}`` from the browser. ``table_filters`` reads the
filter model strictly: a column from the table's columns, a filter type from its kind's list
(``FILTER_TYPES``), a value of the type that filter takes; anything else raises
TableFilterError naming it. Names shown instead of codes (districts, categories,
departments...) match the codes they stand for. Values only ever become ``?`` parameters
(the query layer's (column, op, value) triples).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from urllib.parse import urlencode

import pandas as pd

import i18n
from charts import common
from charts import state as st
from data.queries import EVENT_TABLE_COLUMNS
from i18n.grid import filter_word

#: Columns shown by name rather than code, and where their names come from.
_NAMED = ("district_code", "township_code", "category", "subcategory", "channel",
          "department_code", "status")
_TIMES = ("reported_at", "deadline_at", "closed_at")
_NUMBERS = ("event_id", "returned_count", "satisfaction")
#: Columns that may be empty: they alone offer the blank / not blank filters.
_NULLABLE = ("subcategory", "closed_at", "satisfaction", "reporter_name", "reporter_phone")

#: The filter types each kind of column takes (AG Grid's names), the whitelist the grid's
#: menus are built from (layouts/events.py) and its filter models are read against.
FILTER_TYPES: dict[str, tuple[str, ...]] = {
    "named": ("contains", "notContains", "equals", "notEqual", "startsWith", "endsWith"),
    "text": ("contains", "notContains", "equals", "notEqual", "startsWith", "endsWith",
             "blank", "notBlank"),
    "number": ("equals", "notEqual", "lessThan", "lessThanOrEqual", "greaterThan",
               "greaterThanOrEqual", "inRange", "blank", "notBlank"),
    "date": ("equals", "lessThan", "greaterThan", "inRange", "blank", "notBlank"),
}
#: The filter model's ``filterType`` each kind of column carries.
_MODEL_TYPES = {"named": "text", "text": "text", "number": "number", "date": "date"}
_EMPTY = ("blank", "notBlank")
#: A text filter -> the query layer's text search, and its negation for a named column.
_TEXT_OPS = {"contains": "contains", "notContains": "not contains", "equals": "=",
             "notEqual": "!=", "startsWith": "starts with", "endsWith": "ends with"}
_NUMBER_OPS = {"equals": "=", "notEqual": "!=", "lessThan": "<", "lessThanOrEqual": "<=",
               "greaterThan": ">", "greaterThanOrEqual": ">="}
#: How a name matches a typed text, per positive text filter; the negative ones keep the
#: codes their positive one does not match.
_MATCH = {"contains": lambda name, text: text in name,
          "equals": lambda name, text: name == text,
          "startsWith": lambda name, text: name.startswith(text),
          "endsWith": lambda name, text: name.endswith(text)}
_NEGATED = {"notContains": "contains", "notEqual": "equals"}

#: Bounds of what a filter value may be: longer text is no search anyone typed, larger
#: numbers are no event's.
_MAX_TEXT = 200
_MAX_NUMBER = 1e15
#: The grid's date filter writes "2026-03-01 00:00:00" (or, typed by hand, "2026-03-01").
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?: 00:00:00)?$")
#: The largest block the grid asks for (layouts/events.BLOCK_ROWS, with room to spare), and
#: the deepest first row any store has (a billion events; 2^63 overflows DuckDB's OFFSET).
MAX_BLOCK = 1_000
MAX_START_ROW = 1_000_000_000
#: A download link's filter model, as JSON: longer is no model the grid wrote.
_MAX_MODEL_TEXT = 20_000


class TableFilterError(ValueError):
    """A part of the table's filter model that cannot be read."""


def _kind(column: str) -> str:
    if column in _NAMED:
        return "named"
    if column in _TIMES:
        return "date"
    if column in _NUMBERS:
        return "number"
    return "text"


def columns(lang: str) -> list[dict]:
    """The table's columns: ids are the query layer's column names, headers in the language,
    their kind (named, text, number, date) and the filter types they offer."""
    out = []
    for column in EVENT_TABLE_COLUMNS:
        kind = _kind(column)
        types = FILTER_TYPES[kind]
        if column not in _NULLABLE:
            types = tuple(t for t in types if t not in _EMPTY)
        out.append({"id": column, "name": i18n.t(f"col_{column}", lang), "kind": kind,
                    "filters": list(types)})
    return out


_COLUMNS = {c["id"]: c for c in columns("zh")}


def _vocabulary(column: str, runtime) -> dict[str, tuple[str, str]]:
    """code -> (name_zh, name_en) for a column shown by name."""
    vocabulary = runtime.queries.event_vocabulary()     # the store's, loaded or the demo's
    if column == "category":
        return vocabulary.categories
    if column == "subcategory":
        return vocabulary.subcategories
    if column == "channel":
        return vocabulary.channels
    if column == "status":
        return vocabulary.stages
    zh, en = runtime.names("zh"), runtime.names("en")
    codes = {"district_code": runtime.queries.district_codes,
             "township_code": runtime.context.townships,
             "department_code": set(runtime.queries.departments()["code"])}[column]
    return {code: (zh[code], en[code]) for code in codes}


def _text(value, column: str) -> str:
    """A text filter's value: text a person could type."""
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise TableFilterError(f"{column}: {str(value)[:40]!r} is no text to search for")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:     # a lone surrogate: no text a person typed
        raise TableFilterError(f"{column}: not valid text") from None
    return value


def _number(value, column: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not math.isfinite(value) or abs(value) > _MAX_NUMBER:
        raise TableFilterError(f"{column}: {str(value)[:40]!r} is not a number")
    return value


def _date(value, column: str) -> dt.datetime:
    """The first moment of the day a date filter names."""
    match = _DATE.match(value) if isinstance(value, str) else None
    try:
        if match:
            day = dt.date.fromisoformat(match[1])
            if day < dt.date.max:      # its next day is needed for "equals" and "after"
                return dt.datetime.combine(day, dt.time())
    except ValueError:
        pass
    raise TableFilterError(f"{column}: {str(value)[:40]!r} is not a date")


def _condition(column: str, model, runtime) -> list[tuple]:
    """One column's filter model as the query layer's (column, op, value) triples."""
    spec = _COLUMNS[column]
    kind = spec["kind"]
    if not isinstance(model, dict):
        raise TableFilterError(f"{column}: not a filter")
    if "conditions" in model or "operator" in model:
        raise TableFilterError(f"{column}: one condition a column")
    kind_type, kind_name = model.get("filterType"), _MODEL_TYPES[kind]
    if kind_type != kind_name:
        raise TableFilterError(f"{column}: a {kind_name} filter, not {str(kind_type)[:20]!r}")
    kind_op = model.get("type")
    if not isinstance(kind_op, str) or kind_op not in spec["filters"]:
        raise TableFilterError(f"{column}: no filter {str(kind_op)[:20]!r}")
    if kind_op in _EMPTY:
        return [(column, "is null" if kind_op == "blank" else "is not null", None)]
    if kind == "named":
        text = _text(model.get("filter"), column).lower()
        positive = _NEGATED.get(kind_op, kind_op)
        codes = tuple(sorted(code for code, names in _vocabulary(column, runtime).items()
                             if any(_MATCH[positive](name.lower(), text)
                                    for name in (code, *names))))
        return [(column, "not in" if kind_op in _NEGATED else "in", codes)]
    if kind == "text":
        return [(column, _TEXT_OPS[kind_op], _text(model.get("filter"), column))]
    if kind == "number":
        value = _number(model.get("filter"), column)
        if kind_op == "inRange":
            return [(column, ">=", value), (column, "<=", _number(model.get("filterTo"), column))]
        return [(column, _NUMBER_OPS[kind_op], value)]
    # a date: a day of a date-time column, both ends of a range included
    day = _date(model.get("dateFrom"), column)
    if kind_op == "equals":
        return [(column, ">=", day), (column, "<", day + dt.timedelta(days=1))]
    if kind_op == "lessThan":
        return [(column, "<", day)]
    if kind_op == "greaterThan":
        return [(column, ">=", day + dt.timedelta(days=1))]
    last = _date(model.get("dateTo"), column)
    return [(column, ">=", day), (column, "<", last + dt.timedelta(days=1))]


def table_filters(model, runtime) -> tuple:
    """The grid's filter model ({column: {filterType, type, filter...}}) as the query layer's
    (column, op, value) triples; raises TableFilterError naming what it cannot read."""
    if model is None:
        return ()
    if not isinstance(model, dict):
        raise TableFilterError("not a filter model")
    out = []
    for column, condition in model.items():
        if not isinstance(column, str) or column not in _COLUMNS:
            raise TableFilterError(f"no column {str(column)[:40]!r}")
        out += _condition(column, condition, runtime)
    return tuple(out)


def table_sort(model) -> tuple[str, bool]:
    """The grid's sort model as (column, descending): its first entry when it names a column
    of the table, else newest first."""
    if isinstance(model, list) and model and isinstance(model[0], dict) and \
            isinstance(model[0].get("colId"), str) and model[0]["colId"] in _COLUMNS:
        return model[0]["colId"], model[0].get("sort") != "asc"
    return "reported_at", True


def table_block(request: dict) -> tuple[int, int] | None:
    """The rows a block request asks for as (offset, limit), or None for a block no grid
    asks for (not whole numbers, past any store's last row, or larger than a block)."""
    start, end = request.get("startRow"), request.get("endRow")
    for number in (start, end):
        if isinstance(number, bool) or not isinstance(number, int):
            return None
    if not 0 <= start <= MAX_START_ROW or not 0 < end - start <= MAX_BLOCK:
        return None
    return start, end - start


def shown_names(runtime, lang: str) -> dict[str, dict[str, str]]:
    """The names the table shows for codes, in the language: column -> {code: name}; the
    downloads write the same names (and the codes beside them)."""
    en = 1 if lang == "en" else 0
    return {column: {code: pair[en] for code, pair in _vocabulary(column, runtime).items()}
            for column in _NAMED}


def display_rows(frame: pd.DataFrame, runtime, lang: str) -> list[dict]:
    """The rows as the table shows them: names for codes, times to the minute."""
    rows = frame.copy()
    for column, names in shown_names(runtime, lang).items():
        rows[column] = rows[column].map(names).fillna(rows[column])
    for column in _TIMES:
        rows[column] = pd.to_datetime(rows[column]).dt.strftime("%Y-%m-%d %H:%M")
    rows = rows.astype(object).where(rows.notna(), None)
    return rows.to_dict("records")


def download_query(state: st.FilterState, filter_model, sort_model) -> str:
    """The download links' query string: the filter state, the grid's filter model (``tf``,
    JSON) and its sort (``sort``, ``desc``)."""
    sort, descending = table_sort(sort_model)
    extra = {"sort": sort, "desc": "1" if descending else "0"}
    if filter_model:
        extra["tf"] = json.dumps(filter_model, ensure_ascii=False, separators=(",", ":"))
    return st.to_query(state) + "&" + urlencode(extra)


def download_model(text: str | None) -> dict | None:
    """A download link's filter model (``tf``, JSON), read but not yet checked
    (``table_filters`` does); TableFilterError for text that is no JSON."""
    if not text:
        return None
    if len(text) > _MAX_MODEL_TEXT:
        raise TableFilterError("filter model too long")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise TableFilterError("filter model is not JSON") from None


def _filter_words(column: str, model: dict, lang: str) -> str:
    """One column's filter (already read by ``table_filters``) in words, as the grid's menu
    says it: 类别 包含 “市容”, 上报时间 介于 2026-11-01 – 2026-11-10."""
    name, kind = i18n.t(f"col_{column}", lang), model["type"]
    # typographic quotes: a plain one would make the CSV quote its whole first line
    quote = "“{}”".format
    if kind in _EMPTY:
        return f"{name} {filter_word(kind, lang)}"
    if model["filterType"] == "date":
        first = str(model["dateFrom"])[:10]
        if kind == "inRange":
            return f"{name} {filter_word(kind, lang)} {first} – {str(model['dateTo'])[:10]}"
        word = {"lessThan": "before", "greaterThan": "after"}.get(kind, kind)
        return f"{name} {filter_word(word, lang)} {first}"
    if kind == "inRange":
        return f"{name} {filter_word(kind, lang)} {model['filter']} – {model['filterTo']}"
    value = model["filter"]
    return f"{name} {filter_word(kind, lang)} " + (
        str(value) if isinstance(value, int | float) else quote(value))


def download_about(state: st.FilterState, runtime, model: dict | None, sort: str,
                   descending: bool, rows: int) -> list[tuple[str, str]]:
    """What a download of the table says about itself, in the state's language: the area
    and period of the filter line, the table's filters and sort in words, how many rows, the
    data's as-of, when it was made and from what (its CSV's first line, its 说明 sheet)."""
    lang, t = state.lang, i18n.t
    filters = [_filter_words(column, condition, lang)
               for column, condition in (model or {}).items()]
    direction = t("about_descending" if descending else "about_ascending", lang)
    return [(t("about_area", lang), common.area_text(state, runtime)),
            (t("about_period", lang), f"{state.start} {t('to', lang)} {state.end}"),
            (t("about_table_filters", lang),
             ("；" if lang == "zh" else "; ").join(filters) or t("about_none", lang)),
            (t("about_sort", lang), f"{t(f'col_{sort}', lang)} {direction}"),
            (t("about_rows", lang), f"{rows:,}"),
            *common.made_from(runtime, lang)]
