"""The data model handed to callbacks and routes: settings, the open store, its queries."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import pandas as pd

from data import freshness
from data.catalog import declare_store_indicators
from data.queries import Queries
from data.store import Store, read_geo, store_fingerprint
from geo.geojson import LEVELS, map_view, simplify_for_display
from settings import Settings


#: A reload check stats the store file at most this often (seconds).
RELOAD_CHECK_SECONDS = 1.0
#: What a Runtime derives from its store, dropped when the store is swapped.
_DERIVED = ("meta", "_names", "_shapes", "context")


@dataclass
class Runtime:
    settings: Settings
    store: Store
    queries: Queries
    #: The flask-caching Cache the queries memoise in (None: no cache), for a swapped store.
    cache: object = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _checked: float = field(default=0.0, repr=False, compare=False)

    def reload_if_replaced(self) -> bool:
        """Serve the store file at ``settings.db_path`` if a load has replaced it since it
        was opened (a load writes a new file and renames it over the old one). Requests
        already running finish on the old file, which closes when nothing holds it.
        Returns True when it swapped."""
        now = time.monotonic()
        if now - self._checked < RELOAD_CHECK_SECONDS:
            return False
        with self._lock:
            self._checked = now
            try:
                fingerprint = store_fingerprint(self.settings.db_path)
            except FileNotFoundError:
                return False       # mid-rename, or removed: keep serving what is open
            if fingerprint == self.store.fingerprint:
                return False
            store = Store(self.settings.db_path)
            self.store, self.queries = store, Queries(store, self.cache)
            for name in _DERIVED:
                self.__dict__.pop(name, None)
            declare_store_indicators(self.queries)
            return True

    @property
    def now(self) -> dt.datetime:
        """The reference time for freshness: a demo city's frozen as-of time, else the
        clock."""
        return self.as_of if self.is_demo else dt.datetime.now()

    def stale_feeds(self) -> set[str]:
        """The feeds (data/freshness.py) whose latest data is older than they should be."""
        frame = self.queries.datasets()
        now = self.now
        return {row.name for row in frame.itertuples()
                if freshness.is_stale(row.frequency, _py(row.as_of), now)}

    @cached_property
    def meta(self) -> dict:
        return self.queries.meta()

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

    @cached_property
    def _names(self) -> dict[str, dict[str, str]]:
        q, out = self.queries, {"zh": {}, "en": {}}
        for frame in (q.districts(), q.areas("townships"), q.areas("grid_cells"),
                      q.departments()):
            for lang in out:
                out[lang].update(zip(frame["code"], frame[f"name_{lang}"]))
        return out

    def names(self, lang: str) -> dict[str, str]:
        """Every area's and department's display name by code, in a language."""
        return self._names["en" if lang == "en" else "zh"]

    @cached_property
    def _shapes(self) -> dict[str, gpd.GeoDataFrame]:
        return {}

    def shapes(self, level: str) -> gpd.GeoDataFrame:
        """One map level's shapes, simplified for display once per store."""
        if level not in self._shapes:
            table, columns, tolerance, _ = LEVELS[level]
            self._shapes[level] = simplify_for_display(read_geo(self.store, table, columns),
                                                       tolerance)
        return self._shapes[level]

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
        """Each township's or grid cell's inner point (code, lon, lat), for density layers."""
        key = f"{level}-points"
        if key not in self._shapes:
            shapes = self.shapes(level)
            inner = shapes.geometry.representative_point()
            self._shapes[key] = pd.DataFrame({"area_code": shapes["code"], "lon": inner.x,
                                              "lat": inner.y})
        return self._shapes[key]

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

    @cached_property
    def context(self):
        """The filter context: valid areas and the store's date span."""
        from callbacks.state import Context  # the state module is pure, no cycle at runtime
        first, last = self.queries.date_bounds()
        parents = {level: dict(zip(frame["code"], frame["parent"]))
                   for level in ("townships", "grid_cells")
                   for frame in [self.queries.areas(level)]}
        return Context(self.queries.district_codes, first, last, self.settings.default_lang,
                       townships=parents["townships"], cells=parents["grid_cells"])


def _py(value):
    """A pandas timestamp as a datetime (None for NaT)."""
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()
