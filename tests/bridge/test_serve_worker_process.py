"""The inbox worker in a process of its own, as `bridge serve` runs it, over real HTTP.

Applying a batch and answering requests then share no interpreter lock; the worker coordinates
with the server only through the state database (inbox rows, the writer lock), so `/metrics`
counts what it applied from the inbox rows it settled.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bridge.config import BridgeSettings
from bridge.serve import Receiver, create_app
from bridge.state import _gone
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import Emulator
from tests.bridge import test_serve as serving
from tests.bridge.test_serve import inbox, ticked, wait_for
from tests.bridge.test_serve_metrics import COMPLETED, complete, one, scrape, state
from tests.connectors.webhook_load import ReceiverProcess, prepare

tracker = serving.tracker
synced = serving.synced


def test_a_worker_process_applies_and_metrics_count_from_the_inbox(vault: Path, synced: Emulator) -> None:
    app = create_app(BridgeSettings(vault=vault), vault, worker_process=True)
    receiver: Receiver = app.state.receiver
    receiver.start(process=True)  # what the app's lifespan does under `bridge serve`
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        process = receiver._process
        assert process is not None
        assert process.is_alive()
        assert process.pid != os.getpid()
        assert receiver.worker.split(":")[1] == str(process.pid)
        before = len(ticked(vault))
        for index, text in enumerate(COMPLETED):
            complete(client, synced, text, f"p-{index}")
        assert wait_for(lambda: inbox(vault) == {"done": 3}, timeout=10)
        assert len(ticked(vault)) == before + 4  # the first task is a group of two lines
        figures = scrape(client)
        assert one(figures, "bridge_deliveries_received_total", connector="todoist") == 3
        assert one(figures, "bridge_deliveries_applied_total", connector="todoist") == 3
        assert one(figures, "bridge_deliveries_settled_total", connector="todoist", outcome="applied") == 3
        assert one(figures, "bridge_delivery_apply_seconds_count", connector="todoist") == 3
        assert 0 < one(figures, "bridge_delivery_apply_seconds_sum", connector="todoist") < 30
        with state(vault) as store:  # what the histogram was counted from
            rows = store.settled_by(receiver.worker, [60.0])
        assert [(r[0], r[1], r[2], r[4]) for r in rows] == [("todoist", "applied", 3, [3])]
    receiver.stop()
    # Asked to stop, the worker ended its loop on its own: exit code 0, not terminated.
    assert not process.is_alive()
    assert process.exitcode == 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_the_worker_process_dies_with_a_killed_server(tmp_path: Path) -> None:
    """kill -9 of `bridge serve` takes its worker too, as it would a thread: a worker outliving
    its server would race the restarted server's worker, holding claims under a live pid."""
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    load = prepare(tmp_path, state_url, events=1, copies=0)
    receiver = ReceiverProcess(load.vault, state_url, tmp_path / "serve.log")
    receiver.start()
    assert receiver.process is not None
    workers = [
        c
        for c in _children(receiver.process.pid)
        if b"resource_tracker" not in Path(f"/proc/{c}/cmdline").read_bytes()
    ]
    assert len(workers) == 1, workers
    (worker,) = workers
    assert _running(worker)
    receiver.kill()
    deadline = time.monotonic() + 0.5  # at once: not at its next look at the parent (up to 1 s)
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _running(worker)


def test_a_zombie_worker_counts_as_gone() -> None:
    """An exited worker nobody reaped (its server died first, and in a container the new parent
    may never reap) answers kill(pid, 0): its claims must still be taken back at once."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while _running(child.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert Path(f"/proc/{child.pid}").exists()  # exited, not reaped: a zombie
        assert _gone(f"{os.uname().nodename}:{child.pid}:w")
        assert not _gone(f"{os.uname().nodename}:{os.getpid()}:w")
    finally:
        child.wait()
    assert _gone(f"{os.uname().nodename}:{child.pid}:w")
