"""Project tasks over HTTP (v1 and v2): CRUD, done/milestone flags, subtasks, assignees, filters,
cursor paging and errors. (Pipedrive emits no task webhooks: see test_projects.py.)"""

from __future__ import annotations

from typing import Any

from sandbox_testkit import Api

# The demo seed's project 1 has tasks 1 (done, user 1) and 2 (open, user 2).


def _add(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/api/v2/tasks", json={"title": "Task", "project_id": 1, **body})
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()["data"]
    return task


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def test_v2_crud_and_done_flag(api: Api) -> None:
    task = _add(
        api, description="Prepare", due_date="2026-02-01", priority=2, milestone=1, assignee_ids=[2, 3]
    )
    assert task["is_done"] is False and task["is_milestone"] is True and task["marked_as_done_time"] is None
    assert task["creator_id"] == 1 and task["assignee_ids"] == [2, 3] and task["parent_task_id"] is None
    assert task["priority"] == 2 and task["due_date"] == "2026-02-01"
    assert api.get(f"/api/v2/tasks/{task['id']}").json()["data"] == task

    done = api.patch(f"/api/v2/tasks/{task['id']}", json={"done": 1}).json()["data"]
    assert done["is_done"] is True and done["marked_as_done_time"] is not None
    assert done["description"] == "Prepare" and done["assignee_ids"] == [2, 3]
    undone = api.patch(f"/api/v2/tasks/{task['id']}", json={"done": 0}).json()["data"]
    assert undone["is_done"] is False and undone["marked_as_done_time"] is None

    deleted = api.delete(f"/api/v2/tasks/{task['id']}")
    assert deleted.status_code == 200 and deleted.json()["data"] == {"id": task["id"]}
    assert api.get(f"/api/v2/tasks/{task['id']}").status_code == 404
    assert task["id"] not in _ids(api.get("/api/v2/tasks"))


def test_v1_crud_answers_done_as_number_and_the_first_assignee(api: Api) -> None:
    created = api.post(
        "/v1/tasks", json={"title": "v1 task", "project_id": "1", "done": "1", "assignee_id": 2}
    )
    assert created.status_code == 201, created.text
    task = created.json()["data"]
    assert task["done"] == 1 and task["assignee_id"] == 2 and task["assignee_ids"] == [2]
    assert task["marked_as_done_time"] is not None and "T" not in task["add_time"]
    updated = api.put(f"/v1/tasks/{task['id']}", json={"done": 0, "assignee_ids": [3, 1]}).json()["data"]
    assert updated["done"] == 0 and updated["marked_as_done_time"] is None
    assert updated["assignee_id"] == 3 and updated["assignee_ids"] == [3, 1]
    assert api.get(f"/v1/tasks/{task['id']}").json()["data"]["title"] == "v1 task"
    deleted = api.delete(f"/v1/tasks/{task['id']}")
    assert deleted.json()["data"] == {"success": True, "data": {"id": task["id"]}}
    assert api.get(f"/v1/tasks/{task['id']}").status_code == 404


def test_subtasks_stay_in_their_project_and_go_with_their_parent(api: Api) -> None:
    parent = _add(api, title="Parent")
    child = _add(api, title="Child", parent_task_id=parent["id"])
    grandchild = _add(api, title="Grandchild", parent_task_id=child["id"])
    assert child["parent_task_id"] == parent["id"]

    cycle = api.patch(f"/api/v2/tasks/{parent['id']}", json={"parent_task_id": grandchild["id"]})
    assert cycle.status_code == 400 and "under itself" in cycle.json()["error"]
    other = api.post("/api/v2/projects", json={"title": "Other"}).json()["data"]
    elsewhere = api.post(
        "/api/v2/tasks", json={"title": "x", "project_id": other["id"], "parent_task_id": parent["id"]}
    )
    assert elsewhere.status_code == 400 and "another project" in elsewhere.json()["error"]
    moving = api.patch(f"/api/v2/tasks/{parent['id']}", json={"project_id": other["id"]})
    assert moving.status_code == 400 and "subtasks" in moving.json()["error"]
    # A leaf moves once it leaves its parent.
    leaf = api.patch(
        f"/api/v2/tasks/{grandchild['id']}", json={"project_id": other["id"], "parent_task_id": None}
    )
    assert leaf.status_code == 200 and leaf.json()["data"]["project_id"] == other["id"]

    assert api.delete(f"/api/v2/tasks/{parent['id']}").status_code == 200
    assert api.get(f"/api/v2/tasks/{child['id']}").status_code == 404  # deleted with its parent
    assert api.get(f"/api/v2/tasks/{grandchild['id']}").status_code == 200  # moved away before


def test_list_filters(api: Api) -> None:
    parent = _add(api, title="Parent", assignee_ids=[3], milestone=1)
    child = _add(api, title="Child", parent_task_id=parent["id"], done=1)
    project = api.post("/api/v2/projects", json={"title": "Other"}).json()["data"]
    elsewhere = _add(api, project_id=project["id"])
    assert _ids(api.get("/api/v2/tasks", params={"project_id": project["id"]})) == [elsewhere["id"]]
    assert _ids(api.get("/v1/tasks", params={"project_id": 1, "parent_task_id": parent["id"]})) == [
        child["id"]
    ]
    roots = _ids(api.get("/api/v2/tasks", params={"parent_task_id": "null"}))
    assert child["id"] not in roots and parent["id"] in roots and 1 in roots
    assert _ids(api.get("/api/v2/tasks", params={"assignee_id": 3})) == [parent["id"]]
    assert _ids(api.get("/v1/tasks", params={"assignee_id": 2})) == [2]
    assert _ids(api.get("/api/v2/tasks", params={"is_done": "true"})) == [1, child["id"]]
    assert _ids(api.get("/v1/tasks", params={"done": 0, "project_id": 1})) == [2, parent["id"]]
    assert _ids(api.get("/api/v2/tasks", params={"is_milestone": "true"})) == [parent["id"]]
    assert _ids(api.get("/v1/projects/1/tasks")) == [1, 2, parent["id"], child["id"]]
    bad = api.get("/api/v2/tasks", params={"parent_task_id": "top"})
    assert bad.status_code == 400 and "parent_task_id" in bad.json()["error"]
    assert api.get("/api/v2/tasks", params={"is_done": "maybe"}).status_code == 400


def test_v2_and_v1_cursor_paging(api: Api) -> None:
    expected = [1, 2, *[_add(api, title=f"T{n}")["id"] for n in range(3)]]
    for path in ("/api/v2/tasks", "/v1/tasks"):
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            body = api.get(path, params=params).json()
            assert len(body["data"]) <= 2
            seen += [t["id"] for t in body["data"]]
            cursor = body["additional_data"]["next_cursor"]
            if cursor is None:
                break
        assert seen == expected, path
    assert api.get("/v1/tasks", params={"cursor": "%%%"}).status_code == 400


def test_task_validation_errors(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"project_id": 1}, "title"),
        ({"title": "x"}, "project_id"),
        ({"title": "", "project_id": 1}, "title"),
        ({"title": "x" * 256, "project_id": 1}, "title"),
        ({"title": "x", "project_id": 999}, "project_id"),
        ({"title": "x", "project_id": 1, "parent_task_id": 999}, "parent_task_id"),
        ({"title": "x", "project_id": 1, "assignee_ids": [999]}, "assignee_ids"),
        ({"title": "x", "project_id": 1, "assignee_ids": list(range(1, 12))}, "assignee_ids"),
        ({"title": "x", "project_id": 1, "assignee_ids": [2, 2]}, "assignee_ids"),
        ({"title": "x", "project_id": 1, "done": 2}, "done"),
        ({"title": "x", "project_id": 1, "priority": -1}, "priority"),
        ({"title": "x", "project_id": 1, "due_date": "soon"}, "due_date"),
    ]
    for body, field in cases:
        response = api.post("/api/v2/tasks", json=body)
        assert response.status_code == 400, (body, response.text)
        assert field in response.json()["error"], (body, response.json()["error"])
    assert (
        api.post("/v1/tasks", json={"title": "x", "project_id": 1, "assignee_ids": ["me"]}).status_code == 400
    )
    assert api.post("/v1/tasks", json={"title": "x", "project_id": 1, "assignee_ids": "2"}).status_code == 400
    # A deleted project takes no new tasks.
    project = api.post("/api/v2/projects", json={"title": "Gone"}).json()["data"]
    api.delete(f"/api/v2/projects/{project['id']}")
    assert api.post("/api/v2/tasks", json={"title": "x", "project_id": project["id"]}).status_code == 400
    assert api.get("/api/v2/tasks/999").status_code == 404
    assert api.patch("/api/v2/tasks/999", json={"title": "x"}).status_code == 404
    assert api.delete("/v1/tasks/999").status_code == 404
    assert api.get("/v1/tasks/abc").status_code == 400
