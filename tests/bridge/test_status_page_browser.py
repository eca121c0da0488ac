"""The status page `GET /` opened in a real browser: Debian's Chromium, driven by Playwright.

No browser is downloaded: the system's `chromium` is launched. Without it the test is skipped on
a developer's machine, and fails in CI (`CI=true` or BRIDGE_TEST_BROWSER_REQUIRED=1), where
`.ci/run` installs it. A screenshot of the page is kept in `test-artifacts/` (or the folder in
BRIDGE_TEST_ARTIFACTS) for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bridge.config import BridgeSettings
from bridge.metrics import SET_ASIDE_STATES
from bridge.state import Store
from tests.bridge import test_serve as serving
from tests.bridge.test_serve import inbox, post, sign, wait_for
from tests.bridge.test_serve_metrics import COMPLETED, complete

tracker = serving.tracker
synced = serving.synced
receiver = serving.receiver

CHROMIUM = Path(os.environ.get("BRIDGE_TEST_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = os.environ.get("CI") == "true" or os.environ.get("BRIDGE_TEST_BROWSER_REQUIRED") == "1"
ARTIFACTS = Path(os.environ.get("BRIDGE_TEST_ARTIFACTS") or Path(__file__).parents[2] / "test-artifacts")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(
            f"{reason}; the browser test is required here (CI=true or BRIDGE_TEST_BROWSER_REQUIRED=1)"
        )
    pytest.skip(f"{reason}; install Debian's chromium package and `pip install playwright` to run it")


@pytest.fixture
def browser() -> Any:
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def test_the_status_page_in_a_browser_matches_the_inbox(browser, vault, synced, receiver, capsys):
    _, client = receiver
    for i, text in enumerate(COMPLETED[:2]):
        complete(client, synced, text, f"applied-{i}")
    nothing = b'{"event_name": "note:added", "event_data": {"id": "7"}}'
    assert post(
        client, nothing, **{"X-Todoist-Hmac-SHA256": sign(nothing), "X-Todoist-Delivery-ID": "aside-1"}
    )
    assert wait_for(lambda: inbox(vault) == {"done": 3}, timeout=10)
    url = BridgeSettings(vault=vault).state_url_for(vault)
    reason = "invalid: event_data.updated_at: expected a string, got 12 <b>"
    with Store.open(url) as store:
        # The state the worker leaves a delivery in when it gives up on it, with its reason.
        store.db.execute(
            "UPDATE inbox SET state = ?, outcome = ? WHERE delivery_id = ?",
            (sorted(SET_ASIDE_STATES)[0], reason, "aside-1"),
        )
        last_sync = store.runs()["todoist"][0]
        # A delivery held back by a sync's lock waits in the inbox while the page is read.
        with store.writer_lock(wait=5.0):
            complete(client, synced, COMPLETED[2], "waiting-1")
            counts = inbox(vault)
            assert counts == {"done": 2, "new": 1, sorted(SET_ASIDE_STATES)[0]: 1}

            page = browser.new_page(viewport={"width": 1280, "height": 900})
            response = page.goto(str(client.base_url.join("/")))
            assert response is not None
            assert response.status == 200
            assert page.title() == "task-bridge receiver"
            figures = {
                key: int(page.text_content(f"#{key}") or "-1")
                for key in ("depth", "set-aside-count", "done-count")
            }
            by_state = {
                row.locator("td").nth(0).inner_text(): int(row.locator("td").nth(1).inner_text())
                for row in page.locator("#states tbody tr").all()
            }
            recent = [
                [cell.inner_text() for cell in row.locator("td").all()]
                for row in page.locator("#recent tbody tr").all()
            ]
            aside = [
                [cell.inner_text() for cell in row.locator("td").all()]
                for row in page.locator("#set-aside tbody tr").all()
            ]
            runs = [
                [cell.inner_text() for cell in row.locator("td").all()]
                for row in page.locator("#runs tbody tr").all()
            ]
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "status-page.png"
            page.screenshot(path=str(shot), full_page=True)
    with capsys.disabled():
        print(f"\nstatus page screenshot: {shot}")

    assert by_state == counts
    assert figures == {"depth": counts["new"], "set-aside-count": 1, "done-count": counts["done"]}
    assert [row[2] for row in recent] == ["waiting-1", "aside-1", "applied-1", "applied-0"]
    assert [row[4] for row in recent] == ["new", sorted(SET_ASIDE_STATES)[0], "done", "done"]
    assert [row[5] for row in recent[2:]] == ["applied", "applied"]
    assert [(row[1], row[2], row[4]) for row in aside] == [("todoist", "aside-1", reason)]
    assert [row[:2] for row in runs] == [["todoist", last_sync]]
    assert runs[0][2] == "6"  # created, as the first sync reported
    assert shot.stat().st_size > 10_000
