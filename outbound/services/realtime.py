"""Real-time exchange: one inquiry interchange in, its answer file out, in one call.

The HTTP API's CORE real-time endpoints (270 → 271, 276 → 277) call this, and nothing else
answers real time: the inquiry is ingested by THE ingest service (recorded like any file:
batch, headers, outcomes), and the answer is assembled by THE assembly service for that
batch only (control numbers from the store, validation, storage, outbox), windows ignored.

Which response answers an inquiry comes from the responder registry (the specs whose
``answers`` name the inquiry's ST01), never from a list here: with no responder for it the
batch's acknowledgment (999, else TA1) is what there is to send, and the result says the
inquiry type is not answered in real time. A rejected inquiry is answered by its TA1/999.
Ingest is idempotent by content, so the same bytes twice give the same answer file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings

from eventstore.inbound.models import BatchChannel
from eventstore.inbound.services.ingest import ingest_bytes
from outbound.models import OutboundFile, OutboundFileStatus, ProcessingOutcome
from outbound.responders import specs

from .assembly import outbound_assemble
from .storage import read_bytes

__all__ = ["RealtimeAnswer", "answer_types_for", "realtime_exchange"]

ACK_TYPES = ("999", "TA1")


@dataclass(frozen=True)
class RealtimeAnswer:
    """What one real-time inquiry got (ids, codes and the answer's bytes; no PHI in text)."""

    batch_id: int | None
    batch_status: str
    already_received: bool
    response_type: str  # "271", "277", "999", "TA1" or "" (nothing could be sent)
    answered: bool  # True: the business answer; False: an acknowledgment (or nothing)
    responder_missing: bool  # no responder answers this inquiry type
    file_id: object | None
    data: bytes | None
    reason: str


def answer_types_for(st01: str) -> list[str]:
    """The response types whose responder answers inbound ``st01`` (registry order)."""
    return [s.response_type for s in specs() if any(a[0] == st01 for a in s.answers)]


def realtime_wait_seconds() -> float:
    return float(settings.API_REALTIME_WAIT_SECONDS)


def realtime_exchange(*, data: bytes, inquiry_st01: str, original_name: str) -> RealtimeAnswer:
    """Ingest one inquiry interchange and assemble its answer now (see the module docstring).

    Must run outside a transaction (ingest and assembly commit step by step).
    """
    result = ingest_bytes(data=data, original_name=original_name, channel=BatchChannel.API)
    answer_types = answer_types_for(inquiry_st01)
    if result.batch is None:
        return RealtimeAnswer(
            None, result.status, False, "", False, not answer_types, None, None, result.reason
        )
    deadline = time.monotonic() + realtime_wait_seconds()
    while True:
        owed = list(
            ProcessingOutcome.objects.filter(batch_id=result.batch).defer("payload").order_by("id")
        )
        answers = [o for o in owed if o.response_type in answer_types]
        wanted = answers or [o for o in owed if o.response_type in ACK_TYPES]
        pending_types = {o.response_type for o in wanted if o.outbound_file_id is None}
        for response_type in sorted(pending_types):
            outbound_assemble(
                batch_ids=[result.batch], response_type=response_type, ignore_windows=True
            )
        file = _first_file(wanted, answers_first=bool(answers))
        if file is not None or not wanted or time.monotonic() >= deadline:
            break
        time.sleep(0.05)  # another worker holds the outcome: it is being assembled
    payload = None
    if file is not None and file.status != OutboundFileStatus.QUARANTINED:
        payload = read_bytes(file.storage_path) if file.storage_path else None
    return RealtimeAnswer(
        batch_id=result.batch,
        batch_status=result.status,
        already_received=result.already_received,
        response_type=file.transaction_type if file is not None and payload else "",
        answered=bool(answers) and file is not None and payload is not None,
        responder_missing=not answer_types,
        file_id=file.pk if file is not None else None,
        data=payload,
        reason=result.reason,
    )


def _first_file(outcomes: list[ProcessingOutcome], *, answers_first: bool) -> OutboundFile | None:
    """The file to send back once every wanted outcome has one (None: not all assembled):
    the answer's, else the 999's, else the TA1's."""
    rows = list(
        ProcessingOutcome.objects.filter(pk__in=[o.pk for o in outcomes])
        .select_related("outbound_file")
        .defer("payload")
        .order_by("id")
    )
    if not rows or any(r.outbound_file_id is None for r in rows):
        return None
    if not answers_first:
        rows.sort(key=lambda r: (ACK_TYPES.index(r.response_type), r.pk))
    return rows[0].outbound_file
