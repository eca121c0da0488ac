"""The pure mapping between the note's view of a task and Jira's fields."""

from __future__ import annotations

from bridge.connector import Fields, RemoteStatus
from bridge.model import Priority, StatusType
from connectors.jira import mapping
from connectors.jira.settings import DEFAULT_PRIORITIES

REF = "0123456789abcdef"
FIELDS = Fields(
    "Share role descriptions",
    StatusType.PROPOSED,
    due="2025-10-26",
    priority=Priority.HIGH,
    owner="Lior Genzel",
    labels=("task", "auto"),
    note_title="Intro call",
    path="Meetings/2025-09-16 Intro call.md",
    vault="Work",
)


def test_created_fields_carry_everything_and_the_bridge_labels():
    body = mapping.create_fields(
        FIELDS,
        REF,
        project="BRIDGE",
        issue_type="Task",
        priorities=DEFAULT_PRIORITIES,
        assignee={"accountId": "abc"},
        version="2",
    )
    assert body["project"] == {"key": "BRIDGE"}
    assert body["issuetype"] == {"name": "Task"}
    assert body["summary"] == "Share role descriptions"
    assert body["duedate"] == "2025-10-26"
    assert body["priority"] == {"name": "High"}
    assert body["assignee"] == {"accountId": "abc"}
    assert body["labels"] == ["task", "auto", "proposed", "task-bridge", f"bridge-{REF}"]
    assert body["description"] == (
        "From the note “Intro call”: obsidian://open?vault=Work&file=Meetings%2F2025-09-16%20Intro%20call.md"
    )


def test_a_line_without_priority_gets_the_none_mapping_or_jiras_default():
    plain = Fields("x", StatusType.TODO)
    common = {"project": "P", "issue_type": "Task", "assignee": None, "version": "2"}
    assert "priority" not in mapping.create_fields(plain, REF, priorities=DEFAULT_PRIORITIES, **common)
    chosen = mapping.create_fields(plain, REF, priorities={"none": "Low"}, **common)
    assert chosen["priority"] == {"name": "Low"}


def test_v3_description_is_an_adf_document_with_the_link():
    doc = mapping.description(FIELDS, "3")
    assert isinstance(doc, dict)
    assert (doc["type"], doc["version"]) == ("doc", 1)
    texts = [node for node in doc["content"][0]["content"]]
    linked = [n for n in texts if n.get("marks")]
    assert [n["text"] for n in linked] == ["Intro call", mapping.obsidian_url("Work", FIELDS.path)]
    assert all(n["marks"][0]["attrs"]["href"].startswith("obsidian://open?vault=Work") for n in linked)


def test_edits_send_only_what_changed_and_labels_as_verbs():
    accepted = Fields(
        **{**_as_dict(FIELDS), "status": StatusType.TODO, "due": "2025-11-02", "labels": ("task",)}
    )
    body = mapping.edit_body(
        accepted,
        REF,
        ("status", "due", "labels"),
        FIELDS,
        priorities=DEFAULT_PRIORITIES,
        assignee=None,
        version="2",
    )
    assert body["fields"] == {"duedate": "2025-11-02"}
    assert body["update"] == {"labels": [{"remove": "auto"}, {"remove": "proposed"}]}
    assert mapping.edit_body(FIELDS, REF, (), FIELDS, priorities={}, assignee=None, version="2") == {}
    unassigned = mapping.edit_body(FIELDS, REF, ("owner",), FIELDS, priorities={}, assignee=None, version="2")
    assert unassigned == {"fields": {"assignee": None}}


def test_statuses_map_by_category():
    assert mapping.category_for(StatusType.TODO) == "new"
    assert mapping.category_for(StatusType.PROPOSED) == "new"
    assert mapping.category_for(StatusType.IN_PROGRESS) == "indeterminate"
    assert mapping.category_for(StatusType.DONE) == "done"
    assert mapping.category_for(StatusType.CANCELLED) == "done"


def test_a_searched_issue_becomes_a_remote_task():
    issue = {
        "id": "10001",
        "key": "BRIDGE-1",
        "fields": {
            "summary": "Share",
            "labels": ["task", f"bridge-{REF}", "task-bridge"],
            "updated": "2025-10-20T11:00:00.000+0200",
            "status": {"name": "Erledigt", "statusCategory": {"key": "done"}},
        },
    }
    task = mapping.remote_task(issue)
    assert (task.remote_id, task.ref, task.status) == ("10001", REF, RemoteStatus.DONE)
    assert task.updated == "2025-10-20T09:00:00+00:00"
    issue["fields"]["status"] = {"name": "Done", "statusCategory": {"key": "indeterminate"}}
    assert mapping.remote_task(issue).status is RemoteStatus.OPEN  # the name means nothing
    issue["fields"]["labels"] = ["bridge-nothex"]
    assert mapping.remote_task(issue).ref is None


def _as_dict(fields: Fields) -> dict[str, object]:
    return {name: getattr(fields, name) for name in Fields.__slots__}
