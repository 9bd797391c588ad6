"""Activity actions (beyond the seed): add, get, list, update and delete."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.flows import (
    Entity,
    delete_item,
    get_item,
    list_items,
    pick,
    write_item,
)
from pipedrive_connector.component.actions.props import (
    S,
    boolean,
    date,
    integer,
    limit,
    loaded,
    obj,
    record_id,
    start,
    text,
    time,
)
from pipedrive_connector.component.calls import Flow
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.model import Action, Property

ACTIVITIES = Entity("activity", "/v1/activities", "/api/v2/activities")


def _fields(subject_required: bool) -> tuple[Property, ...]:
    return (
        text("subject", "Subject", "The subject of the activity.", required=subject_required, min_length=1),
        text(
            "type",
            "Type",
            "The type key of the activity (call, meeting, task, deadline, email, lunch).",
            min_length=1,
        ),
        date("due_date", "Due Date", "The due date of the activity (YYYY-MM-DD)."),
        time("due_time", "Due Time", "The due time of the activity in UTC (HH:MM)."),
        time("duration", "Duration", "The duration of the activity (HH:MM)."),
        loaded("user_id", "User ID", "users", "The user who owns the activity (default: you)."),
        loaded("deal_id", "Deal ID", "deals", "The deal this activity is linked to."),
        loaded("lead_id", "Lead ID", "leads", "The lead (UUID) this activity is linked to.", type=S),
        loaded("person_id", "Person ID", "persons", "The person this activity is linked to."),
        loaded("org_id", "Organization ID", "organizations", "The organization this activity is linked to."),
        text("note", "Note", "The note of the activity (HTML)."),
        text("public_description", "Public Description", "Additional details shared with attendees."),
        text("location", "Location", "The address of the activity."),
        boolean("busy_flag", "Busy", "Whether the activity marks the user as busy in the calendar."),
        boolean("done", "Done", "Whether the activity is done."),
    )


def _body(ctx: ActionContext, fields: dict[str, Any]) -> dict[str, Any]:
    body = pick(
        fields,
        "subject",
        "type",
        "due_date",
        "due_time",
        "duration",
        "user_id",
        "deal_id",
        "lead_id",
        "person_id",
        "org_id",
        "note",
        "public_description",
        "location",
        "busy_flag",
        "done",
    )
    if ctx.v2:
        if "user_id" in body:
            body["owner_id"] = body.pop("user_id")
        if "busy_flag" in body:
            body["busy"] = body.pop("busy_flag")
        if "location" in body:
            body["location"] = {"value": body["location"]}
        if "person_id" in body:  # v2: the person is set through the primary participant
            body["participants"] = [{"person_id": body.pop("person_id"), "primary": True}]
    elif "done" in body:
        body["done"] = 1 if body["done"] else 0
    return body


def get_activities(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params_v1 = pick(inputs, "user_id", "filter_id", "type", "start_date", "end_date")
    if inputs.get("done") is not None:
        params_v1["done"] = 1 if inputs["done"] else 0
    params_v2 = pick(inputs, "filter_id", "deal_id", "person_id", "org_id", "done")
    if inputs.get("user_id") is not None:
        params_v2["owner_id"] = inputs["user_id"]
    return (
        yield from list_items(
            ctx, ACTIVITIES, params_v1, params_v2, inputs.get("start", 0), inputs.get("limit")
        )
    )


def add_activity(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from write_item(ctx, ACTIVITIES, _body(ctx, inputs["activity"]), None, "activity"))


def update_activity(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (
        yield from write_item(
            ctx, ACTIVITIES, _body(ctx, inputs.get("activity") or {}), None, "activity", item_id=inputs["id"]
        )
    )


def get_activity(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from get_item(ctx, ACTIVITIES, inputs["id"]))


def delete_activity(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from delete_item(ctx, ACTIVITIES, inputs["id"]))


ACTIONS = (
    Action(
        name="getActivities",
        title="Get all activities",
        description="Returns activities, page by page.",
        resource="activities",
        properties=(
            loaded("user_id", "User Id", "users", "Activities owned by the given user."),
            loaded("filter_id", "Filter Id", "activity_filters", "Filter to use."),
            loaded("deal_id", "Deal Id", "deals", "Only activities linked to this deal (API v2 mode)."),
            loaded("person_id", "Person Id", "persons", "Only activities of this person (API v2 mode)."),
            integer("org_id", "Organization Id", "Only activities of this organization (API v2 mode)."),
            boolean("done", "Done", "Only done (true) or not done (false) activities."),
            start(),
            limit(),
        ),
        execute=get_activities,
        read_only=True,
        output_schema=outputs.many(outputs.ACTIVITY),
        extra=True,
    ),
    Action(
        name="addActivity",
        title="Add an activity",
        description="Adds a new activity.",
        resource="activities",
        properties=(
            obj("activity", "Add Activity Request", "The activity to add.", *_fields(True), required=True),
        ),
        execute=add_activity,
        output_schema=outputs.one(outputs.ACTIVITY),
        extra=True,
        body_property="activity",
    ),
    Action(
        name="getActivity",
        title="Get details of an activity",
        description="Returns the details of an activity.",
        resource="activities",
        properties=(record_id("activity", "ID of the activity."),),
        execute=get_activity,
        read_only=True,
        output_schema=outputs.one(outputs.ACTIVITY),
        extra=True,
    ),
    Action(
        name="updateActivity",
        title="Update an activity",
        description="Updates an activity; only the given fields change.",
        resource="activities",
        properties=(
            record_id("activity", "ID of the activity to update."),
            obj(
                "activity", "Update Activity Request", "The fields to change.", *_fields(False), required=True
            ),
        ),
        execute=update_activity,
        output_schema=outputs.one(outputs.ACTIVITY),
        extra=True,
        body_property="activity",
    ),
    Action(
        name="deleteActivity",
        title="Delete an activity",
        description="Marks an activity as deleted.",
        resource="activities",
        properties=(record_id("activity", "ID of the activity to delete."),),
        execute=delete_activity,
        destructive=True,
        output_schema=outputs.deleted(),
        extra=True,
    ),
)
