"""Driving the sandbox from the outside: start it, reset, seed deals fast, set limits and faults."""

from __future__ import annotations

import importlib
from typing import Any

import httpx

from benchmarks.procs import ChildServer
from benchmarks.results import Skipped

TOKEN = "bench-token"


def require(module: str, *names: str, what: str) -> Any:
    """Import ``module`` and check it offers ``names``; Skipped naming ``what`` is missing otherwise."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise Skipped(f"{what} is missing ({module}: {exc})") from exc
    missing = [name for name in names if not hasattr(mod, name)]
    if missing:
        raise Skipped(f"{what} is missing ({module} has no {', '.join(missing)})")
    return mod


def require_sandbox() -> None:
    require("pipedrive_connector.sandbox", "SandboxSettings", "create_app", what="sandbox core")


class Sandbox:
    """A sandbox child process plus control-plane helpers."""

    def __init__(self, *, seed: str = "empty", rate_limit: str = "off", deals: int = 0) -> None:
        require_sandbox()
        self.server = ChildServer(
            "benchmarks.serve_sandbox",
            ["--seed", seed, "--rate-limit", rate_limit, "--api-token", TOKEN, "--deals", str(deals)],
            health_path="/_sandbox/state",
            ready_timeout=30.0 + deals / 50,
        )
        self.token = TOKEN
        self.http: httpx.Client | None = None

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def __enter__(self) -> Sandbox:
        self.server.start()
        self.http = httpx.Client(base_url=self.base_url, headers={"x-api-token": TOKEN}, timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.http is not None:
            self.http.close()
        self.server.__exit__(None, None, None)

    def _client(self) -> httpx.Client:
        if self.http is None:
            raise RuntimeError("sandbox not started")
        return self.http

    def control(self, path: str, payload: dict[str, Any] | None = None, *, what: str) -> dict[str, Any]:
        """POST to the control plane; Skipped when the endpoint does not exist yet."""
        resp = self._client().post(f"/_sandbox/{path}", json=payload or {})
        if resp.status_code in (404, 405):
            raise Skipped(f"{what} is missing (POST /_sandbox/{path} answered {resp.status_code})")
        resp.raise_for_status()
        body = resp.json() if resp.content else {}
        return body if isinstance(body, dict) else {"data": body}

    def state(self) -> dict[str, Any]:
        resp = self._client().get("/_sandbox/state")
        resp.raise_for_status()
        body = resp.json()
        return body if isinstance(body, dict) else {}

    def reset(self, seed: str = "empty") -> None:
        self.control("reset", {"seed": seed}, what="control-plane reset")

    def set_rate_limit(self, plan: str, **extra: Any) -> None:
        self.control("rate-limit", {"plan": plan, **extra}, what="sandbox rate limiter")

    def set_faults(self, **faults: Any) -> None:
        self.control("faults", faults, what="sandbox fault injection")

    def deal_count(self) -> int:
        """Deals the v2 list serves (counted by paging through it: the count the benchmarks read)."""
        count, cursor = 0, None
        while True:
            params: dict[str, Any] = {"limit": 500}
            if cursor:
                params["cursor"] = cursor
            resp = self._client().get("/api/v2/deals", params=params)
            resp.raise_for_status()
            body = resp.json()
            count += len(body.get("data") or [])
            cursor = (body.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return count
