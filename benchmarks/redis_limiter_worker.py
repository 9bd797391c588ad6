"""Child process of the shared-limiter drill and test: GETs through one client whose limiter lives in
Redis, starting at an agreed wall-clock time; prints one JSON line with what happened.

    python benchmarks/redis_limiter_worker.py BASE_URL TOKEN LIMITER_URL COUNT START_AT

Runs by path (it imports only the package), so a test can start it without the benchmarks package.
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    from pipedrive_connector.client import Pipedrive, Usage, errors

    base_url, token, limiter, count, start_at = argv[0], argv[1], argv[2], int(argv[3]), float(argv[4])
    statuses: list[int | None] = []
    ok = failed = surfaced_429 = 0

    def record(usage: Usage) -> None:
        statuses.append(usage.status_code)

    with Pipedrive(api_token=token, base_url=base_url, limiter=limiter, on_usage=record) as pd:
        time.sleep(max(0.0, start_at - time.time()))
        for _ in range(count):
            try:
                pd.request("GET", "/v1/users/me")
                ok += 1
            except errors.RateLimited as exc:
                surfaced_429 += 1
                failed += 1
                print(type(exc).__name__, exc, file=sys.stderr)
            except errors.PipedriveError as exc:
                failed += 1
                print(type(exc).__name__, exc, file=sys.stderr)
    result = {
        "ok": ok,
        "errors": failed,
        "surfaced_429": surfaced_429,
        "absorbed_429": statuses.count(429),
        "end": time.time(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
