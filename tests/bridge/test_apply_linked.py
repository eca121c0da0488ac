"""A base copied once its step was carried out (`bridge.apply._linked`) is the one the former
expression made, `replaced(after, remote_id=..., **_echoed(after, outcomes))`, kept here: on
hypothesis-built bases and answers (none, failed, echoing the task or not)."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.apply import _echoed, _linked
from bridge.connector import OpResult
from bridge.copies import replaced
from bridge.state import Base

_ANSWERS = st.lists(st.none() | st.from_type(OpResult), max_size=3)


@settings(max_examples=60)
@given(st.from_type(Base), st.text(max_size=5), _ANSWERS)
def test_a_linked_base_is_the_former_copy(
    after: Base, remote_id: str, outcomes: list[OpResult | None]
) -> None:
    copy = _linked(after, remote_id, outcomes)
    expected = replaced(after, remote_id=remote_id, **_echoed(after, outcomes))
    assert type(copy) is Base
    assert copy == expected
    for f in dataclasses.fields(Base):
        assert getattr(copy, f.name) is getattr(expected, f.name)
