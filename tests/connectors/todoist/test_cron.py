"""`sync` as cron runs it: the documented cron line, under cron's bare environment, silent with
`--quiet` until something changes; timestamps off a terminal; a progress hook; no state from a
dry run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.config import BridgeSettings
from bridge.progress import BarProgress, progress_for
from bridge.sync import run_sync
from bridge.sync_lines import changed
from tests.conftest import ROOT
from tests.connectors.todoist.conftest import TOKEN

SCRIPT = Path(sys.executable).with_name("task-bridge")
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d "


def documented_cron_line() -> str:
    """The cron line of docs/todoist.md, without its schedule."""
    text = (ROOT / "docs" / "todoist.md").read_text()
    found = re.search(r"^\s*(?:\S+\s+){5}(cd .*task-bridge sync.*)$", text, re.M)
    assert found, "docs/todoist.md has no cron line"
    return found.group(1)


def under_cron(line: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`line` run the way cron runs it: /bin/sh, PATH=/usr/bin:/bin, HOME, nothing else."""
    return subprocess.run(
        ["/usr/bin/env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", "/bin/sh", "-c", line],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not SCRIPT.exists(), reason="the task-bridge console script is not installed")
def test_documented_cron_line_is_silent_until_something_changes(vault, emulator, emulator_url, tmp_path):
    folder = tmp_path / "notes-sync"
    folder.mkdir()
    (folder / ".env").write_text(
        f"BRIDGE_VAULT={vault}\nTODOIST_API_TOKEN={TOKEN}\nTODOIST_BASE_URL={emulator_url}\n"
        "TODOIST_PROJECT=Bridge\n"
    )
    line = documented_cron_line()
    line = line.replace("/home/you/notes-sync", str(folder)).replace(
        "/home/you/.local/bin/task-bridge", str(SCRIPT)
    )
    assert str(SCRIPT) in line, line
    assert str(folder) in line, line
    home = tmp_path / "home"
    home.mkdir()

    first = under_cron(line, home)
    assert first.returncode == 0, first.stderr
    assert re.fullmatch(
        STAMP
        + r"todoist: 6 created \(9 linked, \d+ requests\)\n"
        + STAMP
        + r"  new tasks went to Todoist project '[^']+', account \S+\n",
        first.stdout,
    ), first.stdout
    assert list((home / ".local" / "state" / "task-bridge").glob("*.db"))  # HOME's state folder

    idle = under_cron(line, home)
    assert (idle.returncode, idle.stdout, idle.stderr) == (0, "", "")

    emulator.complete(next(iter(emulator.tasks)))
    after = under_cron(line, home)
    assert after.returncode == 0, after.stderr
    assert re.match(STAMP + r"todoist: .*note lines written", after.stdout), after.stdout
    assert after.stderr == ""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args], capture_output=True, text=True, timeout=120
    )


def test_piped_output_is_timestamped_and_json_is_not(vault, env, emulator):
    human = _cli("sync", "--vault", str(vault), "--connector", "todoist")
    assert human.returncode == 0, human.stderr
    assert human.stdout.splitlines()
    for out in human.stdout.splitlines():
        assert re.match(STAMP, out), out
    document = _cli("sync", "--vault", str(vault), "--connector", "todoist", "--json")
    assert json.loads(document.stdout)["created"] == 0


def test_quiet_prints_nothing_when_nothing_changed_and_the_report_otherwise(vault, env, emulator):
    first = _cli("sync", "--vault", str(vault), "--connector", "todoist", "-q")
    assert "6 created" in first.stdout
    idle = _cli("sync", "--vault", str(vault), "--connector", "todoist", "--quiet")
    assert (idle.returncode, idle.stdout, idle.stderr) == (0, "", "")
    loud = _cli("sync", "--vault", str(vault), "--connector", "todoist")
    assert "nothing to do" in loud.stdout


def test_changed_means_a_count_or_an_error():
    idle = {"created": 0, "updated": 0, "linked": 9, "requests": 1, "errors": [], "notices": ["n"]}
    assert not changed(idle)
    assert changed({**idle, "notes_written": 1})
    assert changed({**idle, "errors": ["todoist: refused"]})


def test_verbose_after_sync_logs_the_bridge_and_not_http_internals(vault, env, emulator):
    result = _cli("sync", "--vault", str(vault), "--connector", "todoist", "-v")
    assert result.returncode == 0, result.stderr
    assert "bridge.sync: read 1 notes" in result.stderr
    assert "httpcore" not in result.stderr
    assert "httpx" not in result.stderr


class Recorded:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object, object]] = []

    def step(self, label: str, total: int | None = None) -> None:
        self.calls.append(("step", label, total))

    def update(self, done: int, total: int | None = None) -> None:
        self.calls.append(("update", done, total))


def test_sync_reports_its_stages_and_the_push_to_a_progress_hook(vault, env, emulator):
    progress = Recorded()
    run_sync(BridgeSettings(vault=vault), connector_name="todoist", progress=progress)
    steps = [c[1] for c in progress.calls if c[0] == "step"]
    assert steps == ["todoist: reading the tracker", "todoist: sending changes"]
    assert ("update", 0, 7) in progress.calls  # the project, then six tasks, in one batch
    assert progress.calls[-1] == ("update", 7, 7)


def test_progress_bar_only_on_a_terminal(tmp_path):
    with (tmp_path / "log").open("w") as file:
        assert progress_for(file) is None

    class Terminal:
        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> int:
            return len(text)

        def flush(self) -> None:
            pass

    assert isinstance(progress_for(Terminal()), BarProgress)  # type: ignore[arg-type]


def test_dry_run_on_a_new_vault_creates_no_state(vault, emulator, emulator_url, monkeypatch, tmp_path):
    state = tmp_path / "state" / "new.db"
    monkeypatch.setenv("TODOIST_API_TOKEN", TOKEN)
    monkeypatch.setenv("TODOIST_BASE_URL", emulator_url)
    monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{state}")
    run = run_sync(BridgeSettings(vault=vault), connector_name="todoist", dry_run=True)
    assert run.report.created == 6
    assert not state.parent.exists()
    assert emulator.tasks == {}
