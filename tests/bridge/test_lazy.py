"""The names a module hands out from elsewhere: imported once, kept, listed, and refused by name
when unknown, for the package root, `bridge.connector` and `bridge.state` alike."""

from __future__ import annotations

import importlib

import pytest

MODULES = {
    "bridge": ("Task", "bridge.model"),
    "bridge.connector": ("Check", "bridge.connector_commands"),
    "bridge.state": ("InboxItem", "bridge.state_rows"),
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_lazy_name_is_its_home_s_and_then_a_plain_attribute(module: str) -> None:
    name, home = MODULES[module]
    handed = importlib.import_module(module)
    assert name in dir(handed)
    assert getattr(handed, name) is getattr(importlib.import_module(home), name)
    assert vars(handed)[name] is getattr(importlib.import_module(home), name)  # kept: asked once


@pytest.mark.parametrize("module", sorted(MODULES))
def test_an_unknown_name_is_refused_naming_the_module(module: str) -> None:
    with pytest.raises(AttributeError, match=rf"module '{module}' has no attribute 'NoSuchName'"):
        importlib.import_module(module).NoSuchName  # noqa: B018
