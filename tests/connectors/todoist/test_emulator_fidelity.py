"""Emulator details that follow the real Todoist, over real HTTP on 127.0.0.1.

Each is on by default where Todoist does it: the 401 body and challenge, due datetimes with
microseconds rendered in the user's time zone, `inbox_project` on the Inbox only, `GET
/tasks/{id}` for active tasks only, separate limits for full and partial syncs. Webhooks that
arrive out of order or not at all are a switch (off by default), and the bridge must still end
with the notes right after `bridge serve` and the next `bridge sync`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import pytest
from starlette.applications import Starlette
from todoist_api_python.api import TodoistAPI

from bridge.config import BridgeSettings
from bridge.serve import Receiver
from bridge.serve import create_app as receiver_app
from bridge.state import Store
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from bridge.transport import make_http_client
from bridge.webhook_sender import Disorder, WebhookSender
from connectors.todoist.emulator import Emulator, create_app
from tests.conftest import EXAMPLE_NOTE
from tests.connectors.todoist.conftest import CLIENT_SECRET, REFERENCE, TOKEN

FLOATING = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")
FIXED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def command(kind: str, temp_id: str | None = None, **args: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"type": kind, "uuid": str(uuid.uuid4()), "args": args}
    if temp_id is not None:
        found["temp_id"] = temp_id
    return found


def everything(pages: Any) -> list[Any]:
    return [item for page in pages for item in page]


def swap_in(server: tuple[Starlette, str], account: Emulator) -> Emulator:
    """Serve `account` (with the app's client secret) on the session's server."""
    account.client_secret = CLIENT_SECRET
    server[0].state.emulator = account
    return account


def zone_or_skip(name: str) -> None:
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        pytest.skip(f"no time zone database entry for {name}")


# -- a. the 401 -------------------------------------------------------------------------------------


def documented_401() -> tuple[dict[str, str], dict[str, Any]]:
    """The headers and body of the 401 in the Authorization guide (skips without the reference)."""
    path = REFERENCE / "todoist-openapi.json"
    if not path.is_file():
        pytest.skip(f"reference OpenAPI document not found at {path}")
    guide = next(
        tag["description"]
        for tag in json.loads(path.read_text(encoding="utf-8"))["tags"]
        if "UNAUTHORIZED" in tag.get("description", "")
    )
    example = guide[guide.index("HTTP/1.1 401") :].split("```", 1)[0]
    head, body = example.split("\n\n", 1)
    headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    return headers, json.loads(body.replace('"<hash>"', '"hash"'))


def test_a_refused_token_gets_todoists_401_body_and_challenge(emulator_url, emulator):
    headers, body = documented_401()
    with httpx.Client(base_url=emulator_url) as client:
        answers = [
            client.get("/api/v1/tasks", headers={"Authorization": "Bearer expired"}),
            client.post("/api/v1/sync", data={"sync_token": "*"}),
        ]
    emulator.fail_next(401)
    with httpx.Client(base_url=emulator_url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        answers.append(client.get("/api/v1/user"))
    for answer in answers:
        assert answer.status_code == 401
        got = answer.json()
        assert {k: v for k, v in got.items() if k != "error_extra"} == {
            k: v for k, v in body.items() if k != "error_extra"
        }
        assert set(got["error_extra"]) == set(body["error_extra"])
        assert re.fullmatch(r"[0-9a-f]{32}", got["error_extra"]["event_id"])
        assert answer.headers["WWW-Authenticate"] == headers["WWW-Authenticate"]
        assert answer.headers["Retry-After"] == str(got["error_extra"]["retry_after"])


def test_the_sdk_sees_the_401_and_does_not_retry_it(emulator_url, emulator):
    client = make_http_client(base_url=emulator_url, origin="https://api.todoist.com", sleep=lambda _: None)
    with TodoistAPI("not-the-token", client=client) as sdk, pytest.raises(httpx.HTTPStatusError) as refused:
        sdk.get_projects().__next__()
    assert refused.value.response.json()["error_tag"] == "UNAUTHORIZED"
    assert len(emulator.request_log) == 1  # a 401 is not retried


# -- b. due datetimes --------------------------------------------------------------------------------


def test_due_datetimes_carry_microseconds_floating_or_fixed(api, emulator):
    floating = api.post("/tasks", json={"content": "a", "due_datetime": "2026-12-04T10:00:00"}).json()
    assert floating["due"] == {"date": "2026-12-04T10:00:00.000000", "timezone": None,
                               "string": "2026-12-04 10:00", "lang": "en", "is_recurring": False}  # fmt: skip
    fixed = api.post("/tasks", json={"content": "b", "due_datetime": "2026-12-04T10:00:00Z"}).json()
    assert (fixed["due"]["date"], fixed["due"]["timezone"]) == ("2026-12-04T10:00:00.000000Z", "UTC")
    said = api.post("/tasks", json={"content": "c", "due_string": "tomorrow at 12"}).json()["due"]
    tomorrow = emulator.today() + dt.timedelta(days=1)
    assert (said["date"], said["string"]) == (f"{tomorrow}T12:00:00.000000", "tomorrow at 12")
    assert FLOATING.match(said["date"])
    whole_day = api.post("/tasks", json={"content": "d", "due_date": "2026-12-04"}).json()["due"]
    assert whole_day["date"] == "2026-12-04"


def test_sync_due_objects_follow_the_due_dates_guide(api, emulator):
    """The guide's examples: a floating date as given, a string with a time zone made fixed."""
    zone_or_skip("Asia/Jakarta")
    t1, t2 = str(uuid.uuid4()), str(uuid.uuid4())
    batch = [
        command("item_add", t1, content="x", due={"date": "2018-10-14T10:00:00.000000"}),
        command("item_add", t2, content="y", due={"string": "tomorrow at 12", "timezone": "Asia/Jakarta"}),
    ]
    answer = api.post("/sync", json={"commands": batch}).json()
    floating = emulator.get_task(answer["temp_id_mapping"][t1])["due"]
    assert floating == {"date": "2018-10-14T10:00:00.000000", "timezone": None, "is_recurring": False,
                        "string": "2018-10-14 10:00", "lang": "en"}  # fmt: skip
    fixed = emulator.get_task(answer["temp_id_mapping"][t2])["due"]
    tomorrow = emulator.today() + dt.timedelta(days=1)
    assert fixed == {"date": f"{tomorrow}T05:00:00.000000Z", "timezone": "Asia/Jakarta",
                     "is_recurring": False, "string": "tomorrow at 12", "lang": "en"}  # fmt: skip


def test_a_fixed_due_is_rendered_in_the_users_time_zone(todoist_server, sdk):
    """The guide's example: 05:00 UTC for a user in Jakarta reads "2018-10-14 12:00"."""
    zone_or_skip("Asia/Jakarta")
    swap_in(todoist_server, Emulator(timezone="Asia/Jakarta"))
    task = sdk.add_task("Call", due_datetime=dt.datetime(2018, 10, 14, 5, tzinfo=dt.UTC))
    assert task.due is not None
    assert (task.due.date, task.due.timezone, task.due.string) == (
        dt.datetime(2018, 10, 14, 5, tzinfo=dt.UTC),
        "Asia/Jakarta",
        "2018-10-14 12:00",
    )
    assert sdk.get_task(task.id).due == task.due


def test_the_bridge_reads_tasks_whose_due_became_a_datetime(vault, env, emulator, sdk):
    zone_or_skip("Europe/Madrid")
    assert run_sync(BridgeSettings(vault=vault), connector_name="todoist").report.created == 6
    tasks = {t["content"].split()[0] + t["content"].split()[1]: t for t in emulator.tasks.values()}
    floating, fixed = tasks["Definethe"], tasks["EngageMicrosoft"]
    emulator.update(floating["id"], due="tomorrow at 10am")
    emulator.update(fixed["id"], due={"string": "tomorrow at 10am", "timezone": "Europe/Madrid"})
    read = {t.id: t.due for t in everything(sdk.get_tasks())}
    assert FLOATING.match(emulator.get_task(floating["id"])["due"]["date"])
    assert FIXED.match(emulator.get_task(fixed["id"])["due"]["date"])
    assert isinstance(read[fixed["id"]].date, dt.datetime)
    assert read[fixed["id"]].date.tzinfo is not None
    sdk.complete_task(floating["id"])
    report = run_sync(BridgeSettings(vault=vault), connector_name="todoist").report
    assert (report.failed, report.updated, report.notes_written) == (0, 0, 1)
    text = (vault / EXAMPLE_NOTE).read_text(encoding="utf-8")
    assert any(line.startswith("- [x] Define the interview loop") for line in text.splitlines())


# -- c. inbox_project ----------------------------------------------------------------------------------


def test_inbox_project_is_sent_on_the_inbox_only(api, emulator, sdk):
    work = api.post("/projects", json={"name": "Work"}).json()
    assert "inbox_project" not in work
    listed = api.get("/projects").json()["results"]
    assert [(p["id"], p.get("inbox_project")) for p in listed] == [
        (emulator.inbox_id, True),
        (work["id"], None),
    ]
    assert "inbox_project" not in api.get(f"/projects/{work['id']}").json()
    synced = api.post("/sync", json={"sync_token": "*", "resource_types": ["projects"]}).json()["projects"]
    assert [("inbox_project" in p, p.get("inbox_project")) for p in synced] == [(True, True), (False, None)]
    assert {p.name: p.is_inbox_project for p in everything(sdk.get_projects())} == {
        "Inbox": True,
        "Work": None,
    }


# -- d. GET /tasks/{id} ----------------------------------------------------------------------------------


def test_get_task_answers_active_tasks_only(api, emulator, sdk):
    done, gone, repeating = emulator.add("done"), emulator.add("gone"), emulator.add("water", due="every day")
    emulator.complete(done["id"])
    emulator.delete(gone["id"])
    emulator.complete(repeating["id"])  # a recurring task moves on: still active
    for task in (done, gone):
        answer = api.get(f"/tasks/{task['id']}")
        assert answer.status_code == 404
        assert (answer.json()["error_tag"], answer.json()["error_code"]) == ("NOT_FOUND", 478)
        with pytest.raises(httpx.HTTPStatusError) as raised:  # what the SDK makes of it
            sdk.get_task(task["id"])
        assert raised.value.response.status_code == 404
    assert sdk.get_task(repeating["id"]).content == "water"
    emulator.reopen(done["id"])
    assert sdk.get_task(done["id"]).is_completed is False


# -- e. request limits of /sync --------------------------------------------------------------------------


def test_full_syncs_are_limited_to_100_per_15_minutes_partial_ones_apart(api, emulator):
    assert (emulator.full_sync_limit, emulator.partial_sync_limit, emulator.sync_window) == (100, 1000, 900.0)
    token = ""
    for _ in range(100):
        answer = api.post("/sync", json={"sync_token": "*", "resource_types": ["items"]})
        assert answer.status_code == 200
        token = answer.json()["sync_token"]
    refused = api.post("/sync", json={"sync_token": "*", "resource_types": ["items"]})
    assert refused.status_code == 429
    body = refused.json()
    assert (body["error_tag"], body["error_code"], body["http_code"]) == ("LIMITS_REACHED", 35, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    assert body["error_extra"]["retry_after"] == int(refused.headers["Retry-After"])
    # incremental reads and batches of commands count apart, against the partial limit
    partial = api.post("/sync", json={"sync_token": token, "resource_types": ["items"]})
    assert partial.status_code == 200
    assert api.post("/sync", json={"commands": [command("item_add", content="x")]}).status_code == 200
    assert api.get("/tasks").status_code == 200  # REST is not a sync


def test_partial_syncs_are_limited_to_1000_per_15_minutes(api, emulator):
    token = api.post("/sync", json={"sync_token": "*", "resource_types": ["items"]}).json()["sync_token"]
    codes = [api.post("/sync", json={"sync_token": token, "resource_types": ["items"]}).status_code
             for _ in range(1001)]  # fmt: skip
    assert codes == [200] * 1000 + [429]
    assert api.post("/sync", json={"sync_token": "*", "resource_types": ["items"]}).status_code == 200
    emulator.partial_sync_limit = None  # configurable: None lifts it
    assert api.post("/sync", json={"sync_token": token, "resource_types": ["items"]}).status_code == 200


# -- f. webhooks out of order or not at all ----------------------------------------------------------------


def test_webhooks_are_delivered_in_order_unless_disorder_is_switched_on():
    assert Emulator().webhook_disorder is None
    with pytest.raises(ValueError, match="probability"):
        Disorder(drop=1.5)
    seeded = [Disorder(drop=0.5, delay=1.0, seed=7) for _ in range(2)]
    fates = [[d.fate(str(n)) for n in range(20)] for d in seeded]
    assert fates[0] == fates[1]  # a seed loses the same deliveries
    assert None in fates[0]
    assert all(f is None or 0.0 <= f <= 1.0 for f in fates[0])
    assert seeded[0].lost == [str(n) for n, f in enumerate(fates[0]) if f is None]


def test_a_held_delivery_is_overtaken_and_flush_waits_for_it(receiver):
    sender = WebhookSender(receiver.url)
    try:
        sender.send("late", b'{"n":1}', {}, hold=0.3)
        sender.send("early", b'{"n":2}', {})
        assert sender.flush(5)
        assert [a.delivery_id for a in sender.attempts] == ["early", "late"]
        assert [r.json()["n"] for r in receiver.requests] == [2, 1]
    finally:
        sender.close()


def within(seconds: float, check: Callable[[], bool]) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def served(vault: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`bridge serve` for the vault, running: its base URL and the state database's URL."""
    state = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("BRIDGE_STATE_URL", state)
    monkeypatch.setenv("TODOIST_CLIENT_SECRET", CLIENT_SECRET)
    app = receiver_app(BridgeSettings(vault=vault), vault)
    receiver: Receiver = app.state.receiver
    receiver.start()
    with serve_in_thread(app) as url:
        yield url, state
    receiver.stop()


def group_states(vault: Path, emulator: Emulator) -> dict[str, tuple[bool, list[bool]]]:
    """Per task (by its first three words, which tell the example note's groups apart): whether
    Todoist has it completed, and whether each line of its group is ticked."""
    lines = [
        line for line in (vault / EXAMPLE_NOTE).read_text(encoding="utf-8").splitlines() if "- [" in line
    ]
    found: dict[str, tuple[bool, list[bool]]] = {}
    for task in emulator.tasks.values():
        words = " ".join(task["content"].split()[:3])
        found[words] = (
            task["checked"],
            [line.startswith("- [x]") for line in lines if line[6:].startswith(words)],
        )
    return found


def right(states: dict[str, tuple[bool, list[bool]]]) -> bool:
    """Every line ticked exactly when its task is completed in Todoist."""
    return all(ticks and ticks == [checked] * len(ticks) for checked, ticks in states.values())


def test_with_deliveries_lost_and_reordered_serve_then_sync_ends_with_the_notes_right(
    vault, served, monkeypatch
):
    base, state = served
    app = create_app(TOKEN, client_secret=CLIENT_SECRET, webhook_url=f"{base}/webhooks/todoist")
    sender: WebhookSender = app.state.webhooks
    with serve_in_thread(app) as url:
        monkeypatch.setenv("TODOIST_API_TOKEN", TOKEN)
        monkeypatch.setenv("TODOIST_BASE_URL", url)
        settings = BridgeSettings(vault=vault)
        assert run_sync(settings, connector_name="todoist").report.created == 6
        account: Emulator = app.state.emulator
        assert sender.flush(5)  # the creations reached serve in order
        disorder = account.webhook_disorder = Disorder(drop=0.3, delay=0.6, seed=370)
        by_words = {" ".join(t["content"].split()[:3]): t["id"] for t in account.tasks.values()}
        client = make_http_client(base_url=url, origin="https://api.todoist.com", sleep=lambda _: None)
        with TodoistAPI(TOKEN, client=client) as sdk:
            for words, steps in {
                "Define the interview": ["close"],
                "Share role descriptions": ["close", "reopen"],
                "Engage Microsoft Azure": ["close"],
                "Confirm preferred role": ["close", "reopen", "close"],
                "Provide introductions or": ["close", "reopen"],
            }.items():
                for step in steps:
                    done = sdk.complete_task if step == "close" else sdk.uncomplete_task
                    assert done(by_words[words])
        assert sender.flush(10)
        chaotic = set(disorder.decided)
        delivered = [a.delivery_id for a in sender.attempts if a.number == 1 and a.delivery_id in chaotic]
        sent = [d for d in disorder.decided if d not in disorder.lost]
        assert disorder.lost == disorder.decided[:1]  # the seed loses "Define …" closed …
        assert sorted(delivered) == sorted(sent)
        shared, reopened = disorder.decided[1:3]  # … and "Share …" reopened overtakes its closing
        assert delivered.index(reopened) < delivered.index(shared)

        def drained() -> bool:
            store = Store.open(state)
            try:
                counts = store.inbox_counts()
            finally:
                store.close()
            return counts.get("new", 0) + counts.get("claimed", 0) == 0

        assert within(10, drained)
        assert not right(group_states(vault, account))  # serve alone could not get it right
        report = run_sync(settings, connector_name="todoist").report
        assert report.failed == 0
        states = group_states(vault, account)
        assert right(states), states
        assert {w for w, (checked, _) in states.items() if checked} == {
            "Define the interview", "Engage Microsoft Azure", "Confirm preferred role",
        }  # fmt: skip
        assert all(a.status == 200 for a in sender.attempts)
        again = run_sync(settings, connector_name="todoist").report
        assert (again.closed, again.reopened, again.notes_written) == (0, 0, 0)


def test_sync_commands_read_due_strings_in_the_users_time_zone(todoist_server, emulator_url):
    """22:00 on 3 December in Los Angeles is already 4 December in UTC: "tomorrow" is the 4th,
    and a floating "tomorrow at 9" is 9 o'clock there, as the app would read it."""
    zone_or_skip("America/Los_Angeles")
    evening = dt.datetime(2026, 12, 4, 6, 0, tzinfo=dt.UTC)
    account = swap_in(todoist_server, Emulator(timezone="America/Los_Angeles", clock=lambda: evening))
    assert account.today() == dt.date(2026, 12, 3)
    t1, t2 = str(uuid.uuid4()), str(uuid.uuid4())
    batch = [
        command("item_add", t1, content="x", due={"string": "tomorrow"}),
        command("item_add", t2, content="y", due={"string": "tomorrow at 9"}),
    ]
    answer = httpx.post(
        f"{emulator_url}/api/v1/sync", headers={"Authorization": f"Bearer {TOKEN}"}, json={"commands": batch}
    ).json()
    assert account.get_task(answer["temp_id_mapping"][t1])["due"]["date"] == "2026-12-04"
    assert account.get_task(answer["temp_id_mapping"][t2])["due"]["date"] == "2026-12-04T09:00:00.000000"
