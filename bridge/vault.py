"""A vault on disk: which files are notes, how their bytes become text, and the vault's status table.

Every way a file can be unreadable ends as a Diagnostic naming it; one bad file never stops
the rest of the vault, and nothing here ever writes.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bridge.model import Diagnostic, StatusType, Task
from bridge.signifiers import DEFAULT_STATUSES, Dialect, StatusTable, TaskFormat
from bridge.swap_names import SAVED_SUFFIX, TEMP_SUFFIX

if TYPE_CHECKING:  # the parser and grouping are imported by `scan`: a cached listing needs neither
    from bridge.groups import GroupPolicy
    from bridge.workers import InOrder

__all__ = [
    "DEFAULT_MAX_NOTE_BYTES",
    "Note",
    "ParseCache",
    "Scan",
    "Walk",
    "decode_note",
    "find_root",
    "iter_note_names",
    "iter_note_paths",
    "load_dialect",
    "read_bytes",
    "read_note",
    "read_notes",
    "real_path",
    "scan",
    "start_scan",
    "vault_root",
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
    # Notes ("a.md") and folders ("a/") whose tasks are not all known: unreadable, skipped, or
    # ambiguous (an unclosed fence or comment). A linked task not seen there is not gone, only unseen.
    unread: list[str] = field(default_factory=list)
    litter: list[Path] = field(default_factory=list)  # temporary files of a killed write-back
    dialect: Dialect = field(
        default_factory=Dialect
    )  # what the notes were parsed with; write-back uses it too

    @property
    def complete(self) -> bool:
        """Whether every note was read in full."""
        return not self.unread

    def tell(self, diagnostic: Diagnostic | None, unread: str | None = None) -> None:
        """Record what reading a note met: a problem to say, a path whose tasks are not all known."""
        if diagnostic is not None:
            self.diagnostics.append(diagnostic)
        if unread is not None:
            self.unread.append(unread)


class ParseCache(Protocol):
    """Parsed notes kept between runs, keyed by (size, mtime): an unchanged note is only stat'ed."""

    def lookup(self, rel: str, size: int, mtime_ns: int) -> tuple[list[Task], list[Diagnostic]] | None: ...

    def store(self, note: Note, text: str, tasks: list[Task], diagnostics: list[Diagnostic]) -> None: ...


@runtime_checkable
class RecordingCache(ParseCache, Protocol):
    """A parse cache whose records worker processes can make (`record`, a module-level function,
    sent to them), so that the run's own process only keeps them (`store_record`)."""

    @property
    def record(self) -> Callable[[str, list[Task], list[Diagnostic]], tuple[str, str]]: ...

    def missing(self, paths: list[str]) -> int: ...

    def store_record(self, note: Note, record: tuple[str, str]) -> None: ...


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
        below = data.get("recurrenceOnNextLine") is True
        remove_scheduled = data.get("removeScheduledDateOnRecurrence") is True
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        problem = f"cannot read the Obsidian Tasks settings ({exc}); defaults used"
        return Dialect(), [Diagnostic(TASKS_SETTINGS.as_posix(), problem)]
    statuses = StatusTable({**DEFAULT_STATUSES, **symbols})  # the vault's table wins where it speaks
    return Dialect(statuses, task_format, global_filter, below, remove_scheduled), []


@dataclass(slots=True)
class Walk:
    """What a walk of the vault met besides notes: folders it could not read, and litter."""

    problems: list[Diagnostic] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)  # folders ("x/") whose notes are unknown
    litter: list[Path] = field(default_factory=list)  # temporary files a killed write-back left


def iter_note_paths(root: Path, walk: Walk | None = None, *, vault: Path | None = None) -> Iterator[Path]:
    """Note files under `root` in a stable order; hidden folders (.obsidian, .git, .trash) are skipped.

    Symlinked folders are never entered (their notes would be read twice, or from outside the
    vault); one that leads outside, and every folder that cannot be listed, is reported in `walk`.
    """
    for folder, name in iter_note_names(root, walk, vault=vault):
        yield Path(folder, name)


def iter_note_names(
    root: Path, walk: Walk | None = None, *, vault: Path | None = None
) -> Iterator[tuple[str, str]]:
    """`iter_note_paths` as (folder, name) strings: a stat of every note need not build a Path each."""
    walk = walk if walk is not None else Walk()
    base = root.absolute()
    vault = (vault or root).absolute()  # what reported folders are relative to

    def where(folder: str) -> str:
        rel = Path(folder).relative_to(vault).as_posix()
        return "" if rel == "." else rel + "/"

    def failed(exc: OSError) -> None:
        folder = (where(exc.filename) if exc.filename else "") or "./"
        walk.unread.append(folder)
        problem = f"folder cannot be read ({exc.strerror or exc}); its tasks are unknown, none is closed"
        walk.problems.append(Diagnostic(folder, problem))

    for folder, dirs, files in os.walk(base, onerror=failed):
        for name in dirs:
            if not name.startswith(".") and os.path.islink(os.path.join(folder, name)):
                _linked_folder(vault, folder, name, where, walk)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                if name.endswith(TEMP_SUFFIX):
                    walk.litter.append(Path(folder, name))
                elif name.endswith(SAVED_SUFFIX):
                    rel = where(folder) + name
                    kept = "a write-back was cut off while a save raced it; that save is kept here"
                    walk.problems.append(Diagnostic(rel, kept + ": compare it with its note, then delete it"))
            elif name.lower().endswith(_NOTE_SUFFIXES):
                yield folder, name


def _linked_folder(base: Path, folder: str, name: str, where: Callable[[str], str], walk: Walk) -> None:
    """A symlinked folder: fine inside the vault (read where it really is), reported when it leaves it."""
    link = os.path.join(folder, name)
    real = os.path.realpath(link)
    if Path(real).is_relative_to(os.path.realpath(base)):
        return
    rel = where(link)
    walk.unread.append(rel)
    problem = "a symlink to a folder outside the vault; not read (the bridge reads only the vault)"
    walk.problems.append(Diagnostic(rel, problem))


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


def real_path(root: Path, path: Path) -> tuple[Path | None, str | None]:
    """Where `path` really is, if that is inside the vault; else None and why (never opened).

    Resolved with lstat and readlink only, so a symlink that leaves the vault is never followed.
    """
    try:
        real = Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        if path.is_symlink():
            return None, f"broken symlink to {os.readlink(path)!r}; skipped"
        return None, "vanished while the vault was read; skipped"
    except OSError as exc:  # a symlink loop, a folder we may not enter
        return None, f"cannot read: {exc.strerror or exc}; skipped"
    if not real.is_relative_to(os.path.realpath(root)):
        return None, "a symlink to a file outside the vault; skipped (the bridge reads only the vault)"
    return real, None


def read_note(
    path: str | Path, rel: str, max_bytes: int
) -> tuple[str | None, Note | None, Diagnostic | None, bytes | None]:
    """Read one note, refusing what is not a regular file, too large, binary or not UTF-8: its
    text, what was read, why it is refused or what is wrong in it, and the bytes it was decoded
    from (a worker process is sent those: they cost nothing to send, the text its encoding again).

    `path` is a real path (see `real_path`). One open and an fstat of that same descriptor: what
    is measured is what is read, and a FIFO put in a note's place cannot block the run.
    """
    data, info, why = read_bytes(path, max_bytes)
    if data is None or info is None:
        return None, None, Diagnostic(rel, why or "cannot be read; skipped"), None
    text, problem = decode_note(data, rel)
    return text, Note(rel, info.st_size, info.st_mtime_ns), problem, data


def read_bytes(path: str | Path, max_bytes: int) -> tuple[bytes | None, os.stat_result | None, str | None]:
    """A regular file's bytes and the stat they go with, or None and why (a diagnostic's words)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None, None, "vanished while the vault was read; skipped"
    except OSError as exc:
        return None, None, f"cannot read: {exc.strerror or exc}; skipped"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, None, "not a regular file; skipped"
        if info.st_size > max_bytes:
            limit = f"the {_size(max_bytes)} limit for a note (BRIDGE_MAX_NOTE_BYTES)"
            return None, None, f"{_size(info.st_size)} is over {limit}; skipped"
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, max(info.st_size + 1 - total, 65536)):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                return None, None, "grew past the size limit while being read; skipped"
        return b"".join(chunks), info, None
    except OSError as exc:
        return None, None, f"cannot read: {exc.strerror or exc}; skipped"
    finally:
        os.close(fd)


def vault_root(path: Path, root: Path | None = None) -> Path:
    """The vault `path` lies in: `root` (BRIDGE_VAULT) when it holds the path, else `find_root`."""
    path = path.absolute()
    return root.absolute() if root is not None and path.is_relative_to(root.absolute()) else find_root(path)


def scan(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_NOTE_BYTES,
    policy: GroupPolicy | None = None,
    root: Path | None = None,
    cache: ParseCache | None = None,
    workers: bool = False,
) -> Scan:
    """Parse every note of a vault, a folder of it, or one note into tasks, groups and diagnostics.

    `root` is the vault the path lies in, when known (BRIDGE_VAULT); else `find_root` decides.
    `workers`: when `cache` holds nothing for many notes (a first sync, a lost cache), they are
    parsed in worker processes as a cold listing's are (`bridge.workers`); the scan is the same.
    """
    from bridge.groups import group_tasks
    from bridge.parse import parse_note

    result = start_scan(path, root)
    parsing = _parsing(result, cache) if workers and isinstance(cache, RecordingCache) else None

    def cached(rel: str, size: int, mtime_ns: int) -> bool:
        found = None if cache is None else cache.lookup(rel, size, mtime_ns)
        if found is not None:
            if parsing is not None and parsing.waiting:  # behind notes being parsed: in its turn
                parsing.later(partial(_add, result, rel, *found))
            else:
                _add(result, rel, *found)
        return found is not None

    if parsing is None:
        for text, note, _data in read_notes(path, result, max_bytes=max_bytes, cached=cached):
            tasks, diagnostics = parse_note(text, note.path, result.dialect)
            if cache is not None:
                cache.store(note, text, tasks, diagnostics)
            _add(result, note.path, tasks, diagnostics)
    else:
        _parse_all(path, result, parsing, max_bytes=max_bytes, cached=cached)
    result.groups = group_tasks(result.tasks, policy)
    return result


def _parsing(result: Scan, cache: RecordingCache) -> InOrder[_Parsed]:
    """The sync's notes parsed by `bridge.workers`, each kept in `cache` and added in vault order."""
    from bridge import workers

    def add(note: Note, text: str, parsed: _Parsed) -> None:
        tasks, diagnostics, record = parsed
        if record is None:  # parsed here
            cache.store(note, text, tasks, diagnostics)
        else:
            cache.store_record(note, record)
        _add(result, note.path, tasks, diagnostics)

    return workers.InOrder(
        partial(_parse_in_worker, result.dialect, cache.record),
        add,
        cache.missing,
        after=workers.PARALLEL_AFTER,
        workers=workers.WORKERS,
        batch=workers.BATCH,
        in_flight=workers.IN_FLIGHT,
    )


def _parse_all(
    path: Path,
    result: Scan,
    parsing: InOrder[_Parsed],
    *,
    max_bytes: int,
    cached: Callable[[str, int, int], bool],
) -> None:
    """`scan`'s reading when workers may parse: what `read_notes` tells is said in its turn."""
    from bridge.parse import parse_note

    def told(diagnostic: Diagnostic | None, unread: str | None) -> None:
        parsing.later(partial(result.tell, diagnostic, unread))

    with parsing:
        notes = read_notes(path, result, max_bytes=max_bytes, cached=cached, told=told, listed=parsing.listed)
        for text, note, data in notes:
            if not parsing.take(text, note, data):
                parsing.add(note, text, (*parse_note(text, note.path, result.dialect), None))
        parsing.finish()


# A note's tasks and diagnostics, and its parse cache record when a worker made it.
_Parsed = tuple[list[Task], list[Diagnostic], tuple[str, str] | None]
_Record = Callable[[str, list[Task], list[Diagnostic]], tuple[str, str]]


def _parse_in_worker(dialect: Dialect, record: _Record, text: str, rel: str) -> _Parsed:
    """A note parsed in a worker (each line afresh, as a listing's workers read it), with its
    parse cache record: making that is a good part of a cold note's cost."""
    from bridge.parse import parse_note

    tasks, diagnostics = parse_note(text, rel, dialect, line_cache=False)
    return tasks, diagnostics, record(text, tasks, diagnostics)


def start_scan(path: Path, root: Path | None = None) -> Scan:
    """An empty scan of the vault `path` lies in, with its Obsidian Tasks settings read."""
    root = vault_root(path.absolute(), root)
    dialect, problems = load_dialect(root)
    result = Scan(root, dialect=dialect)
    result.diagnostics.extend(problems)
    return result


def read_notes(
    path: Path,
    result: Scan,
    *,
    max_bytes: int,
    cached: Callable[[str, int, int], bool] | None = None,
    told: Callable[[Diagnostic | None, str | None], None] | None = None,
    listed: Callable[[list[str]], None] | None = None,
) -> Iterator[tuple[str, Note, bytes]]:
    """The text of each note under `path` to parse, in vault order, for `scan` and listings alike,
    with the UTF-8 bytes it was decoded from (what a worker process is sent).

    Each note read is recorded in `result`; what cannot be read (a diagnostic, a path not read in
    full) is too, or handed to `told` by a caller that adds notes later than they are read and
    must say their problems in the same order. `cached(rel, size, mtime_ns)` is asked first for a
    regular file within the size limit; when it answers True the caller had that note already,
    and it is only stat'ed, not opened. `listed` is given every note's path under `path`, in vault
    order, before any is read: a caller can tell how many it will have to parse.
    """

    tell = told or result.tell

    path = path.absolute()
    root = result.root
    walk = Walk()
    # each note's file as a string (os.path.join is os.walk's own): a Path only for a symlink
    if path.is_dir():
        files: Iterable[str] = (os.path.join(f, n) for f, n in iter_note_names(path, walk, vault=root))
    else:
        files = [str(path)]
    paths = sorted(_in_vault(files, root))
    if listed is not None:
        listed([rel for rel, _file in paths])
    for rel, name in paths:
        file: str | Path = name
        info: os.stat_result | None = None
        problem: Diagnostic | None = None
        try:
            info = os.lstat(file)
        except FileNotFoundError:
            problem = Diagnostic(rel, "vanished while the vault was read; skipped")
        except OSError as exc:
            problem = Diagnostic(rel, f"cannot read: {exc.strerror or exc}; skipped")
        else:
            if stat.S_ISLNK(info.st_mode):  # read where it really is, if that is in the vault
                real, why = real_path(root, Path(name))
                if real is not None and _walked(real, path):
                    continue  # an alias of a note read at its own place: not read twice
                file, info = (real, None) if real is not None else (name, None)
                problem = Diagnostic(rel, why) if why else None
        if problem is not None:
            tell(problem, rel)
            continue
        if cached is not None and (hit := _cached(cached, file, rel, info, max_bytes)) is not None:
            result.notes.append(hit)
            continue
        text, note, problem, data = read_note(file, rel, max_bytes)
        if text is None or note is None or data is None:
            tell(problem, rel)
            continue
        if problem is not None:
            tell(problem, None)
        result.notes.append(note)
        yield text, note, data
    for diagnostic in walk.problems:
        tell(diagnostic, None)
    for unread in walk.unread:
        tell(None, unread)
    result.litter = walk.litter


def _in_vault(files: Iterable[str], root: Path) -> Iterator[tuple[str, str]]:
    """Each file under `root` with its path in the vault: cut from its own path where the vault's
    begins it (`relative_to` and `as_posix` cost more than the note's stat), else made relative."""
    start = str(root) + os.sep
    for name in files:
        if name.startswith(start):
            rel = name[len(start) :]
            yield (rel if os.sep == "/" else rel.replace(os.sep, "/")), name
        else:
            yield Path(name).relative_to(root).as_posix(), name


def _walked(real: Path, start: Path) -> bool:
    """Whether the walk from `start` reads the file at `real` under its own name."""
    base = Path(os.path.realpath(start))
    if not start.is_dir() or not real.is_relative_to(base):
        return False
    parts = real.relative_to(base).parts
    return real.name.lower().endswith(_NOTE_SUFFIXES) and not any(p.startswith(".") for p in parts)


def _add(result: Scan, rel: str, tasks: list[Task], diagnostics: list[Diagnostic]) -> None:
    result.tasks.extend(tasks)
    result.diagnostics.extend(diagnostics)
    if any(d.unread for d in diagnostics):  # an unclosed fence, comment or front matter: tasks may be missing
        result.unread.append(rel)


def _cached(
    cached: Callable[[str, int, int], bool],
    file: str | Path,
    rel: str,
    info: os.stat_result | None,
    max_bytes: int,
) -> Note | None:
    if info is None:
        try:
            info = os.stat(file)
        except OSError:
            return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:  # read, to say why it is skipped
        return None
    if not cached(rel, info.st_size, info.st_mtime_ns):
        return None
    return Note(rel, info.st_size, info.st_mtime_ns)
