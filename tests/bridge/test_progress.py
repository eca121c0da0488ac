"""The sync's progress bar: drawn on a terminal only once a run has taken a while."""

from __future__ import annotations

import io
import time

from rich.console import Console

from bridge.progress import BarProgress


def terminal() -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(file=screen, force_terminal=True, width=80), screen


def test_a_quick_run_draws_no_bar() -> None:
    console, screen = terminal()
    with BarProgress(console, show_after=0.3) as bar:
        bar.step("todoist: reading the tracker")
        bar.step("todoist: sending changes", total=3)
        bar.update(3, 3)
    time.sleep(0.4)  # past the wait: a timer that fired late must not draw either
    assert screen.getvalue() == ""


def test_a_long_run_draws_its_stage_and_clears_it() -> None:
    console, screen = terminal()
    with BarProgress(console, show_after=0.05) as bar:
        bar.step("todoist: sending changes", total=10)
        bar.update(4, 10)
        time.sleep(0.3)
    drawn = screen.getvalue()
    assert "todoist: sending changes" in drawn
    assert "4/10" in drawn
