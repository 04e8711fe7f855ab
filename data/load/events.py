"""Reading grid events: a city's cases from report to closing."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping

import pandas as pd

from data.catalog import EVENT_CATEGORIES, EVENT_SOURCES, EVENT_STAGES
from data.load.cells import (
    _BLANK_MARKERS,
    _as_datetime,
    _Bad,
    _datetimes,
    _key,
    _listing,
    _nfkc,
    _number,
    _time_text,
    _timestamp,
    _timestamp_until,
    _whole,
)
from data.load.columns import _EVENT_FIELDS, _duplicates, _open_columns, _parse_column
from data.load.table import read_table
from geo import crs

_STAGES = tuple(EVENT_STAGES)
EVENT_COLUMNS = ("event_id", "grid_code", "township_code", "district_code", "category",
                 "channel", "department_code", "status", *(f"{s}_at" for s in _STAGES),
                 "deadline_at", "returned_count", "satisfaction", "lon", "lat", "reporter_name",
                 "reporter_phone", "subcategory")
#: What an events file writes for a reporter who stayed anonymous (or for no reporter).
_ANONYMOUS = frozenset(_key(t) for t in ("匿名", "匿名用户", "匿名来电", "匿名举报", "无",
                                         "anonymous", *_BLANK_MARKERS))
PHONE_EXPECTED = ("not a phone number: expected a mobile number (11 digits starting with 1, "
                  "like 13812341234) or a landline with its area code (like 0797-8123456); "
                  "spaces, dashes and a +86 prefix are fine")


def _reporter_name(text: str) -> str | None:
    return None if _key(text) in _ANONYMOUS else " ".join(text.split())


def _reporter_phone(text: str) -> str | _Bad | None:
    """An 11-digit mainland mobile number without spaces, dashes or +86, or a landline as
    0AREA-NUMBER (12345 hotline exports carry both); None for none."""
    if _key(text) in _ANONYMOUS:
        return None
    t = re.sub(r"[\s\-‐‑–—()（）]", "", _nfkc(text))
    # "13812341234.0": a number column written out with a float type, as ids may be
    m = re.fullmatch(r"(?:(?:\+|00)?86)?(1\d{10})(?:\.0+)?", t)
    if m:
        return m.group(1)
    # area codes: 010 and 02x have three digits, the rest four; numbers have 7 or 8 digits
    m = re.fullmatch(r"(?:(?:\+|00)?86(?=[1-9])|0)(10|2\d|[3-9]\d{2})(\d{7,8})", t)
    return f"0{m.group(1)}-{m.group(2)}" if m else _Bad(PHONE_EXPECTED)


def _code_lookup(codes: Iterable[str]) -> dict[str, str]:
    """Code -> code, also by _key (full-width digits, case); an exact match always wins."""
    codes = list(codes)
    return {_key(c): c for c in codes} | {c: c for c in codes}


def _vocabulary(codes: set[str], names: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Code and display names (zh, en) -> code, for the codes the store has."""
    lookup = _code_lookup(codes)
    for code, (zh, en) in names.items():
        if code in codes:
            lookup.setdefault(_key(zh), code)
            lookup.setdefault(_key(en), code)
    return lookup


def _named(codes, default: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """code -> (zh, en) from the store's vocabulary; a bare set of codes takes its names
    from ``default`` (or none)."""
    if isinstance(codes, Mapping):
        return dict(codes)
    return {code: default.get(code, (code, code)) for code in codes}


def _names_agree(found, names_column: str | None, codes_column: str | None, codes: list,
                 named: Mapping[str, tuple[str, str]]) -> None:
    """Report every row whose name (a download's 类别) is not the name of its code (类别代码)
    in either language, nor the code itself."""
    if names_column is None or codes_column is None:
        return
    for i, (text, code) in enumerate(zip(found.table.frame[names_column].tolist(), codes)):
        if text is None or code is None:
            continue
        zh, en = named.get(code, (code, code))
        if _key(text) not in {_key(code), _key(zh), _key(en)}:
            found.error(found.at(i), names_column, text,
                        f"not the name of {codes_column} {code} ({zh}): correct one of the "
                        f"two, or delete the column of names")


def read_events(path: str | os.PathLike, *, cells: Mapping[str, tuple[str, str]],
                departments: set[str], categories: set[str] | Mapping[str, tuple[str, str]],
                channels: set[str] | Mapping[str, tuple[str, str]],
                as_of: dt.datetime, sheet: str | None = None,
                subcategories: Mapping[str, tuple[str, str, str]] | None = None,
                source_crs: str | None = None) -> pd.DataFrame:
    """Return grid events for ``grid_events`` (without source and as_of).

    Parameters
    ----------
    path : str or path-like
        A table with event_id (事件编号), grid_code (网格), category (类别), channel (来源),
        department_code (处置部门), reported_at (上报时间), deadline_at (办理时限: a time, or
        hours after the report like 72 or 72小时), lon (经度), lat (纬度), and optionally
        accepted_at, dispatched_at, handled_at, verified_at, closed_at (受理/派遣/处置/核查/
        结案时间), returned_count (退回次数, empty = 0), satisfaction (满意度, 1..5),
        reporter_name (上报人) and reporter_phone (联系电话: an 11-digit mobile number; spaces,
        dashes and +86 are dropped); empty or 匿名 = anonymous. A status column is ignored:
        the status is the last stage with a time. Categories and channels may be given by
        code or by their Chinese or English name; an optional subcategory column (小类,
        事件小类) names the second-level category. A file as the event download writes it
        (/download/events.csv, either language) reads back as it is: its first line (what
        made it) is a title row, and where a column is written twice, names and codes (类别
        and 类别代码, Category and Category code), the codes are read and each name must be
        its code's.
    cells : mapping of str to (str, str)
        Grid cell code -> (township code, district code).
    departments : set of str
        The store's codes.
    categories, channels : set of str, or mapping of str to (str, str)
        The store's codes (大类 for categories), with their names (zh, en) when a mapping:
        a cell may name one by its code or either name.
    subcategories : mapping of str to (str, str, str), optional
        The store's 小类: code -> (its 大类, name_zh, name_en). A category cell naming a
        小类 files the event under it and its 大类; so does a subcategory column (小类), whose
        小类 must then be one of the category's.
    as_of : datetime.datetime
        Times after it are refused (a deadline may lie after it).
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    pandas.DataFrame
        The ``grid_events`` columns but source and as_of, in the store's order.

    Raises
    ------
    LoadError
        With every problem: unknown cells, categories, channels or departments, event ids that
        are not whole numbers or repeat, times that do not parse or lie after ``as_of``,
        stages out of order (a stage before an earlier one), a deadline before the report,
        negative or too large return counts, ratings outside 1..5, coordinates out of range,
        phones that are not 11-digit mobile numbers.
    """
    found, col = _open_columns(read_table(path, sheet=sheet), _EVENT_FIELDS,
                               "not one of the grid event columns")
    as_of = _as_datetime(as_of)

    def member(lookup: dict[str, str], what: str, known: Iterable[str]):
        listing = _listing(sorted(known))

        def parse(text: str):
            return (lookup.get(text) or lookup.get(_key(text))
                    or _Bad(f"matches no {what} of the store: {listing}"))
        return parse

    def event_id(text: str):
        return _whole(text, 1, 2**63 - 1, "an event id")

    stamp = _timestamp_until(as_of, "as-of time", "a stage cannot lie in the future")

    def deadline(text: str):
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(小时|h|天|日|d)?", _nfkc(text).strip(), re.IGNORECASE)
        if m and not (m.group(2) is None and re.fullmatch(r"\d{5}(?:\.\d+)?", m.group(1))):
            hours = float(m.group(1)) * (24 if (m.group(2) or "").lower() in ("天", "日", "d")
                                         else 1)
            return dt.timedelta(hours=hours)
        return _timestamp(text)

    def coordinate(low: float, high: float, what: str):
        def parse(text: str):
            parsed = _number(text)
            if isinstance(parsed, tuple):
                return (parsed[0] if low <= parsed[0] <= high and not parsed[1]
                        else _Bad(f"expected a {what} from {low:g} to {high:g} (degrees)"))
            return parsed
        return parse

    ids = _parse_column(found, col["event_id"], event_id, "empty: every event needs its id")
    grid = _parse_column(found, col["grid"], member(_code_lookup(cells), "grid cell",
                                                     cells), "empty: expected a grid cell code")
    categories = _named(categories, EVENT_CATEGORIES)
    channels = _named(channels, EVENT_SOURCES)
    subs = dict(subcategories or {})
    sub_names = {code: (zh, en) for code, (_, zh, en) in subs.items()}
    # a category cell may name a 大类 or one of its 小类 (the 大类 wins a shared name)
    either = _vocabulary(set(sub_names), sub_names) | _vocabulary(set(categories), categories)
    category = _parse_column(found, col["category"],
                             member(either, "event category", [*categories, *subs]),
                             "empty: expected a category")
    chosen = _parse_column(found, col.get("subcategory"),
                           member(_vocabulary(set(sub_names), sub_names),
                                  "subcategory (小类)", subs))
    subcategory: list[str | None] = []
    for i, code in enumerate(category):
        sub = chosen[i]
        if code in subs:
            code, sub = subs[code][0], sub or code
            category[i] = code
        if sub is not None and code is not None and subs[sub][0] != code:
            own = _listing(sorted(c for c, (p, _, _) in subs.items() if p == code)) or "none"
            found.error(found.at(i), col["subcategory"],
                        found.table.frame[col["subcategory"]].iloc[i],
                        f"a 小类 of {subs[sub][0]}, not of the event's category {code}: "
                        f"expected one of {own}")
            sub = None
        subcategory.append(sub)
    channel = _parse_column(found, col["channel"],
                            member(_vocabulary(set(channels), channels), "channel", channels),
                            "empty: expected a channel")
    department = _parse_column(found, col["department"],
                               member(_code_lookup(departments), "department",
                                      departments), "empty: expected a department code")
    # a download's names beside its codes (类别 beside 类别代码): the codes are read, so a
    # name edited alone would change nothing; it must still name the code's category
    for field, codes, named in (("category", category, categories),
                                ("subcategory", subcategory, sub_names),
                                ("channel", channel, channels)):
        _names_agree(found, col.get(f"{field}_names"), col.get(field), codes, named)
    stamps = {s: _parse_column(found, col.get(s), stamp,
                               f"empty: every event needs its {s} time" if s == "reported"
                               else None) for s in _STAGES}
    due = _parse_column(found, col["deadline"], deadline, "empty: every event needs a deadline")
    returned = _parse_column(found, col.get("returned"),
                             lambda t: _whole(t, 0, 127, "a return count"))
    rating = _parse_column(found, col.get("satisfaction"),
                           lambda t: _whole(t, 1, 5, "a satisfaction rating"))
    lon = _parse_column(found, col["lon"], coordinate(-180, 180, "longitude"),
                        "empty: expected a longitude")
    lat = _parse_column(found, col["lat"], coordinate(-90, 90, "latitude"),
                        "empty: expected a latitude")
    reporter = _parse_column(found, col.get("reporter_name"), _reporter_name)
    phone = _parse_column(found, col.get("reporter_phone"), _reporter_phone)
    _duplicates(found, ids, col["event_id"], str)

    status: list[str | None] = []
    deadlines: list[dt.datetime | None] = []
    for i in range(len(found.table.frame)):
        last = None
        for s in _STAGES:
            t = stamps[s][i]
            if t is None:
                continue
            if last is not None and t < stamps[last][i]:
                found.error(found.at(i), col[s], _time_text(t), f"before {col[last]} "
                            f"({_time_text(stamps[last][i])}): the stages run "
                            + " → ".join(zh for zh, _ in EVENT_STAGES.values()))
            last = s
        status.append(last)
        d = due[i]
        reported = stamps["reported"][i]
        if isinstance(d, dt.timedelta):
            d = reported + d if reported is not None else None
        elif d is not None and reported is not None and d < reported:
            found.error(found.at(i), col["deadline"], _time_text(d),
                        f"before the report ({_time_text(reported)}): expected a later deadline")
        deadlines.append(d)
    try:
        system = crs.named(source_crs)
    except ValueError:
        found.error(None, None, source_crs, "--source-crs WGS84, GCJ02 or BD09")
    found.check()
    lon, lat = crs.points_to_wgs84(lon, lat, system)

    out = pd.DataFrame({
        "event_id": pd.Series(ids, dtype="int64"),
        "grid_code": pd.Series(grid, dtype="str"),
        "township_code": pd.Series([cells[g][0] for g in grid], dtype="str"),
        "district_code": pd.Series([cells[g][1] for g in grid], dtype="str"),
        "category": pd.Series(category, dtype="str"),
        "channel": pd.Series(channel, dtype="str"),
        "department_code": pd.Series(department, dtype="str"),
        "status": pd.Series(status, dtype="str"),
        **{f"{s}_at": _datetimes(stamps[s]) for s in _STAGES},
        "deadline_at": _datetimes(deadlines),
        "returned_count": pd.Series([r or 0 for r in returned], dtype="int8"),
        "satisfaction": pd.Series(rating, dtype=object).astype("Int8"),
        "lon": pd.Series(lon, dtype="float64"),
        "lat": pd.Series(lat, dtype="float64"),
        "reporter_name": pd.Series(reporter, dtype="str"),
        "reporter_phone": pd.Series(phone, dtype="str"),
        "subcategory": pd.Series(subcategory, dtype="str"),
    })
    out.attrs["warnings"] = found.warnings()
    return out
