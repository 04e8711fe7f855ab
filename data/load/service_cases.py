"""Reading government service cases (政务服务办件) as service halls export them: a case per
row with its service, department, district, channel, acceptance and completion times, legal
limit in working days and the applicant's rating (好差评)."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from data.load.cells import (
    _as_datetime,
    _Bad,
    _datetimes,
    _key,
    _nfkc,
    _time_text,
    _timestamp_until,
)
from data.load.columns import _duplicates, _Field, _open_columns, _parse_column
from data.load.key_tasks import _Departments
from data.load.table import read_table
from data.services import (
    CHANNEL_WORDS,
    CHANNELS,
    NOT_APPLICABLE_WORDS,
    NOT_RATED,
    NOT_RECTIFIED_WORDS,
    RATING_WORDS,
    RECTIFIED_WORDS,
    due_dates,
    working_days_taken,
)

SERVICE_CASE_FIELDS = (
    _Field("case_id", "case id (办件编号)", ("case_id", "case", "办件编号", "办件号", "受理编号",
                                          "申办编号", "业务流水号", "流水号", "办件流水号",
                                          "案卷编号"), True),
    _Field("service", "service (事项名称)", ("service", "事项名称", "办理事项", "服务事项",
                                          "政务服务事项", "事项", "业务名称"), True),
    _Field("department", "department (办理部门)", ("department", "department_code",
                                                "办理部门", "受理部门", "承办部门", "实施部门",
                                                "实施主体", "部门", "部门代码"), True),
    _Field("district", "district (区县)", ("district", "district_code", "区县", "所属区县",
                                         "区划代码", "行政区划", "地区", "办理地区",
                                         "区县代码"), True),
    _Field("channel", "channel (办理渠道)", ("channel", "办理渠道", "受理渠道", "申报渠道",
                                          "渠道", "办理方式", "申报方式"), True),
    _Field("accepted", "accepted_at (受理时间)", ("accepted_at", "accepted", "受理时间",
                                               "受理日期"), True),
    _Field("completed", "completed_at (办结时间)", ("completed_at", "completed", "办结时间",
                                                 "办结日期", "完成时间")),
    _Field("limit", "legal limit (法定时限, working days)", (
        "limit_days", "legal_limit", "法定时限", "法定办结时限", "法定时限(工作日)",
        "法定办结时限(工作日)", "时限(工作日)", "办理时限", "办理时限(工作日)"), True),
    _Field("rating", "rating (好差评)", ("rating", "评价", "评价结果", "好差评", "评价等级",
                                      "办件评价", "好差评结果")),
    _Field("rectified", "差评 rectified (整改情况)", ("rectified", "整改", "整改情况",
                                                  "是否整改", "差评整改", "整改状态",
                                                  "差评整改情况")),
)
#: The columns of the frame ``read_service_cases`` returns (``service_cases`` without
#: source and as_of).
CASE_COLUMNS = ("case_id", "service", "department_code", "district_code", "channel",
                "accepted_at", "completed_at", "limit_days", "due_date", "working_days",
                "rating", "rectified")
#: The longest legal limit a case may have (a year of working days).
MAX_LIMIT_DAYS = 260
RATING_EXPECTED = ("not a rating: expected 好评, 中评 or 差评 (or the 好差评 grades 非常满意, "
                   "满意, 基本满意, 不满意, 非常不满意), or leave it empty when not rated")
RECTIFIED_EXPECTED = ("not a rectification: expected 已整改 or 未整改 (是/否), or 无需整改 "
                      "for a case without a 差评")
LIMIT_EXPECTED = (f"not a legal limit: expected working days, a whole number from 0 to "
                  f"{MAX_LIMIT_DAYS} (20, 20个工作日; 0 or 即办 for a case done at once)")
CHANNEL_EXPECTED = ("not a channel: expected " + ", ".join(
    f"{zh} ({'/'.join(CHANNEL_WORDS[code][1:4])})" for code, (zh, _) in CHANNELS.items()))


def _lookup(words: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {_key(w): code for code, ws in words.items() for w in ws}


_CHANNELS = _lookup(CHANNEL_WORDS)
_RATINGS = _lookup(RATING_WORDS)
_NOT_RATED = {_key(w) for w in NOT_RATED}
_YES = {_key(w) for w in RECTIFIED_WORDS}
_NO = {_key(w) for w in NOT_RECTIFIED_WORDS}
_NOT_APPLICABLE = {_key(w) for w in NOT_APPLICABLE_WORDS}


def _limit(text: str) -> int | _Bad:
    t = re.sub(r"\s+", "", _nfkc(text))
    if t in ("即办", "即办件", "当场办结", "立即办结"):
        return 0
    m = re.fullmatch(r"(\d{1,3})(?:\.0+)?(?:个)?(?:工作日|日|天)?", t)
    if not m or int(m.group(1)) > MAX_LIMIT_DAYS:
        return _Bad(LIMIT_EXPECTED)
    return int(m.group(1))


def read_service_cases(path: str | os.PathLike, *, departments: Mapping[str, tuple[str, str]],
                       areas: Mapping[str, tuple[str, str]], as_of: dt.datetime,
                       city: Mapping[str, str] | None = None,
                       sheet: str | None = None) -> pd.DataFrame:
    """Return service cases for ``service_cases`` (without source and as_of), checked.

    Parameters
    ----------
    path : str or path-like
        A table ``read_table`` reads (Excel with a title row and a units row, CSV in UTF-8
        or GBK, Parquet), a case per row: 办件编号 (case id), 事项名称 (service), 办理部门
        (department: code or name, 数据局, 市数据局), 区县 (district: code or name), 办理渠道
        (网上办理, 掌上办理, 窗口办理, 自助终端), 受理时间, 办结时间 (empty while open),
        法定时限 (working days; 0 or 即办 for a case done at once), and optionally 评价
        (好评, 中评, 差评, or the 好差评 grades 非常满意 … 非常不满意) and 整改情况 (已整改 or
        未整改, for a 差评). Times are the centre's local time.
    departments : mapping of str to (str, str)
        The store's department codes -> (Chinese, English) names.
    areas : mapping of str to (str, str)
        The store's district codes -> (Chinese, English) names.
    as_of : datetime.datetime
        The load's time: a time after it is refused.
    city : mapping, optional
        The city's names: a prefix departments may be written with (赣州市行政审批局).
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    pandas.DataFrame
        CASE_COLUMNS: due_date the limit's last working day, working_days those taken (NULL
        while open), rating good/fair/bad or None, rectified for a 差评 (False when not
        said), else None; ``attrs["warnings"]``.

    Raises
    ------
    LoadError
        With every problem: unknown departments, districts or channels, times that do not
        parse or lie after ``as_of``, a completion before the acceptance, a limit that is
        not working days, a rating off the scale, a rectification of a case without a 差评,
        a case id given twice.
    """
    found, col = _open_columns(read_table(path, sheet=sheet), SERVICE_CASE_FIELDS,
                               "not one of the service case columns")
    as_of = _as_datetime(as_of)
    city_names = tuple((city or {}).get(k, "") for k in ("city_name_zh", "city_name_en"))
    depts = _Departments(departments, city_names)
    area_codes = {_key(c): c for c in areas}
    for code, (zh, en) in areas.items():
        area_codes.setdefault(_key(zh), code)
        if en:
            area_codes.setdefault(_key(en), code)
    area_list = "、".join(zh for zh, _ in list(areas.values())[:12]) + (
        f" … ({len(areas)} in all)" if len(areas) > 12 else "")

    def case_id(text: str):
        t = _nfkc(text).strip()
        t = t[:-2] if re.fullmatch(r"\d+\.0", t) else t
        if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z_.\-/]{0,63}", t):
            return _Bad("not a case id: expected up to 64 letters, digits or - _ . / without "
                        "spaces (like 3607022026100001)")
        return t

    def department(text: str):
        return depts.code(text) or _Bad("not a department of the store (load departments "
                                        f"first): {depts.listing()}")

    def district(text: str):
        return area_codes.get(_key(text)) or _Bad(
            f"matches no district of the store: expected a district's code or name "
            f"({area_list})")

    def channel(text: str):
        return _CHANNELS.get(_key(text)) or _Bad(CHANNEL_EXPECTED)

    stamp = _timestamp_until(as_of, "load's time",
                             "a case cannot be accepted or completed in the future")

    def rating(text: str):
        k = _key(text)
        if k in _NOT_RATED:
            return None
        return _RATINGS.get(k) or _Bad(RATING_EXPECTED)

    def rectified(text: str):
        k = _key(text)
        if k in _YES:
            return True
        if k in _NO:
            return False
        if k in _NOT_APPLICABLE:
            return None
        return _Bad(RECTIFIED_EXPECTED)

    ids = _parse_column(found, col["case_id"], case_id, "empty: every case needs its id")
    services = _parse_column(found, col["service"], lambda t: " ".join(t.split()),
                             "empty: expected the service (事项名称)")
    dept = _parse_column(found, col["department"], department,
                         "empty: expected the department that handled the case")
    area = _parse_column(found, col["district"], district, "empty: expected a district")
    chan = _parse_column(found, col["channel"], channel, "empty: expected a channel")
    accepted = _parse_column(found, col["accepted"], stamp, "empty: every case needs its "
                             "acceptance time (受理时间)")
    completed = _parse_column(found, col.get("completed"), stamp)
    limit = _parse_column(found, col["limit"], _limit, "empty: expected the legal limit in "
                          "working days (0 for a case done at once)")
    rated = _parse_column(found, col.get("rating"), rating)
    fixed = _parse_column(found, col.get("rectified"), rectified)
    _duplicates(found, ids, col["case_id"], str)
    for i in range(len(found.table.frame)):
        if completed[i] is not None and accepted[i] is not None and completed[i] < accepted[i]:
            found.error(found.at(i), col["completed"], _time_text(completed[i]),
                        f"before the acceptance ({col['accepted']} "
                        f"{_time_text(accepted[i])}): a case is completed after it is accepted")
        said = found.table.frame[col["rating"]].iloc[i] if "rating" in col else None
        if said is not None and isinstance(rating(said), _Bad):
            continue                    # the rating's own problem is reported
        if fixed[i] is not None and rated[i] != "bad":
            found.error(found.at(i), col["rectified"],
                        found.table.frame[col["rectified"]].iloc[i],
                        "a rectification (整改) of a case without a 差评: only a 差评 is "
                        "rectified (write 无需整改 or leave it empty)")
        elif rated[i] == "bad" and fixed[i] is None:
            raw = found.table.frame[col["rectified"]].iloc[i] if "rectified" in col else None
            if isinstance(raw, str) and _key(raw) in _NOT_APPLICABLE:
                found.error(found.at(i), col["rectified"], raw,
                            "已整改 or 未整改: a 差评 is always followed up, so 无需整改 "
                            "contradicts it")
            fixed[i] = False            # a 差评 without a rectification recorded is open
    found.check()
    accepted_s = _datetimes(accepted)
    completed_s = _datetimes(completed)
    days = accepted_s.to_numpy().astype("datetime64[D]")
    limits = np.array(limit, dtype=np.int64)
    taken = pd.Series(np.where(completed_s.isna(), -1, working_days_taken(
        days, completed_s.fillna(accepted_s).to_numpy().astype("datetime64[D]"))))
    out = pd.DataFrame({
        "case_id": pd.Series(ids, dtype="str"),
        "service": pd.Series(services, dtype="str"),
        "department_code": pd.Series(dept, dtype="str"),
        "district_code": pd.Series(area, dtype="str"),
        "channel": pd.Series(chan, dtype="str"),
        "accepted_at": accepted_s,
        "completed_at": completed_s,
        "limit_days": pd.Series(limits, dtype="int16"),
        "due_date": pd.Series(due_dates(days, limits)).dt.date,
        "working_days": taken.where(taken >= 0).astype("Int16"),
        "rating": pd.Series(rated, dtype=object),
        "rectified": pd.Series(fixed, dtype=object).astype("boolean"),
    })
    out.attrs["warnings"] = found.warnings()
    return out
