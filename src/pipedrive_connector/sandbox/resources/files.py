"""Files (v1): multipart upload attached to a record, list, get, update, delete, download, remote
files and links, and the per-record lists of deals, persons, organizations and products.

Pipedrive emits no webhooks for files (``file`` is not in the webhooks' ``event_object`` enum).
A delete marks the file deleted (gone from every answer, purged after 30 days) and drops its bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.engine.declared import Ctx, Declaration, DeclaredResource, Hooks, Parent
from pipedrive_connector.sandbox.errors import bad_request
from pipedrive_connector.sandbox.resources import blobs
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import F

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

# What a file can be attached to: id field → (kind, the kind's title key, the response's name key).
TARGETS = {
    "deal_id": ("deal", "title", "deal_name"),
    "person_id": ("person", "name", "person_name"),
    "org_id": ("organization", "name", "org_name"),
    "product_id": ("product", "name", "product_name"),
    "activity_id": ("activity", "subject", None),
    "lead_id": ("lead", "title", "lead_name"),
    "project_id": ("project", "title", "project_name"),
}
REFS = {field: kind for field, (kind, _, _) in TARGETS.items()} | {"user_id": "user"}
# The upload's form fields besides the file (multipart bodies are not in the extracted spec table).
UPLOAD_FIELDS = {field: F("integer", True) for field in TARGETS} | {"lead_id": F("string", True)}
ITEM_FIELDS = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}


class FileRules(Hooks):
    def defaults(self, ctx: Ctx) -> Record:
        base = str(ctx.request.base_url) if ctx.request is not None else "/"
        return {
            "user_id": ctx.user_id,
            **dict.fromkeys(TARGETS),
            "file_name": None,
            "name": None,
            "description": None,
            "file_size": 0,
            "active_flag": True,
            "inline_flag": False,
            "remote_location": None,
            "remote_id": None,
            "cid": None,
            "s3_bucket": None,
            "mail_message_id": None,
            "mail_template_id": None,
            "_base_url": base,
        }

    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        if before is not None and "name" in changes and not str(changes["name"] or "").strip():
            raise bad_request("Invalid value for 'name': the visible name of a file cannot be empty")
        return changes

    def extra_v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        for field, (kind, title, name_key) in TARGETS.items():
            if name_key is None:
                continue
            target = state.store.get(kind, record[field]) if record.get(field) is not None else None
            extra[name_key] = target.get(title) if target else None
        base = str(record.get("_base_url") or "/")
        extra["url"] = (
            f"{base}v1/files/{record['id']}/download" if record.get("_blob") else record.get("_remote_url")
        )
        return extra

    def after_save(self, ctx: Ctx, record: Record, before: Record | None, action: str) -> None:
        if action == "delete" and record.get("_blob"):
            blobs.blobs(ctx.state).remove(record["_blob"])


class RemoteRules(FileRules):
    """``/files/remote`` and ``/files/remoteLink``: ``item_type`` + ``item_id`` name the record."""

    def __init__(self, *, link: bool) -> None:
        self.link = link

    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        field = ITEM_FIELDS[changes.pop("item_type")]
        result: dict[str, Any] = {
            field: changes.pop("item_id"),
            "remote_location": changes["remote_location"],
        }
        if self.link:
            remote_id = str(changes["remote_id"])
            result.update(remote_id=remote_id, file_name=remote_id, name=remote_id)
        else:
            # A new empty Google document: the sandbox makes up its remote id (no network).
            remote_id = f"sandbox-{changes['file_type']}-{ctx.state.store.next_id('remoteFile')}"
            result.update(remote_id=remote_id, file_name=changes["title"], name=changes["title"])
        result["_remote_url"] = f"https://drive.google.com/open?id={remote_id}"
        return result


_FILE_OPS = ("list", "get", "update", "delete")
FILES = DeclaredResource(
    Declaration(
        kind="file",
        label="File",
        v1_path="/files",
        v1_ops=_FILE_OPS,
        refs=REFS,
        soft_delete=True,
        hooks=FileRules(),
    )
)
# Only its body (the upload's form fields) and shape are used; POST /v1/files is ``upload`` below.
UPLOAD = DeclaredResource(
    Declaration(
        kind="file", label="File", v1_path="/files", refs=REFS, extra_body=UPLOAD_FIELDS, hooks=FileRules()
    )
)
REMOTE = DeclaredResource(
    Declaration(
        kind="file",
        label="File",
        v1_path="/files/remote",
        v1_ops=("add",),
        refs=REFS,
        soft_delete=True,
        hooks=RemoteRules(link=False),
    )
)
REMOTE_LINK = DeclaredResource(
    Declaration(
        kind="file",
        label="File",
        v1_path="/files/remoteLink",
        v1_ops=("add",),
        refs=REFS,
        soft_delete=True,
        hooks=RemoteRules(link=True),
    )
)
# GET /v1/{deals,persons,organizations,products}/{id}/files: the record's live files.
RECORD_FILES = [
    DeclaredResource(
        Declaration(
            kind="file",
            label="File",
            v1_path=f"/{path}/{{id}}/files",
            v1_ops=("list",),
            parent=Parent(kind=kind, label=label, field=field),
            soft_delete=True,
            hooks=FileRules(),
        )
    )
    for path, kind, label, field in (
        ("deals", "deal", "Deal", "deal_id"),
        ("persons", "person", "Person", "person_id"),
        ("organizations", "organization", "Organization", "org_id"),
        ("products", "product", "Product", "product_id"),
    )
]


async def upload(request: Request) -> Response:
    """``POST /v1/files``: the ``file`` part's bytes, attached to the records the other parts name."""
    state = sandbox(request)
    form = await blobs.read_form(request)
    try:
        fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
        changes = UPLOAD.from_v1(fields, creating=True)
        stored = await blobs.save_upload(request, form)
    finally:
        await form.close()
    changes.update(
        file_name=stored.file_name,
        name=stored.file_name,
        file_size=stored.size,
        _blob=stored.token,
        _mime=stored.mime_type,
    )
    try:
        record = UPLOAD.create(UPLOAD.ctx(state, request), changes)
    except BaseException:
        blobs.blobs(state).remove(stored.token)
        raise
    return ok(FILES.v1(state, record))


async def download(request: Request) -> Response:
    """``GET /v1/files/{id}/download``: the bytes, streamed, with their type and file name."""
    state = sandbox(request)
    record = FILES.load(state, request)
    if not record.get("_blob"):
        raise bad_request(
            f"File {record['id']} is a link to {record.get('remote_location')}: it has no bytes to download"
        )
    return blobs.download(state, record["_blob"], record["file_size"], record["file_name"], record["_mime"])


def seed_demo_file(state: SandboxState, deal_id: int, at: str) -> None:
    """The demo seed's contract draft on a deal (no request: the url is relative)."""
    text = b"Sandbox Inc. - Master services agreement (draft)\n\n1. Scope\n2. Fees\n3. Term\n"
    stored = blobs.store_bytes(state, text, "contract-draft.txt", "text/plain")
    record: Record = {
        **FileRules().defaults(Ctx(state, None, 1, at)),
        "id": state.store.next_id("file"),
        "add_time": at,
        "update_time": at,
        "is_deleted": False,
        "deal_id": deal_id,
        "file_name": stored.file_name,
        "name": "Contract draft",
        "description": "First draft sent for review",
        "file_size": stored.size,
        "_blob": stored.token,
        "_mime": stored.mime_type,
    }
    state.store.put("file", record)


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/files", upload, ["POST"]),
        *REMOTE.routes(),
        *REMOTE_LINK.routes(),
        *v1_routes("/files/{id}/download", download, ["GET"]),
        *FILES.routes(),
        *(route for resource in RECORD_FILES for route in resource.routes()),
    ]
