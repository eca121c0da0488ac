"""Where a group of lines no link names may already have its tracker task.

Before creating a task, the planner asks here, best evidence first: a task a run that died before
committing created for exactly this group (its marker names the group's ref); a linked task whose
lines vanished in this run, cut and pasted elsewhere (same sentence) or reworded in place (same
note and place, similar words); a task that dead run created under an older ref (the note was
renamed, or the line moved, before the rerun). Only when none fits is a task created.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bridge.connector import Fields, RemoteStatus, RemoteTask
from bridge.groups import Group
from bridge.lines import Neighbours
from bridge.model import StatusType
from bridge.state import Base
from bridge.text import normalise

__all__ = ["REWORD_SIMILARITY", "Candidates", "Orphans", "reworded"]

# Token-set similarity (0-100) above which a line that took the place of a vanished one is the
# same action item reworded: extra detail scores 100, a changed word or two stays above 60.
REWORD_SIMILARITY = 60.0


@dataclass(slots=True)
class Orphans:
    """Tracker tasks carrying the bridge's marker that no base links: made by a run that died
    before it committed (or by a state since lost)."""

    by_ref: dict[str, RemoteTask] = field(default_factory=dict)
    by_norm: dict[str, list[RemoteTask]] = field(default_factory=dict)
    pending: list[RemoteTask] = field(default_factory=list)  # this state's own dead creates

    @classmethod
    def find(
        cls,
        groups: Sequence[Group],
        bases: Mapping[str, Base],
        changes: Mapping[str, RemoteTask],
        pending: Collection[str],
    ) -> Orphans:
        """By marker for any unlinked task; by title for this state's dead creates whose ref no
        group has now; and the list of those dead creates, to keep whatever is left of them."""
        found = cls()
        refs = {g.ref for g in groups}
        for change in changes.values():
            if not change.ref or change.remote_id in bases:
                continue
            found.by_ref.setdefault(change.ref, change)
            if change.ref in pending and change.status is not RemoteStatus.DELETED:
                found.pending.append(change)
                if change.ref not in refs:
                    found.by_norm.setdefault(normalise(change.title), []).append(change)
        return found


def reworded(group: Group, vanished: Sequence[Base], around: Neighbours) -> Base | None:
    """The vanished task this new group rewords: in the same note, at the same line or between
    the same neighbours, in similar words. The most similar wins."""
    best: tuple[float, Base] | None = None
    for base in vanished:
        if not base.spots:
            continue
        for task in group.tasks:
            path, line = task.source.path, task.source.line
            near = around.get((path, line), (None, None))
            placed = any(
                spot[0] == path and (spot[1] == line or (near != (None, None) and spot[2:] == near))
                for spot in base.spots.values()
            )
            if not placed:
                continue
            score = float(fuzz.token_set_ratio(base.norm, group.norm))
            if score >= REWORD_SIMILARITY and (best is None or score > best[0]):
                best = (score, base)
    return best[1] if best else None


@dataclass(slots=True)
class Candidates:
    """The tracker tasks an unlinked group may be, best first; `claimed` are taken already."""

    vanished: list[Base]
    orphans: Orphans
    claimed: set[str]
    around: Neighbours
    vault_name: str

    def __call__(
        self, group: Group, changes: Mapping[str, RemoteTask]
    ) -> Iterator[tuple[Base, RemoteTask | None, str]]:
        """Bases to merge the group with, each with the notice it earns ("" for a dead run's task)."""
        exact = self.orphans.by_ref.get(group.ref)
        if exact is not None and exact.remote_id not in self.claimed:
            yield self._adopted(group, exact), exact, ""
        free = [b for b in self.vanished if b.remote_id not in self.claimed]
        for base in (b for b in free if b.norm and b.norm == group.norm):  # cut and pasted elsewhere
            yield base, changes.get(base.remote_id), f"moved from {base.fields.path}; link kept"
        similar = reworded(group, free, self.around)
        if similar is not None:  # the same place, other words: an edit of the same task
            notice = "reworded; the tracker task takes the new wording"
            yield similar, changes.get(similar.remote_id), notice
        for remote in self.orphans.by_norm.get(group.norm, []):
            if remote.remote_id not in self.claimed:
                yield self._adopted(group, remote), remote, ""

    def _adopted(self, group: Group, remote: RemoteTask) -> Base:
        """A dead run's task as it made it: open, from lines then open. What changed since on either
        side is then merged as any change is (ticked in the note, completed or deleted in the tracker)."""
        blank = Fields("", StatusType.TODO, vault=self.vault_name)
        return Base(remote.remote_id, group.ref, blank, RemoteStatus.OPEN, None)

    def leftovers(self) -> Iterator[RemoteTask]:
        """This state's dead creates no group took: their lines were deleted or reworded since."""
        for remote in self.orphans.pending:
            if remote.remote_id not in self.claimed:
                yield remote
