"""The demo city's government service cases (政务服务办件): a few thousand over its 24 months,
across the services people most often come for, each handled by its department in the
applicant's district, with its legal limit, how long it took and the applicant's rating."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from data.demo.city import DISTRICTS, SOURCE, Calendar
from data.services import due_dates

#: The services: (name, department, legal limit in working days, share of cases, how late
#: its department tends to be: the share of cases past the limit).
_SERVICES = [
    ("企业开办", "D06", 3, 0.10, 0.01),
    ("个体工商户设立登记", "D06", 3, 0.08, 0.01),
    ("食品经营许可", "D06", 10, 0.05, 0.02),
    ("不动产登记", "D20", 5, 0.12, 0.07),
    ("社会保障卡申领", "D08", 10, 0.09, 0.01),
    ("职工退休审批", "D08", 20, 0.04, 0.02),
    ("失业保险金申领", "D08", 10, 0.04, 0.01),
    ("婚姻登记", "D07", 0, 0.06, 0.0),
    ("最低生活保障审批", "D07", 30, 0.03, 0.04),
    ("建筑工程施工许可", "D16", 7, 0.04, 0.03),
    ("企业投资项目备案", "D16", 3, 0.04, 0.02),
    ("户口迁移", "D02", 20, 0.07, 0.01),
    ("居民身份证换领", "D02", 30, 0.08, 0.0),
    ("道路运输经营许可", "D12", 20, 0.03, 0.03),
    ("商品房预售许可", "D05", 10, 0.02, 0.05),
    ("取水许可", "D11", 20, 0.01, 0.04),
]
#: Channels' shares at the start and the end of the 24 months: online and on a phone grow.
_CHANNELS = ("online", "mobile", "window", "kiosk")
_SHARE_FIRST = np.array([0.46, 0.12, 0.36, 0.06])
_SHARE_LAST = np.array([0.58, 0.22, 0.14, 0.06])
#: Of the cases rated (about 60%): 好评, 中评, 差评; a late case draws 差评 far more often.
_RATED = 0.6
_RATINGS = np.array([0.935, 0.05, 0.015])
_RATINGS_LATE = np.array([0.55, 0.2, 0.25])
#: A 差评 is rectified (差评整改) within about 15 working days, nearly always.
_RECTIFIED = 0.9


def case_count(events: int) -> int:
    """How many cases a demo city of ``events`` grid events has: a few thousand at the
    default scale (a million events), 800 for a small test city."""
    return int(np.clip(events // 300, 800, 5000))


def service_cases(cal: Calendar, rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Return ``n`` service cases accepted over the city's 24 months, ready for
    ``service_cases``; the ones not yet completed by ``cal.now`` are open."""
    now = cal.now
    first = dt.datetime.combine(cal.first_month, dt.time())
    span = (now - first).total_seconds()
    # acceptance: spread over the months, on working days mostly (halls open on Saturday
    # mornings; online cases come any day), in office hours
    at = first + pd.to_timedelta(np.sort(rng.uniform(0, span, n)), unit="s")
    frac = (at - first).total_seconds().to_numpy() / span
    shares = _SHARE_FIRST[None, :] * (1 - frac[:, None]) + _SHARE_LAST[None, :] * frac[:, None]
    channel = np.array([rng.choice(4, p=p / p.sum()) for p in shares])
    day = at.normalize()
    weekend = day.day_of_week.to_numpy() >= 5
    in_person = np.isin(channel, (2, 3))
    # a counter's weekend case moves to Monday (a few stay: Saturday mornings)
    move = weekend & in_person & (rng.random(n) < 0.85)
    day = day + pd.to_timedelta(np.where(move, 7 - day.day_of_week.to_numpy(), 0), unit="D")
    minutes = np.where(in_person, rng.integers(8 * 60 + 30, 17 * 60 + 30, n),
                       rng.integers(7 * 60, 23 * 60, n))
    accepted = (day + pd.to_timedelta(minutes, unit="m")).to_numpy()
    accepted = np.minimum(accepted, np.datetime64(now - dt.timedelta(minutes=5)))

    weights = np.array([s[3] for s in _SERVICES])
    service = rng.choice(len(_SERVICES), n, p=weights / weights.sum())
    limit = np.array([_SERVICES[s][2] for s in service])
    late_p = np.array([_SERVICES[s][4] for s in service])
    codes = sorted(DISTRICTS)
    pop = np.array([DISTRICTS[c][1] for c in codes], dtype=float)
    district = np.array(codes)[rng.choice(len(codes), n, p=pop / pop.sum())]
    # 南康区's real-estate registry is short of staff: twice as often late
    late_p = np.where((district == "360703") & (service == 3), late_p * 3, late_p)

    # working days taken: most cases well within the limit; a few past it by 1-5 days
    late = rng.random(n) < late_p
    share = np.clip(rng.beta(2.0, 3.5, n), 0, 1)
    taken = np.where(late, limit + rng.integers(1, 6, n), np.floor(share * (limit + 1)))
    taken = np.where(limit == 0, np.where(late, 1, 0), taken).astype(np.int64)
    accepted_day = accepted.astype("datetime64[D]")
    done_day = np.busday_offset(accepted_day, taken, roll="backward")
    done_day = np.where(taken == 0, accepted_day, done_day)
    done_minutes = np.where(taken == 0, 0, rng.integers(9 * 60, 17 * 60 + 30, n))
    completed = (done_day.astype("datetime64[m]") + done_minutes.astype("timedelta64[m]"))
    # the same day: some minutes to a few hours after acceptance
    same_day = accepted.astype("datetime64[m]") + rng.integers(10, 180, n).astype(
        "timedelta64[m]")
    completed = np.where(taken == 0, same_day, completed)
    completed = np.maximum(completed, accepted.astype("datetime64[m]") + np.timedelta64(5, "m"))
    open_ = completed > np.datetime64(now)

    rated = (~open_) & (rng.random(n) < _RATED)
    rating_of = np.where(late, 1, 0)
    draws = rng.random(n)
    cuts = np.cumsum(np.stack([_RATINGS, _RATINGS_LATE])[rating_of], axis=1)
    kind = (draws[:, None] > cuts).sum(axis=1).clip(0, 2)
    rating = np.where(rated, np.array(["good", "fair", "bad"])[kind], None)
    # rectified once about 15 working days have passed, and then nearly always
    since = np.busday_count(done_day, np.datetime64(now.date()))
    rectified = np.where(rating == "bad",
                         (rng.random(n) < _RECTIFIED) & (since >= 10 + rng.integers(0, 10, n)),
                         None)

    accepted_ts = pd.Series(accepted).astype("datetime64[us]")
    completed_ts = pd.Series(completed).astype("datetime64[us]").where(~open_)
    working = np.busday_count(accepted_day + np.timedelta64(1, "D"),
                              done_day + np.timedelta64(1, "D"))
    ids = [f"{d}{a:%Y%m%d}{i:05d}" for i, (d, a) in enumerate(
        zip(district, pd.to_datetime(accepted_ts)), start=1)]
    return pd.DataFrame({
        "case_id": ids,
        "service": [_SERVICES[s][0] for s in service],
        "department_code": [_SERVICES[s][1] for s in service],
        "district_code": district,
        "channel": np.array(_CHANNELS)[channel],
        "accepted_at": accepted_ts,
        "completed_at": completed_ts,
        "limit_days": limit.astype("int16"),
        "due_date": pd.Series(due_dates(accepted_day, limit)).dt.date,
        "working_days": pd.Series(working, dtype="Int16").where(~open_),
        "rating": pd.Series(rating, dtype=object),
        "rectified": pd.Series(rectified, dtype=object).astype("boolean"),
        "source": SOURCE,
        "as_of": now,
    })
