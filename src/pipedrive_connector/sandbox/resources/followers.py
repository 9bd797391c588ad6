"""Followers of an entity (v2 list/add/delete/changelog, v1 list/add/delete), for any followed kind.

``follower_routes("product", "products", "Product")`` serves ``/products/{id}/followers``. A follower
is a ``follower`` record ``{object_type, object_id, user_id, add_time}``; every add and removal is
also logged as a ``followerChange`` record for the v2 changelog. In v2 ``{follower_id}`` is the
user's id; in v1 it is the follower record's id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
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
from pipedrive_connector.sandbox.resources.entity import check_user
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import (
    coerce_v1_int,
    path_int,
    read_json_object,
    read_v1_body,
)

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

FOLLOWER = "follower"
CHANGE = "followerChange"


class Followers:
    def __init__(self, kind: str, plural: str, label: str) -> None:
        self.kind = kind
        self.plural = plural
        self.label = label

    def _object(self, state: SandboxState, request: Request) -> int:
        object_id = path_int(request)
        record = state.store.get(self.kind, object_id)
        if record is None or record.get("is_deleted"):
            raise not_found(f"{self.label} not found")
        return object_id

    def _where(self, object_id: int) -> dict[str, Any]:
        return {"object_type": self.kind, "object_id": object_id}

    def _find(self, state: SandboxState, object_id: int, user_id: int) -> Record | None:
        found = state.store.query(FOLLOWER, where={**self._where(object_id), "user_id": user_id}, limit=1)
        return found[0] if found else None

    def _add(self, state: SandboxState, request: Request, object_id: int, user_id: int) -> Record:
        check_user(state, "user_id", user_id)
        if self._find(state, object_id, user_id) is not None:
            raise bad_request(f"User {user_id} already follows this {self.kind}")
        now = now_iso(state)
        with state.db_lock:
            record = {"id": state.store.next_id(FOLLOWER), **self._where(object_id)}
            record.update(user_id=user_id, add_time=now)
            state.store.put(FOLLOWER, record)
            self._log(state, request, object_id, "added", user_id, now)
        return record

    def _remove(self, state: SandboxState, request: Request, record: Record) -> None:
        with state.db_lock:
            state.store.remove(FOLLOWER, record["id"])
            self._log(state, request, record["object_id"], "removed", record["user_id"], now_iso(state))

    def _log(
        self, state: SandboxState, request: Request, object_id: int, action: str, user_id: int, now: str
    ) -> None:
        change = {"id": state.store.next_id(CHANGE), **self._where(object_id)}
        change.update(
            action=action, actor_user_id=principal(request).user_id, follower_user_id=user_id, time=now
        )
        state.store.put(CHANGE, change)

    def v1_shape(self, record: Record) -> dict[str, Any]:
        return {
            "id": record["id"],
            f"{self.kind}_id": record["object_id"],
            "user_id": record["user_id"],
            "add_time": timefmt.v1(record["add_time"]),
        }

    # ---- v2 ----

    async def v2_list(self, request: Request) -> Response:
        state = sandbox(request)
        object_id = self._object(state, request)
        page, cursor = query_page(
            state.store, FOLLOWER, request, where=self._where(object_id), sort_fields=("id",)
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
        record = self._find(state, object_id, user_id)
        if record is None:
            raise not_found(f"User {user_id} does not follow this {self.kind}")
        self._remove(state, request, record)
        return ok({"user_id": user_id})

    async def v2_changelog(self, request: Request) -> Response:
        state = sandbox(request)
        object_id = self._object(state, request)
        page, cursor = query_page(
            state.store, CHANGE, request, where=self._where(object_id), sort_fields=("id",)
        )
        keys = ("action", "actor_user_id", "follower_user_id", "time")
        return ok([{key: r[key] for key in keys} for r in page], additional_data={"next_cursor": cursor})

    # ---- v1 ----

    async def v1_list(self, request: Request) -> Response:
        state = sandbox(request)
        object_id = self._object(state, request)
        start, limit = offset_window(request)
        rows = state.store.query(FOLLOWER, where=self._where(object_id), offset=start, limit=limit + 1)
        page, pagination = offset_result(start, limit, rows)
        return ok([self.v1_shape(r) for r in page], additional_data={"pagination": pagination})

    async def v1_add(self, request: Request) -> Response:
        state = sandbox(request)
        body = await read_v1_body(request)
        user_id = coerce_v1_int("user_id", body.get("user_id"), nullable=False)
        assert user_id is not None
        record = self._add(state, request, self._object(state, request), user_id)
        return ok(self.v1_shape(record), status=201)

    async def v1_delete(self, request: Request) -> Response:
        state = sandbox(request)
        object_id = self._object(state, request)
        record = state.store.get(FOLLOWER, path_int(request, "follower_id"))
        if record is None or record.get("object_type") != self.kind or record["object_id"] != object_id:
            raise not_found("Follower not found")
        self._remove(state, request, record)
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
