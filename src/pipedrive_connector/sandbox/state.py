"""SandboxState: everything one running sandbox holds, shared by the routes and the plug-ins."""

from __future__ import annotations

import threading

from pipedrive_connector.sandbox.contracts import Clock, EventBus, SandboxStateLike
from pipedrive_connector.sandbox.faults import FaultInjector
from pipedrive_connector.sandbox.oauth import OAuthServer
from pipedrive_connector.sandbox.ratelimit import RateLimiter
from pipedrive_connector.sandbox.settings import SandboxSettings
from pipedrive_connector.sandbox.store import Store, open_database
from pipedrive_connector.sandbox.webhooks import WebhookService


class SandboxState(SandboxStateLike):
    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.clock = Clock()
        self.bus = EventBus()
        self.db = open_database(settings.db_path)
        self.db_lock = threading.RLock()
        self.store = Store(self.db, self.db_lock)
        self.webhooks = WebhookService(self)
        self.oauth = OAuthServer(self)
        self.ratelimiter = RateLimiter(self)
        self.faults = FaultInjector(self)

    def __repr__(self) -> str:
        settings = self.settings
        return f"SandboxState(company_domain={settings.company_domain!r}, db_path={settings.db_path!r})"

    def user_token(self, user_id: int) -> str:
        """User 1 (the admin) uses ``settings.api_token``; user N uses ``<api_token>-user-N``."""
        if user_id == 1:
            return self.settings.api_token
        return f"{self.settings.api_token}-user-{user_id}"
