"""The form encoding of sync requests, both ends: the client writes exactly what `urlencode`
writes, and the emulator reads exactly what `parse_qs` reads, whatever the text."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.todoist.client import form_encoded
from connectors.todoist.emulator.sync import form_fields

_TEXT = st.text(st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ['[{"type": "item_add", "args": {"content": "Überprüfe ✅ 100% + a&b=c"}}]', "*", "", " \\x41 %"]
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
