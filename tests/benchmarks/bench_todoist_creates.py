"""Todoist emulator: creates through the Sync API, in batches of 100, must cost the same at any size.

The script serves the emulator on 127.0.0.1 and sends `--tasks` (default 20,000) `item_add`
commands, `--batch` (default 100) to a /sync request, half of them into the Inbox and half as
sub-tasks spread over a few parents (so several (project, section, parent) placements grow at
once). It prints the wall time of the first and the last half and their ratio: when a create
costs O(1), the ratio stays near 1; when each create scans every task, the last half costs about
three times the first. `--before` first runs the same with every create scanning all tasks for
its order, as the emulator did before it remembered each placement's last order. A report, not
a test: it exits 1 only when a command fails.

Run:  python tests/benchmarks/bench_todoist_creates.py [--tasks 20000] [--batch 100] [--before]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from bridge.testing import serve_in_thread
from connectors.todoist.emulator import Emulator, create_app

TOKEN = "bench-token-0123456789abcdef"


def run(tasks: int, batch: int) -> tuple[list[float], int] | None:
    """The wall time of each /sync request of `batch` creates, and the Inbox's last order."""
    app = create_app(TOKEN)
    with (
        serve_in_thread(app) as url,
        httpx.Client(
            base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120
        ) as api,
    ):
        parents = []
        for n in range(4):
            answer = api.post("/tasks", json={"content": f"Parent {n}"}).raise_for_status().json()
            parents.append(answer["id"])
        batches: list[float] = []
        made = 0
        while made < tasks:
            commands = []
            for _ in range(min(batch, tasks - made)):
                extra = {"parent_id": parents[made % len(parents)]} if made % 2 else {}
                commands.append({
                    "type": "item_add", "uuid": str(uuid.uuid4()), "temp_id": str(uuid.uuid4()),
                    "args": {"content": f"Action item {made}", **extra},
                })  # fmt: skip
                made += 1
            start = time.perf_counter()
            answer = api.post("/sync", json={"commands": commands}).raise_for_status().json()
            batches.append(time.perf_counter() - start)
            if any(status != "ok" for status in answer["sync_status"].values()):
                print("a command failed:", answer["sync_status"])
                return None
        inbox = [t["child_order"] for t in app.state.emulator.tasks.values() if t["parent_id"] is None]
    return batches, max(inbox)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--before", action="store_true", help="first time creates that scan every task")
    args = parser.parse_args()

    modes = (
        ["scanning every task (before)", "remembered order (after)"] if args.before else ["remembered order"]
    )
    remembered = Emulator._next_top
    for mode in modes:
        if mode.startswith("scanning"):
            Emulator._next_top = Emulator._top_order  # type: ignore[method-assign]
        else:
            Emulator._next_top = remembered  # type: ignore[method-assign]
        result = run(args.tasks, args.batch)
        if result is None:
            return 1
        batches, last_order = result
        half = len(batches) // 2
        first, last = sum(batches[:half]), sum(batches[half:])
        print(f"{mode}: {args.tasks} creates in {len(batches)} /sync requests of {args.batch}")
        print(f"  total {first + last:.2f} s, {(first + last) / args.tasks * 1e6:.0f} µs a create")
        print(f"  first half {first:.2f} s, last half {last:.2f} s, last / first {last / first:.2f}")
        print(f"  last Inbox child_order {last_order}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
