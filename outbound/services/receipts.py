"""A partner's receipt of a file we sent (the API's ``POST /files/{id}/received``): recorded
once, so operators see delivery on the file's page and in its list."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from edi_platform.partners.models import TradingPartner
from outbound.models import OutboundFile

__all__ = ["file_receipt_record"]


def file_receipt_record(
    *, file_id: uuid.UUID, partner: TradingPartner, received_by: str
) -> tuple[OutboundFile, bool]:
    """Record that ``partner`` has file ``file_id`` (first receipt wins; later ones change
    nothing). Raises ``OutboundFile.DoesNotExist`` for a file of another partner."""
    with transaction.atomic():
        updated = OutboundFile.objects.filter(
            pk=file_id, partner=partner, received_at__isnull=True
        ).update(received_at=timezone.now(), received_by=received_by[:150])
        file = OutboundFile.objects.get(pk=file_id, partner=partner)
    return file, bool(updated)
