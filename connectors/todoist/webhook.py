"""Todoist's webhook deliveries: signed with the app's client secret, worded as Sync API items.

Todoist signs the raw body: base64(HMAC-SHA256(client secret, body)) in `X-Todoist-Hmac-SHA256`,
and repeats `X-Todoist-Delivery-ID` when it retries (reference §8). Only item events concern the
bridge; the rest are accepted and carry no change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from bridge.connector import RemoteStatus, RemoteTask, body_id, delivery_object
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
        if name not in _ITEM_EVENTS:
            return ()
        item = event.get("event_data")
        if not isinstance(item, dict) or "id" not in item:
            raise ValueError(f"{name} without event_data.id")
        if not isinstance(item["id"], str) or "date_added" in item:
            raise ValueError(_WHAT_TO_DO.format("the legacy (Sync v9) format, with numeric ids"))
        task = mapping.remote_task(item)
        if name == "item:deleted" and task.status is not RemoteStatus.DELETED:
            task = RemoteTask(
                task.remote_id, RemoteStatus.DELETED, task.updated, task.ref, task.title, task.labels
            )
        return (task,)
