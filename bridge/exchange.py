"""Replacing a note only while it still holds the bytes that were read: a compare-and-swap.

An editor may save at any moment, in place, by appending, by renaming a new file over the note,
or by deleting and recreating it. A plain "check, then rename" loses a save that lands between
the two. On Linux the new file is instead *exchanged* with the note in one step
(`renameat2(RENAME_EXCHANGE)`), and what came out is checked afterwards: the same inode, the
same bytes, and no writer still holding it open (probed with a read lease). On a mismatch the
exchange is undone, and the caller reads the note again.

While that check runs, the new file carries a write lease: no other process can have it open,
and one opening the note in those microseconds waits in `open()`. So when the check finds a save
that raced us, the new file can simply stay, rewritten in place from that save plus our change,
before the lease is released and anyone reads it. Only without a lease, or while a writer still
holds the old note open, is the exchange undone and the write tried again.

Without `renameat2` or leases (another OS, some network or FUSE file systems), a stat check right
before a plain rename narrows the window to microseconds but cannot close it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bridge.swap_names import SAVED_SUFFIX, TEMP_SUFFIX

__all__ = ["SAVED_SUFFIX", "TEMP_SUFFIX", "Swapped", "exchange_supported", "swap_if_unchanged"]

log = logging.getLogger(__name__)

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# Lease breaks are signalled to the holder; SIGIO's default would end the process, SIGURG's is
# to ignore it. The kernel waits for the holder either way, which is all the lease is for here.
_LEASE_SIGNAL = signal.SIGURG
_QUIET_WAIT = 0.2  # how long a writer may keep the swapped-out note open before we back off


@dataclass(frozen=True, slots=True)
class Swapped:
    """The outcome: `data` is what the note now holds from us, or None when it changed under us."""

    data: bytes | None


def _load_renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # pragma: no cover - glibc before 2.28, or musl
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _load_renameat2()


def exchange_supported() -> bool:
    """Whether this platform can exchange two paths atomically (a file system may still refuse)."""
    return _RENAMEAT2 is not None


def _exchange(a: str, b: str) -> None:
    assert _RENAMEAT2 is not None  # noqa: S101 - callers check exchange_supported()
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), b)


def _lease(fd: int, kind: int) -> bool | None:
    """Take a lease: True; False when another process holds the file open in a conflicting way;
    None when leases cannot be had here (another owner's file, a file system without them)."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETSIG, _LEASE_SIGNAL)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, kind)
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


def _release(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)


def _awaited(fd: int, leased: bool) -> bool:
    """Whether someone is waiting to open the file we hold a write lease on."""
    if not leased:
        return False
    try:
        return fcntl.fcntl(fd, fcntl.F_GETLEASE) != fcntl.F_WRLCK
    except OSError:  # pragma: no cover - the lease was taken a moment ago
        return True


def _inode(path: str) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def _settled(path: str, wait: float) -> tuple[bytes, os.stat_result, bool]:
    """The bytes at `path` (a name only we know), and whether no writer held it open as we read.

    Nobody can open it anew by its name, so once a read lease is granted no write can follow.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        deadline = time.monotonic() + wait
        while (leased := _lease(fd, fcntl.F_RDLCK)) is False and time.monotonic() < deadline:
            time.sleep(0.0005)
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        info = os.fstat(fd)
        if leased:
            _release(fd)
        return b"".join(chunks), info, leased is not False  # no lease to be had: bytes decide
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp(target: Path, data: bytes, mode: int, owner: tuple[int, int]) -> tuple[int, str]:
    """A sibling file holding `data`, fsynced, with the note's mode and (when permitted) owner."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.fchmod(fd, mode)
        if owner != (os.getuid(), os.getgid()):
            try:
                os.fchown(fd, *owner)
            except PermissionError:
                log.debug("cannot keep the owner of %s", target)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    return fd, tmp


def swap_if_unchanged(
    target: Path,
    new: bytes,
    read: bytes,
    before: os.stat_result,
    replan: Callable[[bytes], bytes],
) -> Swapped:
    """Put `new` at `target` if it still holds `read` (inode and bytes of `before`).

    `replan` gives the bytes to write for another content of the note; it is asked when a save
    raced the swap and ours stays, rewritten from that save (see the module docstring).
    """
    mode, owner = before.st_mode & 0o7777, (before.st_uid, before.st_gid)
    fd, tmp = _temp(target, new, mode, owner)
    ours = os.fstat(fd)
    swapped = False  # while True, `tmp` names what was the note
    try:
        if _RENAMEAT2 is None:
            return _rename_if_unchanged(target, tmp, new, before)
        leased = _lease(fd, fcntl.F_WRLCK) is True
        try:
            _exchange(tmp, str(target))
        except FileNotFoundError:  # deleted, perhaps about to be recreated: read it again
            return Swapped(None)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise
            return _rename_if_unchanged(target, tmp, new, before)
        swapped = True
        seen, info, quiet = _settled(tmp, _QUIET_WAIT)
        if quiet and (info.st_dev, info.st_ino) == (before.st_dev, before.st_ino) and seen == read:
            os.unlink(tmp)
            swapped = False
            _fsync_folder(target.parent)
            return Swapped(new)
        if _inode(str(target)) != (ours.st_dev, ours.st_ino):
            os.unlink(tmp)  # replaced since our exchange by a save made from what the note held
            swapped = False
            return Swapped(None)
        if not (leased and quiet):
            # no lease holds readers off ours, or a writer still holds the old note open: put it back
            _exchange(tmp, str(target))
            swapped = False
            if _inode(tmp) != (ours.st_dev, ours.st_ino):
                # saved by rename after our exchange: what we just put back is that save
                _exchange(tmp, str(target))
                os.unlink(tmp)  # the note as it was before that save, superseded by it
                return Swapped(None)
            if not _awaited(fd, leased):
                return Swapped(None)
            _exchange(tmp, str(target))  # opened in between: ours is bound to a reader, so it stays
            swapped = True
            seen, _, _ = _settled(tmp, _QUIET_WAIT * 5)
        # Ours stays, no other process has it open (the lease), so it is rewritten in place from
        # the save that raced us. That save is kept under a name the sweep leaves alone until the
        # rewrite is on disk: a crash now loses nothing.
        saved = tmp.removesuffix(TEMP_SUFFIX) + SAVED_SUFFIX
        os.rename(tmp, saved)
        swapped = False
        final = replan(seen)
        os.pwrite(fd, final, 0)
        os.ftruncate(fd, len(final))
        os.fsync(fd)
        os.unlink(saved)
        _fsync_folder(target.parent)
        log.info("%s was saved while being written; rewritten from that save", target.name)
        return Swapped(final)
    except FileNotFoundError as exc:
        if exc.filename != str(target):
            raise
        # deleted or moved away since our exchange: the user's later act wins over what we
        # swapped out (a save that act was made from); an editor recreating it is read again
        if swapped:
            os.unlink(tmp)
        return Swapped(None)
    except BaseException:
        if swapped:  # never leave the note's own bytes under a temporary name
            with contextlib.suppress(OSError):
                _exchange(tmp, str(target))
        raise
    finally:
        _release(fd)
        os.close(fd)
        if _inode(tmp) == (ours.st_dev, ours.st_ino):  # ours, not used
            os.unlink(tmp)


def _rename_if_unchanged(target: Path, tmp: str, new: bytes, before: os.stat_result) -> Swapped:
    """The portable fallback: a stat check right before the rename (a window, narrowed)."""
    try:
        now = os.stat(target)
    except FileNotFoundError:
        return Swapped(None)
    if (now.st_ino, now.st_size, now.st_mtime_ns) != (before.st_ino, before.st_size, before.st_mtime_ns):
        return Swapped(None)
    os.replace(tmp, target)
    _fsync_folder(target.parent)
    return Swapped(new)
