"""The emulator's creates remember each placement's last `child_order`: the orders they give stay
those of looking at every task, whatever moves, deletes and order edits come in between."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.todoist.emulator import Emulator
from connectors.todoist.emulator.errors import ApiError


def _expected_order(em: Emulator, task: dict[str, Any]) -> int:
    """The former computation: one more than the highest order among live tasks of the placement."""
    place = (task["project_id"], task["section_id"], task["parent_id"])
    return 1 + max(
        (
            t["child_order"]
            for t in em.tasks.values()
            if t["id"] != task["id"]
            and (t["project_id"], t["section_id"], t["parent_id"]) == place
            and not t["is_deleted"]
        ),
        default=0,
    )


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ("add", "add", "add", "ordered", "child", "section", "edit", "move", "delete", "close", "drop")
        ),
        st.integers(0, 10_000),
        st.integers(-3, 12),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(ops=OPS)
def test_orders_of_creates_match_a_scan_of_every_task(ops: list[tuple[str, int, int]]):
    em = Emulator()
    other = em.create_project("Work")["id"]
    section = em.add_section(other, "Later")
    live = lambda: [t["id"] for t in em.tasks.values() if not t["is_deleted"]]  # noqa: E731
    for op, pick, order in ops:
        ids = live()
        target = ids[pick % len(ids)] if ids else None
        try:
            if op in ("add", "ordered", "child", "section"):
                changes: dict[str, Any] = {"content": f"task {pick}"}
                if op == "ordered":  # an order given by the client: kept, and remembered if highest
                    changes["child_order"] = order
                if op == "child" and target:
                    changes["parent_id"] = target
                elif op == "section":
                    changes["section_id"] = section
                elif pick % 3 == 0:
                    changes["project_id"] = other
                made = em.create_task(changes)
                assert made["child_order"] == (order if op == "ordered" else _expected_order(em, made))
            elif target is None:
                continue
            elif op == "edit":
                em.edit_task(target, {"child_order": order})
            elif op == "move":
                where = ("project_id", "section_id", "parent_id")[pick % 3]
                value = {"project_id": other, "section_id": section, "parent_id": ids[order % len(ids)]}[
                    where
                ]
                em.move_task(target, **{where: value})
            elif op == "delete":
                em.delete_task(target)
            elif op == "close":
                em.close_task(target)
            elif op == "drop" and pick % 5 == 0:
                em.delete_project(other)
                other = em.create_project("Work")["id"]
                section = em.add_section(other, "Later")
        except ApiError:
            pass  # a move into its own sub-tree, a task of a deleted project: refused as before


def test_a_create_with_a_low_order_of_its_own_does_not_lower_the_next():
    em = Emulator()
    orders = [em.create_task({"content": f"task {n}"})["child_order"] for n in range(3)]
    orders.append(em.create_task({"content": "first", "child_order": 1})["child_order"])
    orders.append(em.create_task({"content": "next"})["child_order"])
    assert orders == [1, 2, 3, 1, 4]


def test_a_first_create_with_a_negative_order_sets_the_next():
    em = Emulator()
    assert em.create_task({"content": "first", "child_order": -1})["child_order"] == -1
    assert em.create_task({"content": "next"})["child_order"] == 0


def test_a_create_after_a_delete_or_an_order_edit_looks_again():
    em = Emulator()
    made = [em.create_task({"content": f"task {n}"})["id"] for n in range(3)]
    em.delete_task(made[2])
    assert em.create_task({"content": "after delete"})["child_order"] == 3
    em.edit_task(made[0], {"child_order": 9})
    assert em.create_task({"content": "after edit"})["child_order"] == 10
