"""Todoist's webhook deliveries: signed with the app's client secret, worded as Sync API items.

Todoist signs the raw body: base64(HMAC-SHA256(client secret, body)) in `X-Todoist-Hmac-SHA256`,
and repeats `X-Todoist-Delivery-ID` when it retries (reference §8). Only item events concern the
bridge; the rest are accepted and carry no change. The envelope and an item event's task are read
strictly, by the types of Todoist's API reference (`ItemSyncView`), before anything uses them.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from bridge.connector import RemoteStatus, RemoteTask, body_id, delivery_object
from bridge.payload import Payload, validated
from connectors.todoist import mapping

__all__ = ["TodoistWebhooks"]

_ITEM_EVENTS = ("item:added", "item:updated", "item:completed", "item:uncompleted", "item:deleted")


# The API v1 payload: the official TypeScript SDK's fixtures say version "1", the reference's
# sample says "10"; anything else, or an item with numeric ids, is the legacy format.
_READABLE = frozenset(("1", "10"))
_WHAT_TO_DO = (
    "a Todoist webhook in {}: the bridge reads the API v1 format; choose it for the app's webhook"
    " in Todoist's App Management console"
)


def _instant(value: str) -> str:
    """A date-time as Todoist writes it (`2025-02-10T10:39:38.000000Z`); the text is kept."""
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {value[:40]!r}") from None
    return value


Instant = Annotated[str, AfterValidator(_instant)]


class Due(Payload):
    date: str
    timezone: str | None = None
    string: str = ""
    lang: str = ""
    is_recurring: bool = False


class Item(Payload):
    """A task as an item event carries it: only `id` is required here (events are terse in
    fixtures), but a field that is present has its documented type, null only where documented."""

    id: str
    user_id: str = ""
    project_id: str = ""
    section_id: str | None = None
    parent_id: str | None = None
    added_by_uid: str | None = None
    assigned_by_uid: str | None = None
    responsible_uid: str | None = None
    completed_by_uid: str | None = None
    content: str = ""
    description: str = ""
    labels: list[str] = Field(default_factory=list)
    priority: int = Field(default=1, ge=1, le=4)
    due: Due | None = None
    deadline: dict[str, str | None] | None = None
    duration: dict[str, int | str] | None = None
    checked: bool = False
    is_deleted: bool = False
    is_collapsed: bool = False
    added_at: Instant | None = None
    completed_at: Instant | None = None
    updated_at: Instant | None = None
    child_order: int = 0
    day_order: int = -1
    order_key: str | None = None
    note_count: int = 0
    completed_count: int = 0
    postponed_count: int = 0
    url: str = ""


class Initiator(Payload):
    id: str = ""
    email: str = ""
    full_name: str = ""
    image_id: str | None = None
    is_premium: bool = False


class Extra(Payload):
    old_item: dict[str, Any] = Field(default_factory=dict)  # read as an Item when present
    update_intent: str = ""


class Envelope(Payload):
    event_name: str
    user_id: str = ""
    version: str = ""
    triggered_at: Instant = ""
    initiator: Initiator = Field(default_factory=Initiator)
    event_data: dict[str, Any] = Field(default_factory=dict)  # read as an Item for item events
    event_data_extra: Extra = Field(default_factory=Extra)


class TodoistWebhooks:
    def __init__(self, client_secret: str) -> None:
        self._key = client_secret.encode()

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        given = headers.get("x-todoist-hmac-sha256", "")
        expected = base64.b64encode(hmac.new(self._key, body, hashlib.sha256).digest()).decode("ascii")
        return bool(given) and hmac.compare_digest(given.encode(), expected.encode())

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        return headers.get("x-todoist-delivery-id") or body_id(body)

    def changes(self, body: bytes) -> tuple[RemoteTask, ...]:
        event = delivery_object(body)
        name = event.get("event_name")
        if not isinstance(name, str):
            raise ValueError("not a Todoist webhook: no event_name")  # noqa: TRY004
        version = event.get("version")
        if version is not None and str(version) not in _READABLE:
            raise ValueError(_WHAT_TO_DO.format(f"format version {version!r}"))
        item = event.get("event_data")
        if name in _ITEM_EVENTS:
            if not isinstance(item, dict) or "id" not in item:
                raise ValueError(f"{name} without event_data.id")
            if isinstance(item["id"], int) or "date_added" in item:
                raise ValueError(_WHAT_TO_DO.format("the legacy (Sync v9) format, with numeric ids"))
        validated(Envelope, event)
        if name not in _ITEM_EVENTS:
            return ()
        assert isinstance(item, dict)  # noqa: S101 - checked above
        validated(Item, item, "event_data")
        old = (event.get("event_data_extra") or {}).get("old_item")
        if old:
            validated(Item, old, "event_data_extra.old_item")
        # An `item:completed` whose task is still unchecked and recurring is one occurrence done:
        # the task is open on its next date (`remote_task` says so), not done.
        task = mapping.remote_task(item)
        if name == "item:deleted" and task.status is not RemoteStatus.DELETED:
            task = dataclasses.replace(task, status=RemoteStatus.DELETED)
        return (task,)
