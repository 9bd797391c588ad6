"""Deal actions beyond CRUD: duplicate, merge, activities, participants, stage moves, won and lost."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.activities import ACTIVITIES
from pipedrive_connector.component.actions.deals import DEALS
from pipedrive_connector.component.actions.flows import (
    Entity,
    _forget_cursors,
    list_items,
    pick,
    sub_path,
    write_item,
)
from pipedrive_connector.component.actions.props import (
    boolean,
    integer,
    limit,
    loaded,
    record_id,
    start,
    text,
)
from pipedrive_connector.component.calls import Flow, request
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.custom_fields import decode
from pipedrive_connector.component.model import Action, Property


def merge_into(kind: str, collection: str) -> Any:
    """The flow of ``merge<Kind>s``: ``id`` is merged into ``merge_with_id`` (v1: PUT .../{id}/merge)."""

    def merge(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
        path = sub_path(f"/v1/{collection}/{{id}}/merge", id=inputs["id"])
        _forget_cursors(ctx)
        body = yield from request("PUT", path, json={"merge_with_id": inputs["merge_with_id"]})
        return (yield from decode(ctx, kind, body))

    return merge


def merge_properties(kind: str, loader: str) -> tuple[Property, ...]:
    return (
        integer("id", "Id", f"ID of the {kind} merged away (it is deleted).", required=True, minimum=1),
        loaded(
            "merge_with_id",
            "Merge With Id",
            loader,
            f"ID of the {kind} that survives the merge.",
            required=True,
            minimum=1,
        ),
    )


def duplicate_deal(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    _forget_cursors(ctx)
    body = yield from request("POST", sub_path("/v1/deals/{id}/duplicate", id=inputs["id"]))
    return (yield from decode(ctx, "deal", body))


def get_deal_activities(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    done = inputs.get("done")
    if ctx.v2:
        params: dict[str, Any] = {"deal_id": inputs["id"], "done": done}
        return (
            yield from list_items(
                ctx, ACTIVITIES, params, params, inputs.get("start", 0), inputs.get("limit")
            )
        )
    path = sub_path("/v1/deals/{id}/activities", id=inputs["id"])
    v1 = Entity("activity", path, None)
    params = {} if done is None else {"done": 1 if done else 0}
    return (yield from list_items(ctx, v1, params, params, inputs.get("start", 0), inputs.get("limit")))


def get_deal_participants(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    path = sub_path("/v1/deals/{id}/participants", id=inputs["id"])
    return (
        yield from list_items(
            ctx, Entity("participant", path, None), {}, {}, inputs.get("start", 0), inputs.get("limit")
        )
    )


def add_deal_participant(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    path = sub_path("/v1/deals/{id}/participants", id=inputs["id"])
    body: dict[str, Any] = yield from request("POST", path, json={"person_id": inputs["person_id"]})
    return body


def update_fields(build: Any) -> Any:
    """A deal update whose body ``build(inputs)`` makes (stage moves, won, lost)."""

    def update(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
        return (yield from write_item(ctx, DEALS, build(inputs), None, "deal", item_id=inputs["id"]))

    return update


def _lost(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"status": "lost", **pick(inputs, "lost_reason")}


def _deal(description: str) -> Property:
    return record_id("deal", description)


ACTIONS = (
    Action(
        name="duplicateDeal",
        title="Duplicate a deal",
        description="Copies a deal (API v1 in both modes: v2 has no duplicate).",
        resource="deals",
        properties=(_deal("ID of the deal to copy."),),
        execute=duplicate_deal,
        output_schema=outputs.one(outputs.DEAL),
        extra=True,
    ),
    Action(
        name="mergeDeals",
        title="Merge two deals",
        description="Merges deal id into merge_with_id; id is deleted, its data moves to the survivor.",
        resource="deals",
        properties=merge_properties("deal", "deals"),
        execute=merge_into("deal", "deals"),
        output_schema=outputs.one(outputs.DEAL),
        extra=True,
        destructive=True,
    ),
    Action(
        name="getDealActivities",
        title="Get the activities of a deal",
        description="Returns the activities linked to a deal.",
        resource="deals",
        properties=(
            _deal("ID of the deal."),
            boolean("done", "Done", "Only done (true) or not done (false) activities."),
            start(),
            limit(),
        ),
        execute=get_deal_activities,
        output_schema=outputs.many(outputs.ACTIVITY),
        extra=True,
        read_only=True,
    ),
    Action(
        name="getDealParticipants",
        title="Get the participants of a deal",
        description="Returns the persons participating in a deal.",
        resource="deals",
        properties=(_deal("ID of the deal."), start(), limit()),
        execute=get_deal_participants,
        output_schema=outputs.many(outputs.PARTICIPANT),
        extra=True,
        read_only=True,
    ),
    Action(
        name="addDealParticipant",
        title="Add a participant to a deal",
        description="Adds a person as a participant of a deal.",
        resource="deals",
        properties=(
            _deal("ID of the deal."),
            loaded("person_id", "Person ID", "persons", "The person to add.", required=True, minimum=1),
        ),
        execute=add_deal_participant,
        output_schema=outputs.one(outputs.PARTICIPANT),
        extra=True,
    ),
    Action(
        name="moveDealToStage",
        title="Move a deal to a stage",
        description="Moves a deal to another stage (of its pipeline or another one).",
        resource="deals",
        properties=(
            _deal("ID of the deal to move."),
            loaded("pipeline_id", "Pipeline ID", "pipelines", "Narrows the stage options to one pipeline."),
            loaded(
                "stage_id",
                "Stage ID",
                "stages",
                "The stage to move the deal into.",
                depends_on=("pipeline_id",),
                required=True,
                minimum=1,
            ),
        ),
        execute=update_fields(lambda inputs: {"stage_id": inputs["stage_id"]}),
        output_schema=outputs.one(outputs.DEAL),
        extra=True,
    ),
    Action(
        name="markDealWon",
        title="Mark a deal as won",
        description="Sets the status of a deal to won.",
        resource="deals",
        properties=(_deal("ID of the deal."),),
        execute=update_fields(lambda inputs: {"status": "won"}),
        output_schema=outputs.one(outputs.DEAL),
        extra=True,
    ),
    Action(
        name="markDealLost",
        title="Mark a deal as lost",
        description="Sets the status of a deal to lost, with the reason why.",
        resource="deals",
        properties=(_deal("ID of the deal."), text("lost_reason", "Lost Reason", "Why the deal was lost.")),
        execute=update_fields(_lost),
        output_schema=outputs.one(outputs.DEAL),
        extra=True,
    ),
)
