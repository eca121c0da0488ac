"""Changing a task's status inside a note without disturbing anything else in the file.

Only the status character and an appended or removed `✅`/`❌` date change; every other byte,
line ending, BOM and the file's mode stay as they were. Writes are atomic (temporary file,
fsync, rename) and optimistic: the note is read again right before writing, the task found
again by key, and the rename skipped and retried when the note changed underneath.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bridge.atomic import replace_file
from bridge.model import Diagnostic, Spelling, StatusType, Task
from bridge.parse import LineParse, parse_line, parse_note
from bridge.signifiers import SIGNIFIERS, Dialect, spell
from bridge.vault import DEFAULT_MAX_NOTE_BYTES, Note, read_note

__all__ = ["WriteResult", "edit_line", "set_status"]

log = logging.getLogger(__name__)

_ATTEMPTS = 5
_STAMP = {StatusType.DONE: "done", StatusType.CANCELLED: "cancelled"}
_EMOJI = {s.field: s.emoji[0] for s in SIGNIFIERS if s.field in _STAMP.values()}
_DATAVIEW = {s.field: s.dataview for s in SIGNIFIERS if s.field in _STAMP.values()}


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one note write did: lines changed, keys not found (so not written), and problems."""

    path: str
    lines: tuple[int, ...] = ()
    missing: tuple[str, ...] = ()
    relocated: bool = False
    problems: tuple[Diagnostic, ...] = field(default_factory=tuple)

    @property
    def written(self) -> bool:
        return bool(self.lines)


def _stamp(name: str, spelling: Spelling, day: dt.date) -> str:
    if spelling is Spelling.DATAVIEW:
        return f"  [{_DATAVIEW[name]}:: {day.isoformat()}]"
    return f" {spell(_EMOJI[name], spelling)} {day.isoformat()}"


def edit_line(
    line: str,
    parsed: LineParse,
    target: StatusType,
    dialect: Dialect,
    today: dt.date,
    spelling: Spelling = Spelling.UTF8,
) -> str:
    """The line with its status set to `target`; `spelling` is used only when the line has none."""
    symbol = dialect.statuses.symbol_for(target, parsed.status)
    wanted = _STAMP.get(target)
    cuts = [f for f in parsed.fields if f.name in _STAMP.values() and f.name != wanted]
    text = line
    for f in sorted(cuts, key=lambda f: f.start, reverse=True):
        start = f.start - 1 if f.start > 0 and text[f.start - 1] in " \t" else f.start
        text = text[:start] + text[f.end :]
    if wanted is not None and parsed.first(wanted) is None:
        block = parsed.first("block")
        content_end = len(text.rstrip(" \t"))
        at = block.start - 1 if block is not None and block.end == content_end else content_end
        text = text[:at] + _stamp(wanted, parsed.spelling or spelling, today) + text[at:]
    return text[: parsed.status_at] + symbol + text[parsed.status_at + 1 :]


def _file_spelling(tasks: list[Task]) -> Spelling:
    """The spelling most task lines of a note already use, for a line that has none of its own."""
    seen = Counter(t.spelling for t in tasks if t.spelling is not None)
    return seen.most_common(1)[0][0] if seen else Spelling.UTF8


def _plan(
    data: bytes, text: str, rel: str, changes: Mapping[str, StatusType], dialect: Dialect, today: dt.date
) -> tuple[bytes, list[int], list[str]]:
    """The new file bytes, the lines changed, and the keys not found; bytes are spliced, not re-encoded."""
    tasks, _ = parse_note(text, rel, dialect)
    found = {t.line_key for t in tasks}
    spelling = _file_spelling(tasks)
    pieces: list[bytes] = []
    cursor = 0
    changed: list[int] = []
    for task in tasks:
        target = changes.get(task.line_key)
        if target is None:
            continue
        start, end = task.source.start, task.source.end
        line = data[start:end].decode("utf-8")
        parsed = parse_line(line, dialect.task_format)
        if parsed is None:  # pragma: no cover - the same line parsed as a task a moment ago
            continue
        new = edit_line(line, parsed, target, dialect, today, spelling)
        if new == line:
            continue
        pieces += [data[cursor:start], new.encode("utf-8")]
        cursor = end
        changed.append(task.source.line)
    pieces.append(data[cursor:])
    return b"".join(pieces), changed, [k for k in changes if k not in found]


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_ino, b.st_size, b.st_mtime_ns)


def _replace(target: Path, data: bytes, before: os.stat_result) -> bool:
    """Atomically replace `target` with `data`, unless it changed since `before`; False when it did."""
    return replace_file(
        target,
        data,
        mode=stat.S_IMODE(before.st_mode),
        owner=(before.st_uid, before.st_gid),
        still_valid=lambda: _same_file(target.stat(), before),
    )


def set_status(
    root: Path,
    path: str,
    changes: Mapping[str, StatusType],
    *,
    today: dt.date,
    dialect: Dialect | None = None,
    expected: Note | None = None,
    max_bytes: int = DEFAULT_MAX_NOTE_BYTES,
) -> WriteResult:
    """Set the status of the tasks with these line keys (`Task.line_key`) in one note, in one atomic write.

    `expected` is the note as it was parsed; when the file differs, the tasks are found again by
    key. A key no longer in the note is reported in `missing` and nothing is written for it.
    """
    dialect = dialect or Dialect()
    unwritable = sorted({t.value for t in changes.values() if not dialect.statuses.can_write(t)})
    if unwritable:
        refused = Diagnostic(path, f"no status character means {', '.join(unwritable)} here; nothing written")
        return WriteResult(path, missing=tuple(changes), problems=(refused,))
    target = Path(os.path.realpath(root / path))  # write through a symlink, never over it
    for _ in range(_ATTEMPTS):
        try:
            before = target.stat()
        except OSError:
            before = None
        text, note, problem = read_note(target, path, max_bytes)
        if text is None or note is None or before is None:
            problems = (problem,) if problem else (Diagnostic(path, "cannot be read; nothing written"),)
            return WriteResult(path, missing=tuple(changes), problems=problems)
        if (before.st_size, before.st_mtime_ns) != (note.size, note.mtime_ns):
            continue  # changed between the two looks: read it again
        relocated = expected is not None and (expected.size, expected.mtime_ns) != (note.size, note.mtime_ns)
        if relocated:
            log.info("%s changed since it was read; tasks located again by key", path)
        data = text.encode("utf-8")  # lossless: the note decoded as strict UTF-8
        new, lines, missing = _plan(data, text, path, changes, dialect, today)
        if not lines:
            return WriteResult(path, missing=tuple(missing), relocated=relocated)
        if _replace(target, new, before):
            return WriteResult(path, tuple(lines), tuple(missing), relocated)
        log.info("%s changed while it was being written; trying again", path)
    problem = Diagnostic(path, f"kept changing while being written ({_ATTEMPTS} attempts); nothing written")
    return WriteResult(path, missing=tuple(changes), problems=(problem,))
