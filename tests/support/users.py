"""Admin users holding exactly the permissions a test names (for permission tests).

``staff_user`` makes a staff user (not a superuser) with the given permissions, each a bare
codename (``view_member``) or ``app_label.codename`` where a codename exists in two apps;
``staff_client`` logs a test client in as one. The user is read back from the database so
that Django's per-object permission cache starts empty.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client


def _permission(name: str) -> Permission:
    app_label, _, codename = name.rpartition(".")
    found = Permission.objects.filter(codename=codename)
    if app_label:
        found = found.filter(content_type__app_label=app_label)
    # a typo must fail the test, not leave a user without the permission it was meant to hold
    return found.get()


def staff_user(*permissions: str, username: str = "analyst") -> Any:
    model = get_user_model()
    user = model.objects.create_user(username, password=f"pw-{username}-12345", is_staff=True)
    user.user_permissions.add(*(_permission(p) for p in permissions))
    return model.objects.get(pk=user.pk)


def staff_client(client: Client, *permissions: str, username: str = "analyst") -> Client:
    """Log ``client`` in as a new staff user with ``permissions``; return the client."""
    client.force_login(staff_user(*permissions, username=username))
    return client
