"""Whether a folder looks like a vault, checked before `bridge tasks` reads it.

Run from a home directory, a plain walk read tens of thousands of notes that hold no task. A
folder inside an Obsidian vault is read as asked; any other folder is read only while it keeps
showing tasks: a home directory or `/` needs --force, and so does a folder whose first notes
(`CRAWL_LIMIT` of them, in the order the walk meets them) hold no task at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bridge.vault import find_root, iter_note_paths, read_bytes
from bridge.wording import counted

__all__ = ["CRAWL_LIMIT", "Look", "look"]

CRAWL_LIMIT = 2000  # notes read outside a vault, none with a task, before the bridge stops
_NEAR_TOP = 1  # folder levels below the one given that count as its top
_PROBE_BYTES = 1024 * 1024  # a note bigger than this is not read by the probe
# a checkbox list item, with an optional blockquote prefix (design section 4)
_TASK_LINE = re.compile(rb"^[ \t>]*(?:[-*+]|\d+[.)])[ \t]+\[[^\]]\][ \t]", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Look:
    """`warning`: a line for stderr, the folder may not be a vault; `refusal`: do not read it
    (without --force), and why."""

    warning: str | None = None
    refusal: str | None = None


def _has_task(path: Path) -> bool:
    data, _, _ = read_bytes(path, _PROBE_BYTES)
    return data is not None and _TASK_LINE.search(data) is not None


def _too_wide(folder: Path) -> bool:
    """A home directory, or a folder above it (`/`, `/home`): what nobody means as a vault."""
    home = Path.home().absolute()
    return folder == home or home.is_relative_to(folder)


def look(path: Path, *, force: bool = False, limit: int | None = None) -> Look:
    """Read just enough of `path` to tell whether it is worth reading whole.

    The walk stops at the first note with a task; only a folder with none in its first `limit`
    notes is refused, so a plain folder of meeting notes (no `.obsidian`) still just works.
    """
    limit = limit or CRAWL_LIMIT
    folder = path.absolute()
    if not folder.is_dir() or (find_root(folder) / ".obsidian").is_dir():
        return Look()
    if _too_wide(folder) and not force:
        return Look(
            refusal=f"{folder} is a home directory or above it, not a vault; point at the vault"
            " (or set BRIDGE_VAULT), or pass --force to read every note under it"
        )
    near_top = False
    for seen, note in enumerate(iter_note_paths(folder), start=1):
        if _has_task(note):
            near_top = len(note.relative_to(folder).parts) <= _NEAR_TOP + 1
            break
        if seen >= limit and force:
            break  # read in full as asked; the warning below still says why it may be a mistake
        if seen >= limit:
            return Look(
                refusal=f"{folder} does not look like a vault: no .obsidian folder, and none of the"
                f" first {counted(seen, 'note')} holds a task; stopped. Point at the vault, or pass --force"
                " to read every note"
            )
    if near_top:
        return Look()
    return Look(
        warning=f"{folder} does not look like a vault (no .obsidian folder, no notes with tasks"
        " near the top); reading it anyway"
    )
