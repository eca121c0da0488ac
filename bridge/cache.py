"""The parse cache: notes parsed on an earlier run, reused while their size and mtime are unchanged.

A no-op sync of a large vault then costs one stat per note. Entries carry a fingerprint of the
bridge version and the vault's Obsidian Tasks settings, since either changes how a note parses.
A note modified within the last two seconds is not cached: a second edit in the same mtime tick
with the same size would otherwise go unseen.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge import __version__
from bridge.model import Diagnostic, Priority, Source, Spelling, StatusType, Task
from bridge.output import json_string as _string
from bridge.output import json_strings as _strings
from bridge.state import Store
from bridge.vault import TASKS_SETTINGS, Note

if TYPE_CHECKING:
    from bridge.state_rows import CachedFile

__all__ = [
    "StoreParseCache",
    "cache_record",
    "diagnostic_to_json",
    "fingerprint",
    "task_from_json",
    "task_to_json",
]

log = logging.getLogger(__name__)

_RACY_NS = 2_000_000_000
# Raised whenever what a parsed note holds changes (keys of repeated sentences, unknown fields),
# so that entries of an earlier parser are read again rather than trusted.
_FORMAT = b"4"


_TASK_FIELDS = tuple(f.name for f in fields(Task))
_task_values = attrgetter(*_TASK_FIELDS)
_SOURCE_FIELDS = tuple(f.name for f in fields(Source))
_source_values = attrgetter(*_SOURCE_FIELDS)
_DIAGNOSTIC_FIELDS = tuple(f.name for f in fields(Diagnostic))
_diagnostic_values = attrgetter(*_DIAGNOSTIC_FIELDS)


def task_to_json(task: Task) -> dict[str, Any]:
    """What `dataclasses.asdict` gives, sequences as lists, read field by field.

    `asdict` recurses into every value and took a third of a large first sync's scan; a Task's
    values are plain (text, numbers, enums, tuples of text) but for its `Source`.
    """
    data = dict(zip(_TASK_FIELDS, _task_values(task), strict=True))
    data["source"] = dict(zip(_SOURCE_FIELDS, _source_values(task.source), strict=True))
    data["depends_on"] = list(task.depends_on)
    data["tags"] = list(task.tags)
    data["unknown"] = list(task.unknown)
    return data


def diagnostic_to_json(diagnostic: Diagnostic) -> dict[str, Any]:
    """`dataclasses.asdict` of a Diagnostic (its values are all plain)."""
    return dict(zip(_DIAGNOSTIC_FIELDS, _diagnostic_values(diagnostic), strict=True))


def task_from_json(data: dict[str, Any]) -> Task:
    fields = dict(data)
    fields["source"] = Source(**data["source"])
    fields["status_type"] = StatusType(data["status_type"])
    fields["priority"] = Priority(data["priority"]) if data["priority"] else None
    fields["spelling"] = Spelling(data["spelling"]) if data["spelling"] else None
    fields["depends_on"] = tuple(data["depends_on"])
    fields["tags"] = tuple(data["tags"])
    fields["unknown"] = tuple(data["unknown"])
    return Task(**fields)


# A task's JSON as `json.dumps(task_to_json(task), ensure_ascii=False)` writes it, filled in
# field by field: the encoder's dict of 26 items a task was half a cold note's cost in a worker.
_RECORD_FIELDS = (
    "key", "status", "status_type", "description", "source", "note", "owner", "priority", "due",
    "scheduled", "start", "created", "done", "cancelled", "recurrence", "id", "depends_on",
    "on_completion", "tags", "spelling", "depth", "norm", "unknown", "repeat", "parent",
)  # fmt: skip
if _RECORD_FIELDS != _TASK_FIELDS:  # pragma: no cover - a field added to Task needs its encoding here
    raise RuntimeError("bridge.cache: Task's fields changed; update _task_text")
_TASK_TEXT = "{" + ", ".join(f"{_string(name)}: %s" for name in _RECORD_FIELDS) + "}"
_SOURCE_TEXT = '{"path": %s, "line": %d, "start": %d, "end": %d}'


def _task_text(t: Task) -> str:
    """`json.dumps(task_to_json(t), ensure_ascii=False)`: strings (enums are `str`) by the same C
    encoder, integers as `int.__repr__`, tuples as arrays; `tests/bridge/test_cache.py` compares.
    A field that may be None is tested here rather than by `json_or_null` (a call per field,
    twelve a task), and an empty tuple written as `[]` without a join."""
    s = t.source
    return _TASK_TEXT % (
        _string(t.key),
        _string(t.status),
        _string(t.status_type),
        _string(t.description),
        _SOURCE_TEXT % (_string(s.path), s.line, s.start, s.end),
        _string(t.note),
        "null" if (v := t.owner) is None else _string(v),
        "null" if (v := t.priority) is None else _string(v),
        "null" if (v := t.due) is None else _string(v),
        "null" if (v := t.scheduled) is None else _string(v),
        "null" if (v := t.start) is None else _string(v),
        "null" if (v := t.created) is None else _string(v),
        "null" if (v := t.done) is None else _string(v),
        "null" if (v := t.cancelled) is None else _string(v),
        "null" if (v := t.recurrence) is None else _string(v),
        "null" if (v := t.id) is None else _string(v),
        _strings(many) if (many := t.depends_on) else "[]",
        "null" if (v := t.on_completion) is None else _string(v),
        _strings(many) if (many := t.tags) else "[]",
        "null" if (v := t.spelling) is None else _string(v),
        t.depth,
        _string(t.norm),
        _strings(many) if (many := t.unknown) else "[]",
        t.repeat,
        "null" if (v := t.parent) is None else _string(v),
    )


# `json.dumps(..., ensure_ascii=False)` builds this encoder again at each call
_encode = json.JSONEncoder(ensure_ascii=False).encode


def cache_record(text: str, tasks: list[Task], diagnostics: list[Diagnostic]) -> tuple[str, str]:
    """What the parse cache keeps of a parsed note: its tasks' and diagnostics' JSON (the text
    `json.dumps` gives of `{"tasks": [task_to_json…], "diagnostics": [diagnostic_to_json…]}`),
    and the SHA-256 of its text."""
    problems = _encode([diagnostic_to_json(d) for d in diagnostics])
    data = '{"tasks": [' + ", ".join(map(_task_text, tasks)) + '], "diagnostics": ' + problems + "}"
    return data, hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(root: Path) -> str:
    """How notes parse besides their bytes: the bridge version, this format, the Tasks settings."""
    try:
        settings = (root / TASKS_SETTINGS).read_bytes()
    except OSError:
        settings = b""
    return hashlib.sha256(__version__.encode() + b"\0" + _FORMAT + b"\0" + settings).hexdigest()[:16]


class StoreParseCache:
    """A `bridge.vault.ParseCache` kept in the state database; `save()` writes what this run learned."""

    def __init__(self, store: Store, root: Path) -> None:
        self.db = store
        self.vault = str(root)
        self.fingerprint = fingerprint(root)
        self.entries = store.cached_files(self.vault)
        self.seen: set[str] = set()
        self.fresh: list[CachedFile] = []
        self.now_ns = time.time_ns()
        self.hits = 0

    def missing(self, paths: list[str]) -> int:
        """How many of these notes the cache holds nothing usable for: each is certain to be parsed."""
        entries, mark = self.entries, self.fingerprint
        return sum((entry := entries.get(rel)) is None or entry.fingerprint != mark for rel in paths)

    def lookup(self, rel: str, size: int, mtime_ns: int) -> tuple[list[Task], list[Diagnostic]] | None:
        self.seen.add(rel)
        entry = self.entries.get(rel)
        if entry is None or (entry.size, entry.mtime_ns, entry.fingerprint) != (
            size,
            mtime_ns,
            self.fingerprint,
        ):
            return None
        try:
            data = json.loads(entry.data)
            tasks = [task_from_json(t) for t in data["tasks"]]
            diagnostics = [Diagnostic(**d) for d in data["diagnostics"]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # only a cache: a damaged entry costs one parse of the note, which then replaces it
            log.warning("parse cache entry of %s is unreadable (%r); reading the note again", rel, exc)
            return None
        self.hits += 1
        return tasks, diagnostics

    def store(self, note: Note, text: str, tasks: list[Task], diagnostics: list[Diagnostic]) -> None:
        self.seen.add(note.path)
        if self.now_ns - note.mtime_ns < _RACY_NS:
            return
        self.store_record(note, cache_record(text, tasks, diagnostics))

    record = staticmethod(cache_record)  # what a worker process makes of a note it parsed

    def store_record(self, note: Note, record: tuple[str, str]) -> None:
        """`store` of a note whose `cache_record` was made already (by a worker process)."""
        from bridge.state_rows import CachedFile  # here: a sync that reads no note needs no row class

        self.seen.add(note.path)
        if self.now_ns - note.mtime_ns < _RACY_NS:
            return
        data, digest = record
        self.fresh.append(CachedFile(note.path, note.size, note.mtime_ns, digest, self.fingerprint, data))

    def save(self) -> None:
        gone = [path for path in self.entries if path not in self.seen]
        if self.fresh or gone:
            self.db.save_files(self.vault, self.fresh, gone)
