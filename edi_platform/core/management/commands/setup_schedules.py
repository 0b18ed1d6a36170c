"""Install the default periodic tasks (idempotent; operators' edits survive)."""

from __future__ import annotations

from edi_platform.core.commands import PlatformCommand
from edi_platform.core.services import schedules_setup


class Command(PlatformCommand):
    help = "Upsert the default Celery beat periodic tasks by name."

    def handle(self, *args, **options) -> None:
        result = schedules_setup()
        for name in result.created:
            self.stdout.write(f"created   {name}")
        for name in result.updated:
            self.stdout.write(f"updated   {name}")
        for name in result.unchanged:
            self.stdout.write(f"unchanged {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.created)} created, {len(result.updated)} updated, "
                f"{len(result.unchanged)} unchanged"
            )
        )
