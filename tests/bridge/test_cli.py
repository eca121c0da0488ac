"""`bridge tasks`, as users and programs run it: the installed console script, stdout and stderr apart."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge import __version__
from bridge.cli import app
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


def test_table_for_people():
    result = CliRunner().invoke(app, ["tasks", str(EXAMPLE_VAULT)], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    assert "Share role descriptions" in result.output
    assert "9 tasks in 6 groups from 1 notes" in result.output


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
    result = CliRunner().invoke(app, ["tasks", str(tmp_path)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "[/]" in result.output
    assert "[-]" in result.output
