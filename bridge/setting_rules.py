"""Rules for single settings values, in plain Python: the settings models (`bridge.config`, each
connector's) and the plain reader (`bridge.plain_settings`) both apply them, so a value means the
same either way. A rule is a module-level function of one value, named in the derived tables.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["PlainSecret", "expand_path", "http_url", "secret", "state_url", "token"]


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


def _secret(value: Any, *, inner_space: bool) -> Any:
    """Surrounding white space stripped (a paste, a heredoc's newline); blank is unset. The message
    never holds the value: it ends up in cron logs."""
    reveal = getattr(value, "get_secret_value", None)  # a SecretStr given to the model
    if callable(reveal):
        value = reveal()
    if not isinstance(value, str):
        return value
    value = value.strip()
    if not value:
        return None
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        raise ValueError("contains a control character; copy the value again")
    if not inner_space and any(c.isspace() for c in value):
        raise ValueError("contains white space inside it; copy the token again")
    return value


def token(value: Any) -> Any:
    """A credential sent in a header: no white space at all (an HTTP library would refuse the
    header, quoting it whole in its message)."""
    return _secret(value, inner_space=False)


def secret(value: Any) -> Any:
    """A shared secret (webhook signatures), which may hold spaces but not control characters."""
    return _secret(value, inner_space=True)


def http_url(value: str, example: str) -> str:
    """`value` when it is an http(s) URL with a host; else a ValueError for the setting's message,
    so that a typo is a bad setting (exit 2) rather than a request that fails in some library.

    Credentials in the URL (`https://user:token@…`) or a query are refused: they would be printed
    with every message naming the URL. The message never repeats the value."""
    import httpx  # here: listing tasks needs no HTTP library

    value = value.strip()
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
        httpx.URL(value)
    except (ValueError, httpx.InvalidURL):
        ok = False
    if not ok:
        raise ValueError(f"expected an http(s) URL with a host, scheme included, such as {example}")
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            f"must not carry credentials or a query; give the bare origin, such as {example},"
            " and the credentials in their own settings"
        )
    return value


class PlainSecret:
    """A secret read by the plain reader, held as pydantic's SecretStr holds it: hidden when printed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainSecret) and self._value == other._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __repr__(self) -> str:
        return f"SecretStr({str(self)!r})"
