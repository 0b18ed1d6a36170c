"""Create the permission groups EDI operator, EDI administrator and EDI auditor."""

from __future__ import annotations

from django.core.management.base import CommandError

from edi_platform.core.commands import PlatformCommand
from edi_platform.core.groups import groups_setup


class Command(PlatformCommand):
    help = (
        "Create (or reset) the groups 'EDI auditor', 'EDI operator' and 'EDI administrator' "
        "with exactly the permissions each app declares for them (idempotent)."
    )

    def handle(self, *args, **options) -> None:
        result = groups_setup()
        for name, count in result.groups.items():
            self.stdout.write(f"{name}: {count} permissions")
        if result.missing:
            raise CommandError(
                "permissions not found (run `manage.py migrate` first): "
                + ", ".join(result.missing)
            )
        self.stdout.write(self.style.SUCCESS("groups ready"))
