"""Extract every operation of Pipedrive's OpenAPI specs into a compact JSON table for the sandbox.

Usage: python scripts/extract_spec_operations.py SHARED_PIPEDRIVE_DIR [OUTPUT_JSON]

The sandbox cannot read the specs at run time, so this writes (default:
``src/pipedrive_connector/sandbox/data/spec_operations.json``) one entry per operation, keyed
``"METHOD /prefix/path/{param}"`` (``/v1`` or ``/api/v2``), holding:

- ``id``, ``summary``, ``deprecated``: to name an operation the sandbox does not serve (501);
- ``body``: the JSON request body flattened (``allOf`` merged): ``required`` and ``properties``
  (``type``, ``format``, ``enum``, ``nullable``, ``default`` of each property);
- ``data``: the success response's ``data`` flattened the same way, and whether it is a list.

Legacy v1 operations the current v1 file no longer lists come from the 2026-01 file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from spec_files import REPO, spec_operations, write_table

DEFAULT_OUTPUT = REPO / "src/pipedrive_connector/sandbox/data/spec_operations.json"
KEPT = ("type", "format", "enum", "nullable", "default")


def flatten(schema: Any) -> dict[str, Any]:
    """Merge ``allOf`` parts into one schema: properties, required, type, format, enum, nullable."""
    if not isinstance(schema, dict):
        return {}
    merged: dict[str, Any] = {key: schema[key] for key in KEPT if key in schema}
    properties: dict[str, Any] = dict(schema.get("properties") or {})
    required: list[str] = list(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        flat = flatten(part)
        properties.update(flat.pop("properties", {}))
        required += flat.pop("required", [])
        for key, value in flat.items():
            merged.setdefault(key, value)
    if "items" in schema:
        merged["items"] = schema["items"]
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = sorted(set(required))
    return merged


def describe(schema: Any) -> dict[str, Any]:
    flat = flatten(schema)
    result = {key: flat[key] for key in KEPT if key in flat}
    if "type" not in result and "properties" in flat:
        result["type"] = "object"
    if result.get("type") == "array":
        items = flatten(flat.get("items"))
        if "type" in items:
            result["items"] = items["type"]
    return result


def body_of(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = ((operation.get("requestBody") or {}).get("content")) or {}
    media = content.get("application/json") or content.get("application/x-www-form-urlencoded")
    if not media:
        return None
    flat = flatten(media.get("schema"))
    return {
        "required": flat.get("required", []),
        "properties": {name: describe(sub) for name, sub in (flat.get("properties") or {}).items()},
    }


def data_of(operation: dict[str, Any]) -> dict[str, Any] | None:
    for code in ("200", "201"):
        response = (operation.get("responses") or {}).get(code) or {}
        media = (response.get("content") or {}).get("application/json")
        if not media:
            continue
        data = (flatten(media.get("schema")).get("properties") or {}).get("data")
        if data is None:
            return None
        flat = flatten(data)
        is_list = flat.get("type") == "array"
        if is_list:
            flat = flatten(flat.get("items"))
        properties = flat.get("properties") or {}
        return {
            "status": int(code),
            "type": flat.get("type", "object" if "properties" in flat else ""),
            "list": is_list,
            "properties": {name: describe(sub) for name, sub in properties.items()},
        }
    return None


def extract(spec_dir: Path) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key, operation in spec_operations(spec_dir):
        if key in table:
            continue
        entry: dict[str, Any] = {
            "id": operation.get("operationId", ""),
            "summary": operation.get("summary", ""),
            "deprecated": bool(operation.get("deprecated", False)),
        }
        body = body_of(operation)
        if body is not None:
            entry["body"] = body
        data = data_of(operation)
        if data is not None:
            entry["data"] = data
        table[key] = entry
    return dict(sorted(table.items()))


if __name__ == "__main__":
    sys.exit(write_table(sys.argv, __doc__ or "", extract, DEFAULT_OUTPUT))
