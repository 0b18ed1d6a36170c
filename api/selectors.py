"""The API's reads, composed from the apps' tables and selectors (reads only; every write goes
through the owning app's services). Each takes the key's partner: None means staff (no
partner limit), a partner limits every row to that partner — rows of others are "not found"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from edi_platform.partners.models import TradingPartner
from eventstore.inbound.models import TransactionBatch, TransactionHeader
from eventstore.ledger.selectors import active_enrollments
from outbound.models import Claim, OutboundFile, OutboxMessage, ProcessingOutcome

__all__ = [
    "batch_for",
    "batch_responses",
    "batch_sets",
    "claims_for",
    "enrollments_active",
    "files_for",
]

SETS_SHOWN = 1000


def batch_for(*, batch_id: int, partner: TradingPartner | None) -> TransactionBatch | None:
    qs = TransactionBatch.objects.select_related("partner").defer("report")
    if partner is not None:
        qs = qs.filter(partner=partner)
    return qs.filter(pk=batch_id).first()


def batch_sets(*, batch: TransactionBatch) -> list[TransactionHeader]:
    return list(batch.headers.order_by("id")[:SETS_SHOWN])


def batch_responses(*, batch: TransactionBatch) -> list[dict[str, Any]]:
    """What the batch is owed and was sent (every response type), with delivery state."""
    outcomes = list(
        ProcessingOutcome.objects.filter(batch_id=batch.pk)
        .select_related("outbound_file")
        .defer("payload")
        .order_by("id")
    )
    files = {o.outbound_file_id for o in outcomes if o.outbound_file_id}
    delivery = dict(
        OutboxMessage.objects.filter(outbound_file_id__in=files).values_list(
            "outbound_file_id", "status"
        )
    )
    rows = []
    for o in outcomes:
        file = o.outbound_file
        rows.append(
            {
                "response_type": o.response_type,
                "status": o.status,
                "due_at": o.due_at,
                "assembled_at": o.assembled_at,
                "file_id": file.pk if file else None,
                "file_status": file.status if file else "",
                "published": delivery.get(file.pk, "") if file else "",
                "received_by_partner_at": file.received_at if file else None,
            }
        )
    return rows


def files_for(
    *,
    partner: TradingPartner | None,
    transaction_type: str = "",
    status: str = "",
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
    received: bool | None = None,
) -> QuerySet[OutboundFile]:
    """Outbound files (a partner's only, for a partner key), newest first."""
    qs = OutboundFile.objects.select_related("partner")
    if partner is not None:
        qs = qs.filter(partner=partner)
    if transaction_type:
        qs = qs.filter(transaction_type=transaction_type)
    if status:
        qs = qs.filter(status=status)
    if created_from:
        qs = qs.filter(created_at__gte=created_from)
    if created_to:
        qs = qs.filter(created_at__lt=created_to)
    if received is not None:
        qs = qs.filter(received_at__isnull=not received)
    return qs


def enrollments_active(*, as_of: dt.date, partner_code: str = "", plan: str = "") -> QuerySet:
    qs = active_enrollments(today=as_of, partner_code=partner_code)
    if plan:
        qs = qs.filter(plan=plan)
    return qs


def claims_for(*, partner: TradingPartner | None) -> QuerySet[Claim]:
    qs = Claim.objects.select_related("partner", "batch", "header")
    if partner is not None:
        qs = qs.filter(partner=partner)
    return qs
