"""The plain reader's table derived from a settings model, ahead of time.

`bridge.settings_table` is this module's output for `BridgeSettings`, and a connector's settings
table its output for the connector's model, kept in the source so that reading them needs neither
pydantic nor the model; a test checks that each equals what its model declares now. After changing
a model, write its table again (and `ruff format` it):

    python -m bridge.settings_derive > bridge/settings_table.py
    python -m bridge.settings_derive connectors.todoist.settings:TodoistSettings TODOIST \
        > connectors/todoist/settings_table.py

A value is read plainly only when its conversion is one the plain reader knows: the rules of a
field are the model's `BeforeValidator` and `AfterValidator` of a module-level function (which the
reader calls by name), a default factory is a module-level function, and the model's methods come
from a plain base class; anything else leaves the field to the model.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import AfterValidator, BaseModel, BeforeValidator, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from bridge.plain_settings import Field, Kind, Table, resolve

__all__ = ["render", "table_of"]

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
_SIMPLE: dict[Any, Kind] = {
    str: "str",
    Path: "path",
    bool: "bool",
    int: "int",
    float: "float",
    SecretStr: "secret",
    dict[str, str]: "str_dict",
    dict[str, Any]: "any_dict",
}


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
    validated = {
        field for decorator in decorators.field_validators.values() for field in decorator.info.fields
    }
    env_file = config.get("env_file")
    if not isinstance(env_file, str):
        raise TypeError(f"{cls.__name__}: env_file={env_file!r} is not read by bridge.plain_settings")
    fields = tuple(
        Field(name, "other") if name in validated else _field(name, info)
        for name, info in cls.model_fields.items()
    )
    methods = [base for base in cls.__bases__ if not issubclass(base, BaseModel)]
    if len(methods) > 1:
        raise ValueError(f"{cls.__name__}: one plain base class at most, for its methods")
    return Table(
        str(config.get("env_prefix", "")),
        env_file,
        config.get("env_file_encoding") or "utf-8",
        fields,
        _named(cls),
        _named(methods[0]) if methods else None,
    )


def _named(thing: Callable[..., Any]) -> str:
    """`module:qualified.name`, by which the plain reader finds `thing`; a ValueError when it cannot."""
    name = f"{thing.__module__}:{thing.__qualname__}"
    if "<" in name or resolve(name) is not thing:
        raise ValueError(f"{name} cannot be named: use a module-level function or class")
    return name


def _field(name: str, info: FieldInfo) -> Field:
    other = Field(name, "other")
    if info.alias or info.validation_alias:
        return other
    factory = info.default_factory
    if factory is not None:
        try:
            factory_name: str | None = _named(factory)
        except ValueError:
            return other
    elif info.default is PydanticUndefined:
        return other
    else:
        factory_name = None
    annotation = info.annotation
    nullable = False
    if get_origin(annotation) in (types.UnionType, typing.Union):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) != 1 or len(get_args(annotation)) != 2:
            return other
        annotation, nullable = args[0], True
    bounds: list[tuple[str, float]] = []
    rules: dict[type, str] = {}
    for item in info.metadata:
        if isinstance(item, BeforeValidator | AfterValidator) and type(item) not in rules:
            try:
                rules[type(item)] = _named(item.func)
            except ValueError:
                return other
            continue
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
    default = None if factory_name is not None else info.default
    before, after = rules.get(BeforeValidator), rules.get(AfterValidator)
    return Field(name, kind, default, nullable, choices, tuple(bounds), before, after, factory_name)


def render(table: Table, name: str) -> str:
    """The source of a module holding `table` as `name`."""
    model = table.model.rpartition(":")[2]
    derive = "python -m bridge.settings_derive" + (f" {table.model} {name}" if name != "BRIDGE" else "")
    lines = [
        f'"""{model}\'s variables as `bridge.plain_settings` reads them, derived from the model by',
        f"`{derive}`",
        "and checked against it by the tests; do not edit.",
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
        f'    model="{table.model}",',
        *([f'    methods="{table.methods}",'] if table.methods else []),
        ")",
    ]
    return "\n".join(lines) + "\n"


def _source(field: Field) -> str:
    """`Field(...)` with the name, the kind and the arguments that differ from their defaults."""
    blank = Field(field.name, field.kind)
    given = [repr(field.name), repr(field.kind)]
    given += [
        f"{name}={getattr(field, name)!r}"
        for name in ("default", "nullable", "choices", "bounds", "before", "after", "factory")
        if getattr(field, name) != getattr(blank, name)
    ]
    return f"Field({', '.join(given)})"


def main(argv: list[str]) -> None:
    """`[module:Model NAME]`: the table of that model (BridgeSettings by default), printed."""
    model, name = argv if argv else ("bridge.config:BridgeSettings", "BRIDGE")
    print(render(table_of(resolve(model)), name), end="")


if __name__ == "__main__":
    main(sys.argv[1:])
