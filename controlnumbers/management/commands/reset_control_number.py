"""Reset (or roll over) one counter with a reason: same service as the admin action."""

from __future__ import annotations

import json

from django.core.management.base import CommandError

from controlnumbers.models import ControlNumberCounter
from controlnumbers.services import ControlNumberError, counter_reset, resolve_counter_key
from edi_platform.core.commands import PlatformCommand


class Command(PlatformCommand):
    help = (
        "Set a counter to --value (the next number issued is value + 1) and start a new epoch. "
        "A value below the current one needs --rollover (coordinate with the partner first). "
        "The transaction type follows the scope rule: for partner-wide ISA/GS counters any "
        'transaction type (or "*") names the partner\'s counter.'
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--partner", required=True)
        parser.add_argument("--transaction-type", required=True)
        parser.add_argument("--counter-type", required=True, choices=["ISA", "GS", "ST"])
        parser.add_argument("--value", type=int, required=True)
        parser.add_argument("--reason", required=True)
        parser.add_argument("--rollover", action="store_true")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options) -> None:
        try:
            key = resolve_counter_key(
                partner_code=options["partner"],
                transaction_type=options["transaction_type"],
                counter_type=options["counter_type"],
            )
            counter = ControlNumberCounter.objects.filter(
                partner_code=key.partner_code,
                transaction_type=key.transaction_type,
                counter_type=key.counter_type,
            ).first()
            if counter is None:
                raise CommandError(f"no counter {key}")
            row = counter_reset(
                counter_id=counter.id,
                new_value=options["value"],
                reason=options["reason"],
                acting_user=None,
                rollover=options["rollover"],
            )
        except (ControlNumberError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        result = {
            "counter": str(key),
            "value": row.number,
            "epoch": row.epoch,
            "next_number": row.number + 1,
            "rollover": options["rollover"],
            "actor": row.actor,
        }
        if options["format"] == "json":
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write(
                f"Counter {key} set to {row.number} (epoch {row.epoch}); next number "
                f"{row.number + 1}."
            )
