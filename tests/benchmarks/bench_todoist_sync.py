"""Todoist emulator: CPU time of /sync requests of 100 `item_add` each, in process, without HTTP.

Why: a first sync of a large vault waits for the emulator's answer to each batch of creates, so
its CPU per create is part of the sync's wall time. The script builds an account with one project,
then times (`time.process_time`) `--requests` (default 1,000) form-encoded /sync bodies of 100
creates each, like the connector's (content, description, project, a label, priority, a due date),
each reading back the items, projects and collaborators changed since the last answer's token,
rendered as the /sync route does (`answer_sync` with the emulator's `JSONAnswer`, or, in a
checkout before it, Starlette's `JSONResponse`). Building the bodies is not timed. `--baseline
DIR` runs the same script with another checkout of task-bridge on PYTHONPATH, alternating with
this one, and prints both.

Run:  python tests/benchmarks/bench_todoist_sync.py [--requests 1000] [--repeat 3] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[2]
FORM = "application/x-www-form-urlencoded"
TYPES = '["items", "projects", "collaborators"]'


def _render(answer: dict[str, Any]) -> bytes:
    """What `starlette.responses.JSONResponse.render` does."""
    text = json.dumps(answer, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    return text.encode("utf-8")


def _token(answer: bytes) -> str:
    start = len(b'{"sync_token":"')
    return answer[start : answer.index(b'"', start)].decode()


def measure(requests: int) -> float:
    """CPU seconds for `requests` batches of 100 creates, with this interpreter's emulator."""
    from connectors.todoist.emulator import Emulator, sync  # the checkout on PYTHONPATH

    render = _render
    try:
        from connectors.todoist.emulator.render import JSONAnswer

        render = lambda answer: bytes(JSONAnswer(answer).body)  # noqa: E731
    except ImportError:  # a checkout before it: Starlette's JSONResponse, as `_render` writes it
        pass

    def answer(body: bytes) -> bytes:
        """As the /sync route answers: rendered under the lock, or (a checkout before
        `answer_sync`) the copy `handle_sync` gives, rendered."""
        if hasattr(sync, "answer_sync"):
            rendered: bytes = sync.answer_sync(em, FORM, body, None, render)
            return rendered
        return render(sync.handle_sync(em, FORM, body))

    em = Emulator()
    project = em.create_project("Bridge benchmark")["id"]
    bodies: list[bytes] = []
    for batch in range(requests):
        commands = []
        for n in range(batch * 100, batch * 100 + 100):
            args = {
                "content": f"Clean up the incident report with Lior for the Lisbon office, batch {n}",
                "description": f"From [note-{n:05}](obsidian://open?file=note-{n:05}.md)\n\nkey: {n:016x}",
                "project_id": project,
                "labels": ["task"],
                "priority": 1,
                "due": {"date": "2026-01-11"},
            }
            ids = {"uuid": str(uuid.UUID(int=n)), "temp_id": str(uuid.UUID(int=2**64 + n))}
            commands.append({"type": "item_add", **ids, "args": args})
        bodies.append(b"&" + urlencode({"resource_types": TYPES, "commands": json.dumps(commands)}).encode())
    first = urlencode({"sync_token": "*", "resource_types": '["items", "projects", "user"]'}).encode()
    token = _token(answer(first))
    start = time.process_time()
    for rest in bodies:
        token = _token(answer(b"sync_token=" + token.encode() + rest))
    return time.process_time() - start


def _run(source: Path, requests: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(source)}
    command = [sys.executable, __file__, "--requests", str(requests), "--once"]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=source)
    return float(out.stdout.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout, run alternately")
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        print(measure(args.requests))
        return 0
    sources = {"this checkout": REPO} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    times: dict[str, list[float]] = {name: [] for name in sources}
    for _ in range(args.repeat):
        for name, source in reversed(sources.items()):  # the baseline first in each round
            times[name].append(_run(source, args.requests))
    creates = args.requests * 100
    for name, seconds in times.items():
        median = statistics.median(seconds)
        runs = " ".join(f"{s:.2f}" for s in seconds)
        print(
            f"{name}: {median:.2f} s CPU for {creates} creates, "
            f"{median / creates * 1e6:.1f} µs a create (runs {runs})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
