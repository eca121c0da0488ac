"""pycontribs/jira 3.10.5's own tests for issues, search, users, projects, priorities,
resolutions, statuses, fields, issue types and issue properties, run against the emulator.

Each upstream test class (copied in `vendored/`) runs twice, as `<Class>Server` and
`<Class>Cloud`, each test on a fresh emulated site over real HTTP with the unmodified `jira`
library (see `harness`). `verdicts.VERDICTS` says, per test and mode, why one does not apply or
which part of the emulator's model it waits for; every other test must pass.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

from tests.connectors.jira.upstream import harness, verdicts
from tests.connectors.jira.upstream.vendored import tests as misc
from tests.connectors.jira.upstream.vendored.resources import (
    test_field,
    test_issue,
    test_issue_property,
    test_issue_type,
    test_priority,
    test_project,
    test_project_statuses,
    test_resolution,
    test_status,
    test_status_category,
    test_user,
)

MODULES: tuple[ModuleType, ...] = (
    test_issue,
    misc,
    test_user,
    test_project,
    test_project_statuses,
    test_priority,
    test_resolution,
    test_status,
    test_status_category,
    test_field,
    test_issue_type,
    test_issue_property,
)


def _under_verdict(upstream: str, method: str, mode: str) -> Any:
    def test(self: harness.JiraTestCase) -> None:
        verdicts.run(f"{upstream}.{method}", mode, lambda: getattr(super(type(self), self), method)())

    test.__name__ = method
    return test


def _mode_classes() -> dict[str, type[harness.JiraTestCase]]:
    """`<Class>Server` and `<Class>Cloud` for every upstream test class of `MODULES`, each test
    method run under its verdict."""
    made: dict[str, type[harness.JiraTestCase]] = {}
    for module in MODULES:
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, harness.JiraTestCase):
                continue
            methods = [m for m in dir(cls) if m.startswith("test")]
            for mode in ("server", "cloud"):
                body: dict[str, Any] = {"mode": mode, "__module__": __name__}
                body.update({m: _under_verdict(name, m, mode) for m in methods})
                made[f"{name}{mode.capitalize()}"] = type(f"{name}{mode.capitalize()}", (cls,), body)
    return made


globals().update(_mode_classes())
