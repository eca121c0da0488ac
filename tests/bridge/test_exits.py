"""Error and log lines on stderr: stamped like stdout's for cron and log files, plain at a terminal."""

from __future__ import annotations

import io
import logging
import re
import sys

import pytest

from bridge import logs
from bridge.exits import say

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d "


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("stream", "stamped"), [(io.StringIO, True), (Terminal, False)])
def test_an_error_line_starts_with_a_timestamp_unless_stderr_is_a_terminal(monkeypatch, stream, stamped):
    monkeypatch.setattr(sys, "argv", ["bridge"])
    monkeypatch.setattr(sys, "stderr", stream())
    say("no answer")
    written = sys.stderr.getvalue()
    assert re.fullmatch(f"{STAMP if stamped else ''}bridge: no answer\n", written), written


@pytest.mark.parametrize(("stream", "stamped"), [(io.StringIO, True), (Terminal, False)])
def test_a_log_line_is_stamped_as_error_lines_are(monkeypatch, stream, stamped):
    monkeypatch.setattr(sys, "stderr", stream())
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    logs.configure(verbose=False)
    logging.getLogger("bridge.keys").warning("unknown setting X")
    written = sys.stderr.getvalue()
    line = "WARNING bridge\\.keys: unknown setting X\n"
    assert re.fullmatch(f"{STAMP if stamped else ''}{line}", written), written
