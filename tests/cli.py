"""The `bridge` command run as users run it: a child process, stdout and stderr apart.

Error paths are checked through it because the contract is about what a person sees: one line
`bridge: <message>` on stderr and an exit status, never a Python traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run_bridge(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m bridge ARGS` with the test's settings on top of the (cleaned) environment."""
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def error_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    """The one line the command printed on stderr, once the exit status is `status`; fails the
    test on a traceback or on anything else written to stderr."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = unstamped(lines[0])
    assert line.startswith("bridge: "), lines[0]
    assert result.returncode == status, result.stderr
    return line


_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d ")


def unstamped(line: str) -> str:
    """A stderr line without the timestamp it starts with when stderr is no terminal (a pipe here)."""
    return _STAMP.sub("", line, count=1)


def stderr_lines(text: str) -> list[str]:
    """Lines written to stderr, each without its timestamp."""
    return [unstamped(line) for line in text.splitlines()]
