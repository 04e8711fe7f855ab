"""Reading a key-task supervision ledger (督办台账) as offices keep it in Excel: a title row,
one row per milestone (节点) with the task's cells merged over its milestones, dates written
as people write them (2026年6月底, 2026-06-30, 6月30日前), departments by name."""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from data.load.cells import _Bad, _key, _nfkc
from data.load.columns import _Field, _open_columns
from data.load.table import read_table

_LEDGER_FIELDS = (
    _Field("code", "task code", ("task_code", "任务编号", "工作编号", "督办编号", "事项编号",
                                 "编号")),
    _Field("title", "task (重点工作)", ("task", "title", "title_zh", "重点工作", "工作任务",
                                      "重点任务", "任务名称", "工作内容", "督办事项",
                                      "重点工作任务", "任务"), True),
    _Field("title_en", "English title", ("title_en", "英文名称", "任务英文名称")),
    _Field("lead", "lead department (牵头单位)", ("lead_department", "牵头单位", "牵头部门",
                                                "主办单位", "责任单位"), True),
    _Field("co", "co-operating departments (配合单位)", ("co_departments", "配合单位",
                                                      "配合部门", "协办单位", "协同单位")),
    _Field("leader", "responsible leader (责任领导)", ("leader", "责任领导", "分管领导",
                                                    "牵头领导", "责任人")),
    _Field("district", "district", ("district", "区县", "地区", "所属区县", "实施地区")),
    _Field("start", "start month", ("start", "start_month", "开始时间", "启动时间")),
    _Field("milestone", "milestone (节点)", ("milestone", "节点", "时间节点", "工作节点",
                                           "节点任务", "节点目标", "阶段目标", "里程碑"), True),
    _Field("due", "milestone's due date (完成时限)", ("due", "due_date", "完成时限",
                                                   "节点时间", "计划完成时间", "完成时间",
                                                   "时限要求", "截止时间")),
    _Field("status", "status (状态)", ("status", "状态", "完成状态", "节点状态", "推进状态",
                                      "进展状态")),
    _Field("note", "progress (进展情况)", ("progress", "progress_note", "进展情况", "工作进展",
                                         "推进情况", "完成情况", "进展")),
    _Field("percent", "progress % (完成进度)", ("percent", "完成进度", "进度", "完成比例",
                                              "进度（%）", "完成进度（%）")),
    _Field("month", "month reported (填报月份)", ("month", "填报月份", "报告月份", "月份",
                                                "填报时间")),
)
#: A milestone's status as offices write it -> done (True) or not (False); 滞后 and the like
#: are open milestones flagged behind (``MILESTONE_BEHIND``).
_DONE = {"已完成", "完成", "已办结", "办结", "已验收", "done", "completed", "complete"}
_OPEN = {"未完成", "进行中", "推进中", "正常推进", "按序推进", "序时推进", "有序推进", "正在推进",
         "未开始", "未启动", "待启动", "ontrack", "inprogress", "open", "notstarted"}
_BEHIND = {"滞后", "进度滞后", "延期", "延迟", "风险", "有风险", "逾期", "逾期未完成", "atrisk",
           "behind", "overdue", "late"}
STATUS_EXPECTED = ("not a status: expected 已完成, 推进中 (正常推进, 未开始) or 滞后 (延期, 逾期), "
                   "or leave it empty")
DATE_EXPECTED = ("not a date: expected 2026-06-30, 2026/6/30, 2026年6月30日, 2026年6月底, 6月30日前, "
                 "6月底, 2026年6月 or 年底")
#: Separators between departments in one cell: 、，,；; / and line breaks.
_DEPARTMENT_SPLIT = re.compile(r"[、，,；;/\n]+")
#: The month a progress note is about when it says so: "10月：…", "2026年10月：…".
_NOTE_SPLIT = re.compile(r"\n|[;；]\s*(?=(?:\d{4}\s*年\s*)?\d{1,2}\s*月(?:份)?\s*(?:进展)?\s*[:：])")
_NOTE_MONTH = re.compile(r"^\s*(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月(?:份)?\s*(?:进展)?\s*[:：]\s*")
_DATE = re.compile(
    r"(?:(?P<year>\d{4})\s*[年\-/.]\s*)?(?P<month>\d{1,2})\s*(?:月|(?=[\-/.]\d)|(?=$))"
    r"\s*(?:[\-/.]?\s*(?P<day>\d{1,2})\s*[日号]?|(?P<part>底|末|初|上旬|中旬|下旬))?"
    r"\s*(?:前|之前|以前)?")
_YEAR_END = re.compile(r"(?:(?P<year>\d{4})\s*年\s*)?(?:年底|年末|年内|全年)\s*(?:前|之前)?")
_MONTH_ONLY = re.compile(r"(?P<year>\d{4})\s*[\-/.年]\s*(?P<month>\d{1,2})\s*月?")
_PART_DAY = {"初": 10, "上旬": 10, "中旬": 20}
#: The columns of each frame ``read_ledger`` returns.
TASK_COLUMNS = ("code", "title_zh", "title_en", "lead_department_code", "district_code",
                "leader", "start_month", "due_month")
MILESTONE_COLUMNS = ("task_code", "seq", "name", "due_date", "done", "behind", "status_text")
DEPARTMENT_COLUMNS = ("task_code", "department_code", "role")
PROGRESS_COLUMNS = ("task_code", "period", "progress", "note_zh", "note_en")


def parse_due(text: str, year: int | None) -> dt.date | _Bad | None:
    """Return the date a due-date cell means: 2026年6月底 and 6月 are the month's last day,
    6月30日前 the 30th; a date without a year is in ``year`` (the ledger's)."""
    s = _nfkc(text).strip().replace(" ", "")
    if not s:
        return None
    m = _YEAR_END.fullmatch(s)
    if m:
        y = int(m["year"]) if m["year"] else year
        return dt.date(y, 12, 31) if y else _Bad("a year-end date without a year: write 2026年底")
    m = _DATE.fullmatch(s) or _MONTH_ONLY.fullmatch(s)
    if not m:
        return _Bad(DATE_EXPECTED)
    groups = m.groupdict()
    y = int(groups["year"]) if groups.get("year") else year
    if y is None:
        return _Bad("a date without a year and no year elsewhere in the ledger: write 2026年"
                    + s)
    month = int(groups["month"])
    if not 1 <= month <= 12:
        return _Bad(DATE_EXPECTED)
    last = calendar.monthrange(y, month)[1]
    day = groups.get("day")
    part = groups.get("part")
    if day:
        if not 1 <= int(day) <= last:
            return _Bad(f"no such day: {y}-{month:02d} has {last} days")
        return dt.date(y, month, int(day))
    return dt.date(y, month, _PART_DAY.get(part, last))


def _leading_date(text: str, year: int | None) -> tuple[dt.date | None, str]:
    """A milestone written with its date in front (2026年6月底前完成招标): the date and the
    rest; (None, text) when it does not start with one."""
    s = _nfkc(text).strip()
    for pattern in (_YEAR_END, _DATE):
        m = pattern.match(s.replace(" ", ""))
        if m and m.end() and (m.groupdict().get("month") or pattern is _YEAR_END):
            found = parse_due(m.group(0), year)
            if isinstance(found, dt.date):
                rest = s.replace(" ", "")[m.end():].lstrip("，,：:")
                return found, rest or s
    return None, s


def _status(text: str) -> tuple[bool, bool] | _Bad:
    k = _key(text)
    if k in {_key(w) for w in _DONE}:
        return True, False
    if k in {_key(w) for w in _BEHIND}:
        return False, True
    if k in {_key(w) for w in _OPEN}:
        return False, False
    return _Bad(STATUS_EXPECTED)


def _percent(text: str) -> float | _Bad:
    s = _nfkc(text).strip().rstrip("%").strip()
    try:
        value = float(s)
    except ValueError:
        return _Bad("not a percentage: expected 0 to 100 (like 60 or 60%)")
    if "%" not in text and 0 < value <= 1 and "." in s:
        value *= 100                     # a share Excel shows as a percentage
    if not 0 <= value <= 100:
        return _Bad("not a percentage: expected 0 to 100 (like 60 or 60%)")
    return value


class _Departments:
    """Departments by code or name, as a ledger writes them: 数据局, 市数据局, 赣州市数据局."""

    def __init__(self, departments: Mapping[str, tuple[str, str]], city_names: tuple[str, ...]):
        self.codes = dict(departments)
        self.by_name: dict[str, str] = {}
        for code, (zh, en) in departments.items():
            for name in (code, zh, en):
                if name:
                    self.by_name.setdefault(_key(name), code)
        self.prefixes = sorted({_key(n) for n in city_names if n} | {"市"}, key=len,
                               reverse=True)

    def code(self, text: str) -> str | None:
        k = _key(text)
        if k in self.by_name:
            return self.by_name[k]
        for prefix in self.prefixes:
            if k.startswith(prefix) and k[len(prefix):] in self.by_name:
                return self.by_name[k[len(prefix):]]
            if k.startswith(prefix) and k[len(prefix):].startswith("市"):
                rest = k[len(prefix) + 1:]
                if rest in self.by_name:
                    return self.by_name[rest]
        return None

    def listing(self) -> str:
        names = [zh for zh, _ in self.codes.values()]
        return "the store's departments: " + "、".join(names[:12]) + (
            f" … ({len(names)} in all)" if len(names) > 12 else "")


@dataclass
class _Task:
    row: int
    code: str | None
    title: str
    title_en: str | None
    lead: str | None
    co: list[str] = field(default_factory=list)
    leader: str | None = None
    district: str | None = None
    start: dt.date | None = None
    milestones: list[tuple] = field(default_factory=list)     # (seq, name, due, done, behind, text)
    notes: dict[dt.date, list[str]] = field(default_factory=dict)
    percent: dict[dt.date, float] = field(default_factory=dict)


def read_ledger(path: str | os.PathLike, *, departments: Mapping[str, tuple[str, str]],
                areas: Mapping[str, str], month: dt.date, city: Mapping[str, str] | None = None,
                sheet: str | None = None) -> dict[str, pd.DataFrame]:
    """Return a supervision ledger's tasks, milestones, departments and progress, checked.

    Parameters
    ----------
    path : str or path-like
        A table (Excel with a title row, CSV in UTF-8 or GBK, Parquet), one row per
        milestone: 重点工作 (the task), 牵头单位, 配合单位 (several, split at 、，;), 责任领导,
        区县 (empty or 全市: city-wide), 节点 (the milestone; may start with its date:
        2026年6月底前完成招标), 完成时限 (its due date), 状态 (已完成, 推进中, 滞后 …),
        进展情况 (a progress note; lines starting 10月：… say their month), 完成进度 (%),
        填报月份 and optionally 编号 (the task's code; else KT<year>-<nn> in file order).
        A row with empty task cells continues the task above (merged cells).
    departments : mapping of str to (str, str)
        The store's department codes -> (Chinese, English) names.
    areas : mapping of str to str
        The store's district codes -> Chinese names.
    month : datetime.date
        The month a note or percentage without its own month is about (the store's as-of).
    city : mapping, optional
        The city's code and names: a prefix departments are written with (赣州市数据局), and a
        district cell naming the city is city-wide.
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    dict of DataFrame
        ``tasks`` (TASK_COLUMNS), ``milestones`` (MILESTONE_COLUMNS), ``departments``
        (DEPARTMENT_COLUMNS: role lead or co) and ``progress`` (PROGRESS_COLUMNS), each with
        ``attrs["warnings"]`` on ``tasks``.

    Raises
    ------
    LoadError
        With every problem: missing columns, a task without a lead department, an unknown
        department or district, a milestone without a date or with one that cannot be read,
        an unknown status or percentage, a task code given to two tasks.
    """
    found, col = _open_columns(read_table(path, sheet=sheet), _LEDGER_FIELDS,
                               "not a column of a key-task ledger")
    frame, rows = found.table.frame, found.table.rows
    cells = {name: frame[column].tolist() for name, column in col.items()}
    n = len(frame)
    get = lambda name, i: cells[name][i] if name in cells else None  # noqa: E731
    city_names = tuple((city or {}).get(k, "") for k in ("city_name_zh", "city_name_en"))
    depts = _Departments(departments, city_names)
    area_codes = {_key(c): c for c in areas} | {_key(zh): c for c, zh in areas.items()}
    city_words = {_key(w) for w in (city or {}).values() if w} | {_key("全市"), _key("市本级")}
    # the ledger's year: the one most of its written dates name (the title's year is gone)
    years = Counter(int(y) for name in ("due", "milestone") if name in cells
                    for text in cells[name] if text
                    for y in re.findall(r"(20\d\d)", _nfkc(text)))
    year = years.most_common(1)[0][0] if years else month.year

    tasks: list[_Task] = []
    task_cols = [c for c in ("code", "title", "title_en", "lead", "co", "leader", "district",
                             "start") if c in cells]
    for i in range(n):
        row = rows[i]
        if any(get(c, i) is not None for c in task_cols):
            if get("title", i) is None:
                found.error(row, col["title"], None, "empty: expected the task (重点工作) "
                            "on a row that gives the task's other cells")
                tasks.append(_Task(row, None, "", None, None))
            else:
                tasks.append(_read_task(found, col, get, i, row, depts, area_codes,
                                        city_words, year))
        elif not tasks:
            found.error(row, col["title"], None, "empty: expected the task (重点工作): only "
                        "rows under a task's first row may leave it empty (merged cells)")
            continue
        task = tasks[-1]
        _read_milestone(found, col, get, i, row, task, year)
        _read_progress(found, col, get, i, row, task, month)

    codes = [t.code for t in tasks if t.code]
    seen: dict[str, int] = {}
    for t in tasks:
        if t.code and t.code in seen:
            found.error(t.row, col.get("code"), t.code,
                        f"a duplicate of row {seen[t.code]}: one code per task")
        elif t.code:
            seen[t.code] = t.row
    number = 0
    for t in tasks:
        number += 1
        if t.code is None:
            code = f"KT{year}-{number:02d}"
            while code in codes:
                number += 1
                code = f"KT{year}-{number:02d}"
            t.code = code
    for t in tasks:
        if t.title and not t.milestones:
            found.error(t.row, col["milestone"], None, f"task {t.title} has no milestone: "
                        "expected at least one 节点 with its 完成时限")
    found.check()
    return _frames(tasks, found.warnings(), month)


def _read_task(found, col, get, i, row, depts, area_codes, city_words, year) -> _Task:
    title = " ".join(get("title", i).split())
    code = get("code", i)
    if code is not None:
        code = _nfkc(code).strip()
        if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z_.\-/]{0,39}", code):
            found.error(row, col["code"], code, "not a code: expected up to 40 letters, digits "
                        "or - _ . / without spaces (like KT2026-01)")
            code = None
    task = _Task(row, code, title, get("title_en", i), None, leader=get("leader", i))
    lead = get("lead", i)
    if lead is None:
        found.error(row, col["lead"], None, f"task {title} has no lead department (牵头单位): "
                    "expected one department")
    else:
        names = [p.strip() for p in _DEPARTMENT_SPLIT.split(lead) if p.strip()]
        if len(names) > 1:
            found.error(row, col["lead"], lead, "several lead departments: expected one "
                        "(put the others under 配合单位)")
        else:
            task.lead = depts.code(names[0])
            if task.lead is None:
                found.error(row, col["lead"], lead, "not a department of the store (load "
                            f"departments first): {depts.listing()}")
    for name in _DEPARTMENT_SPLIT.split(get("co", i) or ""):
        name = name.strip()
        if not name:
            continue
        code = depts.code(name)
        if code is None:
            found.error(row, col["co"], name, "not a department of the store (load "
                        f"departments first): {depts.listing()}")
        elif code != task.lead and code not in task.co:
            task.co.append(code)
    district = get("district", i)
    if district is not None and _key(district) not in city_words:
        task.district = area_codes.get(_key(district))
        if task.district is None:
            found.error(row, col["district"], district, "matches no district of the store "
                        "(leave it empty, or write 全市, for a city-wide task)")
    start = get("start", i)
    if start is not None:
        parsed = parse_due(start, year)
        if isinstance(parsed, _Bad):
            found.error(row, col["start"], start, parsed.expected)
        else:
            task.start = parsed.replace(day=1) if parsed else None
    return task


def _read_milestone(found, col, get, i, row, task: _Task, year) -> None:
    name, due_text, status = get("milestone", i), get("due", i), get("status", i)
    if name is None and due_text is None:
        if status is not None:
            found.error(row, col["milestone"], None, "a status without a milestone: expected "
                        "the milestone (节点) it is about")
        return
    due = None
    if due_text is not None:
        parsed = parse_due(due_text, year)
        if isinstance(parsed, _Bad):
            found.error(row, col["due"], due_text, parsed.expected)
            return
        due = parsed
    text = " ".join((name or "").split())
    if name is not None:
        leading, rest = _leading_date(name, year)
        if due is None:
            due, text = leading, (rest if leading else text)
    if due is None:
        found.error(row, col.get("due") or col["milestone"], name,
                    f"a milestone of {task.title} without a date: expected its 完成时限 "
                    "(2026-06-30, 2026年6月底, 6月30日前)")
        return
    done = behind = False
    if status is not None:
        parsed_status = _status(status)
        if isinstance(parsed_status, _Bad):
            found.error(row, col["status"], status, parsed_status.expected)
            return
        done, behind = parsed_status
    task.milestones.append((len(task.milestones) + 1, text or due_text, due, done, behind,
                            status))


def _read_progress(found, col, get, i, row, task: _Task, month: dt.date) -> None:
    at = month
    month_text = get("month", i)
    if month_text is not None:
        parsed = parse_due(month_text, month.year)
        if isinstance(parsed, _Bad):
            found.error(row, col["month"], month_text, "not a month: expected 2026-10 or "
                        "2026年10月")
            return
        at = parsed.replace(day=1)
    note = get("note", i)
    if note is not None:
        for line in _NOTE_SPLIT.split(note):
            line = line.strip()
            if not line:
                continue
            m = _NOTE_MONTH.match(_nfkc(line))
            period = at
            if m:
                y = int(m.group(1)) if m.group(1) else at.year
                if not 1 <= int(m.group(2)) <= 12:
                    found.error(row, col["note"], line, "not a month before the colon: "
                                "expected 10月：…")
                    continue
                period = dt.date(y, int(m.group(2)), 1)
                line = _nfkc(line)[m.end():].strip()
            if line:
                task.notes.setdefault(period, []).append(line)
    percent = get("percent", i)
    if percent is not None:
        parsed = _percent(percent)
        if isinstance(parsed, _Bad):
            found.error(row, col["percent"], percent, parsed.expected)
        else:
            task.percent[at] = max(parsed, task.percent.get(at, 0.0))


def _frames(tasks: list[_Task], warnings, month: dt.date) -> dict[str, pd.DataFrame]:
    task_rows, milestone_rows, dept_rows, progress_rows = [], [], [], []
    for t in tasks:
        dues = [m[2] for m in t.milestones]
        due_month = max(dues).replace(day=1)
        # a ledger is a year's work: a task starts in its year's January unless it says
        start = t.start or min(min(dues).replace(month=1, day=1), due_month)
        start = min(start, due_month)
        task_rows.append((t.code, t.title, t.title_en or t.title, t.lead, t.district,
                          t.leader, start, due_month))
        for seq, name, due, done, behind, text in t.milestones:
            milestone_rows.append((t.code, seq, name, due, done, behind, text))
        dept_rows.append((t.code, t.lead, "lead"))
        dept_rows.extend((t.code, code, "co") for code in t.co)
        # progress: a stated % of the month, else the share of milestones done, for every
        # month the ledger reports on
        months = sorted(set(t.notes) | set(t.percent) | {month})
        share = 100.0 * sum(m[3] for m in t.milestones) / len(t.milestones)
        for period in months:
            pct = t.percent.get(period)
            if pct is None and period == months[-1]:
                pct = share
            # an earlier month's note without a % keeps the progress stored for it
            note = "；".join(t.notes.get(period, [])) or None
            progress_rows.append((t.code, period, pct, note, None))
    out = {"tasks": pd.DataFrame(task_rows, columns=list(TASK_COLUMNS), dtype=object),
           "milestones": pd.DataFrame(milestone_rows, columns=list(MILESTONE_COLUMNS)).astype(
               {"name": object, "status_text": object, "due_date": object}),
           "departments": pd.DataFrame(dept_rows, columns=list(DEPARTMENT_COLUMNS)),
           "progress": pd.DataFrame(progress_rows, columns=list(PROGRESS_COLUMNS),
                                    dtype=object)}
    out["tasks"].attrs["warnings"] = warnings
    return out
