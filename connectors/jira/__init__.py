"""The Jira connector: registered as `jira` in the `bridge.connectors` entry-point group."""

from __future__ import annotations

from connectors.jira.connector import JiraConnector

__all__ = ["JiraConnector"]
