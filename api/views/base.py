"""What every API view shares: the key's partner scope, PHI access records, raw bodies."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.views import APIView

from api.access import access_record
from api.auth import partner_of
from api.errors import PayloadTooLarge
from edi_platform.partners.models import TradingPartner

__all__ = ["ApiView", "read_body"]


class ApiView(APIView):
    partner_allowed = False
    staff_perms: tuple[str, ...] | None = None
    phi_resource = ""  # set on views whose answers carry PHI: one access record per answer

    def partner(self, request: Request) -> TradingPartner | None:
        """The partner of a partner key (every query is limited to it); None for staff."""
        return partner_of(request)

    def record_phi(self, request: Request, *, ids: list[Any], status_code: int = 200) -> None:
        access_record(
            key=request.auth,
            resource=self.phi_resource,
            resource_ids=ids,
            method=request.method or "",
            status_code=status_code,
        )


def read_body(request: Request) -> bytes:
    """The raw request body, at most ``API_MAX_BODY_BYTES`` (413 past it, however sent)."""
    limit = int(settings.API_MAX_BODY_BYTES)
    data = request._request.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"The request body is larger than the limit ({limit} bytes).")
    return data
