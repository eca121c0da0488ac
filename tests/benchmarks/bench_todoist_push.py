"""Todoist connector: the sync side's CPU time for the push of a first sync's creates.

The emulator runs in a process of its own (so its work is not counted); this process builds
`--tasks` create ops (default 10,000, fields like `bench_sync.make_vault`'s tasks: a due date,
a priority, a tag, an owner every few lines) and times `TodoistConnector.push` on a fresh account
with `time.process_time` (this process only: every thread of the sync side, none of the
emulator's) and the wall clock, `--repeat` times, each on an account of its own. It checks that
every create succeeded and that the cursor kept the last write's token.

Run:  python tests/benchmarks/bench_todoist_push.py [--tasks 10000] [--repeat 5]
With `PYTHONPATH=OTHER-CHECKOUT` the connector of that checkout is timed against this checkout's
emulator (`--emulator-path`, by default the checkout this script is in).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[2]
TOKEN = "bench-token-0123456789abcdef"

_SERVE = """
import sys
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import Emulator, create_app

app = create_app(sys.argv[1])
with serve_in_thread(app) as url:
    print(url, flush=True)
    for line in sys.stdin:  # a line: a fresh account; end of input: stop
        app.state.emulator = Emulator()
        print("ok", flush=True)
"""


def ops(tasks: int) -> list[object]:
    from bridge.connector import Fields, Op, OpKind
    from bridge.model import Priority, StatusType

    priorities = [None, Priority.HIGH, Priority.MEDIUM, Priority.LOW, Priority.HIGHEST]
    made = []
    for n in range(tasks):
        fields = Fields(
            f"Share role descriptions with Jason, item {n}",
            StatusType.TODO,
            due=f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}" if n % 3 else None,
            priority=priorities[n % len(priorities)],
            owner="Lior Genzel" if n % 7 == 0 else None,
            labels=("task",) if n % 2 else ("task", "work"),
            note_title=f"Note {n // 10}",
            path=f"notes/folder {n // 1000}/Note {n // 10}.md",
            vault="Vault",
        )
        made.append(Op(OpKind.CREATE, f"{n:016x}", f"00000000-0000-4000-8000-{n:012d}", fields))
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--emulator-path", type=Path, default=HERE)
    args = parser.parse_args()

    from connectors.todoist.connector import TodoistConnector
    from connectors.todoist.settings import TodoistSettings

    env = {**os.environ, "PYTHONPATH": str(args.emulator_path)}
    pipe = subprocess.PIPE
    command = [sys.executable, "-c", _SERVE, TOKEN]
    server = subprocess.Popen(command, env=env, stdin=pipe, stdout=pipe, text=True)
    assert server.stdin is not None
    assert server.stdout is not None
    try:
        url = server.stdout.readline().strip()
        work = ops(args.tasks)
        cpu: list[float] = []
        wall: list[float] = []
        for _ in range(args.repeat):
            server.stdin.write("\n")
            server.stdin.flush()
            server.stdout.readline()
            connector = TodoistConnector(TodoistSettings(api_token=TOKEN, base_url=url, project="Bridge"))
            try:
                cursor = connector.pull(None).cursor
                started, ticks = time.perf_counter(), time.process_time()
                pushed = connector.push(work)  # type: ignore[arg-type]
                cpu.append(time.process_time() - ticks)
                wall.append(time.perf_counter() - started)
            finally:
                connector.close()
            if not all(r.ok for r in pushed.results) or len(pushed.results) != len(work):
                print("a create failed")
                return 1
            if pushed.cursor == cursor:
                print("the cursor did not move")
                return 1
        print(f"{args.tasks} creates, {connector.requests - 1} write requests, {args.repeat} pushes")
        for name, runs in (("sync-side CPU s", cpu), ("wall s", wall)):
            each = ", ".join(f"{r:.3f}" for r in runs)
            print(f"{name + ':':<17}median {statistics.median(runs):.3f} ({each})")
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
