"""A product's image (v2 ``/products/{id}/images``): one per product, uploaded as multipart ``data``.

``public_url`` points at ``/_sandbox/product-images/{token}``, served without authentication like
Pipedrive's public image links (the token is a random 128-bit value).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.errors import ApiError, not_found, validation_failed
from pipedrive_connector.sandbox.resources import blobs
from pipedrive_connector.sandbox.resources.common import now_iso, ok, sandbox, v2_route
from pipedrive_connector.sandbox.resources.products import PRODUCTS
from pipedrive_connector.sandbox.store import Record

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

KIND = "productImage"
PART = "data"
PATH = "/products/{id}/images"


def _current(state: SandboxState, product_id: int) -> Record | None:
    found = state.store.query(KIND, where={"product_id": product_id}, order_by=None, limit=1)
    return found[0] if found else None


def _shape(request: Request, record: Record, method: str) -> dict[str, Any]:
    full = {
        "id": record["id"],
        "product_id": record["product_id"],
        "company_id": str(sandbox(request).settings.company_id),  # a string in the spec
        "add_time": record["add_time"],
        "name": record["name"],
        "mime_type": record["mime_type"],
        "public_url": f"{request.base_url}_sandbox/product-images/{record['_blob']}",
    }
    keys = spec_data.response_keys(f"{method} /api/v2{PATH}")
    return {key: full[key] for key in keys}


async def _upload(request: Request) -> blobs.Stored:
    stored = await blobs.receive_file(request, file_part=PART)
    if not stored.mime_type.startswith("image/"):
        blobs.blobs(sandbox(request)).remove(stored.token)
        raise validation_failed(PART, f"Must be an image (jpeg, png, gif...), got {stored.mime_type}")
    return stored


def _image_record(state: SandboxState, record_id: int, product_id: int, stored: blobs.Stored) -> Record:
    return {
        "id": record_id,
        "product_id": product_id,
        "add_time": now_iso(state),
        "name": stored.file_name,
        "mime_type": stored.mime_type,
        "size": stored.size,
        "_blob": stored.token,
    }


async def get_image(request: Request) -> Response:
    state = sandbox(request)
    product = PRODUCTS.load(state, request)
    image = _current(state, product["id"])
    if image is None:
        raise not_found("Product image not found")
    return ok(_shape(request, image, "GET"))


async def add_image(request: Request) -> Response:
    state = sandbox(request)
    product = PRODUCTS.load(state, request)
    if _current(state, product["id"]) is not None:
        raise ApiError(400, "The product already has an image: replace it with PUT or delete it first")
    stored = await _upload(request)
    with state.db_lock:
        record = _image_record(state, state.store.next_id(KIND), product["id"], stored)
        state.store.put(KIND, record)
    return ok(_shape(request, record, "POST"), status=201)


async def update_image(request: Request) -> Response:
    state = sandbox(request)
    product = PRODUCTS.load(state, request)
    before = _current(state, product["id"])
    if before is None:
        raise not_found("Product image not found: add one with POST first")
    stored = await _upload(request)
    record = _image_record(state, before["id"], product["id"], stored)
    state.store.put(KIND, record)
    blobs.blobs(state).remove(before["_blob"])
    return ok(_shape(request, record, "PUT"))


async def delete_image(request: Request) -> Response:
    state = sandbox(request)
    product = PRODUCTS.load(state, request)
    image = _current(state, product["id"])
    if image is None:
        raise not_found("Product image not found")
    state.store.remove(KIND, image["id"])
    blobs.blobs(state).remove(image["_blob"])
    return ok({"id": image["id"]})


async def public_image(request: Request) -> Response:
    """``GET /_sandbox/product-images/{token}``: the image's bytes (the ``public_url``)."""
    state = sandbox(request)
    found = state.store.query(KIND, where={"_blob": request.path_params["token"]}, order_by=None, limit=1)
    if not found:
        raise not_found("Product image not found")
    image = found[0]
    return blobs.download(state, image["_blob"], image["size"], image["name"], image["mime_type"])


def routes() -> list[BaseRoute]:
    return [
        v2_route(PATH, get_image, ["GET"]),
        v2_route(PATH, add_image, ["POST"]),
        v2_route(PATH, update_image, ["PUT"]),
        v2_route(PATH, delete_image, ["DELETE"]),
        Route("/_sandbox/product-images/{token}", public_image, methods=["GET"]),
    ]
