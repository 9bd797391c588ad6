"""The sans-I/O core shared by ``Pipedrive`` and ``AsyncPipedrive``.

It builds requests, decides after every attempt whether to return, retry (and after how long) or
raise, and feeds the shared rate limiter. The sync and async clients only run the loop around it
with their own ``send`` and ``sleep``.
"""

from __future__ import annotations

import copy
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from pipedrive_connector.client import errors
from pipedrive_connector.client._config import ResolvedAuth, current_base_url
from pipedrive_connector.client._ratelimit import (
    SEARCH_LIMIT,
    CredentialLimiter,
    RateSnapshot,
    SharedGrant,
    SharedReservation,
    SharedUpdate,
    is_search_path,
    limiter_for,
    seconds_until_utc_midnight,
    snapshot_of,
    update_from,
)
from pipedrive_connector.client._redact import redact_text, redact_url
from pipedrive_connector.client._retry import (
    NOT_SENT_ERRORS,
    RETRY_STATUSES,
    RetryEvent,
    RetryHook,
    RetryPolicy,
    is_idempotent,
    parse_retry_after,
)
from pipedrive_connector.client._types import ApiVersion, clean_params, drop_unset
from pipedrive_connector.client.paths import check_request_path

logger = logging.getLogger("pipedrive_connector.client")

USER_AGENT = "pipedrive-connector/0.1 (+python httpx)"
DEFAULT_TIMEOUT = 30.0
TimeoutArg = float | httpx.Timeout | None


@dataclass(frozen=True)
class Usage:
    """One HTTP attempt, as reported to the ``on_usage`` hook."""

    method: str
    path: str
    status_code: int | None
    attempt: int
    waited_seconds: float
    ratelimit_limit: int | None
    ratelimit_remaining: int | None
    daily_tokens_left: int | None
    daily_requests_left: int | None
    error: str | None = None


UsageHook = Callable[[Usage], None]


@dataclass
class Call:
    """One ``request()`` call: everything needed to build each attempt."""

    method: str
    path: str
    params: dict[str, Any] | None
    json: Any
    data: Any
    idempotent: bool
    policy: RetryPolicy
    timeout: TimeoutArg | object
    # Attempt bookkeeping.
    retries: int = 0
    rate_limited: int = 0
    waited: float = 0.0
    maybe_acted: bool = False
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    # A multipart upload's files (httpx ``files=``), and whether a success answer is raw bytes (downloads).
    files: Any = None
    raw: bool = False
    # What the last attempt taught the shared limiter; the client carries it to Redis.
    shared_updates: list[SharedUpdate] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    """What to do after an attempt: return ``result``, raise ``error``, or sleep ``delay`` and retry."""

    result: dict[str, Any] | None = None
    error: errors.PipedriveError | None = None
    delay: float = 0.0


_DEFAULT = object()


def normalize_path(path: str, api: ApiVersion | None) -> str:
    """An absolute API path: ``/api/v2/...``, ``/v1/...`` or ``/api/v1/...``."""
    if not isinstance(path, str) or not path.strip():
        raise errors.ConfigurationError("path is empty: pass e.g. '/api/v2/deals' or '/v1/leads'")
    text = path.strip()
    if text.startswith(("http://", "https://")):
        raise errors.ConfigurationError(
            "pass a path relative to the base URL (e.g. '/api/v2/deals'), not a full URL"
        )
    check_request_path(text)
    if not text.startswith("/"):
        text = "/" + text
    if text.startswith(("/api/v2/", "/v1/", "/api/v1/")) or text in ("/api/v2", "/v1", "/api/v1"):
        return text
    if api == "v2":
        return "/api/v2" + text
    if api == "v1":
        return "/v1" + text
    raise errors.ConfigurationError(
        f"path {path!r} names no API version: start it with /api/v2/ or /v1/, or pass api='v1' or 'v2'"
    )


class ClientCore:
    """State and decisions shared by the sync and async clients."""

    def __init__(
        self,
        resolved: ResolvedAuth,
        *,
        policy: RetryPolicy,
        timeout: TimeoutArg,
        on_usage: UsageHook | None,
        rate_limit: bool,
        rng: random.Random | None = None,
        on_retry: RetryHook | None = None,
        limiter_url: str | None = None,
    ) -> None:
        self.resolved = resolved
        self.policy = policy
        self.timeout = timeout
        self.on_usage = on_usage
        self.on_retry = on_retry
        self.limiter: CredentialLimiter | None = limiter_for(resolved.credential_key) if rate_limit else None
        # Redis URL of the limiter shared with other processes (the clients open it); None: none.
        self.limiter_url = limiter_url if rate_limit else None
        self.rng = rng or random.Random()
        # Once the daily budget is gone, this client stops sending until it comes back: hammering
        # Pipedrive with requests that are sure to get 429 ends in its abuse protection (HTML 403).
        self._budget_gone_until: datetime | None = None

    def derive(
        self,
        *,
        max_retries: int | None = None,
        max_wait: float | None = None,
        timeout: TimeoutArg | object = _DEFAULT,
    ) -> ClientCore:
        """A copy with other retry/timeout settings, sharing credentials and the rate limiter."""
        if max_retries is not None and max_retries < 0:
            raise errors.ConfigurationError("max_retries must be 0 or more")
        if max_wait is not None and max_wait < 0:
            raise errors.ConfigurationError("max_wait must be 0 or more seconds")
        clone = copy.copy(self)
        clone.policy = replace(
            self.policy.with_overrides(max_retries=max_retries),
            max_wait=self.policy.max_wait if max_wait is None else max_wait,
        )
        if timeout is not _DEFAULT:
            clone.timeout = timeout  # type: ignore[assignment]
        return clone

    @property
    def auth(self) -> httpx.Auth:
        return self.resolved.auth

    @property
    def base_url(self) -> str:
        return current_base_url(self.resolved)

    def new_call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None,
        json: Any,
        data: Any,
        api: ApiVersion | None,
        idempotent: bool | None,
        max_retries: int | None,
        timeout: TimeoutArg | object,
        files: Any = None,
        raw: bool = False,
    ) -> Call:
        verb = (method or "").strip().upper()
        if not verb.isalpha():
            raise errors.ConfigurationError(f"method must be an HTTP verb such as 'GET', got {method!r}")
        if max_retries is not None and max_retries < 0:
            raise errors.ConfigurationError("max_retries must be 0 or more")
        if json is not None and data is not None:
            raise errors.ConfigurationError("pass either json= or data=, not both")
        self._refuse_while_budget_gone(verb, path)
        return Call(
            method=verb,
            path=normalize_path(path, api),
            params=clean_params(params),
            json=drop_unset(json) if json is not None else None,
            data=data,
            idempotent=is_idempotent(verb, idempotent),
            policy=self.policy.with_overrides(max_retries=max_retries),
            timeout=timeout,
            files=files,
            raw=raw,
        )

    def build_request(self, http: httpx.Client | httpx.AsyncClient, call: Call) -> httpx.Request:
        timeout = self.timeout if call.timeout is _DEFAULT else call.timeout
        try:
            return http.build_request(
                call.method,
                self.base_url + call.path,
                params=call.params,
                json=call.json,
                data=call.data,
                files=call.files,
                headers={"user-agent": USER_AGENT, "accept": "application/json"},
                timeout=timeout,  # type: ignore[arg-type]
            )
        except (TypeError, ValueError) as exc:
            raise errors.ConfigurationError(
                f"cannot send {call.method} {call.path}: the body or params are not valid JSON/query "
                f"values ({type(exc).__name__}: {_safe(exc)})"
            ) from None

    def reserve(self, call: Call) -> float:
        """Seconds to wait for a rate-limit slot before sending the next attempt."""
        if self.limiter is None:
            return 0.0
        return self.limiter.reserve(call.path)

    def shared_reservation(self, call: Call) -> SharedReservation:
        """What to claim in the shared limiter before the next attempt (the windows it counts against)."""
        general = self.limiter.general.limit if self.limiter is not None else None
        windows = [("general", general or 0)]
        if is_search_path(call.path):
            search = self.limiter.search.limit if self.limiter is not None else None
            windows.append(("search", search or SEARCH_LIMIT))
        return SharedReservation(tuple(windows))

    def admit(self, call: Call, grant: SharedGrant | None) -> float:
        """Seconds to wait given the shared limiter's answer (None: Redis failed, pace alone);
        raises DailyBudgetExhausted when another process found the daily budget used up."""
        if grant is None:
            return self.reserve(call)
        if grant.daily_reset is not None:
            reset = grant.daily_reset or seconds_until_utc_midnight()
            self._budget_gone_until = datetime.now(UTC) + timedelta(seconds=reset)
            self._refuse_while_budget_gone(call.method, call.path)
        return grant.wait

    # -- after an attempt -------------------------------------------------------------------

    def on_response(self, call: Call, response: httpx.Response) -> Decision:
        status = response.status_code
        snap = self._observe(call, response)
        body = _parse_body(response)
        self._report(call, status, snap)
        logger.debug("%s %s -> %s", call.method, redact_url(str(response.request.url)), status)

        if 200 <= status < 300:
            if call.raw:
                headers = response.headers
                raw_info = {
                    "content_type": headers.get("content-type"),
                    "disposition": headers.get("content-disposition"),
                }
                return Decision(
                    result={"success": True, "data": response.content, "additional_data": raw_info}
                )
            if isinstance(body, dict):
                if body.get("success") is False:
                    return Decision(
                        error=errors.error_from_response(response, body, cls=errors.APIStatusError)
                    )
                _release(response)
                return Decision(result=body)
            if body in (None, ""):
                return Decision(result={"success": True, "data": None})
            return Decision(
                error=errors.error_from_response(
                    response, body, cls=errors.APIStatusError, message="the server answered with non-JSON"
                )
            )

        if status == 429:
            return self._on_rate_limited(call, response, body, snap)

        if status == 404 and call.method == "DELETE" and call.maybe_acted:
            # An earlier attempt of this DELETE reached the server before failing: it did the work.
            return Decision(
                result={"success": True, "data": None, "additional_data": {"already_deleted": True}}
            )

        if status in RETRY_STATUSES:
            if not call.idempotent:
                return Decision(
                    error=errors.error_from_response(
                        response,
                        body,
                        cls=errors.AmbiguousServerError,
                        message=(
                            f"{call.method} failed with HTTP {status}; the server may have acted on it "
                            "(the create may have happened): check before retrying"
                        ),
                    )
                )
            call.maybe_acted = True
            if call.retries < call.policy.max_retries:
                delay = self._fault_delay(call, response.headers)
                if delay is not None:
                    return self._retry(call, delay, f"HTTP {status}", status_code=status)
        return Decision(error=errors.error_from_response(response, body))

    def on_exception(self, call: Call, exc: Exception, request: httpx.Request | None) -> Decision:
        url = redact_url(str(request.url)) if request is not None else call.path
        self._report(call, None, RateSnapshot(), error=type(exc).__name__)
        common: dict[str, Any] = {"method": call.method, "url": url}
        if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
            return Decision(error=errors.ConfigurationError(f"invalid request URL: {_safe(exc)}", **common))
        if not isinstance(exc, httpx.HTTPError):
            raise exc  # not a transport problem (e.g. an OAuth refresh error): the caller's to see
        if not isinstance(exc, httpx.TransportError):
            return Decision(
                error=errors.ConnectionFailed(
                    f"{call.method} failed: {type(exc).__name__}: {_safe(exc)}", **common
                )
            )
        not_sent = isinstance(exc, NOT_SENT_ERRORS)
        is_timeout = isinstance(exc, httpx.TimeoutException)
        if not not_sent and not call.idempotent:
            cls: type[errors.PipedriveError] = (
                errors.AmbiguousTimeout if is_timeout else errors.AmbiguousConnectionError
            )
            what = "timed out" if is_timeout else f"lost the connection ({type(exc).__name__})"
            return Decision(
                error=cls(
                    f"{call.method} {what} after it was sent; the server may have acted on it "
                    "(the create may have happened): check before retrying",
                    **common,
                )
            )
        if not not_sent:
            call.maybe_acted = True
        if call.retries < call.policy.max_retries:
            name = type(exc).__name__
            return self._retry(call, call.policy.backoff(call.retries, self.rng), name, error=name)
        cls = errors.Timeout if is_timeout else errors.ConnectionFailed
        detail = (
            "timed out" if is_timeout else f"could not reach Pipedrive ({type(exc).__name__}: {_safe(exc)})"
        )
        return Decision(error=cls(f"{call.method} {detail}", **common))

    # -- helpers -----------------------------------------------------------------------------

    def _retry(
        self,
        call: Call,
        delay: float,
        reason: str,
        *,
        status_code: int | None = None,
        error: str | None = None,
    ) -> Decision:
        call.retries += 1
        logger.info(
            "retrying %s %s in %.2fs after %s (retry %d of %d)",
            call.method,
            call.path,
            delay,
            reason,
            call.retries,
            call.policy.max_retries,
        )
        attempts = (call.retries + 1, call.policy.max_retries + 1)
        self._notify_retry(RetryEvent(call.method, call.path, delay, *attempts, status_code, error))
        return Decision(delay=delay)

    def _notify_retry(self, event: RetryEvent) -> None:
        if self.on_retry is None:
            return
        try:
            self.on_retry(event)
        except Exception:  # a broken hook must not break requests
            logger.exception("the on_retry hook raised")

    def _fault_delay(self, call: Call, headers: httpx.Headers) -> float | None:
        hinted = parse_retry_after(headers) if "retry-after" in headers else None
        if hinted is not None:
            return hinted if hinted <= call.policy.max_wait else None
        return call.policy.backoff(call.retries, self.rng)

    def _on_rate_limited(
        self, call: Call, response: httpx.Response, body: Any, snap: RateSnapshot
    ) -> Decision:
        wait = parse_retry_after(response.headers)
        error_text = " ".join(str(x) for x in errors.describe_body(body) if x).lower()
        daily = (
            "daily" in error_text
            or "budget" in error_text
            or snap.daily_tokens_left == 0
            or (wait is not None and wait > call.policy.max_wait)
        )
        if daily:
            err = errors.error_from_response(
                response,
                body,
                cls=errors.DailyBudgetExhausted,
                message="the daily API budget of this Pipedrive company is used up",
            )
            assert isinstance(err, errors.DailyBudgetExhausted)
            err.retry_after = wait
            err.reset_at = _reset_at(wait)
            err.message += f"; it resets around {err.reset_at.isoformat()}" if err.reset_at else ""
            err.args = (err.message,)
            self._budget_gone_until = err.reset_at
            if self.limiter_url is not None:
                ttl = (err.reset_at - datetime.now(UTC)).total_seconds()
                call.shared_updates.append(SharedUpdate(_scope(call), daily_left=0, daily_ttl=ttl))
            return Decision(error=err)
        delay = wait if wait is not None else call.policy.backoff(call.rate_limited, self.rng)
        waiting = delay
        if self.limiter is not None:
            self.limiter.for_path(call.path).block_for(delay)
            if self.limiter_url is not None:
                call.shared_updates.append(SharedUpdate(_scope(call), block=delay))
            delay = 0.0  # the limiter makes every user of this credential wait, this call included
        if call.rate_limited < call.policy.max_rate_limit_retries:
            call.rate_limited += 1
            logger.info("rate limited on %s %s: waiting %.2fs", call.method, call.path, wait or 0.0)
            limits = (call.rate_limited + 1, call.policy.max_rate_limit_retries + 1)
            self._notify_retry(RetryEvent(call.method, call.path, waiting, *limits, status_code=429))
            return Decision(delay=delay)
        err = errors.error_from_response(response, body, cls=errors.RateLimited)
        assert isinstance(err, errors.RateLimited)
        err.retry_after = wait
        return Decision(error=err)

    def _refuse_while_budget_gone(self, method: str, path: str) -> None:
        gone = self._budget_gone_until
        if gone is None:
            return
        now = datetime.now(UTC)
        if now >= gone:
            self._budget_gone_until = None
            return
        err = errors.DailyBudgetExhausted(
            "the daily API budget of this Pipedrive company is used up (an earlier request was "
            f"refused); not sending until it resets around {gone.isoformat()}",
            status_code=429,
            method=method,
            url=self.base_url + (path if path.startswith("/") else "/" + path),
        )
        err.reset_at = gone
        err.retry_after = (gone - now).total_seconds()
        raise err

    def last_rate_limits(self) -> RateSnapshot:
        """What the latest response said about this credential's limits and budgets."""
        if self.limiter is None:
            return RateSnapshot()
        return self.limiter.general.last

    def _observe(self, call: Call, response: httpx.Response) -> RateSnapshot:
        if self.limiter is None:
            return snapshot_of(response.headers)
        snap = self.limiter.for_path(call.path).observe(response.headers, response.status_code)
        if self.limiter_url is not None:
            call.shared_updates.append(update_from(_scope(call), snap))
        return snap

    def _report(self, call: Call, status: int | None, snap: RateSnapshot, error: str | None = None) -> None:
        if self.on_usage is None:
            return
        usage = Usage(
            method=call.method,
            path=call.path,
            status_code=status,
            attempt=call.retries + call.rate_limited + 1,
            waited_seconds=round(call.waited, 6),
            ratelimit_limit=snap.limit,
            ratelimit_remaining=snap.remaining,
            daily_tokens_left=snap.daily_tokens_left,
            daily_requests_left=snap.daily_requests_left,
            error=error,
        )
        try:
            self.on_usage(usage)
        except Exception:  # a broken hook must not break requests
            logger.exception("the on_usage hook raised")


def _scope(call: Call) -> str:
    """The shared window a response on this call's path reports."""
    return "search" if is_search_path(call.path) else "general"


def _parse_body(response: httpx.Response) -> Any:
    content = response.content
    if not content:
        return None
    try:
        # orjson decodes UTF-8 pages about 3x faster than json (benchmarks/bulk_read.py).
        return orjson.loads(content)
    except ValueError:
        pass
    try:
        return response.json()  # another encoding httpx can detect
    except ValueError:
        return response.text


def _release(response: httpx.Response) -> None:
    """Let a decoded answer's body go when the caller drops the response, not at the next cyclic
    garbage collection: httpx's response and its bound stream refer to each other, so a bulk read
    kept every page's body (hundreds of KiB each) alive until the collector ran."""
    response.stream = httpx.ByteStream(b"")


def _reset_at(wait: float | None) -> datetime:
    now = datetime.now(UTC)
    if wait is not None:
        return now + timedelta(seconds=wait)
    # Unknown: Pipedrive resets budgets at midnight (server time); the next UTC midnight is the estimate.
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _safe(exc: Exception) -> str:
    return redact_text(str(exc))[:300]


DEFAULT = _DEFAULT
