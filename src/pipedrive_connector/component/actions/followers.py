"""Followers of deals, persons, organizations and products: one declaration per operation, the object
type is a property. v2 identifies a follower by its user id; in v1 mode removeFollower looks up the
follower record of that user first (v1 deletes by the record's id)."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.flows import Entity, _forget_cursors, list_items, sub_path
from pipedrive_connector.component.actions.props import S, integer, limit, loaded, select, start
from pipedrive_connector.component.calls import Flow, request
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.errors import ValidationError
from pipedrive_connector.component.model import Action, Property
from pipedrive_connector.component.paging import v1_all

COLLECTIONS = {"deal": "deals", "person": "persons", "organization": "organizations", "product": "products"}


def _base(ctx: ActionContext, inputs: dict[str, Any]) -> str:
    prefix = "/api/v2" if ctx.v2 else "/v1"
    return sub_path(f"{prefix}/{COLLECTIONS[inputs['object_type']]}/{{id}}/followers", id=inputs["id"])


def _object_props() -> tuple[Property, ...]:
    return (
        select(
            "object_type",
            "Object Type",
            "What kind of record the followers are of.",
            S,
            *((kind.capitalize(), kind) for kind in COLLECTIONS),
            required=True,
        ),
        integer("id", "Id", "ID of the deal, person, organization or product.", required=True, minimum=1),
    )


def _user() -> Property:
    return loaded("user_id", "User ID", "users", "The user who follows.", required=True, minimum=1)


def get_followers(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    path = _base(ctx, inputs)
    entity = Entity("follower", path, path)
    return (yield from list_items(ctx, entity, {}, {}, inputs.get("start", 0), inputs.get("limit")))


def add_follower(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    _forget_cursors(ctx)
    body: dict[str, Any] = yield from request("POST", _base(ctx, inputs), json={"user_id": inputs["user_id"]})
    return body


def remove_follower(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    base = _base(ctx, inputs)
    follower_id = inputs["user_id"]
    if not ctx.v2:
        followers = yield from v1_all(base, paged=True)
        record = next((f for f in followers if isinstance(f, dict) and f.get("user_id") == follower_id), None)
        if record is None:
            raise ValidationError(
                "user_id", f"user {follower_id} does not follow this {inputs['object_type']}"
            )
        follower_id = record["id"]
    _forget_cursors(ctx)
    body = yield from request("DELETE", sub_path(f"{base}/{{follower_id}}", follower_id=follower_id))
    data = body.get("data")
    return {
        "success": bool(body.get("success", True)),
        "data": data if isinstance(data, dict) else {"user_id": inputs["user_id"]},
    }


ACTIONS = (
    Action(
        name="getFollowers",
        title="Get followers",
        description="Lists the users following a deal, person, organization or product.",
        resource="followers",
        properties=(*_object_props(), start(), limit()),
        execute=get_followers,
        output_schema=outputs.many(outputs.FOLLOWER),
        extra=True,
        read_only=True,
    ),
    Action(
        name="addFollower",
        title="Add a follower",
        description="Makes a user follow a deal, person, organization or product.",
        resource="followers",
        properties=(*_object_props(), _user()),
        execute=add_follower,
        output_schema=outputs.one(outputs.FOLLOWER),
        extra=True,
    ),
    Action(
        name="removeFollower",
        title="Remove a follower",
        description="Stops a user following a deal, person, organization or product.",
        resource="followers",
        properties=(*_object_props(), _user()),
        execute=remove_follower,
        output_schema=outputs.deleted(),
        extra=True,
        destructive=True,
    ),
)
