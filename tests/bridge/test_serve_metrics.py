"""`GET /metrics` and the status page `GET /`, over real HTTP with signed deliveries.

The scrape is parsed by the official client's own parser, and each figure is checked against
what was sent and against the inbox as the state database holds it.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bridge.config import BridgeSettings
from bridge.metrics import Metrics, outcome_label
from bridge.serve import create_app
from bridge.state import Store
from bridge.testing import serve_in_thread
from connectors.todoist.emulator import Emulator
from tests.bridge import test_serve as serving
from tests.bridge.test_serve import SECRET, TOKEN, inbox, post, sign, task_of, wait_for

# The receiver's fixtures (a synced example vault, the Todoist emulator, a served receiver).
tracker = serving.tracker
synced = serving.synced
receiver = serving.receiver

COMPLETED = (
    "Initiate the official candidate process",
    "Define the interview loop",
    "Engage Microsoft Azure Networking stakeholders",
)


def scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of `/metrics`, keyed by sample name and sorted labels."""
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def one(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples[name, tuple(sorted(labels.items()))]


def complete(client: httpx.Client, emulator: Emulator, text: str, delivery_id: str) -> bytes:
    """Tick the task in the tracker and deliver its webhook, signed; returns the body sent."""
    emulator.complete(task_of(emulator, text)["id"])
    body = json.dumps(emulator.events[-1]).encode()
    answer = post(client, body, **{"X-Todoist-Hmac-SHA256": sign(body), "X-Todoist-Delivery-ID": delivery_id})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"
    return body


def state(vault: Path) -> Store:
    return Store.open(BridgeSettings(vault=vault).state_url_for(vault))


def test_metrics_count_what_was_sent_and_match_the_inbox(vault, synced, receiver):
    _, client = receiver
    before = scrape(client)
    assert one(before, "bridge_deliveries_received_total", connector="todoist") == 0
    assert one(before, "bridge_inbox_depth") == 0
    assert one(before, "bridge_state_database_up") == 1

    # Held back by a sync's lock, the deliveries wait in the inbox: the depth says how many.
    with state(vault) as store, store.writer_lock(wait=5.0):
        bodies = [complete(client, synced, text, f"d-{i}") for i, text in enumerate(COMPLETED)]
        again = post(
            client, bodies[0], **{"X-Todoist-Hmac-SHA256": sign(bodies[0]), "X-Todoist-Delivery-ID": "d-0"}
        )
        assert again.json()["status"] == "duplicate"
        nothing = b'{"event_name": "note:added", "event_data": {"id": "1"}}'
        assert post(client, nothing, **{"X-Todoist-Hmac-SHA256": sign(nothing)}).status_code == 200
        waiting = scrape(client)
        assert one(waiting, "bridge_inbox_depth") == 4 == inbox(vault)["new"]
        assert one(waiting, "bridge_inbox_deliveries", state="new") == 4
        assert one(waiting, "bridge_deliveries_received_total", connector="todoist") == 4
        assert one(waiting, "bridge_deliveries_duplicate_total", connector="todoist") == 1
        assert one(waiting, "bridge_deliveries_applied_total", connector="todoist") == 0

    assert wait_for(lambda: inbox(vault) == {"done": 4}, timeout=10)
    after = scrape(client)
    assert one(after, "bridge_inbox_depth") == 0
    assert one(after, "bridge_inbox_deliveries", state="done") == 4
    assert one(after, "bridge_deliveries_set_aside") == 0
    assert one(after, "bridge_deliveries_received_total", connector="todoist") == 4
    assert one(after, "bridge_deliveries_duplicate_total", connector="todoist") == 1
    assert one(after, "bridge_deliveries_applied_total", connector="todoist") == 3
    assert one(after, "bridge_deliveries_settled_total", connector="todoist", outcome="applied") == 3
    assert one(after, "bridge_deliveries_settled_total", connector="todoist", outcome="unknown") == 1
    # The latency of each of the four: from stored to applied, all within the wait above.
    assert one(after, "bridge_delivery_apply_seconds_count", connector="todoist") == 4
    assert one(after, "bridge_delivery_apply_seconds_bucket", connector="todoist", le="+Inf") == 4
    assert one(after, "bridge_delivery_apply_seconds_bucket", connector="todoist", le="60.0") == 4
    assert 0 < one(after, "bridge_delivery_apply_seconds_sum", connector="todoist") < 4 * 60
    # Every installed connector is reported from the start, with zeros.
    assert one(after, "bridge_deliveries_received_total", connector="jira") == 0


def test_two_apps_in_one_process_keep_their_own_figures(vault, synced, receiver):
    """A registry per app: a second receiver neither collides with the first nor shares its counts."""
    _, client = receiver
    complete(client, synced, COMPLETED[1], "first-app")
    assert wait_for(lambda: inbox(vault) == {"done": 1})
    other = create_app(BridgeSettings(vault=vault), vault)
    with serve_in_thread(other) as url, httpx.Client(base_url=url, timeout=10) as second:
        figures = scrape(second)
    assert one(figures, "bridge_deliveries_received_total", connector="todoist") == 0
    assert one(figures, "bridge_inbox_deliveries", state="done") == 1  # the same inbox, read at scrape
    assert one(scrape(client), "bridge_deliveries_received_total", connector="todoist") == 1


def test_an_unreachable_state_database_is_reported_not_zeroed():
    metrics = Metrics(lambda: None)
    samples = {
        s.name: s.value
        for family in text_string_to_metric_families(metrics.render().decode())
        for s in family.samples
    }
    assert samples["bridge_state_database_up"] == 0
    assert "bridge_inbox_depth" not in samples


def test_outcomes_are_labelled_without_their_detail():
    assert outcome_label("invalid: no usable connector named 'x'") == "invalid"
    assert outcome_label("applied") == "applied"


def test_the_status_page_escapes_what_clients_sent_and_shows_no_secret(vault, synced, receiver):
    _, client = receiver
    hostile = '<img src=x onerror=alert(1)>&"'
    body = complete(client, synced, COMPLETED[0], hostile)
    assert wait_for(lambda: inbox(vault) == {"done": 1})
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert html.escape(hostile, quote=True) in page.text
    assert "<img" not in page.text
    assert "<script" not in page.text
    for secret in (SECRET, TOKEN, str(vault), json.loads(body)["event_data"]["content"]):
        assert secret not in page.text
