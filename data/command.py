"""Alerts with owners (指挥调度): a durable record per alert and its life, in the access file.

An alert of ``data/alerts.live`` keeps its ``key`` while it stands; its record is keyed by it:

    open ──acknowledge──► acknowledged ──assign──► assigned ──resolve──► resolved ──close──► closed
      │                        └──────────assign / resolve / close from any open state───────┘
      └──silence(until, reason)──► silenced  (open again once ``until`` has passed)

- ``sync`` (called where the alerts are computed: the wall's render and refresh, the /command
  screen) opens a record for a new alert, reopens a closed one when its alert stands again
  after having cleared (the same row, ``opened_count`` + 1, holders cleared), and closes as
  "cleared" the records of alerts that no longer stand: an alert whose figure recovered needs
  nobody any more, and if it comes back it reopens (chosen so the list holds only what stands
  or is still being handled). An alert closed by hand while its figure is still past the line
  stays closed (``standing``) until it clears; it reopens if it comes back after that.
- An ``open`` record not acknowledged within its rule's minutes (``Command(minutes=...)``, from
  CITYBRAIN_ESCALATE_MINUTES, over ESCALATE_MINUTES; DEFAULT_ESCALATE_MINUTES for a rule not
  named) is escalated: ``escalated_at`` is set once, by whichever worker sees it
  first, and the wall and the screen show it red.
- Who may act: ``Principal.may("alerts")`` (leaders, analysts, admins; staff and kiosks only
  see), and only on their districts' alerts (a city-wide alert: only users of the whole city).
  A refusal is a ``CommandError`` with an HTTP status and a text key (i18n ``cmd_err_*``), and
  changes nothing.
- Every step and every refusal is an audit row (action "alert"; refusals "refused"), written in
  the step's own transaction on the same connection, so a step is never without its row.
- Transitions open, escalated and closed call the notifier (``data/notify.enqueue(transition,
  alert)`` when that module exists; none otherwise) after the transaction commits: a notifier
  writing to this file from another connection must not wait on our lock.

The state lives in SQLite in WAL mode (data/access.py's file and connection handling), so every
worker sees the same records.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import i18n
from data.access import Access, Principal, what, write_transaction

#: Minutes an open alert may stand unacknowledged before it escalates, per rule
#: (data/alerts.ALERT_RULES): a polluted day or a surge of events needs someone sooner than a
#: rate over 30 days, an emergency warning (orange, red) sooner still.
ESCALATE_MINUTES: dict[str, int] = {"threshold": 30, "aqi": 15, "surge": 15, "warning": 10}
DEFAULT_ESCALATE_MINUTES = 30
#: The record's states; all but "closed" are open business.
STATES = ("open", "acknowledged", "assigned", "resolved", "silenced", "closed")
#: Longest note or reason kept.
NOTE_CHARS = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_records (
    key TEXT PRIMARY KEY, rule TEXT NOT NULL, code TEXT NOT NULL, area_code TEXT,
    district TEXT, scene TEXT, severity REAL, alert TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL, state_at TEXT NOT NULL, state_by TEXT NOT NULL DEFAULT '',
    opened_at TEXT NOT NULL, opened_count INTEGER NOT NULL DEFAULT 1,
    escalated_at TEXT, standing INTEGER NOT NULL DEFAULT 1,
    acknowledged_by TEXT, acknowledged_at TEXT,
    department TEXT, deadline TEXT, assign_note TEXT, assigned_by TEXT, assigned_at TEXT,
    resolve_note TEXT, resolved_by TEXT, resolved_at TEXT,
    close_note TEXT, closed_by TEXT, closed_at TEXT,
    silenced_until TEXT, silence_reason TEXT, silenced_by TEXT);
CREATE INDEX IF NOT EXISTS alert_records_state ON alert_records (state);
"""
#: The holder columns a reopened record starts without.
_HOLDERS = ("escalated_at", "acknowledged_by", "acknowledged_at", "department", "deadline",
            "assign_note", "assigned_by", "assigned_at", "resolve_note", "resolved_by",
            "resolved_at", "close_note", "closed_by", "closed_at", "silenced_until",
            "silence_reason", "silenced_by")
#: Who does what the system does (sync's opening, reopening and clearing).
SYSTEM = "system"

Notifier = Callable[[str, dict], None]


class CommandError(ValueError):
    """A step refused: ``status`` (400 bad input, 403 not allowed, 404 unknown alert, 409 not
    in a state that allows it) and ``key``, an i18n text (``cmd_err_<key>``) with ``fields``."""

    def __init__(self, status: int, key: str, **fields):
        self.status, self.key, self.fields = status, key, fields
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        fields = dict(self.fields)
        if "state" in fields:
            fields["state"] = i18n.t(f"cmd_state_{fields['state']}", lang)
        if "step" in fields:
            fields["step"] = i18n.t(f"cmd_step_{fields['step']}", lang)
        return i18n.t(f"cmd_err_{self.key}", lang).format(**fields)


def notify_module(transition: str, alert: dict) -> None:
    """The default notifier: ``data.notify.enqueue`` (the outgoing webhooks) if it is
    installed; nothing otherwise."""
    try:
        notify = importlib.import_module("data.notify")
    except ModuleNotFoundError as error:
        if error.name != "data.notify":
            raise
        return
    notify.enqueue(transition, alert)


class Command:
    """The alert records of one access file: open once per process (or per app)."""

    def __init__(self, path: str | Path | Access, *,
                 clock: Callable[[], dt.datetime] | None = None,
                 departments: Callable[[], Iterable[str]] | None = None,
                 notifier: Notifier | None = notify_module,
                 minutes: Mapping[str, int] | None = None):
        """``clock``: now, timezone-aware (tests fix it); ``departments``: the codes an alert
        may be assigned to (the store's departments; None: not checked); ``notifier``: called
        with (transition, alert) on open, escalated and closed; ``minutes``: the escalation
        minutes per rule over ESCALATE_MINUTES."""
        self.access = path if isinstance(path, Access) else Access(path)
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.departments = departments
        self.notifier = notifier
        self.minutes = {**ESCALATE_MINUTES, **(minutes or {})}
        with self.access.connection() as db:
            db.executescript(_SCHEMA)

    # --- reading ---

    def records(self, *, districts: Iterable[str] | None = None, open_only: bool = True,
                keys: Iterable[str] | None = None) -> list[dict]:
        """The records (open ones unless ``open_only`` is False), escalated first, then
        unacknowledged, then by severity; ``districts``: only those districts' (a non-empty
        set: a district user's view, without the city-wide ones). Escalations due now are
        recorded on the way (and notified once)."""
        self._escalate()
        rows = [self._row(row) for row in self._db().execute(
            "SELECT * FROM alert_records" + (" WHERE state != 'closed'" if open_only else ""))]
        if districts:
            mine = set(districts)
            rows = [row for row in rows if row["district"] in mine]
        if keys is not None:
            wanted = set(keys)
            rows = [row for row in rows if row["key"] in wanted]
        return sorted(rows, key=lambda r: (not r["escalated"], not r["overdue"], r["state"] != "open",
                                           -(r["severity"] or 0), r["key"]))

    def record(self, key: str) -> dict | None:
        self._escalate()
        row = self._db().execute("SELECT * FROM alert_records WHERE key = ?",
                                 (key,)).fetchone()
        return None if row is None else self._row(row)

    # --- what the alert rules see ---

    def sync(self, alerts: Iterable[Mapping[str, Any]], complete: bool = True) -> list[tuple]:
        """Bring the records in line with the standing alerts (each a mapping with ``key``,
        ``rule``, ``code``, ``area_code``, ``district`` (None: city-wide), ``scene``,
        ``severity`` and whatever else a notification should carry): open new ones, reopen
        closed ones, reopen silenced ones whose time is up, and (``complete``: these are all
        the alerts standing in the whole city) close the others as cleared. Returns the
        transitions notified, (transition, key)."""
        now = self._now()
        standing: dict[str, dict] = {str(a["key"]): dict(a) for a in alerts}
        fired: list[tuple[str, dict]] = []
        with write_transaction(self._db()) as db:
            known = {row["key"]: row for row in db.execute("SELECT * FROM alert_records")}
            for key, alert in standing.items():
                snapshot = json.dumps(alert, ensure_ascii=False, default=str)
                row = known.get(key)
                if row is None:
                    db.execute(
                        "INSERT INTO alert_records (key, rule, code, area_code, district, "
                        "scene, severity, alert, state, state_at, state_by, opened_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
                        (key, alert["rule"], alert["code"], alert.get("area_code"),
                         alert.get("district"), alert.get("scene"), alert.get("severity"),
                         snapshot, now, SYSTEM, now))
                    self._audit(db, SYSTEM, "open", key)
                    fired.append(("open", {**alert, "opened_at": now}))
                    continue
                # closed by hand while it still stands: it stays closed until it clears
                reopen = (row["state"] == "closed" and not row["standing"]) or (
                    row["state"] == "silenced" and (row["silenced_until"] or "") <= now)
                # every display's refresh syncs: write only what changed
                if (row["alert"], row["severity"], row["scene"], row["standing"]) != (
                        snapshot, alert.get("severity"), alert.get("scene"), 1):
                    db.execute("UPDATE alert_records SET severity = ?, alert = ?, scene = ?, "
                               "standing = 1 WHERE key = ?", (alert.get("severity"), snapshot,
                                                              alert.get("scene"), key))
                if reopen:
                    db.execute(
                        "UPDATE alert_records SET state = 'open', state_at = ?, state_by = ?, "
                        "opened_at = ?, opened_count = opened_count + ? , "
                        + ", ".join(f"{column} = NULL" for column in _HOLDERS)
                        + " WHERE key = ?",
                        (now, SYSTEM, now, 1 if row["state"] == "closed" else 0, key))
                    step = "reopen" if row["state"] == "closed" else "unsilence"
                    self._audit(db, SYSTEM, step, key)
                    fired.append(("open", {**alert, "opened_at": now}))
            if complete:
                for key, row in known.items():
                    if key in standing:
                        continue
                    if row["standing"]:
                        db.execute("UPDATE alert_records SET standing = 0 WHERE key = ?",
                                   (key,))
                    if row["state"] == "closed":
                        continue
                    db.execute("UPDATE alert_records SET state = 'closed', state_at = ?, "
                               "state_by = ?, closed_at = ?, closed_by = ?, close_note = ? "
                               "WHERE key = ?", (now, SYSTEM, now, SYSTEM, "cleared", key))
                    self._audit(db, SYSTEM, "close", key, note="cleared")
                    fired.append(("closed", {**json.loads(row["alert"]), "cleared": True,
                                             "opened_at": row["opened_at"]}))
        for transition, alert in fired:
            self._notify(transition, alert["key"], alert)
        return [(transition, alert["key"]) for transition, alert in fired] + self._escalate()

    # --- the steps ---

    def acknowledge(self, key: str, principal: Principal, address: str = "") -> dict:
        """I have it: an open (or escalated) alert becomes acknowledged by ``principal``."""
        return self._step(key, principal, "acknowledge", ("open",), address, {
            "state": "acknowledged", "acknowledged_by": principal.name,
            "acknowledged_at": self._now()}, lambda: None)

    def assign(self, key: str, principal: Principal, department: str,
               deadline: dt.datetime | None, note: str = "", address: str = "") -> dict:
        """Hand the alert to a department (one of the store's) by a deadline (a timezone-aware
        time in the future), with a note; from open, acknowledged or assigned (a reassignment).
        Assigning an open alert acknowledges it too."""
        def checks() -> CommandError | None:
            if self.departments is not None and department not in set(self.departments()):
                return CommandError(400, "department", department=str(department)[:40])
            if not isinstance(deadline, dt.datetime) or deadline.tzinfo is None:
                return CommandError(400, "deadline_bad")
            if deadline <= self.clock():
                return CommandError(400, "deadline_past",
                                    deadline=deadline.isoformat(timespec="minutes"))
            return None

        now = self._now()
        changes = {"state": "assigned", "department": department,
                   "deadline": _iso(deadline) if isinstance(deadline, dt.datetime) else "",
                   "assign_note": _note(note), "assigned_by": principal.name,
                   "assigned_at": now,
                   # assigning an open alert acknowledges it too
                   "acknowledged_by": lambda row: row["acknowledged_by"] or principal.name,
                   "acknowledged_at": lambda row: row["acknowledged_at"] or now}
        return self._step(key, principal, "assign", ("open", "acknowledged", "assigned"),
                          address, changes, checks, department=department,
                          deadline=changes["deadline"], note=_note(note))

    def resolve(self, key: str, principal: Principal, note: str, address: str = "") -> dict:
        """Handled (办结), with what was done; it stays on the list until closed."""
        return self._step(key, principal, "resolve", ("acknowledged", "assigned"), address, {
            "state": "resolved", "resolve_note": _note(note), "resolved_by": principal.name,
            "resolved_at": self._now()},
            lambda: None if _note(note) else CommandError(400, "note"), note=_note(note))

    def close(self, key: str, principal: Principal, note: str = "", address: str = "") -> dict:
        """Closed: off the list until the alert stands again after clearing."""
        return self._step(key, principal, "close", ("open", "acknowledged", "assigned",
                                                    "resolved", "silenced"), address, {
            "state": "closed", "close_note": _note(note), "closed_by": principal.name,
            "closed_at": self._now()}, lambda: None, note=_note(note))

    def silence(self, key: str, principal: Principal, until: dt.datetime | None, reason: str,
                address: str = "") -> dict:
        """Not to be acted on until ``until`` (timezone-aware, in the future), for a reason
        (a known works, a faulty station); it opens again then if the alert still stands."""
        def checks() -> CommandError | None:
            if not _note(reason):
                return CommandError(400, "reason")
            if not isinstance(until, dt.datetime) or until.tzinfo is None:
                return CommandError(400, "until_bad")
            if until <= self.clock():
                return CommandError(400, "until_past")
            return None

        error = checks()
        shown = _iso(until) if error is None and until is not None else ""
        return self._step(key, principal, "silence", ("open", "acknowledged", "assigned"),
                          address, {"state": "silenced", "silenced_until": shown,
                                    "silence_reason": _note(reason),
                                    "silenced_by": principal.name},
                          checks, until=shown, reason=_note(reason))

    # --- inside ---

    def _db(self):
        return self.access.connection()

    def _now(self) -> str:
        return _iso(self.clock())

    def escalate_minutes(self, rule: str) -> int:
        """How long an alert of ``rule`` may stand unacknowledged, in minutes (the
        ``minutes`` these records were opened with, else ESCALATE_MINUTES)."""
        return self.minutes.get(rule, DEFAULT_ESCALATE_MINUTES)

    def refusal(self, key: str, principal: Principal) -> CommandError | None:
        """Why ``principal`` may not act on the alert ``key`` (unknown, a role that may only
        see, another district's), or None: what a form asks before it shows an alert."""
        found = self.record(key)
        if found is None:
            return CommandError(404, "unknown", alert=str(key)[:80])
        return self._allowed(principal, found)

    def _allowed(self, principal: Principal, row) -> CommandError | None:
        if not principal.may("alerts"):
            return CommandError(403, "role", role=principal.role)
        if principal.districts and row["district"] not in principal.districts:
            return CommandError(403, "city" if row["district"] is None else "district")
        return None

    def _refuse(self, principal: Principal, key: str, step: str, address: str,
                error: CommandError):
        self.access.audit(principal.name, "refused", what(alert=key, step=step,
                                                          status=error.status,
                                                          reason=error.key), address)
        raise error

    def _step(self, key: str, principal: Principal, step: str, states: tuple[str, ...],
              address: str, changes: dict, checks: Callable[[], CommandError | None],
              **details) -> dict:
        """One step, checked (the alert exists, the principal may act on it, ``checks``: the
        step's input, the record's state allows it) and written with its audit row in one
        transaction. A value in ``changes`` may be a function of the record's row."""
        db = self._db()
        error = None
        with write_transaction(db):
            row = db.execute("SELECT * FROM alert_records WHERE key = ?", (key,)).fetchone()
            if row is None:
                error = CommandError(404, "unknown", alert=str(key)[:80])
            else:
                error = self._allowed(principal, row) or checks() or (
                    None if row["state"] in states else
                    CommandError(409, "state", state=row["state"], step=step))
            if error is None:
                changes = {column: value(row) if callable(value) else value
                           for column, value in changes.items()}
                changes.update(state_at=self._now(), state_by=principal.name)
                db.execute("UPDATE alert_records SET " + ", ".join(
                    f"{column} = ?" for column in changes) + " WHERE key = ?",
                    (*changes.values(), key))
                self._audit(db, principal.name, step, key, address, **details)
        if error is not None:
            self._refuse(principal, key, step, address, error)
        record = self.record(key)
        assert record is not None
        if changes["state"] == "closed":
            self._notify("closed", key, {**record["alert"], "closed_by": principal.name,
                                         "opened_at": record["opened_at"]})
        return record

    def _escalate(self) -> list[tuple]:
        """Mark the open records past their minutes as escalated; each once, across workers
        (the UPDATE takes only a row not yet marked), and notify those this process marked."""
        now = self.clock()
        due = [row for row in self._db().execute(
            "SELECT key, rule, opened_at, alert FROM alert_records "
            "WHERE state = 'open' AND escalated_at IS NULL")
            if dt.datetime.fromisoformat(row["opened_at"])
            + dt.timedelta(minutes=self.escalate_minutes(row["rule"]))
            <= now]
        fired = []
        for row in due:
            with write_transaction(self._db()) as db:
                marked = db.execute(
                    "UPDATE alert_records SET escalated_at = ? WHERE key = ? AND state = 'open' "
                    "AND escalated_at IS NULL", (_iso(now), row["key"])).rowcount
                if marked:
                    self._audit(db, SYSTEM, "escalate", row["key"])
            if marked:
                self._notify("escalated", row["key"], {**json.loads(row["alert"]),
                                                       "opened_at": row["opened_at"]})
                fired.append(("escalated", row["key"]))
        return fired

    def _audit(self, db, who: str, step: str, key: str, address: str = "", **details) -> None:
        # the step's own connection, inside its transaction (Access.audit uses this thread's
        # connection: the same one)
        self.access.audit(who, "alert", what(step=step, alert=key, **details), address)

    def _notify(self, transition: str, key: str, alert: dict) -> None:
        if self.notifier is not None:
            self.notifier(transition, {**alert, "key": key, "transition": transition})

    def _row(self, row) -> dict:
        out = dict(row)
        out["alert"] = json.loads(out["alert"] or "{}")
        out["escalated"] = out["escalated_at"] is not None and out["state"] == "open"
        out["overdue"] = out["state"] == "assigned" and (out["deadline"] or "~") <= self._now()
        return out


def _iso(moment: dt.datetime) -> str:
    """A moment as UTC ISO text: the records compare as text, whatever zone the caller used."""
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _note(text: str | None) -> str:
    return " ".join(str(text or "").split())[:NOTE_CHARS]
