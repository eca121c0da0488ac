"""Finding connectors: the `bridge.connectors` entry-point group is the only way in.

A third party ships a connector as its own distribution; the core never names one.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import cast

from bridge.connector import Connector
from bridge.errors import ConfigError

__all__ = ["GROUP", "available", "load"]

GROUP = "bridge.connectors"


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available() -> list[str]:
    return sorted(_entry_points())


def load(name: str) -> type[Connector]:
    """The connector class registered as `name`; ConfigError names what is missing or broken."""
    found = _entry_points().get(name)
    if found is None:
        known = ", ".join(available()) or "none installed"
        raise ConfigError(f"no connector named {name!r} (available: {known})")
    try:
        loaded = found.load()
    except Exception as exc:  # a broken plugin must not look like a missing one
        raise ConfigError(f"connector {name!r} ({found.value}) failed to load: {exc}") from exc
    return cast("type[Connector]", loaded)
