"""The exception tree; only `bridge.cli` turns these into exit statuses.

    BridgeError
    ├── ConfigError            bad settings or usage (exit 2)
    ├── LockHeldError          another sync holds the lock (exit 75)
    ├── StateError             the state cannot be opened, read or migrated (exit 2)
    └── ConnectorError         a tracker call failed (connector, method, url)
        ├── AuthError          credentials refused (exit 2)
        ├── RemoteReadError    a read failed, so absence must not be acted on
        └── RateLimitedError   still refused after honouring Retry-After

A bad task line is a `Diagnostic` value, never one of these.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "BridgeError",
    "ConfigError",
    "ConnectorError",
    "LockHeldError",
    "RateLimitedError",
    "RemoteReadError",
    "StateError",
]


class BridgeError(Exception):
    """Anything the product reports to the user as a one-line message."""


class ConfigError(BridgeError):
    pass


class LockHeldError(BridgeError):
    pass


class StateError(BridgeError):
    pass


class ConnectorError(BridgeError):
    def __init__(
        self, connector: str, message: str, *, method: str = "", url: str = "", uncertain: bool = False
    ) -> None:
        where = f" ({method} {url})" if method else ""
        super().__init__(f"{connector}: {message}{where}")
        self.connector = connector
        self.method = method
        self.url = url
        self.uncertain = uncertain  # a write that failed may still have been carried out (timeout, 5xx)


class AuthError(ConnectorError):
    pass


class GoneError(ConnectorError):
    """The tracker says the task does not exist: deleted there (or no longer visible to us)."""


class RemoteReadError(ConnectorError):
    pass


class RateLimitedError(ConnectorError):
    pass
