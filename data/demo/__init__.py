"""The deterministic demo city: Ganzhou's real counties, generated everything else.

Same seed and same ``now`` give the same store, byte for byte in content. Values are synthetic
but shaped like the real thing: magnitudes of Ganzhou's statistics, seasonality (the Spring
Festival dip, the winter PM2.5 peak, summer ozone), district differences, trends, and a few
planted anomalies for the alerts to find (listed in ``PLANTED`` and in docs/DATA_MODEL.md).

The file is built beside its target and moved into place only when complete, so a reader never
sees half a city and a failed build leaves the old file untouched.

A module per job: ``city`` the fixed facts and the time frame, ``geography``, ``economy``,
``environment``, ``tasks`` the key tasks (督办), ``targets`` the three-year plan's targets,
``events`` the grid events, ``emergency`` the warnings and emergency resources.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from data import catalog, freshness
from data.demo.city import (  # noqa: F401
    CITY,
    DISTRICTS,
    PLANTED,
    PLANTED_KEY_TASKS,
    SOURCE,
    SPRING_FESTIVAL,
    Calendar,
    default_now,
)
from data.demo.economy import _write_economy
from data.demo.emergency import _write_emergency
from data.demo.environment import _write_air, _write_water
from data.demo.events import EVENT_CHUNK, _write_events
from data.demo.geography import _write_geography
from data.demo.services import case_count, service_cases
from data.demo.targets import targets as plan_targets
from data.demo.tasks import key_task_code, key_task_ledger, key_tasks  # noqa: F401
from data.store import EVENT_ROLLUP, EVENT_STORAGE_ORDER, SCHEMA, SERVICE_ROLLUP, connect, insert
from settings import local_now

#: DuckDB's memory during a build (GB); the generator's own arrays come on top.
BUILD_MEMORY_GB = 4


def build_demo(path: str | os.PathLike, events: int = 1_000_000, seed: int = 2260,
               now: dt.datetime | None = None, progress: bool = True) -> Path:
    """Build the demo city into the DuckDB file ``path`` and return the path.

    Parameters
    ----------
    path : target file; replaced atomically when the build succeeds.
    events : number of grid events (1,000,000 by default; 10,000,000 works for benchmarks).
    seed : the generator's seed.
    now : the as-of time (defaults to this hour); fix it for reproducible stores.
    progress : show a progress bar on stderr.
    """
    if events < 1000:
        raise ValueError(f"events must be at least 1000, got {events}")
    now = now or default_now()
    cal = Calendar(now)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".building")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    chunks = -(-events // EVENT_CHUNK)
    bar = tqdm(total=6 + chunks, desc="building demo city", unit="step", disable=not progress)
    con = connect(tmp, read_only=False)
    try:
        # DuckDB takes 80% of the memory by default and a 100M-event city sorts more than
        # that: past this it spills to <store>.building.tmp (bench/README.md: peak memory)
        con.execute(f"SET memory_limit = '{BUILD_MEMORY_GB}GB'")
        con.execute(SCHEMA)
        rng = np.random.default_rng(seed)
        geo = _write_geography(con, rng)
        bar.update()
        write_vocabularies(con)
        _write_economy(con, np.random.default_rng(seed + 1), cal)
        bar.update()
        _write_air(con, geo, np.random.default_rng(seed + 2), cal)
        bar.update()
        _write_water(con, geo, np.random.default_rng(seed + 3), cal)
        # the emergency scene from a generator of its own: nothing else changes with it
        _write_emergency(con, geo, np.random.default_rng([seed, 13]), cal)
        tasks, progress = key_tasks(cal, np.random.default_rng(seed + 5))
        insert(con, "key_tasks", tasks)
        insert(con, "key_task_progress", progress)
        milestones, task_departments = key_task_ledger(tasks, progress, cal.now.date())
        insert(con, "key_task_milestones", milestones)
        insert(con, "key_task_departments", task_departments)
        insert(con, "indicator_targets", plan_targets(cal))
        # service cases from a generator of their own: nothing else changes with them
        insert(con, "service_cases", service_cases(cal, np.random.default_rng([seed, 11]),
                                                   case_count(events)))
        con.execute(SERVICE_ROLLUP)
        bar.update()
        con.execute("CREATE TEMP TABLE incoming_events AS FROM grid_events LIMIT 0")
        # reporters from a generator of their own: every other column stays as it was
        _write_events(con, geo, seed + 4, cal, events, bar, np.random.default_rng([seed, 7]))
        con.execute("INSERT INTO grid_events SELECT * FROM incoming_events "
                    f"ORDER BY {EVENT_STORAGE_ORDER}; DROP TABLE incoming_events")
        con.execute(EVENT_ROLLUP)
        bar.update()
        _write_meta(con, cal, seed, events)
        freshness.record(con, source="citybrain-demo/1", loaded_at=cal.now)
        con.execute("CHECKPOINT")
        bar.update()
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    con.close()
    os.replace(tmp, target)
    return target


def write_vocabularies(con) -> None:
    """Write the catalogue and the event vocabularies (every store has them, until a city
    loads its own categories and channels): the grid's categories with the demo's
    second-level categories under them (data/demo/vocabulary.py), channels, stages."""
    from data.demo.vocabulary import SUBCATEGORIES
    insert(con, "indicators", pd.DataFrame(catalog.BUILT_IN.as_rows()))
    rows = [(vocab, code, zh, en, i, None)
            for vocab, table in (("category", catalog.EVENT_CATEGORIES),
                                 ("channel", catalog.EVENT_SOURCES),
                                 ("stage", catalog.EVENT_STAGES))
            for i, (code, (zh, en)) in enumerate(table.items())]
    subs = [(code, zh, en, parent) for parent, children in SUBCATEGORIES.items()
            for code, zh, en, _ in children]
    rows += [("category", code, zh, en, len(catalog.EVENT_CATEGORIES) + i, parent)
             for i, (code, zh, en, parent) in enumerate(subs)]
    insert(con, "event_vocabulary",
           pd.DataFrame(rows, columns=["vocabulary", "code", "name_zh", "name_en", "ord",
                                       "parent_code"]))


def _write_meta(con, cal: Calendar, seed: int, events: int) -> None:
    center = con.execute("SELECT avg(lon), avg(lat) FROM districts").fetchall()[0]
    meta = {
        "city_code": CITY["code"], "city_name_zh": CITY["name_zh"],
        "city_name_en": CITY["name_en"], "is_demo": "true", "crs": "EPSG:4326",
        "as_of": cal.now.isoformat(timespec="minutes"), "seed": str(seed),
        "events": str(events), "built_at": local_now().isoformat(timespec="seconds"),
        "center_lon": f"{center[0]:.5f}", "center_lat": f"{center[1]:.5f}",
        "first_month": cal.first_month.isoformat(),
        "last_complete_month": cal.last_complete_month.isoformat(),
        "generator": "citybrain-demo/1",
        # the version every load and feed counts on (data/store.Store.version)
        "store_id": uuid.uuid4().hex, "version": "1",
    }
    insert(con, "meta", pd.DataFrame(list(meta.items()), columns=["key", "value"]))
