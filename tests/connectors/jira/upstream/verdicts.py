"""Which of pycontribs/jira's copied tests do not run against the emulator, per mode, and why.

Two kinds: `SKIP` — the test does not apply (a feature outside what the bridge uses and the
emulator models, a library refusal, an assumption about upstream's own test server); `WAITS` —
the test is in the emulator's areas and fails today because a part of the model is not there yet
(a strict expected failure: the day it passes, the run fails until the entry is removed here).
Every test not listed must pass; `run` applies the verdict to one test. docs/jira.md ("The jira
library's own tests") summarises this table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pytest

Kind = Literal["skip", "waits"]
Modes = frozenset[str]

BOTH: Modes = frozenset({"server", "cloud"})
SERVER: Modes = frozenset({"server"})
CLOUD: Modes = frozenset({"cloud"})

_COMMENTS = "adds and deletes comments; the emulator keeps no comments (the bridge writes none)"
_UNMODELLED_FIELDS = (
    "expects the default edit screen's attachment, comment, components, fixVersions and"
    " issuelinks, fields the emulator's screens do not carry (the bridge writes none of them)"
)
_RANK = "ranks issues through Jira Software's agile API (/rest/agile/1.0/issue/rank), not served"
_CONTEXT_PATH = (
    "assumes the site lives under the context path /jira, as upstream's test server does; the "
    "emulated site is served from the root, where a real site answers the same 404"
)
_CREATEMETA_DC9 = (
    "jira 3.10.5 refuses createmeta() on Server/Data Center 9 (the emulator's version) before "
    "sending anything: Data Center 9 removed GET /issue/createmeta"
)
_CREATEMETA_CLOUD_REFUSED = (
    "jira 3.10.5 refuses the per-project create-metadata calls on Cloud before sending anything"
)
_NAMES = (
    "identifies users by user name or the `username` parameter, which Jira Cloud removed "
    "(account ids only); upstream runs it on Server only (no allow_on_cloud mark)"
)
_STARTAT_CLOUD = (
    "jira 3.10.5 refuses startAt on Cloud, whose search/jql pages by nextPageToken; upstream runs it "
    "on Server only"
)
_AVATARS = "user avatars are account administration the bridge never uses; not served"
_PROJECT_ADMIN = (
    "project administration (components, versions, roles, schemes) the bridge never uses; not served"
)
_NO_SCHEME = (
    "expects a 404 for a project without an issue security scheme; the emulator serves no schemes "
    "at all, so a pass would prove nothing"
)

VERDICTS: dict[str, list[tuple[Modes, Kind, str]]] = {
    # tests/resources/test_issue.py
    "IssueTests.test_issue_field_limiting": [(BOTH, "skip", _COMMENTS)],
    "IssueTests.test_rank": [(BOTH, "skip", _RANK)],
    "IssueTests.test_editmeta": [(BOTH, "skip", _UNMODELLED_FIELDS)],
    "IssueTests.test_update_label_with_proxy": [(BOTH, "skip", _CONTEXT_PATH)],
    "IssueTests.test_delete_with_proxy": [(BOTH, "skip", _CONTEXT_PATH)],
    **{
        f"IssueTests.{name}": [(SERVER, "skip", _CREATEMETA_DC9)]
        for name in (
            "test_createmeta",
            "test_createmeta_filter_by_projectkey_and_name",
            "test_createmeta_filter_by_projectkeys_and_name",
            "test_createmeta_filter_by_id",
            "test_createmeta_expand",
        )
    },
    "IssueTests.test_assign_issue_automatic": [(CLOUD, "skip", _NAMES)],
    "IssueTests.test_assign_issue": [(CLOUD, "skip", _NAMES)],
    "IssueTests.test_assign_issue_with_issue_obj": [(CLOUD, "skip", _NAMES)],
    "IssueTests.test_unassign_issue": [(CLOUD, "skip", _NAMES)],
    # tests/tests.py
    "SearchTests.test_search_issues_startat": [(CLOUD, "skip", _STARTAT_CLOUD)],
    # tests/resources/test_user.py
    "UserTests.test_user_avatars": [(BOTH, "skip", _AVATARS)],
    "UserTests.test_set_user_avatar": [(BOTH, "skip", _AVATARS)],
    "UserTests.test_delete_user_avatar": [(BOTH, "skip", _AVATARS)],
    "UserTests.test_search_users_maxresults": [(CLOUD, "skip", _NAMES)],
    **{
        f"UserTests.{name}": [(CLOUD, "skip", _NAMES)]
        for name in (
            "test_search_assignable_users_for_projects",
            "test_search_assignable_users_for_projects_maxresults",
            "test_search_assignable_users_for_projects_startat",
            "test_search_assignable_users_for_issues_by_project",
            "test_search_assignable_users_for_issues_by_project_maxresults",
            "test_search_assignable_users_for_issues_by_project_startat",
            "test_search_assignable_users_for_issues_by_issue",
            "test_search_assignable_users_for_issues_by_issue_maxresults",
            "test_search_assignable_users_for_issues_by_issue_startat",
        )
    },
    # tests/resources/test_project.py
    **{
        f"ProjectTests.{name}": [(BOTH, "skip", _PROJECT_ADMIN)]
        for name in (
            "test_project_components",
            "test_project_versions",
            "test_update_project_version",
            "test_get_project_version_by_name",
            "test_rename_version",
            "test_project_versions_with_project_obj",
            "test_project_roles",
            "test_project_permission_scheme",
            "test_project_priority_scheme",
            "test_project_notification_scheme",
            "test_project_workflow_scheme",
        )
    },
    "ProjectTests.test_project_issue_security_level_scheme": [(BOTH, "skip", _NO_SCHEME)],
    # tests/resources/test_field.py, test_issue_type.py, tests/test_client.py
    **{
        name: [(CLOUD, "skip", _CREATEMETA_CLOUD_REFUSED)]
        for name in (
            "FieldsTest.test_field",
            "FieldsTest.test_field_pagination",
            "IssueTypeTest.test_issue_type",
            "IssueTypeTest.test_issue_type_pagination",
            "test_client.test_createmeta_issuetypes_pagination",
            "test_client.test_createmeta_fieldtypes_pagination",
        )
    },
}


def verdict(test_id: str, mode: str) -> tuple[Kind, str] | None:
    """The verdict for `Class.test` (or `test_client.test`) in `mode`; None means it must pass."""
    for modes, kind, reason in VERDICTS.get(test_id, []):
        if mode in modes:
            return kind, reason
    return None


def run(test_id: str, mode: str, test: Callable[[], Any]) -> None:
    """Run `test` under its verdict: skipped when it does not apply; when it waits, an expected
    failure while it fails and a failure once it passes (a strict xfail). The expected failure is
    raised outside the `except`, so that its report is one line rather than the long traceback
    through the `jira` library pytest would render (parsing the library's source) for each."""
    found = verdict(test_id, mode)
    if found is None:
        test()
        return
    kind, reason = found
    if kind == "skip":
        pytest.skip(f"does not apply: {reason}")
    failure: Exception | None = None
    try:
        test()
    except Exception as exc:
        failure = exc
    if failure is None:
        pytest.fail(f"[XPASS(strict)] {reason}: it passes now, remove it from verdicts.py")
    summary = (str(failure).strip().splitlines() or [""])[0][:160]
    pytest.xfail(f"{reason} (now: {type(failure).__name__}: {summary})")
