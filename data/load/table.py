"""Reading a file into a ``Table`` of text cells: CSV, Excel or Parquet.

The files come from other systems, exported by people who use Excel: CSV in UTF-8 (with or
without a BOM), GBK or GB18030, Excel workbooks in the statistics bureau's layout (title rows,
the header, a units row, footnotes), Parquet. ``read_table`` turns any of them into a table of
text cells that remembers each row's number as the user sees it; the kind readers (``catalogue``,
``indicators``, ``air``, ``water``, ``events``, ``places``) check the cells.

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
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import i18n
from data.load.cells import _as_unit, _key, _nfkc, _split_unit
from data.load.columns import _KNOWN_COLUMNS
from data.load.problems import LoadError, Problem, Problems

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

#: The sheet a download writes first to say what made it (data/export.py): the table is on
#: the next.
_ABOUT_SHEETS = frozenset(i18n.t("about_sheet", lang) for lang in ("zh", "en"))
#: Title rows above the header are searched this far down; further down a header-like row is
#: data, and dropping everything above it would lose rows silently.
_HEADER_SEARCH_ROWS = 10


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
        The workbook sheet to read (Excel only); the first sheet by default, past a first
        sheet named 说明 or About (a download says there what made it).

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
            # a first sheet that says what the workbook is (a download's 说明) is no table
            ws = next((w for w in book.worksheets if w.title not in _ABOUT_SHEETS),
                      book.worksheets[0])
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
        # a units row may label itself in its first column (单位, 计量单位: _unit_key strips
        # that word as a prefix, so it is compared as written)
        if all(_as_unit(c) or re.sub(r"[\s:：]", "", _nfkc(c)) in ("单位", "计量单位")
               for c in under):
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
