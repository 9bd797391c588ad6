"""Products attached to deals (v2): list, add, bulk add, update, delete one or many, list for several deals.

Pipedrive's rules, from the spec's field descriptions: an attachment's ``sum`` is quantity x item_price,
less the discount (a percentage or an amount), plus the tax when ``tax_method`` is ``exclusive``
(``inclusive`` prices already hold it, ``none`` adds none); ``tax_method`` is shared by all products
of a deal (changing it on one changes the others). The deal's ``value`` follows its enabled products
(the sum of their sums, the one-time ones less the deal's discounts) and ``products_count`` counts
them; the deal's change event is published. A deal with installments takes only one-time products.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.engine.declared import Ctx, Declaration, DeclaredResource, Hooks, Parent
from pipedrive_connector.sandbox.errors import bad_request, validation_failed
from pipedrive_connector.sandbox.pagination import query_page
from pipedrive_connector.sandbox.resources import deals
from pipedrive_connector.sandbox.resources.common import ok, publish, sandbox, v2_route
from pipedrive_connector.sandbox.resources.products import check_billing
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import query_int_list, read_json_object

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

KIND = "dealProduct"
DISCOUNT_KIND = "dealDiscount"
INSTALLMENT_KIND = "dealInstallment"
MAX_BATCH = 100
SORT_FIELDS = ("id", "add_time", "update_time", "order_nr")


def attachment_sum(record: Record) -> float:
    """quantity x item_price, less the discount, plus exclusive tax (rounded to cents)."""
    gross = float(record.get("quantity") or 0) * float(record.get("item_price") or 0)
    discount = float(record.get("discount") or 0)
    net = gross - discount if record.get("discount_type") == "amount" else gross * (1 - discount / 100)
    if record.get("tax_method") == "exclusive":
        net *= 1 + float(record.get("tax") or 0) / 100
    return round(net, 2)


def _attachments(state: SandboxState, deal_id: int) -> list[Record]:
    return state.store.query(KIND, where={"deal_id": deal_id}, order_by="id")


def recalculate_deal(ctx: Ctx, deal_id: int) -> None:
    """The deal's value and products_count after its products changed; publishes the deal's change."""
    state = ctx.state
    before = state.store.get("deal", deal_id)
    if before is None:
        return
    attached = _attachments(state, deal_id)
    enabled = [a for a in attached if a.get("is_enabled", True)]
    one_time = sum(a["sum"] for a in enabled if a.get("billing_frequency", "one-time") == "one-time")
    recurring = sum(a["sum"] for a in enabled if a.get("billing_frequency", "one-time") != "one-time")
    if one_time:
        # Deal discounts change the value only when the deal has one-time products (the spec's words).
        for discount in state.store.query(DISCOUNT_KIND, where={"deal_id": deal_id}, order_by=None):
            if discount["type"] == "percentage":
                one_time *= 1 - discount["amount"] / 100
            else:
                one_time -= discount["amount"]
    total = round(one_time + recurring, 2)
    deal = dict(before, products_count=len(attached))
    deal["value"] = int(total) if float(total).is_integer() else total
    if deal == before:
        return
    deal["update_time"] = ctx.now
    state.store.put("deal", deal)
    if ctx.request is not None:
        publish(
            state,
            ctx.request,
            "deal",
            "change",
            deal_id,
            current_v1=deals.DEALS.v1(state, deal),
            previous_v1=deals.DEALS.v1(state, before),
            current_v2=deals.DEALS.v2(state, deal),
            previous_v2=deals.DEALS.v2(state, before),
        )


class DealProductRules(Hooks):
    def defaults(self, ctx: Ctx) -> Record:
        return {
            "tax": 0,
            "discount": 0,
            "discount_type": "percentage",
            "is_enabled": True,
            "comments": None,
            "product_variation_id": None,
            "billing_frequency": "one-time",
            "billing_frequency_cycles": None,
            "billing_start_date": None,
        }

    def finish(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        state = ctx.state
        siblings = [a for a in _attachments(state, record["deal_id"]) if a["id"] != record.get("id")]
        if before is None:
            record["order_nr"] = max((a.get("order_nr") or 0 for a in siblings), default=0) + 1
            record.setdefault("tax_method", siblings[0]["tax_method"] if siblings else "exclusive")
        if before is None or record["product_id"] != before["product_id"]:
            product = state.store.get("product", record["product_id"])
            assert product is not None  # checked by the declaration's refs
            if not product.get("is_linkable", True):
                raise validation_failed("product_id", f"Product {product['id']} cannot be added to deals")
            record["name"] = product.get("name")
        deal = state.store.get("deal", record["deal_id"])
        record["currency"] = (deal or {}).get("currency")
        record["sum"] = attachment_sum(record)

    def check(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        variation_id = record.get("product_variation_id")
        if variation_id is not None:
            variation = ctx.state.store.get("productVariation", variation_id)
            if variation is None or variation.get("product_id") != record["product_id"]:
                raise validation_failed(
                    "product_variation_id",
                    f"Variation {variation_id} is not a variation of product {record['product_id']}",
                )
        if record.get("discount_type") == "percentage" and not 0 <= float(record.get("discount") or 0) <= 100:
            raise validation_failed("discount", "A percentage discount must be between 0 and 100")
        check_billing(record)
        recurring = record.get("billing_frequency", "one-time") != "one-time"
        if recurring and ctx.state.store.count(INSTALLMENT_KIND, where={"deal_id": record["deal_id"]}):
            raise validation_failed(
                "billing_frequency", "A deal with installments cannot have recurring products (one-time only)"
            )

    def after_save(self, ctx: Ctx, record: Record, before: Record | None, action: str) -> None:
        deal_id = record["deal_id"]
        if action == "change" and before is not None and record["tax_method"] != before["tax_method"]:
            for sibling in _attachments(ctx.state, deal_id):
                if sibling["id"] != record["id"] and sibling["tax_method"] != record["tax_method"]:
                    updated = dict(sibling, tax_method=record["tax_method"], update_time=ctx.now)
                    updated["sum"] = attachment_sum(updated)
                    ctx.state.store.put(KIND, updated)
        recalculate_deal(ctx, deal_id)


DEAL_PRODUCTS = DeclaredResource(
    Declaration(
        kind=KIND,
        label="Deal product",
        v2_path="/deals/{id}/products",
        v2_ops=("list", "add", "update", "delete"),
        item_param="product_attachment_id",
        parent=Parent(kind="deal", label="Deal", field="deal_id"),
        refs={"product_id": "product"},
        v2_sort=SORT_FIELDS,
        hooks=DealProductRules(),
    )
)


async def add_many(request: Request) -> Response:
    """``POST /deals/{id}/products/bulk {data: [...]}``: up to 100 attachments, all validated first."""
    state = sandbox(request)
    scope = DEAL_PRODUCTS.parent_scope(state, request)
    body = await read_json_object(request)
    if set(body) - {"data"}:
        key = sorted(set(body) - {"data"})[0]
        raise validation_failed(key, f"Parameter '{key}' is not allowed for this request")
    items = body.get("data")
    if not isinstance(items, list) or not items:
        raise validation_failed("data", "Expected a non-empty array of deal products")
    if len(items) > MAX_BATCH:
        raise validation_failed("data", f"At most {MAX_BATCH} products per request")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise validation_failed(f"data[{index}]", "Expected 'object' as value")
    changes = [DEAL_PRODUCTS.from_v2(item, creating=True) for item in items]
    ctx = DEAL_PRODUCTS.ctx(state, request)
    created = [DEAL_PRODUCTS.create(ctx, change, scope) for change in changes]
    return ok([DEAL_PRODUCTS.v2(state, record) for record in created], status=201)


async def delete_many(request: Request) -> Response:
    """``DELETE /deals/{id}/products[?ids=]``: the given attachments, or up to 100 of the deal's."""
    state = sandbox(request)
    scope = DEAL_PRODUCTS.parent_scope(state, request)
    ids = query_int_list(request, "ids", max_items=MAX_BATCH)
    attached = state.store.query(KIND, where=scope, order_by="id")
    if ids is not None:
        unknown = sorted(set(ids) - {a["id"] for a in attached})
        if unknown:
            raise bad_request(f"Invalid value for 'ids': {unknown[0]} is not a product of this deal")
        attached = [a for a in attached if a["id"] in set(ids)]
    chosen = attached[:MAX_BATCH]
    ctx = DEAL_PRODUCTS.ctx(state, request)
    for record in chosen:
        DEAL_PRODUCTS.delete(ctx, record)
    more = len(attached) > MAX_BATCH
    return ok({"ids": [a["id"] for a in chosen]}, additional_data={"more_items_in_collection": more})


def deal_ids_param(request: Request) -> list[int]:
    """The required ``deal_ids`` of the several-deals lists: comma-separated or repeated, at most 100."""
    raw = [part for value in request.query_params.getlist("deal_ids") for part in value.split(",")]
    deal_ids: list[int] = []
    for part in raw:
        if part.strip():
            try:
                deal_ids.append(int(part.strip()))
            except ValueError:
                raise bad_request(f"Invalid value for 'deal_ids': '{part}' is not an integer id") from None
    if not deal_ids:
        raise bad_request("Parameter 'deal_ids' is required (up to 100 deal ids)")
    if len(deal_ids) > MAX_BATCH:
        raise bad_request(f"Invalid value for 'deal_ids': at most {MAX_BATCH} ids are allowed")
    return deal_ids


async def list_for_deals(request: Request) -> Response:
    """``GET /deals/products?deal_ids=1,2``: the products of up to 100 deals (cursor pages)."""
    state = sandbox(request)
    where = {"deal_id": deal_ids_param(request)}
    page, cursor = query_page(state.store, KIND, request, where=where, sort_fields=(*SORT_FIELDS, "deal_id"))
    return ok([DEAL_PRODUCTS.v2(state, record) for record in page], additional_data={"next_cursor": cursor})


def routes() -> list[BaseRoute]:
    """Before the deals' routes: ``/deals/products`` must win over ``/deals/{id}``."""
    return [
        v2_route("/deals/products", list_for_deals, ["GET"]),
        v2_route("/deals/{id}/products/bulk", add_many, ["POST"]),
        v2_route("/deals/{id}/products", delete_many, ["DELETE"]),
        *DEAL_PRODUCTS.routes(),
    ]
