"""The account's data and its non-task objects: user, projects, labels, collaborators, sections.

`state.Emulator` adds the task changes on top; both share `_bump` (the change counter incremental
sync reads) and `_emit` (the webhook event log, reference §8 envelope, handed to `on_event` for
delivery), so whatever changes the account — a REST call, a Sync command or a test acting as the
user — is recorded and delivered the same way.
Every account starts with its Inbox project (`inbox_project: true`), as a real one does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from time import time_ns
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.todoist.emulator.errors import ApiError, invalid, not_found
from connectors.todoist.emulator.events import EventLog
from connectors.todoist.emulator.knobs import Knobs
from connectors.todoist.emulator.records import (
    COLORS,
    base62,
    clone,
    day_ns,
    label_sync,
    new_id,
    project_record,
    stamp_ns,
    timestamp,
)

__all__ = ["Account", "Json", "utc_now"]

Json = dict[str, Any]


def utc_now() -> datetime:
    """The default clock: the system's, in UTC. An account on it stamps and counts its days from
    `time.time_ns` directly (`records.stamp_ns`, `records.day_ns`), to the same text and day."""
    return datetime.now(UTC)


class Account(Knobs):
    """User, projects (Inbox first), tasks, labels, collaborators, sections; the knobs via `Knobs`."""

    def __init__(
        self,
        *,
        user_id: str = "2671355",
        email: str = "alice@example.com",
        full_name: str = "Alice",
        timezone: str = "UTC",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.clock: Callable[[], datetime] = clock or utc_now
        self.user: Json = {"id": user_id, "email": email, "full_name": full_name, "timezone": timezone}
        self.user.update(image_id=None, is_premium=True)
        self.projects: dict[str, Json] = {}
        self.tasks: dict[str, Json] = {}  # deleted ones stay, with is_deleted, for incremental sync
        # Each (project, section, parent)'s highest child_order, as of version `_orders_version`.
        self._orders: dict[tuple[str, str | None, str | None], int | None] = {}
        self._orders_version = -1
        self.labels: dict[str, Json] = {}
        self.sections: dict[str, Json] = {}
        self.collaborators: dict[str, Json] = {
            user_id: self._collaborator(user_id, email, full_name, timezone)
        }
        self.collaborator_states: dict[tuple[str, str], Json] = {}
        self.events = EventLog()
        self._serial = itertools.count(1)
        self._user_serial = itertools.count(int(user_id) + 1 if user_id.isdigit() else 1000001)
        now = self._now()
        inbox = project_record(self._new_id(), "Inbox", user_id, now, inbox_project=True)
        self.projects[inbox["id"]] = inbox
        self.inbox_id: str = inbox["id"]

    # -- identity and time -------------------------------------------------------------------

    @property
    def user_id(self) -> str:
        """The account's user id (also every task's `user_id` and `added_by_uid`)."""
        return str(self.user["id"])

    def _now(self) -> str:
        if self.clock is utc_now:  # the system clock read as `utc_now` reads it: see `stamp_ns`
            return stamp_ns(time_ns())
        return timestamp(self.clock())

    def today(self) -> date:
        """The account's current day in the user's time zone, which "today"/"tomorrow" due
        strings count from (late evening in UTC-8 is already tomorrow in UTC)."""
        name = str(self.user.get("timezone") or "UTC")
        if name == "UTC" and self.clock is utc_now:  # read once a command: see `day_ns`
            return day_ns(time_ns())
        try:
            zone: tzinfo = UTC if name == "UTC" else ZoneInfo(name)  # the same day, sooner
        except (ValueError, ZoneInfoNotFoundError):
            zone = UTC
        return self.clock().astimezone(zone).date()

    @property
    def timezone(self) -> str:
        """The user's time zone name, which floating due times and due strings are read in."""
        return str(self.user.get("timezone") or "UTC")

    def _new_id(self) -> str:
        return new_id(next(self._serial))

    @staticmethod
    def _collaborator(user_id: str, email: str, full_name: str, timezone: str) -> Json:
        return {"id": user_id, "email": email, "full_name": full_name, "timezone": timezone, "image_id": None}

    # -- events ----------------------------------------------------------------------------------

    def _emit(self, name: str, data: Json, *, old: Json | None = None, intent: str | None = None) -> None:
        user = self.user
        initiator = {key: user[key] for key in ("id", "email", "full_name", "image_id", "is_premium")}
        url = f"https://app.todoist.com/app/task/{data['id']}" if name.startswith("item:") else None
        event_data = {**data, "url": url} if url else data  # shared: the log keeps its own copy
        event: Json = {
            "event_name": name,
            "user_id": str(user["id"]),
            "version": "1",
            "triggered_at": self._now(),
            "initiator": initiator,
            "event_data": event_data,
        }
        if old is not None:
            event["event_data_extra"] = {"old_item": {**old, "url": url}, "update_intent": intent}
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(self.events[-1])  # a copy of its own, which the task's changes leave alone

    # -- lookups ---------------------------------------------------------------------------------

    def _task(self, task_id: str) -> Json:
        task = self.tasks.get(task_id)
        if task is None or task["is_deleted"] or self.projects[task["project_id"]]["is_archived"]:
            raise not_found("Task")  # an archived project's tasks are out of view
        return task

    def _project(self, project_id: str) -> Json:
        project = self.projects.get(project_id)
        if project is None or project["is_deleted"]:
            raise not_found("Project")
        return project

    def get_task(self, task_id: str) -> Json:
        """A copy of a task (completed ones too); 404 `NOT_FOUND` if unknown or deleted."""
        with self.lock:
            return clone(self._task(task_id))

    def get_project(self, project_id: str) -> Json:
        """A copy of a project; 404 if unknown or deleted."""
        with self.lock:
            return clone(self._project(project_id))

    def members(self, project_id: str) -> list[str]:
        """User ids who may be assigned tasks in the project: the owner, plus its collaborators."""
        with self.lock:
            pid = self._project(project_id)["id"]
            others = [
                s["user_id"]
                for (p, _), s in self.collaborator_states.items()
                if p == pid and s["state"] == "active" and not s["is_deleted"]
            ]
            return list(dict.fromkeys([self.user_id, *others]))

    def _descendants(self, task_id: str) -> list[Json]:
        found: list[Json] = []
        for task in self.tasks.values():
            if task["parent_id"] == task_id and not task["is_deleted"]:
                found += [task, *self._descendants(task["id"])]
        return found

    # -- projects, labels, collaborators, sections -------------------------------------------------

    def create_project(
        self,
        name: object,
        *,
        color: object = "charcoal",
        parent_id: str | None = None,
        description: object = "",
        is_favorite: object = False,
        view_style: object = "list",
    ) -> Json:
        """Add a project (`name` 1..120 characters, a named color, view style list/board/calendar)."""
        with self.lock:
            if not isinstance(name, str) or not 1 <= len(name.strip()) <= 120 or len(name) > 120:
                raise invalid("name", expected="a string of 1 to 120 characters")
            if color not in COLORS:
                raise invalid("color", expected="a color name such as charcoal")
            if view_style not in ("list", "board", "calendar"):
                raise invalid("view_style", expected="list, board or calendar")
            if not isinstance(description, str) or not isinstance(is_favorite, bool):
                raise invalid("description" if not isinstance(description, str) else "is_favorite")
            limit = self.max_projects
            active = [p for p in self.projects.values() if not (p["is_deleted"] or p["is_archived"])]
            if limit is not None and len(active) - 1 >= limit:  # the Inbox does not count
                raise ApiError(403, "Maximum number of projects reached", "MAX_PROJECTS_LIMIT_REACHED", 49,
                               limit=limit)  # fmt: skip
            parent = self._project(parent_id)["id"] if parent_id is not None else None
            order = sum(1 for p in self.projects.values() if p["parent_id"] == parent and not p["is_deleted"])
            project = project_record(
                self._new_id(), name, self.user_id, self._now(), parent_id=parent, child_order=order + 1,
                color=color, description=description, is_favorite=is_favorite, view_style=view_style,
                order_key="a" + base62(order + 1).rjust(5, "0"),
            )  # fmt: skip
            self.projects[project["id"]] = project
            self._bump("projects", project["id"])
            self._emit("project:added", project)
            return clone(project)

    def create_label(
        self,
        name: object,
        *,
        color: object = "charcoal",
        item_order: object = None,
        is_favorite: object = False,
    ) -> Json:
        """Add a personal label (`name` 1..128 characters, unique ignoring case)."""
        with self.lock:
            if not isinstance(name, str) or not 1 <= len(name) <= 128 or not name.strip():
                raise invalid("name", expected="a string of 1 to 128 characters")
            if any(
                lb["name"].lower() == name.lower() and not lb["is_deleted"] for lb in self.labels.values()
            ):
                raise invalid("name", explanation="a label with this name already exists")
            if color not in COLORS:
                raise invalid("color", expected="a color name such as charcoal")
            if item_order is None:
                item_order = len(self.labels) + 1
            if isinstance(item_order, bool) or not isinstance(item_order, int):
                raise invalid("item_order", expected="an integer")
            if not isinstance(is_favorite, bool):
                raise invalid("is_favorite", expected="a boolean")
            label_id = self._new_id()
            label = {"id": label_id, "name": name, "color": color, "item_order": item_order}
            label.update(order_key="a" + base62(len(self.labels) + 1).rjust(5, "0"), is_deleted=False)
            label["is_favorite"] = is_favorite
            self.labels[label_id] = label
            self._bump("labels", label_id)
            self._emit("label:added", label_sync(label))
            return clone(label)

    def add_collaborator(self, project_id: str, *, full_name: str, email: str, timezone: str = "UTC") -> str:
        """Share the project with a new user (the owner joins its collaborators too); their user id."""
        with self.lock:
            project = self._project(project_id)
            uid = str(next(self._user_serial))
            self.collaborators[uid] = self._collaborator(uid, email, full_name, timezone)
            self._bump("collaborators", uid)
            if not project["is_shared"]:
                project.update(is_shared=True, can_assign_tasks=True, updated_at=self._now())
                self._bump("projects", project["id"])
                self._bump("collaborators", self.user_id)
            for member in (self.user_id, uid):
                key = (project["id"], member)
                if key not in self.collaborator_states:
                    state = {
                        "project_id": project["id"],
                        "user_id": member,
                        "state": "active",
                        "is_deleted": False,
                    }
                    self.collaborator_states[key] = state
                    self._bump("collaborator_states", f"{project['id']}:{member}")
            return uid

    def remove_collaborator(self, project_id: str, user_id: str) -> None:
        """The user leaves the shared project (their collaborator state is deleted)."""
        with self.lock:
            state = self.collaborator_states[(self._project(project_id)["id"], user_id)]
            state.update(state="deleted", is_deleted=True)
            self._bump("collaborator_states", f"{project_id}:{user_id}")

    def add_section(self, project_id: str, name: str) -> str:
        """A section to file tasks under (no section endpoints are served); its id."""
        with self.lock:
            section = {"id": self._new_id(), "name": name, "project_id": self._project(project_id)["id"]}
            self.sections[section["id"]] = section
            return str(section["id"])
