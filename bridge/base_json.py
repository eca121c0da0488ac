"""A base's stored JSON written straight from its fields: a first sync writes 100,000 of them.

The text is the one `json.dumps(..., ensure_ascii=False, sort_keys=True)` makes of the base's
dict (`Base.as_dict`), byte for byte: the same separators, the keys in sorted order (fixed here,
since the keys are), strings escaped by the same C function. Building the dict and sorting its
items for every base was most of the commit's encoding; one f-string with most values written
in place, not a call a value, cut what was left by a fifth. A value of a type the fields do not
declare (a damaged row read back) is encoded by the generic encoder, and anything the fast path
does not expect falls back to encoding the dict, so the text, or the error, is the old one.
`tests/bridge/test_base_json.py` compares both on generated bases, `test_base_json_written.py`
the `%`-template writer this replaced.
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


def _items(values: Iterable[Any]) -> str:
    """An array's inside: its values' texts, comma-separated."""
    return ", ".join(
        [_encode(v) if v.__class__ is _STR else "null" if v is None else _value(v) for v in values]
    )


def _array(values: Iterable[Any]) -> str:
    return f"[{_items(values)}]"


def _object(items: Mapping[str, Iterable[Any]]) -> str:
    """An object of arrays whose keys are all `str` (checked: another key is an `_Unexpected`)."""
    if len(items) == 1:  # most often: a group of one line
        for key, values in items.items():
            if key.__class__ is _STR:
                return f"{{{_encode(key)}: [{_items(values)}]}}"
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


_FLAG = {True: "true", False: "false"}


def _written(base: Base) -> str:
    # One f-string, the keys in sorted order, and most values written in place: a call a value
    # (the template's `_value` for each) was most of the time. `map(_encode, ...)` takes text
    # only: any other item raises, and `base_json` then writes the dict, as for anything odd.
    f, enc, text = base.fields, _encode, _STR
    due, owner, parent, priority, recurrence = f.due, f.owner, f.parent, f.priority, f.recurrence
    title, note_title, path, vault, norm = f.title, f.note_title, f.path, f.vault, base.norm
    updated, completions, owed, present, now = (
        base.remote_updated,
        base.completions,
        base.owed,
        base.present,
        base.remote_now,
    )
    head = "{" if completions is None else f'{{"completions": {_value(completions)}, '
    owing = f'"owed": {_value(owed)}, ' if owed else ""
    return (
        f'{head}"fields": {{"due": {enc(due) if due.__class__ is text else _value(due)}, '
        f'"labels": [{", ".join(map(enc, f.labels))}], '
        f'"note_title": {enc(note_title) if note_title.__class__ is text else _value(note_title)}, '
        f'"owner": {enc(owner) if owner.__class__ is text else _value(owner)}, '
        f'"parent": {enc(parent) if parent.__class__ is text else _value(parent)}, '
        f'"path": {enc(path) if path.__class__ is text else _value(path)}, '
        f'"priority": {enc(priority._value_) if priority else "null"}, '
        f'"recurrence": {enc(recurrence) if recurrence.__class__ is text else _value(recurrence)}, '
        f'"status": {enc(f.status._value_)}, '
        f'"title": {enc(title) if title.__class__ is text else _value(title)}, '
        f'"vault": {enc(vault) if vault.__class__ is text else _value(vault)}}}, '
        f'"keys": [{", ".join(map(enc, base.keys))}], "lines": {_object(base.lines)}, '
        f'"norm": {enc(norm) if norm.__class__ is text else _value(norm)}, {owing}'
        f'"past": [{", ".join(map(enc, sorted(base.past)))}], '
        f'"present": {_FLAG[present] if present.__class__ is bool else DICT_JSON(present)}, '
        f'"remote_now": {enc(now._value_) if now else "null"}, '
        f'"remote_status": {enc(base.remote_status._value_)}, '
        f'"remote_updated": {enc(updated) if updated.__class__ is text else _value(updated)}, '
        f'"spots": {_object(base.spots)}}}'
    )
