"""Extract each operation's ``x-token-cost`` from Pipedrive's OpenAPI specs into a JSON table.

Usage: python scripts/extract_token_costs.py SHARED_PIPEDRIVE_DIR [OUTPUT_JSON]

SHARED_PIPEDRIVE_DIR holds ``openapi-v1.yaml``, ``openapi-v2.yaml`` and
``openapi-v1-2026-01-with-deprecated.yaml``. The output (default:
``src/pipedrive_connector/sandbox/data/token_costs.json``) maps ``"METHOD /prefix/path/{param}"`` to
the cost, with ``/v1`` or ``/api/v2`` prefixes. Legacy v1 operations missing from the current v1 file
take their cost from the 2026-01 file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from spec_files import REPO, spec_operations, write_table

DEFAULT_OUTPUT = REPO / "src/pipedrive_connector/sandbox/data/token_costs.json"


def extract(spec_dir: Path) -> dict[str, int]:
    table: dict[str, int] = {}
    for key, operation in spec_operations(spec_dir):
        if isinstance(operation.get("x-token-cost"), int):
            table.setdefault(key, operation["x-token-cost"])
    return dict(sorted(table.items()))


if __name__ == "__main__":
    sys.exit(write_table(sys.argv, __doc__ or "", extract, DEFAULT_OUTPUT))
