"""A settled record: what a run whose plan had no step reported, to be reported again unplanned.

A later run from the same inputs (the vault's stamp, the settings, the day; nothing pulled,
nothing pending, no commit since) would plan the same nothing, so it reports this instead of
reading its notes: the plan's notices and counts, and what the scan of the notes said (its
diagnostics, the groups no route matched), which a run that does not read the notes cannot say.
"""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass, field
from typing import Any

from bridge.connector import OpKind
from bridge.model import Diagnostic
from bridge.plan_model import Plan

__all__ = ["Settled", "after_creates", "quiet"]


def quiet(plan: Plan) -> bool:
    """A plan that changes nothing anywhere: the same inputs plan the same nothing next time."""
    return not (plan.steps or plan.settle or plan.adopting or plan.conflicts)


def after_creates(plan: Plan) -> Plan | None:
    """The quiet plan that planning again would make once every create of `plan` is linked, when
    `plan` was made from no links, no bases, nothing pulled and nothing pending (a first sync):
    its groups' held count, no notice, nothing absent. None when `plan` is not only creates.

    Why, planning again from the committed state with the same notes: each created group is
    linked now by its members' keys, its lines resolve against its base to the same members and
    history, and every field, line value, spot and parent the merge recomputes is the one the
    create recorded (the echo of a write only sets the base's time and completion count, which a
    merge with nothing pulled keeps), so it has no step; with every base claimed, none is
    vanished, unseen or absent and no notice is made; a group not created (done when first seen,
    or a held proposal) is unlinked again and planned as before, held again.
    `tests/bridge/test_settled_first.py` plans again after first syncs of generated vaults and
    checks both plans agree.
    """
    if plan.conflicts or plan.notices or plan.settle or plan.adopting or plan.absent:
        return None
    for step in plan.steps:
        if step.remote_id is not None or step.before is not None or step.edits or len(step.ops) != 1:
            return None
        op = step.ops[0]
        if op.kind is not OpKind.CREATE or op.follows is not None:
            return None
    return Plan(held=plan.held)


@dataclass(slots=True)
class Settled:
    """The outcome of a quiet plan (`quiet`) and of the scan it was made from."""

    plan: Plan
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unrouted: int = 0

    def encode(self) -> str:
        return json.dumps(
            {
                "notices": self.plan.notices,
                "held": self.plan.held,
                "absent": self.plan.absent,
                "diagnostics": [astuple(d) for d in self.diagnostics],
                "unrouted": self.unrouted,
            }
        )

    @classmethod
    def decode(cls, outcome: str) -> Settled | None:
        """The record `encode` wrote, or None when it does not decode (then planned afresh)."""
        try:
            data = json.loads(outcome)
            notices, held, absent = data["notices"], data["held"], data["absent"]
            diagnostics = [_diagnostic(d) for d in data["diagnostics"]]
            unrouted = data["unrouted"]
        except (ValueError, KeyError, TypeError):
            return None
        if not (isinstance(notices, list) and all(isinstance(n, str) for n in notices)):
            return None
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (held, absent, unrouted)):
            return None
        return cls(Plan(notices=list(notices), held=held, absent=absent), diagnostics, unrouted)


def _diagnostic(row: Any) -> Diagnostic:
    path, message, line, unread = row
    if not (isinstance(path, str) and isinstance(message, str) and isinstance(unread, bool)):
        raise TypeError("not a diagnostic")
    if line is not None and (not isinstance(line, int) or isinstance(line, bool)):
        raise TypeError("not a diagnostic")
    return Diagnostic(path, message, line, unread)
