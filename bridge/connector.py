"""The plugin contract: what a connector gets from the core and what it gives back.

A connector knows one tracker. The core speaks to it only through these values: the note's
view of a task (`Fields`), the tracker's view (`RemoteTask`), and operations (`Op`). Everything
tracker-specific (priorities as numbers, labels for statuses, batching, markers) stays inside it.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, cast

from bridge.errors import StateError
from bridge.lazy import lazy_names
from bridge.model import Priority, StatusType

if TYPE_CHECKING:
    from bridge.connector_commands import AuthOptions, Check, CheckStatus, EmulatorOptions

__all__ = [
    "AuthOptions",
    "Check",
    "CheckStatus",
    "Connector",
    "EmulatorControl",
    "EmulatorOptions",
    "Fields",
    "Op",
    "OpKind",
    "OpResult",
    "Pull",
    "Push",
    "RemoteStatus",
    "RemoteTask",
    "Webhooks",
    "body_id",
    "cursor_error",
    "cursor_object",
    "delivery_object",
]


class RemoteStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Fields:
    """What the notes say about one tracker task (a group of lines): the content that flows out."""

    title: str
    status: StatusType
    due: str | None = None
    priority: Priority | None = None
    owner: str | None = None
    labels: tuple[str, ...] = ()
    note_title: str = ""
    path: str = ""  # vault-relative, for the link back
    vault: str = ""  # the vault's name, for obsidian://open?vault=…
    # The 🔁 rule as Obsidian Tasks reads it (`every week on Friday`, `every day when done`);
    # None when the task does not recur or its rule is unreadable.
    recurrence: str | None = None
    # The ref of the task this one's line is indented under (a sub-task), None at the top.
    parent: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "status": self.status.value,
            "due": self.due,
            "priority": self.priority.value if self.priority else None,
            "owner": self.owner,
            "labels": list(self.labels),
            "note_title": self.note_title,
            "path": self.path,
            "vault": self.vault,
            "recurrence": self.recurrence,
            "parent": self.parent,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(
            title=data["title"],
            status=StatusType(data["status"]),
            due=data.get("due"),
            priority=Priority(data["priority"]) if data.get("priority") else None,
            owner=data.get("owner"),
            labels=tuple(data.get("labels", ())),
            note_title=data.get("note_title", ""),
            path=data.get("path", ""),
            vault=data.get("vault", ""),
            recurrence=data.get("recurrence"),
            parent=data.get("parent"),
        )


@dataclass(frozen=True, slots=True)
class RemoteTask:
    """A tracker task as a pull saw it. `ref` is the bridge's marker found on it (its group key), if any."""

    remote_id: str
    status: RemoteStatus
    updated: str | None = None  # ISO 8601, UTC: when the tracker last changed it
    ref: str | None = None
    title: str = ""
    labels: tuple[str, ...] | None = None  # None: the connector did not read them
    due: str | None = None  # YYYY-MM-DD, the tracker's current due date (a recurring task's next one)
    # Occurrences the tracker counts as completed (Todoist's completed_count); None: not read. A
    # recurring task stays open when an occurrence is completed, so this is how it is seen.
    completions: int | None = None


class OpKind(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    CLOSE = "close"
    REOPEN = "reopen"
    DELETE = "delete"
    # Complete the current occurrence of a recurring task; it recurs on `fields.due` (the next
    # occurrence's date as the note computes it). Only for connectors with `recurs = True`.
    ADVANCE = "advance"


@dataclass(frozen=True, slots=True)
class Op:
    """One change for the tracker. `token` is stable across a crashed run and its rerun (idempotency)."""

    kind: OpKind
    ref: str
    token: str
    fields: Fields
    remote_id: str | None = None
    changed: tuple[str, ...] = ()
    before: Fields | None = None  # the fields as last synced, so a connector can merge (labels)
    attempted: str | None = None  # a create sent since then (ISO 8601) by a run that never committed
    parent_id: str | None = None  # the tracker id of the parent task (`fields.parent`), once it has one
    # The tracker id of the previous occurrence, for a create that continues a recurring task on a
    # tracker without recurrence (`recurs = False`): the new task is linked to it.
    follows: str | None = None


@dataclass(frozen=True, slots=True)
class OpResult:
    """The outcome of one op, matched to it by `token`; `remote_id` is set for a create.

    `uncertain`: it failed, but the tracker may have carried it out (a timeout, a 5xx). A create
    refused outright is not uncertain, so the next run need not look for it before sending it again.
    `seen`: the task as the write's own answer showed it, when the connector moved its cursor past
    that write (the next pull will not show it): the state records it as a pull would have.
    """

    token: str
    ok: bool
    remote_id: str | None = None
    error: str | None = None
    uncertain: bool = False
    gone: bool = False  # it failed because the task no longer exists in the tracker
    seen: RemoteTask | None = None


@dataclass(frozen=True, slots=True)
class Pull:
    """What changed in the tracker since the cursor; `cursor` is stored once the run commits."""

    changes: tuple[RemoteTask, ...]
    cursor: str | None


@dataclass(frozen=True, slots=True)
class Push:
    results: tuple[OpResult, ...]
    cursor: str | None = None  # a cursor to store instead of the pull's, when pushing changed it


class EmulatorControl(Protocol):
    """Acting as a person in the tracker's own app, for the demo and tests."""

    def complete(self, remote_id: str) -> None: ...


class Webhooks(Protocol):
    """How one tracker signs and words its webhook deliveries (the receiver's side of a connector)."""

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether the signature in `headers` is the tracker's over exactly these bytes."""
        ...

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        """The id the tracker repeats when it retries this delivery."""
        ...

    def changes(self, body: bytes) -> tuple[RemoteTask, ...]:
        """The tasks a delivery reports as they now are; ValueError when it is not a delivery."""
        ...


def delivery_object(body: bytes) -> dict[str, Any]:
    """A webhook body as a JSON object, nested no deeper than `bridge.payload.MAX_DEPTH`;
    ValueError (the receiver's 400) for anything else."""
    from bridge.payload import json_object  # here: pydantic is for webhook receivers alone

    return json_object(body)


def cursor_object(
    connector: str, cursor: str | None, kinds: Mapping[str, type | tuple[type, ...]] | None = None
) -> dict[str, Any]:
    """A cursor kept as a JSON object, decoded; `kinds` are the types its known keys must have.

    A StateError names the connector and the way out when the state holds anything else: the
    cursor only saves work, so without it the next sync reads the tracker in full.
    """
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except ValueError as exc:
        problem = f"not JSON: {exc}"
    else:
        problem = "not a JSON object" if not isinstance(value, dict) else ""
        for key, kind in (kinds or {}).items() if not problem else ():
            if value.get(key) is not None and not isinstance(value[key], kind):
                problem = f"{key} is {type(value[key]).__name__}"
                break
        if not problem:
            return cast(dict[str, Any], value)
    raise cursor_error(connector, problem)


def cursor_error(connector: str, problem: str) -> StateError:
    """The error for a stored cursor the connector cannot use, saying how to get past it."""
    return StateError(
        f"{connector}: the sync cursor in the state database is unreadable ({problem}); delete the"
        f" {connector} row of its cursors table, and the next sync reads the tracker in full"
    )


def body_id(body: bytes) -> str:
    """A delivery id for a tracker that sent none: the body's digest, so a resend is still one."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


class Connector(Protocol):
    """One tracker. Found through the `bridge.connectors` entry-point group, never imported by name.

    Optional: a classmethod `authorize(options: AuthOptions) -> str`, for a tracker whose tokens
    come from an OAuth sign-in (`bridge auth NAME`): it runs the flow, stores the token where the
    settings read it and returns a line saying where, or raises a BridgeError.

    Optional: `recover(pending: Mapping[str, str]) -> tuple[RemoteTask, ...]`, for a tracker whose
    pull may not show every task a run that died before committing created (Todoist's sync lists
    active tasks only): the tasks carrying these refs' markers, whatever their status, given each
    ref's first attempt (ISO 8601). The sync plans with them as if pulled.

    Optional: a property `target -> str`, where new tasks go in words (`Todoist project 'Inbox',
    account a@example.com`), read after the pull without another request; the dry run shows it.

    Optional: a class attribute `emulator_flags`, the `bridge emulator NAME` flags its emulator
    takes (names from `bridge.emulator_cli.FLAGS`), so its help lists no other tracker's flags.

    Optional: an attribute `on_progress: Callable[[int, int], None] | None`, for a push that
    takes a while: the sync sets it, and the connector calls it with (done, total) in units of
    its own (ops, batched commands) as it goes, for the progress bar on a terminal.

    Optional: a classmethod `doctor() -> Sequence[Check]`, for `bridge doctor`: the connector's
    settings read, the tracker reached with them, the credentials accepted, the project and owner
    map found, the webhook secret set; with its own client, and without changing anything there.
    A failure it returns is never raised.

    Optional: a class attribute `recurs: bool` (default False), True when the tracker has
    recurring tasks of its own: a completed occurrence is then one ADVANCE op, and the tracker's
    `RemoteTask.completions` tells one completed there. Without it, an occurrence is a task of its
    own: the completed one is closed and the next created with `Op.follows` set.

    Optional: `settings_class`, the pydantic-settings class of its variables, so that `bridge
    doctor` can say where each was set and which names under its prefix are misspelt.
    """

    name: ClassVar[str]

    @classmethod
    def from_env(cls) -> Self:
        """Build from the connector's own settings (environment and `.env`); ConfigError when unusable."""
        ...

    @property
    def requests(self) -> int:
        """HTTP requests made so far, retries included."""
        ...

    def pull(self, cursor: str | None) -> Pull: ...

    def push(self, ops: Sequence[Op]) -> Push: ...

    def close(self) -> None: ...

    @classmethod
    def webhooks(cls) -> Webhooks:
        """The delivery checker, from the connector's settings; ConfigError without a secret."""
        ...

    @classmethod
    def emulator(cls, options: EmulatorOptions) -> Any:
        """An ASGI app emulating the tracker; `app.state.emulator` is an EmulatorControl."""
        ...


# The values of the commands other than sync, defined in `bridge.connector_commands` so that a
# sync does not make their classes; still importable from here, as a connector always has.
_COMMANDS = dict.fromkeys(
    ("AuthOptions", "Check", "CheckStatus", "EmulatorOptions"), "bridge.connector_commands"
)

if not TYPE_CHECKING:  # a type checker sees the names imported above, and refuses any other
    __getattr__, __dir__ = lazy_names(__name__, _COMMANDS)
