"""Near-duplicate grouping of one large bucket: the pairwise reference against `group_tasks`.

One note of `--lines` action items (default 4,000), all of one owner and one due date, so every
line lands in one (note, owner, due) bucket; the sentences are those of the messy-vault generator
(`tests/vaults.py`), some reworded. The script parses it once, then times, in one process and
alternating, the former pairwise grouping (kept as the reference in tests/bridge/test_groups_fast.py)
and `bridge.groups.group_tasks`, checks that they agree, and prints the medians. A report, not a
test: it exits 1 only when the two disagree.

`--unrelated` makes every sentence six random words instead, no two alike: no line joins another,
so no pair is skipped for being in one group already and the candidate bounds do all the work.

Run:  python tests/benchmarks/bench_groups.py [--lines 4000] [--repeat 3] [--unrelated]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from bridge.groups import GroupPolicy, group_tasks
from bridge.parse import parse_note
from tests.bridge.test_groups_fast import reference_group_tasks
from tests.vaults import action_item_note


def _unrelated_note(lines: int) -> str:
    words = (hashlib.sha256(str(n).encode()).hexdigest() for n in range(lines))
    return "".join(
        f"- [ ] {' '.join(w[k : k + 5] for k in range(0, 30, 5))} @Ana 📅 2025-10-26\n" for w in words
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=GroupPolicy().threshold)
    parser.add_argument("--unrelated", action="store_true", help="random words: no line joins another")
    args = parser.parse_args()

    text = _unrelated_note(args.lines) if args.unrelated else action_item_note(args.lines)
    tasks, _ = parse_note(text, "bucket.md")
    policy = GroupPolicy(threshold=args.threshold)
    open_lines = sum(t.status_type.is_open for t in tasks)
    distinct = len({t.norm for t in tasks})
    print(f"{len(tasks)} lines in one bucket ({open_lines} open), {distinct} distinct descriptions")

    times: dict[str, list[float]] = {"pairwise (before)": [], "group_tasks (after)": []}
    results: dict[str, list[str | None]] = {}
    for round_ in range(args.repeat):
        order = list(times) if round_ % 2 == 0 else list(reversed(times))
        for name in order:
            fn = reference_group_tasks if name.startswith("pairwise") else group_tasks
            start = time.perf_counter()
            results[name] = fn(tasks, policy)
            times[name].append(time.perf_counter() - start)

    before, after = (statistics.median(v) for v in times.values())
    for name, values in times.items():
        runs = ", ".join(f"{v:.3f}" for v in values)
        print(f"{name:22} median {statistics.median(values):8.3f} s   runs {runs}")
    print(f"speed-up {before / after:.0f}x")
    groups = results["group_tasks (after)"]
    print(f"{len({g for g in groups if g})} groups, {sum(g is None for g in groups)} lines alone")
    if results["pairwise (before)"] != groups:
        print("MISMATCH: the two groupings differ")
        return 1
    print("identical groups")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
