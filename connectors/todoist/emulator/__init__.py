"""A Todoist API v1 emulator: an in-memory account served over HTTP, for tests and local runs.

`create_app(token)` gives a Starlette app (serve it with `bridge.testing.serve_in_thread`);
`app.state.emulator` is the `Emulator` — the account, its knobs and its webhook event log.
"""

from __future__ import annotations

from connectors.todoist.emulator.app import create_app
from connectors.todoist.emulator.state import Emulator

__all__ = ["Emulator", "create_app"]
