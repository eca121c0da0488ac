"""A first sync's writes to its state, timed apart from the rest of the sync.

Why: a first sync of a large vault marks each create pending, copies each base once the tracker
answered, commits the bases, links and settled creates, and saves the parse cache; those parts
are small in a whole run's noise. The script runs one real first sync (the sync benchmark's
vault, the Todoist emulator) with the checkout given, reads back what it committed (bases, links,
cursor, report, the parse cache's rows) and, in this process, on a new SQLite state each round,
times with the checkout on `sys.path`: `_mark_pending` on one create an op, each base copied as
`apply_plan` copies it (from an answer that echoed the task), `commit_sync`, `save_files` and
the state's close. CPU (process time) and wall time of each part, each round.

Run:  python tests/benchmarks/bench_state_writes.py [--tasks 100000] [--rounds 3] [--source DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TOKEN = "bench-token-0123456789abcdef"


def _first_sync(tasks: int, tmp: Path) -> Path:
    from bridge.testing import serve_in_thread
    from connectors.todoist.emulator import create_app
    from tests.benchmarks.bench_sync import make_vault

    vault = tmp / "vault"
    vault.mkdir()
    make_vault(vault, tasks, 10, age_seconds=3600)
    state = tmp / "first.db"
    app = create_app(TOKEN)
    em = app.state.emulator
    em.latency = 0.0
    em.full_sync_limit = em.partial_sync_limit = None
    with serve_in_thread(app) as url:
        env = dict(
            os.environ,
            BRIDGE_VAULT=str(vault),
            BRIDGE_STATE_URL=f"sqlite:///{state}",
            TODOIST_API_TOKEN=TOKEN,
            TODOIST_BASE_URL=url,
            TODOIST_PROJECT="Bench",
            PYTHONPATH=str(REPO),
        )
        argv = [sys.executable, "-m", "bridge", "sync", "--json", "--connector", "todoist"]
        subprocess.run(argv, env=env, cwd=REPO, capture_output=True, check=True)
    return state


def _round(inputs: dict[str, Any], path: Path) -> dict[str, tuple[float, float]]:
    from bridge import apply
    from bridge.apply import _mark_pending
    from bridge.connector import Op, OpKind, OpResult, RemoteTask
    from bridge.copies import replaced
    from bridge.state import Store

    bases, rng = inputs["bases"], random.Random(5)  # noqa: S311 - generated tokens
    ops = [Op(OpKind.CREATE, b.ref, str(uuid.UUID(int=rng.getrandbits(128))), b.fields) for b in bases]
    store = Store.open(f"sqlite:///{path}")
    out: dict[str, tuple[float, float]] = {}

    def timed(name: str, run: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        made = run()
        out[name] = (round(time.process_time() - cpu, 3), round(time.perf_counter() - wall, 3))
        return made

    timed("mark", lambda: _mark_pending(ops, [], store, "todoist"))
    # each create's answer as the tracker echoed it (Todoist's answers show the task made)
    answers = [
        [
            OpResult(
                op.token, True, b.remote_id, seen=RemoteTask(b.remote_id, b.remote_status, b.remote_updated)
            )
        ]
        for op, b in zip(ops, bases, strict=True)
    ]
    if hasattr(apply, "_linked"):
        made = timed(
            "copy", lambda: [apply._linked(b, b.remote_id, a) for b, a in zip(bases, answers, strict=True)]
        )
    else:  # a checkout from before `_linked`: its expression in `apply_plan`
        made = timed(
            "copy",
            lambda: [
                replaced(b, remote_id=b.remote_id, **apply._echoed(b, a))
                for b, a in zip(bases, answers, strict=True)
            ],
        )
    refs = [b.ref for b in bases]
    timed(
        "commit",
        lambda: store.commit_sync(
            "todoist",
            bases=made,
            links=inputs["links"],
            cursor=inputs["cursor"],
            report=inputs["report"],
            settled=refs,
        ),
    )
    timed("files", lambda: store.save_files(inputs["vault"], inputs["files"], []))
    timed("close", store.close)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--source", type=Path, default=REPO, help="the checkout whose code is timed")
    args = parser.parse_args()
    sys.path.insert(0, str(args.source.resolve()))
    sys.path.insert(1, str(REPO))
    from bridge.state import Store

    with tempfile.TemporaryDirectory(prefix="bench-state-") as tmp:
        first = _first_sync(args.tasks, Path(tmp))
        with Store.open(f"sqlite:///{first}") as store:
            vault = store.db.execute("SELECT DISTINCT vault FROM files").rows[0][0]
            inputs = {
                "bases": list(store.bases("todoist").values()),
                "links": store.links("todoist"),
                "cursor": store.cursor("todoist"),
                "report": store.runs()["todoist"][1],
                "vault": vault,
                "files": list(store.cached_files(vault).values()),
            }
        for i in range(args.rounds):
            path = Path(tmp, f"round-{i}.db")
            print(json.dumps(_round(inputs, path)), flush=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
