"""Telling a write's answer apart from news: a write that reads too sees its own changes come back.

Each write request carries the latest sync token and asks for the same resources as an
incremental read, so Todoist runs its commands, then answers with everything changed since that
token. When that is only the echo of the request's own commands (the tasks it created or changed,
each in the status it was sent to, the project it created), the answer's new token can be kept:
the next read then starts after this run's writes instead of reading them all back. Anything else
(a change someone else made meanwhile, a sub-task a command carried along)
stops the chain, and the last token kept still shows it to the next read. A recurring task is
an echo only when the request created it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.connector import Op, RemoteStatus, RemoteTask
from bridge.copies import maker
from bridge.model import StatusType
from connectors.todoist.mapping import item_state

__all__ = ["Echoes", "Sent"]

_task = maker(RemoteTask)  # `RemoteTask(*fields)`, made at a lesser cost: one an echoed item

_TO_STATUS = {
    "item_add": RemoteStatus.OPEN,
    "item_uncomplete": RemoteStatus.OPEN,
    "item_close": RemoteStatus.DONE,
    "item_complete": RemoteStatus.DONE,
}
_KEEP_STATUS = ("item_update", "item_move")  # leave the status as the op's fields say it is


@dataclass(slots=True)
class Sent:
    """What one request's commands that ran leave behind: each task's status, by id, as sent
    (None: a command whose echo cannot be told from news), and the project it created."""

    tasks: dict[str, RemoteStatus | None] = field(default_factory=dict)
    project: str | None = None
    created: set[str] = field(default_factory=set)  # made by this request: nothing done to them yet

    def ran(self, op: Op | None, command: Mapping[str, Any], ids: Mapping[str, str]) -> None:
        """Note a command that ran (`ok`, or already processed); `ids` are the temp ids' real ids."""
        kind, args = command["type"], command.get("args", {})
        if op is None:  # the bridge's project, made for the creates that follow
            self.project = ids.get(command.get("temp_id", ""), self.project)
            return
        task = ids.get(command.get("temp_id", "")) if kind == "item_add" else args.get("id")
        if task is None:
            return
        if kind == "item_add":
            self.created.add(str(task))
        else:
            self.created.discard(str(task))
        if kind in _TO_STATUS:
            self.tasks[str(task)] = _TO_STATUS[kind]
        elif kind in _KEEP_STATUS:
            closed = op.fields.status in (StatusType.DONE, StatusType.CANCELLED)
            self.tasks[str(task)] = RemoteStatus.DONE if closed else RemoteStatus.OPEN
        else:  # a delete, a recurring completion: what the answer holds then is not checked
            self.tasks[str(task)] = None


def echoes(answer: Mapping[str, Any], sent: Sent, project: str | None) -> dict[str, RemoteTask] | None:
    """The answer's tasks by id (status, time, labels, completions) when it holds nothing but the
    echo of `sent`, in the bridge's `project`; None when it holds anything else (then its token
    must not be kept)."""
    if answer.get("full_sync") is not False or not isinstance(answer.get("sync_token"), str):
        return None
    if answer.get("collaborators") or answer.get("collaborator_states"):
        return None
    for seen in answer.get("projects", []):
        if sent.project is None or str(seen.get("id")) != sent.project:
            return None
        if seen.get("is_deleted") or seen.get("is_archived") or seen.get("is_shared"):
            return None
    found: dict[str, RemoteTask] = {}
    tasks, created = sent.tasks, sent.created
    for item in answer.get("items", []):
        remote_id = str(item["id"])
        wanted = tasks.get(remote_id)
        if wanted is None or str(item.get("project_id")) != project:
            return None
        status, recurring, updated, labels, completions = item_state(item)
        # a recurring task's completed occurrences keep it open: one completed by someone else
        # while the bridge changed it would look like its echo, so only one this request made is
        if status is not wanted or (recurring and not (remote_id in created and not completions)):
            return None
        # what a base and the labels map record of it: a push of 100,000 creates keeps them all
        found[remote_id] = _task(remote_id, status, updated, None, "", labels, None, completions)
    return found


@dataclass(slots=True)
class Echoes:
    """A push's chain of kept tokens: per request read, its token, the groups (op refs) whose
    commands it carried, and the echoes it held. A request whose groups did not all succeed (a
    later command of the group failed) ends the chain there: its group is sent again, and the
    next read must see what the part that ran changed."""

    start: str | None
    links: list[tuple[str, set[str], dict[str, RemoteTask]]] = field(default_factory=list)
    broken: bool = False

    @property
    def token(self) -> str | None:
        """The token the next request carries; None once the chain is broken (it reads nothing)."""
        if self.broken:
            return None
        return self.links[-1][0] if self.links else self.start

    def heard(self, answer: Mapping[str, Any], sent: Sent, project: str | None, refs: set[str]) -> None:
        seen = echoes(answer, sent, project) if not self.broken else None
        if seen is None:
            self.broken = True
            return
        self.links.append((str(answer["sync_token"]), refs, seen))

    def kept(self, failed: Iterable[str]) -> tuple[str | None, dict[str, RemoteTask], bool]:
        """(the last token to keep, the echoes read up to it, whether the whole push was kept)."""
        failed = set(failed)
        token, seen = self.start, dict[str, RemoteTask]()
        for link_token, refs, echoed in self.links:
            if refs & failed:
                return token, seen, False
            token = link_token
            seen.update(echoed)
        return token, seen, not self.broken
