"""Issue #7: every URL and callback input that reaches a query is tried with SQL-injection and
path strings, on the small test city. None may change a query (hostile values are dropped
or match nothing), read a file, write one, change the store or end in a server error.

Each test collects every problem it meets and fails once, naming them all; the store's
tables (row counts and checksums), its file and the files the injections try to write are
compared before and after every test (``_store_unchanged``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import uuid
import zipfile
from pathlib import Path
from urllib.parse import quote

import plotly.utils
import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

import i18n
from callbacks import events as events_callbacks
from charts import state as st
from charts import wall as wall_charts
from charts.common import store_payload
from data.store import connect
from layouts import frame
from layouts.ids import Events, Report, Shell
from report.files import FORMATS as REPORT_FORMATS
from tests.conftest import run_callback

#: What /etc/passwd starts with: no answer may ever contain it.
PASSWD = "root:x:0:0"
#: Files the injections below try to write (unique names: they can only appear if one works).
PROBE_CSV = f"/tmp/citybrain-injection-{uuid.uuid4().hex}.csv"
PROBE_DB = f"/tmp/citybrain-injection-{uuid.uuid4().hex}.duckdb"
#: The file the issue names; it may exist for other reasons, so it must only stay as it was.
ISSUE_CSV = "/tmp/x.csv"

SQL = (
    "' OR '1'='1",
    "1; DROP TABLE grid_events; --",
    "360702' UNION SELECT * FROM meta --",
    '") OR 1=1 --',
    "360702'; DELETE FROM grid_events; --",
    "360702 OR 1=1",
    "read_csv('/etc/passwd')",
    "' || (SELECT * FROM read_csv('/etc/passwd')) || '",
    "COPY grid_events TO '/tmp/x.csv'",
    f"'; COPY grid_events TO '{PROBE_CSV}'; --",
    f"'; ATTACH '{PROBE_DB}' AS evil; CREATE TABLE evil.t AS SELECT 1; --",
    "'||(SELECT value FROM meta LIMIT 1)||'",
    "'; SET enable_external_access = true; --",
    "'; INSTALL httpfs; LOAD httpfs; --",
    "$1", "?", "?::VARCHAR", "%", "_", "\\",
)
PATHS = (
    "../../etc/passwd",
    "/etc/passwd",
    "..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252f..%252fetc%252fpasswd",
    "file:///etc/passwd",
    "....//....//etc/passwd",
    "/proc/self/environ",
)
ODD = (
    "\x00",
    "360702\x00' OR 1=1 --",
    "360702" + "A" * 50_000,
    "'" * 5_000,
    "\u202e360702",
    "\ufeff360702",
    "\u200b",
    "３６０７０２",
    "İ",
    "🏙️",
    "{0}{1}{__class__}",
    "%s%n",
    "${jndi:ldap://x/a}",
    "\r\nSet-Cookie: x=1",
    "<script>alert(1)</script>",
    "NaN", "-1", "1e999",
    "2026-11-24' OR '1'='1",
    "2026-13-45",
)
#: Strings a URL can carry (percent-encoded UTF-8).
HOSTILE = SQL + PATHS + ODD
#: A lone surrogate is no UTF-8, so no URL carries it; JSON can ("\udcff"), and Dash hands a
#: callback what the request's JSON says.
SURROGATES = ("\udcff", "360702\ud800")
CALLBACK_HOSTILE = HOSTILE + SURROGATES

#: Every query parameter the app reads: the filter state's (charts/state.py) and the wall's.
WALL_KEYS = ("mode", "scenes", "seconds")
URL_KEYS = (*st.QUERY_KEYS, *WALL_KEYS)
#: The filter store's fields that valid_state checks; the others are derived from them.
CHECKED_FIELDS = ("district", "township", "cell", "start", "end", "indicator", "lang", "layers",
                  "step", "picked", "pollutant", "vs", "grain", "category", "department",
                  "status")


def filter_models(value) -> dict[str, dict]:
    """The event grid's filter model as an attacker might send it, ``value`` in each place a
    string goes (a value, a column, a filter type), by a short name."""
    def text(kind, filter_value, **more):
        return {"filterType": "text", "type": kind, "filter": filter_value, **more}
    return {
        "district equals": {"district_code": text("equals", value)},
        "district contains": {"district_code": text("contains", value)},
        "grid equals": {"grid_code": text("equals", value)},
        "grid contains": {"grid_code": text("contains", value)},
        "reporter starts": {"reporter_name": text("startsWith", value)},
        "status equals": {"status": text("equals", value)},
        "event number": {"event_id": {"filterType": "number", "type": "equals",
                                      "filter": value}},
        "reported after": {"reported_at": {"filterType": "date", "type": "greaterThan",
                                           "dateFrom": value, "dateTo": None}},
        "and": {"category": text("contains", "市容"), "grid_code": text("equals", value)},
        "column": {value: text("contains", "1")},
        "filter type": {"category": {**text("contains", "市容"), "filterType": value}},
        "type": {"category": text(value, "市容")},
        "model": value,
    }


#: The filter models that may rightly match events for some values (``fair``).
FAIR_MODELS = ("district contains",)
#: A block request as the grid sends it; the tests put hostile values in its parts.
BLOCK = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}
#: The screens' paths, as the router takes them.
SCREEN_PATHS = tuple(f"/{path}" for _, path, _ in frame.SCREENS) + tuple(
    f"/{path}" for _, path in frame.OWN_PAGES)
#: Inputs that make a callback one that queries with what the browser sends.
QUERY_INPUTS = {f"{Shell.FILTERS}.data", f"{Events.TABLE}.getRowsRequest"}


def q(value: str) -> str:
    """A value percent-encoded for a query string or a path segment."""
    return quote(value, safe="")


def short(value) -> str:
    return repr(value)[:60]


# --- the store and the file system, before and after ---------------------------------------

def _file(path: str | Path):
    p = Path(path)
    return (p.stat().st_size, p.stat().st_mtime_ns) if p.exists() else None


def _snapshot(app, city_path) -> dict:
    """Every table's row count and checksum (through a second, read-only connection with the
    app's configuration), the store file's bytes, the databases the app's connection sees,
    and the files the injections try to write."""
    con = connect(city_path)
    try:
        tables = [name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY 1").fetchall()]
        sums = {table: con.execute(f'SELECT count(*), bit_xor(hash(t)) FROM "{table}" t')
                .fetchone() for table in tables}
    finally:
        con.close()
    runtime = app.citybrain_runtime
    return {"tables": sums,
            "file": (_file(city_path), hashlib.sha256(Path(city_path).read_bytes()).hexdigest()),
            "fingerprint": runtime.store.fingerprint,
            "databases": runtime.store.rows(
                "SELECT database_name FROM duckdb_databases() ORDER BY 1"),
            "probes": (_file(PROBE_CSV), _file(PROBE_DB), _file(ISSUE_CSV))}


@pytest.fixture(autouse=True)
def _store_unchanged(app, city_path):
    before = _snapshot(app, city_path)
    assert before["probes"][:2] == (None, None)
    yield
    after = _snapshot(app, city_path)
    changed = [key for key in before if before[key] != after[key]]
    assert not changed, f"changed by the hostile inputs: {changed}: {before} -> {after}"


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def ctx(app):
    return app.citybrain_runtime.context


@pytest.fixture(scope="module")
def fair(app):
    """fair(model, value): True when the filter model may rightly match events: "NaN" is
    part of a district's name ("Nankang"), and a district's "contains" matches names."""
    districts = app.citybrain_runtime.queries.districts()
    names = " ".join([*districts["code"], *districts["name_zh"], *districts["name_en"]])
    return lambda model, value: model in FAIR_MODELS and isinstance(value, str) and \
        value.lower() in names.lower()


@pytest.fixture(scope="module")
def city(ctx):
    """A valid filter store: the whole city, year to date."""
    return store_payload(ctx.default())


def _report(problems: list[str], what: str) -> None:
    assert not problems, f"{len(problems)} {what}:\n" + "\n".join(problems[:40])


# --- URLs: the page router ----------------------------------------------------------------

def test_every_url_parameter_is_dropped_on_every_screen(app, ctx):
    """?param=<hostile> on every screen renders the screen for the default view: the value
    never reaches the state (so no query), and nothing fails. The state and the wall's
    playlist are read for each parameter and value alone; the screens (~20 ms each) are
    drawn for query strings where every parameter is hostile at once, ``_mixed``, as many as
    there are hostile values, so that each parameter carries each value to every screen."""
    default = ctx.default()
    settings = app.citybrain_runtime.settings
    usual = wall_charts.wall_config("", settings)[0]
    problems = []
    for key in URL_KEYS:
        for value in HOSTILE:
            search = f"?{key}={q(value)}"
            state, dropped = st.parse_query(search, ctx)
            if state != default:
                problems.append(f"{key}={short(value)} changed the state: {state}")
            if key in st.QUERY_KEYS and not dropped:
                problems.append(f"{key}={short(value)} was kept without a notice")
            config, _ = wall_charts.wall_config(search, settings)
            if config != usual:
                problems.append(f"{key}={short(value)} changed the wall's playlist: {config}")
    for query in _mixed(URL_KEYS, len(HOSTILE)):
        search = f"?{query}"
        state, _ = st.parse_query(search, ctx)
        if state != default:
            problems.append(f"{search[:60]} changed the state: {state}")
        for path in SCREEN_PATHS:
            try:
                page = run_callback(app, "app-page.children", path, search)
            except Exception as error:               # noqa: BLE001 - every failure is named
                problems.append(f"{path}{search[:60]}: {type(error).__name__}: {error}")
                continue
            if page is None:
                problems.append(f"{path}{search[:60]}: no page")
    _report(problems, "URL parameters were not dropped")


def _mixed(keys: tuple[str, ...], count: int) -> list[str]:
    """``count`` different query strings giving every key a hostile value: string ``i`` gives
    key ``j`` value ``i + j * step`` (modulo their number, ``step`` the values per key when
    spread evenly), so that a few strings send every value, more send each value to more
    keys, and as many strings as values send each value through every key (for pages that
    cost ~0.15 s or more each: the wall, a chart export; or to draw every screen)."""
    n = len(HOSTILE)
    step = -(-n // len(keys))
    picks = [[(i + j * step) % n for j in range(len(keys))] for i in range(count)]
    assert {pick for row in picks for pick in row} == set(range(n)), \
        "some hostile values would never be sent"
    return ["&".join(f"{key}={q(HOSTILE[pick])}" for key, pick in zip(keys, row))
            for row in picks]


def test_the_wall_drops_every_hostile_url_value(app):
    """/wall, and ?mode=wall on each screen, with every parameter hostile (a wall is drawn in
    full each time, ~0.7 s, so one URL carries them all: three send every value to /wall, and
    the screens' seven send each value again; the parameters one by one are checked against
    the wall's playlist in the test above)."""
    problems = []
    asked = [("/wall", f"?{query}") for query in _mixed(URL_KEYS, 3)]
    asked += [(path, f"?mode=wall&{query}") for path, query in
              zip(SCREEN_PATHS, _mixed(tuple(k for k in URL_KEYS if k != "mode"), len(SCREEN_PATHS)))]
    for path, search in asked:
        try:
            page = run_callback(app, "app-page.children", path, search)
        except Exception as error:                   # noqa: BLE001
            problems.append(f"{path}{search[:60]}: {type(error).__name__}: {error}")
            continue
        if PASSWD in _json(page):
            problems.append(f"{path}{search[:60]}: the page shows /etc/passwd")
    _report(problems, "wall URLs failed")


# --- URLs: the Flask routes ---------------------------------------------------------------

def _body(response) -> str:
    """A response's text; an Office file's (a zip) parts unpacked, so nothing hides in it."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            data = b"".join(book.read(name) for name in book.namelist())
    return data.decode("utf-8", "replace")


def _is_dash_page(response, body: str) -> bool:
    """Dash's index page: what a path that matches no route gets (the router then shows
    "not found")."""
    return response.status_code == 200 and response.mimetype == "text/html" and \
        "_dash-config" in body


def _get(client, url: str, problems: list[str], allowed=range(200, 500)):
    """GET a URL; a status outside ``allowed`` (other than Dash's index page for a path no
    route matches) or /etc/passwd in the answer is a problem."""
    response = client.get(url)
    body = _body(response)
    if response.status_code not in allowed and not _is_dash_page(response, body):
        problems.append(f"{response.status_code} for {url[:140]}")
    if PASSWD in body:
        problems.append(f"/etc/passwd in the answer to {url[:140]}")
    return response, body


def _csv_rows(body: str) -> int:
    """The events of a download: its lines past the first (what made it) and the header."""
    records = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert records and records[0][0].startswith("# "), body[:200]
    return max(0, len(records) - 2)


def test_geojson_style_font_health_and_static_routes(client):
    """A hostile level, parent, style, font or asset is a 404 (or, for a path no route
    matches, Dash's page); the health check ignores what it is sent; traversals read
    nothing."""
    problems = []
    traversals = ("../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd",
                  "....//....//etc/passwd", "..%5c..%5cetc%5cpasswd", "%00", "/etc/passwd")
    for value in HOSTILE:
        _get(client, f"/geo/{q(value)}.geojson", problems, allowed={404})
        for level in ("districts", "townships", "grid_cells"):
            _get(client, f"/geo/{level}.geojson?parent={q(value)}", problems, allowed={404})
        _get(client, f"/geo/style/{q(value)}.json", problems, allowed={404})
        _get(client, f"/fonts/{q(value)}", problems, allowed={404})
        _get(client, f"/fonts/citybrain-sans-{q(value)}.woff2", problems, allowed={404})
        _get(client, f"/healthz?x={q(value)}&{q(value)}=1", problems, allowed={200})
        _get(client, f"/assets/{q(value)}", problems, allowed={404})
    for path in traversals:
        for prefix in ("/fonts/", "/geo/", "/geo/style/", "/assets/", "/download/",
                       "/export/chart/", "/report/"):
            _get(client, prefix + path, problems, allowed=range(300, 500))
    _report(problems, "route answers were wrong")


def test_dash_script_paths_refuse_traversal_with_a_client_error(client):
    """Dash's own script route: a path it does not serve is refused (never read), and the
    refusal should be a 4xx like every other unknown path, not a 500."""
    problems = []
    for path in ("dash/../../etc/passwd", "dash/..%2f..%2fetc%2fpasswd",
                 "dash/..%5c..%5cetc%5cpasswd", "dash/%00", "dash/dcc/../../../../etc/passwd",
                 f"dash/{q(SQL[0])}", f"{q(SQL[0])}/x.js", "..%2f..%2fetc/passwd"):
        _get(client, "/_dash-component-suites/" + path, problems, allowed=range(300, 500))
    _report(problems, "script paths were not refused with a client error")


def test_event_downloads_keep_their_query(client, app, fair):
    """/download/events.csv|xlsx: every filter parameter, the grid's filter model (``tf``,
    JSON) and its sort (``sort``, ``desc``) hostile. The answer is a 400 or the rows of a
    query the values did not change: a narrowing filter model still gives its one event, a
    hostile filter model gives none. The parameters are hostile all at once, in as many URLs
    as there are hostile values, so that each parameter carries each value (``_mixed``; each
    alone is read as the default state in the first test)."""
    day = app.citybrain_runtime.context.last_day
    (event,), = app.citybrain_runtime.store.rows(
        "SELECT min(event_id) FROM grid_events WHERE reported_at >= ?",
        [dt.datetime.combine(day.replace(month=1, day=1), dt.time())])
    one = "&tf=" + q(json.dumps({"event_id": {"filterType": "number", "type": "equals",
                                              "filter": event}}))
    keys = (*st.QUERY_KEYS, "sort", "desc")
    problems = []
    for query in _mixed(keys, len(HOSTILE)):
        url = f"/download/events.csv?{query}{one}"
        response, body = _get(client, url, problems, allowed={200})
        if response.status_code == 200 and _csv_rows(body) != 1:
            problems.append(f"{_csv_rows(body)} rows (not 1) for {url[:140]}")
    for value in HOSTILE:
        every = "&".join(f"{key}={q(value)}" for key in keys)
        _get(client, f"/download/events.xlsx?{every}{one}", problems, allowed={200})
        for i, (name, model) in enumerate(filter_models(value).items()):
            tf = q(json.dumps(model))
            for fmt in ("csv", "xlsx") if i < 2 else ("csv",):
                url = f"/download/events.{fmt}?tf={tf}"
                response, body = _get(client, url, problems, allowed={200, 400})
                if response.status_code == 200 and fmt == "csv" and _csv_rows(body) and \
                        not fair(name, value):
                    problems.append(f"{_csv_rows(body)} rows for {url[:140]}")
        _get(client, f"/download/events.csv?tf={q(value)}", problems, allowed={400})
        _get(client, f"/download/{q(value)}.csv", problems, allowed={404})
        _get(client, f"/download/events.{q(value)}", problems, allowed={404})
    _report(problems, "downloads went wrong")


@pytest.mark.render
def test_chart_exports_and_reports_refuse_or_ignore_hostile_values(app, client, ctx):
    """/export/chart/<chart>.<fmt>?... and /report/<month>.<fmt>?...: a hostile chart, format
    or month is a 404, a hostile section or district a 400; hostile filters or a hostile
    language give the default view (a chart render costs ~0.4 s: one URL carries every
    parameter, and three send every hostile value, see ``_mixed``)."""
    from report.monthly import last_complete_month
    default, month = ctx.default(), last_complete_month(app.citybrain_runtime)
    problems = []
    for query in _mixed(URL_KEYS, 3):
        response, _ = _get(client, f"/export/chart/grid-funnel.svg?{query}", problems,
                           allowed={200})
        if response.status_code == 200 and f"_{default.start}_{default.end}.svg" not in \
                response.headers["Content-Disposition"]:
            problems.append(f"not the default view: {query[:120]}")
    for value in HOSTILE:
        _get(client, f"/export/chart/{q(value)}.svg", problems, allowed={404})
        _get(client, f"/export/chart/grid-funnel.{q(value)}", problems, allowed={404})
        _get(client, f"/report/{q(value)}.xlsx", problems, allowed={404})
        _get(client, f"/report/{q(value)}.pdf", problems, allowed={404})
        _get(client, f"/report/{month}.{q(value)}", problems, allowed={404})
        _get(client, f"/report/{month}.xlsx?sections={q(value)}", problems, allowed={400})
        _get(client, f"/report/{month}.xlsx?sections=kpis&districts={q(value)}", problems,
             allowed={400})
        _get(client, f"/report/{month}.xlsx?sections=kpis&lang={q(value)}", problems,
             allowed={200})
    _report(problems, "export and report answers were wrong")


# --- callbacks ------------------------------------------------------------------------------

def _query_callbacks(app) -> list[str]:
    """The server callbacks that take the filter store or the event grid's block request
    (its filter and sort models) as an input."""
    return [key for key, spec in app.callback_map.items() if "callback" in spec and
            QUERY_INPUTS & {f"{d['id']}.{d['property']}" for d in spec["inputs"]}]


def _call(app, key: str, defaults: dict, **values):
    """Call a callback with its inputs and states named "id.property": ``values`` where
    given, else ``defaults``."""
    spec = app.callback_map[key]
    args = []
    for dep in (*spec["inputs"], *spec.get("state", [])):
        name = f"{dep['id']}.{dep['property']}"
        pattern = [] if dep["id"].startswith("{") else None     # ALL: a list of members
        args.append(values.get(name, defaults.get(name, pattern)))
    return run_callback(app, key, *args)


def _defaults(app, city) -> dict:
    from report.monthly import last_complete_month
    return {f"{Shell.FILTERS}.data": city, f"{Events.TABLE}.getRowsRequest": BLOCK,
            "rpt-month.value": last_complete_month(app.citybrain_runtime),
            "rpt-sections.value": ["kpis"],
            json.dumps({"fmt": ["ALL"], "type": Report.DOWNLOAD}, separators=(",", ":"))
            + ".id": [{"fmt": fmt, "type": Report.DOWNLOAD} for fmt in REPORT_FORMATS]}


def _refused(app, key, defaults, problems, what, **values) -> None:
    """The callback must answer PreventUpdate (the store fails valid_state); the event grid,
    which must answer every block it asks for, no rows and nothing else."""
    try:
        out = _call(app, key, defaults, **values)
    except PreventUpdate:
        return
    except Exception as error:                       # noqa: BLE001
        problems.append(f"{key[:50]} {what}: {type(error).__name__}: {str(error)[:120]}")
        return
    if key == _table_key(app) and out == (events_callbacks.NO_ROWS, *[no_update] * 3):
        return
    problems.append(f"{key[:50]} {what}: drew something instead of PreventUpdate")


def _json(value) -> str:
    return json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder, sort_keys=True)


def test_hostile_filter_stores_are_refused_by_every_callback(app, city):
    """Every callback reading the filter store, with a store whose every field is hostile,
    with one checked field hostile, or with a value of the wrong type: PreventUpdate."""
    keys = _query_callbacks(app)
    assert len(keys) >= 30, keys               # every chart, table, text and trail
    defaults = _defaults(app, city)
    store = f"{Shell.FILTERS}.data"
    problems = []
    for key in keys:
        for value in CALLBACK_HOSTILE:
            _refused(app, key, defaults, problems, f"all fields {short(value)}",
                     **{store: {field: value for field in city}})
            for field in CHECKED_FIELDS:
                bad = [value] if field in ("layers", "picked") else value
                _refused(app, key, defaults, problems, f"{field}={short(value)}",
                         **{store: {**city, field: bad}})
        for bad in (CALLBACK_HOSTILE[0], [CALLBACK_HOSTILE[0]], 7, [], {"$ne": None}):
            _refused(app, key, defaults, problems, f"store {short(bad)}", **{store: bad})
            for field in CHECKED_FIELDS:
                if field in ("layers", "picked") and bad == []:
                    continue            # no layers, no picks: a valid state
                _refused(app, key, defaults, problems, f"{field}={short(bad)}",
                         **{store: {**city, field: bad}})
    _report(problems, "hostile filter stores were not refused")


def test_unchecked_store_fields_change_nothing(app, city):
    """The store's derived fields (its query strings, from_url) and unknown keys are not
    read by any query: a callback draws exactly what it draws for the clean store."""
    defaults = _defaults(app, city)
    store = f"{Shell.FILTERS}.data"
    problems = []
    for key in _query_callbacks(app):
        clean = _json(_call(app, key, defaults))
        for value in (SQL[1], SQL[7], PATHS[0], ODD[0], ODD[2], SURROGATES[0]):
            hostile = {**city, "query": value, "lang_query": value, "from_url": value,
                       "sql": value, value: value}
            try:
                drawn = _json(_call(app, key, defaults, **{store: hostile}))
            except Exception as error:               # noqa: BLE001
                problems.append(f"{key[:50]} {short(value)}: {type(error).__name__}: "
                                f"{str(error)[:120]}")
                continue
            if drawn != clean:
                problems.append(f"{key[:50]} {short(value)}: drew something else")
    _report(problems, "callbacks were changed by unchecked fields")


def _table_key(app) -> str:
    return next(k for k in app.callback_map if k.startswith(f"..{Events.TABLE}.getRowsResponse"))


def _table(app, defaults, **request):
    """The event grid's block callback for a request: BLOCK with ``request``'s parts."""
    return _call(app, _table_key(app), defaults,
                 **{f"{Events.TABLE}.getRowsRequest": {**BLOCK, **request}})


def test_event_grid_filter_and_sort_models(app, city, client, fair):
    """The event grid's filter model with a hostile value, column or filter type: unreadable
    (a message and no rows) or matching no event; its download link agrees. A hostile sort
    model is the default order: the same block as without it."""
    defaults = _defaults(app, city)
    unreadable = {i18n.t("filter_unreadable", lang) for lang in ("zh", "en")}
    problems = []
    for value in CALLBACK_HOSTILE:
        for name, model in filter_models(value).items():
            what = f"filter model {name} {short(value)}"
            try:
                response, count, csv_href, _ = _table(app, defaults, filterModel=model)
            except Exception as error:               # noqa: BLE001
                problems.append(f"{what}: {type(error).__name__}: {str(error)[:120]}")
                continue
            if any(count.startswith(text) for text in unreadable):
                if response != events_callbacks.NO_ROWS or csv_href is not None:
                    problems.append(f"{what}: unreadable, yet rows or a download")
                continue
            if fair(name, value):
                continue
            if response["rowData"] or response["rowCount"] or re.sub(r"\D", "", count) != "0":
                problems.append(f"{what}: matched events ({count})")
            response, body = _get(client, csv_href, problems, allowed={200, 400})
            if response.status_code == 200 and _csv_rows(body):
                problems.append(f"{what}: its download has {_csv_rows(body)} rows")
    clean = _json(_table(app, defaults))
    by_id = _json(_table(app, defaults, sortModel=[{"colId": "event_id", "sort": "desc"}]))
    for value in CALLBACK_HOSTILE:
        for sort_model, expected in (([{"colId": value, "sort": "asc"}], clean),
                                     ([{"colId": "event_id", "sort": value}], by_id),
                                     (value, clean), ([value], clean),
                                     ([{"colId": {"$ne": value}}], clean)):
            what = f"sort model {short(sort_model)}"
            try:
                drawn = _json(_table(app, defaults, sortModel=sort_model))
            except Exception as error:               # noqa: BLE001
                problems.append(f"{what}: {type(error).__name__}: {str(error)[:120]}")
                continue
            if drawn != expected:
                problems.append(f"{what}: a block other than the default one")
    _report(problems, "event grid models went wrong")


def test_event_grid_blocks_near_and_far(app, city, queries):
    """The rows a block asks for: a far block is exactly those rows of the query layer's
    order; a block past the end, or one no grid asks for (2^63, negative, huge, not whole
    numbers, objects), is no rows and the count of all, never an error."""
    defaults = _defaults(app, city)
    state = st.valid_state(city, app.citybrain_runtime.context)
    first, count, *_ = _table(app, defaults)
    total = first["rowCount"]
    assert total > 5000
    far, _ = queries.events_page(state.scope, state.start, state.end, (), "reported_at", True,
                                 total - 30, 100)
    response, far_count, *_ = _table(app, defaults, startRow=total - 30, endRow=total + 70)
    assert [r["event_id"] for r in response["rowData"]] == far["event_id"].tolist()
    assert len(far) == 30 and response["rowCount"] == total and far_count == count
    problems = []
    empty = {"rowData": [], "rowCount": total}
    for start, end in ((total, total + 100), (10**9, 10**9 + 100), (2**63, 2**63 + 100),
                       (2**63 - 1, 2**64), (-100, 0), (0, -1), (100, 0), (0, 10**6),
                       (0.5, 100.5), ("0", "100"), (True, 100), (None, None), ({}, []),
                       *((value, value) for value in CALLBACK_HOSTILE)):
        what = f"block {short(start)}..{short(end)}"
        try:
            response, drawn_count, *_ = _table(app, defaults, startRow=start, endRow=end)
        except Exception as error:                   # noqa: BLE001
            problems.append(f"{what}: {type(error).__name__}: {str(error)[:120]}")
            continue
        if response != empty or drawn_count != count:
            problems.append(f"{what}: {short(response)}")
    for request in (*CALLBACK_HOSTILE[:3], 7, [], None):
        try:
            _call(app, _table_key(app), defaults, **{f"{Events.TABLE}.getRowsRequest": request})
        except PreventUpdate:
            continue
        except Exception as error:                   # noqa: BLE001
            problems.append(f"request {short(request)}: {type(error).__name__}: {error}")
            continue
        problems.append(f"request {short(request)}: answered")
    _report(problems, "event grid blocks went wrong")


def test_report_preview_month_and_sections(app, city):
    """The report screen's month and sections: a message naming what exists, no failure."""
    defaults = _defaults(app, city)
    key = next(k for k in app.callback_map if k.startswith("..rpt-summary.children"))
    problems = []
    for value in CALLBACK_HOSTILE:
        for name, bad in (("rpt-month.value", value), ("rpt-sections.value", [value]),
                          ("rpt-sections.value", value)):
            try:
                summary, kpis, *_ = _call(app, key, defaults, **{name: bad})
            except PreventUpdate:
                continue
            except Exception as error:               # noqa: BLE001
                problems.append(f"{name}={short(bad)}: {type(error).__name__}: {error}")
                continue
            if kpis:
                problems.append(f"{name}={short(bad)}: a report was built")
    _report(problems, "report previews went wrong")


def _controller_value(prop: str, value):
    """A hostile value shaped like what the control's property carries."""
    if prop in ("clickData", "selectedData"):
        return {"points": [{"customdata": value, "location": value}],
                "range": {"x": [value, value]}}
    return value


def test_filter_controllers_keep_the_state_valid(app, ctx, city):
    """Each screen's filter controller: a hostile URL gives the default view; a hostile
    control value leaves a valid state holding no hostile value; any control on a hostile
    store is refused."""
    problems = []
    default_payload = store_payload(ctx.default(), from_url=True)
    for prefix, key in app.filter_controllers.items():
        spec = app.callback_map[key]
        deps = [*spec["inputs"], *spec.get("state", [])]
        names = [f"{d['id']}.{d['property']}" for d in deps]

        def call(values, trigger=None, trigger_value=None, key=key, names=names):
            args = [values.get(name) for name in names]
            triggered = [{"prop_id": trigger, "value": trigger_value}] if trigger else []
            return run_callback(app, key, *args, triggered=triggered)

        search_name, current_name = names[0], names[-1]
        for value in CALLBACK_HOSTILE:
            # one parse_query for all: the overview's takes every parameter, the others three
            for param in URL_KEYS if prefix == "ops" else st.QUERY_KEYS[:3]:
                search = f"?{param}={value if value in SURROGATES else q(value)}"
                try:
                    payload, *_ = call({search_name: search})
                except Exception as error:           # noqa: BLE001
                    problems.append(f"{prefix} {search[:60]}: {type(error).__name__}: {error}")
                    continue
                if payload != default_payload:
                    problems.append(f"{prefix} {search[:60]}: not the default view")
            for dep in spec["inputs"][1:]:
                prop = dep["property"]
                component = dep["id"]
                if component.startswith("{"):        # a pattern: one member of it fired
                    pattern = json.loads(component)
                    trigger = json.dumps({k: (value if v == ["ALL"] else v)
                                          for k, v in pattern.items()}, sort_keys=True)
                    shaped = [_controller_value(prop, value)]
                else:
                    trigger, shaped = component, _controller_value(prop, value)
                name = f"{component}.{prop}"
                for current in (city, {field: value for field in city}):
                    try:
                        out = call({name: shaped, current_name: current},
                                   f"{trigger}.{prop}", shaped)
                    except PreventUpdate:
                        continue
                    except Exception as error:       # noqa: BLE001
                        problems.append(f"{prefix} {name}={short(value)}: "
                                        f"{type(error).__name__}: {error}")
                        continue
                    if current is not city:
                        problems.append(f"{prefix} {name}: a hostile store was accepted")
                        continue
                    payload = out[0]
                    if not isinstance(payload, dict):
                        continue                     # no_update: the state stays
                    state = st.valid_state(payload, ctx)
                    if state is None or value in payload.values() or \
                            value in (*state.layers, *state.picked):
                        problems.append(f"{prefix} {name}={short(value)}: {payload}")
    _report(problems, "filter controller answers were wrong")


def test_an_upload_name_never_becomes_a_path(app, city):
    """The data screen's upload: a hostile file name is reduced to a plain name before any
    file is written (an upload that does not decode writes nothing and loads nothing)."""
    key = next(k for k in app.callback_map if k.startswith("..dat-result.children"))
    problems = []
    for value in CALLBACK_HOSTILE:
        for kind in ("events", value):
            try:
                result, *_ = run_callback(app, key, "data:text/csv;base64,!!!", value, kind,
                                         value, value, city)
            except PreventUpdate:
                continue
            except Exception as error:               # noqa: BLE001
                problems.append(f"{short(value)} {kind[:20]}: {type(error).__name__}: {error}")
                continue
            if kind != "events":
                problems.append(f"kind {short(kind)} was accepted")
                continue
            message = result.children[0].children       # "<name> 未导入，..." (the store is zh)
            name = message[:message.index(" 未导入")]
            if not name or {"/", "\\", "\x00"} & set(name) or name.startswith("."):
                problems.append(f"{short(value)}: the upload's name is {name!r}")
    _report(problems, "uploads went wrong")


def test_the_wall_refresh_ignores_a_hostile_config(app):
    """The wall's refresh reads its language from the page's config store: a hostile one is
    the default language."""
    key = next(k for k in app.callback_map if k.startswith("..wall-overview-kpis.children"))
    for value in (SQL[0], PATHS[0], SURROGATES[0]):
        out = run_callback(app, key, 1, {"lang": value, "scenes": value}, value)
        assert PASSWD not in _json(out[:-2])


def _dash_request(app, key: str, values: list, changed: str) -> dict:
    """A body shaped like the one Dash's renderer posts for a callback without patterns:
    ``values`` for its inputs, then its states."""
    spec = app.callback_map[key]
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1)))
               for part in key.strip(".").split("...")]
    deps = [{"id": d["id"], "property": d["property"], "value": v}
            for d, v in zip([*spec["inputs"], *spec.get("state", [])], values)]
    return {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": deps[:len(spec["inputs"])], "state": deps[len(spec["inputs"]):],
            "changedPropIds": [changed]}


def test_callback_requests_over_http_never_fail(app, client, city):
    """The same inputs as the browser posts them (JSON, which can carry what no URL can):
    a client error or an answer, never a 500."""
    key = _table_key(app)
    problems = []
    for value in (*SURROGATES, SQL[0], ODD[0]):
        for name in ("grid contains", "district equals", "column", "model"):
            model = filter_models(value)[name]
            for request in ({**BLOCK, "filterModel": model},
                            {**BLOCK, "sortModel": [{"colId": value, "sort": value}]},
                            {**BLOCK, "startRow": 2**63, "endRow": value}):
                body = _dash_request(app, key, [request, city],
                                     f"{Events.TABLE}.getRowsRequest")
                response = client.post("/_dash-update-component", data=json.dumps(body),
                                       content_type="application/json")
                if response.status_code >= 500:
                    problems.append(f"{response.status_code} for the request "
                                    f"{short(request)}")
    # a filter model nested deeper than Python's JSON parser goes: a client error
    deep = "[" * 50_000 + "]" * 50_000
    body = json.dumps(_dash_request(app, key, ["REQUEST", city],
                                    f"{Events.TABLE}.getRowsRequest"))
    response = client.post("/_dash-update-component", content_type="application/json",
                           data=body.replace('"REQUEST"', '{"startRow": 0, "endRow": 100, '
                                             f'"filterModel": {{"status": {deep}}}}}'))
    if response.status_code != 400:
        problems.append(f"{response.status_code} for a filter model nested 50,000 deep")
        for target, values, changed, what in (
                (f"{Shell.FILTER_TEXT}.children", [{field: value for field in city}],
                 f"{Shell.FILTERS}.data", "a store"),
                ("app-page.children", ["/events", f"?district={value}&lang={value}"],
                 "app-url.pathname", "a page search")):
            body = _dash_request(app, target, values, changed)
            response = client.post("/_dash-update-component", data=json.dumps(body),
                                   content_type="application/json")
            if response.status_code >= 500:
                problems.append(f"{response.status_code} for {what} of {short(value)}")
    _report(problems, "callback requests failed")


# --- DuckDB's own reach ---------------------------------------------------------------------

def test_the_store_cannot_read_files(app):
    """Defence in depth: even a query the app never writes could not read a file: the
    store's read-only connections have DuckDB's external access off."""
    store = app.citybrain_runtime.store
    (enabled,), = store.rows("SELECT current_setting('enable_external_access')")
    assert not enabled
    with pytest.raises(Exception, match="(?i)external|permission|disabled"):
        store.rows("SELECT * FROM read_csv('/etc/passwd')")
    assert not Path(PROBE_CSV).exists()

