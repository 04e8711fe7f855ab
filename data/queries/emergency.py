"""The emergency scene (应急): warnings in force, emergency resources, and what lies inside a
warning's area (resources, grid events).

A warning's area is stored as WKB with its bounding box (data/store.py): SQL keeps the rows
inside the box, shapely the points inside the shape, since the store has no spatial
extension. A point on the area's border counts as inside. Scoped readers see the warnings
filed under their districts, and only their districts' resources and events inside them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import shapely

from data.emergency import RESOURCE_KINDS, WARNING_KINDS, WARNING_LEVELS
from data.queries.base import QueryBase

_WARNING_COLUMNS = ("warning_id, kind, level, title, area_code, district_code, lon, lat, "
                    "radius_km, valid_from, valid_to, issuer, geom")
_RESOURCE_COLUMNS = ("resource_id, kind, name_zh, name_en, district_code, lon, lat, "
                     "capacity, headcount")


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class EmergencyQueries(QueryBase):
    """The emergency scene's, its map layers' and the warning alert's questions."""

    CACHED = ("warnings_at", "warnings_between", "emergency_resources",
              "resources_in_warning", "events_in_warning")
    READS = {"warnings_at": ("warnings",), "warnings_between": ("warnings",),
             "emergency_resources": ("resources",),
             "resources_in_warning": ("warnings", "resources"),
             "events_in_warning": ("warnings", "events")}

    def _emergency_text(self) -> str:
        """The warnings' titles and issuers, the resources' names and the scene's
        vocabulary: characters the interface font must hold (``names_text``)."""
        words = [zh + en for zh, en in (*WARNING_KINDS.values(), *RESOURCE_KINDS.values())]
        words += [zh + en for _, zh, en, _ in WARNING_LEVELS.values()]
        if self.has_emergency:
            words.append(self.store.rows(
                "SELECT string_agg(a || b, '') FROM (SELECT coalesce(title, '') AS a, issuer "
                "AS b FROM emergency_warnings UNION ALL SELECT name_zh, name_en FROM "
                "emergency_resources)")[0][0] or "")
        return "".join(words)

    @property
    def has_emergency(self) -> bool:
        """Stores from before the emergency scene have no warnings (their next load adds
        the tables)."""
        return "emergency_warnings" in self._tables     # type: ignore[attr-defined]

    def warnings_at(self, at: str) -> pd.DataFrame:
        """Return the warnings in force at ``at`` (an ISO time: from their valid-from,
        before their valid-to, or until lifted), most severe first, then the latest issued:
        warning_id, kind, level (1 red … 4 blue), title, area_code, district_code, lon, lat,
        radius_km, valid_from, valid_to, issuer, geom (WKB of the area)."""
        return self._warnings("valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)",
                              [_instant(at), _instant(at)])

    def warnings_between(self, start: str, end: str, most_level: int = 4) -> pd.DataFrame:
        """Return the warnings in force at any time of the days [start, end] at level
        ``most_level`` or more severe (``ALERT_LEVEL``: orange and red), as ``warnings_at``."""
        first = dt.datetime.combine(dt.date.fromisoformat(start), dt.time())
        after = dt.datetime.combine(dt.date.fromisoformat(end) + dt.timedelta(days=1), dt.time())
        return self._warnings("valid_from < ? AND (valid_to IS NULL OR valid_to > ?) "
                              "AND level <= ?", [after, first, int(most_level)])

    def _warnings(self, condition: str, params: list) -> pd.DataFrame:
        if not self.has_emergency:
            return pd.DataFrame(columns=[c.strip() for c in _WARNING_COLUMNS.split(",")])
        where, codes = self._scope_filter()
        frame = self.store.df(f"SELECT {_WARNING_COLUMNS} FROM emergency_warnings WHERE "
                              f"{condition}{where} ORDER BY level, valid_from DESC, warning_id",
                              [*params, *codes])
        frame["geom"] = [bytes(g) for g in frame["geom"]]
        return frame

    def emergency_resources(self) -> pd.DataFrame:
        """Return the emergency resources this reader sees, by kind and id: resource_id,
        kind, name_zh, name_en, district_code, lon, lat, capacity, headcount."""
        if not self.has_emergency:
            return pd.DataFrame(columns=[c.strip() for c in _RESOURCE_COLUMNS.split(",")])
        where, codes = self._scope_filter()
        return self.store.df(f"SELECT {_RESOURCE_COLUMNS} FROM emergency_resources WHERE "
                             f"true{where} ORDER BY kind, resource_id", codes)

    def _area(self, warning_id: str) -> tuple[object, list] | None:
        """A warning's shape and its box (min_lon, max_lon, min_lat, max_lat), or None for
        a warning this reader does not see."""
        if not self.has_emergency:
            return None
        where, codes = self._scope_filter()
        rows = self.store.rows(f"SELECT geom, min_lon, max_lon, min_lat, max_lat FROM "
                               f"emergency_warnings WHERE warning_id = ?{where}",
                               [warning_id, *codes])
        if not rows:
            return None
        return shapely.from_wkb(bytes(rows[0][0])), list(rows[0][1:])

    def resources_in_warning(self, warning_id: str) -> pd.DataFrame:
        """Return the resources inside a warning's area (``emergency_resources``' columns;
        none for a warning this reader does not see)."""
        area = self._area(warning_id)
        if area is None:
            return self.emergency_resources().iloc[0:0]
        shape, box = area
        where, codes = self._scope_filter()
        frame = self.store.df(f"SELECT {_RESOURCE_COLUMNS} FROM emergency_resources WHERE "
                              f"lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?{where} "
                              "ORDER BY kind, resource_id", [*box, *codes])
        inside = shapely.intersects_xy(shape, frame["lon"].to_numpy(float),
                                       frame["lat"].to_numpy(float))
        return frame[inside].reset_index(drop=True)

    def events_in_warning(self, warning_id: str, start: str, end: str) -> pd.DataFrame:
        """Return the grid events inside a warning's area reported in [start, end) (ISO
        times), latest first: event_id, category, status, district_code, reported_at,
        closed_at, lon, lat (none for a warning this reader does not see)."""
        columns = ["event_id", "category", "status", "district_code", "reported_at",
                   "closed_at", "lon", "lat"]
        area = self._area(warning_id)
        if area is None:
            return pd.DataFrame(columns=columns)
        shape, box = area
        where, codes = self._scope_filter()
        frame = self.store.df(
            f"SELECT {', '.join(columns)} FROM grid_events WHERE reported_at >= ? AND "
            f"reported_at < ? AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?{where} "
            "ORDER BY reported_at DESC, event_id", [_instant(start), _instant(end), *box, *codes])
        inside = shapely.intersects_xy(shape, frame["lon"].to_numpy(float),
                                       frame["lat"].to_numpy(float))
        return frame[inside].reset_index(drop=True)
