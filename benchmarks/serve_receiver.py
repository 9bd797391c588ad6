"""Child entry point: the triggers receiver (TriggerApp.asgi with its durable inbox) under uvicorn.

Two modes:
- load (no ``--sandbox-url``): one ``newDeal`` subscription created in the inbox store, a no-op
  handler; the credentials go to ``--creds`` for the load generator.
- drill (``--sandbox-url``): ``newDeal`` enabled against the sandbox (which then delivers real
  webhooks), and a handler that appends each handled event to ``--out`` (O_APPEND writes survive
  SIGKILL of this process), so every handler run can be counted.
Restarting with the same ``--state`` reuses the stored subscription, as a real deployment would.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve_receiver")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", required=True, help="the inbox's SQLite file")
    parser.add_argument("--creds", help="load mode: write the subscription's id and credentials here")
    parser.add_argument("--sandbox-url", help="drill mode: the sandbox to register the webhook with")
    parser.add_argument("--token", default="bench-token")
    parser.add_argument("--out", help="drill mode: append one JSON line per handled event")
    parser.add_argument("--profile", help="write a timing breakdown of the request path here on exit")
    args = parser.parse_args(argv)

    from pipedrive_connector.triggers import TriggerApp

    public_url = f"http://127.0.0.1:{args.port}"
    client: Any = None
    if args.sandbox_url:
        from pipedrive_connector.client import Pipedrive

        client = Pipedrive(api_token=args.token, base_url=args.sandbox_url)
    app = TriggerApp(client=client, state_path=args.state, public_url=public_url)

    if args.sandbox_url:
        if not app.subscriptions():
            app.enable("newDeal")
        out_fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        pid = os.getpid()

        def record(event: Any) -> None:
            line = {"entity_id": event.entity_id, "event_key": event.event_key, "pid": pid}
            os.write(out_fd, (json.dumps(line) + "\n").encode())

        app.add_handler("bench-count", record, "newDeal")
    else:
        creds = Path(args.creds)
        if not creds.exists():
            sub, password = app.store.create_subscription("newDeal", {}, "2.0", public_url)
            creds.write_text(json.dumps({"id": sub.id, "user": sub.auth_user, "password": password}))
        app.add_handler("bench-noop", lambda event: None, "newDeal")

    if args.profile:
        import signal

        from benchmarks.timing import profile_receiver

        # uvicorn re-raises SIGTERM after its graceful shutdown; exit through Python so the
        # profile is written.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))

        with profile_receiver(app, Path(args.profile)):
            app.serve(host="127.0.0.1", port=args.port)
        return 0
    app.serve(host="127.0.0.1", port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
