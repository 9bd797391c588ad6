"""The last route: operations of Pipedrive's specs the sandbox does not serve answer 501, naming them.

Paths that are no operation of the specs keep Pipedrive's 404 (``Unknown method``); a spec path
asked with a method the specs lack is a 405. This is a ``BaseRoute`` (not a ``Route``) so that
``introspect.served_operations`` does not count it as serving anything.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from pipedrive_connector.sandbox.engine.spec_data import canonical_path, operations, template_pattern
from pipedrive_connector.sandbox.errors import ApiError, error_response
from pipedrive_connector.sandbox.introspect import normalize, served_operations

_PREFIXES = ("/v1/", "/api/v1/", "/api/v2/")
_INFO = "Please check developers.pipedrive.com"


@cache
def _templates() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """(METHOD, template, pattern), literal templates first so ``/deals/search`` beats ``/deals/{id}``."""
    rows = []
    for key in operations():
        method, template = key.split(" ", 1)
        rows.append((method, template, template_pattern(template)))
    return tuple(sorted(rows, key=lambda row: (row[1].count("{"), row[1])))


def spec_operation(method: str, path: str) -> tuple[str | None, bool]:
    """(the spec key of ``method path`` or None, whether the path is any spec operation's)."""
    path = canonical_path(path)
    path_known = False
    for row_method, template, pattern in _templates():
        if pattern.match(path):
            path_known = True
            if row_method == method:
                return f"{row_method} {template}", True
    return None, path_known


def _served(scope: Scope, key: str) -> bool:
    method, template = key.split(" ", 1)
    return (method, normalize(template)) in served_operations(scope["app"])


class NotServedRoute(BaseRoute):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["path"].startswith(_PREFIXES):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        key, path_known = spec_operation(scope["method"], scope["path"])
        if key is not None and _served(scope, key):
            # A served operation whose route rejected the path (``{id:int}`` given a word): no such object.
            error = ApiError(404, "Unknown method .", error_info=_INFO)
        elif key is not None:
            operation_id = operations()[key].get("id") or key
            error = ApiError(
                501,
                f"Not implemented in the sandbox: {key} ({operation_id})",
                error_info="The sandbox does not serve this operation of Pipedrive's API yet.",
            )
        elif path_known:
            error = ApiError(405, "Method not allowed", error_info=_INFO)
        else:
            error = ApiError(404, "Unknown method .", error_info=_INFO)
        await error_response(error)(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)
