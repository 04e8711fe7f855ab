"""Who may see what: users, roles, district scopes, kiosk tokens and the audit log.

They live in a SQLite file beside the store (``access.sqlite``; CITYBRAIN_ACCESS_DB), not in
the DuckDB store: the workers open the store read-only and a load replaces the file whole,
while logins, exports and uploads are written by every worker at once. SQLite in WAL mode
takes small concurrent writes from several processes; DuckDB allows one writing process.

Passwords are argon2id hashes (argon2-cffi); kiosk tokens are random and stored as their
SHA-256 (they are long and random, so a slow hash buys nothing), so a stolen file yields
neither.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from data.queries import Scope
from data.store import new_file

#: The screens (layouts.frame.SCREENS and OWN_PAGES names) and actions a permission stands for.
SCREENS = ("overview", "grid", "events", "environment", "economy", "tasks", "services", "report",
           "datasets", "command", "phone")
#: role -> what it may do. A screen's name is the permission to open it (and its callbacks,
#: chart exports and downloads); the rest are actions.
ROLES: dict[str, frozenset[str]] = {
    # leaders watch the wall and the overview; "command" opens the 指挥调度 screen, "alerts"
    # acknowledges, assigns and closes alerts there (data/command.py)
    # "supervise" issues and reminds 督办 on events and records answers (data/supervision.py)
    # "phone": the phone view (/m), the overview and the alerts in one column
    "leader": frozenset({"wall", "overview", "command", "alerts", "supervise", "phone"}),
    # analysts use every analysis screen and export what they see
    "analyst": frozenset({"wall", "overview", "grid", "events", "environment", "economy", "tasks",
                          "services", "report", "export", "download", "command", "alerts",
                          "supervise", "phone"}),
    # staff write the monthly report and load the data
    "staff": frozenset({"wall", "overview", "report", "export", "datasets", "upload", "command",
                        "phone"}),
    # administrators: everything, users, the audit log and personal data
    "admin": frozenset({"wall", "overview", "grid", "events", "environment", "economy", "tasks",
                        "services", "report", "export", "download", "datasets", "upload", "users",
                        "audit", "personal_data", "command", "alerts", "supervise", "phone"}),
}
#: What a kiosk token opens: the wall, read only.
KIOSK = frozenset({"wall"})
#: Audit actions.
ACTIONS = ("login", "login_failed", "login_locked", "login_busy", "logout", "export",
           "download", "report", "upload", "kiosk", "users", "refused", "unlock", "secret",
           "tokens", "feed", "alert", "supervision", "webhook")
#: What a feed token may post (POST /api/v1/feeds/<kind>): the facts a city's systems send.
FEED_KINDS = ("events", "air", "water", "indicators", "warnings", "resources")
#: Failed sign-ins of one name from one address within LOCKOUT_MINUTES that lock the name for
#: that address for as long; LOCKOUT_FAILURES_ANY from any addresses lock it everywhere. An
#: address is limited on its own too (web/auth.py, Flask-Limiter), so it can neither guess in
#: parallel nor lock out every account.
LOCKOUT_FAILURES = 5
LOCKOUT_FAILURES_ANY = 20
LOCKOUT_MINUTES = 15
#: Password checks running at once in one process: argon2id takes 64 MiB each, so a burst of
#: sign-ins (known names or not) queues here instead of taking the server's memory.
PASSWORD_CHECKS = 2
#: How long a sign-in waits for a password check before it is told to try again.
PASSWORD_WAIT_SECONDS = 10
#: A demo city's accounts, one per role, made when a demo store is served with no users.
#: They sign in only while the store served is a demo city: loading a real city locks them.
DEMO_PASSWORD = "citybrain-demo"

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, districts TEXT NOT NULL DEFAULT '',
    clearance INTEGER NOT NULL DEFAULT 0, password TEXT NOT NULL,
    created_at TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS kiosk_tokens (
    id INTEGER PRIMARY KEY, label TEXT NOT NULL, token_sha256 TEXT NOT NULL UNIQUE,
    districts TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS feed_tokens (
    name TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL UNIQUE, feeds TEXT NOT NULL,
    created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
    what TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS login_attempts (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL, at TEXT NOT NULL,
    outcome TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS login_attempts_name ON login_attempts (name, at);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, who TEXT NOT NULL, created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL);
"""


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: ``principal`` when it succeeded; else ``reason``
    ("wrong": name or password; "locked": too many failures, until ``until``; "busy": too
    many password checks at once)."""
    principal: Principal | None
    reason: str = "ok"
    until: dt.datetime | None = None


#: The sign-in failures of a name (parameters: name, since, name) within the lock-out window
#: and after its last success: what the lock counts.
_RECENT_FAILURES = ("FROM login_attempts WHERE name = ? AND outcome != 'ok' AND at >= ? "
                    "AND at > coalesce((SELECT max(at) FROM login_attempts WHERE name = ? "
                    "AND outcome = 'ok'), '')")


class AccessError(ValueError):
    """A user, role, district or token the access file cannot take, said plainly."""


@dataclass(frozen=True)
class Principal:
    """Whoever makes a request: a user, or a wall display holding a kiosk token."""
    name: str
    role: str
    #: The districts it may see; empty: the whole city.
    districts: frozenset[str] = frozenset()
    clearance: bool = False
    kiosk_id: int | None = None
    #: One of a demo city's accounts (data.access.DEMO_PASSWORD).
    demo: bool = False

    @property
    def permissions(self) -> frozenset[str]:
        return KIOSK if self.kiosk_id is not None else ROLES[self.role]

    def may(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def sees_personal_data(self) -> bool:
        """Reporter names and phone numbers in clear (admins, or users granted
        clearance)."""
        return self.kiosk_id is None and (self.clearance or self.may("personal_data"))

    @property
    def scope(self) -> Scope:
        """What the query layer may return to it."""
        return Scope(self.districts, self.sees_personal_data)


#: Whoever has not signed in: a reader of no district (the gate refuses them before any
#: query; the public routes ask nothing a scope changes).
NOBODY = Principal("", "leader", frozenset({""}))


class Access:
    """The access file: open once per process, one connection per thread."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)
        self._hasher = PasswordHasher()
        self._checks = threading.BoundedSemaphore(PASSWORD_CHECKS)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection to the access file, for the modules that keep their own
        tables in it (data/command.py): their steps and their audit rows in one transaction."""
        return self._db()

    def _db(self) -> sqlite3.Connection:
        return thread_connection(self._local, self.path)

    def backup(self, dest: str | Path) -> None:
        """A consistent copy of the access file (users, tokens, audit, alerts, 督办) while
        the server writes it: SQLite's online backup, to a new file at ``dest``."""
        with new_file(dest) as part:
            target = sqlite3.connect(part)
            try:
                self._db().backup(target)
            finally:
                target.close()

    # --- users ---

    def add_user(self, name: str, role: str, password: str, districts=(),
                 clearance: bool = False, known_districts=None) -> None:
        _check_name(name)
        _check_role(role)
        _check_password(password)
        codes = _districts(districts, known_districts)
        try:
            self._db().execute(
                "INSERT INTO users (name, role, districts, clearance, password, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, role, codes, int(clearance), self._hasher.hash(password), _now()))
        except sqlite3.IntegrityError:
            raise AccessError(f"a user {name!r} exists already") from None

    def update_user(self, name: str, role: str | None = None, districts=None,
                    clearance: bool | None = None, password: str | None = None,
                    disabled: bool | None = None, known_districts=None) -> None:
        changes: dict[str, object] = {}
        if role is not None:
            _check_role(role)
            changes["role"] = role
        if districts is not None:
            changes["districts"] = _districts(districts, known_districts)
        if clearance is not None:
            changes["clearance"] = int(clearance)
        if disabled is not None:
            changes["disabled"] = int(disabled)
        if password is not None:
            _check_password(password)
            changes["password"] = self._hasher.hash(password)
        if not changes:
            return
        # the column names come from the fixed keys above, never from the caller
        sets = ", ".join(f"{column} = ?" for column in changes)
        done = self._db().execute(f"UPDATE users SET {sets} WHERE name = ?",
                                  (*changes.values(), name))
        if done.rowcount == 0:
            raise AccessError(f"no user {name!r}")

    def remove_user(self, name: str) -> None:
        if self._db().execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
            raise AccessError(f"no user {name!r}")

    def seed_demo_accounts(self) -> bool:
        """Make a demo city's accounts (one per role, DEMO_PASSWORD) when there are no users
        at all; True if it did."""
        if self.has_users():
            return False
        hashed = self._hasher.hash(DEMO_PASSWORD)
        with_clearance = {"admin"}
        self._db().executemany(
            "INSERT OR IGNORE INTO users (name, role, clearance, password, created_at, demo) "
            "VALUES (?, ?, ?, ?, ?, 1)",
            [(f"demo-{role}", role, int(role in with_clearance), hashed, _now())
             for role in ROLES])
        return True

    def demo_accounts(self) -> list[dict]:
        return [dict(row) for row in self._db().execute(
            "SELECT name, role FROM users WHERE demo AND NOT disabled ORDER BY name")]

    def users(self) -> list[dict]:
        return [dict(row) | {"clearance": bool(row["clearance"]),
                             "disabled": bool(row["disabled"])}
                for row in self._db().execute(
                    "SELECT name, role, districts, clearance, disabled, demo, created_at FROM users "
                    "ORDER BY name")]

    def has_users(self) -> bool:
        return self._db().execute("SELECT count(*) FROM users").fetchall()[0][0] > 0

    def user(self, name: str) -> Principal | None:
        """The enabled user of that name, as the app sees it (None: no such user now)."""
        rows = self._db().execute(
            "SELECT name, role, districts, clearance, demo FROM users WHERE name = ? AND NOT "
            "disabled", (name,)).fetchall()
        if not rows or rows[0]["role"] not in ROLES:
            return None
        row = rows[0]
        return Principal(row["name"], row["role"], _codes(row["districts"]),
                         bool(row["clearance"]), demo=bool(row["demo"]))

    def authenticate(self, name: str, password: str, address: str = "",
                     demo_allowed: bool = False, trusted: bool = False) -> Principal | None:
        """The user if the password is right and the name is not locked (``sign_in``)."""
        return self.sign_in(name, password, address, demo_allowed, trusted).principal

    def sign_in(self, name: str, password: str, address: str = "", demo_allowed: bool = False,
                trusted: bool = False) -> SignIn:
        """Check a name and password; every attempt is audited.

        The lock and the failure count are one step: the attempt is written (as a failure)
        in the same transaction that counts the earlier ones, before the password is checked,
        so parallel guesses cannot pass the count together. A name with LOCKOUT_FAILURES
        failures from this address, or LOCKOUT_FAILURES_ANY from anywhere, in LOCKOUT_MINUTES
        since its last success is refused until the oldest of them is that old, even with the
        right password. ``trusted`` (an administrator's network) skips the lock. Unknown
        names count and lock alike, so the answer never tells which names exist.
        """
        name = _one_line(name, 64)
        db = self._db()
        since = _now(dt.timedelta(minutes=-LOCKOUT_MINUTES))
        with write_transaction(db):
            if not trusted:
                here, anywhere, oldest = db.execute(
                    "SELECT count(*) FILTER (WHERE address = ?), count(*), min(at) "
                    + _RECENT_FAILURES, (address[:64], name, since, name)).fetchone()
                if here >= LOCKOUT_FAILURES or anywhere >= LOCKOUT_FAILURES_ANY:
                    # not a failure of its own: the lock ends LOCKOUT_MINUTES after the
                    # failures that made it, however often someone tries meanwhile
                    self.audit(name, "login_locked", "", address)
                    until = dt.datetime.fromisoformat(oldest) + dt.timedelta(
                        minutes=LOCKOUT_MINUTES)
                    return SignIn(None, "locked", until)
            attempt = db.execute(
                "INSERT INTO login_attempts (name, address, at, outcome) VALUES (?, ?, ?, "
                "'pending')", (name, address[:64], _now())).lastrowid
        if not self._checks.acquire(timeout=PASSWORD_WAIT_SECONDS):
            db.execute("DELETE FROM login_attempts WHERE id = ?", (attempt,))
            self.audit(name, "login_busy", "", address)
            return SignIn(None, "busy")
        try:
            rows = db.execute(
                "SELECT password FROM users WHERE name = ? AND NOT disabled"
                + ("" if demo_allowed else " AND NOT demo"), (name,)).fetchall()
            try:
                # a missing user is checked against a dummy hash: the answer takes as long
                ok = self._hasher.verify(rows[0]["password"] if rows else _DUMMY_HASH,
                                         password)
            except (VerificationError, InvalidHashError):
                ok = False
        finally:
            self._checks.release()
        ok = ok and bool(rows)
        db.execute("UPDATE login_attempts SET outcome = ? WHERE id = ?",
                   ("ok" if ok else "failed", attempt))
        db.execute("DELETE FROM login_attempts WHERE at < ?",
                   (_now(dt.timedelta(days=-1)),))
        if not ok:
            self.audit(name, "login_failed", "", address)
            return SignIn(None, "wrong")
        if self._hasher.check_needs_rehash(rows[0]["password"]):
            self.update_user(name, password=password)
        self.audit(name, "login", "", address)
        return SignIn(self.user(name))

    def locked(self, name: str, address: str | None = None) -> bool:
        """Whether ``name`` is locked now (for ``address``, or anywhere)."""
        since = _now(dt.timedelta(minutes=-LOCKOUT_MINUTES))
        by_address = dict(self._db().execute(
            "SELECT address, count(*) " + _RECENT_FAILURES + " GROUP BY address",
            (name, since, name)).fetchall())
        # from ``address``; with none, from any one address (locked somewhere)
        here = (by_address.get(address, 0) if address is not None
                else max(by_address.values(), default=0))
        return here >= LOCKOUT_FAILURES or sum(by_address.values()) >= LOCKOUT_FAILURES_ANY

    def unlock(self, name: str) -> int:
        """Forget a name's failed sign-ins (the recovery command); how many were forgotten."""
        return self._db().execute("DELETE FROM login_attempts WHERE name = ? AND outcome != "
                                  "'ok'", (name,)).rowcount

    # --- kiosk tokens ---

    def add_kiosk(self, label: str, districts=(), known_districts=None) -> tuple[int, str]:
        """A new kiosk token for a wall display: (id, token). The token is shown once."""
        if not label.strip():
            raise AccessError("a kiosk token needs a label (where the display is)")
        token = secrets.token_urlsafe(24)
        cur = self._db().execute(
            "INSERT INTO kiosk_tokens (label, token_sha256, districts, created_at) "
            "VALUES (?, ?, ?, ?)",
            (label.strip(), _sha256(token), _districts(districts, known_districts), _now()))
        return cur.lastrowid, token

    def revoke_kiosk(self, token_id: int) -> None:
        done = self._db().execute(
            "UPDATE kiosk_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (_now(), token_id))
        if done.rowcount == 0:
            raise AccessError(f"no active kiosk token {token_id}")

    def kiosks(self) -> list[dict]:
        return [dict(row) for row in self._db().execute(
            "SELECT id, label, districts, created_at, revoked_at FROM kiosk_tokens "
            "ORDER BY id")]

    def kiosk(self, token: str | None = None, token_id: int | None = None
              ) -> Principal | None:
        """The display holding an active token (by the token itself, or by its id once the
        session remembers it); None once it is revoked."""
        if token is not None:
            where, value = "token_sha256 = ?", _sha256(token)
        elif token_id is not None:
            where, value = "id = ?", token_id
        else:
            return None
        rows = self._db().execute(
            f"SELECT id, label, districts FROM kiosk_tokens WHERE {where} AND revoked_at IS "
            "NULL", (value,)).fetchall()
        if not rows:
            return None
        row = rows[0]
        return Principal(f"kiosk:{row['label']}", "leader", _codes(row["districts"]),
                         kiosk_id=row["id"])

    # --- feed tokens: a city's systems posting data (web/feeds.py) ---

    def add_feed_token(self, name: str, feeds) -> str:
        """A new token for the feed system ``name`` covering ``feeds`` (FEED_KINDS); shown
        once, kept as its hash. A revoked name may be given a new token."""
        _check_name(name)
        kinds = sorted({f.strip() for f in (feeds.split(",") if isinstance(feeds, str)
                                            else feeds) if f.strip()})
        unknown = [k for k in kinds if k not in FEED_KINDS]
        if unknown or not kinds:
            raise AccessError(f"feeds {', '.join(unknown) or '(none)'}: expected some of "
                              f"{', '.join(FEED_KINDS)}")
        token = "cbf_" + secrets.token_urlsafe(32)
        db = self._db()
        with db:
            active = db.execute("SELECT 1 FROM feed_tokens WHERE name = ? AND revoked_at IS "
                                "NULL", (name,)).fetchone()
            if active:
                raise AccessError(f"feed {name!r} has a token: revoke it first")
            db.execute("DELETE FROM feed_tokens WHERE name = ?", (name,))
            db.execute("INSERT INTO feed_tokens (name, token_sha256, feeds, created_at) "
                       "VALUES (?, ?, ?, ?)", (name, _sha256(token), ",".join(kinds), _now()))
        return token

    def revoke_feed_token(self, name: str) -> None:
        done = self._db().execute(
            "UPDATE feed_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
            (_now(), name))
        if done.rowcount == 0:
            raise AccessError(f"no active feed token {name!r}")

    def feed_tokens(self) -> list[dict]:
        return [dict(row) for row in self._db().execute(
            "SELECT name, feeds, created_at, revoked_at FROM feed_tokens ORDER BY name")]

    def feed_client(self, token: str) -> tuple[str, frozenset[str]] | None:
        """The feed system holding an active ``token``: (name, the feeds it covers)."""
        row = self._db().execute(
            "SELECT name, feeds FROM feed_tokens WHERE token_sha256 = ? AND revoked_at IS "
            "NULL", (_sha256(token),)).fetchone()
        return (row["name"], frozenset(row["feeds"].split(","))) if row else None

    # --- audit ---

    def audit(self, who: str, action: str, what: str = "", address: str = "") -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        # ``who`` may be whatever someone typed into the sign-in form: one short line
        self._db().execute("INSERT INTO audit (at, who, action, what, address) "
                           "VALUES (?, ?, ?, ?, ?)", (_now(), _one_line(who, 64), action,
                                                      _one_line(what, 2000), address[:64]))

    def audit_log(self, since: str | None = None, who: str | None = None,
                  action: str | None = None, limit: int = 1000) -> list[dict]:
        """The newest entries first."""
        rows = self._db().execute(
            "SELECT at, who, action, what, address FROM audit WHERE at >= ? "
            "AND (? IS NULL OR who = ?) AND (? IS NULL OR action = ?) "
            "ORDER BY id DESC LIMIT ?",
            (since or "", who, who, action, action, limit))
        return [dict(row) for row in rows]

    # --- sessions ---

    def start_session(self, who: str, hours: float) -> str:
        """A new sign-in's id, good for ``hours`` unless ended (a signed cookie alone cannot
        be taken back: the app checks this row on every request)."""
        session_id = secrets.token_urlsafe(18)
        self._db().execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                           (session_id, who, _now(), _now(dt.timedelta(hours=hours))))
        self._db().execute("DELETE FROM sessions WHERE expires_at < ?", (_now(),))
        return session_id

    def session_open(self, session_id: str) -> bool:
        return bool(self._db().execute(
            "SELECT 1 FROM sessions WHERE id = ? AND expires_at > ?",
            (session_id, _now())).fetchall())

    def end_session(self, session_id: str) -> None:
        self._db().execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def end_sessions_of(self, who: str) -> None:
        """Sign a user (or a kiosk display) out everywhere."""
        self._db().execute("DELETE FROM sessions WHERE who = ?", (who,))

    # --- the session key ---

    def secret_key(self) -> str:
        """The key that signs session cookies, made once and shared by every worker that
        opens this file (CITYBRAIN_SECRET_KEY overrides it, for several machines)."""
        db = self._db()
        # asked before every request: a read, and a write only the first time
        row = db.execute("SELECT value FROM secrets WHERE name = 'session'").fetchone()
        if row is not None:
            return row[0]
        db.execute("INSERT OR IGNORE INTO secrets VALUES ('session', ?)",
                   (secrets.token_hex(32),))
        return db.execute("SELECT value FROM secrets WHERE name = 'session'"
                          ).fetchall()[0][0]


    def rotate_secret_key(self) -> None:
        """A new session key, and every sign-in ended: cookies signed with the old key (or
        stolen with it) are worthless from the next request of every worker on."""
        with write_transaction(self._db()) as db:
            db.execute("INSERT OR REPLACE INTO secrets VALUES ('session', ?)",
                       (secrets.token_hex(32),))
            db.execute("DELETE FROM sessions")


@contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write to the access file: BEGIN IMMEDIATE takes the write lock before the first
    read, so two workers never both read a row and then both write it; COMMIT when the block
    ends (a ``return`` in it too), ROLLBACK if it or the COMMIT raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        # a failed COMMIT too: the thread's connection must not stay inside the transaction
        # (its every later write would fail), nor a failing ROLLBACK hide the first error
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def thread_connection(local: threading.local, path) -> sqlite3.Connection:
    """This thread's connection to the access file (opened once per thread, in WAL mode, rows
    by name): SQLite connections are not shared between threads."""
    db = getattr(local, "db", None)
    if db is None:
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        db.execute("PRAGMA busy_timeout=30000")
        _switch_to_wal(db)
        db.row_factory = sqlite3.Row
        local.db = db
    return db


def _switch_to_wal(db: sqlite3.Connection, seconds: float = 30) -> None:
    """Put the file in WAL mode. Several gunicorn workers open a new file at the same moment:
    the switch needs the file to itself and SQLite answers "database is locked" at once,
    without waiting as other statements do, so it is tried again until the others are done
    (once a file is in WAL mode it stays so and the switch is a no-op)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def what(**fields) -> str:
    """An audit entry's details as compact JSON."""
    return json.dumps({k: v for k, v in fields.items() if v not in (None, "", ())},
                      ensure_ascii=False, separators=(",", ":"), default=str)


def _one_line(text: str, most: int) -> str:
    """Printable, on one line, at most ``most`` characters (control characters shown as
    their escapes)."""
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text)[:most])
    return text[:most]


def _now(delta: dt.timedelta = dt.timedelta()) -> str:
    return (dt.datetime.now(dt.timezone.utc) + delta).isoformat(timespec="milliseconds")


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _codes(text: str) -> frozenset[str]:
    return frozenset(code for code in text.split(",") if code)


def _districts(districts, known) -> str:
    codes = sorted({code.strip() for code in (districts.split(",") if isinstance(
        districts, str) else districts) if code.strip()})
    if known is not None:
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise AccessError(f"unknown district code(s) {', '.join(unknown)}: the store has "
                              f"{', '.join(sorted(known))}")
    return ",".join(codes)


def _check_name(name: str) -> None:
    if not _NAME.match(name or ""):
        raise AccessError(f"user name {name!r}: letters, digits and _ . @ - only, 1-64 long")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccessError(f"unknown role {role!r}: one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password or "") < 10:
        raise AccessError("a password needs at least 10 characters")


_DUMMY_HASH = PasswordHasher().hash("not a password of anyone's")
