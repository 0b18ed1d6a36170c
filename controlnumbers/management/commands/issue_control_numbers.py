"""Allocate control-number sets for files prepared by hand, and print them."""

from __future__ import annotations

import json
import uuid

from django.core.management.base import CommandError

from controlnumbers.services import ControlNumberError, allocate_envelope
from edi_platform.core.actors import actor_label
from edi_platform.core.commands import PlatformCommand


class Command(PlatformCommand):
    help = (
        "Allocate N sets of ISA13 + GS06 + ST02 for a partner and transaction type (same "
        "service as outbound). JSON: a list of {isa13, gs06, st02, outbound_file_id}."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--partner", required=True)
        parser.add_argument("--transaction-type", required=True)
        parser.add_argument("--count", type=int, default=1, help="Number of sets (default 1).")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options) -> None:
        if options["count"] < 1:
            raise CommandError("--count must be >= 1")
        actor = actor_label(None)
        sets = []
        try:
            for _ in range(options["count"]):
                env = allocate_envelope(
                    partner_code=options["partner"],
                    transaction_type=options["transaction_type"],
                    outbound_file_id=uuid.uuid4(),
                    actor=actor,
                )
                sets.append(
                    {
                        "isa13": env.isa13,
                        "gs06": env.gs06,
                        "st02": env.st02s[0],
                        "outbound_file_id": str(env.outbound_file_id),
                    }
                )
        except ControlNumberError as exc:
            if sets:
                self.stderr.write(f"{len(sets)} set(s) allocated before the error:")
                self._print(sets, options["format"])
            raise CommandError(str(exc)) from exc
        self._print(sets, options["format"])

    def _print(self, sets: list[dict], fmt: str) -> None:
        if fmt == "json":
            self.stdout.write(json.dumps(sets, indent=2))
            return
        for s in sets:
            self.stdout.write(
                f"ISA13 {s['isa13']:09d}  GS06 {s['gs06']}  ST02 {s['st02']:04d}  "
                f"file {s['outbound_file_id']}"
            )
