"""Who may call a view: every API view says it once.

* ``partner_allowed`` — partner keys may call it (their queries are scoped to their
  partner by the view, through :func:`api.scope.partner_scope`);
* ``staff_perms`` — the Django permissions a staff token's user needs (the admin's); None:
  staff tokens may not call it (partner-only actions such as a real-time inquiry).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from api.auth import PartnerPrincipal

__all__ = ["ApiAccess"]


class ApiAccess(BasePermission):
    message = "This key may not use this endpoint."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False) or request.auth is None:
            return False
        if isinstance(user, PartnerPrincipal):
            return bool(getattr(view, "partner_allowed", False))
        perms = getattr(view, "staff_perms", None)
        if perms is None:
            return False
        return user.has_perms(perms)
