"""The 7 seed triggers against the seed document, and the triggers beyond it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pipedrive_connector.triggers import (
    ALL_TRIGGERS,
    TRIGGERS,
    field_change_trigger,
    get_trigger,
    parse_webhook,
)


def seed_triggers(shared_dir: Path) -> list[dict[str, Any]]:
    text = (shared_dir / "seed" / "pipedrive-component.md").read_text("utf-8")
    section = text[text.index("## Triggers") : text.index("## Actions")]
    found = []
    for block in re.split(r"\n### (?=New |Updated )", section)[1:]:
        lines = block.splitlines()
        found.append(
            {
                "title": lines[0].strip(),
                "description": lines[1].strip(),
                "type": re.search(r"#### Type: (\w+)", block).group(1),  # type: ignore[union-attr]
                "sample": json.loads(re.search(r"```(.*?)```", block, re.S).group(1)),  # type: ignore[union-attr]
            }
        )
    return found


def test_seed_triggers_match_the_seed(shared_dir: Path) -> None:
    seed = seed_triggers(shared_dir)
    assert [t.title for t in TRIGGERS.values()] == [s["title"] for s in seed]
    for trigger, expected in zip(TRIGGERS.values(), seed, strict=True):
        assert trigger.description == expected["description"]
        assert trigger.type == expected["type"] == "DYNAMIC_WEBHOOK"
        assert trigger.sample_output == expected["sample"]
    assert list(TRIGGERS) == [
        "newActivity",
        "newDeal",
        "newOrganization",
        "newPerson",
        "updatedDeal",
        "updatedOrganization",
        "updatedPerson",
    ]


def test_event_objects_and_actions() -> None:
    pairs = {name: (t.event_object, t.v2_event_action, t.v1_event_action) for name, t in ALL_TRIGGERS.items()}
    assert pairs["newActivity"] == ("activity", "create", "added")
    assert pairs["updatedOrganization"] == ("organization", "change", "updated")
    assert pairs["deletedPerson"] == ("person", "delete", "deleted")


def test_deleted_trigger_outputs_the_last_state() -> None:
    body = {
        "meta": {"version": "2.0", "action": "delete", "entity": "person", "entity_id": "4", "id": "e-1"},
        "data": None,
        "previous": {"id": 4, "name": "Ann"},
    }
    event = parse_webhook(body)
    trigger = get_trigger("deletedPerson")
    assert trigger.matches(event) and trigger.output(event) == {"id": 4, "name": "Ann"}
    assert not get_trigger("updatedPerson").matches(event)


def _stage_change(old: int, new: int) -> dict[str, Any]:
    return {
        "meta": {
            "version": "2.0",
            "action": "change",
            "entity": "deal",
            "entity_id": "3",
            "id": f"s{old}{new}",
        },
        "data": {"id": 3, "stage_id": new, "custom_fields": {"b" * 40: {"type": "enum", "id": 17}}},
        "previous": {"stage_id": old},
    }


def test_field_change_trigger_with_from_and_to() -> None:
    any_change = field_change_trigger("deal", "stage_id")
    to_two = field_change_trigger("deal", "stage_id", to_value=2)
    one_to_two = field_change_trigger("deal", "stage_id", from_value=1, to_value=2)
    assert any_change.matches(parse_webhook(_stage_change(1, 2)))
    assert to_two.matches(parse_webhook(_stage_change(3, 2)))
    assert not to_two.matches(parse_webhook(_stage_change(2, 3)))
    assert one_to_two.matches(parse_webhook(_stage_change(1, 2)))
    assert not one_to_two.matches(parse_webhook(_stage_change(3, 2)))
    # A change of another field does not fire it.
    body = _stage_change(1, 2)
    body["previous"] = {"title": "x"}
    assert not any_change.matches(parse_webhook(body))


def test_field_change_on_custom_field_in_v2_typed_form() -> None:
    body = _stage_change(1, 1)
    body["previous"] = {"custom_fields": {"b" * 40: {"type": "enum", "id": 16}}}
    trigger = field_change_trigger("deal", "b" * 40, from_value=16, to_value="17")
    assert trigger.matches(parse_webhook(body))


def test_unknown_trigger_names_the_known_ones() -> None:
    try:
        get_trigger("newInvoice")
    except KeyError as exc:
        assert "newInvoice" in str(exc) and "newDeal" in str(exc)
    else:
        raise AssertionError("expected an error")
