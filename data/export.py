"""Downloads: the event table as CSV and Excel written from an Arrow stream, batch by batch,
and small titled tables (key tasks, the monthly report) as Excel.

``Queries.events_export`` streams the rows (every matching event, in the table's order); the
writers here never hold more than one batch, so a download of a million events costs the
server a few megabytes, not the whole result. Both write to a binary file object. A download
is the table as the screen shows it: the table's headers (``header``), the names it shows
for codes with the codes in a column beside them (``code_header``), and what made it (the
filters and as-of, ``About``) as the CSV's first line or the workbook's first sheet; the
event readers (data/load/columns.py) know these headers, so a download loads back.
"""

from __future__ import annotations

import csv
import functools
import io
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import xlsxwriter

import i18n

#: Excel's sheet holds 1,048,576 rows, one of them the header.
EXCEL_MAX_ROWS = 1_048_575
#: Schema metadata key under which a reader may declare how many rows it will yield
#: (``Queries.events_export`` does): Excel's limit is then checked before anything is written.
ROWS_METADATA_KEY = b"citybrain:rows"
#: Without it Excel reads a UTF-8 CSV as the local code page and garbles Chinese.
UTF8_BOM = "\ufeff".encode("utf-8")

def header(column: str, lang: str | None) -> str:
    """The header of a column: its code for None, else its name as the event table shows it
    (i18n ``col_<column>``); a column the table does not know keeps its code."""
    key = f"col_{column}"
    if lang is None or key not in i18n.TEXT:
        return column
    return i18n.t(key, lang)


def code_header(column: str, lang: str) -> str:
    """The header of the codes written beside a column shown by name: 区县代码, District code."""
    return i18n.t("col_code", lang).format(name=header(column, lang))


def declared_rows(reader: pa.RecordBatchReader) -> int | None:
    """The row count a reader declares in its schema metadata, or None."""
    value = (reader.schema.metadata or {}).get(ROWS_METADATA_KEY)
    return None if value is None else int(value)


#: A named column's names: code -> the name in the download's language.
Names = Mapping[str, Mapping[str, str]]
#: What a download says about itself: (item, text) pairs, its CSV's first line and the
#: first sheet of its workbook.
About = Sequence[tuple[str, str]]


def about_line(about: About, lang: str) -> str:
    """The pairs as the CSV's first line: ``# 区域：章贡区；时间：...``. It starts with ``#`` and
    fills one cell, so the readers take it for a title row above the header (data/load/
    table.py) and a downloaded file loads (and posts) back as it is."""
    colon, separator = (": ", "; ") if lang == "en" else ("：", "；")
    return "# " + separator.join(f"{item}{colon}{text}" for item, text in about)


def _columns(schema: pa.Schema, lang: str | None, names: Names | None
             ) -> list[tuple[str, int, tuple[pa.Array, pa.Array] | None]]:
    """The download's columns as (header, the reader's column, names or None): a column shown
    by name is written twice, its names under the screen's header and its codes beside them
    (区县, 区县代码); without a language, codes under the column codes."""
    out: list[tuple[str, int, tuple[pa.Array, pa.Array] | None]] = []
    for index, field in enumerate(schema):
        named = (names or {}).get(field.name)
        if named is None or lang is None:
            out.append((header(field.name, lang), index, None))
            continue
        lookup = (pa.array(list(named), pa.string()), pa.array(list(named.values()), pa.string()))
        out.append((header(field.name, lang), index, lookup))
        out.append((code_header(field.name, lang), index, None))
    return out


def _named(column: pa.Array, lookup: tuple[pa.Array, pa.Array]) -> pa.Array:
    """A column of codes as their names; a code without a name stays itself."""
    codes = column.cast(pa.string())
    at = pc.index_in(codes, value_set=lookup[0])
    return pc.coalesce(pc.take(lookup[1], at), codes)


def iter_events_csv(reader: pa.RecordBatchReader, lang: str | None = None,
                    names: Names | None = None, about: About = (),
                    counter: list | None = None) -> Iterator[bytes]:
    """The rows as CSV (UTF-8 with a byte-order mark), a chunk per batch, so a download of
    millions of rows streams instead of waiting for a file. ``counter[0]`` counts the rows.

    With ``lang`` the headers are the event table's and the columns in ``names`` are written
    as names with their codes beside them, and ``about`` is the first line (``about_line``);
    without, the column codes head the codes. Times are written to the second, empty cells
    for missing values.
    """
    plan = _columns(reader.schema, lang, names)
    fields = []
    for name, index, lookup in plan:
        kind = reader.schema.field(index).type
        fields.append(pa.field(name, pa.string() if lookup is not None else
                               pa.timestamp("s") if pa.types.is_timestamp(kind) else kind))
    schema = pa.schema(fields)
    buffer = io.BytesIO()
    buffer.write(UTF8_BOM)
    if about:
        line = io.StringIO()
        csv.writer(line, lineterminator="\n").writerow([about_line(about, lang or "zh")])
        buffer.write(line.getvalue().encode("utf-8"))
    with pacsv.CSVWriter(buffer, schema) as writer:
        for batch in reader:
            columns = []
            for (_, index, lookup), field in zip(plan, fields):
                column = batch.column(index)
                if lookup is not None:
                    column = _named(column, lookup)
                if field.type != column.type:
                    # whole seconds: Arrow would otherwise print every time as 10:00:00.000000
                    columns.append(pc.cast(column, field.type, safe=False))
                else:
                    columns.append(neutralise_formulas(column))
            writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))
            if counter is not None:
                counter[0] += batch.num_rows
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()     # the header alone when nothing matched


#: A text cell a spreadsheet would run as a formula (OWASP's list: = + - @ tab CR) ...
_FORMULA_START = r"^[=+\-@\t\r]"
#: ... unless it is a plain number, which a spreadsheet reads as one.
_PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"


def neutralise_formulas(column: pa.Array) -> pa.Array:
    """Text cells that a spreadsheet would run as a formula (a reporter named
    ``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(...)``) with a ``'`` in front, as OWASP advises;
    numbers and other cells unchanged. Excel files are written as typed cells and need none."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    risky = pc.and_(pc.match_substring_regex(column, _FORMULA_START),
                    pc.invert(pc.match_substring_regex(column, _PLAIN_NUMBER)))
    quoted = pc.binary_join_element_wise("'", column, "")
    return pc.if_else(risky, quoted, column)


def write_events_csv(reader: pa.RecordBatchReader, fileobj: BinaryIO,
                     lang: str | None = None, names: Names | None = None,
                     about: About = ()) -> int:
    """Write the rows as CSV (see ``iter_events_csv``) and return how many were written."""
    counter = [0]
    for chunk in iter_events_csv(reader, lang, names, about, counter):
        fileobj.write(chunk)
    return counter[0]


def _too_many(rows: int | str) -> ValueError:
    return ValueError(f"{rows} events match, more than an Excel sheet holds "
                      f"({EXCEL_MAX_ROWS:,} rows): narrow the filter (a shorter date range, "
                      f"a smaller area or a table filter) or download CSV")


#: Excel number formats: whole numbers without decimals, coordinates to the metre, other
#: numbers to two places at most, times to the second.
_WHOLE, _DEGREES, _DECIMAL, _WHEN = "0", "0.000000", "#,##0.0#", "yyyy-mm-dd hh:mm:ss"


class _Book:
    """An xlsxwriter workbook with the formats every download shares."""

    def __init__(self, fileobj: BinaryIO, **options):
        self.book = xlsxwriter.Workbook(fileobj, {"strings_to_formulas": False,
                                                  "strings_to_urls": False, **options})
        self.head = self.book.add_format({"bold": True, "bg_color": "#DDE7F5", "border": 1,
                                          "text_wrap": True, "valign": "top"})
        self.formats = {kind: self.book.add_format({"num_format": kind})
                        for kind in (_WHOLE, _DEGREES, _DECIMAL, _WHEN)}
        self.used: set[str] = set()

    def sheet(self, title: str):
        """A new sheet named after ``title`` as Excel allows: at most 31 characters, none of
        []:*?/\\, unique in the workbook."""
        base = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:28] or "sheet"
        name, n = base, 2
        while name in self.used:
            name, n = f"{base[:26]}-{n}", n + 1
        self.used.add(name)
        return self.book.add_worksheet(name)

    def about(self, about: About, lang: str) -> None:
        """The first sheet (说明, About): what made the download, a line an item."""
        if not about:
            return
        sheet = self.sheet(i18n.t("about_sheet", lang))
        sheet.write_string(0, 0, i18n.t("about_item", lang), self.head)
        sheet.write_string(0, 1, i18n.t("about_text", lang), self.head)
        for row, (item, text) in enumerate(about, start=1):
            sheet.write_string(row, 0, str(item))
            sheet.write_string(row, 1, str(text))
        sheet.set_column(0, 0, max(10, max(_text_width(i) for i, _ in about) + 2))
        sheet.set_column(1, 1, min(100, max(20, max(_text_width(t) for _, t in about) + 2)))

    def close(self) -> None:
        self.book.close()


def write_events_xlsx(reader: pa.RecordBatchReader, fileobj: BinaryIO, lang: str = "zh",
                      names: Names | None = None, about: About = ()) -> int:
    """Write the rows as an Excel workbook and return how many were written.

    The first sheet says what made it (``about``, when given), the second holds the rows:
    the headers and names of the CSV in ``lang`` (codes beside the names), times as Excel
    date-times, whole numbers and coordinates as numbers with their formats. More rows than a
    sheet holds raise ValueError saying how many matched: before anything is written when the
    reader declares its count (``ROWS_METADATA_KEY``), else as soon as the limit is passed
    (the workbook is only assembled into ``fileobj`` at the end, so nothing reaches it).
    """
    declared = declared_rows(reader)
    if declared is not None and declared > EXCEL_MAX_ROWS:
        raise _too_many(f"{declared:,}")
    # constant_memory: each row goes to a temporary file as it is written, instead of the
    # whole sheet staying in memory until the end
    book = _Book(fileobj, constant_memory=True)
    book.about(about, lang)
    sheet = book.sheet(i18n.t("nav_events", lang))
    plan = _columns(reader.schema, lang, names)
    writers: list[Callable[[int, int, object], object]] = []
    for col, (name, index, lookup) in enumerate(plan):
        field = reader.schema.field(index)
        kind = field.type
        if lookup is None and (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
            sheet.set_column(col, col, 19)
            writers.append(lambda r, c, v: sheet.write_datetime(r, c, v, book.formats[_WHEN]))
        elif lookup is None and (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            form = book.formats[_WHOLE if pa.types.is_integer(kind) else
                                _DEGREES if field.name in ("lon", "lat") else _DECIMAL]
            sheet.set_column(col, col, 12)
            writers.append(functools.partial(_write_number, sheet, form=form))
        else:
            sheet.set_column(col, col, 16)
            writers.append(sheet.write_string if lookup is not None or pa.types.is_string(kind)
                           or pa.types.is_large_string(kind) else sheet.write)
    sheet.freeze_panes(1, 0)
    for col, (name, _, _) in enumerate(plan):
        sheet.write_string(0, col, name, book.head)
    row = 0
    for batch in reader:
        if row + batch.num_rows > EXCEL_MAX_ROWS:
            # count the rest for the message; the workbook is dropped unwritten
            matched = row + batch.num_rows + sum(b.num_rows for b in reader)
            raise _too_many(f"{matched:,}")
        columns = [(batch.column(index) if lookup is None
                    else _named(batch.column(index), lookup)).to_pylist()
                   for _, index, lookup in plan]
        for values in zip(*columns):
            row += 1
            for col, value in enumerate(values):
                if value is not None:
                    writers[col](row, col, value)
    book.close()
    return row


def _write_number(sheet, row: int, col: int, value, form) -> None:
    sheet.write_number(row, col, value, form)


def write_tables_xlsx(sheets, fileobj: BinaryIO, lang: str = "zh", about: About = ()) -> int:
    """Write small titled tables (``[(title, DataFrame)]``: a key-task ledger's tasks and
    milestones, the monthly report's tables) as an Excel workbook and return the rows written.

    The first sheet says what made it (``about``, when given), then a sheet a table: headers
    as the frames name their columns (kept in view), whole numbers as whole numbers (ranks,
    counts), other numbers with at most two decimals (rounded so, not 5.330513542...), yes/no
    as 是/否 (Yes/No), text as text (never a formula), empty cells for missing values.
    """
    import pandas as pd

    book = _Book(fileobj)
    book.about(about, lang)
    yes_no = {True: i18n.t("yes", lang), False: i18n.t("no", lang)}
    rows = 0
    for title, frame in sheets:
        sheet = book.sheet(title)
        sheet.freeze_panes(1, 0)
        for col, header_text in enumerate(frame.columns):
            values = frame.iloc[:, col]
            sheet.write_string(0, col, str(header_text), book.head)
            widest = max(_text_width(v) for v in [header_text, *values])
            sheet.set_column(col, col, min(60, max(10, widest + 2)))
            numbers_ = [v for v in values if _is_number(v)]
            whole = bool(numbers_) and all(float(v).is_integer() for v in numbers_)
            form = book.formats[_WHOLE if whole else _DECIMAL]
            for r, value in enumerate(values, start=1):
                if value is None or (not isinstance(value, str) and pd.isna(value)):
                    continue
                if isinstance(value, bool) or type(value).__name__ == "bool_":
                    sheet.write_string(r, col, yes_no[bool(value)])
                elif _is_number(value):
                    sheet.write_number(r, col, round(float(value), 0 if whole else 2), form)
                else:
                    sheet.write_string(r, col, str(value))
        rows += len(frame)
    book.close()
    return rows


def _is_number(value) -> bool:
    """A number a cell holds as one: not a yes/no, not a missing value."""
    return (isinstance(value, numbers.Number) and not isinstance(value, bool)
            and type(value).__name__ != "bool_" and value == value)


def _text_width(value) -> int:
    """A cell's width in Excel's character units: CJK characters count twice."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(value))
