"""Two-way sync with Todoist, end to end: `bridge sync` against the emulator over real HTTP on 127.0.0.1.

The tracker side is driven through the unmodified todoist-api-python SDK, as a user's app would.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.config import BridgeSettings
from bridge.errors import RemoteReadError
from bridge.lock import held_lock
from bridge.model import Spelling
from bridge.parse import parse_note
from bridge.state import Store
from bridge.sync import run_sync
from tests.conftest import EXAMPLE_NOTE, dates_since, local_today
from tests.connectors.todoist.conftest import sync_killed_after_commands

PROJECT = "Bridge"


def sync(vault: Path, **kw):
    return run_sync(BridgeSettings(vault=vault), connector_name="todoist", **kw).report


def project_tasks(sdk) -> list:
    project = next(p for page in sdk.get_projects() for p in page if p.name == PROJECT)
    return [t for page in sdk.get_tasks(project_id=project.id) for t in page]


def digest(vault: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(vault.rglob("*.md")))).hexdigest()


def note_lines(vault: Path) -> list[str]:
    return [line for line in (vault / EXAMPLE_NOTE).read_text(encoding="utf-8").splitlines() if "- [" in line]


def test_first_sync_creates_six_tasks_with_content_due_priority_labels_and_link(vault, env, sdk):
    report = sync(vault)
    assert (report.created, report.failed, report.linked) == (6, 0, 9)
    tasks = project_tasks(sdk)
    assert len(tasks) == 6
    for task in tasks:
        assert task.due is not None
        assert str(task.due.date) == "2025-10-26"
        assert {"task", "proposed", "auto"} <= set(task.labels)
        assert (
            "obsidian://open?vault=vault&file=2025-09-16%20Lior%20Genzel%20intro%20call.md"
            in task.description
        )
        assert "\uf8ff" not in task.content
        assert "📅" not in task.content
        assert "2025-10-26" not in task.content
    # four groups have a ⏫ line (high → 3), two have none (→ 1, Todoist's default)
    assert sorted(t.priority for t in tasks) == [1, 1, 3, 3, 3, 3]


def test_second_sync_writes_nothing_and_keeps_notes_byte_identical(vault, env, emulator):
    emu = emulator
    sync(vault)
    before, log_size = digest(vault), len(emu.request_log)
    report = sync(vault)
    counts = (report.created, report.updated, report.closed, report.reopened, report.notes_written)
    assert counts == (0, 0, 0, 0, 0)
    assert report.requests <= 2
    assert digest(vault) == before
    assert [m for m, _ in emu.request_log[log_size:]] == ["POST"] * report.requests  # the one read
    assert len(emu.request_log[log_size:]) == 1


def test_completed_through_sdk_ticks_every_line_of_its_group(vault, env, sdk):
    start = local_today()
    sync(vault)
    target = next(t for t in project_tasks(sdk) if t.content.startswith("Share role descriptions"))
    assert sdk.complete_task(target.id)
    report = sync(vault)
    assert report.notes_written == 2
    done = [
        t
        for t in parse_note((vault / EXAMPLE_NOTE).read_text(encoding="utf-8"), "n.md")[0]
        if t.description.startswith("Share role descriptions")
    ]
    assert len(done) == 2
    for task in done:  # ✅ is written in the spelling the line already uses (here Mac Roman mojibake)
        assert (task.status, task.spelling) == ("x", Spelling.MAC_ROMAN)
        assert task.done in dates_since(start)
    assert sync(vault).notes_written == 0


def test_box_ticked_in_note_closes_the_task_and_reopen_flows_back(vault, env, sdk, emulator):
    emu = emulator
    sync(vault)
    note = vault / EXAMPLE_NOTE
    text = note.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if "Define the interview loop" in x)
    note.write_text(text.replace(line, line.replace("- [?]", "- [x]", 1)), encoding="utf-8")
    report = sync(vault)
    assert report.closed == 1
    closed = [t for t in emu.tasks.values() if t["checked"]]
    assert len(closed) == 1
    # reopened in Todoist: the line opens again
    assert sdk.uncomplete_task(closed[0]["id"])
    report = sync(vault)
    assert report.notes_written >= 1
    assert not any(x.startswith("- [x]") for x in note_lines(vault))
    # ticked again in the note, then reopened in the note: reopened in Todoist
    text = note.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if "Define the interview loop" in x)
    assert line.startswith("- [ ] ")  # reopened as a plain todo
    note.write_text(text.replace(line, line.replace("- [ ]", "- [x]", 1)), encoding="utf-8")
    assert sync(vault).closed == 1
    note.write_text(text, encoding="utf-8")
    assert sync(vault).reopened == 1
    assert not emu.tasks[closed[0]["id"]]["checked"]


def test_due_changed_in_note_is_updated_and_title_edited_in_todoist_is_kept(vault, env, sdk):
    sync(vault)
    first = next(t for t in project_tasks(sdk) if t.content.startswith("Share role descriptions"))
    sdk.update_task(first.id, content="Share role descriptions (edited in Todoist)")
    note = vault / EXAMPLE_NOTE
    raw = note.read_bytes()
    note.write_bytes(raw.replace(b"2025-10-26", b"2025-11-30"))
    report = sync(vault)
    assert report.updated == 6
    assert report.failed == 0
    after = {t.id: t for t in project_tasks(sdk)}
    assert {str(t.due.date) for t in after.values() if t.due} == {"2025-11-30"}
    assert after[first.id].content == "Share role descriptions (edited in Todoist)"


def test_task_moved_to_another_note_keeps_its_todoist_task(vault, env, emulator):
    emu = emulator
    sync(vault)
    note = vault / EXAMPLE_NOTE
    lines = note.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = next(i for i, x in enumerate(lines) if "Engage Microsoft Azure Networking" in x)
    moved = lines.pop(cut)
    note.write_text("".join(lines), encoding="utf-8")
    (vault / "2025-09-23 follow-up.md").write_text("# Follow-up\n\n" + moved, encoding="utf-8")
    ids_before = set(emu.tasks)
    report = sync(vault)
    assert (report.created, report.closed, report.failed) == (0, 0, 0)
    assert set(emu.tasks) == ids_before
    assert report.updated == 1  # the link back now points at the new note


def test_open_item_carried_into_a_later_note_stays_one_task(vault, env, emulator):
    emu = emulator
    sync(vault)
    line = next(x for x in note_lines(vault) if "Myself" in x)
    (vault / "2025-09-30 next meeting.md").write_text(f"# Next\n\n{line}\n", encoding="utf-8")
    report = sync(vault)
    assert report.created == 0
    assert len([t for t in emu.tasks.values() if not t["is_deleted"]]) == 6


def test_failed_read_closes_nothing(vault, env, emulator, monkeypatch: pytest.MonkeyPatch):
    emu = emulator
    sync(vault)
    monkeypatch.setenv("BRIDGE_ABSENT", "close")
    (vault / EXAMPLE_NOTE).write_text("# emptied\n", encoding="utf-8")
    emu.fail_next(500, count=50)
    settings = BridgeSettings(vault=vault)
    with pytest.raises(RemoteReadError):
        run_sync(settings, connector_name="todoist", force=True)
    assert not any(t["checked"] or t["is_deleted"] for t in emu.tasks.values())


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_overlapping_run_exits_75_and_writes_nothing(vault, env, emulator):
    emu = emulator
    state = Path(env["BRIDGE_STATE_URL"].removeprefix("sqlite:///"))
    with held_lock(Path(str(state) + ".lock")):
        result = _cli(env, "sync", "--vault", str(vault), "--connector", "todoist", "--json")
    assert result.returncode == 75
    assert "another sync is running" in result.stderr
    assert emu.request_log == []


def test_run_killed_after_the_batch_was_accepted_creates_no_duplicate(vault, env, emulator):
    emu = emulator
    assert sync_killed_after_commands(vault, env, emulator) == -signal.SIGKILL
    created = {t["id"] for t in emu.tasks.values()}
    assert len(created) == 6  # the tracker has them; the state never learned it
    store = Store.open(env["BRIDGE_STATE_URL"])
    assert store.links("todoist") == {}
    store.close()
    report = sync(vault)
    assert (report.created, report.failed, report.linked) == (0, 0, 9)
    assert {t["id"] for t in emu.tasks.values()} == created
    assert sync(vault).requests == 1


def test_sync_json_cli_reports_the_counts(vault, env):
    result = _cli(env, "sync", "--vault", str(vault), "--connector", "todoist", "--json")
    assert result.returncode == 0, result.stderr
    document = __import__("json").loads(result.stdout)
    assert {k: document[k] for k in ("created", "failed", "conflicts")} == {
        "created": 6,
        "failed": 0,
        "conflicts": 0,
    }
    assert isinstance(document["requests"], int)
    assert document["requests"] >= 2
    status = _cli(env, "status", "--vault", str(vault), "--json")
    assert status.returncode == 0, status.stderr
    assert __import__("json").loads(status.stdout)["connectors"]["todoist"]["links"] == 9


def test_dry_run_prints_the_plan_and_changes_nothing(vault, env, emulator):
    emu = emulator
    before = digest(vault)
    report = sync(vault, dry_run=True)
    assert report.created == 6
    assert report.dry_run
    assert emu.tasks == {}
    assert digest(vault) == before


def test_unknown_connector_and_bad_token_exit_2(vault, env):
    assert _cli(env, "sync", "--vault", str(vault), "--connector", "nosuch").returncode == 2
    result = _cli(
        {**env, "TODOIST_API_TOKEN": "wrong"}, "sync", "--vault", str(vault), "--connector", "todoist"
    )
    assert result.returncode == 2
    assert re.search(r"TODOIST_API_TOKEN", result.stderr)
    assert "wrong" not in result.stderr


def test_no_op_sync_only_stats_the_notes(vault, env, monkeypatch: pytest.MonkeyPatch):
    for note in vault.rglob("*.md"):
        os.utime(note, ns=(1_700_000_000 * 10**9, 1_700_000_000 * 10**9))  # settled, not just written
    sync(vault)

    def no_reading(*args: object, **kw: object) -> None:
        raise AssertionError(f"note read: {args}")

    monkeypatch.setattr("bridge.vault.read_note", no_reading)
    report = sync(vault)
    assert (report.created, report.updated, report.requests) == (0, 0, 1)


def test_edited_note_is_read_again_despite_the_cache(vault, env):
    note = vault / EXAMPLE_NOTE
    os.utime(note, ns=(1_700_000_000 * 10**9, 1_700_000_000 * 10**9))
    sync(vault)
    note.write_bytes(
        note.read_bytes().replace(b"- [?] Define the interview loop", b"- [x] Define the interview loop")
    )
    assert sync(vault).closed == 1
