"""Product actions and the products of a deal.

Pipedrive serves product CRUD and deal products in API v2 only (the v1 operations are deprecated), so
these actions use the v2 endpoints in both modes.
"""

from __future__ import annotations

from typing import Any

from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.flows import (
    Entity,
    _forget_cursors,
    check_search_term,
    delete_item,
    get_item,
    list_items,
    pick,
    search_items,
    sub_path,
    v2_context,
    write_item,
)
from pipedrive_connector.component.actions.props import (
    S,
    array,
    boolean,
    custom_fields,
    exact_match,
    integer,
    limit,
    loaded,
    number,
    obj,
    record_id,
    select,
    start,
    term,
    text,
    visible_to,
)
from pipedrive_connector.component.calls import Flow, request
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.model import Action, Property

PRODUCTS = Entity("product", "/api/v2/products", "/api/v2/products", "/api/v2/products/search")
DEAL_PRODUCTS = "/api/v2/deals/{deal_id}/products"
DEAL_PRODUCT = "/api/v2/deals/{deal_id}/products/{product_attachment_id}"


def _price() -> Property:
    return obj(
        "price",
        "Price",
        "One price of the product.",
        number("price", "Price", "The unit price.", required=True),
        text("currency", "Currency", "ISO 4217 code of the price.", required=True, min_length=3),
        number("cost", "Cost", "The cost of the product."),
        number("direct_cost", "Direct Cost", "The direct cost of the product."),
    )


def _product_fields(name_required: bool) -> tuple[Property, ...]:
    return (
        text("name", "Name", "The name of the product.", required=name_required, min_length=1),
        text("code", "Code", "The product code."),
        text("description", "Description", "The description of the product."),
        text("unit", "Unit", "The unit in which the product is sold."),
        number("tax", "Tax", "The tax percentage.", minimum=0),
        text("category", "Category", "The category of the product."),
        loaded("owner_id", "Owner ID", "users", "The user who owns the product."),
        boolean("is_linkable", "Is Linkable", "Whether the product can be added to a deal."),
        visible_to("product"),
        array("prices", "Prices", "The prices of the product, one per currency.", _price()),
        custom_fields("product"),
    )


def _product_body(fields: dict[str, Any]) -> dict[str, Any]:
    body = pick(fields, "name", "code", "description", "unit", "tax", "category", "owner_id", "is_linkable")
    if "visible_to" in fields:
        body["visible_to"] = int(fields["visible_to"])
    if "prices" in fields:
        body["prices"] = [pick(p, "price", "currency", "cost", "direct_cost") for p in fields["prices"]]
    return body


def _deal_product_fields(required: bool) -> tuple[Property, ...]:
    return (
        loaded("product_id", "Product ID", "products", "The product to add.", required=required),
        number("item_price", "Item Price", "The price of one unit.", required=required),
        number("quantity", "Quantity", "How many units.", required=required, minimum=0),
        number("discount", "Discount", "The discount (percentage or amount, see discount_type).", minimum=0),
        select(
            "discount_type",
            "Discount Type",
            "How the discount is given.",
            S,
            ("Percentage", "percentage"),
            ("Amount", "amount"),
        ),
        number("tax", "Tax", "The tax percentage.", minimum=0),
        select(
            "tax_method",
            "Tax Method",
            "How tax is applied.",
            S,
            ("Exclusive", "exclusive"),
            ("Inclusive", "inclusive"),
            ("None", "none"),
        ),
        text("comments", "Comments", "A comment on this product of the deal."),
        boolean("is_enabled", "Is Enabled", "Whether the product counts in the deal value."),
    )


def _deal_product_body(fields: dict[str, Any]) -> dict[str, Any]:
    return pick(
        fields,
        "product_id",
        "item_price",
        "quantity",
        "discount",
        "discount_type",
        "tax",
        "tax_method",
        "comments",
        "is_enabled",
    )


def get_products(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params = pick(inputs, "owner_id", "filter_id")
    v2 = v2_context(ctx)
    return (yield from list_items(v2, PRODUCTS, params, params, inputs.get("start", 0), inputs.get("limit")))


def add_product(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs["product"]
    body = _product_body(fields)
    return (yield from write_item(v2_context(ctx), PRODUCTS, body, fields.get("custom_fields"), "product"))


def update_product(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    fields = inputs["product"]
    return (
        yield from write_item(
            v2_context(ctx),
            PRODUCTS,
            _product_body(fields),
            fields.get("custom_fields"),
            "product",
            item_id=inputs["id"],
        )
    )


def get_product(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from get_item(v2_context(ctx), PRODUCTS, inputs["id"]))


def delete_product(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from delete_item(v2_context(ctx), PRODUCTS, inputs["id"]))


def search_products(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params = pick(inputs, "term", "fields", "exact_match")
    return (
        yield from search_items(
            v2_context(ctx), PRODUCTS, params, inputs.get("start", 0), inputs.get("limit")
        )
    )


def get_deal_products(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    path = sub_path(DEAL_PRODUCTS, deal_id=inputs["deal_id"])
    deal_products = Entity("deal_product", path, path)
    return (
        yield from list_items(
            v2_context(ctx), deal_products, {}, {}, inputs.get("start", 0), inputs.get("limit")
        )
    )


def add_product_to_deal(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    path = sub_path(DEAL_PRODUCTS, deal_id=inputs["deal_id"])
    _forget_cursors(ctx)
    body: dict[str, Any] = yield from request("POST", path, json=_deal_product_body(inputs["product"]))
    return body


def update_deal_product(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    path = sub_path(
        DEAL_PRODUCT, deal_id=inputs["deal_id"], product_attachment_id=inputs["product_attachment_id"]
    )
    body: dict[str, Any] = yield from request("PATCH", path, json=_deal_product_body(inputs["product"]))
    return body


def remove_product_from_deal(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    path = sub_path(
        DEAL_PRODUCT, deal_id=inputs["deal_id"], product_attachment_id=inputs["product_attachment_id"]
    )
    _forget_cursors(ctx)
    body = yield from request("DELETE", path)
    data = body.get("data")
    return {
        "success": bool(body.get("success", True)),
        "data": data if isinstance(data, dict) else {"id": data},
    }


def _deal_id(description: str) -> Property:
    return loaded("deal_id", "Deal ID", "deals", description, required=True, minimum=1)


def _attachment_id() -> Property:
    return integer(
        "product_attachment_id",
        "Product Attachment ID",
        "The id of the product's line on the deal (the id getDealProducts shows, not the product id).",
        required=True,
        minimum=1,
    )


ACTIONS = (
    Action(
        name="getProducts",
        title="Get all products",
        description="Returns products, page by page.",
        resource="products",
        properties=(
            loaded("owner_id", "Owner Id", "users", "Only products owned by this user."),
            loaded("filter_id", "Filter Id", "product_filters", "Filter to use."),
            start(),
            limit(),
        ),
        execute=get_products,
        output_schema=outputs.many(outputs.PRODUCT),
        extra=True,
        read_only=True,
    ),
    Action(
        name="addProduct",
        title="Add a product",
        description="Adds a product to the catalogue.",
        resource="products",
        properties=(
            obj("product", "Add Product Request", "The product.", *_product_fields(True), required=True),
        ),
        execute=add_product,
        output_schema=outputs.one(outputs.PRODUCT),
        extra=True,
        body_property="product",
    ),
    Action(
        name="getProduct",
        title="Get details of a product",
        description="Returns one product.",
        resource="products",
        properties=(record_id("product", "ID of the product."),),
        execute=get_product,
        output_schema=outputs.one(outputs.PRODUCT),
        extra=True,
        read_only=True,
    ),
    Action(
        name="updateProduct",
        title="Update a product",
        description="Updates a product; only the given fields change.",
        resource="products",
        properties=(
            record_id("product", "ID of the product to update."),
            obj(
                "product",
                "Update Product Request",
                "The fields to change.",
                *_product_fields(False),
                required=True,
            ),
        ),
        execute=update_product,
        output_schema=outputs.one(outputs.PRODUCT),
        extra=True,
        body_property="product",
    ),
    Action(
        name="deleteProduct",
        title="Delete a product",
        description="Marks a product as deleted.",
        resource="products",
        properties=(record_id("product", "ID of the product to delete."),),
        execute=delete_product,
        output_schema=outputs.deleted(),
        extra=True,
        destructive=True,
    ),
    Action(
        name="searchProducts",
        title="Search products",
        description="Searches products by name, code and/or custom fields.",
        resource="products",
        properties=(
            term(),
            select(
                "fields",
                "Fields",
                "The fields to search in, comma-separated. Defaults to all of them.",
                S,
                ("Code", "code"),
                ("Custom fields", "custom_fields"),
                ("Name", "name"),
                comma_separated=True,
            ),
            exact_match(),
            start(),
            limit(),
        ),
        execute=search_products,
        output_schema=outputs.search(),
        checks=(check_search_term,),
        extra=True,
        read_only=True,
    ),
    Action(
        name="getDealProducts",
        title="Get the products of a deal",
        description="Returns the product lines attached to a deal.",
        resource="products",
        properties=(_deal_id("The deal whose products to list."), start(), limit()),
        execute=get_deal_products,
        output_schema=outputs.many(outputs.DEAL_PRODUCT),
        extra=True,
        read_only=True,
    ),
    Action(
        name="addProductToDeal",
        title="Add a product to a deal",
        description="Attaches a product to a deal with its price and quantity.",
        resource="products",
        properties=(
            _deal_id("The deal to add the product to."),
            obj("product", "Deal Product", "The product line.", *_deal_product_fields(True), required=True),
        ),
        execute=add_product_to_deal,
        output_schema=outputs.one(outputs.DEAL_PRODUCT),
        extra=True,
        body_property="product",
    ),
    Action(
        name="updateDealProduct",
        title="Update a product of a deal",
        description="Changes the price, quantity, discount ... of one product line of a deal.",
        resource="products",
        properties=(
            _deal_id("The deal the product is attached to."),
            _attachment_id(),
            obj(
                "product",
                "Deal Product",
                "The fields to change.",
                *_deal_product_fields(False),
                required=True,
            ),
        ),
        execute=update_deal_product,
        output_schema=outputs.one(outputs.DEAL_PRODUCT),
        extra=True,
        body_property="product",
    ),
    Action(
        name="removeProductFromDeal",
        title="Remove a product from a deal",
        description="Deletes one product line of a deal.",
        resource="products",
        properties=(_deal_id("The deal the product is attached to."), _attachment_id()),
        execute=remove_product_from_deal,
        output_schema=outputs.deleted(),
        extra=True,
        destructive=True,
    ),
)
