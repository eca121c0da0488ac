"""The values of `bridge emulator`, `bridge auth` and `bridge doctor`, moved out of
`bridge.connector` so that a sync does not make their classes: still importable from there and
from the package root as the same objects, and equal, hashed, shown and frozen as the classes
they replaced (kept below as they were)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bridge
from bridge import connector_commands
from bridge.connector_commands import AuthOptions, Check, CheckStatus, EmulatorOptions


@dataclass(frozen=True, slots=True)
class OldEmulatorOptions:
    token: str | None = None
    email: str | None = None
    pat: str | None = None
    secret: str | None = None
    webhook_url: str | None = None


@dataclass(frozen=True, slots=True)
class OldAuthOptions:
    env_file: Path = Path(".env")
    port: int = 8766
    open_browser: bool = True
    scopes: tuple[str, ...] = ()
    timeout: float = 300.0
    echo: Callable[[str], None] = print


class OldCheckStatus(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class OldCheck:
    name: str
    status: OldCheckStatus
    message: str
    cause: Literal["setup", "network"] = "setup"

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status.value, "message": self.message, "cause": self.cause}


def same_dataclass(old: type, new: type, first: dict[str, Any], second: dict[str, Any]) -> None:
    """`new` made of these values behaves as `old` does: fields and defaults, slots, repr (the
    class name aside), equality, hash, to_json, and refusing to be changed."""
    assert [(f.name, f.default, f.default_factory) for f in dataclasses.fields(new)] == [
        (f.name, f.default, f.default_factory) for f in dataclasses.fields(old)
    ]
    assert new.__slots__ == old.__slots__  # type: ignore[attr-defined]
    a, b = new(**first), new(**second)
    was_a, was_b = old(**first), old(**second)
    assert repr(a).removeprefix(new.__name__) == repr(was_a).removeprefix(old.__name__)
    assert (a == b, a != b) == (was_a == was_b, was_a != was_b)
    assert a == new(**first)
    assert (hash(a), hash(b)) == (hash(was_a), hash(was_b))
    assert a != was_a  # another class: never equal, as two dataclasses of different classes
    if hasattr(old, "to_json"):
        assert a.to_json() == was_a.to_json()
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(a, dataclasses.fields(new)[0].name, None)


texts = st.none() | st.text(max_size=8)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {}, optional={n: texts for n in ("token", "email", "pat", "secret", "webhook_url")}
        ),
        min_size=2,
        max_size=2,
    )
)
def test_emulator_options_behave_as_before(values: list[dict[str, Any]]) -> None:
    same_dataclass(OldEmulatorOptions, EmulatorOptions, *values)


auth_values = st.fixed_dictionaries(
    {},
    optional={
        "env_file": st.sampled_from([Path(".env"), Path("a/.env"), Path("/x")]),
        "port": st.integers(0, 65535),
        "open_browser": st.booleans(),
        "scopes": st.lists(st.text(max_size=5), max_size=3).map(tuple),
        "timeout": st.floats(0, 1000, allow_nan=False),
        "echo": st.sampled_from([print, str.upper]),
    },
)


@settings(max_examples=40, deadline=None)
@given(auth_values, auth_values)
def test_auth_options_behave_as_before(first: dict[str, Any], second: dict[str, Any]) -> None:
    same_dataclass(OldAuthOptions, AuthOptions, first, second)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=8),
            st.sampled_from(["ok", "warn", "fail"]),
            st.text(max_size=8),
            st.sampled_from(["setup", "network"]),
        ),
        min_size=2,
        max_size=2,
    )
)
def test_checks_behave_as_before(rows: list[tuple[str, str, str, str]]) -> None:
    assert [(s.name, s.value) for s in CheckStatus] == [(s.name, s.value) for s in OldCheckStatus]
    old = [dict(name=n, status=OldCheckStatus(s), message=m, cause=c) for n, s, m, c in rows]
    new = [dict(name=n, status=CheckStatus(s), message=m, cause=c) for n, s, m, c in rows]
    same_dataclass(OldCheck, Check, *new)  # the oracle gets the same values, its own status enum
    assert [Check(**v).to_json() for v in new] == [OldCheck(**v).to_json() for v in old]
    assert repr(Check(**new[0])) == repr(OldCheck(**old[0])).replace("OldCheck", "Check")


def test_still_importable_from_the_contract_and_the_package_root() -> None:
    from bridge import connector as contract

    got = [getattr(contract, name) for name in ("AuthOptions", "Check", "CheckStatus", "EmulatorOptions")]
    assert got == [AuthOptions, Check, CheckStatus, EmulatorOptions]
    assert bridge.EmulatorOptions is EmulatorOptions
    assert set(connector_commands.__all__) <= set(contract.__all__) & set(dir(contract))
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        contract.Nothing  # type: ignore[attr-defined]  # noqa: B018
