"""Which setting names are set where, and which of them no settings class knows.

pydantic-settings ignores a name it has no field for, so `TODOIST_PROJCT=Work` would silently
leave the tasks in Inbox. Names under a settings class's prefix, in the environment or its `.env`
files, are compared with the class's fields here; `bridge doctor` reports where each came from.
Only a likely typo is warned of on every run; a name close to no setting is listed by doctor.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from bridge.plain_settings import Table

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

# A settings class, or its table for the plain reader (`bridge.plain_settings`): the same names.
Declared: TypeAlias = "type[BaseSettings] | Table"

__all__ = [
    "Declared",
    "Unknown",
    "env_files",
    "known_names",
    "said",
    "sources",
    "unknown_names",
    "warn_unknown",
]

log = logging.getLogger(__name__)

# Read by the test suite, not by the product: not a typo of a setting.
_NOT_SETTINGS = ("BRIDGE_TEST_",)
_warned: set[tuple[str, str]] = set()


@dataclass(frozen=True, slots=True)
class Unknown:
    """A name under a known prefix that no setting has; `where` is "the environment" or a file."""

    name: str
    where: str
    suggestion: str | None

    def message(self) -> str:
        if self.suggestion is None:
            return f"{self.name} in {self.where}: not a task-bridge setting; ignored"
        return f"unknown setting {self.name} in {self.where}; did you mean {self.suggestion}?"


def env_files(cls: Declared) -> list[Path]:
    """The `.env` files the class reads, resolved against the working folder; later ones win."""
    value = cls.env_file if isinstance(cls, Table) else cls.model_config.get("env_file")
    names = [value] if isinstance(value, str | Path) else list(value or ())
    return [Path(name).expanduser().absolute() for name in names]


def known_names(cls: Declared) -> set[str]:
    if isinstance(cls, Table):
        return set(cls.names)
    prefix = _prefix(cls)
    return {f"{prefix}{name}".upper() for name in cls.model_fields}


def _prefix(cls: Declared) -> str:
    return (cls.prefix if isinstance(cls, Table) else str(cls.model_config.get("env_prefix", ""))).upper()


def _file_values(path: Path, encoding: str) -> dict[str, str | None]:
    """What a `.env` file sets; nothing when it cannot be read (reading the settings says why)."""
    try:
        if not path.is_file():
            return {}
        from dotenv import dotenv_values  # here: most runs have no `.env`

        return dict(dotenv_values(path, encoding=encoding))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}


def sources(cls: Declared) -> dict[str, str]:
    """Every name under the class's prefix that is set, and where from: "environment" wins over a
    file, as it does when the settings are read. Empty values count as unset."""
    prefix = _prefix(cls)
    found: dict[str, str] = {}
    encoding = cls.encoding if isinstance(cls, Table) else cls.model_config.get("env_file_encoding")
    for path in env_files(cls):
        for name, value in _file_values(path, encoding or "utf-8").items():
            if name.upper().startswith(prefix) and (value or "").strip():
                found[name.upper()] = str(path)
    for name, value in os.environ.items():
        if name.upper().startswith(prefix) and value.strip():
            found[name.upper()] = "environment"
    return {name: where for name, where in sorted(found.items()) if not name.startswith(_NOT_SETTINGS)}


def unknown_names(cls: Declared) -> list[Unknown]:
    """Names under the class's prefix that none of its fields reads, each with the closest known one."""
    import difflib  # here: only a name no field reads is compared

    known = sorted(known_names(cls))
    prefix = _prefix(cls)
    # compared without the prefix they share, so that only the part that differs counts
    tails = {name.removeprefix(prefix): name for name in known}
    found = []
    for name, where in sources(cls).items():
        if name in known:
            continue
        close = difflib.get_close_matches(name.removeprefix(prefix), list(tails), n=1, cutoff=0.7)
        shown = "the environment" if where == "environment" else where
        found.append(Unknown(name, shown, tails[close[0]] if close else None))
    return found


def warn_unknown(cls: Declared) -> None:
    """One warning line per likely typo (an unknown name close to a setting's), once per process
    (settings are read more than once). A name close to none is another program's (`JIRA_HOME` on
    an Atlassian host): warning on every run would mail cron each time, so only doctor lists it."""
    for item in unknown_names(cls):
        if item.suggestion is not None and (item.name, item.where) not in _warned:
            _warned.add((item.name, item.where))
            log.warning("%s", item.message())


def said(items: list[Unknown]) -> None:
    """Count these as warned already: `bridge doctor` lists them in its own lines."""
    _warned.update((item.name, item.where) for item in items)
