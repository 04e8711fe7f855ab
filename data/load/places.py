"""Reading places: air stations, water sections and departments."""

from __future__ import annotations

import os

import pandas as pd

from data.load.cells import CLASS_FORMATS, _Bad, _degrees, _water_class
from data.load.columns import _duplicates, _Field, _open_columns, _parse_column
from data.load.table import read_table
from geo import crs

_CODE = ("code", "代码", "编码", "编号")
_NAME_ZH = ("name_zh", "名称", "中文名称", "name")
_NAME_EN = ("name_en", "英文名称", "英文名")
_LON = ("lon", "lng", "longitude", "经度", "x")
_LAT = ("lat", "latitude", "纬度", "y")
_PLACE_FIELDS = {
    "stations": (_Field("code", "code", _CODE + ("station_code", "站点代码", "站点编码"), True),
                 _Field("name_zh", "name", _NAME_ZH + ("站点名称", "站点"), True),
                 _Field("name_en", "English name", _NAME_EN),
                 _Field("lon", "longitude", _LON, True), _Field("lat", "latitude", _LAT, True)),
    "sections": (_Field("code", "code", _CODE + ("section_code", "断面代码", "断面编码"), True),
                 _Field("name_zh", "name", _NAME_ZH + ("断面名称", "断面"), True),
                 _Field("name_en", "English name", _NAME_EN),
                 _Field("river_zh", "river", ("river", "river_zh", "河流", "所属河流", "水体"),
                        True),
                 _Field("lon", "longitude", _LON, True), _Field("lat", "latitude", _LAT, True),
                 _Field("target_class", "target class", ("target_class", "目标类别", "水质目标",
                                                         "目标水质"), True),
                 _Field("drinking_source", "drinking-water source",
                        ("drinking_source", "饮用水源", "是否饮用水源", "水源地"))),
    "departments": (_Field("code", "code", _CODE + ("部门代码", "单位代码"), True),
                    _Field("name_zh", "name", _NAME_ZH + ("部门名称", "部门", "单位名称"), True),
                    _Field("name_en", "English name", _NAME_EN)),
}
_YES = {"是", "yes", "y", "true", "1", "√"}
_NO = {"否", "no", "n", "false", "0", ""}


def read_places(path: str | os.PathLike, *, kind: str, sheet: str | None = None,
                source_crs: str | None = None) -> pd.DataFrame:
    """Return the rows of a places file: air stations, water sections or departments.

    Parameters
    ----------
    path : str or path-like
        A table with code and name (and English name) columns; stations and sections also
        lon and lat in WGS-84 degrees; sections a river, a target class (Ⅲ, III, 3) and
        whether it is a drinking-water source (是/否).
    kind : "stations", "sections" or "departments"
    sheet : str, optional
        The sheet of an Excel workbook.

    Returns
    -------
    pandas.DataFrame
        The store table's columns that the file gives (stations and sections without their
        district and grid cell, which the caller finds from the point), and ``row``, each
        row's number in the file, for the caller's own messages.

    Raises
    ------
    LoadError
        With every problem: missing columns, empty or duplicate codes, coordinates that are
        not numbers or out of range, unknown classes, unreadable yes/no values.
    """
    if kind not in _PLACE_FIELDS:
        raise ValueError(f"kind must be one of {sorted(_PLACE_FIELDS)}, not {kind!r}")
    found, col = _open_columns(read_table(path, sheet=sheet), _PLACE_FIELDS[kind],
                               f"not a column of {kind}")

    def text(value: str):
        return value

    def yes_no(value: str):
        v = value.strip().casefold()
        return True if v in _YES else False if v in _NO else _Bad("expected 是 or 否 (yes/no)")

    out = {"row": found.table.rows}
    codes = _parse_column(found, col["code"], text, "empty: expected a code")
    _duplicates(found, codes, col["code"], str)
    out["code"] = codes
    out["name_zh"] = _parse_column(found, col["name_zh"], text, "empty: expected a name")
    out["name_en"] = (_parse_column(found, col["name_en"], text) if col.get("name_en")
                      else [None] * len(codes))
    out["name_en"] = [en or zh for en, zh in zip(out["name_en"], out["name_zh"])]
    if kind != "departments":
        out["lon"] = _parse_column(found, col["lon"], _degrees(-180, 180), "empty: expected lon")
        out["lat"] = _parse_column(found, col["lat"], _degrees(-90, 90), "empty: expected lat")
    if kind == "sections":
        out["river_zh"] = _parse_column(found, col["river_zh"], text, "empty: expected a river")
        out["target_class"] = _parse_column(found, col["target_class"], _water_class,
                                            f"empty: expected {CLASS_FORMATS}")
        out["drinking_source"] = (_parse_column(found, col["drinking_source"], yes_no)
                                  if col.get("drinking_source") else [False] * len(codes))
        out["drinking_source"] = [bool(v) for v in out["drinking_source"]]
    try:
        system = crs.named(source_crs)
    except ValueError:
        found.error(None, None, source_crs, "--source-crs WGS84, GCJ02 or BD09")
    found.check()
    if kind != "departments":
        out["lon"], out["lat"] = crs.points_to_wgs84(out["lon"], out["lat"], system)
    frame = pd.DataFrame(out)
    frame.attrs["warnings"] = found.warnings()
    return frame
