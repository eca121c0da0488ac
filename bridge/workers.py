"""Notes parsed in worker processes and taken back in vault order: what a cold listing and a cold
sync share.

Parsing is most of what reading a large vault costs when the parse cache holds nothing for it (a
first run, a lost cache); two processes parse it in about half the wall time. The notes are still
added in vault order, with every problem met between them said in its turn, so the output is what
parsing them in the caller's process gives.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:  # imported when the workers start: a run that needs none does not pay for it
    from multiprocessing.process import BaseProcess

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
        self.waiting: deque[tuple[Note, _Batch, int] | Callable[[], None]] = deque()
        self.batch = _Batch()  # the notes to send next
        self.pool: _Pool | None = None
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

    def close(self, interrupted: bool = False) -> None:
        """Stop the workers (also when the caller was interrupted): no process is left behind."""
        if self.pool is not None:
            pool, self.pool = self.pool, None
            pool.close(interrupted)

    def __enter__(self) -> InOrder[R]:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.close(kind is not None)

    def start(self) -> None:
        if self.pool is None and self.workers > 1:
            self.pool = _Pool(self.workers, self.parse)

    def _send(self) -> None:
        if self.pool is not None and self.batch.notes:
            self.pool.send(self.batch)
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
                if sent.results is None:
                    if self.pool is None or not sent.sent:
                        return
                    self.pool.pump(wait=len(waiting) > most)
                    if sent.results is None:
                        if len(waiting) <= most:
                            return
                        continue
                if isinstance(sent.results, BaseException):
                    if isinstance(sent.results, NoteError):
                        raise sent.results
                    paths = ", ".join(path for _data, path in sent.notes)
                    raise NoteError(f"{paths}: cannot be parsed ({sent.results!r})") from sent.results
                self.add(note, sent.texts[at], sent.results[at])
            waiting.popleft()


class _Batch:
    """Notes sent to a worker in one go (sending each alone costs the main process more than the
    workers save), and the worker's answer: its results, or why there are none."""

    __slots__ = ("notes", "results", "sent", "texts")

    def __init__(self) -> None:
        self.notes: list[tuple[bytes, str]] = []  # (data, path): what is sent
        self.texts: list[str] = []  # each note's text, for `add`
        self.sent = False
        self.results: list[Any] | BaseException | None = None


# A message on a worker's pipes: its length, then a batch's notes (marshal) or its answer (pickle).
_LENGTH = struct.Struct("<Q")
# Pipes large enough for a few batches each way (Linux): neither side waits on the other's reads.
_PIPE_SIZE = 1 << 20


class _Worker:
    """One worker process, the pipes to it and from it, and the batches it was sent, in order."""

    __slots__ = ("batches", "inbox", "length", "outbox", "process", "reading", "receive", "send", "wanted")

    def __init__(self, process: BaseProcess, send: int, receive: int) -> None:
        self.process, self.send, self.receive = process, send, receive
        self.batches: deque[_Batch] = deque()
        self.outbox: deque[memoryview] = deque()  # what is still to be written to it
        self.inbox = bytearray(_LENGTH.size)  # the message being read, reused
        self.reading = 0  # bytes of it read so far
        self.wanted = _LENGTH.size  # bytes of it to read: its length first
        self.length: int | None = None  # the answer's length, once read


class _Pool:
    """Worker processes forked from this one, each sent its batches on a pipe of its own and
    answering on another, both read and written by the caller's thread (non-blocking, with poll).

    A process pool's manager and feeder threads cost the listing's own process about a fifth of
    its CPU (unpickling on one thread, the results handed over with locks, a wake-up each way);
    here a batch's answer is one pickle read straight from its pipe. A worker that dies closes
    its answering pipe: the batches it held are then refused, naming their notes.
    """

    def __init__(self, count: int, parse: Callable[[str, str], Any]) -> None:
        import multiprocessing
        import pickle  # with the workers: a listing that starts none does not import it
        import select

        self.loads = pickle.loads
        context = multiprocessing.get_context("fork")
        self.poll = select.poll()
        self.workers: list[_Worker] = []
        self.by_fd: dict[int, _Worker] = {}
        self.parent = os.getpid()
        ours: list[int] = []  # this process's ends of the pipes made so far
        theirs: list[int] = []
        try:
            for _ in range(count):
                # Each worker's pipes made just before it is forked: a worker holding a sibling's
                # answering end would keep that pipe open after the sibling died, and its batches
                # would be waited for forever.
                (from_parent, to_worker), (from_worker, to_parent) = os.pipe(), os.pipe()
                ours += (to_worker, from_worker)
                theirs = [from_parent, to_parent]  # the worker's ends, closed here once it has them
                for fd in (to_worker, to_parent):
                    _widen(fd)
                args = (self.parent, parse, from_parent, to_parent, list(ours))
                process = context.Process(target=_serve, args=args, daemon=True, name="bridge-parse")
                process.start()
                while theirs:
                    os.close(theirs.pop())
                os.set_blocking(to_worker, False)
                os.set_blocking(from_worker, False)
                worker = _Worker(process, to_worker, from_worker)
                self.workers.append(worker)
                self.by_fd[from_worker] = worker
                self.poll.register(from_worker, select.POLLIN)
        except BaseException:
            for fd in theirs + ours[2 * len(self.workers) :]:  # the pipes of a worker not started
                with contextlib.suppress(OSError):
                    os.close(fd)
            self.close(True)
            raise

    def send(self, batch: _Batch) -> None:
        """Hand `batch` to the worker holding the fewest batches."""
        import select

        batch.sent = True
        alive = [w for w in self.workers if w.receive in self.by_fd]
        if not alive:
            batch.results = EOFError("the worker processes ended")
            return
        worker = min(alive, key=lambda w: len(w.batches))
        worker.batches.append(batch)
        payload = marshal.dumps(batch.notes, 4)
        idle = not worker.outbox
        worker.outbox.append(memoryview(_LENGTH.pack(len(payload)) + payload))
        if idle and not self._write(worker):
            self.poll.register(worker.send, select.POLLOUT)

    def pump(self, *, wait: bool) -> None:
        """Write what the workers can take and read what they answered; with `wait`, until
        something was answered."""
        import select

        while True:
            answered = False
            for fd, events in self.poll.poll(None if wait else 0):
                worker = self.by_fd.get(fd)
                if worker is not None:
                    answered = self._read(worker) or answered
                    continue
                sending = next(w for w in self.workers if w.send == fd)
                if self._write(sending) or events & (select.POLLERR | select.POLLHUP):
                    self.poll.unregister(fd)
            if answered or not wait:
                return

    def _write(self, worker: _Worker) -> bool:
        """Write what `worker` can take now; True when nothing is left to write."""
        outbox = worker.outbox
        try:
            while outbox:
                written = os.write(worker.send, outbox[0])
                if written < len(outbox[0]):
                    outbox[0] = outbox[0][written:]
                    return False
                outbox.popleft()
        except BlockingIOError:
            return False
        except OSError:  # the worker is gone: its answering pipe says so
            outbox.clear()
        return True

    def _read(self, worker: _Worker) -> bool:
        """Read what `worker` answered (its length, then the pickle); True when a batch's answer
        is complete or will never be."""
        done = False
        while True:
            with memoryview(worker.inbox) as whole, whole[worker.reading : worker.wanted] as view:
                try:
                    count = os.readv(worker.receive, [view])
                except BlockingIOError:
                    return done
            if count == 0:  # the worker ended: what it held is not coming
                self._lost(worker)
                return True
            worker.reading += count
            if worker.reading < worker.wanted:
                continue
            if worker.length is None:
                (worker.length,) = _LENGTH.unpack_from(worker.inbox)
                worker.inbox = bytearray(worker.length)
                worker.reading, worker.wanted = 0, worker.length
                if worker.length:
                    continue
            # a batch's results, or the NoteError that refused it
            worker.batches.popleft().results = self.loads(worker.inbox)  # our own worker's pickle
            worker.inbox = bytearray(_LENGTH.size)
            worker.reading, worker.wanted, worker.length = 0, _LENGTH.size, None
            done = True

    def _lost(self, worker: _Worker) -> None:
        self.poll.unregister(worker.receive)
        del self.by_fd[worker.receive]
        for batch in worker.batches:
            batch.results = EOFError("a worker process ended while parsing")
        worker.batches.clear()
        worker.process.join(0)

    def close(self, interrupted: bool) -> None:
        """End every worker: at the end of its pipe when all went well, at once otherwise."""
        for worker in self.workers:
            for fd in (worker.send, worker.receive):
                with contextlib.suppress(OSError):
                    os.close(fd)
        for worker in self.workers:
            if interrupted:
                worker.process.terminate()
            worker.process.join()


def _widen(fd: int) -> None:
    import fcntl

    setting = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setting is not None:
        with contextlib.suppress(OSError):  # over the system's limit: the pipe works as it is
            fcntl.fcntl(fd, setting, _PIPE_SIZE)


# What a worker process does with each note it is sent, set when it starts.
_parse: Callable[[str, str], Any] | None = None


def _serve(parent: int, parse: Callable[[str, str], Any], receive: int, send: int, others: list[int]) -> None:
    """A worker: each batch read from `receive` parsed and answered on `send`, until the pipe
    ends (the run is done, or gone). Ctrl-C is the run's to handle: it ends its workers.

    A worker whose parent is killed outright (SIGKILL, the OOM killer) sees its pipe end, and a
    watch on a thread that looks for a new parent twice a second ends it even while it parses.
    """
    import pickle
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for fd in others:  # the parent's ends, and the other workers': else a pipe never ends
        with contextlib.suppress(OSError):
            os.close(fd)
    _start_worker(parent, parse)
    with open(receive, "rb", buffering=0) as source, open(send, "wb", buffering=0) as sink:
        while header := _read_exactly(source, _LENGTH.size):
            data = _read_exactly(source, _LENGTH.unpack(header)[0])
            notes = marshal.loads(data)  # noqa: S302 - from the run that started this worker
            try:
                answer = pickle.dumps(_parse_batch(notes), pickle.HIGHEST_PROTOCOL)
            except NoteError as exc:
                answer = pickle.dumps(exc, pickle.HIGHEST_PROTOCOL)
            try:
                sink.write(_LENGTH.pack(len(answer)) + answer)
            except BrokenPipeError:  # the run ended without it
                return


def _read_exactly(source: Any, size: int) -> bytes:
    """`size` bytes from `source`, or fewer at its end."""
    data = source.read(size)
    while data and len(data) < size:
        more = source.read(size - len(data))
        if not more:
            break
        data += more
    return bytes(data) if data else b""


def _start_worker(parent: int, parse: Callable[[str, str], Any]) -> None:
    """A worker's start: what it does with a note, and a watch that ends the worker once its
    parent is gone (a thread that sleeps between looks)."""
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
