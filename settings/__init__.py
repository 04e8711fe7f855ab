"""Settings, read from the environment once and passed explicitly.

Every value has a default that runs the embedded demo city; a bad value fails at start-up with
the variable's name, never later inside a callback.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import ipaddress
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The installed package's version (pyproject.toml), for `citybrain --version` and /healthz.
try:
    VERSION = importlib.metadata.version("citybrain")
except importlib.metadata.PackageNotFoundError:       # run from a checkout never installed
    VERSION = "unknown"
LANGS = ("zh", "en")
#: The operations centre's time zone when CITYBRAIN_TZ names none: every "now" is its.
DEFAULT_TZ = "Asia/Shanghai"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: The wall's scenes (callbacks/wall.py builds them); a playlist names some of them.
WALL_SCENES = ("overview", "economy", "environment", "grid", "services", "tasks", "command",
               "emergency")
#: The playlist the wall plays when CITYBRAIN_WALL_PLAYLIST names no other file.
DEFAULT_PLAYLIST = Path(__file__).resolve().parents[1] / "layouts" / "wall_playlist.toml"
#: The alert rules (data/alerts.py computes them), in the order the summary counts them;
#: named here because settings name them too (CITYBRAIN_ESCALATE_MINUTES).
ALERT_RULES = ("threshold", "aqi", "surge", "warning")


class SettingsError(ValueError):
    """A setting has a value the app cannot use."""


def local_zone(name: str | None = None) -> ZoneInfo:
    """The centre's time zone: ``name``, else CITYBRAIN_TZ, else Asia/Shanghai."""
    name = name or os.environ.get("CITYBRAIN_TZ") or DEFAULT_TZ
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"CITYBRAIN_TZ={name!r} is not a time zone (for example "
                            f"{DEFAULT_TZ})") from None


def run_dir() -> Path:
    """The folder of the store service's socket (data/service.py): CITYBRAIN_RUN_DIR (under
    systemd, the unit's RuntimeDirectory, /run/citybrain, which every process of the
    service's user finds whatever its private /tmp), else ``$TMPDIR/citybrain-<uid>``."""
    return Path(os.environ.get("CITYBRAIN_RUN_DIR")
                or Path(tempfile.gettempdir()) / f"citybrain-{os.getuid()}")


def local_now(zone: str | None = None) -> dt.datetime:
    """Now on the centre's clock, whatever the machine's own zone, without a zone attached:
    the store's times are the centre's local times (Beijing time for a Chinese city)."""
    return dt.datetime.now(local_zone(zone)).replace(tzinfo=None)


def parse_local_time(text, zone: str | None = None) -> dt.datetime | None:
    """A time as a form gives it (2026-12-05 18:00), on the centre's clock unless it names
    its offset; None if it is not one."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=local_zone(zone))


@dataclass(frozen=True)
class Settings:
    #: The DuckDB store the app serves.
    db_path: Path = Path("var/citybrain.duckdb")
    #: Build the demo city into ``db_path`` when it is missing.
    build_demo_if_missing: bool = True
    demo_events: int = 1_000_000
    demo_seed: int = 2260
    #: Pin the demo city's as-of time (ISO); None means this hour.
    demo_now: dt.datetime | None = None
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False
    default_lang: str = "zh"
    #: flask-caching backend: "simple" (per process), "null" (off) or "redis".
    cache_type: str = "simple"
    cache_timeout: int = 600
    redis_url: str | None = None
    #: The wall's scenes in order with their seconds on screen (a playlist file, see
    #: load_playlist); a wall URL may ask for others.
    wall_playlist: tuple[tuple[str, int], ...] = field(
        default_factory=lambda: load_playlist(DEFAULT_PLAYLIST))
    #: How often the wall asks the server for changed figures and alerts, in seconds.
    wall_refresh_seconds: int = 60
    #: The largest file the data screen takes, in MB (bigger ones: `citybrain load`).
    upload_max_mb: int = 50
    #: An upload is loaded in a child process killed past this resident memory (MB) or time
    #: (s): a compressed file that unpacks to gigabytes cannot take the server down
    #: (data/load/isolated.py, docs/SECURITY.md).
    load_memory_mb: int = 2048
    load_seconds: int = 300
    #: Sign-in with roles and district scopes (web/auth.py); off: everyone may do everything.
    auth: bool = True
    #: Users, kiosk tokens and the audit log (data/access.py); None: beside the store.
    access_path: Path | None = None
    #: Signs session cookies; None: one kept in the access file (several machines behind a
    #: load balancer share one: docs/DEPLOY.md).
    secret_key: str | None = None
    #: Reverse proxies in front of the app that set X-Forwarded-For/-Proto (the audit log's
    #: addresses, secure cookies); 0: the app faces its clients.
    proxies: int = 0
    #: Networks an administrator may always sign in from, however many wrong passwords were
    #: tried from elsewhere (the per-name lock-out and the per-address limit do not apply).
    admin_networks: tuple = ()
    #: Sign-in attempts one address may make (Flask-Limiter's notation).
    login_rate: str = "10 per minute; 60 per hour"
    #: Who may show the wall in a frame (a CSP frame-ancestors list); every other page: none.
    wall_frame_ancestors: str = "'self'"
    #: The server's log: one JSON object a line (for a log collector) instead of text.
    log_json: bool = False
    #: The least severe level logged (DEBUG, INFO, WARNING, ERROR).
    log_level: str = "INFO"
    #: Dash callbacks one server process runs at once; the others wait (web/limits.py
    #: ``gate_view``). 0: as many as it has threads.
    callback_slots: int = 3
    #: The largest batch the feed API takes (POST /api/v1/feeds/<kind>): MB and rows.
    feed_max_mb: int = 10
    feed_max_rows: int = 50_000
    #: Batches one feed token may send (Flask-Limiter's notation); past it: 429.
    feed_rate: str = "600 per minute"
    #: The centre's time zone (IANA name): "now", as-of, freshness and the screens' clock.
    time_zone: str = DEFAULT_TZ
    #: How loads and feeds reach the served store. "in-place": the server process owns the
    #: file and writes each batch into it (one server process, threads for concurrency);
    #: "copy": several server processes read the file, and every load writes a copy and
    #: renames it over the file; "service": a process of its own owns the file, writes the
    #: batches and answers several server processes' queries (data/service.py;
    #: docs/ARCHITECTURE.md, Loads).
    store_writes: str = "in-place"
    #: How many queries a store service runs at once beside its writes.
    service_queries: int = 3
    #: A folder the server loads files from as systems write them (data/load/dropfolder.py,
    #: docs/FEEDS.md): a thread of its own looks into it every ``drop_interval`` seconds and
    #: writes each file into the store as a feed batch. None: no drop folder.
    drop_dir: Path | None = None
    drop_interval: int = 5
    #: Who issues the monthly report, on its cover (CITYBRAIN_REPORT_ISSUER); None: the
    #: city's operations centre (赣州市城市运行管理中心).
    report_issuer: str | None = None
    #: The address staff open the app at (CITYBRAIN_BASE_URL, http(s)://host[:port][/prefix]):
    #: the link back in a notification. Needed once a webhook is set.
    base_url: str | None = None
    #: Outgoing alert webhooks (data/notify.py): (rule, url, format) rows, rule "*" the
    #: default for every rule without its own; empty: none. From CITYBRAIN_ALERT_WEBHOOK (one
    #: URL for every rule) or the file CITYBRAIN_ALERT_WEBHOOKS names (load_webhooks).
    alert_webhooks: tuple[tuple[str, str, str], ...] = ()
    #: Where ``alert_webhooks`` came from, for the messages that name a bad rule.
    alert_webhooks_from: str = ""
    #: A notification is tried this many times in all; the first retry waits
    #: ``webhook_backoff`` seconds, each next one twice as long, at most
    #: ``webhook_backoff_max``; one POST waits ``webhook_timeout`` seconds for its answer.
    webhook_tries: int = 10
    webhook_backoff: float = 10.0
    webhook_backoff_max: float = 900.0
    webhook_timeout: float = 10.0
    #: Minutes an open alert may stand unacknowledged before it escalates, per rule, over
    #: data/command.ESCALATE_MINUTES (CITYBRAIN_ESCALATE_MINUTES: threshold=30,aqi=15).
    escalate_minutes: tuple[tuple[str, int], ...] = ()

    @property
    def access_file(self) -> Path:
        return self.access_path or Path(self.db_path).parent / "access.sqlite"

    def with_(self, **changes) -> "Settings":
        """Return a copy with some values changed (tests and the CLI use it)."""
        return replace(self, **changes)

    @property
    def cache_config(self) -> dict:
        """The flask-caching configuration for this backend."""
        if self.cache_type == "redis":
            # shared by the workers; a local cache answers while Redis does not (data/cache.py)
            return {"CACHE_TYPE": "data.cache.RedisWithLocalFallback",
                    "CACHE_REDIS_URL": self.redis_url,
                    "CACHE_DEFAULT_TIMEOUT": self.cache_timeout, "CACHE_THRESHOLD": 5000,
                    "CACHE_KEY_PREFIX": "citybrain:"}
        kind = {"simple": "SimpleCache", "null": "NullCache"}[self.cache_type]
        return {"CACHE_TYPE": kind, "CACHE_DEFAULT_TIMEOUT": self.cache_timeout,
                "CACHE_THRESHOLD": 5000}


def _int(env, name: str, default: int, low: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if value < low:
        raise SettingsError(f"{name}={raw!r} must be at least {low}")
    return value


def _log_level(env, name: str) -> str:
    level = (env.get(name) or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"{name}={env[name]!r}: expected one of {', '.join(LOG_LEVELS)}")
    return level


def _bool(env, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def _networks(env, name: str) -> tuple:
    """Comma-separated networks (10.1.0.0/16, 192.168.3.7) as ipaddress networks."""
    text = env.get(name, "").strip()
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(f"{name}: {part!r} is not a network (10.1.0.0/16) or "
                                "address") from None
    return tuple(out)


def _rate(env, name: str, default: str) -> str:
    text = env.get(name, default).strip()
    from limits import parse_many
    try:
        parse_many(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r}: expected limits such as '10 per minute; 60 "
                            "per hour'") from None
    return text


def _frame_ancestors(env, name: str) -> str:
    text = env.get(name, "'self'").strip()
    if not re.fullmatch(r"('self'|'none'|https?://[\w.\-:]+|\*)( ('self'|https?://[\w.\-:]+))*",
                        text):
        raise SettingsError(f"{name}={text!r}: expected 'self', 'none' or origins such as "
                            "https://portal.example.gov.cn separated by spaces")
    return text


def _escalate_minutes(env, name: str) -> tuple[tuple[str, int], ...]:
    """Comma-separated rule=minutes (threshold=30,aqi=15): each rule one of ALERT_RULES,
    named once, its minutes a whole number above 0."""
    text = (env.get(name) or "").strip()
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        rule, equals, minutes = (piece.strip() for piece in part.partition("="))
        if not equals or rule not in ALERT_RULES:
            raise SettingsError(f"{name}: {part!r} is not rule=minutes with a rule of "
                                f"{', '.join(ALERT_RULES)}")
        if rule in out:
            raise SettingsError(f"{name}: {rule} is named twice")
        if not re.fullmatch(r"\d+", minutes) or int(minutes) < 1:
            raise SettingsError(f"{name}: {part!r}: the minutes must be a whole number above 0")
        out[rule] = int(minutes)
    return tuple(out.items())


def load_playlist(path: str | os.PathLike) -> tuple[tuple[str, int], ...]:
    """Return the (scene, seconds) pairs of a playlist file (TOML: ``[[scene]]`` tables with
    ``name`` and ``seconds``); a bad file fails with its path and the entry at fault."""
    path = Path(path)
    data = _read_toml(path, f"wall playlist {path}")
    entries = data.get("scene")
    if not isinstance(entries, list) or not entries:
        raise SettingsError(f"wall playlist {path}: expected [[scene]] entries with name and "
                            "seconds")
    out = []
    for number, entry in enumerate(entries, 1):
        name = entry.get("name") if isinstance(entry, dict) else None
        seconds = entry.get("seconds") if isinstance(entry, dict) else None
        if name not in WALL_SCENES:
            raise SettingsError(f"wall playlist {path}, scene {number}: name {name!r} is not "
                                f"one of {', '.join(WALL_SCENES)}")
        if not isinstance(seconds, int) or isinstance(seconds, bool) or not 1 <= seconds <= 3600:
            raise SettingsError(f"wall playlist {path}, scene {number} ({name}): seconds "
                                f"{seconds!r} must be a whole number from 1 to 3600")
        out.append((name, seconds))
    return tuple(out)


def _read_toml(path: Path, name: str) -> dict:
    """A settings file's TOML; one that cannot be read or is not TOML fails with ``name``
    (what the file is, with its path)."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise SettingsError(f"{name}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{name}: not TOML ({exc})") from None


def from_env(env: dict | None = None) -> Settings:
    """Return the settings from environment variables (``CITYBRAIN_*``, ``REDIS_URL``)."""
    env = dict(os.environ if env is None else env)
    now_raw = env.get("CITYBRAIN_DEMO_NOW")
    try:
        demo_now = dt.datetime.fromisoformat(now_raw) if now_raw else None
    except ValueError:
        raise SettingsError(f"CITYBRAIN_DEMO_NOW={now_raw!r} is not an ISO date-time") from None
    lang = env.get("CITYBRAIN_LANG", "zh")
    if lang not in LANGS:
        raise SettingsError(f"CITYBRAIN_LANG={lang!r}: expected one of {LANGS}")
    redis_url = env.get("REDIS_URL") or None
    cache_type = env.get("CITYBRAIN_CACHE", "redis" if redis_url else "simple")
    if cache_type not in ("simple", "null", "redis"):
        raise SettingsError(f"CITYBRAIN_CACHE={cache_type!r}: expected simple, null or redis")
    if cache_type == "redis" and not redis_url:
        raise SettingsError("CITYBRAIN_CACHE=redis needs REDIS_URL")
    data_dir = Path(env.get("CITYBRAIN_DATA_DIR", "var"))
    return Settings(
        db_path=Path(env.get("CITYBRAIN_DB", data_dir / "citybrain.duckdb")),
        build_demo_if_missing=_bool(env, "CITYBRAIN_BUILD_DEMO", True),
        demo_events=_int(env, "CITYBRAIN_DEMO_EVENTS", 1_000_000, low=1000),
        demo_seed=_int(env, "CITYBRAIN_DEMO_SEED", 2260),
        demo_now=demo_now,
        host=env.get("CITYBRAIN_HOST", "127.0.0.1"),
        port=_int(env, "CITYBRAIN_PORT", 8050, low=1),
        debug=_bool(env, "CITYBRAIN_DEBUG", False),
        default_lang=lang,
        cache_type=cache_type,
        cache_timeout=_int(env, "CITYBRAIN_CACHE_TIMEOUT", 600),
        redis_url=redis_url,
        wall_playlist=load_playlist(env.get("CITYBRAIN_WALL_PLAYLIST") or DEFAULT_PLAYLIST),
        # a refresh takes up to a second or two: a shorter interval would cancel each one
        wall_refresh_seconds=_int(env, "CITYBRAIN_WALL_REFRESH", 60, low=10),
        upload_max_mb=_int(env, "CITYBRAIN_UPLOAD_MAX_MB", 50, low=1),
        auth=_bool(env, "CITYBRAIN_AUTH", True),
        access_path=Path(env["CITYBRAIN_ACCESS_DB"]) if env.get("CITYBRAIN_ACCESS_DB")
        else None,
        secret_key=env.get("CITYBRAIN_SECRET_KEY") or None,
        proxies=_int(env, "CITYBRAIN_PROXIES", 0),
        load_memory_mb=_int(env, "CITYBRAIN_LOAD_MEMORY_MB", 2048, low=256),
        load_seconds=_int(env, "CITYBRAIN_LOAD_SECONDS", 300, low=10),
        admin_networks=_networks(env, "CITYBRAIN_ADMIN_NETWORKS"),
        login_rate=_rate(env, "CITYBRAIN_LOGIN_RATE", "10 per minute; 60 per hour"),
        wall_frame_ancestors=_frame_ancestors(env, "CITYBRAIN_WALL_FRAME_ANCESTORS"),
        log_json=_bool(env, "CITYBRAIN_LOG_JSON", False),
        log_level=_log_level(env, "CITYBRAIN_LOG_LEVEL"),
        time_zone=local_zone(env.get("CITYBRAIN_TZ") or DEFAULT_TZ).key,
        callback_slots=_int(env, "CITYBRAIN_CALLBACK_SLOTS", 3),
        service_queries=_int(env, "CITYBRAIN_SERVICE_QUERIES", 3, low=1),
        feed_max_mb=_int(env, "CITYBRAIN_FEED_MAX_MB", 10, low=1),
        feed_max_rows=_int(env, "CITYBRAIN_FEED_MAX_ROWS", 50_000, low=1),
        feed_rate=_rate(env, "CITYBRAIN_FEED_RATE", "600 per minute"),
        store_writes=_choice(env, "CITYBRAIN_STORE_WRITES", STORE_WRITES),
        drop_dir=Path(env["CITYBRAIN_DROP_DIR"]) if env.get("CITYBRAIN_DROP_DIR") else None,
        drop_interval=_int(env, "CITYBRAIN_DROP_INTERVAL", 5, low=1),
        report_issuer=(env.get("CITYBRAIN_REPORT_ISSUER") or "").strip() or None,
        escalate_minutes=_escalate_minutes(env, "CITYBRAIN_ESCALATE_MINUTES"),
        **_webhook_settings(env),
    )


#: The ways a store is written (Settings.store_writes), the default first.
STORE_WRITES = ("in-place", "copy", "service")


def _choice(env, name: str, choices: tuple[str, ...]) -> str:
    """The environment variable ``name``: one of ``choices``, the first if it is not set."""
    return _one_of(env.get(name) or choices[0], name, choices)


def _one_of(value, where: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise SettingsError(f"{where}={value!r}: expected one of {', '.join(choices)}")
    return value


#: How a webhook's body is written (the default first): "json" the whole notification
#: (data/notify.py); the others the centre's messaging robots' text message, its ``text`` as
#: the content.
WEBHOOK_FORMATS = ("json", "dingtalk", "wecom", "feishu")
_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/\S*)?")
_RULE = re.compile(r"[a-z][a-z0-9_]*")


def _url(value, where: str) -> str:
    if not isinstance(value, str) or not _URL.fullmatch(value.strip()):
        raise SettingsError(f"{where}={value!r}: expected an http:// or https:// URL")
    return value.strip()


def load_webhooks(path: str | os.PathLike) -> dict:
    """Return the settings a webhooks file makes (TOML): ``[default]`` and ``[rules.<rule>]``
    tables with ``url`` and ``format`` (WEBHOOK_FORMATS, default json), and an optional
    ``[retry]`` table (``tries``, ``backoff_seconds``, ``max_backoff_seconds``,
    ``timeout_seconds``); a bad file fails with its path and the key at fault. Rule names are
    checked against the alert rules when the app starts (data/notify.py)."""
    path = Path(path)
    name = f"CITYBRAIN_ALERT_WEBHOOKS file {path}"
    data = _read_toml(path, name)
    unknown = set(data) - {"default", "rules", "retry"}
    if unknown:
        raise SettingsError(f"{name}: unknown table(s) {', '.join(sorted(unknown))} (expected "
                            "[default], [rules.<rule>], [retry])")
    tables = [("*", "default", data.get("default"))] if "default" in data else []
    rules = data.get("rules", {})
    if not isinstance(rules, dict):
        raise SettingsError(f"{name}: rules must be tables [rules.<rule>]")
    tables += [(rule, f"rules.{rule}", table) for rule, table in rules.items()]
    hooks = []
    for rule, key, table in tables:
        if not isinstance(table, dict) or "url" not in table:
            raise SettingsError(f"{name}: [{key}] needs url = \"https://…\"")
        if rule != "*" and not _RULE.fullmatch(rule):
            raise SettingsError(f"{name}: [{key}] is not a rule name")
        extra = set(table) - {"url", "format"}
        if extra:
            raise SettingsError(f"{name}: [{key}] has unknown key(s) {', '.join(sorted(extra))}")
        hooks.append((rule, _url(table["url"], f"{name}: [{key}] url"),
                      _one_of(table.get("format", WEBHOOK_FORMATS[0]),
                              f"{name}: [{key}] format", WEBHOOK_FORMATS)))
    if not hooks:
        raise SettingsError(f"{name}: no webhook in it ([default] or [rules.<rule>] with url)")
    out: dict = {"alert_webhooks": tuple(hooks), "alert_webhooks_from": name}
    retry = data.get("retry", {})
    keys = {"tries": ("webhook_tries", 1, 100), "backoff_seconds": ("webhook_backoff", 0.01, 3600),
            "max_backoff_seconds": ("webhook_backoff_max", 0.01, 86400),
            "timeout_seconds": ("webhook_timeout", 0.1, 300)}
    if not isinstance(retry, dict) or set(retry) - set(keys):
        raise SettingsError(f"{name}: [retry] takes {', '.join(keys)}")
    for key, value in retry.items():
        field, low, high = keys[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not low <= value <= high or (key == "tries" and not isinstance(value, int)):
            raise SettingsError(f"{name}: [retry] {key} = {value!r} must be a number from "
                                f"{low} to {high}")
        out[field] = value
    return out


def _webhook_settings(env) -> dict:
    """The webhook settings from CITYBRAIN_ALERT_WEBHOOK (one URL, with
    CITYBRAIN_ALERT_WEBHOOK_FORMAT) or CITYBRAIN_ALERT_WEBHOOKS (a file), and
    CITYBRAIN_BASE_URL, which a webhook needs for its link back."""
    one, file = env.get("CITYBRAIN_ALERT_WEBHOOK"), env.get("CITYBRAIN_ALERT_WEBHOOKS")
    base = (env.get("CITYBRAIN_BASE_URL") or "").strip()
    out: dict = {"base_url": _url(base, "CITYBRAIN_BASE_URL").rstrip("/") if base else None}
    if one and file:
        raise SettingsError("CITYBRAIN_ALERT_WEBHOOK and CITYBRAIN_ALERT_WEBHOOKS are both set: "
                            "set one (the file may name a [default] URL)")
    if one:
        out["alert_webhooks"] = (("*", _url(one, "CITYBRAIN_ALERT_WEBHOOK"),
                                  _choice(env, "CITYBRAIN_ALERT_WEBHOOK_FORMAT",
                                          WEBHOOK_FORMATS)),)
        out["alert_webhooks_from"] = "CITYBRAIN_ALERT_WEBHOOK"
    elif file:
        out.update(load_webhooks(file))
    if out.get("alert_webhooks") and not base:
        raise SettingsError(f"{out['alert_webhooks_from']} needs CITYBRAIN_BASE_URL (the "
                            "address staff open the app at, for the link back)")
    return out
