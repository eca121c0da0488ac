"""The site's directory: its people, projects, issue types, priorities, resolutions and workflow.

`state.JiraEmulator` adds the issues on top. A fresh site is what the design's contract promises
(design §10): one project, key `BRIDGE`; a user for the given credentials; Jira Cloud's default
priorities (Highest … Lowest, ids 1–5, unverified as ids, reference §2) and resolutions; the
workflow To Do → In Progress → Done; Jira's default issue link types (Blocks, Cloners, Duplicate,
Relates; ids 10000–10003, unverified as ids). The mode decides how people are named on the wire:
Cloud by `accountId`, Server/Data Center by `name` (reference §3).

Who may be assigned is per project, as the Assignable User permission makes it: a user is a member
of the projects `add_user(projects=...)` names (every project by default), and only members may be
assignees. Cloud hides the e-mail address of everyone but the credentials' user unless
`add_user(email_visible=True)`: such an address is matched by user search only when given whole.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Literal

from connectors.jira.emulator.knobs import Knobs
from connectors.jira.emulator.records import (
    CustomField,
    IssueType,
    LinkType,
    Priority,
    Project,
    Resolution,
    Screen,
    User,
    View,
    timestamp,
)
from connectors.jira.emulator.workflow import Workflow

__all__ = ["Mode", "Site"]

Mode = Literal["cloud", "server"]

_PRIORITIES = (
    Priority("1", "Highest", "#d04437", "This problem will block progress."),
    Priority("2", "High", "#f15C75", "Serious problem that could block progress."),
    Priority("3", "Medium", "#f79232", "Has the potential to affect progress."),
    Priority("4", "Low", "#707070", "Minor problem or easily worked around."),
    Priority("5", "Lowest", "#999999", "Trivial problem with little or no impact on progress."),
)
_RESOLUTIONS = (
    Resolution("10000", "Done", "Work has been completed on this issue."),
    Resolution("10001", "Won't Do", "This issue won't be actioned."),
    Resolution("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
    Resolution("10003", "Cannot Reproduce", "All attempts at reproducing this issue failed."),
)
_LINK_TYPES = (
    LinkType("10000", "Blocks", "is blocked by", "blocks"),
    LinkType("10001", "Cloners", "is cloned by", "clones"),
    LinkType("10002", "Duplicate", "is duplicated by", "duplicates"),
    LinkType("10003", "Relates", "relates to", "relates to"),
)
"""The issue link types of a new site, as Jira creates them."""
_ISSUE_TYPES = (
    IssueType("10002", "Task", "A small, distinct piece of work.", 10318),
    IssueType("10004", "Bug", "A problem or error.", 10303),
    IssueType(
        "10003", "Sub-task", "A small piece of work that's part of a larger task.", 10316, subtask=True
    ),
)


TEAM_SCREEN = Screen(
    create=("project", "issuetype", "summary", "description", "labels", "assignee", "reporter"),
    edit=("summary", "description", "labels", "assignee", "reporter", "issuetype"),
)
"""A trimmed screen, as team-managed projects often have: no due date, no priority."""

CLOUD_SEARCH_LAG = 0.3
"""Seconds a Cloud site's search trails its writes by default (Cloud's index is eventually consistent)."""


def _display_name(email: str) -> str:
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in re.split(r"[._-]+", local) if part) or local


class Site(Knobs):
    """Users (`me` first), projects (`BRIDGE` first), priorities, resolutions, issue types."""

    def __init__(
        self,
        *,
        mode: Mode = "cloud",
        email: str = "bridge@example.com",
        display_name: str | None = None,
        name: str | None = None,
        workflow: Workflow | None = None,
        clock: Callable[[], datetime] | None = None,
        time_zone: str = "UTC",
    ) -> None:
        super().__init__()
        if mode not in ("cloud", "server"):
            raise ValueError(f"mode must be 'cloud' or 'server', not {mode!r}")
        self.mode: Mode = mode
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        default = Workflow.server_default if mode == "server" else Workflow.default
        self.workflow: Workflow = workflow or default()
        self.priorities: tuple[Priority, ...] = _PRIORITIES
        self.default_priority: Priority = _PRIORITIES[2]
        self.resolutions: tuple[Resolution, ...] = _RESOLUTIONS
        self.link_types: list[LinkType] = list(_LINK_TYPES)
        """The site's issue link types (Blocks, Cloners, Duplicate, Relates on a new site)."""
        self.users: list[User] = []
        self.projects: list[Project] = []
        self.issue_types: list[IssueType] = list(_ISSUE_TYPES)
        """Every issue type of the site: the shared ones, then those team-managed projects own."""
        self.custom_fields: dict[str, CustomField] = {}
        """Custom fields by id; `add_custom_field` adds one, a project's `Screen` puts it on screen."""
        self.members: dict[str, set[str]] = {}
        """Project key -> keys of the users holding the Assignable User permission there."""
        self.default_assignees: dict[str, User | None] = {}
        """Project key -> who "Automatic" (an absent assignee, or `-1`) assigns: None is Unassigned."""
        self.base_url = "http://127.0.0.1"
        """The origin self links in `events` use; the app keeps it at the one clients last reached."""
        self._user_keys = itertools.count(10000)
        self.me: User = self.add_user(
            display_name or _display_name(email),
            email=email,
            name=name,
            email_visible=True,
            time_zone=time_zone,
        )
        self.add_project("BRIDGE", "Bridge")
        if mode == "cloud":
            self.search_lag = CLOUD_SEARCH_LAG
        # a configured site's second project: Cloud's team-managed kind, with its own "Task" and a
        # screen without due date or priority; Server has no team-managed projects, but the same
        # trimmed screen on a classic project
        self.add_project("TEAM", "Team", team_managed=self.cloud, screen=TEAM_SCREEN)

    @property
    def cloud(self) -> bool:
        """Whether this is Jira Cloud (else Server/Data Center)."""
        return self.mode == "cloud"

    def now(self) -> str:
        """The current time in Jira's spelling."""
        return timestamp(self.clock())

    def view(self, origin: str | None = None, version: str = "2") -> View:
        """How to render for a client at `origin` (default `base_url`) using REST `version`."""
        return View(origin or self.base_url, "2" if version == "latest" else version, self.cloud)

    # -- people ------------------------------------------------------------------------------------

    def add_user(
        self,
        display_name: str,
        *,
        email: str | None = None,
        name: str | None = None,
        active: bool = True,
        projects: Iterable[str] | None = None,
        email_visible: bool | None = None,
        time_zone: str = "UTC",
    ) -> User:
        """Add a person; returns them (`ident(user)` is how the mode's API names them). They may be
        assigned issues in `projects` (keys; default every project); Cloud hides their e-mail
        address unless `email_visible`."""
        with self.lock:
            slug = name or (email.split("@", 1)[0] if email else re.sub(r"\W+", ".", display_name.lower()))
            email = email or f"{slug}@example.com"
            account_id = "557058:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email}"))
            visible = email_visible if email_visible is not None else not self.cloud
            key = f"JIRAUSER{next(self._user_keys)}"
            user = User(account_id, slug, key, email, display_name, active, time_zone, visible)
            self.users.append(user)
            for project in self.projects if projects is None else map(self._project, projects):
                self.members[project.key].add(user.key)
            return user

    def set_assignable(self, user: User, project: str, allowed: bool = True) -> None:
        """Grant or take away `user`'s Assignable User permission in `project` (a key)."""
        with self.lock:
            members = self.members[self._project(project).key]
            if allowed:
                members.add(user.key)
            else:
                members.discard(user.key)

    def may_assign(self, user: User, project: Project) -> bool:
        """Whether `user` may be assigned issues in `project` (active and a member)."""
        return user.active and user.key in self.members.get(project.key, set())

    def set_default_assignee(self, project: str, user: User | None) -> None:
        """Who "Automatic" assigns in `project`: a user (the project lead, say) or None (Unassigned)."""
        with self.lock:
            self.default_assignees[self._project(project).key] = user

    def ident(self, user: User) -> str:
        """A user's identifier in this mode: `accountId` on Cloud, `name` on Server."""
        return user.account_id if self.cloud else user.name

    def find_user(self, value: str) -> User | None:
        """The user with this identifier (Cloud accountId; Server name or key)."""
        for user in self.users:
            if value in ((user.account_id,) if self.cloud else (user.name, user.key)):
                return user
        return None

    def search_users(self, query: str, users: Iterable[User] | None = None) -> list[User]:
        """Users whose display name (or a word of it), email or (Server) name starts with `query`;
        a hidden e-mail address matches only when given whole."""
        wanted = query.casefold()
        found = []
        for user in self.users if users is None else users:
            names = [user.display_name, *user.display_name.split()]
            if user.email_visible or not self.cloud:
                names.append(user.email)
            if not self.cloud:
                names.append(user.name)
            hidden = self.cloud and not user.email_visible and user.email.casefold() == wanted
            if user.active and (hidden or any(n.casefold().startswith(wanted) for n in names)):
                found.append(user)
        return found

    def assignable_users(self, project: Project, query: str | None = None) -> list[User]:
        """The users who may be assigned issues in `project`, matching `query` when given."""
        with self.lock:
            members = [u for u in self.users if self.may_assign(u, project)]
            return members if not query else self.search_users(query, members)

    # -- projects and their schemes ----------------------------------------------------------------

    def add_project(
        self,
        key: str,
        name: str,
        *,
        team_managed: bool = False,
        screen: Screen | None = None,
        subtasks: bool = True,
    ) -> Project:
        """Add a project led by `me`. A classic one offers the site's shared issue types; a
        `team_managed` one owns its own "Task", "Bug" and "Sub-task" (new ids, same names); without
        `subtasks`, a project whose scheme has no sub-task type. `screen` applies
        to each of its types (default: every field). Every user so far may be assigned its
        issues, and its default assignee is Unassigned (Cloud's default)."""
        with self.lock:
            if self.find_project(key) is not None:
                raise ValueError(f"project {key} exists")
            project_id = str(10000 + len(self.projects))
            types = tuple(t for t in _ISSUE_TYPES if subtasks or not t.subtask)
            if team_managed:
                base = 10100 + 10 * len(self.projects)
                types = tuple(
                    dataclasses.replace(t, id=str(base + n), project_id=project_id)
                    for n, t in enumerate(types)
                )
                self.issue_types.extend(types)
            screens = tuple((t.id, screen) for t in types) if screen is not None else ()
            project = Project(
                project_id, key.upper(), name, self.me, types, team_managed=team_managed, screens=screens
            )
            self.projects.append(project)
            self.members[project.key] = {u.key for u in self.users}
            self.default_assignees[project.key] = None
            return project

    def add_custom_field(self, name: str, kind: str = "string") -> CustomField:
        """Add a custom field (`customfield_10010`, `…11`, …); put it on a screen with `set_screen`."""
        with self.lock:
            field = CustomField(f"customfield_{10010 + len(self.custom_fields)}", name, kind)
            self.custom_fields[field.id] = field
            return field

    def set_screen(
        self,
        key: str,
        issue_type: str = "Task",
        *,
        create: tuple[str, ...] | None = None,
        edit: tuple[str, ...] | None = None,
        required: tuple[str, ...] = (),
    ) -> Project:
        """Change the screens of project `key` for one issue type (by name or id): the fields its
        create and edit screens show (default: what they show now) and those required on create."""
        with self.lock:
            project = self.find_project(key)
            if project is None:
                raise ValueError(f"no project {key}")
            kind = next((t for t in project.issue_types if issue_type in (t.id, t.name)), None)
            if kind is None:
                raise ValueError(f"project {key} has no issue type {issue_type!r}")
            now = project.screen(kind.id)
            screen = Screen(create or now.create, edit or now.edit, required)
            screens = (*((t, s) for t, s in project.screens if t != kind.id), (kind.id, screen))
            changed = dataclasses.replace(project, screens=screens)
            self.projects[self.projects.index(project)] = changed
            return changed

    def _project(self, key: str) -> Project:
        found = self.find_project(key)
        if found is None:
            raise ValueError(f"no project {key!r}")
        return found

    def find_project(self, key_or_id: str) -> Project | None:
        """The project with this id or key (keys compare case-insensitively)."""
        for project in self.projects:
            if key_or_id in (project.id, project.key) or key_or_id.upper() == project.key:
                return project
        return None

    def find_priority(self, value: str) -> Priority | None:
        """The priority with this id or name (case-insensitive)."""
        wanted = value.lower()
        return next((p for p in self.priorities if value == p.id or wanted == p.name.lower()), None)

    def find_link_type(self, *, name: str | None = None, type_id: str | None = None) -> LinkType | None:
        """The link type with this id, or with exactly this name (strict, as the bridge must not
        lean on a database collation that ignores case)."""
        for kind in self.link_types:
            if (type_id is not None and kind.id == type_id) or (name is not None and kind.name == name):
                return kind
        return None

    def find_resolution(self, value: str) -> Resolution | None:
        """The resolution with this id or name (case-insensitive)."""
        wanted = value.lower()
        return next((r for r in self.resolutions if value == r.id or wanted == r.name.lower()), None)
