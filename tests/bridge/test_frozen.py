"""`maker(cls)` makes what `cls(*values)` makes, for the classes a push makes by the hundred
thousand and for generated ones; any class it cannot make for is returned as it is."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.connector import OpResult, RemoteStatus, RemoteTask
from bridge.frozen import maker

_VALUES = st.none() | st.booleans() | st.text(max_size=4) | st.integers() | st.tuples(st.text(max_size=2))


@given(st.lists(_VALUES, min_size=7, max_size=7), st.sampled_from(list(RemoteStatus)), _VALUES)
def test_made_is_what_the_class_makes(values, status, extra):
    for cls, given_values in ((OpResult, values), (RemoteTask, [values[0], status, *values[1:]])):
        made, expected = maker(cls)(*given_values), cls(*given_values)
        assert type(made) is cls
        assert made == expected
        assert repr(made) == repr(expected)
        assert hash(made) == hash(expected)
        assert copy.copy(made) == copy.deepcopy(made) == expected
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.remote_id = extra  # type: ignore[misc]


def test_every_field_is_asked_for():
    with pytest.raises(TypeError):
        maker(OpResult)("t", True)


@dataclasses.dataclass(frozen=True, slots=True)
class _Checked:
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError(self.value)


@dataclasses.dataclass(slots=True)
class _Open:
    value: int


@dataclasses.dataclass(frozen=True)
class _NoSlots:
    value: int


@dataclasses.dataclass(frozen=True, slots=True)
class _Counted:
    value: int
    count: int = dataclasses.field(default=0, init=False)


@pytest.mark.parametrize("cls", [_Checked, _Open, _NoSlots, _Counted, int])
def test_a_class_whose_init_does_more_is_its_own_maker(cls):
    assert maker(cls) is cls
