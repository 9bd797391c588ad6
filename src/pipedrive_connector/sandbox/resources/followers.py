"""Followers of an entity (v2 list/add/delete/changelog, v1 list/add/delete), for any followed kind.

``Followers("product", "products", "Product").routes()`` serves ``/products/{id}/followers``. A
follower is a ``follower`` record ``{object_type, object_id, user_id, add_time}``; every add and
removal is also logged as a ``followerChange`` record for the v2 changelog. In v2 ``{follower_id}``
is the user's id; in v1 it is the follower record's id.

Deals, persons and organizations are followed by their creator from the start (``follow``, called
by the save hook below), which is what their v1 ``followers_count`` of 1 says; a merge hands the
merged record's followers to the survivor (``move_followers``). ``/users/{id}/followers`` lists the
users following a user: the sandbox has no way to follow a user, so it is empty for every user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import relations, timefmt
from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.errors import bad_request, not_found, validation_failed
from pipedrive_connector.sandbox.pagination import offset_result, offset_window, query_page
from pipedrive_connector.sandbox.resources.common import (
    now_iso,
    ok,
    principal,
    sandbox,
    v1_routes,
    v2_route,
)
from pipedrive_connector.sandbox.resources.entity import MERGE_HOOKS, SAVE_HOOKS, check_user
from pipedrive_connector.sandbox.resources.users import USER_NOT_FOUND_MESSAGE
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import (
    coerce_v1_int,
    path_int,
    read_json_object,
    read_v1_body,
)

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

FOLLOWER = relations.FOLLOWER
CHANGE = relations.FOLLOWER_CHANGE
# The v1 follower's key naming the followed record, where it is not "<kind>_id".
V1_OBJECT_KEYS = {"organization": "org_id"}
# Kinds whose creator follows a new record.
CREATOR_FOLLOWS = ("deal", "person", "organization")


INDEXED_LINKS = relations.FOLLOWED_COLUMNS


def _where(kind: str, object_id: int) -> dict[str, Any]:
    return {"object_type": kind, INDEXED_LINKS.get(kind, "object_id"): object_id}


def _link(kind: str, object_id: int) -> dict[str, Any]:
    """The fields naming the followed record on a follower or change record (lookups use ``_where``)."""
    return {
        "object_type": kind,
        "object_id": object_id,
        **({INDEXED_LINKS[kind]: object_id} if kind in INDEXED_LINKS else {}),
    }


def find_follower(state: SandboxState, kind: str, object_id: int, user_id: int) -> Record | None:
    found = state.store.query(FOLLOWER, where={**_where(kind, object_id), "user_id": user_id}, limit=1)
    return found[0] if found else None


def _log(state: SandboxState, kind: str, object_id: int, action: str, actor: int, user_id: int) -> None:
    change = {"id": state.store.next_id(CHANGE), **_link(kind, object_id)}
    change.update(action=action, actor_user_id=actor, follower_user_id=user_id, time=now_iso(state))
    state.store.put(CHANGE, change)


def follow(state: SandboxState, kind: str, object_id: int, user_id: int, actor: int) -> Record:
    """Make ``user_id`` follow the record (checked by the caller: it exists, the user is not following)."""
    with state.db_lock:
        record = {"id": state.store.next_id(FOLLOWER), **_link(kind, object_id)}
        record.update(user_id=user_id, add_time=now_iso(state))
        state.store.put(FOLLOWER, record)
        _log(state, kind, object_id, "added", actor, user_id)
    return record


def unfollow(state: SandboxState, record: Record, actor: int) -> None:
    with state.db_lock:
        state.store.remove(FOLLOWER, record["id"])
        _log(state, record["object_type"], record["object_id"], "removed", actor, record["user_id"])


def move_followers(state: SandboxState, kind: str, from_id: int, to_id: int, actor: int) -> None:
    """A merge: the merged record's followers follow the survivor (once each)."""
    for record in state.store.query(FOLLOWER, where=_where(kind, from_id)):
        if find_follower(state, kind, to_id, record["user_id"]) is None:
            follow(state, kind, to_id, record["user_id"], actor)
        unfollow(state, record, actor)


def _creator_follows(
    state: SandboxState, request: Request, kind: str, before: Record | None, record: Record, action: str
) -> None:
    if action != "create" or kind not in CREATOR_FOLLOWS:
        return
    creator = principal(request).user_id
    if state.store.get("user", creator) is not None:
        follow(state, kind, record["id"], creator, creator)


def _followers_follow_survivor(
    state: SandboxState, request: Request, kind: str, merged: Record, survivor: Record
) -> None:
    move_followers(state, kind, merged["id"], survivor["id"], principal(request).user_id)


SAVE_HOOKS.append(_creator_follows)
MERGE_HOOKS.append(_followers_follow_survivor)


class Followers:
    def __init__(self, kind: str, plural: str, label: str) -> None:
        self.kind = kind
        self.plural = plural
        self.label = label
        self.v1_key = V1_OBJECT_KEYS.get(kind, f"{kind}_id")

    def _object(self, state: SandboxState, request: Request) -> int:
        object_id = path_int(request)
        record = state.store.get(self.kind, object_id)
        if record is None or record.get("is_deleted"):
            raise not_found(f"{self.label} not found")
        return object_id

    def _add(self, state: SandboxState, request: Request, object_id: int, user_id: int) -> Record:
        check_user(state, "user_id", user_id)
        if find_follower(state, self.kind, object_id, user_id) is not None:
            raise bad_request(f"User {user_id} already follows this {self.kind}")
        return follow(state, self.kind, object_id, user_id, principal(request).user_id)

    def v1_shape(self, record: Record) -> dict[str, Any]:
        return {
            "id": record["id"],
            self.v1_key: record["object_id"],
            "user_id": record["user_id"],
            "add_time": timefmt.v1(record["add_time"]),
        }

    # ---- v2 ----

    async def v2_list(self, request: Request) -> Response:
        state = sandbox(request)
        object_id = self._object(state, request)
        page, cursor = query_page(
            state.store, FOLLOWER, request, where=_where(self.kind, object_id), sort_fields=("id",)
        )
        data = [{"user_id": r["user_id"], "add_time": r["add_time"]} for r in page]
        return ok(data, additional_data={"next_cursor": cursor})

    async def v2_add(self, request: Request) -> Response:
        state = sandbox(request)
        body = await read_json_object(request)
        user_id = body.get("user_id")
        if set(body) - {"user_id"}:
            extra = sorted(set(body) - {"user_id"})[0]
            raise validation_failed(extra, f"Parameter '{extra}' is not allowed for this request")
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            raise validation_failed("user_id", "Expected 'integer' as value")
        record = self._add(state, request, self._object(state, request), user_id)
        return ok({"user_id": record["user_id"], "add_time": record["add_time"]}, status=201)

    async def v2_delete(self, request: Request) -> Response:
        state = sandbox(request)
        object_id = self._object(state, request)
        user_id = path_int(request, "follower_id")
        record = find_follower(state, self.kind, object_id, user_id)
        if record is None:
            raise not_found(f"User {user_id} does not follow this {self.kind}")
        unfollow(state, record, principal(request).user_id)
        return ok({"user_id": user_id})

    async def v2_changelog(self, request: Request) -> Response:
        state = sandbox(request)
        object_id = self._object(state, request)
        page, cursor = query_page(
            state.store, CHANGE, request, where=_where(self.kind, object_id), sort_fields=("id",)
        )
        keys = ("action", "actor_user_id", "follower_user_id", "time")
        return ok([{key: r[key] for key in keys} for r in page], additional_data={"next_cursor": cursor})

    # ---- v1 ----

    async def v1_list(self, request: Request) -> Response:
        state = sandbox(request)
        object_id = self._object(state, request)
        start, limit = offset_window(request)
        rows = state.store.query(FOLLOWER, where=_where(self.kind, object_id), offset=start, limit=limit + 1)
        page, pagination = offset_result(start, limit, rows)
        return ok([self.v1_shape(r) for r in page], additional_data={"pagination": pagination})

    async def v1_add(self, request: Request) -> Response:
        state = sandbox(request)
        body = await read_v1_body(request)
        user_id = coerce_v1_int("user_id", body.get("user_id"), nullable=False)
        assert user_id is not None
        record = self._add(state, request, self._object(state, request), user_id)
        # The spec's own status: 201 for products, 200 for deals, persons and organizations.
        status = spec_data.response_status(f"POST /v1/{self.plural}/{{id}}/followers")
        return ok(self.v1_shape(record), status=status)

    async def v1_delete(self, request: Request) -> Response:
        state = sandbox(request)
        object_id = self._object(state, request)
        record = state.store.get(FOLLOWER, path_int(request, "follower_id"))
        if record is None or record.get("object_type") != self.kind or record["object_id"] != object_id:
            raise not_found("Follower not found")
        unfollow(state, record, principal(request).user_id)
        return ok({"id": record["id"]})

    def routes(self, *, v2: bool = True, v1: bool = True) -> list[BaseRoute]:
        base = f"/{self.plural}/{{id}}/followers"
        result: list[BaseRoute] = []
        if v2:
            result += [
                v2_route(f"{base}/changelog", self.v2_changelog, ["GET"]),
                v2_route(base, self.v2_list, ["GET"]),
                v2_route(base, self.v2_add, ["POST"]),
                v2_route(f"{base}/{{follower_id}}", self.v2_delete, ["DELETE"]),
            ]
        if v1:
            result += [
                *v1_routes(base, self.v1_list, ["GET"]),
                *v1_routes(base, self.v1_add, ["POST"]),
                *v1_routes(f"{base}/{{follower_id}}", self.v1_delete, ["DELETE"]),
            ]
        return result


# ---- users ----


def _user(state: SandboxState, request: Request) -> int:
    user_id = path_int(request)
    if state.store.get("user", user_id) is None:
        raise not_found(USER_NOT_FOUND_MESSAGE)
    return user_id


async def v2_user_followers(request: Request) -> Response:
    """``GET /api/v2/users/{id}/followers``: ``{user_id, add_time}`` items (none: see the docstring)."""
    state = sandbox(request)
    page, cursor = query_page(state.store, FOLLOWER, request, where=_where("user", _user(state, request)))
    data = [{"user_id": r["user_id"], "add_time": r["add_time"]} for r in page]
    return ok(data, additional_data={"next_cursor": cursor})


async def v1_user_followers(request: Request) -> Response:
    """``GET /v1/users/{id}/followers``: the followers' user ids."""
    state = sandbox(request)
    rows = state.store.query(FOLLOWER, where=_where("user", _user(state, request)))
    return ok([r["user_id"] for r in rows])


DEAL_FOLLOWERS = Followers("deal", "deals", "Deal")
PERSON_FOLLOWERS = Followers("person", "persons", "Person")
ORGANIZATION_FOLLOWERS = Followers("organization", "organizations", "Organization")


def routes() -> list[BaseRoute]:
    """Followers of deals, persons, organizations and users (products serve their own)."""
    return [
        *DEAL_FOLLOWERS.routes(),
        *PERSON_FOLLOWERS.routes(),
        *ORGANIZATION_FOLLOWERS.routes(),
        v2_route("/users/{id}/followers", v2_user_followers, ["GET"]),
        *v1_routes("/users/{id}/followers", v1_user_followers, ["GET"]),
    ]
