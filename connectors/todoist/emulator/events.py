"""The account's webhook event log (`Account.events`): every event recorded, oldest first.

An account keeps every event it emitted, each with a whole record (over 100,000 after a large
first sync). Kept as dicts, each event was four containers more for Python's garbage collector
to walk at every full collection, which then took a sixth of the emulator's CPU or more. So each
event is kept as its `marshal` bytes, all in one `bytearray`, which the collector never looks
into; a read gives a fresh copy of the event, equal to the one recorded.
"""

from __future__ import annotations

import marshal
from array import array
from collections.abc import Iterator, Sequence
from typing import Any, overload

from connectors.todoist.emulator.records import clone

__all__ = ["EventLog"]

Json = dict[str, Any]
_VERSION = 2  # no back-references: the quickest to write and read, and the events share nothing


class EventLog(Sequence[Json]):
    """A read-only sequence of the events appended (`append`), each read a fresh copy; equal to
    a sequence of the same events, as the list it replaces was. Appended under the account's lock
    (`Emulator._emit`), so that an event's bytes and its end are written together."""

    __hash__ = None  # type: ignore[assignment]  # equal to lists, so unhashable as they are

    def __init__(self) -> None:
        self._bytes = bytearray()
        self._ends = array("Q")  # where each event's bytes end in `_bytes`
        self._odd: dict[int, Json] = {}  # events marshal cannot write (a str or dict subclass), cloned

    def append(self, event: Json) -> None:
        """Record the event as it is now: later changes to it, or to what it holds, are not seen."""
        try:
            written = marshal.dumps(event, _VERSION)
        except ValueError:  # a subclass, or nested too deep: kept as a plain copy instead
            self._odd[len(self._ends)] = clone(event)
            written = b""
        self._bytes += written
        self._ends.append(len(self._bytes))  # last: a reader never sees an event half written

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> Json: ...

    @overload
    def __getitem__(self, index: slice) -> list[Json]: ...

    def __getitem__(self, index: int | slice) -> Json | list[Json]:
        count = len(self._ends)
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(count))]
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("event index out of range")
        if index in self._odd:
            return clone(self._odd[index])
        start = self._ends[index - 1] if index else 0
        # Bytes this log wrote itself (S302 is about untrusted ones); the slice copies them.
        event: Json = marshal.loads(self._bytes[start : self._ends[index]])  # noqa: S302
        return event

    def __iter__(self) -> Iterator[Json]:
        for index in range(len(self._ends)):
            yield self[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventLog | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __repr__(self) -> str:
        return f"EventLog({list(self)!r})"
