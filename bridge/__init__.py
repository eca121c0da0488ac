"""task-bridge: Markdown action items kept in step with Todoist and Jira.

The package root is the plugin API: what a connector (ours or a third party's) needs.
"""

from __future__ import annotations

from bridge.connector import (
    Connector,
    EmulatorControl,
    EmulatorOptions,
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
