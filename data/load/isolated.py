"""A load in a child process with a memory and a time limit: what a server runs for an upload.

A small compressed file can unpack into gigabytes (an XLSX of repeated rows, a Parquet file of
one repeated value) and a damaged one can keep a reader busy for minutes. Read inside the
server, either takes the server down with it. Here the load (``data.load.build.load``, the
same code as ``citybrain load``) runs in a child process; the parent watches the child's
resident memory and the clock and kills it past either limit. The child's half-written copy
is removed, the served store is untouched (a load only ever renames a finished copy over it),
and the caller gets a ``LoadError`` saying which limit the file exceeded.

The child is ``python -m data.load.isolated``: it reads one JSON request on stdin and writes
one JSON answer on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from data.load.problems import LoadError, Problem

#: How often the parent looks at the child's memory (seconds).
_POLL = 0.02


@dataclass(frozen=True)
class Limits:
    """What one isolated load may use: resident memory (MB) and wall-clock time (s)."""

    memory_mb: int = 2048
    seconds: int = 300


def load_isolated(store_path: str | os.PathLike, items, *, limits: Limits,
                  now: dt.datetime | None = None, source: str | None = None,
                  in_place: bool = True):
    """Run ``data.load.build.load(store_path, items, now=now, source=source,
    in_place=in_place)`` in a child process within ``limits`` and return its ``LoadReport``
    (``in_place=False``: a copy of the store renamed over it, whoever owns the file; never
    handed to a store service, which would read the file outside the limits).

    Raises
    ------
    LoadError
        The load's own problems, or the limit the child exceeded (it is killed and its copy
        removed; the store is unchanged).
    ValueError, FileNotFoundError
        As ``load`` raises them.
    """
    from data.load.build import LoadReport, remove_leftovers

    request = {"store": str(store_path), "now": now.isoformat() if now else None,
               "source": source, "in_place": in_place,
               "items": [{"kind": i.kind, "path": str(i.path), "options": i.options}
                         for i in items]}
    name = Path(items[0].path).name if items else Path(store_path).name
    r = _in_a_child(request, limits, name, lambda: remove_leftovers(Path(store_path)))["report"]
    return LoadReport(Path(r["store"]), version=r["version"], rows=r["rows"],
                      notes=r["notes"], warnings=[Problem(**p) for p in r["warnings"]])


def read_isolated(kind: str, path: str | os.PathLike, options: dict, ref: dict,
                  now: dt.datetime, *, limits: Limits):
    """Run ``data.load.build.read_feed(kind, path, options, ref, now)`` in a child process
    within ``limits`` and return what it read: an upload of a feed's kind, read and checked
    there, then written into the store in place by the server, as a feed's batch is. Raises
    as ``load_isolated`` does. What goes between the processes are pickles beside ``path``
    (this process's own folder for the upload), removed after."""
    path = Path(path)
    reference, read = (path.with_name(f".{path.name}.{part}") for part in ("reference", "read"))
    try:
        with open(reference, "wb") as out:
            pickle.dump(ref, out)
        _in_a_child({"read": {"kind": kind, "path": str(path), "options": options,
                              "now": now.isoformat(), "reference": str(reference),
                              "out": str(read)}}, limits, path.name, lambda: None)
        with open(read, "rb") as found:
            return pickle.load(found)
    finally:
        reference.unlink(missing_ok=True)
        read.unlink(missing_ok=True)


def _in_a_child(request: dict, limits: Limits, name: str, after_failure) -> dict:
    """Answer ``request`` in ``python -m data.load.isolated`` within ``limits``: the child's
    answer, or what it raised (a LoadError, ValueError or FileNotFoundError), or a
    LoadError naming the file ``name`` and the limit exceeded or the failure, after calling
    ``after_failure`` (what a killed child leaves is removed)."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p))
    child = subprocess.Popen([sys.executable, "-m", "data.load.isolated"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, start_new_session=True)
    out: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda n=n, s=s: out.__setitem__(n, s.read()),
                                daemon=True)
               for n, s in (("stdout", child.stdout), ("stderr", child.stderr))]
    for reader in readers:
        reader.start()
    child.stdin.write(json.dumps(request).encode())
    child.stdin.close()
    exceeded = _watch(child, limits)
    for reader in readers:
        reader.join()
    if exceeded:
        after_failure()
        raise LoadError([Problem(name, None, None, None, exceeded)])
    try:
        answer = json.loads(out.get("stdout") or b"{}")
    except ValueError:
        answer = {}
    if "report" in answer or "read" in answer:
        return answer
    if "problems" in answer:
        raise LoadError([Problem(**p) for p in answer["problems"]], answer["more"])
    if answer.get("error") in ("ValueError", "FileNotFoundError"):
        raise {"ValueError": ValueError, "FileNotFoundError": FileNotFoundError}[
            answer["error"]](answer["message"])
    after_failure()
    tail = (out.get("stderr") or b"").decode(errors="replace").strip().splitlines()[-1:]
    raise LoadError([Problem(name, None, None, None, "the load failed unexpectedly (exit "
                             f"{child.returncode}{': ' + tail[0][:200] if tail else ''})")])


def _watch(child: subprocess.Popen, limits: Limits) -> str | None:
    """Wait for the child; kill it and say why if it exceeds a limit."""
    deadline = time.monotonic() + limits.seconds
    peak = 0
    while child.poll() is None:
        peak = max(peak, _rss_mb(child.pid))
        if peak > limits.memory_mb:
            _kill(child)
            return (f"reading this file needed more than {limits.memory_mb} MB of memory "
                    "(the limit for a load from the data screen): split it into smaller "
                    "files, or load it with citybrain load on the server")
        if time.monotonic() > deadline:
            _kill(child)
            return (f"reading this file took longer than {limits.seconds} s (the limit for a "
                    "load from the data screen): split it into smaller files, or load it "
                    "with citybrain load on the server")
        time.sleep(_POLL)
    return None


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _kill(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()


def _child() -> int:
    """The child: one load, or one file read (``read_isolated``), its outcome as JSON on
    stdout."""
    from data.load.build import Item, load, read_feed

    request = json.loads(sys.stdin.read())
    try:
        if "read" in request:
            r = request["read"]
            with open(r["reference"], "rb") as found:
                ref = pickle.load(found)
            read = read_feed(r["kind"], Path(r["path"]), r["options"], ref,
                             dt.datetime.fromisoformat(r["now"]))
            with open(r["out"], "wb") as out:
                pickle.dump(read, out)
            sys.stdout.write(json.dumps({"read": True}))
            return 0
        items = [Item(i["kind"], Path(i["path"]), i["options"]) for i in request["items"]]
        now = dt.datetime.fromisoformat(request["now"]) if request["now"] else None
        # its turn among the writers (feeds write the store every second or two): within
        # the time limit, not refused because a batch was being written
        report = load(request["store"], items, now=now, source=request["source"],
                      in_place=request["in_place"])
    except LoadError as error:
        answer = {"problems": [asdict(p) for p in error.problems], "more": error.more}
    except (ValueError, FileNotFoundError) as error:
        answer = {"error": type(error).__name__, "message": str(error)}
    else:
        answer = {"report": {"store": str(report.store), "version": report.version,
                             "rows": report.rows,
                             "notes": report.notes,
                             "warnings": [asdict(p) for p in report.warnings]}}
    sys.stdout.write(json.dumps(answer, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(_child())
