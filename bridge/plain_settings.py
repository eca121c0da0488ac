"""Settings read without pydantic-settings, for a command that starts often (`bridge tasks`).

Importing pydantic and pydantic-settings and building the settings model costs more than listing
a small vault. The model (`bridge.config`) stays the one declaration of the settings: the table
this module reads by (`bridge.settings_table`) is derived from it ahead of time, and a test keeps
the two equal. The environment and the `.env` file are read as pydantic-settings reads them, and
each value is converted only when its conversion is certain to be the model's: anything else (a
spelling this reader does not know, a value the model would refuse, a field of another kind)
makes `read` give None, and the caller reads the model, which gives the same values or names the
bad setting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from bridge.setting_rules import expand_path, state_url

__all__ = ["Field", "Kind", "Table", "read"]

Kind = Literal["str", "path", "bool", "int", "float", "literal", "other"]


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a settings model: its kind, default, choices, bounds and before-rule."""

    name: str
    kind: Kind
    default: object = None
    nullable: bool = False
    choices: tuple[str, ...] = ()
    bounds: tuple[tuple[str, float], ...] = ()  # ("ge" | "gt" | "le" | "lt", limit)
    before: str | None = None  # a rule of `bridge.setting_rules` applied first, as the model does


@dataclass(frozen=True, slots=True)
class Table:
    """A settings model's variables: the prefix, the `.env` file and the fields. Names are not
    case-sensitive, empty values are unset and unknown names are ignored, as `settings_config`
    declares for every settings class of the product."""

    prefix: str
    env_file: str
    encoding: str
    fields: tuple[Field, ...]

    @property
    def names(self) -> frozenset[str]:
        """The variable names, upper case."""
        return frozenset(f"{self.prefix}{field.name}".upper() for field in self.fields)


BEFORE: Final[dict[str, Callable[[Any], Any]]] = {"expand_path": expand_path, "state_url": state_url}

_TRUE = frozenset(("1", "on", "t", "true", "y", "yes"))
_FALSE = frozenset(("0", "off", "f", "false", "n", "no"))
_INT = re.compile(r"[0-9]{1,18}")
_FLOAT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,15})?")
_UNSURE = object()  # a value only the model can convert (or refuse)


def read(table: Table) -> dict[str, Any] | None:
    """Every field's value, from the environment, else the `.env` file, else the default; None
    when a value is one the model alone can convert or refuse, or the `.env` file cannot be read."""
    environ = _lowered(os.environ)
    try:
        from_file = _env_file(table)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    values: dict[str, Any] = {}
    for field in table.fields:
        key = f"{table.prefix}{field.name}".lower()
        raw = environ[key] if key in environ else from_file.get(key, _UNSURE)
        if raw is _UNSURE:
            value = _convert(field, field.default) if field.default is not None else None
        elif raw is None:  # `NAME` alone on a line of `.env`
            return None
        else:
            value = _convert(field, raw)
        if value is _UNSURE:
            return None
        values[field.name] = value
    return values


def _lowered(variables: Mapping[str, str | None]) -> dict[str, str | None]:
    """Names lower-cased (the last of two spellings wins) and empty values dropped, as
    pydantic-settings does for a class that is not case-sensitive and ignores empty values."""
    return {name.lower(): value for name, value in variables.items() if value != ""}


def _env_file(table: Table) -> dict[str, str | None]:
    path = Path(table.env_file).expanduser()
    if not (path.is_file() or path.is_fifo()):
        return {}
    from dotenv import dotenv_values  # here: most runs have no `.env`

    return _lowered(dotenv_values(path, encoding=table.encoding))


def _convert(field: Field, value: Any) -> Any:
    """The value as the model would hold it, or _UNSURE."""
    if field.before is not None:
        try:
            value = BEFORE[field.before](value)
        except Exception:  # a bad setting, or `~nobody` without a home: the model says which
            return _UNSURE
    converted = _of_kind(field, value)
    if converted is _UNSURE or not all(_within(converted, bound) for bound in field.bounds):
        return _UNSURE
    return converted


def _of_kind(field: Field, value: Any) -> Any:
    kind = field.kind
    if value is None:
        return None if field.nullable else _UNSURE
    if kind == "path" and isinstance(value, Path):
        return value
    if isinstance(value, bool):  # a default; a bool is an int too
        return value if kind == "bool" else _UNSURE
    if kind == "int" and isinstance(value, int):
        return value
    if kind == "float" and isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return _UNSURE
    if kind == "str" or (kind == "literal" and value in field.choices):
        return value
    if kind == "bool" and value.isascii() and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    if kind == "int" and _INT.fullmatch(value):
        return int(value)
    if kind == "float" and _FLOAT.fullmatch(value):
        return float(value)
    return _UNSURE


def _within(value: Any, bound: tuple[str, float]) -> bool:
    op, limit = bound
    if op == "ge":
        return bool(value >= limit)
    if op == "gt":
        return bool(value > limit)
    if op == "le":
        return bool(value <= limit)
    return bool(value < limit)
