"""Sign-in, roles, district scope, kiosk tokens, CSRF and the audit log (web/auth.py,
data/access.py, data/queries.Scope), on the small test city.

The scope is shown where it is enforced: every public method of the query layer is called
as a district's reader, then every query callback and every file route as a signed-in
district user; no row, name or code of another district comes back.
"""

from __future__ import annotations

import inspect
import io
import json
import re
import sqlite3

import flask_login
import pandas as pd
import pytest
from dash.exceptions import PreventUpdate

from charts.common import store_payload
from charts.state import parse_query
from data.access import DEMO_PASSWORD, LOCKOUT_FAILURES, Access, AccessError, Principal
from data.queries import Queries, Scope
from layouts.ids import Shell
from tests.test_injection import _call, _defaults, _json, _query_callbacks
from web import auth

START, END = "2026-01-01", "2026-11-24"
PASSWORD = "correct horse battery"


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def geo(store):
    """Every place code of the full store -> its district, and the districts' names."""
    owner = {}
    for sql in ("SELECT code, code FROM districts", "SELECT code, district_code FROM townships",
                "SELECT code, district_code FROM grid_cells",
                "SELECT code, district_code FROM stations",
                "SELECT code, district_code FROM water_sections"):
        owner.update(dict(store.rows(sql)))
    names = {code: (zh, en) for code, zh, en in store.rows(
        "SELECT code, name_zh, name_en FROM districts")}
    return {"owner": owner, "names": names, "districts": sorted(names)}


@pytest.fixture(scope="module")
def mine(geo):
    """The scoped user's districts: the first two (one for the single-district checks)."""
    return geo["districts"][:2]


@pytest.fixture(scope="module")
def theirs(geo, mine):
    return [d for d in geo["districts"] if d not in mine]


@pytest.fixture(scope="module")
def access_app(settings, tmp_path_factory):
    from app import create_app
    path = tmp_path_factory.mktemp("access") / "access.sqlite"
    app = create_app(settings.with_(auth=True, access_path=path))
    return app


@pytest.fixture(scope="module")
def access(access_app) -> Access:
    return access_app.server.extensions["citybrain_access"]


@pytest.fixture(scope="module")
def users(access, mine):
    """One user per role, the analyst and staff scoped to ``mine``."""
    made = {"leader": ("lead", ()), "analyst": ("ana", mine), "staff": ("sta", mine),
            "admin": ("adm", ()), "whole": ("ana-city", ())}
    for role, (name, districts) in made.items():
        access.add_user(name, "analyst" if role == "whole" else role, PASSWORD, districts)
    return {role: name for role, (name, _) in made.items()}


def _sign_in(app, name: str, password: str = PASSWORD, next_url: str = "/"):
    client = app.server.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": name, "password": password,
                                           "csrf_token": token, "next": next_url})
    client.get("/", headers={"Accept": "text/html"})      # sets the CSRF cookie
    return client, response


def _client(app, name: str):
    client, response = _sign_in(app, name)
    assert response.status_code == 302, response.text
    return client


def _csrf(client) -> dict:
    return {"X-CSRFToken": client.get_cookie(auth.CSRF_COOKIE).value}


# --- users, passwords, lockout, kiosk tokens -------------------------------------------------

def test_passwords_are_argon2_hashes_and_wrong_ones_fail(tmp_path):
    access = Access(tmp_path / "a.sqlite")
    access.add_user("wang", "analyst", PASSWORD, ["360702"], known_districts={"360702"})
    stored = sqlite3.connect(tmp_path / "a.sqlite").execute(
        "SELECT password FROM users").fetchall()[0][0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert access.authenticate("wang", "wrong password!") is None
    assert access.authenticate("nobody", PASSWORD) is None
    found = access.authenticate("wang", PASSWORD, "10.0.0.1")
    assert found == Principal("wang", "analyst", frozenset({"360702"}))
    assert found.scope == Scope(frozenset({"360702"}), personal_data=False)
    log = access.audit_log()
    assert [(r["who"], r["action"]) for r in log] == [
        ("wang", "login"), ("nobody", "login_failed"), ("wang", "login_failed")]
    assert log[0]["address"] == "10.0.0.1"


def test_bad_users_are_refused_with_the_reason(tmp_path):
    access = Access(tmp_path / "a.sqlite")
    for call, message in (
            (lambda: access.add_user("x y", "analyst", PASSWORD), "letters, digits"),
            (lambda: access.add_user("li", "boss", PASSWORD), "unknown role 'boss'"),
            (lambda: access.add_user("li", "analyst", "short"), "at least 10"),
            (lambda: access.add_user("li", "analyst", PASSWORD, ["999"],
                                     known_districts={"360702"}), "unknown district")):
        with pytest.raises(AccessError, match=message):
            call()
    access.add_user("li", "leader", PASSWORD)
    with pytest.raises(AccessError, match="exists already"):
        access.add_user("li", "leader", PASSWORD)
    with pytest.raises(AccessError, match="no user 'zhao'"):
        access.update_user("zhao", role="admin")


def test_repeated_failures_lock_the_name_even_with_the_right_password(tmp_path):
    access = Access(tmp_path / "a.sqlite")
    access.add_user("chen", "staff", PASSWORD)
    for _ in range(LOCKOUT_FAILURES):
        assert access.authenticate("chen", "guessing-password") is None
    assert access.locked("chen")
    assert access.authenticate("chen", PASSWORD) is None
    assert access.audit_log(limit=1)[0]["action"] == "login_locked"
    # tries while locked are not failures of their own: the lock ends on time
    assert sum(r["action"] == "login_failed" for r in access.audit_log()) == LOCKOUT_FAILURES


def test_disabled_users_and_revoked_tokens_are_out_at_once(tmp_path):
    access = Access(tmp_path / "a.sqlite")
    access.add_user("zhou", "analyst", PASSWORD)
    access.update_user("zhou", disabled=True)
    assert access.user("zhou") is None and access.authenticate("zhou", PASSWORD) is None
    token_id, token = access.add_kiosk("指挥中心大屏")
    assert access.kiosk(token=token).permissions == frozenset({"wall"})
    assert access.kiosk(token=token + "x") is None
    access.revoke_kiosk(token_id)
    assert access.kiosk(token=token) is None and access.kiosk(token_id=token_id) is None
    stored = sqlite3.connect(tmp_path / "a.sqlite").execute(
        "SELECT token_sha256 FROM kiosk_tokens").fetchall()[0][0]
    assert token not in stored


def test_demo_accounts_sign_in_only_on_a_demo_city(tmp_path):
    access = Access(tmp_path / "a.sqlite")
    assert access.seed_demo_accounts() and not access.seed_demo_accounts()
    assert {a["role"] for a in access.demo_accounts()} == {"leader", "analyst", "staff",
                                                          "admin"}
    assert access.authenticate("demo-analyst", DEMO_PASSWORD, demo_allowed=False) is None
    assert access.authenticate("demo-analyst", DEMO_PASSWORD, demo_allowed=True) is not None


# --- the scope in the query layer -------------------------------------------------------------

def _calls(mine, cell, township):
    """Every public method of Queries with arguments that ask for "everything" (the city,
    every district, a low threshold): what a scoped reader must still keep to its own."""
    a = mine[0]
    return {
        "areas": [("townships",), ("grid_cells",)], "meta": [()], "districts": [()],
        "departments": [()], "names_text": [()], "datasets": [()], "date_bounds": [()],
        "report_months": [()],
        "event_metric_by_area": [("event_count", a, START, END),
                                 ("closure_rate", None, START, END, True)],
        "indicator_by_district": [(c, START, END) for c in
                                  ("gdp", "closure_rate", "good_air_rate", "water_good_rate")],
        "indicator_value": [("gdp", None, START, END), ("closure_rate", None, START, END)],
        "kpis": [(None, START, END)],
        "indicator_monthly": [("gdp", None), ("event_count", None)],
        "aqi_daily": [(None,)], "stations_aqi": [(None, START, END)],
        "water_classes": [(None, START, END)], "event_density": [(None, START, END)],
        "events_monthly_by_status": [(None,)], "events_by_category": [(None, START, END)],
        "events_by_subcategory": [(None, START, END, "appearance"),
                                  (a, START, END, "appearance")],
        "event_vocabulary": [()],
        "pollutant_daily": [(None, "pm25", START, END)],
        "water_classes_monthly": [(None, START, END)],
        "indicator_monthly_by_district": [("gdp", START, END), ("event_count", START, END)],
        "indicator_changes": [("gdp", None, START, END)],
        "district_shares": [("gdp", START, END), ("event_count", START, END)],
        "event_funnel": [(None, START, END)], "handling_time_histogram": [(None, START, END)],
        "deadline_hours": [(None, START, END)], "overdue_events": [(None, START, END, 10_000)],
        "open_events": [(None, START, END, 10_000)],
        "open_events_by_cell": [(None, START, END, 10_000)],
        "category_by_source": [(None, START, END)], "department_table": [(None, START, END)],
        "events_page": [(None, START, END, (), "reported_at", True, 0, 10_000)],
        "events_export": [(None, START, END)], "event_brief": [(1,)], "key_tasks": [(END,)],
        "key_task_milestones": [(END,)], "key_task_completion": [(END,)],
        "key_task_notes": [("KT2026-12", END)], "key_task_departments": [("KT2026-12",)],
        "event_cell_months": [(START, END, 1)], "event_cells_daily": [((cell,), START, END)],
        "event_cell_window": [("2026-11-01", END, "2026-08-01", "2026-10-31", 1)],
        "service_case_span": [()], "service_summary": [(None, START, END)],
        "service_breakdown": [(by, None, START, END)
                              for by in ("department", "district", "channel", "month")],
        "warnings_at": [(f"{END}T08:00:00",)], "warnings_between": [(START, END)],
        "emergency_resources": [()],
        "resources_in_warning": [(w,) for w in ("YJ-FLOOD-001", "YJ-WX-003", "YJ-SAFE-005")],
        "events_in_warning": [(w, f"{START}T00:00:00", f"{END}T23:00:00")
                              for w in ("YJ-FLOOD-001", "YJ-WX-003", "YJ-SAFE-005")],
    }


#: Public names of Queries that are not questions: attributes and the scoping itself.
_NOT_QUESTIONS = {"CACHED", "READS", "scoped", "has_key_tasks", "district_codes", "catalogue",
                  "has_service_table", "has_emergency"}


def _codes_outside(result, owner: dict, allowed: set) -> set[str]:
    """Every place code in a result (any column or value that names a district, township,
    grid cell, station or water section) whose district is not allowed."""
    if hasattr(result, "read_all"):
        result = result.read_all().to_pandas()
    if isinstance(result, tuple):
        return set().union(*(_codes_outside(r, owner, allowed) for r in result))
    if isinstance(result, pd.DataFrame):
        values = set()
        for column in result.columns:
            if result[column].dtype == object:
                values |= {v for v in result[column].dropna() if isinstance(v, str)}
        return {v for v in values if v in owner and owner[v] not in allowed}
    return set()


def test_every_query_method_is_covered(queries, mine, geo):
    public = {name for name, _ in inspect.getmembers(Queries) if not name.startswith("_")}
    assert public - _NOT_QUESTIONS == set(_calls(mine, "x", "y"))


@pytest.mark.parametrize("count", [1, 2])
def test_a_scoped_reader_returns_no_other_districts_rows(store, queries, geo, mine, count):
    districts = set(mine[:count])
    scoped = queries.scoped(Scope(frozenset(districts), personal_data=False))
    cell = scoped.areas("grid_cells")["code"].iloc[0]
    township = scoped.areas("townships")["code"].iloc[0]
    leaks = {}
    for name, argsets in _calls(mine, cell, township).items():
        for args in argsets:
            outside = _codes_outside(getattr(scoped, name)(*args), geo["owner"], districts)
            if outside:
                leaks[f"{name}{args}"] = sorted(outside)[:5]
    assert leaks == {}
    assert set(scoped.districts()["code"]) == districts == scoped.district_codes
    names = scoped.names_text()
    assert all(geo["names"][d][0] in names for d in districts)


def test_a_scoped_reader_answers_the_city_as_its_districts(queries, mine):
    one = queries.scoped(Scope(frozenset(mine[:1])))
    both = queries.scoped(Scope(frozenset(mine)))
    a, pair = mine[0], tuple(mine)
    pd.testing.assert_frame_equal(one.kpis(None, START, END), queries.kpis(a, START, END))
    pd.testing.assert_frame_equal(both.kpis(None, START, END), queries.kpis(pair, START, END))
    assert one.indicator_value("gdp", None, START, END) == \
        queries.indicator_value("gdp", a, START, END)
    pd.testing.assert_frame_equal(both.event_funnel(None, START, END),
                                  queries.event_funnel(pair, START, END))
    assert both.events_page(None, START, END)[1] == queries.events_page(pair, START, END)[1]
    full = queries.indicator_by_district("gdp", START, END)
    pd.testing.assert_frame_equal(
        both.indicator_by_district("gdp", START, END),
        full[full["district_code"].isin(mine)].reset_index(drop=True))
    assert both.stations_aqi(None, START, END)["code"].tolist() == \
        queries.stations_aqi(pair, START, END)["code"].tolist()


def test_a_scoped_reader_does_not_know_other_districts_places(queries, store, mine, theirs):
    scoped = queries.scoped(Scope(frozenset(mine)))
    other = theirs[0]
    township, cell = store.rows(
        "SELECT t.code, min(g.code) FROM townships t JOIN grid_cells g ON g.township_code = "
        "t.code WHERE t.district_code = ? GROUP BY 1 LIMIT 1", [other])[0]
    mine_cell = store.rows("SELECT min(code) FROM grid_cells WHERE district_code = ?",
                           [mine[0]])[0][0]
    asks = {
        "kpis": lambda: scoped.kpis(other, START, END),
        "indicator_value": lambda: scoped.indicator_value("gdp", other, START, END),
        "indicator_monthly": lambda: scoped.indicator_monthly("gdp", other),
        "aqi_daily": lambda: scoped.aqi_daily(other),
        "stations_aqi": lambda: scoped.stations_aqi(township, START, END),
        "water_classes": lambda: scoped.water_classes(other, START, END),
        "event_density": lambda: scoped.event_density(other, START, END),
        "event_metric_by_area": lambda: scoped.event_metric_by_area("event_count", other,
                                                                    START, END),
        "events_monthly_by_status": lambda: scoped.events_monthly_by_status(township),
        "events_by_category": lambda: scoped.events_by_category(cell, START, END),
        "pollutant_daily": lambda: scoped.pollutant_daily(other, "pm25", START, END),
        "water_classes_monthly": lambda: scoped.water_classes_monthly(other, START, END),
        "indicator_changes": lambda: scoped.indicator_changes("gdp", other, START, END),
        "event_funnel (mixed)": lambda: scoped.event_funnel((mine[0], other), START, END),
        "handling_time_histogram": lambda: scoped.handling_time_histogram(cell, START, END),
        "deadline_hours": lambda: scoped.deadline_hours(other, START, END),
        "overdue_events": lambda: scoped.overdue_events(township, START, END),
        "open_events": lambda: scoped.open_events(cell, START, END),
        "open_events_by_cell": lambda: scoped.open_events_by_cell(township, START, END),
        "category_by_source": lambda: scoped.category_by_source(other, START, END),
        "department_table": lambda: scoped.department_table(other, START, END),
        "events_page": lambda: scoped.events_page(cell, START, END),
        "events_export": lambda: scoped.events_export(other, START, END),
        "event_cells_daily (mixed)": lambda: scoped.event_cells_daily((mine_cell, cell), START,
                                                                       END),
        "event_cell_months": lambda: scoped.event_cell_months(START, END, 1, (other,)),
    }
    answered = []
    for name, ask in asks.items():
        try:
            ask()
        except KeyError:
            continue
        answered.append(name)
    assert answered == []


# --- the scope through the callbacks and the file routes --------------------------------------

def _text(value) -> str:
    """A callback's output as JSON with its Chinese as it is (names are searched in it)."""
    return json.dumps(json.loads(_json(value)), ensure_ascii=False)


def _as(app, access, name):
    """A request context signed in as ``name`` (what the gate leaves for a callback)."""
    context = app.server.test_request_context("/_dash-update-component", method="POST")
    context.push()
    flask_login.login_user(auth._User(access.user(name), access.start_session(name, 1)))
    return context


def test_every_query_callback_keeps_to_the_users_districts(access_app, access, users, geo,
                                                          mine, theirs):
    runtime = access_app.citybrain_runtime
    context = _as(access_app, access, users["analyst"])
    try:
        assert runtime.principal.districts == frozenset(mine)
        city = store_payload(parse_query("", runtime.context)[0])   # the default: the city
        defaults = _defaults(access_app, city)
        outside_names = [n for d in theirs for n in geo["names"][d]] + list(theirs)
        leaks, drawn, everything = {}, 0, ""
        for key in _query_callbacks(access_app):
            try:
                out = _text(_call(access_app, key, defaults))
            except PreventUpdate:
                continue
            drawn += 1
            everything += out
            found = [n for n in outside_names if n in out]
            if found:
                leaks[key[:60]] = found[:4]
        assert drawn > 20 and leaks == {}
        mine_names = [geo["names"][d][0] for d in mine]
        assert all(n in everything for n in mine_names)     # the search can find names
        # a store naming another district is refused, as a hostile one is
        other = dict(city, district=theirs[0])
        refused = 0
        for key in _query_callbacks(access_app):
            try:
                out = _text(_call(access_app, key, defaults,
                                  **{f"{Shell.FILTERS}.data": other}))
            except PreventUpdate:
                refused += 1
                continue
            assert not [n for n in outside_names if n in out], key
        assert refused > 20
    finally:
        context.pop()


def test_file_routes_keep_to_the_users_districts(access_app, users, geo, mine, theirs,
                                                 store):
    client = _client(access_app, users["analyst"])
    csv = client.get(f"/download/events.csv?from={START}&to={END}")
    assert csv.status_code == 200
    # past its first line (the filters and as-of that made it); codes beside the names
    frame = pd.read_csv(io.StringIO(csv.data.decode("utf-8-sig")), dtype=str, skiprows=1)
    (expected,) = store.rows(
        "SELECT count(*) FROM grid_events WHERE district_code IN (?, ?) AND "
        "CAST(reported_at AS DATE) BETWEEN ? AND ?", [*mine, START, END])[0:1]
    assert len(frame) == expected[0] > 0
    # no row of their districts (read by column: a code can hide inside a longitude's digits)
    assert not set(frame["区县代码"]) & set(theirs)
    assert not set(frame["乡镇街道代码"].str[:6]) & set(theirs)
    text = csv.data.decode("utf-8-sig")
    assert not [n for d in theirs for n in geo["names"][d] if n in text]
    # another district in the query string is dropped: still only the user's rows
    again = client.get(f"/download/events.csv?district={theirs[0]}&from={START}&to={END}")
    assert len(pd.read_csv(io.StringIO(again.data.decode("utf-8-sig")),
                           skiprows=1)) == expected[0]
    # the map's shapes: the user's districts only
    shapes = json.loads(client.get("/geo/districts.geojson").data)
    assert {f["properties"]["code"] for f in shapes["features"]} == set(mine)
    assert client.get(f"/geo/townships.geojson?parent={theirs[0]}").status_code == 404


def test_the_monthly_report_keeps_to_the_users_districts(access_app, users, geo, theirs):
    from openpyxl import load_workbook
    client = _client(access_app, users["staff"])
    response = client.get("/report/2026-10.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    cells = " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True)
                     for v in row if v is not None)
    assert not [n for d in theirs for n in (d, *geo["names"][d]) if n in cells]


# --- roles ------------------------------------------------------------------------------------

def _post_callback(client, app, screen: str) -> int:
    """Post a registered callback of ``screen`` (shape-valid, so only the gate decides)."""
    key = next(k for k, s in app.callback_screens.items() if s == screen)
    spec = app.callback_map[key]
    body = {"output": key, "outputs": {"id": "x", "property": "y"},
            "inputs": [{"id": d["id"], "property": d["property"], "value": None}
                       for d in spec["inputs"]],
            "state": [{"id": d["id"], "property": d["property"], "value": None}
                      for d in spec.get("state", [])], "changedPropIds": []}
    if key.startswith(".."):
        body["outputs"] = [{"id": "x", "property": "y"}] * len(key.strip(".").split("..."))
    return client.post("/_dash-update-component", json=body, headers=_csrf(client)).status_code


@pytest.mark.render      # the roles allowed the chart export get a rendered SVG
@pytest.mark.parametrize("role, screens, routes", [
    ("leader", {"overview", "wall"}, set()),
    ("analyst", {"overview", "wall", "grid", "events", "environment", "economy", "report"},
     {"export", "download", "report"}),
    ("staff", {"overview", "wall", "report", "datasets"}, {"export", "report"}),
    ("admin", {"overview", "wall", "grid", "events", "environment", "economy", "report",
               "datasets"}, {"export", "download", "report"}),
])
def test_roles_open_their_screens_callbacks_and_files_only(access_app, users, role, screens,
                                                           routes):
    client = _client(access_app, users[role])
    all_screens = {"overview", "wall", "grid", "events", "environment", "economy", "report",
                   "datasets"}
    codes = {s: _post_callback(client, access_app, s) for s in all_screens}
    assert {s for s, code in codes.items() if code == 403} == all_screens - screens
    assert all(code < 500 for code in codes.values()), codes
    urls = {"export": f"/export/chart/ops-trend.svg?from={START}&to={END}",
            "download": f"/download/events.csv?from={START}&to={END}",
            "report": "/report/2026-10.xlsx?sections=kpis"}
    status = {name: client.get(url).status_code for name, url in urls.items()}
    assert {name for name, code in status.items() if code == 200} == routes
    assert {name for name, code in status.items() if code == 403} == set(urls) - routes


def test_pages_show_the_roles_screens_and_say_when_one_is_not_theirs(access_app, access,
                                                                      users):
    from tests.conftest import run_callback
    context = _as(access_app, access, users["leader"])
    try:
        render = next(k for k in access_app.callback_map if k.startswith(f"{Shell.PAGE}."))
        page = _text(run_callback(access_app, render, "/grid", ""))
        assert "领导角色无权查看此页面" in page and "运行指挥大屏" in page
        overview = _text(run_callback(access_app, render, "/", ""))
        assert '"screen": "overview"' in overview and '"screen": "grid"' not in overview
        assert "lead" in overview and "/logout" in overview and "csrf_token" in overview
        assert '"className": "no-export"' in overview      # no chart downloads to offer
    finally:
        context.pop()


# --- the gate: anonymous requests, CSRF, redirects, kiosk tokens, audit -------------------------

def test_anonymous_requests_go_to_sign_in(access_app):
    client = access_app.server.test_client()
    page = client.get("/grid?district=360702", headers={"Accept": "text/html"})
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=%2Fgrid%3Fdistrict%3D360702"
    for url in ("/download/events.csv", "/export/chart/ops-trend.svg", "/report/2026-10.pdf",
                "/geo/districts.geojson", "/_dash-layout"):
        assert client.get(url).status_code == 401, url
    assert client.post("/_dash-update-component", json={"output": "x"}).status_code == 401
    for url in ("/healthz", "/login", "/assets/citybrain.js", "/geo/style/wall.json"):
        assert client.get(url).status_code == 200, url
    # the map style is public, the names it writes are not: nobody's scope holds no area
    style = json.loads(client.get("/geo/style/wall.json?names=districts&lang=zh").data)
    assert style["sources"]["area-names"]["data"]["features"] == []
    assert client.get("/geo/style/wall.json?names=townships&parent=360702").status_code == 404


def test_sign_in_returns_to_the_page_asked_for_and_never_off_site(access_app, users):
    _, good = _sign_in(access_app, users["analyst"], next_url="/grid?district=360702")
    assert good.headers["Location"] == "/grid?district=360702"
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "grid"):
        _, response = _sign_in(access_app, users["analyst"], next_url=target)
        assert response.headers["Location"] == "/", target
    _, wrong = _sign_in(access_app, users["analyst"], password="not the password")
    assert wrong.status_code == 200 and "用户名或密码错误" in wrong.text


def test_posts_without_the_csrf_token_are_refused(access_app, users):
    client = _client(access_app, users["staff"])
    key = next(k for k, s in access_app.callback_screens.items() if s == "datasets"
               and "contents" in json.dumps(access_app.callback_map[k]["inputs"]))
    spec = access_app.callback_map[key]
    body = {"output": key, "outputs": [{"id": part.rsplit(".", 1)[0],
                                        "property": part.rsplit(".", 1)[1]}
                                       for part in key.strip(".").split("...")],
            "inputs": [{"id": d["id"], "property": d["property"], "value": None}
                       for d in spec["inputs"]],
            "state": [{"id": d["id"], "property": d["property"], "value": None}
                      for d in spec.get("state", [])], "changedPropIds": []}
    forged = client.post("/_dash-update-component", json=body)   # a cross-site post
    assert forged.status_code == 400 and "CSRF" in forged.text
    wrong = client.post("/_dash-update-component", json=body,
                        headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400
    assert client.post("/_dash-update-component", json=body,
                       headers=_csrf(client)).status_code == 204    # PreventUpdate: no file
    login = access_app.server.test_client().post(
        "/login", data={"username": users["admin"], "password": PASSWORD})
    assert login.status_code == 400


def test_a_kiosk_token_opens_the_wall_only_until_revoked(access_app, access):
    token_id, token = access.add_kiosk("指挥中心大屏")
    client = access_app.server.test_client()
    assert client.get(f"/wall?kiosk={token}", headers={"Accept": "text/html"}
                      ).status_code == 200
    client.get(f"/wall?kiosk={token}", headers={"Accept": "text/html"})
    assert _post_callback(client, access_app, "wall") != 403
    assert _post_callback(client, access_app, "overview") == 403
    assert client.get(f"/download/events.csv?from={START}").status_code == 403
    access.revoke_kiosk(token_id)
    assert _post_callback(client, access_app, "wall") == 401     # the page then reloads
    revoked = client.get(f"/wall?kiosk={token}", headers={"Accept": "text/html"})
    assert revoked.status_code == 403 and "撤销" in revoked.text
    assert access.audit_log(action="kiosk")[0]["who"] == "kiosk:指挥中心大屏"


def test_signing_out_of_the_phone_view_signs_back_in_to_it(access_app, users):
    """The phone view's sign-out form names /m: the sign-in page then returns there; a
    "next" that leaves the site is never followed."""
    for asked, location in [("/m", "/login?next=%2Fm"), ("//evil.example/m", "/login"),
                            ("https://evil.example/", "/login"), ("", "/login")]:
        client = _client(access_app, users["leader"])
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/login").text).group(1)
        answer = client.post("/logout", data={"csrf_token": token, "next": asked})
        assert (answer.status_code, answer.headers["Location"]) == (302, location)
        assert client.get("/_dash-layout").status_code == 401


def test_exports_downloads_reports_and_sign_ins_are_audited(access_app, access, users):
    client = _client(access_app, users["admin"])
    client.get(f"/download/events.csv?from=2026-11-01&to={END}")
    client.get("/report/2026-10.xlsx?sections=kpis")
    client.get("/logout")                           # a GET (a link elsewhere) signs no one out
    assert client.get("/_dash-layout").status_code == 200
    client.post("/logout", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)})
    assert client.get("/_dash-layout").status_code == 401
    log = access.audit_log(who=users["admin"], limit=10)
    actions = [row["action"] for row in log]
    assert actions[:4] == ["logout", "report", "download", "login"]
    download = json.loads(log[2]["what"])
    assert download["format"] == "csv" and download["start"] == "2026-11-01" \
        and download["rows"] > 0
    assert json.loads(log[1]["what"])["month"] == "2026-10"


def test_a_district_users_everywhere_is_named_by_their_districts(access_app, access, users,
                                                                 geo, mine):
    from charts.common import filter_text
    runtime = access_app.citybrain_runtime
    context = _as(access_app, access, users["analyst"])
    try:
        state = parse_query("", runtime.context)[0]
        text = filter_text(state, runtime)
        assert "全市" not in text and "、".join(geo["names"][d][0] for d in mine) in text
    finally:
        context.pop()
    assert "全市" in filter_text(state, runtime)          # outside the request: everyone


# --- personal data -----------------------------------------------------------------------------

def test_reporters_are_masked_for_readers_without_clearance(queries, store):
    masked = queries.scoped(Scope(personal_data=False))
    full, n = queries.events_page(None, START, END, limit=2000)
    shown, m = masked.events_page(None, START, END, limit=2000)
    assert n == m and full["event_id"].tolist() == shown["event_id"].tolist()
    pairs = full.dropna(subset=["reporter_phone"])
    assert len(pairs) > 100
    for (_, real), (_, seen) in zip(pairs.iterrows(), shown.loc[pairs.index].iterrows()):
        assert seen["reporter_phone"] == real["reporter_phone"][:3] + "****" + \
            real["reporter_phone"][-4:]
        assert seen["reporter_name"][0] == real["reporter_name"][0]
        assert set(seen["reporter_name"][1:]) == {"*"}
    assert shown["reporter_phone"].isna().sum() == full["reporter_phone"].isna().sum()
    # a filter or sort cannot probe the hidden digits: they see the masked text only
    phone = pairs["reporter_phone"].iloc[0]
    assert masked.events_page(None, START, END, (("reporter_phone", "=", phone),))[1] == 0
    assert queries.events_page(None, START, END, (("reporter_phone", "=", phone),))[1] >= 1
    middle = (("reporter_phone", "contains", phone[3:7]),)
    assert all("****" in p for p in masked.events_page(None, START, END, middle)[0]
               ["reporter_phone"].dropna())
    export = masked.events_export(None, "2026-11-01", END).read_all().to_pandas()
    assert export["reporter_phone"].dropna().str.fullmatch(r"1\d\d\*{4}\d{4}").all()


def test_who_sees_reporters_in_clear(access_app, access, users):
    access.add_user("cleared", "analyst", PASSWORD, clearance=True)
    for name, clear in ((users["analyst"], False), (users["admin"], True), ("cleared", True)):
        client = _client(access_app, name)
        body = client.get("/download/events.csv?from=2026-11-01&to=2026-11-24").data
        phones = pd.read_csv(io.BytesIO(body), dtype=str, skiprows=1,
                             encoding="utf-8-sig")["联系电话"]
        phones = phones.dropna()
        assert len(phones) > 0
        assert phones.str.fullmatch(r"1\d{10}" if clear else r"1\d\d\*{4}\d{4}").all(), name
    token_id, token = access.add_kiosk("大屏")
    assert not access.kiosk(token=token).sees_personal_data


def test_a_store_from_before_the_reporter_columns_still_serves_the_table(city_path, tmp_path):
    import shutil

    import duckdb

    from data.store import Store
    old = shutil.copy(city_path, tmp_path / "old.duckdb")
    con = duckdb.connect(str(old))
    con.execute("ALTER TABLE grid_events DROP COLUMN reporter_phone")
    con.execute("ALTER TABLE grid_events DROP COLUMN reporter_name")
    con.close()
    store = Store(old)
    try:
        for scope in (Scope(), Scope(personal_data=False)):
            page, n = Queries(store).scoped(scope).events_page(None, START, END, limit=5)
            assert n > 0 and page["reporter_phone"].isna().all()
    finally:
        store.close()


def _open_and_read_the_key(path: str, queue, start) -> None:
    start.wait()                        # every process imported: open at the same moment
    try:
        access = Access(path)           # then what create_app does with it on a demo city
        access.seed_demo_accounts()
        queue.put(access.secret_key())
    except Exception as error:          # noqa: BLE001 - the parent reports it
        queue.put(f"failed: {error!r}")


def test_workers_opening_a_new_access_file_at_once_all_start(tmp_path):
    """gunicorn boots its workers together: each opens (and the first creates) the access
    file; none may fail with "database is locked", and all sign cookies with one key."""
    import multiprocessing
    # forked, as gunicorn forks its workers, from one clean process that imported this module
    # once (spawned, each of the eight imported it again: ~3 s each on two cores)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    queue, start = context.Queue(), context.Barrier(8)
    path = str(tmp_path / "access.sqlite")
    workers = [context.Process(target=_open_and_read_the_key, args=(path, queue, start))
               for _ in range(8)]
    for worker in workers:
        worker.start()
    keys = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert len(set(keys)) == 1 and not keys[0].startswith("failed"), keys
