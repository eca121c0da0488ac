"""The cyclic garbage collector's pace for a command run in its own process (`sync`, `tasks`).

A sync or listing of a large vault keeps millions of objects alive until it exits (tasks, groups,
bases, plan steps). At the default pace (a young collection every 700 allocations) the collector
keeps walking them: measured, a fifth of the CPU of a first sync of 30,000 tasks. At a young
collection every 50,000 allocations it runs far less often and still frees cycles as it goes.
The server keeps the default: its objects do not live for one run.

What a sync reads and plans (the notes' tasks, the groups, the plan: millions of objects at
100,000 tasks) lives until the run ends: in the command's own process no collection runs while
it is made, and it is frozen once made (`kept`), so young and middle collections walk only what
was made since.

When such a run ends, what is still alive is frozen (`gc.freeze`): the interpreter's own full
collections while it shuts down then skip it, measured about 40 ms of a small sync's CPU (a fifth
of it), as the process's memory goes back to the system anyway. A run closes what must be
finished (the state database, the HTTP client, note writes, the parse cache) before it returns;
the log handlers are flushed after, as before.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["YOUNG", "for_one_run", "importing", "kept", "leave", "own_process"]

YOUNG = 50_000  # allocations between young collections (the default is 700)

_RUN: list[bool] = []  # set by `for_one_run`: this process ran a sync or a listing
_OWN: list[bool] = []  # set by `own_process`: the process runs one command and exits


def for_one_run() -> None:
    """Collect at a pace for a process that holds the vault until it exits."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, max(middle, 20), max(old, 100))
    _RUN[:] = [True]


@contextmanager
def importing() -> Iterator[None]:
    """A run's pace while the command line's modules are imported (typer and the bridge's own: at
    the default pace, dozens of young collections walk the modules made so far), the pace before
    after them: importing the command line changes no pace, and a run sets its own."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG, max(before[1], 20), max(before[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*before)


def leave() -> None:
    """At the end of the command: after a run (`for_one_run`), freeze what is alive, so that the
    collections of the interpreter's shutdown skip it. Any other command exits as before."""
    if _RUN:
        gc.freeze()


def own_process() -> None:
    """The process is the command line's own (`bridge.cli.main`), not one that calls the bridge
    among other work (a test, an embedding program): `kept` acts only where this and
    `for_one_run` were both called, so in a sync or listing that exits when done, never in
    `bridge serve` (which sets no run pace), and what it freezes is never needed collected."""
    _OWN[:] = [True]


@contextmanager
def kept() -> Iterator[None]:
    """Around making what a run keeps to its end (the notes read, the plan): in a command's own
    process that runs a sync (`own_process`, `for_one_run`) no collection walks it while it is
    made, and once made it is frozen, so that no later collection walks it either (measured, two
    thirds of a first sync's collections walked it). It holds no cycle to free: what it drops,
    its reference counts free. Elsewhere the collector is left as it is."""
    if not (_RUN and _OWN) or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.freeze()
