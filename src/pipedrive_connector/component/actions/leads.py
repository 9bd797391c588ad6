"""Lead actions: getLeads, addLead, deleteLead, getLeadDetails, searchLeads + updateLead.

Lead CRUD exists only in API v1 (both modes use ``/v1/leads``); search uses ``/api/v2/leads/search``
in v2 mode and ``/v1/leads/search`` in v1 mode.
"""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component import custom_fields
from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.flows import (
    Entity,
    check_search_term,
    delete_item,
    get_item,
    list_items,
    pick,
    search_items,
    write_item,
)
from pipedrive_connector.component.actions.props import (
    S,
    boolean,
    date,
    exact_match,
    integer,
    lead_id,
    limit,
    loaded,
    number,
    obj,
    select,
    start,
    term,
    text,
    visible_to,
)
from pipedrive_connector.component.actions.props import (
    custom_fields as custom_fields_property,
)
from pipedrive_connector.component.calls import Flow
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.model import Action, ControlType, OptionsLoaderRef, Property, PropertyType
from pipedrive_connector.component.paging import DEFAULT_LIMIT, pagination, v1_all

LEADS = Entity(
    "lead", "/v1/leads", None, "/api/v2/leads/search", "/v1/leads/search", v1_update_method="PATCH"
)
ARCHIVED_LEADS = Entity("lead", "/v1/leads/archived", None)
BODY_FIELDS = (
    "title",
    "owner_id",
    "label_ids",
    "person_id",
    "organization_id",
    "value",
    "expected_close_date",
    "visible_to",
    "was_seen",
)
SORT_OPTIONS = (
    "id",
    "title",
    "owner_id",
    "creator_id",
    "was_seen",
    "expected_close_date",
    "next_activity_id",
    "add_time",
    "update_time",
)


def _lead_fields(title_required: bool) -> tuple[Property, ...]:
    return (
        text("title", "Title", "The name of the lead.", required=title_required, min_length=1),
        loaded("owner_id", "Owner ID", "users", "User which will be the owner of the created lead."),
        Property(
            "label_ids",
            "Lead Labels IDs",
            PropertyType.ARRAY,
            ControlType.MULTI_SELECT,
            "IDs of the lead labels which will be associated with the lead.",
            items=text("label_id", "Label ID"),
            options_loader=OptionsLoaderRef("lead_labels"),
        ),
        loaded(
            "person_id",
            "Person ID",
            "persons",
            "Person which this lead will be linked to. A lead needs a person or an organization.",
        ),
        loaded(
            "organization_id",
            "Organization ID",
            "organizations",
            "Organization which this lead will be linked to. A lead needs a person or an organization.",
        ),
        obj(
            "value",
            "Value",
            "The potential value of the lead.",
            number("amount", "Amount", "The amount.", required=True),
            loaded(
                "currency", "Currency", "currencies", "The currency (ISO 4217 code).", type=S, required=True
            ),
        ),
        date(
            "expected_close_date",
            "Expected Close Date",
            "The date of when the deal which will be created from the lead is expected to be closed.",
        ),
        visible_to("lead"),
        boolean("was_seen", "Was Seen", "Whether the lead has been seen by someone in the Pipedrive UI."),
        custom_fields_property("deal (leads share the deal custom fields)"),
    )


def _body(fields: dict[str, Any]) -> dict[str, Any]:
    return pick(fields, *BODY_FIELDS)


def get_leads(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params = pick(inputs, "owner_id", "person_id", "organization_id", "filter_id", "sort")
    first = inputs.get("start", 0)
    size = inputs.get("limit") or DEFAULT_LIMIT
    status = inputs.get("archived_status")
    if status == "archived":
        return (yield from list_items(ctx, ARCHIVED_LEADS, params, params, first, size))
    if status != "all":
        return (yield from list_items(ctx, LEADS, params, params, first, size))
    # "all": Pipedrive lists archived leads separately (since 2025-07); join both lists.
    current = yield from v1_all(LEADS.v1_path, params)
    archived = yield from v1_all(ARCHIVED_LEADS.v1_path, params)
    everything = current + archived
    window = everything[first : first + size]
    body = {
        "success": True,
        "data": window,
        "additional_data": {
            "pagination": pagination(first, size, len(window), len(everything) > first + size)
        },
    }
    return (yield from custom_fields.decode(ctx, "lead", body))


def add_lead(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs["lead"]
    return (yield from write_item(ctx, LEADS, _body(fields), fields.get("custom_fields"), "lead"))


def update_lead(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs.get("lead") or {}
    return (
        yield from write_item(
            ctx, LEADS, _body(fields), fields.get("custom_fields"), "lead", item_id=inputs["id"]
        )
    )


def delete_lead(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from delete_item(ctx, LEADS, inputs["id"]))


def get_lead(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from get_item(ctx, LEADS, inputs["id"]))


def search_leads(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params = pick(inputs, "term", "fields", "exact_match", "person_id", "organization_id", "include_fields")
    return (yield from search_items(ctx, LEADS, params, inputs.get("start", 0), inputs.get("limit")))


ACTIONS = (
    Action(
        name="getLeads",
        title="Get all leads",
        description="Returns multiple leads, sorted by creation time from oldest to newest. "
        "Leads inherit the deal custom fields.",
        resource="leads",
        properties=(
            limit(),
            start(),
            select(
                "archived_status",
                "Archived Status",
                "Filtering based on the archived status of a lead (default: not archived). Pipedrive "
                "lists archived leads at /v1/leads/archived; all joins both lists.",
                S,
                ("Archived", "archived"),
                ("Not archived", "not_archived"),
                ("All", "all"),
            ),
            loaded(
                "owner_id",
                "Owner Id",
                "users",
                "Leads owned by the given user. filter_id takes precedence over owner_id.",
            ),
            loaded(
                "person_id",
                "Person Id",
                "persons",
                "Only leads linked to the given person. filter_id takes precedence over person_id.",
            ),
            integer(
                "organization_id",
                "Organization Id",
                "Only leads linked to the given organization. filter_id takes precedence.",
            ),
            loaded("filter_id", "Filter Id", "lead_filters", "Filter to use."),
            select(
                "sort",
                "Sort",
                "The field to sort by.",
                S,
                *[(name.replace("_", " ").capitalize(), name) for name in SORT_OPTIONS],
            ),
        ),
        execute=get_leads,
        read_only=True,
        output_schema=outputs.many(outputs.LEAD),
    ),
    Action(
        name="addLead",
        title="Add a lead",
        description="Creates a lead. A lead always has to be linked to a person or an organization or both.",
        resource="leads",
        properties=(obj("lead", "Add Lead Request", "The lead to add.", *_lead_fields(True), required=True),),
        execute=add_lead,
        output_schema=outputs.one(outputs.LEAD),
        body_property="lead",
    ),
    Action(
        name="deleteLead",
        title="Delete a lead",
        description="Deletes a specific lead.",
        resource="leads",
        properties=(lead_id("ID (UUID) of the lead to delete."),),
        execute=delete_lead,
        destructive=True,
        output_schema=outputs.deleted("string"),
    ),
    Action(
        name="getLeadDetails",
        title="Get one lead",
        description="Returns details of a specific lead. Custom fields are shown by name.",
        resource="leads",
        properties=(lead_id("ID (UUID) of the lead."),),
        execute=get_lead,
        read_only=True,
        output_schema=outputs.one(outputs.LEAD),
    ),
    Action(
        name="searchLeads",
        title="Search leads",
        description="Searches all leads by title, notes and/or custom fields. "
        "Found leads can be filtered by the person ID and the organization ID.",
        resource="leads",
        properties=(
            term(),
            select(
                "fields",
                "Fields",
                "The fields to search in, comma-separated (e.g. title,notes). Defaults to all of them.",
                S,
                ("Custom fields", "custom_fields"),
                ("Notes", "notes"),
                ("Title", "title"),
                comma_separated=True,
            ),
            exact_match(),
            loaded("person_id", "Person Id", "persons", "Will filter leads by the provided person ID."),
            integer(
                "organization_id", "Organization Id", "Will filter leads by the provided organization ID."
            ),
            select(
                "include_fields",
                "Include Fields",
                "Supports including optional fields in the results which are not provided by default.",
                S,
                ("Lead was_seen", "lead.was_seen"),
            ),
            start(),
            limit(),
        ),
        execute=search_leads,
        read_only=True,
        output_schema=outputs.search(),
        checks=(check_search_term,),
    ),
    Action(
        name="updateLead",
        title="Update a lead",
        description="Updates a lead; only the given fields change.",
        resource="leads",
        properties=(
            lead_id("ID (UUID) of the lead to update."),
            obj("lead", "Update Lead Request", "The fields to change.", *_lead_fields(False), required=True),
        ),
        execute=update_lead,
        output_schema=outputs.one(outputs.LEAD),
        extra=True,
        body_property="lead",
    ),
)
