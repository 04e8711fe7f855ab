"""The DuckDB store: one file per city, one connection factory, a cursor per thread.

Geometry is stored as WKB blobs (DuckDB's spatial extension would need a download, and the
operations centre is offline); ``read_geo`` is the one place it turns into geopandas.
"""

from __future__ import annotations

import os
import threading
import uuid
from functools import cached_property
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pyarrow as pa
import shapely

from data import catalog

SCHEMA = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
-- Freshness: one row per feed (a fact table, or one indicator of indicator_values), written by
-- every load (data/freshness.py).
CREATE TABLE datasets (
    name VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, file VARCHAR,
    frequency VARCHAR NOT NULL, as_of TIMESTAMP, loaded_at TIMESTAMP NOT NULL,
    row_count BIGINT NOT NULL);

CREATE TABLE districts (
    code VARCHAR PRIMARY KEY, name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL,
    parent_code VARCHAR NOT NULL, population BIGINT NOT NULL, area_km2 DOUBLE NOT NULL,
    lon DOUBLE NOT NULL, lat DOUBLE NOT NULL, geom BLOB NOT NULL);
CREATE TABLE townships (
    code VARCHAR PRIMARY KEY, name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL,
    district_code VARCHAR NOT NULL REFERENCES districts(code),
    population BIGINT NOT NULL, area_km2 DOUBLE NOT NULL, geom BLOB NOT NULL);
CREATE TABLE grid_cells (
    code VARCHAR PRIMARY KEY, name_zh VARCHAR NOT NULL,
    township_code VARCHAR NOT NULL REFERENCES townships(code), district_code VARCHAR NOT NULL,
    h3 VARCHAR, population BIGINT NOT NULL, area_km2 DOUBLE NOT NULL, geom BLOB NOT NULL);
CREATE TABLE stations (
    code VARCHAR PRIMARY KEY, name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL,
    district_code VARCHAR NOT NULL, grid_code VARCHAR NOT NULL, lon DOUBLE NOT NULL,
    lat DOUBLE NOT NULL);
CREATE TABLE water_sections (
    code VARCHAR PRIMARY KEY, name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL,
    river_zh VARCHAR NOT NULL, district_code VARCHAR NOT NULL, grid_code VARCHAR NOT NULL,
    lon DOUBLE NOT NULL, lat DOUBLE NOT NULL, target_class TINYINT NOT NULL,
    drinking_source BOOLEAN NOT NULL);
CREATE TABLE departments (code VARCHAR PRIMARY KEY, name_zh VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL);
CREATE TABLE indicators (
    code VARCHAR PRIMARY KEY, name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL,
    unit_zh VARCHAR NOT NULL, unit_en VARCHAR NOT NULL, domain VARCHAR NOT NULL,
    frequency VARCHAR NOT NULL, kind VARCHAR NOT NULL, better VARCHAR NOT NULL,
    space VARCHAR NOT NULL, time VARCHAR NOT NULL, basis VARCHAR NOT NULL,
    target DOUBLE, alert DOUBLE, decimals TINYINT NOT NULL);
CREATE TABLE event_vocabulary (vocabulary VARCHAR NOT NULL, code VARCHAR NOT NULL,
    name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL, ord TINYINT NOT NULL,
    PRIMARY KEY (vocabulary, code));

CREATE TABLE indicator_values (
    district_code VARCHAR NOT NULL, indicator_code VARCHAR NOT NULL, period DATE NOT NULL,
    value DOUBLE NOT NULL, source VARCHAR NOT NULL, as_of TIMESTAMP NOT NULL,
    PRIMARY KEY (district_code, indicator_code, period));
CREATE TABLE air_hourly (
    station_code VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, pm25 REAL, pm10 REAL, so2 REAL,
    no2 REAL, co REAL, o3 REAL, aqi SMALLINT, source VARCHAR NOT NULL, as_of TIMESTAMP NOT NULL);
CREATE TABLE air_daily (
    station_code VARCHAR NOT NULL, district_code VARCHAR NOT NULL, day DATE NOT NULL,
    pm25 REAL, pm10 REAL, so2 REAL, no2 REAL, co REAL, o3_8h REAL, aqi SMALLINT NOT NULL,
    level TINYINT NOT NULL, source VARCHAR NOT NULL, as_of TIMESTAMP NOT NULL);
CREATE TABLE water_quality (
    section_code VARCHAR NOT NULL, district_code VARCHAR NOT NULL, period DATE NOT NULL,
    class TINYINT NOT NULL, source VARCHAR NOT NULL, as_of TIMESTAMP NOT NULL);
CREATE TABLE grid_events (
    event_id BIGINT NOT NULL, grid_code VARCHAR NOT NULL, township_code VARCHAR NOT NULL,
    district_code VARCHAR NOT NULL, category VARCHAR NOT NULL, channel VARCHAR NOT NULL,
    department_code VARCHAR NOT NULL, status VARCHAR NOT NULL,
    reported_at TIMESTAMP NOT NULL, accepted_at TIMESTAMP, dispatched_at TIMESTAMP,
    handled_at TIMESTAMP, verified_at TIMESTAMP, closed_at TIMESTAMP,
    deadline_at TIMESTAMP NOT NULL, returned_count TINYINT NOT NULL, satisfaction TINYINT,
    lon DOUBLE NOT NULL, lat DOUBLE NOT NULL, source VARCHAR NOT NULL, as_of TIMESTAMP NOT NULL,
    -- personal data, shown masked to users without clearance: NULL when anonymous or when
    -- no person reported it (video AI, a department's hand-over)
    reporter_name VARCHAR, reporter_phone VARCHAR);

-- Key-task supervision (重点工作督办): district_code NULL for a city-wide task. A task's
-- status is not stored: Queries.key_tasks derives it from progress, plan and due month.
CREATE TABLE key_tasks (
    code VARCHAR PRIMARY KEY, title_zh VARCHAR NOT NULL, title_en VARCHAR NOT NULL,
    lead_department_code VARCHAR NOT NULL REFERENCES departments(code),
    district_code VARCHAR REFERENCES districts(code),
    start_month DATE NOT NULL, due_month DATE NOT NULL, source VARCHAR NOT NULL,
    as_of TIMESTAMP NOT NULL, CHECK (due_month >= start_month));
CREATE TABLE key_task_progress (
    task_code VARCHAR NOT NULL REFERENCES key_tasks(code), period DATE NOT NULL,
    progress DOUBLE NOT NULL CHECK (progress BETWEEN 0 AND 100), note_zh VARCHAR,
    note_en VARCHAR, PRIMARY KEY (task_code, period));
"""

#: Built from grid_events after every load, so the screens' event questions read thousands of
#: rows instead of millions (see docs/ARCHITECTURE.md): event_daily keeps category, channel and
#: status for the breakdowns; event_area_daily is per grid cell and day (sorted by cell, so a
#: township or district reads only its own row groups) for the drill-down map;
#: event_district_daily is per district and day only, for the city-level metrics (KPIs, map,
#: ranking), about 18 x 730 rows whatever the event count.
_EVENT_SUMS = """
       count(*) AS n,
       count(accepted_at) AS n_accepted,
       count(dispatched_at) AS n_dispatched,
       count(handled_at) AS n_handled,
       count(verified_at) AS n_verified,
       count(closed_at) AS n_closed,
       count(*) FILTER (WHERE closed_at <= deadline_at) AS n_on_time,
       count(*) FILTER (WHERE coalesce(closed_at, as_of) > deadline_at) AS n_overdue,
       count(*) FILTER (WHERE returned_count > 0) AS n_returned,
       sum(date_diff('second', reported_at, closed_at)) / 3600.0 AS handling_hours,
       count(satisfaction) AS n_rated,
       count(*) FILTER (WHERE satisfaction >= 4) AS n_satisfied"""
_SUMS_OF_SUMS = ", ".join(f"sum({c}) AS {c}" for c in (
    "n", "n_accepted", "n_dispatched", "n_handled", "n_verified", "n_closed", "n_on_time",
    "n_overdue", "n_returned", "handling_hours", "n_rated", "n_satisfied"))

# --- grid governance screen ---
#: The per-event sums above, for queries that compute them from raw rows below the districts
#: (the same SQL, so a township's figures add up exactly like a district's rollup rows).
EVENT_SUMS = _EVENT_SUMS
#: Handling-time buckets of closed events: 24-hour lower bounds, everything from 240 h on in
#: the last bucket. One definition for the rollup and for the raw-row query below districts.
HANDLING_BUCKET_HOURS = 24
HANDLING_LAST_BUCKET = 240
HANDLING_BUCKET = (f"least(CAST(floor(date_diff('second', reported_at, closed_at) / "
                   f"{HANDLING_BUCKET_HOURS * 3600}) AS INTEGER) * {HANDLING_BUCKET_HOURS}, "
                   f"{HANDLING_LAST_BUCKET})")
#: Allowed handling time (deadline - report) to the whole hour: deadlines are set in hours
#: (per category), and rounding keeps the rollup small whatever a feed's deadlines look like.
DEADLINE_HOURS = "round(date_diff('second', reported_at, deadline_at) / 3600.0)"
#: The grid-governance screen's rollups, each day x district (a few hundred thousand rows at
#: most, whatever the event count): per department (the department table), per handling-time
#: bucket and on-time flag (the histogram), per allowed hours (the median deadline); and the
#: open events past their deadline at the load's as-of time (about 1% of events), so the
#: overdue list never scans every event.
_GRID_SCREEN_ROLLUP = f"""
CREATE OR REPLACE TABLE event_department_daily AS
SELECT CAST(reported_at AS DATE) AS day, district_code, department_code,{_EVENT_SUMS}
FROM grid_events GROUP BY ALL ORDER BY day, district_code;
CREATE OR REPLACE TABLE event_handling_daily AS
SELECT CAST(reported_at AS DATE) AS day, district_code, {HANDLING_BUCKET} AS bucket_h,
       closed_at <= deadline_at AS on_time, count(*) AS n
FROM grid_events WHERE closed_at IS NOT NULL GROUP BY ALL ORDER BY day, district_code;
CREATE OR REPLACE TABLE event_deadline_daily AS
SELECT CAST(reported_at AS DATE) AS day, district_code, {DEADLINE_HOURS} AS deadline_h,
       count(*) AS n
FROM grid_events GROUP BY ALL ORDER BY day, district_code;
CREATE OR REPLACE TABLE event_overdue AS
SELECT event_id, district_code, township_code, grid_code, category, department_code, status,
       reported_at, deadline_at,
       date_diff('second', deadline_at, as_of) / 3600.0 AS hours_overdue
FROM grid_events WHERE closed_at IS NULL AND as_of > deadline_at ORDER BY grid_code, reported_at;
"""

EVENT_ROLLUP = f"""
CREATE OR REPLACE TABLE event_daily AS
SELECT CAST(reported_at AS DATE) AS day, district_code, category, channel, status,{_EVENT_SUMS}
FROM grid_events GROUP BY ALL ORDER BY day, district_code;
CREATE OR REPLACE TABLE event_area_daily AS
SELECT CAST(reported_at AS DATE) AS day, district_code, township_code, grid_code,{_EVENT_SUMS}
FROM grid_events GROUP BY ALL ORDER BY grid_code, day;
CREATE OR REPLACE TABLE event_district_daily AS
SELECT day, district_code, {_SUMS_OF_SUMS}
FROM event_daily GROUP BY ALL ORDER BY day, district_code;
CREATE OR REPLACE TABLE event_area_monthly AS
SELECT date_trunc('month', day)::DATE AS month, district_code, township_code, grid_code,
       {_SUMS_OF_SUMS}
FROM event_area_daily GROUP BY ALL ORDER BY grid_code, month;
""" + _GRID_SCREEN_ROLLUP


def connect(path: str | os.PathLike, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Return a DuckDB connection to the store file.

    Replacement scans are off, so a query can never pick up a stray Python variable by name;
    a read-only connection has no external access (files, URLs, other databases).
    """
    # the served store reads nothing but itself: no read_csv('/etc/passwd'), no COPY TO, no
    # ATTACH, whatever text a query might ever carry (loads read files with pandas/pyarrow)
    config = {"python_enable_replacements": False}
    if read_only:
        config["enable_external_access"] = False
    return duckdb.connect(str(path), read_only=read_only, config=config)


#: Tables added to the schema after stores were first built: a load adds them to an older
#: store (the app reads such a store without them).
_LATER_TABLES = ("datasets", "key_tasks", "key_task_progress")
#: Nullable columns added at the end of a table after stores were first built: a load adds
#: them to an older store, so its rows read NULL there.
_LATER_COLUMNS = (("grid_events", "reporter_name", "VARCHAR"),
                  ("grid_events", "reporter_phone", "VARCHAR"))


def upgrade(con) -> None:
    """Create the tables an older store lacks (``_LATER_TABLES``) and add the columns it
    lacks (``_LATER_COLUMNS``), as SCHEMA defines them."""
    for statement in SCHEMA.split(";"):
        # a statement may follow its comment lines: the CREATE starts after them
        body = "\n".join(line for line in statement.splitlines()
                         if not line.lstrip().startswith("--")).strip()
        for table in _LATER_TABLES:
            if body.startswith(f"CREATE TABLE {table} ("):
                con.execute(body.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
    for table, column, kind in _LATER_COLUMNS:
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")


def insert(con, table: str, frame, replace: bool = False) -> None:
    """Insert a DataFrame or Arrow table into ``table`` by column name (``table`` is one of
    the schema's names, never a request's); ``replace``: rows with the same key replace
    those there."""
    # Explicit registration: replacement scans are off in this store.
    con.register("_incoming", frame)
    try:
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        con.execute(f"{verb} INTO {table} BY NAME SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")


def store_fingerprint(path: str | os.PathLike) -> str:
    """What tells one store file from its replacement: path, inode, modification time, size."""
    path = Path(path)
    return f"{path.resolve()}:{_identity(path)}"


def _connect_file(path: Path) -> tuple[duckdb.DuckDBPyConnection, str]:
    """Connect read-only to the file now at ``path``; return the connection and the file's
    fingerprint. DuckDB keeps one database per path in a process: after a load renames a new
    file over the path, connecting by the path would get the old file's database, still open
    for the requests running on it. A hard link of a name of its own gives each opening its
    own path (the link is removed once open; the open file stays)."""
    alias = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.open")
    try:
        os.link(path, alias)
    except OSError:
        if _OPENED.get(str(path.resolve())):
            raise RuntimeError(f"cannot link {alias.name} next to the store (a filesystem "
                               "without hard links, or not writable): a replaced store can "
                               "only be served after a restart") from None
        _OPENED[str(path.resolve())] = True
        return connect(path, read_only=True), store_fingerprint(path)
    try:
        fingerprint = f"{path.resolve()}:{_identity(alias)}"
        return connect(alias, read_only=True), fingerprint
    finally:
        alias.unlink(missing_ok=True)


#: Store paths this process opened without a link: DuckDB would hand back that database.
_OPENED: dict[str, bool] = {}


def _identity(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"


class Store:
    """A read-only store file shared by the server's threads, a cursor per thread."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no store at {self.path}: build one with `citybrain demo`")
        #: Changes whenever the file is replaced: part of every cache key.
        self._con, self.fingerprint = _connect_file(self.path)
        self._local = threading.local()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self._con.cursor()
        return cur

    def df(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        """Return the result of a parameterised query as a DataFrame."""
        return self._cursor().execute(sql, list(params)).df()

    def records(self, sql: str, params: list | tuple = ()) -> list[dict]:
        """Return the result as dicts: for small answers, where a DataFrame costs more than
        the query."""
        cur = self._cursor().execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def rows(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        """Return the result of a parameterised query as tuples."""
        return self._cursor().execute(sql, list(params)).fetchall()

    @cached_property
    def catalogue(self) -> catalog.Catalogue:
        """The indicators this file knows: the built-in ones and the city's own."""
        return catalog.of_store(self)

    # --- grid governance screen ---
    def batches(self, sql: str, params: list | tuple = (),
                rows_per_batch: int = 65_536) -> pa.RecordBatchReader:
        """Stream a parameterised query's result as Arrow record batches (exports of millions
        of rows: Python holds one batch at a time, though DuckDB still sorts the whole result
        for an ORDER BY). It runs on a cursor of its own, closed when the stream ends: the
        thread's cursor may answer other queries while the stream is read."""
        cursor = self._con.cursor()
        # a relation streams; Arrow from an executed DB-API result would copy every row first
        reader = cursor.sql(sql, params=list(params)).to_arrow_reader(rows_per_batch)

        def stream():
            try:
                yield from reader
            finally:
                cursor.close()

        return pa.RecordBatchReader.from_batches(reader.schema, stream())

    def close(self) -> None:
        self._con.close()


_GEO_COLUMNS = {"code", "name_zh", "name_en", "parent_code", "district_code", "township_code",
                "population", "area_km2", "h3", "lon", "lat"}


def read_geo(store: Store, table: str, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Return a boundary table as a GeoDataFrame (EPSG:4326); the one WKB -> geopandas helper."""
    if table not in {"districts", "townships", "grid_cells"}:
        raise ValueError(f"not a boundary table: {table!r}")
    unknown = set(columns) - _GEO_COLUMNS
    if unknown:
        raise ValueError(f"unknown boundary columns {sorted(unknown)}")
    frame = store.df(f"SELECT {', '.join(columns)}, geom FROM {table} ORDER BY code")
    geometry = shapely.from_wkb([bytes(b) for b in frame.pop("geom")])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
