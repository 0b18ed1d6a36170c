"""Reset and rollover of a counter: a new epoch, with the operator and the reason recorded.

One transaction: the counter row is locked, moved and its RESET audit row written; a crash
leaves either both or neither.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from edi_platform.core.actors import actor_label

from ..domain import ResetRefused
from ..models import AuditStatus, ControlNumberAudit, ControlNumberCounter

logger = logging.getLogger(__name__)

RESET_PERMISSION = "controlnumbers.reset_counter"


def counter_reset(
    *, counter_id: int, new_value: int, reason: str, acting_user: Any, rollover: bool = False
) -> ControlNumberAudit:
    """Set a counter to ``new_value`` and start a new epoch; returns the RESET audit row.

    The next number issued is ``new_value + 1``. A value below the current one would re-issue
    numbers of the current epoch and is refused unless ``rollover`` is explicit (the partner
    must have been told: they will see those numbers again). ``acting_user`` is the operator
    (must hold ``controlnumbers.reset_counter``) or None for a trusted command-line caller.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ResetRefused("a reason is required")
    if acting_user is not None and not acting_user.has_perm(RESET_PERMISSION):
        raise PermissionDenied("resetting a counter needs the permission " + RESET_PERMISSION)
    with transaction.atomic():
        counter = ControlNumberCounter.objects.select_for_update().get(id=counter_id)
        if not 0 <= new_value <= counter.max_value:
            raise ResetRefused(f"the new value must be between 0 and {counter.max_value:,}")
        if new_value < counter.current_value and not rollover:
            raise ResetRefused(
                f"counter {counter}: setting {new_value:,} would re-issue numbers "
                f"{new_value + 1:,}–{counter.current_value:,} of epoch {counter.epoch}; "
                "choose a value >= the current one, or an explicit rollover after coordinating "
                "with the partner"
            )
        old_value, old_epoch = counter.current_value, counter.epoch
        counter.current_value = new_value
        counter.epoch = old_epoch + 1
        counter.save(update_fields=["current_value", "epoch", "modified_at"])
        verb = "rollover" if rollover else "reset"
        row = ControlNumberAudit.objects.create(
            counter=counter,
            number=new_value,
            epoch=counter.epoch,
            # The epoch's anchor: the next row gets seq + 1 and number new_value + 1.
            seq=counter.issued_count,
            outbound_file_id=None,
            issued_at=timezone.now(),
            status=AuditStatus.RESET,
            notes=f"{verb} from {old_value} (epoch {old_epoch}) to {new_value}: {reason}",
            actor=actor_label(acting_user),
        )
    logger.warning(
        "control-number counter %s %s from %s to %s (epoch %s) by %s",
        counter,
        verb,
        old_value,
        new_value,
        counter.epoch,
        row.actor,
    )
    return row
