"""The Todoist connector: registered as `todoist` in the `bridge.connectors` entry-point group."""

from __future__ import annotations

from connectors.todoist.connector import TodoistConnector

__all__ = ["TodoistConnector"]
