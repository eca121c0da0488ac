"""A settled no-op sync (nothing pulled, the notes as when a plan had no step) imports neither the
planner nor the parser nor the write-back, nor the modules of classes only other commands or a
push make, and loads no TLS certificates for an http:// base URL; a sync that has to plan still
imports the planner. Each run is a process of its own, as cron starts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.connectors.todoist.conftest import TOKEN

PLANNING = (
    "bridge.plan",
    "bridge.parse",
    "bridge.occurrences",
    "bridge.line_edit",
    "bridge.lines",
    "bridge.matching",
    "bridge.writeback",
    "bridge.recurrence",
    "rapidfuzz",
    "dateutil",
    "concurrent.futures",
)
# Modules of dataclasses a no-op never uses (a dataclass's methods are compiled on every start).
RARELY_USED = ("bridge.connector_commands", "bridge.state_rows", "connectors.todoist.echoes")
RUN = (
    "import json, ssl, sys, runpy\n"
    "made = []\n"
    "real = ssl.create_default_context\n"
    "ssl.create_default_context = lambda *a, **k: made.append(a) or real(*a, **k)\n"
    "sys.argv = ['bridge', 'sync', '--json']\n"
    "try:\n    runpy.run_module('bridge', run_name='__main__')\n"
    "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
    "print(json.dumps({'modules': sorted(sys.modules), 'certificates': len(made)}))\n"
)


def _sync(env: dict[str, str], cwd: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """One `bridge sync --json` process: its report, and what it imported."""
    done = subprocess.run(
        [sys.executable, "-c", RUN], env=env, cwd=cwd, capture_output=True, text=True, check=True, timeout=120
    )
    *report, seen = done.stdout.strip().splitlines()
    return json.loads("\n".join(report)), json.loads(seen)


def test_a_settled_noop_sync_imports_no_planner_and_loads_no_certificates(emulator_url, tmp_path):
    vault = tmp_path / "vault"
    vault.mkdir()
    note = vault / "meeting.md"
    note.write_text("# Meeting\n\n- [ ] Send the deck @Ana 📅 2030-03-02 #task\n- [ ] Book the room\n")
    past = time.time() - 3600  # older than a stamp's two seconds: the next run may skip planning
    os.utime(note, (past, past))
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("BRIDGE_", "TODOIST_", "JIRA_"))}
    env |= {
        "HOME": str(tmp_path),
        "BRIDGE_VAULT": str(vault),
        "BRIDGE_CONNECTOR": "todoist",
        "BRIDGE_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        "TODOIST_API_TOKEN": TOKEN,
        "TODOIST_BASE_URL": emulator_url,
        "TODOIST_PROJECT": "Bridge",
    }
    first, imported = _sync(env, tmp_path)
    assert first["created"] == 2
    assert "bridge.plan" in imported["modules"]

    report, imported = _sync(env, tmp_path)
    assert (report["created"], report["updated"], report["closed"], report["notes_written"]) == (0, 0, 0, 0)
    assert report["requests"] == 1
    assert [m for m in imported["modules"] if m.partition(".")[0] in PLANNING or m in PLANNING] == []
    assert [m for m in imported["modules"] if m in RARELY_USED] == []
    assert imported["certificates"] == 0

    note.write_text(note.read_text() + "\nMore notes.\n")  # just written: too recent to skip planning
    again, imported = _sync(env, tmp_path)
    assert (again["created"], again["updated"], again["closed"]) == (0, 0, 0)
    assert "bridge.plan" in imported["modules"]
    assert imported["certificates"] == 0
