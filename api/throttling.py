"""Throttling per key (partner key or staff token), counted where every web process sees the
same count: in Redis (the ``api`` cache's server) with ONE round trip per request, else in the
database cache table (DRF's sliding window, several statements: the small-site fallback).

The Redis count is a fixed window: ``INCR`` of the key's counter for the current period and
an ``EXPIRE`` (pipelined, so one round trip). Against a sliding window it lets a client spend
up to twice the rate across a period boundary; for a limit meant to stop a runaway client,
one network round trip per request is the better trade.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

__all__ = ["KeyRateThrottle", "shared_redis"]


@cache
def _redis_client(url: str) -> Any:
    """One client (its own connection pool) per process and URL; redis-py re-creates the
    pool's connections after a fork."""
    import redis

    return redis.Redis.from_url(url)


def shared_redis() -> Any:
    """A Redis client on the ``api`` cache's server, or None when that cache is the database
    table (``API_CACHE_URL`` unset and no Redis configured)."""
    if not isinstance(caches["api"], RedisCache):
        return None
    location = settings.CACHES["api"]["LOCATION"]
    return _redis_client(location if isinstance(location, str) else location[0])


class KeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def __init__(self) -> None:
        self.cache = caches["api"]
        self.window_ends = 0.0
        super().__init__()

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        key = getattr(request, "auth", None)
        if key is None or not hasattr(key, "prefix"):
            return None  # unauthenticated requests are refused before anything is done
        return f"api-throttle:{key.prefix}"

    def allow_request(self, request: Any, view: Any) -> bool:
        client = shared_redis()
        if client is None or self.rate is None:
            return super().allow_request(request, view)
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.window_ends = (window + 1) * self.duration
        counter = f"{key}:{window}"
        pipe = client.pipeline(transaction=False)
        pipe.incr(counter)
        pipe.expire(counter, int(self.duration) + 1)
        count, _ = pipe.execute()
        return count <= self.num_requests

    def wait(self) -> float | None:
        if self.window_ends:
            return max(self.window_ends - time.time(), 0.0)
        return super().wait()
