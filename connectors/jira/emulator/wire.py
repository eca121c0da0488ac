"""Reading requests: the emulator behind the app, the view to render with, JSON bodies, parameters.

Shared by the route modules. The REST version comes from the path (`/rest/api/2|3|latest/…`), the
origin from the request, so every `self` link points back at the emulator (reference §2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

from connectors.jira.emulator.errors import bad_request
from connectors.jira.emulator.records import FIELDS, NOT_NAVIGABLE, View
from connectors.jira.emulator.state import JiraEmulator

__all__ = ["emulator", "field_selection", "integer", "listing", "origin", "read_json", "view"]


def emulator(request: Request) -> JiraEmulator:
    """The site the app currently serves (tests may swap `app.state.emulator`)."""
    em: JiraEmulator = request.app.state.emulator
    return em


def origin(request: Request) -> str:
    """`scheme://host[:port]` as the client addressed the server."""
    return str(request.base_url).rstrip("/")


def view(request: Request) -> View:
    """How to render for this request: its origin and the REST version in its path."""
    version = request.url.path.split("/")[3]
    return emulator(request).view(origin(request), version)


async def read_json(request: Request) -> Any:
    """The JSON body (None when empty); 400 with Jira's wording when it does not parse."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"Unexpected character in the request body: {exc}") from None


def listing(values: Iterable[Any] | Any) -> list[str]:
    """Comma-separated and/or repeated parameter values as one flat list of strings."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        raise bad_request("A list of strings or a comma-separated string was expected.")
    return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


def field_selection(requested: list[str], default: str = "*all") -> set[str] | None:
    """The issue fields to render: None for all (`*all`), every navigable one (`*navigable`, so
    no `comment`), else the named ones, minus any `-name`; `id` and `key` select nothing."""
    requested = requested or [default]
    if not any(name in ("*all", "*navigable") for name in requested):
        return {name for name in requested if name in FIELDS or name.startswith("customfield_")}
    excluded = {name[1:] for name in requested if name.startswith("-")}
    if "*all" not in requested:
        excluded |= NOT_NAVIGABLE - set(requested)
    return set(FIELDS) - excluded if excluded else None


def integer(value: Any, name: str, default: int) -> int:
    """A whole-number parameter (query strings arrive as text); 400 if it is not one."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise bad_request(f"The '{name}' parameter must be a whole number.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"The '{name}' parameter must be a whole number.") from None
