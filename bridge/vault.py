"""A vault on disk: which files are notes, how their bytes become text, and the vault's status table.

Every way a file can be unreadable ends as a Diagnostic naming it; one bad file never stops
the rest of the vault, and nothing here ever writes.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bridge.groups import GroupPolicy, group_tasks
from bridge.model import Diagnostic, StatusType, Task
from bridge.parse import parse_note
from bridge.signifiers import DEFAULT_STATUSES, Dialect, StatusTable, TaskFormat

__all__ = [
    "DEFAULT_MAX_NOTE_BYTES",
    "Note",
    "ParseCache",
    "Scan",
    "decode_note",
    "find_root",
    "iter_note_paths",
    "load_dialect",
    "read_note",
    "scan",
]

DEFAULT_MAX_NOTE_BYTES = 10 * 1024 * 1024
TASKS_SETTINGS = Path(".obsidian/plugins/obsidian-tasks-plugin/data.json")
_NOTE_SUFFIXES = (".md",)


@dataclass(frozen=True, slots=True)
class Note:
    """A note file as read: what the parse cache and the optimistic writer compare against."""

    path: str
    size: int
    mtime_ns: int


@dataclass(slots=True)
class Scan:
    root: Path
    tasks: list[Task] = field(default_factory=list)
    groups: list[str | None] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # notes that exist but could not be read
    dialect: Dialect = field(
        default_factory=Dialect
    )  # what the notes were parsed with; write-back uses it too

    @property
    def complete(self) -> bool:
        """Whether every note was read: only then may a task's absence mean anything."""
        return not self.unreadable


class ParseCache(Protocol):
    """Parsed notes kept between runs, keyed by (size, mtime): an unchanged note is only stat'ed."""

    def lookup(self, rel: str, size: int, mtime_ns: int) -> tuple[list[Task], list[Diagnostic]] | None: ...

    def store(self, note: Note, text: str, tasks: list[Task], diagnostics: list[Diagnostic]) -> None: ...


def find_root(path: Path) -> Path:
    """The vault a path belongs to: the nearest folder holding `.obsidian`, else the folder given
    (for a file, its folder). Paths, and so keys of notes without front matter, are relative to it."""
    path = path.absolute()
    for folder in (path, *path.parents):
        if (folder / ".obsidian").is_dir():
            return folder
    return path if path.is_dir() else path.parent


_FORMATS = {"tasksPluginEmoji": TaskFormat.EMOJI, "dataview": TaskFormat.DATAVIEW}


def load_dialect(root: Path) -> tuple[Dialect, list[Diagnostic]]:
    """The vault's Obsidian Tasks settings, when it has them: users define their own status symbols,
    pick one field format, and may mark tasks with a global filter such as `#task`."""
    settings = root / TASKS_SETTINGS
    if not settings.is_file():
        return Dialect(), []
    try:
        data = json.loads(settings.read_text(encoding="utf-8"))
        section = data.get("statusSettings", {})
        entries = [*section.get("coreStatuses", []), *section.get("customStatuses", [])]
        symbols = {str(e["symbol"]): StatusType(str(e["type"])) for e in entries if len(e["symbol"]) == 1}
        global_filter = str(data.get("globalFilter") or "").strip()
        task_format = _FORMATS.get(str(data.get("taskFormat", "")), TaskFormat.BOTH)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        problem = f"cannot read the Obsidian Tasks settings ({exc}); defaults used"
        return Dialect(), [Diagnostic(TASKS_SETTINGS.as_posix(), problem)]
    statuses = StatusTable({**DEFAULT_STATUSES, **symbols})  # the vault's table wins where it speaks
    return Dialect(statuses, task_format, global_filter), []


def iter_note_paths(root: Path) -> Iterator[Path]:
    """Note files under `root` in a stable order; hidden folders (.obsidian, .git, .trash) are skipped."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(_NOTE_SUFFIXES) and not name.startswith("."):
                yield Path(folder, name)


def decode_note(data: bytes, rel: str) -> tuple[str | None, Diagnostic | None]:
    """Note bytes as text; only UTF-8 is accepted, since anything else could not be written back safely."""
    nul = data.find(b"\x00")
    if nul >= 0:
        return None, Diagnostic(rel, f"binary file (NUL byte at offset {nul}); skipped")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start]
        return None, Diagnostic(
            rel,
            f"not UTF-8 (byte 0x{bad:02x} at column {column}; Latin-1 or Windows-1252?); "
            "skipped and left untouched; save it as UTF-8 to sync its tasks",
            line,
        )


def _size(count: int) -> str:
    return f"{count / 1_048_576:.1f} MiB" if count >= 1_048_576 else f"{count:,} bytes"


def read_note(path: Path, rel: str, max_bytes: int) -> tuple[str | None, Note | None, Diagnostic | None]:
    """Read one note, refusing what is not a regular file, too large, binary or not UTF-8."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            return None, None, Diagnostic(rel, f"broken symlink to {os.readlink(path)!r}; skipped")
        return None, None, Diagnostic(rel, "vanished while the vault was read; skipped")
    except OSError as exc:
        return None, None, Diagnostic(rel, f"cannot read: {exc.strerror or exc}; skipped")
    if not stat.S_ISREG(info.st_mode):
        return None, None, Diagnostic(rel, "not a regular file; skipped")
    if info.st_size > max_bytes:
        over = (
            f"{_size(info.st_size)} is over the {_size(max_bytes)} limit for a note (BRIDGE_MAX_NOTE_BYTES)"
        )
        return None, None, Diagnostic(rel, over + "; skipped")
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return None, None, Diagnostic(rel, f"cannot read: {exc.strerror or exc}; skipped")
    if len(data) > max_bytes:
        return None, None, Diagnostic(rel, "grew past the size limit while being read; skipped")
    text, problem = decode_note(data, rel)
    return text, Note(rel, info.st_size, info.st_mtime_ns), problem


def scan(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_NOTE_BYTES,
    policy: GroupPolicy | None = None,
    root: Path | None = None,
    cache: ParseCache | None = None,
) -> Scan:
    """Parse every note of a vault, a folder of it, or one note into tasks, groups and diagnostics.

    `root` is the vault the path lies in, when known (BRIDGE_VAULT); else `find_root` decides.
    """
    path = path.absolute()
    root = root.absolute() if root is not None and path.is_relative_to(root.absolute()) else find_root(path)
    dialect, problems = load_dialect(root)
    result = Scan(root, dialect=dialect)
    result.diagnostics.extend(problems)
    files = iter_note_paths(path) if path.is_dir() else iter([path])
    for rel, file in sorted((f.relative_to(root).as_posix(), f) for f in files):
        if cache is not None and (hit := _cached(cache, file, rel)) is not None:
            result.notes.append(hit[0])
            result.tasks.extend(hit[1][0])
            result.diagnostics.extend(hit[1][1])
            continue
        text, note, problem = read_note(file, rel, max_bytes)
        if problem is not None:
            result.diagnostics.append(problem)
        if text is None or note is None:
            result.unreadable.append(rel)
            continue
        result.notes.append(note)
        tasks, diagnostics = parse_note(text, rel, dialect)
        if cache is not None:
            cache.store(note, text, tasks, diagnostics)
        result.tasks.extend(tasks)
        result.diagnostics.extend(diagnostics)
    result.groups = group_tasks(result.tasks, policy)
    return result


def _cached(
    cache: ParseCache, file: Path, rel: str
) -> tuple[Note, tuple[list[Task], list[Diagnostic]]] | None:
    try:
        info = file.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    found = cache.lookup(rel, info.st_size, info.st_mtime_ns)
    return None if found is None else (Note(rel, info.st_size, info.st_mtime_ns), found)
