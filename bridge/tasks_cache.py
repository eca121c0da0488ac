"""The parse cache of `bridge tasks`: one compact file per vault under the user's cache folder.

A listing must not wait for a sync that holds the state database, nor need a PostgreSQL server,
so `bridge tasks` keeps its own cache: one file, never inside the vault, holding per note its
size, mtime and parsed tasks and diagnostics as tuples (`marshal`, not JSON, not pickle: loading
it builds plain values and runs no code). A note whose (path, size, mtime) is unchanged is only
stat'ed. Beside its tasks each note keeps what `bridge tasks --json` prints of them: the JSON
text of each task around its group, the values the filters read and what grouping needs (its
key, carried-forward words, the line it joins inside the note), so a listing of unchanged notes
builds no Task object and compares no description again; the Task rows stay one marshalled blob
per note, decoded only for a table or a routed listing.

The file is checked before use: a foreign header, another format or bridge version, other
Obsidian Tasks settings or grouping threshold, a wrong vault or a checksum mismatch, and it is
ignored and rebuilt, never trusted. It is replaced atomically (temporary file, then rename), so
two listings at once leave one whole file or the other. A note modified within the last two
seconds is not cached (a second edit in the same mtime tick with the same size would go unseen).
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import time
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import Any

from bridge import __version__
from bridge.atomic import replace_file
from bridge.groups import GroupPolicy, note_links
from bridge.model import Diagnostic, Priority, Source, Spelling, StatusType, Task
from bridge.output import task_json_parts
from bridge.vault import TASKS_SETTINGS, Note

__all__ = ["Line", "TasksCache", "cache_file", "default_folder", "listing_lines"]

log = logging.getLogger(__name__)

_MAGIC = b"task-bridge parse cache\n"
# Raised whenever the encoding below changes; the Task fields' names are part of the fingerprint too.
_FORMAT = b"2"
_DIGEST = 16
_RACY_NS = 2_000_000_000

_TASK_FIELDS = tuple(f.name for f in fields(Task))
_DIAGNOSTIC_FIELDS = tuple(f.name for f in fields(Diagnostic))
_task_row = attrgetter(*_TASK_FIELDS)
_diagnostic_row = attrgetter(*_DIAGNOSTIC_FIELDS)
_STATUS_TYPE = _TASK_FIELDS.index("status_type")
_SOURCE = _TASK_FIELDS.index("source")
_PRIORITY = _TASK_FIELDS.index("priority")
_SPELLING = _TASK_FIELDS.index("spelling")
_STATUS_TYPES = {s.value: s for s in StatusType}
_STATUS_VALUE = {s: s.value for s in StatusType}
_PRIORITIES: dict[str | None, Priority | None] = {None: None, **{p.value: p for p in Priority}}
_SPELLINGS: dict[str | None, Spelling | None] = {None: None, **{s.value: s for s in Spelling}}
_PRIORITY_VALUE = {p: v for v, p in _PRIORITIES.items()}
_SPELLING_VALUE = {s: v for v, s in _SPELLINGS.items()}

# One task as a listing needs it: key, status type, owner, due, tags, (owner, norm) when it can be
# carried forward (open, with words) else None, the index of the line it joins in its note
# (`note_links`), and the JSON text before and after its group value (`task_json_parts`).
Line = tuple[str, str, str | None, str | None, tuple[str, ...], tuple[str | None, str] | None, int, str, str]
_LINE = 9
# One note: (size, mtime_ns, marshalled task rows, diagnostic rows, its tasks' listing lines).
Entry = tuple[int, int, bytes, tuple[tuple[Any, ...], ...], tuple[Line, ...]]


def default_folder() -> Path:
    """Where the caches live: the user's cache folder (XDG_CACHE_HOME on Linux)."""
    import platformdirs

    return platformdirs.user_cache_path("task-bridge") / "tasks"


def cache_file(folder: Path, root: Path) -> Path:
    """The cache file of the vault at `root`."""
    tag = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return folder / f"{root.name or 'root'}-{tag}.parse"


def _fingerprint(root: Path, policy: GroupPolicy) -> bytes:
    """What decides how a note parses, besides its bytes: the bridge, this encoding, the Task
    fields, the vault's Obsidian Tasks settings (statuses, task format, global filter), and how
    near-duplicates are told (the lines each note's tasks join)."""
    try:
        settings = (root / TASKS_SETTINGS).read_bytes()
    except OSError:
        settings = b"\0absent"
    grouping = f"{policy.threshold!r},{policy.near_duplicates}".encode()
    parts = [__version__.encode(), _FORMAT, ",".join(_TASK_FIELDS).encode(), settings, grouping]
    return hashlib.sha256(b"\0".join(parts)).digest()[:_DIGEST]


def _encode(task: Task) -> tuple[Any, ...]:
    row = list(_task_row(task))
    row[_STATUS_TYPE] = _STATUS_VALUE[row[_STATUS_TYPE]]
    source: Source = row[_SOURCE]
    row[_SOURCE] = (source.path, source.line, source.start, source.end)
    row[_PRIORITY] = _PRIORITY_VALUE[row[_PRIORITY]]
    row[_SPELLING] = _SPELLING_VALUE[row[_SPELLING]]
    return tuple(row)


def _decode(row: tuple[Any, ...]) -> Task:
    args = list(row)
    args[_STATUS_TYPE] = _STATUS_TYPES[args[_STATUS_TYPE]]
    args[_SOURCE] = Source(*args[_SOURCE])
    args[_PRIORITY] = _PRIORITIES[args[_PRIORITY]]
    args[_SPELLING] = _SPELLINGS[args[_SPELLING]]
    return Task(*args)


def listing_lines(tasks: list[Task], policy: GroupPolicy) -> tuple[Line, ...]:
    """What a listing keeps of one note's tasks (see `Line`)."""
    links = note_links(tasks, policy)
    return tuple(
        (
            task.key,
            _STATUS_VALUE[task.status_type],
            task.owner,
            task.due,
            task.tags,
            (task.owner, task.norm) if task.norm and task.status_type.is_open else None,
            link,
            *task_json_parts(task),
        )
        for task, link in zip(tasks, links, strict=True)
    )


class TasksCache:
    """A `bridge.vault.ParseCache` in one file; `save()` writes it when this run learned something.

    `whole` says the scan reads the whole vault: notes it did not meet are then gone and dropped;
    a scan of one folder or note keeps the other notes' entries. `policy` is the grouping the
    listing lines are made for.
    """

    def __init__(
        self, root: Path, folder: Path, *, whole: bool = True, policy: GroupPolicy | None = None
    ) -> None:
        self.root = root
        self.path = cache_file(folder, root)
        self.whole = whole
        self.policy = policy or GroupPolicy()
        self.fingerprint = _fingerprint(root, self.policy)
        self.entries: dict[str, Entry] = self._load()
        self.seen: set[str] = set()
        self.fresh: dict[str, Entry] = {}
        self.hit_paths: set[str] = set()
        self.now_ns = time.time_ns()
        # never inside the vault: sync tools would copy it, and it is nobody's note
        self.writable = not self.path.absolute().is_relative_to(root.absolute())

    def _header(self) -> bytes:
        vault = hashlib.sha256(str(self.root).encode("utf-8", "surrogateescape")).digest()[:_DIGEST]
        return _MAGIC + self.fingerprint + vault

    def _load(self) -> dict[str, Entry]:
        try:
            data = self.path.read_bytes()
        except OSError:
            return {}
        header = self._header()
        body = memoryview(data)[len(header) + _DIGEST :]
        checksum = data[len(header) : len(header) + _DIGEST]
        if not data.startswith(header) or hashlib.blake2b(body, digest_size=_DIGEST).digest() != checksum:
            log.debug(
                "parse cache %s is of another vault, version or settings, or damaged; ignored", self.path
            )
            return {}
        try:
            entries = marshal.loads(body)  # noqa: S302 - our own file, checked by its checksum above
        except (EOFError, ValueError, TypeError) as exc:
            log.info("parse cache %s is unreadable (%r); rebuilt", self.path, exc)
            return {}
        if not isinstance(entries, dict):
            return {}
        return entries

    def _entry(self, rel: str, size: int, mtime_ns: int) -> Entry | None:
        self.seen.add(rel)
        entry = self.entries.get(rel)
        if entry is None or entry[0] != size or entry[1] != mtime_ns:
            return None
        return entry

    def lookup(self, rel: str, size: int, mtime_ns: int) -> tuple[list[Task], list[Diagnostic]] | None:
        entry = self._entry(rel, size, mtime_ns)
        if entry is None:
            return None
        try:
            tasks = [_decode(row) for row in marshal.loads(entry[2])]  # noqa: S302 - checked with the file
            diagnostics = [Diagnostic(*row) for row in entry[3]]
        except (ValueError, KeyError, TypeError, IndexError, EOFError) as exc:
            # only a cache: a damaged entry costs one parse of the note, which then replaces it
            log.info("parse cache entry of %s is unreadable (%r); reading the note again", rel, exc)
            return None
        self.hit_paths.add(rel)
        return tasks, diagnostics

    def lookup_lines(
        self, rel: str, size: int, mtime_ns: int
    ) -> tuple[tuple[Line, ...], list[Diagnostic]] | None:
        """`lookup` for a listing: the note's listing lines, no Task built."""
        entry = self._entry(rel, size, mtime_ns)
        if entry is None:
            return None
        lines = entry[4]
        try:
            if type(lines) is not tuple or not all(
                type(line) is tuple and len(line) == _LINE for line in lines
            ):
                raise TypeError("listing lines")  # noqa: TRY301 - one way out for every kind of damage
            diagnostics = [Diagnostic(*row) for row in entry[3]]
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            log.info("parse cache entry of %s is unreadable (%r); reading the note again", rel, exc)
            return None
        self.hit_paths.add(rel)
        return lines, diagnostics

    def store(self, note: Note, text: str, tasks: list[Task], diagnostics: list[Diagnostic]) -> None:
        self.keep(note, tasks, diagnostics, listing_lines(tasks, self.policy))

    def keep(
        self, note: Note, tasks: list[Task], diagnostics: list[Diagnostic], lines: tuple[Line, ...]
    ) -> None:
        """`store` with the note's listing lines already made."""
        self.seen.add(note.path)
        if self.now_ns - note.mtime_ns < _RACY_NS:
            return
        rows = marshal.dumps(tuple(_encode(t) for t in tasks), 4)
        self.fresh[note.path] = (
            note.size,
            note.mtime_ns,
            rows,
            tuple(map(_diagnostic_row, diagnostics)),
            lines,
        )

    def save(self) -> bool:
        """Write what changed; False when nothing needed writing or the file cannot be written."""
        kept = self.hit_paths | self.fresh.keys()
        if not self.whole:  # notes outside the folder read keep their entries
            kept |= self.entries.keys() - self.seen
        if not self.fresh and kept == self.entries.keys():
            return False
        if not self.writable:
            return False
        entries = {rel: self.fresh.get(rel) or self.entries[rel] for rel in sorted(kept)}
        body = marshal.dumps(entries, 4)
        data = self._header() + hashlib.blake2b(body, digest_size=_DIGEST).digest() + body
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            replace_file(self.path, data, mode=0o600)
        except OSError as exc:
            log.info("cannot write the parse cache %s (%s); notes are parsed again next time", self.path, exc)
            return False
        return True
