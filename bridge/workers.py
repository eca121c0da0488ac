"""Notes parsed in worker processes and taken back in vault order: what a cold listing and a cold
sync share.

Parsing is most of what reading a large vault costs when the parse cache holds nothing for it (a
first run, a lost cache); two processes parse it in about half the wall time. The notes are still
added in vault order, with every problem met between them said in its turn, so the output is what
parsing them in the caller's process gives.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:  # imported when the workers start: a run that needs none does not pay for it
    from concurrent.futures import Future, ProcessPoolExecutor

    from bridge.vault import Note

__all__ = ["BATCH", "IN_FLIGHT", "PARALLEL_AFTER", "WORKERS", "InOrder", "NoteError"]

R = TypeVar("R")
# A cold run of a large vault parses its notes in worker processes: from the second note when the
# cache holds nothing for this many of the vault's notes, else after this many notes parsed in
# the run's own process (a small vault, or a few changed notes, never pays for starting them).
PARALLEL_AFTER = 300
WORKERS = min(2, os.cpu_count() or 1)
BATCH = 16  # notes sent to a worker at once
IN_FLIGHT = 64  # notes sent to the workers and not added yet, at most (then, more are waited for)


class NoteError(RuntimeError):
    """A note a worker process could not parse (a bug): the message names it."""


class InOrder(Generic[R]):
    """Notes handed to worker processes in batches, their results added back in vault order.

    The workers start when `listed` finds `after` notes the cache holds nothing for (`missing`;
    from the second note on), or once that many were parsed in the caller's process (`take`
    answering False): a small vault, or a few changed notes, never pays for starting them. At
    most about `in_flight` notes wait at a time, so only a few notes' text is held.
    `parse(text, path)` runs in a worker for each note (sent as the UTF-8 bytes it was read as: a
    text would be encoded again to be sent), given to the workers when they start;
    `add(note, text, result)` takes each result back here.
    """

    def __init__(
        self,
        parse: Callable[[str, str], R],
        add: Callable[[Note, str, R], None],
        missing: Callable[[list[str]], int],
        *,
        after: int,
        workers: int,
        batch: int,
        in_flight: int,
    ) -> None:
        self.parse, self.add, self.missing = parse, add, missing
        self.after, self.workers, self.size, self.in_flight = after, workers, batch, in_flight
        # Behind a note still being parsed, in vault order: notes of a batch sent to the workers
        # (with their place in the batch), and what the caller had to do in their turn.
        self.waiting: deque[tuple[Note, _Batch[R], int] | Callable[[], None]] = deque()
        self.batch: _Batch[R] = _Batch()  # the notes to send next
        self.pool: ProcessPoolExecutor | None = None
        self.parsed = 0

    def later(self, step: Callable[[], None]) -> None:
        """Do `step` now, or after the notes before it are added when some are still being parsed."""
        if self.waiting:
            self.waiting.append(step)
        else:
            step()

    def listed(self, paths: list[str]) -> None:
        """Every note of the run, before any is read (`read_notes`): when the cache holds nothing
        for enough of them (a cold run), the workers start after the first note, parsed here.
        Forked from this process at their first batch, they begin with what parsing it imported
        and built (the parser's modules and patterns: in each worker, some 40 notes' parse)."""
        if self.missing(paths) >= self.after:
            self.parsed = max(self.parsed, self.after - 1)

    def take(self, text: str, note: Note, data: bytes) -> bool:
        """Hand a note to the workers when they run (`data`: the UTF-8 bytes `text` was decoded
        from); False when the caller is to parse it."""
        if self.parsed >= self.after:
            self.start()
        self.parsed += 1
        if self.pool is None:
            return False
        self.waiting.append((note, self.batch, len(self.batch.notes)))
        self.batch.notes.append((data, note.path))
        self.batch.texts.append(text)
        if len(self.batch.notes) == self.size:
            self._send()
            self._settle(self.in_flight)
        return True

    def finish(self) -> None:
        """Wait for every note still being parsed and add it, and do every step behind it."""
        self._send()
        self._settle(0)

    def close(self) -> None:
        """Stop the workers (also when the caller was interrupted): no process is left behind."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def __enter__(self) -> InOrder[R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        if self.pool is None and self.workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            initargs = (os.getpid(), self.parse)
            self.pool = ProcessPoolExecutor(self.workers, initializer=_start_worker, initargs=initargs)

    def _send(self) -> None:
        if self.pool is not None and self.batch.notes:
            self.batch.future = self.pool.submit(_parse_batch, self.batch.notes)
            self.batch = _Batch()

    def _settle(self, most: int) -> None:
        """Add the notes in front that are ready, and wait for more while over `most` wait."""
        waiting = self.waiting
        while waiting:
            item = waiting[0]
            if not isinstance(item, tuple):
                item()
            else:
                note, sent, at = item
                if sent.future is None or (not sent.future.done() and len(waiting) <= most):
                    return
                try:
                    result = sent.future.result()[at]
                except NoteError:
                    raise
                except Exception as exc:  # a worker that died: the note is one of its batch
                    paths = ", ".join(path for _data, path in sent.notes)
                    raise NoteError(f"{paths}: cannot be parsed ({exc!r})") from exc
                self.add(note, sent.texts[at], result)
            waiting.popleft()


# What a worker process does with each note it is sent, set when it starts.
_parse: Callable[[str, str], Any] | None = None


def _start_worker(parent: int, parse: Callable[[str, str], Any]) -> None:
    """A worker's start: what it does with a note, and a watch that ends the worker once its
    parent is gone.

    A worker waits for work on a pipe that its sibling holds open too, so a parent killed outright
    (SIGKILL, the OOM killer) would leave both waiting forever; each looks for a new parent twice
    a second instead, on a thread that sleeps between looks.
    """
    import gc
    import threading

    gc.enable()  # forked from a sync holding its collector off (`bridge.collector.kept`): as before

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    global _parse
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    _parse = parse


def _parse_batch(notes: list[tuple[bytes, str]]) -> list[Any]:
    """A batch of notes parsed in a worker, each decoded as `read_notes` decoded it (valid UTF-8);
    a note that cannot be parsed is named (a bug)."""
    if _parse is None:  # pragma: no cover - set by `_start_worker` before any batch
        raise RuntimeError("a worker given notes before it started")
    results = []
    for data, rel in notes:
        try:
            results.append(_parse(data.decode("utf-8"), rel))
        except Exception as exc:
            raise NoteError(f"{rel}: cannot be parsed ({exc!r})") from exc
    return results


class _Batch(Generic[R]):
    """Notes sent to a worker in one go (sending each alone costs the main process more than the
    workers save), and the worker's answer."""

    __slots__ = ("future", "notes", "texts")

    def __init__(self) -> None:
        self.notes: list[tuple[bytes, str]] = []  # (data, path): what is sent
        self.texts: list[str] = []  # each note's text, for `add`
        self.future: Future[list[R]] | None = None
