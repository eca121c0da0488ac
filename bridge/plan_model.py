"""A plan's data: what `bridge.plan.plan` returns and is given, without the merge rules.

Kept apart from the rules so that a run that does not plan (a settled no-op sync, `bridge.settled`)
can hold a plan and its options without importing the planner, the parser and the matcher.
`bridge.plan` exports the same classes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bridge.connector import Op
from bridge.model import StatusType
from bridge.state import Base

if TYPE_CHECKING:
    from bridge.occurrences import Recur

__all__ = ["Conflict", "NoteEdit", "Plan", "PlanOptions", "Step"]


@dataclass(frozen=True, slots=True)
class PlanOptions:
    connector: str
    vault_name: str = ""
    today: dt.date = field(default_factory=lambda: dt.datetime.now().astimezone().date())
    hold_proposed: bool = False
    absent: Literal["leave", "close", "delete"] = "leave"
    max_absent_share: float = 0.5
    force: bool = False
    conflict: Literal["latest", "note", "tracker"] = "latest"
    recurs: bool = False  # the tracker has recurring tasks of its own (`Connector.recurs`)
    remove_scheduled: bool = False  # the vault's Obsidian Tasks setting, for next occurrences


@dataclass(frozen=True, slots=True)
class NoteEdit:
    """A line to set to `target`; `key` is its `Task.line_key`, which tells repeated lines apart."""

    path: str
    key: str
    target: StatusType
    seen: StatusType | None = None  # the line's status when planned; another one then is the user's
    line: int = 0  # 1-based, where it was planned: for people reading the plan, not for finding it
    recur: Recur | None = None  # completed occurrences of a recurring line, recorded with the next one


@dataclass(frozen=True, slots=True)
class Conflict:
    ref: str
    remote_id: str
    note: str
    tracker: str
    winner: Literal["note", "tracker"]


@dataclass(slots=True)
class Step:
    """What one group needs; `after` is its base once every op succeeded (for a create, minus its id).

    `before` is the base it started from: when a note edit could not be written, apply keeps the
    note side of `before`, so the tracker's change is applied again on the next run.
    """

    ref: str
    remote_id: str | None
    keys: tuple[str, ...]
    after: Base
    before: Base | None = None
    ops: list[Op] = field(default_factory=list)
    edits: list[NoteEdit] = field(default_factory=list)


@dataclass(slots=True)
class Plan:
    steps: list[Step] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    held: int = 0
    absent: int = 0
    settle: list[str] = field(default_factory=list)  # refs of dead runs' creates found now
    adopting: list[str] = field(default_factory=list)  # refs such a task is adopted under now

    @property
    def ops(self) -> list[Op]:
        return [op for step in self.steps for op in step.ops]

    @property
    def edits(self) -> list[NoteEdit]:
        return [edit for step in self.steps for edit in step.edits]
