# Copied from pycontribs/jira 3.10.5, tests/resources/test_issue_type.py (BSD-2-Clause: see ../../LICENSE).
# Changed: the harness is imported from the emulator shim instead of the upstream tests.conftest.
from __future__ import annotations

from jira.resources import IssueType
from tests.connectors.jira.upstream.harness import JiraTestCase


class IssueTypeTest(JiraTestCase):
    def setUp(self) -> None:
        super().setUp()

    def test_issue_type(self):
        issue_types = self.test_manager.jira_admin.project_issue_types(
            project=self.project_a
        )
        assert isinstance(issue_types[0], IssueType)

    def test_issue_type_pagination(self):
        issue_types = self.test_manager.jira_admin.project_issue_types(
            project=self.project_a, startAt=50
        )
        assert len(issue_types) == 0
