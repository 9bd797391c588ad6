"""The demo seed's project: a board with three phases, a template, and an onboarding project for
deal 1 (moved from the first phase to the second: one changelog entry) with two plan groups, two
tasks (one done) and deal 1's first activity in its plan."""

from __future__ import annotations

from collections.abc import Callable

from pipedrive_connector.sandbox.store import Record, Store

PHASES = ("Kick-off", "Implementation", "Go-live")
GROUPS = ("Setup", "Training")


def _put(store: Store, kind: str, record: Record) -> int:
    record_id = store.next_id(kind)
    store.put(kind, {"id": record_id, **record})
    return record_id


def seed_demo_projects(store: Store, at: Callable[[float], str]) -> None:
    """Add the demo project; ``at(days_ago)`` gives the seed's timestamps."""
    created = at(20)
    stamps = {"add_time": created, "update_time": created, "is_deleted": False}
    board_id = _put(store, "projectBoard", {"name": "Customer delivery", "order_nr": 1, **stamps})
    phase_ids = [
        _put(store, "projectPhase", {"name": name, "board_id": board_id, "order_nr": order, **stamps})
        for order, name in enumerate(PHASES, start=1)
    ]
    _put(
        store,
        "projectTemplate",
        {
            "title": "Customer onboarding",
            "description": "Kick-off, setup, training and go-live for a new customer",
            "projects_board_id": board_id,
            "owner_id": 1,
            **stamps,
        },
    )
    deal = store.get("deal", 1) or {}
    project_id = _put(
        store,
        "project",
        {
            "title": "Acme onboarding",
            "description": "Roll out the CRM to Acme's sales team in two waves",
            "status": "open",
            "board_id": board_id,
            "phase_id": phase_ids[1],
            "owner_id": 1,
            "start_date": at(14)[:10],
            "end_date": at(-30)[:10],
            "deal_ids": [1] if deal else [],
            "person_ids": [deal["person_id"]] if deal.get("person_id") else [],
            "org_ids": [deal["org_id"]] if deal.get("org_id") else [],
            "label_ids": [],
            "health_status": None,
            "custom_fields": {},
            "status_change_time": created,
            "archive_time": None,
            "is_archived": False,
            **stamps,
            "update_time": at(10),  # the phase change below
        },
    )
    _put(
        store,
        "projectChange",
        {
            "project_id": project_id,
            "time": at(10),
            "actor_user_id": 1,
            "change_source": "app",
            "change_source_user_agent": None,
            "old_values": {"phase_id": phase_ids[0]},
            "new_values": {"phase_id": phase_ids[1]},
        },
    )
    group_ids = [
        _put(store, "projectGroup", {"project_id": project_id, "name": name, "order_nr": order, **stamps})
        for order, name in enumerate(GROUPS, start=1)
    ]
    task = {
        "project_id": project_id,
        "parent_task_id": None,
        "creator_id": 1,
        "description": None,
        "start_date": None,
        "priority": None,
        "is_milestone": False,
    }
    _put(
        store,
        "task",
        {
            **task,
            "title": "Configure pipelines and custom fields",
            "is_done": True,
            "marked_as_done_time": at(5),
            "due_date": at(7)[:10],
            "assignee_ids": [1],
            "plan_phase_id": phase_ids[0],
            "plan_group_id": group_ids[0],
            **stamps,
            "update_time": at(5),
        },
    )
    _put(
        store,
        "task",
        {
            **task,
            "title": "Train the sales team",
            "is_done": False,
            "marked_as_done_time": None,
            "due_date": at(-10)[:10],
            "assignee_ids": [2],
            "plan_phase_id": phase_ids[1],
            "plan_group_id": group_ids[1],
            **stamps,
        },
    )
    for activity in store.query("activity", where={"deal_id": 1}, order_by="id", limit=1):
        store.put("activity", {**activity, "project_id": project_id, "plan_phase_id": phase_ids[0]})
