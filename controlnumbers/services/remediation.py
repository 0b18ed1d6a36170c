"""Closing documented gaps: FAILED numbers whose file really is in outbound storage.

Where a file is, is outbound's knowledge: it is asked through the file locator outbound
registers at start-up (:mod:`controlnumbers.locator`), never guessed from a copy of its
storage layout. Each file's FAILED rows are closed in one transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from edi_platform.core.actors import actor_label

from ..locator import file_locate
from ..models import AuditStatus, ControlNumberAudit
from .lifecycle import _append_note

logger = logging.getLogger(__name__)

CLOSE_GAP_PERMISSION = "controlnumbers.close_gap"


@dataclass
class GapCloseResult:
    closed: int = 0
    files_found: list[str] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)  # audit ids whose file was not found


def gaps_close(
    *, audit_ids: Iterable[int], acting_user: Any, dry_run: bool = False
) -> GapCloseResult:
    """Remediate documented gaps: FAILED numbers whose file IS in outbound storage -> PERSISTED.

    The file of each outbound file id is found by the registered file locator. All FAILED
    rows of that outbound file are closed with a note naming the file and the operator, and
    the file's storage path recorded. ``dry_run`` only reports what would be closed.
    """
    if acting_user is not None and not acting_user.has_perm(CLOSE_GAP_PERMISSION):
        raise PermissionDenied("closing gaps needs the permission " + CLOSE_GAP_PERMISSION)
    result = GapCloseResult()
    failed = ControlNumberAudit.objects.filter(id__in=list(audit_ids), status=AuditStatus.FAILED)
    by_file: dict[uuid.UUID | None, list[int]] = {}
    for row_id, file_id in failed.values_list("id", "outbound_file_id"):
        by_file.setdefault(file_id, []).append(row_id)
    for file_id, row_ids in by_file.items():
        found = file_locate(outbound_file_id=file_id) if file_id is not None else None
        if found is None:
            result.not_found += row_ids
            continue
        closing = ControlNumberAudit.objects.filter(
            outbound_file_id=file_id, status=AuditStatus.FAILED
        )
        result.files_found.append(found)
        if dry_run:
            result.closed += closing.count()
            continue
        note = f"gap closed by {actor_label(acting_user)}: file found in outbound storage ({found})"
        with transaction.atomic():
            result.closed += closing.update(
                status=AuditStatus.PERSISTED, notes=_append_note(note), file_name=found
            )
        logger.info("control-number gap closed for outbound file %s", file_id)
    return result
