"""How fast `bridge tasks --json` reads a large vault, against the cheapest possible read of it.

Why: a vault is re-read on every sync, so parsing must stay within a small factor of merely
reading the files. This script generates a deterministic synthetic vault (Obsidian Tasks emoji
format, a third of the notes with Mac Roman mojibake, some with CRLF), then times, alternating
the order and repeating:

* the floor: a fresh Python process that reads every note and runs one line regex over it;
* bridge (cold): a fresh `bridge tasks VAULT --json` process with an empty parse cache, its JSON
  checked for the task count;
* bridge (warm): the same again on the unchanged vault, the cache the cold run wrote in place;
* in-process, for information: `bridge.vault.scan` against the same floor without start-up.

Each subprocess runs under a tiny wrapper so that its own peak RSS and CPU time can be read. It
is a report, not a test: the exit status is 0 unless bridge returns the wrong number of tasks.

`--baseline DIR` also times another checkout of task-bridge (on PYTHONPATH, with a parse cache
of its own), cold and warm, in the same rounds, alternating with this one, and checks that both
print the same bytes: on a shared machine only figures of one run compare.

Run:  python tests/benchmarks/bench_parse.py [--notes 2000] [--tasks-per-note 10] [--repeat 3]
          [--baseline DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20251026
RATIO_TARGET = 8.0  # cold
WARM_RATIO_TARGET = 4.0
RSS_TARGET_MB = 200.0

ENV_FLAGS = ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE")
FLOOR_RE = r"^\s*[-*+] \[.\] .*$"

# The floor, as a separate process: read every note, decode it, run one line regex, count.
FLOOR_CODE = f"""
import os, re, sys
line = re.compile({FLOOR_RE!r}, re.M).findall
count = 0
for folder, dirs, files in os.walk(sys.argv[1]):
    for name in files:
        if name.endswith(".md"):
            with open(os.path.join(folder, name), "rb") as handle:
                count += len(line(handle.read().decode("utf-8")))
print(count)
"""

# Runs argv[2:] with stdout to argv[1]; prints the child's wall time, CPU time (user + system),
# peak RSS (KiB) and exit status.
WRAPPER_CODE = """
import json, resource, subprocess, sys, time
with open(sys.argv[1], "wb") as out:
    start = time.perf_counter()
    rc = subprocess.run(sys.argv[2:], stdout=out, check=False).returncode
    wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps({"wall": wall, "cpu": cpu, "maxrss_kib": usage.ru_maxrss, "rc": rc}))
"""
REPO = Path(__file__).resolve().parents[2]

STATUSES = (" ", " ", " ", " ", "x", "x", "/", "-", "?")
PRIORITIES = ("🔺", "⏫", "🔼", "🔽", "⏬", "", "", "")
OWNERS = (
    "@Lior Genzel",
    "@Jason",
    "@Maya Cohen",
    "@Ana María Ruiz",
    "@priya",
    "@Tom O'Neill",
    "",
    "",
)
TAGS = ("#task", "#proposed", "#auto", "#meeting", "#followup", "#q4", "#ops/infra", "#hiring", "#risk")
VERBS = (
    "Share",
    "Review",
    "Draft",
    "Send",
    "Schedule",
    "Update",
    "Follow up on",
    "Prepare",
    "Confirm",
    "Clean up",
)
OBJECTS = (
    "role descriptions",
    "the quarterly budget",
    "the onboarding checklist",
    "meeting notes",
    "the migration plan",
    "vendor contracts",
    "the incident report",
    "release notes",
    "hiring pipeline",
    "the roadmap slides",
)
PEOPLE = ("Jason", "the team", "finance", "Lior", "legal", "the board", "Maya", "support")
PROSE = (
    "the project team discussed timelines and agreed that the next milestone depends on vendor "
    "feedback while several open questions about scope budget staffing and risk remain unresolved "
    "we reviewed last week's action items noted progress on documentation and decided to revisit "
    "the architecture proposal after the security review customers reported slower response "
    "times which may relate to the database upgrade planned for next month"
)
WORDS = tuple(PROSE.split())


def _mac_roman(text: str) -> str:
    """The mojibake spelling real notes store: UTF-8 bytes read as Mac Roman."""
    return text.encode("utf-8").decode("mac_roman")


def _date(rng: random.Random) -> str:
    return (dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(400))).isoformat()


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 22))
    return " ".join(words).capitalize() + "."


def _task_line(rng: random.Random, mojibake: bool) -> str:
    status = rng.choice(STATUSES)
    text = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} with {rng.choice(PEOPLE)}"
    fields: list[str] = []
    owner = rng.choice(OWNERS)
    if owner:
        fields.append(owner)
    if rng.random() < 0.8:
        fields.append(f"📅 {_date(rng)}")
    if rng.random() < 0.25:
        fields.append(f"⏳ {_date(rng)}")
    if rng.random() < 0.15:
        fields.append(f"🛫 {_date(rng)}")
    if rng.random() < 0.3:
        fields.append(f"➕ {_date(rng)}")
    if status == "x":
        fields.append(f"✅ {_date(rng)}")
    priority = rng.choice(PRIORITIES)
    if priority:
        fields.append(priority)
    fields.extend(rng.sample(TAGS, k=rng.randint(0, 3)))
    line = " ".join([text, *fields])
    if mojibake:
        line = "".join(_mac_roman(ch) if ord(ch) > 0x2000 else ch for ch in line)
    indent = "    " if rng.random() < 0.1 else ""
    return f"{indent}- [{status}] {line}"


def make_note(rng: random.Random, index: int, tasks_per_note: int, mojibake: bool) -> str:
    """One note of a few KB: front matter, heading, prose, plain bullets, a code block and the tasks."""
    day = dt.date(2024, 1, 1) + dt.timedelta(days=index % 700)
    lines = [
        "---",
        f"title: Meeting {index:05d}",
        f"date: {day.isoformat()}",
        "---",
        "",
        f"# Meeting {index:05d}: {rng.choice(OBJECTS)}",
        "",
    ]
    tasks = [_task_line(rng, mojibake) for _ in range(tasks_per_note)]
    half = tasks_per_note // 2
    for _ in range(rng.randint(3, 5)):
        lines += [" ".join(_sentence(rng) for _ in range(rng.randint(3, 6))), ""]
    lines += ["## Notes", ""]
    lines += [f"- {_sentence(rng)}" for _ in range(rng.randint(4, 8))]
    lines += ["", "## Action items", "", *tasks[:half], ""]
    lines += [
        "```python",
        "def summary(items: list[str]) -> str:",
        '    return ", ".join(sorted(items))',
        "```",
        "",
    ]
    lines += [" ".join(_sentence(rng) for _ in range(rng.randint(2, 5))), ""]
    lines += ["## Follow-ups", "", *tasks[half:], ""]
    lines += [f"* {_sentence(rng)}" for _ in range(rng.randint(2, 5))]
    lines += ["", " ".join(_sentence(rng) for _ in range(rng.randint(3, 6))), ""]
    return "\n".join(lines)


def make_vault(root: Path, notes: int, tasks_per_note: int) -> int:
    """Write the vault under `root` (100 notes a folder); returns its size in bytes."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not security
    total = 0
    for index in range(notes):
        mojibake = index % 3 == 0
        crlf = index % 5 == 1
        text = make_note(rng, index, tasks_per_note, mojibake)
        if crlf:
            text = text.replace("\n", "\r\n")
        folder = root / f"area-{index // 100:02d}"
        folder.mkdir(exist_ok=True)
        data = text.encode("utf-8")
        note = folder / f"note-{index:05d}.md"
        note.write_bytes(data)
        # an hour old, as notes are: the parse cache leaves out notes modified in the last seconds
        os.utime(note, (time.time() - 3600,) * 2)
        total += len(data)
    return total


@dataclass
class Runs:
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)

    @property
    def cpu(self) -> float | None:
        return statistics.median(self.cpus) if self.cpus else None

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def fastest(self) -> float:
        return min(self.walls)

    @property
    def peak_mb(self) -> float | None:
        return max(self.rss_kib) / 1024 if self.rss_kib else None


def run_child(argv: list[str], out: Path, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Run `argv` under the wrapper with stdout to `out`; its wall and CPU seconds and its own
    peak RSS (KiB)."""
    wrapper = subprocess.run(
        [sys.executable, "-c", WRAPPER_CODE, str(out), *argv],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    report = json.loads(wrapper.stdout)
    if report["rc"] != 0:
        raise RuntimeError(f"{argv[0]} exited with {report['rc']}: {wrapper.stderr.strip()}")
    return float(report["wall"]), float(report["cpu"]), int(report["maxrss_kib"])


def floor_in_process(vault: Path) -> int:
    line = re.compile(FLOOR_RE, re.M).findall
    count = 0
    for folder, _dirs, files in os.walk(vault):
        for name in files:
            if name.endswith(".md"):
                with open(os.path.join(folder, name), "rb") as handle:
                    count += len(line(handle.read().decode("utf-8")))
    return count


def scan_in_process(vault: Path) -> int:
    from bridge.vault import scan

    return len(scan(vault).tasks)


def _reversed_pairs(
    order: list[tuple[str, Callable[[], tuple[float, float, int]]]],
) -> list[tuple[str, Callable[[], tuple[float, float, int]]]]:
    """The order backwards, each checkout's cold run still just before its warm one."""
    pairs = [order[i : i + 2] for i in range(1, len(order), 2)]
    return [item for pair in reversed(pairs) for item in pair] + order[:1]


def timed(call: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    value = call()
    return time.perf_counter() - start, value


def _fmt_mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--tasks-per-note", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another task-bridge checkout, timed alongside")
    parser.add_argument("--cold-target", type=float, default=RATIO_TARGET, help="cold ratio target")
    parser.add_argument("--rss-target", type=float, default=RSS_TARGET_MB, help="peak RSS target, MB")
    args = parser.parse_args()
    expected = args.notes * args.tasks_per_note
    bridge_exe = Path(sys.executable).with_name("bridge")

    with tempfile.TemporaryDirectory(prefix="bench-vault-") as tmp:
        vault = Path(tmp, "vault")
        vault.mkdir()
        size = make_vault(vault, args.notes, args.tasks_per_note)
        out = Path(tmp, "out")
        print(
            f"vault: {args.notes} notes x {args.tasks_per_note} tasks, {size / 1_048_576:.1f} MiB "
            f"({size / args.notes / 1024:.1f} KiB a note); repeat {args.repeat}"
        )
        floor_argv = [sys.executable, "-c", FLOOR_CODE, str(vault)]
        bridge_argv = [str(bridge_exe), "tasks", str(vault), "--json"]
        # the children's parse cache, kept out of the user's own; each checkout has its own
        cache_home = Path(tmp, "cache")
        trees = {"bridge": REPO, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
        envs = {
            name: {**os.environ, "PYTHONPATH": str(tree), "XDG_CACHE_HOME": str(cache_home / name)}
            for name, tree in trees.items()
        }
        printed: dict[str, bytes] = {}

        def floor() -> tuple[float, float, int]:
            wall, cpu, rss = run_child(floor_argv, out)
            found = int(out.read_text().strip())
            if found != expected:
                print(f"note: the floor regex matched {found} lines, not {expected}")
            return wall, cpu, rss

        bad_count: list[int] = []
        differs: list[str] = []

        def bridge(name: str) -> tuple[float, float, int]:
            wall, cpu, rss = run_child(bridge_argv, out, envs[name])
            check(name)
            return wall, cpu, rss

        def cold(name: str) -> tuple[float, float, int]:
            shutil.rmtree(cache_home / name, ignore_errors=True)
            return bridge(name)

        def check(name: str) -> None:
            data = out.read_bytes()
            found = len(json.loads(data))
            if found != expected:
                bad_count.append(found)
            if printed.setdefault("output", data) != data:
                differs.append(name)

        # One untimed round warms the page cache and the byte-code caches of all.
        floor()
        for name in trees:
            cold(name)
            bridge(name)
        results = {"floor": Runs()}
        # the warm run always follows a run of its checkout that left the cache in place
        order: list[tuple[str, Callable[[], tuple[float, float, int]]]] = [("floor", floor)]
        for name in trees:
            results[f"{name} (cold)"] = Runs()
            results[f"{name} (warm)"] = Runs()
            order += [
                (f"{name} (cold)", lambda name=name: cold(name)),  # type: ignore[misc]
                (f"{name} (warm)", lambda name=name: bridge(name)),  # type: ignore[misc]
            ]
        for i in range(args.repeat):
            for name, run in order if i % 2 == 0 else _reversed_pairs(order):
                wall, cpu, rss = run()
                results[name].walls.append(wall)
                results[name].cpus.append(cpu)
                results[name].rss_kib.append(rss)

        inproc = {"floor (in-process)": Runs(), "scan (in-process)": Runs()}
        calls: list[tuple[str, Callable[[], int]]] = [
            ("floor (in-process)", lambda: floor_in_process(vault)),
            ("scan (in-process)", lambda: scan_in_process(vault)),
        ]
        for _name, call in calls:
            call()  # warm-up: imports, regex compilation
        for i in range(args.repeat):
            for name, call in calls if i % 2 == 0 else reversed(calls):
                wall, found = timed(call)
                inproc[name].walls.append(wall)
                if name.startswith("scan") and found != expected:
                    bad_count.append(found)

    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()} ({sys.platform})")
    # Both change what a child process costs: unbuffered stdout turns every JSON token into a
    # write(2), and without byte-code caching every import is compiled afresh.
    flags = [f"{name}={os.environ[name]}" for name in ENV_FLAGS if os.environ.get(name)]
    print(f"environment: {' '.join(flags) if flags else 'no ' + '/'.join(ENV_FLAGS)}")
    print()
    print(f"{'measurement':<22}{'median s':>10}{'min s':>10}{'CPU s':>10}{'peak RSS MB':>13}")
    for name, runs in [*results.items(), *inproc.items()]:
        print(
            f"{name:<22}{runs.median:>10.3f}{runs.fastest:>10.3f}{_fmt_s(runs.cpu):>10}"
            f"{_fmt_mb(runs.peak_mb):>13}"
        )
    print()
    if args.baseline:
        for kind in ("cold", "warm"):
            then = results[f"baseline ({kind})"].median / results["floor"].median
            print(f"ratio baseline/floor, {kind} (wall, median): {then:.2f}x")
        print(f"baseline output {'differs' if 'baseline' in differs else 'is identical'}")
    ratio = results["bridge (cold)"].median / results["floor"].median
    warm = results["bridge (warm)"].median / results["floor"].median
    inproc_ratio = inproc["scan (in-process)"].median / inproc["floor (in-process)"].median
    peak = max(results["bridge (cold)"].peak_mb or 0.0, results["bridge (warm)"].peak_mb or 0.0)
    print(f"ratio bridge/floor, cold (wall, median): {ratio:.2f}x  (in-process scan: {inproc_ratio:.2f}x)")
    print(f"ratio bridge/floor, warm (wall, median): {warm:.2f}x")
    print(f"target cold ratio <= {args.cold_target:g}: {'met' if ratio <= args.cold_target else 'NOT met'}")
    print(f"target warm ratio <= {WARM_RATIO_TARGET:g}: {'met' if warm <= WARM_RATIO_TARGET else 'NOT met'}")
    print(
        f"target bridge peak RSS < {args.rss_target:g} MB: {'met' if peak < args.rss_target else 'NOT met'}"
    )
    if differs:
        print(
            f"ERROR: {', '.join(sorted(set(differs)))} printed other bytes than the first run",
            file=sys.stderr,
        )
        return 1
    if bad_count:
        print(f"ERROR: bridge returned {sorted(set(bad_count))} tasks, expected {expected}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
