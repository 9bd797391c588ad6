"""``Pipedrive``: the synchronous client (httpx.Client) over the shared core."""

from __future__ import annotations

import copy
import time
from types import TracebackType
from typing import Any, Unpack

import httpx

from pipedrive_connector.client._containers import SyncResources
from pipedrive_connector.client._core import DEFAULT, ClientCore, TimeoutArg
from pipedrive_connector.client._ops import Op
from pipedrive_connector.client._ratelimit import RateSnapshot
from pipedrive_connector.client._ratelimit_redis import RedisLimiter
from pipedrive_connector.client._redact import redact_url
from pipedrive_connector.client._settings import (
    DEFAULT_FIELD_CACHE_TTL,
    ClientOptions,
    build_core,
    check_http_client,
)
from pipedrive_connector.client._tls import default_ssl_context
from pipedrive_connector.client._types import ApiVersion
from pipedrive_connector.client.errors import PipedriveError


class Pipedrive(SyncResources):
    """Synchronous Pipedrive client. Use it as a context manager or call ``close()``."""

    def __init__(
        self,
        api_token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        """``api_token`` (else ``PIPEDRIVE_API_TOKEN``) or ``auth=``; see ``ClientOptions`` for the rest."""
        self._core: ClientCore = build_core(api_token, options)
        check_http_client(http_client, transport, httpx.Client)
        url, key = self._core.limiter_url, self._core.resolved.credential_key
        self._shared = RedisLimiter(url, key) if url is not None else None
        self._owns_shared = True
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.Client(transport=transport, verify=default_ssl_context())
        )
        self._field_cache_ttl = options.get("field_cache_ttl", DEFAULT_FIELD_CACHE_TTL)
        super().__init__(self._core, self._field_cache_ttl)

    def with_options(
        self,
        *,
        max_retries: int | None = None,
        max_wait: float | None = None,
        timeout: TimeoutArg | object = DEFAULT,
    ) -> Pipedrive:
        """A view of this client with other retry/timeout settings (same connection pool and limiter).

        ``pd.with_options(max_retries=0).deals.get(1)``; closing the view does not close the client.
        """
        view = copy.copy(self)
        view._core = self._core.derive(max_retries=max_retries, max_wait=max_wait, timeout=timeout)
        view._owns_http = False
        view._owns_shared = False
        SyncResources.__init__(view, view._core, self._field_cache_ttl)
        return view

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def rate_limits(self) -> RateSnapshot:
        """The limits and budgets the latest response reported for this credential."""
        return self._core.last_rate_limits()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        api: ApiVersion | None = None,
        idempotent: bool | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg | object = DEFAULT,
        files: Any = None,
        raw: bool = False,
    ) -> dict[str, Any]:
        """Send one API request (with waits and retries); returns Pipedrive's full JSON envelope.

        ``files`` sends a multipart upload (httpx's ``files=``, with ``data=`` as the other form
        fields); with ``raw=True`` a success answer's ``data`` is the body's bytes (file downloads).
        """
        core = self._core
        call = core.new_call(
            method,
            path,
            params=params,
            json=json,
            data=data,
            api=api,
            idempotent=idempotent,
            max_retries=max_retries,
            timeout=timeout,
            files=files,
            raw=raw,
        )
        while True:
            if self._shared is not None:
                wait = core.admit(call, self._shared.reserve(core.shared_reservation(call)))
            else:
                wait = core.reserve(call)
            if wait > 0:
                time.sleep(wait)
                call.waited += wait
            request = core.build_request(self._http, call)
            try:
                response = self._http.send(request, auth=core.auth)
            except Exception as exc:
                decision = core.on_exception(call, exc, request)
            else:
                decision = core.on_response(call, response)
            if call.shared_updates and self._shared is not None:
                self._shared.learn(call.shared_updates)
                call.shared_updates.clear()
            if decision.error is not None:
                raise decision.error from None
            if decision.result is not None:
                return decision.result
            if decision.delay > 0:
                time.sleep(decision.delay)
                call.waited += decision.delay

    def _run(self, op: Op[Any]) -> Any:
        """Drive a resource operation: send each request it yields, feed back the envelope."""
        try:
            spec = next(op)
            while True:
                try:
                    envelope = self.request(
                        spec.method,
                        spec.path,
                        params=spec.params,
                        json=spec.json,
                        idempotent=spec.idempotent,
                        data=spec.data,
                        files=spec.files,
                    )
                except PipedriveError as exc:
                    spec = op.throw(exc)  # the operation may react (e.g. refresh the field cache)
                else:
                    spec = op.send(envelope)
        except StopIteration as done:
            return done.value

    def close(self) -> None:
        if self._owns_http:
            self._http.close()
        if self._owns_shared and self._shared is not None:
            self._shared.close()

    def __enter__(self) -> Pipedrive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Pipedrive(base_url={redact_url(self.base_url)!r}, auth={self._core.auth!r})"
