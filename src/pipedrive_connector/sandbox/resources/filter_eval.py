"""Evaluate a saved filter's conditions (``filter_id`` on list endpoints) against canonical records."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.store import AllOf, Cmp, Contains, Not, Prefix, Record

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


def as_conditions(
    state: SandboxState, saved: Record, kind: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The saved filter as ``Store.query`` conditions (``where``, ``any_of``), or None when it has a
    shape or condition SQL cannot reproduce exactly (the caller then evaluates it with ``apply``).

    Translated: the usual shape (an "and" group of an "and" group and an "or" group of conditions),
    on the entity's own scalar fields (``SQL_FIELDS``), with the operators whose Python meaning
    (``_matches``) has an exact SQL equivalent.
    """
    if kind not in SQL_FIELDS:
        return None
    root = saved.get("conditions") or {}
    where: dict[str, Any] = {}
    any_of: list[dict[str, Any]] = []
    if root.get("glue", "and") != "and":
        return None
    for group in root.get("conditions") or []:
        leaves = group.get("conditions") or []
        if "conditions" not in group or any("conditions" in leaf for leaf in leaves):
            return None
        translated = [_sql_leaf(state, kind, leaf) for leaf in leaves]
        if any(item is None for item in translated):
            return None
        pairs = [item for item in translated if item is not None]
        if group.get("glue") == "or":
            if not pairs:
                continue  # an empty group holds for every record
            if any_of:
                return None  # a second "or" group does not fit one any_of
            any_of.extend({field: condition} for field, condition in pairs)
        else:
            for field, condition in pairs:
                where[field] = AllOf((where[field], condition)) if field in where else condition
    return where, any_of


# Canonical scalar fields a saved filter condition may test in SQL: name → "number" or "text".
_NUMBERS = ("id", "owner_id", "person_id", "org_id", "creator_user_id")
_TEXTS = ("add_time", "update_time")
SQL_FIELDS: dict[str, dict[str, str]] = {
    "deal": {
        **dict.fromkeys((*_NUMBERS, "value", "probability", "stage_id", "pipeline_id"), "number"),
        **dict.fromkeys(
            (*_TEXTS, "title", "status", "currency", "lost_reason", "expected_close_date"), "text"
        ),
        **dict.fromkeys(("close_time", "won_time", "lost_time"), "text"),
    },
    "person": {
        **dict.fromkeys(_NUMBERS, "number"),
        **dict.fromkeys((*_TEXTS, "name", "first_name", "last_name"), "text"),
    },
    "organization": {**dict.fromkeys(_NUMBERS, "number"), **dict.fromkeys((*_TEXTS, "name"), "text")},
    "activity": {
        **dict.fromkeys((*_NUMBERS, "deal_id"), "number"),
        **dict.fromkeys((*_TEXTS, "subject", "type", "due_date"), "text"),
    },
}
_NEVER: list[Any] = []  # an empty IN: matches no record


def _sql_leaf(state: SandboxState, kind: str, condition: dict[str, Any]) -> tuple[str, Any] | None:
    """One condition as (field, Store condition) with ``_matches``' exact meaning, or None."""
    object_kind = {"org": "organization"}.get(str(condition.get("object")), str(condition.get("object")))
    if object_kind != kind:
        return None
    key = _field_key(state, object_kind, condition.get("field_id"))
    field = CANONICAL.get(key, key) if key else None
    field_type = SQL_FIELDS[kind].get(field or "")
    if field is None or field_type is None:
        return None
    operator = str(condition.get("operator", "="))
    expected = condition.get("value")
    if operator == "IS NULL":
        return field, None if field_type == "number" else False
    if operator == "IS NOT NULL":
        return field, Not(None) if field_type == "number" else True
    if operator.startswith(("LIKE", "NOT LIKE")):
        if field_type == "number":
            return None
        needle = str(expected or "")
        if operator == "LIKE '%$%'":
            return field, Contains(needle)
        if operator == "NOT LIKE '$%'":
            return field, Not(Prefix(needle))
        return field, Prefix(needle)
    if operator not in ("=", "!=", "<", ">", "<=", ">="):
        return field, _NEVER
    if field_type == "text":
        return field, Cmp(operator, str(expected))
    number = _number(expected)
    if number is None:
        # no number equals it; ordering against a text that is not a number is text ordering
        return {"=": (field, _NEVER), "!=": (field, AllOf(()))}.get(operator)
    return field, Cmp(operator, number)


def _number(value: Any) -> float | None:
    """``float(value)`` when it is a finite number (SQL has no NaN), else None."""
    if not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


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
