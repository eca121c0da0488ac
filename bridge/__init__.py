"""task-bridge: Markdown action items kept in step with Todoist and Jira.

The package root is the plugin API: what a connector (ours or a third party's) needs. Its names
are imported when first used (`from bridge import Connector` works as ever), so a command that
needs none of them (`bridge --help`, `bridge tasks`) does not pay for importing them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.lazy import lazy_names

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


if not TYPE_CHECKING:  # a type checker sees the names imported above, and refuses any other
    __getattr__, __dir__ = lazy_names(__name__, _HOMES)
