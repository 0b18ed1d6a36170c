"""The operator's "Reprocess" of a quarantined file: its outcomes in a NEW file.

Steps: (1) one transaction re-claims the quarantined file's FAILED outcomes and records the
operator action; (2) assembly builds a new file with new control numbers (its own steps).
A crash after (1) leaves CLAIMED outcomes without a file: recovery releases them to PENDING
and the next assembly answers them.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from edi_platform.core.actors import actor_label
from outbound.models import (
    OperatorAction,
    OutboundFile,
    OutboundFileStatus,
    OutcomeStatus,
    ProcessingOutcome,
)

from .assembly import group_assemble

__all__ = ["ReprocessRefused", "outbound_reprocess"]


class ReprocessRefused(Exception):
    """The file cannot be reprocessed (not quarantined, or already reprocessed)."""


def outbound_reprocess(*, file_id: uuid.UUID, acting_user: Any, reason: str = "") -> OutboundFile:
    """Re-assemble the outcomes of a quarantined file with NEW control numbers.

    The quarantined file and its FAILED numbers stay as they are (documented); the outcomes
    move to the new file, which records ``reprocessed_from``. Returns the new file.
    """
    actor = actor_label(acting_user)
    with transaction.atomic():
        old = OutboundFile.objects.select_for_update().select_related("partner").get(pk=file_id)
        if old.status != OutboundFileStatus.QUARANTINED:
            raise ReprocessRefused(f"file {old.id} is {old.status}, not QUARANTINED")
        outcomes = ProcessingOutcome.objects.select_for_update().filter(
            outbound_file=old, status=OutcomeStatus.FAILED
        )
        ids = sorted(outcomes.values_list("id", flat=True))
        if not ids:
            raise ReprocessRefused(f"file {old.id} has no failed outcome left (reprocessed?)")
        ProcessingOutcome.objects.filter(id__in=ids).update(
            status=OutcomeStatus.CLAIMED,
            claimed_at=timezone.now(),
            outbound_file=None,
            failure_reason="",
        )
        OperatorAction.objects.create(
            action=OperatorAction.Action.REPROCESS,
            actor=actor,
            outbound_file=old,
            reason=reason,
            result=f"{len(ids)} outcome(s) re-claimed",
        )
    new = group_assemble(
        partner=old.partner,
        response_type=old.transaction_type,
        outcome_ids=ids,
        acting_user=acting_user,
        reprocessed_from=old,
    )
    return new
