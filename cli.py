"""The ``citybrain`` command: serve the app, build demo cities, load a city's own files, write
monthly reports."""

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


#: Reader options of `citybrain load`, by the kinds they apply to.
_BOUNDARY_OPTIONS = ("code_field", "name_field", "name_en_field", "parent_field", "crs",
                     "source_crs", "layer")
_TABLE_OPTIONS = ("sheet",)


def _load(args) -> int:
    from data.load.build import BOUNDARY_KINDS, City, Item

    s = settings_mod.from_env()
    db = Path(args.db or s.db_path)
    names = _BOUNDARY_OPTIONS if args.kind in BOUNDARY_KINDS else _TABLE_OPTIONS
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
    try:
        report = load(db, items, city=city, progress=not quiet)
    except LoadError as exc:
        print(f"{command}: nothing loaded, {db} is unchanged:\n{exc}", file=sys.stderr)
        return None
    except (FileNotFoundError, ValueError) as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return None
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    loaded = ", ".join(f"{n} {kind}" for kind, n in report.rows.items())
    print(f"loaded into {db}: {loaded or 'nothing'}", file=sys.stderr)
    return report


def _geo_cn(args) -> int:
    import tempfile

    from data.load.build import City, Item
    from geo.load import cn_boundaries

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
    load.add_argument("--source-crs", choices=("WGS84", "GCJ02"),
                      help="boundaries: the coordinates' datum (GCJ02: Amap, converted)")
    load.add_argument("--new-city", action="store_true",
                      help="start a new city from these district boundaries")
    load.add_argument("--city-code", help="new city: its GB/T 2260 code, e.g. 440700")
    load.add_argument("--city-name", help="new city: its name, e.g. 江门市")
    load.add_argument("--city-name-en", help="new city: its English name")
    load.add_argument("--force", action="store_true", help="new city: replace an existing file")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    load.set_defaults(func=_load)

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
