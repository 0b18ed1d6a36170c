"""Template context shared by admin pages."""

from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest

from . import selectors


def scheduler_status(request: HttpRequest) -> dict:
    """Expose the scheduler state to the admin banner (only on admin pages, for staff)."""
    if not request.path.startswith("/admin/") or not getattr(request.user, "is_staff", False):
        return {}
    try:
        return {"scheduler_status": selectors.scheduler_status()}
    except DatabaseError:  # e.g. before migrations: the banner is not worth an error page
        return {}
