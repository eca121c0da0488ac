"""JiraConnector: the bridge's connector contract, spoken to Jira Cloud or Server/Data Center.

Reads: the first sync reads every issue carrying the `task-bridge` label in the project; later
ones ask only for issues whose status changed since the cursor (`updated >= d AND status CHANGED
AFTER d`), so the bridge's own creates do not come back: a no-op sync is one search (and the
`jira` library's one field lookup).
Writes: creates in bulk (50 a request) after searching for each task's `bridge-<key>` label, so
a run killed between the create and the state commit does not create twice; edits as one PUT
with only the changed fields; status moves through whatever transitions the workflow offers.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bridge.connector import (
    Op,
    OpKind,
    OpResult,
    Pull,
    Push,
    RemoteTask,
    cursor_error,
    cursor_object,
)
from bridge.errors import ConfigError, ConnectorError, GoneError, RemoteReadError
from bridge.model import StatusType
from bridge.settings_load import load, model_of
from bridge.settings_table import BRIDGE
from bridge.transport import Patience
from connectors.jira import mapping, screens
from connectors.jira.client import BULK, JiraClient, refused_fields
from connectors.jira.settings_table import JIRA

if TYPE_CHECKING:
    from bridge.connector_commands import Check, EmulatorOptions
    from connectors.jira.settings import JiraSettings
    from connectors.jira.webhook import JiraWebhooks

__all__ = ["JiraConnector", "missing_project"]

log = logging.getLogger(__name__)

FIELDS = ["summary", "status", "labels", "updated", "duedate"]
MARGIN = timedelta(minutes=5)  # JQL dates have minute precision, and Cloud search lags writes
LABELS_PER_SEARCH = 100
MAX_STEPS = 8  # transitions tried on the way to a status category
# What each key of the cursor (this connector's own JSON) must hold, checked when it is read back.
_CURSOR = {
    "deployment": str,
    "me": dict,
    "tz": str,
    "since": str,
    "people": dict,
    "meta": dict,
    "written": dict,
}
_ACCOUNT_ID = re.compile(r"^(?:[0-9a-f]{24}|\d+:[0-9a-f-]{36})$")  # Cloud's two accountId shapes
LINK_TYPE = "Relates"  # a sub-task's link to its parent where the project has no sub-task type
AUTOMATIC = "-1"  # an assignee of "-1" is Jira's "Automatic": the project's default assignee


def missing_project(project: str, keys: Sequence[str]) -> str:
    shown = ", ".join(keys) if keys else "none"
    return f"JIRA_PROJECT {project!r}: no such project visible to these credentials (visible: {shown})"


class JiraConnector:
    name: ClassVar[str] = "jira"
    emulator_flags: ClassVar[tuple[str, ...]] = (
        "email",
        "token",
        "pat",
        "secret",
        "webhook_url",
    )  # `bridge emulator` offers these
    settings_class: ClassVar[type[JiraSettings]] = model_of(JIRA)
    # Jira has no recurring issues: each occurrence is an issue of its own, the next one a CREATE
    # with `Op.follows`, linked to the one before it (JIRA_RECURRENCE_LINK); never an ADVANCE.
    recurs: ClassVar[bool] = False

    @classmethod
    def doctor(cls) -> list[Check]:
        """`bridge doctor`'s lines for Jira (connectors/jira/doctor.py)."""
        from connectors.jira.doctor import checks

        return checks()

    def __init__(
        self,
        settings: JiraSettings,
        *,
        client: JiraClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
        patience: Patience | None = None,
    ) -> None:
        settings.check()
        self.settings = settings
        self.project = settings.project or ""
        self.client = client or JiraClient(settings, sleep=sleep, patience=patience)
        self.sleep = sleep
        self.state: dict[str, Any] = {}
        self.seen: dict[str, dict[str, Any]] = {}  # ref -> issue, from a full read this run
        self.full = False  # whether this run's pull read every bridge issue of the project
        self.warned: set[str] = set()  # transitions already said to drop a cancelled line's resolution
        self.fresh = False  # whether the screens in `state["meta"]` were learned this run
        self.defaults: dict[str, Any] = {}  # JIRA_FIELDS by field id
        self.left_out: dict[str, set[str]] = {}  # "create"/"edit" -> field ids not sent this run
        self.missed: set[str] = set()  # owners nobody assignable matched this run: asked once a run
        self.flattened: set[str] = set()  # creates under a sub-task, made issues of their own instead
        self.on_progress: Callable[[int, int], None] | None = None  # set by the sync: a bar
        self.link_type: str | None = None  # JIRA_RECURRENCE_LINK as the site spells it, once looked up
        self.link_checked = False  # whether it was looked up this run (a miss is said once)

    @classmethod
    def from_env(cls) -> Self:
        return cls(load(JIRA), patience=Patience.of(load(BRIDGE)))

    @property
    def requests(self) -> int:
        return self.client.requests

    @property
    def target(self) -> str:
        """Where new issues go, in words, for the dry run: the project, the site and the account."""
        account = self.settings.email or ("a personal access token" if self.settings.pat else None)
        site = f" at {self.settings.url}" if self.settings.url else ""
        return f"Jira project {self.project}{site}" + (f", account {account}" if account else "")

    def close(self) -> None:
        self.client.close()

    @classmethod
    def webhooks(cls) -> JiraWebhooks:
        secret = load(JIRA).webhook_secret
        if secret is None:
            raise ConfigError("JIRA_WEBHOOK_SECRET is not set: webhook signatures cannot be checked")
        from connectors.jira.webhook import JiraWebhooks  # here: its pydantic models are for `serve`

        return JiraWebhooks(secret.get_secret_value())

    @classmethod
    def emulator(cls, options: EmulatorOptions) -> Any:
        from connectors.jira.emulator import create_app

        if options.pat is not None:
            if options.email is not None or options.token is not None:
                raise ConfigError("the Jira emulator takes --email with --token (Cloud) or --pat (Server)")
            return create_app(
                mode="server", pat=options.pat, secret=options.secret, webhook_url=options.webhook_url
            )
        if (options.email is None) != (options.token is None):
            raise ConfigError("the Jira emulator takes --email and --token together")
        email = options.email or "bridge@example.com"
        return create_app(
            mode="cloud",
            email=email,
            token=options.token or "emulator-token",
            secret=options.secret,
            webhook_url=options.webhook_url,
        )

    # -- reading ----------------------------------------------------------------------------------

    def _jql(self, *clauses: str) -> str:
        scope = [f'project = "{self.project}"', f'labels = "{mapping.BRIDGE_LABEL}"']
        return " AND ".join([*scope, *clauses])

    def _literal(self, moment: datetime) -> str:
        """A JQL date: minute precision, in the searching user's time zone (Jira reads it so)."""
        try:
            zone: Any = ZoneInfo(self.state.get("tz") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    def pull(self, cursor: str | None) -> Pull:
        self.state = cursor_object(self.name, cursor, _CURSOR)
        try:
            since_at = datetime.fromisoformat(self.state["since"]) if self.state.get("since") else None
        except ValueError as exc:
            raise cursor_error(self.name, f"since: {exc}") from exc
        deployment = self.state.get("deployment")
        if deployment:
            self.client.deployment = deployment
            self.client.jira.deploymentType = deployment
        else:
            self.client.connect()
            self.state["deployment"] = self.client.deployment
        if "me" not in self.state:
            self._learn_me()
        since = self.state.get("since")
        if since_at is not None:
            when = self._literal(since_at)
            jql = self._jql(f'updated >= "{when}"', f'status CHANGED AFTER "{when}"')
        else:
            jql = self._jql()
        started = datetime.now(UTC)
        written: dict[str, str] = self.state.get("written", {})
        recent = sorted(written, key=lambda k: written[k], reverse=True)
        reconcile = [int(k) for k in recent if k.isdigit()]
        try:
            found = list(self.client.search(jql + " ORDER BY key ASC", FIELDS, reconcile))
        except RemoteReadError as exc:
            self._check_project(exc)
            raise
        issues = self._fresh(found)
        now = self.client.server_time or started
        self.state["since"] = (now - MARGIN).astimezone(UTC).isoformat(timespec="seconds")
        self._learn_screens()
        self.missed = set()
        changes = tuple(mapping.remote_task(i) for i in issues)
        self.seen = {} if since else {c.ref: i for c, i in zip(changes, issues, strict=True) if c.ref}
        self.full = not since
        return Pull(changes, self._cursor())

    def _check_project(self, failure: RemoteReadError) -> None:
        """After a refused search (Jira answers 400 for a project it does not show): a ConfigError
        naming JIRA_PROJECT and the keys these credentials can see, when the project is the cause."""
        if "HTTP 400" not in str(failure) and "HTTP 404" not in str(failure):
            return
        keys = self.client.project_keys()
        if self.project not in keys:
            raise ConfigError(missing_project(self.project, keys)) from failure

    def _learn_screens(self, *, refresh: bool = False) -> screens.Meta:
        """The project's issue type and create screen, from the cursor or asked once (two requests:
        the project's types, then the type's fields); JIRA_FIELDS checked against the screen."""
        meta: screens.Meta | None = self.state.get("meta")
        wanted = self.settings.issue_type
        if (
            refresh
            or not meta
            or "subtask" not in meta  # a cursor from before sub-tasks were followed
            or (meta.get("project"), meta.get("wanted")) != (self.project, wanted)
        ):
            meta = self._ask_screens(wanted)
            self.state["meta"] = meta
            self.fresh = True
        try:
            screens.check_essentials(meta)
            self.defaults = screens.defaults(meta, self.settings.fields)
        except (KeyError, TypeError, AttributeError) as exc:  # a cursor of another shape
            raise cursor_error(self.name, f"meta: {exc!r}") from exc
        return meta

    def _ask_screens(self, wanted: str) -> screens.Meta:
        types = self.client.issue_types(self.project)
        if types is not None:
            kind = screens.pick_type(types, wanted, self.project)
            fields = screens.learn_fields(self.client.create_screen(self.project, kind["id"]))
        else:  # a Data Center before 8.4: the older createmeta has both in one answer
            types = self.client.old_createmeta(self.project)
            kind = screens.pick_type(types, wanted, self.project)
            chosen = next(t for t in types if str(t.get("id")) == kind["id"])
            fields = screens.learn_fields(chosen.get("fields") or {})
        subtask = screens.subtask_type(types)
        return {"project": self.project, "wanted": wanted, "type": kind, "create": fields, "subtask": subtask}

    def _left_out(self, screen: str, fields: set[str]) -> None:
        self.left_out.setdefault(screen, set()).update(fields)

    def _say_left_out(self) -> None:
        """One warning a run for the note fields a screen kept out of Jira."""
        meta = self.state.get("meta") or {}
        where = f"{(meta.get('type') or {}).get('name', self.settings.issue_type)} issues in {self.project}"
        for screen, fields in sorted(self.left_out.items()):
            lost = screens.dropped(fields)
            if lost:
                log.warning(
                    "Jira: %s not on the %s screen of %s: the notes' %s are not carried there"
                    " (add the fields to the screen to carry them)",
                    ", ".join(sorted(fields)), screen, where, ", ".join(lost),
                )  # fmt: skip
        self.left_out = {}

    def _fresh(self, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The searched issues, less those older than the bridge's own last write to them.

        Cloud's search lags behind writes: right after the bridge closed an issue, search may
        still show it open, as it was before. The issues the bridge wrote lately are asked for
        with `reconcileIssues` (the latest 50); beyond those, a copy older than the bridge's
        write is not news (a person's change after it would be newer), and the overlap of the
        `updated` window reads the issue again once the index has caught up. Marks older than
        the window are dropped.
        """
        written: dict[str, str] = self.state.get("written", {})
        horizon = datetime.now(UTC) - 2 * MARGIN
        kept = {k: v for k, v in written.items() if (mapping.parse_time(v) or horizon) > horizon}
        self.state["written"] = kept
        fresh = []
        for issue in issues:
            mark = mapping.parse_time(kept.get(str(issue.get("id"))))
            updated = mapping.parse_time((issue.get("fields") or {}).get("updated"))
            if mark is not None and updated is not None and updated < mark:
                log.debug(
                    "Jira: %s: search shows it before the bridge's last write; skipped", issue.get("key")
                )
                continue
            fresh.append(issue)
        return fresh

    def _wrote(self, issue_id: str) -> None:
        """Mark an issue the bridge just changed, at Jira's clock (the `Date` of the answer,
        whole seconds, so never later than the write's own `updated`)."""
        when = self.client.server_time or datetime.now(UTC)
        self.state.setdefault("written", {})[issue_id] = when.astimezone(UTC).isoformat(timespec="seconds")

    def recover(self, pending: Mapping[str, str]) -> tuple[RemoteTask, ...]:
        """Issues a run that died before committing created, found by their `bridge-<key>` label:
        an incremental pull lists status changes only, so a new issue is not in it."""
        found = self._search_labels(sorted(pending))
        return tuple(mapping.remote_task(issue) for issue in found.values())

    def _learn_me(self) -> None:
        me = self.client.myself()
        self.state["tz"] = me.get("timeZone") or "UTC"
        self.state["me"] = self._ident(me)

    def _ident(self, user: dict[str, Any]) -> dict[str, str]:
        """How this deployment names a person in an issue's fields (reference §3)."""
        key = "accountId" if self.client.cloud else "name"
        if not user.get(key):
            raise self.client.unexpected("a user lookup", f"a user without {key}")
        return {key: str(user[key])}

    def _cursor(self) -> str:
        return json.dumps(self.state, sort_keys=True)

    def _assignee(self, owner: str | None) -> dict[str, str] | None:
        """Whom to assign `owner`'s issues to: someone Jira lets be assigned issues in the project.

        The owner map first (`-1` is Jira's Automatic, sent as it is), then a search among the
        project's assignable users (`/user/assignable/search`) by the mapped value or the owner's
        name, matched on the display name, never on an e-mail address alone (Cloud hides most).
        A hit is remembered in the cursor; a miss once per run, with one notice; None then.
        """
        if owner is None or owner in self.missed:
            return None
        mine = owner.casefold() == "myself"
        wanted = self.settings.owners.get(owner)
        if wanted == AUTOMATIC:
            return {"accountId" if self.client.cloud else "name": AUTOMATIC}
        people: dict[str, dict[str, str]] = self.state.setdefault("people", {})
        remembered = f"{owner}\n{wanted or ''}"  # a changed owner map is looked up afresh
        if remembered in people:
            return people[remembered]
        if mine and "me" not in self.state:
            self._learn_me()
        key = "accountId" if self.client.cloud else "name"
        found: dict[str, str] | None = None
        if mine or (wanted and (not self.client.cloud or _ACCOUNT_ID.match(wanted))):
            ident = self.state["me"][key] if mine else str(wanted)
            users = self.client.assignable(self.project, ident, exact=True)
            if any(str(u.get(key)) == ident for u in users):
                found = {key: ident}
            why = "not an assignable user of the project"
        else:
            text = wanted or owner
            users = self.client.assignable(self.project, text)
            folded = text.casefold()
            exact = [
                u
                for u in users
                if folded
                in (str(u.get("displayName", "")).casefold(), str(u.get("emailAddress", "")).casefold())
                or (not self.client.cloud and folded == str(u.get("name", "")).casefold())
            ]
            chosen = exact if exact else users
            if len(chosen) == 1:
                found = self._ident(chosen[0])
            why = f"{len(chosen)} of the project's assignable users match {text!r}"
        if found is None:
            self.missed.add(owner)
            log.warning(
                "Jira: owner %r: %s; left unassigned (set JIRA_OWNERS, or give them the Assignable"
                " User permission in project %s)",
                owner,
                why,
                self.project,
            )
            return None
        people[remembered] = found
        return found

    # -- writing ----------------------------------------------------------------------------------

    def push(self, ops: Sequence[Op]) -> Push:
        results: dict[str, OpResult] = {}
        creates = [op for op in ops if op.kind is OpKind.CREATE]
        if creates:
            self._create(creates, results)
            self._link_occurrences(creates, results)
        for done, op in enumerate(ops):
            if self.on_progress is not None:
                self.on_progress(done, len(ops))
            if op.kind is OpKind.CREATE or op.token in results:
                continue
            try:
                self._apply(op)
            except GoneError as exc:
                results[op.token] = OpResult(op.token, False, error=str(exc), gone=True)
            except ConnectorError as exc:
                results[op.token] = OpResult(op.token, False, error=str(exc))
            else:
                results[op.token] = OpResult(op.token, True, remote_id=op.remote_id)
        if self.on_progress is not None:
            self.on_progress(len(ops), len(ops))
        self._say_left_out()
        return Push(tuple(results.values()), self._cursor())

    def _apply(self, op: Op) -> None:
        rid, fields = op.remote_id or "", op.fields
        if op.kind is OpKind.DELETE:
            self.client.delete(rid)
        elif op.kind is OpKind.UPDATE:
            body = mapping.edit_body(
                fields,
                op.ref,
                op.changed,
                op.before,
                priorities=self.settings.priorities,
                assignee=self._assignee(fields.owner) if "owner" in op.changed else None,
                version=self.settings.api_version,
            )
            if body:
                self._edit(rid, body, fields.owner)
            before = mapping.category_for(op.before.status) if op.before else None
            wanted = mapping.category_for(fields.status)
            if "status" in op.changed and wanted != "done" and before != wanted:
                self._move(rid, wanted)
            if "parent" in op.changed:
                self._reparent(op)
        else:
            self._move(
                rid, mapping.category_for(fields.status), cancelled=fields.status is StatusType.CANCELLED
            )

    def _edit(self, rid: str, body: dict[str, Any], owner: str | None) -> None:
        """One PUT with only the fields on the edit screen (learned from the first issue edited,
        kept in the cursor). A field refused as not on the screen is left out and the rest sent;
        so is an assignee Jira will not take (no Assignable User permission), with a notice."""
        meta = self.state.get("meta") or {}
        if "edit" not in meta and self.state.get("meta") is not None:
            meta["edit"] = sorted(self.client.edit_screen(rid))
        settable = set(meta["edit"]) if "edit" in meta else None
        sent, left_out = screens.trim(body, settable)
        self._left_out("edit", left_out)
        if not sent:
            return
        try:
            self.client.edit(rid, sent)
        except ConnectorError as exc:
            refused = refused_fields(exc)
            off_screen = {f for f, why in refused.items() if "cannot be set" in why}
            assignee = (sent.get("fields") or {}).get("assignee")
            unassignable = "assignee" in refused and "assignee" not in off_screen and assignee is not None
            if exc.uncertain or not (off_screen or unassignable):
                raise
            if off_screen:
                if "edit" in meta:
                    meta["edit"] = sorted(set(meta["edit"]) - off_screen)
                self._left_out("edit", off_screen)
            if unassignable:
                self._unassignable(owner, refused["assignee"])
            drop = off_screen | ({"assignee"} if unassignable else set())
            named = {f for part in sent.values() if isinstance(part, dict) for f in part}
            sent, _ = screens.trim(sent, named - drop)
            if sent:
                self.client.edit(rid, sent)
        self._wrote(rid)

    def _reparent(self, op: Op) -> None:
        """A line moved under another parent: a sub-task is moved there (an edit of `parent`).
        Jira's REST API turns no sub-task into an issue and no issue into a sub-task, so a line
        moved out of its parent leaves a sub-task where it is, and an issue moved under a parent
        is linked to it; each said in a warning."""
        rid = op.remote_id or ""
        if op.fields.parent is None:
            log.warning(
                "Jira: issue %s stays a sub-task of its parent: its line was moved out, and Jira turns"
                " a sub-task into an issue only through its own 'Convert to issue' (see docs/jira.md)",
                rid,
            )
            return
        if op.parent_id is None:
            return  # its parent has no issue yet: the core sends the move again once it has one
        try:
            self.client.edit(rid, {"fields": {"parent": {"id": op.parent_id}}})
        except ConnectorError as exc:
            if exc.uncertain:
                raise
            log.info("Jira: issue %s not moved under %s (%s); linking it instead", rid, op.parent_id, exc)
            self._link_to_parent(rid, op.parent_id, why="it is no sub-task, and Jira makes none by an edit")
        else:
            self._wrote(rid)

    def _link_to_parent(self, issue_id: str, parent_id: str, *, why: str) -> None:
        """Link an issue that cannot be a sub-task to its parent's issue (`Relates`); a site
        without issue links gets a warning instead."""
        try:
            self.client.link(LINK_TYPE, issue_id, parent_id)
        except ConnectorError as exc:
            log.warning(
                "Jira: issue %s is not under its parent %s (%s), and linking the two failed: %s",
                issue_id,
                parent_id,
                why,
                exc,
            )

    def _unassignable(self, owner: str | None, why: str) -> None:
        """Forget a remembered person Jira will not take as assignee, and say so once a run."""
        people: dict[str, dict[str, str]] = self.state.setdefault("people", {})
        for remembered in [k for k in people if k.partition("\n")[0] == owner]:
            del people[remembered]
        if owner is not None and owner not in self.missed:
            self.missed.add(owner)
            log.warning(
                "Jira: owner %r cannot be assigned issues in project %s (%s); left unassigned"
                " (give them the Assignable User permission, or set JIRA_OWNERS)",
                owner,
                self.project,
                why,
            )

    def _create(self, creates: list[Op], results: dict[str, OpResult]) -> None:
        existing = self._existing(creates)
        fresh: list[Op] = []
        for op in creates:
            issue = existing.get(op.ref)
            if issue is not None:
                log.info("Jira: %s already exists for task %s; linking it", issue.get("key"), op.ref)
                results[op.token] = self._settle(op, str(issue["id"]), issue)
            elif op.attempted and self._recent(op.attempted):
                results[op.token] = OpResult(
                    op.token,
                    False,
                    uncertain=True,
                    error=(
                        f"an interrupted run sent this create at {op.attempted} and Jira's search does not"
                        " show the issue yet; it is not created twice (tried again next run)"
                    ),
                )
            else:
                fresh.append(op)
        refused = self._send_creates(fresh, results)
        if refused and not self.fresh:  # the screens may have changed since they were learned
            log.info("Jira: %d create(s) refused for the screen; learning it again", len(refused))
            self._learn_screens(refresh=True)
            self._send_creates(refused, results)

    def _link_occurrences(self, creates: list[Op], results: dict[str, OpResult]) -> None:
        """Link each new occurrence of a recurring task (a create with `follows`) to the one
        before it, with JIRA_RECURRENCE_LINK: the new issue is the link's source. Also for an
        issue found already made (a rerun after a crash): Jira answers an existing link as made.
        A link is a courtesy to people reading Jira; one that fails is a notice, never a failed
        create (the note does not see links)."""
        made = [
            (op, result.remote_id)
            for op in creates
            if op.follows and (result := results.get(op.token)) is not None and result.ok and result.remote_id
        ]
        if not made:
            return
        kind = self._link_type()
        if kind is None:
            return
        for op, issue_id in made:
            try:
                self.client.link(kind, issue_id, str(op.follows))
            except ConnectorError as exc:
                log.warning(
                    "Jira: issue %s created, but not linked to %s (the task's previous occurrence): %s",
                    issue_id,
                    op.follows,
                    exc,
                )
            else:
                self._wrote(issue_id)

    def _link_type(self) -> str | None:
        """JIRA_RECURRENCE_LINK as the site names it (matched ignoring case), asked once a run;
        None, with one notice naming the site's types, when the site has no such type."""
        wanted = self.settings.recurrence_link.strip()
        if self.link_checked or not wanted:
            return self.link_type
        self.link_checked = True
        try:
            types = self.client.link_types()
        except ConnectorError as exc:
            log.warning("Jira: issue link types unreadable, new occurrences are not linked: %s", exc)
            return None
        names = [str(t["name"]) for t in types]
        self.link_type = next((n for n in names if n.casefold() == wanted.casefold()), None)
        if self.link_type is None:
            log.warning(
                "Jira: JIRA_RECURRENCE_LINK %r is not an issue link type of this site (it has: %s);"
                " recurring tasks' new occurrences are created unlinked",
                wanted,
                ", ".join(names) or "none",
            )
        return self.link_type

    def _send_creates(self, fresh: list[Op], results: dict[str, OpResult]) -> list[Op]:
        """Bulk creates of `fresh`; returns those refused for a reason the screens give."""
        meta = self.state.get("meta") or {}
        missing = screens.missing_required(meta, self.defaults) if meta else []
        if missing:
            log.warning("Jira: creates need %s (set JIRA_FIELDS)", ", ".join(missing))
            error = (
                f"Jira requires {', '.join(missing)} to create {meta['type']['name']} issues in"
                f" {self.project}; give a value in JIRA_FIELDS, e.g. JIRA_FIELDS="
                + json.dumps({missing[0].rsplit("(", 1)[-1].rstrip(")"): "…"}, ensure_ascii=False)
            )
            for op in fresh:
                results[op.token] = OpResult(op.token, False, error=error)
            return []
        refused: list[Op] = []
        for start in range(0, len(fresh), BULK):
            chunk = fresh[start : start + BULK]
            refused += self._bulk(chunk, [self._create_fields(op) for op in chunk], results)
        return refused

    def _bulk(
        self, chunk: list[Op], elements: list[dict[str, Any]], results: dict[str, OpResult]
    ) -> list[Op]:
        """One bulk create; returns the ops refused for a reason the screens give. The elements
        refused for their assignee alone go again without one (a refused element was not
        created, so nothing is made twice)."""
        try:
            made = self.client.bulk_create(elements)
        except ConnectorError as exc:
            for op in chunk:
                results[op.token] = OpResult(op.token, False, error=str(exc), uncertain=exc.uncertain)
            return []
        again: list[tuple[Op, dict[str, Any]]] = []
        refused: list[Op] = []
        for op, element, (issue_id, why, fields) in zip(chunk, elements, made, strict=True):
            if issue_id is not None:
                results[op.token] = self._settle(op, issue_id, None)
            elif set(fields) == {"assignee"} and "assignee" in element:
                self._unassignable(op.fields.owner, fields["assignee"])
                again.append((op, {k: v for k, v in element.items() if k != "assignee"}))
            elif "parent" in element and {"parent", "parentId"} & set(fields):
                # a sub-task's sub-task (Jira nests one level): an issue of its own, linked to its parent
                self.flattened.add(op.token)
                kind = (self.state.get("meta") or {}).get("type") or {}
                plain = {k: v for k, v in element.items() if k != "parent"}
                again.append((op, {**plain, "issuetype": {"id": kind.get("id")}}))
            else:
                results[op.token] = OpResult(op.token, False, error=f"Jira refused it: {why}")
                if screens.screen_refusal(why or ""):
                    refused.append(op)
        if again:
            refused += self._bulk([op for op, _ in again], [element for _, element in again], results)
        return refused

    def _create_fields(self, op: Op) -> dict[str, Any]:
        """The note's fields, JIRA_FIELDS beneath them, then only what the create screen shows."""
        meta = self.state.get("meta") or {}
        body = mapping.create_fields(
            op.fields,
            op.ref,
            project=self.project,
            issue_type=self.settings.issue_type,
            priorities=self.settings.priorities,
            assignee=self._assignee(op.fields.owner),
            version=self.settings.api_version,
            issue_type_id=(meta.get("type") or {}).get("id"),
        )
        body = {**self.defaults, **body}
        sent, left_out = screens.trim(body, set(meta["create"]) if "create" in meta else None)
        self._left_out("create", left_out)
        subtask = meta.get("subtask")
        if op.parent_id and subtask:  # no screen shows the parent: the sub-task type asks for it
            sent = {**sent, "issuetype": {"id": subtask["id"]}, "parent": {"id": op.parent_id}}
        return sent

    def _settle(self, op: Op, issue_id: str, found: dict[str, Any] | None) -> OpResult:
        """A created (or found) issue in the note's status: new issues start in the `new` category."""
        if found is None:
            self._wrote(issue_id)
            if op.token in self.flattened:
                self._link_to_parent(issue_id, op.parent_id or "", why="Jira has no sub-task of a sub-task")
            elif op.parent_id and not (self.state.get("meta") or {}).get("subtask"):
                self._link_to_parent(
                    issue_id, op.parent_id, why=f"project {self.project} has no sub-task type"
                )
        wanted = mapping.category_for(op.fields.status)
        held = ((found or {}).get("fields", {}).get("status") or {}).get("statusCategory", {}).get("key")
        try:
            if not _reaches(held or "new", wanted):
                self._move(issue_id, wanted)
        except ConnectorError as exc:
            log.warning("Jira: issue %s created, but not moved to %s: %s", issue_id, wanted, exc)
        return OpResult(op.token, True, remote_id=issue_id)

    def _recent(self, attempted: str) -> bool:
        try:
            when = datetime.fromisoformat(attempted)
        except ValueError:
            return False
        age = datetime.now(UTC) - when.astimezone(UTC)
        return age.total_seconds() < self.settings.pending_window

    def _existing(self, creates: list[Op]) -> dict[str, dict[str, Any]]:
        """Issues already carrying the creates' `bridge-<key>` labels, by ref.

        A full read this run already searched every label; otherwise one search per 100 labels.
        Creates an interrupted run sent are searched again, waiting for search to catch up.
        """
        found = {op.ref: self.seen[op.ref] for op in creates if op.ref in self.seen}
        wanted = [op for op in creates if op.ref not in found and (op.attempted or not self.full)]
        found.update(self._search_labels([op.ref for op in wanted]))
        waiting = [op.ref for op in wanted if op.attempted and op.ref not in found]
        delay, waited = 1.0, 0.0
        while waiting and waited < self.settings.search_wait:
            log.info("Jira: waiting for search to show %d issue(s) an interrupted run created", len(waiting))
            self.sleep(delay)
            waited += delay
            delay = min(delay * 2, self.settings.search_wait - waited) or 1.0
            found.update(self._search_labels(waiting))
            waiting = [ref for ref in waiting if ref not in found]
        return found

    def _search_labels(self, refs: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(refs), LABELS_PER_SEARCH):
            chunk = refs[start : start + LABELS_PER_SEARCH]
            names = ", ".join(f'"{mapping.label_for(ref)}"' for ref in chunk)
            for issue in self.client.search(self._jql(f"labels in ({names})"), FIELDS):
                task = mapping.remote_task(issue)
                if task.ref and task.ref not in found:
                    found[task.ref] = issue
        return found

    def _move(self, issue_id: str, category: str, *, cancelled: bool = False) -> None:
        """Walk the workflow's transitions to a status of `category`; never assume a status name.

        Each step reads the issue's status with its transitions and their screens, so a transition
        back to the status the issue is in (a global one) is never taken, and one already in the
        category is left alone.
        """
        visited: set[str] = set()
        for _ in range(MAX_STEPS):
            issue, offered = self.client.transitions(issue_id)
            status = issue["fields"]["status"]
            here = str(status.get("id"))
            if _reaches((status.get("statusCategory") or {}).get("key"), category):
                return
            visited.add(here)  # never walk back to where it has been
            offered = [t for t in offered if _target(t) != here]
            direct = [t for t in offered if _category(t) == category] or [
                t for t in offered if _reaches(_category(t), category)
            ]
            if direct:
                self._transition(issue, direct[0], cancelled and category == "done")
                return
            onward = [t for t in offered if _target(t) not in visited]
            if not onward:
                break
            onward.sort(key=lambda t: _DETOURS.get(_category(t) or "", len(_DETOURS)))
            chosen = onward[0]  # the middle of the workflow is on every path; Done last
            visited.add(_target(chosen))
            self._transition(issue, chosen, False)
        raise ConnectorError(
            "jira", f"no way through the workflow from issue {issue_id}'s status to {category}"
        )

    def _transition(self, issue: dict[str, Any], transition: dict[str, Any], cancelled: bool) -> None:
        """Make one transition, with a resolution exactly when its screen asks for one: Jira
        refuses a field that is not on the screen, and a required one that is missing."""
        issue_id, tid = str(issue.get("id")), str(transition["id"])
        key = str(issue.get("key") or issue_id)
        wanted = self.settings.cancelled_resolution if cancelled else None
        if "fields" not in transition:  # the site ignored the expand: try, and fall back without
            if wanted:
                try:
                    self.client.transition(issue_id, tid, {"resolution": {"name": wanted}})
                except ConnectorError as exc:
                    if exc.uncertain:
                        raise  # it may have gone through; the next run looks again
                    log.info("Jira: %s: %s; moving without a resolution", key, exc)
                else:
                    self._wrote(issue_id)
                    return
            self.client.transition(issue_id, tid)
            self._wrote(issue_id)
            return
        field = (transition.get("fields") or {}).get("resolution")
        resolution = self._resolution(field, transition, wanted) if isinstance(field, dict) else None
        if wanted and (resolution is None or resolution.get("name") != wanted):
            self._cannot_cancel(key, transition, resolution)
        self.client.transition(issue_id, tid, {"resolution": resolution} if resolution else None)
        self._wrote(issue_id)

    def _resolution(
        self, field: dict[str, Any], transition: dict[str, Any], wanted: str | None
    ) -> dict[str, str] | None:
        """The resolution to send on a screen that has the field: `wanted` (a cancelled line's)
        when the screen allows it, else "Done", the field's default or its first allowed value;
        none on an optional field of a move out of the Done category."""
        allowed = [v for v in field.get("allowedValues") or [] if isinstance(v, dict) and v.get("name")]
        by_name = {str(v["name"]).casefold(): v for v in allowed}
        if wanted and (not allowed or wanted.casefold() in by_name):
            return {"name": str(by_name.get(wanted.casefold(), {"name": wanted})["name"])}
        if _category(transition) != "done" and not field.get("required"):
            return None
        default = field.get("defaultValue")
        chosen = by_name.get("done") or (default if isinstance(default, dict) else None)
        chosen = chosen or next(iter(allowed), None)
        if chosen is None:
            return {"name": "Done"}
        return {"id": str(chosen["id"])} if chosen.get("id") else {"name": str(chosen["name"])}

    def _cannot_cancel(self, key: str, transition: dict[str, Any], resolution: dict[str, str] | None) -> None:
        """A cancelled line closed without its resolution: said once per transition a run."""
        name = str(transition.get("name") or transition["id"])
        if name in self.warned:
            return
        self.warned.add(name)
        why = (
            "its screen does not offer that resolution"
            if resolution
            else "it has no Resolution on its screen, so the workflow sets its own"
        )
        log.warning(
            'Jira: cancelled tasks (first %s) are closed through the transition "%s" without the'
            ' resolution "%s": %s',
            key,
            name,
            self.settings.cancelled_resolution,
            why,
        )


_DETOURS = {"indeterminate": 0, "new": 1, "undefined": 2, "done": 3}
"""Which category a step of the walk prefers when no transition reaches the wanted one."""


def _reaches(held: str | None, wanted: str) -> bool:
    """Whether a status of category `held` is where `wanted` points: a status with no category
    (`undefined`, id 1) is open work, so it counts as To Do."""
    return held == wanted or (held == "undefined" and wanted == "new")


def _target(transition: dict[str, Any]) -> str:
    return str((transition.get("to") or {}).get("id"))


def _category(transition: dict[str, Any]) -> str | None:
    to = transition.get("to") or {}
    return (to.get("statusCategory") or {}).get("key")
