"""Search: ``/{deals,persons,organizations,leads}/search`` and ``itemSearch`` (v2 and legacy v1).

Pipedrive's rules: ``term`` needs 2+ characters (1 with ``exact_match``); ``exact_match`` is a
case-insensitive whole-value match; ``fields`` narrows where to look; each hit carries a float
``result_score``. v2 pages with a cursor, v1 with start/limit; itemSearch allows at most 100.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import custom_fields
from pipedrive_connector.sandbox.errors import bad_request
from pipedrive_connector.sandbox.pagination import decode_cursor, encode_cursor, limit_param, offset_page
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes, v2_route
from pipedrive_connector.sandbox.store import Includes, Record
from pipedrive_connector.sandbox.validation import query_bool, query_choice, query_int

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

ITEM_TYPES = ("deal", "person", "organization", "product", "lead", "file", "mail_attachment", "project")
ITEM_FIELDS = ("address", "code", "custom_fields", "email", "name", "notes", "phone", "title", "description")


@dataclass(frozen=True)
class Searchable:
    kind: str
    fields: tuple[str, ...]
    include_fields: tuple[str, ...]
    # field name → the texts of a record to match for that field
    texts: Callable[[SandboxState, Record], dict[str, list[str]]]
    item: Callable[[SandboxState, Record, tuple[str, ...], list[str]], dict[str, Any]]
    filters: tuple[str, ...]
    # id query parameter → the record's list of such ids (a project's "person_ids")
    list_filters: Mapping[str, str] = field(default_factory=dict)


def _owner(record: Record, key: str = "owner_id") -> dict[str, Any]:
    return {"id": record.get(key)}


def person_summary(state: SandboxState, person_id: int | None) -> dict[str, Any] | None:
    person = state.store.get("person", person_id) if person_id else None
    return {"id": person["id"], "name": person["name"]} if person else None


def organization_summary(state: SandboxState, org_id: int | None) -> dict[str, Any] | None:
    org = state.store.get("organization", org_id) if org_id else None
    if org is None:
        return None
    address = org.get("address")
    return {"id": org["id"], "name": org["name"], "address": address.get("value") if address else None}


def _custom_texts(state: SandboxState, kind: str, record: Record) -> list[str]:
    return custom_fields.searchable_text(
        custom_fields.custom_definitions(state.store, kind), record.get("custom_fields") or {}
    )


def _deal_texts(state: SandboxState, record: Record) -> dict[str, list[str]]:
    return {"title": [record["title"]], "custom_fields": _custom_texts(state, "deal", record), "notes": []}


def _deal_item(
    state: SandboxState, record: Record, include: tuple[str, ...], matched: list[str]
) -> dict[str, Any]:
    stage = state.store.get("stage", record["stage_id"]) if record.get("stage_id") else None
    item: dict[str, Any] = {
        "id": record["id"],
        "type": "deal",
        "title": record["title"],
        "value": record.get("value"),
        "currency": record.get("currency"),
        "status": record.get("status"),
        "visible_to": record.get("visible_to"),
        "owner": _owner(record),
        "stage": {"id": stage["id"], "name": stage["name"]} if stage else None,
        "person": person_summary(state, record.get("person_id")),
        "organization": organization_summary(state, record.get("org_id")),
        "custom_fields": matched,
        "notes": [],
        "is_archived": bool(record.get("is_archived")),
    }
    if "deal.cc_email" in include:
        item["cc_email"] = f"sandbox+deal{record['id']}@pipedrivemail.com"
    return item


def _person_texts(state: SandboxState, record: Record) -> dict[str, list[str]]:
    return {
        "name": [record["name"]],
        "email": [e["value"] for e in record.get("emails") or []],
        "phone": [p["value"] for p in record.get("phones") or []],
        "custom_fields": _custom_texts(state, "person", record),
        "notes": [],
    }


def _person_item(
    state: SandboxState, record: Record, include: tuple[str, ...], matched: list[str]
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": record["id"],
        "type": "person",
        "name": record["name"],
        "phones": [p["value"] for p in record.get("phones") or []],
        "emails": [e["value"] for e in record.get("emails") or []],
        "visible_to": record.get("visible_to"),
        "owner": _owner(record),
        "organization": organization_summary(state, record.get("org_id")),
        "custom_fields": matched,
        "notes": [],
    }
    if "person.picture" in include:
        item["picture"] = None
    return item


def _org_texts(state: SandboxState, record: Record) -> dict[str, list[str]]:
    address = record.get("address")
    return {
        "name": [record["name"]],
        "address": [address["value"]] if address and address.get("value") else [],
        "custom_fields": _custom_texts(state, "organization", record),
        "notes": [],
    }


def _org_item(
    state: SandboxState, record: Record, include: tuple[str, ...], matched: list[str]
) -> dict[str, Any]:
    address = record.get("address")
    return {
        "id": record["id"],
        "type": "organization",
        "name": record["name"],
        "address": address.get("value") if address else None,
        "visible_to": record.get("visible_to"),
        "owner": _owner(record),
        "custom_fields": matched,
        "notes": [],
    }


def _lead_texts(state: SandboxState, record: Record) -> dict[str, list[str]]:
    return {"title": [record["title"]], "custom_fields": _custom_texts(state, "lead", record), "notes": []}


def _lead_item(
    state: SandboxState, record: Record, include: tuple[str, ...], matched: list[str]
) -> dict[str, Any]:
    person = state.store.get("person", record["person_id"]) if record.get("person_id") else None
    value = record.get("value") or {}
    item: dict[str, Any] = {
        "id": record["id"],
        "type": "lead",
        "title": record["title"],
        "owner": _owner(record),
        "person": person_summary(state, record.get("person_id")),
        "organization": organization_summary(state, record.get("organization_id")),
        "phones": [p["value"] for p in (person or {}).get("phones") or []],
        "emails": [e["value"] for e in (person or {}).get("emails") or []],
        "custom_fields": matched,
        "notes": [],
        "value": value.get("amount"),
        "currency": value.get("currency"),
        "visible_to": int(record.get("visible_to") or 3),
        "is_archived": bool(record.get("is_archived")),
    }
    if "lead.was_seen" in include:
        item["was_seen"] = bool(record.get("was_seen"))
    return item


SEARCHABLES = {
    "deal": Searchable(
        "deal",
        ("custom_fields", "notes", "title"),
        ("deal.cc_email",),
        _deal_texts,
        _deal_item,
        ("person_id", "organization_id", "status"),
    ),
    "person": Searchable(
        "person",
        ("custom_fields", "email", "notes", "phone", "name"),
        ("person.picture",),
        _person_texts,
        _person_item,
        ("organization_id",),
    ),
    "organization": Searchable(
        "organization", ("address", "custom_fields", "notes", "name"), (), _org_texts, _org_item, ()
    ),
    "lead": Searchable(
        "lead",
        ("custom_fields", "notes", "title"),
        ("lead.was_seen",),
        _lead_texts,
        _lead_item,
        ("person_id", "organization_id"),
    ),
}


def _term(request: Request) -> tuple[str, bool]:
    term = (request.query_params.get("term") or "").strip()
    exact = bool(query_bool(request, "exact_match"))
    minimum = 1 if exact else 2
    if len(term) < minimum:
        raise bad_request(
            "Parameter 'term' is required and must be at least 2 characters long (1 with exact_match=true)"
        )
    return term, exact


def _list_param(request: Request, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    raw = request.query_params.get(name)
    if not raw:
        return ()
    values = tuple(part.strip() for part in raw.split(",") if part.strip())
    for value in values:
        if value not in allowed:
            raise bad_request(f"Invalid value for '{name}': '{value}' is not one of {', '.join(allowed)}")
    return values


def _score(term: str, texts: list[str], exact: bool) -> float:
    needle = term.lower()
    best = 0.0
    for text in texts:
        hay = text.lower()
        if exact:
            score = 1.0 if hay == needle else 0.0
        elif hay == needle:
            score = 1.0
        elif hay.startswith(needle):
            score = 0.75
        elif any(word.startswith(needle) for word in hay.split()):
            score = 0.5
        elif needle in hay:
            score = 0.25
        else:
            score = 0.0
        # Shorter texts rank a little higher, like a relevance engine would.
        if score:
            score += round(len(needle) / max(len(hay), 1) * 0.1, 4)
        best = max(best, score)
    return round(best, 4)


def _hits(
    state: SandboxState,
    request: Request,
    searchable: Searchable,
    term: str,
    exact: bool,
    fields: tuple[str, ...],
) -> list[tuple[float, Record, list[str]]]:
    person_id = query_int(request, "person_id") if "person_id" in searchable.filters else None
    org_id = query_int(request, "organization_id") if "organization_id" in searchable.filters else None
    status = (
        query_choice(request, "status", ("open", "won", "lost")) if "status" in searchable.filters else None
    )
    org_key = "organization_id" if searchable.kind == "lead" else "org_id"
    where: dict[str, Any] = {"is_deleted": False}
    for key, value in (("person_id", person_id), (org_key, org_id), ("status", status)):
        if value is not None:
            where[key] = value
    for param, list_field in searchable.list_filters.items():
        wanted = query_int(request, param)
        if wanted is not None:
            where[list_field] = Includes(wanted)
    hits: list[tuple[float, Record, list[str]]] = []
    for record in state.store.query(searchable.kind, where=where, order_by=None):
        texts = searchable.texts(state, record)
        looked = [field for field in texts if not fields or field in fields]
        score = max((_score(term, texts[field], exact) for field in looked), default=0.0)
        if score > 0:
            matched = [t for t in texts.get("custom_fields", []) if _score(term, [t], exact) > 0]
            hits.append((score, record, matched))
    return hits


def _cursor_page(request: Request, hits: list[Any], maximum: int) -> tuple[list[Any], str | None]:
    limit = limit_param(request, maximum=maximum)
    cursor = request.query_params.get("cursor")
    offset = 0
    if cursor:
        payload = decode_cursor(cursor)
        offset = payload.get("offset", 0)
        if not isinstance(offset, int) or offset < 0:
            raise bad_request("Invalid cursor: pass next_cursor from a previous response unchanged")
    page = hits[offset : offset + limit]
    more = offset + limit < len(hits)
    last_id = page[-1][1]["id"] if page else None
    return page, encode_cursor(
        {"field": "result_score", "id": last_id, "offset": offset + limit}
    ) if more else None


def _sorted(hits: list[tuple[float, Record, list[str]]]) -> list[tuple[float, Record, list[str]]]:
    return sorted(hits, key=lambda hit: (-hit[0], str(hit[1]["id"])))


def make_entity_search(kind: str, *, v2: bool) -> Any:
    searchable = SEARCHABLES[kind]

    async def search(request: Request) -> Response:
        state = sandbox(request)
        term, exact = _term(request)
        fields = _list_param(request, "fields", searchable.fields)
        include = _list_param(request, "include_fields", searchable.include_fields)
        hits = _sorted(_hits(state, request, searchable, term, exact, fields))
        if v2:
            page, cursor = _cursor_page(request, hits, 500)
            items = [{"result_score": s, "item": searchable.item(state, r, include, m)} for s, r, m in page]
            return ok({"items": items}, additional_data={"next_cursor": cursor})
        v1_page, pagination = offset_page(request, hits)
        items = [{"result_score": s, "item": searchable.item(state, r, include, m)} for s, r, m in v1_page]
        return ok({"items": items}, additional_data={"pagination": pagination})

    return search


def make_item_search(*, v2: bool) -> Any:
    async def item_search(request: Request) -> Response:
        state = sandbox(request)
        term, exact = _term(request)
        types = _list_param(request, "item_types", ITEM_TYPES) or tuple(SEARCHABLES)
        fields = _list_param(request, "fields", ITEM_FIELDS)
        include = _list_param(request, "include_fields", ("deal.cc_email", "person.picture", "product.price"))
        query_bool(request, "search_for_related_items")
        hits: list[tuple[float, Record, list[str], Searchable]] = []
        for kind in types:
            searchable = SEARCHABLES.get(kind)
            if searchable is None:
                continue
            hits += [
                (s, r, m, searchable) for s, r, m in _hits(state, request, searchable, term, exact, fields)
            ]
        hits.sort(key=lambda hit: (-hit[0], hit[3].kind, str(hit[1]["id"])))
        if v2:
            page, cursor = _cursor_page(request, hits, 100)
            extra: dict[str, Any] = {"next_cursor": cursor}
        else:
            page, pagination = offset_page(request, hits, maximum=100)
            extra = {"pagination": pagination}
        items = [{"result_score": s, "item": sb.item(state, r, include, m)} for s, r, m, sb in page]
        return ok({"items": items, "related_items": []}, additional_data=extra)

    return item_search


FIELD_SEARCH_KINDS = {"deal": "deal", "lead": "lead", "person": "person", "organization": "organization"}
STANDARD_FIELD_NAMES = {"title", "name", "email", "phone", "address", "currency", "status"}


def _field_value(record: Record, field: str) -> Any:
    if field in (record.get("custom_fields") or {}):
        value = record["custom_fields"][field]
        return value.get("value") if isinstance(value, dict) else value
    if field == "email":
        return [e["value"] for e in record.get("emails") or []]
    if field == "phone":
        return [p["value"] for p in record.get("phones") or []]
    if field == "address" and isinstance(record.get("address"), dict):
        return record["address"].get("value")
    return record.get(field)


async def item_search_field(request: Request) -> Response:
    """``/api/v2/itemSearch/field``: items whose ``field`` matches ``term`` (exact, beginning or middle)."""
    state = sandbox(request)
    term = (request.query_params.get("term") or "").strip()
    if not term:
        raise bad_request("Parameter 'term' is required")
    entity_type = query_choice(
        request, "entity_type", ("deal", "lead", "person", "organization", "product", "project")
    )
    if entity_type is None:
        raise bad_request("Parameter 'entity_type' is required")
    field = request.query_params.get("field")
    if not field:
        raise bad_request("Parameter 'field' is required")
    match = query_choice(request, "match", ("exact", "beginning", "middle")) or "exact"
    kind = FIELD_SEARCH_KINDS.get(entity_type)
    defs = custom_fields.custom_definitions(state.store, kind) if kind else {}
    if kind and field not in defs and field not in STANDARD_FIELD_NAMES:
        raise bad_request(f"Invalid value for 'field': '{field}' is not a searchable {entity_type} field")
    needle = term.lower()
    found: list[Record] = []
    for record in state.store.query(kind, where={"is_deleted": False}, order_by=None) if kind else []:
        raw = _field_value(record, field)
        values = raw if isinstance(raw, list) else [raw]
        texts = [str(value).lower() for value in values if value is not None]
        if any(
            text == needle
            if match == "exact"
            else text.startswith(needle)
            if match == "beginning"
            else needle in text
            for text in texts
        ):
            found.append(record)
    page, cursor = _cursor_page(request, [(0.0, record, []) for record in found], 500)
    data = [{"id": record["id"], "name": record.get("title") or record.get("name")} for _, record, _ in page]
    return ok(data, additional_data={"next_cursor": cursor})


def routes() -> list[BaseRoute]:
    result: list[BaseRoute] = []
    for kind, plural in (
        ("deal", "deals"),
        ("person", "persons"),
        ("organization", "organizations"),
        ("lead", "leads"),
    ):
        result.append(v2_route(f"/{plural}/search", make_entity_search(kind, v2=True), ["GET"]))
        result += v1_routes(f"/{plural}/search", make_entity_search(kind, v2=False), ["GET"])
    result.append(v2_route("/itemSearch", make_item_search(v2=True), ["GET"]))
    result.append(v2_route("/itemSearch/field", item_search_field, ["GET"]))
    result += v1_routes("/itemSearch", make_item_search(v2=False), ["GET"])
    return result
