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

import json
import sys
from pathlib import Path
from typing import Any

import yaml

METHODS = ("get", "post", "put", "patch", "delete")
SPECS = (
    ("openapi-v2.yaml", "/api/v2"),
    ("openapi-v1.yaml", "/v1"),
    ("openapi-v1-2026-01-with-deprecated.yaml", "/v1"),
)
DEFAULT_OUTPUT = (
    Path(__file__).resolve().parents[1] / "src/pipedrive_connector/sandbox/data/spec_operations.json"
)
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
    for filename, prefix in SPECS:
        spec_path = spec_dir / filename
        if not spec_path.is_file():
            raise SystemExit(f"missing spec file: {spec_path}")
        with spec_path.open(encoding="utf-8") as handle:
            spec = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        for path, item in (spec.get("paths") or {}).items():
            if path.startswith("/oauth"):
                continue
            for method in METHODS:
                operation = (item or {}).get(method)
                key = f"{method.upper()} {prefix}{path.rstrip('/') or '/'}"
                if not isinstance(operation, dict) or key in table:
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


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    table = extract(Path(argv[1]))
    output = Path(argv[2]) if len(argv) == 3 else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(table)} operations -> {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
