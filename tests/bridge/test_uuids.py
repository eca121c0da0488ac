"""The fast version 5 uuid is the standard library's, character for character."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from bridge.uuids import namer, uuid5


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
