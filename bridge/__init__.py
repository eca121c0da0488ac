"""task-bridge: Markdown action items kept in step with Todoist and Jira."""

from __future__ import annotations

from bridge.model import Diagnostic, Priority, Source, Spelling, StatusType, Task

__all__ = ["Diagnostic", "Priority", "Source", "Spelling", "StatusType", "Task", "__version__"]

__version__ = "0.1.0"
