"""Loads: files into a store, all or nothing, without disturbing the store being served.

A load copies the served file (or starts an empty one for a new city) to ``<store>.loading``
(when a server writes the store in place, to a hidden copy made before the lock,
``store.copy_ahead``), reads and checks every file into it in one transaction, rebuilds the
rollups, records each feed's freshness, opens the result as the app would, and only then
renames it over the served file. A failed load deletes its copy: the served store never sees half a load. The
running app notices the rename (``Runtime.reload_if_replaced``) and serves the new file from
its next request; a request already running finishes on the old one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
import weakref
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import shapely
from tqdm import tqdm

from data import catalog, freshness
from data.load.problems import LoadError, Problem
from data.store import (
    BATCH_TABLES,
    EVENT_ROLLUP,
    EVENT_STORAGE_ORDER,
    FEED_PARTS,
    SCHEMA,
    VERSION_PARTS,
    Store,
    StoreBusy,
    connect,
    copy_ahead,
    copy_whole,
    insert,
    open_for_writing,
    part_counts,
    recover,
    refresh_rollups,
    reopen_replaced,
    sweep_left_over,
    upgrade,
    write_lock,
    write_turn,
)
from settings import local_now

log = logging.getLogger(__name__)

#: What a load can read, in the order a load applies them (boundaries before the facts that
#: name their codes, the catalogue before the indicators it declares, targets last: the
#: years of the data loaded with them bound theirs).
KINDS = ("catalogue", "districts", "townships", "grid_cells", "departments", "categories",
         "channels", "stations", "sections", "indicators", "air", "water", "events", "targets",
         "key_tasks", "service_cases", "warnings", "resources")
BOUNDARY_KINDS = ("districts", "townships", "grid_cells")
#: The tables whose rows are points (lon, lat): a source_crs option converts them to WGS-84.
POINT_KINDS = ("events", "stations", "sections", "warnings", "resources")
#: What a load writes into the store file itself when it can (facts: the feeds' kinds);
#: the others (reference data, boundaries, a new city) write a copy and rename it over the
#: file, so a server reading it swaps to it whole. Each has a version of its own in the store
#: (data/store.FEED_PARTS), moved only by the writes that bring it.
IN_PLACE_KINDS = set(FEED_PARTS)
#: An equal-area projection for areas in km² (Albers for China).
_EQUAL_AREA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m"


@dataclass(frozen=True)
class Item:
    """One file to load: its kind (KINDS), path, and the reader's options (code_field, sheet,
    crs, source_crs ...)."""

    kind: str
    path: Path
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class City:
    """A new city's identity: its code (GB/T 2260) and names."""

    code: str
    name_zh: str
    name_en: str


@dataclass
class LoadReport:
    store: Path
    version: str = ""                                      # the store's version after it
    rows: dict[str, int] = field(default_factory=dict)     # kind -> rows loaded
    notes: list[str] = field(default_factory=list)         # what was guessed or generated
    warnings: list[Problem] = field(default_factory=list)  # loaded anyway


def load(store_path: str | os.PathLike, items: list[Item], *, city: City | None = None,
         source: str | None = None, now: dt.datetime | None = None,
         progress: bool = False, wait: bool = True, in_place: bool = True,
         read=None, _after_replacement: bool = False) -> LoadReport:
    """Load files into the store at ``store_path`` and return what was loaded.

    Parameters
    ----------
    store_path : the served store; replaced (renamed over) only when everything loaded.
    items : the files, any order (applied in KINDS order).
    city : start a new city from these files instead of adding to the store; the files must
        then include its districts.
    source : recorded as each feed's source (default: the file names).
    now : the load time (default: the clock).
    progress : a progress bar on stderr.
    wait : when another load of this store is running (or a feed's batch is written), wait
        for it, or refuse at once.
    in_place : write the feeds' kinds (IN_PLACE_KINDS) into the store's file itself when
        this process serves it or nobody has it open; False: always a copy renamed over it.
        A batch this process was to write in place while a load renamed a new file over it
        has the server open that file (``store.when_replaced``), and goes into it.
    read : reads and checks each file in this process's stead (``read_feed``'s arguments;
        an upload's, in a child process within its limits), for a write in place by this
        process, which serves the store; a load it cannot write so raises NotInPlace.

    Raises
    ------
    LoadError : every problem of the first file that had any; the store is untouched.
    NotInPlace : with ``read``, this process does not write the store in place.
    """
    unknown = sorted({item.kind for item in items} - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kinds {unknown}; known: {', '.join(KINDS)}")
    target = Path(store_path)
    now = (now or local_now()).replace(microsecond=0)
    ordered = sorted(items, key=lambda item: KINDS.index(item.kind))
    if city is not None and not any(item.kind == "districts" for item in items):
        raise ValueError("a new city needs its districts' boundaries")
    if city is None and not target.exists():
        raise FileNotFoundError(f"no store at {target}: start a new city with its districts")
    report = LoadReport(target)
    in_place = in_place and city is None and {item.kind for item in items} <= IN_PLACE_KINDS
    owner = Store.owner(target) if in_place else None
    if in_place and owner is None:
        # this process may serve a file a load has since replaced: it opens the new one now
        reopen_replaced(target)
        owner = Store.owner(target)
    if in_place and owner is None:
        # the store's service owns it (CITYBRAIN_STORE_WRITES=service): it writes the batch
        # in place, for a server process, an upload (``read`` in a child within its limits,
        # from the service) or the CLI beside it
        from data import service
        done = service.load(target, items, source=source, now=now, wait=wait, read=read)
        if done is not None:
            return done
    if read is not None and owner is None:
        raise NotInPlace(f"this process does not write {target.name} in place")
    # the server reads a batch in a process of its own before it takes the lock: the rows'
    # checks (Python, a second or so for 10,000 events) neither hold up other writers nor
    # take the interpreter from the requests it serves
    parsed = _read_aside(owner, ordered, now, read) if owner is not None else {}
    # a writer that waits queues in this process: the small ones first (data/store._Turns)
    small = sum(item.path.stat().st_size for item in items) <= READ_HERE_BYTES
    # a copy of a store a server writes in place: its file (GBs at 100M events) copied before
    # the lock is taken, so feeds are held up only while the copy is completed and written
    beside_a_writer = city is None and owner is None and open_for_writing(target)
    ahead = _copied_ahead(target, wait, items) if beside_a_writer else nullcontext()
    if beside_a_writer and in_place:
        # a feed's kind, which a store service would have written in place: say why not
        report.notes.append(
            f"{target.name} is written in place by a server this process cannot hand the "
            "load to: it went into a copy of the whole store renamed over it (a store "
            "service takes it in place from a command run as the server's user with its "
            "CITYBRAIN_RUN_DIR: docs/DEPLOY.md)")
    try:
        return _load(target, ordered, report, city, source, now, progress, wait, in_place,
                     owner, parsed, small, ahead, _after_replacement, read is not None)
    except _Replaced:
        # the file this process writes in place was replaced (a load by copy) while the batch
        # waited its turn: the server opens the new one (``when_replaced``) and the batch
        # goes into that, not into a copy of the whole store renamed over it again
        return load(target, items, city=city, source=source, now=now, progress=progress,
                    wait=wait, in_place=in_place, read=read, _after_replacement=True)


class _Replaced(Exception):
    """The file this process wrote in place was replaced while a batch waited its turn."""


class NotInPlace(Exception):
    """A load asked to be written in place by this process (``read``) cannot be."""


def _load(target: Path, ordered: list[Item], report: LoadReport, city: City | None,
          source: str | None, now: dt.datetime, progress: bool, wait: bool, in_place: bool,
          owner: Store | None, parsed: dict, small: bool, ahead, after_replacement: bool,
          in_place_only: bool) -> LoadReport:
    """``load``'s writing, its turn and the lock taken."""
    with ahead as copied, write_turn(target, small) if wait else nullcontext(), \
            _locked(target, wait, ordered):
        if in_place:
            if owner is not None and Store.owner(target) is owner:
                with owner.writing() as con:    # this process serves the store
                    _write(con, ordered, report, city, source, now, progress, parsed,
                           in_place=True)
                    owner.checkpoint_if_large()
                owner.read_version()            # the store's and its feeds' versions
                return report
            if owner is not None and not after_replacement:
                raise _Replaced
        if in_place_only:
            raise NotInPlace(f"{target.name} was replaced and not opened again in time")
        if in_place:
            con = _own(target)
            if con is not None:         # nobody else has the file open: write it in place
                try:
                    _write(con, ordered, report, city, source, now, progress, in_place=True)
                finally:
                    con.close()
                return report
        if copied is not None:          # the copy made ahead, whole from here on
            copied.finish()
            tmp = copied.path
        else:
            tmp = target.with_name(target.name + ".loading")
            _remove(tmp)
        con = None
        try:
            if copied is None and city is None:
                copy_whole(target, tmp)
            con = connect(tmp, read_only=False)
            if city is not None:
                _start_city(con, city, now)
            _write(con, ordered, report, city, source, now, progress)
        except BaseException:
            if con is not None:
                con.close()
            _remove(tmp)
            raise
        con.close()
        try:
            _check_serves(tmp)
        except Exception:
            _remove(tmp)
            raise
        os.replace(tmp, target)
    return report


def _own(target: Path) -> duckdb.DuckDBPyConnection | None:
    """A connection that writes the store file itself, or None when another process has it
    open (a server: DuckDB lets one process write a file or several read it), or this one
    does read-only (a server serving several workers' way): the load then writes a copy
    and renames it over the file, and the server picks the copy up."""
    if Store.opened_here(target) or Store.serves_in_place(target):
        # a server reopening a replaced file as its owner, at any moment: two writable
        # databases on one file in one process would each overwrite the other's writes
        return None
    try:
        recover(target)             # a server killed with batches only in its log
        return connect(target, read_only=False)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            return None
        raise


def _read_aside(owner: Store, ordered: list[Item], now: dt.datetime,
                read=None) -> dict[int, object]:
    """Each file read and checked against the served store's reference data, by ``read``
    if given, else in the readers' process (a small one here); a LoadError comes back as it
    was raised."""
    out = {}
    for index, item in enumerate(ordered):
        ref = _served_reference(owner, item.kind)
        if read is not None:
            out[index] = read(item.kind, item.path, item.options, ref, now)
        elif item.path.stat().st_size <= READ_HERE_BYTES:
            out[index] = read_feed(item.kind, item.path, item.options, ref, now)
        else:
            out[index] = _readers().submit(read_feed, item.kind, item.path, item.options, ref,
                                           now).result()
    return out


#: The served stores' reference data (``reference``), by kind and base version, read once per
#: opening: a write in place (a feed's kind) never changes the tables it comes from, a load
#: that does writes a new file, which the server opens anew. Read per batch, a single event's
#: check waited for the queries' turn behind the analysts' to read the city's 9,559 cells.
_SERVED_REFERENCES: weakref.WeakKeyDictionary[Store, dict] = weakref.WeakKeyDictionary()


def _served_reference(owner: Store, kind: str) -> dict:
    key = (kind, owner.part_versions.get("base"))
    kept = _SERVED_REFERENCES.setdefault(owner, {})
    if key not in kept:
        kept[key] = reference(owner.rows, kind)
    return kept[key]


#: A file this small (a few dozen events: the single events a hotline posts as they come) is
#: read in the server itself: its checks take a millisecond or two, less than the two round
#: trips to the readers' process, each a wait for the interpreter under load.
READ_HERE_BYTES = 16 * 1024


_POOL: list = []


def _readers():
    """One process that reads feed files for this server (spawned, not forked: the server
    has threads), started on the first batch and kept."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    if _POOL:
        try:
            _POOL[0].submit(int).result()
            return _POOL[0]
        except BrokenProcessPool:          # its process died: start another
            _POOL.clear()
    _POOL.append(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                     initializer=_end_with, initargs=(os.getpid(),)))
    return _POOL[0]


def _end_with(server: int) -> None:
    """In the readers' process: end when the server does. A server stopped without its exit
    handlers (gunicorn's worker ends with os._exit, kill -9) never tells its pool, whose
    process would wait on its queue for ever."""
    import threading
    import time

    def watch():
        while os.getppid() == server:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="end-with-server", daemon=True).start()


def _write(con, ordered: list[Item], report: LoadReport, city: City | None,
           source: str | None, now: dt.datetime, progress: bool,
           parsed: dict | None = None, in_place: bool = False) -> None:
    """Read and write every file in one transaction: the facts, the rollup rows they touch
    (all of them after a boundary change), the store's as-of and version (``in_place``: the
    versions of the feeds written; else of every part: a copy is a new store), each feed's
    freshness. Nothing is written unless everything is: a problem rolls it all back."""
    shape = _shape(con)
    if shape not in _CURRENT_SHAPES:
        upgrade(con)
        upgraded = _shape(con)
        _CURRENT_SHAPES.add(upgraded)
        if upgraded != shape:
            # an older store gained tables or columns: answers of every kind may change
            in_place = False
    con.execute(BATCH_TABLES)
    con.execute("BEGIN TRANSACTION")
    try:
        touched: set[str] = set()
        files: dict[str, str] = {}
        expected = [rows_in(item) if progress else 0 for item in ordered]
        bar = tqdm(desc="loading", unit=" rows", unit_scale=True, disable=not progress,
                   total=sum(expected))
        for index, (item, rows) in enumerate(zip(ordered, expected)):
            bar.set_postfix_str(f"{item.kind}: {item.path.name}")
            before = sum(report.rows.values())
            try:
                if parsed and index in parsed:
                    feeds = _feed_loader(con, item, report, now, parsed[index])
                else:
                    feeds = LOADERS[item.kind](con, item, report, now)
            except duckdb.Error as exc:      # a constraint the readers did not foresee
                raise LoadError([Problem(item.path.name, None, None, None,
                                         f"the store refused it: {exc}")]) from exc
            loaded = sum(report.rows.values()) - before
            if not rows:            # a boundary file: its features count once read
                bar.total += loaded
            bar.update(loaded)
            touched |= feeds
            files.update({feed: item.path.name for feed in feeds})
        bar.close()
        if city is not None:
            _generate_below_districts(con, report)
        if city is not None or touched & set(BOUNDARY_KINDS):
            con.execute(EVENT_ROLLUP)
        elif "grid_events" in touched:
            refresh_rollups(con)
        report.version = _update_meta(
            con, now, {item.kind for item in ordered} if in_place else set(VERSION_PARTS))
        freshness.record(con, source=source or ", ".join(sorted(set(files.values()))),
                         files=files, loaded_at=now,
                         feeds=sorted(t for t in touched if t not in BOUNDARY_KINDS))
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass                    # a failed COMMIT has rolled back already
        raise
    finally:
        con.execute("DROP TABLE IF EXISTS _touched_days; DROP TABLE IF EXISTS _batch_ids; "
                    "DROP TABLE IF EXISTS _events_before")


def _shape(con) -> frozenset[tuple[str, str, str]]:
    """The store's tables and their columns with their types (duckdb_columns: a
    millisecond, a tenth of information_schema's time)."""
    return frozenset(con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns()").fetchall())


#: The shapes (``_shape``) this process has seen an upgrade leave as they were: a write to a
#: store of one of them has nothing to upgrade (``upgrade`` depends on the shape alone) and
#: skips its twenty-odd statements, each a wait for the interpreter on a busy server.
_CURRENT_SHAPES: set[frozenset] = set()


def rows_in(item: Item) -> int:
    """About how many rows a file holds, read cheaply before the load, so the progress bar
    knows its total: a CSV's lines, a Parquet file's metadata, a workbook sheet's
    dimensions. 0 for a boundary file (only GDAL, behind its checks, opens those: its
    features join the total once read) and for a file it cannot tell (its reader says
    why)."""
    path, suffix = item.path, item.path.suffix.lower()
    try:
        if suffix == ".csv":
            with open(path, "rb") as handle:
                return max(0, sum(chunk.count(b"\n") for chunk in iter(
                    lambda: handle.read(1 << 20), b"")) - 1)
        if suffix == ".parquet":
            import pyarrow.parquet as pq
            return pq.ParquetFile(path).metadata.num_rows
        if suffix == ".xlsx":
            import openpyxl
            book = openpyxl.load_workbook(path, read_only=True)
            try:
                sheet = book[item.options["sheet"]] if "sheet" in item.options else book.active
                return max(0, (sheet.max_row or 1) - 1)
            finally:
                book.close()
    except Exception:       # a broken file: its reader names the problem
        return 0
    return 0


@contextmanager
def _locked(target: Path, wait: bool, items: list[Item]):
    """One load at a time per store: a second waits for the first, or is refused."""
    try:
        with write_lock(target, wait):
            yield
    except StoreBusy:
        raise _busy(target, items) from None


@contextmanager
def _copied_ahead(target: Path, wait: bool, items: list[Item]):
    """``copy_ahead``, refused as ``_locked`` is when it cannot wait for the lock."""
    try:
        with copy_ahead(target, wait) as copied:
            yield copied
    except StoreBusy:
        raise _busy(target, items) from None


def _busy(target: Path, items: list[Item]) -> LoadError:
    return LoadError([Problem(items[0].path.name if items else target.name, None, None, None,
                              "another load of this store is running: try again in a moment")])


def remove_leftovers(target: Path) -> None:
    """Remove the half-written copy of a load that was killed (data/load/isolated.py), under
    the store's lock, so never the copy of a load still running, and the copy it may have
    made ahead of the lock (nobody holds it now)."""
    sweep_left_over(target)
    try:
        with _locked(target, False, []):
            _remove(target.with_name(target.name + ".loading"))
    except LoadError:
        pass    # another load holds the lock: it starts by removing the copy itself


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _check_serves(path: Path) -> None:
    """Open the new file as the app does and ask what every screen asks first."""
    from data.queries import Queries
    store = Store(path)
    try:
        q = Queries(store)
        if q.districts().empty:
            raise LoadError([Problem(path.name, None, None, None,
                                     "the store would have no districts")])
        first, last = q.date_bounds()
        q.kpis(None, max(first, last - dt.timedelta(days=29)).isoformat(), last.isoformat())
    finally:
        store.close()


# --- a new city ---------------------------------------------------------------------------------

def _start_city(con, city: City, now: dt.datetime) -> None:
    from data.demo import write_vocabularies
    con.execute(SCHEMA)
    write_vocabularies(con)
    meta = {"city_code": city.code, "city_name_zh": city.name_zh, "city_name_en": city.name_en,
            "is_demo": "false", "crs": "EPSG:4326", "as_of": now.isoformat(timespec="minutes"),
            "first_month": now.date().replace(day=1).isoformat(),
            "built_at": now.isoformat(timespec="seconds"), "generator": "citybrain-load/1"}
    insert(con, "meta", pd.DataFrame(list(meta.items()), columns=["key", "value"]))


def _generate_below_districts(con, report: LoadReport) -> None:
    """A new city without township or grid-cell boundaries gets generated ones (H3 hexagons
    clipped to its districts, as the demo city), so the map can still drill down."""
    from geo.tessellate import tessellate
    if con.execute("SELECT count(*) FROM townships").fetchall()[0][0]:
        return
    districts = _read_level(con, "districts")
    towns, cells = tessellate(districts.rename(columns={"name_zh": "name"}))
    insert(con, "townships", pd.DataFrame({
        "code": towns.code, "name_zh": towns.name, "name_en": towns.name_en,
        "district_code": towns.district_code, "population": 0, "area_km2": towns.area_km2,
        "geom": shapely.to_wkb(towns.geometry.values)}))
    insert(con, "grid_cells", pd.DataFrame({
        "code": cells.code, "name_zh": cells.name, "name_en": cells.name_en,
        "township_code": cells.township_code,
        "district_code": cells.district_code, "h3": cells.h3, "population": 0,
        "area_km2": cells.area_km2, "geom": shapely.to_wkb(cells.geometry.values)}))
    report.notes.append(f"no township or grid-cell boundaries given: generated {len(towns)} "
                        f"townships and {len(cells)} grid cells (H3 hexagons clipped to the "
                        "districts)")


def _read_level(con, table: str) -> gpd.GeoDataFrame:
    frame = con.execute(f"SELECT code, name_zh, geom FROM {table} ORDER BY code").df()
    geometry = shapely.from_wkb([bytes(b) for b in frame.pop("geom")])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def _update_meta(con, now: dt.datetime, parts: set[str]) -> str:
    """The store's as-of time (its latest data: a statistics month counts as its last day, a
    service case its acceptance or completion), first month (its earliest data), version
    (its id and how many loads wrote it) and the versions of the ``parts`` written
    (data/store.VERSION_PARTS; as_of's too when the as-of or first month moves). A load
    never moves the as-of back, nor the first month on. Returns the new version."""
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    known_as_of = dt.datetime.fromisoformat(meta["as_of"]) if meta.get("as_of") else None
    known_first = dt.date.fromisoformat(meta["first_month"]) if meta.get("first_month") \
        else None
    # so the times are read only at or after the as-of and before the first month, which the
    # zone maps narrow to a few row groups (after a batch changed reported_at, its maximum
    # and minimum over every event are otherwise a scan: 16 ms at 10M events)
    months, first_month, stamps, first_stamp = con.execute(
        "SELECT (SELECT max(p) FROM (SELECT max(period) AS p FROM indicator_values "
        "UNION ALL SELECT max(period) FROM water_quality)), "
        "(SELECT min(p) FROM (SELECT min(period) AS p FROM indicator_values "
        "UNION ALL SELECT min(period) FROM water_quality)), "
        "(SELECT max(t) FROM (SELECT max(ts) AS t FROM air_hourly WHERE ts >= $since "
        "UNION ALL SELECT max(reported_at) FROM grid_events WHERE reported_at >= $since "
        "UNION ALL SELECT max(greatest(accepted_at, completed_at)) FROM service_cases)), "
        "(SELECT min(t) FROM (SELECT min(ts) AS t FROM air_hourly WHERE ts < $before "
        "UNION ALL SELECT min(reported_at) FROM grid_events WHERE reported_at < $before))",
        {"since": known_as_of or dt.datetime.min,
         "before": dt.datetime.combine(known_first, dt.time()) if known_first
         else dt.datetime.max}).fetchall()[0]
    store_id = meta.get("store_id") or uuid.uuid4().hex
    count = str(int(meta.get("version", "0")) + 1)
    values = {"loaded_at": now.isoformat(timespec="seconds"), "store_id": store_id,
              "version": count}
    latest = [t for t in (_month_end(months) if months else None, stamps) if t is not None]
    # what was read lies past the known as-of and first month, which therefore count too (a
    # store of events alone, none of them newer than its as-of, still moves its first month)
    as_ofs = [t for t in ((min(max(latest), now) if latest else None), known_as_of)
              if t is not None]
    earliest = [d for d in (first_month, first_stamp and first_stamp.date(), known_first)
                if d is not None]
    if as_ofs and earliest and meta.get("is_demo") != "true":
        values["as_of"] = max(as_ofs).isoformat(timespec="minutes")
        values["first_month"] = min(earliest).replace(day=1).isoformat()
    if any(key in values and values[key] != meta.get(key) for key in ("as_of", "first_month")):
        parts = parts | {"as_of"}
    # the parts not written keep the count they had (all of them the previous count when the
    # store has none yet, or the last write did not count them)
    for part, at in part_counts(meta).items():
        values[f"version:{part}"] = count if part in parts else at
    con.execute("INSERT OR REPLACE INTO meta VALUES " + ", ".join(["(?, ?)"] * len(values)),
                [item for pair in values.items() for item in pair])
    return f"{store_id}:{count}"


def _month_end(day: dt.date) -> dt.datetime:
    first_next = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return dt.datetime.combine(first_next, dt.time()) - dt.timedelta(minutes=1)


# --- the loaders: (con, item, report, now) -> the feeds they touched -------------------------------

def _load_catalogue(con, item: Item, report: LoadReport, now) -> set[str]:
    from data.load.catalogue import read_catalogue
    indicators = read_catalogue(item.path, **item.options)
    # a built-in code declared again is the city's definition: its row, marked with the file,
    # replaces the built-in one (catalog.from_rows)
    rows = pd.DataFrame([asdict(ind) for ind in indicators]).assign(source=item.path.name)
    insert(con, "indicators", rows, replace=True)
    again = [ind.code for ind in indicators if ind.code in catalog.BUILT_IN]
    if again:
        report.notes.append(f"{item.path.name}: {len(again)} built-in indicators declared "
                            f"again ({', '.join(again[:8])}{' …' if len(again) > 8 else ''}): "
                            "the city's names, units, targets and alert lines replace the "
                            "built-in ones")
    report.rows["catalogue"] = len(indicators)
    return set()


def _load_targets(con, item: Item, report: LoadReport, now) -> set[str]:
    """Targets replace those of the same indicator, year and district (a district's own, or
    the city-wide one: district NULL)."""
    from data.load.targets import PLAN_YEARS_AHEAD, read_targets
    rows = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    ref = reference(rows, "indicators")
    meta = dict(rows("SELECT key, value FROM meta"))
    first_value = rows("SELECT min(period) FROM indicator_values")[0][0]
    firsts = [d.year for d in (first_value,) if d is not None]
    if meta.get("first_month"):
        firsts.append(dt.date.fromisoformat(meta["first_month"]).year)
    as_of_year = dt.datetime.fromisoformat(meta["as_of"]).year if meta.get("as_of") else now.year
    years = range(min(firsts or [now.year]), as_of_year + PLAN_YEARS_AHEAD + 1)
    city = {key: meta[key] for key in ("city_code", "city_name_zh", "city_name_en")
            if meta.get(key)}
    frame = read_targets(item.path, catalogue=ref["catalogue"], areas=ref["areas"],
                         years=years, city=city, **item.options)
    report.warnings.extend(frame.attrs.get("warnings", []))
    frame = frame.assign(source=item.path.name, as_of=now)
    with _registered(con, "_targets", frame):
        con.execute("DELETE FROM indicator_targets t USING _targets i "
                    "WHERE t.indicator_code = i.indicator_code AND t.year = i.year "
                    "AND t.district_code IS NOT DISTINCT FROM i.district_code")
        con.execute("INSERT INTO indicator_targets BY NAME SELECT * FROM _targets")
    report.rows["targets"] = len(frame)
    own = frame["district_code"].notna()
    spans = sorted(set(frame["year"]))
    report.notes.append(
        f"{item.path.name}: {len(frame)} targets of {frame['indicator_code'].nunique()} "
        f"indicators for {', '.join(map(str, spans))}: {int((~own).sum())} city-wide, "
        f"{int(own.sum())} districts' own ({frame.loc[own, 'district_code'].nunique()} "
        "districts)")
    bare = int(frame["alert"].isna().sum())
    if bare:
        report.notes.append(f"{item.path.name}: {bare} targets without an alert line: a miss "
                            "shows as short of the target, never as an alert")
    return set()


def _load_boundaries(con, item: Item, report: LoadReport, now) -> set[str]:
    from data.load.boundaries import check_parents, read_boundaries
    level = item.kind
    found = read_boundaries(item.path, level=level, **item.options)
    parents_table = {"townships": "districts", "grid_cells": "townships"}.get(level)
    if parents_table:
        parents = {code for (code,) in con.execute(f"SELECT code FROM {parents_table}")
                   .fetchall()}
        found = check_parents(found, parents)
    report.notes.extend(f"{item.path.name}: {note}" for note in found.notes)
    report.warnings.extend(found.warnings)
    frame = found.frame
    area = frame.geometry.to_crs(_EQUAL_AREA).area.to_numpy() / 1e6
    inner = frame.geometry.representative_point()
    rows = pd.DataFrame({"code": frame["code"], "name_zh": frame["name_zh"],
                         "name_en": frame["name_en"], "population": 0, "area_km2": area,
                         "geom": shapely.to_wkb(frame.geometry.values)})
    if level == "districts":
        city = con.execute("SELECT value FROM meta WHERE key = 'city_code'").fetchall()[0][0]
        rows["parent_code"] = city
        rows["lon"], rows["lat"] = inner.x.to_numpy(), inner.y.to_numpy()
    elif level == "townships":
        rows["district_code"] = frame["parent_code"].to_numpy()
    else:
        rows["township_code"] = frame["parent_code"].to_numpy()
        towns = dict(con.execute("SELECT code, district_code FROM townships").fetchall())
        rows["district_code"] = [towns[t] for t in rows["township_code"]]
        rows = rows.drop(columns="name_en")
    _make_room(con, level, rows, item.path.name)
    insert(con, level, rows)
    report.rows[level] = len(rows)
    return {level}


#: What names areas of each level: facts and children that would lose their area.
_REFERENCES = {
    "townships": (("grid_events", "township_code", "townships"),
                  ("stations", "grid_code", "grid_cells"),
                  ("water_sections", "grid_code", "grid_cells")),
    "grid_cells": (("grid_events", "grid_code", "grid_cells"),
                   ("stations", "grid_code", "grid_cells"),
                   ("water_sections", "grid_code", "grid_cells")),
}


def _make_room(con, level: str, rows: pd.DataFrame, file: str) -> None:
    """Make way for a level's new areas. Districts are a city's identity: they are loaded
    once, with --new-city. Townships (grid cells) replace those of the districts (townships)
    they cover, with the grid cells inside them, unless facts already name those areas."""
    if level == "districts":
        if con.execute("SELECT count(*) FROM districts").fetchall()[0][0]:
            raise LoadError([Problem(file, None, None, None, "districts only with --new-city: "
                                     "the store already has its districts; start a new city "
                                     "from this file and load its data into it")])
        return
    parent = "district_code" if level == "townships" else "township_code"
    covered = sorted(set(rows[parent]))
    doomed = {"townships": ("grid_cells", "townships"), "grid_cells": ("grid_cells",)}[level]
    problems = []
    for table, column, areas in _REFERENCES[level]:
        where = f"{column} IN (SELECT code FROM {areas} WHERE {parent} IN (SELECT unnest(?)))"
        n = con.execute(f"SELECT count(*) FROM {table} WHERE {where}", [covered]).fetchall()[0][0]
        if n:
            problems.append(Problem(file, None, None, None, f"{level} of {', '.join(covered[:5])}"
                                    f" replaced only before facts name them: {n:,} rows of "
                                    f"{table} do"))
    if problems:
        raise LoadError(problems)
    # DuckDB checks a foreign key against rows deleted earlier in the same transaction, so
    # children and parents go in transactions of their own. This is the load's private copy:
    # a failure later still deletes it, and the served store never sees any of it.
    con.execute("COMMIT")
    for table in doomed:
        column = "district_code" if level == "townships" else "township_code"
        con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT unnest(?))", [covered])
    con.execute("BEGIN TRANSACTION")


def _write_indicators(con, item: Item, found, report: LoadReport, now) -> set[str]:
    report.warnings.extend(found.warnings)
    frame = found.frame.assign(source=item.path.name, as_of=now)
    insert(con, "indicator_values", frame[["district_code", "indicator_code", "period", "value",
                                           "source", "as_of"]], replace=True)
    report.rows["indicators"] = report.rows.get("indicators", 0) + len(frame)
    report.notes.append(f"{item.path.name}: {found.layout} layout, "
                        f"{frame['indicator_code'].nunique()} indicators, {len(frame)} values")
    return {f"indicator_values:{code}" for code in frame["indicator_code"].unique()}


def _replace_rows(con, table: str, frame: pd.DataFrame, keys: tuple[str, ...]) -> None:
    """Insert ``frame`` into ``table``, replacing the rows with the same ``keys`` (fact tables
    have no primary key: they are written in bulk). Table and key names come from this
    module, never from a file."""
    match = " AND ".join(f"t.{key} = i.{key}" for key in keys)
    with _registered(con, "_incoming", frame):
        # one script: a server's writing thread waits for the interpreter once, not twice
        con.execute(f"DELETE FROM {table} t USING _incoming i WHERE {match};\n"
                    f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")


def _upsert_events(con, frame: pd.DataFrame) -> None:
    """Write events: those already stored are updated where they lie, the new ones appended
    in EVENT_STORAGE_ORDER. An event closed or rated months after its report so keeps its
    place among its month's: appended at the end instead, it would widen the time span of
    the newest row groups, and a time window's zone maps could no longer skip them. The
    column names are read_events' own (and source, as_of), never a file's."""
    columns = ", ".join(f"{c} = i.{c}" for c in frame.columns if c != "event_id")
    with _registered(con, "_incoming", frame):
        # one script: a server's writing thread waits for the interpreter once, not twice.
        # The new ones: those whose id the stored ids looked up by the batch's lack (a scan
        # of event_id filtered by the batch's ids), not the batch anti-joined against every
        # stored id (a hash table of all of them: 20-30 ms at 10M events)
        con.execute(f"UPDATE grid_events t SET {columns} FROM _incoming i "
                    "WHERE t.event_id = i.event_id;\n"
                    "INSERT INTO grid_events BY NAME SELECT * FROM _incoming WHERE event_id "
                    "NOT IN (SELECT event_id FROM grid_events WHERE event_id IN "
                    "(SELECT event_id FROM _incoming)) "
                    f"ORDER BY {EVENT_STORAGE_ORDER}")


@contextmanager
def _registered(con, name: str, frame: pd.DataFrame):
    """``frame`` readable as ``name`` inside the block. After a failed statement DuckDB
    refuses even the unregistering ("transaction is aborted"): that must not hide the
    failure itself, and the load discards the connection and its copy anyway."""
    con.register(name, frame)
    try:
        yield
    finally:
        try:
            con.unregister(name)
        except duckdb.Error:
            pass


def _write_air(con, item: Item, frame: pd.DataFrame, report: LoadReport, now) -> set[str]:
    """Hourly readings replace those of the same station and hour; the daily means and AQI
    of the days they touch are computed again from all the hours of those days."""
    from data.aqi import daily_aqi, level_index
    stations = dict(con.execute("SELECT code, district_code FROM stations").fetchall())
    report.warnings.extend(frame.attrs.get("warnings", []))
    frame = frame.assign(source=item.path.name, as_of=now)
    _replace_rows(con, "air_hourly", frame, ("station_code", "ts"))
    touched = frame.assign(day=frame["ts"].dt.date)[["station_code", "day"]].drop_duplicates()
    with _registered(con, "_air_days", touched):
        hours = con.execute(
            "SELECT a.* FROM air_hourly a JOIN _air_days d ON a.station_code = d.station_code "
            "AND CAST(a.ts AS DATE) = d.day ORDER BY a.station_code, a.ts").df()
    hours["day"] = hours["ts"].dt.normalize()
    o3 = hours.set_index("ts").groupby("station_code")["o3"].rolling("8h").mean()
    hours["o3_8h"] = o3.to_numpy()
    daily = hours.groupby(["station_code", "day"]).agg(
        pm25=("pm25", "mean"), pm10=("pm10", "mean"), so2=("so2", "mean"),
        no2=("no2", "mean"), co=("co", "mean"), o3_8h=("o3_8h", "max")).reset_index()
    daily["aqi"] = daily_aqi(daily.pm25, daily.pm10, daily.so2, daily.no2, daily.co,
                             daily.o3_8h).round().astype("int16")
    daily["level"] = level_index(daily["aqi"]).astype("int8")
    daily["district_code"] = daily["station_code"].map(stations)
    daily = daily.assign(day=daily["day"].dt.date, source=item.path.name, as_of=now)
    _replace_rows(con, "air_daily", daily, ("station_code", "day"))
    report.rows["air"] = report.rows.get("air", 0) + len(frame)
    return {"air_hourly"}


def _write_water(con, item: Item, frame: pd.DataFrame, report: LoadReport,
                 now) -> set[str]:
    sections = dict(con.execute("SELECT code, district_code FROM water_sections").fetchall())
    report.warnings.extend(frame.attrs.get("warnings", []))
    frame = frame.assign(district_code=frame["section_code"].map(sections),
                         source=item.path.name, as_of=now)
    _replace_rows(con, "water_quality", frame, ("section_code", "period"))
    report.rows["water"] = report.rows.get("water", 0) + len(frame)
    return {"water_quality"}


def _write_events(con, item: Item, frame: pd.DataFrame, report: LoadReport,
                  now) -> set[str]:
    """Events replace those with the same event_id (their reporter too: a file without the
    reporter columns leaves it empty); the rollup rows of their days are built again after."""
    report.warnings.extend(frame.attrs.get("warnings", []))
    frame = frame.assign(source=item.path.name, as_of=now)
    # what the rollups change by (store.refresh_rollups): these events as they were before
    # this load (an event an earlier file of it added was absent) and the days and
    # districts they were and will be in
    # (one script: a server's writing thread waits for the interpreter once, not per statement)
    with _registered(con, "_batch", frame[["event_id", "reported_at", "district_code"]]):
        con.execute(
            "INSERT INTO _events_before SELECT * FROM grid_events WHERE event_id IN "
            "(SELECT event_id FROM _batch EXCEPT SELECT event_id FROM _batch_ids);\n"
            "INSERT INTO _batch_ids SELECT event_id FROM _batch "
            "EXCEPT SELECT event_id FROM _batch_ids;\n"
            # before: what _events_before holds (an event an earlier file of this load
            # changed had its days added with that file's)
            "INSERT INTO _touched_days SELECT CAST(reported_at AS DATE), "
            "district_code FROM _events_before WHERE event_id IN "
            "(SELECT event_id FROM _batch) UNION SELECT CAST(reported_at AS DATE), "
            "district_code FROM _batch")
    _upsert_events(con, frame)
    report.rows["events"] = report.rows.get("events", 0) + len(frame)
    named = int((frame["reporter_name"].notna() | frame["reporter_phone"].notna()).sum())
    if named:
        report.notes.append(f"{item.path.name}: {named} events name their reporter (personal "
                            "data: shown masked to users without clearance)")
    return {"grid_events"}


def _load_places(con, item: Item, report: LoadReport, now) -> set[str]:
    """Departments, air stations, water sections: rows replace those of the same code;
    stations and sections are placed in the grid cell their point lies in."""
    from data.load.places import read_places
    table = {"stations": "stations", "sections": "water_sections",
             "departments": "departments"}[item.kind]
    frame = read_places(item.path, kind=item.kind, **item.options)
    report.warnings.extend(frame.attrs.get("warnings", []))
    if item.kind != "departments":
        cells = con.execute("SELECT code, district_code, geom FROM grid_cells").df()
        tree = shapely.STRtree(shapely.from_wkb([bytes(b) for b in cells["geom"]]))
        points = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
        which = tree.query(points, predicate="intersects")   # a point on a border counts
        found = dict(zip(which[0], which[1]))
        outside = [Problem(item.path.name, int(row), "lon, lat", f"{lon}, {lat}",
                           "a point inside the city's grid cells (WGS-84 degrees)")
                   for i, (row, lon, lat) in enumerate(zip(frame["row"], frame["lon"],
                                                           frame["lat"])) if i not in found]
        if outside:
            raise LoadError(outside)
        index = [found[i] for i in range(len(frame))]
        frame["grid_code"] = cells["code"].to_numpy()[index]
        frame["district_code"] = cells["district_code"].to_numpy()[index]
    insert(con, table, frame.drop(columns="row"), replace=True)
    report.rows[item.kind] = len(frame)
    return set()


def _load_vocabulary(con, item: Item, report: LoadReport, now) -> set[str]:
    """A city's categories (大类 and 小类) or channels replace the store's whole vocabulary of
    that kind; refused when the store's events are filed under a code the file drops (or
    under a 小类 the file moves to another 大类)."""
    from data.load.vocabulary import read_categories, read_channels
    vocab = "category" if item.kind == "categories" else "channel"
    frame = (read_categories if vocab == "category" else read_channels)(item.path,
                                                                         **item.options)
    report.warnings.extend(frame.attrs.get("warnings", []))
    top = frame[frame["parent_code"].isna()]
    firsts, parents = set(top["code"]), dict(zip(frame["code"], frame["parent_code"]))
    headers = frame.attrs.get("columns", {})
    column = headers.get("category_code" if vocab == "category" else "code")
    sub_column = headers.get("code") or column
    problems = []
    if vocab == "category":
        # the second-level rollup holds every (category, subcategory) the events use
        used = con.execute("SELECT category, subcategory, sum(n)::BIGINT FROM "
                           "event_subcategory_daily GROUP BY ALL ORDER BY 1, 2").fetchall()
        dropped: dict[str, int] = {}
        for category, _, n in used:
            if category not in firsts:
                dropped[category] = dropped.get(category, 0) + n
        problems = [(column, category, f"a 大类 the store's events are filed under ({n:,} of "
                     "them): keep it in the file") for category, n in dropped.items()]
        for category, sub, n in used:
            if category in dropped:
                continue
            if sub is not None and parents.get(sub) != category:
                where = ("missing" if sub not in parents
                         else f"under 大类 {parents[sub]} in the file")
                problems.append((sub_column, sub, f"a 小类 of {category} that {n:,} of the "
                                 f"store's events are filed under, {where}: keep it under "
                                 "its 大类"))
    else:
        used = con.execute("SELECT channel, count(*) FROM grid_events GROUP BY 1 "
                           "ORDER BY 1").fetchall()
        problems = [(column, code, f"a channel the store's events came in through ({n:,} of "
                     "them): keep it in the file") for code, n in used if code not in firsts]
    if problems:
        raise LoadError([Problem(item.path.name, None, where, code, expected)
                         for where, code, expected in problems[:50]])
    con.execute("DELETE FROM event_vocabulary WHERE vocabulary = ?", [vocab])
    insert(con, "event_vocabulary", frame.drop(columns="row"))
    report.rows[item.kind] = len(frame)
    if vocab == "category":
        report.notes.append(f"{item.path.name}: {len(top)} categories (大类) and "
                            f"{len(frame) - len(top)} subcategories (小类)")
    return set()


def _load_key_tasks(con, item: Item, report: LoadReport, now) -> set[str]:
    """A supervision ledger (督办台账): its tasks replace those of the same code, with their
    milestones and departments; its progress replaces the months it reports on. Tasks the
    ledger does not name stay (an earlier year's)."""
    from data.load.key_tasks import read_ledger
    rows = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    meta = dict(rows("SELECT key, value FROM meta"))
    as_of = dt.datetime.fromisoformat(meta["as_of"]) if meta.get("as_of") else now
    city = {key: meta[key] for key in ("city_code", "city_name_zh", "city_name_en")
            if meta.get(key)}
    ledger = read_ledger(item.path, departments={c: (zh, en) for c, zh, en in rows(
                             "SELECT code, name_zh, name_en FROM departments")},
                         areas=dict(rows("SELECT code, name_zh FROM districts")),
                         month=as_of.date().replace(day=1), city=city, **item.options)
    tasks = ledger["tasks"]
    report.warnings.extend(tasks.attrs.get("warnings", []))
    codes = list(tasks["code"])
    # A task of the same code is replaced with its progress kept. DuckDB refuses to delete
    # (or update) a task its progress rows still name in the same transaction, so the
    # progress goes first in a transaction of its own, as in _make_room: this is the load's
    # private copy, and a failure later still deletes it.
    kept = con.execute("SELECT * FROM key_task_progress WHERE task_code IN (SELECT unnest(?))",
                       [codes]).df()
    con.execute("DELETE FROM key_task_progress WHERE task_code IN (SELECT unnest(?))", [codes])
    con.execute("COMMIT")
    con.execute("DELETE FROM key_tasks WHERE code IN (SELECT unnest(?))", [codes])
    con.execute("BEGIN TRANSACTION")
    insert(con, "key_tasks", tasks.assign(source=item.path.name, as_of=now))
    if len(kept):
        insert(con, "key_task_progress", kept)
    for table in ("key_task_milestones", "key_task_departments"):
        con.execute(f"DELETE FROM {table} WHERE task_code IN (SELECT unnest(?))", [codes])
    insert(con, "key_task_milestones",
           ledger["milestones"].rename(columns={"name": "name_zh"}))
    insert(con, "key_task_departments", ledger["departments"])
    progress = ledger["progress"]
    with _registered(con, "_ledger_progress", progress):
        # a month's note without a % keeps the progress stored for that month (or the
        # latest before it)
        filled = con.execute(
            "SELECT i.task_code, i.period, coalesce(i.progress, (SELECT arg_max(p.progress, "
            "p.period) FROM key_task_progress p WHERE p.task_code = i.task_code AND p.period "
            "<= i.period), 0.0) AS progress, i.note_zh, i.note_en FROM _ledger_progress i"
        ).df()
    insert(con, "key_task_progress", filled, replace=True)
    report.rows["key_tasks"] = len(tasks)
    report.notes.append(
        f"{item.path.name}: {len(tasks)} key tasks, {len(ledger['milestones'])} milestones, "
        f"{int((ledger['departments']['role'] == 'co').sum())} co-operating departments, "
        f"progress for {progress['period'].nunique()} months")
    return set()


def _load_service_cases(con, item: Item, report: LoadReport, now) -> set[str]:
    """Government service cases (政务服务办件): rows replace those of the same case id, and
    the cases' daily rollup is built again."""
    from data.load.service_cases import read_service_cases
    from data.store import SERVICE_ROLLUP
    rows = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    meta = dict(rows("SELECT key, value FROM meta"))
    city = {key: meta[key] for key in ("city_code", "city_name_zh", "city_name_en")
            if meta.get(key)}
    frame = read_service_cases(
        item.path, departments={c: (zh, en) for c, zh, en in rows(
            "SELECT code, name_zh, name_en FROM departments")},
        areas={c: (zh, en) for c, zh, en in rows(
            "SELECT code, name_zh, name_en FROM districts")},
        as_of=now, city=city, **item.options)
    report.warnings.extend(frame.attrs.get("warnings", []))
    before = rows("SELECT count(*) FROM service_cases")[0][0]
    insert(con, "service_cases", frame.assign(source=item.path.name, as_of=now), replace=True)
    con.execute(SERVICE_ROLLUP)
    replaced = before + len(frame) - rows("SELECT count(*) FROM service_cases")[0][0]
    report.rows["service_cases"] = report.rows.get("service_cases", 0) + len(frame)
    report.notes.append(f"{item.path.name}: {len(frame)} service cases "
                        f"({replaced} replaced cases of the same id), "
                        f"{int(frame['completed_at'].isna().sum())} still open, "
                        f"{int((frame['rating'] == 'bad').sum())} 差评")
    return {"service_cases"}


# --- the feeds' kinds: read (anywhere, even in another process), then written -------------

def reference(rows, kind: str) -> dict:
    """What a feed kind's reader checks a file against, from the store (``rows``: a query
    answering tuples: a connection's or a Store's)."""
    if kind == "events":
        has_parent = rows("SELECT count(*) FROM information_schema.columns WHERE table_name "
                          "= 'event_vocabulary' AND column_name = 'parent_code'")[0][0]
        vocab = rows("SELECT vocabulary, code, name_zh, name_en, "
                     + ("parent_code" if has_parent else "NULL") + " FROM event_vocabulary "
                     "ORDER BY vocabulary, ord")
        return {"cells": {code: (town, district) for code, town, district in rows(
                    "SELECT code, township_code, district_code FROM grid_cells")},
                "departments": {c for (c,) in rows("SELECT code FROM departments")},
                "categories": {c: (zh, en) for v, c, zh, en, p in vocab
                               if v == "category" and p is None},
                "subcategories": {c: (p, zh, en) for v, c, zh, en, p in vocab
                                  if v == "category" and p is not None},
                "channels": {c: (zh, en) for v, c, zh, en, _ in vocab if v == "channel"}}
    if kind == "air":
        return {"stations": {c for (c,) in rows("SELECT code FROM stations")}}
    if kind == "water":
        return {"sections": {c for (c,) in rows("SELECT code FROM water_sections")}}
    if kind in ("warnings", "resources"):
        districts = rows("SELECT code, district_code, name_zh, name_en, geom FROM (SELECT code, "
                         "code AS district_code, name_zh, name_en, geom FROM districts "
                         "UNION ALL SELECT code, district_code, name_zh, name_en, geom "
                         "FROM townships) ORDER BY code")
        shapes = {code: bytes(geom) for code, district, _, _, geom in districts
                  if code == district}
        if kind == "resources":
            return {"districts": shapes}
        return {"districts": shapes, "areas": {code: (district, zh, en, bytes(geom)) for
                                               code, district, zh, en, geom in districts}}
    cursor_rows = rows("SELECT * FROM indicators")
    names = rows("SELECT column_name FROM information_schema.columns WHERE table_name = "
                 "'indicators' ORDER BY ordinal_position")
    return {"areas": dict(rows("SELECT code, name_zh FROM districts")),
            "catalogue": catalog.from_rows(dict(zip([n for (n,) in names], row))
                                           for row in cursor_rows)}


def read_feed(kind: str, path: Path, options: dict, ref: dict, now: dt.datetime):
    """A feed kind's file read and checked against ``ref`` (``reference``): what its writer
    takes, or LoadError. Touches no store, so it runs in a process of its own."""
    if kind == "events":
        from data.load.events import read_events
        return read_events(path, **ref, as_of=now, **options)
    if kind == "air":
        from data.load.air import read_air
        return read_air(path, **ref, as_of=now, **options)
    if kind == "water":
        from data.load.water import read_water
        return read_water(path, **ref, as_of=now.date(), **options)
    if kind == "warnings":
        from data.load.warnings import read_warnings
        return read_warnings(path, **ref, **options)
    if kind == "resources":
        from data.load.resources import read_resources
        return read_resources(path, **ref, **options)
    from data.load.indicators import read_indicators
    return read_indicators(path, **ref, as_of=now.date(), **options)


def _write_emergency(table: str, kind: str):
    """Warnings and resources replace those of the same id (a warning posted again with
    its valid-to is lifted)."""
    def write(con, item: Item, frame: pd.DataFrame, report: LoadReport, now) -> set[str]:
        report.warnings.extend(frame.attrs.get("warnings", []))
        insert(con, table, frame.assign(source=item.path.name, as_of=now), replace=True)
        report.rows[kind] = report.rows.get(kind, 0) + len(frame)
        return {table}
    return write


_WRITERS = {"events": _write_events, "air": _write_air, "water": _write_water,
            "indicators": _write_indicators,
            "warnings": _write_emergency("emergency_warnings", "warnings"),
            "resources": _write_emergency("emergency_resources", "resources")}


def _feed_loader(con, item: Item, report: LoadReport, now, parsed=None) -> set[str]:
    if parsed is None:
        rows = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        parsed = read_feed(item.kind, item.path, item.options, reference(rows, item.kind), now)
    return _WRITERS[item.kind](con, item, parsed, report, now)


LOADERS = {"catalogue": _load_catalogue, "districts": _load_boundaries,
           "townships": _load_boundaries, "grid_cells": _load_boundaries,
           "indicators": _feed_loader, "air": _feed_loader, "water": _feed_loader,
           "events": _feed_loader, "departments": _load_places, "stations": _load_places,
           "sections": _load_places, "targets": _load_targets,
           "categories": _load_vocabulary, "channels": _load_vocabulary,
           "key_tasks": _load_key_tasks, "service_cases": _load_service_cases,
           "warnings": _feed_loader, "resources": _feed_loader}
