"""A base's stored JSON is made by one encoder kept for the process: the same text, byte for byte,
that `json.dumps(..., ensure_ascii=False, sort_keys=True)` made of the same dict."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.state import Base


@settings(max_examples=300, deadline=None)
@given(st.from_type(Base))
def test_a_base_encodes_as_json_dumps_did(base: Base) -> None:
    text = base.to_json()
    assert text == json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True)
    assert Base.from_row(base.remote_id, base.ref, text, base.version).to_json() == text


def _old_text(base: Base) -> str:
    """The stored text as `Base.to_json` wrote it before `bridge.base_json`: the dict, dumped."""
    return json.dumps(
        {
            "fields": base.fields.to_json(),
            "remote_status": base.remote_status.value,
            "remote_updated": base.remote_updated,
            "keys": list(base.keys),
            "norm": base.norm,
            "lines": {k: list(v) for k, v in base.lines.items()},
            "remote_now": base.remote_now.value if base.remote_now else None,
            "present": base.present,
            "spots": {k: list(v) for k, v in base.spots.items()},
            "past": sorted(base.past),
            **({"completions": base.completions} if base.completions is not None else {}),
            **({"owed": base.owed} if base.owed else {}),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


# what a damaged row may hold where a base's fields expect text, a number or a flag
_SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_JSON = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
_TEXT = st.text() | st.sampled_from(["", "\x00", "\u2028", "é", '"\\', "\ud800", "🔁"])


@st.composite
def _odd_bases(draw: st.DrawFn) -> Base:
    """Bases as a damaged or hand-made row may decode to: any JSON value where one is kept as read."""
    base = draw(st.from_type(Base))
    keys = st.lists(_TEXT, max_size=3)
    values = st.lists(_TEXT | st.none() | _JSON, max_size=5).map(tuple)
    spot = st.tuples(_TEXT, st.integers(), _TEXT | st.none(), _TEXT | st.none()) | values
    fields = replace(
        base.fields,
        title=draw(_TEXT),
        due=draw(st.none() | _TEXT | _JSON),
        owner=draw(st.none() | _TEXT),
        labels=tuple(draw(st.lists(_TEXT | _JSON, max_size=3))),
        note_title=draw(_TEXT),
        path=draw(_TEXT),
    )
    return replace(
        base,
        fields=fields,
        remote_updated=draw(st.none() | _TEXT | _JSON),
        keys=tuple(draw(keys)),
        norm=draw(_TEXT),
        lines=draw(st.dictionaries(_TEXT, values, max_size=3) | st.dictionaries(_SCALAR, values, max_size=2)),
        present=draw(st.booleans() | _JSON),
        spots=draw(st.dictionaries(_TEXT, spot, max_size=3)),
        past=frozenset(draw(st.lists(_TEXT, max_size=3) | st.lists(_SCALAR, max_size=2))),
        completions=draw(st.none() | st.integers() | _JSON),
        owed=draw(st.integers() | _JSON),
    )


def _outcome(encode: Callable[[Base], str], base: Base) -> tuple[str, str]:
    try:
        return "text", encode(base)
    except Exception as exc:  # the error is part of what must be the same
        return "error", type(exc).__name__


@settings(max_examples=600, deadline=None)
@given(st.from_type(Base) | _odd_bases())
def test_a_base_is_written_as_the_dict_was_dumped(base: Base) -> None:
    """The fast writer against the old dict and dump: the same text, or the same error."""
    assert _outcome(Base.to_json, base) == _outcome(_old_text, base)
