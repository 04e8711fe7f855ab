"""The DuckDB store: one file per city, one connection factory, a cursor per thread.

Geometry is stored as WKB blobs (DuckDB's spatial extension would need a download, and the
operations centre is offline); ``read_geo`` is the one place it turns into geopandas.
"""

from __future__ import annotations

import atexit
import fcntl
import heapq
import itertools
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
import weakref
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import duckdb
import geopandas as gpd
import pandas as pd
import pyarrow as pa
import shapely

from data import catalog

log = logging.getLogger(__name__)

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
    code VARCHAR PRIMARY KEY, name_zh VARCHAR NOT NULL, name_en VARCHAR,
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
    target DOUBLE, alert DOUBLE, decimals TINYINT NOT NULL,
    -- the catalogue file that declared (or re-declared) it; NULL: the built-in catalogue
    source VARCHAR);
-- Targets files (citybrain load targets): an indicator's target and alert line for a year,
-- city-wide (district_code NULL) or a district's own, in place of the catalogue's.
CREATE TABLE indicator_targets (
    indicator_code VARCHAR NOT NULL, year SMALLINT NOT NULL, district_code VARCHAR,
    target DOUBLE NOT NULL, alert DOUBLE, source VARCHAR NOT NULL, as_of TIMESTAMP NOT NULL);
-- category (a 大类: parent_code NULL, or a 小类: parent_code its 大类), channel, stage;
-- a city's own from `citybrain load categories` / `channels` (data/load/vocabulary.py)
CREATE TABLE event_vocabulary (vocabulary VARCHAR NOT NULL, code VARCHAR NOT NULL,
    name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL, ord INTEGER NOT NULL,
    parent_code VARCHAR, PRIMARY KEY (vocabulary, code));

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
    reporter_name VARCHAR, reporter_phone VARCHAR,
    -- the second-level category (小类) of the vocabulary, under category; NULL when unknown
    subcategory VARCHAR);

-- Key-task supervision (重点工作督办): district_code NULL for a city-wide task. A task's
-- status is not stored: Queries.key_tasks derives it from progress, plan and due month.
CREATE TABLE key_tasks (
    code VARCHAR PRIMARY KEY, title_zh VARCHAR NOT NULL, title_en VARCHAR NOT NULL,
    lead_department_code VARCHAR NOT NULL REFERENCES departments(code),
    district_code VARCHAR REFERENCES districts(code),
    start_month DATE NOT NULL, due_month DATE NOT NULL, source VARCHAR NOT NULL,
    as_of TIMESTAMP NOT NULL, leader VARCHAR, CHECK (due_month >= start_month));
CREATE TABLE key_task_progress (
    task_code VARCHAR NOT NULL REFERENCES key_tasks(code), period DATE NOT NULL,
    progress DOUBLE NOT NULL CHECK (progress BETWEEN 0 AND 100), note_zh VARCHAR,
    note_en VARCHAR, PRIMARY KEY (task_code, period));
-- A ledger's milestones (节点) and each task's departments (牵头单位 lead, 配合单位 co);
-- no foreign keys: a ledger replaces a task's rows, which DuckDB refuses under a key.
CREATE TABLE key_task_milestones (
    task_code VARCHAR NOT NULL, seq SMALLINT NOT NULL, name_zh VARCHAR NOT NULL,
    name_en VARCHAR, due_date DATE NOT NULL, done BOOLEAN NOT NULL, behind BOOLEAN NOT NULL,
    status_text VARCHAR, PRIMARY KEY (task_code, seq));
CREATE TABLE key_task_departments (
    task_code VARCHAR NOT NULL, department_code VARCHAR NOT NULL, role VARCHAR NOT NULL
    CHECK (role IN ('lead', 'co')), PRIMARY KEY (task_code, department_code));

-- Government service cases (政务服务办件, citybrain load service_cases): times are the
-- centre's local time; due_date is the last working day of the legal limit (limit_days
-- working days after the acceptance day, Monday to Friday), rating 'good' (好评), 'fair'
-- (中评) or 'bad' (差评), rectified only for a 差评 (NULL: not said).
CREATE TABLE service_cases (
    case_id VARCHAR PRIMARY KEY, service VARCHAR NOT NULL, department_code VARCHAR NOT NULL,
    district_code VARCHAR NOT NULL, channel VARCHAR NOT NULL, accepted_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP, limit_days SMALLINT NOT NULL, due_date DATE NOT NULL,
    working_days SMALLINT, rating VARCHAR, rectified BOOLEAN, source VARCHAR NOT NULL,
    as_of TIMESTAMP NOT NULL);

-- Emergency warnings (预警, citybrain load warnings; data/emergency.py): level 1 red (I) … 4
-- blue (IV); geom the area covered (a district's or township's shape, a polygon, or a
-- circle of radius_km around lon, lat) as WKB with its bounding box, so a question asks
-- SQL for the box and shapely for the shape; valid_to NULL: until lifted. area_code: the
-- district or township named (NULL for a polygon or point); district_code: where it is
-- filed (the area's district, or the district its point lies in) for scoped readers.
CREATE TABLE emergency_warnings (
    warning_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, level TINYINT NOT NULL
    CHECK (level BETWEEN 1 AND 4), title VARCHAR, area_code VARCHAR,
    district_code VARCHAR NOT NULL, lon DOUBLE NOT NULL, lat DOUBLE NOT NULL,
    radius_km DOUBLE, valid_from TIMESTAMP NOT NULL, valid_to TIMESTAMP,
    issuer VARCHAR NOT NULL, geom BLOB NOT NULL, min_lon DOUBLE NOT NULL,
    min_lat DOUBLE NOT NULL, max_lon DOUBLE NOT NULL, max_lat DOUBLE NOT NULL,
    source VARCHAR NOT NULL, as_of TIMESTAMP NOT NULL);
-- Emergency resources (应急资源, citybrain load resources): shelters with their capacity,
-- rescue teams with their headcount, supply depots; points.
CREATE TABLE emergency_resources (
    resource_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, name_zh VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL, district_code VARCHAR NOT NULL, lon DOUBLE NOT NULL,
    lat DOUBLE NOT NULL, capacity INTEGER, headcount INTEGER, source VARCHAR NOT NULL,
    as_of TIMESTAMP NOT NULL);
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
       count(*) FILTER (WHERE returned_count > 0) AS n_returned,
       sum(date_diff('second', reported_at, closed_at)) / 3600.0 AS handling_hours,
       count(satisfaction) AS n_rated,
       count(*) FILTER (WHERE satisfaction >= 4) AS n_satisfied"""
_SUMS_OF_SUMS = ", ".join(f"sum({c}) AS {c}" for c in (
    "n", "n_accepted", "n_dispatched", "n_handled", "n_verified", "n_closed", "n_on_time",
    "n_returned", "handling_hours", "n_rated", "n_satisfied"))

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
_COUNTS = ("n", "n_accepted", "n_dispatched", "n_handled", "n_verified", "n_closed",
           "n_on_time", "n_returned", "handling_hours", "n_rated", "n_satisfied")
#: The events due on a day (their deadline's local day), closed or not: how many, how many
#: are closed, how many were closed by the deadline. None of it depends on when it is asked:
#: the on-time rate adds the open events past their deadline at its reference time
#: (``event_open``) when it is asked (data/queries/indicators.py DUE_EVENTS).
_DUE_SUMS = """
       count(*) AS n,
       count(closed_at) AS n_closed,
       count(*) FILTER (WHERE closed_at <= deadline_at) AS n_on_time"""
_DUE_COUNTS = ("n", "n_closed", "n_on_time")


class Rollup(NamedTuple):
    """A table built from the events or from another rollup, keyed by the reported day (or
    its month) and district."""
    table: str
    #: its rows of the day x district pairs a batch touched (``refresh_rollups``)
    touched: str
    #: SELECT over ``{events}`` (or an earlier rollup) narrowed by ``{scope}`` (TRUE: all)
    select: str
    order: str
    #: for a sum over events: the columns it groups by and those it sums (a batch changes
    #: it by difference); empty for the rollups of rollups and for the open events
    keys: tuple[str, ...] = ()
    sums: tuple[str, ...] = ()


#: The rollups, in the order they are built (later ones read earlier ones). The grid-governance
#: screen's, each day x district (a few hundred thousand rows at most, whatever the event
#: count): per department (the department table), per handling-time bucket and on-time flag
#: (the histogram), per allowed hours (the median deadline); the events by the day they are
#: due (the on-time rate); and the open events (a few % of events), so the overdue list never
#: scans every event.
_DAYS = "(day, district_code) IN (SELECT day, district_code FROM _touched_days)"
_MONTHS = ("(month, district_code) IN (SELECT DISTINCT date_trunc('month', day)::DATE, "
           "district_code FROM _touched_days)")
ROLLUPS: tuple[Rollup, ...] = (
    Rollup("event_daily", _DAYS,
           f"SELECT CAST(reported_at AS DATE) AS day, district_code, category, channel, status,"
           f"{_EVENT_SUMS} FROM {{events}} WHERE {{scope}} GROUP BY ALL", "day, district_code",
           ("day", "district_code", "category", "channel", "status"), _COUNTS),
    # the category chart's drill to the second level (小类) of one category
    Rollup("event_subcategory_daily", _DAYS,
           f"SELECT CAST(reported_at AS DATE) AS day, district_code, category, subcategory,"
           f"{_EVENT_SUMS} FROM {{events}} WHERE {{scope}} GROUP BY ALL", "day, district_code",
           ("day", "district_code", "category", "subcategory"), _COUNTS),
    Rollup("event_area_daily", _DAYS,
           f"SELECT CAST(reported_at AS DATE) AS day, district_code, township_code, grid_code,"
           f"{_EVENT_SUMS} FROM {{events}} WHERE {{scope}} GROUP BY ALL", "grid_code, day",
           ("day", "district_code", "township_code", "grid_code"), _COUNTS),
    Rollup("event_district_daily", _DAYS,
           f"SELECT day, district_code, {_SUMS_OF_SUMS} FROM event_daily WHERE {{scope}} "
           "GROUP BY ALL", "day, district_code"),
    Rollup("event_area_monthly", _MONTHS,
           f"SELECT date_trunc('month', day)::DATE AS month, district_code, township_code, "
           f"grid_code, {_SUMS_OF_SUMS} FROM event_area_daily WHERE {{scope}} GROUP BY ALL",
           "grid_code, month"),
    Rollup("event_department_daily", _DAYS,
           f"SELECT CAST(reported_at AS DATE) AS day, district_code, department_code,"
           f"{_EVENT_SUMS} FROM {{events}} WHERE {{scope}} GROUP BY ALL", "day, district_code",
           ("day", "district_code", "department_code"), _COUNTS),
    Rollup("event_handling_daily", _DAYS,
           f"SELECT CAST(reported_at AS DATE) AS day, district_code, {HANDLING_BUCKET} AS "
           "bucket_h, closed_at <= deadline_at AS on_time, count(*) AS n FROM {events} "
           "WHERE {scope} AND closed_at IS NOT NULL GROUP BY ALL", "day, district_code",
           ("day", "district_code", "bucket_h", "on_time"), ("n",)),
    Rollup("event_deadline_daily", _DAYS,
           f"SELECT CAST(reported_at AS DATE) AS day, district_code, {DEADLINE_HOURS} AS "
           "deadline_h, count(*) AS n FROM {events} WHERE {scope} GROUP BY ALL",
           "day, district_code", ("day", "district_code", "deadline_h"), ("n",)),
    # by the day events are due (the on-time rate): per district and handling department,
    # and per grid cell for the areas below the districts
    Rollup("event_due_daily", "",
           f"SELECT CAST(deadline_at AS DATE) AS day, district_code, department_code,"
           f"{_DUE_SUMS} FROM {{events}} WHERE {{scope}} GROUP BY ALL", "day, district_code",
           ("day", "district_code", "department_code"), _DUE_COUNTS),
    Rollup("event_due_area_daily", "",
           f"SELECT CAST(deadline_at AS DATE) AS day, district_code, township_code, grid_code,"
           f"{_DUE_SUMS} FROM {{events}} WHERE {{scope}} GROUP BY ALL", "grid_code, day",
           ("day", "district_code", "township_code", "grid_code"), _DUE_COUNTS),
    # the same per due month, for the map of every cell over whole months
    Rollup("event_due_area_monthly", "",
           f"SELECT date_trunc('month', deadline_at)::DATE AS month, district_code, "
           f"township_code, grid_code,{_DUE_SUMS} FROM {{events}} WHERE {{scope}} GROUP BY ALL",
           "grid_code, month", ("month", "district_code", "township_code", "grid_code"),
           _DUE_COUNTS),
    # the open events (a few %): overdue is judged when asked, against the reference time
    Rollup("event_open", "",
           "SELECT event_id, district_code, township_code, grid_code, category, "
           "department_code, status, reported_at, deadline_at FROM {events} "
           "WHERE {scope} AND closed_at IS NULL", "grid_code, reported_at"),
)
#: The rollups added after stores were first built: a load builds them, from the events an
#: older store has, if it lacks them (``upgrade``).
_LATER_ROLLUPS = ("event_subcategory_daily", "event_due_daily", "event_due_area_daily",
                  "event_due_area_monthly", "event_open")
SUBCATEGORY_ROLLUP = next(r for r in ROLLUPS if r.table == "event_subcategory_daily")
#: Which narrowing each rollup of rollups' source rows take: the days a batch touched.
_SOURCE_SCOPE = {"event_district_daily": _DAYS,
                 "event_area_monthly": ("(date_trunc('month', day)::DATE, district_code) IN "
                                        "(SELECT DISTINCT date_trunc('month', day)::DATE, "
                                        "district_code FROM _touched_days)")}

#: Every rollup built again from all events: after a new city, a boundary change, a demo.
EVENT_ROLLUP = "".join(
    f"CREATE OR REPLACE TABLE {r.table} AS {r.select.format(events='grid_events', scope='TRUE')} "
    f"ORDER BY {r.order};\n"
    for r in ROLLUPS)

#: The order grid_events is written in, by month, then grid cell (ties by time and event_id:
#: the same order on every build). DuckDB's zone maps then let a report window read only its
#: months' row groups, an area's code only its part of each month, and a top-N by time (the
#: event table's newest-first page) only the window's last month. A load appends a file's new
#: events so and updates the others where they lie (data/load/build._upsert_events); feeds
#: arrive in time order, which keeps the months apart.
EVENT_STORAGE_ORDER = "date_trunc('month', reported_at), grid_code, reported_at, event_id"

#: What a batch of events writes beside them for ``refresh_rollups``, inside its transaction:
#: the day x district pairs it touched, before and after, and each event it changed as it
#: was before (absent when new) and as it is after.
BATCH_TABLES = (
    "CREATE OR REPLACE TEMP TABLE _touched_days (day DATE, district_code VARCHAR);"
    "CREATE OR REPLACE TEMP TABLE _batch_ids (event_id BIGINT);"
    "CREATE OR REPLACE TEMP TABLE _events_before AS SELECT * FROM grid_events LIMIT 0;")


def refresh_rollups(con) -> None:
    """Change the rollups by what a batch changed (``BATCH_TABLES``): each sum over events
    gains its changed events' sums as they are now and loses them as they were, a rollup of
    rollups is built again for the touched day x district pairs, and the open events drop
    the changed events and take those still open. No event outside the batch is read (a
    batch of 10,000 events used to read back every event of the days it touched, scattered
    through a table kept in grid-cell order). Runs inside the caller's transaction, as one
    script: a server's writing thread waits for the interpreter once, not per statement."""
    script = ["CREATE OR REPLACE TEMP TABLE _events_after AS SELECT * FROM grid_events "
              "WHERE event_id IN (SELECT event_id FROM _batch_ids)"]
    for rollup in ROLLUPS:
        if rollup.keys:
            script += _difference(rollup)
        elif rollup.table == "event_open":
            script += ["DELETE FROM event_open WHERE event_id IN "
                       "(SELECT event_id FROM _batch_ids)",
                       "INSERT INTO event_open BY NAME "
                       + rollup.select.format(events="_events_after", scope="TRUE")]
        else:
            script += [f"DELETE FROM {rollup.table} WHERE {rollup.touched}",
                       f"INSERT INTO {rollup.table} BY NAME "
                       + rollup.select.format(events="_", scope=_SOURCE_SCOPE[rollup.table])]
    # (after a failure the rollback drops them)
    script.append("DROP TABLE _events_after; DROP TABLE IF EXISTS _summed")
    con.execute(";\n".join(script))


def _difference(rollup: Rollup) -> list[str]:
    """The statements that make ``rollup``'s rows of the keys a batch touched their sums
    plus the batch's events' sums after, minus their sums before; a row whose count falls
    to 0 goes (a full build has none). Keys match with IS NOT DISTINCT FROM: a NULL key (an
    event without a township) is one. Three statements, each with a cost of its own beside
    its work (2-6 ms at 1M events for a batch of one, more on a busy server): the new sums of
    the touched keys, the rows of those keys out, the new sums in."""
    keys, sums = ", ".join(rollup.keys), rollup.sums
    same = " AND ".join(f"t.{k} IS NOT DISTINCT FROM d.{k}" for k in rollup.keys)
    added = ", ".join(f"sum({c}) AS {c}" for c in sums)
    after = rollup.select.format(events="_events_after", scope="TRUE")
    before = rollup.select.format(events="_events_before", scope="TRUE")
    negated = ", ".join(f"-{c} AS {c}" for c in sums)
    difference = (f"SELECT {keys}, {added} FROM (SELECT {keys}, {', '.join(sums)} FROM "
                  f"({after}) UNION ALL SELECT {keys}, {negated} FROM ({before})) GROUP BY ALL")
    return [f"CREATE OR REPLACE TEMP TABLE _summed AS WITH d AS MATERIALIZED ({difference}) "
            f"SELECT {keys}, {added} FROM (SELECT {keys}, {', '.join(sums)} FROM "
            f"{rollup.table} t WHERE EXISTS (SELECT 1 FROM d WHERE {same}) "
            f"UNION ALL SELECT * FROM d) GROUP BY ALL",
            # the new sums' keys are the difference's: the rows they replace
            f"DELETE FROM {rollup.table} t USING _summed d WHERE {same}",
            f"INSERT INTO {rollup.table} BY NAME SELECT * FROM _summed WHERE n <> 0"]


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
_LATER_TABLES = ("datasets", "key_tasks", "key_task_progress", "indicator_targets",
                 "key_task_milestones", "key_task_departments", "service_cases",
                 "emergency_warnings", "emergency_resources")
#: Nullable columns added at the end of a table after stores were first built: a load adds
#: them to an older store, so its rows read NULL there.
_LATER_COLUMNS = (("grid_events", "reporter_name", "VARCHAR"),
                  ("grid_events", "reporter_phone", "VARCHAR"),
                  ("indicators", "source", "VARCHAR"),
                  ("event_vocabulary", "parent_code", "VARCHAR"),
                  ("grid_events", "subcategory", "VARCHAR"),
                  ("key_tasks", "leader", "VARCHAR"),
                  # a cell's English name (generated cells have one; a file's may not)
                  ("grid_cells", "name_en", "VARCHAR"))


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
    # a city's vocabulary may have more than a TINYINT's 127 second-level categories
    if con.execute("SELECT data_type FROM information_schema.columns WHERE table_name = "
                   "'event_vocabulary' AND column_name = 'ord'").fetchall() == [("TINYINT",)]:
        con.execute("ALTER TABLE event_vocabulary ALTER ord TYPE INTEGER")
    if not con.execute("SELECT count(*) FROM information_schema.tables "
                       "WHERE table_name = 'service_case_daily'").fetchall()[0][0]:
        con.execute(SERVICE_ROLLUP)
    # the rollups added later (second-level categories, the events by due day and month, the
    # open events), built once from the events an older store has
    have = {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    for rollup in ROLLUPS:
        if rollup.table in _LATER_ROLLUPS and rollup.table not in have:
            con.execute(f"CREATE TABLE {rollup.table} AS "
                        + rollup.select.format(events="grid_events", scope="TRUE")
                        + f" ORDER BY {rollup.order}")
    # the overdue list judged at each load's as-of time, before event_open
    con.execute("DROP TABLE IF EXISTS event_overdue")


#: The service cases by acceptance day, district, department and channel: what the services
#: screen, its KPI cards and the report read. A case is due once completed or past its due day
#: at the store's as-of time, whenever that moves (a case still open in last month's file
#: falls due later without being sent again): a view, not a table kept at each load. Cases
#: are a few hundred thousand a year, not the events' millions, and answers are cached per
#: store version.
SERVICE_ROLLUP = """
CREATE OR REPLACE VIEW service_case_daily AS
SELECT CAST(accepted_at AS DATE) AS day, district_code, department_code, channel,
       count(*) AS n,
       count(completed_at) AS n_completed,
       count(*) FILTER (WHERE completed_at < due_date + INTERVAL 1 DAY) AS n_on_time,
       count(*) FILTER (WHERE completed_at IS NOT NULL
                        OR (SELECT CAST(value AS TIMESTAMP) FROM meta WHERE key = 'as_of')
                           >= due_date + INTERVAL 1 DAY) AS n_due,
       count(rating) AS n_rated,
       count(*) FILTER (WHERE rating = 'good') AS n_good,
       count(*) FILTER (WHERE rating = 'fair') AS n_fair,
       count(*) FILTER (WHERE rating = 'bad') AS n_bad,
       count(*) FILTER (WHERE rating = 'bad' AND rectified) AS n_rectified,
       sum(working_days) AS working_days,
       sum(limit_days) FILTER (WHERE completed_at IS NOT NULL) AS limit_days
FROM service_cases GROUP BY ALL ORDER BY day, district_code"""


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


#: What a memoised query may say it reads (data/queries' READS), each with a version of its
#: own in ``meta`` (``version:<part>``: the store's write count when that part last changed):
#: each feed written in place, the store's as-of time (any write may move it), and "base",
#: everything else (places, the catalogue, targets, key tasks, service cases: written only by
#: a copy renamed over the file). A batch moves its feeds' parts (and as_of when it moves);
#: a copy moves them all. So an answer over air stays cached while events arrive.
FEED_PARTS = ("events", "air", "water", "indicators", "warnings", "resources")
VERSION_PARTS = ("base", *FEED_PARTS, "as_of")


def part_counts(meta: dict[str, str]) -> dict[str, str]:
    """Each part's write count from ``meta``'s values. A part without one (a store from
    before per-part versions), or every part when none is at the store's count (the last
    write did not count them: older code), takes the store's count: safe, only slower."""
    count = meta.get("version", "0")
    parts = {part: meta.get(f"version:{part}") for part in VERSION_PARTS}
    if count not in parts.values():
        return dict.fromkeys(VERSION_PARTS, count)
    return {part: found or count for part, found in parts.items()}


def store_fingerprint(path: str | os.PathLike) -> str:
    """What tells one store file from its replacement (a load renames a new file over the
    path): the path and the file's device and inode. Writes in place keep it."""
    path = Path(path)
    return f"{path.resolve()}:{_identity(path)}"


class StoreBusy(Exception):
    """Another process or thread is writing the store."""


@contextmanager
def write_lock(path: str | os.PathLike, wait: bool = True):
    """One writer of a store at a time, across processes and threads (``flock`` on
    ``<store>.lock``, taken by every load and every write in place). Nothing is written to a
    store file or its owner's log without it, so a copy taken under it with that log
    (``copy_whole``) is whole.
    ``wait=False``: raise StoreBusy at once instead of waiting."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_file = path.with_name(path.name + ".lock")
    # This process's threads first: where flock is emulated with POSIX locks (NFS), a
    # process's own locks never exclude each other, and a close of any of its descriptors
    # of the file drops them.
    with _WRITERS_LOCK:
        here = _WRITERS_HERE.setdefault(str(lock_file.resolve()), threading.Lock())
    if not here.acquire(blocking=wait):
        raise StoreBusy(f"another load of {path.name} is running")
    try:
        with open(lock_file, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                raise StoreBusy(f"another load of {path.name} is running") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        here.release()


_WRITERS_HERE: dict[str, threading.Lock] = {}
_WRITERS_LOCK = threading.Lock()


class _Turns:
    """The order in which this process's writers of one store take its lock: small writes
    (the single events a hotline posts as they come) before large batches, each in the order
    it came. ``flock`` wakes every waiter and lets chance pick, so a single event could wait
    behind every batch that queued up while it waited, not only the one being written."""

    def __init__(self):
        self._changed = threading.Condition()
        self._tickets = itertools.count()
        self._waiting: list[tuple[int, int]] = []    # a heap of (0 small | 1 large, ticket)
        self._busy = False

    @contextmanager
    def turn(self, small: bool):
        with self._changed:
            mine = (0 if small else 1, next(self._tickets))
            heapq.heappush(self._waiting, mine)
            try:
                self._changed.wait_for(lambda: not self._busy and self._waiting[0] == mine)
            except BaseException:            # interrupted: leave the queue to the others
                self._waiting.remove(mine)
                heapq.heapify(self._waiting)
                self._changed.notify_all()
                raise
            heapq.heappop(self._waiting)
            self._busy = True
        try:
            yield
        finally:
            with self._changed:
                self._busy = False
                self._changed.notify_all()


_TURNS: dict[str, _Turns] = {}
_TURNS_LOCK = threading.Lock()


@contextmanager
def write_turn(path: str | os.PathLike, small: bool):
    """Wait for this writer's turn among this process's writers of the store at ``path``:
    ``small`` ones first (``_Turns``). A writer then takes ``write_lock`` as any other."""
    with _TURNS_LOCK:
        turns = _TURNS.setdefault(str(Path(path).resolve()), _Turns())
    with turns.turn(small):
        yield


class _Opening(NamedTuple):
    con: duckdb.DuckDBPyConnection
    fingerprint: str
    wal: Path               # where its write-ahead log goes
    marker: int | None      # a writer's marker, held while it is open (``_live``)


def _connect_file(path: Path, writable: bool) -> _Opening:
    """Connect to the file now at ``path``. DuckDB keeps one database per path in a
    process: after a load renames a new file over the path, connecting by the path would
    get the old file's database, still open for the requests running on it. A hard link of a
    name of its own gives each opening its own path (the link is removed once open; the open
    file stays). The log is named after the link, the file's inode in its name; a writer
    holds a marker beside it while open (``_logs``, ``_live``). While the names exist, the
    opening holds a lock on a file of its own (``_OPENING``): names a killed process left
    (the store's disk space, once the file is replaced) are swept (``sweep_left_over``)."""
    token = uuid.uuid4().hex
    link = path.with_name(f".{path.name}.{os.getpid()}.{token}.link")
    holding = link.with_suffix(".opening")
    try:
        held = _hold(holding)
        try:
            os.link(path, link)
        except OSError:
            _let_go_of(holding, held)
            raise
    except OSError:
        if _OPENED.get(str(path.resolve())):
            raise RuntimeError(f"cannot link {link.name} next to the store (a filesystem "
                               "without hard links or file locks, or not writable): a "
                               "replaced store can only be served after a restart") from None
        _OPENED[str(path.resolve())] = True
        return _Opening(_connect_or_snapshot(path, path, writable), store_fingerprint(path),
                        _wal_of(path), None)
    alias = marker = None
    try:
        alias = path.with_name(f".{path.name}.{os.getpid()}.i{link.stat().st_ino}.{token}.open")
        os.replace(link, alias)
        fingerprint = f"{path.resolve()}:{_identity(alias)}"
        marker = _hold_marker(alias) if writable else None
        opening = _Opening(_connect_or_snapshot(alias, path, writable), fingerprint,
                           _wal_of(alias), marker)
        marker = None
        return opening
    finally:
        if marker is not None:              # not opened: no log to mark
            _let_go_of(_marker_of(_wal_of(alias)), marker)
        link.unlink(missing_ok=True)
        if alias is not None:
            alias.unlink(missing_ok=True)
        _let_go_of(holding, held)


#: The lock an opening holds while the store file has its names (``_connect_file``).
_OPENING = r"\d+\.([0-9a-f]{32})\.opening"


def _let_go_of(path: Path, fd: int) -> None:
    """Remove ``path`` and let go of the lock held on it (``_hold``: an opening's, a
    writer's marker), in that order: a sweep that opened it before may find it unlocked
    after, once what it guarded is gone."""
    stat = os.fstat(fd)
    path.unlink(missing_ok=True)
    _HELD_HERE.discard((stat.st_dev, stat.st_ino))
    os.close(fd)


def _connect_or_snapshot(path: Path, store: Path,
                         writable: bool) -> duckdb.DuckDBPyConnection:
    """A connection to ``path`` (the file of ``store``); for reading while another process
    owns the file (a server writing feeds in place: DuckDB lets one process write a file or
    several read it, not both), a connection to a copy of it taken under the write lock, so
    whole."""
    try:
        return connect(path, read_only=not writable)
    except duckdb.IOException as exc:
        if writable or "lock" not in str(exc).lower():
            raise
    with _held_copy(store) as snapshot:
        copy_live(store, snapshot)
        return connect(snapshot, read_only=True)


@contextmanager
def _held_copy(store: Path):
    """Yield a hidden path beside the store for a whole copy of it (a reader's, a load's),
    held by this process till its name is gone (with its log's) at the end of the block:
    a copy nobody holds is a dead process's, and those are removed first (``_sweep``)."""
    _sweep(store.parent, _SNAPSHOT, prefix=f".{store.name}.")
    path = store.with_name(f".{store.name}.{uuid.uuid4().hex}.snapshot")
    # held beside it, not itself: where locks are POSIX locks (NFS), the copy's writing and
    # its opening close descriptors of it, which would drop a lock on it
    held = _hold(_held_name(path))
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
        _wal_of(path).unlink(missing_ok=True)
        _let_go_of(_held_name(path), held)


@contextmanager
def new_file(dest: str | os.PathLike):
    """Yield a hidden path beside ``dest`` to write a new file at: it becomes ``dest`` when
    the block ends, complete or not at all, and never over a file (a backup's copies)."""
    dest = Path(dest)
    if dest.exists():
        raise FileExistsError(f"{dest} exists: a backup never overwrites a file")
    _sweep(dest.parent, _PART)
    _sweep_locking(dest.parent, prefix=f".{dest.name}.")
    part = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
    held = _hold(_held_name(part))  # till its name is gone: a part nobody holds is left over
    try:
        yield part
        os.link(part, dest)             # not over a file that appeared meanwhile
    finally:
        part.unlink(missing_ok=True)
        _let_go_of(_held_name(part), held)


def _held_name(copy: Path) -> Path:
    """The file a copy's writer holds while the copy has its name (``_sweep``)."""
    return copy.with_name(copy.name + ".held")


#: What the folders beside a store for files on their way in are named after (``scratch``).
SCRATCH_PREFIXES = (".feed-", ".upload-")


@contextmanager
def scratch(store: str | os.PathLike, prefix: str):
    """Yield a new folder beside the store for a file on its way in (``prefix``: a feed's
    batch, an upload), removed when the block ends. Held while in use, so that one whose
    process died meanwhile is removed by the next server to start (``sweep_left_over``)."""
    assert prefix in SCRATCH_PREFIXES, prefix
    folder = Path(tempfile.mkdtemp(dir=Path(store).parent, prefix=prefix))
    held = None
    try:
        held = _hold(folder / ".held")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if held is not None:
            _let_go_of(folder / ".held", held)


#: The names of what a dead process left (``_sweep``): group 1 names the copy, whose
#: ``_held_name`` its writer held.
_SNAPSHOT = r"(\..+\.[0-9a-f]{32}\.snapshot)(\.wal|\.held)?"     # a reader's whole copy
_PART = r"(\..+\.[0-9a-f]{32}\.part)(\.wal|-journal|\.held)?"    # a backup's on its way


def sweep_left_over(store: str | os.PathLike, grace_seconds: float = 3600) -> None:
    """Remove what processes killed (kill -9, out of memory) left beside the store for good:
    the whole copies readers take of a store the server owns (the store's size: GBs at
    100M events), the folders a feed's batch or an upload waits in (``scratch``), and the
    names an opening gives the store file for a moment (``_connect_file``: a second name
    keeps a replaced file's disk space), and the files of one killed as it took a lock
    (``_sweep_locking``). Only those nobody holds (a lock, not a process id:
    the folder may be shared by several machines); a folder not yet marked as held is left
    ``grace_seconds``: it may be a moment old. The server calls it as it starts, a load as
    it recovers the store."""
    store = Path(store)
    _sweep(store.parent, _SNAPSHOT, prefix=f".{store.name}.")
    _sweep_locking(store.parent, prefix=f".{store.name}.")
    for opening, match in _beside(store, _OPENING):
        try:
            if _held(opening):
                continue
        except OSError:             # another user's: not ours to remove
            continue
        for name, _ in _beside(store, rf"\d+\.(?:i\d+\.)?{match[1]}\.(?:link|open)"):
            name.unlink(missing_ok=True)
        opening.unlink(missing_ok=True)
    for prefix in SCRATCH_PREFIXES:
        for folder in store.parent.glob(f"{prefix}*"):
            mark = folder / ".held"
            try:
                left = (not _held(mark) if mark.exists() else
                        time.time() - folder.stat().st_mtime > grace_seconds)
            except OSError:         # gone meanwhile, or another user's: not ours to judge
                continue
            if left and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)


def _sweep_locking(folder: Path, prefix: str, grace_seconds: float = 60) -> None:
    """Remove the files of holders killed inside ``_hold``, between creating a file and
    giving it its name: nobody holds them, and older than ``grace_seconds`` (a live holder
    takes its lock a moment after creating the file)."""
    for found in folder.glob(f"{prefix}*.locking"):
        try:
            if time.time() - found.stat().st_mtime > grace_seconds and not _held(found):
                found.unlink(missing_ok=True)
        except OSError:             # gone meanwhile, or another user's: not ours to judge
            continue


def _sweep(folder: Path, pattern: str, prefix: str = ".") -> None:
    """Remove the files in ``folder`` named ``pattern`` (starting with ``prefix``) of a copy
    (the pattern's group 1) whose held file (``_held_name``) nobody holds: its process
    died."""
    name = re.compile(pattern)
    for found in folder.glob(f"{prefix}*"):
        match = name.fullmatch(found.name)
        if not match:
            continue
        try:
            if _held(_held_name(found.with_name(match[1]))):
                continue
        except OSError:             # another user's: not ours to remove
            continue
        found.unlink(missing_ok=True)


def backup(path: str | os.PathLike, dest: str | os.PathLike) -> None:
    """Write a whole copy of the store at ``path`` to ``dest``, one file, while a server may
    be writing it: the file copied beside the writers, its owner's log under the lock
    (``copy_live``), the log then moved into the copy. A plain ``cp`` of a served file
    misses what its log holds."""
    path = Path(path)
    with new_file(dest) as part:
        try:
            copy_live(path, part)
            con = connect(part, read_only=False)
            con.execute("CHECKPOINT")
            con.close()
        finally:
            _wal_of(part).unlink(missing_ok=True)


@atexit.register
def _close_owners() -> None:
    """A server that ends cleanly checkpoints its log into the file under the lock (DuckDB
    would do it as the interpreter ends, without the lock)."""
    for store in list(_OWNERS.values()):
        store.close()


#: The size of an owner's write-ahead log past which a write in place ends with a checkpoint
#: (``Store.checkpoint_if_large``): bounds what a copy carries and a restart replays.
CHECKPOINT_WAL_BYTES = 64 * 2**20

#: Store paths this process opened without a link: DuckDB would hand back that database.
_OPENED: dict[str, bool] = {}
#: The stores open in this process, by path (a replaced file's too, until closed).
_OPEN: dict[str, "weakref.WeakSet[Store]"] = {}
#: The store each path's file is written through in this process (``Store(writable=True)``):
#: a load in the same process writes through it instead of opening the file a second time.
_OWNERS: dict[str, "Store"] = {}


def _identity(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_dev}:{stat.st_ino}"


def _wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


#: The name of a writer's marker beside its store (``_beside``; ``_marker_of``).
_MARKER = r"\d+\.i\d+\.[0-9a-f]{32}\.open\.alive"


def _marker_of(wal: Path) -> Path:
    """The file the writer of ``wal`` holds a shared lock on while it is open (``_live``)."""
    return wal.with_name(wal.name[:-len(".wal")] + ".alive")


class _Log(NamedTuple):
    """A write-ahead log of an opening through a link (``_connect_file``)."""
    wal: Path
    pid: int
    inode: int | None       # of the file it belongs to; None in a name from before inodes

    @property
    def marker(self) -> Path:
        return _marker_of(self.wal)


def _beside(path: Path, pattern: str) -> list[tuple[Path, re.Match]]:
    """The files beside the store at ``path`` named ``.<store>.`` + ``pattern`` (a regular
    expression matched whole: a store named ``<store>.2`` has files of its own)."""
    name = re.compile(rf"\.{re.escape(path.name)}\.{pattern}")
    return [(found, match) for found in path.parent.glob(f".{path.name}.*")
            if (match := name.fullmatch(found.name))]


def _logs(path: Path) -> list[_Log]:
    """The logs of openings of the store at ``path`` through a link:
    ``.<store>.<pid>.i<inode>.<hex>.open.wal`` (``.<store>.<pid>.<hex>.open.wal`` before
    inodes were named)."""
    return [_Log(wal, int(match[1]), int(match[2]) if match[2] else None)
            for wal, match in _beside(path, r"(\d+)\.(?:i(\d+)\.)?[0-9a-f]{32}\.open\.wal")]


def _live(log_: _Log) -> bool:
    """Whether the opening that writes ``log_`` is still open. It holds a shared lock on its
    marker as long as it is; the lock dies with the process, which a process id does not
    (ids are reused). A name from before markers: its process id."""
    if log_.inode is None:
        return Path(f"/proc/{log_.pid}").exists()
    return _held(log_.marker)


def _held(marker: Path) -> bool:
    """Whether a writer holds its lock on ``marker``, or a reader on its copy (``_hold``).
    This process's own are known without asking (``_HELD_HERE``); another's by asking for
    an exclusive lock, on a descriptor open for writing where it can be (NFS emulates flock
    with POSIX locks, which refuse an exclusive lock to a read-only descriptor)."""
    try:
        stat = os.stat(marker)
        if (stat.st_dev, stat.st_ino) in _HELD_HERE:
            return True
        try:
            fd = os.open(marker, os.O_RDWR)
        except FileNotFoundError:
            raise
        except OSError:     # another user's file, a read-only mount: a local flock needs no more
            fd = os.open(marker, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _hold_marker(alias: Path) -> int:
    """Create the marker of the opening through ``alias`` and hold its shared lock (the
    descriptor, closed by ``Store.close``); ``recover`` removes markers nobody holds."""
    return _hold(_marker_of(_wal_of(alias)))


def _hold(path: Path) -> int:
    """Create an empty file at ``path`` and hold a shared lock on it (the descriptor, for
    the caller to close): locked under a name of its own, then renamed, so it is never seen
    unlocked while its holder lives (``_held``). Nothing else is written to it: where locks
    are POSIX locks (NFS), closing any descriptor of a file drops its locks."""
    locking = path.with_name(f"{path.name}.{uuid.uuid4().hex}.locking")
    fd = os.open(locking, os.O_CREAT | os.O_RDWR, 0o600)
    stat = os.fstat(fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        _HELD_HERE.add((stat.st_dev, stat.st_ino))
        os.rename(locking, path)
    except BaseException:
        _HELD_HERE.discard((stat.st_dev, stat.st_ino))
        os.close(fd)
        locking.unlink(missing_ok=True)
        raise
    return fd


#: The files this process holds a lock on (``_hold``), by device and inode. A process does
#: not judge its own lock by asking for one: where flock is emulated with POSIX locks (NFS),
#: a process's locks never conflict with each other, and closing any descriptor of the file
#: drops them all.
_HELD_HERE: set[tuple[int, int]] = set()


def _release(con: duckdb.DuckDBPyConnection, fd: int | None, wal: Path) -> None:
    con.close()
    if fd is not None:
        _let_go_of(_marker_of(wal), fd)


def _needs_recovery(path: Path) -> bool:
    """Whether a writer of the store at ``path`` died leaving a log (``recover``)."""
    return _wal_of(path).exists() or any(not _live(found) for found in _logs(path))


def _refused(exc: duckdb.Error) -> bool:
    """DuckDB refused a log as not this file's, or older than the file's last checkpoint."""
    return "does not match" in str(exc)


def _set_aside(wal: Path, exc: duckdb.Error | str) -> None:
    """Keep a log DuckDB refused beside the store under a name nothing opens, for whoever
    looks into it; never replayed, never lost."""
    aside = wal.with_name(f"{wal.name}.refused")
    os.replace(wal, aside)
    log.warning("%s: a dead writer's log not replayed, kept as %s: %s",
                wal.name, aside.name, exc)


def _replay(path: Path, found: _Log) -> None:
    """Replay a dead writer's log into the file: through a link of its own, the log linked
    beside it (not moved: a recovery cut short leaves the log under its own name, and the
    next one replays it, or DuckDB refuses it as older than the file once its checkpoint
    was done); set aside if DuckDB refuses it."""
    link = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.recover")
    os.link(path, link)
    try:
        os.link(found.wal, _wal_of(link))
        try:
            con = connect(link, read_only=False)
        except duckdb.Error as exc:
            if not _refused(exc):
                raise
            _set_aside(found.wal, exc)
            return
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()
        found.wal.unlink()
    finally:
        link.unlink(missing_ok=True)
        _wal_of(link).unlink(missing_ok=True)
        found.marker.unlink(missing_ok=True)


def recover(path: str | os.PathLike) -> None:
    """Complete the store at ``path`` from the write-ahead logs of its writers that died (a
    server killed): their committed batches are replayed into the file (DuckDB stops at the
    last commit, so a batch cut short is left out whole). A log DuckDB refuses (not this
    file's, or older than its last checkpoint) is set aside; the logs of replaced files, and
    of names from before inodes (whose writers checkpointed after every write), are removed,
    and so is what dead processes left (``sweep_left_over``). Any other failure raises,
    the log kept. The caller holds ``write_lock``."""
    path = Path(path)
    sweep_left_over(path)
    for leftover, _ in _beside(path, r"\d+\.[0-9a-f]{32}\.recover(\.wal)?"):
        leftover.unlink(missing_ok=True)        # a recovery cut short; its log is in place
    inode = path.stat().st_ino
    for found in _logs(path):
        if _live(found):
            continue
        if found.inode == inode:
            if path.stat().st_mtime_ns > found.wal.stat().st_mtime_ns:
                # its writer wrote the log after the file, always (a checkpoint writes the
                # file, then empties the log): this file was put back since (a backup
                # restored by cp keeps the inode), and DuckDB may not tell
                _set_aside(found.wal, "the file was changed after its last write")
                found.marker.unlink(missing_ok=True)
                continue
            _replay(path, found)
        else:
            found.wal.unlink(missing_ok=True)
            found.marker.unlink(missing_ok=True)
    for marker, _ in _beside(path, _MARKER):
        # the marker of a writer that died before it wrote a log
        if not marker.with_name(marker.name[:-len(".alive")] + ".wal").exists() \
                and not _held(marker):
            marker.unlink(missing_ok=True)
    if _wal_of(path).exists() and not _OPENED.get(str(path.resolve())):
        # the log of a writer that opened the file by its own name (a load in place from the
        # CLI, build._own): DuckDB replays it when the file is opened by that name
        try:
            con = connect(path, read_only=False)
        except duckdb.Error as exc:
            if "lock" in str(exc).lower():
                return                  # its writer is alive and holds the file
            if not _refused(exc):
                raise
            _set_aside(_wal_of(path), exc)
        else:
            try:
                con.execute("CHECKPOINT")
            finally:
                con.close()


def copy_whole(path: str | os.PathLike, dest: str | os.PathLike) -> None:
    """Copy the store at ``path`` to ``dest`` with what its owner has committed and not yet
    checkpointed: its write-ahead log goes with it as ``dest``'s, which DuckDB replays when
    ``dest`` is opened. The owner checkpoints when DuckDB's own threshold is passed with no
    query running, or its log past ``CHECKPOINT_WAL_BYTES``, not after every write. The
    caller holds ``write_lock``: nothing is being written, so file and log agree."""
    path, dest = Path(path), Path(dest)
    if _needs_recovery(path):
        recover(path)
    shutil.copyfile(path, dest)
    _copy_log(path, dest)


def copy_live(path: str | os.PathLike, dest: str | os.PathLike) -> None:
    """Copy the store at ``path`` to ``dest`` as ``copy_whole`` does, while its owner goes on
    writing: the file is copied without the lock (6.9 GB at 100M events, long enough to
    hold up every feed), then, under the lock, its log alone if the file was not written
    or replaced meanwhile (``_mark_for_copy``), else the whole again. A feed's batch goes
    to the log; the file changes at a checkpoint (every 64 MB of log) and with an append
    of a row group or more (122,880 rows: DuckDB writes those into the file at once)."""
    path, dest = Path(path), Path(dest)
    before = _copy_file_ahead(path, dest)
    with write_lock(path):
        _copy_the_rest(path, dest, before)


class CopyAhead(NamedTuple):
    """A copy of a store's file made beside its writers (``copy_ahead``)."""
    store: Path
    path: Path                  # the copy, held by this process
    before: tuple | None        # the store file's state it was copied in (None: not copied)

    def finish(self) -> None:
        """Make the copy whole (its log, or the whole file again). The caller holds the
        store's ``write_lock`` from here until it has no more use for the copy."""
        _copy_the_rest(self.store, self.path, self.before)


@contextmanager
def copy_ahead(store: str | os.PathLike, wait: bool = True):
    """For a load that writes a copy of a store another process writes in place (a server)
    and renames it over the file: the file copied now, beside the writers, to a file held
    by this process (``CopyAhead.finish`` makes it whole under the lock). Removed when the
    block ends unless renamed (``_held_copy``). ``wait``: as ``write_lock``'s, for the
    moment it takes the lock."""
    store = Path(store)
    with _held_copy(store) as path:
        yield CopyAhead(store, path, _copy_file_ahead(store, path, wait))


#: What opens each store path's file anew in this process once a load replaced it (the
#: server's ``Runtime.reload_if_replaced``), by path; weak: a server gone takes it along.
_REOPENERS: dict[str, weakref.WeakMethod] = {}


def when_replaced(path: str | os.PathLike, reopen) -> None:
    """Have ``reopen`` (a bound method) called when a writer of this process finds the file
    at ``path`` replaced by a load (``reopen_replaced``): the server opening the new file,
    not waiting for a request to do so."""
    _REOPENERS[str(Path(path).resolve())] = weakref.WeakMethod(reopen)


def reopen_replaced(path: str | os.PathLike) -> None:
    """Ask whoever serves the store at ``path`` in this process to open its file anew."""
    found = _REOPENERS.get(str(Path(path).resolve()))
    reopen = found() if found is not None else None
    if reopen is not None:
        reopen()


def open_for_writing(path: str | os.PathLike) -> bool:
    """Whether a process has the store at ``path`` open to write it in place (a server
    owning it; its marker held, ``_hold_marker``): a load from another writes a copy."""
    return any(_held(marker) for marker, _ in _beside(Path(path), _MARKER))


def _copy_file_ahead(path: Path, dest: Path, wait: bool = True) -> tuple | None:
    """Copy the file of the store at ``path`` to ``dest`` without the lock, once marked under
    it (``_mark_for_copy``); return the mark, or None (nothing copied) where it cannot be
    set."""
    with write_lock(path, wait):
        if _needs_recovery(path):
            recover(path)
        before = _mark_for_copy(path)
    if before is not None:
        shutil.copyfile(path, dest)
    return before


def _copy_the_rest(path: Path, dest: Path, before: tuple | None) -> None:
    """Make ``dest`` (the file copied ahead in the state ``before``) a whole copy of the
    store at ``path``: its log alone if the file was not written or replaced since (nor its
    writer died: its log is replayed into the file first), else the whole again. The
    caller holds ``write_lock``."""
    if before is not None and _file_state(path) == before and not _needs_recovery(path):
        _copy_log(path, dest)
    else:
        copy_whole(path, dest)


def _mark_for_copy(path: Path) -> tuple | None:
    """Set the file's time of change a nanosecond back, to a time no later write can give
    it, and return the file's state (``_file_state``): a write or a replacement from now on
    changes it. A mark another copy set, the file unchanged since, is kept (written in
    ``<store>.copymark``; not in ``<store>.lock``, whose reading would drop the lock held on
    it where locks are POSIX locks). The caller holds ``write_lock``, so nothing is being
    written. None, and the time as it was, where the file's time cannot be set to the
    nanosecond (another user's file, a read-only mount, a filesystem with a coarser grain,
    where a later write could give it the same time)."""
    marks = path.with_name(path.name + ".copymark")
    state = _file_state(path)
    try:
        if marks.read_text() == repr(state):
            return state
    except OSError:
        pass
    stat = path.stat()
    wanted = stat.st_mtime_ns - 1
    try:
        os.utime(path, ns=(stat.st_atime_ns, wanted))
        if path.stat().st_mtime_ns != wanted:
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            return None
        state = _file_state(path)
        marks.write_text(repr(state))
    except OSError as exc:
        log.info("%s: copied under the lock (its time cannot be set: %s)", path.name, exc)
        return None
    return state


def _file_state(path: Path) -> tuple:
    stat = path.stat()
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


def _copy_log(path: Path, dest: Path) -> None:
    """Copy the log of the store at ``path``'s live writer as ``dest``'s (or remove
    ``dest``'s: none). The caller holds ``write_lock``."""
    inode = path.stat().st_ino
    logs = [found.wal for found in _logs(path) if found.inode == inode and _live(found)]
    if _wal_of(path).exists():          # a writer that opened the file by its own name
        logs.append(_wal_of(path))
    if len(logs) > 1:
        raise RuntimeError(f"{path.name} has {len(logs)} writers' logs: "
                           f"{', '.join(w.name for w in logs)}")
    _wal_of(dest).unlink(missing_ok=True)
    for wal in logs:
        shutil.copyfile(wal, _wal_of(dest))


class Store:
    """A store file shared by the server's threads, a cursor per thread. Read-only, or
    ``writable``: this process owns the file and writes feeds into it in place
    (``writing``); DuckDB then lets no other process open it (they read a copy)."""

    def __init__(self, path: str | os.PathLike, writable: bool = False,
                 queries_at_once: int = 1):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no store at {self.path}: build one with `citybrain demo`")
        self.writable = writable
        if _needs_recovery(self.path):
            try:
                with write_lock(self.path):
                    recover(self.path)
            except (OSError, duckdb.Error) as exc:
                if writable:                # it would write on top of what the log holds
                    raise
                # a reader without the right to write there, or the file held by another
                # process (the log waits for the next writer): it reads the file as it is
                log.warning("%s: a dead writer's log not replayed: %s", self.path.name, exc)
        self._con, self.fingerprint, self._wal, marker = _connect_file(self.path, writable)
        # a replaced store is dropped, not closed, once its last request ends: its
        # connection closes, then its marker goes
        self._release = weakref.finalize(self, _release, self._con, marker, self._wal)
        self._local = threading.local()
        self._write = threading.Lock()
        # The owner answers one query at a time: its writes compete with the requests'
        # queries for DuckDB's threads and the cores, and with eight at once a single
        # event's write took 0.4-1.4 s against 0.12 s alone (bench/README.md, "One query at
        # a time"). Each query then has DuckDB's threads to itself.
        # A store service (data/service.py) runs little Python beside DuckDB and lets more
        # than one query run (``queries_at_once``).
        self._reading: AbstractContextManager
        if not writable:
            self._reading = nullcontext()
        elif queries_at_once > 1:
            self._reading = threading.BoundedSemaphore(queries_at_once)
        else:
            self._reading = threading.RLock()
        #: Changes with every write (the store's id and write count): part of every cache
        #: key, so machines serving copies of one store share cached answers.
        self.version = ""
        #: Each of VERSION_PARTS' version ("<store id>:<count>"): the keys of the answers
        #: that say what they read (data/queries' READS).
        self.part_versions: dict[str, str] = {}
        self.read_version()
        _OPEN.setdefault(str(self.path.resolve()), weakref.WeakSet()).add(self)
        if writable:
            _OWNERS[str(self.path.resolve())] = self

    def read_version(self) -> str:
        """Read the store's version and its parts' (``part_versions``) from the file, as
        of its last commit (the owner calls it after each write in place); return it."""
        cursor = self._con.cursor()
        try:
            found = dict(cursor.execute(
                "SELECT key, value FROM meta WHERE key IN ('store_id', 'version') "
                "OR key LIKE 'version:%'").fetchall())
        finally:
            cursor.close()
        if "store_id" not in found:          # a store from before versions
            parts = dict.fromkeys(VERSION_PARTS, self.fingerprint)
            version = self.fingerprint
        else:
            parts = {part: f"{found['store_id']}:{count}"
                     for part, count in part_counts(found).items()}
            version = f"{found['store_id']}:{found.get('version', '0')}"
        # the parts first: a key made between the two assignments names the new data
        # (committed before this is read) under one version or the other, never old data
        self.part_versions, self.version = parts, version
        return version

    def tell_apart(self, tag: str) -> None:
        """Mark this opening's versions with ``tag``: a file put in place without a load (a
        restored copy, an edit by hand) keeps the versions of the file it replaced, and keyed
        by them the cache would answer from the old file's rows."""
        self.part_versions = {part: f"{value}+{tag}"
                              for part, value in self.part_versions.items()}
        self.version += f"+{tag}"

    @staticmethod
    def opened_here(path: str | os.PathLike) -> bool:
        """Whether this process holds a store open on the file now at ``path`` (another
        opening to write it would be a second database on one file, unseen by the first)."""
        try:
            now = store_fingerprint(path)
        except FileNotFoundError:
            return False
        return any(store.fingerprint == now
                   for store in list(_OPEN.get(str(Path(path).resolve()), ())))

    @staticmethod
    def serves_in_place(path: str | os.PathLike) -> bool:
        """Whether this process writes the store at ``path`` as its owner, the file now there
        or one it replaced (``owner``: only the former)."""
        return str(Path(path).resolve()) in _OWNERS

    @staticmethod
    def owner(path: str | os.PathLike) -> "Store | None":
        """The writable store this process holds on the file now at ``path``, if any."""
        store = _OWNERS.get(str(Path(path).resolve()))
        if store is None:
            return None
        try:
            if store.fingerprint != store_fingerprint(path):
                return None             # the file was replaced: a load made a new one
        except FileNotFoundError:
            return None
        return store

    @contextmanager
    def writing(self):
        """A connection for one write in place, one writer at a time in this process (the
        caller holds ``write_lock`` against other processes)."""
        if not self.writable:
            raise RuntimeError(f"{self.path} is open read-only")
        with self._write:
            cursor = self._con.cursor()
            try:
                yield cursor
            finally:
                cursor.close()

    def checkpoint_if_large(self) -> None:
        """After a write in place: move the write-ahead log into the file once it is large.
        DuckDB does so itself at a commit past 16 MB of log, but only with no query running;
        under steady reading this bounds the log. Not after every write: FORCE CHECKPOINT
        waits for the queries still reading the rows a batch replaced, and every writer
        queued behind would wait with it. A copy of the file takes the log with it
        (``copy_whole``) and a killed owner's log is replayed at the next opening
        (``recover``), so the file needs not be whole on its own. The caller holds
        ``write_lock``. A checkpoint that fails is DuckDB's to do later."""
        try:
            if self._wal.stat().st_size < CHECKPOINT_WAL_BYTES:
                return
        except FileNotFoundError:
            return
        try:
            self._con.execute("FORCE CHECKPOINT")
        except duckdb.Error as exc:
            log.warning("%s: checkpoint after a write deferred: %s", self.path.name, exc)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self._con.cursor()
        return cur

    def df(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        """Return the result of a parameterised query as a DataFrame."""
        with self._reading:
            return self._cursor().execute(sql, list(params)).df()

    def records(self, sql: str, params: list | tuple = ()) -> list[dict]:
        """Return the result as dicts: for small answers, where a DataFrame costs more than
        the query."""
        with self._reading:
            cur = self._cursor().execute(sql, list(params))
            names = [d[0] for d in cur.description]
            found = cur.fetchall()
        return [dict(zip(names, row)) for row in found]

    def rows(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        """Return the result of a parameterised query as tuples."""
        with self._reading:
            return self._cursor().execute(sql, list(params)).fetchall()

    def health_meta(self) -> dict[str, str]:
        """The store's meta rows (its as-of, version) for a health check, asked beside the
        requests' queries, not in their turn: behind them it waits as long as they do, and
        a load balancer whose check times out takes the server, every screen with it, out
        of rotation."""
        cursor = self._con.cursor()
        try:
            return dict(cursor.execute("SELECT key, value FROM meta").fetchall())
        finally:
            cursor.close()

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
        thread's cursor may answer other queries while the stream is read. Not one query at
        a time on the owner (``df``): an export streams for as long as its reader reads."""
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
        key = str(self.path.resolve())
        if _OWNERS.get(key) is self:
            del _OWNERS[key]
        _OPEN.get(key, weakref.WeakSet()).discard(self)
        if self.writable and self._serves_path():
            # closing checkpoints the log into the file: not while another process copies it
            with write_lock(self.path):
                self._con.close()
        else:
            self._con.close()
        self._release()

    def _serves_path(self) -> bool:
        try:
            return self.fingerprint == store_fingerprint(self.path)
        except FileNotFoundError:
            return False


_GEO_COLUMNS = {"code", "name_zh", "name_en", "parent_code", "district_code", "township_code",
                "population", "area_km2", "h3", "lon", "lat"}


def replacement(path: str | os.PathLike, served, open_):
    """The store file now at ``path`` opened (``open_()``) if a load renamed it over the one
    ``served`` holds; None while it is the same file, mid-rename, or cannot be opened
    (logged: the caller keeps serving what is open). A file put in place by other means
    than a load (a restored copy, an edit by hand) keeps its version and its feeds': keyed
    by them, caches would answer from the old file's rows, so it is told apart."""
    try:
        if store_fingerprint(path) == served.fingerprint:
            return None
    except FileNotFoundError:
        return None
    try:
        store = open_()
    except Exception as exc:  # noqa: BLE001 (keep serving what is open; say why)
        log.warning("store %s replaced but not reopened: %s", path, exc)
        return None
    if store.version == served.version:
        store.tell_apart(store.fingerprint.rsplit(":", 2)[-1])
    return store


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
