"""Command-line values converted without pydantic, where the conversion is certain to be typer's.

Typer (0.29) converts each parameter's value through a pydantic `TypeAdapter`: it imports pydantic
and builds an adapter per parameter on every run, which costs `bridge tasks` more than listing a
small vault. For the kinds the commands use (text, a flag, a whole number, a path, a list of text) the
value is converted here as those adapters convert it; any other value (a number spelt `1_000`,
a path that cannot be read) is handed to typer's own conversion, which gives its value or its
error message. A typer without this conversion layer is left as it is.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typer.core import TyperCommand, TyperGroup

__all__ = ["PlainValue", "install"]

_DIGITS = re.compile(r"[0-9]{1,18}")
_DECLINED = object()


class PlainValue:
    """A parameter's conversion: plain for the values it knows, typer's for the rest."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        """What typer's conversion of `value` gives (`RuntimeParam.coerce`)."""
        multiple = param.multiple or param.nargs == -1
        if value is None:
            return () if multiple else None
        converted = self.convert(value, param, ctx)
        if converted is _DECLINED:
            from typer._coercion import build_runtime_param

            return build_runtime_param(param.type_descriptor).coerce(value, param=param, ctx=ctx)
        return converted

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        """The converted value, or _DECLINED when only typer's conversion is certain."""
        kind = self.kind
        if (kind == "str" and isinstance(value, str)) or (kind == "bool" and isinstance(value, bool)):
            return value
        if kind == "int" and isinstance(value, str) and _DIGITS.fullmatch(value):
            return int(value)
        if kind == "list[str]" and isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return list(value)
        if kind == "path" and isinstance(value, str) and "\0" not in value:
            try:  # typer's checks (exists, readable…) on the Path pydantic would have made
                from typer._param_types import coerce_cli_path

                return coerce_cli_path(Path(value), param.type_descriptor.parameter_info, path_type=Path)
            except Exception:  # typer says it again, naming the value (or converts it, lacking this helper)
                return _DECLINED
        return _DECLINED


def _kind(param: Any) -> str | None:
    """The kind converted here, for a typer parameter declared plainly; else None."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or not hasattr(param, "_runtime_param"):
        return None
    info = descriptor.parameter_info
    if getattr(info, "parser", None) is not None or descriptor.file_annotation is not None:
        return None
    annotation = descriptor.annotation
    if annotation is str or annotation is bool:
        return annotation.__name__
    if annotation is int and info.min is None and info.max is None and not info.clamp:
        return "int"
    if annotation is Path and info.path_type is None and not info.resolve_path and not info.allow_dash:
        return "path"
    if annotation == list[str]:
        return "list[str]"
    return None


def install(command: TyperCommand | TyperGroup, ctx: Any) -> None:
    """Convert the command's plainly declared parameters (its help option too) here, before typer
    would build adapters for them."""
    if importlib.util.find_spec("typer._coercion") is None:  # the layer this replaces
        return
    for param in command.get_params(ctx):
        kind = _kind(param)
        if kind is not None and param._runtime_param is None:  # type: ignore[attr-defined]
            param._runtime_param = PlainValue(kind)  # type: ignore[attr-defined]
