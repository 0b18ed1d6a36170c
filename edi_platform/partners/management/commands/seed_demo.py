"""Load the demo data (idempotent): the demo trading partners, through import_partners."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from .import_partners import import_file

DEMO_PARTNERS = Path(__file__).resolve().parents[2] / "demo" / "partners.json"


class Command(BaseCommand):
    help = (
        "Load demo partners PARTNERA, PARTNERB, INTERNAL-CLAIMS and TEST001 (idempotent). "
        "With --samples, also ingest the synthetic sample files of outbound/demo/ and "
        "assemble their TA1/999 answers (what `make run` does)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--samples",
            action="store_true",
            help="Also ingest the demo sample files and assemble their answers.",
        )

    def handle(self, *args, **options) -> None:
        import_file(self, DEMO_PARTNERS)
        if not options["samples"]:
            return
        # The whole loop for newcomers: inbound batches, outcomes, outbound files, numbers.
        from outbound.services.demo import demo_loop

        result = demo_loop()
        for line in result.ingested:
            self.stdout.write(f"demo ingest: {line}")
        self.stdout.write(f"demo assembly: {result.summary}")
