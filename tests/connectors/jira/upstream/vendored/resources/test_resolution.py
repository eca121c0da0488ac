# Copied from pycontribs/jira 3.10.5, tests/resources/test_resolution.py (BSD-2-Clause: see ../../LICENSE).
# Changed: the harness is imported from the emulator shim instead of the upstream tests.conftest.
from __future__ import annotations

from tests.connectors.jira.upstream.harness import JiraTestCase


class ResolutionTests(JiraTestCase):
    def test_resolutions(self):
        resolutions = self.jira.resolutions()
        self.assertGreaterEqual(len(resolutions), 1)

    def test_resolution(self):
        resolution = self.jira.resolution("10002")
        self.assertEqual(resolution.id, "10002")
        self.assertEqual(resolution.name, "Duplicate")
