"""Routed sync: one run, one vault scan, each group to exactly one connector, failures kept apart.

Todoist is the real connector against its emulator over HTTP on 127.0.0.1; the second connector
is a small in-memory tracker registered here the way a plugin would be found (`bridge.registry`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import pytest
from typer.testing import CliRunner

from bridge import registry
from bridge.cli import app
from bridge.config import BridgeSettings
from bridge.connector import EmulatorOptions, Op, OpKind, OpResult, Pull, Push, RemoteStatus, RemoteTask
from bridge.errors import AuthError, BridgeError, ConfigError, RemoteReadError
from bridge.lock import held_lock
from bridge.model import StatusType
from bridge.parse import parse_note
from bridge.state import Store
from bridge.sync import run_sync
from bridge.testing import serve_in_thread
from bridge.vault import scan
from bridge.writeback import set_status
from tests.conftest import EXAMPLE_NOTE

TOKEN = "routing-test-token-0123456789"
MINE = "@Myself=todoist, *=fake"  # the example vault: 2 groups (3 lines) of Myself, 4 (6 lines) of Lior
TODAY = dt.date(2025, 10, 1)


class FakeTracker:
    """What the fake connector's tracker holds, and the knobs a test turns."""

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.pushed: list[Op] = []
        self.pending: list[RemoteTask] = []
        self.pulls = 0
        self.fail_from_env: BridgeError | None = None
        self.fail_pull: BridgeError | None = None

    def complete(self, remote_id: str) -> None:
        """As a person in the tracker's app: the next pull reports it done."""
        self.tasks[remote_id]["status"] = RemoteStatus.DONE
        task = self.tasks[remote_id]
        self.pending.append(RemoteTask(remote_id, RemoteStatus.DONE, "2099-01-01T00:00:00Z", task["ref"]))

    def open_titles(self) -> list[str]:
        return sorted(t["title"] for t in self.tasks.values() if t["status"] is RemoteStatus.OPEN)


class FakeConnector:
    """A second tracker for routed runs: in memory, answers every op."""

    name: ClassVar[str] = "fake"
    tracker: ClassVar[FakeTracker]

    def __init__(self) -> None:
        self.calls = 0

    @classmethod
    def from_env(cls) -> Self:
        if cls.tracker.fail_from_env is not None:
            raise cls.tracker.fail_from_env
        return cls()

    @property
    def requests(self) -> int:
        return self.calls

    def pull(self, cursor: str | None) -> Pull:
        self.calls += 1
        self.tracker.pulls += 1
        if self.tracker.fail_pull is not None:
            raise self.tracker.fail_pull
        changes, self.tracker.pending = tuple(self.tracker.pending), []
        return Pull(changes, str(int(cursor or 0) + 1))

    def push(self, ops: Sequence[Op]) -> Push:
        self.calls += 1
        results = []
        for op in ops:
            self.tracker.pushed.append(op)
            if op.kind is OpKind.CREATE:
                rid = f"F{len(self.tracker.tasks) + 1}"
                self.tracker.tasks[rid] = {
                    "title": op.fields.title,
                    "status": RemoteStatus.OPEN,
                    "ref": op.ref,
                }
                results.append(OpResult(op.token, True, rid))
                continue
            assert op.remote_id is not None
            status = {OpKind.CLOSE: RemoteStatus.DONE, OpKind.REOPEN: RemoteStatus.OPEN}.get(op.kind)
            if op.kind is OpKind.DELETE:
                status = RemoteStatus.DELETED
            if status is not None:
                self.tracker.tasks[op.remote_id]["status"] = status
            results.append(OpResult(op.token, True, op.remote_id))
        return Push(tuple(results))

    def close(self) -> None:
        pass

    @classmethod
    def emulator(cls, options: EmulatorOptions) -> Any:
        raise NotImplementedError


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTracker:
    """The fake connector, installed as `fake` beside the real entry points."""
    tracker = FakeTracker()
    monkeypatch.setattr(FakeConnector, "tracker", tracker, raising=False)
    real_load, real_available = registry.load, registry.available
    monkeypatch.setattr(registry, "load", lambda name: FakeConnector if name == "fake" else real_load(name))
    monkeypatch.setattr(registry, "available", lambda: sorted([*real_available(), "fake"]))
    return tracker


@pytest.fixture
def todoist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """A fresh Todoist emulator (found through the registry), and the settings that reach it."""
    emulator_app = registry.load("todoist").emulator(EmulatorOptions(token=TOKEN))
    with serve_in_thread(emulator_app) as url:
        monkeypatch.setenv("TODOIST_API_TOKEN", TOKEN)
        monkeypatch.setenv("TODOIST_BASE_URL", url)
        monkeypatch.setenv("TODOIST_PROJECT", "Bridge")
        monkeypatch.setenv("BRIDGE_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        yield emulator_app.state.emulator


def live(emulator: Any) -> list[dict[str, Any]]:
    return [t for t in emulator.tasks.values() if not t["is_deleted"]]


def settings(vault: Path, routes: str | None = MINE) -> BridgeSettings:
    return BridgeSettings(vault=vault, routes=routes)


def owners_of(vault: Path, titles: list[str]) -> set[str | None]:
    tasks, _ = parse_note((vault / EXAMPLE_NOTE).read_text(encoding="utf-8"), EXAMPLE_NOTE)
    return {t.owner for t in tasks if any(t.description.startswith(title[:40]) for title in titles)}


def note_statuses(vault: Path) -> dict[str, str]:
    tasks, _ = parse_note((vault / EXAMPLE_NOTE).read_text(encoding="utf-8"), EXAMPLE_NOTE)
    return {t.key: t.status for t in tasks}


def sync_cli(vault: Path, *args: str) -> tuple[int, dict[str, Any] | None, str]:
    result = CliRunner().invoke(app, ["sync", "--vault", str(vault), "--json", *args])
    document = json.loads(result.stdout) if result.stdout.strip() else None
    return result.exit_code, document, result.stderr


# -- one run, each group to one connector ----------------------------------------------------------


def test_one_run_syncs_every_routed_connector_with_only_its_groups(vault, todoist, fake, monkeypatch):
    scans: list[Path] = []
    locks: list[float] = []
    real_scan, real_lock = scan, Store.writer_lock

    def counting_scan(path: Path, **kw: Any) -> Any:
        scans.append(path)
        return real_scan(path, **kw)

    def counting_lock(self: Store, *, wait: float = 0.0) -> Any:
        locks.append(wait)
        return real_lock(self, wait=wait)

    monkeypatch.setattr("bridge.sync.scan", counting_scan)
    monkeypatch.setattr(Store, "writer_lock", counting_lock)
    run = run_sync(settings(vault), today=TODAY)
    assert (len(scans), len(locks)) == (1, 1)
    assert [r.connector for r in run.reports] == ["todoist", "fake"]
    mine, theirs = run.reports
    assert (mine.created, mine.failed, mine.linked) == (2, 0, 3)
    assert (theirs.created, theirs.failed, theirs.linked) == (4, 0, 6)
    assert run.failures == {}
    assert run.unrouted == 0
    # each tracker holds only its owner's items, and no item is in both
    assert owners_of(vault, [t["content"] for t in live(todoist)]) == {"Myself"}
    assert owners_of(vault, fake.open_titles()) == {"Lior Genzel"}
    refs = {op.ref for op in fake.pushed}
    store = Store.open(BridgeSettings().state_url_for(vault))
    try:
        todoist_keys, fake_keys = set(store.links("todoist")), set(store.links("fake"))
    finally:
        store.close()
    assert not todoist_keys & fake_keys
    assert len(todoist_keys | fake_keys) == 9  # every line of the example note is linked once
    assert refs <= fake_keys


def test_second_routed_run_changes_nothing(vault, todoist, fake):
    run_sync(settings(vault), today=TODAY)
    before = (vault / EXAMPLE_NOTE).read_bytes()
    pushed = len(fake.pushed)
    again = run_sync(settings(vault), today=TODAY)
    for report in again.reports:
        assert (report.created, report.updated, report.closed, report.notes_written) == (0, 0, 0, 0)
    assert len(fake.pushed) == pushed
    assert (vault / EXAMPLE_NOTE).read_bytes() == before


def test_both_connectors_write_back_into_the_same_note_in_one_run(vault, todoist, fake, caplog):
    caplog.set_level(logging.INFO, logger="bridge.writeback")
    run_sync(settings(vault), today=TODAY)
    mine = next(t for t in live(todoist) if t["content"].startswith("Confirm preferred role scope"))
    todoist.complete(mine["id"])
    theirs = next(rid for rid, t in fake.tasks.items() if t["title"].startswith("Share role descriptions"))
    fake.complete(theirs)
    run = run_sync(settings(vault), today=TODAY)
    first, second = run.reports
    assert first.notes_written == 2  # the Myself group of two lines: the note changes under the fake
    assert second.notes_written == 2  # ...whose write-back finds its lines again by key
    assert not [n for r in run.reports for n in r.notices if "not found" in n]
    assert f"{EXAMPLE_NOTE} changed since it was read; tasks located again by key" in caplog.text
    tasks, _ = parse_note((vault / EXAMPLE_NOTE).read_text(encoding="utf-8"), EXAMPLE_NOTE)
    done = sorted(t.description[:30] for t in tasks if t.status == "x")
    assert done == [
        "Confirm preferred role scope (",
        "Confirm preferred role scope (",
        *["Share role descriptions with J"] * 2,
    ]


def test_write_back_relocates_lines_in_a_note_changed_since_the_scan(vault):
    result = scan(vault, root=vault)
    note = next(n for n in result.notes if n.path == EXAMPLE_NOTE)
    first, last = result.tasks[0], result.tasks[-1]
    one = set_status(vault, EXAMPLE_NOTE, {first.key: StatusType.DONE}, today=TODAY, expected=note)
    assert one.lines == (first.source.line,)
    body = (vault / EXAMPLE_NOTE).read_bytes()  # a person adds two lines above the tasks meanwhile
    (vault / EXAMPLE_NOTE).write_bytes(body.replace(b"## Summary\n", b"## Summary\n\nAdded later.\n", 1))
    two = set_status(vault, EXAMPLE_NOTE, {last.key: StatusType.DONE}, today=TODAY, expected=note)
    assert two.relocated
    assert two.lines == (last.source.line + 2,)
    assert note_statuses(vault)[first.key] == note_statuses(vault)[last.key] == "x"


# -- choosing the connectors -----------------------------------------------------------------------


def test_connector_flag_syncs_only_that_connector_and_only_its_groups(vault, todoist, fake):
    run = run_sync(settings(vault), connector_name="todoist", today=TODAY)
    assert [r.connector for r in run.reports] == ["todoist"]
    assert run.report.created == 2
    assert owners_of(vault, [t["content"] for t in live(todoist)]) == {"Myself"}
    assert fake.pulls == 0


def test_without_routes_the_default_connector_takes_every_group(vault, todoist, fake, monkeypatch):
    monkeypatch.setenv("BRIDGE_CONNECTOR", "todoist")
    run = run_sync(BridgeSettings(vault=vault), today=TODAY)
    assert [(r.connector, r.created) for r in run.reports] == [("todoist", 6)]
    assert fake.pulls == 0


def test_routes_win_over_the_default_connector(vault, todoist, fake, monkeypatch):
    monkeypatch.setenv("BRIDGE_CONNECTOR", "todoist")
    monkeypatch.setenv("BRIDGE_ROUTES", "*=fake")
    run = run_sync(BridgeSettings(vault=vault), today=TODAY)
    assert [(r.connector, r.created) for r in run.reports] == [("fake", 6)]
    assert live(todoist) == []


def test_unrouted_groups_are_counted_and_synced_nowhere(vault, todoist, fake):
    run = run_sync(settings(vault, "@Myself=todoist"), today=TODAY)
    assert run.unrouted == 4
    assert run.report.created == 2
    assert run.to_json()["unrouted"] == 4


def test_unknown_connector_in_routes_names_the_rule_and_the_installed_ones(vault, todoist, fake):
    with pytest.raises(ConfigError) as caught:
        run_sync(settings(vault, "@Myself=todoist, *=nosuch"), today=TODAY)
    message = str(caught.value)
    assert "'*=nosuch'" in message
    assert "todoist" in message
    assert "fake" in message
    assert todoist.request_log == []


def test_connector_flag_for_a_connector_no_rule_names_is_refused(vault, todoist, fake):
    with pytest.raises(ConfigError, match="no BRIDGE_ROUTES rule sends tasks to 'fake'"):
        run_sync(settings(vault, "@Myself=todoist"), connector_name="fake", today=TODAY)


def test_no_connector_and_no_routes_is_a_config_error(vault, todoist):
    with pytest.raises(ConfigError, match="BRIDGE_ROUTES"):
        run_sync(BridgeSettings(vault=vault))


# -- a route that changes ------------------------------------------------------------------------


def test_changed_route_creates_in_the_new_tracker_and_leaves_the_old_by_default(vault, todoist, fake):
    run_sync(settings(vault), today=TODAY)
    assert len(fake.open_titles()) == 4
    run = run_sync(settings(vault, "#never=fake, *=todoist"), today=TODAY)
    to_fake, to_todoist = run.reports  # in the order the rules name them
    assert to_todoist.created == 4  # the Lior items are new to Todoist
    assert (to_fake.absent, to_fake.closed, to_fake.deleted) == (4, 0, 0)
    assert len(fake.open_titles()) == 4  # BRIDGE_ABSENT=leave: the old tracker's tasks stay
    back = run_sync(settings(vault), today=TODAY)  # routed back: the old links are picked up again
    assert [(r.connector, r.created, r.absent) for r in back.reports] == [("todoist", 0, 4), ("fake", 0, 0)]
    assert len(fake.pushed) == 4


def test_changed_route_with_absent_close_closes_the_old_trackers_tasks(vault, todoist, fake, monkeypatch):
    run_sync(settings(vault), today=TODAY)
    monkeypatch.setenv("BRIDGE_ABSENT", "close")
    refused = run_sync(settings(vault, "#never=fake, *=todoist"), today=TODAY)
    assert isinstance(refused.failures["fake"], ConfigError)  # 4 of 4 at once: needs --force
    assert len(fake.open_titles()) == 4
    run = run_sync(settings(vault, "#never=fake, *=todoist"), today=TODAY, force=True)
    assert run.reports[0].closed == 4
    assert fake.open_titles() == []


# -- failures ------------------------------------------------------------------------------------


def test_a_failing_connector_does_not_stop_the_others(vault, todoist, fake):
    fake.fail_pull = RemoteReadError("fake", "HTTP 500 from the tracker")
    run = run_sync(settings(vault, "@Lior Genzel=fake, *=todoist"), today=TODAY)  # the failing one first
    failed, synced = run.reports
    assert isinstance(run.failures["fake"], RemoteReadError)
    assert failed.errors == ["fake: HTTP 500 from the tracker"]
    assert (failed.created, failed.linked) == (0, 0)
    assert (synced.connector, synced.created, synced.linked) == ("todoist", 2, 3)
    assert len(live(todoist)) == 2


def test_the_only_connectors_failure_is_raised(vault, todoist, fake):
    fake.fail_pull = RemoteReadError("fake", "HTTP 500")
    with pytest.raises(RemoteReadError):
        run_sync(settings(vault, "*=fake"), today=TODAY)


@pytest.mark.parametrize(
    ("failure", "where", "status"),
    [
        (RemoteReadError("fake", "HTTP 500"), "pull", 1),
        (AuthError("fake", "the tracker refused FAKE_TOKEN"), "pull", 2),
        (ConfigError("FAKE_TOKEN is not set"), "from_env", 2),
    ],
)
def test_cli_exit_status_reflects_a_connector_failure(
    vault, todoist, fake, monkeypatch, failure, where, status
):
    setattr(fake, f"fail_{where}", failure)
    monkeypatch.setenv("BRIDGE_ROUTES", MINE)
    code, document, stderr = sync_cli(vault)
    assert code == status
    assert document is not None
    assert document["created"] == 2  # Todoist synced all the same
    by_name = {part["connector"]: part for part in document["connectors"]}
    assert by_name["todoist"]["error"] is None
    assert str(failure) in by_name["fake"]["error"]
    assert any(str(failure) in error for error in document["errors"])
    assert str(failure) in stderr


def test_lock_held_is_75_for_the_whole_run(vault, todoist, fake, monkeypatch):
    monkeypatch.setenv("BRIDGE_ROUTES", MINE)
    state = Path(BridgeSettings().state_url_for(vault).removeprefix("sqlite:///"))
    with held_lock(Path(f"{state}.lock")):
        code, document, stderr = sync_cli(vault)
    assert code == 75
    assert document is None
    assert "another sync is running" in stderr
    assert todoist.request_log == []
    assert fake.pulls == 0


# -- the JSON document -----------------------------------------------------------------------------

COUNTS = ("created", "updated", "closed", "reopened", "notes_written", "conflicts", "failed", "requests")


def test_json_of_a_routed_run_sums_the_connectors(vault, todoist, fake, monkeypatch):
    monkeypatch.setenv("BRIDGE_ROUTES", MINE)
    code, document, _ = sync_cli(vault)
    assert code == 0
    assert document is not None
    parts = document["connectors"]
    assert [p["connector"] for p in parts] == ["todoist", "fake"]
    for count in COUNTS:
        assert isinstance(document[count], int)
        assert document[count] == sum(p[count] for p in parts)
    assert (document["created"], parts[0]["created"], parts[1]["created"]) == (6, 2, 4)
    assert document["linked"] == 9
    assert document["requests"] >= 4  # Todoist's read and write, the fake's pull and push
    assert document["connector"] is None
    assert (document["unrouted"], document["errors"], document["dry_run"]) == (0, [], False)


def test_json_of_a_one_connector_run_keeps_its_shape(vault, todoist, fake, monkeypatch):
    monkeypatch.setenv("BRIDGE_ROUTES", MINE)
    code, document, _ = sync_cli(vault, "--connector", "todoist")
    assert code == 0
    assert document is not None
    assert document["connector"] == "todoist"
    assert (document["created"], document["linked"], document["unrouted"]) == (2, 3, 0)
    [part] = document["connectors"]
    assert {k: document[k] for k in part} == part


def test_dry_run_of_a_routed_run_changes_nothing_and_lists_both_plans(vault, todoist, fake, monkeypatch):
    monkeypatch.setenv("BRIDGE_ROUTES", MINE)
    before = (vault / EXAMPLE_NOTE).read_bytes()
    code, document, _ = sync_cli(vault, "--dry-run")
    assert code == 0
    assert document is not None
    assert document["dry_run"] is True
    assert document["created"] == 6
    assert len(document["plan"]) == 6
    assert live(todoist) == []
    assert fake.pushed == []
    assert (vault / EXAMPLE_NOTE).read_bytes() == before


def test_human_output_has_one_line_per_connector(vault, todoist, fake, monkeypatch):
    monkeypatch.setenv("BRIDGE_ROUTES", "@Myself=todoist, @Lior Genzel=fake")
    result = CliRunner().invoke(app, ["sync", "--vault", str(vault)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    stamped = [line.partition(" ")[2] for line in result.stdout.splitlines()]  # after the timestamp
    lines = [line for line in stamped if not line.startswith(" ")]  # not the details under each
    assert [line.split(":")[0] for line in lines] == ["todoist", "fake"]
    assert "2 created" in lines[0]
    assert "4 created" in lines[1]
    assert "  new tasks went to Todoist project 'Bridge', account " in result.stdout
