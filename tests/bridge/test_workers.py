"""Worker processes of a cold listing or sync never outlive the run that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Starts the workers as a cold run does, has each say its process id, then waits to be killed.
SCRIPT = """
import os, sys, time
from bridge.workers import InOrder

def pid(notes):
    time.sleep(0.2)
    return [os.getpid() for _ in notes]

parsing = InOrder(print, print, len, after=1, workers=2, batch=1, in_flight=8)
parsing.start()
pids = {parsing.pool.submit(pid, [("", "a.md")]).result()[0] for _ in range(6)}
print(" ".join(map(str, sorted(pids))), flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie not yet reaped by init is gone too
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ")[-1][0] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_their_run_is_killed_outright() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True, env=env) as run:
        assert run.stdout is not None
        workers = [int(pid) for pid in run.stdout.readline().split()]
        assert workers
        assert all(_alive(pid) for pid in workers)
        run.send_signal(signal.SIGKILL)
        run.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
