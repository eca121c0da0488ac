"""How long the command takes to start: whole processes, wall time, medians over N runs.

Why: `bridge --help`, `bridge tasks --json` and a sync with nothing to do are run by hand and by
cron many times a day; on a small vault their time is almost all interpreter start-up and
imports, not work. This script measures, each as a new process with stdout to a pipe:

* `python -c pass`: the floor, the interpreter alone;
* `bridge --help`;
* `bridge tasks VAULT --json` on a vault of `--notes` notes (one task each by default);
* a no-op `bridge sync` of that vault against the Todoist emulator (started here, on 127.0.0.1,
  as `bridge emulator todoist`), after a first sync that created the tasks.

Python's bytecode of the bridge is cached (in a temporary folder, `PYTHONPYCACHEPREFIX`) as an
installed package's is, even when `PYTHONDONTWRITEBYTECODE` is set; `--no-bytecode` measures
with every module compiled from source on each run instead.

The rows are measured in turns (one run of each, then again), after a warm-up round, so that a
busy moment of a shared machine spreads over all of them. It is a report, not a test: the exit
status is 0 unless a command fails or the sync is not a no-op.

Run:  python tests/benchmarks/bench_startup.py [--repeat 15] [--notes 10] [--tasks-per-note 1]
      [--no-bytecode]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "bench-startup-token-0123456789"
OWNERS = ("Lior Genzel", "Ana Ruiz", "Kim Lee", "Sam Ode", "Jo Park")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sync import VERBS  # noqa: E402  (the same words as the sync benchmark's vaults)


def write_vault(folder: Path, notes: int, per_note: int) -> int:
    """A small vault of distinct open tasks; the number of tasks."""
    (folder / ".obsidian").mkdir(parents=True)
    count = 0
    for n in range(notes):
        lines = [f"# Meeting {n + 1}", "", "Notes of the day.", ""]
        for t in range(per_note):
            owner = OWNERS[(n + t) % len(OWNERS)]
            verb = VERBS[(n * per_note + t) % len(VERBS)]
            day = 1 + (n + t) % 28
            lines.append(f"- [ ] {verb} item {n}-{t} with the team @{owner} 📅 2030-03-{day:02d} #task")
            count += 1
        (folder / f"note-{n:03d}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return count


def bridge_command() -> list[str]:
    """The installed `bridge` script beside this interpreter, else `python -m bridge`."""
    script = Path(sys.executable).with_name("bridge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bridge"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def emulator(env: dict[str, str]) -> Iterator[str]:
    """A Todoist emulator in its own process; its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [*bridge_command(), "emulator", "todoist", "--port", str(port), "--token", TOKEN],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the emulator did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Wall time and CPU time (user + system) of one process, and its stdout; SystemExit when it
    fails. CPU time is less disturbed by other jobs on a shared machine than wall time."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu  # the emulator, still running, is not counted until it is reaped
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return elapsed, cpu, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs of each command (default 15)")
    parser.add_argument("--notes", type=int, default=10, help="notes in the vault (default 10)")
    parser.add_argument("--tasks-per-note", type=int, default=1, help="tasks in each note (default 1)")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="compile every module from source on each run"
    )
    args = parser.parse_args()

    bridge = bridge_command()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        vault = work / "vault"
        expected = write_vault(vault, args.notes, args.tasks_per_note)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "TODOIST_", "JIRA_"))}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
        env["HOME"] = str(work)  # the default state folder and the OAuth grant file stay in here
        env.pop("XDG_STATE_HOME", None)
        if args.no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        with emulator(env) as url:
            sync_env = {
                **env,
                "BRIDGE_VAULT": str(vault),
                "BRIDGE_CONNECTOR": "todoist",
                "BRIDGE_STATE_URL": f"sqlite:///{work / 'state.db'}",
                "TODOIST_API_TOKEN": TOKEN,
                "TODOIST_BASE_URL": url,
                "TODOIST_PROJECT": "Startup benchmark",
            }
            _, _, first = timed([*bridge, "sync", "--json"], sync_env, work)
            if json.loads(first)["created"] != expected:
                print(f"the first sync did not create {expected} tasks: {first}", file=sys.stderr)
                return 1
            rows: dict[str, tuple[list[str], dict[str, str]]] = {
                "python -c pass": ([sys.executable, "-c", "pass"], env),
                "bridge --help": ([*bridge, "--help"], env),
                f"bridge tasks --json ({args.notes} notes)": ([*bridge, "tasks", str(vault), "--json"], env),
                f"no-op bridge sync ({expected} tasks)": ([*bridge, "sync", "--json"], sync_env),
            }
            times: dict[str, list[float]] = {name: [] for name in rows}
            cpus: dict[str, list[float]] = {name: [] for name in rows}
            for round_ in range(args.repeat + 1):  # round 0 warms the caches and is not counted
                for name, (command, run_env) in rows.items():
                    elapsed, cpu, out = timed(command, run_env, work)
                    if name.startswith("bridge tasks") and len(json.loads(out)) != expected:
                        print(f"bridge tasks listed a wrong number of tasks: {out[:200]}", file=sys.stderr)
                        return 1
                    if name.startswith("no-op"):
                        report = json.loads(out)
                        if any(report[k] for k in ("created", "updated", "closed", "notes_written")):
                            print(f"the sync was not a no-op: {out[:400]}", file=sys.stderr)
                            return 1
                    if round_:
                        times[name].append(elapsed)
                        cpus[name].append(cpu)

    print(f"repeat {args.repeat}; vault {args.notes} notes x {args.tasks_per_note} tasks")
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()} ({sys.platform})")
    print(f"command: {' '.join(Path(part).name if '/' in part else part for part in bridge)}")
    print(f"bytecode: {'compiled on each run' if args.no_bytecode else 'cached'}")
    print()
    print(f"{'measurement':<34} {'median s':>9} {'min s':>8} {'median CPU s':>13}")
    for name, values in times.items():
        print(
            f"{name:<34} {statistics.median(values):>9.3f} {min(values):>8.3f}"
            f" {statistics.median(cpus[name]):>13.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
