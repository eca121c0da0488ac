"""A vault's stamp: a digest of every note's path and stat, taken without reading or parsing one.

A sync from the same notes, settings and day as a run whose plan had no step need not plan
(`bridge.settled`); telling so must cost a walk and a stat per note, not a read of the parse
cache, so that a no-op sync of a large vault stays small. What a scan of the vault reports is a
function of what is stamped here: each note's stat (its bytes are taken as unchanged while its
size, mtime, inode and ctime are, the parse cache's rule), where a symlinked note leads and that
file's stat, what the walk met (folders it could not read, temporary files), and how notes parse
(the parse cache's fingerprint: bridge version and Obsidian Tasks settings). A note modified
within the last two seconds gives no stamp: a second edit in the same mtime tick would go unseen.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from bridge.vault import Walk, iter_note_names

__all__ = ["RACY_NS", "Stamp", "stamp"]

RACY_NS = 2_000_000_000


@dataclass(slots=True)
class Stamp:
    """`digest` is None when a note is too recent to tell; `litter` is what a killed write-back left."""

    digest: str | None
    litter: list[Path] = field(default_factory=list)


def _stat_text(info: os.stat_result) -> str:
    return f"{info.st_mode}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\0{info.st_ctime_ns}"


def _relative(base: str, folder: str, name: str) -> str:
    """A note's path in the vault, "week/a.md", from the walk's strings."""
    if folder == base:
        return name
    return folder[len(base) + 1 :].replace(os.sep, "/") + "/" + name


def stamp(root: Path, fingerprint: str, *extra: object, now_ns: int | None = None) -> Stamp:
    """The stamp of the vault at `root` (a folder), with `fingerprint` and `extra` (settings) in it."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    root = root.absolute()
    walk = Walk()
    where = (str(root), os.path.realpath(root))
    digest = hashlib.sha256(repr((where, fingerprint, extra)).encode("utf-8", "surrogateescape"))
    base = str(root)
    files = sorted(
        (_relative(base, folder, name), os.path.join(folder, name))
        for folder, name in iter_note_names(root, walk, vault=root)
    )
    recent = False
    for rel, file in files:
        parts = [rel]
        try:
            info = os.lstat(file)
        except OSError as exc:  # the scan reports it; an error that changes changes the stamp
            parts.append(f"lstat {type(exc).__name__} {exc.errno}")
        else:
            parts.append(_stat_text(info))
            recent |= now_ns - info.st_mtime_ns < RACY_NS
            if stat.S_ISLNK(info.st_mode):  # read where it leads: that file's stat counts
                parts.append(os.path.realpath(file))
                try:
                    target = os.stat(file)
                except OSError as exc:
                    parts.append(f"stat {type(exc).__name__} {exc.errno}")
                else:
                    parts.append(_stat_text(target))
                    recent |= now_ns - target.st_mtime_ns < RACY_NS
        digest.update("\0".join(parts).encode("utf-8", "surrogateescape") + b"\n")
    digest.update(repr((walk.problems, walk.unread)).encode("utf-8", "surrogateescape"))
    return Stamp(None if recent else digest.hexdigest(), walk.litter)
