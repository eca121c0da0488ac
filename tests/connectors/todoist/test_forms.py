"""The form encoding of sync requests, both ends: the client writes exactly what `urlencode`
writes, and the emulator reads exactly what `parse_qs` reads, whatever the text."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, quote_plus, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.todoist.client import (
    _ESCAPE,
    _FORM,
    _KEPT_BYTES,
    _escaped,
    _quoted,
    commands_json,
    form_encoded,
)
from connectors.todoist.emulator.sync import form_fields

_TEXT = st.text(st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ['[{"type": "item_add", "args": {"content": "Überprüfe ✅ 100% + a&b=c"}}]', "*", "", " \\x41 %"]
)


# pieces of a write's JSON, so that generated text holds many escapes of each kind, `%` among them
_TEXT_PARTS = (
    '{"type": "item_add"',
    ', "args": ',
    '"content": "a 100% b"',
    "%25",
    "%%",
    "é",
    "✅",
    " ",
    "+",
    "~",
)


def _read(body: bytes) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}


@settings(max_examples=400)
@given(st.dictionaries(_TEXT, _TEXT, max_size=4))
def test_the_client_encodes_a_form_as_urlencode_does(fields):
    assert form_encoded(fields) == urlencode(fields).encode("ascii")


@settings(max_examples=400)
@given(st.dictionaries(_TEXT, _TEXT, max_size=4))
def test_the_emulator_reads_an_encoded_form_as_parse_qs_does(fields):
    body = form_encoded(fields)
    assert form_fields(body) == _read(body) == fields


@settings(max_examples=600)
@given(st.binary(max_size=40) | st.text(alphabet="a=&%+\\x0123456789ABCDEFé;", max_size=40).map(str.encode))
def test_the_emulator_reads_any_body_as_parse_qs_does(body):
    try:
        expected = _read(body)
    except UnicodeDecodeError:
        expected = None
    try:
        got = form_fields(body)
    except UnicodeDecodeError:
        got = None
    assert got == expected


def _translated(text: str) -> str:
    """The form encoding as it was written before: one `str.translate` over the UTF-8 bytes."""
    return text.encode("utf-8").decode("latin-1").translate(_FORM)


@settings(max_examples=600)
@given(
    st.text(st.characters(codec="utf-8"), max_size=200)
    | st.text(alphabet='%+ &=[]{}":,\\/éü✅\x00\n~._-aZ09', max_size=200)
    | st.lists(st.sampled_from(list(_TEXT_PARTS)), max_size=30).map("".join)
)
def test_each_escape_replaced_throughout_is_the_translation_of_each_byte(text):
    assert _quoted(text) == _translated(text) == quote_plus(text, safe="")


def _old_escaped(text: str | bytes) -> bytes:
    """`_escaped` as it was before: the bytes to escape counted into a set one by one."""
    quoted = text.encode("utf-8") if isinstance(text, str) else text
    escaped = set(quoted.translate(None, _KEPT_BYTES))
    if ord("%") in escaped:
        escaped.discard(ord("%"))
        quoted = quoted.replace(b"%", b"%25")
    space = ord(" ") in escaped
    escaped.discard(ord(" "))
    for byte in escaped:
        quoted = quoted.replace(*_ESCAPE[byte])
    return quoted.replace(b" ", b"+") if space else quoted


def _outcome(escape: Callable[[str], bytes], text: str) -> bytes | str:
    try:
        return escape(text)
    except UnicodeEncodeError as exc:  # a lone surrogate: the same error either way
        return repr(exc)


@settings(max_examples=600)
@given(
    st.text(max_size=200)  # lone surrogates too
    | st.text(alphabet='%+ &=[]{}":,\\/éü✅\x00\x1f\n\u2028~._-aZ09\U0001f600', max_size=200)
    | st.lists(st.sampled_from([*_TEXT_PARTS, "[", "]", "}", ":", '"', "\ud800"]), max_size=30).map("".join)
)
def test_the_bytes_to_escape_are_found_as_before(text):
    assert _outcome(_escaped, text) == _outcome(_old_escaped, text)


# -- the commands' JSON -----------------------------------------------------------------------------

_COMMAND_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)  # lone surrogates too
_COMMAND_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70) | _COMMAND_TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(_COMMAND_TEXT | st.integers(-3, 3), inner, max_size=4)
    ),
    max_leaves=16,
)


def _written(commands: list[dict[str, object]]) -> tuple[str, object]:
    try:
        return "value", json.loads(commands_json(commands))
    except Exception as exc:  # the error is part of what must be the same
        return "error", type(exc)


def _as_before(commands: list[dict[str, object]]) -> tuple[str, object]:
    """What the request carried before: `json.dumps`'s text, as the form encoding sent it (UTF-8)."""
    try:
        return "value", json.loads(json.dumps(commands, ensure_ascii=False).encode("utf-8"))
    except Exception as exc:
        return "error", type(exc)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.dictionaries(_COMMAND_TEXT, _COMMAND_VALUES, max_size=5), max_size=4))
def test_the_commands_carry_the_values_json_wrote(commands: list[dict[str, object]]) -> None:
    """The same values (or the same error), in the compact form Todoist's SDK writes."""
    assert _written(commands) == _as_before(commands)
    kind, _ = _written(commands)
    if kind == "value":
        text = commands_json(commands)
        assert text == json.dumps(commands, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_what_orjson_would_write_otherwise_is_refused_as_json_refuses_it() -> None:
    for odd in (dt.date(2026, 1, 2), _Point(1, 2)):
        with pytest.raises(TypeError):
            commands_json([{"args": {"due": odd}}])


@dataclass
class _Point:
    x: int
    y: int
