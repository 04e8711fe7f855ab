"""``fcntl`` as data/store.py meets it on a store folder shared over NFS, for tests on a local
disk: Linux's NFS client emulates flock(2) with POSIX byte-range locks, so an exclusive lock
needs a descriptor open for writing (EBADF otherwise), a process's own locks never conflict
with each other, and closing any of its descriptors of a file drops all its locks on it
(flock(2), fcntl(2))."""

from __future__ import annotations

import errno
import fcntl
import os

LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN = fcntl.LOCK_SH, fcntl.LOCK_EX, fcntl.LOCK_NB, fcntl.LOCK_UN


def flock(fd, operation: int) -> None:
    try:
        fcntl.lockf(fd, operation)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EAGAIN):       # held: flock's answer on NFS
            raise BlockingIOError(errno.EWOULDBLOCK, os.strerror(errno.EWOULDBLOCK)) from None
        raise


def install() -> None:
    """Make data.store lock files as on NFS (in this process)."""
    import sys

    from data import store
    store.fcntl = sys.modules[__name__]
