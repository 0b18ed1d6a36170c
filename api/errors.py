"""Every error of the API is JSON ``{"detail": "...", "code": "..."}`` with its 4xx status:
never a traceback, never PHI (messages name ids, codes and limits only)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

__all__ = ["BadInput", "PayloadTooLarge", "exception_handler"]


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this API accepts."
    default_code = "payload_too_large"


class BadInput(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request could not be read."
    default_code = "bad_input"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's handler answers it (logged by class only)
    data = response.data
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else code
    if isinstance(data, dict) and "detail" in data:
        response.data = {"detail": str(data["detail"]), "code": code}
    else:
        response.data = {"detail": "Invalid request.", "code": code, "errors": data}
    return response
