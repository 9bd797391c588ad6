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
    evaluator = _Evaluator(state, kind)
    conditions = saved.get("conditions") or {}
    return [item for item in items if evaluator.group(conditions, item)]


class _Evaluator:
    """One filter over many records: field keys and linked records are looked up once, not per record."""

    def __init__(self, state: SandboxState, kind: str) -> None:
        self.state = state
        self.kind = kind
        self._keys: dict[tuple[str, str], str | None] = {}
        self._linked: dict[tuple[str, Any], Record | None] = {}

    def group(self, group: dict[str, Any], record: Record) -> bool:
        results = []
        for condition in group.get("conditions") or []:
            if "conditions" in condition:
                results.append(self.group(condition, record))
            else:
                results.append(self.leaf(condition, record))
        if not results:
            return True
        return any(results) if group.get("glue") == "or" else all(results)

    def field_key(self, object_kind: str, field_id: Any) -> str | None:
        cache_key = (object_kind, str(field_id))
        if cache_key not in self._keys:
            self._keys[cache_key] = _field_key(self.state, object_kind, field_id)
        return self._keys[cache_key]

    def linked(self, object_kind: str, linked_id: Any) -> Record | None:
        if not isinstance(linked_id, int | str):
            return self.state.store.get(object_kind, linked_id)
        cache_key = (object_kind, linked_id)
        if cache_key not in self._linked:
            self._linked[cache_key] = self.state.store.get(object_kind, linked_id)
        return self._linked[cache_key]

    def leaf(self, condition: dict[str, Any], record: Record) -> bool:
        object_kind = {"org": "organization"}.get(str(condition.get("object")), str(condition.get("object")))
        target: Record | None = record
        if object_kind != self.kind:
            link = LINK.get(object_kind)
            linked_id = record.get(link) if link else None
            target = self.linked(object_kind, linked_id) if linked_id else None
        key = self.field_key(object_kind, condition.get("field_id"))
        actual = _value(self.state, target, key) if target is not None and key else None
        return _matches(str(condition.get("operator", "=")), actual, condition.get("value"))


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


def _matches(operator: str, actual: Any, expected: Any) -> bool:
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
