"""Registering, reusing and removing Pipedrive webhooks for trigger subscriptions.

Only ``client.request(method, path, params=, json=)`` is used, so any object with that method works.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from pipedrive_connector.client._redact import redact_secrets, redact_url
from pipedrive_connector.client.errors import NotFound, PipedriveError, UnprocessableEntity
from pipedrive_connector.client.paths import build_path, entity_id
from pipedrive_connector.triggers.definitions import TriggerDefinition
from pipedrive_connector.triggers.state import Subscription, TriggerState

log = logging.getLogger(__name__)

WEBHOOKS_PER_USER = 40
VERSIONS = ("1.0", "2.0")
# v1-era event_action names alias the spec's create/change/delete.
_ACTION_ALIASES = {"added": "create", "updated": "change", "deleted": "delete"}


class RequestClient(Protocol):
    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> dict[str, Any]: ...


class WebhookLimitError(RuntimeError):
    """The Pipedrive user already has the maximum number of webhooks."""


class TriggerSetupError(RuntimeError):
    """Enabling or disabling a trigger failed; the message says why (never a webhook's password)."""


@dataclass(frozen=True)
class EnableResult:
    subscription: Subscription
    webhook_id: str
    created: bool  # False: an existing webhook was reused


class WebhookManager:
    def __init__(self, client: RequestClient, store: TriggerState) -> None:
        self.client = client
        self.store = store

    def list_webhooks(self) -> list[dict[str, Any]]:
        envelope = self.client.request("GET", "/v1/webhooks")
        data = envelope.get("data") or []
        # Pipedrive echoes the Basic-auth password of each webhook: never keep it around.
        return [
            {key: value for key, value in hook.items() if key != "http_auth_password"}
            for hook in data
            if isinstance(hook, dict)
        ]

    def enable(
        self,
        trigger: TriggerDefinition,
        public_url: str,
        *,
        version: str = "2.0",
        enrich: bool = False,
    ) -> EnableResult:
        """Register (or reuse) the webhook for ``trigger`` pointing at this receiver. Idempotent."""
        if version not in VERSIONS:
            raise TriggerSetupError(f"webhook version must be 1.0 or 2.0, not {version!r}")
        if not public_url.startswith(("http://", "https://")):
            raise TriggerSetupError(f"--public-url must be an http(s) URL, got {redact_url(public_url)!r}")
        params = dict(trigger.params)
        hooks = self.list_webhooks()
        sub = self.store.find_subscription(trigger.name, params, public_url, version)
        if sub is not None:
            if sub.enrich != enrich:
                self.store.set_enrich(sub.id, enrich)
            existing = self._matching_hook(hooks, sub, trigger)
            if existing is not None:
                webhook_id = str(existing["id"])
                if webhook_id != sub.webhook_id:
                    self.store.set_webhook_id(sub.id, webhook_id)
                return EnableResult(self.store.get_subscription(sub.id) or sub, webhook_id, created=False)
            password = self.store.rotate_password(sub.id)
        else:
            sub, password = self.store.create_subscription(trigger.name, params, version, public_url, enrich)
        try:
            webhook_id = self._create(hooks, sub, trigger, password)
        except Exception:
            if sub.webhook_id is None:
                self.store.delete_subscription(sub.id)
            raise
        self.store.set_webhook_id(sub.id, webhook_id)
        return EnableResult(self.store.get_subscription(sub.id) or sub, webhook_id, created=True)

    def disable(self, sub: Subscription) -> bool:
        """Delete the subscription's webhook (a webhook already gone is fine) and the subscription."""
        deleted = False
        if sub.webhook_id:
            deleted = self._delete(sub.webhook_id)
        self.store.delete_subscription(sub.id)
        return deleted

    def cleanup(self, public_url: str) -> list[dict[str, Any]]:
        """Delete webhooks pointing at this receiver that no local subscription owns."""
        prefix = public_url.rstrip("/") + "/webhooks/"
        owned = {sub.webhook_id for sub in self.store.subscriptions() if sub.webhook_id}
        removed = []
        for hook in self.list_webhooks():
            url = str(hook.get("subscription_url") or "")
            if url.startswith(prefix) and str(hook.get("id")) not in owned:
                self._delete(str(hook["id"]))
                removed.append(hook)
        return removed

    # -- helpers -----------------------------------------------------------------------------
    def _matching_hook(
        self, hooks: list[dict[str, Any]], sub: Subscription, trigger: TriggerDefinition
    ) -> dict[str, Any] | None:
        candidates = [
            hook
            for hook in hooks
            if hook.get("subscription_url") == sub.subscription_url
            and _action(hook.get("event_action")) == trigger.v2_event_action
            and hook.get("event_object") == trigger.event_object
            and str(hook.get("version") or "2.0") == sub.version
            and hook.get("is_active", 1) not in (0, False)
        ]
        candidates.sort(key=lambda hook: str(hook.get("id")) != sub.webhook_id)
        return candidates[0] if candidates else None

    def _create(
        self, hooks: list[dict[str, Any]], sub: Subscription, trigger: TriggerDefinition, password: str
    ) -> str:
        if len(hooks) >= WEBHOOKS_PER_USER:
            raise WebhookLimitError(
                f"this Pipedrive user already has {len(hooks)} webhooks (Pipedrive allows {WEBHOOKS_PER_USER}"
                " per user): disable a trigger or run `pipedrive triggers cleanup --public-url URL` first"
            )
        body = {
            "name": f"pipedrive-connector {trigger.name} {sub.id}"[:255],
            "subscription_url": sub.subscription_url,
            "event_action": trigger.v2_event_action,
            "event_object": trigger.event_object,
            "version": sub.version,
            "http_auth_user": sub.auth_user,
            "http_auth_password": password,
        }
        try:
            envelope = self.client.request("POST", "/v1/webhooks", json=body)
        except UnprocessableEntity:
            raise WebhookLimitError(
                f"Pipedrive refused a new webhook (limit of {WEBHOOKS_PER_USER} per user reached): disable a"
                " trigger or run `pipedrive triggers cleanup --public-url URL`"
            ) from None
        except PipedriveError as exc:
            message = f"could not register the webhook for {trigger.name}: {exc}"
            raise TriggerSetupError(redact_secrets(message, password)) from None
        data = envelope.get("data")
        if not isinstance(data, dict) or data.get("id") is None:
            answer = redact_secrets(repr(envelope), password)
            raise TriggerSetupError(
                f"Pipedrive's answer to POST /v1/webhooks has no webhook id: {answer}"[:300]
            )
        return str(data["id"])

    def _delete(self, webhook_id: str) -> bool:
        try:
            self.client.request(
                "DELETE", build_path("/v1/webhooks/{id}", id=entity_id(webhook_id, "webhook id"))
            )
        except NotFound:
            log.info("webhook %s was already gone", webhook_id)
            return False
        except PipedriveError as exc:
            raise TriggerSetupError(f"could not delete webhook {webhook_id}: {exc}") from None
        return True


def _action(value: Any) -> str:
    text = str(value or "")
    return _ACTION_ALIASES.get(text, text)
