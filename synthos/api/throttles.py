"""Rate limits: fixed per-second and per-minute windows counted atomically in the shared cache.

DRF's stock throttles read, modify and write a list in the cache, so concurrent requests all read
the same count and too many get through. Here every hit is an atomic increment. On Redis both
windows are counted by one server-side script (one round trip, atomic as a whole); elsewhere
(local memory, one process) by `add` + `incr`. Either way N+k concurrent requests leave exactly
N allowed, whichever process serves them.
"""

import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

# Keys outlive their window a little, so a slow request near the edge still finds its count.
SECOND_WINDOW_TTL = 3
MINUTE_WINDOW_TTL = 65


def window_hit(key: str, *, ttl: int) -> int:
    """Count one hit in a window key and return the new count."""
    for _ in range(3):
        cache.add(key, 0, timeout=ttl)
        try:
            return cache.incr(key)
        except ValueError:  # evicted between add and incr: create it again
            continue
    raise RuntimeError(f"rate-limit window {key} could not be counted")


# Count the second window; only if it allows the hit, count the minute window too (a burst
# refusal must not eat the minute's budget). Returns {second count, minute count}.
_BOTH_WINDOWS = """
local second = redis.call('INCR', KEYS[1])
if second == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if second > tonumber(ARGV[3]) then
  return {second, tonumber(redis.call('GET', KEYS[2]) or '0')}
end
local minute = redis.call('INCR', KEYS[2])
if minute == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return {second, minute}
"""


def _both_windows_script(backend: RedisCache):
    """The script bound to one Redis client, kept on the cache backend for the life of the process.

    Django's RedisCache builds a new client object per call (it registers some 170 response
    callbacks each time); one kept client reuses its connection pool, and the registered script
    runs by its SHA (EVALSHA) instead of sending its source with every request.
    """
    script = getattr(backend, "_synthos_both_windows", None)
    if script is None:
        script = backend._cache.get_client(write=True).register_script(_BOTH_WINDOWS)
        backend._synthos_both_windows = script
    return script


def windows_hit(second_key: str, minute_key: str, *, per_second: int) -> tuple[int, int]:
    """Count one hit in both windows; returns (hits this second, hits this minute)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        keys = [backend.make_and_validate_key(second_key), backend.make_and_validate_key(minute_key)]
        script = _both_windows_script(backend)
        second, minute = script(keys=keys, args=[SECOND_WINDOW_TTL, MINUTE_WINDOW_TTL, per_second])
        return int(second), int(minute)
    second = window_hit(second_key, ttl=SECOND_WINDOW_TTL)
    if second > per_second:
        return second, cache.get(minute_key, 0)
    return second, window_hit(minute_key, ttl=MINUTE_WINDOW_TTL)


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _identity(request) -> str:
    api_key = request.auth if getattr(request.auth, "key_hash", None) else None
    return f"key:{api_key.pk}" if api_key else f"user:{request.user.pk}"


class TierRateThrottle(BaseThrottle):
    """Per API key (or per user for JWT), limits from the account's tier (RATE_LIMITS)."""

    def allow_request(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return True
        from billing.selectors import tier_for_user

        per_minute, per_second = settings.RATE_LIMITS[tier_for_user(user=request.user)]
        ident = _identity(request)
        now = time.time()
        second = int(now)
        minute_key = f"rl:{ident}:m:{second // 60}"
        reset = 60 - second % 60
        self._wait = None
        this_second, used = windows_hit(f"rl:{ident}:s:{second}", minute_key, per_second=per_second)
        self._record(request, per_minute, used, reset)
        if this_second > per_second:
            self._wait = 1.0
            return False
        if used > per_minute:
            self._wait = float(reset)
            return False
        return True

    @staticmethod
    def _record(request, limit: int, used: int, reset: int) -> None:
        request._request.rate_limit = (limit, max(0, limit - used), reset)

    def wait(self):
        return self._wait


class AuthEndpointThrottle(BaseThrottle):
    """Unauthenticated auth endpoints, per client IP; generous enough for a team behind one NAT."""

    def allow_request(self, request, view) -> bool:
        second = int(time.time())
        used = window_hit(f"rl:ip:{client_ip(request)}:m:{second // 60}", ttl=MINUTE_WINDOW_TTL)
        self.reset = 60 - second % 60
        return used <= settings.AUTH_RATE_LIMIT_PER_IP_PER_MINUTE

    def wait(self):
        return float(self.reset)


class RateLimitHeadersMiddleware:
    """Adds X-RateLimit-* (the minute window) to every response the throttle counted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, "rate_limit", None)
        if state:
            limit, remaining, reset = state
            response["X-RateLimit-Limit"] = str(limit)
            response["X-RateLimit-Remaining"] = str(remaining)
            response["X-RateLimit-Reset"] = str(reset)
        return response
