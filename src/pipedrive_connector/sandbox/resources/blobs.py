"""Uploaded bytes (files, product images, call recordings) in the sandbox's SQLite, in chunks.

A multipart upload is parsed by Starlette (python-multipart), which spools the file part to a
temporary file past 1 MB; its bytes are then copied into ``sandbox_blobs`` one chunk at a time, so an
upload is never held in memory whole twice. Records keep the blob's ``token`` (a random hex string,
not their id, so a blob left behind by a reset can never be served for a new record with a reused id)
and downloads stream the chunks back.
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from weakref import WeakKeyDictionary

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import StreamingResponse

from pipedrive_connector.sandbox.errors import ApiError, bad_request
from pipedrive_connector.sandbox.plugin_tables import PluginTables

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

CHUNK_BYTES = 256 * 1024
# The default upload limit; ``SandboxSettings.extra["max_upload_bytes"]`` overrides it.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# What a multipart envelope may add to the file's own size before Content-Length alone rejects it.
ENVELOPE_BYTES = 64 * 1024
DEFAULT_MIME = "application/octet-stream"


class BlobTable(PluginTables):
    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS sandbox_blobs ("
        " token TEXT NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (token, part))"
    )
    TABLES = ("sandbox_blobs",)

    def append(self, token: str, part: int, data: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO sandbox_blobs (token, part, data) VALUES (?, ?, ?)", (token, part, data)
            )

    def chunk(self, token: str, part: int) -> bytes | None:
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM sandbox_blobs WHERE token = ? AND part = ?", (token, part)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def remove(self, token: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sandbox_blobs WHERE token = ?", (token,))


_TABLES: WeakKeyDictionary[Any, BlobTable] = WeakKeyDictionary()


def blobs(state: SandboxState) -> BlobTable:
    table = _TABLES.get(state)
    if table is None:
        table = _TABLES[state] = BlobTable(state.db, state.db_lock)
    return table


def clear(state: SandboxState) -> None:
    """Drop every stored byte (a reset)."""
    blobs(state).clear()


def max_upload_bytes(state: SandboxState) -> int:
    configured = state.settings.extra.get("max_upload_bytes")
    return configured if isinstance(configured, int) and configured > 0 else MAX_UPLOAD_BYTES


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"The file is too large: the sandbox accepts uploads of at most {limit} bytes")


@dataclass(frozen=True)
class Stored:
    """An upload's bytes in the blob table."""

    token: str
    size: int
    file_name: str
    mime_type: str


def store_bytes(state: SandboxState, data: bytes, file_name: str, mime_type: str | None = None) -> Stored:
    """Bytes from the sandbox itself (the demo seed), stored like an upload."""
    token = uuid.uuid4().hex
    table = blobs(state)
    for part, start in enumerate(range(0, len(data), CHUNK_BYTES)):
        table.append(token, part, data[start : start + CHUNK_BYTES])
    return Stored(token, len(data), file_name, mime_type or guess_mime(file_name))


def guess_mime(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or DEFAULT_MIME


async def read_form(request: Request, *, file_part: str = "file") -> FormData:
    """The multipart form of an upload, after checking its media type and announced size."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise bad_request(
            f"Expected a multipart/form-data body with the file in a part named '{file_part}', "
            f"got '{content_type or 'no content type'}'"
        )
    limit = max_upload_bytes(request.app.state.sandbox)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + ENVELOPE_BYTES:
        raise _too_large(limit)
    return await request.form(max_files=1, max_fields=64)


async def save_upload(request: Request, form: FormData, *, file_part: str = "file") -> Stored:
    """Copy the form's file part into the blob table (chunk by chunk), enforcing the size limit."""
    state: SandboxState = request.app.state.sandbox
    upload = form.get(file_part)
    if not isinstance(upload, UploadFile):
        raise bad_request(
            f"Parameter '{file_part}' is required: send the file as a multipart part named '{file_part}'"
        )
    limit = max_upload_bytes(state)
    token = uuid.uuid4().hex
    table = blobs(state)
    size = 0
    part = 0
    try:
        while chunk := await upload.read(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            table.append(token, part, chunk)
            part += 1
    except BaseException:
        table.remove(token)
        raise
    file_name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1] or "file"
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    mime = declared if declared and declared != DEFAULT_MIME else guess_mime(file_name)
    return Stored(token, size, file_name, mime)


async def receive_file(request: Request, *, file_part: str = "file") -> Stored:
    """An upload whose form holds only the file: ``read_form`` then ``save_upload``, the form closed after."""
    form = await read_form(request, file_part=file_part)
    try:
        return await save_upload(request, form, file_part=file_part)
    finally:
        await form.close()


def content_disposition(file_name: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact one (RFC 6266 ``filename*``)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def download(state: SandboxState, token: str, size: int, file_name: str, mime_type: str) -> StreamingResponse:
    """The stored bytes, streamed one chunk (one query) at a time."""
    table = blobs(state)

    async def chunks() -> AsyncIterator[bytes]:
        part = 0
        while (chunk := table.chunk(token, part)) is not None:
            yield chunk
            part += 1

    headers = {"content-disposition": content_disposition(file_name), "content-length": str(size)}
    return StreamingResponse(chunks(), media_type=mime_type or DEFAULT_MIME, headers=headers)
