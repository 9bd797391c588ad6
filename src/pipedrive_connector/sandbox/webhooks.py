"""Webhooks: the /v1/webhooks management API and outgoing deliveries.

``WebhookService`` subscribes to ``state.bus``; every committed change is matched against the active
subscriptions and handed to the ``DeliveryWorker`` (never blocking the API response). The control
plane exposes the delivery log and the delivery settings:

- ``GET /_sandbox/deliveries[?webhook_id=N][&wait=1]``: every attempt, oldest first (``wait=1``
  first waits until no delivery is queued, in flight or waiting for a retry).
- ``POST /_sandbox/webhooks/flush[?timeout=10]``: wait until deliveries are idle.
- ``POST /_sandbox/webhooks/settings {"retry_delays": [...], "ban_enabled": bool, "timeout_seconds": n}``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pipedrive_connector.sandbox.contracts import ChangeEvent, Principal, SandboxStateLike
from pipedrive_connector.sandbox.custom_fields import custom_definitions
from pipedrive_connector.sandbox.validation import load_json_object
from pipedrive_connector.sandbox.webhook_api import (
    WEBHOOKS_PER_USER,
    BodyError,
    bad_body,
    field_errors,
    forbidden,
    int_or_none,
    lacks_admin_scope,
    limit_reached,
    not_found,
    ok,
    principal_of,
    read_body,
    scope_mismatch,
    unauthorized,
    validate_new_webhook,
)
from pipedrive_connector.sandbox.webhook_delivery import Delivery, DeliveryConfig, DeliveryWorker
from pipedrive_connector.sandbox.webhook_payloads import matches, v1_payload, v2_payload
from pipedrive_connector.sandbox.webhook_store import Webhook, WebhookStore, api_time

MAX_FLUSH_SECONDS = 60.0
MAX_RETRIES = 3  # Pipedrive: "3 more times", so attempts 1-4
# Pipedrive deletes a webhook that has had no successful delivery for 3 days.
UNDELIVERABLE_LIFETIME = timedelta(days=3)

logger = logging.getLogger("pipedrive_connector.sandbox.webhooks")


def _cp_error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"success": False, "error": message}, status_code=status)


class WebhookService:
    """Subscribes to ``state.bus`` and delivers each change to matching webhooks."""

    def __init__(self, state: SandboxStateLike) -> None:
        self.state = state
        self.store = WebhookStore(getattr(state, "db", None), getattr(state, "db_lock", None))
        self.worker = DeliveryWorker(
            clock=state.clock,
            config=self._config_from_settings(),
            build_payload=self._build_payload,
            on_attempt=self._record_attempt,
            is_subscribed=lambda webhook_id: self.store.get(webhook_id) is not None,
        )
        self._last_success: dict[int, datetime] = {}
        state.bus.subscribe(self._on_change)

    # -- surface used by app.py ----------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        """Routes under /v1/webhooks, /api/v1/webhooks and /_sandbox/deliveries, /_sandbox/webhooks/*."""
        routes: list[BaseRoute] = []
        for prefix in ("/v1", "/api/v1"):
            routes += [
                Route(f"{prefix}/webhooks", self._list, methods=["GET"]),
                Route(f"{prefix}/webhooks", self._add, methods=["POST"]),
                Route(f"{prefix}/webhooks/{{id}}", self._delete, methods=["DELETE"]),
            ]
        routes += [
            Route("/_sandbox/deliveries", self._cp_deliveries, methods=["GET"]),
            Route("/_sandbox/webhooks/flush", self._cp_flush, methods=["POST"]),
            Route("/_sandbox/webhooks/settings", self._cp_settings, methods=["GET", "POST"]),
        ]
        return routes

    async def start(self) -> None:
        """Start the delivery worker (called from the app's lifespan)."""
        await self.worker.start()

    async def stop(self) -> None:
        """Stop the worker; pending deliveries are abandoned."""
        await self.worker.stop()

    def reset(self) -> None:
        """Forget subscriptions and the delivery log (control-plane reset)."""
        self.store.clear()
        self._last_success.clear()
        self.worker.reset()
        self.worker.config = self._config_from_settings()

    def describe(self) -> dict[str, Any]:
        return {
            "webhooks": len(self.store.all()),
            "deliveries_logged": len(self.worker.log.list()),
            "deliveries_outstanding": self.worker.outstanding,
            "settings": self._settings_view(),
        }

    async def resend(self, entry_id: int) -> dict[str, Any]:
        """Send a logged delivery's body again to its webhook; the new attempt's log entry.

        ``LookupError`` names why not: the entry is gone from the log, it carried no body (an event
        lost to a ban) or its webhook was deleted.
        """
        entry = self.worker.log.get(entry_id)
        if entry is None:
            raise LookupError(f"delivery {entry_id} is not in the log")
        if entry.get("body") is None:
            raise LookupError(f"delivery {entry_id} sent no body (the event was lost to a ban)")
        webhook = self.store.get(int(entry["webhook_id"]))
        if webhook is None:
            raise LookupError(f"webhook {entry['webhook_id']} of delivery {entry_id} was deleted")
        return await self.worker.resend(webhook, entry)

    # -- events -------------------------------------------------------------------------------------

    def _config_from_settings(self) -> DeliveryConfig:
        settings = self.state.settings
        return DeliveryConfig(
            retry_delays=tuple(
                float(d) for d in getattr(settings, "webhook_retry_delays", (3.0, 30.0, 150.0))
            )[:MAX_RETRIES],
            ban_enabled=bool(getattr(settings, "webhook_ban_enabled", True)),
            timeout_seconds=float(getattr(settings, "webhook_timeout_seconds", 10.0)),
        )

    def _on_change(self, event: ChangeEvent) -> None:
        for webhook in self.store.all():
            if webhook.company_id == event.company_id and matches(webhook, event):
                self.worker.enqueue(Delivery(webhook=webhook, event=event))

    def _record_attempt(self, webhook: Webhook, when: str, http_status: int | None, ok: bool) -> None:
        self.store.record_delivery(webhook.id, when, http_status)
        now = self.state.clock.now()
        if ok:
            self._last_success[webhook.id] = now
            return
        since = self._last_success.get(webhook.id) or datetime.fromisoformat(
            webhook.add_time.replace("Z", "+00:00")
        )
        if now - since >= UNDELIVERABLE_LIFETIME:
            logger.warning("webhook %s deleted: no successful delivery for 3 days", webhook.id)
            self.store.delete(webhook.id)

    def _host(self) -> str:
        return f"{getattr(self.state.settings, 'company_domain', 'sandbox')}.pipedrive.com"

    def _build_payload(
        self, event: ChangeEvent, webhook: Webhook, attempt: int, event_id: str
    ) -> dict[str, Any]:
        if webhook.version == "1.0":
            return v1_payload(event, webhook, attempt, self._host(), webhook.company_id)
        field_types = self._custom_field_types(event.entity)
        return v2_payload(event, webhook, attempt, event_id, self._host(), webhook.company_id, field_types)

    def _custom_field_types(self, entity: str) -> dict[str, str]:
        store = getattr(self.state, "store", None)
        if store is None:
            return {}
        try:
            definitions = custom_definitions(store, entity)
        except Exception:  # a payload without typed custom fields beats a lost delivery
            logger.exception("custom field definitions for %s unavailable", entity)
            return {}
        return {key: str(d.get("field_type", "varchar")) for key, d in definitions.items()}

    # -- management API -----------------------------------------------------------------------------

    def _visible(self, webhook: Webhook, principal: Principal) -> bool:
        if webhook.company_id != principal.company_id:
            return False
        if principal.auth_kind == "oauth":  # apps see only their own webhooks
            return webhook.app_credential == principal.credential_id
        return self._is_admin(principal) or principal.user_id in (webhook.owner_id, webhook.user_id)

    def _user(self, user_id: int) -> dict[str, Any] | None:
        store = getattr(self.state, "store", None)
        found = store.get("user", user_id) if store is not None else None
        return found if isinstance(found, dict) else None

    def _is_admin(self, principal: Principal) -> bool:
        """The user's ``is_admin`` flag in the store (user 1 when the store has no users)."""
        user = self._user(principal.user_id)
        if user is None:
            return principal.user_id == 1
        return bool(user.get("is_admin"))

    def _user_exists(self, user_id: int) -> bool:
        if getattr(self.state, "store", None) is None:
            return True
        user = self._user(user_id)
        return user is not None and bool(user.get("active_flag", True))

    def _api_view(self, webhook: Webhook) -> dict[str, Any]:
        return webhook.to_api(is_active=not self.worker.is_banned(webhook.id))

    async def _list(self, request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return unauthorized()
        if lacks_admin_scope(principal):
            return scope_mismatch()
        return ok([self._api_view(w) for w in self.store.all() if self._visible(w, principal)])

    async def _add(self, request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return unauthorized()
        if lacks_admin_scope(principal):
            return scope_mismatch()
        try:
            body = await read_body(request)
        except BodyError as error:
            return bad_body(error.message, error.status)
        fields, errors = validate_new_webhook(body, principal, self._is_admin(principal), self._user_exists)
        if errors:
            return field_errors(errors)
        if self.store.count_for_user(int(fields["user_id"])) >= WEBHOOKS_PER_USER:
            return limit_reached()
        fields["company_id"] = principal.company_id
        fields["add_time"] = api_time(self.state.clock.now())
        webhook = self.store.add(fields)
        return ok(self._api_view(webhook), status=201)

    async def _delete(self, request: Request) -> Response:
        principal = principal_of(request)
        if principal is None:
            return unauthorized()
        if lacks_admin_scope(principal):
            return scope_mismatch()
        webhook_id = int_or_none(request.path_params["id"])
        webhook = self.store.get(webhook_id) if webhook_id is not None else None
        if webhook is None or not self._visible(webhook, principal):
            return not_found()
        if webhook.type == "application" and webhook.app_credential != principal.credential_id:
            return forbidden()  # an app's webhooks can be deleted only by that app
        self.store.delete(webhook.id)
        return ok(with_data=False)

    # -- control plane ------------------------------------------------------------------------------

    async def _wait(self, request: Request) -> bool:
        raw = request.query_params.get("timeout", "10")
        try:
            timeout = min(MAX_FLUSH_SECONDS, max(0.0, float(raw)))
        except ValueError:
            timeout = 10.0
        return await self.worker.wait_idle(timeout)

    async def _cp_deliveries(self, request: Request) -> Response:
        raw_id = request.query_params.get("webhook_id")
        if raw_id is not None and not raw_id.isdigit():
            return _cp_error("webhook_id must be a positive integer")
        idle = True
        if request.query_params.get("wait") in ("1", "true", "yes"):
            idle = await self._wait(request)
        entries = self.worker.log.list(int(raw_id) if raw_id is not None else None)
        return JSONResponse({"success": True, "data": entries, "additional_data": {"idle": idle}})

    async def _cp_flush(self, request: Request) -> Response:
        idle = await self._wait(request)
        body = {"success": idle, "data": {"idle": idle, "outstanding": self.worker.outstanding}}
        return JSONResponse(body, status_code=200 if idle else 504)

    def _settings_view(self) -> dict[str, Any]:
        config = self.worker.config
        return {
            "retry_delays": list(config.retry_delays),
            "ban_enabled": config.ban_enabled,
            "timeout_seconds": config.timeout_seconds,
        }

    async def _cp_settings(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"success": True, "data": self._settings_view()})
        try:
            payload = load_json_object(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _cp_error("body must be a JSON object")
        if not isinstance(payload, dict):
            return _cp_error("body must be a JSON object")
        unknown = set(payload) - {"retry_delays", "ban_enabled", "timeout_seconds"}
        if unknown:
            return _cp_error(f"unknown setting(s): {', '.join(sorted(unknown))}")
        config = self.worker.config
        delays = payload.get("retry_delays", list(config.retry_delays))
        if (
            not isinstance(delays, list)
            or len(delays) > MAX_RETRIES
            or not all(
                isinstance(d, int | float) and not isinstance(d, bool) and 0 <= d <= 86400 for d in delays
            )
        ):
            return _cp_error("retry_delays must be a list of at most 3 numbers of seconds (0..86400)")
        ban_enabled = payload.get("ban_enabled", config.ban_enabled)
        if not isinstance(ban_enabled, bool):
            return _cp_error("ban_enabled must be true or false")
        timeout = payload.get("timeout_seconds", config.timeout_seconds)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 600:
            return _cp_error("timeout_seconds must be a number in (0, 600]")
        self.worker.config = DeliveryConfig(
            retry_delays=tuple(float(d) for d in delays),
            ban_enabled=ban_enabled,
            timeout_seconds=float(timeout),
        )
        return JSONResponse({"success": True, "data": self._settings_view()})
