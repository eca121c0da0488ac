"""A Jira workflow: statuses, each in one status category, and the transitions between them.

Kept apart because it is the part tests configure: the connector must map by status *category*
(`new`, `indeterminate`, `done`, and `undefined` for a status without one; reference §2 — names
are localised) and must reach Done through whatever transitions the workflow offers.

A transition is more than an arrow, as on a real site: it may have a *screen* (the fields a
request may set with it, some required — Resolution on a classic "Resolve Issue"), *validators*
that refuse it while a field is empty, and *post-functions* that set or clear the resolution
(Jira's simplified "Done" has no screen; a post-function resolves the issue as "Done"). A field
sent to a transition without it on the screen is refused. A global transition is offered from
every status, its own target included.

`Workflow.default()` is Jira Cloud's simplified workflow, `Workflow.server_default()` the same
with a Done transition whose screen requires a Resolution (a classic Server/Data Center set-up),
`Workflow.classic()` the classic "jira" workflow (Open, In Progress, Resolved, Reopened, Closed),
`Workflow.stepwise()` forbids shortcuts so that reaching Done takes two transitions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["CATEGORIES", "Category", "Transition", "Validator", "Workflow", "WorkflowStatus"]

Category = Literal["undefined", "new", "indeterminate", "done"]

CATEGORIES: dict[str, tuple[int, str, str]] = {
    "undefined": (1, "medium-gray", "No Category"),
    "new": (2, "blue-gray", "To Do"),
    "indeterminate": (4, "yellow", "In Progress"),
    "done": (3, "green", "Done"),
}
"""Status category key -> (id, colorName, name), as seen in real responses (reference §2), in the
order `GET /statuscategory` lists them; `undefined` is a status no one gave a category."""


@dataclass(frozen=True, slots=True)
class WorkflowStatus:
    """A status; `id` is assigned by `Workflow` (10000, 10001, …) when left empty."""

    name: str
    category: Category
    id: str = ""


@dataclass(frozen=True, slots=True)
class Validator:
    """Refuses the transition while the issue's `field` is empty (Jira's "Field Required
    Validator"); the 400 names the field with `message`, under `errors` by default, or in
    `errorMessages` alone when `keyed` is False (as many app validators answer)."""

    field: str
    message: str = ""
    keyed: bool = True

    @property
    def text(self) -> str:
        return self.message or f"{self.field} is required."


@dataclass(frozen=True, slots=True)
class Transition:
    """A move to the status named `to`, offered from `sources` (status names), or from every
    status when `sources` is None (a global transition). `id` defaults to 11, 21, 31, ….

    `screen`: the fields a request may set with it (only `resolution` is applied; others are
    accepted and ignored), `required` those of them that must be given. Post-functions:
    `sets_resolution` (a resolution name) or `clears_resolution`; without either, the transition
    leaves the resolution alone, as a hand-made transition in Jira does. `validators` run last.
    """

    name: str
    to: str
    sources: tuple[str, ...] | None = None
    id: str = ""
    screen: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    sets_resolution: str | None = None
    clears_resolution: bool = False
    validators: tuple[Validator, ...] = ()

    @property
    def is_global(self) -> bool:
        """Whether every status offers it (its own target too, as Jira does)."""
        return self.sources is None

    @property
    def has_screen(self) -> bool:
        return bool(self.screen)


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
            if not set(move.required) <= set(move.screen):
                raise ValueError(f"transition {move.name!r} requires fields that are not on its screen")
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
        after their targets): any status may move to any other, so Done → To Do reopens. None has
        a screen: "Done"'s post-function resolves the issue as "Done", the others clear it."""
        return cls._simplified(Transition("Done", "Done", sets_resolution="Done"))

    @classmethod
    def server_default(cls) -> Workflow:
        """`default()`'s statuses and global transitions, but "Done" has a screen that requires a
        Resolution (no post-function sets one), as classic Server/Data Center projects have."""
        return cls._simplified(Transition("Done", "Done", screen=("resolution",), required=("resolution",)))

    @classmethod
    def _simplified(cls, done: Transition) -> Workflow:
        statuses = [
            WorkflowStatus("To Do", "new"),
            WorkflowStatus("In Progress", "indeterminate"),
            WorkflowStatus("Done", "done"),
        ]
        reopening = [
            Transition("To Do", "To Do", clears_resolution=True),
            Transition("In Progress", "In Progress", clears_resolution=True),
        ]
        return cls(statuses, [*reopening, done])

    @classmethod
    def classic(cls) -> Workflow:
        """Jira's classic "jira" workflow, with its transition ids: Open → Start Progress → In
        Progress → Resolve Issue → Resolved → Close Issue → Closed, Reopen Issue → Reopened. Resolve
        and Close (from an open status) have the Resolve Issue screen, Resolution required; Reopen
        Issue's post-function clears the resolution. No transition is global."""
        statuses = [
            WorkflowStatus("Open", "new", "1"),
            WorkflowStatus("In Progress", "indeterminate", "3"),
            WorkflowStatus("Reopened", "new", "4"),
            WorkflowStatus("Resolved", "done", "5"),
            WorkflowStatus("Closed", "done", "6"),
        ]
        screen, required = ("resolution", "assignee", "comment"), ("resolution",)
        open_ = ("Open", "In Progress", "Reopened")
        return cls(
            statuses,
            [
                Transition("Start Progress", "In Progress", ("Open", "Reopened"), "4"),
                Transition("Stop Progress", "Open", ("In Progress",), "301"),
                Transition("Resolve Issue", "Resolved", open_, "5", screen=screen, required=required),
                Transition("Close Issue", "Closed", open_, "2", screen=screen, required=required),
                Transition("Close Issue", "Closed", ("Resolved",), "701"),
                Transition("Reopen Issue", "Reopened", ("Resolved", "Closed"), "3", clears_resolution=True),
            ],
        )

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
                Transition("Done", "Done", ("In Progress",), sets_resolution="Done"),
                Transition("Reopen", "To Do", ("Done",), clears_resolution=True),
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
        """Transitions offered to an issue in `status_id`, in workflow order: a global one even
        from its own target (a loop, which Jira lists like any other)."""
        current = next(s for s in self.statuses if s.id == status_id)
        return [
            move
            for move in self.transitions
            if move.is_global or any(self.status(s) == current for s in move.sources or ())
        ]

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
                if there == here:
                    continue
                if there not in routes:
                    routes[there] = [*routes[here], move]
                    queue.append(there)
        return None
