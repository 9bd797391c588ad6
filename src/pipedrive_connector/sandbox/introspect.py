"""Which API operations the sandbox serves: its routes as (method, path template) pairs.

Used by the conformance test (to pick the spec operations to check) and by
``scripts/sandbox_coverage.py`` (to report coverage against Pipedrive's specs).
"""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.routing import Route

API_PREFIXES = {"v1": "/v1", "v2": "/api/v2"}
_PARAM = re.compile(r"\{[^}]+\}")


def normalize(path: str) -> str:
    """``/deals/{id}`` and ``/deals/{deal_id}`` compare equal."""
    return _PARAM.sub("{}", path.rstrip("/") or "/")


def served_operations(app: Starlette) -> set[tuple[str, str]]:
    """``{("GET", "/api/v2/deals/{}"), ...}`` for every route of the app (HEAD omitted)."""
    result: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, Route):
            for method in route.methods or ():
                if method != "HEAD":
                    result.add((method, normalize(route.path)))
    return result


def implements(app_operations: set[tuple[str, str]], version: str, method: str, spec_path: str) -> bool:
    """Whether a spec operation (path relative to the version's server URL) is served."""
    return (method.upper(), normalize(API_PREFIXES[version] + spec_path)) in app_operations
