"""A Jira emulator: an in-memory Jira site (Cloud or Server/Data Center) served over HTTP.

`create_app(mode=..., email=..., token=... | pat=...)` gives a Starlette app (serve it with
`bridge.testing.serve_in_thread`); `app.state.emulator` is the `JiraEmulator` — the site, its
knobs, its webhook event log and the helpers that act as a person in Jira. `Workflow` builds the
statuses and transitions an emulator starts with.
"""

from __future__ import annotations

from connectors.jira.emulator.app import create_app
from connectors.jira.emulator.state import JiraEmulator
from connectors.jira.emulator.workflow import Transition, Validator, Workflow, WorkflowStatus

Emulator = JiraEmulator

__all__ = ["Emulator", "JiraEmulator", "Transition", "Validator", "Workflow", "WorkflowStatus", "create_app"]
