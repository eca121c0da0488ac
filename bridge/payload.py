"""Reading a webhook body that is signed but otherwise untrusted: bounded JSON, typed models.

The signature proves who sent a body, not that it is well formed. Python's JSON parser recurses
once per nesting level, so a body nested 100,000 deep is refused by a scan of the raw bytes
before it is parsed; a value of the wrong type is refused by a strict pydantic model, with a
reason that names the field, before any of the bridge's code reads it.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["MAX_DEPTH", "Payload", "check_depth", "json_object", "validated"]

MAX_DEPTH = 64  # deliveries nest a few levels (Jira's issue fields about six)

_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)  # strings skipped whole, then brackets

M = TypeVar("M", bound=BaseModel)


class Payload(BaseModel):
    """A vendor object read strictly: documented fields must have their documented JSON type;
    fields the bridge does not know are kept and not checked."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True, populate_by_name=True)


def check_depth(body: bytes, limit: int = MAX_DEPTH) -> None:
    """ValueError when arrays and objects in `body` nest deeper than `limit` levels."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return  # cannot nest deeper than it has brackets: the usual case, decided in C
    depth = 0
    for token in _TOKENS.finditer(body):
        kind = token.group()
        if kind in (b"[", b"{"):
            depth += 1
            if depth > limit:
                raise ValueError(f"JSON nested deeper than {limit} levels")
        elif kind in (b"]", b"}"):
            depth -= 1


def json_object(body: bytes, limit: int = MAX_DEPTH) -> dict[str, Any]:
    """A body as a JSON object, its depth bounded first; ValueError for anything else."""
    check_depth(body, limit)
    try:
        value = json.loads(body)
    except RecursionError:  # pragma: no cover - the depth scan comes first
        raise ValueError(f"JSON nested deeper than {limit} levels") from None
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, not {_kind(value)}")  # noqa: TRY004 - a malformed delivery
    return value


def validated(model: type[M], value: Any, where: str = "") -> M:
    """`value` read as `model`; ValueError naming the first field that is wrong, and how."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        path = ".".join(str(part) for part in (*([where] if where else []), *first["loc"]))
        got = "" if first["type"] == "missing" else f" (got {_kind(first.get('input'))})"
        more = f"; and {len(errors) - 1} more" if len(errors) > 1 else ""
        raise ValueError(f"{path or 'the body'}: {first['msg']}{got}{more}") from None


def _kind(value: Any) -> str:
    """A JSON value's type, as the vendor documents name them."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__
