"""Event-table downloads: CSV and Excel written from an Arrow stream, batch by batch.

``Queries.events_export`` streams the rows (every matching event, in the table's order); the
writers here never hold more than one batch, so a download of a million events costs the
server a few megabytes, not the whole result. Both write to a binary file object.
"""

from __future__ import annotations

import io
import numbers
from typing import BinaryIO, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import xlsxwriter

#: Excel's sheet holds 1,048,576 rows, one of them the header.
EXCEL_MAX_ROWS = 1_048_575
#: Schema metadata key under which a reader may declare how many rows it will yield
#: (``Queries.events_export`` does): Excel's limit is then checked before anything is written.
ROWS_METADATA_KEY = b"citybrain:rows"
#: Without it Excel reads a UTF-8 CSV as the local code page and garbles Chinese.
UTF8_BOM = "\ufeff".encode("utf-8")

#: Header names of the event table's columns, (zh, en). Values stay codes, as stored.
COLUMN_NAMES: dict[str, tuple[str, str]] = {
    "event_id": ("事件编号", "Event ID"),
    "reported_at": ("上报时间", "Reported at"),
    "district_code": ("区县代码", "District code"),
    "township_code": ("乡镇街道代码", "Township code"),
    "grid_code": ("网格代码", "Grid cell code"),
    "category": ("事件类别", "Category"),
    "subcategory": ("小类", "Subcategory"),
    "channel": ("来源渠道", "Source"),
    "department_code": ("处置部门代码", "Department code"),
    "status": ("状态", "Status"),
    "deadline_at": ("办理时限", "Deadline"),
    "closed_at": ("结案时间", "Closed at"),
    "returned_count": ("退回次数", "Times returned"),
    "satisfaction": ("满意度评分", "Satisfaction (1-5)"),
    "reporter_name": ("上报人", "Reporter"),
    "reporter_phone": ("联系电话", "Reporter phone"),
    "accepted_at": ("受理时间", "Accepted at"),
    "dispatched_at": ("派遣时间", "Dispatched at"),
    "handled_at": ("处置时间", "Handled at"),
    "verified_at": ("核查时间", "Verified at"),
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
}


def header(column: str, lang: str | None) -> str:
    """The header of a column: its code for None, else its name in the language."""
    if lang is None:
        return column
    names = COLUMN_NAMES.get(column)
    return column if names is None else names[1 if lang == "en" else 0]


def declared_rows(reader: pa.RecordBatchReader) -> int | None:
    """The row count a reader declares in its schema metadata, or None."""
    value = (reader.schema.metadata or {}).get(ROWS_METADATA_KEY)
    return None if value is None else int(value)


def iter_events_csv(reader: pa.RecordBatchReader, lang: str | None = None,
                    counter: list | None = None) -> Iterator[bytes]:
    """The rows as CSV (UTF-8 with a byte-order mark), a chunk per batch, so a download of
    millions of rows streams instead of waiting for a file. ``counter[0]`` counts the rows.

    The header is the column codes (machine-readable) unless ``lang`` asks for names; times
    are written to the second, empty cells for missing values.
    """
    fields = [pa.field(header(f.name, lang),
                       pa.timestamp("s") if pa.types.is_timestamp(f.type) else f.type)
              for f in reader.schema]
    schema = pa.schema(fields)
    buffer = io.BytesIO()
    buffer.write(UTF8_BOM)
    with pacsv.CSVWriter(buffer, schema) as writer:
        for batch in reader:
            # whole seconds: Arrow would otherwise print every time as 10:00:00.000000
            columns = [pc.cast(column, field.type, safe=False) if field.type != column.type
                       else neutralise_formulas(column)
                       for column, field in zip(batch.columns, fields)]
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
                     lang: str | None = None) -> int:
    """Write the rows as CSV (see ``iter_events_csv``) and return how many were written."""
    counter = [0]
    for chunk in iter_events_csv(reader, lang, counter):
        fileobj.write(chunk)
    return counter[0]


def _too_many(rows: int | str) -> ValueError:
    return ValueError(f"{rows} events match, more than an Excel sheet holds "
                      f"({EXCEL_MAX_ROWS:,} rows): narrow the filter (a shorter date range, "
                      f"a smaller area or a table filter) or download CSV")


def write_events_xlsx(reader: pa.RecordBatchReader, fileobj: BinaryIO, lang: str = "zh"
                      ) -> int:
    """Write the rows as an Excel workbook (one sheet) and return how many were written.

    Headers are column names in ``lang``; times are real Excel date-times. More rows than a
    sheet holds raise ValueError saying how many matched: before anything is written when the
    reader declares its count (``ROWS_METADATA_KEY``), else as soon as the limit is passed
    (the workbook is only assembled into ``fileobj`` at the end, so nothing reaches it).
    """
    declared = declared_rows(reader)
    if declared is not None and declared > EXCEL_MAX_ROWS:
        raise _too_many(f"{declared:,}")
    # constant_memory: each row goes to a temporary file as it is written, instead of the
    # whole sheet staying in memory until the end
    workbook = xlsxwriter.Workbook(fileobj, {"constant_memory": True})
    sheet = workbook.add_worksheet("events" if lang == "en" else "事件")
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    writers = []
    for col, field in enumerate(reader.schema):
        if pa.types.is_timestamp(field.type) or pa.types.is_date(field.type):
            sheet.set_column(col, col, 19)
            writers.append(lambda r, c, v: sheet.write_datetime(r, c, v, when))
        elif pa.types.is_integer(field.type) or pa.types.is_floating(field.type):
            sheet.set_column(col, col, 12)
            writers.append(sheet.write_number)
        else:
            sheet.set_column(col, col, 16)
            writers.append(sheet.write_string if pa.types.is_string(field.type)
                           or pa.types.is_large_string(field.type) else sheet.write)
    sheet.freeze_panes(1, 0)
    for col, field in enumerate(reader.schema):
        sheet.write_string(0, col, header(field.name, lang), bold)
    row = 0
    for batch in reader:
        if row + batch.num_rows > EXCEL_MAX_ROWS:
            # count the rest for the message; the workbook is dropped unwritten
            matched = row + batch.num_rows + sum(b.num_rows for b in reader)
            raise _too_many(f"{matched:,}")
        for values in zip(*(column.to_pylist() for column in batch.columns)):
            row += 1
            for col, value in enumerate(values):
                if value is not None:
                    writers[col](row, col, value)
    workbook.close()
    return row


def write_tables_xlsx(sheets, fileobj: BinaryIO) -> int:
    """Write small titled tables (``[(title, DataFrame)]``, a key-task ledger's tasks and
    milestones) as an Excel workbook, one sheet each, and return the rows written.

    Headers as the frames name their columns (bold, kept in view), numbers as numbers, text
    as text (never a formula), empty cells for missing values.
    """
    import pandas as pd

    workbook = xlsxwriter.Workbook(fileobj, {"strings_to_formulas": False,
                                             "strings_to_urls": False})
    bold = workbook.add_format({"bold": True})
    used: set[str] = set()
    rows = 0
    for title, frame in sheets:
        # Excel: at most 31 characters, none of []:*?/\ and unique
        base = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:28] or "sheet"
        name, n = base, 2
        while name in used:
            name, n = f"{base[:26]}-{n}", n + 1
        used.add(name)
        sheet = workbook.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for col, header_text in enumerate(frame.columns):
            sheet.write_string(0, col, str(header_text), bold)
            widest = max(_text_width(v) for v in [header_text, *frame.iloc[:, col]])
            sheet.set_column(col, col, min(60, max(10, widest + 2)))
        for r, values in enumerate(frame.itertuples(index=False), start=1):
            for col, value in enumerate(values):
                if value is None or (not isinstance(value, str) and pd.isna(value)):
                    continue
                if isinstance(value, numbers.Number) and not isinstance(value, bool):
                    sheet.write_number(r, col, float(value))
                else:
                    sheet.write_string(r, col, str(value))
        rows += len(frame)
    workbook.close()
    return rows


def _text_width(value) -> int:
    """A cell's width in Excel's character units: CJK characters count twice."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(value))
