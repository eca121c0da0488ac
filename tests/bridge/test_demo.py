"""`bridge demo`: the round trip a newcomer runs first, with no account and no network."""

from __future__ import annotations

import io
import subprocess
import sys

from rich.console import Console

from bridge.demo import example_vault, run_demo


def test_demo_creates_completes_and_writes_back():
    out = io.StringIO()
    run_demo(Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "todoist: 6 created" in text
    assert "2 note lines written" in text  # the completed task is a group of two lines
    assert text.count("+ - [x] ") == 2
    assert example_vault().is_dir()
    # the example note's emoji are mojibake: the demo says the ✅ it wrote is in that spelling
    assert "‚úÖ 20" in text
    assert "writes its own, `‚úÖ` for ✅, in the note's own spelling" in text


def test_demo_command_exits_0():
    result = subprocess.run(
        [sys.executable, "-m", "bridge", "demo"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "6 created" in result.stdout
