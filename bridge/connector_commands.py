"""The plugin contract of the commands other than sync: `bridge emulator`, `bridge auth` and
`bridge doctor` (see `bridge.connector.Connector` for the methods that take and give these).

They are apart from `bridge.connector` because every sync imports that module, and a sync needs
none of these; `from bridge.connector import Check` still works.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["AuthOptions", "Check", "CheckStatus", "EmulatorOptions"]


@dataclass(frozen=True, slots=True)
class EmulatorOptions:
    """The `bridge emulator NAME` flags; each connector takes the ones its tracker has."""

    token: str | None = None
    email: str | None = None
    pat: str | None = None
    secret: str | None = None
    webhook_url: str | None = None


@dataclass(frozen=True, slots=True)
class AuthOptions:
    """The `bridge auth NAME` flags, for a connector whose tracker hands out tokens through OAuth."""

    env_file: Path = Path(".env")  # where settings are read from (the grant's place among them)
    port: int = 8766  # of the redirect listener on localhost; 0 picks a free one
    open_browser: bool = True
    scopes: tuple[str, ...] = ()  # empty: the connector's default
    timeout: float = 300.0  # seconds to wait for the redirect
    echo: Callable[[str], None] = print  # progress for the person at the terminal


class CheckStatus(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `bridge doctor`. A failure's `cause` decides the exit status: "setup" (a
    setting or credential a person must fix, 2) or "network" (may pass on its own, 1)."""

    name: str
    status: CheckStatus
    message: str
    cause: Literal["setup", "network"] = "setup"

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status.value, "message": self.message, "cause": self.cause}
