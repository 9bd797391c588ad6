"""Person actions: the seed's five + updatePerson and upsertPerson (find by email, else create)."""

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
from pipedrive_connector.component.actions.organizations import first_char_filter
from pipedrive_connector.component.actions.props import (
    SORT_DESCRIPTION,
    S,
    array,
    boolean,
    custom_fields,
    exact_match,
    integer,
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
from pipedrive_connector.component.errors import ValidationError
from pipedrive_connector.component.model import Action, Property

PERSONS = Entity("person", "/v1/persons", "/api/v2/persons", "/api/v2/persons/search")


def _contact(name: str, label: str, value_label: str, kinds: tuple[str, ...]) -> Property:
    return array(
        name,
        label,
        f"{label} addresses of the person." if name == "email" else "Phone numbers of the person.",
        obj(
            f"{name}_item",
            label,
            "",
            text("value", value_label, required=True, min_length=1),
            boolean("primary", "Primary", f"Whether this is the primary {label.lower()}."),
            select(
                "label",
                "Type",
                f"Type of the {label.lower()}.",
                S,
                *[(kind.capitalize(), kind) for kind in kinds],
            ),
        ),
        placeholder=f"Add to {label}",
    )


def _fields(name_required: bool) -> tuple[Property, ...]:
    return (
        text("name", "Name", "Person full name.", required=name_required, min_length=1),
        loaded(
            "owner_id", "Owner ID", "users", "ID of the user who will be marked as the owner of this person."
        ),
        loaded(
            "org_id", "Organization ID", "organizations", "ID of the organization this person will belong to."
        ),
        _contact("email", "Email", "Email Address", ("work", "home", "other")),
        _contact("phone", "Phone", "Phone Number", ("work", "home", "mobile", "other")),
        visible_to("person"),
        select(
            "marketing_status",
            "Marketing Status",
            "Marketing status (only with the Campaigns product).",
            S,
            ("No consent", "no_consent"),
            ("Unsubscribed", "unsubscribed"),
            ("Subscribed", "subscribed"),
            ("Archived", "archived"),
        ),
        custom_fields("person"),
    )


def _body(ctx: ActionContext, fields: dict[str, Any]) -> dict[str, Any]:
    body = pick(fields, "name", "owner_id", "org_id", "email", "phone", "visible_to", "marketing_status")
    if ctx.v2:
        if "email" in body:
            body["emails"] = body.pop("email")
        if "phone" in body:
            body["phones"] = body.pop("phone")
        if "visible_to" in body:
            body["visible_to"] = int(body["visible_to"])
    return body


def get_persons(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params_v1 = pick(inputs, "user_id", "filter_id", "first_char", "sort")
    params_v2 = pick(inputs, "filter_id")
    if inputs.get("user_id") is not None:
        params_v2["owner_id"] = inputs["user_id"]
    if ctx.v2:
        params_v2.update(v2_sort(inputs.get("sort")))
    keep = first_char_filter(inputs.get("first_char")) if ctx.v2 else None
    return (
        yield from list_items(
            ctx, PERSONS, params_v1, params_v2, inputs.get("start", 0), inputs.get("limit"), keep
        )
    )


def add_person(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs["person"]
    return (yield from write_item(ctx, PERSONS, _body(ctx, fields), fields.get("custom_fields"), "person"))


def update_person(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs.get("person") or {}
    return (
        yield from write_item(
            ctx, PERSONS, _body(ctx, fields), fields.get("custom_fields"), "person", item_id=inputs["id"]
        )
    )


def check_upsert(inputs: dict[str, Any], api_version: str) -> None:
    person = inputs.get("person") or {}
    if not any(e.get("value") for e in person.get("email") or []):
        raise ValidationError("person.email", "upsert needs at least one email address to match on")


def upsert_person(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs["person"]
    emails = [e["value"] for e in fields.get("email") or [] if e.get("value")]
    if not emails:
        raise ValidationError("person.email", "upsert needs at least one email address to match on")
    found = yield from search_items(
        ctx, PERSONS, {"term": emails[0], "fields": "email", "exact_match": True}, 0, 1
    )
    items = (found.get("data") or {}).get("items") or []
    existing = (items[0].get("item") or {}).get("id") if items else None
    if existing is None:
        if not fields.get("name"):
            raise ValidationError("person.name", "is required to create a person (no person has that email)")
        result = yield from write_item(
            ctx, PERSONS, _body(ctx, fields), fields.get("custom_fields"), "person"
        )
    else:
        result = yield from write_item(
            ctx, PERSONS, _body(ctx, fields), fields.get("custom_fields"), "person", item_id=existing
        )
    additional = dict(result.get("additional_data") or {})
    additional["created"] = existing is None
    return {**result, "additional_data": additional}


def search_persons(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params = pick(inputs, "term", "fields", "exact_match", "organization_id", "include_fields")
    return (yield from search_items(ctx, PERSONS, params, inputs.get("start", 0), inputs.get("limit")))


def delete_person(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from delete_item(ctx, PERSONS, inputs["id"]))


def get_person(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from get_item(ctx, PERSONS, inputs["id"]))


ACTIONS = (
    Action(
        name="getPersons",
        title="Get all persons",
        description="Returns all persons.",
        resource="persons",
        properties=(
            loaded(
                "user_id",
                "User Id",
                "users",
                "Persons owned by the given user. filter_id takes precedence over user_id.",
            ),
            loaded("filter_id", "Filter Id", "person_filters", "Filter to use."),
            text(
                "first_char",
                "First Char",
                "Persons whose name starts with the specified letter (case insensitive).",
                min_length=1,
            ),
            start(),
            limit(),
            sort_text(SORT_DESCRIPTION),
        ),
        execute=get_persons,
        read_only=True,
        output_schema=outputs.many(outputs.PERSON),
        checks=(check_v2_sort,),
    ),
    Action(
        name="addPerson",
        title="Add a person",
        description="Adds a new person. Custom fields can be given by name in custom_fields.",
        resource="persons",
        properties=(
            obj("person", "Add Person Request", "The person to add.", *_fields(True), required=True),
        ),
        execute=add_person,
        output_schema=outputs.one(outputs.PERSON),
        body_property="person",
    ),
    Action(
        name="searchPersons",
        title="Search persons",
        description="Searches all persons by name, email, phone, notes and/or custom fields. "
        "Found persons can be filtered by organization ID.",
        resource="persons",
        properties=(
            term(),
            select(
                "fields",
                "Fields",
                "The fields to search in, comma-separated (e.g. title,notes). Defaults to all of them.",
                S,
                ("Custom fields", "custom_fields"),
                ("Email", "email"),
                ("Notes", "notes"),
                ("Phone", "phone"),
                ("Name", "name"),
                comma_separated=True,
            ),
            exact_match(),
            integer(
                "organization_id", "Organization Id", "Will filter persons by the provided organization ID."
            ),
            select(
                "include_fields",
                "Include Fields",
                "Supports including optional fields in the results which are not provided by default.",
                S,
                ("Person picture", "person.picture"),
            ),
            start(),
            limit(),
        ),
        execute=search_persons,
        read_only=True,
        output_schema=outputs.search(),
        checks=(check_search_term,),
    ),
    Action(
        name="deletePerson",
        title="Delete a person",
        description="Marks a person as deleted. After 30 days, the person will be permanently deleted.",
        resource="persons",
        properties=(record_id("person", "ID of the person to delete."),),
        execute=delete_person,
        destructive=True,
        output_schema=outputs.deleted(),
    ),
    Action(
        name="getPersonDetails",
        title="Get details of a person",
        description="Returns the details of a person. Custom fields are shown by name.",
        resource="persons",
        properties=(record_id("person", "ID of the person to get details of."),),
        execute=get_person,
        read_only=True,
        output_schema=outputs.one(outputs.PERSON),
    ),
    Action(
        name="updatePerson",
        title="Update a person",
        description="Updates the properties of a person; only the given fields change.",
        resource="persons",
        properties=(
            record_id("person", "ID of the person to update."),
            obj("person", "Update Person Request", "The fields to change.", *_fields(False), required=True),
        ),
        execute=update_person,
        output_schema=outputs.one(outputs.PERSON),
        extra=True,
        body_property="person",
    ),
    Action(
        name="upsertPerson",
        title="Create or update a person by email",
        description="Finds a person by the first email address (exact match); updates it when found, "
        "creates it otherwise. additional_data.created tells which happened.",
        resource="persons",
        properties=(
            obj(
                "person",
                "Upsert Person Request",
                "The person; email is required to match on.",
                *_fields(False),
                required=True,
            ),
        ),
        execute=upsert_person,
        output_schema=outputs.one(outputs.PERSON),
        checks=(check_upsert,),
        extra=True,
        body_property="person",
    ),
)
