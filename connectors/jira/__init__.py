"""The Jira connector (the connector class arrives separately)."""

from __future__ import annotations

__all__: list[str] = []
