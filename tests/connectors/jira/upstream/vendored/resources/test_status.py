# Copied from pycontribs/jira 3.10.5, tests/resources/test_status.py (BSD-2-Clause: see ../../LICENSE).
# Changed: the harness is imported from the emulator shim instead of the upstream tests.conftest.
from __future__ import annotations

from tests.connectors.jira.upstream.harness import JiraTestCase


class StatusTests(JiraTestCase):
    def test_statuses(self):
        found = False
        statuses = self.jira.statuses()
        for status in statuses:
            if status.name == "Done":
                found = True
                # find status
                s = self.jira.status(status.id)
                self.assertEqual(s.id, status.id)
                break
        self.assertTrue(found, f"Status Done not found. [{statuses}]")
        self.assertGreater(len(statuses), 0)
