"""The two create-metadata tests of pycontribs/jira 3.10.5's `tests/test_client.py`, against the
emulator in both modes, with upstream's own fixtures (`vendored/test_client.py`) on top of a fresh
site per test (see `harness`), under their verdicts. The library's DeprecationWarning for these
deprecated calls is let through, as upstream's own run does (this project turns warnings into
errors)."""

from __future__ import annotations

import pytest
from jira import JIRA

from tests.connectors.jira.upstream import harness, verdicts
from tests.connectors.jira.upstream.vendored import test_client as upstream
from tests.connectors.jira.upstream.vendored.test_client import cl_admin, cl_normal, slug, test_manager

__all__ = ["cl_admin", "cl_normal", "slug", "test_manager"]  # upstream's fixtures


@pytest.fixture(autouse=True, params=["server", "cloud"])
def mode(request: pytest.FixtureRequest) -> str:
    """A fresh emulated site in each mode, made before upstream's fixtures read it."""
    mode: str = request.param
    app, url = request.getfixturevalue(f"{mode}_server")
    harness.activate(app, url, mode)
    return mode


@pytest.mark.filterwarnings("ignore:'createmeta_issuetypes' is deprecated:DeprecationWarning")
def test_createmeta_issuetypes_pagination(mode: str, cl_normal: JIRA, slug: str) -> None:
    verdicts.run(
        "test_client.test_createmeta_issuetypes_pagination",
        mode,
        lambda: upstream.test_createmeta_issuetypes_pagination(cl_normal, slug),
    )


@pytest.mark.filterwarnings("ignore:'createmeta_.*' is deprecated:DeprecationWarning")
def test_createmeta_fieldtypes_pagination(mode: str, cl_normal: JIRA, slug: str) -> None:
    verdicts.run(
        "test_client.test_createmeta_fieldtypes_pagination",
        mode,
        lambda: upstream.test_createmeta_fieldtypes_pagination(cl_normal, slug),
    )
