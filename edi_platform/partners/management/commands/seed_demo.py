"""Load the demo data (idempotent): the demo trading partners, through import_partners."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from .import_partners import import_file

DEMO_PARTNERS = Path(__file__).resolve().parents[2] / "demo" / "partners.json"


class Command(BaseCommand):
    help = "Load demo partners PARTNERA, PARTNERB, INTERNAL-CLAIMS and TEST001 (idempotent)."

    def handle(self, *args, **options) -> None:
        import_file(self, DEMO_PARTNERS)
