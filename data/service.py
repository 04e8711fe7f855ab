"""The store in a process of its own (``CITYBRAIN_STORE_WRITES=service``): it owns the file,
writes every batch into it in place and answers the queries of several server processes
over a local socket. DuckDB lets one process write a file, so with feeds written in place
one process served every request, and the writer's statements waited for that process's
interpreter and for the requests' queries: run apart on the same two cores, both goals of
the feed bench were met where one process missed them (bench/README.md, "The writes
apart"); an answer's trip across the socket adds about 5 % to a chart.

- ``Service`` (``python -m data.service STORE``, started and kept running by gunicorn's
  master, gunicorn.conf.py) opens the store writable, opens it anew when a load by copy
  replaces the file, and answers each connection in a thread of its own.
- ``RemoteStore`` is what a server process holds instead of a ``Store``: the same reading
  methods (df, rows, records, batches, health_meta, catalogue, the versions), one
  connection per thread.
- ``load`` hands a load of the feeds' kinds to the service, which writes it in place as its
  owner: ``build.load`` calls it in every process that does not own the store (a server's
  feed API, an upload's child, the drop folder, the CLI beside a running server).

The socket lies in a folder only this user may enter (``settings.run_dir``): what crosses
it is pickled.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import logging
import os
import pickle
import signal
import stat
import subprocess
import sys
import threading
import time
from functools import cached_property
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import cast

import settings as settings_mod
from data.store import Store, replacement, sweep_left_over, when_replaced

log = logging.getLogger(__name__)

#: How long gunicorn's master waits for the service it starts to answer (a service starting
#: replays a dead writer's log first: minutes at 100M events).
START_SECONDS = 600
#: How long a server process waits for the service: it starts once the service answered,
#: so only a service being started again after a crash is waited for.
WAIT_SECONDS = 30
#: How long a server process waits for an answer to a query before it gives up on the
#: service (a hung one would hold every request thread for good; a query of the screens
#: takes well under a second at 100M events, bench/README.md).
ANSWER_SECONDS = 60
#: How long after a call went unanswered a server process's calls fail at once, rather than
#: each thread waiting ANSWER_SECONDS for a service that is stalled.
DOWN_SECONDS = 5
#: How often the service looks whether a load renamed a new file over the store.
RELOAD_CHECK_SECONDS = 1.0


def address(path: str | os.PathLike) -> str:
    """The socket of the service of the store at ``path``: named after the store's resolved
    path (a Unix socket's path holds at most 107 bytes) in a folder of this user's only
    (``settings.run_dir``)."""
    folder = settings_mod.run_dir()
    folder.mkdir(mode=0o700, exist_ok=True)
    if not _ours(folder):
        raise RuntimeError(f"{folder} is not this user's own (mode 700): the store "
                           "service's socket cannot go there")
    return str(_socket_of(folder, path))


def _socket_of(folder: Path, path: str | os.PathLike) -> Path:
    return folder / f"{hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:32]}.sock"


def _ours(folder: Path) -> bool:
    """Whether ``folder`` is this user's own, mode 700, and no link (another user's link
    to a folder of ours would pass a ``stat``)."""
    found = folder.lstat()
    return (stat.S_ISDIR(found.st_mode) and found.st_uid == os.getuid()
            and not found.st_mode & 0o077)


def _portable(exc: BaseException) -> BaseException:
    """``exc``, or a RuntimeError saying what it was where it cannot cross the socket."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 (any failure to pickle)
        return RuntimeError(f"{type(exc).__name__}: {exc}")


# --- the service ----------------------------------------------------------------------------

#: The stores this process is the service of: a load it cannot write (its store replaced
#: and not opened again) is refused, not handed to itself.
_SERVED_HERE: set[str] = set()


class Service:
    """The process that owns the store at ``path`` and answers for it."""

    def __init__(self, path: str | os.PathLike, queries_at_once: int = 1):
        self.path = Path(path)
        _SERVED_HERE.add(str(self.path.resolve()))
        self.queries_at_once = queries_at_once
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self.store = Store(self.path, writable=True, queries_at_once=queries_at_once)
        sweep_left_over(self.path)      # what killed processes left beside the store
        when_replaced(self.path, self.reopen)

    def current(self) -> Store:
        """The store to answer from, opened anew once a load by copy replaced the file
        (looked at once a second at most)."""
        if time.monotonic() - self._checked >= RELOAD_CHECK_SECONDS:
            self.reopen()
        return self.store

    def reopen(self) -> None:
        """Serve the file a load by copy renamed over the store, if one did (called by
        ``store.when_replaced`` too)."""
        with self._lock:
            self._checked = time.monotonic()
            store = replacement(self.path, self.store, lambda: Store(
                self.path, writable=True, queries_at_once=self.queries_at_once))
            if store is not None:
                self.store = store  # the old one closes once its last answer is sent

    def state(self) -> tuple[str, dict[str, str], str]:
        store = self.current()
        return store.version, dict(store.part_versions), store.fingerprint

    def serve(self, at: str) -> None:
        """Answer every connection to the socket ``at`` in a thread of its own, forever."""
        if os.path.exists(at):
            os.unlink(at)       # a dead service's: this one owns the store now
        # a long backlog: while the service is stalled, callers' connects still complete
        # and their wait for the answer times out (ANSWER_SECONDS), not the connect itself
        listener = Listener(at, family="AF_UNIX", backlog=128)
        log.info("store service for %s listening on %s", self.path, at)
        while True:
            try:
                conn = listener.accept()
            except OSError as exc:      # out of descriptors, a caller gone mid-handshake
                log.warning("store service: a connection refused: %s", exc)
                time.sleep(0.1)
                continue
            threading.Thread(target=self._answer_all, args=(conn,), daemon=True).start()

    def _answer_all(self, conn: Connection) -> None:
        with conn:
            while True:
                try:
                    name, args, kwargs = conn.recv()
                except (EOFError, OSError):
                    return
                if name == "batches":
                    try:
                        self._stream(conn, *args)
                    except (EOFError, OSError):
                        return      # the caller went away mid-stream
                    continue
                try:
                    answer = ("ok", self._answer(name, args, kwargs))
                except Exception as exc:  # noqa: BLE001 (raised again in the caller)
                    # an OSError too: a file a load cannot open is the caller's to hear of
                    answer = ("error", _portable(exc))
                try:
                    conn.send(answer)
                except (EOFError, OSError):
                    return          # the caller gave up waiting (ANSWER_SECONDS) or went

    def _answer(self, name: str, args: tuple, kwargs: dict):
        if name in ("df", "rows", "records"):
            return getattr(self.current(), name)(*args)
        if name == "state":
            return self.state()
        if name == "open":
            self.reopen()
            return self.state()
        if name == "health_meta":
            return self.current().health_meta()
        if name == "catalogue":
            return self.current().catalogue
        if name == "load":
            from data.load import build
            return build.load(self.path, *args, **kwargs)
        raise ValueError(f"the store service answers no {name!r}")

    def _stream(self, conn: Connection, sql: str, params: list, rows_per_batch: int) -> None:
        """An export's rows: ("ok", schema), then ("batch", batch) each, then ("end",
        None), or ("error", what was raised) where it stopped."""
        try:
            reader = self.current().batches(sql, params, rows_per_batch)
        except Exception as exc:  # noqa: BLE001 (raised again in the caller)
            conn.send(("error", _portable(exc)))
            return
        conn.send(("ok", reader.schema))
        try:
            for batch in reader:
                conn.send(("batch", batch))
            conn.send(("end", None))
        except (EOFError, OSError):
            raise                       # the caller went away
        except Exception as exc:  # noqa: BLE001 (raised again in the caller)
            conn.send(("error", _portable(exc)))
        finally:
            reader.close()


# --- what a server process holds ------------------------------------------------------------

class ServiceDown(RuntimeError):
    """The store service did not answer."""


class RemoteStore:
    """A ``Store``'s reading side, answered by the service of the store at ``path``."""

    writable = False

    def __init__(self, path: str | os.PathLike, wait_seconds: float = WAIT_SECONDS,
                 answer_seconds: float = ANSWER_SECONDS):
        self.path = Path(path)
        self.address = address(self.path)
        self.answer_seconds = answer_seconds
        self._down_until = 0.0      # till when a call goes unasked (one went unanswered)
        # a connection per thread, closed when its thread ends (werkzeug's development
        # server starts one a request) or this store is dropped
        self._local = threading.local()
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                _, _, self.fingerprint = self._call("open")
                break
            except ServiceDown:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    @property
    def version(self) -> str:
        """The store's version now: every batch the service writes moves it."""
        return self._call("state")[0]

    @property
    def part_versions(self) -> dict[str, str]:
        return self._call("state")[1]

    def tell_apart(self, tag: str) -> None:
        """The service tells a file put in place by hand apart itself (``Service.reopen``)."""

    def df(self, sql: str, params: list | tuple = ()):
        return self._call("df", sql, list(params))

    def rows(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        return self._call("rows", sql, list(params))

    def records(self, sql: str, params: list | tuple = ()) -> list[dict]:
        return self._call("records", sql, list(params))

    def health_meta(self) -> dict[str, str]:
        return self._call("health_meta")

    @cached_property
    def catalogue(self):
        return self._call("catalogue")

    def batches(self, sql: str, params: list | tuple = (), rows_per_batch: int = 65_536):
        """An export's rows as Arrow record batches, on a connection of their own for as
        long as the stream is read."""
        import pyarrow as pa
        self._refuse_if_down()
        conn = self._connect()
        try:
            conn.send(("batches", (sql, list(params), rows_per_batch), {}))
            status, value = self._answer(conn)
        except ServiceDown:
            conn.close()
            raise
        except (EOFError, OSError) as exc:
            conn.close()
            raise ServiceDown(f"the store service of {self.path.name} did not answer: "
                              f"{exc}") from None
        if status == "error":
            conn.close()
            raise value

        def stream():
            try:
                while True:
                    try:
                        what, batch = self._answer(conn)
                    except (EOFError, OSError) as exc:
                        raise ServiceDown(f"the store service of {self.path.name} stopped "
                                          f"during an export: {exc}") from None
                    if what == "end":
                        return
                    if what == "error":
                        raise batch
                    yield batch
            finally:
                conn.close()
        return pa.RecordBatchReader.from_batches(value, stream())

    def close(self) -> None:
        """Close this thread's connection (the others close with their threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _connect(self) -> Connection:
        try:
            return Client(self.address, family="AF_UNIX")
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise ServiceDown(f"no store service for {self.path.name} at {self.address} "
                              f"({exc}): CITYBRAIN_STORE_WRITES=service needs gunicorn -c "
                              "gunicorn.conf.py or citybrain serve, which start it") from None

    def _call(self, name: str, *args):
        """Ask the service; a broken connection (the service restarted) is made again once,
        since reading twice changes nothing. No answer within ``answer_seconds``: the
        connection is dropped and ServiceDown raised, not asked again; every call of the
        next DOWN_SECONDS raises it at once."""
        self._refuse_if_down()
        for attempt in (1, 2):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = self._connect()
            try:
                conn.send((name, args, {}))
                status, value = self._answer(conn)
                break
            except ServiceDown:
                self.close()
                raise
            except (EOFError, OSError) as exc:
                self.close()
                if attempt == 2:
                    raise ServiceDown(f"the store service of {self.path.name} did not "
                                      f"answer: {exc}") from None
        if status == "error":
            raise value
        return value

    def _refuse_if_down(self) -> None:
        if time.monotonic() < self._down_until:
            raise ServiceDown(f"the store service of {self.path.name} left a call unanswered "
                              f"in the last {DOWN_SECONDS} s")

    def _answer(self, conn: Connection) -> tuple:
        """The service's next message on ``conn``, waited for ``answer_seconds`` at most."""
        if not conn.poll(self.answer_seconds):
            self._down_until = time.monotonic() + DOWN_SECONDS
            raise ServiceDown(f"the store service of {self.path.name} gave no answer in "
                              f"{self.answer_seconds:g} s")
        return conn.recv()


def open_store(path: str | os.PathLike, writes: str) -> Store:
    """The store a server process serves, as ``CITYBRAIN_STORE_WRITES`` says: its service's
    (``service``: a RemoteStore, which has the reading side of a Store's methods), the
    file owned (``in-place``) or read (``copy``)."""
    if writes == "service":
        return cast(Store, RemoteStore(path))
    return Store(path, writable=writes == "in-place")


def load(path: str | os.PathLike, items: list, wait_seconds: float | None = None,
         **kwargs):
    """Have the service of the store at ``path`` load ``items`` (``build.load``'s
    arguments) and return its report; None when the store has no service (no socket). A
    service being started again is waited for ``wait_seconds``, then ServiceDown: a load
    never writes the store itself beside its service. Not sent twice: a batch whose answer
    was lost is the caller's to send again (upserts by key). Its answer is waited for
    without a limit: a load takes its turn behind another, a load by copy at 100M events
    takes minutes."""
    if str(Path(path).resolve()) in _SERVED_HERE:
        raise RuntimeError(f"the store service of {Path(path).name} has no store open to "
                           "write (a replaced file not opened again: see its log)")
    # the service opens the files itself, from its own working folder
    items = [dataclasses.replace(item, path=Path(item.path).resolve()) for item in items]
    folder = settings_mod.run_dir()
    try:
        if not _ours(folder):
            return None         # no service of ours could listen there
    except FileNotFoundError:
        return None
    wait_seconds = WAIT_SECONDS if wait_seconds is None else wait_seconds
    at, deadline = str(_socket_of(folder, path)), time.monotonic() + wait_seconds
    while True:
        try:
            conn = Client(at, family="AF_UNIX")
            break
        except FileNotFoundError:
            return None
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise ServiceDown(f"the store service of {Path(path).name} did not answer "
                                  f"in {wait_seconds:.0f} s") from None
            time.sleep(0.2)
    with conn:
        try:
            conn.send(("load", (items,), kwargs))
            status, value = conn.recv()
        except (EOFError, OSError) as exc:
            raise ServiceDown(f"the store service of {Path(path).name} stopped during a "
                              f"load: {exc}") from None
    if status == "error":
        raise value
    return value


# --- kept running by gunicorn's master ------------------------------------------------------

class Keeper:
    """Runs ``python -m data.service STORE`` and starts it again if it dies (killed, out of
    memory): the servers' calls fail meanwhile and are made again once it answers."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._stopping = threading.Event()
        self._process: subprocess.Popen | None = None

    def start(self, wait_seconds: float = START_SECONDS) -> "Keeper":
        self._launch()
        threading.Thread(target=self._keep, daemon=True).start()
        RemoteStore(self.path, wait_seconds=wait_seconds).close()      # it answers
        return self

    def _launch(self) -> None:
        # a session of its own: a Ctrl-C or a signal to the servers' group is not its; its
        # keeper stops it, or it goes when it finds its keeper gone
        root = str(Path(__file__).resolve().parents[1])     # data/ from any folder
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH", "")) if p))
        self._process = subprocess.Popen([sys.executable, "-m", "data.service",
                                          str(self.path)], env=env, start_new_session=True)

    def _keep(self) -> None:
        while not self._stopping.is_set():
            code = self._process.wait()
            if self._stopping.wait(1):
                return
            log.error("store service for %s ended (%s): starting it again", self.path, code)
            self._launch()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self) -> None:
        self._stopping.set()
        if self._process and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data.service",
                                     description="Own a store and answer for it.")
    parser.add_argument("store")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    import settings as settings_mod
    parent = os.getppid()           # before the opening, which may replay a log for minutes
    service = Service(args.store, settings_mod.from_env().service_queries)
    at = address(args.store)

    def leave(*_) -> None:
        """Close the store (its log checkpointed into the file; a write in progress ends
        first), then the socket, and go."""
        service.store.close()
        Path(at).unlink(missing_ok=True)
        os._exit(0)

    def orphaned() -> None:     # its keeper (gunicorn's master) killed: the store let go
        while os.getppid() == parent:
            time.sleep(1)
        leave()
    threading.Thread(target=orphaned, daemon=True).start()
    signal.signal(signal.SIGTERM, leave)
    threading.Thread(target=service.serve, args=(at,), daemon=True).start()
    # Python runs a signal's handler in the main thread, between two of its steps: the
    # kernel may deliver SIGTERM to another thread (a query's), and a main thread blocked in
    # accept() would not run it before the next connection (a keeper's stop waited 60 s)
    while True:
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
