"""What a sync with nothing to do costs on a large vault: wall time, peak memory, state size.

Why: a vault is synced often (cron, a hotkey) and mostly nothing changed, so a no-op sync must
cost about a stat per note, whatever the vault's size. The script generates the sync benchmark's
vault (`bench_sync.make_vault`: open, distinct tasks, ten a note), serves the Todoist emulator on
127.0.0.1 with no latency, and runs `bridge sync --json` as whole processes (as a user would):

* the first sync (creates every task);
* the first no-op sync after it (the tracker's incremental read then answers with what the first
  sync created, unless the connector skipped past its own writes);
* a second and a third no-op sync (a run after one that planned nothing need not plan).

For each: wall time, the sync process's CPU time (user + system: the figure to compare on a
busy machine), the emulator's CPU time (it runs in this process), peak RSS of the sync process,
the state database's size after it, the requests it sent, the tasks the emulator's answers to its
reads listed (`pulled`), and whether its report is a no-op. `--profile` runs the
no-op syncs under cProfile and prints where the time goes. A report, not a test: the exit status
is 1 only when a no-op sync changed something or the first sync did not create every task.

Run:  python tests/benchmarks/bench_noop.py [--tasks 10000 100000] [--profile] [--source DIR]

`--source DIR` runs the syncs with another checkout of task-bridge on PYTHONPATH (a baseline).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from bridge.testing import serve_in_thread
from connectors.todoist.emulator import Emulator, create_app
from connectors.todoist.emulator import app as emulator_app
from tests.benchmarks.bench_sync import make_vault

TOKEN = "bench-token-0123456789abcdef"
PROJECT = "Bridge benchmark"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    name: str
    wall: float
    cpu: float
    emulator_cpu: float
    pulled: int
    rss_mb: float
    state_mb: float
    report: dict[str, Any]


def _measured(env: dict[str, str], profile: Path | None) -> tuple[float, float, float, dict[str, Any], str]:
    """Run the sync from a helper process, so that RUSAGE_CHILDREN's peak is this sync's alone."""
    helper = (
        "import json, resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "wall = time.perf_counter() - start\n"
        "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "rss, cpu = use.ru_maxrss / 1024, use.ru_utime + use.ru_stime\n"
        "out, err = p.stdout.decode(), p.stderr.decode()\n"
        "print(json.dumps({'wall': wall, 'cpu': cpu, 'rss': rss, 'out': out, 'err': err}))\n"
    )
    argv = [sys.executable]
    if profile is not None:
        argv += ["-m", "cProfile", "-o", str(profile)]
    argv += ["-m", "bridge", "sync", "--json", "--connector", "todoist"]
    # run from the checkout: `python -m` puts the working folder first on sys.path
    done = subprocess.run(
        [sys.executable, "-c", helper, *argv], env=env, cwd=env["PYTHONPATH"], capture_output=True, check=True
    )
    got = json.loads(done.stdout)
    try:
        report = json.loads(got["out"])
    except ValueError:
        report = {"error": got["out"][-500:] + got["err"][-2000:]}
    return float(got["wall"]), float(got["cpu"]), float(got["rss"]), report, str(got["err"])


def _noop(report: dict[str, Any]) -> bool:
    counts = ("created", "updated", "closed", "reopened", "deleted", "notes_written", "failed")
    return not any(report.get(k) for k in counts) and not report.get("errors")


def _top(profile: Path, lines: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(str(profile), stream=out)
    stats.sort_stats("cumulative").print_stats(lines)
    return out.getvalue()


def measure(
    tasks: int, source: Path, profile: bool, keep: Path | None, profile_first: bool = False
) -> tuple[list[Run], list[str]]:
    problems: list[str] = []
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-noop-") as tmp:
        vault = Path(tmp, "vault").resolve()
        vault.mkdir()
        make_vault(vault, tasks, 10, age_seconds=3600)
        state = Path(tmp, "state.db")
        app = create_app(TOKEN)
        em: Emulator = app.state.emulator
        em.latency = 0.0
        em.full_sync_limit = em.partial_sync_limit = None  # a 100k first sync sends 1,000 writes
        pulled = [0]
        answer = emulator_app.answer_sync

        def counted(em: Emulator, content_type: str, body: bytes, parsed: Any, respond: Any) -> Any:
            def counting(out: dict[str, Any]) -> Any:
                if "sync_status" not in out:  # a read, not a write
                    pulled[0] += len(out.get("items", []))
                return respond(out)

            return answer(em, content_type, body, parsed, counting)

        emulator_app.answer_sync = counted
        with serve_in_thread(app) as url:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "TODOIST_", "PYTHON"))}
            env.update(
                PYTHONPATH=str(source),
                BRIDGE_VAULT=str(vault),
                BRIDGE_STATE_URL=f"sqlite:///{state}",
                TODOIST_API_TOKEN=TOKEN,
                TODOIST_BASE_URL=url,
                TODOIST_PROJECT=PROJECT,
            )
            for name in ("first sync", "first no-op", "second no-op", "third no-op"):
                profiled = profile_first if name == "first sync" else profile
                prof = Path(tmp, f"{name}.prof") if profiled else None
                pulled[0], before = 0, time.process_time()
                wall, cpu, rss, report, err = _measured(env, prof)
                emulator_cpu = time.process_time() - before
                size = sum(p.stat().st_size for p in state.parent.glob(state.name + "*")) / 1e6
                runs.append(Run(name, wall, cpu, emulator_cpu, pulled[0], rss, size, report))
                if name == "first sync" and report.get("created") != tasks:
                    problems.append(f"first sync created {report.get('created')} of {tasks}: {err[-2000:]}")
                if name != "first sync" and not _noop(report):
                    problems.append(f"{name} changed something: {report}")
                if prof is not None:
                    print(f"--- {tasks} tasks, {name}: cProfile, by cumulative time ---")
                    print(_top(prof, 40))
                    if keep is not None:
                        keep.mkdir(parents=True, exist_ok=True)
                        (keep / f"{tasks}-{name.replace(' ', '-')}.prof").write_bytes(prof.read_bytes())
    return runs, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, nargs="+", default=[10_000])
    parser.add_argument("--profile", action="store_true", help="profile the no-op syncs (cProfile)")
    parser.add_argument("--profile-first", action="store_true", help="profile the first sync (cProfile)")
    parser.add_argument("--keep-profiles", type=Path, default=None, help="copy the .prof files here")
    parser.add_argument("--source", type=Path, default=REPO, help="the task-bridge checkout to run")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()} ({platform.platform()})")
    print(f"source: {'this checkout' if args.source.resolve() == REPO else args.source}")
    problems: list[str] = []
    print(
        f"{'tasks':>8} {'step':<14}{'wall s':>9}{'cpu s':>8}{'emulator cpu s':>16}{'peak RSS MB':>13}"
        f"{'state MB':>10}{'requests':>10}{'pulled':>8}  no-op"
    )
    for tasks in args.tasks:
        runs, found = measure(
            tasks, args.source.resolve(), args.profile, args.keep_profiles, args.profile_first
        )
        problems += found
        for run in runs:
            noop = "-" if run.name == "first sync" else ("yes" if _noop(run.report) else "NO")
            print(
                f"{tasks:>8} {run.name:<14}{run.wall:>9.2f}{run.cpu:>8.2f}{run.emulator_cpu:>16.2f}"
                f"{run.rss_mb:>13.0f}{run.state_mb:>10.1f}{run.report.get('requests', '?')!s:>10}"
                f"{run.pulled:>8}  {noop}"
            )
        sys.stdout.flush()
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
