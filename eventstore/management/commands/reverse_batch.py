"""Reverse an inbound enrollment batch with compensating events."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from edi_platform.core.commands import PlatformCommand
from eventstore.ledger.services.reversal import ReversalError, batch_reverse


class Command(PlatformCommand):
    help = "Append one <Type>Reversed event per event of BATCH (newest first, one transaction)."

    def add_arguments(self, parser):
        parser.add_argument("batch", type=int, help="TransactionBatch id")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--user", default="", help="Username of the operator (audit).")

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user named {options['user']!r}")
        try:
            record = batch_reverse(
                batch_id=options["batch"],
                reason=options["reason"],
                acting_user=user,
            )
        except ReversalError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"batch {record.batch_id} reversed: {record.events_reversed} events compensated "
                f"at positions {record.first_position}..{record.last_position} "
                f"(reversal batch {record.reversal_batch_id})"
            )
        )
