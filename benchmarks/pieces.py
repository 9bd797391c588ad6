"""Which parts of the project exist yet: each check raises Skipped naming what is missing."""

from __future__ import annotations

from typing import Any

from benchmarks.sandbox_ops import require


def client_classes() -> tuple[Any, Any]:
    mod = require(
        "pipedrive_connector.client", "Pipedrive", "AsyncPipedrive", what="client (Pipedrive, AsyncPipedrive)"
    )
    return mod.Pipedrive, mod.AsyncPipedrive


def require_client_request() -> None:
    sync_cls, _ = client_classes()
    if not hasattr(sync_cls, "request"):
        raise_skip("client Pipedrive.request()")


def require_client_deals(*methods: str) -> None:
    sync_cls, async_cls = client_classes()
    for cls in (sync_cls, async_cls):
        pd = cls(api_token="probe", base_url="http://127.0.0.1:9")
        try:
            deals = getattr(pd, "deals", None)
            missing = [m for m in methods if not hasattr(deals, m)]
            if deals is None or missing:
                raise_skip(f"client {cls.__name__}.deals.{'/'.join(missing or methods)}()")
        finally:
            close = getattr(pd, "close", None) or getattr(pd, "aclose", None)
            if close is not None and cls is sync_cls:
                close()


def require_triggers() -> Any:
    return require(
        "pipedrive_connector.triggers", "TriggerApp", "parse_webhook", what="triggers receiver (TriggerApp)"
    )


def require_component() -> Any:
    return require(
        "pipedrive_connector.component", "Component", "Connection", what="component (Component.run)"
    )


def raise_skip(what: str) -> None:
    from benchmarks.results import Skipped

    raise Skipped(f"{what} is missing")
