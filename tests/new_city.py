"""The walk-through's city (docs/NEW_CITY.md): two files that make a new city, a digest of a
store to show a failed load changed nothing, and files written as offices keep them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import contextmanager

import openpyxl
import shapely

from data.store import connect


@contextmanager
def serving(db):
    """A runtime serving the store file ``db`` as the app does without sign-in (what the
    screens' functions are handed), the store closed after."""
    from charts.runtime import Runtime
    from data.queries import Queries
    from data.store import Store
    from settings import Settings
    store = Store(db)
    try:
        yield Runtime(Settings(db_path=db, build_demo_if_missing=False, cache_type="simple",
                               auth=False, store_writes="copy"), store, Queries(store))
    finally:
        store.close()


def write(path, text: str, encoding: str = "utf-8"):
    """A text file (CSV) in ``encoding``: offices' exports are often GBK."""
    path.write_bytes(text.encode(encoding))
    return path


def excel(path, rows: list[list]):
    """A workbook of one sheet holding ``rows`` as they are (title rows, units rows...)."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


#: A fictional city of four square districts on the Pearl River delta (not Ganzhou).
CITY = ("440700", "江门市", "Jiangmen")
DISTRICTS = [("440703", "蓬江区", 113.00, 22.55), ("440704", "江海区", 113.10, 22.55),
             ("440705", "新会区", 113.00, 22.45), ("440781", "台山市", 113.10, 22.45)]
MONTHS = [dt.date(2025, m, 1) for m in range(1, 13)] + [dt.date(2026, m, 1) for m in range(1, 11)]


def write_boundaries(path):
    features = [{"type": "Feature",
                 "properties": {"adcode": code, "name": name},
                 "geometry": shapely.geometry.mapping(shapely.box(lon, lat, lon + 0.1,
                                                                  lat + 0.1))}
                for code, name, lon, lat in DISTRICTS]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features,
                                "crs": {"type": "name", "properties": {
                                    "name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}},
                               ensure_ascii=False), encoding="utf-8")
    return path


def write_indicators(path, encoding="utf-8"):
    """Long form, as a statistics bureau exports it: names, not codes."""
    lines = ["地区,指标,时间,数值"]
    for i, (_, name, _, _) in enumerate(DISTRICTS):
        for k, month in enumerate(MONTHS):
            lines.append(f"{name},社会消费品零售总额,{month:%Y-%m},{50 + 10 * i + k:.1f}")
            lines.append(f"{name},城镇调查失业率,{month:%Y-%m},{4.5 + 0.1 * i:.2f}")
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def checksums(path) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows: DuckDB's hash of each whole row,
    sorted, then digested (~1 s for the test city's ~900k rows; fetching every row into
    Python to print it took ~20 s)."""
    con = connect(path)     # the app's configuration: DuckDB refuses another in one process
    try:
        out = {}
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables "
                                    "ORDER BY 1").fetchall():
            hashes = con.execute(f'SELECT hash(t) AS h FROM "{table}" t ORDER BY h'
                                 ).fetchnumpy()["h"]
            out[table] = (len(hashes), hashlib.sha1(hashes.tobytes()).hexdigest())
        return out
    finally:
        con.close()
