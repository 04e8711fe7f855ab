"""The demo city's grid events: when and where they are reported, by whom, how they move
through their stages, and the planted surge and slow handling."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data import catalog
from data.demo.city import _DEPARTMENTS, DISTRICTS, PLANTED, SOURCE, SPRING_FESTIVAL, Calendar
from data.demo.geography import _Geography
from data.demo.vocabulary import SUBCATEGORIES
from data.store import insert

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
            # from a generator of its own, like the reporters: the other columns stay
            "subcategory": _subcategories(np.random.default_rng([seed, chunk, 11]),
                                          ev["category"]),
        })
        insert(con, "incoming_events", table)
        start += n
        bar.update()


#: Each category's 小类 (data/demo/vocabulary.py) as one dictionary of codes, and per
#: category (rows follow _CATEGORIES) the cumulative probabilities of its 小类, padded with
#: 1.0, and the index of its first 小类 in the dictionary.
_SUB_CODES = pa.array([code for c in _CATEGORIES for code, *_ in SUBCATEGORIES[c]])
_SUB_WIDTH = max(len(SUBCATEGORIES[c]) for c in _CATEGORIES)
_SUB_CDF = np.ones((len(_CATEGORIES), _SUB_WIDTH))
for _i, _c in enumerate(_CATEGORIES):
    _w = np.array([w for *_, w in SUBCATEGORIES[_c]])
    _SUB_CDF[_i, :len(_w)] = np.cumsum(_w / _w.sum())
_SUB_FIRST = np.cumsum([0] + [len(SUBCATEGORIES[c]) for c in _CATEGORIES[:-1]])
_SUB_COUNT = np.array([len(SUBCATEGORIES[c]) for c in _CATEGORIES])


def _subcategories(rng: np.random.Generator, category: np.ndarray) -> pa.Array:
    """Each event's second-level category, drawn by inverse CDF within its category."""
    k = (rng.random(len(category))[:, None] > _SUB_CDF[category]).sum(axis=1)
    k = np.minimum(k, _SUB_COUNT[category] - 1)
    return pa.DictionaryArray.from_arrays(pa.array((_SUB_FIRST[category] + k)
                                                   .astype(np.int32)), _SUB_CODES)


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
