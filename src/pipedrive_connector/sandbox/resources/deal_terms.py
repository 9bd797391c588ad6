"""Deal discounts and installments (v2), on the declared engine.

Discounts (``/deals/{id}/discounts``, uuid ids) are a percentage or an amount taken off the deal's
one-time products; adding, changing or removing one recalculates the deal's value
(``deal_products.recalculate_deal``). Installments (``/deals/{id}/installments``, and
``/deals/installments?deal_ids=`` for several deals) need a deal with at least one one-time product
and no recurring product (the spec's rules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.engine.declared import Ctx, Declaration, DeclaredResource, Hooks, Parent
from pipedrive_connector.sandbox.errors import bad_request, validation_failed
from pipedrive_connector.sandbox.pagination import query_page
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v2_route
from pipedrive_connector.sandbox.resources.deal_products import (
    DISCOUNT_KIND,
    INSTALLMENT_KIND,
    deal_ids_param,
    recalculate_deal,
)
from pipedrive_connector.sandbox.resources.deal_products import (
    KIND as DEAL_PRODUCT_KIND,
)
from pipedrive_connector.sandbox.store import Record

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

DEAL = Parent(kind="deal", label="Deal", field="deal_id")


class DiscountRules(Hooks):
    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        if "amount" in changes and changes["amount"] < 0:
            raise validation_failed("amount", "A discount cannot be negative")
        if before is None:
            changes["created_by"] = ctx.user_id
        changes["updated_by"] = ctx.user_id
        return changes

    def check(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        if record["type"] == "percentage" and record["amount"] > 100:
            raise validation_failed("amount", "A percentage discount cannot exceed 100")

    def after_save(self, ctx: Ctx, record: Record, before: Record | None, action: str) -> None:
        recalculate_deal(ctx, record["deal_id"])

    def extra_v2(self, state: SandboxState, record: Record) -> dict[str, Any]:
        return {"created_at": record["add_time"], "updated_at": record["update_time"]}


DISCOUNTS = DeclaredResource(
    Declaration(
        kind=DISCOUNT_KIND,
        label="Discount",
        v2_path="/deals/{id}/discounts",
        v2_ops=("list", "add", "update", "delete"),
        id_type="uuid",
        item_param="discount_id",
        parent=DEAL,
        hooks=DiscountRules(),
    )
)


class InstallmentRules(Hooks):
    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        billing_date = changes.get("billing_date")
        if billing_date is not None and not timefmt.is_date(billing_date):
            raise validation_failed("billing_date", "Expected a date in format YYYY-MM-DD")
        if "amount" in changes and changes["amount"] <= 0:
            raise validation_failed("amount", "An installment amount must be positive")
        return changes

    def check(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        if before is not None:
            return
        products = ctx.state.store.query(DEAL_PRODUCT_KIND, where={"deal_id": record["deal_id"]})
        frequencies = {p.get("billing_frequency", "one-time") for p in products}
        if "one-time" not in frequencies:
            raise bad_request("An installment needs a deal with at least one one-time product")
        if frequencies - {"one-time"}:
            raise bad_request("A deal with recurring products cannot have installments")


INSTALLMENTS = DeclaredResource(
    Declaration(
        kind=INSTALLMENT_KIND,
        label="Installment",
        v2_path="/deals/{id}/installments",
        v2_ops=("add", "update", "delete"),
        item_param="installment_id",
        parent=DEAL,
        hooks=InstallmentRules(),
    )
)


async def list_installments(request: Request) -> Response:
    """``GET /deals/installments?deal_ids=``: the installments of up to 100 deals (cursor pages)."""
    state = sandbox(request)
    deal_ids = deal_ids_param(request)
    page, cursor = query_page(
        state.store,
        INSTALLMENT_KIND,
        request,
        where={"deal_id": deal_ids},
        sort_fields=("id", "billing_date", "deal_id"),
    )
    return ok([INSTALLMENTS.v2(state, record) for record in page], additional_data={"next_cursor": cursor})


def routes() -> list[BaseRoute]:
    """Before the deals' routes: ``/deals/installments`` must win over ``/deals/{id}``."""
    return [
        v2_route("/deals/installments", list_installments, ["GET"]),
        *DISCOUNTS.routes(),
        *INSTALLMENTS.routes(),
    ]
