"""The schemathesis harness the conformance tests share (schemathesis 4, in process over ASGI).

``sandbox_schema`` is one of Pipedrive's official specs reduced to the operations the sandbox serves,
bound to a sandbox app reset to the demo seed. Two deliberate relaxations of the response schemas:
the specs omit ``nullable`` on many fields that Pipedrive returns as null when unset (``due_time``,
``marked_as_done_time``, ...), so every response property accepts null; and v1 declares
``format: date-time`` on times its own examples send as ``2019-02-04 13:58:03``, so date formats are
not enforced (types still are).

``run_generated``/``sweep`` send generated requests (never a 5xx, documented response shapes);
``call_conforming`` sends one given request and also checks the documented status code.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from pipedrive_connector.sandbox import SandboxSettings, create_app
from pipedrive_connector.sandbox.control import reset_state
from pipedrive_connector.sandbox.introspect import implements, served_operations

TOKEN = "conformance-token"
HEADERS = {"x-api-token": TOKEN}
METHODS = ("get", "post", "put", "patch", "delete")
SPEC_FILES = {
    "v2": ("v2", "openapi-v2.yaml"),
    "v1": ("v1", "openapi-v1.yaml"),
    "v1-legacy": ("v1", "openapi-v1-2026-01-with-deprecated.yaml"),
}
GENERATED_CHECKS = [not_a_server_error, response_schema_conformance]
KNOWN_GOOD_CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

# A known-good request: (spec, method, path, path parameters, query, body, expected status).
KnownGood = tuple[str, str, str, dict[str, Any], dict[str, Any], Any, int]


def _relax(node: Any) -> None:
    if not isinstance(node, dict):
        return
    if any(key in node for key in ("type", "properties", "allOf", "anyOf", "oneOf", "items")):
        node["nullable"] = True
    if node.get("format") in ("date-time", "date"):
        # v1 declares date-time but its own examples (and the live API) send "2019-02-04 13:58:03".
        del node["format"]
    for sub in (node.get("properties") or {}).values():
        _relax(sub)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key) or []:
            _relax(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _relax(node[key])


@cache
def _load(path: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # type: ignore[no-any-return]


@cache
def _served_operations() -> frozenset[tuple[str, str]]:
    return frozenset(served_operations(create_app(SandboxSettings(api_token=TOKEN))))


@cache
def served_spec(shared_dir: Path, name: str) -> dict[str, Any]:
    """The spec reduced to the operations the sandbox serves (legacy: only those the current v1 lacks)."""
    version, filename = SPEC_FILES[name]
    spec = copy.deepcopy(_load(str(shared_dir / "pipedrive" / filename)))
    current_v1 = (
        _load(str(shared_dir / "pipedrive" / "openapi-v1.yaml"))["paths"] if name == "v1-legacy" else {}
    )
    operations = set(_served_operations())
    paths: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        kept = {
            method: operation
            for method, operation in item.items()
            if method in METHODS
            and implements(operations, version, method, path)
            and method not in current_v1.get(path, {})
        }
        for operation in kept.values():
            for response in operation.get("responses", {}).values():
                for media in (response.get("content") or {}).values():
                    _relax(media.get("schema"))
        if kept:
            paths[path] = {**{k: v for k, v in item.items() if k not in METHODS}, **kept}
    spec["paths"] = paths
    spec["servers"] = [{"url": "http://sandbox" + ("/api/v2" if version == "v2" else "/v1")}]
    return spec


@cache
def _loaded_schema(shared_dir: Path, name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_dict(served_spec(shared_dir, name))
    schema.app = create_app(SandboxSettings(api_token=TOKEN))
    return schema


def sandbox_schema(shared_dir: Path, name: str) -> Any:
    """The (cached) schema of spec ``name`` (a key of SPEC_FILES); its app is reset to the demo seed first."""
    schema = _loaded_schema(shared_dir, name)
    reset_state(schema.app.state.sandbox, "demo")
    return schema


def all_operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


def run_generated(operation: Any, max_examples: int) -> None:
    """Send ``max_examples`` generated requests (derandomized): raises on a 5xx or an undocumented shape."""

    @settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        case.call_and_validate(headers=HEADERS, checks=GENERATED_CHECKS)

    run()


def sweep(operations: Iterable[Any], max_examples: int) -> tuple[int, list[str]]:
    """``run_generated`` over each operation: (how many were swept, every operation's failure)."""
    checked = 0
    failures: list[str] = []
    for operation in operations:
        checked += 1
        try:
            run_generated(operation, max_examples)
        except Exception as exc:  # collect all operations' failures, then report them together
            failures.append(f"{operation.label}: {str(exc)[:800]}")
    return checked, failures


def call_conforming(
    schema: Any,
    method: str,
    path: str,
    path_parameters: dict[str, Any],
    query: dict[str, Any],
    body: Any,
    *,
    declared_media: bool = False,
) -> Any:
    """One request, checked for no 5xx, a documented status and a conforming body; the response.

    The body goes as JSON, or with ``declared_media`` as the operation's first documented media type.
    """
    operation = schema[path][method]
    media = "application/json"
    if declared_media:
        media = next(iter(operation.definition.raw.get("requestBody", {}).get("content", {media: 0})))
    case = operation.Case(
        path_parameters=path_parameters or None,
        query=query or None,
        **({"body": body, "media_type": media} if body is not None else {}),
    )
    return case.call_and_validate(headers=HEADERS, checks=KNOWN_GOOD_CHECKS)


def known_good_cases(rows: list[KnownGood]) -> pytest.MarkDecorator:
    """Parametrize a test over known-good rows, each named "spec METHOD path"."""
    return pytest.mark.parametrize(
        ("spec_name", "method", "path", "path_parameters", "query", "body", "expected"),
        rows,
        ids=[f"{row[0]} {row[1]} {row[2]}" for row in rows],
    )
