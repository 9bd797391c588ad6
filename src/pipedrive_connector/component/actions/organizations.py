"""Organization actions: the seed's five + updateOrganization."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.flows import (
    Entity,
    check_search_term,
    check_v2_sort,
    delete_item,
    get_item,
    list_items,
    pick,
    search_items,
    v2_sort,
    write_item,
)
from pipedrive_connector.component.actions.props import (
    SORT_DESCRIPTION,
    S,
    custom_fields,
    exact_match,
    limit,
    loaded,
    obj,
    record_id,
    select,
    sort_text,
    start,
    term,
    text,
    visible_to,
)
from pipedrive_connector.component.calls import Flow
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.model import Action, Property

ORGANIZATIONS = Entity(
    "organization", "/v1/organizations", "/api/v2/organizations", "/api/v2/organizations/search"
)


def _fields(name_required: bool) -> tuple[Property, ...]:
    return (
        text("name", "Name", "The name of the organization.", required=name_required, min_length=1),
        loaded(
            "owner_id",
            "Owner ID",
            "users",
            "ID of the user who will be marked as the owner of this organization.",
        ),
        text("address", "Address", "The full address of the organization.", extra=True),
        visible_to("organization"),
        custom_fields("organization"),
    )


def _body(ctx: ActionContext, fields: dict[str, Any]) -> dict[str, Any]:
    body = pick(fields, "name", "owner_id", "address", "visible_to")
    if ctx.v2:
        if "visible_to" in body:
            body["visible_to"] = int(body["visible_to"])
        if "address" in body:
            body["address"] = {"value": body["address"]}
    return body


def first_char_filter(first_char: str | None) -> Any:
    if not first_char:
        return None
    wanted = first_char[0].lower()
    return lambda item: str(item.get("name") or "").lower().startswith(wanted)


def get_organizations(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params_v1 = pick(inputs, "user_id", "filter_id", "first_char", "sort")
    params_v2 = pick(inputs, "filter_id")
    if inputs.get("user_id") is not None:
        params_v2["owner_id"] = inputs["user_id"]
    if ctx.v2:
        params_v2.update(v2_sort(inputs.get("sort")))
    # v2 has no first_char filter: the v2 path filters by name client side.
    keep = first_char_filter(inputs.get("first_char")) if ctx.v2 else None
    return (
        yield from list_items(
            ctx, ORGANIZATIONS, params_v1, params_v2, inputs.get("start", 0), inputs.get("limit"), keep
        )
    )


def add_organization(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs["organization"]
    return (
        yield from write_item(
            ctx, ORGANIZATIONS, _body(ctx, fields), fields.get("custom_fields"), "organization"
        )
    )


def update_organization(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs.get("organization") or {}
    return (
        yield from write_item(
            ctx,
            ORGANIZATIONS,
            _body(ctx, fields),
            fields.get("custom_fields"),
            "organization",
            item_id=inputs["id"],
        )
    )


def search_organizations(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params = pick(inputs, "term", "fields", "exact_match")
    return (yield from search_items(ctx, ORGANIZATIONS, params, inputs.get("start", 0), inputs.get("limit")))


def delete_organization(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from delete_item(ctx, ORGANIZATIONS, inputs["id"]))


def get_organization(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from get_item(ctx, ORGANIZATIONS, inputs["id"]))


ACTIONS = (
    Action(
        name="getOrganizations",
        title="Get all organizations",
        description="Returns all organizations.",
        resource="organizations",
        properties=(
            loaded(
                "user_id",
                "User Id",
                "users",
                "Organizations owned by the given user. filter_id takes precedence over user_id.",
            ),
            loaded("filter_id", "Filter Id", "organization_filters", "Filter to use."),
            text(
                "first_char",
                "First Char",
                "Organizations whose name starts with the specified letter (case insensitive).",
                min_length=1,
            ),
            start(),
            limit(),
            sort_text(SORT_DESCRIPTION),
        ),
        execute=get_organizations,
        read_only=True,
        output_schema=outputs.many(outputs.ORGANIZATION),
        checks=(check_v2_sort,),
    ),
    Action(
        name="addOrganization",
        title="Add an organization",
        description="Adds a new organization. Custom fields can be given by name in custom_fields.",
        resource="organizations",
        properties=(
            obj(
                "organization",
                "Add Organization Request",
                "The organization to add.",
                *_fields(True),
                required=True,
            ),
        ),
        execute=add_organization,
        output_schema=outputs.one(outputs.ORGANIZATION),
        body_property="organization",
    ),
    Action(
        name="searchOrganizations",
        title="Search organizations",
        description="Searches all organizations by name, address, notes and/or custom fields.",
        resource="organizations",
        properties=(
            term(),
            select(
                "fields",
                "Fields",
                "The fields to search in, comma-separated (e.g. title,notes). Defaults to all of them.",
                S,
                ("Address", "address"),
                ("Custom fields", "custom_fields"),
                ("Notes", "notes"),
                ("Name", "name"),
                comma_separated=True,
            ),
            exact_match(),
            start(),
            limit(),
        ),
        execute=search_organizations,
        read_only=True,
        output_schema=outputs.search(),
        checks=(check_search_term,),
    ),
    Action(
        name="deleteOrganization",
        title="Delete an organization",
        description="Marks an organization as deleted. After 30 days, the organization will be permanently "
        "deleted.",
        resource="organizations",
        properties=(record_id("organization", "ID of the organization to delete."),),
        execute=delete_organization,
        destructive=True,
        output_schema=outputs.deleted(),
    ),
    Action(
        name="getOrganizationDetails",
        title="Get details of an organization",
        description="Returns the details of an organization. Custom fields are shown by name.",
        resource="organizations",
        properties=(record_id("organization", "ID of the organization to get details of."),),
        execute=get_organization,
        read_only=True,
        output_schema=outputs.one(outputs.ORGANIZATION),
    ),
    Action(
        name="updateOrganization",
        title="Update an organization",
        description="Updates the properties of an organization; only the given fields change.",
        resource="organizations",
        properties=(
            record_id("organization", "ID of the organization to update."),
            obj(
                "organization",
                "Update Organization Request",
                "The fields to change.",
                *_fields(False),
                required=True,
            ),
        ),
        execute=update_organization,
        output_schema=outputs.one(outputs.ORGANIZATION),
        extra=True,
        body_property="organization",
    ),
)
