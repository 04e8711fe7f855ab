"""The push API (docs/FEEDS.md): a city's systems post rows as they happen.

``POST /api/v1/feeds/<kind>`` (events, air, water, indicators, warnings, resources) takes
``{"rows": [...]}`` as JSON or a CSV body with the columns of that kind's load file, from a
system holding a feed token (``citybrain tokens add``) sent as ``Authorization: Bearer
<token>``. The rows go through the same readers and the same all-or-nothing load as a file
(data/load/build.py): a batch with one bad row writes nothing and the answer lists every bad
row; a batch sent twice changes nothing the second time (rows are keyed: an event by its id,
a reading by station and hour, a value by area, indicator and period, a warning or resource
by its id). The browser's session and CSRF token play no
part: the token is the credential, and every batch is in the audit log.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from pathlib import Path

import flask
from flask_limiter import RateLimitExceeded

from data.access import FEED_KINDS, Access, what
from data.load.build import Item, load
from data.load.problems import LoadError
from data.service import ServiceDown
from data.store import scratch
from settings import local_now
from web.limits import limit_view

PREFIX = "/api/v1/"
blueprint = flask.Blueprint("feeds", __name__)


def install(server: flask.Flask, runtime, access: Access) -> None:
    """Serve the push API for ``runtime``'s store, its tokens kept in ``access``; each
    token's batches limited to ``CITYBRAIN_FEED_RATE`` (shared by the workers through Redis
    when there is one)."""
    settings = runtime.settings
    server.extensions["citybrain_feeds"] = (runtime, access)
    server.register_blueprint(blueprint)
    limit_view(server, settings, "feeds.post_rows", settings.feed_rate, _token_key)
    csrf = server.extensions.get("csrf")
    if csrf is not None:            # the session's CSRF token is the browser's, not a feed's
        csrf.exempt(blueprint)


#: What each feed's rows hold: the columns of its load file (data/load/*.py say every name
#: they accept, Chinese or English).
FEED_COLUMNS = {
    "events": ("event_id (事件编号), grid_code (网格), category (类别), channel (来源), "
               "department_code (处置部门), reported_at (上报时间), deadline_at (办理时限: a "
               "time, or hours after the report), lon (经度), lat (纬度); optional: accepted_at, "
               "dispatched_at, handled_at, verified_at, closed_at (受理/派遣/处置/核查/结案时间), "
               "returned_count (退回次数), satisfaction (满意度, 1-5), reporter_name (上报人), "
               "reporter_phone (联系电话). Keyed by event_id: a later row replaces the event."),
    "air": ("station_code (站点), ts (时间, the hour), and any of pm25, pm10, so2, no2, o3 "
            "(µg/m³), co (mg/m³); aqi optional. Keyed by station and hour."),
    "water": ("section_code (断面), period (时间, a month), class (水质类别: Ⅲ, III, 3 ...). "
              "Keyed by section and month."),
    "indicators": ("area (地区: code or name), indicator (指标: code or name), period (时间), "
                   "value (数值); or one column per indicator. Keyed by area, indicator and "
                   "period."),
    "warnings": ("warning_id (预警编号), kind (预警类型: flood 洪涝, geohazard 地质灾害, weather "
                 "气象, forest_fire 森林火险, work_safety 安全生产), level (预警级别: red 红色 I, "
                 "orange 橙色 II, yellow 黄色 III, blue 蓝色 IV), valid_from (生效时间), issuer "
                 "(发布单位); area (预警区域: a district or township code or name, or a polygon "
                 "as WKT or GeoJSON) or lon, lat (经度, 纬度) with radius_km (影响半径, 5 by "
                 "default); optional: valid_to (解除时间; empty: until lifted), title (标题). "
                 "Keyed by warning_id: post it again with valid_to to lift it."),
    "resources": ("resource_id (编号), kind (类型: shelter 避难场所, rescue_team 救援队伍, depot "
                  "物资储备点), name (名称), lon (经度), lat (纬度), capacity (容纳人数: "
                  "shelters), headcount (队伍人数: rescue teams); optional: name_en. Keyed by "
                  "resource_id."),
}


def openapi() -> dict:
    """The API as an OpenAPI 3.1 document (served at /api/v1/openapi.json)."""
    error = {"type": "object", "properties": {"error": {"type": "string"}}}
    row_error = {"type": "object", "properties": {
        "row": {"type": "integer", "description": "1 = the batch's first row"},
        "field": {"type": ["string", "null"]}, "value": {"type": ["string", "null"]},
        "expected": {"type": "string"}}}
    paths = {}
    for kind, columns in FEED_COLUMNS.items():
        paths[f"{PREFIX}feeds/{kind}"] = {"post": {
            "summary": f"Post {kind} rows", "description": columns,
            "security": [{"feedToken": []}],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "required": ["rows"],
                                                "properties": {"rows": {
                                                    "type": "array",
                                                    "items": {"type": "object"}}}}},
                "text/csv": {"schema": {"type": "string"}}}},
            "responses": {
                "200": {"description": "written, all of it", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {
                        "accepted": {"type": "integer"}, "version": {"type": "string"},
                        "warnings": {"type": "array", "items": {"type": "string"}}}}}}},
                "401": {"description": "no valid feed token",
                        "content": {"application/json": {"schema": error}}},
                "403": {"description": "the token does not cover this feed",
                        "content": {"application/json": {"schema": error}}},
                "413": {"description": "more rows or bytes than a batch may hold",
                        "content": {"application/json": {"schema": error}}},
                "422": {"description": "bad rows: nothing was written", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "errors": {"type": "array", "items": row_error}}}}}},
                "503": {"description": "the store's service is being started again: send "
                                       "the batch again after Retry-After",
                        "content": {"application/json": {"schema": error}}}}}}
    return {"openapi": "3.1.0",
            "info": {"title": "City Brain feeds", "version": "1",
                     "description": "A city's systems post rows as they happen (docs/FEEDS.md)"},
            "paths": paths,
            "components": {"securitySchemes": {"feedToken": {
                "type": "http", "scheme": "bearer",
                "description": "citybrain tokens add NAME --feeds events,air"}}}}


@blueprint.get(PREFIX + "openapi.json")
def serve_openapi():
    return _json(openapi())


def _token_key() -> str:
    """Whom a rate counts: the token sent (by its hash), else the address."""
    token = flask.request.headers.get("Authorization", "")
    if token:
        return "feed:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return "feed-address:" + (flask.request.remote_addr or "")


def _bearer() -> str:
    """The token of an ``Authorization: Bearer <token>`` header ("" without one)."""
    scheme, _, token = flask.request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


#: When each rate-limited sender was last audited (by _token_key), in this process: one
#: entry a minute, not one per refused batch of a system sending in a loop.
_LAST_THROTTLED: dict[str, float] = {}


@blueprint.errorhandler(RateLimitExceeded)
def _too_many(error):
    key, now = _token_key(), time.monotonic()
    audit = now - _LAST_THROTTLED.get(key, -60.0) >= 60
    if audit:
        for old in [k for k, t in _LAST_THROTTLED.items() if now - t >= 60]:
            del _LAST_THROTTLED[old]          # one entry per sender throttled this minute
        _LAST_THROTTLED[key] = now
        _, access = flask.current_app.extensions["citybrain_feeds"]
        client = access.feed_client(_bearer())
        if client is not None:
            flask.g.feed_client = client[0]
    response = _error(429, f"more batches than this token may send ({error.description}): "
                           "wait, then send again", audit=audit)
    response.headers["Retry-After"] = str(error.limit.limit.get_expiry())   # the window
    return response


def _json(payload, status: int = 200) -> flask.Response:
    """JSON with its Chinese as written (a system's log shows 网格, not \\u7f51\\u683c)."""
    return flask.Response(json.dumps(payload, ensure_ascii=False), status=status,
                          mimetype="application/json")


def _error(status: int, message: str, audit: bool = True) -> flask.Response:
    """A refused batch's answer, and its line in the audit log (action ``refused``)."""
    if audit:
        _, access = flask.current_app.extensions["citybrain_feeds"]
        access.audit(f"feed:{flask.g.get('feed_client', '?')}", "refused",
                     what(status=status, path=flask.request.path, reason=message[:200]),
                     flask.request.remote_addr or "")
    response = _json({"error": message}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="citybrain feeds"'
    return response


@blueprint.get(PREFIX + "feeds/<kind>")
def get_rows(kind: str):
    """Rows are posted, never read here (without this the dashboard's page would answer)."""
    response = _error(405, "post rows to this address (docs/FEEDS.md)", audit=False)
    response.headers["Allow"] = "POST"
    return response


@blueprint.post(PREFIX + "feeds/<kind>")
def post_rows(kind: str):
    runtime, access = flask.current_app.extensions["citybrain_feeds"]
    settings = runtime.settings
    if kind not in FEED_KINDS:
        return _error(404, f"no feed {kind!r}; feeds: {', '.join(FEED_KINDS)}")
    client = access.feed_client(_bearer())
    if client is None:
        return _error(401, "a feed token is needed: 'Authorization: Bearer <token>' "
                           "(citybrain tokens add)")
    name, feeds = client
    flask.g.feed_client = name
    if kind not in feeds:
        return _error(403, f"the token of {name!r} covers {', '.join(sorted(feeds))}, "
                           f"not {kind}")
    most_bytes = settings.feed_max_mb * 1024 * 1024
    if (flask.request.content_length or 0) > most_bytes:
        return _error(413, f"a batch is at most {settings.feed_max_mb} MB: send it in parts")
    body = flask.request.get_data(cache=False)
    if len(body) > most_bytes:        # a body sent without its length
        return _error(413, f"a batch is at most {settings.feed_max_mb} MB: send it in parts")
    mimetype = flask.request.mimetype
    try:
        header_line = 1
        if mimetype == "application/json":
            table, count = _csv_of_json(body)
        elif mimetype == "text/csv":
            table, (count, header_line) = body, _csv_rows(body)
        else:
            return _error(415, "send application/json ({\"rows\": [...]}) or text/csv")
    except ValueError as bad:
        return _error(400, str(bad))
    if count > settings.feed_max_rows:
        return _error(413, f"{count} rows: a batch is at most {settings.feed_max_rows} rows")
    if count == 0:
        return _error(400, "the batch holds no rows")
    db = Path(settings.db_path)
    with scratch(db, ".feed-") as folder:
        path = folder / f"{kind}.csv"
        path.write_bytes(table)
        try:
            report = load(db, [Item(kind, path)], source=f"feed:{name}", wait=True,
                          now=local_now(settings.time_zone))
        except LoadError as error:
            problems = [p for p in error.problems if p.level == "error"]
            access.audit(f"feed:{name}", "feed", what(kind=kind, rows=count, refused=len(
                problems)), flask.request.remote_addr or "")
            return _json({"errors": [_problem(p, header_line) for p in problems]}, 422)
        except ServiceDown as down:     # being started again: the batch was not answered
            response = _error(503, f"the store is not answering, send the batch again: "
                                   f"{down}")
            response.headers["Retry-After"] = "5"
            return response
    accepted = sum(report.rows.values())
    version = report.version
    access.audit(f"feed:{name}", "feed", what(kind=kind, rows=accepted, version=version),
                 flask.request.remote_addr or "")
    return _json({"accepted": accepted, "version": version,
                  "warnings": [str(w) for w in report.warnings][:100]})


def _problem(problem, header_line: int = 1) -> dict:
    """A reader's problem as the API names it: the row of the batch (1 = the first row
    under the header, on line ``header_line`` + 1), the field, the value and what was
    expected."""
    return {"row": problem.row - header_line if problem.row else None,
            "field": problem.column, "value": problem.value, "expected": problem.expected}


def _csv_of_json(body: bytes) -> tuple[bytes, int]:
    """``{"rows": [{column: value}, ...]}`` as the CSV the readers read: the columns of the
    first row, the same for every row."""
    try:
        rows = json.loads(body).get("rows")
    except (ValueError, AttributeError, RecursionError):
        raise ValueError('the body is not JSON of the form {"rows": [{...}, ...]}') from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError('"rows" must be a list of objects, one a row')
    if not rows:
        return b"", 0
    columns = list(rows[0])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for number, row in enumerate(rows, 1):
        if list(row) != columns and set(row) != set(columns):
            raise ValueError(f"row {number} has the fields {sorted(row)}; the first row has "
                             f"{sorted(columns)}: every row the same")
        values = []
        for column in columns:
            value = row[column]
            if isinstance(value, (dict, list)):
                raise ValueError(f"row {number}, {column}: a value, not a "
                                 f"{type(value).__name__}")
            values.append("" if value is None else str(value))
        writer.writerow(values)
    return out.getvalue().encode("utf-8"), len(rows)


def _csv_rows(body: bytes) -> tuple[int, int]:
    """Data rows of a CSV body (its header not counted), for the row limit, and the line of
    its header (2 under a download's first line), for the rows its problems name."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("gb18030", errors="replace")
    records = csv.reader(io.StringIO(text))
    first = next(records, None)
    rest = sum(1 for _ in records)
    # a download's first line (one cell starting with #) says what made it: the header
    # comes after it
    if first is not None and len(first) == 1 and first[0].startswith("#"):
        return max(0, rest - 1), 2
    return rest, 1
