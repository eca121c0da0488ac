"""One Jira site in memory, shared by the HTTP app and the tests, and every change to its issues.

Everything that changes an issue goes through the mutation methods here — whether the request came
over REST or from a test acting as a person in Jira (`create`, `update`, `transition_to`,
`complete`, `delete`). So each change stamps `updated`, records a changelog entry, appends the
webhook event it would trigger to `events` (reference §6 shape: `jira:issue_created`,
`jira:issue_updated` with `changelog.items`, `jira:issue_deleted`; handed to `on_event`, which
`create_app(..., webhook_url=...)` sets to deliver it) and queues the new state for the search
index, which lags behind writes as Cloud's does when `search_lag` is set (reference §7).
One `threading.RLock` guards it all: the server runs in its own thread while a test pokes the site.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import Any

from connectors.jira.emulator.errors import JiraError, issue_not_found
from connectors.jira.emulator.fields import read_changes
from connectors.jira.emulator.records import (
    History,
    Issue,
    IssueLink,
    Json,
    LinkEnd,
    LinkType,
    Resolution,
    User,
    issue_json,
    user_json,
)
from connectors.jira.emulator.site import Mode, Site
from connectors.jira.emulator.workflow import Transition, Workflow, WorkflowStatus

__all__ = ["JiraEmulator"]


def _due(day: str | None) -> str | None:
    return f"{day} 00:00:00.0" if day else None


def _holds(issue: Issue, field: str, resolution: Resolution | None) -> bool:
    """Whether a field required by a validator has a value once the transition is made."""
    value = resolution if field == "resolution" else getattr(issue, field, None)
    return value not in (None, "", [])


class JiraEmulator(Site):
    """The site (see `Site`) plus its issues, their changelogs, webhook events and search index."""

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
        """A fresh site (see `Site`): `email`/`display_name`/`name`/`time_zone` describe the
        credentials' user (`me`; JQL reads date literals in that zone), `workflow` defaults to
        `Workflow.default()` on Cloud and `Workflow.server_default()` (Done's screen requires a
        Resolution) on Server, `clock` to the current UTC time."""
        super().__init__(
            mode=mode, email=email, display_name=display_name, name=name, workflow=workflow, clock=clock,
            time_zone=time_zone,
        )  # fmt: skip
        self.issues: dict[str, Issue] = {}
        """Live issues by id (deleted ones are gone)."""
        self.events: list[Json] = []
        """The webhook bodies Jira would deliver, oldest first."""
        self.searches = 0
        """Search requests served so far (what `search_lag_searches` counts)."""
        self.page_tokens: dict[str, tuple[str, int]] = {}
        """Issued Cloud `nextPageToken`s -> (the JQL they continue, the offset they stand for)."""
        self.links: dict[str, IssueLink] = {}
        """Issue links by id; each issue also keeps its own ends (`Issue.links`)."""
        self._link_ids = itertools.count(10000)
        self._ids = itertools.count(10001)
        self._numbers: dict[str, itertools.count[int]] = {}
        self._history_ids = itertools.count(10000)
        self._index: dict[str, Issue] = {}
        self._pending: list[tuple[str, Issue | None, float, int]] = []

    # -- lookups -----------------------------------------------------------------------------------

    def _issue(self, id_or_key: str) -> Issue:
        found = self.issues.get(id_or_key)
        if found is None:
            wanted = id_or_key.upper()
            found = next((i for i in self.issues.values() if i.key == wanted), None)
        if found is None:
            raise issue_not_found()
        return found

    def get_issue(self, id_or_key: str) -> Issue:
        """A copy of the issue with this id or key (case-insensitive); 404 if unknown or deleted."""
        with self.lock:
            return self._issue(id_or_key).snapshot()

    def find_key(self, key: str) -> Issue | None:
        """The live issue with this key, if any (JQL checks that keys exist)."""
        with self.lock:
            try:
                return self._issue(key)
            except JiraError:
                return None

    # -- events, history, index ----------------------------------------------------------------

    def _emit(self, name: str, kind: str, issue: Issue, author: User, items: list[Json]) -> None:
        view = self.view()
        event: Json = {
            "timestamp": int(self.clock().timestamp() * 1000),
            "webhookEvent": name,
            "issue_event_type_name": kind,
            "user": user_json(view, author),
            "issue": issue_json(view, issue, linked=self.issues),
        }
        if items:
            event["changelog"] = {"id": issue.history[-1].id, "items": items}
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def _queue(self, issue_id: str, issue: Issue | None) -> None:
        self._pending.append((issue_id, issue.snapshot() if issue else None, time.monotonic(), self.searches))

    def searchable(self, reconcile: Collection[str] = ()) -> list[Issue]:
        """Count a search and return what it sees: the index, with writes older than the lags
        applied, plus the live state of the `reconcile` ids (read-after-write, reference §2)."""
        with self.lock:
            self.searches += 1
            now = time.monotonic()
            while self._pending:
                issue_id, snapshot, written, searches = self._pending[0]
                if now - written < self.search_lag or self.searches - searches <= self.search_lag_searches:
                    break
                self._pending.pop(0)
                if snapshot is None:
                    self._index.pop(issue_id, None)
                else:
                    self._index[issue_id] = snapshot
            seen = dict(self._index)
            for issue_id in reconcile:
                if issue_id in self.issues:
                    seen[issue_id] = self.issues[issue_id].snapshot()
                else:
                    seen.pop(issue_id, None)
            return list(seen.values())

    def wait_for_search(self) -> None:
        """Sleep until search shows every write so far (`search_lag` has passed for the last one):
        what a person, or a sync started a moment later, sees."""
        with self.lock:
            last = self._pending[-1][2] if self._pending else None
        if last is not None:
            time.sleep(max(0.0, last + self.search_lag - time.monotonic()))

    def _diff(self, old: Issue, new: Issue) -> list[Json]:
        """Changelog items, as webhooks carry them: ids in from/to, display text in the strings."""

        def ref(obj: Any) -> tuple[str | None, str | None]:
            if obj is None:
                return None, None
            if isinstance(obj, User):
                return self.ident(obj), obj.display_name
            return str(obj.id), str(obj.name)

        pairs: list[tuple[str, tuple[Any, Any], tuple[Any, Any]]] = [
            ("summary", (None, None), (old.summary, new.summary)),
            ("description", (None, None), (old.description, new.description)),
            ("labels", (None, None), (" ".join(old.labels), " ".join(new.labels))),
            ("duedate", (old.duedate, new.duedate), (_due(old.duedate), _due(new.duedate))),
        ]  # fmt: skip
        for name in ("priority", "assignee", "issuetype", "status", "resolution"):
            (before, before_s), (after, after_s) = ref(getattr(old, name)), ref(getattr(new, name))
            pairs.append((name, (before, after), (before_s, after_s)))
        parents = [(p.id, p.key) if p is not None else (None, None) for p in (old.parent, new.parent)]
        pairs.append(
            ("IssueParentAssociation", (parents[0][0], parents[1][0]), (parents[0][1], parents[1][1]))
        )
        return [
            {"field": name, "fieldtype": "jira", "from": ids[0], "fromString": strings[0],
             "to": ids[1], "toString": strings[1]}
            for name, ids, strings in pairs
            if ids[0] != ids[1] or strings[0] != strings[1]
        ]  # fmt: skip

    def _record(self, issue: Issue, old: Issue, author: User, kind: str | None = None) -> list[Json]:
        """Stamp and log a change (history, event, index); nothing when nothing changed."""
        items = self._diff(old, issue)
        if not items:
            return items
        issue.updated = self.now()
        issue.history.append(History(str(next(self._history_ids)), author, issue.updated, tuple(items)))
        if kind is None:
            kind = "issue_assigned" if [i["field"] for i in items] == ["assignee"] else "issue_updated"
        self._emit("jira:issue_updated", kind, issue, author, items)
        self._queue(issue.id, issue)
        return items

    # -- mutations (REST and the person helpers land here) ---------------------------------------

    def create_issue(self, changes: Json, *, author: User | None = None) -> Issue:
        """Add an issue from checked changes (see `fields.read_changes`); it starts in the
        workflow's initial status with the default priority unless one is given."""
        with self.lock:
            project = changes["project"]
            number = self._numbers.setdefault(project.key, itertools.count(1))
            now = self.now()
            issue = Issue(
                id=str(next(self._ids)),
                key=f"{project.key}-{next(number)}",
                project=project,
                issuetype=changes["issuetype"],
                summary=changes["summary"],
                reporter=changes.get("reporter") or author or self.me,
                status=self.workflow.initial,
                priority=changes.get("priority", self.default_priority),
                created=now,
                updated=now,
                statuscategorychangedate=now,
                description=changes.get("description"),
                labels=list(changes.get("labels", [])),
                duedate=changes.get("duedate"),
                assignee=changes["assignee"]
                if "assignee" in changes
                else self.default_assignees.get(project.key),
                custom={k: v for k, v in changes.items() if k in self.custom_fields and v is not None},
                parent=changes.get("parent"),
            )
            self.issues[issue.id] = issue
            self._emit("jira:issue_created", "issue_created", issue, author or self.me, [])
            self._queue(issue.id, issue)
            return issue.snapshot()

    def edit_issue(self, id_or_key: str, changes: Json, *, author: User | None = None) -> Issue:
        """Apply checked changes; no change, no new `updated`, history entry or event."""
        with self.lock:
            issue = self._issue(id_or_key)
            old = issue.snapshot()
            for name, value in changes.items():
                if name in self.custom_fields:
                    issue.custom[name] = value
                else:
                    setattr(issue, name, list(value) if name == "labels" else value)
            self._record(issue, old, author or self.me)
            return issue.snapshot()

    def transitions(self, id_or_key: str) -> list[tuple[Transition, WorkflowStatus]]:
        """The transitions the workflow offers the issue now, with their target statuses."""
        with self.lock:
            issue = self._issue(id_or_key)
            return [(t, self.workflow.target(t)) for t in self.workflow.available(issue.status.id)]

    def transition(
        self, id_or_key: str, transition_id: str, *, resolution: Resolution | None = None,
        author: User | None = None,
    ) -> Issue:  # fmt: skip
        """Move the issue along an offered transition; 400 for one the workflow does not offer,
        and for one its validators refuse (checked after the screen's fields are applied).

        `resolution` is the screen's value; then the post-functions run (`sets_resolution`,
        `clears_resolution`). `resolutiondate` follows the resolution: stamped when one is set on
        an unresolved issue, cleared with it.
        """
        with self.lock:
            issue = self._issue(id_or_key)
            move = next((t for t in self.workflow.available(issue.status.id) if t.id == transition_id), None)
            if move is None:
                raise JiraError(400, [f"Transition id '{transition_id}' is not valid for this issue."])
            old = issue.snapshot()
            target = self.workflow.target(move)
            chosen = old.resolution
            if resolution is not None:
                chosen = resolution
            if move.sets_resolution is not None:
                chosen = self.find_resolution(move.sets_resolution) or self.resolutions[0]
            elif move.clears_resolution:
                chosen = None
            refused = [v for v in move.validators if not _holds(issue, v.field, chosen)]
            if refused:
                keyed = {v.field: v.text for v in refused if v.keyed}
                raise JiraError(400, [v.text for v in refused if not v.keyed], keyed)
            issue.status = target
            now = self.now()
            if target.category != old.status.category:
                issue.statuscategorychangedate = now
            issue.resolution = chosen
            if chosen is None:
                issue.resolutiondate = None
            elif old.resolution is None:
                issue.resolutiondate = now
            self._record(issue, old, author or self.me, "issue_generic")
            if issue.updated == old.updated:  # a transition to the same status still counts
                issue.updated = now
                self._queue(issue.id, issue)
            return issue.snapshot()

    def delete_issue(self, id_or_key: str, *, author: User | None = None) -> None:
        """Remove the issue (404 afterwards); its key is never reused."""
        with self.lock:
            issue = self._issue(id_or_key)
            for end in list(issue.links):  # Jira deletes an issue's links with it
                self._drop_link(self.links[end.id])
            del self.issues[issue.id]
            self._emit("jira:issue_deleted", "issue_deleted", issue, author or self.me, [])
            self._queue(issue.id, None)

    def set_property(self, id_or_key: str, key: str, value: Any) -> bool:
        """Set an issue entity property; True when it is new (201), False when replaced (200)."""
        with self.lock:
            issue = self._issue(id_or_key)
            created = key not in issue.properties
            issue.properties[key] = value
            self._queue(issue.id, issue)
            return created

    def delete_property(self, id_or_key: str, key: str) -> bool:
        """Remove an issue entity property; False when the issue has none by that key (404)."""
        with self.lock:
            issue = self._issue(id_or_key)
            if key not in issue.properties:
                return False
            del issue.properties[key]
            self._queue(issue.id, issue)
            return True

    # -- issue links ------------------------------------------------------------------------------

    def linked(self, issue: Issue) -> dict[str, Issue]:
        """Copies of the issues `issue`'s links lead to, by id (what its `issuelinks` renders)."""
        with self.lock:
            return {e.other: self.issues[e.other].snapshot() for e in issue.links if e.other in self.issues}

    def get_link(self, link_id: str) -> IssueLink:
        """The link with this id; 404 when there is none (wording unverified)."""
        with self.lock:
            found = self.links.get(link_id)
            if found is None:
                raise JiraError(404, [f"No issue link with id '{link_id}' exists."])
            return found

    def link(self, kind: LinkType, source: str, destination: str, *, author: User | None = None) -> IssueLink:
        """Link two issues (ids or keys): `source` then reads "<outward> destination", and
        `destination` "<inward> source". A link that exists already is answered as made, as
        Jira does. Both issues get a `Link` changelog entry and a new `updated`; the event is
        `issuelink_created`. 404 "Issue Does Not Exist" for an unknown issue (the wording
        Atlassian's own REST client tests expect)."""
        with self.lock:
            try:
                start, end = self._issue(source), self._issue(destination)
            except JiraError:
                raise JiraError(404, ["Issue Does Not Exist"]) from None
            for made in self.links.values():
                if (made.type.id, made.source, made.destination) == (kind.id, start.id, end.id):
                    return made
            made = IssueLink(str(next(self._link_ids)), kind, start.id, end.id)
            self.links[made.id] = made
            who = author or self.me
            for issue, other, outward in ((start, end, True), (end, start, False)):
                issue.links.append(LinkEnd(made.id, kind, outward, other.id))
                words = kind.outward if outward else kind.inward
                change = {"to": other.key, "toString": f"This issue {words} {other.key}"}
                self._link_history(issue, who, change)
            self._link_event("issuelink_created", made)
            return made

    def unlink(self, link_id: str, *, author: User | None = None) -> None:
        """Delete a link (404 when there is none); both issues get a `Link` changelog entry."""
        with self.lock:
            made = self.get_link(link_id)
            who = author or self.me
            for issue_id, other_id, outward in ((made.source, made.destination, True),
                                                (made.destination, made.source, False)):  # fmt: skip
                issue, other = self.issues[issue_id], self.issues[other_id]
                words = made.type.outward if outward else made.type.inward
                self._link_history(
                    issue, who, {"from": other.key, "fromString": f"This issue {words} {other.key}"}
                )
            self._drop_link(made)
            self._link_event("issuelink_deleted", made)

    def _drop_link(self, made: IssueLink) -> None:
        self.links.pop(made.id, None)
        for issue_id in (made.source, made.destination):
            issue = self.issues.get(issue_id)
            if issue is not None:
                issue.links = [e for e in issue.links if e.id != made.id]
                self._queue(issue.id, issue)

    def _link_history(self, issue: Issue, author: User, change: Json) -> None:
        issue.updated = self.now()
        item = {"field": "Link", "fieldtype": "jira", "from": None, "fromString": None, "to": None,
                "toString": None, **change}  # fmt: skip
        issue.history.append(History(str(next(self._history_ids)), author, issue.updated, (item,)))
        self._queue(issue.id, issue)

    def _link_event(self, name: str, made: IssueLink) -> None:
        """An `issuelink_created`/`issuelink_deleted` webhook body (ids as numbers, as Jira sends)."""
        kind = made.type
        link_type = {
            "id": int(kind.id),
            "name": kind.name,
            "outwardName": kind.outward,
            "inwardName": kind.inward,
            "isSubTaskLinkType": False,
            "isSystemLinkType": False,
        }
        event: Json = {
            "timestamp": int(self.clock().timestamp() * 1000),
            "webhookEvent": name,
            "issueLink": {
                "id": int(made.id),
                "sourceIssueId": int(made.source),
                "destinationIssueId": int(made.destination),
                "issueLinkType": link_type,
                "systemLink": False,
            },
        }
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    # -- a person in Jira's own app -------------------------------------------------------------

    def _person_changes(self, fields: dict[str, Any], issue: Issue | None) -> Json:
        wire: Json = {}
        key = fields.get("project") if issue is None else issue.project.key
        project = self.find_project(str(key)) if key is not None else None
        for name, value in fields.items():
            if name == "issuetype" and project is not None:  # a person picks from the project's own
                kind = next((t for t in project.issue_types if value in (t.id, t.name)), None)
                wire[name] = {"id": kind.id} if kind is not None else {"name": value}
            elif name in ("priority", "issuetype", "project"):
                wire[name] = {"name" if name != "project" else "key": value}
            elif name in ("assignee", "reporter"):
                user = value if isinstance(value, User) or value is None else self._someone(value)
                wire[name] = None if user is None else ({"accountId": user.account_id} if self.cloud
                                                        else {"name": user.name})  # fmt: skip
            else:
                wire[name] = value
        return read_changes(
            self, wire, version="2", creating=issue is None, project=project,
            issuetype=issue.issuetype if issue is not None else None,
        )  # fmt: skip

    def _someone(self, who: str) -> User:
        found = self.find_user(who) or next(
            (u for u in self.users if who in (u.account_id, u.name, u.email, u.display_name)), None
        )
        if found is None:
            raise ValueError(f"no user {who!r}")
        return found

    def create(self, summary: str, **fields: Any) -> str:
        """Create an issue as a person would; returns its key. `fields`: `project` (key, default
        BRIDGE), `issuetype` (name, default Task), `description`, `labels`, `duedate`
        ("YYYY-MM-DD"), `priority` (name), `assignee` (accountId, name, email or display name)."""
        fields = {"project": self.projects[0].key, "issuetype": "Task", **fields, "summary": summary}
        return self.create_issue(self._person_changes(fields, None)).key

    def update(self, key: str, **fields: Any) -> Issue:
        """Edit an issue as a person would (names as for `create`; `labels` replaces the list)."""
        with self.lock:
            issue = self._issue(key)
            return self.edit_issue(issue.id, self._person_changes(fields, issue))

    def transition_to(self, key: str, status_name: str, *, resolution: str | None = None) -> Issue:
        """Click through the workflow to `status_name` by the fewest transitions (each one a
        change with its own event); ValueError when the workflow offers no way there."""
        with self.lock:
            issue = self._issue(key)
            target = self.workflow.status(status_name)
            path = self.workflow.path(issue.status.id, target) if target is not None else None
            if path is None:
                raise ValueError(f"{issue.key} cannot reach status {status_name!r}")
            chosen = self.find_resolution(resolution) if resolution is not None else None
            for move in path:  # a screen that asks for a resolution gets one, "Done" unless told
                given = chosen if "resolution" in move.screen else None
                if given is None and "resolution" in move.required:
                    given = self.resolutions[0]
                self.transition(issue.id, move.id, resolution=given)
            return issue.snapshot()

    def complete(self, key: str) -> None:
        """Move the issue to the workflow's first done-category status (the `EmulatorControl` verb)."""
        done = next(s for s in self.workflow.statuses if s.category == "done")
        self.transition_to(key, done.name)

    def reopen(self, key: str) -> Issue:
        """Move the issue back to the workflow's initial status."""
        return self.transition_to(key, self.workflow.initial.name)

    def delete(self, key: str) -> None:
        """Delete the issue as a person would."""
        self.delete_issue(key)

    def link_issues(self, type_name: str, source: str, destination: str) -> IssueLink:
        """Link two issues (keys) as a person would, by the link type's name."""
        with self.lock:
            kind = self.find_link_type(name=type_name)
            if kind is None:
                raise ValueError(f"no issue link type {type_name!r}")
            return self.link(kind, source, destination)

    def keys(self, issues: Iterable[Issue] | None = None) -> list[str]:
        """Keys of the given issues, or of every live issue, in creation order."""
        with self.lock:
            chosen = list(self.issues.values()) if issues is None else list(issues)
            return [i.key for i in sorted(chosen, key=lambda i: int(i.id))]
