"""Create the original system's counters, mapped onto the scope rule (idempotent)."""

from __future__ import annotations

import json

from controlnumbers.domain import counter_key
from controlnumbers.services import (
    UnknownPartner,
    counters_ensure,
    partner_scope,
)
from edi_platform.core.commands import PlatformCommand

# The original's 24 counters: ISA/GS/ST for each of these partner / transaction types.
ORIGINAL_COUNTERS: dict[str, tuple[str, ...]] = {
    "PARTNERA": ("270", "271", "837", "835"),
    "PARTNERB": ("270", "271"),
    "INTERNAL-CLAIMS": ("277", "999"),
    "TEST001": ("270", "271"),
}


class Command(PlatformCommand):
    help = (
        "Create the original's counters (PARTNERA 270/271/837/835, PARTNERB 270/271, "
        "INTERNAL-CLAIMS 277/999, TEST001 270/271) under the scope rule: one ISA and one GS "
        "counter per partner (per transaction type for partners with scope 'transaction') and "
        "one ST counter per transaction type. Idempotent; partners must exist (seed_demo)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options) -> None:
        keys = set()
        skipped = []
        for partner, transaction_types in ORIGINAL_COUNTERS.items():
            try:
                scope = partner_scope(partner_code=partner)
            except UnknownPartner:
                skipped.append(partner)
                continue
            for ttype in transaction_types:
                for ctype in ("ISA", "GS", "ST"):
                    keys.add(
                        counter_key(
                            partner_code=partner,
                            transaction_type=ttype,
                            counter_type=ctype,
                            scope=scope,
                        )
                    )
        created = counters_ensure(keys=keys)
        result = {
            "counters": len(keys),
            "created": created,
            "existing": len(keys) - created,
            "skipped_partners": skipped,
        }
        if options["format"] == "json":
            self.stdout.write(json.dumps(result, indent=2))
            return
        for partner in skipped:
            self.stderr.write(f"skipped {partner}: no such trading partner (run seed_demo)")
        self.stdout.write(
            f"{len(keys)} counters: {created} created, {len(keys) - created} already present."
        )
