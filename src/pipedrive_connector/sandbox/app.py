"""``create_app``: the sandbox's Starlette application, its routes and middleware order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from pipedrive_connector.sandbox import console, control
from pipedrive_connector.sandbox.auth import AuthMiddleware
from pipedrive_connector.sandbox.engine.not_served import NotServedRoute
from pipedrive_connector.sandbox.errors import (
    ApiError,
    api_error_handler,
    http_exception_handler,
    unexpected_error_handler,
)
from pipedrive_connector.sandbox.resources import (
    account,
    activities,
    activity_types,
    call_logs,
    changelog,
    conversions,
    currencies,
    deal_products,
    deal_terms,
    deal_tools,
    deals,
    fields,
    files,
    filters,
    flow,
    followers,
    goals,
    lead_labels,
    leads,
    mailbox,
    notes,
    org_relationships,
    organizations,
    participants,
    permissions,
    persons,
    pipeline_statistics,
    pipelines,
    product_images,
    products,
    project_boards,
    projects,
    roles,
    search,
    tasks,
    users,
)
from pipedrive_connector.sandbox.settings import SandboxSettings
from pipedrive_connector.sandbox.state import SandboxState


class _Wrapped:
    """Adapts a plug-in's ``middleware(app) -> app`` factory to Starlette's ``Middleware`` protocol."""

    def __init__(self, app: ASGIApp, factory: Callable[[ASGIApp], ASGIApp]) -> None:
        self.inner = factory(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.inner(scope, receive, send)


def api_routes() -> list[BaseRoute]:
    # Search first: "/deals/search" must win over "/deals/{id}".
    return [
        *search.routes(),
        *conversions.routes(),
        *deal_products.routes(),  # "/deals/products" before "/deals/{id}"
        *deal_terms.routes(),  # "/deals/installments" before "/deals/{id}"
        *users.routes(),
        *roles.routes(),
        *permissions.routes(),
        *account.routes(),
        *mailbox.routes(),
        *deal_tools.routes(),  # "/deals/summary", "/deals/timeline" before "/deals/{id}"
        *followers.routes(),
        *participants.routes(),
        *changelog.routes(),
        *flow.routes(),
        *org_relationships.routes(),
        *pipeline_statistics.routes(),
        *deals.DEALS.routes(),
        *persons.PERSONS.routes(),
        *organizations.ORGANIZATIONS.routes(),
        *activities.ACTIVITIES.routes(),
        *leads.routes(),
        *lead_labels.routes(),
        *pipelines.routes(),
        *filters.routes(),
        *currencies.routes(),
        *fields.routes(),
        *notes.routes(),
        *product_images.routes(),
        *products.routes(),
        *files.routes(),
        *activity_types.routes(),
        *call_logs.routes(),
        *goals.routes(),
        *project_boards.routes(),  # "/projects/boards" before "/projects/{id}"
        *projects.routes(),
        *tasks.routes(),
    ]


def create_app(settings: SandboxSettings | None = None) -> Starlette:
    settings = settings or SandboxSettings()
    state = SandboxState(settings)
    if settings.db_path is None or state.store.get_meta("seed") is None:
        control.reset_state(state, settings.seed)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.webhooks.start()
        try:
            yield
        finally:
            await state.webhooks.stop()

    routes: list[BaseRoute] = [
        *control.routes(),
        *console.routes(),  # /_sandbox/ui
        *api_routes(),
        *state.webhooks.routes(),
        *state.oauth.routes(),
        *state.ratelimiter.routes(),
        *state.faults.routes(),
        NotServedRoute(),  # last: spec operations not served answer 501
    ]
    # Outermost first: faults → auth → rate limits → routing.
    middleware = [
        Middleware(_Wrapped, factory=state.faults.middleware),
        Middleware(AuthMiddleware, state=state),
        Middleware(_Wrapped, factory=state.ratelimiter.middleware),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: http_exception_handler,
            Exception: unexpected_error_handler,
        },
    )
    app.state.sandbox = state
    return app
