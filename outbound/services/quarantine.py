"""Quarantine of files that fail validation (never sent; their numbers a documented gap)."""

from __future__ import annotations

import logging

from django.db import transaction

from controlnumbers.services import numbers_mark_failed
from edi_platform.core.retry import run_retrying
from outbound.models import OutboundFile, OutboundFileStatus, OutcomeStatus, ProcessingOutcome

from .files import file_path
from .storage import StorageConflict, sha256_hex, write_create_only

logger = logging.getLogger(__name__)


def file_quarantine(*, file: OutboundFile, data: bytes | None, reason: str) -> OutboundFile:
    """Move a file that failed validation aside: bytes (if any) and the reason under
    ``outbound/_quarantine/``, file QUARANTINED, its numbers FAILED (a documented gap),
    its outcomes FAILED. Reasons name positions and codes only (no PHI)."""
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
