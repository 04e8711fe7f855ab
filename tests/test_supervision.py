"""Supervision of events (督办/催办, issue 19 item 2): issue, remind, answer and history in the
access file; roles and district scope; bad requests refused with their reason and nothing
changed; every step audited; the routes' answers; the monthly report's section against the
records, in the PDF, the Word file and the workbook."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import unicodedata

import pytest

from charts.runtime import Runtime
from data.access import Access, Principal
from data.supervision import Supervision, SupervisionError, summary
from report import files as report_files
from report.monthly import SECTIONS, build_report
from web import auth

PASSWORD = "correct horse battery"
LEADER = Principal("lead", "leader")
STAFF = Principal("sta", "staff")


class Clock:
    """The centre's clock, set by the test."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(scope="module")
def events(store):
    """Three events: two of one district (with their departments), one of another."""
    rows = store.records(
        "SELECT event_id, district_code, department_code FROM grid_events "
        "WHERE closed_at IS NULL ORDER BY event_id LIMIT 400")
    first = rows[0]
    same = next(r for r in rows[1:] if r["district_code"] == first["district_code"])
    other = next(r for r in rows if r["district_code"] != first["district_code"])
    return first, same, other


@pytest.fixture()
def clock():
    return Clock(dt.datetime(2026, 10, 5, 9, 30))


@pytest.fixture()
def book(tmp_path, queries, clock):
    return Supervision(tmp_path / "access.sqlite", lambda: queries, clock=clock)


def _state(path) -> list[tuple]:
    """Everything supervision wrote, to compare before and after a refused request."""
    db = sqlite3.connect(path)
    return (db.execute("SELECT * FROM supervision ORDER BY id").fetchall()
            + db.execute("SELECT * FROM supervision_steps ORDER BY id").fetchall())


def test_issue_remind_answer_and_the_history(book, events, clock, tmp_path, queries):
    event, _, _ = events
    department = event["department_code"]
    item = book.issue(event["event_id"], LEADER, department, "2026-10-08", "请加快处置")
    assert book.open_items()[0] | {} == book.open_items()[0]
    clock.now += dt.timedelta(days=1)
    assert book.remind(event["event_id"], LEADER, "仍未处置") == item
    clock.now += dt.timedelta(hours=2)
    # a reminder may move the deadline
    book.remind(str(event["event_id"]), Principal("ana", "analyst"), "再催",
                deadline=dt.datetime(2026, 10, 9, 18, 0))
    (open_item,) = book.open_items()
    assert (open_item["event_id"], open_item["department_code"], open_item["reminders"],
            open_item["deadline"], open_item["overdue"], open_item["issued_by"]) == (
        event["event_id"], department, 2, "2026-10-09T18:00:00", False, "lead")
    assert open_item["district_code"] == event["district_code"]
    assert set(book.under_supervision([event["event_id"], 1])) == {event["event_id"]}
    clock.now = dt.datetime(2026, 10, 10, 8, 0)          # past the moved deadline
    assert book.open_items()[0]["overdue"] is True
    book.answer(event["event_id"], Principal("adm", "admin"), "已清理完毕")
    assert book.open_items() == []
    (done,) = book.history(event["event_id"])
    assert [(s.step, s.who, s.note) for s in done["steps"]] == [
        ("issue", "lead", "请加快处置"), ("remind", "lead", "仍未处置"),
        ("remind", "ana", "再催"), ("answer", "adm", "已清理完毕")]
    assert done["steps"][0].deadline == "2026-10-08T23:59:59"
    assert (done["answered_by"], done["answer"], done["overdue"]) == ("adm", "已清理完毕", False)
    # answered: a new 督办 may be issued on the same event, and both are in its history
    book.issue(event["event_id"], LEADER, department, "2026-10-20")
    assert len(book.history(event["event_id"])) == 2
    # every step is in the audit log, with the event and who
    log = Access(tmp_path / "access.sqlite").audit_log(action="supervision")
    assert [(r["who"], re.search(r'"step":"(\w+)"', r["what"]).group(1)) for r in log] == [
        ("lead", "issue"), ("adm", "answer"), ("ana", "remind"), ("lead", "remind"),
        ("lead", "issue")]
    assert all(f'"event":{event["event_id"]}' in r["what"] for r in log)


def test_the_same_reminder_twice_in_a_minute_is_recorded_once(book, events, clock, tmp_path):
    """A double tap on 催办 (the phone, /command's button) is one reminder; the same words a
    minute later, other words or another person are reminders of their own."""
    event, _, _ = events
    book.issue(event["event_id"], LEADER, event["department_code"], "2026-10-08")
    path = tmp_path / "access.sqlite"

    def reminders():
        (item,) = book.history(event["event_id"])
        return [(s.who, s.note) for s in item["steps"] if s.step == "remind"]

    item = book.remind(event["event_id"], LEADER, "请加快")
    audited = len(Access(path).audit_log(action="supervision"))
    clock.now += dt.timedelta(seconds=5)
    assert book.remind(event["event_id"], LEADER, "请加快") == item          # the double tap
    assert reminders() == [("lead", "请加快")]
    assert len(Access(path).audit_log(action="supervision")) == audited
    book.remind(event["event_id"], Principal("ana", "analyst"), "请加快")     # someone else
    book.remind(event["event_id"], Principal("ana", "analyst"), "今天办结")  # other words
    clock.now += dt.timedelta(seconds=60)
    book.remind(event["event_id"], Principal("ana", "analyst"), "今天办结")  # a minute on
    assert reminders() == [("lead", "请加快"), ("ana", "请加快"), ("ana", "今天办结"),
                           ("ana", "今天办结")]
    assert book.open_items()[0]["reminders"] == 4


def test_a_second_process_sees_the_records(book, events, tmp_path, queries):
    event, _, _ = events
    book.issue(event["event_id"], LEADER, event["department_code"], "2026-10-09")
    other = Supervision(tmp_path / "access.sqlite", lambda: queries)
    assert [i["event_id"] for i in other.open_items()] == [event["event_id"]]
    assert sqlite3.connect(tmp_path / "access.sqlite").execute(
        "PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("case", ["staff", "kiosk", "district", "unknown event", "bad id",
                                  "department", "past", "far", "bad deadline", "twice",
                                  "remind none", "answer none", "answer no note"])
def test_bad_requests_are_refused_with_their_reason_and_change_nothing(
        case, book, events, tmp_path):
    event, same, other = events
    mine = Principal("dist", "analyst", frozenset({event["district_code"]}))
    department = event["department_code"]
    book.issue(same["event_id"], LEADER, department, "2026-10-09", "open one")
    before = _state(tmp_path / "access.sqlite")
    audits = len(Access(tmp_path / "access.sqlite").audit_log())
    calls = {
        "staff": (lambda: book.issue(event["event_id"], STAFF, department, "2026-10-09"),
                  403, "role \\(staff\\)"),
        "kiosk": (lambda: book.remind(same["event_id"], Principal("kiosk:x", "leader",
                                                                  kiosk_id=1)),
                  403, "may not"),
        "district": (lambda: book.issue(other["event_id"], mine, department, "2026-10-09"),
                     403, "outside your districts"),
        "unknown event": (lambda: book.issue(999_999_999, LEADER, department, "2026-10-09"),
                          404, "no event 999999999"),
        "bad id": (lambda: book.issue("12; DROP", LEADER, department, "2026-10-09"),
                   400, "not a number"),
        "department": (lambda: book.issue(event["event_id"], LEADER, "D99", "2026-10-09"),
                       400, "unknown department 'D99'"),
        "past": (lambda: book.issue(event["event_id"], LEADER, department, "2026-10-04"),
                 400, "deadline 2026-10-04 23:59 is past"),
        "far": (lambda: book.issue(event["event_id"], LEADER, department, "2028-01-01"),
                400, "days ahead"),
        "bad deadline": (lambda: book.issue(event["event_id"], LEADER, department,
                                            "next week"), 400, "expected a date"),
        "twice": (lambda: book.issue(same["event_id"], LEADER, department, "2026-10-09"),
                  409, "under supervision already"),
        "remind none": (lambda: book.remind(event["event_id"], LEADER, "hurry"),
                        409, "no open 督办 to remind"),
        "answer none": (lambda: book.answer(event["event_id"], LEADER, "done"),
                        409, "no open 督办 to answer"),
        "answer no note": (lambda: book.answer(same["event_id"], LEADER, "  "),
                           400, "needs a note"),
    }
    call, status, message = calls[case]
    with pytest.raises(SupervisionError, match=message) as refused:
        call()
    assert refused.value.status == status
    assert _state(tmp_path / "access.sqlite") == before
    assert len(Access(tmp_path / "access.sqlite").audit_log()) == audits


def test_a_district_user_acts_on_their_districts_and_sees_only_them(book, events):
    event, same, other = events
    mine = Principal("dist", "analyst", frozenset({event["district_code"]}))
    book.issue(event["event_id"], mine, event["department_code"], "2026-10-09")
    book.issue(other["event_id"], LEADER, other["department_code"], "2026-10-09")
    assert [i["event_id"] for i in book.open_items(mine.districts)] == [event["event_id"]]
    assert len(book.open_items()) == 2


def test_summary_counts_each_item_once_as_it_stood_at_the_months_end():
    end = dt.datetime(2026, 11, 1)
    rows = [
        {"department_code": "D01", "deadline": "2026-10-10T23:59:59",
         "answered_at": "2026-10-09T10:00:00"},                      # on time
        {"department_code": "D01", "deadline": "2026-10-10T23:59:59",
         "answered_at": "2026-10-12T10:00:00"},                      # late
        {"department_code": "D01", "deadline": "2026-11-05T23:59:59",
         "answered_at": "2026-11-02T10:00:00"},                      # open at the month's end
        {"department_code": "D02", "deadline": "2026-10-20T23:59:59",
         "answered_at": None},                                       # open, past due
    ]
    frame = summary(rows, end)
    assert frame.to_dict("records") == [
        {"department_code": "D01", "issued": 3, "answered_on_time": 1, "answered_late": 1,
         "open": 1, "open_overdue": 0},
        {"department_code": "D02", "issued": 1, "answered_on_time": 0, "answered_late": 0,
         "open": 1, "open_overdue": 1}]


# --- the report's section --------------------------------------------------------------------

MONTH = "2026-10"
RADICALS = str.maketrans({"⻚": "页", "⻓": "长", "⻰": "龙", "⻅": "见", "⻋": "车"})


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(RADICALS))


@pytest.fixture(scope="module")
def october(settings, store, queries, events, tmp_path_factory):
    """A runtime whose access file has October's 督办: on one department, one answered on
    time and one late; on another, one open past its deadline at the month's end; and one
    issued in September, outside the month."""
    path = tmp_path_factory.mktemp("report-access") / "access.sqlite"
    runtime = Runtime(settings.with_(access_path=path), store, queries)
    clock = Clock(dt.datetime(2026, 9, 28, 9, 0))
    book = Supervision(path, lambda: queries, clock=clock)
    runtime.supervision = book          # the same file, on the test's clock
    first, same, other = events
    department = first["department_code"]
    elsewhere = next(d for d in queries.departments()["code"] if d != department)
    book.issue(first["event_id"], LEADER, department, "2026-09-30")          # September
    clock.now = dt.datetime(2026, 9, 29, 9, 0)
    book.answer(first["event_id"], LEADER, "done in September")
    clock.now = dt.datetime(2026, 10, 3, 9, 0)
    book.issue(first["event_id"], LEADER, department, "2026-10-06")
    book.issue(same["event_id"], LEADER, department, "2026-10-06")
    book.issue(other["event_id"], LEADER, elsewhere, "2026-10-20")
    clock.now = dt.datetime(2026, 10, 5, 9, 0)
    book.remind(same["event_id"], LEADER, "hurry")
    book.answer(first["event_id"], LEADER, "fixed on time")
    clock.now = dt.datetime(2026, 10, 8, 9, 0)
    book.answer(same["event_id"], LEADER, "fixed late")
    return runtime, department, elsewhere


def test_the_section_is_declared_and_counts_the_months_records(october, queries, events):
    runtime, department, elsewhere = october
    assert "supervision" in SECTIONS and SECTIONS.index("supervision") < SECTIONS.index(
        "alerts")
    report = build_report(runtime, MONTH, ("supervision",), None, "zh")
    part = report.supervision
    rows = {r["department_code"]: r for r in part.by_department.to_dict("records")}
    assert rows[department] | {"department": ""} == {
        "department_code": department, "department": "", "issued": 2,
        "answered_on_time": 1, "answered_late": 1, "open": 0, "open_overdue": 0}
    assert (rows[elsewhere]["issued"], rows[elsewhere]["open"],
            rows[elsewhere]["open_overdue"]) == (1, 1, 1)
    assert part.totals == {"issued": 3, "answered_on_time": 1, "answered_late": 1, "open": 1,
                           "open_overdue": 1}
    names = dict(zip(queries.departments()["code"], queries.departments()["name_zh"]))
    assert rows[department]["department"] == names[department]
    assert "共发出督办3件，按期答复1件，逾期答复1件，月末尚未答复1件（其中已超期1件）" in part.sentence
    en = build_report(runtime, MONTH, ("supervision",), None, "en").supervision
    assert en.sentence.startswith("In October 2026, 3 supervision notices (督办) were issued "
                                  "citywide: 1 answered on time, 1 late, 1 still open")
    # September's has its own month; a report without the section has none
    september = build_report(runtime, "2026-09", ("supervision",), None, "zh").supervision
    assert september.totals["issued"] == 1 and september.totals["answered_on_time"] == 1
    assert build_report(runtime, MONTH, ("grid",), None, "zh").supervision is None
    # a district's report counts its own events' 督办 only
    district = events[2]["district_code"]
    one = build_report(runtime, MONTH, ("supervision",), (district,), "zh").supervision
    assert one.totals == {"issued": 1, "answered_on_time": 0, "answered_late": 0, "open": 1,
                          "open_overdue": 1}
    # a month without any: the sentence says so, and no table
    august = build_report(runtime, "2026-08", ("supervision",), None, "en")
    assert august.supervision.sentence == (
        "In August 2026, no supervision notices (督办) were issued citywide.")
    assert report_files.supervision_tables(august) == []


@pytest.fixture(scope="module", params=["zh", "en"])
def written(request, october, tmp_path_factory):
    runtime, _, _ = october
    lang = request.param
    paths, _ = report_files.export_report(
        runtime, month=MONTH, formats=["pdf", "docx", "xlsx"],
        out_dir=tmp_path_factory.mktemp(f"supervision-{lang}"), sections=["supervision"],
        lang=lang)
    report = build_report(runtime, MONTH, ("supervision",), None, lang)
    return lang, {p.suffix[1:]: p for p in paths}, report


def _words(lang: str) -> dict:
    return ({"section": "督办情况", "table": "督办情况（按责任部门）", "total": "合计",
             "issued": "督办件数"} if lang == "zh" else
            {"section": "Supervision of events", "table": "Supervision by department",
             "total": "Total", "issued": "Issued"})


@pytest.mark.render
def test_the_section_in_the_pdf_word_and_excel_files(written):
    from docx import Document
    from openpyxl import load_workbook
    from pypdf import PdfReader
    lang, files, report = written
    w = _words(lang)
    text = _squash("\n".join(p.extract_text() for p in PdfReader(str(files["pdf"])).pages))
    for word in (w["section"], w["total"], w["issued"], report.supervision.sentence[:30]):
        assert _squash(word) in text, word
    # the total row: 3 issued, 1 on time, 1 late, 1 open, 1 of them past the deadline
    assert _squash(w["total"] + "31111") in text
    doc = Document(str(files["docx"]))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert any(h.endswith(w["section"]) for h in headings), headings
    assert report.supervision.sentence in [p.text for p in doc.paragraphs]
    table = doc.tables[-1]
    assert [c.text for c in table.rows[-1].cells] == [w["total"], "3", "1", "1", "1", "1"]
    assert len(table.rows) == 1 + 2 + 1
    book = load_workbook(files["xlsx"], read_only=True)
    sheet = book[w["table"][:28]]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1] == (w["total"], 3, 1, 1, 1, 1)


# --- the routes ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def web(settings, events, tmp_path_factory):
    """An app with sign-in, and one user per role: the analyst scoped to the first event's
    district."""
    from app import create_app
    path = tmp_path_factory.mktemp("sv-web") / "access.sqlite"
    app = create_app(settings.with_(auth=True, access_path=path))
    access = app.server.extensions["citybrain_access"]
    district = events[0]["district_code"]
    for name, role, districts in (("lead", "leader", ()), ("ana", "analyst", (district,)),
                                  ("sta", "staff", ())):
        access.add_user(name, role, PASSWORD, districts)
    return app, path


def _client(app, name: str):
    client = app.server.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": name, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    client.get("/", headers={"Accept": "text/html"})      # sets the CSRF cookie
    return client


def _csrf(client) -> dict:
    return {"X-CSRFToken": client.get_cookie(auth.CSRF_COOKIE).value}


def test_the_routes_walk_a_supervision_and_refuse_bad_requests(web, events):
    app, path = web
    event, _, other = events
    deadline = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    ana, sta, lead = _client(app, "ana"), _client(app, "sta"), _client(app, "lead")
    url = f"/supervision/events/{event['event_id']}"
    body = {"department": event["department_code"], "deadline": deadline, "note": "快办"}

    def refused(client, target, json, status, words, headers=None):
        before = _state(path)
        answer = client.post(target, json=json,
                             headers=_csrf(client) if headers is None else headers)
        assert answer.status_code == status, answer.text
        assert words in answer.text, answer.text
        assert _state(path) == before

    refused(ana, url + "/issue", body, 400, "CSRF", headers={})
    refused(sta, url + "/issue", body, 403, "role (staff)")
    refused(ana, f"/supervision/events/{other['event_id']}/issue",
            body | {"department": other["department_code"]}, 403, "outside your districts")
    refused(ana, "/supervision/events/999999999/issue", body, 404, "no event 999999999")
    refused(ana, url + "/issue", body | {"department": "NOPE"}, 400, "unknown department")
    refused(ana, url + "/issue", body | {"deadline": "2020-01-01"}, 400, "is past")
    refused(ana, url + "/remind", {"note": "x"}, 409, "no open")
    refused(ana, url + "/escalate", {}, 404, "unknown step")

    assert ana.post(url + "/issue", json=body, headers=_csrf(ana)).status_code == 201
    assert lead.post(url + "/remind", json={"note": "抓紧"},
                     headers=_csrf(lead)).status_code == 200
    history = sta.get(url).get_json()              # staff see
    (item,) = history["items"]
    assert [s["step"] for s in item["steps"]] == ["issue", "remind"]
    assert item["steps"][0]["note"] == "快办" and item["steps"][1]["who"] == "lead"
    assert ana.get(f"/supervision/events/{other['event_id']}").status_code == 403
    opened = ana.get("/supervision/open").get_json()["items"]
    assert [i["event_id"] for i in opened] == [event["event_id"]]
    assert opened[0]["reminders"] == 1
    assert lead.post(url + "/answer", json={"note": "已办结"},
                     headers=_csrf(lead)).status_code == 200
    assert lead.get("/supervision/open").get_json()["items"] == []
    log = Access(path).audit_log(action="supervision")
    assert [r["who"] for r in log] == ["lead", "lead", "ana"]


# --- the screens' pieces: the command screen's open list, the panel's steps ------------------

def test_the_command_panel_lists_open_items_by_department_overdue_first(settings, store,
                                                                        queries, events,
                                                                        tmp_path):
    from charts import supervision as chart
    from charts.state import FilterState
    runtime = Runtime(settings.with_(access_path=tmp_path / "access.sqlite"), store, queries)
    clock = Clock(dt.datetime(2026, 10, 5, 9, 0))
    runtime.supervision = Supervision(tmp_path / "access.sqlite", lambda: queries,
                                      clock=clock)
    first, same, other = events
    departments = list(queries.departments()["code"])
    late_department = next(d for d in departments if d != first["department_code"])
    runtime.supervision.issue(first["event_id"], LEADER, first["department_code"],
                              "2026-10-20")
    runtime.supervision.issue(same["event_id"], LEADER, first["department_code"],
                              "2026-10-25")
    runtime.supervision.issue(other["event_id"], LEADER, late_department, "2026-10-06")
    clock.now = dt.datetime(2026, 10, 7, 9, 0)      # the third is past its deadline now

    def texts(component) -> list[str]:
        """Each group head's and row's cells, in order."""
        out = []
        for body in component.children[0].children[1:]:
            for row in body.children:
                out.append(" | ".join(str(cell.children) for cell in row.children))
        return out

    state = FilterState(district=None, start="2026-01-01", end="2026-11-24",
                        indicator="fixed_asset_investment", lang="zh")
    names = runtime.names("zh")
    lines = texts(chart.command_panel(state, runtime))
    # the department with an overdue 督办 first, its head counting it
    assert lines[0] == f"承办 {names[late_department]} · 1 · 已超期 1"
    assert lines[1].startswith(f"{other['event_id']} | {names[other['district_code']]}")
    assert lines[2] == f"承办 {names[first['department_code']]} · 2"
    # one district: the earlier deadline first
    assert [line.split(" | ")[0] for line in lines[3:]] == [str(first["event_id"]),
                                                            str(same["event_id"])]
    # the filter's district narrows it; English names and words
    one = FilterState(district=other["district_code"], start="2026-01-01", end="2026-11-24",
                      indicator="fixed_asset_investment", lang="en")
    lines = texts(chart.command_panel(one, runtime))
    assert len(lines) == 2 and lines[0].startswith("Held by ") and "Overdue 1" in lines[0]
    empty = chart.command_panel(FilterState(
        district=next(d for d in queries.district_codes if d not in {
            first["district_code"], other["district_code"]}), start="2026-01-01",
        end="2026-11-24", indicator="fixed_asset_investment", lang="en"), runtime)
    assert empty.children[0].children == "No open supervision."


def test_the_panels_steps_say_what_happened_or_why_not_in_the_pages_language(
        settings, events, tmp_path):
    from app import create_app
    from tests.conftest import run_callback
    app = create_app(settings.with_(access_path=tmp_path / "access.sqlite"))
    key = next(k for k in app.callback_map if "evt-sv-message.children" in k)
    event, _, _ = events
    from charts.state import FilterState
    filters = FilterState(district=None, start="2026-01-01", end="2026-11-24",
                          indicator="fixed_asset_investment", lang="en").to_dict()
    deadline = (app.citybrain_runtime.supervision.now().date()
                + dt.timedelta(days=2)).isoformat()

    def step(button, department, when, note, lang="en"):
        return run_callback(app, key, 1, 0, 0, event["event_id"], department, when, note, 0,
                            filters | {"lang": lang},
                            triggered=[{"prop_id": f"evt-sv-{button}.n_clicks",
                                        "value": 1}])

    message, version, _ = step("issue", "NOPE", deadline, "x")
    assert message.children == "Unknown department: NOPE" and version is dash_no_update()
    message, _, _ = step("issue", event["department_code"], "2020-01-01", "x", "zh")
    assert message.children == "答复期限 2020-01-01 23:59 已过去，请选择将来的时间。"
    assert app.citybrain_runtime.supervision.history(event["event_id"]) == []
    message, version, note = step("issue", event["department_code"], deadline, "go")
    assert (message, version, note) == ("Supervision issued.", 1, "")
    message, _, _ = step("remind", None, "", "again", "zh")
    assert message == "已催办。"
    (item,) = app.citybrain_runtime.supervision.history(event["event_id"])
    assert [s.step for s in item["steps"]] == ["issue", "remind"]


def dash_no_update():
    from dash import no_update
    return no_update


def test_a_scoped_reader_knows_only_its_districts_events(queries, events):
    from data.queries import Scope
    event, _, other = events
    mine = queries.scoped(Scope(frozenset({event["district_code"]})))
    assert mine.event_brief(event["event_id"])["district_code"] == event["district_code"]
    assert mine.event_brief(other["event_id"]) is None
    assert queries.event_brief(other["event_id"])["district_code"] == other["district_code"]
    assert queries.event_brief(999_999_999) is None


def test_the_command_panels_remind_button_reminds_or_says_why_not(settings, events,
                                                                   tmp_path):
    """/command's 督办 panel: a 催办 button on each open 督办 for a user who may supervise,
    none for one who may not; a click reminds it with the usual words (audited, counted in
    the panel drawn again); a role without "supervise", another district's user and an
    event without an open 督办 are refused in words and change nothing."""
    import json

    from app import create_app
    from charts import supervision as chart
    from charts.state import FilterState
    from tests.conftest import run_callback

    app = create_app(settings.with_(access_path=tmp_path / "access.sqlite"))
    runtime = app.citybrain_runtime
    book = runtime.supervision
    event, same, other = events
    deadline = (book.now().date() + dt.timedelta(days=2)).isoformat()
    book.issue(event["event_id"], LEADER, event["department_code"], deadline)
    key = next(k for k in app.callback_map if "cmd-supervision.children" in k)
    filters = FilterState(district=None, start="2026-01-01", end="2026-11-24",
                          indicator="fixed_asset_investment", lang="zh").to_dict()

    def buttons(component) -> list[dict]:
        found = []

        def walk(node):
            if getattr(node, "id", None) and isinstance(node.id, dict):
                found.append(node.id)
            children = getattr(node, "children", None)
            for child in children if isinstance(children, list) else [children]:
                if hasattr(child, "children") or hasattr(child, "id"):
                    walk(child)
        walk(component)
        return found

    def remind(principal, event_id, lang="zh"):
        runtime.principal_of = lambda: principal
        button = json.dumps({"event": event_id, "type": "cmd-remind"}, separators=(",", ":"))
        message, panel = run_callback(app, key, filters | {"lang": lang}, [1], triggered=[
            {"prop_id": f"{button}.n_clicks", "value": 1}])
        return message.children, panel

    # the panel follows the filter: another district's 督办 are not this one's
    runtime.principal_of = lambda: LEADER
    elsewhere = filters | {"district": other["district_code"]}
    assert buttons(run_callback(app, key, elsewhere, [0], triggered=[
        {"prop_id": "app-filters.data", "value": elsewhere}])) == []
    assert buttons(run_callback(app, key, filters, [0], triggered=[
        {"prop_id": "app-filters.data", "value": filters}])) == [
        {"type": "cmd-remind", "event": event["event_id"]}]

    state = FilterState.from_dict(filters)
    runtime.principal_of = lambda: LEADER
    shown = chart.command_panel(state, runtime)
    assert buttons(shown) == [{"type": "cmd-remind", "event": event["event_id"]}]
    runtime.principal_of = lambda: STAFF
    assert buttons(chart.command_panel(state, runtime)) == []

    before = _state(tmp_path / "access.sqlite")
    far = Principal("far", "leader", frozenset({other["district_code"]}))
    for principal, event_id, words in [
            (STAFF, event["event_id"], "您的角色（staff）不能发起、催办或答复督办。"),
            (far, event["event_id"], f"事件 {event['event_id']} 不在您负责的区县内。"),
            (LEADER, same["event_id"], f"事件 {same['event_id']} 没有未答复的督办。")]:
        said, _ = remind(principal, event_id)
        assert (said.children, said.className) == (words, "error")
    assert _state(tmp_path / "access.sqlite") == before

    said, panel = remind(LEADER, event["event_id"], "en")
    assert (said.children, said.className) == (f"Reminded event {event['event_id']}.", "ok")
    (item,) = book.history(event["event_id"])
    assert [(s.step, s.who, s.note) for s in item["steps"]] == [
        ("issue", "lead", ""), ("remind", "lead", "Please speed up")]
    assert book.open_items()[0]["reminders"] == 1
    assert buttons(panel) == [{"type": "cmd-remind", "event": event["event_id"]}]
    audited = [json.loads(row["what"]) for row in Access(tmp_path / "access.sqlite")
               .audit_log(action="supervision")]
    assert [a["step"] for a in audited] == ["remind", "issue"]


def _pattern_ids(component, kind: str) -> list[dict]:
    """The pattern-matching IDs of one type in a component tree, in order."""
    found = []

    def walk(node):
        if isinstance(getattr(node, "id", None), dict) and node.id.get("type") == kind:
            found.append(node.id)
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if hasattr(child, "children") or hasattr(child, "id"):
                walk(child)
    for node in component if isinstance(component, list) else [component]:
        walk(node)
    return found


def test_a_grid_cells_open_events_open_the_panel_for_those_who_may_supervise(
        settings, queries, tmp_path):
    """督办 from a grid cell (/grid): the cells with overdue open events to choose from, a
    chosen cell's open events overdue first with how late, the 督办 mark, and a button
    opening the 督办 panel on the event for a user who may supervise (none for staff); a
    district user sees and chooses only their districts' cells."""
    import json

    from dash.exceptions import PreventUpdate

    from app import create_app
    from callbacks.filters import input_names
    from callbacks.grid import CONTROLS
    from charts.common import store_payload
    from charts.state import FilterState
    from layouts.ids import Grid
    from tests.conftest import run_callback

    app = create_app(settings.with_(access_path=tmp_path / "access.sqlite"))
    runtime = app.citybrain_runtime
    start, end = "2026-01-01", "2026-11-24"
    city = FilterState(None, start, end, "fixed_asset_investment", "zh")
    panel = next(k for k in app.callback_map if "grid-cell-events.children" in k)
    chooser = next(k for k in app.callback_map if "grid-sv-event.data" in k)
    busiest = queries.open_events_by_cell(None, start, end, 1).iloc[0]
    cell_state = FilterState(busiest["district_code"], start, end, "fixed_asset_investment",
                             "zh", township=busiest["township_code"],
                             cell=busiest["grid_code"])
    shown = queries.open_events(busiest["grid_code"], start, end, 50)
    assert shown["hours_overdue"].iloc[0] > 0          # the test city has one to chase

    def pick(principal, cell):
        runtime.principal_of = lambda: principal
        args = {name: None for name in input_names(Grid.PREFIX, CONTROLS)}
        args.update(search="", current=store_payload(city), paused=True)
        button = json.dumps({"cell": cell, "type": Grid.CELL_PICK}, separators=(",", ":"))
        return run_callback(app, app.filter_controllers[Grid.PREFIX], *args.values(),
                            triggered=[{"prop_id": f"{button}.n_clicks", "value": 1}])[0]

    # the city: the cells to choose from, the most overdue first; a click chooses one
    runtime.principal_of = lambda: LEADER
    choices = run_callback(app, panel, store_payload(city), 0)
    cells = queries.open_events_by_cell(None, start, end, 15)["grid_code"].tolist()
    assert len(cells) == 15
    assert [i["cell"] for i in _pattern_ids(choices, Grid.CELL_PICK)] == cells
    chosen = pick(LEADER, busiest["grid_code"])
    assert (chosen["district"], chosen["township"], chosen["cell"]) == (
        busiest["district_code"], busiest["township_code"], busiest["grid_code"])

    # the cell: its open events in order, one already under 督办 marked
    book = runtime.supervision
    marked = shown.iloc[1]
    deadline = (book.now().date() + dt.timedelta(days=2)).isoformat()
    book.issue(int(marked["event_id"]), LEADER, marked["department_code"], deadline)
    listed = run_callback(app, panel, store_payload(cell_state), 1)
    assert [i["event"] for i in _pattern_ids(listed, Grid.CELL_SUPERVISE)] == \
        shown["event_id"].tolist()
    text = json.dumps(listed[1].to_plotly_json(), ensure_ascii=False, default=str)
    first = shown.iloc[0]
    assert f"超期 {round(first['hours_overdue'])} 小时" in text
    assert text.count("督办中") == 1
    items = listed[1].children
    assert "督办中" in json.dumps(items[1].to_plotly_json(), ensure_ascii=False, default=str)
    assert str(listed[0].children).startswith(
        f"{runtime.names('zh')[busiest['grid_code']]}：未办结 ")

    # a button opens the panel on its event; a button drawn anew (no click) does not
    opened = {"event": int(first["event_id"]), "type": Grid.CELL_SUPERVISE}
    button = json.dumps(opened, separators=(",", ":"))
    assert run_callback(app, chooser, None, 0, [1], triggered=[
        {"prop_id": f"{button}.n_clicks", "value": 1}]) == int(first["event_id"])
    with pytest.raises(PreventUpdate):
        run_callback(app, chooser, None, 0, [0], triggered=[
            {"prop_id": f"{button}.n_clicks", "value": 0}])

    # staff see the same list without the buttons
    runtime.principal_of = lambda: STAFF
    seen = run_callback(app, panel, store_payload(cell_state), 1)
    assert _pattern_ids(seen, Grid.CELL_SUPERVISE) == []
    assert json.dumps(seen[1].to_plotly_json(), ensure_ascii=False,
                      default=str).count(str(first["event_id"])) == 1

    # a user of another district: their cells only; the busiest cell is unknown to them
    other = next(d for d in queries.district_codes if d != busiest["district_code"])
    theirs = Principal("dd", "analyst", frozenset({other}))
    runtime.principal_of = lambda: theirs
    choices = run_callback(app, panel, store_payload(city), 0)
    mine = queries.open_events_by_cell(other, start, end, 15)["grid_code"].tolist()
    assert mine and busiest["grid_code"] not in mine
    assert [i["cell"] for i in _pattern_ids(choices, Grid.CELL_PICK)] == mine
    with pytest.raises(PreventUpdate):
        run_callback(app, panel, store_payload(cell_state), 0)
    with pytest.raises(PreventUpdate):       # nothing changes: the cell is not theirs
        pick(theirs, busiest["grid_code"])


@pytest.mark.parametrize("hours,zh,en", [
    (17.4, "超期 17 小时", "17 h overdue"), (0.3, "超期不足 1 小时", "under 1 h overdue"),
    (-2.6, "剩余 3 小时", "3 h left"), (-0.2, "剩余不足 1 小时", "under 1 h left")])
def test_a_cells_event_says_how_late_in_the_overdue_lists_whole_hours(hours, zh, en):
    from layouts.grid import _hours_text
    assert (_hours_text(hours, "zh"), _hours_text(hours, "en")) == (zh, en)
