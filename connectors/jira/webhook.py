"""Jira's admin-webhook deliveries: `X-Hub-Signature: sha256=<hex HMAC of the raw body>`.

The delivery id is `X-Atlassian-Webhook-Identifier`, the same on every retry (reference §6). An
issue event carries the issue as a search returns it, so it reads like a pulled change.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from bridge.connector import RemoteStatus, RemoteTask, body_id, delivery_object
from connectors.jira import mapping

__all__ = ["JiraWebhooks"]


class JiraWebhooks:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        given = headers.get("x-hub-signature", "")
        expected = "sha256=" + hmac.new(self._key, body, hashlib.sha256).hexdigest()
        return bool(given) and hmac.compare_digest(given.encode(), expected.encode())

    def delivery_id(self, headers: Mapping[str, str], body: bytes) -> str:
        return headers.get("x-atlassian-webhook-identifier") or body_id(body)

    def changes(self, body: bytes) -> tuple[RemoteTask, ...]:
        event = delivery_object(body)
        name = event.get("webhookEvent")
        if not isinstance(name, str):
            raise ValueError("not a Jira webhook: no webhookEvent")  # noqa: TRY004
        if not name.startswith("jira:issue_"):
            return ()
        issue = event.get("issue")
        if not isinstance(issue, dict) or "id" not in issue:
            raise ValueError(f"{name} without issue.id")
        task = mapping.remote_task(issue)
        if name == "jira:issue_deleted":
            task = RemoteTask(
                task.remote_id, RemoteStatus.DELETED, task.updated, task.ref, task.title, task.labels
            )
        return (task,)
