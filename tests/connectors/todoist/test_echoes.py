"""What counts as the echo of a write: the tasks its commands made or changed, as they were sent."""

from __future__ import annotations

from typing import Any

from bridge.connector import Fields, Op, OpKind, RemoteStatus
from bridge.model import StatusType
from connectors.todoist.echoes import Echoes, Sent, echoes


def _op(kind: OpKind, status: StatusType = StatusType.TODO, ref: str = "g1") -> Op:
    return Op(kind, ref, f"token-{ref}-{kind.value}", Fields("Send the deck", status), "t1")


def _item(task: str, **extra: Any) -> dict[str, Any]:
    return {"id": task, "project_id": "p1", "checked": False, "is_deleted": False, "content": "x", **extra}


def _answer(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"sync_token": "next", "full_sync": False, "items": list(items), **extra}


def test_sent_notes_each_task_in_the_status_its_last_command_leaves_it():
    sent = Sent()
    sent.ran(None, {"type": "project_add", "temp_id": "tp"}, {"tp": "p1"})
    sent.ran(_op(OpKind.CREATE), {"type": "item_add", "temp_id": "tt", "args": {}}, {"tt": "t1"})
    sent.ran(_op(OpKind.UPDATE), {"type": "item_update", "args": {"id": "t2"}}, {})
    sent.ran(_op(OpKind.CLOSE), {"type": "item_update", "args": {"id": "t3"}}, {})
    sent.ran(_op(OpKind.CLOSE, StatusType.DONE), {"type": "item_close", "args": {"id": "t3"}}, {})
    sent.ran(_op(OpKind.DELETE), {"type": "item_delete", "args": {"id": "t4"}}, {})
    sent.ran(_op(OpKind.UPDATE, StatusType.CANCELLED), {"type": "item_update", "args": {"id": "t5"}}, {})
    assert sent.project == "p1"
    assert sent.tasks == {
        "t1": RemoteStatus.OPEN,
        "t2": RemoteStatus.OPEN,
        "t3": RemoteStatus.DONE,
        "t4": None,
        "t5": RemoteStatus.DONE,
    }


def test_an_answer_of_echoes_only_gives_the_tasks_as_seen():
    sent = Sent({"t1": RemoteStatus.OPEN, "t2": RemoteStatus.DONE}, project="p1")
    answer = _answer(
        _item("t1", updated_at="2026-01-02T10:00:00Z", labels=["x"]),
        _item("t2", checked=True, completed_at="2026-01-02T10:00:01Z"),
        projects=[{"id": "p1", "is_deleted": False, "is_archived": False, "is_shared": False}],
    )
    seen = echoes(answer, sent, "p1")
    assert seen is not None
    assert (seen["t1"].updated, seen["t1"].labels, seen["t2"].status) == (
        "2026-01-02T10:00:00Z",
        ("x",),
        RemoteStatus.DONE,
    )
    assert echoes(_answer(), sent, "p1") == {}


def test_anything_but_an_echo_is_news():
    sent = Sent({"t1": RemoteStatus.OPEN, "t4": None}, project=None)
    news = [
        _answer(_item("t9")),  # a task this request did not touch
        _answer(_item("t1", checked=True)),  # closed by someone else while it was updated
        _answer(_item("t1", project_id="p2")),  # moved away
        _answer(_item("t1", due={"date": "2026-01-02", "is_recurring": True})),  # not made now
        _answer(_item("t4", is_deleted=True)),  # a delete: its echo is not checked
        _answer(projects=[{"id": "p1"}]),  # a project change the request did not make
        _answer(collaborators=[{"id": "u2", "email": "a@example.com"}]),
        _answer(collaborator_states=[{"project_id": "p1", "user_id": "u2", "state": "active"}]),
        {**_answer(), "full_sync": True},
        {**_answer(), "sync_token": None},
    ]
    for answer in news:
        assert echoes(answer, sent, "p1") is None, answer


def test_the_chain_keeps_the_last_token_before_a_group_that_failed_or_news():
    seen = {"t1": echoes(_answer(_item("t1")), Sent({"t1": RemoteStatus.OPEN}), "p1")}
    chain = Echoes("start")
    assert chain.token == "start"
    chain.heard(_answer(_item("t1")), Sent({"t1": RemoteStatus.OPEN}), "p1", {"g1"})
    chain.heard({**_answer(), "sync_token": "later"}, Sent(), "p1", {"g2"})
    assert chain.token == "later"
    assert chain.kept(()) == ("later", seen["t1"], True)
    assert chain.kept({"g2"}) == ("next", seen["t1"], False)  # g2's request is not kept
    assert chain.kept({"g1"}) == ("start", {}, False)
    chain.heard(_answer(_item("t9")), Sent(), "p1", {"g3"})  # news: the chain ends
    assert chain.token is None
    assert chain.kept(()) == ("later", seen["t1"], False)


def test_a_recurring_task_is_an_echo_only_of_the_request_that_created_it():
    recurring = {"date": "2026-01-02", "is_recurring": True}
    made = Sent()
    made.ran(_op(OpKind.CREATE), {"type": "item_add", "temp_id": "tt", "args": {}}, {"tt": "t1"})
    assert echoes(_answer(_item("t1", due=recurring, completed_count=0)), made, "p1") is not None
    assert echoes(_answer(_item("t1", due=recurring, completed_count=1)), made, "p1") is None
    made.ran(_op(OpKind.UPDATE), {"type": "item_update", "args": {"id": "t1"}}, {})
    assert echoes(_answer(_item("t1", due=recurring, completed_count=0)), made, "p1") is None
