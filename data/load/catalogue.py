"""Reading a catalogue file: the indicators a city declares for itself."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import asdict

from data.catalog import INDICATORS, Indicator
from data.load.cells import _Bad, _is_count, _key, _number, _unit_key, _whole
from data.load.columns import _CATALOGUE_FIELDS, _columns, _duplicates, _Findings, _parse_column
from data.load.table import read_table

CODE_RE = re.compile(r"[a-z][a-z0-9_]{1,40}")
_VOCABULARY = {
    "better": {"higher": ("higher", "越高越好", "正向", "高"),
               "lower": ("lower", "越低越好", "逆向", "负向", "低")},
    "frequency": {"monthly": ("monthly", "月", "月度", "每月", "按月"),
                  "quarterly": ("quarterly", "季", "季度", "每季", "按季")},
    "domain": {"economy": ("economy", "经济", "经济运行"),
               "environment": ("environment", "环境", "生态环境", "生态"),
               "grid": ("grid", "网格", "基层治理", "网格治理", "社会治理"),
               "services": ("services", "政务服务", "服务", "政务")},
    "space": {"sum": ("sum", "求和", "合计", "加总"),
              "mean": ("mean", "平均", "均值", "人口加权平均")},
    "time": {"sum": ("sum", "求和", "累计", "合计"), "mean": ("mean", "平均", "均值"),
             "last": ("last", "期末", "最新", "余额")},
    "basis": {"level": ("level", "水平", "绝对值"), "yoy": ("yoy", "同比", "同比增速"),
              "ytd": ("ytd", "累计", "年度累计", "年累计", "累计值")},
}

#: English units of the built-in catalogue by their Chinese unit (declared indicators default).
_UNIT_EN = {i.unit_zh: i.unit_en for i in INDICATORS if i.unit_zh}


def _vocabulary_parser(name: str) -> Callable:
    words = {_key(w): code for code, ws in _VOCABULARY[name].items() for w in ws}
    choices = " | ".join(f"{code} ({ws[1]})" if len(ws) > 1 else code
                         for code, ws in _VOCABULARY[name].items())

    def parse(text: str):
        return words.get(_key(text)) or _Bad(f"expected {choices}")
    return parse


def read_catalogue(path: str | os.PathLike, *, sheet: str | None = None) -> list[Indicator]:
    """Return the indicators a catalogue file declares (monthly statistics only).

    Parameters
    ----------
    path : str or path-like
        A table (any format ``read_table`` reads) with the columns code, name_zh, unit_zh and
        better (required; Chinese headers 代码, 名称, 单位, 方向 work too) and optionally
        name_en, unit_en, domain, frequency (monthly | quarterly), target (目标), alert (预警),
        space (sum | mean), time (sum | mean | last), basis (level | yoy | ytd: the year's
        running total against a yearly target, flows only), decimals.
        Defaults: name_en = name_zh, unit_en = the built-in English of the unit, domain
        economy, frequency monthly, space and time mean for a unit of % (rates) else sum,
        basis level, decimals 0 for counts else 1. A built-in monthly statistic declared
        again (its code) takes what the file leaves empty from the built-in definition.
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    list of Indicator
        With kind "value", in file order.

    Raises
    ------
    LoadError
        With every problem: codes that are not ^[a-z][a-z0-9_]{1,40}$ (they become the
        whitelist's keys), duplicate codes or names, unknown columns or words, thresholds on
        the wrong side of the target, built-in air/water/event codes (those are computed, not
        declared; their targets come from a targets file, ``citybrain load targets``). A
        built-in monthly statistic's code may be declared again: the city's own names,
        units, targets and thresholds then replace the built-in ones.
    """
    table = read_table(path, sheet=sheet)
    found = _Findings(table)
    cols, others = _columns(table, _CATALOGUE_FIELDS, found)
    # an error, not a warning: a misspelt 目标 column would drop every target without a word,
    # and a catalogue has no other way to say so
    for column in others:
        found.error(table.header_row, column, None, "not a catalogue column: expected code, "
                    "name_zh, name_en, unit_zh, unit_en, domain, frequency, better, target, "
                    "alert, space, time, basis, decimals (or 代码, 名称, 单位, 方向, 目标, 预警)")
    found.check()
    col = {name: columns[0] for name, columns in cols.items()}
    builtin = {i.code: i for i in INDICATORS}

    def code(text: str):
        if not CODE_RE.fullmatch(text):
            return _Bad("not a usable code: expected lower-case letters, digits and _ "
                        "(2 to 41 characters, starting with a letter), like grain_output")
        if text in builtin and builtin[text].kind != "value":
            return _Bad(f"a built-in {builtin[text].kind} metric computed by the dashboard: "
                        "only monthly statistics can be declared; choose another code (its "
                        "targets come from a targets file: citybrain load targets)")
        return text

    def plain(text: str):
        return text

    def number(text: str):
        parsed = _number(text)
        return parsed[0] if isinstance(parsed, tuple) else parsed

    def decimals(text: str):
        return _whole(text, 0, 6, "decimals")

    def kind(text: str):
        return "value" if _key(text) in ("value", "统计") else _Bad(
            "only kind value (monthly statistics) can be declared: air, water and event "
            "metrics are computed by the dashboard")

    parsed = {
        "code": _parse_column(found, col.get("code"), code, "empty: every indicator needs a code"),
        "name_zh": _parse_column(found, col.get("name_zh"), plain, "empty: give the Chinese name"),
        "name_en": _parse_column(found, col.get("name_en"), plain),
        "unit_zh": _parse_column(found, col.get("unit_zh"), plain),
        "unit_en": _parse_column(found, col.get("unit_en"), plain),
        "target": _parse_column(found, col.get("target"), number),
        "alert": _parse_column(found, col.get("alert"), number),
        "decimals": _parse_column(found, col.get("decimals"), decimals),
        "better": _parse_column(found, col.get("better"), _vocabulary_parser("better"),
                                "empty: expected higher (越高越好) or lower (越低越好)"),
        **{name: _parse_column(found, col.get(name), _vocabulary_parser(name))
           for name in ("frequency", "domain", "space", "time", "basis")},
    }
    _parse_column(found, col.get("kind"), kind)
    _duplicates(found, parsed["code"], col.get("code"), str)
    _duplicates(found, parsed["name_zh"], col.get("name_zh"), str)
    out = []
    for i in range(len(table.frame)):
        p = {name: values[i] for name, values in parsed.items()}
        target, alert, better = p["target"], p["alert"], p["better"]
        if target is not None and alert is not None and better is not None and (
                (better == "higher" and alert > target) or (better == "lower" and alert < target)):
            side = "below" if better == "higher" else "above"
            found.error(found.at(i), col["alert"], table.frame.at[i, col["alert"]],
                        f"the alert threshold must lie {side} the target ({target:g}) when "
                        f"{better} is better")
        if p["code"] is None or p["name_zh"] is None or better is None:
            continue
        # a built-in code declared again: what the file leaves empty stays the built-in's
        base = builtin.get(p["code"])
        unit = p["unit_zh"] if p["unit_zh"] is not None else (base.unit_zh if base else "")
        rate = _unit_key(unit) == "%"
        counted = _is_count(unit)
        unit_en = p["unit_en"] or (base.unit_en if base and unit == base.unit_zh
                                   else _UNIT_EN.get(unit, unit))
        defaults = (asdict(base) if base else
                    {"name_en": p["name_zh"], "domain": "economy", "frequency": "monthly",
                     "space": "mean" if rate else "sum", "time": "mean" if rate else "sum",
                     "basis": "level", "target": None, "alert": None,
                     "decimals": 0 if counted else 1})
        given = {name: p[name] for name in ("name_en", "domain", "frequency", "space", "time",
                                            "basis", "target", "alert", "decimals")
                 if p[name] is not None}
        if base and ("target" in given) != ("alert" in given):
            # a new target with the built-in's alert line (or the reverse) could put the line
            # on the wrong side: the file's pair, or none of it
            given.setdefault("target", None)
            given.setdefault("alert", None)
        merged = {**{k: defaults[k] for k in ("name_en", "domain", "frequency", "space", "time",
                                              "basis", "target", "alert", "decimals")},
                  **given}
        if merged["basis"] == "ytd" and merged["time"] != "sum":
            # named on the column that says it: the basis, else the time rule that breaks
            # the built-in's running total
            where = col["basis"] if "basis" in col and p["basis"] is not None else col.get("time")
            found.error(found.at(i), where, table.frame.at[i, where] if where else None,
                        "a running total (ytd, 累计) of a flow: time sum (求和), not "
                        f"{merged['time']}")
        out.append(Indicator(code=p["code"], name_zh=p["name_zh"], unit_zh=unit,
                             unit_en=unit_en, kind="value", better=better, **merged))
    found.check()
    return out
