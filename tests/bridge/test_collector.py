"""The collector's pace for a command run: young collections less often, never switched off but
while the command's own process makes what the run keeps (`kept`); what is alive when the run
ends frozen, so that the interpreter's shutdown does not walk it again."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge import collector
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


@pytest.fixture
def _unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("_unfrozen")
def test_a_run_freezes_what_is_alive_when_the_command_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector, "_RUN", [])
    collector.leave()  # no run in this process: left as it is
    assert gc.get_freeze_count() == 0
    for_one_run()
    collector.leave()
    assert gc.get_freeze_count() > 0


_FROZEN_AT_EXIT = (
    "import atexit, gc, runpy, sys\n"
    "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0, file=sys.stderr))\n"
    "sys.argv = ['bridge', *sys.argv[1:]]\n"
    "runpy.run_module('bridge', run_name='__main__')\n"
)


@pytest.mark.parametrize(
    ("args", "frozen"), [(["tasks", str(EXAMPLE_VAULT), "--json", "--no-cache"], True), (["--help"], False)]
)
def test_the_command_freezes_only_after_a_run(args: list[str], frozen: bool, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FROZEN_AT_EXIT, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert f"frozen {frozen}" in done.stderr.splitlines()
    assert done.stdout


@pytest.mark.usefixtures("_unfrozen")
@pytest.mark.parametrize(("run", "own"), [(True, True), (True, False), (False, True)])
def test_what_a_run_keeps_is_made_uncollected_then_frozen_only_in_the_commands_own_process(
    run: bool, own: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collector, "_RUN", [True] if run else [])
    monkeypatch.setattr(collector, "_OWN", [True] if own else [])
    with collector.kept():
        assert gc.isenabled() is not (run and own)
    assert gc.isenabled()
    assert (gc.get_freeze_count() > 0) is (run and own)


@pytest.mark.usefixtures("_unfrozen")
def test_the_collector_comes_back_when_making_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector, "_RUN", [True])
    monkeypatch.setattr(collector, "_OWN", [True])
    with pytest.raises(KeyError), collector.kept():
        raise KeyError("x")
    assert gc.isenabled()


def test_the_command_line_s_modules_are_imported_at_a_run_s_pace_and_the_pace_is_put_back() -> None:
    gc.set_threshold(700, 10, 10)
    with collector.importing():
        assert gc.get_threshold() == (YOUNG, 20, 100)
    assert gc.get_threshold() == (700, 10, 10)
    with pytest.raises(ImportError), collector.importing():
        import bridge.no_such_module  # type: ignore[import-not-found]  # noqa: F401
    assert gc.get_threshold() == (700, 10, 10)


def test_importing_the_command_line_changes_no_pace() -> None:
    code = (
        "import gc, sys; gc.set_threshold(123, 7, 9); paces = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, *args):\n"
        "        if name == 'typer': paces.append(gc.get_threshold())\n"
        "sys.meta_path.insert(0, Watch())\n"
        "import bridge.cli\n"
        "print(paces, gc.get_threshold())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"[({YOUNG}, 20, 100)] (123, 7, 9)"  # typer imported at a run's pace
