"""Notifications out (data/notify.py): the outbox in a real access file, a real sender thread,
and a real HTTP receiver on 127.0.0.1 that can answer errors, hang, or be down for a while."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import logging
import threading
import time

import pytest

import settings as settings_mod
from data import notify
from data.access import Access
from settings import Settings, SettingsError

BASE = "http://citybrain.example.gov.cn/cb"
#: An alert as data/command.py hands it over: data/alerts.live's columns and the overview link.
ALERT = {"key": "threshold:ontime_rate:360726", "rule": "threshold", "code": "ontime_rate",
         "area_code": "360726", "what": "按期办结率", "where": "安远县", "value": 48.7,
         "threshold": 85.0, "unit": "%", "since": dt.date(2026, 10, 1), "window": "近30天",
         "events": 39, "start": dt.date(2026, 10, 26), "end": dt.date(2026, 11, 24),
         "severity": 3.3, "href": "./?district=360726&indicator=ontime_rate",
         "opened_at": "2026-11-24T02:00:00+00:00"}


class Receiver:
    """A webhook on 127.0.0.1: records the JSON of each POST it takes; ``answers`` are the
    (status, body) of the next requests (then 200 ``{}``; a robot's ``errcode`` refuses);
    ``hang`` makes it wait until released."""

    def __init__(self, port: int = 0):
        self.bodies: list[dict] = []
        self.answers: list[tuple[int, dict]] = []
        self.hang = threading.Event()
        self.delay = 0.0
        self.released = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if receiver.hang.is_set():
                    receiver.released.wait(10)
                time.sleep(receiver.delay)
                with receiver.lock:
                    status, answer = receiver.answers.pop(0) if receiver.answers else (200, {})
                    if status == 200 and not answer.get("errcode"):     # taken
                        receiver.bodies.append(data)
                text = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?access_token=secret"

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # the receiver is local: a proxy from the machine's environment must not relay it
    monkeypatch.setenv("no_proxy", "127.0.0.1")


def hooks_settings(tmp_path, url: str, **changes) -> Settings:
    return Settings(db_path=tmp_path / "none.duckdb", base_url=BASE,
                    alert_webhooks=(("*", url, "json"),), alert_webhooks_from="test",
                    webhook_tries=10, webhook_backoff=0.1, webhook_backoff_max=0.4,
                    webhook_timeout=5).with_(**changes)


def wait_for(condition, seconds: float = 8.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_ntf001_open_is_posted_once_with_its_json(tmp_path, receiver):
    access = Access(tmp_path / "access.sqlite")
    sender = notify.Notifier(hooks_settings(tmp_path, receiver.url), access).start()
    try:
        assert sender.enqueue("open", ALERT)
        assert not sender.enqueue("open", ALERT)          # the same transition: queued once
        wait_for(lambda: sender.outbox()[0]["state"] == "sent")
        time.sleep(POLL_TWICE)
    finally:
        sender.close()
    [body] = receiver.bodies
    link = f"{BASE}/?district=360726&indicator=ontime_rate"
    # the robots' groups are read on phones: the phone view of the same area and window too
    phone_link = f"{BASE}/m?district=360726&indicator=ontime_rate"
    assert body["text"] == ("【告警】安远县 按期办结率 48.7%（近30天，39件），阈值 85.0%，"
                            f"自 2026-10-01 起 {link} 手机：{phone_link}")
    assert body["phone_link"] == phone_link
    assert {k: body[k] for k in ("transition", "key", "rule", "indicator", "area_code", "what",
                                 "where", "value", "threshold", "unit", "since", "window",
                                 "start", "end", "events", "link")} == {
        "transition": "open", "key": ALERT["key"], "rule": "threshold",
        "indicator": "ontime_rate", "area_code": "360726", "what": "按期办结率",
        "where": "安远县", "value": 48.7, "threshold": 85.0, "unit": "%",
        "since": "2026-10-01", "window": "近30天", "start": "2026-10-26", "end": "2026-11-24",
        "events": 39, "link": link}
    at = dt.datetime.fromisoformat(body["at"])        # Beijing time, with its offset
    assert at.utcoffset() == dt.timedelta(hours=8)
    assert abs(at - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=1)
    [entry] = access.audit_log(action="webhook")
    details = json.loads(entry["what"])
    assert details["outcome"] == "sent" and details["alert"] == ALERT["key"]
    # the robot's access token is a secret: neither the audit log nor the log shows it
    assert "secret" not in entry["what"]


#: Long enough for a sender to have looked again and sent a second copy, if it would.
POLL_TWICE = notify.POLL_SECONDS + 0.3


def test_ntf002_a_new_occurrence_and_each_transition_are_their_own(tmp_path, receiver):
    access = Access(tmp_path / "access.sqlite")
    sender = notify.Notifier(hooks_settings(tmp_path, receiver.url), access)
    reopened = {**ALERT, "opened_at": "2026-11-30T08:00:00+00:00"}
    queued = [sender.enqueue("open", ALERT), sender.enqueue("escalated", ALERT),
              sender.enqueue("closed", ALERT), sender.enqueue("open", reopened),
              sender.enqueue("escalated", ALERT)]
    assert queued == [True, True, True, True, False]
    with pytest.raises(ValueError, match="unknown transition 'acknowledged'"):
        sender.enqueue("acknowledged", ALERT)
    while sender.send_due():
        pass
    assert [b["transition"] for b in receiver.bodies] == ["open", "escalated", "closed", "open"]
    assert receiver.bodies[1]["text"].startswith("【告警升级】安远县")
    assert receiver.bodies[2]["text"].startswith("【告警解除】安远县")

    # an alert that does not say which standing it is: counted in the outbox, a new one after
    # each closing, every other transition the latest's
    unnamed = {k: v for k, v in ALERT.items() if k != "opened_at"} | {"key": "aqi:aqi:360702"}
    steps = ["open", "open", "escalated", "closed", "closed", "open", "escalated", "open"]
    assert [sender.enqueue(step, unnamed) for step in steps] == [
        True, False, True, True, False, True, True, False]
    assert [(r["transition"], r["occurrence"]) for r in sender.outbox()
            if r["alert_key"] == "aqi:aqi:360702"] == [
        ("open", "#1"), ("escalated", "#1"), ("closed", "#1"), ("open", "#2"),
        ("escalated", "#2")]


def test_ntf003_two_workers_send_each_transition_exactly_once(tmp_path, receiver):
    # two processes' senders: their own connections to one access file; each worker that
    # computes the alerts reports the same transitions
    path = tmp_path / "access.sqlite"
    settings = hooks_settings(tmp_path, receiver.url)
    senders = [notify.Notifier(settings, Access(path)) for _ in range(2)]
    alerts = [{**ALERT, "key": f"surge:event_count:36070200{i:02d}", "rule": "surge",
               "value": 40.0 + i, "threshold": 20.0, "unit": "件", "events": None}
              for i in range(15)]
    for sender in senders:
        sender.start()
    try:
        def report(sender):
            for alert in alerts:
                for transition in ("open", "escalated"):
                    sender.enqueue(transition, alert)
        reporters = [threading.Thread(target=report, args=(s,)) for s in senders]
        for thread in reporters:
            thread.start()
        for thread in reporters:
            thread.join()
        wait_for(lambda: len(receiver.bodies) >= 30)
        time.sleep(POLL_TWICE)
    finally:
        for sender in senders:
            sender.close()
    sent = sorted((b["key"], b["transition"]) for b in receiver.bodies)
    assert sent == sorted((a["key"], t) for a in alerts for t in ("open", "escalated"))
    assert {row["state"] for row in senders[0].outbox()} == {"sent"}


def _worker(folder, url, counts) -> None:
    """A gunicorn worker's sender: a process of its own with its own connection, sending
    until nothing is pending."""
    sender = notify.Notifier(hooks_settings(folder, url), Access(folder / "access.sqlite"))
    sent = 0
    while sender.access.connection().execute(
            "SELECT count(*) FROM webhook_outbox WHERE state = 'pending'").fetchone()[0]:
        if sender.send_due():
            sent += 1
        else:
            time.sleep(0.01)
    counts.put(sent)


def test_ntf010_two_worker_processes_share_the_outbox(tmp_path, receiver):
    import multiprocessing
    sender = notify.Notifier(hooks_settings(tmp_path, receiver.url),
                             Access(tmp_path / "access.sqlite"))
    for i in range(30):
        sender.enqueue("open", {**ALERT, "key": f"threshold:ontime_rate:{i}"})
    receiver.delay = 0.02              # each POST takes a moment: the workers overlap
    # forked as gunicorn forks its workers (and without importing the app again)
    context = multiprocessing.get_context("fork")
    counts = context.Queue()
    workers = [context.Process(target=_worker, args=(tmp_path, receiver.url, counts))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert [worker.exitcode for worker in workers] == [0, 0]
    sent = [counts.get(timeout=1), counts.get(timeout=1)]
    assert sum(sent) == 30
    assert sorted(b["key"] for b in receiver.bodies) == sorted(
        f"threshold:ontime_rate:{i}" for i in range(30))
    assert {row["state"] for row in sender.outbox()} == {"sent"}


def test_ntf004_a_receiver_down_for_a_while_gets_it_when_back(tmp_path, caplog):
    down = Receiver()
    port = down.port
    down.stop()                      # nothing listens on the port now
    access = Access(tmp_path / "access.sqlite")
    sender = notify.Notifier(hooks_settings(tmp_path, down.url), access).start()
    back = None
    try:
        with caplog.at_level(logging.WARNING, logger="data.notify"):
            sender.enqueue("open", ALERT)
            wait_for(lambda: sender.outbox()[0]["tries"] >= 3)
            back = Receiver(port)        # started again on the same port
            wait_for(lambda: sender.outbox()[0]["state"] == "sent")
            time.sleep(POLL_TWICE)
        assert [b["key"] for b in back.bodies] == [ALERT["key"]]
        row = sender.outbox()[0]
        assert row["tries"] >= 4 and row["last_error"] is None
        failures = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(failures) >= 3
        assert all("webhook failed" in f and "ConnectionRefusedError" in f for f in failures)
        assert all("secret" not in f for f in failures)
    finally:
        sender.close()
        if back is not None:
            back.stop()


def test_ntf005_an_error_then_ok_is_retried_and_given_up_after_the_tries(tmp_path, receiver,
                                                                        caplog):
    receiver.answers = [(500, {"error": "busy"}), (200, {})]
    access = Access(tmp_path / "access.sqlite")
    sender = notify.Notifier(hooks_settings(tmp_path, receiver.url, webhook_tries=2), access)
    with caplog.at_level(logging.WARNING, logger="data.notify"):
        sender.enqueue("open", ALERT)
        assert sender.send_due()
        row = sender.outbox()[0]
        assert (row["state"], row["tries"], row["last_error"]) == ("pending", 1,
                                                                  "HTTP 500 Internal Server Error")
        assert not sender.send_due()             # not due before its backoff
        time.sleep(0.15)
        assert sender.send_due()
        assert sender.outbox()[0]["state"] == "sent" and len(receiver.bodies) == 1
        # a receiver that never takes it: given up after webhook_tries, and logged
        receiver.answers = [(503, {}), (503, {})]
        sender.enqueue("closed", ALERT)
        sender.send_due()
        time.sleep(0.15)
        sender.send_due()
    row = sender.outbox()[1]
    assert (row["state"], row["tries"]) == ("failed", 2)
    assert any(r.levelno == logging.ERROR and "given up after 2 tries" in r.getMessage()
               for r in caplog.records)
    failed = [json.loads(e["what"]) for e in access.audit_log(action="webhook")
              if json.loads(e["what"])["outcome"] == "failed"]
    assert [(f["transition"], f["error"]) for f in failed] == [
        ("closed", "HTTP 503 Service Unavailable")]


def test_ntf006_robot_formats_and_their_error_answers(tmp_path, receiver):
    # DingTalk answers 200 with an error code when the message lacks the robot's keyword
    receiver.answers = [(200, {"errcode": 310000, "errmsg": "keywords not in content"}),
                        (200, {"errcode": 0, "errmsg": "ok"})]
    settings = hooks_settings(tmp_path, receiver.url).with_(alert_webhooks=(
        ("*", receiver.url, "json"), ("aqi", receiver.url, "dingtalk"),
        ("surge", receiver.url, "feishu")))
    sender = notify.Notifier(settings, Access(tmp_path / "access.sqlite"))
    aqi = {**ALERT, "key": "aqi:aqi:360702", "rule": "aqi", "code": "aqi", "what": "重污染天数",
           "where": "章贡区", "value": 2.0, "threshold": 1.0, "unit": "天", "events": None,
           "window": "近2天", "since": "2026-11-23", "href": "./?district=360702"}
    sender.enqueue("open", aqi)
    sender.send_due()
    assert sender.outbox()[0]["last_error"] == "dingtalk error 310000: keywords not in content"
    time.sleep(0.15)
    sender.send_due()
    sender.enqueue("open", {**aqi, "key": "surge:event_count:x", "rule": "surge"})
    sender.send_due()
    text = (f"【告警】章贡区 重污染天数 2天（近2天），阈值 1天，自 2026-11-23 起 "
            f"{BASE}/?district=360702 手机：{BASE}/m?district=360702")
    assert receiver.bodies == [{"msgtype": "text", "text": {"content": text}},
                               {"msg_type": "text", "content": {"text": text}}]


def test_ntf007_enqueue_never_waits_on_a_hanging_receiver(tmp_path, receiver):
    receiver.hang.set()
    sender = notify.Notifier(hooks_settings(tmp_path, receiver.url), Access(
        tmp_path / "access.sqlite")).start()
    try:
        sender.enqueue("open", ALERT)
        wait_for(lambda: sender.outbox()[0]["tries"] == 0 and receiver.hang.is_set()
                 and _claimed(sender))
        started = time.monotonic()
        for i in range(20):
            assert sender.enqueue("open", {**ALERT, "key": f"k{i}"})
        # all twenty queued while the receiver still holds the first post (it holds it 10 s;
        # an enqueue that waited on it would take that long): a bound with room for a busy
        # machine, not a speed test
        assert time.monotonic() - started < 5 and receiver.bodies == []
        receiver.released.set()
        wait_for(lambda: len(receiver.bodies) == 21)
    finally:
        receiver.released.set()
        sender.close()


def _claimed(sender) -> bool:
    return sender.access.connection().execute(
        "SELECT claimed_by FROM webhook_outbox").fetchone()[0] is not None


def test_ntf008_settings_fail_at_start_naming_what_is_wrong(tmp_path):
    base = {"CITYBRAIN_BASE_URL": BASE}
    with pytest.raises(SettingsError, match="CITYBRAIN_ALERT_WEBHOOK='ftp://x/y': expected"):
        settings_mod.from_env({**base, "CITYBRAIN_ALERT_WEBHOOK": "ftp://x/y"})
    with pytest.raises(SettingsError, match="CITYBRAIN_ALERT_WEBHOOK_FORMAT='slack'"):
        settings_mod.from_env({**base, "CITYBRAIN_ALERT_WEBHOOK": "http://h/x",
                               "CITYBRAIN_ALERT_WEBHOOK_FORMAT": "slack"})
    with pytest.raises(SettingsError, match="needs CITYBRAIN_BASE_URL"):
        settings_mod.from_env({"CITYBRAIN_ALERT_WEBHOOK": "http://h/x"})
    with pytest.raises(SettingsError, match="CITYBRAIN_BASE_URL='citybrain.local'"):
        settings_mod.from_env({"CITYBRAIN_BASE_URL": "citybrain.local"})
    one = settings_mod.from_env({**base, "CITYBRAIN_ALERT_WEBHOOK": "https://h/x",
                                 "CITYBRAIN_ALERT_WEBHOOK_FORMAT": "wecom"})
    assert one.alert_webhooks == (("*", "https://h/x", "wecom"),)

    path = tmp_path / "webhooks.toml"
    path.write_text('[default]\nurl = "https://h/all"\n[rules.aqi]\nurl = "https://h/air"\n'
                    'format = "dingtalk"\n[retry]\ntries = 3\nbackoff_seconds = 0.5\n')
    env = {**base, "CITYBRAIN_ALERT_WEBHOOKS": str(path)}
    read = settings_mod.from_env(env)
    assert read.alert_webhooks == (("*", "https://h/all", "json"),
                                   ("aqi", "https://h/air", "dingtalk"))
    assert (read.webhook_tries, read.webhook_backoff) == (3, 0.5)
    for text, message in [
            ('[rules.aqi]\nurl = "https://h/air"\nformat = "dingding"\n',
             r"\[rules.aqi\] format='dingding'"),
            ('[rules.aqi]\nurl = "h/air"\n', r"\[rules.aqi\] url='h/air'"),
            ('[rules.aqi]\nformat = "json"\n', r"\[rules.aqi\] needs url"),
            ('[default]\nurl = "https://h/x"\n[retry]\ntries = 0\n', r"\[retry\] tries = 0"),
            ('[default]\nurl = "https://h/x"\n[hooks]\n', "unknown table"),
            ('[default\n', "not TOML")]:
        path.write_text(text)
        with pytest.raises(SettingsError, match=f"CITYBRAIN_ALERT_WEBHOOKS file {path}.*"
                                                f"{message}"):
            settings_mod.from_env(env)
    with pytest.raises(SettingsError, match="both set"):
        settings_mod.from_env({**env, "CITYBRAIN_ALERT_WEBHOOK": "https://h/x"})

    # a rule that is no alert rule is found when the app starts
    path.write_text('[rules.flood]\nurl = "https://h/flood"\n')
    with pytest.raises(SettingsError, match=r"webhooks.toml: \[rules.flood\] is not an alert "
                                            r"rule \(one of threshold, aqi, surge"):
        notify.Notifier(settings_mod.from_env(env).with_(db_path=tmp_path / "x.duckdb"),
                        Access(tmp_path / "access.sqlite"))


def test_ntf009_the_app_sends_what_its_alert_records_report(settings, tmp_path, receiver):
    # the whole path: create_app starts the sender, the alert records (data/command.py)
    # notify through data.notify.enqueue, the sender posts; an app without webhooks stops it
    from app import create_app
    from data.command import Command

    hooked = settings.with_(access_path=tmp_path / "access.sqlite", base_url=BASE,
                            alert_webhooks=(("*", receiver.url, "json"),),
                            alert_webhooks_from="test", webhook_backoff=0.1)
    app = create_app(hooked)
    try:
        assert app.citybrain_notify is not None
        now = [dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)]
        records = Command(Access(hooked.access_file), clock=lambda: now[0])
        standing = {k: v for k, v in ALERT.items() if k != "opened_at"} | {
            "district": "360726", "scene": "services"}
        records.sync([standing])
        now[0] += dt.timedelta(minutes=5)
        records.sync([standing])                           # still standing: nothing new
        records.sync([])                                   # the figure recovered: closed
        now[0] += dt.timedelta(hours=1)
        records.sync([standing])                           # and past the line again
        wait_for(lambda: len(receiver.bodies) == 3)
        time.sleep(POLL_TWICE)
    finally:
        notify.stop()
    assert [(b["transition"], b["key"], b["occurrence"]) for b in receiver.bodies] == [
        ("open", ALERT["key"], "2026-12-01T08:00:00+00:00"),
        ("closed", ALERT["key"], "2026-12-01T08:00:00+00:00"),
        ("open", ALERT["key"], "2026-12-01T09:05:00+00:00")]
    assert notify.enqueue("open", ALERT) is False          # stopped: nothing queued
