"""Recovery after crashed workers: finish or rebuild stale ASSEMBLING files with the SAME
control numbers, and put stale CLAIMED outcomes without a file back to PENDING."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from controlnumbers.domain import ControlNumberError
from controlnumbers.services import numbers_reissue
from outbound.models import OutboundFile, OutboundFileStatus, OutcomeStatus, ProcessingOutcome

from .assembly import file_build_and_store
from .files import file_path
from .storage import remove_stale_temp_files

logger = logging.getLogger(__name__)

# A live worker needs seconds per group; older than this it is presumed dead.
DEFAULT_STALE_AFTER = timedelta(minutes=5)


class NumbersDisagree(Exception):
    """The control-number store names other numbers than the file row: a person decides."""


@dataclass
class RecoveryResult:
    """What one recovery run did."""

    released_outcomes: int = 0
    finished: list[str] = field(default_factory=list)  # file ids now PERSISTED
    quarantined: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # need an operator (logged)

    def summary(self) -> str:
        return (
            f"{self.released_outcomes} stale claimed outcome(s) released; "
            f"{len(self.finished)} file(s) finished with their original numbers; "
            f"{len(self.quarantined)} quarantined, {len(self.skipped)} skipped (see log)"
        )


def outbound_recover(
    *, stale_after: timedelta = DEFAULT_STALE_AFTER, now: datetime | None = None
) -> RecoveryResult:
    """Repair what crashed workers left behind (safe to run at any time, concurrently).

    * CLAIMED outcomes with no file, claimed before ``now - stale_after``: back to PENDING
      (no number was allocated for them: the allocation transaction rolled back).
    * ASSEMBLING files not updated since ``now - stale_after``: their numbers are reissued
      (audit REISSUED) and the file is rebuilt byte for byte; if the stored file is already
      there with the same sha256 it is just finished. Each file is locked with
      ``skip_locked`` so two recoveries never work on the same one.
    """
    now = now or timezone.now()
    cutoff = now - stale_after
    result = RecoveryResult()
    with transaction.atomic():
        ids = list(
            ProcessingOutcome.objects.select_for_update(skip_locked=True)
            .filter(status=OutcomeStatus.CLAIMED, outbound_file__isnull=True, claimed_at__lt=cutoff)
            .values_list("id", flat=True)
        )
        result.released_outcomes = ProcessingOutcome.objects.filter(
            id__in=ids, status=OutcomeStatus.CLAIMED, outbound_file__isnull=True
        ).update(status=OutcomeStatus.PENDING, claimed_at=None)
    stale = list(  # oldest first: a deterministic order, the longest-waiting file first
        OutboundFile.objects.filter(status=OutboundFileStatus.ASSEMBLING, updated_at__lt=cutoff)
        .order_by("updated_at", "id")
        .values_list("id", flat=True)
    )
    for file_id in stale:
        try:
            file = _take(file_id, cutoff)
        except (ControlNumberError, NumbersDisagree) as exc:
            # e.g. numbers already persisted or missing: needs a person, not a rebuild
            logger.error("outbound recovery: file %s not rebuilt: %s", file_id, exc)
            result.skipped.append(str(file_id))
            continue
        if file is None:
            continue
        # a writer killed mid-write leaves its temporary file beside the final name
        remove_stale_temp_files(
            file_path(file).rsplit("/", 1)[0], older_than_seconds=stale_after.total_seconds()
        )
        done = file_build_and_store(file=file)
        if done.status == OutboundFileStatus.QUARANTINED:
            result.quarantined.append(str(done.id))
        else:
            result.finished.append(str(done.id))
    if result.released_outcomes or stale:
        logger.info("outbound recovery: %s", result.summary())
    return result


def _take(file_id, cutoff: datetime) -> OutboundFile | None:
    """Lock a stale file, reissue its numbers and touch it (so a parallel recovery skips it)."""
    with transaction.atomic():
        file = (
            OutboundFile.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("partner")
            .filter(pk=file_id, status=OutboundFileStatus.ASSEMBLING, updated_at__lt=cutoff)
            .first()
        )
        if file is None:
            return None
        numbers = numbers_reissue(outbound_file_id=file.id, note="outbound recovery rebuild")
        store = (numbers.isa13, numbers.gs06, list(numbers.st02s))
        row = (file.isa13, file.gs06, list(file.st02s))
        if store != row:
            # Never expected. Rebuilding would send numbers one of the two never issued:
            # leave the file ASSEMBLING (the reissue rolls back) for a person to look at.
            raise NumbersDisagree(
                f"the control-number store has ISA13/GS06/ST02s {store}, the file row {row}"
            )
        file.save(update_fields=["updated_at"])
    return file
