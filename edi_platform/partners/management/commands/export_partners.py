"""Write every trading partner as JSON (the format import_partners reads)."""

from __future__ import annotations

import json
from pathlib import Path

from edi_platform.core.commands import PlatformCommand
from edi_platform.partners.services import partners_export


class Command(PlatformCommand):
    help = "Export trading partners as JSON to stdout or --output PATH."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", "-o", type=Path)

    def handle(self, *args, output: Path | None, **options) -> None:
        text = json.dumps(partners_export(), indent=2, ensure_ascii=False) + "\n"
        if output:
            output.write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {output}")
        else:
            self.stdout.write(text, ending="")
