"""Adapter for ``pypipedrive-client`` (import ``pypipedrive``), run by the peers' virtualenv.

``pypipedrive.api.Api.__init__`` hard-codes ``https://api.pipedrive.com/<version>/`` as its
``endpoint_url``; the adapter rewrites that attribute after construction to the sandbox's base URL.
The token comes from ``PIPEDRIVE_API_TOKEN`` as the SDK expects. Deals use API v2 (cursor pages).
"""

from __future__ import annotations

import os
import sys
from importlib import metadata
from typing import Any

from benchmarks.peers.common import finish, parser, run_workload
from benchmarks.probe import measure

PAGE = 500


def point_at(base_url: str) -> None:
    from pypipedrive.api import api as api_module

    original_init = api_module.Api.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.endpoint_url = self.endpoint_url.replace("https://api.pipedrive.com", base_url.rstrip("/"))

    api_module.Api.__init__ = init


def main(argv: list[str] | None = None) -> int:
    args = parser("pypipedrive_client").parse_args(argv)
    if args.op == "version":
        return finish({"version": metadata.version("pypipedrive-client")})

    os.environ["PIPEDRIVE_API_TOKEN"] = args.token
    point_at(args.base_url)
    from pypipedrive.models.deals import Deals

    if args.op == "read":

        def read() -> dict[str, Any]:
            deals = Deals.all(params={"limit": PAGE})  # the SDK's way: a list of every deal
            return {"count": len(deals), "id_sum": sum(int(d.id) for d in deals)}

        return finish(measure(read, trace=args.trace))

    if args.op == "read-pages":
        # The SDK's lower layer: Api.iterator yields each page as an ApiResponse (no per-deal models).
        def read_pages() -> dict[str, Any]:
            count = id_sum = 0
            for page in Deals.get_api().iterator(uri="deals", params={"limit": PAGE}):
                for deal in page.data or []:
                    count += 1
                    id_sum += int(deal["id"])
            return {"count": count, "id_sum": id_sum}

        return finish(measure(read_pages, trace=args.trace))

    ids = [int(x) for x in args.ids.split(",") if x]
    api = Deals.get_api()
    return finish(
        run_workload(
            args.gets,
            args.updates,
            ids,
            get_one=lambda deal_id: Deals.get(id=deal_id),
            update_one=lambda deal_id, title: api.patch(uri=f"deals/{deal_id}", json={"title": title}),
        )
    )


if __name__ == "__main__":
    sys.exit(main())
