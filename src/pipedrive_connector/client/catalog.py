"""Every operation of Pipedrive's specs the client can call, and the method that calls it.

    from pipedrive_connector.client import catalog
    op = catalog.get("getNotes")
    op.method, op.path, op.api, op.token_cost, op.pagination, op.python_name
    # ('GET', '/v1/notes', 'v1', 20, 'start-limit', 'notes.list')   -> pd.notes.list(...)

Built from the generated operation table (``client/generated/_operations.py``). An operationId that
both specs define (``getDealFields``) names the v2 operation; ``get("getDealFields", api="v1")`` or
``get("v1:getDealFields")`` is the v1 one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pipedrive_connector.client._generated import Operation, path_value
from pipedrive_connector.client._types import ApiVersion
from pipedrive_connector.client.errors import ConfigurationError
from pipedrive_connector.client.generated._operations import OPERATIONS as _TABLE
from pipedrive_connector.client.paths import build_path

__all__ = ["OPERATIONS", "Operation", "find", "get", "route"]

OPERATIONS: tuple[Operation, ...] = tuple(_TABLE.values())


def find(operation_id: str, api: ApiVersion | None = None) -> Operation | None:
    """The operation with this operationId (the v2 one unless ``api="v1"``), or None."""
    if api == "v1" and f"v1:{operation_id}" in _TABLE:
        return _TABLE[f"v1:{operation_id}"]
    op = _TABLE.get(operation_id)
    if op is None or (api is not None and op.api != api):
        return None
    return op


def get(operation_id: str, api: ApiVersion | None = None) -> Operation:
    """Like :func:`find`, but an unknown operationId raises ``ConfigurationError`` with suggestions."""
    op = find(operation_id, api)
    if op is None:
        close = difflib.get_close_matches(operation_id, list(_TABLE), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigurationError(f"unknown operationId {operation_id!r}{hint}")
    return op


def route(op: Operation, params: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """``(METHOD, path, query)`` for calling ``op`` with ``params`` named as in the spec: the path
    parameters fill the path (checked through ``client.paths``), the others are the query."""
    segments: dict[str, Any] = {}
    for param in op.params:
        if param.where != "path":
            continue
        if param.wire not in params:
            raise ConfigurationError(f"{op.operation_id} needs the path parameter {param.wire}")
        segments[param.wire] = path_value(param, params[param.wire])
    query = {k: v for k, v in params.items() if k not in segments}
    return op.method, build_path(op.path, **segments), query
