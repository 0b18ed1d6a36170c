"""Quarantine of files that fail validation, and the operator's "Reprocess"."""

from __future__ import annotations

import logging
import uuid

from django.db import transaction
from django.utils import timezone

from controlnumbers.services import numbers_mark_failed
from outbound.models import (
    OperatorAction,
    OutboundFile,
    OutboundFileStatus,
    OutcomeStatus,
    ProcessingOutcome,
)

from .storage import StorageConflict, sha256_hex, write_create_only

logger = logging.getLogger(__name__)


class ReprocessRefused(Exception):
    """The file cannot be reprocessed (not quarantined, or already reprocessed)."""


def file_quarantine(*, file: OutboundFile, data: bytes | None, reason: str) -> OutboundFile:
    """Move a file that failed validation aside: bytes (if any) and the reason under
    ``outbound/_quarantine/``, file QUARANTINED, its numbers FAILED (a documented gap),
    its outcomes FAILED. Reasons name positions and codes only (no PHI)."""
    from .assembly import file_path, run_retrying  # assembly imports this module lazily

    path = file_path(file, quarantine=True)
    try:
        if data is not None:
            write_create_only(path, data)
        write_create_only(path + ".reason.txt", (reason + "\n").encode())
    except StorageConflict:
        logger.warning("quarantine copy of file %s already exists with other bytes", file.id)
    logger.warning("outbound file %s quarantined: %s", file.id, reason)

    def finish() -> OutboundFile:
        with transaction.atomic():
            locked = OutboundFile.objects.select_for_update().get(pk=file.id)
            if locked.status != OutboundFileStatus.ASSEMBLING:
                return locked
            locked.status = OutboundFileStatus.QUARANTINED
            locked.status_reason = reason
            locked.storage_path = path
            if data is not None:
                locked.size = len(data)
                locked.sha256 = sha256_hex(data)
            locked.save()
            numbers_mark_failed(outbound_file_id=locked.id, reason=reason[:500])
            ProcessingOutcome.objects.filter(outbound_file=locked).update(
                status=OutcomeStatus.FAILED, failure_reason=reason[:1000]
            )
            return locked

    return run_retrying(finish)


def outbound_reprocess(*, file_id: uuid.UUID, acting_user: str, reason: str = "") -> OutboundFile:
    """Re-assemble the outcomes of a quarantined file with NEW control numbers.

    The quarantined file and its FAILED numbers stay as they are (documented); the outcomes
    move to the new file, which records ``reprocessed_from``. Returns the new file.
    """
    from .assembly import group_assemble

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
            actor=acting_user,
            outbound_file=old,
            reason=reason,
            result=f"{len(ids)} outcome(s) re-claimed",
        )
    new = group_assemble(
        partner=old.partner,
        response_type=old.transaction_type,
        outcome_ids=ids,
        actor=acting_user,
        reprocessed_from=old,
    )
    return new
