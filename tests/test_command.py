"""Alerts with owners (data/command.py): the life of a record in a real SQLite access file,
reopening, escalation by time on a fixed clock, roles and district scope, the audit log, bad
requests that change nothing, and two processes sharing the file."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing

import pytest

from data.access import Access, Principal
from data.command import Command, CommandError

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 4, 2, 0, tzinfo=UTC)

LEADER = Principal("zhang", "leader")
ANALYST = Principal("li", "analyst")
STAFF = Principal("wang", "staff")
ZHANGGONG = Principal("zg", "analyst", frozenset({"360702"}))
NANKANG = Principal("nk", "leader", frozenset({"360703"}))


class Clock:
    def __init__(self, at=T0):
        self.at = at

    def __call__(self):
        return self.at

    def advance(self, **delta):
        self.at += dt.timedelta(**delta)


def alert(key="threshold:closure_rate:360702", district="360702", rule="threshold",
          severity=1.2):
    return {"key": key, "rule": rule, "code": key.split(":")[1], "area_code": key.split(":")[2],
            "district": district, "scene": "grid", "severity": severity,
            "text": f"{key} past its line"}


@pytest.fixture
def world(tmp_path):
    clock, sent = Clock(), []
    command = Command(tmp_path / "access.sqlite", clock=clock,
                      departments=lambda: ["CG", "HB"],
                      notifier=lambda transition, a: sent.append((transition, a["key"])))
    return command, clock, sent


def alert_audit(command):
    return [json.loads(row["what"]) | {"who": row["who"]}
            for row in reversed(command.access.audit_log(action="alert"))]


def test_cmd001_life_cycle_from_open_to_closed_with_audit(world):
    command, clock, sent = world
    key = alert()["key"]
    assert command.sync([alert()]) == [("open", key)]
    assert command.record(key)["state"] == "open"

    clock.advance(minutes=3)
    record = command.acknowledge(key, LEADER)
    assert (record["state"], record["acknowledged_by"]) == ("acknowledged", "zhang")
    assert record["acknowledged_at"] == "2026-12-04T02:03:00+00:00"

    clock.advance(minutes=2)
    record = command.assign(key, ANALYST, "CG", T0 + dt.timedelta(days=1), "请核查超期件")
    assert (record["state"], record["department"], record["assign_note"]) == (
        "assigned", "CG", "请核查超期件")
    assert record["acknowledged_by"] == "zhang"       # the first holder stays on record
    record = command.resolve(key, ANALYST, "已督促办结")
    assert record["state"] == "resolved"
    record = command.close(key, LEADER, "ok")
    assert (record["state"], record["closed_by"]) == ("closed", "zhang")
    assert command.records() == []                    # closed: off the open list
    assert [r["key"] for r in command.records(open_only=False)] == [key]

    steps = [(row["step"], row["who"]) for row in alert_audit(command)]
    assert steps == [("open", "system"), ("acknowledge", "zhang"), ("assign", "li"),
                     ("resolve", "li"), ("close", "zhang")]
    assert alert_audit(command)[2]["department"] == "CG"
    assert sent == [("open", key), ("closed", key)]


def test_cmd002_recurring_alert_reopens_its_record(world):
    command, clock, sent = world
    key = alert()["key"]
    command.sync([alert()])
    command.acknowledge(key, LEADER)
    clock.advance(hours=1)
    # the figure recovers: the record closes as cleared
    assert command.sync([]) == [("closed", key)]
    cleared = command.record(key)
    assert (cleared["state"], cleared["close_note"], cleared["closed_by"]) == (
        "closed", "cleared", "system")
    clock.advance(hours=1)
    # ... and comes back: the same record, open again, its old holder gone
    assert command.sync([alert(severity=2.0)]) == [("open", key)]
    again = command.record(key)
    assert (again["state"], again["opened_count"], again["acknowledged_by"]) == ("open", 2, None)
    assert again["opened_at"] == "2026-12-04T04:00:00+00:00"
    assert again["severity"] == 2.0
    assert len(command.records(open_only=False)) == 1
    # a sync with the same alert standing changes nothing and notifies nothing
    assert command.sync([alert(severity=2.0)]) == []
    assert sent == [("open", key), ("closed", key), ("open", key)]


def test_cmd003_unacknowledged_alert_escalates_after_its_rules_minutes(world):
    command, clock, sent = world
    slow, fast = alert(), alert("aqi:aqi:360703", "360703", rule="aqi")
    command.sync([slow, fast])
    assert command.escalate_minutes("aqi") < command.escalate_minutes("threshold")
    clock.advance(minutes=command.escalate_minutes("aqi") - 1)
    assert not any(r["escalated"] for r in command.records())
    clock.advance(minutes=1)
    records = command.records()
    assert [(r["key"], r["escalated"]) for r in records] == [(fast["key"], True),
                                                             (slow["key"], False)]
    clock.advance(minutes=command.escalate_minutes("threshold"))
    assert all(r["escalated"] for r in command.records())
    # each escalation notified once however often the records are read
    command.records()
    command.sync([slow, fast])
    assert sent.count(("escalated", fast["key"])) == 1
    assert sent.count(("escalated", slow["key"])) == 1
    # an acknowledged alert is no longer escalated
    command.acknowledge(fast["key"], LEADER)
    assert command.record(fast["key"])["escalated"] is False


def test_cmd004_roles_and_district_scope(world):
    command, _, _ = world
    city = alert("threshold:closure_rate:360700", None)
    mine, theirs = alert(), alert("aqi:aqi:360703", "360703", rule="aqi")
    command.sync([city, mine, theirs])
    refusals = [
        (lambda: command.acknowledge(mine["key"], STAFF), 403, "role"),
        (lambda: command.acknowledge(theirs["key"], ZHANGGONG), 403, "district"),
        (lambda: command.acknowledge(city["key"], ZHANGGONG), 403, "city"),
        (lambda: command.close(mine["key"], NANKANG), 403, "district"),
    ]
    for step, status, reason in refusals:
        with pytest.raises(CommandError) as error:
            step()
        assert (error.value.status, error.value.key) == (status, reason)
    assert {r["state"] for r in command.records()} == {"open"}
    assert command.acknowledge(mine["key"], ZHANGGONG)["acknowledged_by"] == "zg"
    assert command.acknowledge(theirs["key"], NANKANG)["acknowledged_by"] == "nk"
    assert command.acknowledge(city["key"], LEADER)["acknowledged_by"] == "zhang"
    # a district user's view holds their districts' alerts only
    assert [r["key"] for r in command.records(districts={"360702"})] == [mine["key"]]
    refused = command.access.audit_log(action="refused")
    assert len(refused) == 4 and all('"alert"' in row["what"] for row in refused)


def test_cmd005_bad_requests_change_nothing(world):
    command, clock, _ = world
    key = alert()["key"]
    command.sync([alert()])
    command.acknowledge(key, LEADER)
    before = command.record(key)
    steps_before = len(alert_audit(command))
    bad = [
        (lambda: command.assign(key, ANALYST, "NOPE", T0 + dt.timedelta(days=1)), 400,
         "department", "Unknown department: NOPE"),
        (lambda: command.assign(key, ANALYST, "CG", T0 - dt.timedelta(minutes=1)), 400,
         "deadline_past", "in the past"),
        (lambda: command.assign(key, ANALYST, "CG", dt.datetime(2026, 12, 9)), 400,
         "deadline_bad", "not a time"),
        (lambda: command.acknowledge("threshold:nothing:0", LEADER), 404, "unknown",
         "No such alert"),
        (lambda: command.acknowledge(key, LEADER), 409, "state", "acknowledged"),
        (lambda: command.resolve(key, ANALYST, "  "), 400, "note", "Say what"),
        (lambda: command.silence(key, ANALYST, T0 - dt.timedelta(hours=1), "works"), 400,
         "until_past", "past"),
    ]
    for step, status, reason, words in bad:
        with pytest.raises(CommandError) as error:
            step()
        assert (error.value.status, error.value.key) == (status, reason)
        assert words in str(error.value)
        assert error.value.text("zh") != str(error.value)       # said in Chinese too
    assert command.record(key) == before
    assert len(alert_audit(command)) == steps_before


def test_cmd006_silence_until_a_time_then_open_again(world):
    command, clock, sent = world
    key = alert()["key"]
    command.sync([alert()])
    record = command.silence(key, ANALYST, T0 + dt.timedelta(hours=2), "道路施工，已知")
    assert (record["state"], record["silence_reason"]) == ("silenced", "道路施工，已知")
    clock.advance(hours=1)
    assert command.sync([alert()]) == []              # still silenced, not escalated
    assert command.record(key)["state"] == "silenced"
    clock.advance(hours=1)
    assert command.sync([alert()]) == [("open", key)]
    assert command.record(key)["state"] == "open"
    assert command.record(key)["opened_count"] == 1   # woken, not reopened


def _act_in_another_process(path: str, key: str, queue) -> None:
    command = Command(path, notifier=None)
    try:
        command.acknowledge(key, Principal("other", "analyst"))
        queue.put("ok")
    except CommandError as error:
        queue.put(error.key)


def test_cmd007_two_processes_share_the_records(world, tmp_path):
    command, _, _ = world
    key = alert()["key"]
    command.sync([alert()])
    queue = multiprocessing.get_context("spawn").Queue()
    results = []
    for _ in range(2):
        process = multiprocessing.get_context("spawn").Process(
            target=_act_in_another_process, args=(str(tmp_path / "access.sqlite"), key, queue))
        process.start()
        process.join(60)
        results.append(queue.get(timeout=5))
    # the first process acknowledged; the second saw that and was refused
    assert results == ["ok", "state"]
    assert command.record(key)["acknowledged_by"] == "other"
    assert Access(tmp_path / "access.sqlite").audit_log(who="other", action="alert")


def test_cmd008_closed_by_hand_stays_closed_until_the_alert_clears(world):
    command, clock, _ = world
    key = alert()["key"]
    command.sync([alert()])
    command.close(key, LEADER, "handled outside the system")
    clock.advance(minutes=5)
    assert command.sync([alert()]) == []               # still standing: stays closed
    assert command.record(key)["state"] == "closed"
    command.sync([])                                   # cleared ...
    assert command.record(key)["close_note"] == "handled outside the system"
    assert command.sync([alert()]) == [("open", key)]  # ... and back: reopened
    assert command.record(key)["opened_count"] == 2


def test_cmd009_the_screens_steps_refuse_bad_requests_and_change_nothing(app, monkeypatch,
                                                                           tmp_path):
    """The /command screen's step callback (callbacks/command.take_step) on the served
    city's live alerts: another district's alert, a role that may only see, an unknown
    department, a deadline in the past or unreadable are said in words and change nothing;
    a good assignment is done."""
    from dash import no_update

    from callbacks import command as command_callbacks
    from charts import command as charts_command
    from charts import state as st

    runtime = app.citybrain_runtime
    records = Command(tmp_path / "access.sqlite", notifier=None,
                      departments=lambda: runtime.queries.departments()["code"].tolist())
    monkeypatch.setitem(runtime.__dict__, "_command", records)
    s, _ = st.parse_query("?lang=zh", runtime.context)
    rows = charts_command.screen_alerts(runtime, s)
    assert rows and {r["key"] for r in rows} == {r["key"] for r in records.records()}
    target = next(r for r in rows if r["district"])
    elsewhere = next(code for code in sorted(runtime.context.districts)
                     if code != target["district"])
    before = records.record(target["key"])
    department = runtime.queries.departments()["code"].iloc[0]

    def step(principal, trigger, department=None, deadline=None):
        monkeypatch.setattr(runtime, "principal_of", lambda: principal)
        message, done, *_ = command_callbacks.take_step(
            runtime, trigger, department, deadline, "", target["key"], "zh")
        return str(message.children), message.className, done

    acknowledge = {"type": "cmd-step", "step": "acknowledge", "key": target["key"]}
    district_user = Principal("zg", "analyst", frozenset({elsewhere}))
    assert step(district_user, acknowledge) == ("这条预警不在您负责的区县。", "error", False)
    # choosing another district's alert for the form: refused, not even its words shown
    choose = {"type": "cmd-step", "step": "assign", "key": target["key"]}
    monkeypatch.setattr(runtime, "principal_of", lambda: district_user)
    said, done, chosen, chosen_text = command_callbacks.take_step(
        runtime, choose, None, None, "", None, "zh")
    assert (str(said.children), done, chosen, chosen_text) == (
        "这条预警不在您负责的区县。", False, no_update, no_update)
    assert step(STAFF, acknowledge) == ("您的角色（staff）不能处置预警。", "error", False)
    assert step(ANALYST, None, "NOPE", "2099-01-01 10:00")[0] == "未知的责任部门：NOPE"
    assert "已过去" in step(ANALYST, None, department, "2020-01-01 10:00")[0]
    assert "无法识别" in step(ANALYST, None, department, "next Friday")[0]
    assert records.record(target["key"]) == before
    text, kind, done = step(ANALYST, None, department, "2099-01-01 10:00")
    assert (kind, done) == ("ok", True) and text.startswith("已指派")
    after = records.record(target["key"])
    assert (after["state"], after["department"], after["deadline"]) == (
        "assigned", department, "2099-01-01T02:00:00+00:00")     # 10:00 Beijing time


def test_cmd010_the_routes_answer_4xx_naming_what_was_wrong(settings, tmp_path):
    """POST /alerts/<key>/<step> behind the sign-in: a missing CSRF token, a role that may
    only see, another district's alert, an unknown department, a deadline in the past, an
    unknown alert or step each get a 4xx saying so and change nothing; GET /alerts holds the
    asker's districts' alerts only."""
    import re

    from app import create_app
    from charts import command as charts_command
    from charts import state as st
    from web import auth

    app = create_app(settings.with_(auth=True, access_path=tmp_path / "access.sqlite"))
    runtime = app.citybrain_runtime
    access = app.server.extensions["citybrain_access"]
    s, _ = st.parse_query("?lang=en", runtime.context)
    charts_command.screen_alerts(runtime, s)        # outside a request: the whole city's
    records = charts_command.command_of(runtime)
    target = next(r for r in records.records() if r["district"])
    elsewhere = next(code for code in sorted(runtime.context.districts)
                     if code != target["district"])
    password = "correct horse battery"
    access.add_user("far", "analyst", password, [elsewhere])
    access.add_user("sta", "staff", password)
    access.add_user("ana", "analyst", password)
    department = runtime.queries.departments()["code"].iloc[0]

    def client(name):
        c = app.server.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        assert c.post("/login", data={"username": name, "password": password,
                                      "csrf_token": token, "next": "/"}).status_code == 302
        c.get("/", headers={"Accept": "text/html"})
        return c, {"X-CSRFToken": c.get_cookie(auth.CSRF_COOKIE).value}

    before = records.record(target["key"])
    url = f"/alerts/{target['key']}"
    far, far_csrf = client("far")
    staff, staff_csrf = client("sta")
    analyst, analyst_csrf = client("ana")
    assert analyst.post(f"{url}/acknowledge").status_code == 400          # no CSRF token
    refusals = [
        (staff.post(f"{url}/acknowledge?lang=en", headers=staff_csrf), 403, "may not act"),
        (far.post(f"{url}/acknowledge?lang=en", headers=far_csrf), 403,
         "outside your districts"),
        (analyst.post(f"{url}/assign", headers=analyst_csrf, json={
            "department": "NOPE", "deadline": "2099-01-01 10:00", "lang": "en"}), 400,
         "Unknown department: NOPE"),
        (analyst.post(f"{url}/assign", headers=analyst_csrf, json={
            "department": department, "deadline": "2020-01-01 10:00", "lang": "en"}), 400,
         "in the past"),
        (analyst.post("/alerts/nothing:here:0/acknowledge?lang=en", headers=analyst_csrf), 404,
         "No such alert"),
        (analyst.post(f"{url}/promote", headers=analyst_csrf), 404, "unknown step"),
    ]
    for response, status, words in refusals:
        assert response.status_code == status, response.text
        assert words in response.get_json()["error"]
    assert records.record(target["key"]) == before
    done = analyst.post(f"{url}/assign", headers=analyst_csrf, json={
        "department": department, "deadline": "2099-01-01 10:00", "note": "今日核查"})
    assert done.status_code == 200 and done.get_json()["alert"]["state"] == "assigned"
    listed = far.get("/alerts").get_json()["alerts"]
    assert listed and {a["district"] for a in listed} == {elsewhere}


def test_cmd011_the_screens_resolve_and_silence_forms(app, monkeypatch, tmp_path):
    """The /command screen's step form for resolve and silence (callbacks/command.take_step):
    a row's button chooses the alert for the form; a silence's end in the past or
    unreadable, an empty reason, an empty resolve note, another district's alert and a role
    that may only see are said in words and change nothing; good ones are done and audited."""
    from dash import no_update

    from callbacks import command as command_callbacks
    from charts import command as charts_command
    from charts import state as st

    runtime = app.citybrain_runtime
    records = Command(tmp_path / "access.sqlite", notifier=None,
                      departments=lambda: runtime.queries.departments()["code"].tolist())
    monkeypatch.setitem(runtime.__dict__, "_command", records)
    s, _ = st.parse_query("?lang=zh", runtime.context)
    rows = [r for r in charts_command.screen_alerts(runtime, s) if r["district"]]
    quiet, handled = rows[0]["key"], rows[1]["key"]
    elsewhere = next(code for code in sorted(runtime.context.districts)
                     if code != rows[0]["district"])

    def form(principal, step, key, note="", until=None, reason=None):
        monkeypatch.setattr(runtime, "principal_of", lambda: principal)
        message, done, chosen, _ = command_callbacks.take_step(
            runtime, None, None, None, note, key, "zh", step=step, until=until, reason=reason)
        return str(message.children), message.className, done, chosen

    # a row's silence button chooses the row and says which step the form does
    monkeypatch.setattr(runtime, "principal_of", lambda: ANALYST)
    message, done, chosen, text = command_callbacks.take_step(
        runtime, {"type": "cmd-step", "step": "silence", "key": quiet}, None, None, None, None,
        "zh")
    assert (message, done, chosen) == (no_update, False, quiet) and text.startswith("静默：")

    before = records.record(quiet)
    audit_before = len(alert_audit(records))
    refused = [
        (ANALYST, "2020-01-01 10:00", "道路施工", "静默截止时间已过去。"),
        (ANALYST, "tomorrow", "道路施工", "静默截止时间无法识别。"),
        (ANALYST, "2099-01-01 10:00", "   ", "请填写静默原因。"),
        (Principal("zg", "analyst", frozenset({elsewhere})), "2099-01-01 10:00", "道路施工",
         "这条预警不在您负责的区县。"),
        (STAFF, "2099-01-01 10:00", "道路施工", "您的角色（staff）不能处置预警。"),
    ]
    for principal, until, reason, words in refused:
        assert form(principal, "silence", quiet, until=until, reason=reason) == (
            words, "error", False, no_update)
    assert records.record(quiet) == before
    assert len(alert_audit(records)) == audit_before
    text, kind, done, chosen = form(ANALYST, "silence", quiet, until="2099-01-01 10:00",
                                    reason="站点故障，已报修")
    assert (kind, done, chosen) == ("ok", True, None) and text.startswith("已静默")
    after = records.record(quiet)
    assert (after["state"], after["silenced_until"], after["silence_reason"],
            after["silenced_by"]) == ("silenced", "2099-01-01T02:00:00+00:00",
                                      "站点故障，已报修", "li")

    # resolve: not before someone holds it, not without saying what was done
    assert "不能办结" in form(ANALYST, "resolve", handled, note="已处理")[0]
    command_callbacks.take_step(runtime, {"step": "acknowledge", "key": handled}, None, None,
                                None, None, "zh")
    assert form(ANALYST, "resolve", handled, note=" ")[:2] == ("请填写办结说明。", "error")
    assert records.record(handled)["state"] == "acknowledged"
    text, kind, done, _ = form(ANALYST, "resolve", handled, note="已清理路面")
    assert (kind, done) == ("ok", True) and text.startswith("已办结")
    assert (records.record(handled)["state"], records.record(handled)["resolve_note"]) == (
        "resolved", "已清理路面")
    steps = [(row["step"], row["alert"]) for row in alert_audit(records)
             if row["step"] in ("silence", "resolve", "acknowledge")]
    assert steps == [("silence", quiet), ("acknowledge", handled), ("resolve", handled)]


def test_cmd012_escalation_minutes_from_the_environment(tmp_path):
    """CITYBRAIN_ESCALATE_MINUTES=aqi=2 through the settings to the runtime's records
    (charts/command.command_of): an AQI alert unacknowledged for 3 minutes escalates, a
    threshold one (the default 30) does not; without the variable neither does."""
    import types

    import settings as settings_mod
    from charts import command as charts_command

    def records_after_three_minutes(env: dict, name: str) -> dict:
        settings = settings_mod.from_env({**env, "CITYBRAIN_ACCESS_DB":
                                          str(tmp_path / f"{name}.sqlite")})
        runtime = types.SimpleNamespace(settings=settings)
        records = charts_command.command_of(runtime)
        records.notifier = None
        records.sync([alert(), alert("aqi:aqi:360703", "360703", rule="aqi")])
        three_minutes_ago = (dt.datetime.now(UTC) - dt.timedelta(minutes=3)).isoformat(
            timespec="seconds")
        records.access.connection().execute("UPDATE alert_records SET opened_at = ?",
                                            (three_minutes_ago,))
        return {r["rule"]: r["escalated"] for r in records.records()}

    assert records_after_three_minutes({"CITYBRAIN_ESCALATE_MINUTES": "aqi=2"}, "set") == {
        "aqi": True, "threshold": False}
    assert records_after_three_minutes({}, "unset") == {"aqi": False, "threshold": False}
