"""Jira's admin-webhook deliveries: `X-Hub-Signature: sha256=<hex HMAC of the raw body>`.

The delivery id is `X-Atlassian-Webhook-Identifier`, the same on every retry (reference §6). An
issue event carries the issue as a search returns it, so it reads like a pulled change. The event
and the issue fields the bridge reads are checked strictly against the types of the reference's
payload (all ids are strings, `statusCategory.id` and `timestamp` numbers) before anything uses them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from bridge.connector import RemoteStatus, RemoteTask, body_id, delivery_object
from bridge.payload import Payload, validated
from connectors.jira import mapping

__all__ = ["JiraWebhooks"]


def _jira_time(value: str) -> str:
    """Jira's `2025-03-04T10:15:30.123+0000`; the text is kept."""
    if mapping.parse_time(value) is None:
        raise ValueError(f"not a Jira date-time: {value[:40]!r}")
    return value


JiraTime = Annotated[str, AfterValidator(_jira_time)]


class StatusCategory(Payload):
    id: int = 0
    key: str = ""
    name: str = ""


class Status(Payload):
    id: str = ""
    name: str = ""
    statusCategory: StatusCategory = Field(default_factory=StatusCategory)


class IssueFields(Payload):
    summary: str = ""
    labels: list[str] = Field(default_factory=list)
    updated: JiraTime = ""
    created: JiraTime = ""
    status: Status = Field(default_factory=Status)
    description: str | dict[str, Any] | None = None  # REST v2 text, or a v3 ADF document
    duedate: str | None = None


class Issue(Payload):
    id: str
    key: str = ""
    self_url: str = Field(default="", alias="self")
    fields: IssueFields = Field(default_factory=IssueFields)


class ChangeItem(Payload):
    field: str = ""
    fieldtype: str = ""
    fieldId: str = ""
    from_: str | None = Field(default=None, alias="from")
    fromString: str | None = None
    to: str | None = None
    toString: str | None = None


class Changelog(Payload):
    id: str = ""
    items: list[ChangeItem] = Field(default_factory=list)


class User(Payload):
    accountId: str = ""
    displayName: str = ""
    active: bool = True


class Event(Payload):
    webhookEvent: str
    timestamp: int = 0
    issue_event_type_name: str = ""
    user: User = Field(default_factory=User)
    issue: Issue | None = None  # required of issue events, checked before
    changelog: Changelog = Field(default_factory=Changelog)
    matchedWebhookIds: list[int] = Field(default_factory=list)


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
            validated(Event, event)
            return ()
        issue = event.get("issue")
        if not isinstance(issue, dict) or "id" not in issue:
            raise ValueError(f"{name} without issue.id")
        validated(Event, event)
        task = mapping.remote_task(issue)
        if name == "jira:issue_deleted":
            task = RemoteTask(
                task.remote_id, RemoteStatus.DELETED, task.updated, task.ref, task.title, task.labels
            )
        return (task,)
