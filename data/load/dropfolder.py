"""A drop folder: files that systems able only to write files leave in a folder, loaded as
they appear (``citybrain sync``, or the server's own watcher with CITYBRAIN_DROP_DIR;
docs/FEEDS.md).

A system writes each file into a sub-folder named after its kind (``events/``, ``air/``,
``water/``, ``indicators/``) or under a name starting with its kind (``events-20261203.csv``,
``air_0900.xlsx``, ``事件20261203.csv``), under a temporary name first (``.x.csv``,
``x.csv.tmp``, ``x.csv.part``) and renamed when it is whole. Each settled file is loaded on
its own, all or nothing, through ``build.load`` (the same checks as ``citybrain load`` and the
feed API), oldest first, then moved to ``done/``; a file that cannot be loaded goes to
``failed/`` with ``<file>.errors.txt`` beside it naming every problem. One bad file never
stops the folder: the next one is loaded all the same.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import logging
import os
import re
import stat
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from data.load.build import KINDS, Item, load
from data.load.problems import LoadError, Problem
from settings import local_now

log = logging.getLogger(__name__)

#: What a drop folder takes: the feeds' kinds (build.IN_PLACE_KINDS), written into the store
#: in place when the server watches the folder. Boundaries and reference data stay with
#: `citybrain load`, run by a person who reads what it says.
DROP_KINDS = ("events", "air", "water", "indicators", "warnings", "resources")
#: Other words for a kind, in a sub-folder's or a file's name.
ALIASES = {"事件": "events", "空气": "air", "水质": "water", "指标": "indicators",
           "预警": "warnings", "应急资源": "resources"}
#: The files a drop folder takes (others are left alone: a README, Thumbs.db). An .xls is
#: taken to say what to do with it (save it as .xlsx).
SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq")
#: Names a writer gives a file it has not finished (it renames the file when it has).
PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")
PARTIAL_PREFIXES = (".", "~$")
DONE, FAILED = "done", "failed"
#: Keeps two syncs of one folder (a server and a cron job, two gunicorn workers) from taking
#: the same file: one looks into the folder at a time.
LOCK_NAME = ".citybrain-sync.lock"
ERRORS_SUFFIX = ".errors.txt"
WARNINGS_SUFFIX = ".warnings.txt"


@dataclass(frozen=True)
class Outcome:
    """What became of one file: where it was found, its kind (None: it could not be told),
    "loaded" or "failed", the rows loaded, where it was moved (None: it could not be), and
    how many problems (errors) and warnings it had."""

    file: Path
    kind: str | None
    status: str
    rows: int = 0
    moved_to: Path | None = None
    problems: int = 0
    warnings: int = 0
    #: The store's version after the load ("" when nothing was written).
    version: str = ""
    #: The drop folder, so that paths are told as the folder's (events/x.csv).
    folder: Path | None = None

    @property
    def name(self) -> str:
        """The file's name in the drop folder (events/x.csv)."""
        return self._name(self.file)

    def details(self) -> dict:
        """What the audit log records of it (data.access.what)."""
        if self.status == "loaded":
            return {"kind": self.kind, "file": self.name, "rows": self.rows,
                    "version": self.version}
        return {"kind": self.kind, "file": self.name, "refused": self.problems}

    def __str__(self) -> str:
        name, moved = self.name, self._name(self.moved_to)
        kind = self.kind or "kind unknown"
        if self.status == "loaded":
            warned = f", {_count(self.warnings, 'warning')}" if self.warnings else ""
            return f"loaded {name} ({kind}): {_count(self.rows, 'row')}{warned} -> {moved}"
        listed = (f", its problems in {self.moved_to.name}{ERRORS_SUFFIX}" if self.moved_to
                  else "")
        return f"failed {name} ({kind}): {_count(self.problems, 'problem')} -> {moved}{listed}"

    def _name(self, path: Path | None) -> str:
        if path is None:
            return "(not moved)"
        try:
            return path.relative_to(self.folder).as_posix() if self.folder else str(path)
        except ValueError:
            return str(path)


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def kind_of(relative: Path) -> tuple[str | None, str]:
    """A file's kind from its place in the drop folder (``events/x.csv``) or else its name's
    first word (``events-20261203.csv``, ``水质2026年11月.xlsx``), and, when it cannot be
    taken, why (None and the reason)."""
    if len(relative.parts) > 1:
        word = _word(relative.parts[0])
        if word in KINDS or word in ALIASES:
            return _feed_kind(ALIASES.get(word, word), f"the folder {relative.parts[0]}/")
    word = _word(relative.name)
    for alias, kind in ALIASES.items():
        if word.startswith(alias):
            return _feed_kind(kind, "its name")
    # the longest run of words joined by _ that names a kind: air_0900, grid_cells_new
    first = re.match(r"[a-z]+(?:_[a-z]+)*", word)
    words = first.group().split("_") if first else []
    for n in range(len(words), 0, -1):
        if "_".join(words[:n]) in KINDS:
            return _feed_kind("_".join(words[:n]), "its name")
    return None, ("cannot tell what it holds: put it in a sub-folder named after its kind "
                  f"({', '.join(f'{k}/' for k in DROP_KINDS)}) or start its name with the "
                  "kind (events-20261203.csv); "
                  f"{', '.join(f'{word} ({kind})' for word, kind in ALIASES.items())} too")


def _word(name: str) -> str:
    return name.strip().lower()


def _feed_kind(kind: str, where: str) -> tuple[str | None, str]:
    if kind in DROP_KINDS:
        return kind, ""
    return None, (f"{kind} ({where}) are not taken from a drop folder, only "
                  f"{', '.join(DROP_KINDS)}: load them with `citybrain load {kind} FILE`")


def pending(folder: str | os.PathLike, *, settle_seconds: float = 2.0,
            now: float | None = None) -> list[Path]:
    """The files a sync of ``folder`` would take now, oldest first (by modification time):
    those of the folder and of its sub-folders (not ``done/``, ``failed/`` or deeper ones)
    with a table's suffix, not named as unfinished, and not modified in the last
    ``settle_seconds`` before ``now`` (``time.time()``: a system may still be writing)."""
    folder = Path(folder)
    now = time.time() if now is None else now
    found = []
    for path in _listed(folder):
        try:
            modified = path.lstat().st_mtime
        except FileNotFoundError:
            continue            # renamed or removed since it was listed
        if now - modified >= settle_seconds:
            found.append((modified, path.relative_to(folder).as_posix(), path))
    return [path for *_, path in sorted(found)]


def _listed(folder: Path) -> list[Path]:
    """The candidate files of the folder and of its sub-folders, links not followed (a link
    to another folder would move that folder's files)."""
    files: list[Path] = []
    with os.scandir(folder) as top:
        for entry in top:
            if _unfinished(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name.lower() in (DONE, FAILED):
                    continue
                with os.scandir(entry.path) as inner:
                    files.extend(Path(e.path) for e in inner
                                 if not _unfinished(e.name) and not e.is_dir(follow_symlinks=False)
                                 and _taken(e.name))
            elif _taken(entry.name):
                files.append(Path(entry.path))
    return files


def _unfinished(name: str) -> bool:
    return name.startswith(PARTIAL_PREFIXES) or name.lower().endswith(PARTIAL_SUFFIXES)


def _taken(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def sync_once(store_path: str | os.PathLike, folder: str | os.PathLike, *,
              settle_seconds: float = 2.0, now: float | None = None,
              time_zone: str | None = None,
              on_outcome: Callable[[Outcome], None] | None = None,
              stop: threading.Event | None = None) -> list[Outcome]:
    """Load every settled file of ``folder`` into the store at ``store_path``, one file per
    load, oldest first; move each to ``done/`` or ``failed/``; return what became of each.

    Parameters
    ----------
    store_path : the store; each file is one ``build.load`` (waiting while another load of
        the store runs).
    folder : the drop folder (see the module's docstring for its layout).
    settle_seconds : a file modified less than this long ago is left for a later sync.
    now : the time files' ages are judged at (``time.time()``'s clock; default: now).
    time_zone : the centre's zone, for each load's time (default: CITYBRAIN_TZ).
    on_outcome : called with each file's outcome once it has been moved (the server swaps
        to the new data and writes the audit log).
    stop : when set, no further file is started.

    Raises
    ------
    FileNotFoundError : no store or no folder: no file is touched.
    PermissionError : a folder holding files that could not be moved out of it.
    OSError : a file loaded or refused that could not be moved (it stays where it was).
    """
    folder, store_path = Path(folder), Path(store_path)
    if not store_path.exists():
        raise FileNotFoundError(f"no store at {store_path}: nothing loaded from {folder}")
    if not folder.is_dir():
        raise FileNotFoundError(f"no drop folder at {folder}")
    outcomes: list[Outcome] = []
    with _sole_sync(folder) as sole:
        if not sole:
            log.debug("drop folder %s: another sync is taking its files", folder)
            return outcomes
        files = pending(folder, settle_seconds=settle_seconds, now=now)
        for where in sorted({path.parent for path in files}):
            if not os.access(where, os.W_OK | os.X_OK):
                raise PermissionError(f"drop folder: cannot move files out of {where} (not "
                                      "writable by this user): nothing loaded from it")
        for path in files:
            if stop is not None and stop.is_set():
                break
            outcome = _take(store_path, folder, path, time_zone)
            if outcome is None:
                continue
            outcomes.append(outcome)
            if on_outcome is not None:
                try:
                    on_outcome(outcome)
                except Exception:
                    log.exception("drop folder %s: after %s", folder, outcome)
    return outcomes


@contextmanager
def _sole_sync(folder: Path):
    """Yield True when this sync is the only one looking into ``folder`` (False: another
    process or thread is)."""
    with open(folder / LOCK_NAME, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        except OSError as exc:
            if exc.errno != errno.ENOLCK:
                raise
            yield True           # a share without locks: one sync per folder, by hand
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _take(store_path: Path, folder: Path, path: Path, time_zone: str | None) -> Outcome | None:
    """Load one file and move it to done/ or failed/; None when it is gone already."""
    relative = path.relative_to(folder)
    name = relative.as_posix()
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    kind, why = kind_of(relative)
    more, surprise = 0, False
    if kind is None:
        problems = [Problem(name, None, None, None, why)]
    elif not stat.S_ISREG(mode):
        # a link could point at any file this process may read, and its values would be
        # quoted in errors.txt; a pipe would keep the reader waiting
        problems = [Problem(name, None, None, None, "not a plain file (a link, a pipe): "
                            "not read; write the file itself into the folder")]
    else:
        try:
            report = load(store_path, [Item(kind, path)], source=f"drop:{path.name}",
                          wait=True, now=local_now(time_zone))
        except LoadError as error:
            # named as the folder names it (events/x.csv), not by this machine's path
            problems = [dataclasses.replace(p, file=name) for p in error.problems]
            more = error.more
        except Exception as exc:      # one file's surprise must not stop the folder
            log.exception("drop folder %s: loading %s", folder, name)
            problems = [Problem(name, None, None, None,
                                f"the load failed: {type(exc).__name__}: {exc}")]
            surprise = True
        else:
            moved = _move(path, folder / DONE / relative.parent)
            if report.warnings:
                _write_lines(moved.with_name(moved.name + WARNINGS_SUFFIX), [
                    f"{_stamp(time_zone)}: {name} loaded ({sum(report.rows.values())} rows) "
                    "despite these warnings:",
                    *(str(dataclasses.replace(w, file=name)) for w in report.warnings)])
            return Outcome(path, kind, "loaded", rows=sum(report.rows.values()),
                           moved_to=moved, warnings=len(report.warnings),
                           version=report.version, folder=folder)
    moved = _move(path, folder / FAILED / relative.parent)
    errors = [p for p in problems if p.level == "error"]
    lines = [f"{_stamp(time_zone)}: {name} failed: nothing of it was written to the store. "
             "Fix it and write it into the drop folder again."]
    if surprise:    # a load is all or nothing, but this one may have failed after its commit
        lines = [f"{_stamp(time_zone)}: {name} failed on an unexpected error: the store holds "
                 "all of it or nothing of it. Write it into the drop folder again once the "
                 "error is put right (a file loaded twice changes nothing)."]
    lines += [str(p) if p.level == "error" else f"warning: {p}" for p in problems]
    if more:
        lines.append(f"... and {more} more problems")
    _write_lines(moved.with_name(moved.name + ERRORS_SUFFIX), lines)
    return Outcome(path, kind, "failed", moved_to=moved, problems=len(errors) + more,
                   warnings=len(problems) - len(errors), folder=folder)


def _stamp(time_zone: str | None) -> str:
    return local_now(time_zone).isoformat(sep=" ", timespec="seconds")


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line.replace("\n", " ") + "\n" for line in lines),
                    encoding="utf-8")


def _move(path: Path, into: Path) -> Path:
    """Move ``path`` into the folder ``into`` under its own name, or ``name (2).csv`` ...
    when that is taken: never over another file."""
    into.mkdir(parents=True, exist_ok=True)
    for number in range(1, 10_000):
        name = path.name if number == 1 else f"{path.stem} ({number}){path.suffix}"
        target = into / name
        try:
            os.link(path, target, follow_symlinks=False)   # fails where a file is
        except FileExistsError:
            continue
        except OSError:          # a share without hard links: look, then rename
            if os.path.lexists(target):
                continue
            os.rename(path, target)
            return target
        path.unlink()
        return target
    raise OSError(f"{into} holds 10,000 files named like {path.name}: clear it out")


@dataclass
class Watcher:
    """A folder watched by a thread of its own (``start``); ``close`` stops it."""

    thread: threading.Thread
    stop: threading.Event

    def close(self, timeout: float | None = None) -> None:
        """Stop after the file being loaded, if any, and wait up to ``timeout`` seconds."""
        self.stop.set()
        self.thread.join(timeout)


def watch(store_path: str | os.PathLike, folder: str | os.PathLike, *, interval: float = 5.0,
          settle_seconds: float = 2.0, stop: threading.Event, time_zone: str | None = None,
          on_outcome: Callable[[Outcome], None] | None = None) -> None:
    """Sync ``folder`` into the store every ``interval`` seconds until ``stop`` is set,
    logging what became of each file. Polling, not file-system events: it works on network
    shares and needs nothing more. A folder that cannot be synced (a share not mounted, no
    store) is logged once, and tried again every interval."""
    folder = Path(folder)
    log.info("watching the drop folder %s every %g s for %s", folder, interval, store_path)

    def logged(outcome: Outcome) -> None:      # as each file is done, not after the round
        level = logging.INFO if outcome.status == "loaded" else logging.WARNING
        log.log(level, "drop folder %s: %s", folder, outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    trouble = ""
    while not stop.is_set():
        try:
            sync_once(store_path, folder, settle_seconds=settle_seconds, time_zone=time_zone,
                      on_outcome=logged, stop=stop)
            if trouble:
                log.info("drop folder %s: synced again", folder)
                trouble = ""
        except Exception as exc:
            if str(exc) != trouble:
                log.error("drop folder %s: %s (trying again every %g s)", folder, exc, interval)
                trouble = str(exc)
        stop.wait(interval)


def start(store_path: str | os.PathLike, folder: str | os.PathLike, *, interval: float = 5.0,
          settle_seconds: float = 2.0, time_zone: str | None = None,
          on_outcome: Callable[[Outcome], None] | None = None) -> Watcher:
    """Watch ``folder`` (``watch``) in a daemon thread; return it and its stop."""
    stop = threading.Event()
    thread = threading.Thread(
        target=watch, args=(store_path, folder), daemon=True, name="citybrain-drop",
        kwargs={"interval": interval, "settle_seconds": settle_seconds, "stop": stop,
                "time_zone": time_zone, "on_outcome": on_outcome})
    thread.start()
    return Watcher(thread, stop)
