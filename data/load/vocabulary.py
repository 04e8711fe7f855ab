"""Reading a city's event vocabulary: its categories in two levels (大类 and 小类) and its
channels, from tables shaped as offices keep them (Excel with a title row, GBK CSV).

Two sources are common and both fit the categories file: the digital city management
standard's classes (GB/T 30428.2: 部件 and 事件 大类, each with its 小类) and a 12345 hotline's
request types (subject areas as 大类, their types as 小类).
"""

from __future__ import annotations

import os
import re

import pandas as pd

from data.load.cells import _Bad, _key, _nfkc
from data.load.columns import _duplicates, _Field, _open_columns, _parse_column
from data.load.table import read_table

_CATEGORY_FIELDS = (
    _Field("category_code", "category code (大类代码)",
           ("category_code", "大类代码", "大类编码", "大类编号", "一级分类代码", "一级分类编码",
            "一级代码", "大类代码（一级）"), True),
    _Field("category_zh", "category name (大类名称)",
           ("category_name", "category_zh", "category", "大类名称", "大类", "一级分类",
            "一级分类名称", "诉求大类", "事件大类"), True),
    _Field("category_en", "category English name",
           ("category_en", "category_name_en", "大类英文名称", "大类英文名", "一级分类英文名称")),
    _Field("code", "subcategory code (小类代码)",
           ("subcategory_code", "小类代码", "小类编码", "小类编号", "二级分类代码", "二级分类编码",
            "二级代码")),
    _Field("name_zh", "subcategory name (小类名称)",
           ("subcategory_name", "subcategory_zh", "subcategory", "小类名称", "小类", "二级分类",
            "二级分类名称", "诉求小类", "事件小类", "诉求类型")),
    _Field("name_en", "subcategory English name",
           ("subcategory_en", "subcategory_name_en", "小类英文名称", "小类英文名",
            "二级分类英文名称")),
)
_CHANNEL_FIELDS = (
    _Field("code", "channel code", ("code", "channel_code", "代码", "编码", "编号", "渠道代码",
                                    "渠道编码", "来源代码", "来源编码"), True),
    _Field("name_zh", "channel name", ("name_zh", "name", "channel", "名称", "中文名称",
                                       "渠道名称", "渠道", "来源名称", "来源", "来源渠道",
                                       "上报渠道"), True),
    _Field("name_en", "English name", ("name_en", "英文名称", "英文名")),
)
#: A code: letters, digits and - _ . / (no spaces: it travels in URLs and file cells).
_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.\-/]{0,39}")
CODE_EXPECTED = ("not a code: expected up to 40 letters, digits or - _ . / without spaces "
                 "(like 0101 or A01)")
#: The columns of ``event_vocabulary`` the readers return, with ``row`` (the file's row).
COLUMNS = ("vocabulary", "code", "name_zh", "name_en", "ord", "parent_code", "row")


def _frame(rows: list[tuple], found, col: dict[str, str]) -> pd.DataFrame:
    result = pd.DataFrame(rows, columns=list(COLUMNS))
    result["parent_code"] = pd.Series([r[5] for r in rows], dtype=object)   # None, not NaN
    result.attrs["warnings"] = found.warnings()
    result.attrs["columns"] = dict(col)      # field -> the file's header, for messages
    return result


def _code(text: str):
    code = _nfkc(text).strip()
    # a code column Excel stored as a number ("101.0"): the digits as written
    code = re.sub(r"^(\d+)\.0+$", r"\1", code)
    return code if _CODE.fullmatch(code) else _Bad(CODE_EXPECTED)


def _name(text: str):
    return " ".join(text.split())


def read_categories(path: str | os.PathLike, *, sheet: str | None = None) -> pd.DataFrame:
    """Return a categories file's rows for ``event_vocabulary``: its 大类 (parent_code None)
    then its 小类 (parent_code their 大类), in the file's order.

    Parameters
    ----------
    path : str or path-like
        A table (CSV in UTF-8 or GBK, Excel with title rows above the header, Parquet) with
        one row per 小类: 大类代码, 大类名称, optionally 大类英文名称, and 小类代码, 小类名称,
        小类英文名称. A 大类 without 小类 is a row with its 小类 cells empty. The 大类 cells
        may be left empty under the first row of each 大类 (merged cells in Excel): they are
        the row above's. English names default to the Chinese.
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    pandas.DataFrame
        ``COLUMNS``: vocabulary "category", code, name_zh, name_en, ord (the order to show
        them in), parent_code (None for a 大类) and row (the file's row of its first
        mention).

    Raises
    ------
    LoadError
        With every problem: missing columns, codes that are not codes, a 大类 named two ways,
        a 小类 given twice or under two 大类, a 小类 with a 大类's code, a 小类 without its
        code or name, a file without any 大类.
    """
    found, col = _open_columns(read_table(path, sheet=sheet), _CATEGORY_FIELDS,
                               "not a column of a categories file")
    frame = found.table.frame
    rows = found.table.rows
    cat_code = _parse_column(found, col["category_code"], _code)
    cat_zh = _parse_column(found, col["category_zh"], _name)
    cat_en = _parse_column(found, col.get("category_en"), _name)
    sub_code = _parse_column(found, col.get("code"), _code)
    sub_zh = _parse_column(found, col.get("name_zh"), _name)
    sub_en = _parse_column(found, col.get("name_en"), _name)
    raw_code = frame[col["category_code"]].tolist()

    categories: dict[str, list] = {}          # code -> [zh, en, row]
    subs: dict[str, list] = {}                # code -> [zh, en, parent, row]
    last = None
    for i in range(len(frame)):
        code, zh, en = cat_code[i], cat_zh[i], cat_en[i]
        if raw_code[i] is None and zh is None and en is None:
            code = last                       # a merged 大类 cell: the row above's
            if code is None:
                found.error(rows[i], col["category_code"], None,
                            "empty: expected the 大类's code (only rows under a 大类's first "
                            "row may leave it empty)")
        elif raw_code[i] is None:
            found.error(rows[i], col["category_code"], None, "empty: expected the 大类's code")
            code = None
        elif code is not None:
            if zh is None and code not in categories:
                found.error(rows[i], col["category_zh"], None,
                            f"empty: expected the name of 大类 {code}")
            known = categories.get(code)
            if known is None:
                if zh is not None:
                    categories[code] = [zh, en or zh, rows[i]]
            elif zh is not None and zh != known[0]:
                found.error(rows[i], col["category_zh"], zh,
                            f"大类 {code} is {known[0]} on row {known[2]}: one name per code")
        last = code if code is not None else last
        if col.get("code") is None and col.get("name_zh") is None:
            continue
        s_code, s_zh = sub_code[i], sub_zh[i]
        s_raw = frame[col["code"]].iloc[i] if col.get("code") else None
        if s_raw is None and s_zh is None:
            continue                          # a 大类 without 小类 on this row
        if s_raw is None:
            found.error(rows[i], col.get("code") or col["name_zh"], None,
                        f"empty: expected the code of 小类 {s_zh}")
            continue
        if s_code is None:
            continue                          # reported by _parse_column
        if s_zh is None:
            found.error(rows[i], col.get("name_zh") or col["code"], None,
                        f"empty: expected the name of 小类 {s_code}")
            continue
        if code is None:
            continue
        if s_code in subs:
            before = subs[s_code]
            where = "" if before[2] == code else f" under 大类 {before[2]}"
            found.error(rows[i], col["code"], s_code,
                        f"a duplicate of row {before[3]}{where}: give each 小类 once")
            continue
        subs[s_code] = [s_zh, sub_en[i] or s_zh, code, rows[i]]
    for s_code, (_, _, _, row) in subs.items():
        if s_code in categories:
            found.error(row, col["code"], s_code,
                        f"also the code of 大类 {categories[s_code][0]}: give 小类 codes of "
                        "their own")
    found.check()
    if not categories:
        found.error(None, col["category_code"], None, "no 大类 in the file")
        found.check()
    out = [("category", code, zh, en, i, None, row)
           for i, (code, (zh, en, row)) in enumerate(categories.items())]
    out += [("category", code, zh, en, len(out) + i, parent, row)
            for i, (code, (zh, en, parent, row)) in enumerate(subs.items())]
    return _frame(out, found, col)


def read_channels(path: str | os.PathLike, *, sheet: str | None = None) -> pd.DataFrame:
    """Return a channels file's rows for ``event_vocabulary``: where events come in
    (网格员巡查, 12345热线, 视频AI识别 ...), in the file's order.

    Parameters
    ----------
    path : str or path-like
        A table with a code (渠道代码), a name (渠道名称) and optionally an English name.
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    pandas.DataFrame
        ``COLUMNS``, vocabulary "channel", parent_code None.

    Raises
    ------
    LoadError
        Missing columns, empty codes or names, codes that are not codes, a code or a name
        given twice.
    """
    found, col = _open_columns(read_table(path, sheet=sheet), _CHANNEL_FIELDS,
                               "not a column of a channels file")
    codes = _parse_column(found, col["code"], _code, "empty: expected the channel's code")
    zh = _parse_column(found, col["name_zh"], _name, "empty: expected the channel's name")
    en = _parse_column(found, col.get("name_en"), _name)
    _duplicates(found, codes, col["code"], str)
    _duplicates(found, [_key(n) if n else None for n in zh], col["name_zh"], str)
    found.check()
    rows = found.table.rows
    out = [("channel", code, name, english or name, i, None, rows[i])
           for i, (code, name, english) in enumerate(zip(codes, zh, en))]
    return _frame(out, found, col)
