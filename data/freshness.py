"""Freshness: each feed's source, as-of and load time, and whether it is overdue.

A feed is a fact table (air readings, water sections, grid events) or one indicator of
``indicator_values`` (statistics arrive indicator by indicator, from different bureaus). Every
load records the feeds it touched (``record``); the screens and the monthly report ask
``is_stale`` with the store's reference time (the demo's frozen as-of time, else the clock).
"""

from __future__ import annotations

import datetime as dt

from data.catalog import Indicator
from settings import local_now

#: Fact tables with one feed each: (as-of expression, frequency).
FACT_FEEDS = {
    "air_hourly": ("ts", "hourly"),
    "water_quality": ("period", "monthly"),
    "grid_events": ("reported_at", "event"),
    # service halls export their cases month by month
    "service_cases": ("accepted_at", "monthly"),
    # warnings come when there is something to warn of, and a register of resources is
    # renewed once a year: either is as fresh as its last load
    "emergency_warnings": ("as_of", "event"),
    "emergency_resources": ("as_of", "yearly"),
}
#: How old a feed's latest data may be before it is stale. Statistics are published about a
#: month after the month they describe (GDP a quarter): a monthly feed whose latest month is
#: two months or more behind the reference month is late.
MAX_AGE = {"hourly": dt.timedelta(days=2), "daily": dt.timedelta(days=2),
           "event": dt.timedelta(days=2)}
MAX_MONTHS_BEHIND = {"monthly": 2, "quarterly": 5, "yearly": 13}


def feed_of(ind: Indicator) -> str:
    """The feed an indicator's values come from."""
    if ind.kind == "value":
        return f"indicator_values:{ind.code}"
    return {"air": "air_hourly", "water": "water_quality", "events": "grid_events",
            "cases": "service_cases"}[ind.kind]


def is_stale(frequency: str, as_of, reference: dt.datetime) -> bool:
    """True when a feed's latest data (``as_of``) is older than its frequency allows at
    ``reference``; a feed without data is stale."""
    if as_of is None or as_of != as_of:       # None or NaT
        return True
    as_of = as_of if isinstance(as_of, dt.datetime) else dt.datetime.combine(as_of, dt.time())
    if frequency in MAX_MONTHS_BEHIND:
        behind = (reference.year - as_of.year) * 12 + reference.month - as_of.month
        return behind >= MAX_MONTHS_BEHIND[frequency]
    return reference - as_of > MAX_AGE.get(frequency, dt.timedelta(days=2))


def record(con, *, source: str, files: dict[str, str] | None = None,
           loaded_at: dt.datetime | None = None, feeds: list[str] | None = None) -> None:
    """Write the datasets rows of ``feeds`` (all feeds with data when None) from what the
    store holds now. ``files``: feed name -> the file it was loaded from."""
    files = files or {}
    loaded_at = loaded_at or local_now().replace(microsecond=0)
    rows = []
    known = dict(con.execute("SELECT name, as_of FROM datasets").fetchall())
    for table, (column, frequency) in FACT_FEEDS.items():
        if feeds is not None and table not in feeds:
            continue            # a batch of events does not read every air reading again
        # a feed's latest data only moves on: what is at or after the latest recorded is
        # read, which the zone maps narrow to the newest row groups (the maximum of a
        # column a batch has changed is otherwise a scan: 16 ms at 10M events)
        since = known.get(table)
        latest, count = con.execute(
            f"SELECT (SELECT max({column}) FROM {table} WHERE {column} >= ?), "
            f"(SELECT count(*) FROM {table})", [since or dt.datetime.min]).fetchall()[0]
        if count:
            rows.append((table, frequency, latest if latest is not None else since, count))
    # the store's own catalogue: a city's declared indicators have their frequency there
    for code, frequency, as_of, count in con.execute(
            "SELECT v.indicator_code, coalesce(any_value(i.frequency), 'monthly'), "
            "max(v.period), count(*) FROM indicator_values v "
            "LEFT JOIN indicators i ON i.code = v.indicator_code GROUP BY 1").fetchall():
        rows.append((f"indicator_values:{code}", frequency, as_of, count))
    for name, frequency, as_of, count in rows:
        if feeds is not None and name not in feeds:
            continue
        con.execute("INSERT OR REPLACE INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [name, source, files.get(name), frequency, as_of, loaded_at, count])
