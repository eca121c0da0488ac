"""Rules for single settings values, in plain Python: the settings model (`bridge.config`) and the
plain reader (`bridge.plain_settings`) both apply them, so a value means the same either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["expand_path", "state_url"]


def expand_path(value: Any) -> Any:
    """`~` and `~user` expanded, as a shell would have done had the value not come from `.env`."""
    return Path(value).expanduser() if isinstance(value, str | Path) and str(value).strip() else value


def state_url(value: Any) -> Any:
    """`sqlite:///~/state.db` is the user's home, not a folder named `~` in the working folder."""
    if not isinstance(value, str) or not value.strip():
        return value
    value = value.strip()
    if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
        # not repeated: a database URL may hold a password
        raise ValueError("expected sqlite:///PATH (sqlite:////absolute/path) or postgresql://…")
    if value.startswith("sqlite:///~"):
        return "sqlite:///" + str(Path(value.removeprefix("sqlite:///")).expanduser())
    if not value.startswith("sqlite:///"):
        _postgres_hosts(value)
    return value


def _postgres_hosts(url: str) -> None:
    """A ValueError unless each `host[:port]` of a PostgreSQL URL has a port from 1 to 65535 (or
    none): caught here, a typo is a bad setting rather than a traceback from the URL parser. The
    message never repeats the value, which may hold a password."""
    rest = url.partition("://")[2]
    hosts = rest[rest.rfind("@") + 1 :]
    cut = min((i for i in (hosts.find(c) for c in "/?#") if i >= 0), default=len(hosts))
    for host in hosts[:cut].split(","):
        try:
            port = urlsplit(f"//{host}").port
        except ValueError:
            port = 0
        if port == 0:
            raise ValueError(
                "the host or port of the PostgreSQL URL is not valid (a port is a number from 1 to"
                " 65535; percent-encode special characters in the password)"
            )
