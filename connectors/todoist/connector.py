"""TodoistConnector: the bridge's connector contract, spoken through Todoist's Sync API.

Reads are one incremental `/sync` with the stored `sync_token`; writes are sync commands, up to
100 a request, each with a uuid derived from the op (so a rerun after a crash re-sends the same
uuid and Todoist does not execute it twice) and a temp_id for creates. The cursor the core stores
is this connector's own JSON: the sync token, the project id, the user and collaborator ids; after
its first newline, the labels of each task it follows, as a JSON object of their own: the state
stores that tail apart and rewrites it only when it changed, and this connector decodes it only
when a pull brought tasks or a push needs their labels, so a no-op sync does neither.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self

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
from bridge.errors import AuthError, ConfigError, ConnectorError
from bridge.model import StatusType
from bridge.settings_load import load, model_of
from bridge.settings_table import BRIDGE
from bridge.transport import Patience, make_http_client
from bridge.uuids import namer, uuid5
from connectors.todoist import mapping
from connectors.todoist.client import API_ORIGIN, StaleSyncToken, TodoistClient, is_idempotent
from connectors.todoist.labels_json import labels_json
from connectors.todoist.settings_table import TODOIST

if TYPE_CHECKING:
    from bridge.connector_commands import AuthOptions, Check, EmulatorOptions
    from bridge.oauth import Renewer
    from connectors.todoist.echoes import Echoes
    from connectors.todoist.settings import TodoistSettings
    from connectors.todoist.webhook import TodoistWebhooks

__all__ = ["TodoistConnector"]

log = logging.getLogger(__name__)

BATCH = 100  # Todoist's limit of commands per sync request
_FULL = ("items", "projects", "user", "collaborators")
# What each key of the cursor (this connector's own JSON) must hold, checked when it is read back.
_CURSOR = {
    "sync_token": str,
    "project_id": str,
    "user_id": str,
    "people": dict,
    "labels": dict,
    "replaces": str,
    "shared": bool,
    "members": list,
}
_INCREMENTAL = ("items", "projects", "collaborators")


class TodoistConnector:
    name: ClassVar[str] = "todoist"
    emulator_flags: ClassVar[tuple[str, ...]] = (
        "token",
        "client_secret",
        "webhook_url",
    )  # `bridge emulator` offers these
    settings_class: ClassVar[type[TodoistSettings]] = model_of(TODOIST)
    # Todoist tasks recur by themselves: a completed occurrence is an ADVANCE, not a new task.
    recurs: ClassVar[bool] = True

    @classmethod
    def doctor(cls) -> list[Check]:
        """`bridge doctor`'s lines for Todoist (connectors/todoist/doctor.py)."""
        from connectors.todoist.doctor import checks

        return checks()

    def __init__(
        self, settings: TodoistSettings, *, http: Any = None, patience: Patience | None = None
    ) -> None:
        token, renewer = _credentials(settings)
        self.settings = settings
        self._requests = 0
        self.http = http or make_http_client(
            base_url=settings.base_url,
            origin=API_ORIGIN,
            safe=is_idempotent,
            on_request=self._count,
            patience=patience,
        )
        self.client = TodoistClient(self.http, token, renewer)
        self._renewer = renewer
        self.state: dict[str, Any] = {}
        self._labels: dict[str, list[str]] | None = None  # decoded from `_tail` when first needed
        self._tail = ""  # the cursor's labels as stored, kept as text while no one needs them
        self._unassigned: set[str] = set()  # owners already said to be left unassigned this run
        self._unsaid: set[str] = set()  # rules already said to have no Todoist words this run
        self._unchained = False  # a write's answer held news this run: later writes read nothing
        self.on_progress: Callable[[int, int], None] | None = None  # set by the sync: a bar

    @classmethod
    def from_env(cls) -> Self:
        return cls(load(TODOIST), patience=Patience.of(load(BRIDGE)))

    def _count(self, _request: object) -> None:
        self._requests += 1

    @property
    def requests(self) -> int:
        return self._requests

    def close(self) -> None:
        self.http.close()
        if self._renewer is not None:
            self._renewer.flush()

    @classmethod
    def webhooks(cls) -> TodoistWebhooks:
        secret = load(TODOIST).client_secret
        if secret is None:
            raise ConfigError("TODOIST_CLIENT_SECRET is not set: webhook signatures cannot be checked")
        from connectors.todoist.webhook import TodoistWebhooks  # here: its pydantic models are for `serve`

        return TodoistWebhooks(secret.get_secret_value())

    @classmethod
    def emulator(cls, options: EmulatorOptions) -> Any:
        from connectors.todoist.emulator import create_app

        return create_app(
            options.token or "emulator-token", client_secret=options.secret, webhook_url=options.webhook_url
        )

    @classmethod
    def authorize(cls, options: AuthOptions) -> str:
        """`bridge auth todoist`: the OAuth flow, as webhooks reach only users who authorised an app."""
        from connectors.todoist.auth import authorize

        return authorize(options)

    @property
    def target(self) -> str:
        """Where new tasks go, in words, for the dry run: the project, and the account once known."""
        user = self.state.get("user_id")
        people: dict[str, str] = self.state.get("people") or {}
        account = next((email for email, ident in people.items() if user and ident == user and email), None)
        return f"Todoist project {self.settings.project!r}" + (f", account {account}" if account else "")

    # -- reading ----------------------------------------------------------------------------------

    @property
    def labels(self) -> dict[str, list[str]]:
        """Each task's labels as last seen or sent: labels added in Todoist survive a status change."""
        if self._labels is None:
            self._labels = _labels(self.name, self._tail)
        return self._labels

    def pull(self, cursor: str | None) -> Pull:
        head, _, tail = (cursor or "").partition("\n")
        self.state = cursor_object(self.name, head, _CURSOR)
        # a cursor from before the labels were kept apart holds them: they move to the tail
        self._labels = self.state.pop("labels", None)
        self._tail = tail
        if self._labels is None and tail and not (tail.startswith("{") and tail.endswith("}")):
            raise cursor_error(self.name, "its labels are not a JSON object")
        token = self.state.get("sync_token")
        first = token is None or "project_id" not in self.state
        # a cursor from before sharing was followed is read in full once, to learn it
        full = first or "shared" not in self.state
        try:
            data = self.client.sync("*" if full else token, _FULL if full else _INCREMENTAL)
        except StaleSyncToken:
            log.warning("Todoist refused the stored sync token; reading everything again")
            data = self.client.sync("*", _FULL)
        whole = full or data.get("full_sync") is True
        if whole:
            self._learn(data)
        else:
            for seen in data.get("projects", []):
                gone = seen.get("is_deleted") or seen.get("is_archived")
                if gone and str(seen.get("id")) == self.state.get("project_id"):
                    self._lost("deleted" if seen.get("is_deleted") else "archived")
        self._sharing(data)
        self.state["sync_token"] = data.get("sync_token")
        project = self.state.get("project_id")
        # a linked task the user moved to another project is still followed
        items = [i for i in data.get("items", []) if self._ours(i, project)]
        if whole and not first and project is not None:
            # a full answer lists active tasks only: what was completed meanwhile is read apart
            items += self._completed_since(project, dt.datetime.now(dt.UTC) - _LOOK_BACK)
        changes = tuple(mapping.remote_task(i) for i in items)
        if changes:  # nothing pulled: the labels stay as stored, not decoded
            self.labels.update({c.remote_id: list(c.labels or ()) for c in changes})
        return Pull(changes, self._cursor())

    def recover(self, pending: Mapping[str, str]) -> tuple[RemoteTask, ...]:
        """Tasks a run that died before committing created, found by their marker, whatever
        their status: a sync shows active tasks only, so one completed since then is looked for
        among the project's tasks completed after the earliest of those creates was sent."""
        project = self.state.get("project_id")
        if not pending or project is None:
            return ()
        earliest = min(dt.datetime.fromisoformat(since) for since in pending.values())
        items = self._completed_since(project, earliest - dt.timedelta(minutes=5))
        return tuple(t for t in map(mapping.remote_task, items) if t.ref in pending)

    def _completed_since(self, project: str, since: dt.datetime) -> list[dict[str, Any]]:
        """The project's tasks completed since then (at most `_LOOK_BACK` ago), a sync showing
        active tasks only."""
        until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        since = max(since, until - _LOOK_BACK).astimezone(dt.UTC)
        items: list[dict[str, Any]] = []
        while since < until:  # the endpoint answers at most three months at a time
            end = min(until, since + dt.timedelta(days=80))
            items += self.client.completed(project, _instant(since), _instant(end))
            since = end
        return items

    def _lost(self, how: str) -> None:
        """The bridge's project was deleted or archived: new tasks go to a new one of its name."""
        log.warning(
            "Todoist project %r was %s; new tasks go to a new project of that name, and tasks"
            " linked to the %s one are left as they are (see docs/todoist.md)",
            self.settings.project,
            how,
            how,
        )
        self.state["replaces"] = self.state.pop("project_id", None)
        self.state.pop("shared", None)
        self.state.pop("members", None)

    def _learn(self, data: dict[str, Any]) -> None:
        """From a full sync: the project by name, the token's user, and the collaborators' ids."""
        known = self.state.get("project_id")
        active = {
            str(p.get("id"))
            for p in data.get("projects", [])
            if not (p.get("is_deleted") or p.get("is_archived"))
        }
        if known is not None and known not in active:
            self._lost("deleted or archived")  # a full answer lists active projects only
        wanted = self.settings.project
        for project in data.get("projects", []):
            if project.get("is_deleted") or project.get("is_archived"):
                continue
            if project.get("name") == wanted or (wanted == "Inbox" and project.get("inbox_project")):
                self.state["project_id"] = str(project["id"])
                break
        user = data.get("user") or {}
        people = {str(c.get("email", "")).lower(): str(c["id"]) for c in data.get("collaborators", [])}
        if user.get("id"):
            self.state["user_id"] = str(user["id"])
            people.setdefault(str(user.get("email", "")).lower(), str(user["id"]))
        self.state["people"] = people
        self.state["members"] = []  # a full answer lists every membership: `_sharing` reads them

    def _ours(self, item: Mapping[str, Any], project: str | None) -> bool:
        """In the bridge's project, or linked (created or seen by it) wherever it is now."""
        return (project is not None and str(item.get("project_id")) == project) or str(
            item.get("id")
        ) in self.labels

    def _sharing(self, data: Mapping[str, Any]) -> None:
        """Whether the project is shared and who collaborates on it, from any answer (a full
        one, or an incremental one naming the project or its collaborators)."""
        project = self.state.get("project_id")
        for seen in data.get("projects", []):
            if project is not None and str(seen.get("id")) == project:
                self.state["shared"] = bool(seen.get("is_shared", seen.get("shared", False)))
        people: dict[str, str] = self.state.setdefault("people", {})
        for person in data.get("collaborators", []):
            if person.get("id") and person.get("email"):
                people[str(person["email"]).lower()] = str(person["id"])
        members = set(self.state.get("members", []))
        for membership in data.get("collaborator_states", []):
            if project is None or str(membership.get("project_id")) != project:
                continue
            uid = str(membership.get("user_id"))
            if membership.get("state") == "active" and not membership.get("is_deleted"):
                members.add(uid)
            else:
                members.discard(uid)
        self.state["members"] = sorted(members)

    def _cursor(self) -> str:
        """The cursor's head, and after a newline the labels: as read when no one decoded them."""
        labels = self._tail if self._labels is None else labels_json(self._labels)
        return f"{json.dumps(self.state, sort_keys=True)}\n{labels or '{}'}"

    def _assignee(self, owner: str | None) -> str | None:
        """The user id to assign, if Todoist would accept it: tasks are assigned in shared projects
        only, to the project's collaborators. Anyone else is left unassigned, said once a run."""
        if owner is None:
            return None
        uid: str | None
        if owner.casefold() == "myself":
            uid = self.state.get("user_id")
        else:
            wanted = self.settings.owners.get(owner)
            if wanted is None:
                return None
            people: dict[str, str] = self.state.get("people", {})
            uid = people.get(wanted.lower(), wanted if "@" not in wanted else None)
        if uid is None or not self.state.get("shared"):
            return None  # a personal project: its tasks are all the user's own
        if uid not in self.state.get("members", ()) and uid != self.state.get("user_id"):
            if owner not in self._unassigned:
                self._unassigned.add(owner)
                log.warning(
                    "@%s is not a collaborator of the Todoist project %r: their tasks are left"
                    " unassigned (share the project with them, or fix TODOIST_OWNERS)",
                    owner,
                    self.settings.project,
                )
            return None
        return uid

    # -- writing ----------------------------------------------------------------------------------

    def push(self, ops: Sequence[Op]) -> Push:
        commands: list[tuple[Op | None, dict[str, Any]]] = []
        project = self.state.get("project_id")
        if project is None and any(op.kind is OpKind.CREATE for op in ops):
            replaces = self.state.get("replaces") or ""  # a new uuid once the old project is gone
            temp = str(uuid.uuid5(uuid.NAMESPACE_URL, f"todoist-project:{self.settings.project}:{replaces}"))
            commands.append(
                (
                    None,
                    {
                        "type": "project_add",
                        "uuid": temp,
                        "temp_id": temp,
                        "args": {"name": self.settings.project},
                    },
                )
            )
            project = temp
        # creates last: the closes of this run make room in a project at its plan's limit
        for queued in sorted(ops, key=lambda op: op.kind is OpKind.CREATE):
            commands.extend((queued, c) for c in self._commands(queued, project or ""))
        results: dict[str, OpResult] = {}
        mapping_ids: dict[str, str] = {}
        # here: a sync with nothing to push never makes these classes
        from connectors.todoist.echoes import Echoes, Sent

        # each write reads on from the token of the one before, while answers are only echoes
        chain = Echoes(None if self._unchained else self.state.get("sync_token"))
        full: str | None = None  # the plan limit a create met: the next creates would meet it too
        for start in range(0, len(commands), BATCH):
            if self.on_progress is not None:
                self.on_progress(start, len(commands))
            batch = commands[start : start + BATCH]
            if mapping_ids:  # a temp id lives for one request: later batches name what it became
                for _, command in batch:
                    _resolve(command, mapping_ids)
            if full is not None:  # the project is full: no create is sent
                for op, _ in batch:
                    if op is not None and op.kind is OpKind.CREATE:
                        results[op.token] = OpResult(op.token, False, error=full)
                batch = [(op, c) for op, c in batch if op is None or op.kind is not OpKind.CREATE]
                if not batch:
                    continue
            try:
                answer = self._write([c for _, c in batch], chain)
            except ConnectorError as exc:
                chain.broken = True  # what part of it ran is not known: the next read must see it
                # refused credentials refuse every batch alike: the rest are not sent
                rest = commands[start:] if isinstance(exc, AuthError) else batch
                for failed, _ in rest:
                    if failed is not None:
                        results[failed.token] = OpResult(failed.token, False, error=str(exc))
                if isinstance(exc, AuthError):
                    break
                continue
            statuses = answer.get("sync_status", {})
            refused = statuses.get(project) if project is not None else None
            if isinstance(refused, dict) and refused.get("error_tag") in _LIMITS:
                # no project to put them in: the creates fail for that reason, said once
                why = full = _LIMITS[refused["error_tag"]]
                for op, _ in commands:
                    if op is not None and op.kind is OpKind.CREATE:
                        results[op.token] = OpResult(op.token, False, error=why)
            mapping_ids.update({str(k): str(v) for k, v in answer.get("temp_id_mapping", {}).items()})
            sent = Sent()
            for op, command in batch:
                status = statuses.get(command["uuid"])
                self._record(op, command, status, mapping_ids, results)
                if full is None and op is not None:
                    error = results[op.token].error
                    if error is not None and error in _LIMIT_ERRORS:
                        full = error
                if status == "ok" or _already_processed(status):
                    sent.ran(op, command, mapping_ids)
                    args = command["args"]
                    if "labels" in args:
                        task = mapping_ids.get(command.get("temp_id", ""), args.get("id"))
                        self.labels[str(task)] = list(args["labels"])
            if chain.token is not None:
                refs = {op.ref for op, _ in batch if op is not None}
                chain.heard(answer, sent, mapping_ids.get(project or "", project), refs)
        if self.on_progress is not None:
            self.on_progress(len(commands), len(commands))
        if project is not None and project in mapping_ids:
            self.state.update(project_id=mapping_ids[project], shared=False, members=[])  # new: personal
        return Push(self._kept(chain, ops, results), self._cursor())

    def _write(self, commands: list[dict[str, Any]], chain: Echoes) -> dict[str, Any]:
        """One request of commands, reading on from the chain's token while it holds; a token
        Todoist no longer knows is refused before any command runs, so the commands are sent
        again without it (and the chain ends)."""
        if chain.token is None:
            return self.client.sync(None, (), commands, reading=False)
        try:
            return self.client.sync(chain.token, _INCREMENTAL, commands, reading=False)
        except StaleSyncToken:
            chain.broken = True
            return self.client.sync(None, (), commands, reading=False)

    def _kept(self, chain: Echoes, ops: Sequence[Op], results: dict[str, OpResult]) -> tuple[OpResult, ...]:
        """The results, each with the task its answer echoed when the token moves past it; the
        cursor keeps the last token whose writes all succeeded (their groups whole)."""
        failed = {op.ref for op in ops if op.token not in results or not results[op.token].ok}
        token, seen, whole = chain.kept(failed)
        self._unchained = self._unchained or not whole  # later waves of this run read nothing
        if token is None or token == chain.start:
            return tuple(results.values())
        self.state["sync_token"] = token
        self.labels.update({rid: list(task.labels or ()) for rid, task in seen.items()})
        linked = {op.token: op.remote_id for op in ops}
        out: list[OpResult] = []
        for result in results.values():
            echo = seen.get(result.remote_id or linked.get(result.token) or "") if result.ok else None
            if echo is not None:  # (`replace` would cost as much again as making the result)
                r = result
                result = _results()(r.token, r.ok, r.remote_id, r.error, r.uncertain, r.gone, echo)
            out.append(result)
        return tuple(out)

    def _untranslatable(self, op: Op) -> None:
        """Say once a run that a rule is sent as its plain date: the task is kept, not its rule."""
        rule = op.fields.recurrence
        if rule is None:
            return
        sends_due = op.kind in (OpKind.CREATE, OpKind.ADVANCE) or bool(
            {"due", "recurrence"} & set(op.changed)
        )
        if not sends_due or rule in self._unsaid or mapping.due_string(rule) is not None:
            return
        self._unsaid.add(rule)
        log.warning(
            "the recurrence rule %r has no Todoist equivalent: its tasks are sent with their due"
            " date only, and do not recur in Todoist",
            rule,
        )

    def _commands(self, op: Op, project: str) -> list[dict[str, Any]]:
        f, rid = op.fields, op.remote_id or ""
        self._untranslatable(op)
        if op.kind is OpKind.ADVANCE:
            return [mapping.advance_command(rid, f, op.token)]
        if op.kind is OpKind.CREATE:
            args = mapping.add_args(f, op.ref, project, self._assignee(f.owner), op.parent_id)
            return [{"type": "item_add", "uuid": op.token, "temp_id": _temp_id(op), "args": args}]
        if op.kind is OpKind.UPDATE:
            args = mapping.update_args(
                rid,
                f,
                op.ref,
                op.changed,
                self._assignee(f.owner),
                before=op.before,
                remote_labels=self.labels.get(rid),
            )
            update = {"type": "item_update", "uuid": op.token, "args": args}
            move = self._move(op, project)
            if move is None:
                return [update]
            return [update, move] if len(args) > 1 else [{**move, "uuid": op.token}]
        if op.kind is OpKind.DELETE or (
            f.status is StatusType.CANCELLED and self.settings.cancelled == "delete"
        ):
            return [{"type": "item_delete", "uuid": op.token, "args": {"id": rid}}]
        kind = "item_close" if op.kind is OpKind.CLOSE else "item_uncomplete"
        if op.kind is OpKind.CLOSE and f.recurrence:
            # a recurring line closed for good (cancelled, or its rule ended): `item_close` would
            # only move the task to its next date, `item_complete` ends it
            kind = "item_complete"
        status_command = {"type": kind, "uuid": op.token, "args": {"id": rid}}
        if op.before is not None and mapping.labels(op.before) != mapping.labels(f):
            # the status labels (proposed, in-progress, cancelled) follow the status
            merged = mapping.merged_labels(f, op.before, self.labels.get(rid))
            relabel = {
                "type": "item_update",
                "uuid": _derived(op.token, "labels"),
                "args": {"id": rid, "labels": merged},
            }
            return [relabel, status_command]
        return [status_command]

    def _move(self, op: Op, project: str) -> dict[str, Any] | None:
        """`item_move` for a task whose line moved in or out of a parent's (`item_update` cannot
        reparent): under the parent's task, or to the top of the bridge's project."""
        if "parent" not in op.changed:
            return None
        if op.fields.parent is not None:
            where = {"parent_id": op.parent_id} if op.parent_id else None
        else:
            where = {"project_id": project} if project else None
        if where is None:  # a parent with no task yet: the core sends it again once it has one
            return None
        return {
            "type": "item_move",
            "uuid": _derived(op.token, "move"),
            "args": {"id": op.remote_id, **where},
        }

    @staticmethod
    def _record(
        op: Op | None,
        command: dict[str, Any],
        status: Any,
        ids: dict[str, str],
        results: dict[str, OpResult],
    ) -> None:
        if op is None or (op.token in results and not results[op.token].ok):
            if op is None and status != "ok" and not _already_processed(status):
                log.warning("creating the Todoist project failed: %s", status)
            return
        if status != "ok" and not _already_processed(status):
            why = _refusal(status) if isinstance(status, dict) else f"no status ({status!r})"
            if isinstance(status, dict) and status.get("error_tag") in _LIMITS:
                why = _LIMITS[status["error_tag"]]
            gone = isinstance(status, dict) and status.get("error_tag") == "ITEM_NOT_FOUND"
            results[op.token] = OpResult(
                op.token, False, error=str(why), gone=gone and op.kind is not OpKind.CREATE
            )
            return
        remote_id = ids.get(command.get("temp_id", "")) if op.kind is OpKind.CREATE else op.remote_id
        if op.kind is OpKind.CREATE and remote_id is None:
            results[op.token] = OpResult(op.token, False, error="created, but Todoist gave no id for it")
            return
        results[op.token] = _results()(op.token, True, remote_id, None, False, False, None)


@functools.cache
def _results() -> Callable[..., OpResult]:
    """`OpResult(*fields)` at a lesser cost (a first sync makes two a create), made once a run
    pushes: a sync that pushes nothing imports no `copies`."""
    from bridge.copies import maker

    return maker(OpResult)


_LOOK_BACK = dt.timedelta(days=90)  # a create pending for longer is not looked for among completions


def _credentials(settings: TodoistSettings) -> tuple[str, Renewer | None]:
    """A personal token as set, used as it always was; else the grant `bridge auth todoist`
    stored, renewed as it expires."""
    if settings.api_token is not None:
        return settings.api_token.get_secret_value(), None
    if settings.oauth_file.expanduser().is_file():
        from connectors.todoist.auth import OAuthSession  # only a grant's user needs it

        session = OAuthSession(settings)
        return session.grant.access_token, session
    from bridge.exits import prog  # the name the user ran, so the command given works as typed

    raise ConfigError(
        "TODOIST_API_TOKEN is not set (Todoist → Settings → Integrations → Developer),"
        f" and no OAuth grant is stored (`{prog()} auth todoist`)"
    )


def _labels(name: str, tail: str) -> dict[str, list[str]]:
    """The labels map of a cursor's tail; the cursor's error (naming the way out) when damaged."""
    if not tail:
        return {}
    try:
        value = json.loads(tail)
    except ValueError as exc:
        raise cursor_error(name, f"its labels are not JSON: {exc}") from None
    if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
        raise cursor_error(name, "its labels are not a JSON object of lists")
    return value


def _instant(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_LIMITS = {
    "MAX_ITEMS_LIMIT_REACHED": (
        "the project holds as many active tasks as the Todoist plan allows (MAX_ITEMS_LIMIT_REACHED;"
        " 300 on the free plan): complete tasks there, route part of the vault elsewhere"
        " (BRIDGE_ROUTES), or hold proposed items back (BRIDGE_HOLD_PROPOSED); see docs/todoist.md"
    ),
    "MAX_PROJECTS_LIMIT_REACHED": (
        "the Todoist plan allows no more projects (MAX_PROJECTS_LIMIT_REACHED; 5 on the free plan):"
        " set TODOIST_PROJECT to an existing project, or archive one; see docs/todoist.md"
    ),
}

_LIMIT_ERRORS = frozenset(_LIMITS.values())


def _refusal(status: Mapping[str, Any]) -> str:
    """Todoist's error with the argument and explanation it names, if it names them."""
    extra = status.get("error_extra")
    said = str(status.get("error", status))
    if isinstance(extra, dict) and extra.get("argument"):
        detail = extra.get("explanation") or extra.get("expected")
        return f"{said} ({extra['argument']}{f': {detail}' if detail else ''})"
    return said


def _already_processed(status: Any) -> bool:
    """A command Todoist ran before (its batch was sent again after the answer was lost): done."""
    return isinstance(status, dict) and (
        status.get("error_tag") == "ALREADY_PROCESSED" or status.get("error_code") == 37
    )


def _resolve(command: dict[str, Any], ids: Mapping[str, str]) -> None:
    """Replace the command's temp ids of earlier requests by the real ids they became, in its
    own args: each command is made for one push and sent once, so it is changed in place (a
    copy of every command and its args cost more than the rest of this, a first sync's creates
    all naming the project made in the first request)."""
    args = command.get("args")
    if args is None:
        return
    for key in _ID_ARGS:
        value = args.get(key)
        if value is not None and isinstance(value, str) and value in ids:
            args[key] = ids[value]


_ID_ARGS = ("id", "project_id", "parent_id", "section_id")


# `_derived(token, "temp")`, the namespace and the purpose hashed once: a first sync makes one a create
_TEMP = namer(uuid.NAMESPACE_URL, "todoist-temp:")


def _temp_id(op: Op) -> str:
    return _TEMP(op.token)


def _derived(token: str, purpose: str) -> str:
    """Another uuid as stable as the op's own token, for a second command of the same op."""
    return uuid5(uuid.NAMESPACE_URL, f"todoist-{purpose}:{token}")
