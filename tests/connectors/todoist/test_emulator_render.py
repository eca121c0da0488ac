"""The emulator's answers through orjson are the bytes `json` wrote (`JSONResponse`), or the same
error; a finite float keeps its value; NaN and Infinity are refused as not JSON when read."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from connectors.todoist.emulator.render import JSONAnswer, loads
from tests.connectors.todoist.test_emulator import command, invalid_argument, sync

# every code point, lone surrogates included (`st.text()` leaves them out)
_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)
_SCALARS = st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70) | _TEXT
_KEYS = _TEXT | st.integers(-5, 5)  # json writes an int key as a string; orjson refuses it


def _json_like(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(_KEYS, inner, max_size=4)
        ),
        max_leaves=16,
    )


def _rendered(cls: type[JSONResponse], content: Any) -> tuple[str, Any]:
    try:
        return "body", bytes(cls(content).body)
    except Exception as exc:  # the error is part of what must be the same
        return "error", type(exc)


@settings(max_examples=400, deadline=None)
@given(_json_like(_SCALARS))
def test_an_answer_is_the_bytes_json_wrote_or_the_same_error(content: Any) -> None:
    assert _rendered(JSONAnswer, content) == _rendered(JSONResponse, content)


def test_a_write_answer_is_the_bytes_json_wrote(api: httpx.Client) -> None:
    """A write's whole answer, as the emulator holds it: 100 tasks with every kind of text."""
    odd = ['"', "\\", "\n", "\x00", "\x1f", "\x7f", "\u2028", "😀", "é", "</script>"]
    adds = [command("item_add", f"t{i}", content=f"task {i} {odd[i % len(odd)]}") for i in range(100)]
    answer = sync(api, sync_token="*", resource_types=["all"], commands=adds).json()
    assert len(answer["items"]) == 100
    assert JSONAnswer(answer).body == JSONResponse(answer).body


@settings(max_examples=200, deadline=None)
@given(_json_like(_SCALARS | st.floats(allow_nan=False, allow_infinity=False)))
def test_a_finite_float_keeps_its_value(content: Any) -> None:
    kind, body = _rendered(JSONAnswer, content)
    expected_kind, expected = _rendered(JSONResponse, content)
    assert kind == expected_kind
    if kind == "body":
        assert json.loads(body) == json.loads(expected)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str, api: httpx.Client) -> None:
    """What would reach a record and be written as null by orjson (json refused to write it)."""
    with pytest.raises(ValueError, match="not JSON"):
        loads(f'{{"priority": {constant}}}')
    value = float(constant.replace("Infinity", "inf"))  # json.dumps writes it back as `constant`
    add = json.dumps([command("item_add", "t", content="x", priority=value)])
    invalid_argument(api.post("/sync", data={"commands": add}), "commands")
    body = f'{{"content": "x", "priority": {constant}}}'.encode()
    invalid_argument(api.post("/tasks", content=body, headers={"Content-Type": "application/json"}), "body")
