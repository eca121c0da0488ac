"""`json_text.loads` reads what `json.loads` reads: the same values, of the same types, keys in the
same order, or the same kind of error, on generated texts (every code point, big integers, floats
of every size, duplicate keys, NaN and Infinity, odd whitespace and broken texts)."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge import json_text

_TEXT = st.text(st.characters(exclude_categories=()), max_size=10)  # lone surrogates too
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**80), 2**80)
    | st.integers(2**63 - 3, 2**64 + 3)
    | st.integers(-(2**63) - 3, -(2**63) + 3)
    | st.floats()
    | st.floats(allow_subnormal=True, min_value=-1e-300, max_value=1e-300)
    | _TEXT
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0, -0.0 is not 0.0, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _read(loads: Any, text: str | bytes) -> tuple[str, Any]:
    try:
        return "value", loads(text)
    except Exception as exc:  # the kind of error is part of what must be the same
        return "error", type(exc)


def _check(text: str | bytes) -> None:
    kind, value = _read(json_text.loads, text)
    expected_kind, expected = _read(json.loads, text)
    assert kind == expected_kind, (text, value, expected)
    assert _same(value, expected) if kind == "value" else value is expected, (text, value, expected)


@settings(max_examples=600, deadline=None)
@given(_VALUES, st.booleans(), st.sampled_from([None, 0, 2]), st.booleans())
def test_the_values_json_texts(value: Any, ascii_only: bool, indent: int | None, as_bytes: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    if as_bytes:
        try:
            _check(text.encode("utf-8"))
        except UnicodeEncodeError:
            _check(text.encode("utf-8", "surrogatepass"))
    else:
        _check(text)


_PIECES = [
    "{", "}", "[", "]", ",", ":", '"', "\\", "\\u", "d800", "dc00", "0", "1", "9", "-", "+", ".",
    "e", "E", "400", "1234567890", "NaN", "Infinity", "true", "null", " ", "\t", "\n", "\r", "\x0b",
    "\x0c", "\xa0", "\ufeff", "\x00", "\x1f", "é", "😀", '"a"', '"k":', "00",
]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30), st.sampled_from(["str", "utf-8", "utf-16", "bom"]))
def test_texts_made_of_json_pieces(pieces: list[str], form: str) -> None:
    """Most are broken: each must fail as `json` fails; the rest read the same."""
    text = "".join(pieces)
    if form == "str":
        _check(text)
    else:
        _check(text.encode("utf-8-sig" if form == "bom" else form, "surrogatepass"))


@pytest.mark.parametrize(
    "text",
    [
        b"18446744073709551615",  # the last integer orjson reads exactly
        b"18446744073709551616",
        b"-9223372036854775808",
        b"-9223372036854775809",
        b"[1234567890123456789012345]",
        b'{"a": 1, "b": 2, "a": 3}',
        b"1e400",
        b"-1e-400",
        b"[NaN, Infinity, -Infinity]",
        b'"\\ud800"',
        b'"\xed\xa0\x80"',  # a surrogate written as UTF-8
        b"\xef\xbb\xbf[1]",
        b"",
        b"[" * 2000 + b"]" * 2000,
        b'"id": "1234567890123456789"',
    ],
)
def test_where_orjson_and_json_part(text: bytes) -> None:
    try:
        _check(text)
    except RecursionError:
        pytest.skip("deeper than this interpreter's recursion limit")
    _check(text.decode("utf-8", "surrogatepass"))


def test_a_constant_is_refused_as_asked() -> None:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    with pytest.raises(ValueError, match="NaN is not JSON"):
        json_text.loads(b'{"priority": NaN}', parse_constant=refuse)
    assert json_text.loads(b'{"priority": 4}', parse_constant=refuse) == {"priority": 4}


def test_a_write_answer_is_read_by_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    """The path a write's answer takes: its ids, tokens and dates hold no run of 19 digits."""
    rng = random.Random(5)  # noqa: S311 (the same answer every run)
    items = [
        {"id": f"6X{rng.getrandbits(40):x}", "child_order": n, "added_at": "2026-12-07T04:19:31.123456Z"}
        for n in range(100)
    ]
    answer = json.dumps({"sync_token": "QpY5opLREio1P6fnL2", "items": items}).encode()
    monkeypatch.setattr(json_text.json, "loads", _fail)
    assert json_text.loads(answer)["items"] == items


def _fail(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("read by json")
