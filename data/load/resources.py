"""Reading emergency resources (应急资源): shelters (避难场所) with their capacity, rescue
teams (救援队伍) with their headcount, supply depots (物资储备点), each a point."""

from __future__ import annotations

import os

import pandas as pd
import shapely

from data.emergency import RESOURCE_KINDS
from data.load.cells import _Bad, _degrees, _key, _listing, _whole
from data.load.columns import _duplicates, _Field, _open_columns, _parse_column
from data.load.table import read_table
from geo import crs

_RESOURCE_FIELDS = (
    _Field("resource_id", "resource id", ("resource_id", "id", "code", "编号", "代码",
                                          "资源编号", "资源代码"), True),
    _Field("kind", "kind", ("kind", "type", "类型", "资源类型", "类别"), True),
    _Field("name_zh", "name", ("name_zh", "name", "名称", "资源名称", "中文名称"), True),
    _Field("name_en", "English name", ("name_en", "英文名称", "英文名")),
    _Field("lon", "longitude", ("lon", "lng", "longitude", "经度"), True),
    _Field("lat", "latitude", ("lat", "latitude", "纬度"), True),
    _Field("capacity", "capacity", ("capacity", "容纳人数", "可容纳人数", "容量", "容纳人数(人)")),
    _Field("headcount", "headcount", ("headcount", "人数", "队伍人数", "队员人数", "人员数")),
)
_KIND_WORDS = {**{_key(code): code for code in RESOURCE_KINDS},
               **{_key(zh): code for code, (zh, _) in RESOURCE_KINDS.items()},
               **{_key(en): code for code, (_, en) in RESOURCE_KINDS.items()},
               **{_key(word): code for word, code in (
                   ("应急避难场所", "shelter"), ("避难所", "shelter"), ("rescue team", "rescue_team"),
                   ("救援队", "rescue_team"), ("应急救援队伍", "rescue_team"),
                   ("supply depot", "depot"), ("物资储备库", "depot"), ("储备库", "depot"),
                   ("应急物资储备点", "depot"))}}
KIND_FORMATS = ", ".join(f"{zh} ({code})" for code, (zh, _) in RESOURCE_KINDS.items())
#: The most people one resource may count: more is a unit mix-up or a typing slip.
MOST_PEOPLE = 1_000_000


def read_resources(path: str | os.PathLike, *, districts: dict[str, bytes],
                   sheet: str | None = None, source_crs: str | None = None) -> pd.DataFrame:
    """Return emergency resources for ``emergency_resources`` (without source and as_of).

    Parameters
    ----------
    path : str or path-like
        A table with an id (编号), kind (类型: 避难场所, 救援队伍, 物资储备点), name (名称),
        lon and lat (经度, 纬度), a shelter's capacity (容纳人数) and a rescue team's headcount
        (队伍人数); an English name is optional.
    districts : dict
        district code -> WKB: each resource is filed under the district its point lies in.
    sheet : str, optional
        The sheet of an Excel workbook.
    source_crs : str, optional
        WGS84 (default), GCJ02 or BD09.

    Returns
    -------
    pandas.DataFrame
        resource_id, kind, name_zh, name_en, district_code, lon, lat, capacity (shelters),
        headcount (rescue teams; both nullable integers).

    Raises
    ------
    LoadError
        With every problem: unknown kinds, a shelter without its capacity, a team without
        its headcount, coordinates outside the city, duplicate ids.
    """
    found, col = _open_columns(read_table(path, sheet=sheet), _RESOURCE_FIELDS,
                               "not a column of resources")
    try:
        system = crs.named(source_crs)
    except ValueError:
        found.error(None, None, source_crs, "--source-crs WGS84, GCJ02 or BD09")
        system = "WGS84"

    def text(value: str):
        return value.strip() or None

    def kind(value: str):
        return _KIND_WORDS.get(_key(value)) or _Bad(f"not a resource kind: expected "
                                                    f"{KIND_FORMATS}")

    def people(what: str):
        return lambda value: _whole(value, 0, MOST_PEOPLE, what)

    ids = _parse_column(found, col["resource_id"], text, "empty: expected a resource id")
    _duplicates(found, ids, col["resource_id"], str)
    kinds = _parse_column(found, col["kind"], kind, f"empty: expected {KIND_FORMATS}")
    names = _parse_column(found, col["name_zh"], text, "empty: expected a name")
    names_en = _parse_column(found, col.get("name_en"), text)
    lons = _parse_column(found, col["lon"], _degrees(-180, 180), "empty: expected lon")
    lats = _parse_column(found, col["lat"], _degrees(-90, 90), "empty: expected lat")
    capacity = _parse_column(found, col.get("capacity"), people("a capacity in people"))
    headcount = _parse_column(found, col.get("headcount"), people("a headcount"))
    lons, lats = crs.points_to_wgs84(lons, lats, system)
    shapes = {code: shapely.from_wkb(wkb) for code, wkb in sorted(districts.items())}
    frame = found.table.frame
    district_codes: list[str | None] = []
    for i in range(len(frame)):
        row = found.at(i)
        needs = {"shelter": ("capacity", capacity, "a shelter's capacity (容纳人数)"),
                 "rescue_team": ("headcount", headcount, "a team's headcount (队伍人数)")}
        if kinds[i] in needs:
            field, values, what = needs[kinds[i]]
            if values[i] is None and not (col.get(field) and frame.at[i, col[field]]):
                found.error(row, col.get(field), None, f"empty: expected {what}")
        district = None
        if lons[i] is not None and lats[i] is not None:
            point = shapely.Point(lons[i], lats[i])
            district = next((code for code, area in shapes.items() if area.intersects(point)),
                            None)
            if district is None:
                found.error(row, "lon, lat", f"{frame.at[i, col['lon']]}, "
                            f"{frame.at[i, col['lat']]}", "a point inside the city's districts "
                            f"({_listing(sorted(districts))}), WGS-84 degrees")
        district_codes.append(district)
    found.check()
    out = pd.DataFrame({
        "resource_id": pd.Series(ids, dtype="str"), "kind": pd.Series(kinds, dtype="str"),
        "name_zh": pd.Series(names, dtype="str"),
        "name_en": pd.Series([en or zh for en, zh in zip(names_en, names)], dtype="str"),
        "district_code": pd.Series(district_codes, dtype="str"),
        "lon": pd.Series(lons, dtype="float64"), "lat": pd.Series(lats, dtype="float64"),
        "capacity": pd.Series(capacity, dtype="Int64"),
        "headcount": pd.Series(headcount, dtype="Int64")})
    out.attrs["warnings"] = found.warnings()
    return out
