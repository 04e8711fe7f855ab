"""What every domain of the query layer stands on: the reader's scope, the store, the
memoisation, and the choice between the raw events and their rollups.

``Queries`` (data/queries/__init__.py) is one class composed of a mixin per domain; each
mixin subclasses ``QueryBase``. The mixins find areas through ``DimensionQueries``' helpers
on ``self`` (``_scope``, ``_where``, ``_below_districts``, ...), so they only work composed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Self

from data.cache import memoise
from data.catalog import Catalogue
from data.store import VERSION_PARTS, Store

#: The query code's own version: a hash of the source of the modules its answers depend on.
CODE_VERSION = hashlib.sha256(b"".join(
    path.read_bytes() for path in sorted(
        [*Path(__file__).parent.glob("*.py"),
         *(Path(__file__).parents[1] / name for name in ("catalog.py", "store.py"))])
)).hexdigest()[:12]

#: The city (None), one area's code, or a selection of codes of one level (a map lasso).
Area = str | tuple[str, ...] | None
#: What a memoised method reads, beyond the places and reference data every answer may
#: read (the store's "base"): parts of data/store.VERSION_PARTS (the feeds written in place,
#: "as_of" for the store's as-of time), or a function of the call's arguments giving them
#: (None: the whole store).
Reads = tuple[str, ...] | Callable[..., tuple[str, ...] | None]


@dataclass(frozen=True)
class Scope:
    """What one user's queries may return: the districts (empty: the whole city) and
    whether reporters' names and phone numbers are shown in clear.

    A scoped ``Queries`` knows only its districts: its dimension tables hold nothing else,
    so every area code outside them is unknown, and "the city" means its districts. Rows of
    other districts cannot come back from any method (tests/test_access.py calls them all).
    """
    districts: frozenset[str] = frozenset()
    personal_data: bool = True

    @property
    def key(self) -> str:
        """A stable text for cache keys, the same in every worker process."""
        text = json.dumps([sorted(self.districts), self.personal_data])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


#: Everything: the CLI, the demo build, tests, and apps without login.
FULL = Scope()

# --- the raw events or a rollup ---

#: The raw events, one row per event, stored by month, then grid cell (data/demo).
RAW_EVENTS = "grid_events"
#: The per-cell daily sums: what answers below the districts when a question needs no column
#: the area rollup lacks.
AREA_ROLLUP = "event_area_daily"
#: The daily rollups keyed by district (data/store.py EVENT_ROLLUP): the only tables
#: ``_event_source`` writes into SQL for district and city scope.
DISTRICT_ROLLUPS = frozenset({"event_daily", "event_district_daily", "event_department_daily",
                              "event_handling_daily", "event_deadline_daily"})


@dataclass(frozen=True)
class EventSource:
    """Where an event question reads: the table, and its rows of one area and report days
    as ``FROM ... WHERE ...`` with the parameters."""
    table: str
    from_where: str
    params: list

    @property
    def raw(self) -> bool:
        """True for the raw events: columns the rollups precompute must be computed."""
        return self.table == RAW_EVENTS

    @property
    def count(self) -> str:
        """The SQL counting events: a raw row is one event, a rollup row holds n."""
        return "count(*)" if self.raw else "sum(n)::BIGINT"

    @property
    def report_time(self) -> str:
        """The column holding when an event was reported (a rollup keeps its day)."""
        return "reported_at" if self.raw else "day"


def day_bounds(start: str, end: str) -> list[dt.date]:
    """[start, end] as dates, for the rollups' day column."""
    return [dt.date.fromisoformat(start), dt.date.fromisoformat(end)]


def reported_on_days(start: str, end: str) -> tuple[str, list[dt.datetime]]:
    """The grid_events condition for events reported on the days [start, end]: a half-open
    range of timestamps, compared without casting every row to a date."""
    first, last = day_bounds(start, end)
    return ("reported_at >= ? AND reported_at < ?",
            [dt.datetime.combine(first, dt.time()),
             dt.datetime.combine(last + dt.timedelta(days=1), dt.time())])


class QueryBase:
    """The store, the reader's scope and the memoisation every domain mixin shares."""

    #: Methods memoised in the cache (all take only hashable arguments). Each domain lists
    #: its own; ``Queries`` joins them, and memoised keys are named after it.
    CACHED: tuple[str, ...] = ()
    #: What each memoised method reads (``Reads``): its answers are keyed on those parts'
    #: versions only, so a batch of events leaves an answer over air cached. A method not
    #: named here is keyed on the whole store's version, which every write moves. Naming
    #: too little serves stale answers (tests/test_feed_cache.py checks every method named).
    READS: dict[str, Reads] = {}

    def __init__(self, store: Store, cache=None, scope: Scope = FULL):
        self.store, self.scope = store, scope
        if cache is not None:
            owner = next(klass for klass in type(self).__mro__ if "CACHED" in vars(klass))
            for name in self.CACHED:
                setattr(self, name, memoise(cache, f"{owner.__qualname__}.{name}",
                                            getattr(self, name), self._caching_id_of(name)))

    @property
    def catalogue(self) -> Catalogue:
        """The indicators this store knows (the built-in ones and the city's own)."""
        return self.store.catalogue

    def _caching_id(self, parts: tuple[str, ...] | None = None) -> str:
        # memoised answers are keyed by this: every write to the store (a new file or a
        # batch written in place) of what they read (``parts``; None: anything) means new
        # keys, a scope answers "the city" with its own districts, and a deploy of other
        # query code does not read the old code's answers from a Redis that outlived it
        if parts is None:
            version = self.store.version
        else:
            versions = self.store.part_versions        # one read: one write's versions
            version = ",".join(f"{part}={versions[part]}"
                               for part in ("base", *sorted(set(parts) - {"base"})))
        return (f"{CODE_VERSION}:{version}"
                + ("" if self.scope == FULL else f"_{self.scope.key}"))

    def _caching_id_of(self, name: str) -> Callable[..., str]:
        """The caching id of one memoised method's calls, from what it reads (READS)."""
        reads = self.READS.get(name)
        if reads is None:
            return lambda *args, **kwargs: self._caching_id()
        if callable(reads):
            return lambda *args, **kwargs: self._caching_id(reads(self, *args, **kwargs))
        unknown = set(reads) - set(VERSION_PARTS)
        if unknown:
            raise ValueError(f"{name} reads unknown parts {sorted(unknown)}; known: "
                             f"{', '.join(VERSION_PARTS)}")
        return lambda *args, **kwargs: self._caching_id(reads)

    def scoped(self, scope: Scope, cache=None) -> Self:
        """The same store's queries limited to a scope."""
        return type(self)(self.store, cache, scope)

    def _scope_filter(self, column: str = "district_code") -> tuple[str, list]:
        """(" AND <column> IN (?, ...)", codes) for a scoped reader; empty otherwise."""
        codes = sorted(self.scope.districts)
        if not codes:
            return "", []
        return f" AND {column} IN ({', '.join('?' * len(codes))})", codes

    def _event_source(self, area: Area, rollup: str, start: str | None = None,
                      end: str | None = None, below: str = RAW_EVENTS) -> EventSource:
        """Choose what an event question about an area reads, and keep the area's events
        reported on the days [start, end] (every day without them).

        At district and city scope ``rollup``, a daily rollup keyed by district (a
        10-million-event city answers from a few hundred thousand rows at most). Below the
        districts those rollups cannot tell the area's rows: ``below`` answers, the raw
        events (stored by month, then cell, so a township or a cell is a few row groups of
        each month), or the per-cell rollup where the question needs only its sums.
        """
        if rollup not in DISTRICT_ROLLUPS or below not in (RAW_EVENTS, AREA_ROLLUP):
            raise ValueError(f"no such event tables: {rollup!r} (district scope), "
                             f"{below!r} (below the districts)")
        table = below if self._below_districts(area) else rollup
        where, params = self._where(area)
        if start is None:
            days, bounds = "true", []
        elif table == RAW_EVENTS:
            days, bounds = reported_on_days(start, end)
        else:
            days, bounds = "day BETWEEN ? AND ?", day_bounds(start, end)
        return EventSource(table, f"FROM {table} WHERE {days}{where}", bounds + params)
