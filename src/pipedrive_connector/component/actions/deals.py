"""Deal actions: the seed's five (getDeals, addDeal, searchDeals, deleteDeal, getDealDetails) + updateDeal."""

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
    me,
    pick,
    search_items,
    v2_sort,
    write_item,
)
from pipedrive_connector.component.actions.props import (
    SORT_DESCRIPTION,
    N,
    custom_fields,
    date,
    exact_match,
    integer,
    limit,
    loaded,
    number,
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
from pipedrive_connector.component.model import Action, Property, PropertyType

DEALS = Entity("deal", "/v1/deals", "/api/v2/deals", "/api/v2/deals/search")
BODY_FIELDS = (
    "title",
    "value",
    "currency",
    "user_id",
    "person_id",
    "org_id",
    "pipeline_id",
    "stage_id",
    "status",
    "expected_close_date",
    "probability",
    "lost_reason",
    "visible_to",
)


def _deal_fields(title_required: bool) -> tuple[Property, ...]:
    return (
        text("title", "Title", "The title of the deal.", required=title_required, min_length=1),
        number("value", "Value", "The value of the deal."),
        loaded(
            "currency",
            "Currency",
            "currencies",
            "The currency of the deal (ISO 4217 code). If omitted, the user's default currency is used.",
            type=PropertyType.STRING,
        ),
        loaded(
            "user_id",
            "User ID",
            "users",
            "ID of the user who will own the deal. If omitted, the user making the request.",
        ),
        loaded(
            "person_id",
            "Person ID",
            "persons",
            "ID of the person this deal will be linked to. Required unless org_id is given.",
        ),
        loaded(
            "org_id",
            "Organization ID",
            "organizations",
            "ID of the organization this deal will be linked to. Required unless person_id is given.",
        ),
        loaded(
            "pipeline_id",
            "Pipeline ID",
            "pipelines",
            "ID of the pipeline this deal will be added to (first stage). Ignored when stage_id is given.",
        ),
        loaded(
            "stage_id",
            "Stage ID",
            "stages",
            "Stage this deal will be added to; sets the pipeline. Options follow the chosen pipeline.",
            depends_on=("pipeline_id",),
        ),
        select(
            "status",
            "Status",
            "The status of the deal.",
            PropertyType.STRING,
            ("Open", "open"),
            ("Won", "won"),
            ("Lost", "lost"),
        ),
        date("expected_close_date", "Expected Close Date", "The expected close date of the deal."),
        number(
            "probability",
            "Probability",
            "The success probability percentage of the deal (when the pipeline has deal probability on).",
            minimum=0,
            maximum=100,
        ),
        text("lost_reason", "Lost Reason", "The optional message about why the deal was lost."),
        visible_to("deal"),
        custom_fields("deal"),
    )


def _body(ctx: ActionContext, fields: dict[str, Any]) -> dict[str, Any]:
    body = pick(fields, *BODY_FIELDS)
    if ctx.v2:
        if "user_id" in body:
            body["owner_id"] = body.pop("user_id")
        if "visible_to" in body:
            body["visible_to"] = int(body["visible_to"])
    elif "value" in body:
        body["value"] = str(body["value"])
    return body


def get_deals(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params_v1 = pick(inputs, "user_id", "filter_id", "stage_id", "status", "sort", "owned_by_you")
    params_v2: dict[str, Any] = pick(inputs, "filter_id", "stage_id")
    if inputs.get("user_id") is not None:
        params_v2["owner_id"] = inputs["user_id"]
    if inputs.get("owned_by_you") == 1:  # v2 has no owned_by_you: it means "owner = the current user"
        params_v2["owner_id"] = (yield from me(ctx)).get("id")
    status = inputs.get("status")
    if status and status != "all_not_deleted":
        params_v2["status"] = status
    params_v2.update(v2_sort(inputs.get("sort")) if ctx.v2 else {})
    return (
        yield from list_items(ctx, DEALS, params_v1, params_v2, inputs.get("start", 0), inputs.get("limit"))
    )


def add_deal(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs["deal"]
    return (yield from write_item(ctx, DEALS, _body(ctx, fields), fields.get("custom_fields"), "deal"))


def update_deal(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs.get("deal") or {}
    return (
        yield from write_item(
            ctx, DEALS, _body(ctx, fields), fields.get("custom_fields"), "deal", item_id=inputs["id"]
        )
    )


def search_deals(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params = pick(
        inputs, "term", "fields", "exact_match", "person_id", "organization_id", "status", "include_fields"
    )
    return (yield from search_items(ctx, DEALS, params, inputs.get("start", 0), inputs.get("limit")))


def delete_deal(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from delete_item(ctx, DEALS, inputs["id"]))


def get_deal(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from get_item(ctx, DEALS, inputs["id"]))


ACTIONS = (
    Action(
        name="getDeals",
        title="Get all deals",
        description="Returns all deals (not archived), page by page.",
        resource="deals",
        properties=(
            loaded(
                "user_id",
                "User Id",
                "users",
                "Deals owned by the given user. filter_id and owned_by_you take precedence over user_id.",
            ),
            loaded("filter_id", "Filter Id", "deal_filters", "ID of the filter to use."),
            loaded("stage_id", "Stage Id", "stages", "Deals within the given stage will be returned."),
            select(
                "status",
                "Status",
                "Only fetch deals with a specific status. deleted includes deals deleted up to 30 days ago.",
                PropertyType.STRING,
                ("Open", "open"),
                ("Won", "won"),
                ("Lost", "lost"),
                ("Deleted", "deleted"),
                ("All not deleted", "all_not_deleted"),
                default="all_not_deleted",
            ),
            start(),
            limit(),
            sort_text(SORT_DESCRIPTION),
            select(
                "owned_by_you",
                "Number Boolean",
                "When 1, only deals owned by the current user are returned (takes precedence over user_id).",
                N,
                ("No", 0),
                ("Yes", 1),
            ),
        ),
        execute=get_deals,
        read_only=True,
        output_schema=outputs.many(outputs.DEAL),
        checks=(check_v2_sort,),
    ),
    Action(
        name="addDeal",
        title="Add a deal",
        description="Adds a new deal. Custom fields can be given by name in custom_fields.",
        resource="deals",
        properties=(obj("deal", "Add Deal Request", "The deal to add.", *_deal_fields(True), required=True),),
        execute=add_deal,
        output_schema=outputs.one(outputs.DEAL),
        body_property="deal",
    ),
    Action(
        name="searchDeals",
        title="Search deals",
        description="Searches all deals by title, notes and/or custom fields. "
        "Found deals can be filtered by the person ID and the organization ID.",
        resource="deals",
        properties=(
            term(),
            select(
                "fields",
                "Fields",
                "The fields to search in, comma-separated (e.g. title,notes). Defaults to all of them.",
                PropertyType.STRING,
                ("Custom fields", "custom_fields"),
                ("Notes", "notes"),
                ("Title", "title"),
                comma_separated=True,
            ),
            exact_match(),
            loaded("person_id", "Person Id", "persons", "Will filter deals by the provided person."),
            integer("organization_id", "Organization Id", "Will filter deals by the provided organization."),
            select(
                "status",
                "Status",
                "Will filter deals by the provided specific status.",
                PropertyType.STRING,
                ("Open", "open"),
                ("Won", "won"),
                ("Lost", "lost"),
            ),
            select(
                "include_fields",
                "Include Fields",
                "Supports including optional fields in the results which are not provided by default.",
                PropertyType.STRING,
                ("Deal cc_email", "deal.cc_email"),
            ),
            start(),
            limit(),
        ),
        execute=search_deals,
        read_only=True,
        output_schema=outputs.search(),
        checks=(check_search_term,),
    ),
    Action(
        name="deleteDeal",
        title="Delete a deal",
        description="Marks a deal as deleted. After 30 days, the deal will be permanently deleted.",
        resource="deals",
        properties=(record_id("deal", "ID of the deal to delete."),),
        execute=delete_deal,
        destructive=True,
        output_schema=outputs.deleted(),
    ),
    Action(
        name="getDealDetails",
        title="Get details of a deal",
        description="Returns the details of a specific deal. Custom fields are shown by name.",
        resource="deals",
        properties=(record_id("deal", "ID of the deal to get details of."),),
        execute=get_deal,
        read_only=True,
        output_schema=outputs.one(outputs.DEAL),
    ),
    Action(
        name="updateDeal",
        title="Update a deal",
        description="Updates the properties of a deal; only the given fields change.",
        resource="deals",
        properties=(
            record_id("deal", "ID of the deal to update."),
            obj("deal", "Update Deal Request", "The fields to change.", *_deal_fields(False), required=True),
        ),
        execute=update_deal,
        output_schema=outputs.one(outputs.DEAL),
        extra=True,
        body_property="deal",
    ),
)
