"""Supervision of events (督办/催办): a user issues a 督办 on an overdue or stuck event to the
department that handles it, with a deadline and a note; reminders (催办) add to it; the
department's answer (答复) closes it.

The records are operational state written by every worker, so they live in the access file
(SQLite in WAL mode, data/access.py) beside the users and the audit log, never in the DuckDB
store, which the workers read only and a load replaces. Every step is also an audit entry.

The events and departments come from the store being served: ``Supervision`` is handed a
function returning an ``EventBook`` (the full, unscoped ``Queries``: a district user's own
reader would not know another district's event, and the answer should say "outside your
districts", not "unknown").

Times are the centre's clock (``settings.local_now``), naive ISO text like the store's.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

import i18n
from data.access import Access, Principal, _one_line, thread_connection, what, write_transaction
from settings import local_now

#: The permission to issue, remind and (for the department's answer) close a 督办.
SUPERVISE = "supervise"
#: The steps of a 督办, in the order they may come.
STEPS = ("issue", "remind", "answer")
#: The longest note kept.
NOTE_CHARS = 500
#: The furthest a deadline may lie ahead.
MOST_DAYS_AHEAD = 366

_SCHEMA = """
CREATE TABLE IF NOT EXISTS supervision (
    id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, district_code TEXT NOT NULL,
    department_code TEXT NOT NULL, issued_by TEXT NOT NULL, issued_at TEXT NOT NULL,
    deadline TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', answered_by TEXT,
    answered_at TEXT, answer TEXT);
-- one open 督办 per event: a second one is a reminder of the first
CREATE UNIQUE INDEX IF NOT EXISTS supervision_open ON supervision (event_id)
    WHERE answered_at IS NULL;
CREATE INDEX IF NOT EXISTS supervision_issued ON supervision (issued_at);
CREATE TABLE IF NOT EXISTS supervision_steps (
    id INTEGER PRIMARY KEY, supervision_id INTEGER NOT NULL REFERENCES supervision (id),
    step TEXT NOT NULL, who TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',
    deadline TEXT);
CREATE INDEX IF NOT EXISTS supervision_steps_of ON supervision_steps (supervision_id);
"""

#: A 催办 repeating the last step of its 督办 (the same person, words and deadline) within
#: this many seconds is that reminder again, a double tap or a button pressed twice: it is
#: not recorded a second time.
REPEAT_SECONDS = 60

#: The columns of ``open_items`` and ``items``.
ITEM_COLUMNS = ("id", "event_id", "district_code", "department_code", "issued_by", "issued_at",
                "deadline", "note", "reminders", "last_reminded_at", "answered_by",
                "answered_at", "answer", "overdue")


class EventBook(Protocol):
    """What supervision asks of the store: an event's facts and the departments."""

    def event_brief(self, event_id: int) -> dict | None: ...

    def departments(self) -> pd.DataFrame: ...


class SupervisionError(ValueError):
    """A request supervision refuses, said plainly; ``status`` is its HTTP answer (400 a
    bad value, 403 not allowed, 404 no such event, 409 not in a state for it); ``reason``
    and ``details`` let a screen say it in its language (i18n ``sv_err_<reason>``)."""

    def __init__(self, message: str, status: int = 400, reason: str = "", **details):
        super().__init__(message)
        self.status, self.reason, self.details = status, reason, details

    def text(self, lang: str) -> str:
        """The refusal in ``lang`` (the English message when it has no ``reason``)."""
        return (i18n.t(f"sv_err_{self.reason}", lang).format(**self.details) if self.reason
                else str(self))


@dataclass(frozen=True)
class Step:
    """One step of a 督办's history."""
    step: str
    who: str
    at: str
    note: str
    deadline: str | None


class Supervision:
    """The 督办 records in the access file: open once per process, one connection per
    thread (as data/access.Access)."""

    def __init__(self, access_path: str | Path, events: Callable[[], EventBook],
                 zone: str | None = None, clock: Callable[[], dt.datetime] | None = None):
        self.path = Path(access_path)
        self._events = events
        #: the centre's clock (``clock`` stands in for it where a test needs another day)
        self._clock = clock or (lambda: local_now(zone))
        self._local = threading.local()
        self._access = Access(self.path)       # the audit log, in the same file
        with self._db() as db:
            db.executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        return thread_connection(self._local, self.path)

    def now(self) -> dt.datetime:
        return self._clock().replace(microsecond=0)

    # --- the steps ---

    def issue(self, event_id, principal: Principal, department: str, deadline, note: str = "",
              address: str = "") -> int:
        """Issue a 督办 on an event to ``department`` (a department code of the store), due
        by ``deadline`` (a datetime, or a date: the end of that day; ISO text is read too);
        the new 督办's id. An event with an open 督办 is reminded instead (``remind``)."""
        event = self._event_in_reach(event_id, principal)
        department = self._known_department(department)
        deadline_text = self._future(deadline)
        note = _note(note)
        with write_transaction(self._db()) as db:
            if self._open_id(db, event["event_id"]) is not None:
                raise SupervisionError(
                    f"event {event['event_id']} is under supervision already: remind it",
                    409, "open_already", event=event["event_id"])
            now = self.now().isoformat()
            item = db.execute(
                "INSERT INTO supervision (event_id, district_code, department_code, issued_by, "
                "issued_at, deadline, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (event["event_id"], event["district_code"], department, principal.name, now,
                 deadline_text, note)).lastrowid
            db.execute("INSERT INTO supervision_steps (supervision_id, step, who, at, note, "
                       "deadline) VALUES (?, 'issue', ?, ?, ?, ?)",
                       (item, principal.name, now, note, deadline_text))
        self._audit(principal, address, step="issue", id=item, event=event["event_id"],
                    department=department, deadline=deadline_text)
        return int(item)

    def remind(self, event_id, principal: Principal, note: str = "", deadline=None,
               address: str = "") -> int:
        """Remind (催办) the open 督办 of an event, optionally moving its deadline; its id.
        The same reminder again within REPEAT_SECONDS changes nothing."""
        event = self._event_in_reach(event_id, principal)
        note = _note(note)
        deadline_text = None if deadline in (None, "") else self._future(deadline)
        with self._open_item_or_409(event, "remind") as (db, item, now):
            if _repeats_last_reminder(db, item, principal.name, note, deadline_text, now):
                return item
            if deadline_text is not None:
                db.execute("UPDATE supervision SET deadline = ? WHERE id = ?",
                           (deadline_text, item))
            db.execute("INSERT INTO supervision_steps (supervision_id, step, who, at, note, "
                       "deadline) VALUES (?, 'remind', ?, ?, ?, ?)",
                       (item, principal.name, now, note, deadline_text))
        self._audit(principal, address, step="remind", id=item, event=event["event_id"],
                    deadline=deadline_text)
        return item

    def answer(self, event_id, principal: Principal, note: str, address: str = "") -> int:
        """Record the department's answer (答复) to the open 督办 of an event, closing it;
        its id. The answer needs a note: what was done."""
        event = self._event_in_reach(event_id, principal)
        note = _note(note)
        if not note:
            raise SupervisionError("an answer needs a note: what the department did", 400,
                                   "answer_note")
        with self._open_item_or_409(event, "answer") as (db, item, now):
            db.execute("UPDATE supervision SET answered_by = ?, answered_at = ?, answer = ? "
                       "WHERE id = ?", (principal.name, now, note, item))
            db.execute("INSERT INTO supervision_steps (supervision_id, step, who, at, note) "
                       "VALUES (?, 'answer', ?, ?, ?)", (item, principal.name, now, note))
        self._audit(principal, address, step="answer", id=item, event=event["event_id"])
        return item

    # --- reading ---

    def event(self, event_id) -> dict | None:
        """The store's facts of an event (``EventBook.event_brief``), None if unknown."""
        return self._events().event_brief(_event_id(event_id))

    def history(self, event_id) -> list[dict]:
        """Every 督办 of an event, oldest first, each with its steps (``steps``: step, who,
        at, note, deadline) and ``overdue`` (open past its deadline)."""
        event_id = _event_id(event_id)
        items = self._items("WHERE s.event_id = ?", [event_id], "s.id")
        steps = self._db().execute(
            "SELECT supervision_id, step, who, at, note, deadline FROM supervision_steps "
            "WHERE supervision_id IN (SELECT id FROM supervision WHERE event_id = ?) "
            "ORDER BY id", (event_id,)).fetchall()
        for item in items:
            item["steps"] = [Step(r["step"], r["who"], r["at"], r["note"], r["deadline"])
                             for r in steps if r["supervision_id"] == item["id"]]
        return items

    def open_items(self, districts=None) -> list[dict]:
        """The open 督办 (of ``districts``, or all), overdue first, then by deadline: rows of
        ITEM_COLUMNS (``overdue``: past the deadline now; ``department_code`` holds it)."""
        where, params = "WHERE s.answered_at IS NULL", []
        if districts:
            codes = sorted(districts)
            where += f" AND s.district_code IN ({', '.join('?' * len(codes))})"
            params += codes
        items = self._items(where, params, "s.deadline, s.id")
        return sorted(items, key=lambda item: not item["overdue"])

    def under_supervision(self, event_ids) -> dict[int, dict]:
        """Of these events, those with an open 督办: event id -> its item (for marking
        rows in lists)."""
        ids = sorted({_event_id(e) for e in event_ids})
        if not ids:
            return {}
        items = self._items(f"WHERE s.answered_at IS NULL AND s.event_id IN "
                            f"({', '.join('?' * len(ids))})", ids, "s.id")
        return {item["event_id"]: item for item in items}

    def items(self, issued_from: str, issued_to: str, districts=None) -> list[dict]:
        """The 督办 issued in [issued_from, issued_to) (ISO dates or times), with their state
        now: for the monthly report."""
        where, params = "WHERE s.issued_at >= ? AND s.issued_at < ?", [issued_from, issued_to]
        if districts:
            codes = sorted(districts)
            where += f" AND s.district_code IN ({', '.join('?' * len(codes))})"
            params += codes
        return self._items(where, params, "s.id")

    def _items(self, where: str, params: list, order: str) -> list[dict]:
        now = self.now().isoformat()
        rows = self._db().execute(
            "SELECT s.id, s.event_id, s.district_code, s.department_code, s.issued_by, "
            "s.issued_at, s.deadline, s.note, "
            "(SELECT count(*) FROM supervision_steps t WHERE t.supervision_id = s.id AND "
            " t.step = 'remind') AS reminders, "
            "(SELECT max(at) FROM supervision_steps t WHERE t.supervision_id = s.id AND "
            " t.step = 'remind') AS last_reminded_at, "
            "s.answered_by, s.answered_at, s.answer, "
            "(s.answered_at IS NULL AND s.deadline < ?) AS overdue "
            f"FROM supervision s {where} ORDER BY {order}", [now, *params]).fetchall()
        return [dict(row) | {"overdue": bool(row["overdue"])} for row in rows]

    # --- checks ---

    def _event_in_reach(self, event_id, principal: Principal) -> dict:
        if not principal.may(SUPERVISE):
            raise SupervisionError(f"your role ({principal.role}) may not issue, remind or "
                                   "answer a 督办", 403, "role", role=principal.role)
        number = _event_id(event_id)
        event = self._events().event_brief(number)
        if event is None:
            raise SupervisionError(f"no event {number}", 404, "no_event", event=number)
        if principal.districts and event["district_code"] not in principal.districts:
            raise SupervisionError(f"event {number} is outside your districts", 403,
                                   "outside", event=number)
        return event

    def _known_department(self, department) -> str:
        codes = set(self._events().departments()["code"])
        code = str(department or "").strip()
        if code not in codes:
            raise SupervisionError(f"unknown department {code!r}: one of "
                                   f"{', '.join(sorted(codes))}", 400, "department",
                                   department=code)
        return code

    def _future(self, deadline) -> str:
        """A deadline as ISO text, checked to lie ahead (within MOST_DAYS_AHEAD)."""
        when = _deadline(deadline)
        now = self.now()
        if when <= now:
            raise SupervisionError(f"the deadline {when:%Y-%m-%d %H:%M} is past (now "
                                   f"{now:%Y-%m-%d %H:%M})", 400, "deadline_past",
                                   deadline=f"{when:%Y-%m-%d %H:%M}")
        if when > now + dt.timedelta(days=MOST_DAYS_AHEAD):
            raise SupervisionError(f"the deadline {when:%Y-%m-%d} is more than "
                                   f"{MOST_DAYS_AHEAD} days ahead", 400, "deadline_far",
                                   days=MOST_DAYS_AHEAD)
        return when.isoformat()

    @contextmanager
    def _open_item_or_409(self, event: dict,
                          step: str) -> Iterator[tuple[sqlite3.Connection, int, str]]:
        """A step on the open 督办 of ``event`` (remind, answer) in one transaction: yields the
        connection, the 督办's id and now (ISO text), commits when the block ends and rolls
        back if it raises. An event with no open 督办 is refused (409) and nothing written."""
        with write_transaction(self._db()) as db:
            item = self._open_id(db, event["event_id"])
            if item is None:
                hint = ": issue one" if step == "remind" else ""
                raise SupervisionError(
                    f"event {event['event_id']} has no open 督办 to {step}{hint}", 409,
                    "none_open", event=event["event_id"])
            yield db, item, self.now().isoformat()

    @staticmethod
    def _open_id(db: sqlite3.Connection, event_id: int) -> int | None:
        row = db.execute("SELECT id FROM supervision WHERE event_id = ? AND answered_at IS "
                         "NULL", (event_id,)).fetchone()
        return None if row is None else int(row[0])

    def _audit(self, principal: Principal, address: str, **fields) -> None:
        self._access.audit(principal.name, "supervision", what(**fields), address)


def _event_id(value) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise SupervisionError(f"event id {value!r} is not a number", 400, "event_id",
                               event=value) from None
    if number < 0:
        raise SupervisionError(f"event id {value!r} is not a number", 400, "event_id",
                               event=value)
    return number


def _deadline(value) -> dt.datetime:
    """A datetime from a datetime, a date (the end of that day) or ISO text of either."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(23, 59, 59))
    text = str(value or "").strip()
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(23, 59, 59))
        return dt.datetime.fromisoformat(text).replace(tzinfo=None, microsecond=0)
    except ValueError:
        raise SupervisionError(f"deadline {text!r}: expected a date like 2026-12-31 or a "
                               "time like 2026-12-31T18:00", 400, "deadline_bad") from None


def _note(note) -> str:
    return _one_line(str(note or "").strip(), NOTE_CHARS)


def summary(items: list[dict], month_end: dt.datetime) -> pd.DataFrame:
    """The report's numbers from ``items`` (the 督办 issued in a month): per department,
    issued, answered on time (by the deadline), answered late, and still open at
    ``month_end`` (not answered by then), of which overdue (past the deadline then).
    Columns: department_code, issued, answered_on_time, answered_late, open, open_overdue;
    most issued first."""
    columns = ["department_code", "issued", "answered_on_time", "answered_late", "open",
               "open_overdue"]
    end = month_end.isoformat()
    rows: dict[str, dict] = {}
    for item in items:
        row = rows.setdefault(item["department_code"], dict.fromkeys(columns[1:], 0))
        row["issued"] += 1
        answered = item["answered_at"] is not None and item["answered_at"] < end
        if answered:
            row["answered_on_time" if item["answered_at"] <= item["deadline"]
                else "answered_late"] += 1
        else:
            row["open"] += 1
            row["open_overdue"] += int(item["deadline"] < end)
    frame = pd.DataFrame([{"department_code": code, **row} for code, row in rows.items()],
                         columns=columns)
    return frame.sort_values(["issued", "department_code"], ascending=[False, True],
                             ignore_index=True)


def _repeats_last_reminder(db: sqlite3.Connection, item: int, who: str, note: str,
                           deadline: str | None, now: str) -> bool:
    """The 督办's last step is this very reminder, made less than REPEAT_SECONDS ago."""
    last = db.execute("SELECT step, who, at, note, deadline FROM supervision_steps "
                      "WHERE supervision_id = ? ORDER BY id DESC LIMIT 1", (item,)).fetchone()
    return last is not None and (last["step"], last["who"], last["note"], last["deadline"]) \
        == ("remind", who, note, deadline) and dt.datetime.fromisoformat(now) \
        - dt.datetime.fromisoformat(last["at"]) < dt.timedelta(seconds=REPEAT_SECONDS)
