"""Finding and reading Pipedrive's OpenAPI specs, for the scripts that turn them into tables and reports."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
METHODS = ("get", "post", "put", "patch", "delete")
# (file, path prefix); later files only fill gaps (the legacy v1 operations the current file no longer lists).
SPECS = (
    ("openapi-v2.yaml", "/api/v2"),
    ("openapi-v1.yaml", "/v1"),
    ("openapi-v1-2026-01-with-deprecated.yaml", "/v1"),
)


def find_shared_dir(explicit: str | None) -> Path:
    """The folder holding ``pipedrive/openapi-*.yaml``: explicit, $PIPEDRIVE_SHARED_DIR or ../shared."""
    for candidate in (explicit, os.environ.get("PIPEDRIVE_SHARED_DIR"), str(REPO.parent / "shared")):
        if candidate and (Path(candidate) / "pipedrive" / "openapi-v2.yaml").is_file():
            return Path(candidate)
    sys.exit("error: Pipedrive's specs not found; pass --shared-dir or set PIPEDRIVE_SHARED_DIR")


def load_spec(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise SystemExit(f"missing spec file: {path}")
    with path.open(encoding="utf-8") as handle:
        # The C loader when available: the three specs are several MB of YAML.
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def spec_operations(spec_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``("METHOD /prefix/path", operation)`` for each operation of the SPECS files, in their order.

    A key the current v1 file already gave comes again from the legacy file: the caller keeps the first
    it wants. ``/oauth`` operations are left out (served by oauth.pipedrive.com, not under the API
    prefixes), and trailing slashes are dropped from paths.
    """
    for filename, prefix in SPECS:
        spec = load_spec(spec_dir / filename)
        for path, item in (spec.get("paths") or {}).items():
            if path.startswith("/oauth"):
                continue
            for method in METHODS:
                operation = (item or {}).get(method)
                if isinstance(operation, dict):
                    yield f"{method.upper()} {prefix}{path.rstrip('/') or '/'}", operation


def write_table(argv: list[str], usage: str, extract: Callable[[Path], dict[str, Any]], output: Path) -> int:
    """The scripts' command line: ``SCRIPT SHARED_PIPEDRIVE_DIR [OUTPUT_JSON]`` writes ``extract``'s table."""
    if len(argv) not in (2, 3):
        print(usage.strip(), file=sys.stderr)
        return 2
    table = extract(Path(argv[1]))
    output = Path(argv[2]) if len(argv) == 3 else output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(table)} operations -> {output}")
    return 0
