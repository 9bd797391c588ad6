"""Helpers for the sandbox tests: an in-process API client bound to a fresh sandbox app."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from pipedrive_connector.sandbox import SandboxSettings, create_app
from pipedrive_connector.sandbox.state import SandboxState

TOKEN = "test-token"


class Api:
    """A TestClient that sends the admin's token, plus the app's state for white-box assertions."""

    def __init__(self, client: TestClient, state: SandboxState) -> None:
        self.client = client
        self.state = state
        self.headers = {"x-api-token": TOKEN}

    def get(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, headers=kwargs.pop("headers", self.headers), **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.post(path, headers=kwargs.pop("headers", self.headers), **kwargs)  # type: ignore[arg-type]

    def patch(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.patch(path, headers=kwargs.pop("headers", self.headers), **kwargs)  # type: ignore[arg-type]

    def put(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.put(path, headers=kwargs.pop("headers", self.headers), **kwargs)  # type: ignore[arg-type]

    def delete(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.delete(path, headers=kwargs.pop("headers", self.headers), **kwargs)  # type: ignore[arg-type]


def make_api(seed: str = "demo", **settings: object) -> Iterator[Api]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app(SandboxSettings(api_token=TOKEN, seed=seed, **settings))  # type: ignore[arg-type]
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Api(client, app.state.sandbox)
