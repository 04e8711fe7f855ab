"""The grid governance screen's event table: one page of single events, or all of them as a
download, filtered and sorted by whitelisted columns.

It reads grid_events at every scope (it shows rows); only its row count may come from a
rollup. Column names reach SQL only from EVENT_TABLE_COLUMNS, operators only from the fixed
dicts below; every value travels as a parameter.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import pandas as pd
import pyarrow as pa

from data.export import ROWS_METADATA_KEY
from data.queries.base import AREA_ROLLUP, Area, QueryBase, reported_on_days

#: The event table's columns in display order: the only names a sort or filter may use.
EVENT_TABLE_COLUMNS = ("event_id", "reported_at", "district_code", "township_code", "grid_code",
                       "category", "subcategory", "channel", "department_code", "status", "deadline_at",
                       "closed_at", "returned_count", "satisfaction", "reporter_name",
                       "reporter_phone")
#: A download's columns: the table's, then what an events load file holds beyond them (the
#: other stage times, the place), so that a downloaded file loads (and posts) back.
EVENT_EXPORT_COLUMNS = (*EVENT_TABLE_COLUMNS, "accepted_at", "dispatched_at", "handled_at",
                        "verified_at", "lon", "lat")
#: The reporter as a reader without clearance sees it: 张** and 138****1234 (the surname
#: and the phone's carrier prefix and last four digits, as Chinese government systems show).
_MASKED_REPORTER = ("left(reporter_name, 1) || repeat('*', greatest(length(reporter_name) - 1,"
                    " 1)) AS reporter_name, left(reporter_phone, 3) || '****' || "
                    "right(reporter_phone, 4) AS reporter_phone")
#: column -> the SQL text written for it: SQL text comes from here, never from a request.
_EVENT_COLUMN_SQL = {column: column for column in EVENT_TABLE_COLUMNS}
_EVENT_TABLE_SELECT = ", ".join(_EVENT_COLUMN_SQL.values())
#: How a filter value is read for a column (text otherwise), so a bad value fails in Python
#: with a clear message rather than as a DuckDB conversion error.
_EVENT_COLUMN_KIND = {"event_id": "number", "returned_count": "number",
                      "satisfaction": "number", "reported_at": "date-time",
                      "deadline_at": "date-time", "closed_at": "date-time"}
#: Comparison operators a table filter may use -> their SQL.
_FILTER_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
#: Set operators (value: a tuple of values) -> their SQL; the screen maps names to codes.
_SET_OPS = {"in": "IN", "not in": "NOT IN"}
#: Text searches (case-insensitive, on the value as text) -> their SQL, {} the column's text.
#: "not contains" keeps the empty cells, as a search that finds nothing in them.
_TEXT_OPS = {"contains": "contains({}, ?)", "not contains": "NOT coalesce(contains({}, ?), false)",
             "starts with": "starts_with({}, ?)", "ends with": "suffix({}, ?)"}
#: Empty-cell tests (value: None) -> their SQL.
_NULL_OPS = {"is null": "IS NULL", "is not null": "IS NOT NULL"}
#: Table filters event_daily can count (its own columns, equality and set operators).
_ROLLUP_FILTER_COLUMNS = frozenset({"district_code", "category", "channel", "status"})
_ROLLUP_FILTER_OPS = frozenset({"=", "!=", "in", "not in"})
#: Sort columns with few values spread over the whole table: long runs of ties (see
#: Queries._event_page). The area codes are not here: within each month the table is stored
#: in their order, so a run of one code is a few row groups a month.
_TIED_SORT_COLUMNS = frozenset({"category", "channel", "department_code", "status",
                                "returned_count", "satisfaction"})
#: How rows with equal sort values go: the newest first, then by event_id (_event_order).
_TIES = "reported_at DESC, event_id"
#: A page is for reading; whole result sets go through events_export.
_MAX_PAGE_ROWS = 10_000


class EventTableQueries(QueryBase):
    """The event table: ``events_page`` (memoised) and ``events_export`` (streamed)."""

    # events_export streams and is not memoised
    CACHED = ("events_page",)
    READS = {"events_page": ("events",)}

    def _event_table(self, area: Area, start: str, end: str, filters: tuple
                     ) -> tuple[str, list]:
        """The event table's FROM and WHERE (area, report days, table filters) and their
        parameters."""
        where, params = self._where(area)
        reported, bounds = reported_on_days(start, end)
        conditions, values = _event_filters(filters)
        return (f"FROM {self._event_rows} WHERE {reported}{where}{conditions}",
                bounds + params + values)

    @cached_property
    def _event_rows(self) -> str:
        """What the event table reads: grid_events, with the reporter masked for a reader
        without clearance (so its filters and sorts see only the masked text as well), and
        with empty reporter columns in a store from before they existed."""
        columns = {name for (name,) in self.store.rows(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'grid_events'")}
        if not {"reporter_name", "reporter_phone"} <= columns:
            return ("(SELECT *, NULL::VARCHAR AS reporter_name, NULL::VARCHAR AS "
                    "reporter_phone FROM grid_events)")
        if self.scope.personal_data:
            return "grid_events"
        return f"(SELECT * REPLACE ({_MASKED_REPORTER}) FROM grid_events)"

    def _event_table_count(self, area: Area, start: str, end: str, filters: tuple,
                           from_where: str, params: list) -> int:
        """How many events the table's filters match. The daily rollups hold the count
        without a scan of every event when there is no table filter, or (at district scope)
        when every filter is an equality on event_daily's own columns."""
        if not filters:
            source = self._event_source(area, "event_district_daily", start, end,
                                        below=AREA_ROLLUP)
            conditions, values = "", []
        elif not self._below_districts(area) and all(map(_rollup_counts, filters)):
            source = self._event_source(area, "event_daily", start, end)
            conditions, values = _event_filters(filters)
        else:
            return int(self.store.rows(f"SELECT count(*) {from_where}", params)[0][0])
        return int(self.store.rows(f"SELECT coalesce(sum(n), 0) {source.from_where}{conditions}",
                                   source.params + values)[0][0])

    def events_page(self, area: Area, start: str, end: str, filters: tuple = (),
                    sort: str = "reported_at", descending: bool = True, offset: int = 0,
                    limit: int = 50) -> tuple[pd.DataFrame, int]:
        """Return one page of the events reported in [start, end] in an area, and how many
        events match in all: (rows with the EVENT_TABLE_COLUMNS, total).

        ``filters`` is a tuple of (column, op, value): column one of EVENT_TABLE_COLUMNS, op
        one of =, !=, <, <=, >, >= (a comparison never matches an empty cell), contains,
        not contains, starts with, ends with (case-insensitive, on the value as text), in /
        not in with a tuple of values, or is null / is not null with None.
        ``sort`` is one of EVENT_TABLE_COLUMNS; empty cells sort last and ties go newest
        first, then by event_id (by event_id alone for a sort by report time), so pages
        never overlap. Anything else raises ValueError naming it; values travel as
        parameters. DuckDB answers ORDER BY ... LIMIT with a top-N scan, so the
        first pages are fast at any size (a deep offset sorts more).
        """
        for name, number, most in (("offset", offset, None), ("limit", limit, _MAX_PAGE_ROWS)):
            if isinstance(number, bool) or not isinstance(number, int) or number < 0 or (
                    most is not None and number > most):
                raise ValueError(f"{name} must be a whole number from 0"
                                 f"{f' to {most:,}' if most else ''}, not {number!r}")
        from_where, params = self._event_table(area, start, end, filters)
        page = self._event_page(from_where, params, sort, descending, offset, limit)
        return page, self._event_table_count(area, start, end, filters, from_where, params)

    def _event_page(self, from_where: str, params: list, sort: str, descending: bool,
                    offset: int, limit: int) -> pd.DataFrame:
        """One page of the event table, in the table's order.

        A top-N over millions of rows is fast while its heap can skip most rows, and slow when
        the page lies inside a run of hundreds of thousands of equal values (a sort by
        category: every row of the first category ties). For such columns the page's sort
        values are fetched first (a single-column top-N, a few ms); when they are all one
        value the page is that value's rows newest first, which DuckDB pages fast again (the
        zone maps of a store kept by month skip all but the window's last months).
        """
        order = _event_order(sort, descending)
        if sort in _TIED_SORT_COLUMNS and limit > 0:
            column, direction = _event_column(sort, "sort"), "DESC" if descending else "ASC"
            keys = [key for (key,) in self.store.rows(
                f"SELECT {column} {from_where} ORDER BY {column} {direction} NULLS LAST "
                f"LIMIT ? OFFSET ?", params + [limit, offset])]
            if not keys:      # past the end: nothing to sort
                return self.store.df(f"SELECT {_EVENT_TABLE_SELECT} {from_where} LIMIT 0",
                                     params)
            if keys[0] == keys[-1]:
                value = keys[0]
                same, same_params = ((f"{column} IS NULL", []) if value is None
                                     else (f"{column} = ?", [value]))
                skip = 0
                if offset:   # the rows of this value that belong to earlier pages
                    before = (f"{column} IS NOT NULL" if value is None
                              else f"{column} {'>' if descending else '<'} ?")
                    earlier = self.store.rows(f"SELECT count(*) {from_where} AND {before}",
                                              params + same_params)[0][0]
                    skip = offset - int(earlier)
                return self.store.df(
                    f"SELECT {_EVENT_TABLE_SELECT} {from_where} AND {same} "
                    f"ORDER BY {_TIES} LIMIT ? OFFSET ?", params + same_params + [limit, skip])
        return self.store.df(f"SELECT {_EVENT_TABLE_SELECT} {from_where} ORDER BY {order} "
                             f"LIMIT ? OFFSET ?", params + [limit, offset])

    def events_export(self, area: Area, start: str, end: str, filters: tuple = (),
                      sort: str = "reported_at", descending: bool = True
                      ) -> pa.RecordBatchReader:
        """Stream every event ``events_page`` would page through, in the same order and
        columns, as Arrow record batches (not memoised: a download reads it once).

        The schema's metadata declares the row count (data/export.py ROWS_METADATA_KEY), so
        the Excel writer refuses more rows than a sheet holds before writing anything.
        """
        from_where, params = self._event_table(area, start, end, filters)
        order = _event_order(sort, descending)
        total = self._event_table_count(area, start, end, filters, from_where, params)
        reader = self.store.batches(
            f"SELECT {', '.join(EVENT_EXPORT_COLUMNS)} {from_where} ORDER BY {order}", params)
        schema = reader.schema.with_metadata({ROWS_METADATA_KEY: str(total).encode()})
        return pa.RecordBatchReader.from_batches(schema, reader)


def _event_column(column, what: str) -> str:
    """The SQL text of an event-table column, from the whitelist; ValueError otherwise."""
    sql = _EVENT_COLUMN_SQL.get(column) if isinstance(column, str) else None
    if sql is None:
        raise ValueError(f"unknown {what} column {column!r}; the event table's columns are "
                         f"{', '.join(EVENT_TABLE_COLUMNS)}")
    return sql


def _event_order(sort: str, descending: bool) -> str:
    """ORDER BY text of the event table: the column, empty cells last, then the newest first
    (what an analyst expects of equal values; and grid_events is stored by month, so such a
    page reads the window's last months only), then event_id."""
    column = _event_column(sort, "sort")
    direction = "DESC" if descending else "ASC"
    order = f"{column} {direction} NULLS LAST"
    if column == "event_id":        # unique: no ties
        return order
    return f"{order}, {'event_id' if column == 'reported_at' else _TIES}"


def _filter_value(column: str, value):
    """A filter value read as its column's kind (number, date-time or text)."""
    kind = _EVENT_COLUMN_KIND.get(column, "text")
    try:
        if isinstance(value, bool) or value is None:
            raise TypeError
        if kind == "number":
            if isinstance(value, int | float):
                number = value
            else:
                text = str(value).strip()
                try:
                    number = int(text)
                except ValueError:
                    number = float(text)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError
            return number
        if kind == "date-time":
            if isinstance(value, dt.datetime):
                return value
            if isinstance(value, dt.date):
                return dt.datetime.combine(value, dt.time())
            return dt.datetime.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError(f"filter value {value!r} is not a {kind} for column {column}"
                         ) from None
    return str(value)


def _event_filters(filters: tuple) -> tuple[str, list]:
    """The table filters as " AND <condition>..." and their parameters."""
    if not isinstance(filters, tuple | list):
        raise ValueError(f"table filters are a tuple of (column, op, value), not {filters!r}")
    conditions, values = [], []
    for item in filters:
        condition, more = _event_filter(item)
        conditions.append(f" AND {condition}")
        values += more
    return "".join(conditions), values


def _event_filter(item) -> tuple[str, list]:
    """One (column, op, value) table filter as a SQL condition and its parameters."""
    if not isinstance(item, tuple | list) or len(item) != 3:
        raise ValueError(f"a table filter is (column, op, value), not {item!r}")
    column, op, value = item
    sql = _event_column(column, "filter")
    if isinstance(op, str) and op in _TEXT_OPS:
        if value is None or isinstance(value, bool):
            raise ValueError(f"filter value {value!r} cannot be searched for in {column}")
        return (_TEXT_OPS[op].format(f"lower(CAST({sql} AS VARCHAR))"),
                [str(value).lower()])
    if isinstance(op, str) and op in _NULL_OPS:
        if value is not None:
            raise ValueError(f"filter {op!r} on {column} takes no value, not {value!r}")
        return f"{sql} {_NULL_OPS[op]}", []
    if isinstance(op, str) and op in _SET_OPS:
        if not isinstance(value, tuple | list | set | frozenset):
            raise ValueError(f"filter {op!r} on {column} takes a tuple of values, "
                             f"not {value!r}")
        values = [_filter_value(column, v) for v in value]
        if not values:
            return ("false" if op == "in" else "true"), []
        return f"{sql} {_SET_OPS[op]} ({', '.join('?' * len(values))})", values
    if not isinstance(op, str) or op not in _FILTER_OPS:
        raise ValueError(f"unknown filter operator {op!r} on {column}; known: "
                         f"{', '.join([*_FILTER_OPS, *_TEXT_OPS, *_SET_OPS, *_NULL_OPS])}")
    return f"{sql} {_FILTER_OPS[op]} ?", [_filter_value(column, value)]


def _rollup_counts(item) -> bool:
    """Whether event_daily can count the events a table filter keeps: an equality or set
    operator on one of its own columns (checked before the filter's value is)."""
    return (isinstance(item, tuple | list) and len(item) == 3
            and isinstance(item[0], str) and item[0] in _ROLLUP_FILTER_COLUMNS
            and isinstance(item[1], str) and item[1] in _ROLLUP_FILTER_OPS)
