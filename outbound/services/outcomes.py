"""Staging of owed responses (called by inbound processing in its own transaction)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from edi_platform.partners.models import TradingPartner
from outbound.models import BatchWindow, ProcessingOutcome

# Used when the BatchWindow row is missing (e.g. deleted by an operator).
DEFAULT_WINDOW_MINUTES = {"TA1": 0, "271": 2, "999": 5, "277CA": 60, "835": 1440}


def window_minutes_for(response_type: str) -> int:
    """The batch window of a response type, in minutes (database first, then the default)."""
    minutes = (
        BatchWindow.objects.filter(response_type=response_type)
        .values_list("window_minutes", flat=True)
        .first()
    )
    return DEFAULT_WINDOW_MINUTES.get(response_type, 5) if minutes is None else minutes


def outcome_stage(
    *,
    partner: TradingPartner,
    response_type: str,
    payload: dict[str, Any],
    dedupe_key: str,
    batch_id: int | None = None,
    isa13: str = "",
    gs06: str = "",
    st02s: list[str] | None = None,
) -> tuple[ProcessingOutcome, bool]:
    """Stage one owed response as a PENDING outcome, due after its batch window.

    Call inside the transaction that records the inbound batch's final status, so outcomes
    exist exactly when the batch says it was processed. ``dedupe_key`` makes staging
    idempotent (reprocessing a batch does not owe the partner a second answer): returns
    ``(outcome, created)``.
    """
    now = timezone.now()
    minutes = window_minutes_for(response_type)
    outcome, created = ProcessingOutcome.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "partner": partner,
            "response_type": response_type,
            "batch_id": batch_id,
            "isa13": isa13,
            "gs06": gs06,
            "st02s": list(st02s or []),
            "payload": payload,
            "created_at": now,
            "due_at": now + timedelta(minutes=minutes),
        },
    )
    if created and minutes == 0:
        # Immediate windows (TA1) do not wait for the next beat tick: assemble once the
        # staging transaction commits. robust: a broker hiccup must not fail the caller; the
        # every-minute schedule picks the outcome up anyway.
        code = partner.code
        transaction.on_commit(lambda: _enqueue_assembly(code, response_type), robust=True)
    return outcome, created


def _enqueue_assembly(partner_code: str, response_type: str) -> None:
    from outbound.tasks import assemble_due

    assemble_due.delay(partner_code=partner_code, response_type=response_type)
