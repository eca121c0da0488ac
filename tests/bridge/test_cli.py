"""`bridge tasks`, as users and programs run it: the installed console script, stdout and stderr apart."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge import __version__, registry, vault_check
from bridge.cli import app
from bridge.connector import EmulatorOptions
from bridge.testing import serve_in_thread
from tests.conftest import EXAMPLE_NOTE, EXAMPLE_VAULT

BRIDGE = shutil.which("bridge") or str(Path(sys.executable).with_name("bridge"))
MOJIBAKE = ("\uf8ff", "üìÖ", "‚è´", "ðŸ", "📅", "⏫", "2025-10-26")


@pytest.fixture(scope="module")
def listed() -> list[dict[str, object]]:
    out = subprocess.run(
        [BRIDGE, "tasks", str(EXAMPLE_VAULT), "--json"], capture_output=True, text=True, check=True
    )
    assert out.stderr == ""
    return json.loads(out.stdout)


def test_example_vault_lists_nine_action_items(listed):
    assert len(listed) == 9
    for item in listed:
        assert item["status"] == "?"
        assert item["owner"] in ("Lior Genzel", "Myself")
        assert item["due"] == "2025-10-26"
        assert item["tags"] == ["task", "proposed", "auto"]
        assert item["path"] == EXAMPLE_NOTE
        assert not any(residue in item["description"] for residue in MOJIBAKE)
        assert "@" not in item["description"]
        assert item["description"].endswith(".")


def test_priority_is_high_exactly_where_the_line_has_it(listed):
    lines = (EXAMPLE_VAULT / EXAMPLE_NOTE).read_text(encoding="utf-8").split("\n")
    high = "⏫".encode().decode("mac_roman")
    for item in listed:
        assert (item["priority"] == "high") == (high in lines[item["line"] - 1])
    assert sum(item["priority"] == "high" for item in listed) == 5


def test_example_vault_forms_six_groups(listed):
    assert len({item["group"] or item["key"] for item in listed}) == 6
    assert sum(item["group"] is not None for item in listed) == 6


def test_json_fields_and_types(listed):
    types = {"key": str, "status": str, "description": str, "path": str, "line": int, "tags": list}
    for item in listed:
        for field, kind in types.items():
            assert isinstance(item[field], kind)
        for field in ("owner", "due", "priority", "group"):
            assert item[field] is None or isinstance(item[field], str)


def test_diagnostics_go_to_stderr_as_path_line_message(tmp_path):
    (tmp_path / "bad.md").write_text("- [ ] Plan 📅 2025-13-45\n", encoding="utf-8")
    (tmp_path / "latin.md").write_bytes(b"- [ ] Caf\xe9\n")
    out = subprocess.run(
        [BRIDGE, "tasks", str(tmp_path), "--json"], capture_output=True, text=True, check=True
    )
    assert [t["description"] for t in json.loads(out.stdout)] == ["Plan"]
    errors = sorted(out.stderr.splitlines())
    assert errors[0].startswith(f"{tmp_path.as_posix()}/bad.md:1: impossible due date '2025-13-45'")
    assert errors[1].startswith(f"{tmp_path.as_posix()}/latin.md:1: not UTF-8")


TERMINAL = {"TTY_COMPATIBLE": "1", "NO_COLOR": "1"}  # rich then draws for a terminal
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_table_for_people():
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT)], env={**TERMINAL, "COLUMNS": "160"})
    assert result.exit_code == 0
    assert "Share role descriptions" in result.output
    assert "9 tasks in 6 groups from 1 note\n" in result.output


def test_vault_from_settings(monkeypatch):
    monkeypatch.setenv("BRIDGE_VAULT", str(EXAMPLE_VAULT))
    result = CliRunner().invoke(app, ["tasks", "--json"])
    assert result.exit_code == 0
    assert len(json.loads(result.output)) == 9


def test_missing_path_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(app, ["tasks", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_bad_setting_is_named(monkeypatch):
    monkeypatch.setenv("BRIDGE_GROUP_THRESHOLD", "250")
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT)])
    assert result.exit_code == 2
    assert "BRIDGE_GROUP_THRESHOLD" in result.output


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.output.strip() == f"bridge {__version__}"


def test_table_shows_status_characters_that_look_like_markup(tmp_path):
    (tmp_path / "n.md").write_text("- [/] Half done\n- [-] Dropped\n- [x] Done\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["tasks", str(tmp_path)], env={**TERMINAL, "COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "[/]" in result.output
    assert "[-]" in result.output


# -- output that fits --------------------------------------------------------------------------


def _task_column_width(output: str) -> int:
    """The width of the Task column, read from the table's header row."""
    header = next(line for line in ANSI.sub("", output).splitlines() if "Task" in line and "┃" in line)
    return next(len(cell) for cell in header.split("┃") if cell.strip() == "Task")


def test_80_column_table_keeps_30_characters_of_task_text_with_a_connector_column(monkeypatch):
    monkeypatch.setenv("BRIDGE_CONNECTOR", "todoist")
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT)], env={**TERMINAL, "COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert all(len(line) <= 80 for line in ANSI.sub("", result.output).splitlines())
    assert _task_column_width(result.output) >= 30
    assert "Share role descriptions with Jason" in result.output  # 34 characters on one line


def test_a_wide_terminal_shows_every_column(monkeypatch):
    monkeypatch.setenv("BRIDGE_CONNECTOR", "todoist")
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT)], env={**TERMINAL, "COLUMNS": "200"})
    header = next(line for line in ANSI.sub("", result.output).splitlines() if "┃" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == [
        "Line", "", "Task", "Owner", "Due", "Priority", "Tags", "Group", "Connector"
    ]  # fmt: skip


def test_piped_tasks_are_tab_separated_rows_under_a_header(monkeypatch):
    monkeypatch.setenv("BRIDGE_CONNECTOR", "todoist")
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT)], env={"COLUMNS": "40"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == [
        "path", "line", "status", "task", "owner", "due", "priority", "tags", "group", "connector"
    ]  # fmt: skip
    assert len(lines) == 10  # one row per task, none wrapped
    assert "\x1b" not in result.stdout
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(row) == 10 for row in rows)
    share = next(row for row in rows if row[3].startswith("Share role"))
    assert share[3].endswith("intended technical counterpart role.")  # whole, at 40 columns
    assert (share[1], share[2], share[4], share[9]) == ("30", "?", "Lior Genzel", "todoist")


# -- filters -----------------------------------------------------------------------------------


def _listed(*args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_owner_filter_is_case_blind_and_takes_an_at_sign():
    assert {t["owner"] for t in _listed("--owner", "@myself")} == {"Myself"}
    assert len(_listed("--owner", "Myself")) == 3


def test_status_filter_by_status_type(tmp_path):
    (tmp_path / ".obsidian").mkdir()
    (tmp_path / "n.md").write_text("- [ ] A\n- [x] B\n- [-] C\n- [/] D\n- [?] E\n", encoding="utf-8")

    def described(*args: str) -> list[str]:
        result = CliRunner().invoke(app, ["tasks", str(tmp_path), "--json", *args])
        assert result.exit_code == 0, result.output
        return [t["description"] for t in json.loads(result.stdout)]

    assert described("--status", "open") == ["A", "D", "E"]
    assert described("--status", "done", "--status", "cancelled") == ["B", "C"]
    assert described("--status", "in-progress") == ["D"]
    assert described("--status", "proposed") == ["E"]


def test_due_before_tag_and_limit_filters():
    assert _listed("--due-before", "2025-10-26") == []
    assert len(_listed("--due-before", "2025-10-27")) == 9
    assert len(_listed("--tag", "#auto")) == 9
    assert _listed("--tag", "nosuch") == []
    limited = _listed("--limit", "2")
    assert [t["line"] for t in limited] == [28, 30]
    assert limited[0]["group"] is not None  # groups are formed over the whole vault


@pytest.mark.parametrize(
    ("args", "named"),
    [(["--due-before", "next week"], "--due-before"), (["--status", "finished"], "--status")],
)
def test_a_filter_value_that_cannot_be_used_is_a_usage_error(args, named):
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT), *args])
    assert result.exit_code == 2
    assert named in result.output


def test_filtered_table_says_how_many_were_left_out():
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT), "--owner", "Myself"], env=TERMINAL)
    assert "3 of 9 tasks shown" in result.stderr


# -- outside a vault ---------------------------------------------------------------------------


def test_a_folder_that_does_not_look_like_a_vault_gets_a_warning(tmp_path):
    (tmp_path / "readme.md").write_text("# Notes\nNo tasks here.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["tasks", str(tmp_path), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert "does not look like a vault" in result.stderr


@pytest.mark.parametrize("layout", ["obsidian", "tasks at the top"])
def test_a_vault_or_a_folder_of_task_notes_gets_no_warning(tmp_path, layout):
    if layout == "obsidian":
        (tmp_path / ".obsidian").mkdir()
    (tmp_path / "meeting.md").write_text("- [ ] Send the agenda\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["tasks", str(tmp_path), "--json"])
    assert result.exit_code == 0
    assert result.stderr == ""


def test_a_crawl_outside_a_vault_stops_after_many_notes_without_a_task(tmp_path, monkeypatch):
    monkeypatch.setattr(vault_check, "CRAWL_LIMIT", 5)
    for n in range(8):
        (tmp_path / f"n{n}.md").write_text("plain prose\n", encoding="utf-8")
    (tmp_path / "z.md").write_text("- [ ] Late task\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["tasks", str(tmp_path), "--json"])
    assert result.exit_code == 2
    assert "none of the first 5 notes holds a task; stopped" in result.stderr
    forced = CliRunner().invoke(app, ["tasks", str(tmp_path), "--json", "--force"])
    assert forced.exit_code == 0
    assert [t["description"] for t in json.loads(forced.stdout)] == ["Late task"]


def test_a_home_directory_is_refused_without_force(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "todo.md").write_text("- [ ] Buy milk\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["tasks", str(tmp_path)])
    assert result.exit_code == 2
    assert "home directory" in result.stderr
    assert CliRunner().invoke(app, ["tasks", str(tmp_path), "--force", "--json"]).exit_code == 0


# -- status ------------------------------------------------------------------------------------


def test_status_of_a_state_that_never_synced_says_so_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    result = CliRunner().invoke(app, ["status", "--vault", str(tmp_path)], env=TERMINAL)
    assert result.exit_code == 0, result.output
    assert "never synced" in result.output
    assert "bridge sync --dry-run" in result.output
    assert "┃" not in result.output  # no empty table


def test_status_of_a_state_never_synced_creates_neither_the_file_nor_its_folder(tmp_path, monkeypatch):
    state = tmp_path / "state" / "bridge.db"
    monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{state}")
    result = CliRunner().invoke(app, ["status", "--vault", str(tmp_path)], env=TERMINAL)
    assert result.exit_code == 0, result.output
    assert "never synced" in result.output
    assert f"state: sqlite:///{state}" in result.output
    result = CliRunner().invoke(app, ["inbox", "--vault", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    assert not state.parent.exists()


# -- the dry run -------------------------------------------------------------------------------


@pytest.fixture
def todoist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A Todoist emulator with the settings that reach it, as the only connector."""
    served = registry.load("todoist").emulator(EmulatorOptions(token="cli-test-token"))
    with serve_in_thread(served) as url:
        for name, value in {
            "TODOIST_API_TOKEN": "cli-test-token",
            "TODOIST_BASE_URL": url,
            "TODOIST_PROJECT": "Meetings",
            "BRIDGE_CONNECTOR": "todoist",
            "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        }.items():
            monkeypatch.setenv(name, value)
        yield served.state.emulator


def _sync(vault: Path, *args: str) -> str:
    """The report as piped, each line's leading timestamp taken off (all lines carry one)."""
    result = CliRunner().invoke(app, ["sync", "--vault", str(vault), *args], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines(keepends=True)
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d ", line) for line in lines)
    return "".join(line.partition(" ")[2] for line in lines)


def test_dry_run_names_the_project_and_the_new_tasks_fields(vault, todoist):
    out = _sync(vault, "--dry-run")
    lines = out.splitlines()
    assert lines[0] == "[dry run] would have: todoist: 6 created (0 linked, 1 request)"
    assert lines[1] == "  new tasks go to Todoist project 'Meetings', account alice@example.com"
    assert any(
        line.startswith("  create 'Share role descriptions with Jason Vallery")
        and line.endswith("(due 2025-10-26, @Lior Genzel, #task #proposed #auto) [" + EXAMPLE_NOTE + "]")
        for line in lines
    )  # one line each, not wrapped at 80 columns when piped


def test_dry_run_shows_old_and_new_values_and_the_note_lines_it_writes(vault, todoist):
    _sync(vault)
    note = vault / EXAMPLE_NOTE
    text = note.read_text(encoding="utf-8")
    note.write_text(text.replace("2025-10-26 #task", "2025-11-02 #task", 1), encoding="utf-8")
    first = next(rid for rid, task in todoist.tasks.items() if task["content"].startswith("Initiate"))
    todoist.complete(first)
    out = _sync(vault, "--dry-run")
    lines = text.split("\n")
    assert "todoist: 1 updated, 2 note lines written (9 linked, 1 request)" in out
    assert "due 2025-10-26 → 2025-11-02" in out
    assert "2025-10-26 → 2025-11-02 [" + EXAMPLE_NOTE + "]" in out
    for number in (28, 38):  # the two lines of the task completed in Todoist
        assert f"  {EXAMPLE_NOTE}:{number} '{lines[number - 1].strip()}' becomes done\n" in out
