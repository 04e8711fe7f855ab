"""Finding a table's columns by the names people give them, and collecting its problems.

Each kind of file has its fields (``_Field``) with the aliases a header may use for them;
``_columns`` matches a header against them, ``_parse_column`` parses a column cell by cell, and
``_Findings`` collects every problem found on the way, sorted and capped, for one ``LoadError``.
The underscored names are shared inside ``data.load`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from typing import TYPE_CHECKING

from data.export import code_header, header
from data.load.cells import _Bad, _key, _split_unit
from data.load.problems import MAX_PROBLEMS, Problem, Problems

if TYPE_CHECKING:
    from data.load.table import Table

# --- column names ---------------------------------------------------------------------------
# Aliases are compared after _key(): NFKC (full-width letters), case-folded, without spaces,
# "_", "-" and ".", so "PM2.5", "pm2_5" and "ＰＭ２５" are one name.
_AREA = ("district_code", "area_code", "code", "地区代码", "区划代码", "行政区划代码", "地区编码",
         "区县代码", "地区", "区县", "县区", "县(市、区)", "县市区", "地区名称", "区县名称",
         "district", "area", "区域")
_INDICATOR = ("indicator", "indicator_code", "指标", "指标代码", "指标名称", "指标编码")
_PERIOD = ("period", "month", "date", "时间", "期别", "月份", "统计期", "统计时间", "年月", "日期",
           "报告期")
_VALUE = ("value", "数值", "值", "指标值", "本期值", "数据", "本期")
_UNIT = ("unit", "单位", "计量单位")
#: Columns people add for themselves (row numbers, remarks): ignored without a warning.
_NOTES = ("序号", "备注", "说明", "note", "notes", "remark", "remarks", "no", "#")


@dataclass(frozen=True)
class _Field:
    """A column of one kind of file: the reader's name for it, its label in messages, the
    header names it goes by, and whether every file of the kind must have it."""

    name: str
    label: str
    aliases: tuple[str, ...]
    required: bool = False
    #: The field whose codes this column holds beside a column of its names (a download's
    #: 区县代码 beside 区县): the codes are read as that field, the names kept as
    #: ``<field>_names``.
    code_of: str | None = None


_INDICATOR_FIELDS = (
    # an office's table often names each area twice: 区划代码 and 名称 (read_indicators checks
    # that they agree)
    _Field("area", "area", (*_AREA, "名称", "单位名称", "name", "area_name", "district_name")),
    _Field("indicator", "indicator", _INDICATOR),
    _Field("period", "period", _PERIOD),
    _Field("value", "value", _VALUE),
    _Field("unit", "unit", _UNIT),
)
_CATALOGUE_FIELDS = (
    _Field("code", "code", ("code", "代码", "指标代码", "编码", "指标编码"), True),
    _Field("name_zh", "Chinese name", ("name_zh", "名称", "指标名称", "中文名称", "指标"), True),
    _Field("name_en", "English name", ("name_en", "英文名称", "英文名", "name")),
    _Field("unit_zh", "unit", ("unit_zh", "单位", "计量单位", "unit"), True),
    _Field("unit_en", "English unit", ("unit_en", "英文单位")),
    _Field("domain", "domain", ("domain", "领域", "板块")),
    _Field("frequency", "frequency", ("frequency", "频率", "频度", "周期")),
    _Field("better", "direction", ("better", "方向", "指标方向", "极性"), True),
    _Field("target", "target", ("target", "目标", "目标值")),
    _Field("alert", "alert threshold", ("alert", "预警", "预警值", "预警线")),
    _Field("space", "space", ("space", "空间汇总", "汇总方式")),
    _Field("time", "time", ("time", "时间汇总", "累计方式")),
    _Field("basis", "basis", ("basis", "口径", "考核口径")),
    _Field("decimals", "decimals", ("decimals", "小数位", "小数位数")),
    _Field("kind", "kind", ("kind", "类型")),
)
#: A targets file: a row per indicator, year and (optionally) district. "code" alone is not a
#: district here: a plan's table calls its indicator codes that as often.
_TARGET_FIELDS = (
    _Field("indicator", "indicator", _INDICATOR, True),
    _Field("year", "year", ("year", "年份", "年度", "年", "目标年份", "目标年度", "考核年度"), True),
    _Field("district", "district", tuple(a for a in _AREA if a != "code")),
    _Field("target", "target", ("target", "目标", "目标值", "年度目标", "目标任务"), True),
    _Field("alert", "alert line", ("alert", "alert_line", "预警", "预警值", "预警线")),
    _Field("unit", "unit", _UNIT),
)
_AIR_FIELDS = (
    _Field("station", "station", ("station_code", "station", "code", "站点", "站点代码", "站点编码",
                                  "监测站", "监测点", "点位", "点位代码", "站号"), True),
    _Field("ts", "time", ("ts", "time", "datetime", "timestamp", "时间", "监测时间", "日期时间",
                          "数据时间"), True),
    _Field("pm25", "PM2.5", ("pm25", "细颗粒物")),
    _Field("pm10", "PM10", ("pm10", "可吸入颗粒物")),
    _Field("so2", "SO2", ("so2", "二氧化硫")),
    _Field("no2", "NO2", ("no2", "二氧化氮")),
    _Field("co", "CO", ("co", "一氧化碳")),
    _Field("o3", "O3", ("o3", "臭氧")),
    _Field("aqi", "AQI", ("aqi", "空气质量指数")),
)
_WATER_FIELDS = (
    _Field("section", "section", ("section_code", "section", "code", "断面", "断面代码", "断面编码",
                                  "断面编号", "监测断面"), True),
    _Field("period", "period", _PERIOD, True),
    _Field("class", "water class", ("class", "water_class", "水质类别", "类别", "水质", "实测类别",
                                    "水质级别"), True),
)
_STAGE_ALIASES = {
    "reported": ("reported_at", "reported", "上报时间"),
    "accepted": ("accepted_at", "accepted", "受理时间"),
    "dispatched": ("dispatched_at", "dispatched", "派遣时间", "派单时间"),
    "handled": ("handled_at", "handled", "处置时间", "办理时间", "处置完成时间"),
    "verified": ("verified_at", "verified", "核查时间", "核实时间"),
    "closed": ("closed_at", "closed", "结案时间", "办结时间"),
}
def _downloaded(column: str) -> tuple[str, ...]:
    """A column's headers in an event download, both languages (data/export.py)."""
    return header(column, "zh"), header(column, "en")


def _downloaded_codes(column: str) -> tuple[str, ...]:
    """The headers of the codes a download writes beside a named column: 区县代码."""
    return code_header(column, "zh"), code_header(column, "en")


#: An event download (/download/events.csv, .xlsx) names each column as the table does, in
#: Chinese or English, and writes the named ones twice, names and codes (类别, 类别代码): those
#: headers are aliases too, so a downloaded file loads and posts back as it is.
_EVENT_FIELDS = (
    _Field("event_id", "event id", ("event_id", "id", "事件编号", "事件id", "编号", "案件编号",
                                    "工单号", *_downloaded("event_id")), True),
    _Field("grid", "grid cell", ("grid_code", "grid", "cell", "网格", "网格编码", "网格代码",
                                 "所属网格", *_downloaded("grid_code")), True),
    _Field("category", "category", ("category", "类别", "事件类别", "事件类型", "事件分类",
                                     "大类", "事件大类", "大类名称", "大类代码",
                                     *_downloaded("category")), True),
    _Field("category_code", "category code", ("category_code", *_downloaded_codes("category")),
           code_of="category"),
    _Field("subcategory", "subcategory", ("subcategory", "小类", "事件小类", "小类名称",
                                           *_downloaded("subcategory"))),
    _Field("subcategory_code", "subcategory code",
           ("subcategory_code", "小类代码", *_downloaded_codes("subcategory")),
           code_of="subcategory"),
    _Field("channel", "channel", ("channel", "来源", "渠道", "上报渠道", "事件来源", "来源渠道",
                                   *_downloaded("channel")), True),
    _Field("channel_code", "channel code", ("channel_code", *_downloaded_codes("channel")),
           code_of="channel"),
    _Field("department", "department", ("department", "部门", "处置部门", "责任部门", "承办部门",
                                         *_downloaded("department_code")), True),
    _Field("department_code", "department code",
           ("department_code", "部门代码", "处置部门代码", *_downloaded_codes("department_code")),
           code_of="department"),
    *(_Field(stage, f"{stage}_at", (*aliases, *_downloaded(f"{stage}_at")), stage == "reported")
      for stage, aliases in _STAGE_ALIASES.items()),
    _Field("deadline", "deadline", ("deadline_at", "deadline", "办理时限", "截止时间", "处置时限",
                                    "期限", *_downloaded("deadline_at")), True),
    _Field("returned", "returned count", ("returned_count", "退回次数", "返工次数",
                                          *_downloaded("returned_count"))),
    _Field("satisfaction", "satisfaction", ("satisfaction", "满意度", "评价", "满意度评分",
                                            *_downloaded("satisfaction"))),
    _Field("lon", "longitude", ("lon", "lng", "longitude", "经度", *_downloaded("lon")), True),
    _Field("lat", "latitude", ("lat", "latitude", "纬度", *_downloaded("lat")), True),
    # derived from the stage times; read so that it is not reported as an unknown column
    _Field("status", "status", ("status", "状态", "事件状态", *_downloaded("status"))),
    _Field("status_code", "status code", ("status_code", *_downloaded_codes("status")),
           code_of="status"),
    # derived from the grid cell, as a download writes them (a downloaded file loads back)
    _Field("district", "district", ("district", "区县名称", *_downloaded("district_code"))),
    _Field("district_code", "district code",
           ("district_code", *_downloaded_codes("district_code")), code_of="district"),
    _Field("township", "township", ("township", "乡镇街道名称", *_downloaded("township_code"))),
    _Field("township_code", "township code",
           ("township_code", *_downloaded_codes("township_code")), code_of="township"),
    # personal data (shown masked to users without clearance)
    _Field("reporter_name", "reporter name", ("reporter_name", "reporter", "上报人", "上报人姓名",
                                              "举报人", "举报人姓名", "反映人", "反映人姓名",
                                              "来电人", "来电人姓名", "联系人", "姓名",
                                              *_downloaded("reporter_name"))),
    _Field("reporter_phone", "reporter phone", ("reporter_phone", "phone", "mobile", "联系电话",
                                                "手机号", "手机号码", "手机", "电话", "联系方式",
                                                "上报人电话", "举报人电话", "来电号码",
                                                *_downloaded("reporter_phone"))),
)


# these kinds' names live here rather than beside their readers because read_table tells a
# header row from title rows by them (places' names are not among them: places.py has its own)
_KNOWN_COLUMNS = frozenset(_key(a) for fields in (_INDICATOR_FIELDS, _CATALOGUE_FIELDS, _AIR_FIELDS,
                                                  _WATER_FIELDS, _EVENT_FIELDS, _TARGET_FIELDS)
                           for f in fields for a in f.aliases)


# --- collecting problems --------------------------------------------------------------------
class _Findings:
    """A file's problems found in any order, reported sorted by row and column, capped.

    Only the first MAX_PROBLEMS (by row) of each level are kept as they come, so a file with
    a million bad rows costs no memory; the rest are counted for "... and N more".
    """

    def __init__(self, table: Table):
        self.table = table
        self._order = {c: i for i, c in enumerate(table.frame.columns)}
        self._seq = count()
        self._found: dict[str, list] = {"error": [], "warning": []}
        self._extra = {"error": 0, "warning": 0}

    def add(self, row: int | None, column: str | None, value, expected: str,
            level: str = "error") -> None:
        found = self._found[level]
        found.append((row or 0, self._order.get(column, -1), next(self._seq),
                      row, column, value, expected))
        if len(found) > 4 * MAX_PROBLEMS:
            found.sort()
            self._extra[level] += len(found) - MAX_PROBLEMS
            del found[MAX_PROBLEMS:]

    @property
    def has_errors(self) -> bool:
        return bool(self._found["error"]) or bool(self._extra["error"])

    def error(self, row, column, value, expected: str) -> None:
        self.add(row, column, value, expected)

    def warn(self, row, column, value, expected: str) -> None:
        self.add(row, column, value, expected, "warning")

    def at(self, i: int) -> int:
        """The file's row number of frame row ``i``."""
        return self.table.rows[i]

    def _problems(self, level: str) -> Problems:
        problems = Problems(self.table.file)
        for *_, row, column, value, expected in sorted(self._found[level]):
            problems.add(row, column, value, expected, level)
        problems.dropped += self._extra[level]
        return problems

    def check(self) -> None:
        """Raise LoadError with every error found so far (warnings alone pass)."""
        if self._found["error"]:
            self._problems("error").check()

    def warnings(self) -> list[Problem]:
        """The warnings, capped like errors, and a last one counting those left out."""
        items = list(self._problems("warning").items)
        # counted here: Problems counts only the errors it leaves out
        more = len(self._found["warning"]) + self._extra["warning"] - len(items)
        if more:
            items.append(Problem(self.table.file, None, None, None,
                                 f"... and {more} more warnings", "warning"))
        return items


def _columns(table: Table, fields: tuple[_Field, ...], found: _Findings,
             several: tuple[str, ...] = ()) -> tuple[dict[str, list[str]], list[str]]:
    """Match the header against the fields' aliases; report missing and doubled columns.

    Returns field name -> its columns (one, or several for a field in ``several``) and the
    columns that matched no field and are not notes.
    """
    lookup: dict[str, str] = {}
    for f in fields:
        for alias in f.aliases:
            lookup.setdefault(_key(alias), f.name)
    notes = {_key(n) for n in _NOTES}
    chosen: dict[str, list[str]] = {}
    others: list[str] = []
    for column in table.frame.columns:
        name = lookup.get(_key(column)) or lookup.get(_key(_split_unit(column)[0]))
        if name is None:
            if _key(column) not in notes:
                others.append(column)
            continue
        if name in chosen and name not in several:
            found.error(table.header_row, column, None, f"a second {name} column beside "
                        f"{chosen[name][0]!r}: keep one")
            continue
        chosen.setdefault(name, []).append(column)
    for f in fields:
        if f.code_of is not None and f.name in chosen:
            # codes beside names (a download's 类别代码 beside 类别): the codes are the field
            names = chosen.pop(f.code_of, None)
            chosen[f.code_of] = chosen.pop(f.name)
            if names is not None:
                chosen[f"{f.code_of}_names"] = names
    for f in fields:
        if f.required and f.name not in chosen:
            found.error(table.header_row, None, None,
                        f"no {f.label} column: expected one of {', '.join(f.aliases)}")
    return chosen, others


def _parse_column(found: _Findings, column: str | None, parse: Callable,
                  required: str | None = None) -> list:
    """Parse a column once per distinct text; report bad cells (and empty ones if required).

    Bad and empty cells become None, so the caller only sees values that parsed.
    """
    frame = found.table.frame
    if column is None:
        return [None] * len(frame)
    cache: dict[str, object] = {}
    out = []
    for i, text in enumerate(frame[column].tolist()):
        value = None
        if text is not None:
            value = cache.get(text, cache)
            if value is cache:
                value = cache[text] = parse(text)
        if isinstance(value, _Bad):
            found.error(found.at(i), column, text, value.expected)
            value = None
        elif value is None and required:
            found.error(found.at(i), column, text, required)
        out.append(value)
    return out


def _open_columns(table: Table, fields: tuple[_Field, ...], ignored: str
                  ) -> tuple[_Findings, dict[str, str]]:
    """Start checking a table: find its columns (field name -> the file's column); columns of
    no field are warned about as ``ignored``; a missing required column stops here."""
    # the caller reads the table: read_table needs this module's names to find a header
    found = _Findings(table)
    cols, others = _columns(table, fields, found)
    _ignored(found, others, ignored)
    found.check()
    return found, {name: columns[0] for name, columns in cols.items()}


def _ignored(found: _Findings, others: list[str], expected: str) -> None:
    for column in others:
        found.warn(found.table.header_row, column, None, f"column ignored: {expected}")


def _duplicates(found: _Findings, keys: list, column: str | None, text: Callable) -> None:
    """Report every row whose key (not None) an earlier row already had, naming that row."""
    first: dict = {}
    for i, key in enumerate(keys):
        if key is None:
            continue
        if key in first:
            found.error(found.at(i), column, text(key),
                        f"a duplicate of row {found.at(first[key])}: give each only once")
        else:
            first[key] = i
