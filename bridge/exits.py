"""Exit statuses and error lines of the command (design section 12), shared by its modules.

The program names itself as the user ran it: `task-bridge`, the name no other package takes,
or `bridge`, which iproute2 also installs (`/usr/sbin/bridge`); `python -m bridge` says `bridge`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from bridge.errors import AuthError, BridgeError, ConfigError, LockHeldError, StateError
from bridge.sync_lines import stderr_stamp

__all__ = ["EXIT_FAILED", "EXIT_LOCKED", "EXIT_USAGE", "exit_status", "fail", "prog", "say"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 75  # EX_TEMPFAIL: cron may simply try again later


def prog() -> str:
    """`task-bridge` when run by that name, else `bridge`."""
    name = Path(sys.argv[0]).name if sys.argv else ""
    return "task-bridge" if name.startswith("task-bridge") else "bridge"


def say(message: object) -> None:
    """One error line on stderr, prefixed with the program's name, and with a timestamp when stderr
    is no terminal: cron mails it among stdout's stamped lines."""
    print(f"{stderr_stamp()}{prog()}: {message}", file=sys.stderr)


def exit_status(exc: BridgeError) -> int:
    """75 for a held lock (cron tries again); 2 for what needs a person: settings, credentials, and
    a state database that cannot be opened or read (retrying would fail the same way); else 1."""
    if isinstance(exc, LockHeldError):
        return EXIT_LOCKED
    if isinstance(exc, ConfigError | AuthError | StateError):
        return EXIT_USAGE
    return EXIT_FAILED


def fail(exc: BridgeError) -> typer.Exit:
    """Say what went wrong; the exit to raise."""
    say(exc)
    return typer.Exit(exit_status(exc))
