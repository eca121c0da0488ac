"""pycontribs/jira's copied tests run only through `test_upstream*.py`, which give them a mode.

The copies in `vendored/` are not collected themselves; upstream's `allow_on_cloud` marker is
registered so that they import under `--strict-markers`.
"""

from __future__ import annotations

import pytest

collect_ignore_glob = ["vendored/*"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_on_cloud: upstream's opt-in for Jira Cloud runs")
