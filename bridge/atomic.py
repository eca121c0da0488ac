"""Replacing a file so that a crash leaves the old bytes or the new ones, never half of either.

Notes and the `.env` file are the user's data: both are written to a sibling temporary file
(created 0600, so a secret is never readable by others meanwhile), fsynced, given the mode (and
owner) to keep, and renamed over the target; the folder is fsynced so the rename survives a crash.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["replace_file"]

log = logging.getLogger(__name__)


def replace_file(
    target: Path,
    data: bytes | Iterable[bytes],
    *,
    mode: int,
    owner: tuple[int, int] | None = None,
    still_valid: Callable[[], bool] | None = None,
    durable: bool = True,
) -> bool:
    """Atomically put `data` at `target` with `mode` (and `owner`, when permitted). `still_valid`
    is asked just before the rename; when it says no, nothing is replaced and False is returned.

    `data` may be pieces, written one after the other as they come (a large file need not be
    held whole in memory first). `durable=False` skips both fsyncs, for a file that is only a
    cache checked when read: a crash may then leave it empty or old, never another file's bytes
    in a reader's view, and waiting for the disk cost a listing more than the rest of the write."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".bridge-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                handle.writelines(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if owner is not None and hasattr(os, "chown") and owner != (os.getuid(), os.getgid()):
            try:
                os.chown(tmp, *owner)
            except PermissionError:
                log.debug("cannot keep the owner of %s", target)
        if still_valid is not None and not still_valid():
            os.unlink(tmp)
            return False
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if not durable:
        return True
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True
