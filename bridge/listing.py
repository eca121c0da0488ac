"""`bridge tasks --json` from the parse cache's listing lines: no Task object for an unchanged note.

A listing of a large vault spends most of its time on work that does not change while its notes
do not: building Task objects, comparing descriptions for near-duplicates, encoding JSON. Each
note's part of that is kept in the parse cache (`bridge.tasks_cache.Lines`), so a warm listing
only joins the notes' groups across the vault, applies the filters and writes the kept text.
The output is byte for byte what `print_json` writes of `task_json` for the same scan.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from bridge.groups import GroupPolicy, Joins
from bridge.model import Diagnostic, StatusType
from bridge.selection import Selection
from bridge.signifiers import Dialect
from bridge.tasks_cache import Lines, NoteEntry, TasksCache, note_filters, note_json, note_parts
from bridge.vault import Note, Scan, read_notes, start_scan
from bridge.workers import BATCH, IN_FLIGHT, PARALLEL_AFTER, WORKERS, InOrder, NoteError

__all__ = ["Listing", "NoteError", "list_tasks"]

_STATUS_TYPES = {s.value: s for s in StatusType}
Hit = tuple[Lines, bytes, list[Diagnostic]]
# Between two items of a note's JSON text (see `tasks_json_parts`): cut there, with a control
# character JSON never holds, when only some of a note's tasks are shown.
_BETWEEN = b'}, {"key": '
_CUT = b'}\x01{"key": '
# The JSON text of the notes parsed in this run is kept as it was made, not only compressed, up to
# this many bytes in all (a cold listing of a few thousand notes): decompressing it again cost a
# tenth of such a listing's own process.
KEPT_JSON = 16 << 20


class Listing:
    """The tasks of a scan, note by note in vault order, as a listing needs them (`Lines`)."""

    def __init__(self, scan: Scan, scope: str) -> None:
        self.scan = scan
        self.scope = scope
        self.keys: list[str] = []
        self.joins = Joins(carry=scope == "vault")
        # each note's lines, filters and JSON text (`note_entry`'s, or `note_json` of it when kept)
        self.notes: list[tuple[int, int, bytes, bytes, bool]] = []
        self.kept = 0  # bytes of JSON text kept as `note_json` gives it

    def add(
        self,
        rel: str,
        lines: Lines,
        text: bytes,
        diagnostics: list[Diagnostic],
        template: bytes | None = None,
    ) -> None:
        """One note's lines, JSON text and diagnostics, as `scan` adds a note's tasks; its lines are
        joined to the earlier notes' as they come (while workers parse the next notes), so that
        only naming the groups is left once the last note is in. `template`: `note_json(text)`,
        when the note was just parsed."""
        keys, carried, links, filters = lines
        start = len(self.keys)
        if keys:
            if template is not None and self.kept + len(template) <= KEPT_JSON:
                self.kept += len(template)
                self.notes.append((start, start + len(keys), filters, template, True))
            else:
                self.notes.append((start, start + len(keys), filters, text, False))
            self.keys += keys
            self.joins.add(start, keys, links, carried)
        self.scan.diagnostics.extend(diagnostics)
        if any(d.unread for d in diagnostics):  # tasks may be missing
            self.scan.unread.append(rel)

    def picked(self, selection: Selection) -> list[int] | None:
        """`Selection.pick` over the listing; None for all of it."""
        if not selection.filters:
            return None if selection.limit is None else list(range(min(selection.limit, len(self.keys))))
        match = selection.matches_values
        picked: list[int] = []
        for start, _end, filters, _text, _whole in self.notes:
            statuses, owners, dues, tags = note_filters(filters)
            picked += (
                start + at
                for at, row in enumerate(zip(statuses, owners, dues, tags, strict=True))
                if match(_STATUS_TYPES[row[0]], *row[1:])
            )
            if selection.limit is not None and len(picked) >= selection.limit:
                break
        return picked if selection.limit is None else picked[: selection.limit]

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        """The JSON items shown, with their groups filled in: one UTF-8 string of items a note (kept
        as bytes from the cache to the output: decoding and encoding again cost a tenth of a warm
        listing)."""
        groups = self.joins.groups(self.keys)
        value = _Quoted().__getitem__  # a group's JSON, made once per group
        picked = self.picked(selection)
        for start, end, _filters, text, whole in self.notes:
            if picked is None:
                shown: Sequence[int] = range(start, end)
            else:
                shown = picked[bisect_left(picked, start) : bisect_left(picked, end)]
                if not shown:
                    continue
            template = text if whole else note_json(text)
            if len(shown) == end - start:  # the whole note: its text with the groups filled in
                yield template % tuple(map(value, groups[start:end]))
            else:
                items = template.replace(_BETWEEN, _CUT).split(b"\x01")
                yield b", ".join(items[i - start] % (value(groups[i]),) for i in shown)
            if picked is not None and shown[-1] == picked[-1]:
                return


class _Quoted(dict[str | None, bytes]):
    """Each group's JSON value in UTF-8, made when first asked for."""

    def __init__(self) -> None:
        super().__init__({None: b"null"})

    def __missing__(self, group: str | None) -> bytes:
        found = self[group] = json.dumps(group, ensure_ascii=False).encode("utf-8")
        return found


def list_tasks(
    target: Path, cache: TasksCache, *, max_bytes: int, root: Path | None = None, scope: str = "vault"
) -> Listing:
    """Read `target` as `bridge.vault.scan` does, taking each unchanged note's lines from `cache`
    and parsing the others (which the cache then keeps).

    When the cache holds nothing for `PARALLEL_AFTER` of the notes listed, or once that many
    notes were parsed here, the rest are parsed by worker processes, in
    batches of `BATCH`, about `IN_FLIGHT` notes ahead of the one added next at most: the notes
    are still added in vault order, so the output is the same, and only a few notes' text is
    held at a time.
    """
    result = start_scan(target, root)
    listing = Listing(result, scope)

    def add(note: Note, _text: str, parts: tuple[NoteEntry, bytes]) -> None:
        entry, template = parts
        diagnostic_rows, keys, carried, links, filters, text, _rows = entry
        cache.keep(note, entry)
        diagnostics = [Diagnostic(*row) for row in diagnostic_rows]
        listing.add(note.path, (keys, carried, links, filters), text, diagnostics, template)

    parsing = InOrder(
        partial(_entry, result.dialect, cache.policy),
        add,
        cache.missing,
        after=PARALLEL_AFTER,
        workers=WORKERS,
        batch=BATCH,
        in_flight=IN_FLIGHT,
    )

    def told(diagnostic: Diagnostic | None, unread: str | None) -> None:
        parsing.later(partial(result.tell, diagnostic, unread))  # behind notes being parsed: in its turn

    def cached(rel: str, size: int, mtime_ns: int) -> bool:
        found = cache.lookup_lines(rel, size, mtime_ns)
        if found is not None:
            parsing.later(lambda: listing.add(rel, *found))  # behind notes being parsed: in its turn
        return found is not None

    with parsing:
        listed = parsing.listed
        notes = read_notes(target, result, max_bytes=max_bytes, cached=cached, told=told, listed=listed)
        for text, note, data in notes:
            if not parsing.take(text, note, data):
                add(note, text, parse_entry(text, note.path, result.dialect, cache.policy))
        parsing.finish()
    return listing


def parse_entry(text: str, rel: str, dialect: Dialect, policy: GroupPolicy) -> tuple[NoteEntry, bytes]:
    """One note parsed into what the cache keeps of it and its JSON text (`note_parts`; each line
    afresh: see `parse_note`)."""
    from bridge.parse import parse_note  # only for a note the cache does not have

    return note_parts(*parse_note(text, rel, dialect, line_cache=False), policy)


def _entry(dialect: Dialect, policy: GroupPolicy, text: str, rel: str) -> tuple[NoteEntry, bytes]:
    """`parse_entry` as a worker process runs it (`bridge.workers.InOrder`)."""
    return parse_entry(text, rel, dialect, policy)
