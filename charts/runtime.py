"""The data model handed to callbacks and routes: settings, the open store, its queries."""

from __future__ import annotations

import datetime as dt
import threading
import time
from functools import cached_property

import geopandas as gpd
import pandas as pd

from data import catalog, freshness
from data.access import Principal
from data.catalog import Catalogue
from data.queries import FULL, Queries, Scope
from data.service import ServiceDown, open_store
from data.store import Store, read_geo, replacement, when_replaced
from data.supervision import Supervision
from geo.geojson import LEVELS, map_view, simplify_for_display
from settings import Settings, local_now

#: A reload check stats the store file at most this often (seconds).
RELOAD_CHECK_SECONDS = 1.0
#: Whoever asks when there is no login (CITYBRAIN_AUTH=off, the CLI, tests).
EVERYONE = Principal("", "admin")
class _Snapshot:
    """One store file and what is derived from it (meta, names, shapes, the filter context),
    swapped as a whole: a request that began on the old file finishes on it, and nothing
    it derives from the old file lands beside the new one."""

    def __init__(self, settings: Settings, store: Store, queries: Queries, cache=None,
                 shapes: dict | None = None):
        self.settings, self.store, self.queries, self.cache = settings, store, queries, cache
        #: The store's version this snapshot was made at (a write in place changes it).
        self.version = store.version
        #: Map shapes by level: kept across writes in place (they never change boundaries).
        self.shapes: dict = {} if shapes is None else shapes
        self._readers: dict[Scope, _Reader] = {FULL: _Reader(settings, queries)}

    def reader(self, scope: Scope) -> "_Reader":
        """The queries and filter context of one scope, made once per store file."""
        if scope not in self._readers:
            self._readers[scope] = _Reader(self.settings,
                                           self.queries.scoped(scope, self.cache))
        return self._readers[scope]

    @cached_property
    def meta(self) -> dict:
        return self.queries.meta()

    @cached_property
    def feed_times(self) -> dict[str, tuple[dt.datetime | None, str]]:
        """Each feed's latest data and frequency, read once per store version: every chart's
        title asks (plain values, no frame per request)."""
        return {row.name: (_py(row.as_of), row.frequency)
                for row in self.queries.datasets().itertuples()}

    @cached_property
    def names(self) -> dict[str, dict[str, str]]:
        q = self.queries
        out: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
        for frame in (q.districts(), q.areas("townships"), q.areas("grid_cells"),
                      q.departments()):
            for lang in out:
                out[lang].update(zip(frame["code"], frame[f"name_{lang}"]))
        return out


class _Reader:
    """A scope's queries and the filter context they imply (the areas it may name)."""

    def __init__(self, settings: Settings, queries: Queries):
        self.settings, self.queries = settings, queries

    @cached_property
    def context(self):
        from charts.state import Context  # the state module is pure, no cycle at runtime
        first, last = self.queries.date_bounds()
        parents = {level: dict(zip(frame["code"], frame["parent"]))
                   for level in ("townships", "grid_cells")
                   for frame in [self.queries.areas(level)]}
        return Context(self.queries.district_codes, first, last, self.settings.default_lang,
                       townships=parents["townships"], cells=parents["grid_cells"],
                       catalogue=self.queries.catalogue,
                       categories=frozenset(self.queries.event_vocabulary().categories),
                       departments=frozenset(self.queries.departments()["code"]))


class Runtime:
    """What callbacks and routes are handed: the settings and the store being served (its
    queries and what is derived from it), swapped when a load replaces the file."""

    def __init__(self, settings: Settings, store: Store, queries: Queries, cache=None):
        self.settings = settings
        #: The flask-caching Cache the queries memoise in (None: no cache), for a new store.
        self.cache = cache
        #: () -> who makes the request being served (web/auth.py sets it); without login,
        #: everyone may do everything.
        self.principal_of = lambda: EVERYONE
        #: (action, detail) -> None: the audit log's writer (web/auth.py sets it).
        self.audit = lambda action, detail="": None
        self._snap = _Snapshot(settings, store, queries, cache)
        self._lock = threading.Lock()
        self._checked = 0.0
        if store.writable:      # a batch that finds the file replaced has it opened anew
            when_replaced(settings.db_path, self.reopen)

    def reopen(self) -> None:
        """Serve the file a load renamed over the one served, now (``when_replaced``)."""
        self.reload_if_replaced(now=True)

    @property
    def store(self) -> Store:
        return self._snap.store

    @property
    def catalogue(self) -> Catalogue:
        """The indicators of the store being served (the built-in ones and the city's own)."""
        return self._snap.store.catalogue

    @property
    def queries(self) -> Queries:
        """The queries of the request's scope: a district's user gets a reader that knows
        only their districts (data/queries.Scope)."""
        return self._snap.reader(self.principal.scope).queries

    @queries.setter
    def queries(self, queries: Queries) -> None:
        self._snap = _Snapshot(self.settings, queries.store, queries, self.cache)

    def reload_if_replaced(self, now: bool = False) -> bool:
        """Serve the store file at ``settings.db_path`` if a load has replaced it since it
        was opened (a load writes a new file and renames it over the old one). Requests
        already running finish on the old file, which closes when nothing holds it.
        ``now``: check at once (after a load in this process), not at most once a second.
        Returns True when it swapped."""
        snap = self._snap
        try:
            current = snap.store.version
        except ServiceDown:
            return False        # the requests say so; /healthz answers 503
        if snap.version != current:
            # a batch written in place: the same file and shapes, new facts (as-of, dates)
            with self._lock:
                if self._snap is snap:
                    fresh = _Snapshot(self.settings, snap.store, Queries(snap.store, self.cache),
                                      self.cache, shapes=snap.shapes)
                    if "names" in vars(snap):       # places and departments stay as they were
                        fresh.names = snap.names
                    self._snap = fresh
        clock = time.monotonic()
        if not now and clock - self._checked < RELOAD_CHECK_SECONDS:
            return False
        with self._lock:
            self._checked = clock
            store = replacement(self.settings.db_path, self.store, lambda: open_store(
                self.settings.db_path, self.settings.store_writes))
            if store is None:
                return False
            queries = Queries(store, self.cache)
            self._snap = _Snapshot(self.settings, store, queries, self.cache)  # one assignment
            return True

    @property
    def now(self) -> dt.datetime:
        """The reference time for freshness: a demo city's frozen as-of time, else the
        clock."""
        return self.as_of if self.is_demo else local_now(self.settings.time_zone)

    def stale_feeds(self, reference: dt.datetime | None = None) -> set[str]:
        """The feeds (data/freshness.py) whose latest data is older than they should be at
        ``reference`` (default: ``now``)."""
        now = reference or self.now
        return {name for name, (as_of, frequency) in self.feed_times().items()
                if freshness.is_stale(frequency, as_of, now)}

    def feed_times(self) -> dict[str, tuple[dt.datetime | None, str]]:
        """{feed: (its latest data or None, its frequency)} of the store being served."""
        return self._snap.feed_times

    @property
    def meta(self) -> dict:
        return self._snap.meta

    @property
    def is_demo(self) -> bool:
        return self.meta.get("is_demo") == "true"

    @property
    def as_of(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.meta["as_of"])

    @property
    def source(self) -> str:
        """Where the data comes from, for footnotes: the store's own word, or its generator."""
        return self.meta.get("source") or self.meta.get("generator", "—")

    def city_name(self, lang: str) -> str:
        return self.meta["city_name_en" if lang == "en" else "city_name_zh"]

    def scope_name(self, lang: str) -> str:
        """What "everywhere" is for the request: the city, or a district user's districts
        (by name, or how many beyond three)."""
        districts = sorted(self.principal.districts)
        if not districts:
            return self.city_name(lang)
        if len(districts) <= 3:
            names = self.names(lang)
            return ("、" if lang != "en" else ", ").join(names[d] for d in districts)
        return f"{len(districts)} districts" if lang == "en" else f"{len(districts)}个区县"

    def names(self, lang: str) -> dict[str, str]:
        """Every area's and department's display name by code, in a language."""
        return self._snap.names["en" if lang == "en" else "zh"]

    def names_text(self) -> str:
        """Every name of this store the screens may show, for the interface font: places,
        departments, key tasks (``Queries.names_text``) and the city's own indicators and
        re-declared ones (the built-in ones are in every font already,
        layouts/fonts.interface_chars)."""
        own = "".join(i.name_zh + i.name_en + i.unit_zh + i.unit_en for i in self.catalogue
                      if i.code not in catalog.BUILT_IN or i != catalog.BUILT_IN.get(i.code))
        return self._snap.queries.names_text() + own

    def _all_shapes(self, level: str) -> gpd.GeoDataFrame:
        """One map level's shapes, simplified for display once per store file."""
        snap = self._snap
        if level not in snap.shapes:
            table, columns, tolerance, _ = LEVELS[level]
            snap.shapes[level] = simplify_for_display(read_geo(snap.store, table, columns),
                                                      tolerance)
        return snap.shapes[level]

    def _scope_rows(self, level: str, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of the request's districts (a district's user maps only those)."""
        districts = self.principal.districts
        if not districts:
            return frame
        return frame[frame["code" if level == "districts" else "district_code"]
                     .isin(districts)]

    def shapes(self, level: str) -> gpd.GeoDataFrame:
        """One map level's shapes (of the request's districts), simplified for display."""
        return self._scope_rows(level, self._all_shapes(level))

    def shapes_within(self, level: str, parent: str | None) -> gpd.GeoDataFrame:
        """One level's shapes inside an area: a district's townships or grid cells, a
        township's grid cells (``parent`` None: every shape of the level)."""
        frame = self.shapes(level)
        if parent is None:
            return frame
        lineage = self.context.lineage(parent)
        column = ("township_code" if level == "grid_cells" and lineage and lineage[1]
                  else "district_code")
        return frame[frame[column] == parent]

    def points(self, level: str) -> pd.DataFrame:
        """Each township's or grid cell's inner point (code, lon, lat, district_code), for
        density layers."""
        key, snap = f"{level}-points", self._snap
        if key not in snap.shapes:
            shapes = self._all_shapes(level)
            inner = shapes.geometry.representative_point()
            snap.shapes[key] = pd.DataFrame({"area_code": shapes["code"], "lon": inner.x,
                                             "lat": inner.y,
                                             "district_code": shapes["district_code"]})
        return self._scope_rows(level, snap.shapes[key])

    def view(self, area: str | None) -> tuple[dict, float]:
        """The map's (center, zoom): the city, or the district or township the map shows
        (a grid cell is shown within its township)."""
        if area is None:
            frame = self.shapes("districts")
        else:
            district, township, _ = self.context.lineage(area)
            frame = (self.shapes("townships").query("code == @township") if township
                     else self.shapes("districts").query("code == @district"))
        return map_view(tuple(frame.total_bounds))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """The city's lon/lat bounding box."""
        return tuple(self.shapes("districts").total_bounds)

    @property
    def context(self):
        """The filter context of the request's scope: valid areas and the store's date
        span."""
        return self._snap.reader(self.principal.scope).context

    @property
    def principal(self):
        """Who makes the request being served (data/access.Principal)."""
        return self.principal_of()

    @cached_property
    def supervision(self) -> Supervision:
        """The 督办 records (in the access file), judging events and departments against
        the whole store being served, whoever asks (their district is checked there)."""
        return Supervision(self.settings.access_file, lambda: self._snap.queries,
                           self.settings.time_zone)


def _py(value):
    """A pandas timestamp as a datetime (None for NaT)."""
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()
