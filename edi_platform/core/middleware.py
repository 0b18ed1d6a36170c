"""Site-wide request guards."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from .logs import log_context

__all__ = ["RefuseNulMiddleware", "RequestIdMiddleware"]

_TOKEN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RefuseNulMiddleware:
    """Answer 400 to any request whose path, query or form data contains a NUL character.

    No page of the platform has a use for one, and PostgreSQL refuses NUL in text: letting it
    through turns a typo or a probe into a server error. Refusing it here, once, closes the
    whole class instead of guarding every view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _has_nul(request.GET) or _post_has_nul(request):
            return HttpResponseBadRequest(
                "A NUL character is not allowed in an address or a form field.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _has_nul(data: object) -> bool:
    for key, values in data.lists():  # type: ignore[attr-defined]
        if "\x00" in key or any("\x00" in v for v in values if isinstance(v, str)):
            return True
    return False


def _post_has_nul(request: HttpRequest) -> bool:
    if request.method != "POST":
        return False
    content_type = request.content_type or ""
    # form posts only: uploaded files and other bodies may carry any bytes legitimately
    if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return False
    return _has_nul(request.POST)


class RequestIdMiddleware:
    """Every log line written while a request is served carries its ``request_id`` (the
    ``X-Request-ID`` a proxy sent when it is a short token, else a new one), and the
    response says it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sent = request.headers.get("X-Request-ID", "")
        request_id = sent if _TOKEN.match(sent) else uuid.uuid4().hex[:16]
        with log_context(request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
