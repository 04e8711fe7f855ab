"""Reading emergency warnings (预警信息): flood, geological hazard, weather, forest fire and
work-safety warnings, each over an area (a district or township, or a polygon) or around a
point, with its level (红/橙/黄/蓝, I–IV), validity and issuing department."""

from __future__ import annotations

import json
import os
from typing import Any

import pandas as pd
import shapely
from shapely.geometry import shape

from data.emergency import DEFAULT_RADIUS_KM, WARNING_KINDS, WARNING_LEVELS
from data.load.cells import (
    TIME_FORMATS,
    _Bad,
    _datetimes,
    _degrees,
    _key,
    _listing,
    _number,
    _timestamp,
)
from data.load.columns import _duplicates, _Field, _open_columns, _parse_column
from data.load.table import read_table
from geo import crs

_WARNING_FIELDS = (
    _Field("warning_id", "warning id", ("warning_id", "id", "预警编号", "编号", "预警id",
                                        "信息编号"), True),
    _Field("kind", "kind", ("kind", "type", "预警类型", "类型", "灾种", "预警种类"), True),
    _Field("level", "level", ("level", "预警级别", "级别", "等级", "预警等级"), True),
    _Field("title", "title", ("title", "标题", "预警标题", "预警内容", "内容")),
    _Field("area", "area", ("area", "area_code", "区域", "预警区域", "影响区域", "地区",
                            "区划代码", "范围")),
    _Field("lon", "longitude", ("lon", "lng", "longitude", "经度")),
    _Field("lat", "latitude", ("lat", "latitude", "纬度")),
    _Field("radius_km", "radius", ("radius_km", "radius", "半径", "影响半径", "半径(km)",
                                   "影响半径(km)")),
    _Field("valid_from", "valid from", ("valid_from", "start", "from", "生效时间", "开始时间",
                                        "发布时间", "起始时间"), True),
    _Field("valid_to", "valid to", ("valid_to", "end", "to", "until", "失效时间", "结束时间",
                                    "解除时间", "截止时间")),
    _Field("issuer", "issuing department", ("issuer", "issued_by", "department", "发布单位",
                                            "发布部门", "发布机构"), True),
)
#: What a level cell may say, after NFKC (Ⅰ is I), case-folding and without 色/级/预警.
_LEVEL_WORDS = {word: number for number, (code, zh, en, roman) in WARNING_LEVELS.items()
                for word in (code, zh[0], en.casefold(), roman.casefold(), str(number),
                             "一二三四"[number - 1])}
LEVEL_FORMATS = "红色, 橙色, 黄色, 蓝色 (red, orange, yellow, blue) or I, II, III, IV (Ⅰ级 …)"
_KIND_WORDS = {**{_key(code): code for code in WARNING_KINDS},
               **{_key(zh): code for code, (zh, _) in WARNING_KINDS.items()},
               **{_key(en): code for code, (_, en) in WARNING_KINDS.items()},
               **{_key(word): code for word, code in (
                   ("洪水", "flood"), ("防汛", "flood"), ("暴雨洪涝", "flood"),
                   ("山洪", "flood"), ("地灾", "geohazard"), ("geological hazard", "geohazard"),
                   ("气象灾害", "weather"), ("森林火灾", "forest_fire"),
                   ("森林防火", "forest_fire"), ("forest fire", "forest_fire"),
                   ("work safety", "work_safety"), ("安全", "work_safety"))}}
KIND_FORMATS = ", ".join(f"{zh} ({code})" for code, (zh, _) in WARNING_KINDS.items())
AREA_FORMATS = ("a district or township code or name, a polygon (WKT POLYGON((lon lat, …)) "
                "or GeoJSON), or lon and lat")


def level_of(text: str) -> int | _Bad:
    """A warning level's number (1 red … 4 blue) from how a file writes it."""
    word = _key(text)
    for noise in ("预警", "级", "色", "warning", "level"):
        word = word.replace(noise, "")
    return _LEVEL_WORDS.get(word) or _Bad(f"not a warning level: expected {LEVEL_FORMATS}")


def _kind(text: str) -> str | _Bad:
    word = _key(text).removesuffix("预警")
    return _KIND_WORDS.get(word) or _Bad(f"not a warning kind: expected {KIND_FORMATS}")


def read_warnings(path: str | os.PathLike, *, areas: dict[str, tuple[str, str, str, bytes]],
                  districts: dict[str, bytes], sheet: str | None = None,
                  source_crs: str | None = None) -> pd.DataFrame:
    """Return warnings for ``emergency_warnings`` (without source and as_of).

    Parameters
    ----------
    path : str or path-like
        A table with a warning id (预警编号), kind (预警类型: 洪涝, 地质灾害, 气象, 森林火险,
        安全生产), level (预警级别: 红色 … 蓝色 or I … IV), valid from (生效时间) and an issuing
        department (发布单位); an area (预警区域: a district or township code or name, or a
        polygon as WKT or GeoJSON) or a point (经度, 纬度, with 影响半径 in km, 5 by
        default); optionally valid to (解除时间; empty: until lifted) and a title.
    areas : dict
        The store's districts and townships: code -> (district code, name_zh, name_en, WKB).
    districts : dict
        district code -> WKB: a polygon or point is filed under the district its
        representative point lies in.
    sheet : str, optional
        The sheet of an Excel workbook.
    source_crs : str, optional
        WGS84 (default), GCJ02 or BD09 for the points and polygons.

    Returns
    -------
    pandas.DataFrame
        warning_id, kind, level (1 red … 4 blue), title, area_code (the district or township
        named, else None), district_code, lon, lat (the point given, or a point inside the
        area), radius_km, valid_from, valid_to, issuer, geom (WKB of the area covered),
        min_lon, min_lat, max_lon, max_lat.

    Raises
    ------
    LoadError
        With every problem: unknown kinds or levels, areas that are no code, name or
        polygon of the city, points outside it, times that are not times, a valid-to not
        after its valid-from, duplicate ids.
    """
    found, col = _open_columns(read_table(path, sheet=sheet), _WARNING_FIELDS,
                               "not a column of warnings")
    try:
        system = crs.named(source_crs)
    except ValueError:
        found.error(None, None, source_crs, "--source-crs WGS84, GCJ02 or BD09")
        system = "WGS84"
    by_name = {_key(name): code for code, (_, zh, en, _) in areas.items() for name in (zh, en)}
    district_shapes = {code: shapely.from_wkb(wkb) for code, wkb in districts.items()}
    area_shapes: dict[str, Any] = {}

    def text(value: str):
        return value.strip() or None

    def when(value: str):
        return _timestamp(value)

    def radius(value: str):
        parsed = _number(value)
        if isinstance(parsed, tuple) and 0 < parsed[0] <= 200 and not parsed[1]:
            return parsed[0]
        return _Bad("not a radius: expected km, more than 0 and at most 200")

    def area(value: str):
        text = value.strip()
        code = text if text in areas else by_name.get(_key(text))
        if code is not None:
            return code
        try:
            geometry = (shape(json.loads(value)) if value.lstrip().startswith("{")
                        else shapely.from_wkt(value))
        except Exception:       # shapely and json raise several kinds for a bad text
            geometry = None
        if geometry is None or geometry.geom_type not in ("Polygon", "MultiPolygon") \
                or geometry.is_empty or not geometry.is_valid:
            return _Bad(f"matches no district or township of the store and is no valid "
                        f"polygon: expected {AREA_FORMATS}")
        if system != "WGS84":
            geometry = shapely.transform(geometry, lambda xy: _to_wgs84(xy, system))
        area_shapes[value] = geometry
        return ("polygon", value)

    ids = _parse_column(found, col["warning_id"], text, "empty: expected a warning id")
    _duplicates(found, ids, col["warning_id"], str)
    kinds = _parse_column(found, col["kind"], _kind, f"empty: expected {KIND_FORMATS}")
    levels = _parse_column(found, col["level"], level_of, f"empty: expected {LEVEL_FORMATS}")
    titles = _parse_column(found, col.get("title"), text)
    where = _parse_column(found, col.get("area"), area)
    lons = _parse_column(found, col.get("lon"), _degrees(-180, 180))
    lats = _parse_column(found, col.get("lat"), _degrees(-90, 90))
    radii = _parse_column(found, col.get("radius_km"), radius)
    starts = _parse_column(found, col["valid_from"], when, f"empty: expected {TIME_FORMATS}")
    ends = _parse_column(found, col.get("valid_to"), when)
    issuers = _parse_column(found, col["issuer"], text,
                            "empty: expected the issuing department (发布单位)")
    lons, lats = crs.points_to_wgs84(lons, lats, system)
    frame = found.table.frame
    out = []
    for i in range(len(frame)):
        row = found.at(i)
        if starts[i] and ends[i] and ends[i] <= starts[i]:
            found.error(row, col.get("valid_to"), frame.at[i, col["valid_to"]],
                        f"not after the valid-from time {starts[i]:%Y-%m-%d %H:%M}: a warning "
                        "ends after it starts")
        given = where[i]
        point = (shapely.Point(lons[i], lats[i]) if lons[i] is not None and lats[i] is not None
                 else None)
        if given is None and point is None:
            cells = {name: frame.at[i, col[name]] for name in ("area", "lon", "lat")
                     if col.get(name) and frame.at[i, col[name]]}
            if not cells:
                found.error(row, col.get("area") or col.get("lon"), None,
                            f"no area and no point: expected {AREA_FORMATS}")
            elif "area" not in cells and (lons[i] is None) != (lats[i] is None):
                missing = "lat" if lats[i] is None else "lon"
                found.error(row, col.get(missing), None, "empty: a point needs both lon "
                            "and lat")
            continue            # otherwise a bad area or coordinate, reported already
        radius_km = radii[i]
        district: str | None
        if isinstance(given, str):
            district, geometry, area_code = areas[given][0], shapely.from_wkb(areas[given][3]), \
                given
        elif given is not None:
            geometry, area_code = area_shapes[given[1]], None
            district = _district_of(geometry.representative_point(), district_shapes)
        else:
            radius_km = radius_km or DEFAULT_RADIUS_KM
            geometry, area_code = circle(point, radius_km), None
            district = _district_of(point, district_shapes)
        if district is None:
            column = col.get("area") if given is not None else col.get("lon")
            found.error(row, column, frame.at[i, column] if column else None,
                        "outside the city's districts: expected an area or a point inside "
                        f"them ({_listing(sorted(districts))})")
            continue
        inside = point if point is not None else geometry.representative_point()
        x0, y0, x1, y1 = geometry.bounds
        out.append({"warning_id": ids[i], "kind": kinds[i], "level": levels[i],
                    "title": titles[i], "area_code": area_code, "district_code": district,
                    "lon": inside.x, "lat": inside.y, "radius_km": radius_km,
                    "valid_from": starts[i], "valid_to": ends[i], "issuer": issuers[i],
                    "geom": shapely.to_wkb(geometry), "min_lon": x0, "min_lat": y0,
                    "max_lon": x1, "max_lat": y1})
    found.check()
    result = pd.DataFrame(out, columns=[
        "warning_id", "kind", "level", "title", "area_code", "district_code", "lon", "lat",
        "radius_km", "valid_from", "valid_to", "issuer", "geom", "min_lon", "min_lat",
        "max_lon", "max_lat"])
    result["valid_from"] = _datetimes(list(result["valid_from"]))
    result["valid_to"] = _datetimes(list(result["valid_to"]))
    result["level"] = result["level"].astype("int8")
    result.attrs["warnings"] = found.warnings()
    return result


def _to_wgs84(xy, system: str):
    import numpy as np
    x, y = crs.convert_points(xy[:, 0], xy[:, 1], system)
    return np.column_stack([x, y])


def _district_of(point, district_shapes: dict) -> str | None:
    for code in sorted(district_shapes):
        if district_shapes[code].intersects(point):
            return code
    return None


def circle(point, radius_km: float):
    """A polygon of ``radius_km`` around a point (degrees of longitude shrink with the
    latitude's cosine; 64 sides are a circle at any zoom the map shows)."""
    import math
    angles = [2 * math.pi * k / 64 for k in range(64)]
    dlat = radius_km / 111.32
    dlon = dlat / max(math.cos(math.radians(point.y)), 0.01)
    return shapely.Polygon([(point.x + dlon * math.cos(a), point.y + dlat * math.sin(a))
                            for a in angles])
