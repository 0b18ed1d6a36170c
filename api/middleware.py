"""Refuse an API request whose declared body is larger than ``API_MAX_BODY_BYTES`` with 413,
before anything reads it (form parsing included) and before authentication: nothing is
stored for it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

__all__ = ["ApiBodyLimitMiddleware"]


class ApiBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse(
                    {"detail": "Content-Length is not a number.", "code": "bad_input"},
                    status=400,
                )
            limit = int(settings.API_MAX_BODY_BYTES)
            if length > limit:
                return JsonResponse(
                    {
                        "detail": f"The request body ({length} bytes) is larger than the "
                        f"limit of this API ({limit} bytes).",
                        "code": "payload_too_large",
                    },
                    status=413,
                )
        return self.get_response(request)
