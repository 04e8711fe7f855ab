"""The deterministic demo city: Ganzhou's real counties, generated everything else.

Same seed and same ``now`` give the same store, byte for byte in content. Values are synthetic
but shaped like the real thing: magnitudes of Ganzhou's statistics, seasonality (the Spring
Festival dip, the winter PM2.5 peak, summer ozone), district differences, trends, and a few
planted anomalies for the alerts to find (listed in ``PLANTED`` and in docs/DATA_MODEL.md).

The file is built beside its target and moved into place only when complete, so a reader never
sees half a city and a failed build leaves the old file untouched.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from tqdm import tqdm

from data import aqi, catalog, freshness
from data.store import EVENT_ROLLUP, SCHEMA, connect, insert
from geo.boundaries import load_ganzhou_districts
from geo.tessellate import sample_points, tessellate

SOURCE = "demo-generator"
CITY = {"code": "360700", "name_zh": "赣州市", "name_en": "Ganzhou"}

#: code -> (English name, population in 10k, economic weight per head)
DISTRICTS = {
    "360702": ("Zhanggong", 65, 2.1), "360703": ("Nankang", 85, 1.1),
    "360704": ("Ganxian", 56, 1.0), "360722": ("Xinfeng", 66, 0.9),
    "360723": ("Dayu", 30, 0.9), "360724": ("Shangyou", 27, 0.8),
    "360725": ("Chongyi", 19, 0.85), "360726": ("Anyuan", 34, 0.7),
    "360728": ("Dingnan", 19, 0.95), "360729": ("Quannan", 16, 0.85),
    "360730": ("Ningdu", 75, 0.65), "360731": ("Yudu", 95, 0.75),
    "360732": ("Xingguo", 75, 0.7), "360733": ("Huichang", 43, 0.7),
    "360734": ("Xunwu", 29, 0.75), "360735": ("Shicheng", 28, 0.65),
    "360781": ("Ruijin", 61, 0.85), "360783": ("Longnan", 31, 1.1),
}

#: Spring Festival (春节) dates: activity dips around them.
SPRING_FESTIVAL = [dt.date(2023, 1, 22), dt.date(2024, 2, 10), dt.date(2025, 1, 29),
                   dt.date(2026, 2, 17), dt.date(2027, 2, 6), dt.date(2028, 1, 26)]

#: Anomalies planted on purpose so alerts have something to find (the key tasks planted
#: off track are in PLANTED_KEY_TASKS).
PLANTED = {
    "fai_drop": ("360728", "fixed_asset_investment", "last month's FAI 40% below a year ago"),
    "unemployment": ("360734", "unemployment_rate", "unemployment 6.4% last month"),
    "industry": ("360729", "industrial_va_growth", "industrial VA growth 2.1% last month"),
    "pm25_episode": ("360702", "pm25", "one station at heavy pollution over the last 36 hours"),
    "water": ("360731", "water_good_rate", "one section at class V last month"),
    "slow_handling": ("360726", "on_time_rate", "handling three times slower over 45 days"),
    "event_surge": ("grid", "event_count", "600 appearance events in one cell in 72 hours"),
}
#: Key tasks planted off track: task number (its code is KT<year>-<number>, see
#: ``key_task_code``) -> the status Queries.key_tasks must give it. Overdue ones stall at
#: 60-90% and fall due before the as-of month; at-risk ones trail the linear plan by 25-35
#: points (or sit at 0% while the plan is under that).
PLANTED_KEY_TASKS = {3: "overdue", 8: "overdue", 21: "overdue",
                     2: "at_risk", 15: "at_risk", 23: "at_risk", 25: "at_risk"}

# city-wide annual magnitude (亿元 etc.), annual growth, monthly shape kind
_ECONOMY = {
    "gdp": (4800.0, 0.055, "gdp"),
    "fixed_asset_investment": (2600.0, 0.06, "investment"),
    "retail_sales": (1950.0, 0.065, "retail"),
    "budget_revenue": (320.0, 0.04, "flat"),
    "tax_revenue": (220.0, 0.035, "flat"),
    "new_urban_jobs": (60000.0, 0.02, "flat"),
    "new_market_entities": (120000.0, 0.06, "flat"),
    "electricity": (230.0, 0.06, "electricity"),
    "housing_sales_area": (1300.0, -0.08, "flat"),
    "deposits": (8000.0, 0.085, "stock"),
    "loans": (7500.0, 0.105, "stock"),
    "waste_household": (220.0, 0.03, "flat"),
    "waste_construction": (600.0, -0.02, "flat"),
    "waste_industrial": (900.0, 0.01, "flat"),
    "waste_hazardous": (60000.0, 0.02, "flat"),
    "waste_medical": (9000.0, 0.04, "flat"),
    "self_service_cases": (130000.0, 0.10, "flat"),
    "smart_approval_items": (540.0, 0.20, "stock"),
    "one_thing_items": (510.0, 0.15, "stock"),
}
#: Rates: code -> (level, spread between districts, yearly improvement, ceiling)
_RATES = {
    "unemployment_rate": (5.1, 0.35, 0.0, None),
    "industrial_va_growth": (8.2, 1.5, 0.0, None),
    "dust_pm10": (72.0, 8.0, -2.0, None),
    "noise_day": (53.5, 1.5, -0.2, None),
    "grid_worker_on_duty_rate": (96.5, 1.5, 0.3, 100.0),
    "patrol_coverage_rate": (97.5, 1.2, 0.3, 100.0),
    "hotline_response_rate": (99.2, 0.4, 0.1, 100.0),
    "hotline_resolution_rate": (90.5, 2.5, 0.8, 100.0),
    "hotline_satisfaction_rate": (91.5, 2.5, 0.6, 100.0),
    "one_network_rate": (95.0, 2.5, 2.0, 100.0),
    "e_license_rate": (92.0, 3.0, 1.5, 100.0),
    "mobile_service_rate": (93.5, 2.5, 1.0, 100.0),
    "online_acceptance_rate": (83.0, 5.0, 2.0, 100.0),
    "mobile_enforcement_rate": (90.0, 3.0, 1.5, 100.0),
    "double_random_rate": (98.5, 1.2, 0.5, 100.0),
    "online_tax_rate": (87.0, 3.0, 1.0, 100.0),
    "video_share_rate": (76.0, 8.0, 3.0, 100.0),
    "supervision_connected_rate": (46.0, 8.0, 4.0, 100.0),
    "supervision_shared_rate": (66.0, 8.0, 3.0, 100.0),
}

_DEPARTMENTS = [
    ("D01", "城市管理局", "Urban Management Bureau"), ("D02", "公安局", "Public Security Bureau"),
    ("D03", "应急管理局", "Emergency Management Bureau"),
    ("D04", "生态环境局", "Ecology and Environment Bureau"),
    ("D05", "住房和城乡建设局", "Housing and Construction Bureau"),
    ("D06", "市场监督管理局", "Market Regulation Bureau"), ("D07", "民政局", "Civil Affairs Bureau"),
    ("D08", "人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    ("D09", "司法局", "Justice Bureau"), ("D10", "信访局", "Letters and Visits Bureau"),
    ("D11", "水利局", "Water Resources Bureau"), ("D12", "交通运输局", "Transport Bureau"),
    ("D13", "属地乡镇街道", "Local township office"),
    # lead departments of key tasks only (no grid events are handed to them)
    ("D14", "发展和改革委员会", "Development and Reform Commission"),
    ("D15", "数据局", "Data Bureau"), ("D16", "行政审批局", "Administrative Approval Bureau"),
    ("D17", "工业和信息化局", "Industry and Information Technology Bureau"),
    ("D18", "农业农村局", "Agriculture and Rural Affairs Bureau"),
    ("D19", "商务局", "Commerce Bureau"), ("D20", "自然资源局", "Natural Resources Bureau"),
    ("D21", "政法委员会", "Political and Legal Affairs Commission"),
]
#: Events not handed to a city department stay with the township office.
_LOCAL_DEPARTMENT = "D13"
_CATEGORY_DEPTS = {
    "appearance": ["D01", "D05"], "safety": ["D03", "D05", "D12"], "dispute": ["D09", "D10", "D08"],
    "order": ["D02"], "livelihood": ["D06", "D07", "D08"], "ecology": ["D04", "D11"],
    "other": ["D12", "D01"],
}
_CATEGORIES = list(catalog.EVENT_CATEGORIES)
_CHANNELS = list(catalog.EVENT_SOURCES)
_STAGES = list(catalog.EVENT_STAGES)
_CHANNEL_P = np.array([0.45, 0.25, 0.12, 0.12, 0.06])
#: P(category | channel): rows follow _CHANNELS, columns _CATEGORIES.
_CATEGORY_P = np.array([
    [0.38, 0.20, 0.08, 0.08, 0.12, 0.08, 0.06],   # patrol
    [0.15, 0.08, 0.20, 0.07, 0.35, 0.07, 0.08],   # hotline
    [0.60, 0.12, 0.00, 0.20, 0.00, 0.06, 0.02],   # video AI
    [0.25, 0.12, 0.10, 0.08, 0.30, 0.10, 0.05],   # app
    [0.15, 0.20, 0.15, 0.10, 0.20, 0.15, 0.05],   # hand-over
])
#: P(a named reporter | channel), rows follow _CHANNELS: a patrol event names the cell's grid
#: worker (or no one), hotline and app events the citizen unless they stayed anonymous; video
#: AI and hand-overs have no personal reporter.
_NAMED_P = np.array([0.92, 0.86, 0.0, 0.95, 0.0])
#: Common surnames in order of frequency (weighted ~ 1/(rank + 2)), common given-name
#: characters (one or two of them), and the mobile prefixes of China Mobile, Unicom and
#: Telecom (13x/15x/17x/18x/19x).
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
             "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
             "严覃武戴莫孔向汤赖温古")
_SURNAME_P = 1.0 / (np.arange(len(_SURNAMES)) + 2.0)
_SURNAME_P /= _SURNAME_P.sum()
_GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯健俊帆帅旭宁龙林"
          "欣怡婷雪琳晨阳子涵梓轩博雨萱佳琪思慧颖嘉海波志荣春梅丹峰亮云飞德福金生水清秋燕小东")
_MOBILE_PREFIXES = np.array([130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152,
                             153, 155, 156, 157, 158, 159, 172, 173, 175, 176, 177, 178, 180,
                             181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 193, 195, 196,
                             197, 198, 199], dtype=np.int64)
_HANDLE_HOURS = np.array([10, 14, 40, 8, 28, 30, 20], dtype=float)
_DEADLINE_HOURS = np.array([48, 48, 240, 36, 120, 168, 96], dtype=float)
EVENT_CHUNK = 500_000


@dataclass(frozen=True)
class Calendar:
    """The time frame of a demo city: 24 months up to ``now``'s month."""

    now: dt.datetime

    @property
    def first_month(self) -> dt.date:
        return _add_months(self.now.date().replace(day=1), -23)

    @property
    def last_complete_month(self) -> dt.date:
        return _add_months(self.now.date().replace(day=1), -1)

    def months(self, before: int = 0) -> list[dt.date]:
        """Month starts of the 24 months (and ``before`` extra months ahead of them)."""
        return [_add_months(self.first_month, k) for k in range(-before, 24)]


def _add_months(d: dt.date, k: int) -> dt.date:
    y, m = divmod(d.month - 1 + k, 12)
    return dt.date(d.year + y, m + 1, 1)


def default_now() -> dt.datetime:
    """The current time floored to the hour: the demo city's as-of time."""
    return dt.datetime.now().replace(minute=0, second=0, microsecond=0)


def build_demo(path: str | os.PathLike, events: int = 1_000_000, seed: int = 2260,
               now: dt.datetime | None = None, progress: bool = True) -> Path:
    """Build the demo city into the DuckDB file ``path`` and return the path.

    Parameters
    ----------
    path : target file; replaced atomically when the build succeeds.
    events : number of grid events (1,000,000 by default; 10,000,000 works for benchmarks).
    seed : the generator's seed.
    now : the as-of time (defaults to this hour); fix it for reproducible stores.
    progress : show a progress bar on stderr.
    """
    if events < 1000:
        raise ValueError(f"events must be at least 1000, got {events}")
    now = now or default_now()
    cal = Calendar(now)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".building")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    chunks = -(-events // EVENT_CHUNK)
    bar = tqdm(total=6 + chunks, desc="building demo city", unit="step", disable=not progress)
    con = connect(tmp, read_only=False)
    try:
        con.execute(SCHEMA)
        rng = np.random.default_rng(seed)
        geo = _write_geography(con, rng)
        bar.update()
        write_vocabularies(con)
        _write_economy(con, np.random.default_rng(seed + 1), cal)
        bar.update()
        _write_air(con, geo, np.random.default_rng(seed + 2), cal)
        bar.update()
        _write_water(con, geo, np.random.default_rng(seed + 3), cal)
        tasks, progress = key_tasks(cal, np.random.default_rng(seed + 5))
        insert(con, "key_tasks", tasks)
        insert(con, "key_task_progress", progress)
        bar.update()
        con.execute("CREATE TEMP TABLE incoming_events AS FROM grid_events LIMIT 0")
        # reporters from a generator of their own: every other column stays as it was
        _write_events(con, geo, seed + 4, cal, events, bar, np.random.default_rng([seed, 7]))
        # stored in grid-cell order: a filter on an area's code then reads only its row groups
        # (event_id breaks ties, so the order is the same on every build)
        con.execute("INSERT INTO grid_events SELECT * FROM incoming_events "
                    "ORDER BY grid_code, reported_at, event_id; DROP TABLE incoming_events")
        con.execute(EVENT_ROLLUP)
        bar.update()
        _write_meta(con, cal, seed, events)
        freshness.record(con, source="citybrain-demo/1", loaded_at=cal.now)
        con.execute("CHECKPOINT")
        bar.update()
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    con.close()
    os.replace(tmp, target)
    return target


# --- geography -----------------------------------------------------------------------------

@dataclass
class _Geography:
    districts: pd.DataFrame
    cells: pd.DataFrame            # code, district_code, township_code, population
    cell_lon: np.ndarray           # (cells, POOL) points inside each cell
    cell_lat: np.ndarray
    stations: pd.DataFrame
    sections: pd.DataFrame


def _write_geography(con, rng: np.random.Generator) -> _Geography:
    counties = load_ganzhou_districts()
    towns, cells = tessellate(counties)
    # People cluster around the county seat (taken as the county's inner point) and thin out.
    seat = {c: shapely.point_on_surface(g) for c, g in zip(counties.code, counties.geometry)}
    centroids = shapely.centroid(cells.geometry.values)
    km = shapely.distance(centroids, [seat[d] for d in cells.district_code]) * 105.0
    weight = cells.area_km2.to_numpy() * (0.25 + 6.0 * np.exp(-km / 6.0))
    weight *= rng.lognormal(0, 0.35, len(cells))
    pop_of = {c: DISTRICTS[c][1] * 10_000 for c in DISTRICTS}
    cells["population"] = 0
    for code, idx in cells.groupby("district_code").indices.items():
        share = weight[idx] / weight[idx].sum()
        cells.loc[cells.index[idx], "population"] = np.round(share * pop_of[code]).astype(int)
    towns["population"] = towns.code.map(cells.groupby("township_code").population.sum())

    inner = counties.geometry.representative_point()
    districts = pd.DataFrame({
        "code": counties.code, "name_zh": counties.name,
        "name_en": [DISTRICTS[c][0] for c in counties.code], "parent_code": CITY["code"],
        "population": [pop_of[c] for c in counties.code],
        "area_km2": counties.code.map(cells.groupby("district_code").area_km2.sum()),
        "lon": inner.x, "lat": inner.y, "geom": shapely.to_wkb(counties.geometry.values),
    })
    insert(con, "districts", districts)
    insert(con, "townships", pd.DataFrame({
        "code": towns.code, "name_zh": towns.name,
        "name_en": [f"{DISTRICTS[d][0]} {n}" for d, n in zip(towns.district_code, towns.name_en)],
        "district_code": towns.district_code, "population": towns.population,
        "area_km2": towns.area_km2, "geom": shapely.to_wkb(towns.geometry.values)}))
    insert(con, "grid_cells", pd.DataFrame({
        "code": cells.code, "name_zh": cells.name, "township_code": cells.township_code,
        "district_code": cells.district_code, "h3": cells.h3, "population": cells.population,
        "area_km2": cells.area_km2, "geom": shapely.to_wkb(cells.geometry.values)}))
    insert(con, "departments", pd.DataFrame(_DEPARTMENTS, columns=["code", "name_zh", "name_en"]))

    lon, lat = sample_points(cells.geometry.values, 32, rng)
    cell_frame = pd.DataFrame(cells[["code", "district_code", "township_code", "population"]])
    stations = _place_stations(cell_frame, lon, lat, districts)
    sections = _place_sections(cell_frame, lon, lat, rng)
    insert(con, "stations", stations)
    insert(con, "water_sections", sections)
    return _Geography(districts, cell_frame, lon, lat, stations, sections)


def _place_stations(cells, lon, lat, districts) -> pd.DataFrame:
    """Two stations per county, more in the three urban districts: 42 in all."""
    extra = {"360702": 3, "360703": 2, "360704": 1}
    rows = []
    for d in districts.itertuples():
        idx = np.flatnonzero(cells.district_code.to_numpy() == d.code)
        # the most populous cells: monitoring stations sit where people live
        ranked = idx[np.argsort(-cells.population.to_numpy()[idx])]
        for k in range(2 + extra.get(d.code, 0)):
            ci = ranked[k * 3]
            rows.append({
                "code": f"A{d.code}{k + 1:02d}", "name_zh": f"{d.name_zh}监测站{k + 1}",
                "name_en": f"{d.name_en} station {k + 1}", "district_code": d.code,
                "grid_code": cells.code.iat[ci], "lon": lon[ci, k % lon.shape[1]],
                "lat": lat[ci, k % lat.shape[1]]})
    return pd.DataFrame(rows)


_RIVERS = ["赣江", "贡江", "章江", "桃江", "琴江", "梅江", "平江", "湘水", "濂江", "上犹江",
           "绵江", "寻乌水", "定南水", "东江"]


def _place_sections(cells, lon, lat, rng) -> pd.DataFrame:
    """30 surface-water sections, four of them drinking-water sources."""
    picks = rng.choice(len(cells), 30, replace=False)
    picks[0] = np.flatnonzero(cells.district_code.to_numpy() == PLANTED["water"][0])[0]
    rows = []
    for k, ci in enumerate(picks):
        river = _RIVERS[k % len(_RIVERS)]
        rows.append({
            "code": f"W{k + 1:03d}", "name_zh": f"{river}{k + 1}号断面",
            "name_en": f"Section {k + 1}", "river_zh": river,
            "district_code": cells.district_code.iat[ci], "grid_code": cells.code.iat[ci],
            "lon": lon[ci, 0], "lat": lat[ci, 0], "target_class": 2 if k % 8 == 3 else 3,
            "drinking_source": k % 8 == 3})
    return pd.DataFrame(rows)


def write_vocabularies(con) -> None:
    """Write the catalogue and the event vocabularies (every store has them)."""
    insert(con, "indicators", pd.DataFrame(catalog.BUILT_IN.as_rows()))
    rows = [(vocab, code, zh, en, i)
            for vocab, table in (("category", catalog.EVENT_CATEGORIES),
                                 ("channel", catalog.EVENT_SOURCES),
                                 ("stage", catalog.EVENT_STAGES))
            for i, (code, (zh, en)) in enumerate(table.items())]
    insert(con, "event_vocabulary",
            pd.DataFrame(rows, columns=["vocabulary", "code", "name_zh", "name_en", "ord"]))


# --- economy -------------------------------------------------------------------------------

def _festival_month(month: dt.date) -> bool:
    return any(f.year == month.year and f.month == month.month for f in SPRING_FESTIVAL)


def _month_shape(kind: str, month: dt.date) -> float:
    m = month.month
    if kind == "investment":   # Jan-Feb slow, year-end rush
        return [0.45, 0.5, 0.85, 0.9, 0.95, 1.2, 0.95, 0.95, 1.15, 1.0, 1.1, 1.9][m - 1]
    if kind == "retail":       # festival shopping, summer lull, double-eleven and year end
        return ([1.1, 1.0, 0.95, 0.93, 0.97, 1.0, 0.93, 0.93, 0.98, 1.05, 1.05, 1.11][m - 1]
                * (1.05 if _festival_month(month) else 1.0))
    if kind == "electricity":  # air conditioning in summer, heating in winter
        return [1.05, 0.85, 0.9, 0.88, 0.95, 1.05, 1.2, 1.22, 1.05, 0.92, 0.9, 1.03][m - 1]
    if kind == "gdp":
        return 0.0 if m % 3 else [0.21, 0.24, 0.25, 0.30][m // 3 - 1] * 12 / 3
    return 0.8 if _festival_month(month) else 1.0 + 0.05 * np.sin(m)


def _write_economy(con, rng: np.random.Generator, cal: Calendar) -> None:
    """Monthly statistics per district, from 12 months before the first shown month (so every
    shown month has a year-ago value) to the last complete month."""
    months = cal.months(before=12)
    months = [m for m in months if m <= cal.last_complete_month]
    codes = list(DISTRICTS)
    size = np.array([DISTRICTS[c][1] * DISTRICTS[c][2] for c in codes])
    share = size / size.sum()
    as_of = dt.datetime.combine(cal.now.date().replace(day=15), dt.time(9))
    last = cal.last_complete_month
    rows = []
    for code, (annual, growth, shape) in _ECONOMY.items():
        g_d = growth + rng.normal(0, 0.015, len(codes))
        for k, month in enumerate(months):
            t = (k - len(months) + 1) / 12.0          # years before the last month
            trend = (1 + g_d) ** t
            if shape == "stock":
                value = annual * share * trend * rng.normal(1, 0.004, len(codes))
            else:
                factor = _month_shape(shape, month)
                if factor == 0.0:
                    continue
                value = annual / 12 * share * trend * factor * rng.normal(1, 0.03, len(codes))
            if code == PLANTED["fai_drop"][1] and month == last:
                i = codes.index(PLANTED["fai_drop"][0])
                prior = [r for r in rows if r[1] == code and r[0] == codes[i]
                         and r[2] == _add_months(month, -12)]
                value[i] = prior[0][3] * 0.6
            if catalog.BUILT_IN.get(code).decimals == 0:
                value = np.round(value)
            rows += [(c, code, month, float(v)) for c, v in zip(codes, value)]
    for code, (base, spread, per_year, ceiling) in _RATES.items():
        level = base + rng.normal(0, spread, len(codes))
        for k, month in enumerate(months):
            season = 0.35 if (code == "unemployment_rate" and month.month in (2, 3)) else 0.0
            years_before_last = (len(months) - 1 - k) / 12.0
            value = level + season - per_year * years_before_last + rng.normal(
                0, max(0.1, spread / 10), len(codes))
            if code == "industrial_va_growth":
                value = value + 0.6 * np.sin(month.month / 2)
            if ceiling is not None:
                value = np.minimum(value, ceiling)
            for key in ("unemployment", "industry"):
                d, ind, _ = PLANTED[key]
                if ind == code and month == last:
                    value[codes.index(d)] = 6.4 if key == "unemployment" else 2.1
            rows += [(c, code, month, round(float(v), 2)) for c, v in zip(codes, value)]
    frame = pd.DataFrame(rows, columns=["district_code", "indicator_code", "period", "value"])
    frame["source"] = SOURCE
    frame["as_of"] = as_of
    insert(con, "indicator_values", frame)


# --- environment ---------------------------------------------------------------------------

def _write_air(con, geo: _Geography, rng: np.random.Generator, cal: Calendar) -> None:
    start = pd.Timestamp(cal.first_month)
    hours = pd.date_range(start, pd.Timestamp(cal.now), freq="h")
    n_h, stations = len(hours), geo.stations
    n_s = len(stations)
    doy = hours.day_of_year.to_numpy()
    hod = hours.hour.to_numpy()
    winter = np.cos(2 * np.pi * (doy - 15) / 365.25)           # +1 mid-January, -1 mid-July
    urban = np.where(stations.district_code.isin(["360702", "360703", "360704"]), 1.25, 0.9)
    urban = urban * rng.lognormal(0, 0.08, n_s)
    # a city-wide weather factor (AR(1) over hours) plus each station's own noise
    shock = rng.normal(0, 1, n_h)
    local = rng.normal(0, 1, (n_h, n_s))
    weather = np.empty(n_h)
    station_ar = np.empty((n_h, n_s))
    weather[0], station_ar[0] = 0.0, 0.0
    for h in range(1, n_h):
        weather[h] = 0.985 * weather[h - 1] + 0.17 * shock[h]
        station_ar[h] = 0.9 * station_ar[h - 1] + 0.43 * local[h]
    diurnal = 1 + 0.15 * np.cos(2 * np.pi * (hod - 8) / 24)
    pm25 = ((23 + 12 * winter) * diurnal)[:, None] * urban[None, :] * np.exp(
        0.38 * weather[:, None] + 0.18 * station_ar)
    # planted episode: the first station of one district at heavy pollution for 36 hours
    ep = np.flatnonzero(stations.district_code.to_numpy() == PLANTED["pm25_episode"][0])[0]
    pm25[-36:, ep] = 165 + 10 * np.sin(np.arange(36) / 4)
    pm10 = pm25 * 1.55 * np.exp(0.1 * station_ar)
    so2 = (9 + 3 * winter)[:, None] * np.exp(0.25 * station_ar)
    no2 = ((22 + 6 * winter) * (1 + 0.35 * np.exp(-((hod - 8) % 24) / 2)
                                + 0.35 * np.exp(-((hod - 18) % 24) / 2)))[:, None] \
        * urban[None, :] * np.exp(0.2 * station_ar)
    co = (0.75 + 0.25 * winter)[:, None] * np.exp(0.15 * station_ar)
    sun = np.clip(np.sin(np.pi * (hod - 7) / 11), 0, None)       # daylight 7h-18h
    o3 = ((36 + 28 * (1 - winter)) * (0.3 + 1.0 * sun))[:, None] * np.exp(
        0.25 * weather[:, None] + 0.12 * station_ar)
    hourly_aqi = aqi.hourly_aqi(pm25.ravel(), pm10.ravel(), so2.ravel(), no2.ravel(), co.ravel(),
                                o3.ravel()).reshape(n_h, n_s)

    as_of = pd.Timestamp(cal.now)
    frame = pa.table({
        "station_code": pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.arange(n_s, dtype=np.int32), n_h)),
            pa.array(stations.code.tolist())),
        "ts": pa.array(np.repeat(hours.to_numpy().astype("datetime64[s]"), n_s)),
        **{name: pa.array(arr.ravel().round(1 if name != "co" else 2).astype(np.float32))
           for name, arr in (("pm25", pm25), ("pm10", pm10), ("so2", so2), ("no2", no2),
                             ("co", co), ("o3", o3))},
        "aqi": pa.array(hourly_aqi.ravel().astype(np.int16)),
        "source": pa.array([SOURCE] * (n_h * n_s)).dictionary_encode(),
        "as_of": pa.array(np.full(n_h * n_s, as_of.to_datetime64().astype("datetime64[s]"))),
    })
    insert(con, "air_hourly", frame)

    # Daily values per HJ 633: 24-hour means, and the day's highest 8-hour O3 mean.
    daily = pd.DataFrame({"station_code": np.tile(stations.code.to_numpy(), n_h),
                          "day": np.repeat(hours.normalize().to_numpy(), n_s),
                          "pm25": pm25.ravel(), "pm10": pm10.ravel(), "so2": so2.ravel(),
                          "no2": no2.ravel(), "co": co.ravel()})
    o3_8h = pd.DataFrame(o3).rolling(8, min_periods=6).mean().to_numpy()
    daily["o3_8h"] = o3_8h.ravel()
    daily = daily.groupby(["station_code", "day"], as_index=False).agg(
        pm25=("pm25", "mean"), pm10=("pm10", "mean"), so2=("so2", "mean"), no2=("no2", "mean"),
        co=("co", "mean"), o3_8h=("o3_8h", "max"))
    daily["aqi"] = aqi.daily_aqi(daily.pm25, daily.pm10, daily.so2, daily.no2, daily.co,
                                 daily.o3_8h).astype(np.int16)
    daily["level"] = aqi.level_index(daily.aqi).astype(np.int8)
    daily["district_code"] = daily.station_code.map(
        dict(zip(stations.code, stations.district_code)))
    for col in ("pm25", "pm10", "so2", "no2", "o3_8h"):
        daily[col] = daily[col].round(1)
    daily["co"] = daily["co"].round(2)
    daily["source"] = SOURCE
    daily["as_of"] = as_of
    daily["day"] = daily["day"].dt.date
    insert(con, "air_daily", daily)


def _write_water(con, geo: _Geography, rng: np.random.Generator, cal: Calendar) -> None:
    sections = geo.sections
    months = [m for m in cal.months() if m <= cal.last_complete_month]
    base = np.where(sections.drinking_source, 2, rng.choice([2, 2, 3, 3, 3], len(sections)))
    rows = []
    for month in months:
        wet = month.month in (5, 6, 7, 8)       # flood season washes more in
        cls = base + (rng.random(len(sections)) < (0.08 if wet else 0.03))
        cls = np.where(sections.drinking_source, np.minimum(cls, 3), cls)
        if month == cal.last_complete_month:
            cls[0] = 5
        rows += [(c, d, month, int(k)) for c, d, k in
                 zip(sections.code, sections.district_code, np.clip(cls, 1, 6))]
    frame = pd.DataFrame(rows, columns=["section_code", "district_code", "period", "class"])
    frame["source"] = SOURCE
    frame["as_of"] = dt.datetime.combine(cal.now.date().replace(day=10), dt.time(9))
    insert(con, "water_quality", frame)


# --- key tasks (重点工作督办) -----------------------------------------------------------------

#: The year's key tasks, numbered in this order: (title_zh, title_en, lead department,
#: district or None for city-wide, start month, due month), months of the as-of year.
_KEY_TASKS = [
    # digital government
    ("推进“一网通办”事项全覆盖", "Bring every service onto one-network handling",
     "D16", None, 1, 6),
    ("建设城市运行管理中心", "Build the city operations management centre", "D15", None, 2, 12),
    ("高频事项电子证照应用率达到95%", "Use electronic licences in 95% of high-frequency services",
     "D16", None, 1, 9),
    ("“掌上办”事项占比达到95%", "Make 95% of services doable on a phone", "D15", None, 3, 10),
    ("政务数据共享交换平台升级", "Upgrade the government data-sharing and exchange platform",
     "D15", None, 1, 7),
    ("公共视频资源接入市级平台共享率达到80%", "Share 80% of public video with the city platform",
     "D02", None, 3, 11),
    ("12345政务服务便民热线归并优化", "Merge and streamline the 12345 service hotlines",
     "D16", None, 2, 8),
    ("非现场监管资源接入率达到50%", "Connect 50% of non-site supervision resources",
     "D06", None, 2, 8),
    # grid governance and public safety
    ("网格化服务管理“多网合一”", "Merge every grid into one for service and management",
     "D21", None, 1, 6),
    ("城市管理掌上执法率达到90%", "Mobile law enforcement in 90% of urban-management cases",
     "D01", None, 3, 10),
    ("“双随机、一公开”监管全覆盖", "Double-random, one-public inspections everywhere",
     "D06", None, 1, 12),
    ("中心城区老旧小区改造开工200个", "Start renovating 200 old residential compounds",
     "D05", "360702", 3, 11),
    ("安全生产专项整治", "Work-safety special rectification", "D03", None, 1, 12),
    ("防汛抗旱指挥调度系统建设", "Build the flood and drought command system", "D11", None, 1, 5),
    # economy
    ("赣南脐橙产业数字化", "Digitalise the Gannan navel-orange industry", "D18", "360722", 2, 11),
    ("中国稀金谷稀土新材料产业链招商", "Rare-earth materials investment at China Rare Earth Valley",
     "D17", "360702", 1, 12),
    ("南康家具产业智能制造升级", "Smart manufacturing for the Nankang furniture industry",
     "D17", "360703", 2, 10),
    ("赣州国际陆港扩能提升", "Expand the Ganzhou International Inland Port", "D19", "360703", 3, 12),
    ("企业开办一个工作日内办结", "Open a business within one working day", "D14", None, 1, 6),
    ("省市重点项目完成年度投资计划", "Complete the year's investment plan for key projects",
     "D14", None, 1, 12),
    ("新建5G基站3000个", "Build 3,000 new 5G base stations", "D17", None, 1, 9),
    ("龙南经开区电子信息产业集群建设", "Grow the Longnan electronic-information cluster",
     "D17", "360783", 2, 12),
    # ecology
    ("章江水环境综合治理", "Clean up the Zhang River", "D04", "360702", 2, 12),
    ("贡江国考断面水质稳定达标", "Keep the Gong River's national sections at standard",
     "D04", "360731", 1, 12),
    ("稀土矿山生态修复", "Restore abandoned rare-earth mines", "D20", "360728", 3, 12),
    ("中心城区雨污分流管网改造", "Separate storm and foul sewers in the central city",
     "D05", None, 4, 12),
    ("生活垃圾分类示范片区建设", "Build household waste-sorting demonstration areas",
     "D01", None, 3, 10),
    ("东江源水土保持综合治理", "Soil and water conservation at the Dongjiang source",
     "D11", "360734", 3, 11),
]

#: Progress notes (zh, en) by the progress reached: (below this %, note).
_PROGRESS_NOTES = [
    (1, "开展前期准备", "Preparatory work"),
    (30, "实施方案印发，启动建设", "Plan issued, work started"),
    (70, "按计划推进实施", "Work under way"),
    (100, "主体工作完成，推进收尾", "Main work done, finishing"),
    (101, "已完成并通过验收", "Completed and accepted"),
]
_NOTE_OVERDUE = ("逾期未完成，已发督办函", "Overdue: supervision letter issued")
_NOTE_BEHIND = ("进度滞后，已提醒牵头单位", "Behind plan: lead department reminded")


def key_task_code(year: int, number: int) -> str:
    """Return the code of the year's key task ``number`` (1-based): KT2026-03."""
    return f"KT{year}-{number:02d}"


def key_tasks(cal: Calendar, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the as-of year's key tasks and their monthly cumulative progress (whole %,
    one row per month from the start month to the as-of month), ready for ``key_tasks``
    and ``key_task_progress``.

    Most tasks follow their plan closely and reach 100% at or a month before the due month;
    the ones in PLANTED_KEY_TASKS stall (overdue) or trail the plan (at risk). Early in the
    year a planted task's months move so the plant holds whenever the city is built: an
    overdue task falls due the month before the as-of month, an at-risk one has been running
    for at least three months and is not yet due (either may then start in the year before).
    """
    now_month = cal.now.date().replace(day=1)
    year = now_month.year
    tasks, progress = [], []
    for number, (zh, en, dept, district, first, due) in enumerate(_KEY_TASKS, start=1):
        code = key_task_code(year, number)
        start, end = dt.date(year, first, 1), dt.date(year, due, 1)
        planted = PLANTED_KEY_TASKS.get(number)
        if planted == "overdue" and end >= now_month:
            end = _add_months(now_month, -1)
            start = min(start, _add_months(end, -3))
        elif planted == "at_risk":
            end = max(end, now_month)
            start = min(start, _add_months(now_month, -2))
        tasks.append({"code": code, "title_zh": zh, "title_en": en,
                      "lead_department_code": dept, "district_code": district,
                      "start_month": start, "due_month": end})
        total = _months_between(start, end) + 1
        n = _months_between(start, now_month) + 1     # months reported so far
        if n <= 0:
            continue
        months = np.arange(1, n + 1)
        pct = _progress_path(rng, months, total, planted)
        plan = 100.0 * months / total
        for k, p in zip(months, pct):
            period = _add_months(start, int(k) - 1)
            note = next((zh_, en_) for limit, zh_, en_ in _PROGRESS_NOTES if p < limit)
            if p < 100 and period > end:
                note = _NOTE_OVERDUE
            elif p < plan[k - 1] - 20:
                note = _NOTE_BEHIND
            progress.append({"task_code": code, "period": period, "progress": float(p),
                             "note_zh": note[0], "note_en": note[1]})
    as_of = pd.Timestamp(cal.now)
    tasks = pd.DataFrame(tasks).assign(source=SOURCE, as_of=as_of)
    return tasks, pd.DataFrame(progress)


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _progress_path(rng: np.random.Generator, months: np.ndarray, total: int,
                   planted: str | None) -> np.ndarray:
    """Cumulative whole-% progress after each of ``months`` (1 = the start month) of a task
    planned over ``total`` months: monotone, 0..100."""
    plan = 100.0 * months / total
    if planted == "at_risk":
        # trail the plan by 25-35 points at the as-of month, having started slowly
        target = max(0.0, plan[-1] - rng.uniform(25, 35))
        path = target * (months / months[-1]) ** rng.uniform(1.0, 1.4)
        return np.maximum.accumulate(np.floor(path))
    if planted == "overdue":
        # on plan, then stuck at 60-90% from some month on
        stall = np.floor(rng.uniform(60, 90))
        return np.minimum(np.floor(plan), stall)
    # finish at the due month (or, one in four, a month early); a little noise, never far
    # behind the plan
    finish = max(1, total - int(rng.random() < 0.25))
    path = 100.0 * np.minimum(months / finish, 1.0) ** rng.uniform(0.85, 1.2)
    path = np.round(path + rng.normal(0, 1.5, len(months)))
    path = np.clip(np.maximum(path, np.ceil(plan - 10)), 0, 99)
    path = np.maximum.accumulate(path)
    return np.where(months >= finish, 100.0, path)


# --- grid events ---------------------------------------------------------------------------

def _day_weights(cal: Calendar) -> tuple[pd.DatetimeIndex, np.ndarray]:
    days = pd.date_range(pd.Timestamp(cal.first_month), pd.Timestamp(cal.now.date()), freq="D")
    t = np.arange(len(days)) / 365.0
    w = (1 + 0.12 * t) * (1 + 0.12 * np.sin(2 * np.pi * (days.day_of_year.to_numpy() - 100) / 365))
    w *= np.where(days.day_of_week.to_numpy() >= 5, 0.72, 1.0)
    for f in SPRING_FESTIVAL:
        gap = np.abs((days - pd.Timestamp(f)).days.to_numpy())
        w *= np.where(gap <= 7, 0.45 + 0.05 * gap, 1.0)
    # today only up to now
    w[-1] *= cal.now.hour / 24
    return days, w / w.sum()


_HOUR_P = np.array([1, 0.6, 0.4, 0.4, 0.5, 0.8, 1.5, 3, 5.5, 7, 7.5, 7, 5.5, 5.5, 7, 7.5, 7,
                    6, 4.5, 3.5, 3, 2.5, 2, 1.5])
_HOUR_P = _HOUR_P / _HOUR_P.sum()


def _write_events(con, geo: _Geography, seed: int, cal: Calendar, total: int, bar,
                  people: np.random.Generator) -> None:
    days, day_p = _day_weights(cal)
    cells = geo.cells
    cell_p = cells.population.to_numpy(dtype=float) + 50.0
    cell_p /= cell_p.sum()
    district_codes = sorted(DISTRICTS)
    district_of_cell = np.searchsorted(district_codes, cells.district_code.to_numpy())
    # each district handles at its own pace
    pace = np.random.default_rng(seed).lognormal(0, 0.15, len(district_codes))
    surge_cell = int(np.argmax(cells.population.to_numpy()))
    dict_cells = pa.array(cells.code.tolist())
    dict_towns = pa.array(cells.township_code.tolist())
    dict_dists = pa.array(district_codes)
    # one grid worker per cell, then the citizens who report (one per four events, at most
    # a million: some report again and again)
    names, phones = _people(people, len(cells) + min(max(1000, total // 4), 1_000_000))
    start = 0
    for chunk in range(-(-total // EVENT_CHUNK)):
        n = min(EVENT_CHUNK, total - start)
        rng = np.random.default_rng([seed, chunk])
        ev = _simulate_events(rng, n, days, day_p, cell_p, district_of_cell, pace, cal)
        if chunk == 0:
            _plant_surge(ev, surge_cell, cal, rng)
        _plant_slow_handling(ev, district_of_cell, district_codes, cal)
        _close_at_now(ev, cal)
        n = len(ev["cell"])
        pick = rng.integers(0, geo.cell_lon.shape[1], n)
        who = _reporters(people, ev["channel"], ev["cell"], len(cells), len(names))
        table = pa.table({
            "event_id": pa.array(np.arange(start, start + n, dtype=np.int64) + 1),
            "grid_code": pa.DictionaryArray.from_arrays(pa.array(ev["cell"].astype(np.int32)),
                                                        dict_cells),
            "township_code": pa.DictionaryArray.from_arrays(
                pa.array(ev["cell"].astype(np.int32)), dict_towns),
            "district_code": pa.DictionaryArray.from_arrays(
                pa.array(district_of_cell[ev["cell"]].astype(np.int32)), dict_dists),
            "category": _labels(ev["category"], _CATEGORIES),
            "channel": _labels(ev["channel"], _CHANNELS),
            "department_code": _labels(ev["department"], [d[0] for d in _DEPARTMENTS]),
            "status": _labels(ev["status"], _STAGES),
            **{f"{stage}_at": _timestamps(ev[stage]) for stage in _STAGES},
            "deadline_at": _timestamps(ev["deadline"]),
            "returned_count": pa.array(ev["returns"].astype(np.int8)),
            "satisfaction": pa.array(ev["satisfaction"], mask=ev["satisfaction"] == 0,
                                     type=pa.int8()),
            "lon": pa.array(geo.cell_lon[ev["cell"], pick]),
            "lat": pa.array(geo.cell_lat[ev["cell"], pick]),
            "source": _labels(np.zeros(n, dtype=np.int32), [SOURCE]),
            "as_of": _timestamps(np.full(n, np.datetime64(cal.now, "s"))),
            "reporter_name": names.take(who),
            "reporter_phone": phones.take(who),
        })
        insert(con, "incoming_events", table)
        start += n
        bar.update()


def _people(rng: np.random.Generator, k: int) -> tuple[pa.Array, pa.Array]:
    """Names (a surname and one or two given characters) and distinct 11-digit mobile
    numbers of ``k`` made-up people."""
    surname = rng.choice(len(_SURNAMES), k, p=_SURNAME_P)
    given = rng.integers(0, len(_GIVEN), (2, k))
    given[1] = np.where(rng.random(k) < 0.3, len(_GIVEN), given[1])     # the "" after _GIVEN
    chars = pa.array([*_GIVEN, ""])
    names = pc.binary_join_element_wise(pa.array(list(_SURNAMES)).take(surname),
                                        chars.take(given[0]), chars.take(given[1]), "")
    # a few spare numbers, so that those drawn twice can be dropped (np.unique is slow here)
    spare = k + k // 1000 + 10
    drawn = np.sort(_MOBILE_PREFIXES[rng.integers(0, len(_MOBILE_PREFIXES), spare)]
                    * 100_000_000 + rng.integers(0, 100_000_000, spare))
    distinct = drawn[np.r_[True, drawn[1:] != drawn[:-1]]]
    phones = pa.array(rng.permutation(distinct)[:k]).cast(pa.string())
    return names, phones


def _reporters(rng: np.random.Generator, channel: np.ndarray, cell: np.ndarray, cells: int,
               people: int) -> pa.Array:
    """Each event's reporter, an index into ``_people`` (null for none): a patrol event's
    is its cell's grid worker (the first ``cells`` people), a citizen's is one of the others."""
    n = len(channel)
    named = rng.random(n) < _NAMED_P[channel]
    citizen = rng.integers(cells, people, n)
    who = np.where(channel == _CHANNELS.index("patrol"), cell, citizen)
    return pa.array(who.astype(np.int64), mask=~named)


def _labels(index: np.ndarray, names: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), pa.array(names))


def _timestamps(values: np.ndarray) -> pa.Array:
    values = values.astype("datetime64[s]")
    return pa.array(values, mask=np.isnat(values), type=pa.timestamp("s"))


def _hours(h: np.ndarray) -> np.ndarray:
    return (h * 3600).astype("timedelta64[s]")


def _simulate_events(rng, n, days, day_p, cell_p, district_of_cell, pace, cal) -> dict:
    day = rng.choice(len(days), n, p=day_p)
    reported = (days.to_numpy()[day].astype("datetime64[s]")
                + (rng.choice(24, n, p=_HOUR_P) * 3600 + rng.integers(0, 3600, n))
                .astype("timedelta64[s]"))
    # today's events happen before now
    now = np.datetime64(cal.now, "s")
    late = reported > now
    reported[late] = now - (rng.uniform(60, 3600 * max(cal.now.hour, 1), late.sum())
                            .astype("timedelta64[s]"))
    channel = rng.choice(len(_CHANNELS), n, p=_CHANNEL_P)
    # category given channel, by inverse CDF per row
    cdf = np.cumsum(_CATEGORY_P, axis=1)[channel]
    category = (rng.random(n)[:, None] > cdf).sum(axis=1).clip(0, len(_CATEGORIES) - 1)
    cell = rng.choice(len(cell_p), n, p=cell_p)
    return _life_cycle(rng, reported, channel, category, cell, district_of_cell, pace)


def _life_cycle(rng, reported, channel, category, cell, district_of_cell, pace) -> dict:
    n = len(reported)
    speed = pace[district_of_cell[cell]]
    handle_median = _HANDLE_HOURS[category] * speed
    returns = rng.choice(3, n, p=[0.92, 0.065, 0.015])
    handle = rng.lognormal(np.log(handle_median), 0.7)
    handle += returns * rng.lognormal(np.log(0.6 * handle_median), 0.6)
    steps = {
        "reported": np.zeros(n),
        "accepted": rng.lognormal(np.log(0.5), 0.8, n),
        "dispatched": rng.lognormal(np.log(1.0), 0.8, n),
        "handled": handle,
        "verified": rng.lognormal(np.log(3.0), 0.7, n),
        "closed": rng.lognormal(np.log(1.5), 0.7, n),
    }
    ev = {"cell": cell, "channel": channel, "category": category, "returns": returns,
          "deadline": reported + _hours(_DEADLINE_HOURS[category])}
    elapsed = np.zeros(n)
    for stage, step in steps.items():
        elapsed = elapsed + step
        ev[stage] = reported + _hours(elapsed)
    # a small backlog never gets past dispatch or handling
    stuck = rng.random(n) < 0.008
    for stage in ("handled", "verified", "closed"):
        ev[stage] = np.where(stuck, np.datetime64("NaT"), ev[stage])
    depts = np.array([_CATEGORY_DEPTS[_CATEGORIES[c]] for c in range(len(_CATEGORIES))],
                     dtype=object)
    local = rng.random(n) < 0.3
    choice = rng.integers(0, 3, n)
    dept_codes = [d[0] for d in _DEPARTMENTS]
    ev["department"] = np.where(
        local, dept_codes.index(_LOCAL_DEPARTMENT),
        [dept_codes.index(depts[c][k % len(depts[c])]) for c, k in zip(category, choice)])
    ev["rated_draw"] = rng.random(n)
    ev["score_draw"] = rng.random(n)
    return ev


def _plant_surge(ev: dict, cell: int, cal: Calendar, rng) -> None:
    """600 city-appearance events in one cell over the last 72 hours, from video AI."""
    k = 600
    now = np.datetime64(cal.now, "s")
    reported = now - _hours(rng.uniform(1, 72, k))
    extra = _life_cycle(rng, reported, np.full(k, _CHANNELS.index("video_ai")),
                        np.full(k, _CATEGORIES.index("appearance")), np.full(k, cell),
                        np.zeros(cell + 1, dtype=int), np.ones(1))
    for key in ev:
        ev[key] = np.concatenate([ev[key], extra[key]])


def _plant_slow_handling(ev: dict, district_of_cell: np.ndarray, district_codes: list[str],
                         cal: Calendar) -> None:
    """One district handles three times slower for the last 45 days: on-time rate falls."""
    slow = district_codes.index(PLANTED["slow_handling"][0])
    since = np.datetime64(cal.now - dt.timedelta(days=45), "s")
    mask = (district_of_cell[ev["cell"]] == slow) & (ev["reported"] >= since)
    for stage in ("handled", "verified", "closed"):
        stretched = ev["reported"] + (ev[stage] - ev["reported"]) * 3
        ev[stage] = np.where(mask, stretched, ev[stage])


def _close_at_now(ev: dict, cal: Calendar) -> None:
    """Drop the stages that lie after ``now``, then derive status and satisfaction."""
    now = np.datetime64(cal.now, "s")
    status = np.zeros(len(ev["cell"]), dtype=np.int8)
    for i, stage in enumerate(_STAGES):
        ev[stage] = np.where(ev[stage] <= now, ev[stage], np.datetime64("NaT"))
        status = np.where(~np.isnat(ev[stage]), i, status)
    ev["status"] = status
    closed = ~np.isnat(ev["closed"])
    late = closed & (ev["closed"] > ev["deadline"])
    rate = np.where(np.isin(ev["channel"], [_CHANNELS.index("hotline"), _CHANNELS.index("app")]),
                    0.75, 0.2)
    rated = closed & (ev.pop("rated_draw") < rate)
    draw = ev.pop("score_draw")
    on_time_cdf = np.array([0.02, 0.05, 0.12, 0.38])      # P(score <= 1..4)
    late_cdf = np.array([0.10, 0.20, 0.35, 0.65])
    cdf = np.where(late[:, None], late_cdf[None, :], on_time_cdf[None, :])
    score = 1 + (draw[:, None] > cdf).sum(axis=1)
    ev["satisfaction"] = np.where(rated, score, 0).astype(np.int8)


def _write_meta(con, cal: Calendar, seed: int, events: int) -> None:
    center = con.execute("SELECT avg(lon), avg(lat) FROM districts").fetchall()[0]
    meta = {
        "city_code": CITY["code"], "city_name_zh": CITY["name_zh"],
        "city_name_en": CITY["name_en"], "is_demo": "true", "crs": "EPSG:4326",
        "as_of": cal.now.isoformat(timespec="minutes"), "seed": str(seed),
        "events": str(events), "built_at": dt.datetime.now().isoformat(timespec="seconds"),
        "center_lon": f"{center[0]:.5f}", "center_lat": f"{center[1]:.5f}",
        "first_month": cal.first_month.isoformat(),
        "last_complete_month": cal.last_complete_month.isoformat(),
        "generator": "citybrain-demo/1",
    }
    insert(con, "meta", pd.DataFrame(list(meta.items()), columns=["key", "value"]))
