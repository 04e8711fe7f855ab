"""Notifications out: an alert's opening, escalation and closing POSTed to webhooks.

Per alert rule a webhook (settings ``alert_webhooks``: CITYBRAIN_ALERT_WEBHOOK, one URL for
every rule, or the file CITYBRAIN_ALERT_WEBHOOKS names, a URL per rule and a default;
docs/DEPLOY.md). ``enqueue(transition, alert)`` (data/command.py calls it on open, escalated
and closed) only writes a row into the outbox, a table of the access file (SQLite in WAL mode,
shared by every gunicorn worker), so no request ever waits on a webhook. A background thread
per process (``start``, from app.create_app) sends what is due:

- once per transition: the row's ``dedup`` (alert key, transition, occurrence) is unique, so
  the same transition reported by two workers is one row (the occurrence, which standing of
  the alert: the alert's ``occurrence`` or ``opened_at``, else counted in the outbox, a new
  one after each closing); a worker claims a row by an UPDATE
  that only one of them can win (``claimed_until``: a lease, so the row of a worker that died
  mid-send is taken up again once it has run out);
- retried with exponential backoff (``webhook_backoff`` seconds, doubling, at most
  ``webhook_backoff_max``), given up after ``webhook_tries``; every failure is logged, and the
  audit log says "webhook" sent or failed;
- the body: the whole notification as JSON (format "json"), or the text message of the centre's
  robots (DingTalk and WeCom ``{"msgtype": "text", "text": {"content": …}}``, Feishu
  ``{"msg_type": "text", "content": {"text": …}}``), whose content is the notification's
  ``text``, a line in Chinese ready to forward.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from typing import Any

import i18n
import settings as settings_mod
from data import alerts as alert_rules
from data.access import Access, what, write_transaction

log = logging.getLogger(__name__)

#: What happened to an alert (data/command.py's transitions that notify).
TRANSITIONS = ("open", "escalated", "closed")
#: How often a worker looks for rows other workers queued or whose retry is due, in seconds
#: (a row queued in this process wakes its thread at once).
POLL_SECONDS = 1.0
#: The longest answer read from a webhook (a robot's error message).
ANSWER_BYTES = 4096
#: Rows sent or given up are kept this many days (what was sent when), then deleted.
KEEP_DAYS = 180

_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_outbox (
    id INTEGER PRIMARY KEY, dedup TEXT NOT NULL UNIQUE, alert_key TEXT NOT NULL,
    occurrence TEXT NOT NULL, rule TEXT NOT NULL, transition TEXT NOT NULL,
    url TEXT NOT NULL, format TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', tries INTEGER NOT NULL DEFAULT 0, next_at TEXT NOT NULL, claimed_by TEXT,
    claimed_until TEXT, done_at TEXT, last_error TEXT);
CREATE INDEX IF NOT EXISTS webhook_outbox_due ON webhook_outbox (next_at)
    WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_outbox_alert ON webhook_outbox (alert_key, id);
"""


class Notifier:
    """The webhooks of one settings and their outbox in the access file; ``start`` sends."""

    def __init__(self, settings: settings_mod.Settings, access: Access):
        """Check the webhooks' rules against the alert rules (a rule that is none fails here,
        at start, naming where it was set) and make the outbox."""
        unknown = [rule for rule, _, _ in settings.alert_webhooks
                   if rule != "*" and rule not in alert_rules.ALERT_RULES]
        if unknown:
            raise settings_mod.SettingsError(
                f"{settings.alert_webhooks_from}: [rules.{unknown[0]}] is not an alert rule "
                f"(one of {', '.join(alert_rules.ALERT_RULES)})")
        self.settings, self.access = settings, access
        self.hooks = {rule: (url, fmt) for rule, url, fmt in settings.alert_webhooks}
        # who holds a claim: this process and this notifier (tests run several in one)
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        with access.connection() as db:
            db.executescript(_SCHEMA)

    # --- queueing ---

    def hook(self, rule: str) -> tuple[str, str] | None:
        """The (url, format) an alert of ``rule`` goes to: its own, else the default."""
        return self.hooks.get(rule) or self.hooks.get("*")

    def enqueue(self, transition: str, alert: Mapping[str, Any]) -> bool:
        """Queue the notification of ``transition`` of ``alert``; True when queued, False when
        its rule has no webhook or this transition of this occurrence is queued already."""
        if transition not in TRANSITIONS:
            raise ValueError(f"unknown transition {transition!r} (one of {TRANSITIONS})")
        hook = self.hook(str(alert.get("rule", "")))
        if hook is None:
            return False
        url, fmt = hook
        payload = notification(transition, alert, self.settings)
        now = _utc()
        db = self.access.connection()
        # one writer at a time: two workers reporting the same transition find one occurrence
        with write_transaction(db):
            payload["occurrence"] = payload["occurrence"] or _occurrence(db, payload["key"],
                                                                         transition)
            queued = db.execute(
                "INSERT OR IGNORE INTO webhook_outbox (dedup, alert_key, occurrence, rule, "
                "transition, url, format, body, created_at, next_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ("|".join((payload["key"], transition, payload["occurrence"])), payload["key"],
                 payload["occurrence"], payload["rule"], transition, url, fmt,
                 json.dumps(body(payload, fmt), ensure_ascii=False), now, now)).rowcount
        if queued:
            log.info("webhook queued: %s %s to %s", transition, payload["key"], _shown(url))
            self._wake.set()
        return bool(queued)

    # --- sending ---

    def start(self) -> "Notifier":
        """Send from a daemon thread until ``close``."""
        self._thread = threading.Thread(target=self._run, daemon=True, name="citybrain-notify")
        self._thread.start()
        return self

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop after the POST under way, if any, and wait up to ``timeout`` seconds."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        log.info("webhooks: sending alert notifications (%s)", self.settings.alert_webhooks_from)
        pruned = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - pruned > 3600:
                    self.prune()
                    pruned = time.monotonic()
                busy = self.send_due()
            except Exception:       # the file busy past its timeout, a disk error: next round
                log.exception("webhooks: the outbox could not be read")
                busy = False
            if not busy:
                self._wake.wait(self._idle_seconds())
                self._wake.clear()

    def _idle_seconds(self) -> float:
        """Until a row can be claimed (its retry due, another worker's claim run out), if
        before the next look; else POLL_SECONDS."""
        try:
            (due,), = self.access.connection().execute(
                "SELECT min(max(next_at, coalesce(claimed_until, next_at))) FROM webhook_outbox "
                "WHERE state = 'pending'")
        except Exception:
            return POLL_SECONDS
        if due is None:
            return POLL_SECONDS
        left = (dt.datetime.fromisoformat(due) - dt.datetime.now(dt.timezone.utc))
        return min(POLL_SECONDS, max(left.total_seconds(), 0.01))

    def send_due(self) -> bool:
        """Claim one row that is due and send it; False when none was due."""
        lease = self.settings.webhook_timeout * 2 + 30
        now = _utc()
        row = self.access.connection().execute(
            "UPDATE webhook_outbox SET claimed_by = ?, claimed_until = ? WHERE id = ("
            "SELECT id FROM webhook_outbox WHERE state = 'pending' AND next_at <= ? "
            "AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY next_at, id LIMIT 1) "
            "RETURNING id, alert_key, rule, transition, url, format, body, tries",
            (self.worker, _utc(lease), now, now)).fetchall()
        # fetchall: a RETURNING statement holds the file's write lock until it is read to
        # its end
        if not row:
            return False
        row = row[0]
        error = self._post(row["url"], row["format"], row["body"])
        self._record(row, error)
        return True

    def _post(self, url: str, fmt: str, text: str) -> str | None:
        """POST one body; None when the webhook took it, else what went wrong."""
        request = urllib.request.Request(
            url, data=text.encode(), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8",
                     "User-Agent": f"citybrain/{settings_mod.VERSION}"})
        try:
            with urllib.request.urlopen(request, timeout=self.settings.webhook_timeout) as answer:
                reply = answer.read(ANSWER_BYTES)
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code} {exc.reason}"
        except (OSError, ValueError) as exc:         # refused, timed out, no such host
            reason = getattr(exc, "reason", None) or exc     # URLError wraps the cause
            return f"{type(reason).__name__}: {reason}"
        return robot_error(fmt, reply)

    def _record(self, row, error: str | None) -> None:
        """Mark a row sent, given up or due again after its backoff (only while this worker
        holds its claim)."""
        tries = row["tries"] + 1
        db = self.access.connection()
        about = {"alert": row["alert_key"], "transition": row["transition"],
                 "url": _shown(row["url"]), "tries": tries, "error": error}
        if error is None:
            db.execute("UPDATE webhook_outbox SET state = 'sent', tries = ?, done_at = ?, "
                       "claimed_by = NULL, claimed_until = NULL, last_error = NULL "
                       "WHERE id = ? AND claimed_by = ?", (tries, _utc(), row["id"], self.worker))
            log.info("webhook sent: %s %s to %s (try %d)", row["transition"], row["alert_key"],
                     _shown(row["url"]), tries)
            self.access.audit("webhook", "webhook", what(outcome="sent", **about))
        elif tries >= self.settings.webhook_tries:
            db.execute("UPDATE webhook_outbox SET state = 'failed', tries = ?, done_at = ?, "
                       "claimed_by = NULL, claimed_until = NULL, last_error = ? "
                       "WHERE id = ? AND claimed_by = ?", (tries, _utc(), error, row["id"],
                                                           self.worker))
            log.error("webhook failed, given up after %d tries: %s %s to %s: %s", tries,
                      row["transition"], row["alert_key"], _shown(row["url"]), error)
            self.access.audit("webhook", "webhook", what(outcome="failed", **about))
        else:
            wait = min(self.settings.webhook_backoff * 2 ** (tries - 1),
                       self.settings.webhook_backoff_max)
            db.execute("UPDATE webhook_outbox SET tries = ?, next_at = ?, claimed_by = NULL, "
                       "claimed_until = NULL, last_error = ? WHERE id = ? AND claimed_by = ?",
                       (tries, _utc(wait), error, row["id"], self.worker))
            log.warning("webhook failed (try %d of %d, again in %g s): %s %s to %s: %s", tries,
                        self.settings.webhook_tries, wait, row["transition"], row["alert_key"],
                        _shown(row["url"]), error)

    def prune(self) -> int:
        """Delete the rows sent or given up more than KEEP_DAYS ago; how many."""
        return self.access.connection().execute(
            "DELETE FROM webhook_outbox WHERE state != 'pending' AND done_at < ?",
            (_utc(-KEEP_DAYS * 86400),)).rowcount

    def outbox(self) -> list[dict]:
        """The outbox's rows, oldest first (for tests and an administrator's look)."""
        return [dict(row) for row in self.access.connection().execute(
            "SELECT id, alert_key, occurrence, rule, transition, url, format, state, tries, "
            "created_at, done_at, last_error FROM webhook_outbox ORDER BY id")]


# --- the notification ------------------------------------------------------------------------

def notification(transition: str, alert: Mapping[str, Any],
                 settings: settings_mod.Settings) -> dict:
    """The notification of ``transition`` of ``alert`` (data/alerts.live's columns as a
    record of data/command.py carries them: key, rule, code, area_code, what, where, value,
    threshold, unit, since, window, events, detail, as_of; href, the overview's URL for its
    area relative to the app; occurrence or opened_at, which standing of the alert this is): those fields as
    JSON values, the transition, ``at`` (now, the centre's time with its offset), ``link`` (the
    app's base URL and href), ``phone_link`` (the phone view, /m, of the same area and
    window) and ``text``, the line the robots forward."""
    zone = settings_mod.local_zone(settings.time_zone)
    lang = alert.get("lang") or settings.default_lang
    events = alert_rules.count(alert.get("events"))
    href = alert.get("href")
    link = urllib.parse.urljoin(f"{settings.base_url}/", str(href)) \
        if href and settings.base_url else settings.base_url
    # the same area and window in the leader's phone view: the robots' groups are read on
    # phones, where the overview's 1920x1080 canvas is too small to read
    query = urllib.parse.urlsplit(str(href)).query if href else ""
    phone_link = urllib.parse.urljoin(f"{settings.base_url}/", f"m?{query}" if query else "m") \
        if settings.base_url else ""
    payload = {
        "transition": transition, "key": str(alert["key"]), "rule": str(alert.get("rule", "")),
        "indicator": alert.get("code"), "area_code": alert.get("area_code"),
        "what": alert.get("what"), "where": alert.get("where"),
        "value": alert_rules.num(alert.get("value")),
        "threshold": alert_rules.num(alert.get("threshold")), "unit": alert.get("unit") or "",
        "since": _day(alert.get("since")), "window": alert.get("window"),
        "start": _day(alert.get("start")), "end": _day(alert.get("end")), "events": events,
        "detail": alert.get("detail") or "", "as_of": alert.get("as_of"),
        "occurrence": _day(alert.get("occurrence") or alert.get("opened_at")),
        "at": dt.datetime.now(zone).isoformat(timespec="seconds"), "link": link,
        "phone_link": phone_link}
    payload["text"] = message(payload, lang)
    return payload


def message(payload: Mapping[str, Any], lang: str) -> str:
    """One line for a messaging robot: 【告警】安远县 按期办结率 48.7%（近30天，39件），阈值 85.0%，
    自 2026-10-01 起 http://… 手机：http://…/m?… (the transition, the alert's line as the wall
    says it: data/alerts.alert_line, the overview's link and the phone view's)."""
    text = i18n.t(f"notify_{payload['transition']}", lang) + alert_rules.alert_line(payload, lang)
    if payload["link"]:
        text += f" {payload['link']}"
    if payload["phone_link"]:
        text += f" {i18n.t('notify_phone', lang)}{payload['phone_link']}"
    return text


def body(payload: Mapping[str, Any], fmt: str) -> dict:
    """What is POSTed in a format (settings.WEBHOOK_FORMATS)."""
    if fmt in ("dingtalk", "wecom"):
        return {"msgtype": "text", "text": {"content": payload["text"]}}
    if fmt == "feishu":
        return {"msg_type": "text", "content": {"text": payload["text"]}}
    return dict(payload)


def robot_error(fmt: str, reply: bytes) -> str | None:
    """A robot answers 200 with an error code in its JSON (DingTalk, WeCom ``errcode``,
    Feishu ``code``): that error, or None."""
    if fmt == "json":
        return None
    try:
        answer = json.loads(reply or b"{}")
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    code = answer.get("code" if fmt == "feishu" else "errcode", 0)
    if code in (0, None):
        return None
    return f"{fmt} error {code}: {answer.get('msg') or answer.get('errmsg') or ''}".strip()


# --- once per process ------------------------------------------------------------------------

_running: Notifier | None = None
_running_lock = threading.Lock()


def start(settings: settings_mod.Settings, access: Access) -> Notifier | None:
    """Start this process's sender (app.create_app), stopping one an earlier app started;
    None (and none running) when no webhook is set."""
    global _running
    notifier = Notifier(settings, access) if settings.alert_webhooks else None
    with _running_lock:
        if _running is not None:
            _running.close()
        _running = notifier.start() if notifier is not None else None
    if notifier is not None:
        # a worker told to stop finishes the POST under way rather than cut it (cut, its row
        # would be sent again once its claim ran out); registering twice is harmless
        atexit.unregister(stop)
        atexit.register(stop)
    return notifier


def stop() -> None:
    """Stop this process's sender, if any."""
    global _running
    with _running_lock:
        if _running is not None:
            _running.close()
        _running = None


def enqueue(transition: str, alert: Mapping[str, Any]) -> bool:
    """Queue a notification with this process's sender (``Notifier.enqueue``): an SQLite
    insert, never a wait on a webhook. False when no webhook is set."""
    notifier = _running
    return notifier.enqueue(transition, alert) if notifier is not None else False


def _occurrence(db, key: str, transition: str) -> str:
    """Which standing of an alert a transition is about when the alert does not say
    (``occurrence``, ``opened_at``), counted in the outbox: "#1", "#2", … An opening after a
    closing is a new one; any other transition belongs to the latest."""
    latest = db.execute("SELECT occurrence FROM webhook_outbox WHERE alert_key = ? AND "
                        "occurrence LIKE '#%' ORDER BY id DESC LIMIT 1", (key,)).fetchall()
    if not latest:
        return "#1"
    occurrence = latest[0][0]
    closed = db.execute("SELECT 1 FROM webhook_outbox WHERE alert_key = ? AND occurrence = ? "
                        "AND transition = 'closed'", (key, occurrence)).fetchall()
    return f"#{int(occurrence[1:]) + 1}" if transition == "open" and closed else occurrence


def _utc(seconds: float = 0.0) -> str:
    """Now (plus ``seconds``) as UTC ISO text, to the millisecond: the outbox compares text."""
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds")


def _day(value) -> str | None:
    """A date, time or text as JSON text."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _shown(url: str) -> str:
    """A webhook's URL without its query: robots carry their access token there."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
