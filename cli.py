"""The ``citybrain`` command: serve the app, build demo cities, load a city's own files, write
monthly reports."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

import settings as settings_mod


def _serve(args) -> int:
    from app import create_app
    from web import logs
    s = settings_mod.from_env()
    changes = {k: v for k, v in (("host", args.host), ("port", args.port),
                                 ("db_path", args.db)) if v is not None}
    s = s.with_(**changes)
    logs.configure(s)
    keeper = None
    if s.store_writes == "service":     # its store service, as gunicorn's master starts one
        from app import ensure_store
        from data.service import Keeper
        keeper = Keeper(ensure_store(s)).start()
    try:
        app = create_app(s)
        print(f"City Brain on http://{s.host}:{s.port}/  (store: {s.db_path})",
              file=sys.stderr)
        # no code reloader with CITYBRAIN_DEBUG=1 (Dash's dev tools only): it runs the server
        # again in a child, which could not open the store this process owns
        app.run(host=s.host, port=s.port, debug=s.debug, use_reloader=False)
    finally:
        if keeper is not None:
            keeper.stop()
    return 0


def _demo(args) -> int:
    from data.demo import build_demo
    s = settings_mod.from_env()
    out = Path(args.out or s.db_path)
    if out.exists() and not args.force:
        print(f"{out} exists; use --force to rebuild it", file=sys.stderr)
        return 1
    try:
        now = dt.datetime.fromisoformat(args.now) if args.now else s.demo_now
    except ValueError:
        raise settings_mod.SettingsError(f"--now {args.now!r} is not an ISO date-time "
                                         "(for example 2026-11-24T10:00)") from None
    events = s.demo_events if args.events is None else args.events
    if events < 1000:
        raise settings_mod.SettingsError(f"--events {events} must be at least 1000")
    path = build_demo(out, events=events, seed=s.demo_seed if args.seed is None else args.seed,
                      now=now, progress=not args.quiet)
    print(f"demo city written to {path}", file=sys.stderr)
    return 0


def _report(args) -> int:
    from tqdm import tqdm

    from app import ensure_store
    from charts.runtime import Runtime
    from data.queries import Queries
    from data.store import Store
    from report.files import ReportFormatError, export_report
    from report.monthly import ReportError

    s = _settings(args)
    store = Store(ensure_store(s, progress=not args.quiet))
    runtime = Runtime(s, store, Queries(store))
    formats = args.format.split(",")
    sections = args.sections.split(",") if args.sections else None
    districts = args.districts.split(",") if args.districts else None
    with tqdm(desc="report", unit="step", disable=args.quiet) as bar:
        def progress(done: int, total: int) -> None:
            bar.total, bar.n = total, done
            bar.refresh()
        try:
            written, figures = export_report(
                runtime, month=args.month, formats=formats, out_dir=args.out,
                sections=sections, districts=districts, lang=args.lang, progress=progress)
        except (ReportError, ReportFormatError) as exc:
            bar.close()
            print(f"citybrain report: {exc}", file=sys.stderr)
            return 2
    for path in written:
        print(path)
    if figures and not args.quiet:
        first, *rest = [f.seconds for f in figures]
        warm = sorted(rest)[len(rest) // 2] if rest else first
        print(f"{len(figures)} figures: first {first:.2f} s, then {warm:.2f} s each (median)",
              file=sys.stderr)
    return 0


#: Reader options of `citybrain load`, by the kinds they apply to.
_BOUNDARY_OPTIONS = ("code_field", "name_field", "name_en_field", "parent_field", "crs",
                     "source_crs", "layer")
_TABLE_OPTIONS = ("sheet",)


def _load(args) -> int:
    from data.load.build import BOUNDARY_KINDS, POINT_KINDS, City, Item

    s = settings_mod.from_env()
    db = Path(args.db or s.db_path)
    names = (_BOUNDARY_OPTIONS if args.kind in BOUNDARY_KINDS else
             _TABLE_OPTIONS + ("source_crs",) if args.kind in POINT_KINDS else _TABLE_OPTIONS)
    if getattr(args, "source_crs", None) and "source_crs" not in names:
        raise settings_mod.SettingsError(
            f"--source-crs applies to boundaries and to {', '.join(POINT_KINDS)}, "
            f"not to {args.kind}")
    options = {name: getattr(args, name) for name in names if getattr(args, name, None)}
    city = None
    if args.new_city:
        if not (args.city_code and args.city_name):
            raise settings_mod.SettingsError("--new-city needs --city-code and --city-name")
        if db.exists() and not args.force:
            print(f"{db} exists; use --force to replace it with the new city", file=sys.stderr)
            return 1
        city = City(args.city_code, args.city_name, args.city_name_en or args.city_code)
    items = [Item(args.kind, Path(path), options) for path in args.files]
    return 0 if _run_load("citybrain load", db, items, city, args.quiet) else 1


def _run_load(command: str, db: Path, items, city, quiet: bool):
    """Run a load and say how it went: its notes and warnings, or every problem and that
    the store is unchanged. Returns the report, or None when nothing was loaded."""
    from data.load.build import load
    from data.load.problems import LoadError
    from data.service import ServiceDown
    try:
        report = load(db, items, city=city, progress=not quiet)
    except LoadError as exc:
        print(f"{command}: nothing loaded, {db} is unchanged:\n{exc}", file=sys.stderr)
        return None
    except (FileNotFoundError, ValueError) as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return None
    except PermissionError as exc:     # the store's service reads the files as its user
        print(f"{command}: {exc} (a load beside a running server is read by its store "
              "service: the file must be readable by the server's user, outside /tmp and "
              "/home under the systemd unit)", file=sys.stderr)
        return None
    except ServiceDown as exc:
        print(f"{command}: {exc}; nothing was loaded unless the server's log says so: "
              "loading the files again changes nothing", file=sys.stderr)
        return None
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    loaded = ", ".join(f"{n} {kind}" for kind, n in report.rows.items())
    print(f"loaded into {db}: {loaded or 'nothing'}", file=sys.stderr)
    return report


def _sync(args) -> int:
    """A drop folder into the store (data/load/dropfolder.py, docs/FEEDS.md): each settled
    file loaded on its own and moved to done/ or failed/. --once: 0 when every file loaded,
    1 when any failed, 2 when the folder could not be synced. --watch: until SIGTERM or
    SIGINT, then 0."""
    from data.access import Access, what
    from data.load import dropfolder

    s = _settings(args)
    if args.interval < 1:
        raise settings_mod.SettingsError(f"--interval {args.interval:g}: at least 1 second")
    if args.settle < 0:
        raise settings_mod.SettingsError(f"--settle {args.settle:g}: 0 seconds or more")
    db, folder = Path(s.db_path), Path(args.dir)
    for missing, message in ((not db.exists(), f"no store at {db}"),
                             (not folder.is_dir(), f"{folder} is not a folder")):
        if missing:
            print(f"citybrain sync: {message}", file=sys.stderr)
            return 2
    access = Access(s.access_file)

    def audit(outcome) -> None:
        access.audit(f"drop:{folder.name}", "feed", what(**outcome.details()))

    if args.watch:
        return _watch_until_stopped(s, db, folder, args, audit)
    failed = 0

    def said(outcome) -> None:        # as each file is done: a long round shows its progress
        nonlocal failed
        audit(outcome)
        if outcome.status != "loaded":
            failed += 1
            print(outcome, file=sys.stderr, flush=True)
        elif not args.quiet:
            print(outcome, flush=True)

    try:
        dropfolder.sync_once(db, folder, settle_seconds=args.settle, time_zone=s.time_zone,
                             on_outcome=said)
    except OSError as exc:
        print(f"citybrain sync: {exc}", file=sys.stderr)
        return 2
    return 1 if failed else 0


def _watch_until_stopped(s, db: Path, folder: Path, args, audit) -> int:
    """Watch the folder in a thread until SIGTERM or SIGINT, then finish the file being
    loaded and return 0 (a second signal ends at once)."""
    import signal
    import threading

    from data.load import dropfolder
    from web import logs

    logs.configure(s.with_(log_level="WARNING") if args.quiet else s)
    stop = threading.Event()
    signals = {signal.SIGINT, signal.SIGTERM}
    # only this thread takes the signals, and only where it waits for them: the watcher is
    # never interrupted halfway through moving a file
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    watcher = threading.Thread(target=dropfolder.watch, args=(db, folder), kwargs={
        "interval": args.interval, "settle_seconds": args.settle, "stop": stop,
        "time_zone": s.time_zone, "on_outcome": audit}, name="citybrain-drop")
    watcher.start()
    while watcher.is_alive():
        got = signal.sigtimedwait(signals, 1.0)
        if got is None:
            continue
        if stop.is_set():
            os._exit(128 + got.si_signo)
        print(f"citybrain sync: {signal.Signals(got.si_signo).name}: stopping after the file "
              "being loaded", file=sys.stderr)
        stop.set()
    return 0 if stop.is_set() else 1


def _geo_cn(args) -> int:
    import tempfile

    from data.load.boundaries import cn_boundaries
    from data.load.build import City, Item

    s = settings_mod.from_env()
    db = Path(args.db or s.db_path)
    if db.exists() and not args.force:
        print(f"{db} exists; use --force to replace it with the new city", file=sys.stderr)
        return 1
    try:
        frame = cn_boundaries(args.province, args.city)
    except RuntimeError as exc:
        print(f"citybrain geo cn: {exc}", file=sys.stderr)
        return 1
    if "code" not in frame.columns:
        # cnmaps has names but no GB/T 2260 codes: number the districts under the city's code
        if not args.city_code:
            raise settings_mod.SettingsError("cnmaps gives no district codes: give the city's "
                                             "with --city-code (e.g. 440700)")
        frame = frame.sort_values("name").reset_index(drop=True)
        frame["code"] = [f"{args.city_code[:4]}{i:02d}" for i in range(1, len(frame) + 1)]
        print("note: cnmaps gives no district codes; numbered them "
              f"{frame['code'].iloc[0]}..{frame['code'].iloc[-1]} by name", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "districts.geojson"
        frame[["code", "name", "geometry"]].to_file(path, driver="GeoJSON")
        code = args.city_code or str(frame["code"].iloc[0])[:4] + "00"
        if not _run_load("citybrain geo cn", db,
                         [Item("districts", path, {"source_crs": "GCJ02"})],
                         City(code, args.city, args.city_name_en or code), args.quiet):
            return 1
    print(f"new city {args.city} ({code}) written to {db}", file=sys.stderr)
    return 0


def _settings(args) -> settings_mod.Settings:
    """The settings from the environment, with the store a command's ``--db`` names."""
    if getattr(args, "db", None) is None:
        return settings_mod.from_env()
    return settings_mod.from_env().with_(db_path=args.db)


def _access(args):
    """The access file of the settings (or --db's folder) and the store's district codes
    (None when there is no store yet: codes are then taken as given)."""
    from data.access import Access
    s = _settings(args)
    known = None
    if Path(s.db_path).exists():
        from data.store import Store
        store = Store(s.db_path)
        try:
            known = {code for (code,) in store.rows("SELECT code FROM districts")}
        finally:
            store.close()
    return Access(s.access_file), known


def _password(args, name: str) -> str:
    import getpass
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"password for {name}: ")
    if getpass.getpass("again: ") != first:
        raise settings_mod.SettingsError("the two passwords differ")
    return first


def _users(args) -> int:
    from data.access import AccessError, what
    access, known = _access(args)
    try:
        if args.action == "list":
            for u in access.users():
                flags = [f for f, on in (("clearance", u["clearance"]),
                                         ("disabled", u["disabled"]), ("demo", u["demo"])) if on]
                print(f"{u['name']:<20} {u['role']:<8} {u['districts'] or '(whole city)':<28} "
                      f"{' '.join(flags)}")
            return 0
        if args.action == "add":
            access.add_user(args.name, args.role, _password(args, args.name),
                            districts=args.districts or "", clearance=args.clearance,
                            known_districts=known)
        elif args.action == "set":
            access.update_user(args.name, role=args.role, districts=args.districts,
                               clearance=args.clearance, disabled=args.disabled,
                               known_districts=known)
        elif args.action == "passwd":
            access.update_user(args.name, password=_password(args, args.name))
        elif args.action == "remove":
            access.remove_user(args.name)
        elif args.action == "unlock":
            print(f"{access.unlock(args.name)} failed sign-ins forgotten", file=sys.stderr)
    except AccessError as error:
        print(f"citybrain users: {error}", file=sys.stderr)
        return 1
    changes = {key: getattr(args, key, None) for key in ("role", "districts", "clearance",
                                                         "disabled")}
    access.audit(_os_user(), "users", what(action=args.action, user=args.name, **{
        key: value for key, value in changes.items() if value is not None}))
    if args.action in ("set", "passwd", "remove"):
        access.end_sessions_of(args.name)      # the change applies from the next sign-in
    print(f"{args.action}: {args.name}", file=sys.stderr)
    return 0


def _tokens(args) -> int:
    """Feed tokens: a city's system posting to /api/v1/feeds/<kind> (docs/FEEDS.md)."""
    from data.access import AccessError, what
    access, _known = _access(args)
    try:
        if args.action == "add":
            token = access.add_feed_token(args.name, args.feeds)
            access.audit(_os_user(), "tokens", what(action="add", name=args.name,
                                                    feeds=args.feeds))
            print(f"feed token for {args.name!r} ({args.feeds}); send it as "
                  "'Authorization: Bearer <token>'. Shown once:", file=sys.stderr)
            print(token)
        elif args.action == "revoke":
            access.revoke_feed_token(args.name)
            access.audit(_os_user(), "tokens", what(action="revoke", name=args.name))
            print(f"feed token of {args.name!r} revoked", file=sys.stderr)
        else:
            for t in access.feed_tokens():
                print(f"{t['name']:<24} {t['feeds']:<32} "
                      f"{'revoked ' + t['revoked_at'] if t['revoked_at'] else 'active'}")
    except AccessError as error:
        print(f"citybrain tokens: {error}", file=sys.stderr)
        return 1
    return 0


def _kiosk(args) -> int:
    from data.access import AccessError, what
    access, known = _access(args)
    try:
        if args.action == "add":
            token_id, token = access.add_kiosk(args.label, args.districts or "", known)
            access.audit(_os_user(), "kiosk", what(action="add", id=token_id,
                                                   label=args.label, districts=args.districts))
            print(f"kiosk token {token_id} for {args.label!r}: open the wall at\n"
                  f"  /wall?kiosk={token}\n(shown once; revoke with: citybrain kiosk revoke "
                  f"{token_id})")
        elif args.action == "revoke":
            access.revoke_kiosk(args.id)
            label = next(k["label"] for k in access.kiosks() if k["id"] == args.id)
            access.audit(_os_user(), "kiosk", what(action="revoke", id=args.id, label=label))
            print(f"kiosk token {args.id} revoked", file=sys.stderr)
        else:
            for k in access.kiosks():
                print(f"{k['id']:>4} {k['label']:<24} {k['districts'] or '(whole city)':<28} "
                      f"{'revoked ' + k['revoked_at'] if k['revoked_at'] else 'active'}")
    except AccessError as error:
        print(f"citybrain kiosk: {error}", file=sys.stderr)
        return 1
    return 0


def _secret(args) -> int:
    from data.access import what
    access, _ = _access(args)
    access.rotate_secret_key()
    access.audit(_os_user(), "secret", what(action="rotate"))
    print("session key rotated: every sign-in has ended", file=sys.stderr)
    if os.environ.get("CITYBRAIN_SECRET_KEY"):
        print("note: CITYBRAIN_SECRET_KEY is set, and the app signs with it instead of the "
              "access file's key: set a new value there and restart the app",
              file=sys.stderr)
    return 0


def _audit(args) -> int:
    access, _ = _access(args)
    for row in reversed(access.audit_log(since=args.since, who=args.user,
                                         action=args.action, limit=args.limit)):
        print(f"{row['at']}  {row['who']:<20} {row['action']:<12} {row['address']:<15} "
              f"{row['what']}")
    return 0


def _backup(args) -> int:
    """A whole copy of the store and its access file, safe while the server writes them."""
    from data.access import Access
    from data.store import backup
    s = _settings(args)
    db = Path(s.db_path)
    if not db.exists():
        print(f"citybrain: no store at {db}", file=sys.stderr)
        return 1
    args.folder.mkdir(parents=True, exist_ok=True)
    copies = [(db, args.folder / db.name)]
    if s.access_file.exists():
        copies.append((s.access_file, args.folder / s.access_file.name))
    there = [str(dest) for _, dest in copies if dest.exists()]
    if there:
        print(f"citybrain: {', '.join(there)} exists: back up into a new folder",
              file=sys.stderr)
        return 1
    try:
        backup(db, copies[0][1])
        if len(copies) > 1:
            Access(s.access_file).backup(copies[1][1])
    except BaseException:
        for _, dest in copies:          # half a backup is none: the folder as it was
            dest.unlink(missing_ok=True)
        raise
    for _, dest in copies:
        print(dest)
    return 0


def _os_user() -> str:
    import getpass
    return f"cli:{getpass.getuser()}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citybrain", description=__doc__)
    parser.add_argument("--version", action="version", version=f"citybrain {settings_mod.VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the dashboard (builds the demo city on first run)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--db", type=Path, help="store file (default: CITYBRAIN_DB or var/)")
    serve.set_defaults(func=_serve)
    demo = sub.add_parser("demo", help="build a demo city store")
    demo.add_argument("--events", type=int,
                      help="grid events to generate (default: CITYBRAIN_DEMO_EVENTS, 1,000,000)")
    demo.add_argument("--seed", type=int, help="default: CITYBRAIN_DEMO_SEED, 2260")
    demo.add_argument("--now", help="as-of time, ISO (default: this hour)")
    demo.add_argument("--out", type=Path, help="store file (default: CITYBRAIN_DB or var/)")
    demo.add_argument("--force", action="store_true", help="replace an existing file")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=_demo)
    report = sub.add_parser("report", help="write the monthly report (月报) as PDF, Word, Excel")
    report.add_argument("--month", help="YYYY-MM (default: the last complete month)")
    report.add_argument("--format", default="pdf,docx,xlsx",
                        help="comma-separated: pdf, docx, xlsx (default: all three)")
    report.add_argument("--out", type=Path, default=Path("reports"),
                        help="folder for the files (default: reports/)")
    report.add_argument("--lang", choices=settings_mod.LANGS, default="zh")
    report.add_argument("--sections", help="comma-separated (default: all)")
    report.add_argument("--districts", help="comma-separated district codes (default: all)")
    report.add_argument("--db", type=Path, help="store file (default: CITYBRAIN_DB or var/)")
    report.add_argument("--quiet", action="store_true", help="no progress bar")
    report.set_defaults(func=_report)

    from data.load.build import KINDS
    load = sub.add_parser("load", help="load a city's own files into the store, all or nothing")
    load.add_argument("kind", choices=KINDS)
    load.add_argument("files", nargs="+", help="CSV, Excel, Parquet; boundaries: GeoJSON, "
                      "Shapefile (also zipped), GeoPackage")
    load.add_argument("--db", type=Path, help="store file (default: CITYBRAIN_DB or var/)")
    load.add_argument("--sheet", help="Excel: the sheet to read (default: the first)")
    for name, text in (("code-field", "the code field (default: guessed)"),
                       ("name-field", "the Chinese name field (default: guessed)"),
                       ("name-en-field", "the English name field (default: guessed)"),
                       ("parent-field", "the parent code field (default: the code's prefix)"),
                       ("crs", "the CRS when the file has none, e.g. EPSG:4326"),
                       ("layer", "GeoPackage: the layer")):
        load.add_argument(f"--{name}", help=f"boundaries: {text}")
    load.add_argument("--source-crs", choices=("WGS84", "GCJ02", "BD09"),
                      help="boundaries and point files (events, stations, sections): the "
                      "coordinates' datum, converted to WGS-84 (GCJ02: Amap, Tencent; BD09: "
                      "Baidu)")
    load.add_argument("--new-city", action="store_true",
                      help="start a new city from these district boundaries")
    load.add_argument("--city-code", help="new city: its GB/T 2260 code, e.g. 440700")
    load.add_argument("--city-name", help="new city: its name, e.g. 江门市")
    load.add_argument("--city-name-en", help="new city: its English name")
    load.add_argument("--force", action="store_true", help="new city: replace an existing file")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    load.set_defaults(func=_load)

    sync = sub.add_parser("sync", help="load what systems write into a drop folder "
                          "(docs/FEEDS.md): events/, air/, water/, indicators/")
    sync.add_argument("dir", type=Path, metavar="DIR", help="the drop folder")
    once = sync.add_mutually_exclusive_group(required=True)
    once.add_argument("--once", action="store_true", help="load what is there and exit: 0 "
                      "when every file loaded, 1 when any failed (cron, a systemd timer)")
    once.add_argument("--watch", action="store_true",
                      help="look into the folder every --interval seconds until stopped")
    sync.add_argument("--db", type=Path, metavar="FILE",
                      help="store file (default: CITYBRAIN_DB or var/)")
    sync.add_argument("--interval", type=float, default=5.0, metavar="SECONDS",
                      help="--watch: seconds between looks (default: 5)")
    sync.add_argument("--settle", type=float, default=2.0, metavar="SECONDS",
                      help="leave files modified less than this many seconds ago (default: 2)")
    sync.add_argument("--quiet", action="store_true", help="say only what failed")
    sync.set_defaults(func=_sync)

    geo = sub.add_parser("geo", help="boundaries from other sources")
    geo_sub = geo.add_subparsers(dest="source", required=True)
    cn = geo_sub.add_parser("cn", help="start a new Chinese city from cnmaps "
                            "(pip install 'citybrain[cn]', about 250 MB of data)")
    cn.add_argument("--province", required=True, help="e.g. 广东省")
    cn.add_argument("--city", required=True, help="e.g. 江门市")
    cn.add_argument("--city-code", help="default: from the districts' codes")
    cn.add_argument("--city-name-en")
    cn.add_argument("--db", type=Path, help="store file (default: CITYBRAIN_DB or var/)")
    cn.add_argument("--force", action="store_true", help="replace an existing file")
    cn.add_argument("--quiet", action="store_true", help="no progress bar")
    cn.set_defaults(func=_geo_cn)

    from data.access import ACTIONS, ROLES
    users = sub.add_parser("users", help="who may sign in: roles and district scopes")
    users_sub = users.add_subparsers(dest="action", required=True)
    users_sub.add_parser("list", help="every user")
    for action, text in (("add", "a new user (asks for the password twice)"),
                         ("set", "change a user's role, districts, clearance or state"),
                         ("passwd", "set a user's password"), ("remove", "delete a user"),
                         ("unlock", "forget a user's failed sign-ins (the lock-out ends)")):
        p = users_sub.add_parser(action, help=text)
        p.add_argument("name")
        if action in ("add", "set"):
            p.add_argument("--role", choices=ROLES, required=action == "add",
                           help="leader: wall and overview; analyst: every analysis screen; "
                           "staff: reports and data loads; admin: everything")
            p.add_argument("--districts", help="comma-separated district codes the user "
                           "may see (default: the whole city; set '' for the whole city)")
        if action == "add":
            p.add_argument("--clearance", action="store_true",
                           help="sees reporters' names and phone numbers in clear")
        if action == "set":
            p.add_argument("--clearance", action=argparse.BooleanOptionalAction)
            p.add_argument("--disabled", action=argparse.BooleanOptionalAction)
        if action in ("add", "passwd"):
            p.add_argument("--password-stdin", action="store_true",
                           help="read the password from the first line of stdin")
    for p in (users, *users_sub.choices.values()):
        p.add_argument("--db", type=Path, help="the store whose access file to use")
    users.set_defaults(func=_users)

    tokens = sub.add_parser("tokens", help="tokens for the feed API (docs/FEEDS.md)")
    tokens_sub = tokens.add_subparsers(dest="action", required=True)
    tokens_sub.add_parser("list", help="every feed token (never the token itself)")
    t_add = tokens_sub.add_parser("add", help="a new token; printed once, as the last line")
    t_add.add_argument("name", help="the sending system, e.g. hotline-12345")
    t_add.add_argument("--feeds", required=True,
                       help="comma-separated: events, air, water, indicators")
    t_revoke = tokens_sub.add_parser("revoke", help="the system's posts are refused at once")
    t_revoke.add_argument("name")
    for p in (tokens, *tokens_sub.choices.values()):
        p.add_argument("--db", type=Path, help="the store whose access file to use")
    tokens.set_defaults(func=_tokens)

    kiosk = sub.add_parser("kiosk", help="read-only wall tokens for displays")
    kiosk_sub = kiosk.add_subparsers(dest="action", required=True)
    kiosk_sub.add_parser("list", help="every token (never the token itself)")
    k_add = kiosk_sub.add_parser("add", help="a new token; prints the wall's URL once")
    k_add.add_argument("label", help="where the display is, e.g. 指挥中心大屏")
    k_add.add_argument("--districts", help="comma-separated district codes (default: all)")
    k_revoke = kiosk_sub.add_parser("revoke", help="the display loses the wall at once")
    k_revoke.add_argument("id", type=int)
    for p in (kiosk, *kiosk_sub.choices.values()):
        p.add_argument("--db", type=Path, help="the store whose access file to use")
    kiosk.set_defaults(func=_kiosk)

    secret = sub.add_parser("secret", help="the key that signs session cookies")
    secret_sub = secret.add_subparsers(dest="action", required=True)
    secret_sub.add_parser("rotate", help="a new key; every sign-in ends at once (every worker "
                          "uses the new key from its next request)")
    for p in (secret, *secret_sub.choices.values()):
        p.add_argument("--db", type=Path, help="the store whose access file to use")
    secret.set_defaults(func=_secret)

    back = sub.add_parser("backup", help="copy the store and its access file into a folder, "
                          "whole, while the server runs")
    back.add_argument("folder", type=Path, help="where the copies go: a new folder each time")
    back.add_argument("--db", type=Path, help="store file (default: CITYBRAIN_DB or var/)")
    back.set_defaults(func=_backup)
    audit = sub.add_parser("audit", help="the audit log: sign-ins, exports, downloads, loads")
    audit.add_argument("--since", help="ISO date or time (UTC)")
    audit.add_argument("--user")
    audit.add_argument("--action", choices=ACTIONS)
    audit.add_argument("--limit", type=int, default=200)
    audit.add_argument("--db", type=Path, help="the store whose access file to use")
    audit.set_defaults(func=_audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except settings_mod.SettingsError as exc:
        print(f"citybrain: {exc}", file=sys.stderr)
        return 2


def run() -> int:
    """The ``citybrain`` command. systemd, ``timeout`` and ``kill`` stop a command with
    SIGTERM, which ends Python without its ``finally`` blocks: a backup's or a load's
    half-written copy stayed on the disk. SIGTERM now unwinds them as Ctrl-C does, and the
    command ends with 143 (128 + SIGTERM, as a shell reports it); a second one ends it at
    once."""
    import signal

    def stop(signum, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, stop)
    return main()


if __name__ == "__main__":
    raise SystemExit(run())
