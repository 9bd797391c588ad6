"""What an action's logic may know about the run: the API mode and per-connection caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ApiVersion = Literal["v1", "v2"]


@dataclass
class ActionContext:
    """``api_version`` picks the endpoints: ``v2`` (today's Pipedrive) or ``v1`` (the seed's legacy shapes).

    ``cache`` lives as long as the connection, so field definitions are read once per connection.
    """

    api_version: ApiVersion = "v2"
    resolve_custom_fields: bool = True
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def v2(self) -> bool:
        return self.api_version == "v2"
