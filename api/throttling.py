"""Throttling per key (partner key or staff token), counted in the ``api`` cache: Redis when
configured, else a database table — so every web process counts against the same limit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

__all__ = ["KeyRateThrottle"]


class KeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def __init__(self) -> None:
        self.cache = caches["api"]
        super().__init__()

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        key = getattr(request, "auth", None)
        if key is None or not hasattr(key, "prefix"):
            return None  # unauthenticated requests are refused before anything is done
        return f"api-throttle:{key.prefix}"
