"""Small helpers shared by the control-number tests (not a test module)."""

from __future__ import annotations

import uuid

from controlnumbers.models import ControlNumberCounter
from controlnumbers.services import EnvelopeNumbers, allocate_envelope


def envelope(partner: str = "PARTNERA", transaction_type: str = "271", **kwargs) -> EnvelopeNumbers:
    """Allocate one envelope for a new outbound file."""
    return allocate_envelope(
        partner_code=partner,
        transaction_type=transaction_type,
        outbound_file_id=uuid.uuid4(),
        **kwargs,
    )


def lose_numbers(counter_type: str, how_many: int, partner: str = "PARTNERA") -> None:
    """Simulate numbers consumed without any audit row (legacy tool, manual SQL, ...)."""
    counter = ControlNumberCounter.objects.get(partner_code=partner, counter_type=counter_type)
    ControlNumberCounter.objects.filter(id=counter.id).update(
        current_value=counter.current_value + how_many
    )
