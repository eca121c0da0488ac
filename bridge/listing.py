"""`bridge tasks --json` from the parse cache's listing lines: no Task object for an unchanged note.

A listing of a large vault spends most of its time on work that does not change while its notes
do not: building Task objects, comparing descriptions for near-duplicates, encoding JSON. Each
note's part of that is kept in the parse cache (`bridge.tasks_cache.Line`), so a warm listing
only joins the notes' groups across the vault, applies the filters and writes the kept text.
The output is byte for byte what `print_json` writes of `task_json` for the same scan.
"""

from __future__ import annotations

import json
import os
from bisect import bisect_right
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from bridge.groups import GroupPolicy, join_groups
from bridge.model import Diagnostic, StatusType
from bridge.selection import Selection
from bridge.signifiers import Dialect
from bridge.tasks_cache import Line, NoteEntry, TasksCache, json_parts, note_entry
from bridge.vault import Note, Scan, read_notes, start_scan

__all__ = ["Listing", "list_tasks"]

_STATUS_TYPES = {s.value: s for s in StatusType}
# A cold listing of a large vault parses its notes in worker processes, after this many notes
# parsed here (a small vault, or a few changed notes, never pays for starting them).
PARALLEL_AFTER = 300
WORKERS = min(2, os.cpu_count() or 1)
IN_FLIGHT = 64  # notes sent to the workers and not added yet, at most
Hit = tuple[tuple[Line, ...], bytes, list[Diagnostic]]


class Listing:
    """The lines of a scan, in vault order, and what they become as JSON items."""

    def __init__(self, scan: Scan, scope: str) -> None:
        self.scan = scan
        self.scope = scope
        self.lines: list[Line] = []
        self.links: list[int] = []  # each line's `Line` link, as an index into `lines`
        self.texts: list[tuple[int, bytes]] = []  # each note's first line and its JSON text

    def add(self, rel: str, lines: tuple[Line, ...], text: bytes, diagnostics: list[Diagnostic]) -> None:
        """One note's lines, JSON text and diagnostics, as `scan` adds a note's tasks."""
        offset = len(self.lines)
        if lines:
            self.texts.append((offset, text))
        self.lines.extend(lines)
        self.links.extend(line[6] + offset for line in lines)
        self.scan.diagnostics.extend(diagnostics)
        if any(d.unread for d in diagnostics):  # tasks may be missing
            self.scan.unread.append(rel)

    def picked(self, selection: Selection) -> list[int]:
        """`Selection.pick` over the lines."""
        if not selection.filters:
            chosen = range(len(self.lines))
            return list(chosen if selection.limit is None else chosen[: selection.limit])
        match = selection.matches_values
        picked = [
            i for i, line in enumerate(self.lines) if match(_STATUS_TYPES[line[1]], line[2], line[3], line[4])
        ]
        return picked if selection.limit is None else picked[: selection.limit]

    def items(self, selection: Selection) -> Iterator[str]:
        """The JSON text of each task shown, with its group filled in, one note's text at a time."""
        lines = self.lines
        carried = [line[5] for line in lines] if self.scope == "vault" else [None] * len(lines)
        groups = join_groups([line[0] for line in lines], self.links, carried)
        quoted: dict[str | None, str] = {None: "null"}  # a group's JSON, once per group
        starts = [start for start, _ in self.texts]
        ends = [*starts[1:], len(lines)]
        start, end = 0, 0  # the lines of the note whose JSON parts are at hand
        parts: list[str] = []
        for i in self.picked(selection):
            if i >= end:
                note = bisect_right(starts, i) - 1
                start, end = starts[note], ends[note]
                parts = json_parts(self.texts[note][1])
            group = groups[i]
            value = quoted.get(group)
            if value is None:
                value = quoted[group] = json.dumps(group, ensure_ascii=False)
            at = 2 * (i - start)
            yield parts[at] + value + parts[at + 1]


def list_tasks(
    target: Path, cache: TasksCache, *, max_bytes: int, root: Path | None = None, scope: str = "vault"
) -> Listing:
    """Read `target` as `bridge.vault.scan` does, taking each unchanged note's lines from `cache`
    and parsing the others (which the cache then keeps).

    Once `PARALLEL_AFTER` notes were parsed here, the rest are parsed by worker processes, at
    most `IN_FLIGHT` notes ahead of the one added next: the notes are still added in vault
    order, so the output is the same, and only a few notes' text is held at a time.
    """
    result = start_scan(target, root)
    listing = Listing(result, scope)
    # Notes behind one still being parsed, in vault order: a parse to come, or a cache hit's lines.
    waiting: deque[tuple[Note, Future[NoteEntry]] | tuple[str, Hit]] = deque()
    pool: ProcessPoolExecutor | None = None
    parsed = 0

    def add(note: Note, entry: NoteEntry) -> None:
        diagnostic_rows, lines, text, _rows = entry
        cache.keep(note, entry)
        listing.add(note.path, lines, text, [Diagnostic(*row) for row in diagnostic_rows])

    def settle(most: int) -> None:
        """Add the notes in front that are ready, and wait for more while over `most` wait."""
        while waiting:
            item = waiting[0]
            if isinstance(item[0], str):
                listing.add(item[0], *item[1])
            else:
                note, future = item
                if not future.done() and len(waiting) <= most:
                    return
                try:
                    entry = future.result()
                except Exception as exc:
                    raise RuntimeError(f"{note.path}: cannot be parsed ({exc!r})") from exc
                add(note, entry)
            waiting.popleft()

    def cached(rel: str, size: int, mtime_ns: int) -> bool:
        found = cache.lookup_lines(rel, size, mtime_ns)
        if found is not None:
            if waiting:  # behind notes still being parsed: added in its turn
                waiting.append((rel, found))
            else:
                listing.add(rel, *found)
        return found is not None

    try:
        for text, note in read_notes(target, result, max_bytes=max_bytes, cached=cached):
            if pool is None and parsed >= PARALLEL_AFTER and WORKERS > 1:
                pool = ProcessPoolExecutor(
                    WORKERS, initializer=_start_worker, initargs=(result.dialect, cache.policy)
                )
            parsed += 1
            if pool is None:
                add(note, parse_entry(text, note.path, result.dialect, cache.policy))
            else:
                waiting.append((note, pool.submit(_parse_in_worker, text, note.path)))
                settle(IN_FLIGHT)
        settle(0)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return listing


def parse_entry(text: str, rel: str, dialect: Dialect, policy: GroupPolicy) -> NoteEntry:
    """One note parsed into what the cache keeps of it."""
    from bridge.parse import parse_note  # only for a note the cache does not have

    return note_entry(*parse_note(text, rel, dialect), policy)


# How a worker process parses: the vault's dialect and the grouping, set once when it starts.
_worker: tuple[Dialect, GroupPolicy] = (Dialect(), GroupPolicy())


def _start_worker(dialect: Dialect, policy: GroupPolicy) -> None:
    global _worker
    _worker = (dialect, policy)


def _parse_in_worker(text: str, rel: str) -> NoteEntry:
    return parse_entry(text, rel, *_worker)
