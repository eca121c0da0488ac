"""The fast version 5 uuid is the standard library's, character for character."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from bridge.uuids import uuid5


@given(st.uuids(), st.text())
def test_uuid5_is_the_standard_librarys(namespace, name):
    assert uuid5(namespace, name) == str(uuid.uuid5(namespace, name))
    assert uuid5(str(namespace), name) == str(uuid.uuid5(namespace, name))
