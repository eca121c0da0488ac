"""A base's stored JSON written straight from its fields: a first sync writes 100,000 of them.

The text is the one `json.dumps(..., ensure_ascii=False, sort_keys=True)` makes of the base's
dict (`Base.as_dict`), byte for byte: the same separators, the keys in sorted order (fixed here,
since the keys are), strings escaped by the same C function. Building the dict and sorting its
items for every base was most of the commit's encoding. A value of a type the fields do not
declare (a damaged row read back) is encoded by the generic encoder, and anything the fast path
does not expect falls back to encoding the dict, so the text, or the error, is the old one.
`tests/bridge/test_base_json.py` compares both on generated bases.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from json.encoder import encode_basestring as _encode
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.state import Base

__all__ = ["DICT_JSON", "base_json"]

# what `json.dumps(..., ensure_ascii=False, sort_keys=True)` makes anew for each call, made once
DICT_JSON: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode

_STR, _INT, _INT_TEXT = str, int, int.__repr__


def _value(value: Any) -> str:
    """One JSON value as it appears nested in a `DICT_JSON` text (no indent: the same anywhere)."""
    if value.__class__ is _STR:
        return _encode(value)
    if value is None:
        return "null"
    if value.__class__ is _INT:
        return _INT_TEXT(value)  # what the C encoder writes for an int
    return DICT_JSON(value)


def _array(values: Iterable[Any]) -> str:
    texts = [_encode(v) if v.__class__ is _STR else "null" if v is None else _value(v) for v in values]
    return f"[{', '.join(texts)}]" if texts else "[]"


def _object(items: Mapping[str, Iterable[Any]]) -> str:
    """An object of arrays whose keys are all `str` (checked: another key is an `_Unexpected`)."""
    if len(items) == 1:  # most often: a group of one line
        for key, values in items.items():
            if key.__class__ is _STR:
                return f"{{{_encode(key)}: {_array(values)}}}"
    if not items:
        return "{}"
    parts = []
    for key in sorted(items):
        if key.__class__ is not _STR:
            raise _Unexpected
        parts.append(f"{_encode(key)}: {_array(items[key])}")
    return f"{{{', '.join(parts)}}}"


class _Unexpected(Exception):  # a signal within this module
    """A value the fast path does not write: the dict's encoder writes the whole base."""


def base_json(base: Base) -> str:
    """`DICT_JSON(base.as_dict())`, written from the fields (see the module's docstring)."""
    try:
        return _written(base)
    except Exception:  # anything unusual: the old path, its text or its error
        return DICT_JSON(base.as_dict())


# the keys in sorted order, each value's text in place of its `%s`
_TEMPLATE = (
    '%s"fields": {"due": %s, "labels": %s, "note_title": %s, "owner": %s, "parent": %s, "path": %s,'
    ' "priority": %s, "recurrence": %s, "status": %s, "title": %s, "vault": %s}, "keys": %s,'
    ' "lines": %s, "norm": %s, %s"past": %s, "present": %s, "remote_now": %s, "remote_status": %s,'
    ' "remote_updated": %s, "spots": %s}'
)
_FLAG = {True: "true", False: "false"}


def _written(base: Base) -> str:
    f, value = base.fields, _value
    present = base.present
    return _TEMPLATE % (
        "{" if base.completions is None else f'{{"completions": {value(base.completions)}, ',
        value(f.due),
        _array(f.labels),
        value(f.note_title),
        value(f.owner),
        value(f.parent),
        value(f.path),
        value(f.priority._value_ if f.priority else None),
        value(f.recurrence),
        value(f.status._value_),
        value(f.title),
        value(f.vault),
        _array(base.keys),
        _object(base.lines),
        value(base.norm),
        f'"owed": {value(base.owed)}, ' if base.owed else "",
        _array(sorted(base.past)),
        _FLAG[present] if present.__class__ is bool else DICT_JSON(present),
        value(base.remote_now._value_ if base.remote_now else None),
        value(base.remote_status._value_),
        value(base.remote_updated),
        _object(base.spots),
    )
