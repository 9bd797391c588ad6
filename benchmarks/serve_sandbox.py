"""Child entry point: the sandbox under uvicorn on loopback, in its own process."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve_sandbox")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-token", default="bench-token")
    parser.add_argument("--seed", default="empty", choices=["empty", "demo"])
    parser.add_argument("--rate-limit", default="off")
    parser.add_argument("--db", default=None, help="SQLite path (default: in-memory)")
    args = parser.parse_args(argv)

    import uvicorn

    from pipedrive_connector.sandbox import SandboxSettings, create_app

    settings = SandboxSettings(
        api_token=args.api_token,
        db_path=args.db,
        seed=args.seed,
        rate_limit=args.rate_limit,
        webhook_retry_delays=(0.2, 0.5, 1.0),
    )
    app = create_app(settings)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
