"""One process of the cross-process refresh test (run by test_refresh.py, not collected by pytest).

Usage: python refresh_worker.py TOKEN_FILE OAUTH_BASE_URL THREADS  (app credentials in the environment)
Prints "ready" once its token is loaded, waits for a line on stdin, then sends THREADS concurrent
GET /v1/users/me and prints {"refreshes": n, "user_ids": [...]} (n = its own calls to /oauth/token).
"""

from __future__ import annotations

import json
import os
import sys
import threading

import httpx

from pipedrive_connector.client import Pipedrive
from pipedrive_connector.client.oauth import OAuth2Auth, OAuthApp, OAuthTokenClient
from pipedrive_connector.client.token_store import FileTokenStore


def main() -> None:
    token_file, oauth_base_url, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = OAuthApp(os.environ["TEST_OAUTH_CLIENT_ID"], os.environ["TEST_OAUTH_CLIENT_SECRET"], oauth_base_url)
    token_calls: list[str] = []

    def count(request: httpx.Request) -> None:
        if request.url.path.startswith("/oauth/token"):
            token_calls.append(request.url.path)

    auth = OAuth2Auth(
        app, FileTokenStore(token_file), token_client=OAuthTokenClient(app, event_hooks={"request": [count]})
    )
    auth.current_token()  # hold the soon-to-expire token in memory, like a long-running worker
    print("ready", flush=True)
    sys.stdin.readline()

    barrier = threading.Barrier(threads)
    user_ids: list[int] = []
    with Pipedrive(auth=auth) as pd:

        def call() -> None:
            barrier.wait()
            user_ids.append(pd.request("GET", "/v1/users/me")["data"]["id"])

        workers = [threading.Thread(target=call) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    print(json.dumps({"refreshes": len(token_calls), "user_ids": user_ids}), flush=True)


if __name__ == "__main__":
    main()
