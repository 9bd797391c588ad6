"""``POST /_sandbox/bulk``: load many entities at once from JSON lines, in one transaction.

Each line is ``{"kind": "deal", ...fields}`` with the fields of the kind's API v2 create body; it is
validated, given defaults and an id exactly like ``POST /api/v2/{plural}``, but no webhook fires
(a bulk load is set-up, not activity). The first bad line rolls everything back and names its
line number. Lines are parsed one at a time from the (spooled) body.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pipedrive_connector.sandbox.errors import ApiError, bad_request
from pipedrive_connector.sandbox.resources.entity import CHILD_RESOURCES
from pipedrive_connector.sandbox.validation import parse_json_object

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState


def bulk_kinds() -> tuple[str, ...]:
    return tuple(sorted(CHILD_RESOURCES))


def load_lines(state: SandboxState, lines: Iterable[bytes], user_id: int) -> dict[str, int]:
    """Create one entity per non-blank line, all or nothing; returns how many of each kind."""
    created: Counter[str] = Counter()
    with state.store.transaction():
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                body = parse_json_object(line)
                kind = body.pop("kind", None)
                resource = CHILD_RESOURCES.get(kind) if isinstance(kind, str) else None
                if resource is None:
                    raise bad_request(f"Invalid value for 'kind': must be one of {', '.join(bulk_kinds())}")
                record = resource.new_record(state, resource.changes_for_v2_create(state, body), user_id)
                state.store.put(resource.kind, record)
            except ApiError as error:
                raise ApiError(error.status, f"Line {number}: {error.error}", code=error.code) from None
            created[resource.kind] += 1
    return dict(created)
