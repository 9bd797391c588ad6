"""The indexed store: Store.query/count conditions and order, SQL-paged lists, purge, bulk load."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from sandbox_testkit import Api

from pipedrive_connector.sandbox.contracts import ChangeEvent
from pipedrive_connector.sandbox.resources import filter_eval
from pipedrive_connector.sandbox.store import AllOf, Cmp, Contains, Prefix, Store, open_database


@pytest.fixture
def store() -> Store:
    store = Store(open_database(None), threading.RLock())
    rows = [
        {
            "id": 1,
            "title": "Alpha",
            "owner_id": 1,
            "status": "open",
            "update_time": "2024-01-03",
            "done": True,
        },
        {"id": 2, "title": "beta", "owner_id": 2, "status": "won", "update_time": None, "is_deleted": True},
        {"id": 3, "title": "Gamma", "owner_id": 1, "status": "lost", "update_time": "2024-01-01"},
        {"id": 10, "title": "alpine", "owner_id": 2, "status": "open", "update_time": "2024-01-03"},
        {"id": 11, "title": "Delta", "owner_id": 1, "status": "open", "update_time": "2024-01-02", "done": 0},
    ]
    for row in rows:
        store.put("deal", {**row, "custom_fields": {"score": row["id"] * 10}})
    store.put("person", {"id": 1, "name": "Not a deal"})
    return store


def ids(records: list[dict[str, object]]) -> list[object]:
    return [record["id"] for record in records]


def test_conditions_match_python_semantics(store: Store) -> None:
    assert ids(store.query("deal", where={"owner_id": 1})) == [1, 3, 11]
    assert ids(store.query("deal", where={"is_deleted": False})) == [1, 3, 10, 11]
    assert ids(store.query("deal", where={"is_deleted": True})) == [2]
    assert ids(store.query("deal", where={"done": True})) == [1]
    assert ids(store.query("deal", where={"done": False})) == [2, 3, 10, 11]  # absent, null, 0 are falsy
    assert ids(store.query("deal", where={"update_time": None})) == [2]
    assert ids(store.query("deal", where={"status": ["won", "lost"]})) == [2, 3]
    assert store.query("deal", where={"status": []}) == []
    assert ids(
        store.query("deal", where={"update_time": AllOf((Cmp(">=", "2024-01-02"), Cmp("<", "2024-01-03")))})
    ) == [11]
    assert ids(store.query("deal", where={"title": Prefix("AL")})) == [1, 10]
    assert ids(store.query("deal", where={"title": Contains("ELT")})) == [11]
    assert ids(store.query("deal", where={"title": Contains("%")})) == []  # LIKE wildcards are literal
    assert ids(store.query("deal", where={"custom_fields.score": Cmp(">", 30)})) == [10, 11]
    assert ids(
        store.query("deal", where={"owner_id": 2}, any_of=[{"status": "won"}, {"title": "Gamma"}])
    ) == [2]
    assert store.count("deal", where={"status": "open", "is_deleted": False}) == 3
    assert store.count_by("deal", "status", where={"is_deleted": False}) == {"open": 3, "lost": 1}
    assert store.count_by("deal", "done") == {1: 1, 0: 1}  # absent values are not counted
    with pytest.raises(ValueError):
        store.query("deal", where={"title') OR 1=1 --": 1})


def test_order_nulls_first_and_keyset_after(store: Store) -> None:
    ordered = ids(store.query("deal", order_by="update_time"))
    assert ordered == [2, 3, 11, 1, 10]
    assert ids(store.query("deal", order_by="update_time", descending=True)) == ordered[::-1]
    # resuming after every position gives exactly the rest, in both directions
    for descending in (False, True):
        records = store.query("deal", order_by="update_time", descending=descending)
        for index, record in enumerate(records):
            after = (record["update_time"], record["id"])
            rest = store.query("deal", order_by="update_time", descending=descending, after=after)
            assert ids(rest) == ids(records[index + 1 :])
    assert ids(store.query("deal", order_by="id", descending=True, limit=2, offset=1)) == [10, 3]
    # a page may span the NULL and non-NULL sort values (two index seeks), with limit and offset
    assert ids(store.query("deal", order_by="update_time", after=(None, 2), limit=2)) == [3, 11]
    assert ids(store.query("deal", order_by="update_time", descending=True, after=("2024-01-02", 11))) == [
        3,
        2,
    ]
    assert ids(
        store.query("deal", order_by="update_time", descending=True, after=("2024-01-03", 1), offset=1)
    ) == [
        3,
        2,
    ]
    assert ids(store.query("deal", order_by=None)) == [1, 2, 3, 10, 11]  # insertion order


def test_ids_are_numbers_for_integers_and_text_otherwise(store: Store) -> None:
    assert store.get("deal", "10") == store.get("deal", 10)
    assert store.get("deal", 2**70) is None
    store.put("lead", {"id": "b2c1f3a0-0000-4000-8000-000000000001", "title": "x"})
    assert store.get("lead", "b2c1f3a0-0000-4000-8000-000000000001") is not None
    store.put("deal", dict(store.get("deal", 1) or {}, title="Renamed"))
    assert ids(store.all("deal"))[0] == 1  # a replace keeps the insertion position


def test_memo_recomputes_after_a_write_of_its_kind(store: Store) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return store.count("person")

    assert store.memo("people", ("person",), compute) == 1
    assert store.memo("people", ("person",), compute) == 1
    store.put("deal", {"id": 99, "title": "other kind"})
    assert store.memo("people", ("person",), compute) == 1 and len(calls) == 1
    store.put("person", {"id": 2, "name": "Second"})
    assert store.memo("people", ("person",), compute) == 2 and len(calls) == 2


def test_a_file_in_the_old_layout_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE entities (kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,"
        " data TEXT NOT NULL, PRIMARY KEY (kind, id));"
        "CREATE TABLE sequences (kind TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    )
    for seq, deal_id in enumerate((5, 3), start=1):
        data = json.dumps({"id": deal_id, "title": f"D{deal_id}", "owner_id": 7})
        old.execute("INSERT INTO entities VALUES ('deal', ?, ?, ?)", (str(deal_id), seq, data))
    old.execute("INSERT INTO sequences VALUES ('deal', 5)")
    old.commit()
    old.close()
    store = Store(open_database(str(path)), threading.RLock())
    assert ids(store.all("deal")) == [5, 3]
    assert ids(store.query("deal", where={"owner_id": 7})) == [3, 5]
    assert store.next_id("deal") == 6


# ---- over HTTP ----


def test_v2_pages_cover_every_deal_once_whatever_the_sort(empty_api: Api) -> None:
    lines = [json.dumps({"kind": "deal", "title": f"Deal {n}", "value": n}) for n in range(23)]
    assert empty_api.client.post("/_sandbox/bulk", content="\n".join(lines)).status_code == 200
    empty_api.state.clock.advance(60)
    empty_api.patch("/api/v2/deals/5", json={"title": "Changed"})
    empty_api.delete("/api/v2/deals/7")
    for sort_by in ("id", "update_time", "add_time"):
        for direction in ("asc", "desc"):
            seen: list[tuple[object, int]] = []
            params = {"limit": 4, "sort_by": sort_by, "sort_direction": direction}
            while True:
                body = empty_api.get("/api/v2/deals", params=params).json()
                seen.extend((deal[sort_by], deal["id"]) for deal in body["data"])
                cursor = body["additional_data"]["next_cursor"]
                if cursor is None:
                    break
                params["cursor"] = cursor
            assert sorted(deal_id for _, deal_id in seen) == [n for n in range(1, 24) if n != 7]
            assert seen == sorted(seen, reverse=direction == "desc"), (sort_by, direction)
    by_update = empty_api.get("/api/v2/deals", params={"sort_by": "update_time", "limit": 500}).json()["data"]
    assert by_update[-1]["id"] == 5  # the patched deal is the newest


def test_v1_lists_page_in_insertion_order_with_filters(empty_api: Api) -> None:
    lines = [
        json.dumps({"kind": "deal", "title": f"Deal {n}", "status": "won" if n % 3 == 0 else "open"})
        for n in range(10)
    ]
    empty_api.client.post("/_sandbox/bulk", content="\n".join(lines))
    first = empty_api.get("/v1/deals", params={"status": "won", "limit": 2}).json()
    assert [d["title"] for d in first["data"]] == ["Deal 0", "Deal 3"]
    assert first["additional_data"]["pagination"] == {
        "start": 0, "limit": 2, "more_items_in_collection": True, "next_start": 2
    }  # fmt: skip
    rest = empty_api.get("/v1/deals", params={"status": "won", "limit": 2, "start": 2}).json()
    assert [d["title"] for d in rest["data"]] == ["Deal 6", "Deal 9"]
    assert rest["additional_data"]["pagination"]["more_items_in_collection"] is False


def test_bulk_creates_with_defaults_and_validation_but_no_events(empty_api: Api) -> None:
    events: list[ChangeEvent] = []
    empty_api.state.bus.subscribe(events.append)
    body = "\n".join(
        [
            json.dumps({"kind": "organization", "name": "Org"}),
            "",
            json.dumps({"kind": "person", "name": "Ann", "org_id": 1}),
            json.dumps({"kind": "deal", "title": "Big", "value": 5, "person_id": 1, "org_id": 1}),
            json.dumps({"kind": "activity", "subject": "Call Ann", "deal_id": 1}),
        ]
    )
    response = empty_api.client.post("/_sandbox/bulk", content=body)
    assert response.json() == {
        "success": True,
        "data": {"created": {"organization": 1, "person": 1, "deal": 1, "activity": 1}, "total": 4},
    }
    deal = empty_api.get("/api/v2/deals/1").json()["data"]
    assert deal["title"] == "Big" and deal["status"] == "open" and deal["stage_id"] == 1 and deal["currency"]
    assert empty_api.get("/v1/deals/1/activities").json()["data"][0]["subject"] == "Call Ann"
    assert events == []
    assert empty_api.post("/api/v2/deals", json={"title": "Next"}).json()["data"]["id"] == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"kind": "deal", "title": "Bad", "value": "lots"}', "Line 2: Validation failed: value"),
        ('{"kind": "deal", "person_id": 999, "title": "x"}', "Line 2: Invalid value for 'person_id'"),
        ('{"kind": "spaceship"}', "Line 2: Invalid value for 'kind': must be one of activity, deal"),
        ('{"title": "no kind"}', "Line 2: Invalid value for 'kind'"),
        ("[1, 2]", "Line 2: The request body must be a JSON object"),
        ('{"kind": "deal", "title": ', "Line 2: Invalid JSON"),
    ],
)
def test_a_bad_line_rolls_the_whole_load_back(empty_api: Api, line: str, message: str) -> None:
    body = json.dumps({"kind": "deal", "title": "Good"}) + "\n" + line + "\n"
    response = empty_api.client.post("/_sandbox/bulk", content=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert empty_api.get("/api/v2/deals").json()["data"] == []
    assert empty_api.post("/api/v2/deals", json={"title": "First"}).json()["data"]["id"] == 1


def test_soft_deleted_records_are_purged_when_the_clock_moves(empty_api: Api) -> None:
    empty_api.client.post("/_sandbox/bulk", content='{"kind": "deal", "title": "Gone soon"}')
    empty_api.delete("/api/v2/deals/1")
    assert empty_api.get("/api/v2/deals/1").json()["data"]["is_deleted"] is True
    empty_api.state.clock.advance(31 * 86400)  # moved without the control plane
    assert empty_api.get("/api/v2/deals/1").status_code == 404
    assert "deal" not in empty_api.client.get("/_sandbox/state").json()["data"]["counts"]


# ---- saved filters evaluated in SQL must select exactly what the Python evaluator selects ----

LEAVES = [
    ("9", "=", "open"),
    ("9", "!=", "won"),
    ("9", "IS NULL", None),
    ("9", "IS NOT NULL", None),
    ("9", "LIKE '%$%'", "PE"),
    ("9", "NOT LIKE '$%'", "o"),
    ("9", "LIKE '$%'", "Wo"),
    ("2", ">", "40000"),
    ("2", "<=", "20000"),
    ("2", "=", "48000"),
    ("2", "=", "abc"),
    ("2", "!=", "abc"),
    ("1", "LIKE '%$%'", "acme"),
    ("1", "=", "Acme CRM rollout"),
    ("1", ">=", "M"),
    ("5", "IS NULL", None),
    ("5", "IS NOT NULL", None),
    ("5", "=", 1),
    ("5", "!=", "1"),
    ("14", "IS NOT NULL", None),
    ("12", "<", "2026-12-31"),
    ("6", "=", "2"),
    ("9", "~", "open"),
]


def _leaf(field_id: str, operator: str, value: object) -> dict[str, object]:
    return {"object": "deal", "field_id": field_id, "operator": operator, "value": value}


def _saved(api: Api, conditions: dict[str, object]) -> int:
    store = api.state.store
    filter_id = store.next_id("filter")
    store.put(
        "filter",
        {"id": filter_id, "name": "t", "type": "deals", "active_flag": True, "conditions": conditions},
    )
    return filter_id


@pytest.mark.parametrize(
    "conditions",
    [
        *(
            {
                "glue": "and",
                "conditions": [
                    {"glue": "and", "conditions": [_leaf(*leaf)]},
                    {"glue": "or", "conditions": []},
                ],
            }
            for leaf in LEAVES
        ),
        {
            "glue": "and",
            "conditions": [
                {"glue": "and", "conditions": [_leaf("9", "=", "open"), _leaf("6", "!=", "3")]},
                {"glue": "or", "conditions": [_leaf("2", ">", "40000"), _leaf("1", "LIKE '%$%'", "hooli")]},
            ],
        },
    ],
)
def test_saved_filters_in_sql_match_the_python_evaluator(api: Api, conditions: dict[str, object]) -> None:
    api.delete("/api/v2/deals/2")
    api.patch("/api/v2/deals/3", json={"probability": 40})
    filter_id = _saved(api, conditions)
    state = api.state
    saved = state.store.get("filter", filter_id) or {}
    assert filter_eval.as_conditions(state, saved, "deal") is not None  # served by SQL, not by the fallback
    live = [d for d in state.store.all("deal") if not d.get("is_deleted") and not d.get("is_archived")]
    expected = sorted(d["id"] for d in filter_eval.apply(state, filter_id, "deal", live))
    v2 = api.get("/api/v2/deals", params={"filter_id": filter_id, "limit": 500}).json()["data"]
    v1 = api.get("/v1/deals", params={"filter_id": filter_id, "limit": 500}).json()["data"] or []
    assert sorted(d["id"] for d in v2) == expected
    assert sorted(d["id"] for d in v1) == expected


def test_saved_filters_sql_cannot_reproduce_use_the_python_evaluator(api: Api) -> None:
    selected = []
    for leaf in (("2", "<", "abc"), ("2", ">=", None), ("21", ">", "5")):  # text order; custom field
        filter_id = _saved(
            api, {"glue": "and", "conditions": [{"glue": "and", "conditions": [_leaf(*leaf)]}]}
        )
        saved = api.state.store.get("filter", filter_id) or {}
        assert filter_eval.as_conditions(api.state, saved, "deal") is None
        live = [
            d for d in api.state.store.all("deal") if not d.get("is_deleted") and not d.get("is_archived")
        ]
        expected = sorted(d["id"] for d in filter_eval.apply(api.state, filter_id, "deal", live))
        v2 = api.get("/api/v2/deals", params={"filter_id": filter_id, "limit": 500}).json()["data"]
        assert sorted(d["id"] for d in v2) == expected
        selected.append(len(expected))
    assert selected[0] > 0 and selected[2] > 0
