"""Flask routes beside Dash: GeoJSON per level, the offline map styles, the interface font
(all with ETags and Cache-Control, so a browser fetches each once per store file), and the
event records as CSV or Excel.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import threading
from collections import OrderedDict

import flask
from dash.exceptions import CallbackException, DependencyException

from charts import registry
from data.access import what
from data.export import ROWS_METADATA_KEY
from geo.geojson import LEVELS, label_points, name_property, to_geojson
from layouts import export, fonts, theme
from settings import VERSION
from web import auth


def _cached(body: bytes, mimetype: str) -> flask.Response:
    # the tag is the content's hash: a new release with other bytes never gets a stale 304
    etag = hashlib.sha1(body).hexdigest()
    if flask.request.if_none_match.contains(etag):
        return flask.Response(status=304)
    gzipped = len(body) > 4096 and "gzip" in flask.request.accept_encodings
    if gzipped:
        # compressed once per body: all 9,559 grid cells are 3.4 MB of GeoJSON, ~1 MB gzipped
        source = body
        body = _files().once(("gzip", etag),
                             lambda: gzip.compress(source, compresslevel=6, mtime=0))
    resp = flask.Response(body, mimetype=mimetype)
    if gzipped:
        resp.headers["Content-Encoding"] = "gzip"
    resp.vary.add("Accept-Encoding")
    resp.set_etag(etag)
    resp.cache_control.public = True
    resp.cache_control.max_age = 3600
    return resp


def _refused(runtime, message: str, status: int) -> flask.Response:
    """A client error, audited (who asked for what, and why it was refused)."""
    runtime.audit("refused", what(status=status, path=flask.request.path,
                                  query=flask.request.query_string.decode()[:300],
                                  reason=message[:200]))
    return flask.Response(message, status=status, mimetype="text/plain")


#: The framework's endpoints the app uses; any other one (Dash's /_reload-hash outside debug,
#: /_mcp, Flask's /static) is refused for everyone.
_DASH_ENDPOINTS = frozenset({
    "_dash_assets.static", "/_dash-component-suites/<string:package_name>/"
    "<path:fingerprinted_path>", "/_dash-layout", "/_dash-dependencies",
    "/_dash-update-component", "/_favicon.ico", "/", "/<path:path>"})
#: Modules whose routes are the app's own.
_OWN_MODULES = ("web.routes", "web.auth", "web.feeds", "web.supervision", "web.command")


def harden(app, settings) -> None:
    """Refuse the framework endpoints the app does not use, and send the security headers
    (CSP, frame options, nosniff) with every answer."""
    server = app.server
    allowed: set[str] = set()
    policy: dict[str, str] = {}

    @server.before_request
    def refuse_unused_endpoints():
        if not allowed:     # every route is registered by the first request
            allowed.update(_DASH_ENDPOINTS | {
                name for name, view in server.view_functions.items()
                if getattr(view, "__module__", "") in _OWN_MODULES})
            if settings.debug:
                allowed.add("/_reload-hash")
        endpoint = flask.request.endpoint
        # Dash's catch-all answers any path with the page; a framework-looking one
        # (/_mcp, /_anything) is no page of ours
        if endpoint not in allowed or (endpoint == "/<path:path>"
                                       and flask.request.path.startswith("/_")):
            flask.abort(404)

    @server.after_request
    def security_headers(response):
        if not policy:
            # Dash's inline scripts (the renderer's start, the clientside callbacks) by their
            # hashes; plotly and MapLibre draw with inline styles and blob: workers
            scripts = " ".join(["'self'", *app.csp_hashes()])
            base = ("default-src 'self'; script-src " + scripts + "; style-src 'self' "
                    "'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
                    "connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; "
                    "object-src 'none'; base-uri 'self'; form-action 'self'; ")
            policy["page"] = base + "frame-ancestors 'none'"
            policy["wall"] = base + "frame-ancestors " + settings.wall_frame_ancestors
        wall = flask.request.path == "/wall"
        response.headers["Content-Security-Policy"] = policy["wall" if wall else "page"]
        frame = settings.wall_frame_ancestors if wall else "'none'"
        if frame == "'none'":
            response.headers["X-Frame-Options"] = "DENY"
        elif frame == "'self'":
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response


def guard_callbacks(server: flask.Flask, callback_map: dict) -> None:
    """Refuse a callback request that is not shaped like one Dash's renderer sends, or names
    no registered callback, with 400: random or malformed JSON gets a client error, never a
    server error deep inside the dispatcher."""
    def dependency(d) -> bool:       # {"id", "property", "value"?}; a list for ALL patterns
        if isinstance(d, list):
            return all(dependency(x) for x in d if not isinstance(x, list)) and \
                not any(isinstance(x, list) for x in d)
        return isinstance(d, dict) and "id" in d and isinstance(d.get("property"), str)

    def matches(spec_deps: list, deps: list) -> bool:
        # an ALL pattern arrives as a list of matches, any other dependency as one
        return all(isinstance(d, list) == ('["ALL' in str(s["id"]))
                   for s, d in zip(spec_deps, deps))

    def well_formed(body) -> bool:
        # a clientside callback's output has no server function to run: not a server request
        if not (isinstance(body, dict) and isinstance(body.get("output"), str)
                and "callback" in callback_map.get(body["output"], {})):
            return False
        spec = callback_map[body["output"]]
        outputs, inputs, state = body.get("outputs"), body.get("inputs"), body.get("state", [])
        n_outputs = len(body["output"].strip(".").split("...")) if \
            body["output"].startswith("..") else 1
        if n_outputs > 1:
            if not (isinstance(outputs, list) and len(outputs) == n_outputs):
                return False
        elif not (isinstance(outputs, (dict, list)) and (dependency(outputs))):
            return False
        return (isinstance(inputs, list) and len(inputs) == len(spec["inputs"])
                and isinstance(state, list) and len(state) == len(spec.get("state", []))
                and all(dependency(d) for d in inputs + state)
                and matches(spec["inputs"], inputs) and matches(spec.get("state", []), state)
                and (n_outputs == 1 or all(dependency(o) for o in outputs))
                and isinstance(body.get("changedPropIds", []), list))

    # Dash 4 answers a script path it does not serve with a 500 (DependencyException; it was
    # a 404 before, plotly/dash#393): a missing file is a client's error
    @server.errorhandler(DependencyException)
    def missing_dependency(_error):
        return "Not found", 404

    # a well-shaped request whose outputs or inputs are not those of the callback it names:
    # Dash's validation raises a bare CallbackException (its subclasses are the app's own
    # faults, such as a wrong return value, and stay server errors)
    @server.errorhandler(CallbackException)
    def mismatched_callback(error):
        if type(error) is not CallbackException:
            raise error
        return f"callback request does not match the callback: {error}", 400

    @server.before_request
    def refuse_malformed_callbacks():
        if flask.request.method == "POST" and \
                flask.request.path.endswith("/_dash-update-component"):
            try:
                body = flask.request.get_json(silent=True)
            except RecursionError:    # nested deeper than Python's parser goes: no request
                body = None           # Dash's renderer sends (a grid's filter model, say)
            if not well_formed(body):
                flask.abort(400)


class _Prepared:
    """Bytes prepared once (GeoJSON per level and store file, fonts per character set, their
    gzipped forms), the least recently used dropped past ``max_bytes``: every store reload
    adds entries, and a long-running server must not keep them all."""

    def __init__(self, max_bytes: int = 256 * 2**20):
        self.max_bytes, self.size = max_bytes, 0
        self._items: OrderedDict[tuple, bytes | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, make) -> bytes | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()           # outside the lock: a race only computes the same bytes twice
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self.size += len(value or b"")
                while self.size > self.max_bytes and len(self._items) > 1:
                    _, dropped = self._items.popitem(last=False)
                    self.size -= len(dropped or b"")
            return self._items[key]


class _Files:
    """What the file routes keep per app: its runtime, one Chromium renderer, one report at a
    time, prepared bytes, one font cut at a time."""

    def __init__(self, runtime):
        self.runtime = runtime
        self.renderer = export.ChartRenderer()
        self.report_slot = threading.BoundedSemaphore(1)
        self.font_lock = threading.Lock()
        self.prepared = _Prepared()

    def once(self, key: tuple, make) -> bytes | None:
        """``make()``'s bytes, prepared once per key (keys name the store file)."""
        return self.prepared.get(key, make)


blueprint = flask.Blueprint("files", __name__)


def install(server: flask.Flask, runtime) -> None:
    """Serve /healthz, /geo/<level>.geojson, /geo/style/<theme>.json,
    /fonts/citybrain-sans-<w>.woff2, /download/events.<csv|xlsx>, /download/tasks.xlsx,
    /export/chart/<chart>.<png|svg|pdf> (the charts of ``charts.registry``) and
    /report/<month>.<fmt> for ``runtime``'s store."""
    server.extensions["citybrain_files"] = _Files(runtime)
    server.register_blueprint(blueprint)


def _files() -> _Files:
    return flask.current_app.extensions["citybrain_files"]


@blueprint.route("/healthz")
def health():
    """For a load balancer: ok (200), degraded (200: the shared cache is down, each worker
    answers from its own) or failed (503: the store does not answer), and which part
    failed. Administrators and the admin networks also see this worker, its store and
    cache (no one else: paths, inodes and process ids help an attacker)."""
    files = _files()
    runtime = files.runtime
    cache = flask.current_app.extensions.get("cache", {})
    backend = next(iter(cache.values()), None) if isinstance(cache, dict) else None
    checks = {"store": "ok", "cache": "ok"}
    meta: dict[str, str] = {}
    store_version = None
    try:
        meta = runtime.store.health_meta()
        store_version = runtime.store.version
    except Exception:  # noqa: BLE001 (whatever the store raises, it did not answer)
        checks["store"] = "failed"
    if hasattr(backend, "ping") and not backend.ping():
        checks["cache"] = "failed"
    status = ("failed" if checks["store"] != "ok" else
              "degraded" if checks["cache"] != "ok" else "ok")
    answer = {"status": status, "checks": checks}
    if runtime.principal.may("audit") or auth.from_admin_network(runtime.settings):
        answer |= {
            "pid": os.getpid(), "version": VERSION, "store": runtime.store.fingerprint,
            "store_version": store_version,
            "as_of": meta["as_of"][:16] if "as_of" in meta else None,
            "cache": ("redis" if getattr(backend, "using_redis", False) else "local")
            if hasattr(backend, "using_redis") else runtime.settings.cache_type}
    response = flask.jsonify(answer)
    response.status_code = 503 if status == "failed" else 200
    response.cache_control.no_store = True
    return response


@blueprint.route("/geo/<level>.geojson")
def serve_geojson(level: str):
    """A level's shapes; ``?parent=CODE`` keeps one district's townships, one
    township's grid cells or one district's grid cells (what the drill-down map
    shows)."""
    files = _files()
    runtime = files.runtime
    if level not in LEVELS:
        flask.abort(404)
    parent = flask.request.args.get("parent")
    if parent is not None and (LEVELS[level][3] is None or
                               runtime.context.lineage(parent) is None):
        flask.abort(404)
    key = (runtime.store.fingerprint, "geojson", level, parent or "",
           runtime.principal.scope.key)
    body = files.once(key, lambda: to_geojson(runtime.shapes_within(level, parent)))
    return _cached(body, "application/geo+json")


@blueprint.route("/geo/style/<name>.json")
def serve_map_style(name: str):
    """A theme's map style; ``?names=<level>&parent=CODE&lang=zh|en`` writes the names of
    that level's areas (inside ``parent``, as ``/geo/<level>.geojson``) in that language."""
    files = _files()
    runtime = files.runtime
    if name not in theme.THEMES:
        flask.abort(404)
    args = flask.request.args
    level, parent = args.get("names"), args.get("parent")
    lang = "en" if args.get("lang") == "en" else "zh"
    if level is not None and (level not in LEVELS or (parent is not None and (
            LEVELS[level][3] is None or runtime.context.lineage(parent) is None))):
        flask.abort(404)
    key = (runtime.store.fingerprint, "style", name, level or "", parent or "", lang,
           runtime.principal.scope.key)

    def style() -> bytes:
        labels = None if level is None else label_points(
            runtime.shapes_within(level, parent), name_property(level, lang))
        return flask.json.dumps(theme.map_style(theme.THEMES[name], labels)).encode()
    return _cached(files.once(key, style), "application/json")


@blueprint.route("/fonts/citybrain-sans-<int:weight>.woff2")
def serve_font(weight: int):
    files = _files()
    runtime = files.runtime
    if weight not in fonts.WEIGHTS:
        flask.abort(404)
    chars = files.once((runtime.store.fingerprint, "chars"),
                       lambda: fonts.interface_chars(runtime.names_text()).encode())
    # keyed by the characters, not the file: a load that names nothing new cuts no new
    # font; one thread cuts it while the others wait (a cut takes a second or more)
    key = ("font", hashlib.sha1(chars).hexdigest(), str(weight))
    with files.font_lock:
        body = files.once(key, lambda: fonts.subset_woff2(chars.decode(), weight))
    if body is None:
        flask.abort(404)   # no fonts-noto-cjk on the server: the CSS falls back
    return _cached(body, "font/woff2")


@blueprint.route("/download/events.<fmt>")
def download_events(fmt: str):
    """The event records of a filter state (the screen's own query string) and of the
    grid's filter model (``tf``, JSON) and sort (``sort``, ``desc``), as CSV or Excel: the
    table's headers and names in the state's language with the codes beside them, and a first
    line (CSV) or sheet (Excel) saying which filters and as-of made it."""
    files = _files()
    runtime = files.runtime
    from charts import events as event_table
    from charts.state import parse_query
    from data import export as events_export

    if fmt not in ("csv", "xlsx"):
        flask.abort(404)
    args = flask.request.args
    state, _ = parse_query(flask.request.query_string.decode(), runtime.context)
    try:
        model = event_table.download_model(args.get("tf"))
        where = event_table.table_filters(model, runtime)
    except event_table.TableFilterError as error:
        return _refused(runtime, f"unreadable table filter: {error}", 400)
    sort, descending = event_table.table_sort([{"colId": args.get("sort"),
                                                "sort": "asc" if args.get("desc") == "0"
                                                else "desc"}])
    reader = runtime.queries.events_export(state.scope, state.start, state.end, where,
                                           sort, descending)
    rows = int(reader.schema.metadata[ROWS_METADATA_KEY])
    runtime.audit("download", what(format=fmt, area=state.scope, start=state.start,
                                   end=state.end, filter=args.get("tf"), rows=rows))
    shown = {"lang": state.lang, "names": event_table.shown_names(runtime, state.lang),
             "about": event_table.download_about(state, runtime, model, sort, descending,
                                                 rows)}
    name = f"events_{state.start}_{state.end}.{fmt}"
    if fmt == "csv":
        # streamed batch by batch: millions of rows start arriving at once
        return flask.Response(flask.stream_with_context(
                                  events_export.iter_events_csv(reader, **shown)),
                              mimetype="text/csv", headers={
                                  "Content-Disposition": f"attachment; filename={name}"})
    # Excel is written to a temporary file first: a failure (its row limit) is then a
    # clear 400, not a download cut off half way
    body = tempfile.TemporaryFile()
    try:
        events_export.write_events_xlsx(reader, body, **shown)
    except ValueError as error:
        body.close()
        return _refused(runtime, str(error), 400)
    body.seek(0)
    response = flask.send_file(
        body, mimetype=export.MIMETYPES["xlsx"], as_attachment=True, download_name=name)
    response.call_on_close(body.close)
    return response


@blueprint.route("/download/tasks.<fmt>")
def download_tasks(fmt: str):
    """The key tasks of a filter state (the screen's own query string) and of the screen's
    filters (``department``, ``status``), with their milestones, as an Excel workbook."""
    import io

    from charts import tasks as task_charts
    from charts.state import parse_query
    from data.export import write_tables_xlsx

    if fmt != "xlsx":
        flask.abort(404)
    runtime = _files().runtime
    # the department and status are in the state, checked against the store as it is read
    state, _ = parse_query(flask.request.query_string.decode(), runtime.context)
    chosen = task_charts.TaskFilters.of(state)
    body = io.BytesIO()
    sheets = task_charts.download_sheets(state, runtime, chosen)
    about = task_charts.download_about(state, runtime, chosen, len(sheets[0][1]))
    rows = write_tables_xlsx(sheets, body, lang=state.lang, about=about)
    runtime.audit("download", what(format="xlsx", table="key_tasks", area=state.scope,
                                   as_of=state.end, department=chosen.department,
                                   status=chosen.status, rows=rows))
    return flask.Response(body.getvalue(), mimetype=export.MIMETYPES["xlsx"], headers={
        "Content-Disposition": f"attachment; filename=key_tasks_{state.end}.xlsx"})


@blueprint.route("/export/chart/<chart>.<fmt>")
def export_chart(chart: str, fmt: str):
    """One chart of a screen, for the filter state of the query string, in the print
    theme with its footnote, as PNG, SVG or PDF."""
    files = _files()
    runtime = files.runtime
    from charts.state import parse_query

    if chart not in registry.CHARTS:
        return flask.Response(f"no chart {chart!r}: one of {', '.join(sorted(registry.CHARTS))}",
                              status=404, mimetype="text/plain")
    try:
        export.check_format(fmt)
    except export.ExportError as error:
        return flask.Response(str(error), status=404, mimetype="text/plain")
    state, _ = parse_query(flask.request.query_string.decode(), runtime.context)
    from charts.common import area_names
    where = " › ".join(area_names(state, runtime))
    if state.picked:
        where += f" ({len(state.picked)})"
    fig = export.with_footnote(
        registry.CHARTS[chart](state, runtime, theme.PRINT), source=runtime.source,
        scope=f"{where} · {state.start} – {state.end}",
        as_of=runtime.as_of.strftime("%Y-%m-%d %H:%M"), is_demo=runtime.is_demo,
        lang=state.lang)
    body = files.renderer.render(fig, fmt)
    runtime.audit("export", what(chart=chart, format=fmt, area=state.scope,
                                 start=state.start, end=state.end))
    return flask.Response(body, mimetype=export.MIMETYPES[fmt], headers={
        "Content-Disposition": f"attachment; filename={chart}_{state.start}_{state.end}"
                               f".{fmt}"})


@blueprint.route("/report/<month>.<fmt>")
def download_report(month: str, fmt: str):
    """The month's report (``?sections=&districts=&lang=``) as PDF, Word or Excel: the
    code path of ``citybrain report``."""
    files = _files()
    runtime = files.runtime
    from report.files import FORMATS, ReportTemplateError, export_report, unsupported_format
    from report.monthly import SECTIONS, ReportError, check_month

    def refuse(message: str, status: int) -> flask.Response:
        return _refused(runtime, message, status)

    # what does not exist is a 404 naming what does, before any work
    if fmt not in FORMATS:
        return refuse(str(unsupported_format(repr(fmt))), 404)
    try:
        check_month(month, runtime)
    except ReportError as error:
        return refuse(str(error), 404)
    args = flask.request.args
    lang = args.get("lang") if args.get("lang") in ("zh", "en") else "zh"
    # no ``sections``: the whole report; an empty one asks for nothing (every box unticked)
    sections = [x for x in args["sections"].split(",") if x] if "sections" in args else None
    if sections == []:
        return refuse(f"no sections asked for; sections: {', '.join(SECTIONS)}", 400)
    districts = [x for x in args.get("districts", "").split(",") if x] or None
    # a whole month is ~40 figures and a Chromium print: one at a time per server
    if not files.report_slot.acquire(blocking=False):
        return refuse("another report is being written: try again in a minute", 503)
    try:
        with tempfile.TemporaryDirectory() as out:
            written, _ = export_report(runtime, month=month, formats=[fmt],
                                       out_dir=out, sections=sections,
                                       districts=districts, lang=lang,
                                       renderer=files.renderer)
            body = written[0].read_bytes()
    except ReportError as error:        # a bad section or district: the request's fault
        return refuse(str(error), 400)
    except ReportTemplateError as error:    # the server's set-up: its path is for the log
        flask.current_app.logger.error("report: %s", error)
        return refuse("the report's Word template cannot be used: the server's log says "
                      "why (CITYBRAIN_REPORT_TEMPLATE, docs/DEPLOY.md)", 503)
    finally:
        files.report_slot.release()
    runtime.audit("report", what(month=month, format=fmt, sections=sections,
                                 districts=districts, lang=lang))
    return flask.Response(body, mimetype=export.MIMETYPES[fmt], headers={
        "Content-Disposition": f"attachment; filename={written[0].name}"})
