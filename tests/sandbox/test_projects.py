"""Projects, project boards, phases, templates and plans over HTTP (v1 and v2): CRUD, board/phase
rules, archiving, filters, paging, search, errors, and no webhooks (Pipedrive emits none for them)."""

from __future__ import annotations

from typing import Any

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, Receiver, _extras_server, extras, receiver  # noqa: F401
from sandbox_testkit import Api

# The demo seed: board 1 "Customer delivery" with phases 1-3, template 1, project 1 on deal 1
# (person 1, organization 1) in phase 2 with groups 1-2, tasks 1 (done) and 2, and activity 1.


def _add(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/api/v2/projects", json={"title": "Rollout", **body})
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()["data"]
    return project


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def test_demo_seed_has_a_project_on_a_board_with_phases_and_tasks(api: Api) -> None:
    project = api.get("/api/v2/projects/1").json()["data"]
    assert project["title"] == "Acme onboarding" and project["status"] == "open"
    assert (project["board_id"], project["phase_id"]) == (1, 2)
    assert project["deal_ids"] == [1] and project["person_ids"] == [1] and project["org_ids"] == [1]
    assert project["archive_time"] is None and project["custom_fields"] == {}
    assert [p["name"] for p in api.get("/api/v2/phases", params={"board_id": 1}).json()["data"]] == [
        "Kick-off",
        "Implementation",
        "Go-live",
    ]
    assert [t["title"] for t in api.get("/v1/projects/1/tasks").json()["data"]] == [
        "Configure pipelines and custom fields",
        "Train the sales team",
    ]


def test_v2_crud_with_board_and_phase_defaults(api: Api) -> None:
    project = _add(api, deal_ids=[2], person_ids=[2], label_ids=[5], start_date="2026-01-01")
    # No board or phase given: the first board and its first phase.
    assert (project["board_id"], project["phase_id"]) == (1, 1)
    assert project["owner_id"] == 1 and project["status"] == "open"
    assert project["status_change_time"] == project["add_time"]
    assert project["deal_ids"] == [2] and project["label_ids"] == [5] and project["org_ids"] == []
    assert api.get(f"/api/v2/projects/{project['id']}").json()["data"] == project

    changed = api.patch(f"/api/v2/projects/{project['id']}", json={"status": "completed", "phase_id": 3})
    assert changed.status_code == 200, changed.text
    data = changed.json()["data"]
    assert data["status"] == "completed" and data["phase_id"] == 3 and data["board_id"] == 1
    assert data["title"] == "Rollout" and data["deal_ids"] == [2]

    deleted = api.delete(f"/api/v2/projects/{project['id']}")
    assert deleted.status_code == 200 and deleted.json()["data"] == {"id": project["id"]}
    assert api.get(f"/api/v2/projects/{project['id']}").status_code == 404
    assert api.patch(f"/api/v2/projects/{project['id']}", json={"title": "x"}).status_code == 404
    # Deleted projects are listed only when asked for by status.
    assert project["id"] not in _ids(api.get("/api/v2/projects"))
    listed = api.get("/api/v2/projects", params={"status": "deleted"}).json()["data"]
    assert [(p["id"], p["status"]) for p in listed] == [(project["id"], "deleted")]


def test_v1_crud_reads_and_writes_single_person_org_and_labels(api: Api) -> None:
    created = api.post(
        "/v1/projects", json={"title": "v1 project", "person_id": "2", "org_id": 2, "labels": [3]}
    )
    assert created.status_code == 201, created.text
    project = created.json()["data"]
    assert project["person_id"] == 2 and project["org_id"] == 2 and project["labels"] == [3]
    assert " " in project["add_time"] and "T" not in project["add_time"]  # v1 times
    v2 = api.get(f"/api/v2/projects/{project['id']}").json()["data"]
    assert v2["person_ids"] == [2] and v2["org_ids"] == [2] and v2["label_ids"] == [3]

    updated = api.put(f"/v1/projects/{project['id']}", json={"person_id": None, "description": "Notes"})
    assert updated.status_code == 200
    assert updated.json()["data"]["person_id"] is None and updated.json()["data"]["description"] == "Notes"
    assert api.get(f"/v1/projects/{project['id']}").json()["data"]["org_id"] == 2

    deleted = api.delete(f"/v1/projects/{project['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["data"] == {"success": True, "data": {"id": project["id"]}}
    assert api.get(f"/v1/projects/{project['id']}").status_code == 404


def test_project_board_and_phase_rules(api: Api) -> None:
    board = api.post("/api/v2/boards", json={"name": "Internal"}).json()["data"]
    assert board["order_nr"] == 2
    # A board without phases cannot hold a project.
    refused = api.post("/api/v2/projects", json={"title": "x", "board_id": board["id"]})
    assert refused.status_code == 400 and "has no phases" in refused.json()["error"]
    first = api.post("/api/v2/phases", json={"board_id": board["id"], "name": "Todo"}).json()["data"]
    second = api.post("/api/v2/phases", json={"board_id": board["id"], "name": "Doing"}).json()["data"]
    assert (first["order_nr"], second["order_nr"]) == (1, 2)

    # Given only a board: its first phase. Given only a phase: the phase's board.
    on_board = _add(api, board_id=board["id"])
    assert on_board["phase_id"] == first["id"]
    by_phase = _add(api, phase_id=second["id"])
    assert by_phase["board_id"] == board["id"]
    mismatch = api.post("/api/v2/projects", json={"title": "x", "board_id": 1, "phase_id": second["id"]})
    assert mismatch.status_code == 400 and "is not on board 1" in mismatch.json()["error"]

    # Moving to another board without a phase lands in that board's first phase.
    moved = api.patch(f"/api/v2/projects/{on_board['id']}", json={"board_id": 1}).json()["data"]
    assert (moved["board_id"], moved["phase_id"]) == (1, 1)

    # Boards and phases holding projects are not deleted; empty ones are.
    in_use = api.delete(f"/api/v2/phases/{second['id']}")
    assert in_use.status_code == 400 and "still holds 1 project" in in_use.json()["error"]
    assert api.delete(f"/api/v2/projects/{by_phase['id']}").status_code == 200
    assert api.delete(f"/api/v2/boards/{board['id']}").status_code == 200
    assert api.get(f"/api/v2/phases/{first['id']}").status_code == 404  # went with its board
    assert board["id"] not in _ids(api.get("/api/v2/boards"))


def test_boards_and_phases_v2_crud_and_v1_reads(api: Api) -> None:
    board = api.post("/api/v2/boards", json={"name": "Ops", "order_nr": 7}).json()["data"]
    renamed = api.patch(f"/api/v2/boards/{board['id']}", json={"name": "Operations"})
    assert renamed.status_code == 200 and renamed.json()["data"]["name"] == "Operations"
    v1 = api.get(f"/v1/projects/boards/{board['id']}").json()["data"]
    assert v1["name"] == "Operations" and v1["order_nr"] == 7 and "T" not in v1["add_time"]
    assert [b["name"] for b in api.get("/v1/projects/boards").json()["data"]] == [
        "Customer delivery",
        "Operations",
    ]

    phase = api.post("/api/v2/phases", json={"board_id": board["id"], "name": "Plan"}).json()["data"]
    assert api.get(f"/v1/projects/phases/{phase['id']}").json()["data"]["board_id"] == board["id"]
    assert _ids(api.get("/v1/projects/phases", params={"board_id": board["id"]})) == [phase["id"]]
    # A phase moves to another board (it holds no projects) and goes last there.
    moved = api.patch(f"/api/v2/phases/{phase['id']}", json={"board_id": 1}).json()["data"]
    assert moved["board_id"] == 1 and moved["order_nr"] == 4
    assert api.delete(f"/api/v2/phases/{phase['id']}").json()["data"] == {"id": phase["id"]}
    assert api.get(f"/v1/projects/phases/{phase['id']}").status_code == 404


def test_board_and_phase_errors(api: Api) -> None:
    assert api.post("/api/v2/boards", json={}).status_code == 400
    assert api.post("/api/v2/boards", json={"name": "x", "colour": "red"}).status_code == 400
    missing_board = api.post("/api/v2/phases", json={"board_id": 99, "name": "x"})
    assert missing_board.status_code == 400 and "board_id" in missing_board.json()["error"]
    for path in ("/api/v2/phases", "/v1/projects/phases"):
        response = api.get(path)
        assert response.status_code == 400 and "board_id" in response.json()["error"]
    assert api.get("/api/v2/boards/99").status_code == 404
    assert api.get("/v1/projects/boards/99").status_code == 404
    assert api.get("/api/v2/phases/abc").status_code == 400


def test_archive_moves_a_project_to_the_archived_list(api: Api) -> None:
    project = _add(api)
    archived = api.post(f"/api/v2/projects/{project['id']}/archive")
    assert archived.status_code == 200
    stamp = archived.json()["data"]["archive_time"]
    assert stamp is not None
    assert project["id"] not in _ids(api.get("/api/v2/projects"))
    assert project["id"] in _ids(api.get("/api/v2/projects/archived"))
    assert project["id"] not in _ids(api.get("/v1/projects"))
    assert project["id"] in _ids(api.get("/v1/projects", params={"include_archived": "true"}))
    again = api.post(f"/v1/projects/{project['id']}/archive")
    assert again.status_code == 200 and again.json()["data"]["archive_time"] is not None
    assert api.get(f"/api/v2/projects/{project['id']}").json()["data"]["archive_time"] == stamp
    assert api.post("/api/v2/projects/999/archive").status_code == 404


def test_list_filters(api: Api) -> None:
    a = _add(api, deal_ids=[2, 3], person_ids=[3])
    b = _add(api, org_ids=[2], phase_id=3, status="completed")
    assert _ids(api.get("/api/v2/projects", params={"deal_id": 3})) == [a["id"]]
    assert _ids(api.get("/api/v2/projects", params={"deal_id": 1})) == [1]
    assert _ids(api.get("/api/v2/projects", params={"person_id": 3})) == [a["id"]]
    assert _ids(api.get("/api/v2/projects", params={"org_id": 2})) == [b["id"]]
    assert _ids(api.get("/api/v2/projects", params={"phase_id": 3})) == [b["id"]]
    assert _ids(api.get("/v1/projects", params={"status": "completed"})) == [b["id"]]
    assert _ids(api.get("/api/v2/projects", params={"status": "open,completed"})) == [1, a["id"], b["id"]]
    bad = api.get("/api/v2/projects", params={"status": "open,won"})
    assert bad.status_code == 400 and "'won'" in bad.json()["error"]
    assert api.get("/api/v2/projects", params={"deal_id": "x"}).status_code == 400


def test_v2_and_v1_cursor_paging(api: Api) -> None:
    created = [_add(api, title=f"P{n}")["id"] for n in range(4)]
    expected = [1, *created]
    for path in ("/api/v2/projects", "/v1/projects"):
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            body = api.get(path, params=params).json()
            seen += [p["id"] for p in body["data"]]
            cursor = body["additional_data"]["next_cursor"]
            if cursor is None:
                break
        assert seen == expected, path
    assert api.get("/api/v2/projects", params={"cursor": "nonsense"}).status_code == 400
    assert api.get("/v1/projects", params={"limit": 501}).status_code == 400


def test_project_validation_errors(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "title"),
        ({"title": "  "}, "title"),
        ({"title": "x", "deal_ids": [999]}, "deal_ids"),
        ({"title": "x", "person_ids": [999]}, "person_ids"),
        ({"title": "x", "org_ids": [999]}, "org_ids"),
        ({"title": "x", "owner_id": 999}, "owner_id"),
        ({"title": "x", "phase_id": 999}, "phase_id"),
        ({"title": "x", "status": "won"}, "status"),
        ({"title": "x", "template_id": 999}, "template_id"),
        ({"title": "x", "start_date": "tomorrow"}, "start_date"),
        ({"title": "x", "unknown": 1}, "unknown"),
    ]
    for body, field in cases:
        response = api.post("/api/v2/projects", json=body)
        assert response.status_code == 400, (body, response.text)
        assert field in response.json()["error"], (body, response.json()["error"])
    assert api.post("/v1/projects", json={"title": "x", "person_id": "abc"}).status_code == 400
    assert api.get("/api/v2/projects/999").status_code == 404
    assert api.get("/api/v2/projects/abc").status_code == 400
    assert api.delete("/v1/projects/999").status_code == 404


def test_template_sets_the_board(api: Api) -> None:
    board = api.post("/api/v2/boards", json={"name": "Templates"}).json()["data"]
    phase = api.post("/api/v2/phases", json={"board_id": board["id"], "name": "Start"}).json()["data"]
    api.state.store.put(
        "projectTemplate",
        {"id": 2, "title": "T", "description": None, "projects_board_id": board["id"], "owner_id": 1,
         "add_time": "2026-01-01T00:00:00Z", "update_time": "2026-01-01T00:00:00Z", "is_deleted": False},
    )  # fmt: skip
    project = _add(api, template_id=2)
    assert (project["board_id"], project["phase_id"]) == (board["id"], phase["id"])


def test_project_templates_v1_and_v2(api: Api) -> None:
    v2 = api.get("/api/v2/projectTemplates").json()
    assert [t["title"] for t in v2["data"]] == ["Customer onboarding"]
    assert v2["data"][0]["projects_board_id"] == 1 and v2["additional_data"] == {"next_cursor": None}
    v1 = api.get("/v1/projectTemplates/1").json()["data"]
    assert v1["title"] == "Customer onboarding" and "T" not in v1["add_time"]
    assert api.get("/api/v2/projectTemplates/9").status_code == 404
    assert api.post("/api/v2/projectTemplates", json={"title": "x"}).status_code == 405  # read-only


def test_plan_groups_tasks_and_activities_of_a_project(api: Api) -> None:
    assert api.get("/v1/projects/1/groups").json()["data"] == [
        {"id": 1, "name": "Setup", "order_nr": 1},
        {"id": 2, "name": "Training", "order_nr": 2},
    ]
    plan = api.get("/v1/projects/1/plan").json()["data"]
    assert plan == [
        {"item_id": 1, "item_type": "task", "phase_id": 1, "group_id": 1},
        {"item_id": 2, "item_type": "task", "phase_id": 2, "group_id": 2},
        {"item_id": 1, "item_type": "activity", "phase_id": 1, "group_id": None},
    ]
    moved = api.put("/v1/projects/1/plan/tasks/2", json={"phase_id": 3, "group_id": 1})
    assert moved.status_code == 200
    assert moved.json()["data"] == {"item_id": 2, "item_type": "task", "phase_id": 3, "group_id": 1}

    activity = api.post("/v1/activities", json={"subject": "Kick-off call", "type": "call", "project_id": 1})
    assert activity.status_code == 201, activity.text
    activity_id = activity.json()["data"]["id"]
    assert [a["id"] for a in api.get("/v1/projects/1/activities").json()["data"]] == [1, activity_id]
    placed = api.put(f"/v1/projects/1/plan/activities/{activity_id}", json={"phase_id": 1})
    assert placed.json()["data"] == {
        "item_id": activity_id,
        "item_type": "activity",
        "phase_id": 1,
        "group_id": None,
    }
    assert len(api.get("/v1/projects/1/plan").json()["data"]) == 4

    other = _add(api)
    assert api.put(f"/v1/projects/{other['id']}/plan/tasks/1", json={"phase_id": 1}).status_code == 404
    wrong_phase = api.put("/v1/projects/1/plan/tasks/1", json={"phase_id": 99})
    assert wrong_phase.status_code == 400 and "phase_id" in wrong_phase.json()["error"]
    wrong_group = api.put("/v1/projects/1/plan/tasks/1", json={"group_id": 99})
    assert wrong_group.status_code == 400 and "group_id" in wrong_group.json()["error"]
    assert api.get("/v1/projects/999/groups").status_code == 404
    assert api.get("/v1/projects/999/plan").status_code == 404


def test_permitted_users_and_search(api: Api) -> None:
    assert api.get("/api/v2/projects/1/permittedUsers").json()["data"] == [1, 2, 3]
    assert api.get("/api/v2/projects/999/permittedUsers").status_code == 404
    _add(api, title="Globex migration", description="Move Acme's archive", person_ids=[3])
    found = api.get("/api/v2/projects/search", params={"term": "acme"}).json()["data"]["items"]
    assert sorted(hit["item"]["title"] for hit in found) == ["Acme onboarding", "Globex migration"]
    first = next(hit["item"] for hit in found if hit["item"]["id"] == 1)
    assert first["phase"] == {"id": 2, "name": "Implementation"} and first["deal"]["id"] == 1
    by_title = api.get("/api/v2/projects/search", params={"term": "acme", "fields": "title"}).json()
    assert [hit["item"]["title"] for hit in by_title["data"]["items"]] == ["Acme onboarding"]
    by_person = api.get("/api/v2/projects/search", params={"term": "acme", "person_id": 3}).json()
    assert [hit["item"]["title"] for hit in by_person["data"]["items"]] == ["Globex migration"]
    assert api.get("/api/v2/projects/search", params={"term": "a"}).status_code == 400


def test_projects_tasks_and_boards_emit_no_webhooks(extras: ExtrasSandbox, receiver: Receiver) -> None:
    extras.add_webhook(receiver.url, event_action="*", event_object="*", version="1.0")
    extras.add_webhook(receiver.url, event_action="*", event_object="*", version="2.0")
    client = extras.api
    board = client.post("/api/v2/boards", json={"name": "Hooks"}).json()["data"]
    client.post("/api/v2/phases", json={"board_id": board["id"], "name": "Only"})
    project = client.post("/api/v2/projects", json={"title": "Quiet", "board_id": board["id"]}).json()["data"]
    client.patch(f"/api/v2/projects/{project['id']}", json={"status": "completed"})
    task = client.post("/api/v2/tasks", json={"title": "Quiet task", "project_id": project["id"]}).json()[
        "data"
    ]
    client.patch(f"/api/v2/tasks/{task['id']}", json={"done": 1})
    client.delete(f"/api/v2/tasks/{task['id']}")
    client.post(f"/api/v2/projects/{project['id']}/archive")
    client.delete(f"/api/v2/projects/{project['id']}")
    client.post("/api/v2/deals", json={"title": "Control"})  # the subscriptions do deliver
    extras.flush()
    events = [b.get("event") or f"{b['meta']['action']}.{b['meta']['entity']}" for b in receiver.bodies()]
    assert sorted(events) == ["added.deal", "create.deal"]


def test_changelog_lists_changed_fields_newest_first(api: Api) -> None:
    project = _add(api, title="Logged")
    assert api.get(f"/api/v2/projects/{project['id']}/changelog").json()["data"] == []
    api.patch(f"/api/v2/projects/{project['id']}", json={"title": "Logged 2", "phase_id": 2})
    api.put(
        f"/v1/projects/{project['id']}",
        json={"status": "completed"},
        headers={**api.headers, "user-agent": "ua/1"},
    )
    api.patch(f"/api/v2/projects/{project['id']}", json={"title": "Logged 2"})  # no change, no entry
    body = api.get(f"/api/v2/projects/{project['id']}/changelog").json()
    first, second = body["data"]
    assert first["old_values"] == {"status": "open"} and first["new_values"] == {"status": "completed"}
    assert first["change_source"] == "api" and first["change_source_user_agent"] == "ua/1"
    assert second["old_values"] == {"title": "Logged", "phase_id": 1}
    assert second["new_values"] == {"title": "Logged 2", "phase_id": 2} and second["actor_user_id"] == 1
    paged = api.get(f"/api/v2/projects/{project['id']}/changelog", params={"limit": 1}).json()
    assert paged["data"] == [first]
    rest = api.get(
        f"/api/v2/projects/{project['id']}/changelog",
        params={"limit": 1, "cursor": paged["additional_data"]["next_cursor"]},
    ).json()
    assert rest["data"] == [second] and rest["additional_data"]["next_cursor"] is None
    assert api.get("/api/v2/projects/999/changelog").status_code == 404


def test_demo_project_has_a_changelog_entry(api: Api) -> None:
    (entry,) = api.get("/api/v2/projects/1/changelog").json()["data"]
    assert entry["old_values"] == {"phase_id": 1} and entry["new_values"] == {"phase_id": 2}
    assert entry["change_source"] == "app" and entry["actor_user_id"] == 1


def test_notes_attach_to_projects_and_tasks_and_are_searched(api: Api) -> None:
    on_project = api.post("/v1/notes", json={"content": "Steering committee weekly", "project_id": 1})
    assert on_project.status_code in (200, 201), on_project.text
    assert on_project.json()["data"]["project"] == {"title": "Acme onboarding"}
    on_task = api.post("/v1/notes", json={"content": "Slides ready", "task_id": 2})
    assert on_task.json()["data"]["task"] == {"title": "Train the sales team"}
    assert api.post("/v1/notes", json={"content": "x", "project_id": 999}).status_code == 400
    found = api.get("/api/v2/projects/search", params={"term": "steering", "fields": "notes"}).json()
    assert [hit["item"]["id"] for hit in found["data"]["items"]] == [1]
