"""Organization relationships (v1 CRUD ``/organizationRelationships``) on the declared engine.

A relationship links ``rel_owner_org_id`` to ``rel_linked_org_id``: ``type: parent`` makes the owner
the linked organization's parent, ``related`` makes them peers. Reads answer from the point of view
of an organization (``org_id``): ``calculated_type`` is what the other organization is to it
(``parent``, ``daughter`` or ``related``) and ``calculated_related_org_id`` names that other one.
The body's ``org_id`` is only that point of view, never stored. Pipedrive emits no webhooks for
relationships; a merged organization's relationships move to the survivor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.engine.declared import Ctx, Declaration, DeclaredResource, Hooks
from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.pagination import offset_result, offset_window
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes
from pipedrive_connector.sandbox.resources.entity import MERGE_HOOKS
from pipedrive_connector.sandbox.serializers.v1 import org_ref
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import query_int

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

KIND = "organizationRelationship"
ENDS = ("rel_owner_org_id", "rel_linked_org_id")


def existing(state: SandboxState, pair: set[int], except_id: int | None) -> Record | None:
    """Another relationship between the same two organizations, either way round."""
    for other in state.store.query(KIND, where={"rel_owner_org_id": list(pair)}):
        if other["id"] != except_id and {other["rel_owner_org_id"], other["rel_linked_org_id"]} == pair:
            return other
    return None


class RelationshipRules(Hooks):
    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        changes.pop("org_id", None)  # the caller's point of view, not part of the relationship
        for name in (*ENDS, "type"):
            if name in changes and changes[name] is None:
                raise bad_request(f"Invalid value for '{name}': must not be null")
        return changes

    def check(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        owner, linked = record["rel_owner_org_id"], record["rel_linked_org_id"]
        if owner == linked:
            raise bad_request("Invalid value for 'rel_linked_org_id': the same organization as the owner")
        found = existing(ctx.state, {owner, linked}, record.get("id"))
        if found is not None:
            raise bad_request(f"Organizations {owner} and {linked} are already related ({found['id']})")

    def extra_v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        return {
            "rel_owner_org_id": org_ref(state.store, record["rel_owner_org_id"]),
            "rel_linked_org_id": org_ref(state.store, record["rel_linked_org_id"]),
            "active_flag": "true",  # a string in Pipedrive's answers and spec
        }


RELATIONSHIPS = DeclaredResource(
    Declaration(
        kind=KIND,
        label="Organization relationship",
        v1_path="/organizationRelationships",
        v1_ops=("add", "update", "delete"),
        refs={name: "organization" for name in (*ENDS, "org_id")},
        hooks=RelationshipRules(),
    )
)


def _relationships_follow_merge(
    state: SandboxState, request: Request, kind: str, merged: Record, survivor: Record
) -> None:
    """The merged organization's relationships become the survivor's, except those that would relate
    it to itself or repeat one it has."""
    if kind != "organization":
        return
    for end in ENDS:
        for record in state.store.query(KIND, where={end: merged["id"]}):
            moved = dict(record, **{end: survivor["id"]})
            pair = {moved["rel_owner_org_id"], moved["rel_linked_org_id"]}
            if len(pair) == 1 or existing(state, pair, record["id"]) is not None:
                state.store.remove(KIND, record["id"])
            else:
                state.store.put(KIND, moved)


MERGE_HOOKS.append(_relationships_follow_merge)


def seen_from(state: SandboxState, record: Record, org_id: int | None) -> dict[str, Any]:
    """The relationship as ``org_id`` sees it (the owner's point of view when ``org_id`` is not an end)."""
    owner, linked = record["rel_owner_org_id"], record["rel_linked_org_id"]
    other = owner if org_id == linked else linked
    calculated = "related" if record["type"] == "related" else "parent" if other == owner else "daughter"
    return {
        **RELATIONSHIPS.v1(state, record),
        "calculated_type": calculated,
        "calculated_related_org_id": other,
    }


async def list_relationships(request: Request) -> Response:
    """``GET /v1/organizationRelationships?org_id=``: the organization's relationships, both ends."""
    state = sandbox(request)
    org_id = query_int(request, "org_id")
    if org_id is None:
        raise bad_request("Parameter 'org_id' is required")
    org = state.store.get("organization", org_id)
    if org is None or org.get("is_deleted"):
        raise not_found("Organization not found")
    found = state.store.query(KIND, where={"rel_owner_org_id": org_id}) + state.store.query(
        KIND, where={"rel_linked_org_id": org_id}
    )
    found.sort(key=lambda record: record["id"])
    start, limit = offset_window(request)
    page, pagination = offset_result(start, limit, found[start : start + limit + 1])
    data = []
    related: dict[str, Any] = {}
    for record in page:
        item = seen_from(state, record, org_id)
        other = state.store.get("organization", item["calculated_related_org_id"]) or {}
        item["related_organization_name"] = other.get("name")
        data.append(item)
        for end in ENDS:
            ref = org_ref(state.store, record[end]) or {}
            related[str(record[end])] = {"id": record[end], **{k: v for k, v in ref.items() if k != "value"}}
    return ok(data, additional_data={"pagination": pagination}, related_objects={"organization": related})


async def get_relationship(request: Request) -> Response:
    state = sandbox(request)
    record = RELATIONSHIPS.load(state, request)
    return ok(seen_from(state, record, query_int(request, "org_id")))


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/organizationRelationships", list_relationships, ["GET"]),
        *v1_routes("/organizationRelationships/{id}", get_relationship, ["GET"]),
        *RELATIONSHIPS.routes(),
    ]
