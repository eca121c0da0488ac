"""docs/first-run.md is produced by running its commands: the script that writes it must still
run them all with the exit statuses the page shows, and leave no path of the machine in it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    not (Path(sys.executable).parent / "task-bridge").exists(),
    reason="needs the installed task-bridge script",
)
@pytest.mark.skipif(
    not (shutil.which("script") and shutil.which("curl")), reason="needs util-linux script and curl"
)
def test_the_first_run_page_is_still_what_the_commands_print(tmp_path: Path) -> None:
    page = tmp_path / "first-run.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "first_run.py"), "--no-install", "--out", str(page)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = page.read_text(encoding="utf-8")
    for machine in (tempfile.gettempdir() + "/", str(ROOT), str(Path.home())):
        assert machine not in text
    for said in (
        "did you mean TODOIST_PROJECT?",
        "[dry run] would have: todoist: 6 created (0 linked, 1 request)",
        "todoist: 6 created (9 linked, 2 requests)",
        "todoist: 2 note lines written (9 linked, 1 request)",
    ):
        assert said in text
    assert text.rstrip().endswith("exit status 0")  # --quiet: nothing printed before it
