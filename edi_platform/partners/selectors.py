"""Reads of the partner registry."""

from __future__ import annotations

from pathlib import Path

from .models import TradingPartner

DEMO_PARTNERS_FILE = Path(__file__).resolve().parent / "demo" / "partners.json"


def partner_by_code(*, code: str) -> TradingPartner | None:
    """The partner with this code, or None."""
    return TradingPartner.objects.filter(code=code).first()


def partner_by_sender(*, qualifier: str, sender_id: str) -> TradingPartner | None:
    """The partner identified by an inbound ISA05/ISA06 pair (ISA06 padding ignored)."""
    return TradingPartner.objects.filter(
        their_isa_qualifier=qualifier.strip(), their_isa_id=sender_id.strip()
    ).first()


def our_isa_ids() -> set[tuple[str, str]]:
    """Every (qualifier, ID) pair we receive under (valid ISA07/ISA08 values)."""
    return set(TradingPartner.objects.values_list("our_isa_qualifier", "our_isa_id").distinct())


def partner_codes() -> list[str]:
    """Every partner code, sorted (list filters and metric labels: the registry, bounded)."""
    return list(TradingPartner.objects.order_by("code").values_list("code", flat=True))
