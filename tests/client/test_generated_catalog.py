"""The catalog holds every non-deprecated operation of both specs, and each one's method exists on both
clients; ``pipedrive request <operationId>`` calls it."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app
from pipedrive_connector.client import AsyncPipedrive, ConfigurationError, Pipedrive, catalog

METHODS = ("get", "post", "put", "patch", "delete")
PREFIX = {"v1": "/v1", "v2": "/api/v2"}


def spec_operations(shared_dir: Path) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """(api, operationId, METHOD, absolute path, operation) of every non-deprecated operation."""
    found = []
    for api in ("v1", "v2"):
        spec = yaml.load(
            (shared_dir / "pipedrive" / f"openapi-{api}.yaml").read_text(encoding="utf-8"),
            Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
        )
        for path, item in spec["paths"].items():
            for method in METHODS:
                op = item.get(method)
                if op and not op.get("deprecated"):
                    found.append((api, op["operationId"], method.upper(), PREFIX[api] + path, op))
    return found


def resolve(client: Any, python_name: str) -> Any:
    target = client
    for part in python_name.split("."):
        target = getattr(target, part)
    return target


def test_every_non_deprecated_operation_is_in_the_catalog_with_a_method(shared_dir: Path) -> None:
    operations = spec_operations(shared_dir)
    assert len(operations) == 354  # 158 v2 + 196 non-deprecated v1 (213 minus 17 deprecated)
    sync, async_ = Pipedrive(api_token="a" * 40), AsyncPipedrive(api_token="a" * 40)
    for api, operation_id, method, path, raw in operations:
        op = catalog.find(operation_id, api=api)  # type: ignore[arg-type]
        assert op is not None, f"{api} {operation_id} missing from the catalog"
        assert (op.operation_id, op.method, op.path, op.api) == (operation_id, method, path, api)
        assert op.token_cost == raw.get("x-token-cost")
        names = {p["name"] for p in raw.get("parameters") or [] if p.get("in") == "query"}
        expected = "cursor" if "cursor" in names else "start-limit" if "start" in names else "none"
        assert op.pagination == (expected if method == "GET" else "none"), operation_id
        for client in (sync, async_, sync.api, async_.api):
            assert callable(resolve(client, op.python_name)), op.python_name
        assert inspect.iscoroutinefunction(resolve(async_.api, op.python_name))
        if op.pagination != "none":
            resource, name = op.python_name.split(".")
            iterate = "iterate" if name == "list" else f"iterate_{name}"
            assert callable(getattr(getattr(sync.api, resource), iterate)), op.python_name
    assert len(catalog.OPERATIONS) == len(operations)
    sync.close()


def test_catalog_entries_say_what_the_issue_asks() -> None:
    notes = catalog.get("getNotes")
    assert (notes.method, notes.path, notes.api, notes.pagination, notes.python_name) == (
        "GET",
        "/v1/notes",
        "v1",
        "start-limit",
        "notes.list",
    )
    assert catalog.get("getDeals").pagination == "cursor" and catalog.get("getDeals").page_size == 500
    assert catalog.get("addProduct").python_name == "products.add"
    assert catalog.get("updateDealProduct").python_name == "deal_products.update"
    assert catalog.get("addFile").python_name == "files.upload"
    # An operationId both specs define: the v2 one by default, the v1 one on request.
    assert catalog.get("getDealFields").api == "v2"
    assert catalog.get("getDealFields", api="v1").path == "/v1/dealFields"


def test_an_unknown_operation_id_is_refused_with_suggestions() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown operationId 'getNote ' \(did you mean getNote"):
        catalog.get("getNote ")
    with pytest.raises(ConfigurationError, match="getNotes"):
        catalog.get("getNotez")


def test_route_checks_path_ids_through_client_paths() -> None:
    assert catalog.route(catalog.get("getNote"), {"id": "7"}) == ("GET", "/v1/notes/7", {})
    with pytest.raises(ConfigurationError, match="invalid id"):
        catalog.route(catalog.get("deleteNote"), {"id": "../../api/v2/deals/3"})
    with pytest.raises(ConfigurationError, match="needs the path parameter id"):
        catalog.route(catalog.get("getNote"), {})


def test_cli_request_accepts_an_operation_id(pipedrive_sandbox: Any, tmp_path: Path) -> None:
    environ = {
        "PIPEDRIVE_API_TOKEN": pipedrive_sandbox.api_token,
        "PIPEDRIVE_BASE_URL": pipedrive_sandbox.base_url,
        "PIPEDRIVE_COMPANY_DOMAIN": "",
        "PIPEDRIVE_PROFILE": "",
        "PIPEDRIVE_CONFIG_DIR": str(tmp_path / "config"),
    }
    with Pipedrive(api_token=pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url) as pd:
        note = pd.notes.add(content="from the catalog", deal_id=1)
    assert note.data is not None and note.data.id is not None
    runner = CliRunner()
    listed = runner.invoke(app, ["request", "getNotes", "--param", "deal_id=1"], env=environ)
    assert listed.exit_code == 0, listed.output
    assert "from the catalog" in listed.stdout
    one = runner.invoke(app, ["request", "getNote", "--param", f"id={note.data.id}"], env=environ)
    assert one.exit_code == 0 and "from the catalog" in one.stdout, one.output
    unknown = runner.invoke(app, ["request", "getNotez"], env=environ)
    assert unknown.exit_code == 2 and "did you mean" in unknown.stderr and "Traceback" not in unknown.output
    traversal = runner.invoke(app, ["request", "deleteNote", "--param", "id=../deals/3"], env=environ)
    assert traversal.exit_code == 2 and "invalid id" in traversal.stderr, traversal.output


def test_the_hand_made_resources_sit_on_operations_of_the_table() -> None:
    """Every hand-made resource's list, item and search paths and its update verb are operations of
    the generated table (legacy v1 entities excepted: the current specs dropped them)."""
    from pipedrive_connector.client import _catalog
    from pipedrive_connector.client._ops import ResourceSpec

    routes = {(op.method, op.path.replace("{id}", "{}")) for op in catalog.OPERATIONS}
    for name, spec in vars(_catalog).items():
        if not isinstance(spec, ResourceSpec) or name.endswith("_V1"):
            continue
        assert ("GET", spec.path) in routes or ("POST", spec.path) in routes, name
        if spec.search_path:
            assert ("GET", spec.search_path) in routes, name
    sync = Pipedrive(api_token="a" * 40)
    for name in _catalog.HAND_MADE_RESOURCES:
        resource = getattr(sync, name)
        if "update" in dir(type(resource)):  # a hand-made update: its verb is the spec's
            path = resource._ops.spec.path + "/{}"
            assert (resource._ops.spec.update_method, path) in routes, name
    for name in _catalog.HAND_MADE_RESOURCES:
        assert getattr(sync, name)._generated is getattr(sync.api, name)
    assert sync.deals.duplicate == sync.api.deals.duplicate  # a generated operation, reached through pd.deals
    sync.close()
