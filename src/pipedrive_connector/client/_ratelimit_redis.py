"""The rate limiter shared through Redis: one credential's windows and daily budget, for every process.

Two Lua scripts keep it atomic and on Redis's clock (process clocks differ): ``RESERVE`` claims a
send slot in each window the request counts against and its tokens of the daily budget, all or
nothing; ``LEARN`` stores what a response said (the window's limit, a pause until its reset or a
429's Retry-After, the daily tokens left). Keys are ``<prefix>:<credential key>:...``; the credential
key is a hash (``auth.credential_key``), never the secret.

``RedisLimiter`` (sync client) and ``AsyncRedisLimiter`` (redis.asyncio) are the I/O; the core says
what to reserve and learn. Redis unreachable when a client is built: ``ConfigurationError``. Redis
lost later: ``reserve`` returns None, the core paces with this process's own windows, and the log
says so once (and once more when Redis is back).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipedrive_connector.client._ratelimit import (
    WINDOW_SECONDS,
    WINDOW_SLACK,
    SharedGrant,
    SharedReservation,
    SharedUpdate,
)
from pipedrive_connector.client._redact import redact_url
from pipedrive_connector.client.errors import ConfigurationError

logger = logging.getLogger(__name__)
DEFAULT_PREFIX = "pipedrive:limiter"
PREFIX_PARAM = "key_prefix"  # ?key_prefix=... in the limiter URL (not passed on to Redis)
TIMEOUT_SECONDS = 2.0

# Slots are spaced by at least half the window's average interval: a window granted all at once
# reaches the server as a burst it stamps over its queueing time, while the next window's requests,
# sent on time, are stamped at once, so the server would see more than its limit within 2 s.
# KEYS: daily tokens left, then per window: starts (list), learned limit, blocked-until.
# ARGV: window seconds, token cost, then per window its default limit (0: none).
# Returns {'wait', seconds} or {'daily', milliseconds until the budget returns} (strings: Lua
# numbers returned to Redis become integers).
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local left = redis.call('GET', KEYS[1])
if left and tonumber(left) < cost then
  return {'daily', tostring(redis.call('PTTL', KEYS[1]))}
end
local windows = (#KEYS - 1) / 3
local start = now
for i = 0, windows - 1 do
  local starts = KEYS[2 + 3 * i]
  local limit = tonumber(redis.call('GET', KEYS[3 + 3 * i]) or ARGV[3 + i])
  start = math.max(start, tonumber(redis.call('GET', KEYS[4 + 3 * i]) or '0'))
  while true do
    local first = redis.call('LINDEX', starts, 0)
    if first and tonumber(first) <= now - window then redis.call('LPOP', starts) else break end
  end
  local n = redis.call('LLEN', starts)
  if n > 0 then
    local gap = 0
    if limit > 0 then gap = window / limit / 2 end
    start = math.max(start, tonumber(redis.call('LINDEX', starts, -1)) + gap)
  end
  if limit > 0 and n >= limit then
    start = math.max(start, tonumber(redis.call('LINDEX', starts, -limit)) + window)
  end
end
for i = 0, windows - 1 do
  local starts = KEYS[2 + 3 * i]
  redis.call('RPUSH', starts, string.format('%.6f', start))
  redis.call('PEXPIRE', starts, math.ceil((start - now + window) * 1000) + 1000)
end
if left then redis.call('DECRBY', KEYS[1], cost) end
return {'wait', string.format('%.6f', start - now)}
"""

# KEYS: learned limit, blocked-until, daily tokens left.
# ARGV: limit (0: none), pause seconds (0: none), daily tokens left (-1: unknown), its TTL in ms.
# The daily figure only goes down within its TTL: reservations already in flight are not yet in
# the server's count, so the lower of the two is the truer one.
LEARN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', 86400) end
local pause = tonumber(ARGV[2])
if pause > 0 then
  local until_ = now + pause
  if until_ > tonumber(redis.call('GET', KEYS[2]) or '0') then
    redis.call('SET', KEYS[2], string.format('%.6f', until_), 'PX', math.ceil(pause * 1000) + 1000)
  end
end
local left = tonumber(ARGV[3])
if left >= 0 then
  local current = redis.call('GET', KEYS[3])
  if not current or left <= tonumber(current) then
    redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4])
  end
end
return 1
"""


def split_limiter_url(url: str) -> tuple[str, str]:
    """The Redis connection URL and the key prefix (``?key_prefix=``, default ``pipedrive:limiter``)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((value for key, value in pairs if key == PREFIX_PARAM), "") or DEFAULT_PREFIX
    rest = urlencode([(key, value) for key, value in pairs if key != PREFIX_PARAM])
    return urlunsplit(parts._replace(query=rest)), prefix


class LimiterKeys:
    """The Redis keys of one credential's shared limiter."""

    def __init__(self, prefix: str, credential_key: str) -> None:
        self.base = f"{prefix}:{credential_key}"
        self.daily = f"{self.base}:daily"

    def window(self, scope: str) -> list[str]:
        return [f"{self.base}:{scope}:starts", f"{self.base}:{scope}:limit", f"{self.base}:{scope}:blocked"]

    def reserve_call(self, reservation: SharedReservation) -> tuple[list[str], list[Any]]:
        keys = [self.daily]
        args: list[Any] = [WINDOW_SECONDS + WINDOW_SLACK, reservation.cost]
        for scope, limit in reservation.windows:
            keys += self.window(scope)
            args.append(max(0, limit))
        return keys, args

    def learn_call(self, update: SharedUpdate) -> tuple[list[str], list[Any]]:
        limit_key, blocked_key = self.window(update.scope)[1:]
        daily_left = -1 if update.daily_left is None else max(0, update.daily_left)
        args = [
            update.limit or 0,
            max(0.0, update.block),
            daily_left,
            max(1000, int(update.daily_ttl * 1000)),
        ]
        return [limit_key, blocked_key, self.daily], args


def parse_grant(raw: Sequence[Any]) -> SharedGrant:
    kind, value = (item.decode() if isinstance(item, bytes) else str(item) for item in raw)
    if kind == "daily":
        return SharedGrant(daily_reset=max(0.0, float(value) / 1000))
    return SharedGrant(wait=max(0.0, float(value)))


class _Health:
    """Logs the first failure of a streak and the recovery, not every failed call."""

    def __init__(self, shown_url: str) -> None:
        self.shown_url = shown_url
        self.failing = False

    def failed(self, exc: Exception) -> None:
        if not self.failing:
            logger.warning(
                "shared rate limiter at %s unavailable, pacing this process alone: %s: %s",
                self.shown_url,
                type(exc).__name__,
                exc,
            )
        self.failing = True

    def ok(self) -> None:
        if self.failing:
            logger.warning("shared rate limiter at %s reachable again", self.shown_url)
        self.failing = False


def _redis_module() -> Any:
    try:
        import redis
    except ImportError:
        raise ConfigurationError(
            "limiter=redis://... needs the redis package: pip install 'pipedrive-connector[redis]'"
        ) from None
    return redis


def _connect_checked(url: str, shown: str) -> Any:
    """A sync Redis client that answered PING, or a ConfigurationError saying why not."""
    redis = _redis_module()
    try:
        client = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise ConfigurationError(
            f"the shared rate limiter at {shown} cannot be used: {type(exc).__name__}: {exc}"
        ) from None
    return client


class RedisLimiter:
    """The shared limiter for a synchronous client."""

    def __init__(self, url: str, credential_key: str) -> None:
        connect_url, prefix = split_limiter_url(url)
        self.shown_url = redact_url(url)
        self._redis = _connect_checked(connect_url, self.shown_url)
        self._errors: tuple[type[Exception], ...] = (_redis_module().RedisError, OSError)
        self.keys = LimiterKeys(prefix, credential_key)
        self._reserve = self._redis.register_script(RESERVE)
        self._learn = self._redis.register_script(LEARN)
        self._health = _Health(self.shown_url)

    def reserve(self, reservation: SharedReservation) -> SharedGrant | None:
        """The slot Redis granted; None when Redis failed (pace with this process's windows)."""
        keys, args = self.keys.reserve_call(reservation)
        try:
            raw = self._reserve(keys=keys, args=args)
        except self._errors as exc:
            self._health.failed(exc)
            return None
        self._health.ok()
        return parse_grant(raw)

    def learn(self, updates: Sequence[SharedUpdate]) -> None:
        for update in updates:
            keys, args = self.keys.learn_call(update)
            try:
                self._learn(keys=keys, args=args)
            except self._errors as exc:
                self._health.failed(exc)
                return

    def close(self) -> None:
        self._redis.close()

    def __repr__(self) -> str:
        return f"RedisLimiter({self.shown_url!r})"


class AsyncRedisLimiter:
    """The shared limiter for an asynchronous client (redis.asyncio; checked with one sync PING)."""

    def __init__(self, url: str, credential_key: str) -> None:
        connect_url, prefix = split_limiter_url(url)
        self.shown_url = redact_url(url)
        _connect_checked(connect_url, self.shown_url).close()
        redis = _redis_module()
        self._redis = redis.asyncio.Redis.from_url(
            connect_url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self.keys = LimiterKeys(prefix, credential_key)
        self._reserve = self._redis.register_script(RESERVE)
        self._learn = self._redis.register_script(LEARN)
        self._health = _Health(self.shown_url)

    async def reserve(self, reservation: SharedReservation) -> SharedGrant | None:
        keys, args = self.keys.reserve_call(reservation)
        try:
            raw = await self._reserve(keys=keys, args=args)
        except self._errors as exc:
            self._health.failed(exc)
            return None
        self._health.ok()
        return parse_grant(raw)

    async def learn(self, updates: Sequence[SharedUpdate]) -> None:
        for update in updates:
            keys, args = self.keys.learn_call(update)
            try:
                await self._learn(keys=keys, args=args)
            except self._errors as exc:
                self._health.failed(exc)
                return

    async def aclose(self) -> None:
        await self._redis.aclose()

    def __repr__(self) -> str:
        return f"AsyncRedisLimiter({self.shown_url!r})"
