"""The demo city's emergency scene: a few warnings in force or lately lifted at the as-of time
(a red flood warning over Yudu among them: ``PLANTED["flood_warning"]``) and about thirty
emergency resources, a third of them in Yudu."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from data.demo.city import PLANTED, SOURCE, Calendar
from data.demo.geography import _Geography
from data.load.warnings import circle
from data.store import insert

#: Resources per district: Yudu (under the red warning) has most.
_RESOURCES_PER_DISTRICT = {"360731": 9, "360702": 4, "360703": 3, "360730": 3, "360781": 3,
                           "360704": 2, "360732": 2, "360722": 2, "360726": 2}
_KIND_NAMES = {"shelter": ("应急避难场所", "Shelter"), "rescue_team": ("应急救援队", "Rescue Team"),
               "depot": ("应急物资储备点", "Supply Depot")}


def _warning_rows(con, cal: Calendar) -> pd.DataFrame:
    now = cal.now.replace(minute=0, second=0, microsecond=0)
    hours = lambda n: now + dt.timedelta(hours=n)  # noqa: E731
    shapes = {code: (district, shapely.from_wkb(bytes(geom))) for code, district, geom in
              con.execute("SELECT code, code, geom FROM districts UNION ALL SELECT code, "
                          "district_code, geom FROM townships ORDER BY code").fetchall()}
    ningdu_town = min(code for code, (district, _) in shapes.items()
                      if district == "360730" and code != "360730")
    flood = PLANTED["flood_warning"][0]
    zhanggong = shapes["360702"][1].representative_point()
    rows = [
        # (id, kind, level, title, area, point, radius, from, to, issuer)
        ("YJ-FLOOD-001", "flood", 1, "于都县暴雨洪涝红色预警：贡江于都段超警戒水位", flood, None, None,
         hours(-5), hours(43), "赣州市防汛抗旱指挥部办公室"),
        ("YJ-GEO-002", "geohazard", 3, "宁都县地质灾害气象风险黄色预警", ningdu_town, None, None,
         hours(-20), hours(52), "赣州市自然资源局"),
        ("YJ-WX-003", "weather", 4, "章贡区大风蓝色预警", None, zhanggong, 8.0, hours(-3),
         hours(21), "赣州市气象台"),
        ("YJ-FIRE-004", "forest_fire", 3, "瑞金市森林火险黄色预警（已解除）", "360781", None,
         None, hours(-96), hours(-24), "赣州市林业局"),
        ("YJ-SAFE-005", "work_safety", 4, "南康区家具企业安全生产蓝色预警", "360703", None, None,
         hours(-240), None, "赣州市应急管理局"),
    ]
    out = []
    for wid, kind, level, title, area, point, radius, start, end, issuer in rows:
        if area is not None:
            district, geometry = shapes[area]
            inside = geometry.representative_point()
        else:
            district, geometry, inside = "360702", circle(point, radius or 5.0), point
        x0, y0, x1, y1 = geometry.bounds
        out.append({"warning_id": wid, "kind": kind, "level": level, "title": title,
                    "area_code": area, "district_code": district, "lon": inside.x,
                    "lat": inside.y, "radius_km": radius, "valid_from": start,
                    "valid_to": end, "issuer": issuer, "geom": shapely.to_wkb(geometry),
                    "min_lon": x0, "min_lat": y0, "max_lon": x1, "max_lat": y1,
                    "source": SOURCE, "as_of": cal.now})
    return pd.DataFrame(out)


def _resource_rows(geo: _Geography, rng: np.random.Generator, cal: Calendar) -> pd.DataFrame:
    names = dict(zip(geo.districts["code"], geo.districts["name_zh"]))
    names_en = dict(zip(geo.districts["code"], geo.districts["name_en"]))
    kinds = ("shelter", "rescue_team", "depot")
    rows = []
    for district, count in _RESOURCES_PER_DISTRICT.items():
        cells = np.flatnonzero(geo.cells["district_code"].to_numpy() == district)
        # the most populous cells: where a county keeps its shelters and its teams
        top = cells[np.argsort(-geo.cells["population"].to_numpy()[cells])[:count * 3]]
        for n in range(count):
            kind = kinds[n % 3]
            cell = int(rng.choice(top))
            point = int(rng.integers(geo.cell_lon.shape[1]))
            zh, en = _KIND_NAMES[kind]
            number = n // 3 + 1
            rows.append({
                "resource_id": f"ZY-{district}-{n + 1:02d}", "kind": kind,
                "name_zh": f"{names[district]}{zh}{'' if number == 1 else number}",
                "name_en": f"{names_en[district]} {en}{'' if number == 1 else f' {number}'}",
                "district_code": district, "lon": float(geo.cell_lon[cell, point]),
                "lat": float(geo.cell_lat[cell, point]),
                "capacity": int(rng.integers(8, 60)) * 100 if kind == "shelter" else None,
                "headcount": int(rng.integers(3, 13)) * 10 if kind == "rescue_team" else None,
                "source": SOURCE, "as_of": cal.now})
    frame = pd.DataFrame(rows)
    return frame.astype({"capacity": "Int64", "headcount": "Int64"})


def _write_emergency(con, geo: _Geography, rng: np.random.Generator, cal: Calendar) -> None:
    insert(con, "emergency_warnings", _warning_rows(con, cal))
    insert(con, "emergency_resources", _resource_rows(geo, rng, cal))
