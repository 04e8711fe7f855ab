"""Callbacks of the data screen: an uploaded file -> the same load as `citybrain load`
(data/load/build.py) -> what was loaded or everything wrong with it; the feeds' freshness."""

from __future__ import annotations

import base64
import binascii
import re
from functools import partial
from pathlib import Path

import pandas as pd
from dash import Input, Output, State
from dash.exceptions import PreventUpdate

import i18n
from callbacks import filters
from callbacks.shell import Screen
from charts.overview import target_text
from data import catalog
from data.access import what
from data.demo.city import SOURCE as DEMO_SOURCE
from data.load.build import (
    BOUNDARY_KINDS,
    IN_PLACE_KINDS,
    KINDS,
    POINT_KINDS,
    Item,
    LoadReport,
    NotInPlace,
    load,
)
from data.load.isolated import Limits, load_isolated, read_isolated
from data.load.problems import LoadError
from data.service import RemoteStore
from data.store import Store, scratch
from geo import crs
from layouts import datasets
from layouts.ids import Datasets, Shell
from settings import local_now
from web import limits

#: An upload's file name keeps letters (Chinese too), digits, dot, dash and underscore only.
_UNSAFE = re.compile(r"[^\w.\-]+")


def kind_options(lang: str) -> list[dict]:
    return [{"label": i18n.t(f"kind_{kind}", lang), "value": kind} for kind in KINDS]


#: Fact tables' feeds by the kind of file that loads them.
_FEED_KIND = {"air_hourly": "air", "water_quality": "water", "grid_events": "events",
              "service_cases": "service_cases"}


def feed_label(name: str, lang: str, catalogue: catalog.Catalogue) -> str:
    """A feed in words: 统计指标 · 社会消费品零售总额, 空气监测（小时）..."""
    table, _, code = name.partition(":")
    if code:
        ind = catalogue.get(code) if code in catalogue else None
        label = (ind.name_en if lang == "en" else ind.name_zh) if ind else code
        return f"{i18n.t('kind_indicators', lang)} · {label}"
    return i18n.t(f"kind_{_FEED_KIND[table]}", lang) if table in _FEED_KIND else name


def feeds(runtime, lang: str):
    """The feeds' freshness table, overdue ones marked."""
    frame = runtime.queries.datasets()
    overdue = runtime.stale_feeds()
    columns = [i18n.t(k, lang) for k in ("feed_name", "feed_source", "feed_frequency",
                                         "feed_as_of", "feed_loaded", "feed_rows",
                                         "feed_status")]
    rows, stale = [], []
    for row in frame.itertuples():
        as_of = None if pd.isna(row.as_of) else pd.Timestamp(row.as_of).to_pydatetime()
        late = row.name in overdue
        frequency = (i18n.t(f"freq_{row.frequency}", lang)
                     if f"freq_{row.frequency}" in i18n.TEXT else row.frequency)
        rows.append([feed_label(row.name, lang, runtime.catalogue), row.source, frequency,
                     "—" if as_of is None else f"{as_of:%Y-%m-%d %H:%M}",
                     f"{pd.Timestamp(row.loaded_at):%Y-%m-%d %H:%M}", f"{row.row_count:,}",
                     i18n.t("stale" if late else "feed_ok", lang)])
        stale.append(late)
    return datasets.feeds_table(columns, rows, stale)


def target_source(target: catalog.Target, lang: str) -> str:
    """Where a target comes from, in words: 系统内置, 指标目录文件 x.csv, 目标值文件 y.xlsx."""
    if target.source == "built-in":
        return i18n.t("target_from_built_in", lang)
    if target.file == DEMO_SOURCE:         # no file anyone could look for
        return i18n.t("target_from_demo", lang)
    return i18n.t(f"target_from_{target.source}", lang).format(file=target.file or "—")


def targets(runtime, lang: str, year: int | None = None):
    """The targets in force in ``year`` (default: the store's as-of year), each with where it
    came from (``Catalogue.in_force``); a district user sees the city's and their districts'."""
    year = year or runtime.as_of.year
    catalogue, names = runtime.catalogue, runtime.names(lang)
    mine = runtime.principal.districts
    columns = [i18n.t(k, lang) for k in ("target_indicator", "target_where", "target_value",
                                         "target_alert", "target_source")]
    rows = []
    for t in catalogue.in_force(year):
        if t.district is not None and mine and t.district not in mine:
            continue
        ind = catalogue.get(t.code)
        rows.append([ind.name_en if lang == "en" else ind.name_zh,
                     i18n.t("target_city", lang) if t.district is None
                     else names.get(t.district, t.district),
                     target_text(t.target, ind, lang) or "—",
                     target_text(t.alert, ind, lang) or "—",
                     target_source(t, lang), t.district is not None])
    others = [str(y) for y in catalogue.target_years() if y != year]
    listed = ("、".join(others) if lang != "en" else
              " and ".join(filter(None, (", ".join(others[:-1]), others[-1])))) if others else ""
    note = (i18n.t("data_targets_other_years", lang).format(years=listed) if others else None)
    return datasets.targets_table(columns, rows, note)


def render(state, runtime, _app, ids, head, bar):
    return datasets.page(ids=ids, lang=state.lang, head=head, bar=bar,
                         kinds=kind_options(state.lang), feeds=feeds(runtime, state.lang),
                         max_mb=runtime.settings.upload_max_mb,
                         targets=targets(runtime, state.lang),
                         targets_title=i18n.t("data_targets", state.lang).format(
                             year=runtime.as_of.year))


SCREEN = Screen("datasets", Datasets.PREFIX, render)


def load_upload(runtime, contents: str, filename: str, kind: str, sheet: str | None,
                source_crs: str | None, lang: str):
    """Load one uploaded file; return the result component. The file is written under a
    temporary folder beside the store and removed after."""
    if kind not in KINDS:
        raise PreventUpdate
    name = _UNSAFE.sub("_", Path(filename or "upload").name).strip("._") or "upload"
    if runtime.principal.districts:
        # a load replaces rows by key across the city (boundaries, catalogues, events by
        # id): a user who may see some districts must not write the others'
        runtime.audit("upload", what(kind=kind, file=name, ok=False, refused="district scope"))
        return datasets.result(i18n.t("data_failed", lang).format(file=name),
                               [i18n.t("data_scope_refused", lang)], ok=False)
    try:
        raw = base64.b64decode(contents.partition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        return datasets.result(i18n.t("data_failed", lang).format(file=name),
                               ["the upload did not arrive whole"], ok=False)
    options = {}
    if kind in BOUNDARY_KINDS or kind in POINT_KINDS:
        options["source_crs"] = source_crs if source_crs in crs.SUPPORTED else "WGS84"
    if kind not in BOUNDARY_KINDS and sheet:
        options["sheet"] = str(sheet)[:100]
    db = Path(runtime.settings.db_path)
    with scratch(db, ".upload-") as folder:
        path = folder / name
        path.write_bytes(raw)
        try:
            # in a child process within the upload limits: a file that unpacks into
            # gigabytes is refused there, and this server serves on, its slot given to
            # the other callbacks while it waits
            with limits.aside():
                report = _load(runtime, db, Item(kind, path, options))
        except LoadError as error:
            # problems name the file as the reader got it: the upload's temporary path
            lines = [str(p).replace(str(path), name) for p in error.problems]
            if error.more:
                lines.append(f"... +{error.more}")
            runtime.audit("upload", what(kind=kind, file=name, bytes=len(raw), ok=False,
                                         problems=len(error.problems) + error.more))
            return datasets.result(i18n.t("data_failed", lang).format(file=name), lines,
                                   ok=False)
        except (ValueError, FileNotFoundError) as error:
            runtime.audit("upload", what(kind=kind, file=name, bytes=len(raw), ok=False,
                                         error=str(error)[:200]))
            return datasets.result(i18n.t("data_failed", lang).format(file=name),
                                   [str(error)], ok=False)
    runtime.audit("upload", what(kind=kind, file=name, bytes=len(raw), ok=True,
                                 rows=report.rows))
    runtime.reload_if_replaced(now=True)     # serve the new file from this request on
    rows = ", ".join(f"{n:,} {kind}" for kind, n in report.rows.items())
    lines = report.notes + [f"warning: {w}" for w in report.warnings]
    return datasets.result(i18n.t("data_loaded", lang).format(file=name, rows=rows),
                           [line.replace(str(path), name) for line in lines], ok=True)


def _load(runtime, db: Path, item: Item) -> LoadReport:
    """An upload of a feed's kind is read and checked in a child process within the upload
    limits and written into the store in place, as a feed's batch is, when this server
    writes it so or its store service does (the child started by the service); any other
    is loaded by a child process that writes a copy of the store and renames it over (at
    100M events a 6.9 GB copy, and every cached answer new)."""
    now = local_now(runtime.settings.time_zone)
    bounds = Limits(runtime.settings.load_memory_mb, runtime.settings.load_seconds)
    if item.kind in IN_PLACE_KINDS and (Store.owner(db) is runtime.store
                                        or isinstance(runtime.store, RemoteStore)):
        try:
            return load(db, [item], now=now, read=partial(read_isolated, limits=bounds))
        except NotInPlace:
            # the store was replaced meanwhile and not opened again in time: a copy, read
            # in the child within the limits (not handed to the service unread)
            return load_isolated(db, [item], now=now, limits=bounds, in_place=False)
    return load_isolated(db, [item], now=now, limits=bounds)


def register(app, runtime) -> None:
    """Register the data screen's callbacks."""
    filters.register_controller(app, runtime, Datasets.PREFIX)

    # uploaded file + kind and options -> load result, and the feeds' freshness and the
    # targets in force after it
    @app.callback(Output(Datasets.RESULT, "children"), Output(Datasets.FEEDS, "children"),
                  Output(Datasets.TARGETS, "children"),
                  Input(Datasets.UPLOAD, "contents"), State(Datasets.UPLOAD, "filename"),
                  State(Datasets.KIND, "value"), State(Datasets.SHEET, "value"),
                  State(Datasets.SOURCE_CRS, "value"), State(Shell.FILTERS, "data"),
                  prevent_initial_call=True)
    def load_file(contents, filename, kind, sheet, source_crs, data):
        if not isinstance(contents, str):
            raise PreventUpdate
        lang = filters.read_state(data, runtime.context).lang
        result = load_upload(runtime, contents, filename, kind, sheet, source_crs, lang)
        return result, feeds(runtime, lang), targets(runtime, lang)
