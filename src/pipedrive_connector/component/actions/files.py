"""File actions (API v1 in both modes: Pipedrive has no v2 files): upload from a path or base64
content attached to a record, list, get, download (bytes as base64), rename, delete."""

from __future__ import annotations

import base64
import binascii
import mimetypes
from pathlib import Path
from typing import Any

from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.flows import (
    Entity,
    _forget_cursors,
    delete_item,
    get_item,
    list_items,
    pick,
    sub_path,
    write_item,
)
from pipedrive_connector.component.actions.props import (
    S,
    boolean,
    integer,
    limit,
    loaded,
    record_id,
    sort_text,
    start,
    text,
)
from pipedrive_connector.component.calls import Call, Flow
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.errors import ValidationError
from pipedrive_connector.component.model import Action, Property

FILES = Entity("file", "/v1/files", None)
TARGETS = ("deal_id", "person_id", "org_id", "activity_id", "note_id", "product_id", "lead_id")
# Pipedrive's own limit on an upload.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _targets() -> tuple[Property, ...]:
    return (
        loaded("deal_id", "Deal ID", "deals", "Attach the file to this deal."),
        loaded("person_id", "Person ID", "persons", "Attach the file to this person."),
        loaded("org_id", "Organization ID", "organizations", "Attach the file to this organization."),
        integer("activity_id", "Activity ID", "Attach the file to this activity.", minimum=1),
        integer("note_id", "Note ID", "Attach the file to this note.", minimum=1),
        loaded("product_id", "Product ID", "products", "Attach the file to this product."),
        loaded("lead_id", "Lead ID", "leads", "Attach the file to this lead (UUID).", type=S, format="uuid"),
    )


def check_upload(inputs: dict[str, Any], api_version: str) -> None:
    has_path, has_content = inputs.get("file_path") is not None, inputs.get("content_base64") is not None
    if has_path == has_content:
        raise ValidationError("file_path", "give exactly one of file_path and content_base64")
    if has_content:
        if not inputs.get("file_name"):
            raise ValidationError("file_name", "is required with content_base64")
        try:
            base64.b64decode(inputs["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("content_base64", "is not valid base64") from None
    if not any(inputs.get(name) is not None for name in TARGETS):
        raise ValidationError("deal_id", f"attach the file to a record: one of {', '.join(TARGETS)}")


def _content(inputs: dict[str, Any]) -> tuple[str, bytes]:
    if inputs.get("content_base64") is not None:
        return inputs["file_name"], base64.b64decode(inputs["content_base64"])
    path = Path(inputs["file_path"]).expanduser()
    if not path.is_file():
        raise ValidationError("file_path", f"no such file: {path}")
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise ValidationError("file_path", f"{path} is larger than Pipedrive's {MAX_UPLOAD_BYTES} bytes")
    return inputs.get("file_name") or path.name, path.read_bytes()


def upload_file(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    name, content = _content(inputs)
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    form = {key: str(value) for key, value in pick(inputs, *TARGETS).items()}
    _forget_cursors(ctx)
    body: dict[str, Any] = yield Call("POST", "/v1/files", data=form, files={"file": (name, content, kind)})
    return body


def get_files(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    params = pick(inputs, "sort")
    if inputs.get("include_deleted_files") is not None:
        params["include_deleted_files"] = 1 if inputs["include_deleted_files"] else 0
    return (yield from list_items(ctx, FILES, params, params, inputs.get("start", 0), inputs.get("limit")))


def get_file(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from get_item(ctx, FILES, inputs["id"]))


def download_file(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    path = sub_path("/v1/files/{id}/download", id=inputs["id"])
    body = yield Call("GET", path, raw=True)
    content = body.get("data") or b""
    info = body.get("additional_data") or {}
    return {
        "success": True,
        "data": {
            "id": inputs["id"],
            "size": len(content),
            "content_type": info.get("content_type"),
            "content_base64": base64.b64encode(content).decode("ascii"),
        },
    }


def update_file(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (
        yield from write_item(ctx, FILES, pick(inputs, "name", "description"), None, "file", inputs["id"])
    )


def delete_file(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    return (yield from delete_item(ctx, FILES, inputs["id"]))


DOWNLOADED = outputs.one(
    outputs.entity(
        ("id", "integer"),
        ("size", "integer"),
        ("content_type", ["string", "null"]),
        ("content_base64", "string"),
    )
)

ACTIONS = (
    Action(
        name="uploadFile",
        title="Upload a file",
        description="Uploads a file (from a local path, or base64 content with a file name) and attaches it "
        "to a deal, person, organization, activity, note, product or lead.",
        resource="files",
        properties=(
            text("file_path", "File Path", "A local file to upload (on the machine running the action)."),
            text(
                "content_base64",
                "Content (Base64)",
                "The file's bytes, base64-encoded (instead of file_path).",
            ),
            text("file_name", "File Name", "The name to store (required with content_base64).", min_length=1),
            *_targets(),
        ),
        execute=upload_file,
        output_schema=outputs.one(outputs.FILE),
        checks=(check_upload,),
        extra=True,
    ),
    Action(
        name="getFiles",
        title="Get all files",
        description="Returns the files of the company, page by page.",
        resource="files",
        properties=(
            boolean("include_deleted_files", "Include Deleted Files", "Also list deleted files."),
            start(),
            limit(),
            sort_text("Field and mode, e.g. 'add_time DESC' (id, update_time, add_time ...)."),
        ),
        execute=get_files,
        output_schema=outputs.many(outputs.FILE),
        extra=True,
        read_only=True,
    ),
    Action(
        name="getFile",
        title="Get details of a file",
        description="Returns one file's details (not its bytes: see downloadFile).",
        resource="files",
        properties=(record_id("file", "ID of the file."),),
        execute=get_file,
        output_schema=outputs.one(outputs.FILE),
        extra=True,
        read_only=True,
    ),
    Action(
        name="downloadFile",
        title="Download a file",
        description="Returns a file's bytes, base64-encoded in data.content_base64.",
        resource="files",
        properties=(record_id("file", "ID of the file to download."),),
        execute=download_file,
        output_schema=DOWNLOADED,
        extra=True,
        read_only=True,
    ),
    Action(
        name="updateFile",
        title="Update a file",
        description="Changes a file's visible name and/or description.",
        resource="files",
        properties=(
            record_id("file", "ID of the file."),
            text("name", "Name", "The visible name of the file.", min_length=1),
            text("description", "Description", "The description of the file."),
        ),
        execute=update_file,
        output_schema=outputs.one(outputs.FILE),
        extra=True,
    ),
    Action(
        name="deleteFile",
        title="Delete a file",
        description="Marks a file as deleted (its bytes are removed after 30 days).",
        resource="files",
        properties=(record_id("file", "ID of the file to delete."),),
        execute=delete_file,
        output_schema=outputs.deleted(),
        extra=True,
        destructive=True,
    ),
)
