"""Rows of the state database that a sync with nothing to do never reads: the webhook inbox's
(`bridge serve`, `bridge inbox`) and the parse cache's (read only when notes are scanned).

Apart from `bridge.state` so that such a sync does not make their classes; `Store` imports this
module where it returns them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CachedFile", "InboxEvent", "InboxItem"]


@dataclass(frozen=True, slots=True)
class InboxEvent:
    """A stored webhook delivery, waiting to be applied."""

    id: int
    connector: str
    delivery_id: str
    body: str
    received_at: str
    attempts: int = 0  # failed applications so far: one that failed before is applied on its own


@dataclass(frozen=True, slots=True)
class InboxItem:
    """An inbox row as `bridge inbox` lists it: a delivery not (yet) applied, and why."""

    id: int
    connector: str
    delivery_id: str
    received_at: str
    state: str
    attempts: int
    error: str | None
    not_before: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "connector": self.connector,
            "delivery_id": self.delivery_id,
            "received_at": self.received_at,
            "state": self.state,
            "attempts": self.attempts,
            "reason": self.error,
            "next_attempt": self.not_before,
        }


@dataclass(frozen=True, slots=True)
class CachedFile:
    path: str
    size: int
    mtime_ns: int
    sha256: str
    fingerprint: str
    data: str
