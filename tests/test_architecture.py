"""Guards on the shape of the code: the core stays independent of connectors; modules state their API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bridge

ROOT = Path(__file__).resolve().parents[1]
CORE = sorted((ROOT / "bridge").glob("*.py"))


@pytest.mark.parametrize("module", CORE, ids=lambda p: p.name)
def test_core_never_imports_a_connector(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = [
        name
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    ]
    assert not [name for name in imported if name.split(".")[0] == "connectors"]


@pytest.mark.parametrize("module", [p for p in CORE if p.name != "__init__.py"], ids=lambda p: p.name)
def test_every_core_module_declares_all(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    names = {
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    assert "__all__" in names
    assert ast.get_docstring(tree), f"{module.name} opens with no docstring"


def test_package_root_exports():
    assert sorted(bridge.__all__) == sorted(
        [
            *("AuthError", "BridgeError", "ConfigError", "Connector", "ConnectorError", "Diagnostic"),
            *("EmulatorControl", "EmulatorOptions", "Fields", "Op", "OpKind", "OpResult", "Priority"),
            *("Pull", "Push", "RateLimitedError", "RemoteReadError", "RemoteStatus", "RemoteTask"),
            *("Source", "Spelling", "StatusType", "Task", "Webhooks", "__version__"),
        ]
    )
    for name in bridge.__all__:
        assert hasattr(bridge, name)
