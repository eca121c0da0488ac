"""`build_task` against `Task(...)` and against the former `build_task`, which set each slot
through its descriptor: the same task, field for field, whatever the values."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.model import Priority, Source, Spelling, StatusType, Task, build_source, build_task

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


def _former_build(cls: type[Any], *values: Any) -> Any:
    """The former `build_task` and `build_source`: each slot set through its own descriptor."""
    made = object.__new__(cls)
    for f, value in zip(dataclasses.fields(cls), values, strict=True):
        cls.__dict__[f.name].__set__(made, value)
    return made


def _same(built: Any, former: Any) -> None:
    assert type(built) is type(former)
    assert [getattr(built, f.name) for f in dataclasses.fields(former)] == [
        getattr(former, f.name) for f in dataclasses.fields(former)
    ]
    assert all(
        type(getattr(built, f.name)) is type(getattr(former, f.name)) for f in dataclasses.fields(former)
    )
    assert built == former
    assert repr(built) == repr(former)
    assert hash(built) == hash(former)
    assert sys.getsizeof(built) == sys.getsizeof(former)
    assert pickle.dumps(built) == pickle.dumps(former)


@given(VALUES)
def test_build_task_is_the_former_build_task(values):
    _same(build_task(*values), _former_build(Task, *values))


@given(st.tuples(TEXT, st.integers(1, 99), st.integers(0, 99), st.integers(0, 99)))
def test_build_source_is_the_former_build_source(values):
    built = build_source(*values)
    _same(built, _former_build(Source, *values))
    assert built == Source(*values)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.line = 0  # type: ignore[misc]


def test_the_open_classes_hold_the_same_slots():
    """`build_task` makes an object of `_OpenTask` a Task: only the same slots allow it."""
    from bridge import model

    assert model._OpenTask.__slots__ == Task.__slots__
    assert model._OpenSource.__slots__ == Source.__slots__
    assert not hasattr(build_task(*_former_values()), "__dict__")


def _former_values() -> tuple[Any, ...]:
    """A plain task's values, its fields mostly left as `Task(...)` leaves them."""
    return tuple(getattr(_PLAIN, f.name) for f in dataclasses.fields(Task))


_PLAIN = Task("k", " ", StatusType.TODO, "d", Source("a.md", 1, 0, 5), "n")


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


@pytest.mark.parametrize("status", list(StatusType))
def test_is_open_is_the_former_is_open(status: StatusType) -> None:
    """The former property named the closed statuses through the class at each call."""
    former = status not in (StatusType.DONE, StatusType.CANCELLED, StatusType.NON_TASK)
    assert status.is_open is former
