"""Todoist emulator: creates through the Sync API, in batches of 100, must cost the same at any size.

The script serves the emulator on 127.0.0.1 and sends `--tasks` (default 20,000) `item_add`
commands, `--batch` (default 100) to a /sync request, half of them into the Inbox and half as
sub-tasks spread over a few parents (so several (project, section, parent) placements grow at
once). It prints the wall time of the first and the last half and their ratio: when a create
costs O(1), the ratio stays near 1; when each create scans every task, the last half costs about
three times the first. A report, not a test: it exits 1 only when a command fails.

Run:  python tests/benchmarks/bench_todoist_creates.py [--tasks 20000] [--batch 100]
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
from connectors.todoist.emulator import create_app

TOKEN = "bench-token-0123456789abcdef"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    app = create_app(TOKEN)
    with (
        serve_in_thread(app) as url,
        httpx.Client(
            base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
        ) as api,
    ):
        parents = []
        for n in range(4):
            answer = api.post("/tasks", json={"content": f"Parent {n}"}).raise_for_status().json()
            parents.append(answer["id"])
        batches: list[float] = []
        made = 0
        while made < args.tasks:
            commands = []
            for _ in range(min(args.batch, args.tasks - made)):
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
                return 1
        orders = sorted(t["child_order"] for t in app.state.emulator.tasks.values() if t["parent_id"] is None)
    half = len(batches) // 2
    first, last = sum(batches[:half]), sum(batches[half:])
    print(f"{made} creates in {len(batches)} /sync requests of {args.batch}: {first + last:.2f} s")
    print(f"first half {first:.2f} s, last half {last:.2f} s, last / first {last / first:.2f}")
    per_create = (first + last) / made * 1e6
    print(f"per create: {per_create:.0f} µs; Inbox child_order 1..{orders[-1]} ({len(orders)} tasks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
