"""The fast version 5 uuid is the standard library's, character for character."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from bridge.uuids import for_name, namer, uuid5


@given(st.uuids(), st.text())
def test_uuid5_is_the_standard_librarys(namespace, name):
    assert uuid5(namespace, name) == str(uuid.uuid5(namespace, name))
    assert uuid5(str(namespace), name) == str(uuid.uuid5(namespace, name))


_SPELLINGS = st.sampled_from(["{%s}", "urn:uuid:%s", "%s", " %s", "%s ", "-%s-"])


@given(st.uuids(), _SPELLINGS, st.booleans(), st.text(max_size=3))
def test_a_namespace_as_text_reads_as_uuid_reads_it(namespace, spelling, upper, name):
    """Every spelling of a uuid, and text that is none: the same uuid, or the same error."""
    text = spelling % (namespace.hex if name == "" else str(namespace))
    text = text.upper() if upper else text
    for given_text in (text, text[:-1], text.replace("a", " a", 1), text.replace("0", "g", 1), text + "0"):
        try:
            expected: str | type[Exception] = str(uuid.uuid5(uuid.UUID(given_text), name))
        except ValueError:
            expected = ValueError
        try:
            got: str | type[Exception] = uuid5(given_text, name)
        except ValueError:
            got = ValueError
        assert got == expected


@given(st.uuids(), st.lists(st.text(), max_size=4))
def test_a_namer_names_as_uuid5(namespace, names):
    for space in (namespace, str(namespace)):
        named = namer(space)
        assert [named(name) for name in names] == [str(uuid.uuid5(namespace, name)) for name in names]


@given(st.uuids(), st.text(), st.lists(st.text(), max_size=4))
def test_a_namer_with_a_prefix_names_as_uuid5_of_the_prefixed_name(namespace, prefix, names):
    named = namer(namespace, prefix)
    assert [named(name) for name in names] == [str(uuid.uuid5(namespace, prefix + name)) for name in names]


def test_the_temp_ids_of_todoist_creates_are_as_before():
    from connectors.todoist.connector import _TEMP, _derived

    for token in ("", "00000000-0000-4000-8000-000000000001", "é😀"):
        assert (
            _TEMP(token)
            == _derived(token, "temp")
            == str(uuid.uuid5(uuid.NAMESPACE_URL, f"todoist-temp:{token}"))
        )


def _former_text(sha1: bytes) -> str:
    """The former `_text`: the digest's version and variant bits set in a bytearray (the reference)."""
    digest = bytearray(sha1[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@given(st.binary(min_size=20, max_size=20))
def test_the_text_of_a_digest_is_the_former_text(sha1):
    from bridge.uuids import _text

    assert _text(sha1) == _former_text(sha1) == str(uuid.UUID(bytes=sha1[:16], version=5))


def test_every_variant_digit_is_set_as_before():
    from bridge.uuids import _text

    for byte in range(256):
        sha1 = bytes(8) + bytes([byte]) + bytes(11)
        assert _text(sha1) == _former_text(sha1)


@given(st.uuids(), _SPELLINGS, st.booleans(), st.lists(st.text(), max_size=3))
def test_one_name_in_each_namespace_is_uuid5(namespace, spelling, upper, names):
    """`for_name(name)(namespace)` is `uuid5(namespace, name)`: the same text, or the same error."""
    text = spelling % str(namespace)
    text = text.upper() if upper else text
    for name in names:
        named = for_name(name)
        for given_text in (str(namespace), text, text[:-1], text.replace("0", "g", 1)):
            try:
                expected: str | type[Exception] = uuid5(given_text, name)
            except ValueError:
                expected = ValueError
            try:
                got: str | type[Exception] = named(given_text)
            except ValueError:
                got = ValueError
            assert got == expected
