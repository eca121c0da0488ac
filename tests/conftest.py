"""Shared fixtures: the example vault, copied so that tests may write to it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_VAULT = ROOT / "examples" / "vault"
EXAMPLE_NOTE = "2025-09-16 Lior Genzel intro call.md"


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A writable copy of the example vault."""
    target = tmp_path / "vault"
    shutil.copytree(EXAMPLE_VAULT, target)
    return target


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own BRIDGE_* variables must not change what tests see."""
    import os

    for name in list(os.environ):
        if name.startswith(("BRIDGE_", "TODOIST_", "JIRA_")):
            monkeypatch.delenv(name)
