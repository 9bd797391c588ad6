"""What the generated resources (``client/generated/``) run on: the operation table's entry type, the
request it becomes, and the resource base classes that hand it to the client's sans-I/O runner.

A generated method only passes its arguments and an operationId to ``_call``; ``operation_request``
turns them into a ``RequestSpec`` (every path id checked through ``client.paths``), and the sync or
async client's ``_run`` sends it, as for the hand-made resources.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from pipedrive_connector.client._core import DEFAULT
from pipedrive_connector.client._lazy import lazy_items
from pipedrive_connector.client._ops import Op, RequestSpec, items_of
from pipedrive_connector.client._types import UNSET
from pipedrive_connector.client.errors import ConfigurationError, PipedriveError
from pipedrive_connector.client.pagination import Paging, next_page_params
from pipedrive_connector.client.paths import build_path, entity_id, lead_id

FileInput = str | os.PathLike[str] | IO[bytes]
# Where a download goes: a path (written as the body streams in) or a binary file object.
DownloadTarget = str | os.PathLike[str] | IO[bytes]
Where = Literal["path", "query", "body", "file", "json"]  # json: the whole body (an array)
R = TypeVar("R", bound=BaseModel)
T = TypeVar("T", bound=BaseModel)


class GeneratedModel(BaseModel):
    """A response object generated from the spec.

    Every field is optional and unknown keys are kept (``extra="allow"``): Pipedrive answers ``null``
    for many fields the spec does not mark nullable, and adds fields before the spec lists them, so a
    strict model would reject real answers.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class Envelope(GeneratedModel):
    """Pipedrive's answer: ``success``, ``data`` (typed by each operation) and the extra keys."""

    success: bool | None = None
    additional_data: Any = None
    related_objects: Any = None


@dataclass(frozen=True)
class P:
    """One parameter: its Python name, its name on the wire, where it goes, and a path id's kind."""

    name: str
    wire: str
    where: Where
    kind: str = "string"  # path params: integer / uuid / string


@dataclass(frozen=True)
class Operation:
    """One operation of Pipedrive's specs, as the generated client calls it."""

    operation_id: str
    method: str
    path: str  # absolute: /api/v2/... or /v1/...
    api: Literal["v1", "v2"]
    python_name: str  # "notes.list": pd.notes.list(...)
    token_cost: int | None = None
    paging: Paging = "none"
    page_size: int | None = None
    body: Literal["json", "multipart"] | None = None
    download: bool = False  # the answer is a file's bytes, streamed to a path
    summary: str = ""
    params: tuple[P, ...] = ()

    @property
    def pagination(self) -> str:
        """``cursor``, ``start-limit`` or ``none``."""
        return "start-limit" if self.paging == "offset" else self.paging


def path_value(param: P, value: Any) -> Any:
    if param.kind == "integer":
        return entity_id(value, param.name)
    if param.kind == "uuid":
        return lead_id(value, param.name)
    return value  # build_path percent-encodes it as one segment


def operation_request(op: Operation, args: Mapping[str, Any], files: ExitStack) -> RequestSpec:
    """The request for ``op`` called with ``args`` (Python names); files opened on ``files``."""
    segments: dict[str, Any] = {}
    query: dict[str, Any] = {}
    body: dict[str, Any] = {}
    uploads: dict[str, Any] = {}
    whole: Any = UNSET
    for param in op.params:
        value = args.get(param.name, UNSET)
        if param.where == "path":
            if value is None or value is UNSET:
                raise ConfigurationError(f"{op.python_name}: {param.name} is required")
            segments[param.wire] = path_value(param, value)
        elif value is UNSET or (value is None and param.where in ("query", "file")):
            continue
        elif param.where == "query":
            query[param.wire] = value
        elif param.where == "file":
            uploads[param.wire] = file_part(value, files)
        elif param.where == "json":
            whole = value
        else:
            body[param.wire] = value
    path = build_path(op.path, **segments)
    if op.body == "multipart":
        form = {k: v if isinstance(v, str | bytes) else str(v) for k, v in body.items() if v is not None}
        return RequestSpec(op.method, path, params=query or None, data=form or None, files=uploads or None)
    json = body if op.body == "json" and (body or op.method in ("POST", "PUT", "PATCH")) else None
    if whole is not UNSET:
        json = whole
    return RequestSpec(op.method, path, params=query or None, json=json)


def file_part(value: Any, files: ExitStack) -> tuple[str, IO[bytes]]:
    """An upload from a path (opened here, closed after the request) or an open binary file object."""
    if isinstance(value, str | os.PathLike):
        where = Path(value)
        if not where.is_file():
            raise ConfigurationError(f"cannot upload {where}: no such file")
        return where.name, files.enter_context(where.open("rb"))
    if hasattr(value, "read"):
        name = os.path.basename(str(getattr(value, "name", "") or "upload"))
        return name, value
    raise ConfigurationError(
        f"a file to upload must be a path or a binary file object, got {type(value).__name__}"
    )


def call_operation(op: Operation, args: Mapping[str, Any]) -> Op[dict[str, Any]]:
    with ExitStack() as files:
        envelope = yield operation_request(op, args, files)
    return envelope


def page_operation(
    op: Operation, model: type[T], params: dict[str, Any]
) -> Op[tuple[list[T], dict[str, Any] | None]]:
    """One page of a list operation: its items and the params of the next page (None at the end)."""
    envelope = yield operation_request(op, params, ExitStack())
    raw = items_of(envelope)
    # Validated lazily, when first used beyond their plain fields (see _lazy), leniently as ``lenient``.
    items = lazy_items(model, raw, lenient=True)
    nxt = next_page_params(_wire(op, params), envelope, op.paging, len(raw))
    return items, (_python(op, nxt) if nxt is not None else None)


def lenient(model: type[R], value: dict[str, Any]) -> R:
    """``value`` validated into ``model`` (pydantic-core: the fast path), or, when a field's type is not
    what the spec says (Pipedrive answers strings where the spec has integers...), built as it came,
    unvalidated, rather than failing the whole answer."""
    try:
        return model.model_validate(value)
    except ValidationError:
        return model.model_construct(**value)


def _wire(op: Operation, params: dict[str, Any]) -> dict[str, Any]:
    names = {p.name: p.wire for p in op.params}
    return {names.get(k, k): v for k, v in params.items()}


def _python(op: Operation, params: dict[str, Any]) -> dict[str, Any]:
    names = {p.wire: p.name for p in op.params}
    return {names.get(k, k): v for k, v in params.items()}


def first_page_params(op: Operation, args: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in args.items() if v is not None and v is not UNSET}
    if op.page_size:
        out.setdefault("limit", op.page_size)
    return out


@dataclass(frozen=True)
class Downloaded:
    """What a streamed download wrote."""

    size: int
    content_type: str | None
    disposition: str | None


def _download_request(runner: Any, op: Operation, args: Mapping[str, Any]) -> tuple[Any, httpx.Request]:
    core = runner._core
    spec = operation_request(op, args, ExitStack())
    call = core.new_call(
        spec.method,
        spec.path,
        params=spec.params,
        json=None,
        data=None,
        api=None,
        idempotent=None,
        max_retries=None,
        timeout=DEFAULT,
    )
    return call, core.build_request(runner._http, call)


def _failure(runner: Any, call: Any, response: httpx.Response) -> PipedriveError:
    decision = runner._core.on_response(call, response)
    return decision.error or PipedriveError(f"download failed with {response.status_code}")


def _sink(target: DownloadTarget, stack: ExitStack) -> IO[bytes]:
    """A path opened for writing (closed with ``stack``), or the caller's file object (left open)."""
    if isinstance(target, str | os.PathLike):
        return stack.enter_context(Path(target).open("wb"))
    return target


class _Generated:
    def __init__(self, runner: Any) -> None:
        self._runner = runner

    @staticmethod
    def _operation(operation_id: str) -> Operation:
        from pipedrive_connector.client.generated._operations import OPERATIONS

        return OPERATIONS[operation_id]

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class SyncGeneratedResource(_Generated):
    def _call(self, operation_id: str, response: type[R], args: dict[str, Any]) -> R:
        envelope = self._runner._run(call_operation(self._operation(operation_id), args))
        return lenient(response, envelope)

    def _iterate(self, operation_id: str, model: type[T], args: dict[str, Any]) -> Iterator[T]:
        op = self._operation(operation_id)
        params: dict[str, Any] | None = first_page_params(op, args)
        while params is not None:
            items, params = self._runner._run(page_operation(op, model, params))
            yield from items
            # Let this page's items die (if the caller dropped them) before the next page is decoded:
            # otherwise the collector sees them alive, moves them to the oldest generation, and a bulk
            # read pays full collections of the whole heap (0.15-0.25 s per 100,000 deals).
            del items

    def _download(self, operation_id: str, args: dict[str, Any], to: DownloadTarget) -> Downloaded:
        """Stream the answer's body into ``to`` chunk by chunk (never whole in memory)."""
        call, request = _download_request(self._runner, self._operation(operation_id), args)
        response = self._runner._http.send(request, auth=self._runner._core.auth, stream=True)
        try:
            if response.status_code >= 300:
                response.read()
                raise _failure(self._runner, call, response)
            with ExitStack() as stack:
                sink, size = _sink(to, stack), 0
                for chunk in response.iter_bytes():
                    sink.write(chunk)
                    size += len(chunk)
        finally:
            response.close()
        headers = response.headers
        return Downloaded(size, headers.get("content-type"), headers.get("content-disposition"))


class AsyncGeneratedResource(_Generated):
    async def _call(self, operation_id: str, response: type[R], args: dict[str, Any]) -> R:
        envelope = await self._runner._run(call_operation(self._operation(operation_id), args))
        return lenient(response, envelope)

    async def _iterate(self, operation_id: str, model: type[T], args: dict[str, Any]) -> AsyncIterator[T]:
        op = self._operation(operation_id)
        params: dict[str, Any] | None = first_page_params(op, args)
        while params is not None:
            items, params = await self._runner._run(page_operation(op, model, params))
            for item in items:
                yield item
            del items  # as in the sync twin: the page's items die young

    async def _download(self, operation_id: str, args: dict[str, Any], to: DownloadTarget) -> Downloaded:
        """Stream the answer's body into ``to`` chunk by chunk (never whole in memory)."""
        call, request = _download_request(self._runner, self._operation(operation_id), args)
        response = await self._runner._http.send(request, auth=self._runner._core.auth, stream=True)
        try:
            if response.status_code >= 300:
                await response.aread()
                raise _failure(self._runner, call, response)
            with ExitStack() as stack:
                sink, size = _sink(to, stack), 0
                async for chunk in response.aiter_bytes():
                    sink.write(chunk)
                    size += len(chunk)
        finally:
            await response.aclose()
        headers = response.headers
        return Downloaded(size, headers.get("content-type"), headers.get("content-disposition"))
