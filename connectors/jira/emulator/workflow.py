"""A Jira workflow: statuses, each in one status category, and the transitions between them.

Kept apart because it is the part tests configure: the connector must map by status *category*
(`new`, `indeterminate`, `done`; reference §2 — names are localised) and must reach Done through
whatever transitions the workflow offers. The default is Jira Cloud's simplified workflow, where
every transition is global (any status may move to any other); `Workflow.stepwise()` and custom
workflows forbid shortcuts, so that reaching Done can take two transitions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["CATEGORIES", "Category", "Transition", "Workflow", "WorkflowStatus"]

Category = Literal["new", "indeterminate", "done"]

CATEGORIES: dict[str, tuple[int, str, str]] = {
    "undefined": (1, "medium-gray", "No Category"),
    "new": (2, "blue-gray", "To Do"),
    "indeterminate": (4, "yellow", "In Progress"),
    "done": (3, "green", "Done"),
}
"""Status category key -> (id, colorName, name), as seen in real responses (reference §2); every
site also lists `undefined` (id 1, "No Category"), which no status of a default workflow uses."""


@dataclass(frozen=True, slots=True)
class WorkflowStatus:
    """A status; `id` is assigned by `Workflow` (10000, 10001, …) when left empty."""

    name: str
    category: Category
    id: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    """A move to the status named `to`, offered from `sources` (status names), or from every
    other status when `sources` is None (a global transition). `id` defaults to 11, 21, 31, …"""

    name: str
    to: str
    sources: tuple[str, ...] | None = None
    id: str = ""

    @property
    def is_global(self) -> bool:
        """Whether every status (but its own target) offers it."""
        return self.sources is None


class Workflow:
    """Statuses (the first one, or `initial`, is where new issues start) and their transitions."""

    def __init__(
        self,
        statuses: Sequence[WorkflowStatus],
        transitions: Sequence[Transition],
        *,
        initial: str | None = None,
    ) -> None:
        if not statuses:
            raise ValueError("a workflow needs at least one status")
        named: list[WorkflowStatus] = []
        for n, status in enumerate(statuses):
            if status.category not in CATEGORIES:
                raise ValueError(f"unknown status category {status.category!r}")
            named.append(status if status.id else replace(status, id=str(10000 + n)))
        names = [s.name.casefold() for s in named]
        if len(set(names)) != len(names) or len({s.id for s in named}) != len(named):
            raise ValueError("status names and ids must be unique")
        self.statuses: tuple[WorkflowStatus, ...] = tuple(named)
        moves: list[Transition] = []
        for n, move in enumerate(transitions):
            for name in (move.to, *(move.sources or ())):
                if self.status(name) is None:
                    raise ValueError(f"transition {move.name!r} names unknown status {name!r}")
            moves.append(move if move.id else replace(move, id=str(11 + 10 * n)))
        if len({m.id for m in moves}) != len(moves):
            raise ValueError("transition ids must be unique")
        self.transitions: tuple[Transition, ...] = tuple(moves)
        start = self.status(initial) if initial is not None else self.statuses[0]
        if start is None:
            raise ValueError(f"unknown initial status {initial!r}")
        self.initial: WorkflowStatus = start

    @classmethod
    def default(cls) -> Workflow:
        """To Do → In Progress → Done with Jira Cloud's global transitions (ids 11, 21, 31, named
        after their targets): any status may move to any other, so Done → To Do reopens."""
        statuses = [
            WorkflowStatus("To Do", "new"),
            WorkflowStatus("In Progress", "indeterminate"),
            WorkflowStatus("Done", "done"),
        ]
        return cls(statuses, [Transition(s.name, s.name) for s in statuses])

    @classmethod
    def stepwise(cls) -> Workflow:
        """To Do → In Progress → Done with no shortcut: reaching Done from To Do takes two
        transitions; "Stop progress" goes back and "Reopen" returns Done to To Do."""
        statuses = [
            WorkflowStatus("To Do", "new"),
            WorkflowStatus("In Progress", "indeterminate"),
            WorkflowStatus("Done", "done"),
        ]
        return cls(
            statuses,
            [
                Transition("Start progress", "In Progress", ("To Do",)),
                Transition("Stop progress", "To Do", ("In Progress",)),
                Transition("Done", "Done", ("In Progress",)),
                Transition("Reopen", "To Do", ("Done",)),
            ],
        )

    def status(self, name_or_id: str) -> WorkflowStatus | None:
        """The status with this id, or this name (case-insensitive)."""
        wanted = name_or_id.casefold()
        for status in self.statuses:
            if status.id == name_or_id or status.name.casefold() == wanted:
                return status
        return None

    def available(self, status_id: str) -> list[Transition]:
        """Transitions offered to an issue in `status_id`, in workflow order."""
        current = next(s for s in self.statuses if s.id == status_id)
        offered = []
        for move in self.transitions:
            if move.is_global:
                offers = self.target(move).id != status_id
            else:
                offers = any(self.status(s) == current for s in move.sources or ())
            if offers:
                offered.append(move)
        return offered

    def target(self, move: Transition) -> WorkflowStatus:
        """The status a transition leads to."""
        status = self.status(move.to)
        assert status is not None  # noqa: S101 - checked in __init__
        return status

    def path(self, status_id: str, to: WorkflowStatus) -> list[Transition] | None:
        """The shortest chain of transitions from `status_id` to `to` ([] when already there)."""
        routes: dict[str, list[Transition]] = {status_id: []}
        queue = deque([status_id])
        while queue:
            here = queue.popleft()
            if here == to.id:
                return routes[here]
            for move in self.available(here):
                there = self.target(move).id
                if there not in routes:
                    routes[there] = [*routes[here], move]
                    queue.append(there)
        return None
