"""Which tasks `bridge tasks` shows: filters by status type, owner, due date and tag, and a limit.

Filters only pick rows: groups are formed over the whole scan first, so a task's group key is
the same whether or not its group mates are shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bridge.errors import ConfigError
from bridge.model import StatusType, Task

__all__ = ["STATUS_CHOICES", "Selection"]

# `open` is every status that still needs doing (todo, in progress, on hold, proposed)
_KINDS = {s: s.value.lower().replace("_", "-") for s in StatusType}
STATUS_CHOICES = ("open", *_KINDS.values())


def _status(name: str) -> str:
    wanted = name.strip().lower().replace("_", "-")
    if wanted not in STATUS_CHOICES:
        raise ConfigError(f"--status {name!r}: not one of {', '.join(STATUS_CHOICES)}")
    return wanted


@dataclass(frozen=True, slots=True)
class Selection:
    """Every filter given must match (`statuses` and `tags`: any one of those listed)."""

    statuses: tuple[str, ...] = ()
    owner: str | None = None
    due_before: str | None = None  # YYYY-MM-DD; a task without a due date never matches
    tags: tuple[str, ...] = ()
    limit: int | None = None

    @classmethod
    def of(
        cls,
        statuses: Sequence[str] = (),
        owner: str | None = None,
        due_before: str | None = None,
        tags: Sequence[str] = (),
        limit: int | None = None,
    ) -> Selection:
        """From the command line's words; ConfigError (exit 2) names a value that cannot be used."""
        if due_before is not None:
            try:
                due_before = dt.date.fromisoformat(due_before).isoformat()
            except ValueError as exc:
                raise ConfigError(f"--due-before {due_before!r}: not a date (YYYY-MM-DD)") from exc
        if limit is not None and limit < 0:
            raise ConfigError(f"--limit {limit}: must be 0 or more")
        return cls(
            tuple(_status(s) for s in statuses),
            owner.strip().lstrip("@").casefold() if owner else None,
            due_before,
            tuple(t.strip().lstrip("#").casefold() for t in tags),
            limit,
        )

    @property
    def filters(self) -> bool:
        return bool(self.statuses or self.owner or self.due_before or self.tags)

    def matches(self, task: Task) -> bool:
        return self.matches_values(task.status_type, task.owner, task.due, task.tags)

    def matches_values(
        self, status_type: StatusType, owner: str | None, due: str | None, tags: Sequence[str]
    ) -> bool:
        """`matches` of a task's values, for a listing that keeps no Task objects."""
        if self.statuses:
            kind = _KINDS[status_type]
            is_open = status_type.is_open
            if not any(s == kind or (s == "open" and is_open) for s in self.statuses):
                return False
        if self.owner is not None and (owner or "").casefold() != self.owner:
            return False
        if self.due_before is not None and (due is None or due >= self.due_before):
            return False
        return not self.tags or any(t.casefold() in self.tags for t in tags)

    def pick(self, tasks: Sequence[Task]) -> list[int]:
        """The indexes of the tasks to show, in vault order, at most `limit` of them."""
        chosen = [i for i, task in enumerate(tasks) if self.matches(task)]
        return chosen if self.limit is None else chosen[: self.limit]
