"""Publish pending outbox messages to the Redis stream (same service as the task)."""

from __future__ import annotations

from edi_platform.core.commands import PlatformCommand
from outbound.services.outbox import outbox_publish


class Command(PlatformCommand):
    help = "Send pending 'file ready' messages to the Redis stream edi-outbound-ready."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--redis-url", help="Default: OUTBOUND_REDIS_URL or the Redis broker.")

    def handle(self, *args, **options) -> None:
        self.stdout.write(outbox_publish(redis_url=options["redis_url"]).summary())
