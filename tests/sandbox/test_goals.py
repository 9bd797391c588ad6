"""Goals (v1) over HTTP: add, find (own and everyone's), update, delete, results from the store."""

from __future__ import annotations

from typing import Any

from sandbox_testkit import Api


def _goal(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Win big",
        "type": {"name": "deals_won", "params": {"pipeline_id": [1]}},
        "assignee": {"id": 1, "type": "person"},
        "expected_outcome": {"target": 50000, "tracking_metric": "sum", "currency_id": 1},
        "duration": {"start": "2020-01-01", "end": None},
        "interval": "monthly",
    }
    body.update(changes)
    return body


def _add(api: Api, **changes: Any) -> dict[str, Any]:
    response = api.post("/v1/goals", json=_goal(**changes))
    assert response.status_code == 200, response.text
    goal: dict[str, Any] = response.json()["data"]["goal"]
    return goal


def test_add_update_delete(api: Api) -> None:
    goal = _add(api)
    assert len(goal["id"]) == 32 and goal["owner_id"] == 1 and goal["is_active"] is True
    assert goal["type"] == {"name": "deals_won", "params": {"pipeline_id": [1]}}
    assert goal["expected_outcome"] == {"target": 50000, "tracking_metric": "sum", "currency_id": 1}
    assert len(goal["report_ids"]) == 1
    updated = api.put(f"/v1/goals/{goal['id']}", json={"title": "Win bigger", "interval": "yearly"})
    assert updated.status_code == 200
    assert updated.json()["data"]["goal"]["title"] == "Win bigger"
    assert updated.json()["data"]["goal"]["interval"] == "yearly"
    assert api.delete(f"/v1/goals/{goal['id']}").json() == {"success": True}
    assert api.put(f"/v1/goals/{goal['id']}", json={"title": "x"}).status_code == 404
    assert (
        api.get(f"/v1/goals/{goal['id']}/results", params={"period.start": "2021-01-01"}).status_code == 404
    )


def test_find_own_goals_unless_asked_for_everyones(api: Api) -> None:
    mine = _add(api)
    theirs = _add(
        api,
        title="Calls",
        assignee={"id": "2", "type": "person"},
        type={"name": "activities_completed", "params": {"activity_type_id": [1]}},
        expected_outcome={"target": "20", "tracking_metric": "quantity"},
    )
    own = [g["id"] for g in api.get("/v1/goals/find").json()["data"]["goals"]]
    assert mine["id"] in own and theirs["id"] not in own
    assert [
        g["id"] for g in api.get("/v1/goals/find", params={"assignee.id": 2}).json()["data"]["goals"]
    ] == [theirs["id"]]
    by_type = api.get("/v1/goals/find", params={"type.name": "activities_completed"}).json()["data"]["goals"]
    assert [g["id"] for g in by_type] == [theirs["id"]]
    by_pipeline = api.get("/v1/goals/find", params={"type.params.pipeline_id": 1}).json()["data"]["goals"]
    assert mine["id"] in [g["id"] for g in by_pipeline]
    in_period = api.get("/v1/goals/find", params={"period.start": "2019-01-01", "period.end": "2019-12-31"})
    assert in_period.json()["data"]["goals"] == []
    assert api.get("/v1/goals/find", params={"period.start": "2019-01-01"}).status_code == 400
    api.delete(f"/v1/goals/{mine['id']}")
    assert mine["id"] not in [g["id"] for g in api.get("/v1/goals/find").json()["data"]["goals"]]


def test_results_count_and_sum_from_the_store(empty_api: Api) -> None:
    api = empty_api
    for title, value in (("A", 100), ("B", 250)):
        deal = api.post("/api/v2/deals", json={"title": title, "value": value}).json()["data"]
        assert api.patch(f"/api/v2/deals/{deal['id']}", json={"status": "won"}).status_code == 200
    api.post("/api/v2/deals", json={"title": "Open", "value": 999})
    today = api.get("/api/v2/deals").json()["data"][0]["add_time"][:10]
    period = {"period.start": today, "period.end": today}
    by_sum = _add(api)
    assert api.get(f"/v1/goals/{by_sum['id']}/results", params=period).json()["data"]["progress"] == 350
    by_count = _add(api, expected_outcome={"target": 5, "tracking_metric": "quantity"})
    result = api.get(f"/v1/goals/{by_count['id']}/results", params=period).json()["data"]
    assert result["progress"] == 2 and result["goal"]["id"] == by_count["id"]
    started = _add(
        api,
        type={"name": "deals_started", "params": {"pipeline_id": None}},
        expected_outcome={"target": 1, "tracking_metric": "quantity"},
    )
    assert api.get(f"/v1/goals/{started['id']}/results", params=period).json()["data"]["progress"] == 3
    early = {"period.start": "2019-01-01", "period.end": today}
    assert api.get(f"/v1/goals/{by_sum['id']}/results", params=early).status_code == 400
    assert api.get(f"/v1/goals/{by_sum['id']}/results", params={"period.start": today}).status_code == 400


def test_validation_errors(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"interval": None}, "interval"),
        ({"interval": "daily"}, "interval"),
        ({"type": {"name": "deals_lost"}}, "type.name"),
        ({"type": {"name": "deals_won", "params": {"pipeline_id": [999]}}}, "pipeline 999"),
        ({"type": {"name": "deals_progressed", "params": {}}}, "stage_id"),
        ({"type": {"name": "deals_won", "params": {"stage_id": 1}}}, "stage_id"),
        ({"assignee": {"id": 1, "type": "robot"}}, "assignee.type"),
        ({"assignee": {"id": 4242, "type": "person"}}, "user 4242"),
        ({"expected_outcome": {"target": 5, "tracking_metric": "count"}}, "tracking_metric"),
        ({"expected_outcome": {"target": 5, "tracking_metric": "quantity", "currency_id": 1}}, "currency_id"),
        ({"duration": {"start": "2021-05-01", "end": "2021-01-01"}}, "duration.end"),
        ({"duration": {"start": "May"}}, "duration.start"),
        ({"assignee": "me"}, "assignee"),
    ]
    for changes, named in cases:
        response = api.post("/v1/goals", json=_goal(**changes))
        assert response.status_code == 400 and named in response.json()["error"], (changes, response.text)
