"""Option loaders for SELECT properties: every page of the source list, filtered by search text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pipedrive_connector.component.calls import Flow
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.model import Option
from pipedrive_connector.component.paging import v1_all, v2_all


@dataclass(frozen=True)
class LoaderSpec:
    """Where a loader reads its options: a v2 path (cursor pages) and/or a v1 path."""

    description: str
    v1_path: str
    v2_path: str | None = None
    v1_paged: bool = True
    label: Callable[[dict[str, Any]], str] = lambda item: str(item.get("name") or item.get("id"))
    value_key: str = "id"
    params: Mapping[str, Any] | None = None
    depends_on: tuple[str, ...] = ()
    search_param: str | None = None  # a server-side text filter, when the endpoint has one


def _title(item: dict[str, Any]) -> str:
    return str(item.get("title") or item.get("id"))


def _currency(item: dict[str, Any]) -> str:
    return f"{item.get('name')} ({item.get('code')})"


def _filters(kind: str) -> LoaderSpec:
    return LoaderSpec(
        f"Filters of type {kind} (GET /v1/filters?type={kind})",
        "/v1/filters",
        v1_paged=False,
        params={"type": kind},
    )


LOADERS: dict[str, LoaderSpec] = {
    "users": LoaderSpec("Users of the company (GET /v1/users)", "/v1/users", v1_paged=False),
    "deal_filters": _filters("deals"),
    "lead_filters": _filters("leads"),
    "organization_filters": _filters("org"),
    "person_filters": _filters("people"),
    "activity_filters": _filters("activity"),
    "product_filters": _filters("products"),
    "pipelines": LoaderSpec(
        "Pipelines (GET /api/v2/pipelines; v1 /v1/pipelines)",
        "/v1/pipelines",
        "/api/v2/pipelines",
        v1_paged=False,
    ),
    "stages": LoaderSpec(
        "Stages, of the chosen pipeline when pipeline_id is set (GET /api/v2/stages)",
        "/v1/stages",
        "/api/v2/stages",
        depends_on=("pipeline_id",),
    ),
    "persons": LoaderSpec("Persons (GET /api/v2/persons, every page)", "/v1/persons", "/api/v2/persons"),
    "organizations": LoaderSpec(
        "Organizations (GET /api/v2/organizations, every page)", "/v1/organizations", "/api/v2/organizations"
    ),
    "deals": LoaderSpec(
        "Deals by title (GET /api/v2/deals, every page)", "/v1/deals", "/api/v2/deals", label=_title
    ),
    "products": LoaderSpec(
        "Products (GET /api/v2/products, every page)", "/api/v2/products", "/api/v2/products"
    ),
    "leads": LoaderSpec("Leads by title (GET /v1/leads, every page)", "/v1/leads", label=_title),
    "lead_labels": LoaderSpec("Lead labels (GET /v1/leadLabels)", "/v1/leadLabels", v1_paged=False),
    "currencies": LoaderSpec(
        "Currencies by ISO code (GET /v1/currencies)",
        "/v1/currencies",
        v1_paged=False,
        label=_currency,
        value_key="code",
        search_param="term",
    ),
}


def load_options(
    ctx: ActionContext, loader: str, depends: Mapping[str, Any] | None = None, search: str | None = None
) -> Flow[list[Option]]:
    spec = LOADERS[loader]
    params: dict[str, Any] = dict(spec.params or {})
    for name in spec.depends_on:
        if depends and depends.get(name) is not None:
            params[name] = depends[name]
    if search and spec.search_param:
        params[spec.search_param] = search
    if ctx.v2 and spec.v2_path:
        items = yield from v2_all(spec.v2_path, params)
    else:
        items = yield from v1_all(spec.v1_path, params, paged=spec.v1_paged)
    options = [Option(spec.label(item), item.get(spec.value_key)) for item in items if isinstance(item, dict)]
    if search:
        needle = search.lower()
        options = [o for o in options if needle in o.label.lower() or needle == str(o.value).lower()]
    return options
