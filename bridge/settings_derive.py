"""The plain reader's table derived from a settings model, ahead of time.

`bridge.settings_table` is this module's output for `BridgeSettings`, kept in the source so
that reading it needs neither pydantic nor the model; a test checks that it equals what the model
declares now. After changing `BridgeSettings`, write it again:

    python -m bridge.settings_derive > bridge/settings_table.py && ruff format bridge/settings_table.py
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from bridge.plain_settings import BEFORE, Field, Kind, Table

__all__ = ["render", "table_of"]

# The model's before-validators, by name, and the rule of `bridge.setting_rules` each applies.
_BEFORE_OF_VALIDATOR = {"_vault": "expand_path", "_state_url": "state_url"}
_BOUNDS = {
    annotated_types.Ge: "ge",
    annotated_types.Gt: "gt",
    annotated_types.Le: "le",
    annotated_types.Lt: "lt",
}
# The configuration the plain reader reproduces (`settings_config`); any other is refused.
_CONFIG = {
    "case_sensitive": False,
    "env_ignore_empty": True,
    "extra": "ignore",
    "env_file_depth": 0,
    "env_nested_delimiter": None,
    "env_parse_none_str": None,
    "env_prefix_target": "variable",
    "secrets_dir": None,
    "validate_default": True,
}
_SIMPLE: dict[Any, Kind] = {str: "str", Path: "path", bool: "bool", int: "int", float: "float"}


def table_of(cls: type[BaseSettings]) -> Table:
    """The table of `cls`: a ValueError when the model is configured in a way the plain reader
    does not reproduce (the reader would then give other values than the model)."""
    config = cls.model_config
    for key, expected in _CONFIG.items():
        if config.get(key) != expected:
            raise ValueError(
                f"{cls.__name__}: {key}={config.get(key)!r} is not read by bridge.plain_settings"
            )
    decorators = cls.__pydantic_decorators__
    if decorators.model_validators or decorators.validators or decorators.root_validators:
        raise ValueError(f"{cls.__name__}: model validators are not read by bridge.plain_settings")
    before: dict[str, list[str]] = {}
    for name, decorator in decorators.field_validators.items():
        for field in decorator.info.fields:
            rule = _BEFORE_OF_VALIDATOR.get(name) if decorator.info.mode == "before" else None
            before.setdefault(field, []).append(rule or "")
    env_file = config.get("env_file")
    if not isinstance(env_file, str):
        raise TypeError(f"{cls.__name__}: env_file={env_file!r} is not read by bridge.plain_settings")
    fields = tuple(_field(name, info, before.get(name, [])) for name, info in cls.model_fields.items())
    return Table(
        str(config.get("env_prefix", "")), env_file, config.get("env_file_encoding") or "utf-8", fields
    )


def _field(name: str, info: FieldInfo, rules: list[str]) -> Field:
    other = Field(name, "other")
    if info.alias or info.validation_alias or info.default_factory is not None or len(rules) > 1:
        return other
    if info.default is PydanticUndefined or not (rules == [] or rules[0] in BEFORE):
        return other
    annotation = info.annotation
    nullable = False
    if get_origin(annotation) in (types.UnionType, typing.Union):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) != 1 or len(get_args(annotation)) != 2:
            return other
        annotation, nullable = args[0], True
    bounds: list[tuple[str, float]] = []
    for item in info.metadata:
        op = _BOUNDS.get(type(item))
        if op is None:
            return other
        bounds.append((op, getattr(item, op)))
    choices: tuple[str, ...] = ()
    kind = _SIMPLE.get(annotation)
    if get_origin(annotation) is Literal and all(isinstance(arg, str) for arg in get_args(annotation)):
        kind, choices = "literal", get_args(annotation)
    if kind is None:
        return other
    before = rules[0] if rules else None
    return Field(name, kind, info.default, nullable, choices, tuple(bounds), before)


def render(table: Table, name: str, model: str) -> str:
    """The source of a module holding `table` as `name`."""
    lines = [
        f'"""{model}\'s variables as `bridge.plain_settings` reads them: derived from the model',
        "(`python -m bridge.settings_derive`), checked against it by the tests; do not edit.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from bridge.plain_settings import Field, Table",
        "",
        f'__all__ = ["{name}"]',
        "",
        f"{name} = Table(",
        f"    prefix={table.prefix!r},",
        f"    env_file={table.env_file!r},",
        f"    encoding={table.encoding!r},",
        "    fields=(",
        *(f"        {_source(field)}," for field in table.fields),
        "    ),",
        ")",
    ]
    return "\n".join(lines) + "\n"


def _source(field: Field) -> str:
    """`Field(...)` with the name, the kind and the arguments that differ from their defaults."""
    blank = Field(field.name, field.kind)
    given = [repr(field.name), repr(field.kind)]
    given += [
        f"{name}={getattr(field, name)!r}"
        for name in ("default", "nullable", "choices", "bounds", "before")
        if getattr(field, name) != getattr(blank, name)
    ]
    return f"Field({', '.join(given)})".replace("'", '"')


if __name__ == "__main__":
    from bridge.config import BridgeSettings

    print(render(table_of(BridgeSettings), "BRIDGE", "BridgeSettings"), end="")
