"""A settled record reads back as written, and a damaged one is not trusted (the run plans)."""

from __future__ import annotations

import json

import pytest

from bridge.model import Diagnostic
from bridge.plan import Plan
from bridge.settled import Settled, quiet


def test_a_record_reads_back_as_written() -> None:
    record = Settled(
        Plan(notices=["a.md: line of task k not found; not written"], held=2, absent=3),
        [
            Diagnostic("caf\udce9.md", "not UTF-8 (byte 0xe9 at column 3); skipped", 1),
            Diagnostic("fence.md", "unclosed code fence", 4, unread=True),
            Diagnostic("x/", "folder cannot be read"),
        ],
        unrouted=5,
    )
    again = Settled.decode(record.encode())
    assert again == record
    assert quiet(again.plan)


@pytest.mark.parametrize(
    "outcome",
    [
        "not json",
        json.dumps({"notices": [], "held": 0, "absent": 0}),  # written before diagnostics were kept
        json.dumps({"notices": [1], "held": 0, "absent": 0, "diagnostics": [], "unrouted": 0}),
        json.dumps({"notices": [], "held": True, "absent": 0, "diagnostics": [], "unrouted": 0}),
        json.dumps({"notices": [], "held": 0, "absent": 0, "diagnostics": [["a.md", "x"]], "unrouted": 0}),
        json.dumps(
            {"notices": [], "held": 0, "absent": 0, "diagnostics": [["a.md", "x", "1", False]], "unrouted": 0}
        ),
        json.dumps({"notices": [], "held": 0, "absent": 0, "diagnostics": [], "unrouted": None}),
    ],
)
def test_a_damaged_record_is_not_trusted(outcome: str) -> None:
    assert Settled.decode(outcome) is None
