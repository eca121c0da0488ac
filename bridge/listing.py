"""`bridge tasks --json` from the parse cache's listing lines: no Task object for an unchanged note.

A listing of a large vault spends most of its time on work that does not change while its notes
do not: building Task objects, comparing descriptions for near-duplicates, encoding JSON. Each
note's part of that is kept in the parse cache (`bridge.tasks_cache.Line`), so a warm listing
only joins the notes' groups across the vault, applies the filters and writes the kept text.
The output is byte for byte what `print_json` writes of `task_json` for the same scan.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterator
from pathlib import Path

from bridge.groups import join_groups
from bridge.model import Diagnostic, StatusType
from bridge.selection import Selection
from bridge.tasks_cache import Line, TasksCache, json_parts, listing_lines
from bridge.vault import Scan, read_notes, start_scan

__all__ = ["Listing", "list_tasks"]

_STATUS_TYPES = {s.value: s for s in StatusType}


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
    and parsing the others (which the cache then keeps)."""
    result = start_scan(target, root)
    listing = Listing(result, scope)

    def cached(rel: str, size: int, mtime_ns: int) -> bool:
        found = cache.lookup_lines(rel, size, mtime_ns)
        if found is not None:
            listing.add(rel, *found)
        return found is not None

    for text, note in read_notes(target, result, max_bytes=max_bytes, cached=cached):
        from bridge.parse import parse_note  # only for a note the cache does not have

        tasks, diagnostics = parse_note(text, note.path, result.dialect)
        lines, json_text = listing_lines(tasks, cache.policy)
        cache.keep(note, tasks, diagnostics, lines, json_text)
        listing.add(note.path, lines, json_text, diagnostics)
    return listing
