"""Assemble due outcomes into outbound files (same service as the scheduled task)."""

from __future__ import annotations

from django.core.management.base import CommandError

from edi_platform.core.commands import PlatformCommand
from edi_platform.partners.models import TradingPartner
from outbound.responders import response_types
from outbound.services.assembly import outbound_assemble


class Command(PlatformCommand):
    help = "Assemble due outcomes into validated outbound files (--now ignores batch windows)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--partner", help="Only this partner code.")
        parser.add_argument("--type", choices=response_types(), help="Only this response type.")
        parser.add_argument(
            "--now", action="store_true", help="Ignore batch windows: take every pending outcome."
        )

    def handle(self, *args, **options) -> None:
        partner = options["partner"]
        if partner and not TradingPartner.objects.filter(code=partner).exists():
            raise CommandError(f"Unknown partner code {partner!r}.")
        result = outbound_assemble(
            partner_code=partner,
            response_type=options["type"],
            ignore_windows=options["now"],
        )
        self.stdout.write(result.summary())
