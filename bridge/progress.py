"""A progress bar for a long sync, on a terminal only: a first sync of thousands of tasks takes
seconds, and a silent terminal looks hung. Cron, pipes and `--quiet` get none.

The sync reports stages (`step`) and, where a connector says how far its push is, the count
(`update`); a connector opts in by having an `on_progress` attribute (see `bridge.connector`).
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:  # rich is imported when a bar is made, at a terminal: cron's runs never load it
    from rich.console import Console
    from rich.progress import TaskID

__all__ = ["BarProgress", "SyncProgress", "progress_for"]


class SyncProgress(Protocol):
    def step(self, label: str, total: int | None = None) -> None:
        """A new stage of the run; `total` None when its length is not known (a pull)."""
        ...

    def update(self, done: int, total: int | None = None) -> None:
        """How far the current stage is."""
        ...


SHOW_AFTER = 1.0  # seconds a run goes before its bar is drawn: a quick sync draws nothing


class BarProgress:
    """rich's bar on stderr, one line replaced stage by stage, gone when the run ends; drawn
    only once the run has taken SHOW_AFTER seconds, so a quick sync does not flicker."""

    def __init__(self, console: Console, show_after: float = SHOW_AFTER) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._lock = threading.Lock()
        self._shown = False
        self._timer = threading.Timer(show_after, self._show)
        self._timer.daemon = True

    def _show(self) -> None:
        with self._lock:
            if self._shown:  # the run ended first
                return
            self._shown = True
            self._bar.start()

    def step(self, label: str, total: int | None = None) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(label, total=total)

    def update(self, done: int, total: int | None = None) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=done, total=total)

    def __enter__(self) -> BarProgress:
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()
        with self._lock:
            if self._shown:
                self._bar.stop()
            self._shown = True  # a timer already past its wait draws nothing now


def progress_for(stream: TextIO) -> BarProgress | None:
    """A bar when `stream` is a terminal, else None: log files and cron mail get no bar codes."""
    if not stream.isatty():
        return None
    from rich.console import Console

    return BarProgress(Console(file=stream))
