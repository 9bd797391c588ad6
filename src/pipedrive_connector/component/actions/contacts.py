"""Person and organization actions beyond CRUD: merges, lookups by email or name, upsertOrganization."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.deal_workflow import merge_into, merge_properties
from pipedrive_connector.component.actions.flows import Entity, search_items, write_item
from pipedrive_connector.component.actions.organizations import ORGANIZATIONS
from pipedrive_connector.component.actions.organizations import _body as organization_body
from pipedrive_connector.component.actions.organizations import _fields as organization_fields
from pipedrive_connector.component.actions.persons import PERSONS
from pipedrive_connector.component.actions.props import obj, text
from pipedrive_connector.component.calls import Flow
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.model import Action, ControlType, Property, PropertyType


def first_exact(ctx: ActionContext, entity: Entity, term: str, field: str) -> Flow[dict[str, Any] | None]:
    """The best exact match of ``term`` in ``field``, or None."""
    found = yield from search_items(ctx, entity, {"term": term, "fields": field, "exact_match": True}, 0, 1)
    items = (found.get("data") or {}).get("items") or []
    item = items[0].get("item") if items and isinstance(items[0], dict) else None
    return item if isinstance(item, dict) else None


def find_person_by_email(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return {"success": True, "data": (yield from first_exact(ctx, PERSONS, inputs["email"], "email"))}


def find_organization_by_name(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return {"success": True, "data": (yield from first_exact(ctx, ORGANIZATIONS, inputs["name"], "name"))}


def upsert_organization(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs["organization"]
    found = yield from first_exact(ctx, ORGANIZATIONS, fields["name"], "name")
    existing = found.get("id") if found else None
    result = yield from write_item(
        ctx,
        ORGANIZATIONS,
        organization_body(ctx, fields),
        fields.get("custom_fields"),
        "organization",
        item_id=existing,
    )
    additional = dict(result.get("additional_data") or {})
    additional["created"] = existing is None
    return {**result, "additional_data": additional}


def _email() -> Property:
    return Property(
        "email",
        "Email",
        PropertyType.STRING,
        ControlType.EMAIL,
        "The email address to look for (exact).",
        required=True,
        min_length=3,
    )


ACTIONS = (
    Action(
        name="mergePersons",
        title="Merge two persons",
        description="Merges person id into merge_with_id; id is deleted, its data moves to the survivor.",
        resource="persons",
        properties=merge_properties("person", "persons"),
        execute=merge_into("person", "persons"),
        output_schema=outputs.one(outputs.PERSON),
        extra=True,
        destructive=True,
    ),
    Action(
        name="mergeOrganizations",
        title="Merge two organizations",
        description="Merges organization id into merge_with_id; id is deleted, its data moves "
        "to the survivor.",
        resource="organizations",
        properties=merge_properties("organization", "organizations"),
        execute=merge_into("organization", "organizations"),
        output_schema=outputs.one(outputs.ORGANIZATION),
        extra=True,
        destructive=True,
    ),
    Action(
        name="findPersonByEmail",
        title="Find a person by email",
        description="The person with this email address (exact match), or null when there is none.",
        resource="persons",
        properties=(_email(),),
        execute=find_person_by_email,
        output_schema=outputs.found(outputs.PERSON),
        extra=True,
        read_only=True,
    ),
    Action(
        name="findOrganizationByName",
        title="Find an organization by name",
        description="The organization with this name (exact, case insensitive), or null when there is none.",
        resource="organizations",
        properties=(text("name", "Name", "The organization name to look for.", required=True, min_length=2),),
        execute=find_organization_by_name,
        output_schema=outputs.found(outputs.ORGANIZATION),
        extra=True,
        read_only=True,
    ),
    Action(
        name="upsertOrganization",
        title="Create or update an organization by name",
        description="Finds an organization by name (exact match); updates it when found, creates it "
        "otherwise. additional_data.created tells which happened.",
        resource="organizations",
        properties=(
            obj(
                "organization",
                "Upsert Organization Request",
                "The organization; name is matched on.",
                *organization_fields(True),
                required=True,
            ),
        ),
        execute=upsert_organization,
        output_schema=outputs.one(outputs.ORGANIZATION),
        extra=True,
        body_property="organization",
    ),
)
