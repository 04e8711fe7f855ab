"""The Dash app factory: ``create_app(settings)`` builds a complete, independent app."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dash
from flask_caching import Cache

import settings as settings_mod
from callbacks import command as command_callbacks
from callbacks import datasets as datasets_callbacks
from callbacks import economy as economy_callbacks
from callbacks import environment as environment_callbacks
from callbacks import events as events_callbacks
from callbacks import grid as grid_callbacks
from callbacks import overview as overview_callbacks
from callbacks import phone as phone_callbacks
from callbacks import report as report_callbacks
from callbacks import services as services_callbacks
from callbacks import shell as shell_callbacks
from callbacks import tasks as tasks_callbacks
from callbacks import wall as wall_callbacks
from charts import registry
from charts.runtime import Runtime
from data import notify
from data.access import Access, what
from data.load import dropfolder
from data.queries import Queries
from data.service import open_store
from data.store import sweep_left_over
from layouts import frame
from web import auth, command, feeds, limits, logs, routes, supervision

ROOT = Path(__file__).resolve().parent


def ensure_store(settings: settings_mod.Settings, progress: bool = True) -> Path:
    """Return the store path, building the demo city there first if it is missing."""
    path = Path(settings.db_path)
    if not path.exists():
        if not settings.build_demo_if_missing:
            raise FileNotFoundError(f"no store at {path} and CITYBRAIN_BUILD_DEMO is off")
        from data.demo import build_demo
        print(f"No store at {path}: building the demo city (first run only).", file=sys.stderr)
        build_demo(path, events=settings.demo_events, seed=settings.demo_seed,
                   now=settings.demo_now, progress=progress)
    return path


def create_app(settings: settings_mod.Settings | None = None) -> dash.Dash:
    """Return a Dash app serving the store named in ``settings``."""
    settings = settings or settings_mod.from_env()
    if settings.drop_dir is not None:
        _check_drop_folder(Path(settings.drop_dir))
    store = open_store(ensure_store(settings), settings.store_writes)
    if settings.store_writes != "service":      # the service sweeps as it starts
        sweep_left_over(store.path)     # what killed processes left beside the store
    app = dash.Dash(
        __name__, title="城市大脑 City Brain", update_title=None,
        assets_folder=str(ROOT / "assets"), serve_locally=True,
        # a phone lays the page out at its own width (the phone view, /m); desktops ignore it
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        # pages are rendered by a callback; tests/test_callbacks.py checks every callback ID
        suppress_callback_exceptions=True,
        # Dash 4.4's /_mcp endpoint (DASH_MCP_ENABLED) would answer outside the sign-in's
        # roles: off whatever the environment says (routes.harden refuses it besides)
        enable_mcp=False)
    if settings.proxies:     # the client's address and scheme as the proxies saw them
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = settings.proxies
        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=n, x_proto=n, x_host=n)
    cache = Cache(app.server, config=settings.cache_config)
    # an upload travels base64 in a callback: a third more than the file, plus the JSON
    app.server.config["MAX_CONTENT_LENGTH"] = (settings.upload_max_mb * 4 // 3 + 2) * 2**20
    runtime = Runtime(settings, store, Queries(store, cache), cache=cache)
    app.citybrain_runtime = runtime      # for the CLI and tests reaching the same data

    # a load renames a new store file over the served one: pick it up without a restart
    @app.server.before_request
    def _reload_store():
        runtime.reload_if_replaced()
    app.layout = frame.shell()
    screens = [overview_callbacks, grid_callbacks, events_callbacks, environment_callbacks,
               economy_callbacks, tasks_callbacks, services_callbacks, report_callbacks,
               datasets_callbacks, command_callbacks, phone_callbacks]
    routes.install(app.server, runtime)
    shell_callbacks.register(app, runtime, [module.SCREEN for module in screens],
                             wall=wall_callbacks)
    # each callback needs the permission of the screen that registers it (web/auth.py)
    callback_screens: dict[str, str | None] = dict.fromkeys(app.callback_map)
    for module in (*screens, wall_callbacks):
        module.register(app, runtime)
        name = "wall" if module is wall_callbacks else module.SCREEN.name
        callback_screens.update({key: name for key in app.callback_map
                                 if key not in callback_screens})
    routes.guard_callbacks(app.server, app.callback_map)
    limits.gate_view(app.server, app.config.routes_pathname_prefix + "_dash-update-component",
                     settings.callback_slots)
    routes.harden(app, settings)
    app.callback_screens = callback_screens
    access = Access(settings.access_file)
    if settings.auth:
        if runtime.is_demo:
            access.seed_demo_accounts()
        auth.install(app, runtime, access, callback_screens,
                     chart_screens=registry.CHART_SCREENS)
    # the push API checks its own tokens, with or without sign-in (docs/FEEDS.md)
    feeds.install(app.server, runtime, access)
    supervision.install(app.server, runtime)     # 督办 routes, behind the sign-in
    command.install(app.server, runtime)     # the alert records' routes, behind the sign-in
    logs.install(app.server, runtime)     # after auth: its actions carry the user
    # Dash learns which scripts it may serve on a process's first request, and another
    # request arriving meanwhile on a second thread gets a 404 for its script (a blank page
    # for whoever opens the wall just after a worker starts): learn them before serving
    app._setup_server()
    # last: the watcher's thread starts on a complete app
    app.citybrain_drop = (_watch_drop_folder(settings, runtime, access)
                          if settings.drop_dir is not None else None)
    # alert notifications out (data/notify.py): one sender per process, an outbox in the
    # access file shared by the workers; None without a webhook
    app.citybrain_notify = notify.start(settings, access)
    return app


def _check_drop_folder(folder: Path) -> None:
    """Fail at start on a drop folder the server could not work in."""
    if not folder.is_dir():
        raise settings_mod.SettingsError(f"CITYBRAIN_DROP_DIR={str(folder)!r} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise settings_mod.SettingsError(f"CITYBRAIN_DROP_DIR={str(folder)!r} is not writable "
                                         "by this user: its files could not be moved to done/ "
                                         "and failed/")


def _watch_drop_folder(settings: settings_mod.Settings, runtime: Runtime,
                       access: Access) -> dropfolder.Watcher:
    """Load what systems write into CITYBRAIN_DROP_DIR from a thread of this app's own. This
    process owns the store, so each file is written into it in place (``citybrain sync``, a
    process of its own, writes a copy and renames it over the file); the runtime serves it at
    once, and the audit log records it as a feed batch."""
    folder = Path(settings.drop_dir or "")

    def after(outcome: dropfolder.Outcome) -> None:
        if outcome.status == "loaded":
            runtime.reload_if_replaced(now=True)
        access.audit(f"drop:{folder.name}", "feed", what(**outcome.details()))

    return dropfolder.start(settings.db_path, folder, interval=settings.drop_interval,
                            time_zone=settings.time_zone, on_outcome=after)


def create_server():
    """The WSGI application for gunicorn: ``gunicorn 'app:create_server()'`` (one app per
    worker, settings from the environment)."""
    settings = settings_mod.from_env()
    logs.configure(settings)
    return create_app(settings).server


def main() -> None:
    """Run the development server (``python app.py``): ``citybrain serve``."""
    from cli import main as citybrain
    raise SystemExit(citybrain(["serve"]))


if __name__ == "__main__":
    main()
