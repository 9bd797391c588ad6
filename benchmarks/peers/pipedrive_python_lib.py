"""Adapter for ``pipedrive-python-lib`` (import ``pipedrive``), run by the peers' virtualenv.

The SDK builds its URLs from ``Client.BASE_URL``; its documented ``domain`` argument replaces that
with ``<domain>/v1/``, which points it at the sandbox. It pages the legacy ``GET /v1/deals`` with
start/limit and sends the token as the ``api_token`` query parameter.
"""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Any

from benchmarks.peers.common import finish, parser, run_workload
from benchmarks.probe import measure

PAGE = 500


def main(argv: list[str] | None = None) -> int:
    args = parser("pipedrive_python_lib").parse_args(argv)
    if args.op == "version":
        return finish({"version": metadata.version("pipedrive-python-lib")})

    from pipedrive.client import Client

    client = Client(domain=args.base_url)
    client.set_api_token(args.token)

    if args.op == "read":

        def read() -> dict[str, Any]:
            count = id_sum = start = 0
            while True:
                page = client.deals.get_all_deals(params={"start": start, "limit": PAGE})
                for deal in page.get("data") or []:
                    count += 1
                    id_sum += deal["id"]
                pagination = (page.get("additional_data") or {}).get("pagination") or {}
                if not pagination.get("more_items_in_collection"):
                    break
                start = int(pagination.get("next_start", start + PAGE))
            return {"count": count, "id_sum": id_sum}

        return finish(measure(read, trace=args.trace))

    ids = [int(x) for x in args.ids.split(",") if x]
    return finish(
        run_workload(
            args.gets,
            args.updates,
            ids,
            get_one=lambda deal_id: client.deals.get_deal(deal_id),
            update_one=lambda deal_id, title: client.deals.update_deal(deal_id, {"title": title}),
        )
    )


if __name__ == "__main__":
    sys.exit(main())
