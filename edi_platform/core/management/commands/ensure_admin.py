"""Create the first admin user once (for ``make run``)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model

from edi_platform.core.commands import PlatformCommand


class Command(PlatformCommand):
    help = (
        "Create the superuser 'admin' if no superuser exists. Uses ADMIN_PASSWORD when set, "
        "otherwise generates a password and prints it once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default=None, help="Default: ADMIN_USERNAME.")

    def handle(self, *args, username: str | None, **options) -> None:
        username = username or settings.ADMIN_USERNAME
        user_model = get_user_model()
        if user_model.objects.filter(is_superuser=True).exists():
            self.stdout.write("Admin user already exists; leaving it as it is.")
            return
        password = settings.ADMIN_PASSWORD or secrets.token_urlsafe(12)
        user_model.objects.create_superuser(username=username, email="", password=password)
        shown = "(from ADMIN_PASSWORD)" if settings.ADMIN_PASSWORD else password
        self.stdout.write(self.style.SUCCESS(f"Created admin user '{username}', password: {shown}"))
