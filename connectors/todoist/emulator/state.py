"""One Todoist account in memory, shared by the HTTP app, the Sync commands and the tests.

Everything that can change the account goes through the mutation methods here — whether the
request came over REST, as a Sync command, or from a test acting "as the user in the Todoist app"
(`add`, `complete`, `reopen`, `update`, `delete`). So each change bumps the same change counter
(which incremental sync reads), stamps `updated_at` and records the same webhook event in
`events` (reference §8 envelope; each read of it a copy). One `threading.RLock` guards it all:
the server runs in its own thread while a test pokes the account from the main one. The knobs
(`latency`, `rate_limit`, `fail_next`, `after_commands`) let tests make the server slow, strict
or broken on demand.
"""

from __future__ import annotations

from typing import Any

from connectors.todoist.emulator.account import Account, Json
from connectors.todoist.emulator.errors import ApiError, invalid, not_found
from connectors.todoist.emulator.fields import sync_task_changes
from connectors.todoist.emulator.records import base62, clone, next_due, task_record

__all__ = ["Emulator"]

_EDITABLE = frozenset((
    "content", "description", "labels", "priority", "due", "deadline", "duration", "responsible_uid",
    "assigned_by_uid", "child_order", "day_order", "is_collapsed",
))  # fmt: skip
_PLACEMENT = ("project_id", "section_id", "parent_id")


class Emulator(Account):
    """The account (see `Account`) plus every task change: REST, Sync and the user's own."""

    # -- task mutations (REST, Sync and the user helpers all land here) --------------------------

    def _top_order(self, project_id: str, section_id: str | None, parent_id: str | None) -> int | None:
        """The highest `child_order` among the live tasks of this placement; None when it has none."""
        orders = [
            t["child_order"]
            for t in self.tasks.values()
            if (t["project_id"], t["section_id"], t["parent_id"]) == (project_id, section_id, parent_id)
            and not t["is_deleted"]
        ]
        return max(orders, default=None)

    def _last_order(self, project_id: str, section_id: str | None, parent_id: str | None) -> int:
        """One more than the highest `child_order` among the live tasks of this placement (or 1)."""
        top = self._top_order(project_id, section_id, parent_id)
        return 1 if top is None else top + 1

    def _next_top(self, project_id: str, section_id: str | None, parent_id: str | None) -> int | None:
        """`_top_order` for a create, in O(1) during a run of creates.

        Creates remember each placement's highest order (`_remember_order`), true while the
        account's version is the one they were taken at: every change to a task bumps the
        version, so after a move, a delete or an order edit the next create looks again, once
        per placement.
        """
        place = (project_id, section_id, parent_id)
        if self._orders_version != self.version:
            self._orders.clear()
        if place not in self._orders:
            return self._top_order(project_id, section_id, parent_id)
        return self._orders[place]

    def _remember_order(self, task: Json, top: int | None) -> None:
        """After a create: its placement's highest order (`top` before it), as of this version."""
        order = task["child_order"] if top is None else max(top, task["child_order"])
        self._orders[(task["project_id"], task["section_id"], task["parent_id"])] = order
        self._orders_version = self.version

    def _placement(self, project_id: str | None, section_id: str | None, parent_id: str | None) -> Json:
        if parent_id is not None:
            parent = self._task(parent_id)
            return {
                "project_id": parent["project_id"],
                "section_id": parent["section_id"],
                "parent_id": parent["id"],
            }
        if section_id is not None:
            section = self.sections.get(section_id)
            if section is None or (
                project_id is not None and self._project(project_id)["id"] != section["project_id"]
            ):
                raise not_found("Section")
            return {"project_id": section["project_id"], "section_id": section["id"], "parent_id": None}
        project = self._project(project_id) if project_id is not None else self.projects[self.inbox_id]
        if project["is_archived"]:
            raise not_found("Project")  # out of view until unarchived
        return {"project_id": project["id"], "section_id": None, "parent_id": None}

    def _room_for_a_task(self, project_id: str) -> None:
        """The plan's limit of active tasks per project (`max_active_tasks`)."""
        limit = self.max_active_tasks
        if limit is None:
            return
        active = sum(
            1
            for t in self.tasks.values()
            if t["project_id"] == project_id and not t["checked"] and not t["is_deleted"]
        )
        if active >= limit:
            raise ApiError(403, "Maximum number of items per project reached", "MAX_ITEMS_LIMIT_REACHED", 48,
                           limit=limit)  # fmt: skip

    def _check_assignee(self, task: Json) -> None:
        uid = task["responsible_uid"]
        if uid is not None and not self.projects[task["project_id"]]["is_shared"]:
            raise invalid("responsible_uid", explanation="tasks are assigned in shared projects only")
        if uid is not None and uid not in self.members(task["project_id"]):
            raise invalid("responsible_uid", explanation="not a collaborator of the task's project")
        if uid is not None and task["assigned_by_uid"] is None:
            task["assigned_by_uid"] = self.user_id

    def create_task(self, changes: Json) -> Json:
        """Add a task from checked changes (see `fields`); the project defaults to the Inbox."""
        with self.lock:
            return clone(self.tasks[self.add_task(changes)])

    def add_task(self, changes: Json) -> str:
        """`create_task` giving the new task's id only (a Sync `item_add` needs no copy of it)."""
        with self.lock:
            where = self._placement(
                changes.get("project_id"), changes.get("section_id"), changes.get("parent_id")
            )
            self._room_for_a_task(where["project_id"])
            task = task_record(self._new_id(), self.user_id, where["project_id"], self._now())
            task.update(where)
            top = self._next_top(where["project_id"], where["section_id"], where["parent_id"])
            task["child_order"] = 1 if top is None else top + 1
            for key, value in changes.items():  # every editable key is a record's already: same order
                if key in _EDITABLE:
                    task[key] = value
            task["order_key"] = "a" + base62(next(self._serial)).rjust(5, "0")
            self._check_assignee(task)
            self.tasks[task["id"]] = task
            self._bump("items", task["id"])
            self._remember_order(task, top)
            self._emit("item:added", task)
            return str(task["id"])

    def _changed_task(self, task: Json, old: Json, event: str, intent: str | None = None) -> None:
        task["updated_at"] = self._now()
        self._bump("items", task["id"])
        if event == "item:updated":
            self._emit(event, task, old=old, intent=intent or "item_updated")
        else:
            self._emit(event, task)

    def edit_task(self, task_id: str, changes: Json) -> Json:
        """Apply the given fields only (labels replace); no change, no new version or event."""
        with self.lock:
            task = self._task(task_id)
            old = clone(task)
            task.update({key: value for key, value in changes.items() if key in _EDITABLE})
            try:
                self._check_assignee(task)
            except ApiError:
                task.clear()
                task.update(old)
                raise
            if task != old:
                self._changed_task(task, old, "item:updated")
            return clone(task)

    def move_task(self, task_id: str, **where: str | None) -> Json:
        """Move to exactly one of `project_id`, `section_id` or `parent_id`; the task goes last."""
        with self.lock:
            given = {key: value for key, value in where.items() if key in _PLACEMENT and value is not None}
            if len(given) != 1:
                raise invalid(
                    "project_id", explanation="give exactly one of project_id, section_id, parent_id"
                )
            task = self._task(task_id)
            target = self._placement(given.get("project_id"), given.get("section_id"), given.get("parent_id"))
            family = {task["id"], *(t["id"] for t in self._descendants(task["id"]))}
            if target["parent_id"] in family:
                raise invalid("parent_id", explanation="a task cannot become its own descendant")
            if all(task[key] == target[key] for key in _PLACEMENT):
                return clone(task)
            old = clone(task)
            task.update(target)
            task["child_order"] = self._last_order(
                target["project_id"], target["section_id"], target["parent_id"]
            )
            self._changed_task(task, old, "item:updated")
            for child in self._descendants(task["id"]):
                if child["project_id"] != task["project_id"]:
                    before = clone(child)
                    child.update(project_id=task["project_id"], section_id=task["section_id"])
                    self._changed_task(child, before, "item:updated")
            return clone(task)

    def close_task(self, task_id: str) -> Json:
        """What the apps do on "complete" (`item_close`, REST close): a recurring task moves to its
        next occurrence and stays open, its `completed_count` one up; any other is completed."""
        with self.lock:
            task = self._task(task_id)
            due = task["due"]
            upcoming = next_due(due, self.today()) if due and due.get("is_recurring") else None
            if task["checked"] or upcoming is None:
                return self.complete_task(task_id)
            return self._occurrence_done(task, upcoming, forward=True)

    def complete_occurrence(
        self, task_id: str, due: Json | None, *, forward: bool = True, reset_subtasks: bool = False
    ) -> Json:
        """`item_update_date_complete`: the due given (else the next occurrence) and one completion
        counted, or uncounted with `forward` false (an undo); the task stays as open as it was.
        `reset_subtasks` reopens its completed sub-tasks, as the reference describes."""
        with self.lock:
            task = self._task(task_id)
            current = task["due"]
            if due is None and forward and current and current.get("is_recurring"):
                due = next_due(current, self.today())
            result = self._occurrence_done(task, due if due is not None else current, forward=forward)
            if reset_subtasks:
                for child in self._descendants(task["id"]):
                    if child["checked"]:
                        old = clone(child)
                        child.update(checked=False, completed_at=None, completed_by_uid=None)
                        self._changed_task(child, old, "item:uncompleted")
            return result

    def _occurrence_done(self, task: Json, due: Json | None, *, forward: bool) -> Json:
        """One occurrence of a recurring task completed (or undone): the reference's "Events
        Extra" says this arrives as `item:updated` with `update_intent` item_completed (or
        item_uncompleted); no `item:completed` is documented for it, so none is sent."""
        old = clone(task)
        task["due"] = due
        task["completed_count"] = max(0, task["completed_count"] + (1 if forward else -1))
        self._changed_task(task, old, "item:updated", "item_completed" if forward else "item_uncompleted")
        return clone(task)

    def complete_task(
        self, task_id: str, completed_at: str | None = None, *, from_undo: bool = False
    ) -> Json:
        """Complete the task and its sub-tasks (`checked`, `completed_at`), a recurring one for good;
        completed stays completed. `from_undo` (an undone uncompletion) counts no completion."""
        with self.lock:
            task = self._task(task_id)
            if task["checked"]:
                return clone(task)
            when = completed_at or self._now()
            for item in (task, *self._descendants(task["id"])):
                if not item["checked"]:
                    old = clone(item)
                    item.update(checked=True, completed_at=when, completed_by_uid=self.user_id)
                    item["completed_count"] += 0 if from_undo else 1
                    self._changed_task(item, old, "item:completed")
            return clone(task)

    def uncomplete_task(self, task_id: str) -> Json:
        """Reopen a completed task and any completed ancestors; an open task is left as it is."""
        with self.lock:
            task = self._task(task_id)
            if task["checked"]:
                self._room_for_a_task(task["project_id"])
            chain = [task]
            while chain[-1]["parent_id"] is not None and chain[-1]["parent_id"] in self.tasks:
                chain.append(self.tasks[chain[-1]["parent_id"]])
            for item in reversed(chain):
                if item["checked"] and not item["is_deleted"]:
                    old = clone(item)
                    item.update(checked=False, completed_at=None, completed_by_uid=None)
                    self._changed_task(item, old, "item:uncompleted")
            return clone(task)

    def delete_task(self, task_id: str) -> Json:
        """Delete the task and its sub-tasks (`is_deleted`); 404 if already gone."""
        with self.lock:
            task = self._task(task_id)
            for item in (task, *self._descendants(task["id"])):
                old = clone(item)
                item["is_deleted"] = True
                self._changed_task(item, old, "item:deleted")
            return clone(task)

    # -- a project's life, with its tasks ---------------------------------------------------------

    def _subtree(self, project_id: str) -> list[Json]:
        """The project and its descendant projects (archive and delete take them all)."""
        found = [self._project(project_id)]
        for project in found:
            found += [
                p for p in self.projects.values() if p["parent_id"] == project["id"] and not p["is_deleted"]
            ]
        return found

    def _project_changed(self, project: Json, event: str, **changes: Any) -> None:
        project.update(changes, updated_at=self._now())
        self._bump("projects", project["id"])
        self._emit(event, project)

    def archive_project(self, project_id: str) -> Json:
        """Archive the project and its descendants: their tasks leave every active read, and a
        write to one is answered as for a missing task (the reference is silent on that answer)."""
        with self.lock:
            if project_id == self.inbox_id:
                raise invalid("id", explanation="the Inbox cannot be archived")
            for project in self._subtree(project_id):
                if not project["is_archived"]:
                    self._project_changed(project, "project:archived", is_archived=True)
            return clone(self.projects[project_id])

    def unarchive_project(self, project_id: str) -> Json:
        """Unarchive the project alone; it becomes a root project (reference: "Unarchive a
        project"), and its tasks come back into view, so incremental reads list them again."""
        with self.lock:
            project = self._project(project_id)
            if project["is_archived"]:
                self._project_changed(project, "project:unarchived", is_archived=False, parent_id=None)
                for task in self.tasks.values():
                    if task["project_id"] == project["id"] and not task["is_deleted"]:
                        self._bump("items", task["id"])
            return clone(project)

    def delete_project(self, project_id: str) -> Json:
        """Delete the project, its descendants and all their tasks, completed ones included."""
        with self.lock:
            if project_id == self.inbox_id:
                raise invalid("id", explanation="the Inbox cannot be deleted")
            subtree = self._subtree(project_id)
            ids = {p["id"] for p in subtree}
            for task in self.tasks.values():
                if task["project_id"] in ids and not task["is_deleted"]:
                    task.update(is_deleted=True, updated_at=self._now())
                    self._bump("items", task["id"])
            for project in subtree:
                self._project_changed(project, "project:deleted", is_deleted=True)
            return clone(self.projects[project_id])

    # -- the user in the Todoist app ---------------------------------------------------------------

    def add(self, content: str, **fields: Any) -> Json:
        """Add a task as the user would in the app; `fields` use Sync `item_add` argument names."""
        if isinstance(fields.get("due"), str):
            fields["due"] = {"string": fields["due"]}
        return self.create_task(
            sync_task_changes({"content": content, **fields}, self.today(), creating=True, tz=self.timezone)
        )

    def update(self, task_id: str, **fields: Any) -> Json:
        """Edit a task in the app: Sync `item_update` names (a str `due` is a due string), and
        `project_id`/`section_id`/`parent_id` move it."""
        with self.lock:
            where = {key: fields.pop(key) for key in _PLACEMENT if key in fields}
            if isinstance(fields.get("due"), str):
                fields["due"] = {"string": fields["due"]}
            changes = sync_task_changes(fields, self.today(), creating=False, tz=self.timezone)
            if where:
                self.move_task(task_id, **where)
            return self.edit_task(task_id, changes)

    def complete(self, task_id: str) -> Json:
        """Tick the task in the app (recurring tasks advance, as `item_close`)."""
        return self.close_task(task_id)

    def reopen(self, task_id: str) -> Json:
        """Un-tick a completed task in the app."""
        return self.uncomplete_task(task_id)

    def delete(self, task_id: str) -> Json:
        """Delete the task (and its sub-tasks) in the app."""
        return self.delete_task(task_id)
