"""`build_task` against `Task(...)`: the same task, field for field, whatever the values."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.model import Priority, Source, Spelling, StatusType, Task, build_task

TEXT = st.text(max_size=8)
MAYBE = st.none() | TEXT
VALUES = st.tuples(
    TEXT,  # key
    TEXT,  # status
    st.sampled_from(StatusType),
    TEXT,  # description
    st.builds(Source, TEXT, st.integers(1, 99), st.integers(0, 99), st.integers(0, 99)),
    TEXT,  # note
    MAYBE,  # owner
    st.none() | st.sampled_from(Priority),
    *(MAYBE,) * 8,  # due … id
    st.lists(TEXT, max_size=3).map(tuple),  # depends_on
    MAYBE,  # on_completion
    st.lists(TEXT, max_size=3).map(tuple),  # tags
    st.none() | st.sampled_from(Spelling),
    st.integers(0, 12),  # depth
    TEXT,  # norm
    st.lists(TEXT, max_size=3).map(tuple),  # unknown
    st.integers(0, 3),  # repeat
    MAYBE,  # parent
)


def test_build_task_takes_every_field_in_order():
    assert list(inspect.signature(build_task).parameters) == [f.name for f in dataclasses.fields(Task)]


@given(VALUES)
def test_build_task_is_task(values):
    built, made = build_task(*values), Task(*values)
    assert type(built) is Task
    assert built == made
    assert repr(built) == repr(made)
    assert hash(built) == hash(made)
    assert pickle.loads(pickle.dumps(built)) == made  # noqa: S301 - our own bytes
    assert dataclasses.replace(built, repeat=5) == dataclasses.replace(made, repeat=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.key = "other"  # type: ignore[misc]


def test_task_has_nothing_build_task_would_skip():
    """`build_task` sets the slots without `__init__`: a `__post_init__` or a field made by a
    factory would be skipped silently, so Task must have neither."""
    assert not hasattr(Task, "__post_init__")
    assert all(f.default_factory is dataclasses.MISSING for f in dataclasses.fields(Task))


def test_the_parsers_row_places_are_tasks_fields():
    from bridge import parse

    names = [f.name for f in dataclasses.fields(Task)]
    places = {"key": parse._KEY, "note": parse._NOTE, "owner": parse._OWNER, "id": parse._ID}
    places |= {"norm": parse._NORM, "repeat": parse._REPEAT, "parent": parse._PARENT}
    assert {name: names[at] for name, at in places.items()} == {name: name for name in places}


def test_an_impossible_date_is_never_remembered_as_possible():
    from bridge import parse

    assert not parse._is_date("2025-02-30")
    assert "2025-02-30" not in parse._DATES
    assert parse._is_date("2025-02-28")
    assert len(parse._DATES) <= parse._DATES_KEPT
