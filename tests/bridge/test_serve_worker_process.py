"""The inbox worker in a process of its own, as `bridge serve` runs it, over real HTTP.

Applying a batch and answering requests then share no interpreter lock; the worker coordinates
with the server only through the state database (inbox rows, the writer lock), so `/metrics`
counts what it applied from the inbox rows it settled.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from bridge.config import BridgeSettings
from bridge.serve import Receiver, create_app
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import Emulator
from tests.bridge import test_serve as serving
from tests.bridge.test_serve import inbox, ticked, wait_for
from tests.bridge.test_serve_metrics import COMPLETED, complete, one, scrape, state

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
