"""Products (v2 CRUD, search, duplicate, variations, followers; v1 followers, deals, permitted users)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import custom_fields
from pipedrive_connector.sandbox.engine.declared import (
    Ctx,
    Declaration,
    DeclaredResource,
    Filter,
    Hooks,
    Parent,
)
from pipedrive_connector.sandbox.errors import not_found, validation_failed
from pipedrive_connector.sandbox.pagination import offset_result, offset_window
from pipedrive_connector.sandbox.resources import deals, search
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes, v2_route
from pipedrive_connector.sandbox.resources.flow import permitted_user_ids
from pipedrive_connector.sandbox.resources.followers import Followers
from pipedrive_connector.sandbox.serializers.v1 import flat_ids
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import path_int

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

MAX_BILLING_CYCLES = 208
PRICE_KEYS = {
    "currency": "string",
    "price": "number",
    "cost": "number",
    "direct_cost": "number",
    "notes": "string",
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def prices(state: SandboxState, user_id: int, raw: Any) -> list[dict[str, Any]]:
    """Validated ``prices``: one per currency; omitted → a price of 0 in the user's default currency."""
    if raw is None:
        raw = [{"currency": deals.default_currency(state, user_id), "price": 0}]
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            raise validation_failed(
                "prices", "Each price must be an object {currency, price, cost, direct_cost}"
            )
        for key, value in item.items():
            expected = PRICE_KEYS.get(key)
            if expected is None:
                raise validation_failed("prices", f"Unknown price property '{key}'")
            if value is not None and not (
                _is_number(value) if expected == "number" else isinstance(value, str)
            ):
                raise validation_failed("prices", f"'{key}' must be a {expected}")
        currency = item.get("currency")
        if not currency:
            raise validation_failed("prices", "Each price needs a 'currency'")
        if currency in seen:
            raise validation_failed("prices", f"Only one price per currency ({currency} given twice)")
        seen.add(currency)
        result.append(
            {
                "price": item.get("price") or 0,
                "currency": currency,
                "cost": item.get("cost") or 0,
                "direct_cost": item.get("direct_cost") or 0,
                "notes": item.get("notes"),
            }
        )
    return result


def check_billing(record: Record) -> None:
    """Pipedrive's billing rules for products and deal products (from the spec's field descriptions)."""
    frequency = record.get("billing_frequency") or "one-time"
    cycles = record.get("billing_frequency_cycles")
    if frequency == "one-time" and cycles is not None:
        raise validation_failed("billing_frequency_cycles", "Must be null when billing_frequency is one-time")
    if frequency == "weekly" and cycles is None:
        raise validation_failed("billing_frequency_cycles", "Cannot be null when billing_frequency is weekly")
    if cycles is not None and not 1 <= cycles <= MAX_BILLING_CYCLES:
        raise validation_failed("billing_frequency_cycles", f"Must be between 1 and {MAX_BILLING_CYCLES}")


class ProductRules(Hooks):
    def defaults(self, ctx: Ctx) -> Record:
        return {
            "owner_id": ctx.user_id,
            "visible_to": 3,
            "is_linkable": True,
            "tax": 0,
            "billing_frequency": "one-time",
            "billing_frequency_cycles": None,
            "category": None,
            "custom_fields": {},
            "prices": prices(ctx.state, ctx.user_id, None),
        }

    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        if "name" in changes and not str(changes["name"] or "").strip():
            raise validation_failed("name", "The name of a product cannot be empty")
        if "prices" in changes:
            changes["prices"] = prices(ctx.state, ctx.user_id, changes["prices"])
        if changes.get("category") is not None:
            # The request takes a number, responses carry a string.
            changes["category"] = str(changes["category"])
        if "custom_fields" in changes:
            defs = custom_fields.custom_definitions(ctx.state.store, "product")
            values = custom_fields.validate_v2(defs, changes["custom_fields"] or {})
            changes["custom_fields"] = custom_fields.merge((before or {}).get("custom_fields") or {}, values)
        return changes

    def check(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        check_billing(record)

    def extra_v2(self, state: SandboxState, record: Record) -> dict[str, Any]:
        defs = custom_fields.custom_definitions(state.store, "product")
        return {
            "prices": [{"product_id": record["id"], **price} for price in record.get("prices") or []],
            "custom_fields": custom_fields.to_v2(defs, record.get("custom_fields") or {}),
        }


def _product_texts(state: SandboxState, record: Record) -> dict[str, list[str]]:
    return {
        "name": [record["name"]],
        "code": [record["code"]] if record.get("code") else [],
        "custom_fields": custom_fields.searchable_text(
            custom_fields.custom_definitions(state.store, "product"), record.get("custom_fields") or {}
        ),
    }


def _product_item(
    state: SandboxState, record: Record, include: tuple[str, ...], matched: list[str]
) -> dict[str, Any]:
    code = record.get("code")
    item: dict[str, Any] = {
        "id": record["id"],
        "type": "product",
        "name": record.get("name"),
        # The spec types the search item's code as an integer.
        "code": int(code) if isinstance(code, str) and code.isdigit() else code,
        "visible_to": record.get("visible_to"),
        "owner": {"id": record.get("owner_id")},
        "custom_fields": matched,
    }
    if "product.price" in include:
        item["prices"] = [{"product_id": record["id"], **price} for price in record.get("prices") or []]
    return item


PRODUCTS = DeclaredResource(
    Declaration(
        kind="product",
        label="Product",
        webhook="product",
        v2_path="/products",
        v2_ops=("search", "list", "add", "get", "update", "delete"),
        refs={"owner_id": "user"},
        filters={"owner_id": Filter("owner_id")},
        v2_sort=("id", "name", "add_time", "update_time"),
        searchable=search.Searchable(
            "product",
            ("code", "custom_fields", "name"),
            ("product.price",),
            _product_texts,
            _product_item,
            (),
        ),
        soft_delete=True,
        hooks=ProductRules(),
    )
)


class VariationRules(Hooks):
    def defaults(self, ctx: Ctx) -> Record:
        return {"prices": prices(ctx.state, ctx.user_id, None)}

    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        if "name" in changes and not str(changes["name"] or "").strip():
            raise validation_failed("name", "The name of a variation cannot be empty")
        if "prices" in changes:
            changes["prices"] = prices(ctx.state, ctx.user_id, changes["prices"])
        return changes

    def extra_v2(self, state: SandboxState, record: Record) -> dict[str, Any]:
        return {
            "prices": [
                {"product_variation_id": record["id"], **price} for price in record.get("prices") or []
            ]
        }


VARIATIONS = DeclaredResource(
    Declaration(
        kind="productVariation",
        label="Product variation",
        v2_path="/products/{id}/variations",
        v2_ops=("list", "add", "update", "delete"),
        item_param="product_variation_id",
        parent=Parent(kind="product", label="Product", field="product_id"),
        hooks=VariationRules(),
    )
)

FOLLOWERS = Followers("product", "products", "Product")


async def duplicate(request: Request) -> Response:
    """``POST /products/{id}/duplicate``: a new product with the same data (prices included)."""
    state = sandbox(request)
    original = PRODUCTS.load(state, request)
    ctx = PRODUCTS.ctx(state, request)
    copied = {k: v for k, v in original.items() if k not in ("id", "add_time", "update_time", "is_deleted")}
    record = PRODUCTS.create(ctx, copied)
    return ok(PRODUCTS.v2(state, record), status=201)


async def v1_product_deals(request: Request) -> Response:
    """``GET /v1/products/{id}/deals``: the deals the product is attached to (``status`` filter)."""
    state = sandbox(request)
    product = PRODUCTS.load(state, request)
    status = request.query_params.get("status") or "all_not_deleted"
    allowed = ("open", "won", "lost", "deleted", "all_not_deleted")
    if status not in allowed:
        raise validation_failed("status", f"Must be one of: {', '.join(allowed)}")
    deal_ids = sorted(
        {a["deal_id"] for a in state.store.query("dealProduct", where={"product_id": product["id"]})}
    )
    found = state.store.query("deal", where={"id": deal_ids})
    if status == "deleted":
        found = [d for d in found if d.get("is_deleted")]
    else:
        found = [d for d in found if not d.get("is_deleted")]
        if status != "all_not_deleted":
            found = [d for d in found if d.get("status") == status]
    start, limit = offset_window(request)
    page, pagination = offset_result(start, limit, found[start : start + limit + 1])
    data = [deals.DEALS.v1(state, deal) for deal in page]
    return ok(data, additional_data={"pagination": pagination})


async def v1_permitted_users(request: Request) -> Response:
    """``GET /v1/products/{id}/permittedUsers``: every active user (the sandbox has no visibility groups)."""
    state = sandbox(request)
    PRODUCTS.load(state, request)
    return ok(permitted_user_ids(state))


async def v1_person_products(request: Request) -> Response:
    """``GET /v1/persons/{id}/products``: one ``{"<deal id>": {deal, product}}`` per product on the
    person's deals (the spec's ``DEAL_ID`` key stands for the deal's id)."""
    state = sandbox(request)
    person = state.store.get("person", path_int(request))
    if person is None or person.get("is_deleted"):
        raise not_found("Person not found")
    person_deals = state.store.query("deal", where={"person_id": person["id"], "is_deleted": False})
    by_id = {deal["id"]: deal for deal in person_deals}
    attached = state.store.query("dealProduct", where={"deal_id": list(by_id)}, order_by="id")
    start, limit = offset_window(request)
    page, pagination = offset_result(start, limit, attached[start : start + limit + 1])
    data = []
    for attachment in page:
        product = state.store.get("product", attachment["product_id"])
        deal = deals.DEALS.v1(state, by_id[attachment["deal_id"]])
        shaped = PRODUCTS.v2(state, product) if product else None
        data.append({str(attachment["deal_id"]): {"deal": flat_ids(deal), "product": shaped}})
    return ok(data, additional_data={"pagination": pagination})


def routes() -> list[BaseRoute]:
    base = "/products/{id}"
    return [
        *FOLLOWERS.routes(),
        *VARIATIONS.routes(),
        v2_route(f"{base}/duplicate", duplicate, ["POST"]),
        *v1_routes(f"{base}/deals", v1_product_deals, ["GET"]),
        *v1_routes(f"{base}/permittedUsers", v1_permitted_users, ["GET"]),
        *v1_routes("/persons/{id}/products", v1_person_products, ["GET"]),
        *PRODUCTS.routes(),
    ]
