"""Places, departments, the store's metadata and date bounds, and how an area's code turns
into the event column and codes a query filters on."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import pandas as pd

from data.queries.base import Area, QueryBase
from data.vocabulary import Vocabulary


class DimensionQueries(QueryBase):
    """Dimensions are small and fixed for the life of a store file: kept on the instance
    (a new store gets a new Queries), so no callback pays a query for them."""

    # What report/monthly.py asks beyond the screens' questions: which months have data.
    CACHED = ("report_months",)

    @cached_property
    def _meta(self) -> dict:
        return dict(self.store.rows("SELECT key, value FROM meta"))

    @cached_property
    def _districts(self) -> pd.DataFrame:
        where, params = self._scope_filter("code")
        return self.store.df("SELECT code, name_zh, name_en, population, area_km2, lon, lat "
                             f"FROM districts WHERE true{where} ORDER BY code", params)

    @cached_property
    def _areas(self) -> dict[str, pd.DataFrame]:
        where, params = self._scope_filter()
        return {
            "townships": self.store.df(
                "SELECT code, name_zh, name_en, district_code AS parent, population "
                f"FROM townships WHERE true{where} ORDER BY code", params),
            "grid_cells": self.store.df(
                "SELECT code, name_zh, coalesce(name_en, name_zh) AS name_en, "
                "township_code AS parent, population "
                f"FROM grid_cells WHERE township_code IN (SELECT code FROM townships "
                f"WHERE true{where}) ORDER BY code", params),
        }

    def areas(self, level: str) -> pd.DataFrame:
        """Return the townships or grid cells: code, name_zh, name_en, parent, population."""
        return self._areas[level].copy()

    def meta(self) -> dict:
        """Return the store's key/value metadata (city names, as-of time, demo flag, ...)."""
        return dict(self._meta)

    def districts(self) -> pd.DataFrame:
        """Return districts: code, name_zh, name_en, population, area_km2, lon, lat."""
        return self._districts.copy()

    @cached_property
    def _departments(self) -> pd.DataFrame:
        return self.store.df("SELECT code, name_zh, name_en FROM departments ORDER BY code")

    def departments(self) -> pd.DataFrame:
        """Return the handling departments: code, name_zh, name_en."""
        return self._departments.copy()

    @cached_property
    def _vocabulary(self) -> Vocabulary:
        columns = {name for (name,) in self.store.rows(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'event_vocabulary'")}
        parent = "parent_code" if "parent_code" in columns else "NULL AS parent_code"
        return Vocabulary.from_rows(self.store.records(
            f"SELECT vocabulary, code, name_zh, name_en, ord, {parent} FROM event_vocabulary"))

    def event_vocabulary(self) -> Vocabulary:
        """Return the store's event vocabulary: categories (大类) and their 小类, channels and
        stages with their names (data/vocabulary.py)."""
        return self._vocabulary

    def names_text(self) -> str:
        """Return every place, station, section and department name, key-task title and event
        category and channel name in the store, joined (the characters the interface font must hold)."""
        return (self.store.rows(
            "SELECT string_agg(name_zh || name_en, '') FROM (SELECT name_zh, name_en FROM "
            "districts UNION ALL SELECT name_zh, name_en FROM townships UNION ALL SELECT "
            "name_zh, name_en FROM stations UNION ALL SELECT name_zh, name_en FROM "
            "water_sections UNION ALL SELECT name_zh, name_en FROM departments UNION ALL "
            + ("SELECT title_zh, title_en FROM key_tasks UNION ALL " if self.has_key_tasks
               else "") +
            "SELECT value, '' FROM meta WHERE key LIKE 'city_name_%')")[0][0] or "") \
            + self._vocabulary.text() + self._emergency_text()  # type: ignore[attr-defined]

    @cached_property
    def _tables(self) -> frozenset[str]:
        return frozenset(name for (name,) in self.store.rows(
            "SELECT table_name FROM information_schema.tables"))

    @property
    def has_key_tasks(self) -> bool:
        """Stores built before key-task supervision have no key_tasks table: they still
        serve, with no tasks."""
        return "key_tasks" in self._tables

    @cached_property
    def _datasets(self) -> pd.DataFrame:
        if "datasets" not in self._tables:      # a store from before freshness was recorded
            return pd.DataFrame(columns=["name", "source", "file", "frequency", "as_of",
                                         "loaded_at", "row_count"])
        return self.store.df("SELECT * FROM datasets ORDER BY name")

    def datasets(self) -> pd.DataFrame:
        """Every feed's freshness: name (a fact table, or indicator_values:<code>), source,
        file, frequency, as_of (its latest data), loaded_at, row_count."""
        return self._datasets.copy()

    @cached_property
    def district_codes(self) -> frozenset[str]:
        """The codes of the districts this reader knows."""
        return frozenset(self.districts()["code"])

    def date_bounds(self) -> tuple[dt.date, dt.date]:
        """Return the first and last day any fact covers."""
        meta = self.meta()
        return (dt.date.fromisoformat(meta["first_month"]),
                dt.datetime.fromisoformat(meta["as_of"]).date())

    def report_months(self) -> tuple[dt.date, ...]:
        """Return the first day of every month any fact table has data in (statistics, air,
        water, events), from the store's first shown month (meta ``first_month``) on, in
        order. Statistics before it exist only as year-ago bases and are not counted."""
        first = dt.date.fromisoformat(self._meta["first_month"])
        rows = self.store.rows(
            "SELECT DISTINCT m FROM (SELECT DISTINCT period AS m FROM indicator_values "
            "UNION ALL SELECT DISTINCT date_trunc('month', day)::DATE FROM air_daily "
            "UNION ALL SELECT DISTINCT period FROM water_quality "
            "UNION ALL SELECT DISTINCT date_trunc('month', day)::DATE FROM event_district_daily"
            ") WHERE m >= ? ORDER BY m", [first])
        return tuple(_as_date(m) for (m,) in rows)

    # --- areas: the event column and codes a query filters on ---

    def _scope(self, area: Area) -> tuple[str, tuple[str, ...]]:
        """Return (event column, codes) for the city (None), one area code, or a selection of
        codes of one level (a lasso on the map). Unknown codes raise KeyError."""
        if area is None:      # the city: a scoped reader's city is its districts
            return "district_code", tuple(sorted(self.scope.districts))
        codes = (area,) if isinstance(area, str) else tuple(area)
        columns = {self._area_column(code) for code in codes}
        if len(columns) != 1:
            raise KeyError(f"a selection must be of one level: {codes!r}")
        return columns.pop(), codes

    def _where(self, area: Area, alias: str = "") -> tuple[str, list]:
        """Return (" AND <column> IN (?, ...)", codes) keeping an area's rows; empty for the
        city. The column comes from a fixed list, the codes ride as parameters."""
        column, codes = self._scope(area)
        if not codes:
            return "", []
        return f" AND {alias}{column} IN ({', '.join('?' * len(codes))})", list(codes)

    def _below_districts(self, area: Area) -> bool:
        """True for a township, a grid cell or a selection of them (no district rollup)."""
        return self._scope(area)[0] != "district_code"

    def _districts_only(self, area: Area) -> Area:
        """Refuse areas below the districts where only district tables exist."""
        if self._below_districts(area):
            raise KeyError(f"only districts here, not {area!r}")
        return area

    def _area_column(self, area: str | None) -> str:
        """The event column an area's code filters on (from a fixed list, never the input)."""
        if area is None or area in self.district_codes:
            return "district_code"
        for level, column in (("townships", "township_code"), ("grid_cells", "grid_code")):
            if area in self._area_sets[level]:
                return column
        raise KeyError(f"unknown area {area!r}")

    @cached_property
    def _area_sets(self) -> dict[str, frozenset[str]]:
        return {level: frozenset(frame["code"]) for level, frame in self._areas.items()}

    @cached_property
    def _parent(self) -> dict[str, dict[str, str]]:
        return {level: dict(zip(frame["code"], frame["parent"]))
                for level, frame in self._areas.items()}

    def _district_of(self, area: Area) -> tuple[str, ...] | None:
        """The districts an area or selection lies in (statistics, air and water are per
        district); None for the city."""
        column, codes = self._scope(area)
        if not codes:
            return None
        districts = []
        for code in codes:
            if column == "grid_code":
                code = self._parent["grid_cells"][code]
            if column in ("township_code", "grid_code"):
                code = self._parent["townships"][code]
            if code not in districts:
                districts.append(code)
        return tuple(districts)

    @cached_property
    def _population(self) -> dict[str, int]:
        return dict(zip(self._districts["code"], self._districts["population"]))

    def _population_of(self, area: Area) -> int:
        """Residents of an area or selection (districts, townships or grid cells), or of the
        city for None."""
        column, codes = self._scope(area)
        if not codes:
            return sum(self._population.values())
        if column == "district_code":
            return sum(self._population[code] for code in codes)
        frame = self._areas["townships" if column == "township_code" else "grid_cells"]
        return int(frame.loc[frame["code"].isin(codes), "population"].sum())


def _as_date(value) -> dt.date:
    """A DuckDB DATE or TIMESTAMP value as a date."""
    return value.date() if isinstance(value, dt.datetime) else value
