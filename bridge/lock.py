"""One writer at a time: an overlapping cron run must leave at once, not race the first.

An advisory `flock` on a file beside the state database; the kernel drops it when the holder
dies, so a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bridge.errors import LockHeldError, StateError

__all__ = ["held_lock", "take_flock"]


def take_flock(fd: int, wait: float) -> bool:
    """Take the exclusive lock on `fd`, trying for up to `wait` seconds; whether it was taken."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        else:
            return True


@contextmanager
def held_lock(path: Path, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock at `path` for the block; LockHeldError when another process keeps it longer
    than `wait` seconds (cron runs do not wait; the webhook receiver waits for a running sync)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:  # a folder or an unwritable file in its place: a person must look
        raise StateError(
            f"lock file {path} (beside the state database) cannot be opened: {exc.strerror or exc};"
            " move it away and the next sync makes it again (it holds only the pid of the last sync)"
        ) from exc
    try:
        if not take_flock(fd, wait):
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "another process"
            raise LockHeldError(f"another sync is running (pid {holder}, lock {path}); this run did nothing")
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
