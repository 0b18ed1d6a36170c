"""The one ingest service: register a received file, validate it, stage acks, route its sets.

Used by ``manage.py ingest``, the admin upload form and the inbox poller (and by
``batch_reprocess``). This module is the orchestrator; each concern has its own module:
:mod:`.plan` (what a batch's final transaction writes, from the engine's report; pure),
:mod:`.sql` (every hand-written statement and lock), :mod:`.routing` (handing accepted sets
to their handlers), :mod:`eventstore.inbound.storage` (the raw copies). Steps:

1. one streaming pass: sha256, size and the first bytes (the ISA: sender, ISA13);
2. the raw bytes are stored (``inbound`` storage) before any row is committed, so a
   registered batch always has its file; the name embeds the sha256, so a second copy is
   never written;
3. the batch row is inserted; ``sha256`` is unique, so of two processes ingesting the same
   bytes at once exactly one inserts, the other gets the existing batch ("already received");
4. sender identification (ISA05/06 -> partner), duplicate ISA13 check, validation with the
   x12 engine (streaming);
5. ONE transaction: transaction headers, owed TA1/999 outcomes (through the outcome sink
   registered by outbound) and the batch's final status;
6. routing of accepted sets to handlers by ST01.

How the steps map to transactions is the :class:`IngestMode`:

* ``ONE_TRANSACTION`` (PostgreSQL, files up to ``INBOUND_SINGLE_TRANSACTION_MAX_BYTES``):
  steps 3-6 in one transaction, one commit per file. A crash before the commit leaves at
  most the stored raw copy and no row (the caller still has its file). Anything that fails
  (a handler included) rolls all of it back and the file is done again in two phases.
* ``TWO_PHASE`` (larger files, SQLite, and after a rollback): the RECEIVED batch row
  commits first (visible while a large file is processed); steps 4-5 commit together;
  routing follows, one set per transaction (a failing handler marks only its set FAILED).
  A crash leaves the batch RECEIVED with its raw copy: Reprocess finishes it.
* :func:`ingest_register` (the API's large submissions): steps 1-3 (:mod:`.register`) and
  the task ``process_batch`` enqueued on commit, which takes the lease and does 4-6.

A committed batch that is not finished is always leased by a live worker (see :mod:`.lease`):
if that worker dies, the lease runs out and the recovery schedule (:mod:`.recovery`), a
re-ingest of the same bytes or an operator's Reprocess takes the batch over; after
``INBOUND_MAX_PROCESSING_ATTEMPTS`` failed attempts it is FAILED, for an operator.

Crash points (tests; ``INBOUND_CRASH_AT``): ``after_register`` (the RECEIVED row is in:
committed in two phases, not yet in one transaction), ``after_plan`` (validated, nothing
written), ``before_commit`` (inside the final transaction, everything written and routed
but not committed), ``before_routing`` (a large file: final status committed, its sets not
yet routed), ``during_routing`` (a large file, after its first set is routed).

Nothing here raises on bad input: bad files end as REJECTED batches with an operator-readable
reason. Logs and stored reasons carry ids, codes and positions only (never PHI).
"""

from __future__ import annotations

import enum
import io
import logging
import os
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from edi_platform import x12
from edi_platform.core.crash import crash_point
from edi_platform.core.gc_pause import gc_paused
from edi_platform.core.logs import logged_with
from edi_platform.core.tasking import enqueue_on_commit
from edi_platform.partners.models import TradingPartner, file_limits
from edi_platform.partners.selectors import our_isa_ids, partner_by_sender
from edi_platform.x12.peek import PEEK_BYTES, IsaHead, peek_isa
from eventstore.inbound import storage
from eventstore.inbound.hooks import outcome_sink
from eventstore.inbound.metrics import ingest_observed
from eventstore.inbound.models import (
    BatchChannel,
    BatchStatus,
    RoutingStatus,
    TransactionBatch,
    TransactionHeader,
)
from eventstore.inbound.storage import Fingerprint, Opener, fingerprint, raw_open

from . import sql
from .lease import attempt_interrupted, lease_take, leased
from .plan import (
    Plan,
    plan_duplicate,
    plan_from_report,
    plan_unknown_partner,
    plan_without_partner,
)
from .register import batch_register
from .result import NOT_OK_STATUSES, IngestResult
from .routing import HandlerFailed, batch_route_pending, rows_route

__all__ = [
    "NOT_OK_STATUSES",
    "IngestMode",
    "IngestResult",
    "batch_process",
    "batch_resume",
    "ingest_bytes",
    "ingest_path",
    "ingest_register",
    "ingest_stream",
    "ingest_upload",
    "single_transaction_max_bytes",
]

logger = logging.getLogger(__name__)

IN_MEMORY_MAX_BYTES = 1 << 20  # ingest_path reads files up to this size once, into memory

_LOOKUP = object()  # batch_process: "find the partner from the ISA" (None means "no partner")


class IngestMode(enum.Enum):
    """How the steps of one file map to transactions (see the module docstring)."""

    ONE_TRANSACTION = "one transaction"
    TWO_PHASE = "two phases"


# -- entry points --------------------------------------------------------------------------


def ingest_path(
    *, path: str | Path, channel: str = BatchChannel.COMMAND, original_name: str | None = None
) -> IngestResult:
    """Ingest one file from the local file system (command, inbox).

    A small file is read once: hashing, storing, validating and routing read those bytes
    instead of opening the file four times (each open waits on a busy disk)."""
    file_path = Path(path)
    with open(file_path, "rb") as stream:
        small = os.fstat(stream.fileno()).st_size <= IN_MEMORY_MAX_BYTES
        data = stream.read() if small else b""
    return ingest_stream(
        opener=partial(io.BytesIO, data) if small else partial(open, file_path, "rb"),
        original_name=original_name or file_path.name,
        channel=channel,
        display_name=str(path),
    )


def ingest_bytes(
    *, data: bytes, original_name: str, channel: str = BatchChannel.UPLOAD
) -> IngestResult:
    """Ingest bytes already in memory (small uploads, tests)."""
    return ingest_stream(
        opener=lambda: io.BytesIO(data), original_name=original_name, channel=channel
    )


def ingest_upload(*, upload: Any, channel: str = BatchChannel.UPLOAD) -> IngestResult:
    """Ingest a Django ``UploadedFile`` (admin upload form); large uploads stay on disk."""
    temporary_path = getattr(upload, "temporary_file_path", None)
    if temporary_path is not None:
        path = temporary_path()
        return ingest_stream(
            opener=lambda: open(path, "rb"), original_name=upload.name, channel=channel
        )
    upload.seek(0)
    data = upload.read()
    return ingest_bytes(data=data, original_name=upload.name, channel=channel)


def single_transaction_max_bytes() -> int:
    """``INBOUND_SINGLE_TRANSACTION_MAX_BYTES`` (default 1 MiB; 0 turns the path off)."""
    return int(settings.INBOUND_SINGLE_TRANSACTION_MAX_BYTES)


def ingest_stream(
    *, opener: Opener, original_name: str, channel: str, display_name: str | None = None
) -> IngestResult:
    """Ingest a source that ``opener()`` opens afresh as a binary stream for each pass.

    Returns the existing batch (``already_received=True``) when the same bytes were received
    before. Raises only when the raw copy or the batch row cannot be written (storage or
    database down): then nothing was registered and the caller keeps its file.
    """
    source = _Source.first_pass(opener, original_name, channel, display_name)
    head = peek_isa(source.fp.head)
    if source.fp.size <= single_transaction_max_bytes() and connection.vendor == "postgresql":
        result = _ingest_in_one_transaction(source, head)
        if result is not None:
            return result
    return _ingest_in_two_phases(source, head)


class _Source:
    """One file being ingested: how to read it and what the first pass found."""

    __slots__ = ("channel", "fp", "name", "opener", "shown", "started")

    def __init__(
        self,
        *,
        opener: Opener,
        fp: Fingerprint,
        name: str,
        shown: str,
        channel: str,
        started: float,
    ) -> None:
        self.opener, self.fp, self.name, self.shown = opener, fp, name, shown
        self.channel, self.started = channel, started

    @classmethod
    def first_pass(
        cls, opener: Opener, original_name: str, channel: str, display_name: str | None
    ) -> _Source:
        """Step 1: one streaming pass (sha256, size, first bytes) over the source."""
        return cls(
            opener=opener,
            fp=fingerprint(opener),
            name=original_name.replace("\x00", "")[:255] or "unnamed",
            shown=display_name or original_name,
            channel=channel if channel in BatchChannel.values else BatchChannel.SYSTEM,
            started=time.monotonic(),
        )

    def new_batch(self, head: IsaHead | None) -> TransactionBatch:
        """The RECEIVED batch row of this file (not saved)."""
        return TransactionBatch(
            original_name=self.name,
            sha256=self.fp.sha256,
            size=self.fp.size,
            received_at=timezone.now(),
            channel=self.channel,
            status=BatchStatus.RECEIVED,
            **(head.batch_fields() if head else {}),
        )

    def already(self) -> IngestResult:
        """The result for bytes registered before (maybe by a concurrent process). A batch
        left unfinished by a dead worker (its lease ran out) is finished here and now."""
        existing = TransactionBatch.objects.select_related("partner").get(sha256=self.fp.sha256)
        if lease_take(batch_id=existing.pk):
            logger.info("inbound batch %s: unfinished and abandoned; taken over", existing.pk)
            existing = batch_resume(batch=existing, opener=self.opener)
        return IngestResult.from_batch(existing, file=self.shown, already=True)


# -- ONE_TRANSACTION ---------------------------------------------------------------------------


def _ingest_in_one_transaction(source: _Source, head: IsaHead | None) -> IngestResult | None:
    """Register, validate, stage the acks, record the final status and route, all in ONE
    transaction: one commit (one WAL flush) per small file instead of two or three.

    Crash semantics: the raw copy is stored (fsynced) before the transaction commits (a
    helper thread writes it while this one works; the commit waits for it), so a committed
    batch always has its file; a crash before the commit leaves at most the stored copy and
    no row, so the caller still has its file and ingesting it again (the same day) finds the
    copy, stores nothing new and registers it. The batch INSERT uses
    ``ON CONFLICT (sha256) DO NOTHING``: a second process ingesting the same bytes waits on
    the unique index until the first commits and then reports "already received". The
    partner + ISA13 lock taken with the INSERT (see :func:`.sql.isa13_lock_key`) makes a
    file with the same ISA13 wait for this transaction before its duplicate check, since it
    cannot see this uncommitted batch.

    Returns None when the attempt was rolled back (a handler failed, the outcome sink is
    missing, anything unexpected): nothing of it is committed and the caller runs the
    two-phase path, which records handler failures (set FAILED, batch committed) and
    interruptions (batch RECEIVED with the reason).
    """
    mode = IngestMode.ONE_TRANSACTION
    batch: TransactionBatch | None = None
    try:
        with transaction.atomic():
            candidate = source.new_batch(head)
            inserted, partner = sql.single_transaction_batch_insert(candidate, head)
            if inserted:
                crash_point("INBOUND_CRASH_AT", "after_register")
                # The copy is written (and fsynced) by a helper thread while this one
                # processes the file; it is waited for before the commit, so the raw copy
                # is durable before the row is visible, and a storage error rolls
                # everything back. Nothing is stored for bytes already registered.
                stored = storage.raw_store_in_background(
                    opener=source.opener, path=candidate.storage_path
                )
                try:
                    plan, deferred = _plan(
                        batch=candidate,
                        opener=source.opener,
                        head=head,
                        partner=partner,
                        mode=mode,
                    )
                    crash_point("INBOUND_CRASH_AT", "after_plan")
                    batch, _ = _finish(
                        batch=candidate,
                        plan=plan,
                        duplicate_check=deferred,
                        started=source.started,
                        opener=source.opener,
                        mode=mode,
                    )
                finally:
                    stored.result()  # raises the storage error, if any: nothing commits
    except HandlerFailed:
        logger.info("inbound file: a handler failed; processing it again in two phases")
        return None
    except Exception as exc:
        logger.warning(
            "inbound file: single-transaction processing rolled back (%s); two phases",
            type(exc).__name__,
        )
        return None
    if batch is None:  # already registered, maybe by a concurrent process a moment ago
        return source.already()
    logger.info(
        "inbound batch %s registered and processed (channel %s, %d bytes)",
        batch.pk,
        source.channel,
        source.fp.size,
    )
    return IngestResult.from_batch(batch, file=source.shown, already=False)


# -- TWO_PHASE ---------------------------------------------------------------------------------


def _ingest_in_two_phases(source: _Source, head: IsaHead | None) -> IngestResult:
    """Store the raw copy, commit the RECEIVED batch, then :func:`batch_process` it."""
    batch = batch_register(
        candidate=source.new_batch(head), head=head, opener=source.opener, leased=True
    )
    if batch is None:
        return source.already()
    crash_point("INBOUND_CRASH_AT", "after_register")
    with leased(batch.pk) as lease:
        batch = batch_process(
            batch=batch,
            opener=source.opener,
            head=head,
            partner=batch.partner,
            started=source.started,
        )
        if batch.status == BatchStatus.RECEIVED:
            lease.failed()
    return IngestResult.from_batch(batch, file=source.shown, already=False)


def ingest_register(
    *, opener: Opener, original_name: str, channel: str, display_name: str | None = None
) -> IngestResult:
    """Steps 1-3 only (the API's large submissions): the raw copy stored, the RECEIVED batch
    committed, the task ``process_batch`` enqueued on commit. Bytes registered before answer
    their batch as it stands. A crash after the commit or a lost task leaves the batch
    RECEIVED, unleased: recovery (:mod:`.recovery`) processes it once older than a lease."""
    source = _Source.first_pass(opener, original_name, channel, display_name)
    head = peek_isa(source.fp.head)
    batch = batch_register(
        candidate=source.new_batch(head), head=head, opener=source.opener, leased=False
    )
    if batch is None:
        existing = TransactionBatch.objects.select_related("partner").get(sha256=source.fp.sha256)
        return IngestResult.from_batch(existing, file=source.shown, already=True)
    enqueue_on_commit("eventstore.inbound.tasks.process_batch", batch_id=batch.pk)
    return IngestResult.from_batch(batch, file=source.shown, already=False)


def batch_resume(*, batch: TransactionBatch, opener: Opener | None = None) -> TransactionBatch:
    """Finish an unfinished batch whose lease the caller just took (recovery, a re-ingest of
    the same bytes, an operator's Reprocess): process it when RECEIVED, else route its
    pending sets. Never raises for the batch's own problems; the lease is released (or left
    to expire after a backoff when the attempt failed)."""
    with leased(batch.pk) as lease:
        if batch.status == BatchStatus.RECEIVED:
            batch = batch_process(batch=batch, opener=opener)
            if batch.status == BatchStatus.RECEIVED:
                lease.failed()
        else:
            batch_route_pending(batch=batch, opener=opener)
            batch.refresh_from_db()
    return batch


@logged_with("batch_id", "batch")
def batch_process(
    *,
    batch: TransactionBatch,
    opener: Opener | None = None,
    head: IsaHead | None = None,
    partner: TradingPartner | object | None = _LOOKUP,
    started: float | None = None,
) -> TransactionBatch:
    """Validate a RECEIVED batch, stage its acks, record its final status, route its sets
    (the second phase of :attr:`IngestMode.TWO_PHASE`; also what Reprocess runs).

    ``opener`` defaults to the stored raw copy. Any unexpected error (database, storage, a
    missing outcome sink) leaves the batch RECEIVED with the reason, for "Reprocess".
    """
    mode = IngestMode.TWO_PHASE
    started = time.monotonic() if started is None else started
    if opener is None:
        stored = batch.storage_path

        def opener() -> BinaryIO:
            return raw_open(stored)

    try:
        if head is None:
            with opener() as stream:
                head = peek_isa(stream.read(PEEK_BYTES))
        if partner is _LOOKUP:
            partner = _partner_for(head)
        # the plan of a big file is ~10^5 small objects that all stay alive until written:
        # the cyclic collector would only re-scan them (a second on a 100 MB 837)
        with gc_paused():
            plan, _ = _plan(batch=batch, opener=opener, head=head, partner=partner, mode=mode)  # type: ignore[arg-type]
            crash_point("INBOUND_CRASH_AT", "after_plan")
            batch, routed = _finish(
                batch=batch,
                plan=plan,
                duplicate_check=None,
                started=started,
                opener=opener,
                mode=mode,
            )
    except Exception as exc:  # never a traceback to the user: the batch says what happened
        attempt_interrupted(batch=batch, exc=exc)
        return batch
    if not routed and plan.headers.any_pending():
        # a large file: its sets are routed one transaction each, after the commit
        crash_point("INBOUND_CRASH_AT", "before_routing")
        batch_route_pending(batch=batch, opener=opener)
    return batch


def _partner_for(head: IsaHead | None) -> TradingPartner | None:
    if head is None or not head.sender_identified:
        return None
    return partner_by_sender(qualifier=head.sender_qualifier, sender_id=head.sender_id)


# -- validating: the plan --------------------------------------------------------------------

DuplicateCheck = tuple[int, str, datetime]  # (partner id, ISA13, now)


def _plan(
    *,
    batch: TransactionBatch,
    opener: Opener,
    head: IsaHead | None,
    partner: TradingPartner | None,
    mode: IngestMode,
) -> tuple[Plan, DuplicateCheck | None]:
    """Validate the file and plan what its final transaction writes.

    In ``ONE_TRANSACTION`` mode the caller holds the ISA13 lock (taken with the batch
    INSERT) and the duplicate check of the first ISA13 is left to :func:`_finish`, which
    runs it in the same statement as the status update: it is returned as the second value.
    """
    now = timezone.now()
    if head is None or not head.sender_identified:
        with opener() as stream:
            report = x12.validate(stream, **file_limits(None))
        return plan_without_partner(report), None
    if partner is None or not partner.active:
        return plan_unknown_partner(head, partner), None

    isa13 = head.isa13
    lock_key = sql.isa13_lock_key(partner, isa13)
    deferred = mode is IngestMode.ONE_TRANSACTION and lock_key is not None
    if lock_key is not None and not deferred:
        # a single-transaction ingest of the same ISA13 may hold an uncommitted batch:
        # wait for it (held until this statement's or the caller's transaction ends)
        sql.isa13_lock(lock_key)
    if not deferred:
        original = sql.find_duplicate(
            partner_id=partner.pk, isa13=isa13, exclude_batch_id=batch.pk, now=now
        )
        if original is not None:
            return _duplicate_plan(batch, partner, original, opener), None

    first_key = (head.sender_qualifier, head.sender_id, isa13)
    seen: set[tuple[str, str, str]] = set()
    partners: dict[tuple[str, str], TradingPartner | None] = {
        (head.sender_qualifier, head.sender_id): partner
    }

    def lookup(qualifier: str, sender_id: str) -> TradingPartner | None:
        key = (qualifier, sender_id)
        if key not in partners:
            found = partner_by_sender(qualifier=qualifier, sender_id=sender_id)
            partners[key] = found if found is not None and found.active else None
        return partners[key]

    def is_duplicate(h: x12.InterchangeHeader) -> bool:
        key = (h.sender_qualifier, h.sender_id, h.control_number)
        if key in seen:
            return True  # the same ISA13 twice in this file
        seen.add(key)
        if key == first_key:
            return False  # checked above (or in the final statement), not again
        other = lookup(h.sender_qualifier, h.sender_id)
        return other is not None and (
            sql.find_duplicate(
                partner_id=other.pk, isa13=h.control_number, exclude_batch_id=batch.pk, now=now
            )
            is not None
        )

    ours: set[tuple[str, str]] = set()

    def is_known_receiver(qualifier: str, receiver_id: str) -> bool:
        key = (qualifier.strip(), receiver_id.strip())
        if key == (partner.our_isa_qualifier, partner.our_isa_id):
            return True  # the usual case: no query
        if not ours:
            ours.update(our_isa_ids())
        return key in ours

    with opener() as stream:
        report = x12.validate(
            stream,
            is_duplicate=is_duplicate,
            version_fallback=partner.version_fallback,
            is_known_receiver=is_known_receiver,
            **partner.validation_options(),  # SNIP level, code sets, file limits
        )
    plan = plan_from_report(batch_id=batch.pk, report=report, partner=partner, lookup=lookup)
    return plan, ((partner.pk, isa13, now) if deferred and isa13 else None)


def _duplicate_plan(
    batch: TransactionBatch, partner: TradingPartner, original: TransactionBatch, opener: Opener
) -> Plan:
    with opener() as stream:
        # only the ISA is needed for the TA1: validate the first bytes, not the whole file
        isa_report = x12.validate(stream.read(PEEK_BYTES))
    return plan_duplicate(
        batch_id=batch.pk,
        partner=partner,
        original_id=original.pk,
        original_isa13=original.isa13,
        isa_report=isa_report,
    )


# -- the final transaction -------------------------------------------------------------------


@logged_with("batch_id", "batch")
def _finish(
    *,
    batch: TransactionBatch,
    plan: Plan,
    duplicate_check: DuplicateCheck | None,
    started: float,
    opener: Opener,
    mode: IngestMode,
) -> tuple[TransactionBatch, bool]:
    """The one transaction: final status, headers and owed outcomes commit together, and
    the accepted sets of the file are routed in it (except a large file's, in two phases).

    The status UPDATE comes first and only matches a batch still RECEIVED: it locks the row,
    so of two concurrent runs (e.g. two "Reprocess" clicks) one writes and the other finds
    the batch finished and keeps that result. A RECEIVED batch never has headers (they are
    written here, with the final status), so nothing needs deleting first.

    ``ONE_TRANSACTION``: the batch row was inserted by the caller's still open transaction,
    so this runs inside it without a savepoint, and a failing handler raises
    :class:`~.routing.HandlerFailed` (the caller rolls everything back). ``TWO_PHASE``: a
    savepoint when nested; each handler in its own savepoint.

    Returns the batch and whether its pending sets were routed here (False: the caller
    routes them after the commit, one transaction each).
    """
    one_transaction = mode is IngestMode.ONE_TRANSACTION
    sink = outcome_sink() if plan.outcomes else None
    fields = {
        **plan.batch_fields(),
        "processed_at": timezone.now(),
        "processing_ms": int((time.monotonic() - started) * 1000),
    }
    with transaction.atomic(savepoint=not one_transaction):
        rows: list[TransactionHeader] | None
        if one_transaction and len(plan.headers) <= sql.HEADER_RETURNING_MAX:
            # our own row (nobody else can finish it): the duplicate check, the status
            # UPDATE and the header INSERT are one statement (data-modifying CTEs)
            original_id, rows = sql.status_update_and_headers_insert(
                batch, plan.headers, fields, duplicate_check
            )
            if original_id is not None:
                return _finish_as_duplicate(batch, original_id, started, opener, mode)
        else:
            if duplicate_check is not None:
                partner_id, isa13, now = duplicate_check
                original = sql.find_duplicate(
                    partner_id=partner_id, isa13=isa13, exclude_batch_id=batch.pk, now=now
                )
                if original is not None:
                    return _finish_as_duplicate(batch, original.pk, started, opener, mode)
            if not sql.batch_update_if_received(batch.pk, fields):
                # finished meanwhile by a concurrent run: its result stands
                return TransactionBatch.objects.select_related("partner").get(pk=batch.pk), True
            rows = sql.headers_insert(batch, plan.headers)
        _apply(batch, plan, fields)
        for outcome in plan.outcomes:
            sink(  # type: ignore[misc]
                batch=batch,
                partner=outcome.partner,
                response_type=outcome.response_type,
                payload=outcome.payload,
                dedupe_key=outcome.dedupe_key,
                isa13=outcome.isa13,
                gs06=outcome.gs06,
                st02s=outcome.st02s,
            )
        pending: list[TransactionHeader] | None = None
        if rows is not None:
            pending = [r for r in rows if r.routing_status == RoutingStatus.PENDING]
        elif one_transaction and plan.headers.any_pending():
            pending = list(
                TransactionHeader.objects.filter(
                    batch=batch, routing_status=RoutingStatus.PENDING
                ).order_by("id")
            )
        if pending:
            # These rows exist only in this uncommitted transaction: no other process can
            # see, hence route, them, so they need no lock, and routing them here saves a
            # transaction (and its commit flush) per small file.
            rows_route(
                batch=batch,
                opener=opener,
                rows=pending,
                fresh=True,
                isolated=not one_transaction,
            )
        crash_point("INBOUND_CRASH_AT", "before_commit")
    # counted in /metrics once the final status is committed (never for a rolled-back try)
    transaction.on_commit(partial(ingest_observed, batch))
    logger.info(
        "inbound batch %s: %s (%d sets accepted, %d rejected, %d outcomes, %d ms)",
        batch.pk,
        batch.status,
        batch.sets_accepted,
        batch.sets_rejected,
        len(plan.outcomes),
        batch.processing_ms,
    )
    return batch, pending is not None


def _apply(batch: TransactionBatch, plan: Plan, fields: dict[str, Any]) -> None:
    """The written values on the instance (the partner object too: no query to read it)."""
    for name, value in fields.items():
        setattr(batch, name, value)
    if plan.partner is not None:
        batch.partner = plan.partner


def _finish_as_duplicate(
    batch: TransactionBatch, original_id: int, started: float, opener: Opener, mode: IngestMode
) -> tuple[TransactionBatch, bool]:
    """The deferred check found the ISA13 already received: record the duplicate instead
    (the batch is still RECEIVED; nothing of the first plan was written)."""
    original = TransactionBatch.objects.get(pk=original_id)
    duplicate = _duplicate_plan(batch, batch.partner, original, opener)
    return _finish(
        batch=batch,
        plan=duplicate,
        duplicate_check=None,
        started=started,
        opener=opener,
        mode=mode,
    )
