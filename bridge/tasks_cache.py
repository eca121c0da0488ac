"""The parse cache of `bridge tasks`: one compact file per vault under the user's cache folder.

A listing must not wait for a sync that holds the state database, nor need a PostgreSQL server,
so `bridge tasks` keeps its own cache: one file, never inside the vault, holding per note its
size, mtime, diagnostics and tasks as plain values (`marshal`, not JSON, not pickle: loading it
builds plain values and runs no code). A note whose (path, size, mtime) is unchanged is only
stat'ed. Each note keeps what `bridge tasks --json` needs of its tasks apart from the Task rows:
the values grouping and the filters read (`Lines`) and, compressed, the JSON text of its tasks
around their groups, so a listing of unchanged notes builds no Task object and compares no
description again. The Task rows stay one marshalled blob a note, decoded only for a table or a
routed listing. The file is one record per note, so a note's record is read, and written, whole.

The file is checked before use: a foreign header, another format or bridge version, other
Obsidian Tasks settings or grouping threshold, a wrong vault or a checksum mismatch, and it is
ignored and rebuilt, never trusted. It is replaced atomically (temporary file, then rename), so
two listings at once leave one whole file or the other; it is not fsynced (a crash may leave it
empty or old, which the checks above then ignore or use as an old cache). A note modified within the last two
seconds is not cached (a second edit in the same mtime tick with the same size would go unseen).
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import Any

from bridge import __version__
from bridge.atomic import replace_file
from bridge.groups import GroupPolicy, carried_key, note_links
from bridge.model import Diagnostic, Priority, Source, Spelling, StatusType, Task
from bridge.output import tasks_json_parts
from bridge.vault import TASKS_SETTINGS, Note

__all__ = [
    "Filters",
    "Lines",
    "NoteEntry",
    "TasksCache",
    "cache_file",
    "default_folder",
    "note_entry",
    "note_filters",
    "note_json",
    "note_parts",
]

log = logging.getLogger(__name__)

_MAGIC = b"task-bridge parse cache\n"
# Raised whenever the encoding below changes; the Task fields' names are part of the fingerprint too.
_FORMAT = b"5"
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

# What a listing needs of one note's tasks, one tuple per field, so that an unchanged note costs
# few objects to load: their keys; what carries each forward between notes (`carried_key`, None
# when it cannot be); the line each joins inside the note (`note_links`); and, for the filters
# alone (read only when a filter is given), their status types, owners, due dates and tags,
# marshalled.
Lines = tuple[tuple[str, ...], tuple[str | None, ...], tuple[int, ...], bytes]
Filters = tuple[tuple[str, ...], tuple[str | None, ...], tuple[str | None, ...], tuple[tuple[str, ...], ...]]
# One note parsed: (diagnostic rows, *Lines, its tasks' JSON text, their Task rows); the JSON
# text is `tasks_json_parts` in UTF-8 as a `%` template (each group `%s`, each `%` doubled: one
# C-level pass fills in a note's groups), raw deflate (a fifth of its size; the file's checksum
# covers it, so it has no Adler-32 of its own to compute); the rows are marshalled (zlib
# would halve them at the cost of a third of the time spent encoding a note).
NoteEntry = tuple[
    tuple[tuple[Any, ...], ...], tuple[str, ...], tuple[str | None, ...], tuple[int, ...], bytes, bytes, bytes
]
# One note kept: (size, mtime_ns, *NoteEntry).
Entry = tuple[
    int,
    int,
    tuple[tuple[Any, ...], ...],
    tuple[str, ...],
    tuple[str | None, ...],
    tuple[int, ...],
    bytes,
    bytes,
    bytes,
]
_FIELDS = 9
# The file: a header, then per note its record's length and the record, (path, *Entry)
# marshalled, then the checksum of all records.
_RECORD = struct.Struct("<I")
# The checksum finds a damaged or cut file, not a forged one (the file is the user's own): CRC-32,
# three times as fast as BLAKE2 on a large vault's file.
_CHECK = struct.Struct("<I")
_PIECE = 256 << 10  # bytes of records written at a time
# The text is mostly the same field names again: level 3 is deflate's fast way still (as level 1),
# finding a little more (the text a sixteenth smaller); a note's few kB need no more than a small
# hash table (memory level 5: 8 kB, not 64 kB, cleared for each note), so it costs a sixth less.
_ZLIB_LEVEL = 3
_ZLIB_MEMORY = 5
_RAW_DEFLATE = -15  # zlib's window bits for a raw stream: no header, no Adler-32


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


def note_entry(tasks: list[Task], diagnostics: list[Diagnostic], policy: GroupPolicy) -> NoteEntry:
    """What the cache keeps of one parsed note, all plain values (a worker process can send it)."""
    return note_parts(tasks, diagnostics, policy)[0]


def note_parts(
    tasks: list[Task], diagnostics: list[Diagnostic], policy: GroupPolicy
) -> tuple[NoteEntry, bytes]:
    """`note_entry`, and its JSON text not compressed (what `note_json` gives of it): a listing
    that parsed the note fills that in without decompressing it again."""
    filters: Filters = (
        tuple(_STATUS_VALUE[t.status_type] for t in tasks),
        tuple(t.owner for t in tasks),
        tuple(t.due for t in tasks),
        tuple(t.tags for t in tasks),
    )
    template = tasks_json_parts(tasks).encode("utf-8").replace(b"%", b"%%").replace(b"\0", b"%s")
    entry = (
        tuple(map(_diagnostic_row, diagnostics)),
        tuple(t.key for t in tasks),
        tuple(carried_key(t) for t in tasks),
        tuple(note_links(tasks, policy)),
        marshal.dumps(filters, 4),
        _deflate(template),
        marshal.dumps(tuple(_encode(t) for t in tasks), 4),
    )
    return entry, template


def note_filters(filters: bytes) -> Filters:
    """A note's `Filters`, from its `Lines`."""
    found: Filters = marshal.loads(filters)  # noqa: S302 - from the checked cache file
    return found


def note_json(text: bytes) -> bytes:
    """A note's `tasks_json_parts` in UTF-8 as a `%` template, from `note_entry`'s text: `template
    % groups` (each group's JSON, in UTF-8) is the note's JSON items."""
    return zlib.decompress(text, _RAW_DEFLATE)


def _deflate(data: bytes) -> bytes:
    deflate = zlib.compressobj(_ZLIB_LEVEL, zlib.DEFLATED, _RAW_DEFLATE, _ZLIB_MEMORY)
    return deflate.compress(data) + deflate.flush()


def _links_fit(links: tuple[Any, ...], count: int) -> bool:
    """Whether every link is an int naming one of a note's `count` lines (in C: a genexpr over
    every line cost a tenth of a warm listing's lookups)."""
    return not links or (set(map(type, links)) == {int} and min(links) >= 0 and max(links) < count)


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
        self.fresh: dict[str, Entry] = {}  # the notes read in this run
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
        body = memoryview(data)[len(header) : -_CHECK.size]
        checksum = _CHECK.unpack_from(data, len(data) - _CHECK.size)[0] if len(data) >= _CHECK.size else None
        if not data.startswith(header) or zlib.crc32(body) != checksum:
            log.debug(
                "parse cache %s is of another vault, version or settings, or damaged; ignored", self.path
            )
            return {}
        entries: dict[str, Entry] = {}
        at = 0
        try:
            while at < len(body):
                (size,) = _RECORD.unpack_from(body, at)
                at += _RECORD.size
                rel, *entry = marshal.loads(body[at : at + size])  # noqa: S302 - checked by its checksum above
                at += size
                entries[rel] = tuple(entry)
        except (EOFError, ValueError, TypeError, struct.error) as exc:
            log.info("parse cache %s is unreadable (%r); rebuilt", self.path, exc)
            return {}
        return entries

    def missing(self, paths: list[str]) -> int:
        """How many of these notes the cache holds nothing for: each is certain to be parsed."""
        entries = self.entries
        return sum(rel not in entries for rel in paths)

    def _entry(self, rel: str, size: int, mtime_ns: int) -> Entry | None:
        self.seen.add(rel)
        entry = self.entries.get(rel)
        if entry is None or len(entry) != _FIELDS or entry[0] != size or entry[1] != mtime_ns:
            return None
        return entry

    def lookup(self, rel: str, size: int, mtime_ns: int) -> tuple[list[Task], list[Diagnostic]] | None:
        entry = self._entry(rel, size, mtime_ns)
        if entry is None:
            return None
        try:
            rows = marshal.loads(entry[8])  # noqa: S302 - checked with the file
            tasks = [_decode(row) for row in rows]
            diagnostics = [Diagnostic(*row) for row in entry[2]]
        except (ValueError, KeyError, TypeError, IndexError, EOFError) as exc:
            # only a cache: a damaged entry costs one parse of the note, which then replaces it
            log.info("parse cache entry of %s is unreadable (%r); reading the note again", rel, exc)
            return None
        self.hit_paths.add(rel)
        return tasks, diagnostics

    def lookup_lines(
        self, rel: str, size: int, mtime_ns: int
    ) -> tuple[Lines, bytes, list[Diagnostic]] | None:
        """`lookup` for a listing: the note's `Lines` and JSON text (`note_entry`), no Task built."""
        entry = self._entry(rel, size, mtime_ns)
        if entry is None:
            return None
        _size, _mtime, diagnostic_rows, keys, carried, links, filters, text, _rows = entry
        try:
            count = len(keys)
            if not (
                type(keys) is tuple
                and type(carried) is tuple
                and type(links) is tuple
                and len(carried) == count
                and len(links) == count
                and _links_fit(links, count)
                and type(filters) is bytes
                and type(text) is bytes
            ):
                raise TypeError("listing lines")  # noqa: TRY301 - one way out for every kind of damage
            diagnostics = [Diagnostic(*row) for row in diagnostic_rows]
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            log.info("parse cache entry of %s is unreadable (%r); reading the note again", rel, exc)
            return None
        self.hit_paths.add(rel)
        return (keys, carried, links, filters), text, diagnostics

    def store(self, note: Note, text: str, tasks: list[Task], diagnostics: list[Diagnostic]) -> None:
        self.keep(note, note_entry(tasks, diagnostics, self.policy))

    def keep(self, note: Note, entry: NoteEntry) -> None:
        """`store` of a note's `note_entry`, made here or by a worker process."""
        self.seen.add(note.path)
        if self.now_ns - note.mtime_ns < _RACY_NS:
            return
        self.fresh[note.path] = (note.size, note.mtime_ns, *entry)

    def _pieces(self, kept: list[str]) -> Iterator[bytes]:
        """The file, some records at a time (never whole in memory), its checksum last: records
        joined into pieces of about `_PIECE` bytes, each checksummed and written once (a write
        and a CRC-32 call a record cost a tenth of the file's time)."""
        yield self._header()
        checksum = 0
        fresh, entries, dumps, length = self.fresh, self.entries, marshal.dumps, _RECORD.pack
        piece: list[bytes] = []
        size = 0
        for rel in kept:
            record = dumps((rel, *(fresh.get(rel) or entries[rel])), 4)
            piece += (length(len(record)), record)
            size += len(record)
            if size >= _PIECE:
                joined = b"".join(piece)
                checksum = zlib.crc32(joined, checksum)
                yield joined
                piece, size = [], 0
        joined = b"".join(piece)
        yield joined
        yield _CHECK.pack(zlib.crc32(joined, checksum))

    def save(self) -> bool:
        """Write what changed; False when nothing needed writing or the file cannot be written."""
        kept = self.hit_paths | self.fresh.keys()
        if not self.whole:  # notes outside the folder read keep their entries
            kept |= self.entries.keys() - self.seen
        if not self.fresh and kept == self.entries.keys():
            return False
        if not self.writable:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            replace_file(self.path, self._pieces(sorted(kept)), mode=0o600, durable=False)
        except OSError as exc:
            log.info("cannot write the parse cache %s (%s); notes are parsed again next time", self.path, exc)
            return False
        return True
