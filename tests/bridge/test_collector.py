"""The collector's pace for a command run: young collections less often, never switched off."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.collector import YOUNG, for_one_run
from tests.conftest import EXAMPLE_VAULT


@pytest.fixture(autouse=True)
def _restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_a_run_collects_young_objects_less_often_but_still_collects() -> None:
    gc.set_threshold(700, 10, 10)
    for_one_run()
    assert gc.get_threshold() == (YOUNG, 20, 100)
    assert gc.isenabled()


def test_the_listing_sets_the_pace() -> None:
    gc.set_threshold(700, 10, 10)
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT), "--json", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert gc.get_threshold() == (YOUNG, 20, 100)


def test_the_sync_sets_the_pace_before_anything_else(tmp_path: Path) -> None:
    gc.set_threshold(700, 10, 10)
    CliRunner().invoke(app, ["sync", "--vault", str(tmp_path / "missing")])
    assert gc.get_threshold() == (YOUNG, 20, 100)
