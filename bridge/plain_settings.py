"""Settings read without pydantic-settings, for commands that start often (`bridge tasks`, `sync`).

Importing pydantic and pydantic-settings and building the settings model costs more than listing
a small vault. Each model (`bridge.config`, each connector's) stays the one declaration of its
settings: the table this module reads by (`bridge.settings_table`, a connector's) is derived from
it ahead of time, and a test keeps the two equal. The environment and the `.env` file are read
as pydantic-settings reads them, and each value is converted only when its conversion is certain
to be the model's: anything else (a spelling this reader does not know, a value the model would
refuse, a field of another kind) makes `read` give None, and the caller reads the model, which
gives the same values or names the bad setting.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from bridge.setting_rules import PlainSecret

__all__ = ["Field", "Kind", "Table", "read", "resolve"]

# `secret`: pydantic's SecretStr; `str_dict` and `any_dict`: `dict[str, str]` and `dict[str, Any]`,
# given as JSON.
Kind = Literal["str", "path", "bool", "int", "float", "literal", "secret", "str_dict", "any_dict", "other"]


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a settings model: its kind, default, choices, bounds and before-rule."""

    name: str
    kind: Kind
    default: object = None
    nullable: bool = False
    choices: tuple[str, ...] = ()
    bounds: tuple[tuple[str, float], ...] = ()  # ("ge" | "gt" | "le" | "lt", limit)
    before: str | None = None  # `module:function` of a rule applied first, as the model does
    after: str | None = None  # `module:function` of a rule applied to the converted value
    factory: str | None = None  # `module:function` giving the default, when the model has a factory


@dataclass(frozen=True, slots=True)
class Table:
    """A settings model's variables: the prefix, the `.env` file and the fields. Names are not
    case-sensitive, empty values are unset and unknown names are ignored, as `settings_config`
    declares for every settings class of the product."""

    prefix: str
    env_file: str
    encoding: str
    fields: tuple[Field, ...]
    model: str = ""  # `module:Class` of the model, read when the plain reader cannot read a value
    methods: str | None = None  # `module:Class` of the model's plain methods, given to a plain view

    @property
    def names(self) -> frozenset[str]:
        """The variable names, upper case."""
        return frozenset(f"{self.prefix}{field.name}".upper() for field in self.fields)


@cache
def resolve(name: str) -> Any:
    """The object a table names as `module:qualified.name`."""
    module, _, path = name.partition(":")
    found: Any = importlib.import_module(module)
    for part in path.split("."):
        found = getattr(found, part)
    return found


_TRUE = frozenset(("1", "on", "t", "true", "y", "yes"))
_FALSE = frozenset(("0", "off", "f", "false", "n", "no"))
_INT = re.compile(r"[0-9]{1,18}")
_FLOAT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,15})?")
_MERGED = frozenset(("str_dict", "any_dict", "other"))  # values of every source merged, not replaced
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
        if key in environ and key in from_file and field.kind in _MERGED:
            return None  # pydantic-settings decodes both and merges them
        raw = environ[key] if key in environ else from_file.get(key, _UNSURE)
        if raw is _UNSURE:
            default = resolve(field.factory)() if field.factory is not None else field.default
            value = _convert(field, default) if default is not None else None
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
    rule: Callable[[Any], Any]
    if field.before is not None:
        rule = resolve(field.before)
        try:
            value = rule(value)
        except Exception:  # a bad setting, or `~nobody` without a home: the model says which
            return _UNSURE
    converted = _of_kind(field, value)
    if converted is _UNSURE or not all(_within(converted, bound) for bound in field.bounds):
        return _UNSURE
    if field.after is not None and converted is not None:
        rule = resolve(field.after)
        try:
            return rule(converted)
        except Exception:  # the model names the bad setting
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
    if kind in ("str_dict", "any_dict"):
        return _dict(kind, value)
    if kind == "float" and isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return _UNSURE
    if kind == "str" or (kind == "literal" and value in field.choices):
        return value
    if kind == "secret":
        return PlainSecret(value)
    if kind == "bool" and value.isascii() and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    if kind == "int" and _INT.fullmatch(value):
        return int(value)
    if kind == "float" and _FLOAT.fullmatch(value):
        return float(value)
    return _UNSURE


def _dict(kind: Kind, value: Any) -> Any:
    """A JSON object of text keys (and text values, for `str_dict`), as pydantic-settings decodes
    a variable of a dict field and pydantic checks it; a default dict is copied."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return _UNSURE
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        return _UNSURE
    if kind == "str_dict" and not all(isinstance(item, str) for item in value.values()):
        return _UNSURE
    return dict(value)


def _within(value: Any, bound: tuple[str, float]) -> bool:
    op, limit = bound
    if op == "ge":
        return bool(value >= limit)
    if op == "gt":
        return bool(value > limit)
    if op == "le":
        return bool(value <= limit)
    return bool(value < limit)
