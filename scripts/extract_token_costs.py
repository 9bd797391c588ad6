"""Extract each operation's ``x-token-cost`` from Pipedrive's OpenAPI specs into a JSON table.

Usage: python scripts/extract_token_costs.py SHARED_PIPEDRIVE_DIR [OUTPUT_JSON]

SHARED_PIPEDRIVE_DIR holds ``openapi-v1.yaml``, ``openapi-v2.yaml`` and
``openapi-v1-2026-01-with-deprecated.yaml``. The output (default:
``src/pipedrive_connector/sandbox/data/token_costs.json``) maps ``"METHOD /prefix/path/{param}"`` to
the cost, with ``/v1`` or ``/api/v2`` prefixes. Legacy v1 operations missing from the current v1 file
take their cost from the 2026-01 file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

METHODS = ("get", "post", "put", "patch", "delete")
SPECS = (
    # (file, path prefix); later files only fill gaps
    ("openapi-v2.yaml", "/api/v2"),
    ("openapi-v1.yaml", "/v1"),
    ("openapi-v1-2026-01-with-deprecated.yaml", "/v1"),
)
DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "src/pipedrive_connector/sandbox/data/token_costs.json"


def costs_of(spec: dict[str, Any], prefix: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for path, item in (spec.get("paths") or {}).items():
        for method in METHODS:
            operation = (item or {}).get(method)
            if path.startswith("/oauth"):  # served by oauth.pipedrive.com, not under the API prefixes
                continue
            if isinstance(operation, dict) and isinstance(operation.get("x-token-cost"), int):
                # The spec lists refresh as "/oauth/token/"; normalise trailing slashes away.
                template = prefix + (path.rstrip("/") or "/")
                found[f"{method.upper()} {template}"] = operation["x-token-cost"]
    return found


def extract(spec_dir: Path) -> dict[str, int]:
    table: dict[str, int] = {}
    for filename, prefix in SPECS:
        spec_path = spec_dir / filename
        if not spec_path.is_file():
            raise SystemExit(f"missing spec file: {spec_path}")
        with spec_path.open(encoding="utf-8") as handle:
            # The C loader when available: the three specs are several MB of YAML.
            spec = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        for key, cost in costs_of(spec, prefix).items():
            table.setdefault(key, cost)
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
