"""Before anything reads an API request (form parsing included) and before authentication
(so nothing is stored for it): a declared body larger than ``API_MAX_BODY_BYTES`` is 413, a
NUL character in the address, the query or a form field is 400, a multipart body that
cannot be read is 400 — all as the API's JSON errors (the site-wide NUL refusal answers
plain text, for the admin)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

__all__ = ["ApiBodyLimitMiddleware"]

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _error(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


class ApiBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            refused = _refused(request)
            if refused is not None:
                return refused
        return self.get_response(request)


def _refused(request: HttpRequest) -> HttpResponse | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error("Content-Length is not a number.", "bad_input", 400)
    limit = int(settings.API_MAX_BODY_BYTES)
    if length > limit:
        return _error(
            f"The request body ({length} bytes) is larger than the limit of this API "
            f"({limit} bytes).",
            "payload_too_large",
            413,
        )
    if "\x00" in request.path or _nul_in(request.GET):
        return _error("A NUL character is not allowed here.", "bad_input", 400)
    if request.method == "POST" and request.content_type in FORMS:
        try:
            form = request.POST
            request.FILES  # noqa: B018  (parsed now: a broken body is refused here)
        except Exception:  # MultiPartParserError, RequestDataTooBig, TooManyFieldsSent...
            return _error("The form body could not be read.", "bad_input", 400)
        if _nul_in(form):
            return _error("A NUL character is not allowed here.", "bad_input", 400)
    return None


def _nul_in(data: object) -> bool:
    return any(
        "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values)
        for key, values in data.lists()  # type: ignore[attr-defined]
    )
