"""Evaluate a saved filter's conditions (``filter_id`` on list endpoints) against canonical records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.store import Record

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

FILTER_TYPE = {
    "deal": "deals",
    "person": "people",
    "organization": "org",
    "activity": "activity",
    "lead": "leads",
}
FIELD_KIND = {"deal": "dealField", "person": "personField", "organization": "organizationField"}
# v1 field keys that differ from the canonical record's names
CANONICAL = {"user_id": "owner_id", "label": "label_ids", "email": "emails", "phone": "phones"}
LINK = {"person": "person_id", "organization": "org_id", "deal": "deal_id"}


def check(state: SandboxState, filter_id: int, kind: str) -> Record:
    """The saved filter ``filter_id``: 404 when it does not exist, 400 when it filters another kind."""
    saved = state.store.get("filter", filter_id)
    if saved is None or not saved.get("active_flag", True):
        raise not_found("Filter not found")
    expected = FILTER_TYPE.get(kind)
    if saved.get("type") != expected:
        raise bad_request(f"Filter {filter_id} is of type '{saved.get('type')}', not '{expected}'")
    return saved


def apply(state: SandboxState, filter_id: int, kind: str, items: list[Record]) -> list[Record]:
    saved = check(state, filter_id, kind)
    return [item for item in items if _group(state, saved.get("conditions") or {}, kind, item)]


def _group(state: SandboxState, group: dict[str, Any], kind: str, record: Record) -> bool:
    results = []
    for condition in group.get("conditions") or []:
        if "conditions" in condition:
            results.append(_group(state, condition, kind, record))
        else:
            results.append(_leaf(state, condition, kind, record))
    if not results:
        return True
    return any(results) if group.get("glue") == "or" else all(results)


def _field_key(state: SandboxState, object_kind: str, field_id: Any) -> str | None:
    fields_kind = FIELD_KIND.get(object_kind)
    if fields_kind is None:
        return str(field_id)
    for field in state.store.all(fields_kind):
        if str(field["id"]) == str(field_id) or field["key"] == str(field_id):
            return str(field["key"])
    return None


def _value(state: SandboxState, record: Record, key: str) -> Any:
    if key in (record.get("custom_fields") or {}):
        value = record["custom_fields"][key]
        return value.get("value") if isinstance(value, dict) else value
    return record.get(CANONICAL.get(key, key))


def _leaf(state: SandboxState, condition: dict[str, Any], kind: str, record: Record) -> bool:
    object_kind = {"org": "organization"}.get(str(condition.get("object")), str(condition.get("object")))
    target: Record | None = record
    if object_kind != kind:
        link = LINK.get(object_kind)
        linked_id = record.get(link) if link else None
        target = state.store.get(object_kind, linked_id) if linked_id else None
    key = _field_key(state, object_kind, condition.get("field_id"))
    operator = str(condition.get("operator", "="))
    actual = _value(state, target, key) if target is not None and key else None
    expected = condition.get("value")
    if operator == "IS NULL":
        return actual in (None, "", [])
    if operator == "IS NOT NULL":
        return actual not in (None, "", [])
    if actual is None:
        return operator == "!="
    if operator.startswith(("LIKE", "NOT LIKE")):
        text, needle = str(actual).lower(), str(expected or "").lower()
        if operator == "LIKE '%$%'":
            return needle in text
        if operator == "NOT LIKE '$%'":
            return not text.startswith(needle)
        return text.startswith(needle)
    if isinstance(actual, list):
        return (str(expected) in {str(item) for item in actual}) == (operator != "!=")
    left, right = _comparable(actual, expected)
    return {
        "=": left == right,
        "!=": left != right,
        "<": left < right,
        ">": left > right,
        "<=": left <= right,
        ">=": left >= right,
    }.get(operator, False)


def _comparable(actual: Any, expected: Any) -> tuple[Any, Any]:
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        try:
            return float(actual), float(expected)
        except (TypeError, ValueError):
            return str(actual), str(expected)
    return str(actual), str(expected)
