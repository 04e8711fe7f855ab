"""gunicorn's settings for City Brain (docs/DEPLOY.md): ``gunicorn -c gunicorn.conf.py``.

The numbers are the deployment guide's; CITYBRAIN_BIND, CITYBRAIN_WORKERS and
CITYBRAIN_THREADS change them without editing this file, and command-line flags still win.
"""

import os

wsgi_app = "app:create_server()"
bind = os.environ.get("CITYBRAIN_BIND", "127.0.0.1:8050")
# The store in a process of its own (CITYBRAIN_STORE_WRITES=service, the default here): the
# master starts it and keeps it running (data/service.py); it owns the file and writes every
# feed batch in place, and the workers ask it for their queries, so the writes need not wait
# for the requests' Python (bench/README.md, "A store process"). in-place: one worker owns
# the file and writes the feeds itself (DuckDB lets one process write a file); copy: several
# workers read it and every load, feed batches included, copies the whole store
# (docs/DEPLOY.md).
def _writes() -> str:
    return os.environ.get("CITYBRAIN_STORE_WRITES") or "service"


_WRITES = _writes()
workers = int(os.environ.get("CITYBRAIN_WORKERS", {"in-place": "1", "service": "2"}.get(
    _WRITES, "4")))
# threads: the wall's and the analysts' callbacks are answered while one renders a report.
# Only CITYBRAIN_CALLBACK_SLOTS (3) run callbacks at once, the others waiting in their
# threads; the threads left take a feed's batch, the map's shapes or a file. More threads (64,
# one for every callback in flight) made the analysts slower (bench/README.md).
threads = int(os.environ.get("CITYBRAIN_THREADS", "4" if _WRITES == "copy" else "16"))
# a whole-month report renders in about 15 s; an upload loads in a child process of its own
timeout = 120
# browsers reuse a connection after a pause; gunicorn's default of 2 s closes it just then
keepalive = 75
# the app logs each request itself, with the user and the time taken (web/logs.py)
accesslog = None
errorlog = "-"


def store_writes() -> str:
    """How the store is written, as the master's environment says once gunicorn set it up
    (``-e CITYBRAIN_STORE_WRITES=...`` on the command line included), service by default;
    put in that environment, which the workers it forks inherit."""
    writes = _writes()
    os.environ["CITYBRAIN_STORE_WRITES"] = writes
    return writes


def on_starting(server):
    """Refuse several workers on a store written in place (``--workers`` included): all but
    the first would fail to open it. With a store service, start it and keep it running."""
    writes = store_writes()
    if writes == "in-place" and server.cfg.workers > 1:
        raise SystemExit(f"{server.cfg.workers} workers: a store written in place is served by "
                         "one process (threads for concurrency); set "
                         "CITYBRAIN_STORE_WRITES=service (or copy) for several "
                         "(docs/DEPLOY.md)")
    if writes == "service":
        import settings as settings_mod
        from app import ensure_store
        from data.service import Keeper
        store = ensure_store(settings_mod.from_env())     # the demo city, built on first run
        server.citybrain_store = Keeper(store).start()


def on_exit(server):
    """Stop the store's service (its log checkpointed into the file)."""
    keeper = getattr(server, "citybrain_store", None)
    if keeper is not None:
        keeper.stop()
