"""Load the demo data (idempotent): the demo trading partners, through import_partners,
and with ``--samples`` the whole loop (inbound files, their answers).

It lives in outbound, the top app, because the loop spans every app below it.
"""

from __future__ import annotations

from edi_platform.core.commands import PlatformCommand
from edi_platform.partners.management.commands.import_partners import import_file
from edi_platform.partners.selectors import DEMO_PARTNERS_FILE
from outbound.services.demo import demo_loop


class Command(PlatformCommand):
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
        import_file(self, DEMO_PARTNERS_FILE)
        if not options["samples"]:
            return
        # The whole loop for newcomers: inbound batches, outcomes, outbound files, numbers.
        result = demo_loop()
        for line in result.ingested:
            self.stdout.write(f"demo ingest: {line}")
        self.stdout.write(f"demo assembly: {result.summary}")
