"""The data model handed to callbacks and routes: settings, the open store, its queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from data.queries import Queries
from data.store import Store
from settings import Settings


@dataclass
class Runtime:
    settings: Settings
    store: Store
    queries: Queries

    @cached_property
    def meta(self) -> dict:
        return self.queries.meta()

    @property
    def is_demo(self) -> bool:
        return self.meta.get("is_demo") == "true"

    @property
    def as_of(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.meta["as_of"])

    def city_name(self, lang: str) -> str:
        return self.meta["city_name_en" if lang == "en" else "city_name_zh"]

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """The city's lon/lat bounding box (for the initial map view)."""
        from data.store import read_geo
        return tuple(read_geo(self.store, "districts", ("code",)).total_bounds)

    @cached_property
    def context(self):
        """The filter context: valid districts and the store's date span."""
        from callbacks.state import Context  # the state module is pure, no cycle at runtime
        first, last = self.queries.date_bounds()
        return Context(self.queries.district_codes, first, last, self.settings.default_lang)
