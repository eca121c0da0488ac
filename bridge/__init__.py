"""task-bridge: Markdown action items kept in step with Todoist and Jira.

The package root is the plugin API: what a connector (ours or a third party's) needs. Its names
are imported when first used (`from bridge import Connector` works as ever), so a command that
needs none of them (`bridge --help`, `bridge tasks`) does not pay for importing them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.connector import (
        Connector,
        EmulatorControl,
        Fields,
        Op,
        OpKind,
        OpResult,
        Pull,
        Push,
        RemoteStatus,
        RemoteTask,
        Webhooks,
    )
    from bridge.connector_commands import EmulatorOptions
    from bridge.errors import (
        AuthError,
        BridgeError,
        ConfigError,
        ConnectorError,
        RateLimitedError,
        RemoteReadError,
    )
    from bridge.model import Diagnostic, Priority, Source, Spelling, StatusType, Task

__all__ = [
    "AuthError",
    "BridgeError",
    "ConfigError",
    "Connector",
    "ConnectorError",
    "Diagnostic",
    "EmulatorControl",
    "EmulatorOptions",
    "Fields",
    "Op",
    "OpKind",
    "OpResult",
    "Priority",
    "Pull",
    "Push",
    "RateLimitedError",
    "RemoteReadError",
    "RemoteStatus",
    "RemoteTask",
    "Source",
    "Spelling",
    "StatusType",
    "Task",
    "Webhooks",
    "__version__",
]

__version__ = "0.1.0"

# Where each name of the API is defined.
_HOMES = {
    **dict.fromkeys(
        (
            *("Connector", "EmulatorControl", "Fields", "Op", "OpKind", "OpResult"),
            *("Pull", "Push", "RemoteStatus", "RemoteTask", "Webhooks"),
        ),
        "bridge.connector",
    ),
    "EmulatorOptions": "bridge.connector_commands",
    **dict.fromkeys(
        ("AuthError", "BridgeError", "ConfigError", "ConnectorError", "RateLimitedError", "RemoteReadError"),
        "bridge.errors",
    ),
    **dict.fromkeys(("Diagnostic", "Priority", "Source", "Spelling", "StatusType", "Task"), "bridge.model"),
}


def __getattr__(name: str) -> Any:
    """A name of the API, imported from its module the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next look-up finds it without coming here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
