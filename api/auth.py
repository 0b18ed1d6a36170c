"""Authentication of the API: ``Authorization: Api-Key <key>`` (or ``X-API-Key: <key>``).

A partner key authenticates as a :class:`PartnerPrincipal` (no Django permissions: the
views let it in only where partners may go, and scope every query to its partner); a staff
token authenticates as its user, with the same permissions as in the admin. ``request.auth``
is the :class:`~api.keys.models.ApiKey` either way. Nothing is written for a refused key.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from api.keys.models import ApiKey
from api.keys.services import KeyRefused, api_key_check

__all__ = ["ApiKeyAuthentication", "PartnerPrincipal", "partner_of"]

SCHEME = "Api-Key"


class PartnerPrincipal:
    """The ``request.user`` of a partner key: authenticated, no Django permission."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, key: ApiKey) -> None:
        self.key = key
        self.partner = key.partner

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return False

    def get_username(self) -> str:
        return f"partner:{self.partner.code}"

    def __str__(self) -> str:
        return self.get_username()


def partner_of(request: Any) -> Any:
    """The partner whose key made ``request`` (None for a staff token)."""
    key = getattr(request, "auth", None)
    return key.partner if isinstance(key, ApiKey) and key.partner_id else None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[Any, ApiKey] | None:
        header = get_authorization_header(request).decode("latin-1").strip()
        raw = ""
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() not in (SCHEME.lower(), "bearer"):
                return None
            raw = value.strip()
        else:
            raw = request.META.get("HTTP_X_API_KEY", "").strip()
        if not raw:
            return None
        try:
            key = api_key_check(raw=raw)
        except KeyRefused as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        if key.partner_id:
            return PartnerPrincipal(key), key
        return key.user, key

    def authenticate_header(self, request: Any) -> str:
        return f'{SCHEME} realm="api"'
