"""The ``citybrain`` command: serve the app, build demo cities, write monthly reports."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import settings as settings_mod


def _serve(args) -> int:
    from app import create_app
    s = settings_mod.from_env()
    changes = {k: v for k, v in (("host", args.host), ("port", args.port),
                                 ("db_path", args.db)) if v is not None}
    s = s.with_(**changes)
    app = create_app(s)
    print(f"City Brain on http://{s.host}:{s.port}/  (store: {s.db_path})", file=sys.stderr)
    app.run(host=s.host, port=s.port, debug=s.debug)
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
    from data.monthly import ReportError
    from data.queries import Queries
    from data.runtime import Runtime
    from data.store import Store
    from layouts.report import ReportFormatError, export_report

    s = settings_mod.from_env()
    if args.db is not None:
        s = s.with_(db_path=args.db)
    store = Store(ensure_store(s, progress=not args.quiet))
    runtime = Runtime(s, store, Queries(store))
    formats = args.format.split(",")
    sections = args.sections.split(",") if args.sections else None
    districts = args.districts.split(",") if args.districts else None
    with tqdm(desc="report", unit="step", disable=args.quiet) as bar:
        try:
            written, figures = export_report(
                runtime, month=args.month, formats=formats, out_dir=args.out,
                sections=sections, districts=districts, lang=args.lang, progress=bar.update)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citybrain", description=__doc__)
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except settings_mod.SettingsError as exc:
        print(f"citybrain: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
