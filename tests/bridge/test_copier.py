"""`bridge.copies.copier` makes what `replaced` makes with the same fields changed: the same
class, equal, each value the one given and every other the record's own (by identity)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings

from bridge.connector import Op
from bridge.copies import copier, replaced
from tests.bridge.test_copies import _changed, _Hidden, _Init, _Keyword, _One


@settings(max_examples=50)
@given(_changed())
def test_a_copier_copies_as_replaced(case: tuple[Any, dict[str, Any]]) -> None:
    record, changes = case
    copy = copier(type(record), *changes)(record, *changes.values())
    expected = replaced(record, **changes)
    assert type(copy) is type(expected)
    assert copy == expected
    for f in dataclasses.fields(record):
        assert getattr(copy, f.name) is getattr(expected, f.name)


@pytest.mark.parametrize(
    ("record", "changes"),
    [(_Hidden(1), {"a": 5}), (_Init(2, 3), {"a": 4}), (_Keyword(1, b=2), {"b": 7}), (_One(1), {"a": 2})],
)
def test_classes_replaced_does_not_make_positionally_are_copied_by_it(
    record: Any, changes: dict[str, Any]
) -> None:
    assert copier(type(record), *changes)(record, *changes.values()) == replaced(record, **changes)


@dataclasses.dataclass(frozen=True, slots=True)
class _Sub:
    a: int
    b: str = "b"


@dataclasses.dataclass(frozen=True, slots=True)
class _Other:
    a: int
    b: str = "other"


def test_an_object_of_another_class_is_copied_by_replaced() -> None:
    copy = copier(_Sub, "b")
    assert copy(_Other(1), "x") == _Other(1, "x")
    assert copy(_Sub(1), "x") == _Sub(1, "x")


@pytest.mark.parametrize("names", [("nope",), ("token", "token"), ("scale",)])
def test_names_not_distinct_fields_are_refused(names: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="not distinct fields"):
        copier(Op if names[0] != "scale" else _Init, *names)
