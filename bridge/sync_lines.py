"""How `bridge sync` speaks to a person, to a log file and to cron.

Cron mails whatever a job prints, so `--quiet` prints a connector's report only when something
changed or failed: an idle run prints nothing and sends no mail. When stdout is not a terminal
(cron, a log file, a pipe) each line starts with an ISO 8601 timestamp and is never wrapped, so
a log read later says when each run happened; so do error and log lines on stderr when it is not one.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from typing import Any

__all__ = ["changed", "print_line", "print_sync_report", "stamped", "stderr_stamp", "timestamp"]

_CHANGES = ("created", "updated", "closed", "reopened", "deleted", "notes_written", "conflicts", "failed")


def changed(report: dict[str, Any]) -> bool:
    """Whether a connector's report tells of a change, a conflict or an error."""
    return any(report.get(k) for k in _CHANGES) or bool(report.get("errors")) or bool(report.get("error"))


def timestamp() -> str:
    """Now, local time with its offset, to the second: `2026-05-01T07:10:00+02:00`."""
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def stderr_stamp() -> str:
    """The timestamp and a space that start a line on stderr when it is not a terminal (cron's mail,
    a log file), as they start stdout's lines there; nothing on a terminal."""
    isatty = getattr(sys.stderr, "isatty", None)
    return "" if isatty is not None and isatty() else f"{timestamp()} "


def stamped(text: str) -> str:
    """Each line of `text` with the same timestamp in front."""
    now = timestamp()
    return "".join(f"{now} {line}\n" for line in text.splitlines())


def print_sync_report(report: dict[str, Any], *, stamp: bool, target: str = "") -> None:
    """A connector's report as `bridge.output` words it (`target`: where new tasks go), stamped
    when asked."""
    from rich.console import Console  # here: the timestamps alone are needed on every run

    from bridge.output import print_report

    if not stamp:
        print_report(report, target=target)
        return
    buffer = io.StringIO()
    print_report(report, Console(file=buffer, color_system=None, soft_wrap=True, width=200), target=target)
    sys.stdout.write(stamped(buffer.getvalue()))


def print_line(text: str, *, stamp: bool) -> None:
    """One more line of the run's output."""
    sys.stdout.write(stamped(text) if stamp else text + "\n")
