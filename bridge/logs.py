"""Logging for the command line: the bridge's own lines on stderr, libraries' chatter kept out.

`-v` is for a person asking what the bridge did. httpx logs every request at INFO and httpcore
every socket event at DEBUG, which would bury that answer, so libraries stay at WARNING.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from bridge.sync_lines import stderr_stamp

__all__ = ["OWN", "configure"]

OWN = ("bridge", "connectors")  # the loggers `-v` opens: this product's code, core and plugins
_FORMAT = "%(levelname)s %(name)s: %(message)s"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (a test may have replaced and closed the one
    there was when the handler was made)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass

    def format(self, record: logging.LogRecord) -> str:
        """Stamped like `say()`'s lines when stderr is no terminal (cron, a log file)."""
        return stderr_stamp() + super().format(record)


def configure(*, verbose: bool) -> None:
    """Warnings and errors from anyone; with `verbose`, the bridge's debug lines as well.

    The root callback calls it first, then a `-v` after the subcommand calls it again.
    """
    root = logging.getLogger()
    if not any(isinstance(h, _Stderr) for h in root.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in OWN:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.NOTSET)
