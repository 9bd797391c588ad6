"""The hand-made resources' specs (``client/_catalog.py``) are read off the generated operation table:
each one's path, paging, page size, update verb, id kind and search match the table, no path is written
by hand, and the derived values are what the sandbox accepts over HTTP."""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

import httpx
import pytest

from pipedrive_connector.client import Pipedrive, _catalog, catalog
from pipedrive_connector.client._ops import ResourceSpec
from pipedrive_connector.client.generated._operations import OPERATIONS

LEGACY = {"DEALS_V1", "PERSONS_V1", "ORGANIZATIONS_V1", "ACTIVITIES_V1"}  # dropped from today's specs


def specs() -> dict[str, ResourceSpec[Any]]:
    return {k: v for k, v in vars(_catalog).items() if isinstance(v, ResourceSpec)}


def test_the_catalog_derives_every_spec_but_the_legacy_ones_and_writes_no_path() -> None:
    """Re-hand-writing a path, a verb or a page size in ``_catalog.py`` fails here."""
    tree = ast.parse(inspect.getsource(_catalog))
    built: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            target = node.targets[0]
            func = node.value.func
            if isinstance(target, ast.Name) and isinstance(func, ast.Name) and target.id in specs():
                built[target.id] = func.id
                if target.id in LEGACY:
                    continue
                written = [c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant)]
                assert not [v for v in written if isinstance(v, str) and v.startswith("/")], target.id
                keywords = {k.arg for k in node.value.keywords}
                assert keywords <= {"fields_entity", "search"}, (target.id, keywords)
    assert set(specs()) == set(built)
    assert {name for name, func in built.items() if func != "derived"} == LEGACY
    assert {name for name, func in built.items() if func == "derived"} == set(specs()) - LEGACY


def _listing(spec: ResourceSpec[Any]) -> Any:
    found = [op for op in catalog.OPERATIONS if op.method == "GET" and op.path == spec.path]
    assert len(found) == 1, spec.name
    return found[0]


@pytest.mark.parametrize("name", sorted(set(specs()) - LEGACY))
def test_each_derived_spec_matches_the_operation_table(name: str) -> None:
    spec = specs()[name]
    listing = _listing(spec)
    resource = listing.python_name.split(".")[0]
    assert resource in _catalog.HAND_MADE_RESOURCES
    assert (spec.paging, spec.page_size) == (listing.paging, listing.page_size)
    assert spec.custom_fields_style == listing.api
    on_item = [
        op for op in catalog.OPERATIONS if re.fullmatch(re.escape(spec.path) + r"/\{[a-z_]+\}", op.path)
    ]
    updates = {op.method for op in on_item if op.method in ("PUT", "PATCH")}
    assert updates <= {spec.update_method}, name
    kinds = {p.kind for op in on_item for p in op.params if p.where == "path"}
    assert kinds <= {spec.id_kind}, name
    searching = [op for op in catalog.OPERATIONS if op.python_name == f"{resource}.search"]
    if name == "ITEM_SEARCH":  # itemSearch is both its list and its search
        searching = [listing]
    assert spec.search_path == (searching[0].path if searching else None), name
    if searching:
        assert spec.search_paging == searching[0].paging
        assert spec.search_page_size == searching[0].page_size


def test_what_the_table_gives_is_what_pipedrive_documents() -> None:
    """A few values spelled out, so a regression of the derivation or the generator shows here."""
    assert (_catalog.DEALS.path, _catalog.DEALS.search_path) == ("/api/v2/deals", "/api/v2/deals/search")
    assert (_catalog.DEALS.page_size, _catalog.DEALS.search_page_size) == (500, 500)
    assert (_catalog.LEADS.path, _catalog.LEADS.paging, _catalog.LEADS.id_kind) == (
        "/v1/leads",
        "offset",
        "uuid",
    )
    assert _catalog.LEADS.search_path == "/api/v2/leads/search"  # v1 CRUD, v2 search
    assert (_catalog.LEAD_LABELS.paging, _catalog.LEAD_LABELS.page_size) == ("none", None)
    assert (_catalog.FILTERS.update_method, _catalog.DEAL_FIELDS.update_method) == ("PUT", "PUT")
    assert _catalog.DEAL_FIELDS.path == "/v1/dealFields"
    # itemSearch states "a maximum value of 100" only in words: the generator reads it
    assert _catalog.ITEM_SEARCH.search_page_size == OPERATIONS["searchItem"].page_size == 100


def test_derived_refuses_items_with_ids_of_another_kind() -> None:
    from pipedrive_connector.client.errors import ConfigurationError
    from pipedrive_connector.client.models import FieldDefinition

    with pytest.raises(ConfigurationError, match="getDealFields: its items have ids of kinds"):
        _catalog.derived("getDealFields", FieldDefinition)  # v2 fields are keyed by field_code strings


def test_the_derived_specs_work_over_http(pipedrive_sandbox: Any) -> None:
    sent: list[httpx.Request] = []
    settings = {"api_token": pipedrive_sandbox.api_token, "base_url": pipedrive_sandbox.base_url}
    http = httpx.Client(event_hooks={"request": [sent.append]})
    with Pipedrive(**settings, http_client=http) as pd:
        hits = pd.deals.search("Acme")
        assert hits.items and sent[-1].url.params["limit"] == "500"
        assert sent[-1].url.path == "/api/v2/deals/search"
        items = pd.item_search.search("Acme")
        assert items.items and sent[-1].url.params["limit"] == "100"
        found = list(pd.api.item_search.iterate(term="Acme"))
        assert found and sent[-1].url.params["limit"] == "100"
        one_filter = pd.filters.list().items[0]
        conditions = {"glue": "and", "conditions": [{"glue": "and", "conditions": []}]}
        renamed = pd.filters.update(one_filter.id, name="Derived PUT", conditions=conditions)
        assert renamed.name == "Derived PUT" and sent[-1].method == "PUT"
        lead = pd.leads.add(title="Derived lead", person_id=1)
        changed = pd.leads.update(lead.id, title="Derived lead 2")
        assert changed.title == "Derived lead 2" and sent[-1].method == "PATCH"
        assert sent[-1].url.path == f"/v1/leads/{lead.id}"
        deals = list(pd.deals.iterate())
        assert deals and all(
            r.url.params.get("limit") == "500" for r in sent if r.url.path == "/api/v2/deals"
        )
