"""One sync settles a messy vault, and the next does nothing: figures for Todoist and Jira.

Why: clean benchmark vaults (every task open, distinct, one line each) hid a sync that did not
settle on real ones. This script generates a vault shaped like a real export of weekly meeting
notes (`tests/vaults.py`: carried items, near-duplicates, the same sentence for two people, done
history, mojibake, Dataview, code fences, an impossible date), serves each emulator on 127.0.0.1,
and for each tracker measures in one process:

1. the first sync (creates the open action items);
2. a second sync with nothing touched on either side: it must do nothing (0 created, updated,
   closed, reopened, written) and leave every note byte-identical;
3. a week of use: some tasks completed in the tracker, some boxes ticked in the notes, a new
   meeting note that carries open items forward; then one sync;
4. one more sync with nothing touched: again nothing, notes byte-identical.

Exit status 1 when a sync that should do nothing did something, or a sync failed a task.

Run:  python tests/benchmarks/bench_messy.py [--notes 2000] [--tracker todoist|jira|both]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from bridge.apply import Report
from bridge.config import BridgeSettings
from bridge.parse import parse_line
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from bridge.vault import scan
from connectors.jira.emulator import JiraEmulator
from connectors.jira.emulator import create_app as jira_app
from connectors.todoist.emulator import Emulator
from connectors.todoist.emulator import create_app as todoist_app
from tests.vaults import PEOPLE, messy_vault

TOKEN = "bench-token-0123456789abcdef"
EMAIL = "bench@example.com"
SEED = 20261203


@dataclass
class Row:
    step: str
    seconds: float
    requests: int
    report: Report
    same_bytes: bool


def digest(vault: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(vault.rglob("*.md")))).hexdigest()


def writes(report: Report) -> int:
    return report.created + report.updated + report.closed + report.reopened + report.notes_written


def tick_lines(vault: Path, share: float, rng: random.Random) -> int:
    """Tick `share` of the open task lines, as a person in Obsidian would (status character only)."""
    ticked = 0
    for path in sorted(vault.rglob("*.md")):
        data = path.read_bytes()
        lines = data.split(b"\n")
        changed = False
        for i, raw in enumerate(lines):
            text = raw.decode("utf-8", "surrogateescape")
            parsed = parse_line(text.rstrip("\r"))
            if parsed is None or parsed.status not in " ?/" or rng.random() >= share:
                continue
            at = len(text[: parsed.status_at].encode("utf-8", "surrogateescape"))
            lines[i] = raw[:at] + b"x" + raw[at + 1 :]
            ticked += 1
            changed = True
        if changed:
            path.write_bytes(b"\n".join(lines))
    return ticked


def carry_forward(vault: Path) -> None:
    """Next week's note of one series: the open items of its latest note, carried forward."""
    folder = sorted(p for p in vault.iterdir() if p.is_dir())[0]
    latest = sorted(folder.glob("*.md"))[-1]
    open_lines = [
        line
        for line in latest.read_text(encoding="utf-8").splitlines()
        if (parsed := parse_line(line)) is not None and parsed.status in " ?/"
    ]
    note = ["# Next week", "", "## Carried over", *open_lines, ""]
    (folder / "9999-01-01 next week.md").write_text("\n".join(note), encoding="utf-8")


class Tracker:
    """Starts one emulator and acts in it as a person would."""

    def __init__(self, name: str) -> None:
        self.name = name
        if name == "todoist":
            self.app = todoist_app(TOKEN)
        else:
            self.app = jira_app(mode="cloud", email=EMAIL, token=TOKEN)
            for person in PEOPLE[1:]:  # the team has Jira accounts, so owners are assigned
                self.app.state.emulator.add_user(
                    person, email=f"{person.lower().replace(' ', '.')}@example.com"
                )

    def env(self, url: str) -> dict[str, str]:
        if self.name == "todoist":
            return {"TODOIST_API_TOKEN": TOKEN, "TODOIST_BASE_URL": url, "TODOIST_PROJECT": "Meetings"}
        return {"JIRA_URL": url, "JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": TOKEN, "JIRA_PROJECT": "BRIDGE"}

    def requests(self) -> int:
        return len(self.app.state.emulator.request_log)

    def complete_some(self, share: float, rng: random.Random) -> int:
        em: Any = self.app.state.emulator
        if isinstance(em, Emulator):
            ids = [i for i, t in em.tasks.items() if not t["checked"] and not t["is_deleted"]]
        else:
            assert isinstance(em, JiraEmulator)
            ids = [i.id for i in em.issues.values() if i.status.category != "done"]
        chosen = [i for i in ids if rng.random() < share]
        for rid in chosen:
            em.complete(rid)
        return len(chosen)


def run(tracker: Tracker, notes: int, share: float) -> tuple[list[Row], list[str], dict[str, Any]]:
    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not security
    problems: list[str] = []
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-messy-") as tmp, serve_in_thread(tracker.app) as url:
        vault = Path(tmp, "vault")
        messy_vault(vault, notes, seed=SEED)
        shape = scan(vault)
        facts = {
            "notes": notes,
            "lines": len(shape.tasks),
            "groups": len({g or t.key for t, g in zip(shape.tasks, shape.groups, strict=True)}),
            "diagnostics": len(shape.diagnostics),
        }
        os.environ.update(tracker.env(url), BRIDGE_STATE_URL=f"sqlite:///{Path(tmp, 'state.db')}")

        def step(name: str, expect_nothing: bool) -> Row:
            before, sent = digest(vault), tracker.requests()
            started = time.perf_counter()
            report = run_sync(BridgeSettings(vault=vault, _env_file=None), connector_name=tracker.name).report
            row = Row(
                name,
                time.perf_counter() - started,
                tracker.requests() - sent,
                report,
                digest(vault) == before,
            )
            rows.append(row)
            if report.failed or report.errors:
                problems.append(f"{tracker.name}: {name}: {report.failed} failed {report.errors[:3]}")
            if expect_nothing and (writes(report) or not row.same_bytes):
                problems.append(f"{tracker.name}: {name} was not a no-op: {report.to_json()}")
            return row

        step("first sync", False)
        step("second sync, nothing touched", True)
        facts["completed in tracker"] = tracker.complete_some(share, rng)
        facts["ticked in notes"] = tick_lines(vault, share, rng)
        carry_forward(vault)
        step("after a week of use", False)
        step("next sync, nothing touched", True)
    for name in tracker.env("").keys() | {"BRIDGE_STATE_URL"}:
        os.environ.pop(name, None)
    return rows, problems, facts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--tracker", choices=("todoist", "jira", "both"), default="both")
    parser.add_argument("--share", type=float, default=0.05, help="of tasks completed / boxes ticked")
    args = parser.parse_args()
    for name in [n for n in os.environ if n.startswith(("BRIDGE_", "TODOIST_", "JIRA_"))]:
        del os.environ[name]
    names = ("todoist", "jira") if args.tracker == "both" else (args.tracker,)
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")
    problems: list[str] = []
    for name in names:
        rows, found, facts = run(Tracker(name), args.notes, args.share)
        problems += found
        print(f"\n{name}: " + ", ".join(f"{k} {v:,}" for k, v in facts.items()))
        print(
            f"{'step':<30}{'seconds':>9}{'requests':>10}{'created':>9}{'updated':>9}{'closed':>8}"
            f"{'reopened':>10}{'written':>9}{'notes same':>12}"
        )
        for r in rows:
            rep = r.report
            same = "yes" if r.same_bytes else "no"
            print(
                f"{r.step:<30}{r.seconds:>9.2f}{r.requests:>10}{rep.created:>9}{rep.updated:>9}"
                f"{rep.closed:>8}{rep.reopened:>10}{rep.notes_written:>9}{same:>12}"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of this process: {peak:.0f} MB")
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    print("all no-op syncs did nothing" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
