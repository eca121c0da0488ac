"""Changing a task's status inside a note without disturbing anything else in the file.

Only the status character and an appended or removed `✅`/`❌` date change; every other byte,
line ending, BOM and the file's mode stay as they were. The note is read, the lines found by key,
and the result put in place by a compare-and-swap (`bridge.exchange`): a save the user makes at
any moment is never overwritten, the write is redone from it. A line whose status the user
changed since the plan was made is left as the user left it: the next sync settles it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bridge.exchange import swap_if_unchanged
from bridge.line_edit import edit_line
from bridge.model import Diagnostic, Spelling, StatusType, Task
from bridge.occurrences import Recur, occurrence_lines
from bridge.parse import parse_line, parse_note
from bridge.signifiers import Dialect
from bridge.vault import DEFAULT_MAX_NOTE_BYTES, Note, decode_note, read_bytes, real_path

__all__ = ["WriteResult", "edit_line", "set_status"]

log = logging.getLogger(__name__)

_ATTEMPTS = 20  # each retry follows a save by the user; an editor saving nonstop wins


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one note write did: lines changed, keys not found or changed meanwhile (so not
    written), and problems."""

    path: str
    lines: tuple[int, ...] = ()
    missing: tuple[str, ...] = ()
    relocated: bool = False
    problems: tuple[Diagnostic, ...] = field(default_factory=tuple)
    conflicts: tuple[str, ...] = ()  # lines whose status the user changed since the plan

    @property
    def written(self) -> bool:
        return bool(self.lines)


def _file_spelling(tasks: list[Task]) -> Spelling:
    """The spelling most task lines of a note already use, for a line that has none of its own."""
    seen = Counter(t.spelling for t in tasks if t.spelling is not None)
    return seen.most_common(1)[0][0] if seen else Spelling.UTF8


@dataclass(frozen=True, slots=True)
class _Edit:
    data: bytes
    lines: list[int]
    missing: list[str]
    conflicts: list[tuple[str, int]]


def _plan(
    data: bytes,
    text: str,
    rel: str,
    changes: Mapping[str, StatusType],
    dialect: Dialect,
    today: dt.date,
    seen: Mapping[str, StatusType] | None = None,
    known: Sequence[Task] | None = None,
    recur: Mapping[str, Recur] | None = None,
) -> _Edit:
    """The new file bytes, the lines changed, the keys not found, and the lines the user changed
    since `seen`; bytes are spliced, not re-encoded. `known` are these very bytes' tasks, when
    the caller parsed them already (a note is then parsed once per webhook batch). `recur` names
    recurring lines whose completed occurrences are recorded too, with the next one's line."""
    tasks = list(known) if known is not None else parse_note(text, rel, dialect)[0]
    found = {t.line_key for t in tasks}
    spelling = _file_spelling(tasks)
    recur = recur or {}
    pieces: list[bytes] = []
    cursor = 0
    changed: list[int] = []
    conflicts: list[tuple[str, int]] = []
    for task in tasks:
        target = changes.get(task.line_key)
        occurrences = recur.get(task.line_key)
        if target is None or (task.status_type is target and occurrences is None):
            continue
        if seen is not None and task.line_key in seen and seen[task.line_key] is not task.status_type:
            conflicts.append((task.line_key, task.source.line))
            continue
        start, end = task.source.start, task.source.end
        line = data[start:end].decode("utf-8")
        parsed = parse_line(line, dialect.task_format)
        if parsed is None:  # pragma: no cover - the same line parsed as a task a moment ago
            continue
        new = edit_line(line, parsed, target, dialect, today, spelling)
        added = (
            occurrence_lines(line, parsed, task, occurrences, dialect, today, spelling) if occurrences else []
        )
        if new == line and not added:
            continue
        newline = b"\r\n" if data[end : end + 2] == b"\r\n" else b"\n"
        pieces.append(data[cursor:start])
        if added:
            kept = [] if task.on_completion == "delete" else [new]
            order = [*kept, *added] if dialect.recurrence_below else [*reversed(added), *kept]
            pieces.append(newline.join(s.encode("utf-8") for s in order))
        else:
            pieces.append(new.encode("utf-8"))
        cursor = end
        changed.append(task.source.line)
    pieces.append(data[cursor:])
    return _Edit(b"".join(pieces), changed, [k for k in changes if k not in found], conflicts)


def _refused(path: str, changes: Mapping[str, StatusType], why: str) -> WriteResult:
    return WriteResult(path, missing=tuple(changes), problems=(Diagnostic(path, why),))


def _read_only(info: os.stat_result, target: Path) -> bool:
    return not info.st_mode & 0o222 or not os.access(target, os.W_OK)


def set_status(
    root: Path,
    path: str,
    changes: Mapping[str, StatusType],
    *,
    today: dt.date,
    dialect: Dialect | None = None,
    expected: Note | None = None,
    seen: Mapping[str, StatusType] | None = None,
    max_bytes: int = DEFAULT_MAX_NOTE_BYTES,
    parsed: tuple[bytes, Sequence[Task]] | None = None,
    recur: Mapping[str, Recur] | None = None,
) -> WriteResult:
    """Set the status of the tasks with these line keys (`Task.line_key`) in one note, in one atomic write.

    `expected` is the note as it was parsed; when the file differs, the tasks are found again by
    key. A key no longer in the note is reported in `missing` and nothing is written for it.
    `seen` is each line's status when the change was planned: a line found with another status
    is the user's newer word, reported in `conflicts` and left alone. `parsed` is the note's bytes
    as the caller read them with their tasks: reused when the file still holds exactly those bytes.
    `recur` names recurring lines whose completed occurrences are written as Obsidian Tasks
    writes them (the next occurrence's line added).
    """
    dialect = dialect or Dialect()
    unwritable = sorted({t.value for t in changes.values() if not dialect.statuses.can_write(t)})
    if unwritable:
        return _refused(
            path, changes, f"no status character means {', '.join(unwritable)} here; nothing written"
        )
    target, why = real_path(root, root / path)  # through a symlink inside the vault, never out of it
    if target is None:
        return _refused(path, changes, why.replace("skipped", "nothing written") if why else "cannot be read")
    latest: list[_Edit] = []  # the edit in place, or one redone from a save that raced the swap

    def replan(current: bytes) -> bytes:
        try:
            now = current.decode("utf-8")
        except UnicodeDecodeError:  # saved meanwhile in another encoding: ours is dropped
            latest.append(_Edit(current, [], list(changes), []))
            return current
        latest.append(_plan(current, now, path, changes, dialect, today, seen, None, recur))
        return latest[-1].data

    for _ in range(_ATTEMPTS):
        data, before, why = read_bytes(target, max_bytes)
        if data is None or before is None:
            return _refused(path, changes, (why or "cannot be read").replace("skipped", "nothing written"))
        text, problem = decode_note(data, path)
        if text is None:
            return WriteResult(path, missing=tuple(changes), problems=(problem,) if problem else ())
        relocated = expected is not None and (expected.size, expected.mtime_ns) != (
            before.st_size,
            before.st_mtime_ns,
        )
        if relocated:
            log.info("%s changed since it was read; tasks located again by key", path)
        known = parsed[1] if parsed is not None and parsed[0] == data else None
        edit = _plan(data, text, path, changes, dialect, today, seen, known, recur)
        if edit.lines and _read_only(before, target):
            mode = f"{before.st_mode & 0o777:04o}"
            return _refused(
                path, changes, f"read-only (mode {mode}); not written: make it writable to sync it"
            )
        latest[:] = [edit]
        if edit.lines and swap_if_unchanged(target, edit.data, data, before, replan).data is None:
            log.info("%s changed while it was being written; trying again", path)
            continue
        return _result(path, latest[-1], relocated)
    problem = Diagnostic(path, f"kept changing while being written ({_ATTEMPTS} attempts); nothing written")
    return WriteResult(path, missing=tuple(changes), problems=(problem,))


def _result(path: str, edit: _Edit, relocated: bool) -> WriteResult:
    problems = tuple(
        Diagnostic(
            path, "status changed in the note since it was read; left as it is, settled next sync", line
        )
        for _, line in edit.conflicts
    )
    return WriteResult(
        path, tuple(edit.lines), tuple(edit.missing), relocated, problems, tuple(k for k, _ in edit.conflicts)
    )
