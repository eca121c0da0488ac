"""`bridge.copies.replaced` makes the same object as `dataclasses.replace`, whatever is changed,
for the records the apply step copies and for classes whose fields `__init__` does not take as
stored (those fall back to `replace` itself). `maker` makes what the class's own `__init__` makes."""

from __future__ import annotations

import dataclasses
import operator
import sys
from dataclasses import InitVar, dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.connector import Fields, Op, OpResult, RemoteTask
from bridge.copies import maker, replaced
from bridge.model import StatusType
from bridge.state import Base

_RECORDS = st.one_of(st.from_type(Op), st.from_type(OpResult), st.from_type(Base), st.from_type(Fields))


@st.composite
def _changed(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    """A record, and new values for some of its fields, taken from another record of its class."""
    record = draw(_RECORDS)
    other = draw(st.from_type(type(record)))
    names = [f.name for f in dataclasses.fields(record)]
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    return record, {name: getattr(other, name) for name in chosen}


@given(_changed())
def test_replaced_is_dataclasses_replace(case: tuple[Any, dict[str, Any]]) -> None:
    record, changes = case
    copy = replaced(record, **changes)
    assert type(copy) is type(record)
    assert copy == dataclasses.replace(record, **changes)
    assert all(getattr(copy, name) is value for name, value in changes.items())


def _replaced_by_class(obj: Any, **changes: Any) -> Any:
    """`replaced` as it was: the values read as now, the copy made by the class's `__init__`."""
    cls = type(obj)
    names = [f.name for f in dataclasses.fields(cls)]
    copied = list(operator.attrgetter(*names)(obj))
    place = {name: i for i, name in enumerate(names)}
    for name, value in changes.items():
        copied[place[name]] = value
    return cls(*copied)


@given(_changed())
def test_replaced_makes_what_the_class_made(case: tuple[Any, dict[str, Any]]) -> None:
    """Made through `maker` now: the same values, the same class, each value the one given."""
    record, changes = case
    copy, before = replaced(record, **changes), _replaced_by_class(record, **changes)
    assert type(copy) is type(before)
    assert [getattr(copy, f.name) for f in dataclasses.fields(copy)] == [
        getattr(before, f.name) for f in dataclasses.fields(before)
    ]
    assert all(getattr(copy, f.name) is getattr(before, f.name) for f in dataclasses.fields(copy))
    assert copy == before


@given(st.from_type(RemoteTask))
def test_a_record_copied_with_no_change_is_equal(task: RemoteTask) -> None:
    assert replaced(task) == task
    assert replaced(task) is not task


@dataclass
class _Hidden:
    a: int
    b: int = field(init=False, default=2)
    c: int = 3


@dataclass
class _Init:
    a: int
    scale: InitVar[int] = 1
    b: int = 0

    def __post_init__(self, scale: int) -> None:
        self.b = self.a * scale


@dataclass
class _Keyword:
    a: int
    b: int = field(kw_only=True, default=0)


@dataclass
class _One:
    a: int


@pytest.mark.parametrize(
    ("record", "changes"),
    [
        (_Hidden(1), {"a": 5}),
        (_Init(2, 3), {"a": 4, "scale": 5}),
        (_Keyword(1, b=2), {"b": 7}),
        (_Keyword(1, b=2), {"a": 7}),
        (_One(1), {"a": 2}),
        (_One(1), {}),
    ],
)
def test_classes_not_copied_positionally_are_copied_by_replace(record: Any, changes: dict[str, Any]) -> None:
    assert replaced(record, **changes) == dataclasses.replace(record, **changes)


@pytest.mark.parametrize("record", [_Hidden(1), OpResult("t", True)])
def test_an_unknown_field_is_refused_as_replace_refuses_it(record: Any) -> None:
    with pytest.raises(TypeError) as expected:
        dataclasses.replace(record, nope=1)
    with pytest.raises(TypeError) as got:
        replaced(record, nope=1)
    assert str(got.value) == str(expected.value)


@st.composite
def _made(draw: st.DrawFn) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
    """A record's values, some positional, some by name, some left to their defaults."""
    record = draw(_RECORDS)
    values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    required = [
        f.name for f in dataclasses.fields(record) if f.default is f.default_factory is dataclasses.MISSING
    ]
    names = list(values)
    positional = draw(st.integers(len(required), len(names)))
    named = (
        draw(st.lists(st.sampled_from(names[positional:]), unique=True)) if positional < len(names) else []
    )
    return type(record), tuple(values[n] for n in names[:positional]), {n: values[n] for n in named}


@settings(max_examples=40)
@given(_made())
def test_a_maker_makes_what_the_class_makes(case: tuple[Any, tuple[Any, ...], dict[str, Any]]) -> None:
    cls, args, kwargs = case
    made, expected = maker(cls)(*args, **kwargs), cls(*args, **kwargs)
    assert type(made) is cls
    assert made == expected
    assert repr(made) == repr(expected)
    for f in dataclasses.fields(cls)[len(args) :]:
        if f.default_factory is not dataclasses.MISSING and f.name not in kwargs:
            assert getattr(made, f.name) is not getattr(maker(cls)(*args, **kwargs), f.name)  # a new one each


@pytest.mark.parametrize("cls", [_Hidden, _Init, _Keyword, _One])
def test_classes_a_maker_cannot_make_are_made_by_the_class(cls: type) -> None:
    assert maker(cls) is cls


def test_a_maker_refuses_what_the_class_refuses() -> None:
    for call in ((), ("t", StatusType.TODO, None, None, None, (), "", "", "", None, None, "extra")):
        with pytest.raises(TypeError):
            Fields(*call)
        with pytest.raises(TypeError):
            maker(Fields)(*call)
    with pytest.raises(TypeError):
        maker(Fields)("t", StatusType.TODO, nope=1)


@dataclass(frozen=True, slots=True)
class _Doubled:
    """An `__init__` of its own, which a maker must leave to the class."""

    value: int

    def __init__(self, value: int) -> None:
        object.__setattr__(self, "value", value * 2)


@dataclass(frozen=True, slots=True)
class _Shadowing:
    """Fields named as a made function's own names could be."""

    made: int
    make: str = "x"
    _new: list[int] = field(default_factory=list)


def test_a_class_with_an_init_of_its_own_is_made_by_it() -> None:
    assert maker(_Doubled) is _Doubled
    assert maker(_Doubled)(5).value == 10


def test_fields_named_as_the_maker_s_names_are_made_as_the_class_makes_them() -> None:
    make = maker(_Shadowing)
    assert make is not _Shadowing
    assert make(1) == _Shadowing(1)
    assert make(2, "y", [3]) == _Shadowing(2, "y", [3])
    assert make(made=4, _new=[5]) == _Shadowing(made=4, _new=[5])


def _former_maker(cls: type) -> Any:
    """The former `maker`: each slot set through its own descriptor (the reference)."""
    fields = dataclasses.fields(cls)

    def make(*args: Any, **kwargs: Any) -> Any:
        made = object.__new__(cls)
        values = dict(zip([f.name for f in fields], args, strict=False)) | kwargs
        for f in fields:
            if f.name in values:
                value = values[f.name]
            elif f.default is not dataclasses.MISSING:
                value = f.default
            else:
                value = f.default_factory()  # type: ignore[misc]
            getattr(cls, f.name).__set__(made, value)  # the slot's descriptor, maybe a base's
        return made

    return make


@settings(max_examples=60)
@given(_made())
def test_a_maker_makes_what_the_former_maker_made(case: tuple[Any, tuple[Any, ...], dict[str, Any]]) -> None:
    cls, args, kwargs = case
    made, former = maker(cls)(*args, **kwargs), _former_maker(cls)(*args, **kwargs)
    assert type(made) is type(former) is cls
    assert made == former
    assert repr(made) == repr(former)
    assert sys.getsizeof(made) == sys.getsizeof(former)
    given_values = dict(zip([f.name for f in dataclasses.fields(cls)], args, strict=False)) | kwargs
    assert all(getattr(made, name) is value for name, value in given_values.items())
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, dataclasses.fields(cls)[0].name, None)


@dataclass(frozen=True, slots=True)
class _Parent:
    a: int


@dataclass(frozen=True, slots=True)
class _Child(_Parent):
    b: int = 0


@dataclass(frozen=True, slots=True, weakref_slot=True)
class _Referable:
    a: int
    b: int = 0


@pytest.mark.parametrize("cls", [_Child, _Referable])
def test_a_slotted_class_with_more_than_its_fields_is_made_through_its_descriptors(cls: type) -> None:
    """A base of its own or a `__weakref__` slot: no unfrozen twin (`_open`), the same objects."""
    from bridge.copies import _open

    assert _open(cls) is None
    made = maker(cls)(1, b=2)
    assert type(made) is cls
    assert made == cls(1, b=2) == _former_maker(cls)(1, b=2)
