"""Assembly: due outcomes → one validated interchange per partner + response type batch.

Each step commits before the next starts, and every step can be redone, so a worker killed
anywhere loses nothing and never makes two files for one outcome:

1. claim (short transaction, ``select_for_update(skip_locked=True)``): PENDING → CLAIMED;
2. allocate (one transaction): ISA13 + GS06 + ST02 block, OutboundFile ASSEMBLING, outcomes
   linked to it — numbers and file exist together or not at all;
3. render + validate (no database), deterministic from outcomes, the envelope snapshot,
   the numbers and the stored batch timestamp; the envelope always, the implementation
   guide for response types that declare one (:mod:`.validation`);
4. write create-only + atomic to the "outbound" storage;
5. finish (one transaction): file PERSISTED, numbers PERSISTED, outcomes ASSEMBLED,
   OutboxMessage created (the outbound writes in one statement, :mod:`.finishing`); the
   publisher is enqueued on commit.

A crash after 1 leaves CLAIMED outcomes without a file: recovery puts them back to PENDING.
A crash after 2, 4 or inside 5 leaves an ASSEMBLING file: recovery rebuilds the same bytes
with the same numbers (see :mod:`outbound.services.recovery`).

The real-time path (a claim that makes ONE group of a due-now type, window 0 like the TA1,
or of the inbound batches a caller waits for, like the API's real-time 271/277) does steps
1 and 2 in ONE transaction: the claimed rows stay locked (``FOR UPDATE``) while their
numbers, file row and links are written, and PENDING → CLAIMED + linked is one UPDATE. Two
commits per file remain, the fewest correctness allows: numbers and file row must be durable
before the bytes are written (else a crash after the write leaves a stored file no row
knows, whose numbers are handed out again), and PERSISTED only after the write. A crash
inside that transaction (crash point ``before_claim_commit``) rolls all of it back: outcomes
PENDING, no number issued, nothing written. A crash after it is a crash "after 2" above. If
the allocation fails there for good (exhausted counter, unknown partner), the claim is redone
the classic way, whose failure handling records the reason on the outcomes.

A claim that took fewer rows than its limit ends the run: everything due was either taken
or is held by another worker's claim (``skip_locked``), so no empty claim follows.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from controlnumbers.services import (
    allocate_envelope,
    numbers_mark_persisted,
)
from edi_platform.core.actors import actor_label
from edi_platform.core.crash import crash_point
from edi_platform.core.gc_pause import gc_paused
from edi_platform.core.logs import log_context, logged_with
from edi_platform.core.retry import classify, run_retrying
from edi_platform.core.tasking import enqueue_on_commit
from edi_platform.partners.models import TradingPartner
from edi_platform.partners.selectors import partner_by_id
from outbound.metrics import assembly_observed
from outbound.models import (
    OutboundFile,
    OutboundFileStatus,
    OutboxMessage,
    OutcomeStatus,
    ProcessingOutcome,
)
from outbound.responders import response_types, spec_for

from .claiming import due_outcomes_lock
from .files import file_path, render_file
from .filing import file_insert_and_link
from .finishing import file_finish
from .quarantine import file_quarantine
from .rendering import RenderError, envelope_snapshot, segment_count
from .storage import StorageConflict, sha256_hex, write_create_only
from .validation import file_problems
from .windows import WindowSettings, windows_read

logger = logging.getLogger(__name__)


def claim_limit() -> int:
    """Outcomes taken per claim transaction (``OUTBOUND_CLAIM_LIMIT``; several groups):
    bounds the work a crash strands until recovery and lets several workers share a
    backlog."""
    return int(settings.OUTBOUND_CLAIM_LIMIT)


class EnvelopeInvalid(Exception):
    """The rendered interchange failed the engine's envelope validation."""


@dataclass
class StepTimes:
    """Seconds spent per step (the benchmark reports their shares)."""

    claim: float = 0.0
    allocation: float = 0.0
    render: float = 0.0
    validation: float = 0.0
    storage: float = 0.0
    finish: float = 0.0

    def add(self, other: StepTimes) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class AssemblyResult:
    """What one assembly run did."""

    claimed: int = 0
    files: list[uuid.UUID] = field(default_factory=list)
    persisted: int = 0
    quarantined: int = 0
    outcomes_assembled: int = 0
    failed_groups: int = 0  # released back to PENDING (see the log)
    times: StepTimes = field(default_factory=StepTimes)

    def summary(self) -> str:
        return (
            f"claimed {self.claimed} outcome(s); {self.persisted} file(s) persisted "
            f"({self.outcomes_assembled} outcome(s)), {self.quarantined} quarantined"
            + (f", {self.failed_groups} group(s) failed and wait" if self.failed_groups else "")
        )


@dataclass(frozen=True)
class ClaimedGroup:
    """Outcomes of one partner + response type, at most ``max_batch_size`` of them."""

    partner_id: int
    response_type: str
    outcome_ids: list[int]
    batch_ids: list[int] = field(default_factory=list)  # inbound batches answered


def batch_timestamp(now: datetime | None = None) -> datetime:
    """The batch timestamp: UTC, whole seconds (the file name carries seconds)."""
    return (now or timezone.now()).astimezone(UTC).replace(microsecond=0)


def _claim(
    *,
    now: datetime | None,
    partner_code: str | None,
    response_type: str | None,
    ignore_windows: bool,
    limit: int | None,
    exclude_ids: set[int] | None,
    batch_ids: Sequence[int] | None,
    allocate_for: str | None,
) -> tuple[list[ClaimedGroup], OutboundFile | None]:
    """Claim due PENDING outcomes (PENDING → CLAIMED) and split them into groups.

    ``skip_locked`` makes concurrent workers take disjoint rows: a row another transaction is
    claiming is skipped, and once committed it is CLAIMED so nobody takes it again.
    ``ignore_windows`` takes outcomes that are not due yet (operator "--now").
    ``batch_ids`` limits the claim to the outcomes of those inbound batches.
    Response types whose window is disabled, or that assembly cannot render, stay PENDING.
    With ``allocate_for`` (the actor) a claim that makes one group also allocates its numbers
    and file in the same transaction (the real-time path of the module docstring) and
    returns that ASSEMBLING file."""
    now = now or timezone.now()
    windows = windows_read()
    types = [t for t in response_types() if t not in windows or windows[t].enabled]
    if response_type:
        types = [t for t in types if t == response_type]
    if not types:
        return [], None
    with transaction.atomic():
        rows = due_outcomes_lock(
            types=types,
            now=now,
            ignore_windows=ignore_windows,
            partner_code=partner_code,
            exclude_ids=exclude_ids,
            batch_ids=batch_ids,
            limit=limit or claim_limit(),
        )
        if not rows:
            return [], None
        groups = _split(rows, windows=windows, types=types)
        if (
            allocate_for is not None
            and len(groups) == 1
            and (batch_ids is not None or _window_minutes(groups[0].response_type, windows) == 0)
        ):
            (group,) = groups
            file = _allocate(
                partner=partner_by_id(partner_id=group.partner_id),
                response_type=group.response_type,
                outcome_ids=group.outcome_ids,
                stamp=batch_timestamp(now),
                actor=allocate_for,
                reprocessed_from=None,
                batch_ids=group.batch_ids,
                claimed_at=now,
            )
            crash_point("OUTBOUND_CRASH_AT", "before_claim_commit")
            return groups, file
        ProcessingOutcome.objects.filter(id__in=[r[0] for r in rows]).update(
            status=OutcomeStatus.CLAIMED, claimed_at=now
        )
    return groups, None


def _window_minutes(response_type: str, windows: dict[str, WindowSettings]) -> int:
    window = windows.get(response_type)
    return window.window_minutes if window else spec_for(response_type).window_minutes


def _split(
    rows: list[tuple[int, int, str, int | None]],
    *,
    windows: dict[str, WindowSettings],
    types: list[str],
) -> list[ClaimedGroup]:
    """Claimed rows (id, partner, type, batch) → groups, most urgent first."""
    # Response types answering each inbound batch in files of its own split by batch too.
    per_batch = {t for t in types if spec_for(t).group_by_batch}
    by_key: dict[tuple[int, str, int], list[int]] = defaultdict(list)
    batch_of: dict[int, int | None] = {}
    for outcome_id, partner_id, rtype, batch_id in rows:
        by_key[(partner_id, rtype, (batch_id or 0) if rtype in per_batch else 0)].append(outcome_id)
        batch_of[outcome_id] = batch_id
    groups: list[ClaimedGroup] = []

    def priority(key: tuple[int, str, int]) -> tuple[int, int, str, int]:
        w = windows.get(key[1])
        return (w.priority if w else spec_for(key[1]).priority, key[0], key[1], key[2])

    for key in sorted(by_key, key=priority):
        if key[1] in windows:
            size = windows[key[1]].max_batch_size
        else:
            size = spec_for(key[1]).max_batch_size
        ids = sorted(by_key[key])
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            batches = sorted({batch_of[i] for i in chunk if batch_of[i] is not None})
            groups.append(ClaimedGroup(key[0], key[1], chunk, batches))
    return groups


def assembly_threads() -> int:
    """Groups assembled in parallel per call (``OUTBOUND_ASSEMBLY_THREADS``, default 2).

    Each group spends most of its time waiting for the database, so a few threads with their
    own connections overlap those waits. Only on PostgreSQL: SQLite serialises writers anyway.
    """
    if connection.vendor != "postgresql":
        return 1
    return max(1, int(settings.OUTBOUND_ASSEMBLY_THREADS))


def outbound_assemble(
    *,
    now: datetime | None = None,
    partner_code: str | None = None,
    response_type: str | None = None,
    ignore_windows: bool = False,
    acting_user: Any = None,
    threads: int | None = None,
    batch_ids: Sequence[int] | None = None,
) -> AssemblyResult:
    """Claim due outcomes and assemble every group into a persisted (or quarantined) file.

    Loops until nothing due is left, so one call drains the backlog. Must run outside any
    transaction (each step commits on its own). ``threads`` > 1 assembles several groups at
    once (default :func:`assembly_threads`); each group is independent (own numbers, own
    file, own transactions), so the guarantees are the same.
    """
    actor = actor_label(acting_user, system=True)
    result = AssemblyResult()
    failed_ids: set[int] = set()  # released in this run: not retried before the next one
    threads = threads or assembly_threads()
    if connection.in_atomic_block:
        threads = 1  # other threads could not see the caller's uncommitted rows
    while True:
        started = time.perf_counter()
        # the claim is a transaction like the others: a server restart or a lost connection
        # is retried here too (a fresh connection), not raised to the caller
        claim = partial(
            _claim,
            now=now,
            partner_code=partner_code,
            response_type=response_type,
            ignore_windows=ignore_windows,
            limit=None,
            exclude_ids=failed_ids,
            batch_ids=batch_ids,
        )
        try:
            groups, allocated = run_retrying(partial(claim, allocate_for=actor))
        except Exception as exc:
            if classify(exc).retryable:
                raise  # the database stayed unreachable: as any claim would
            # The allocation of a one-group claim failed for good (exhausted counter, say):
            # claim them the classic way, whose failure handling records the reason.
            logger.warning("real-time claim fell back to steps: %s", classify(exc).summary())
            groups, allocated = run_retrying(partial(claim, allocate_for=None))
        if allocated is not None:
            result.times.allocation += time.perf_counter() - started  # claim included
            crash_point("OUTBOUND_CRASH_AT", "after_allocation")
            done = [
                _assemble_claimed(
                    groups[0],
                    partners={allocated.partner_id: allocated.partner},
                    now=now,
                    actor=actor,
                    in_thread=False,
                    allocated=allocated,
                )
            ]
        else:
            result.times.claim += time.perf_counter() - started
            if not groups:
                return result
            crash_point("OUTBOUND_CRASH_AT", "after_claim")
            done = _assemble_groups(groups, now=now, actor=actor, threads=threads)
        for group, file, times in done:
            result.claimed += len(group.outcome_ids)
            result.times.add(times)
            if file is None:
                result.failed_groups += 1
                failed_ids.update(group.outcome_ids)
                continue
            result.files.append(file.id)
            if file.status == OutboundFileStatus.QUARANTINED:
                result.quarantined += 1
            else:
                result.persisted += 1
                result.outcomes_assembled += len(group.outcome_ids)
        if sum(len(g.outcome_ids) for g in groups) < claim_limit():
            return result  # nothing due was left unclaimed (module docstring)


def _assemble_groups(
    groups: list[ClaimedGroup], *, now: datetime | None, actor: str, threads: int
) -> list[tuple[ClaimedGroup, OutboundFile | None, StepTimes]]:
    """Steps 2-5 for each claimed group, ``threads`` of them at a time."""
    partners = run_retrying(partial(TradingPartner.objects.in_bulk, {g.partner_id for g in groups}))
    if threads > 1 and len(groups) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            work = partial(
                _assemble_claimed, partners=partners, now=now, actor=actor, in_thread=True
            )
            return list(pool.map(work, groups))
    return [
        _assemble_claimed(g, partners=partners, now=now, actor=actor, in_thread=False)
        for g in groups
    ]


def _assemble_claimed(
    group: ClaimedGroup,
    *,
    partners: dict[int, TradingPartner],
    now: datetime | None,
    actor: str,
    in_thread: bool,
    allocated: OutboundFile | None = None,
) -> tuple[ClaimedGroup, OutboundFile | None, StepTimes]:
    times = StepTimes()
    started = time.perf_counter()
    partner = partners[group.partner_id]
    try:
        with log_context(
            partner=partner.code, response_type=group.response_type, outcome_ids=group.outcome_ids
        ):
            file = _assemble_or_release(
                group, partner=partner, now=now, actor=actor, times=times, allocated=allocated
            )
    finally:
        if in_thread:
            connections.close_all()  # this thread's own connection (back to the pool)
    assembly_observed(
        response_type=group.response_type,
        status=file.status if file is not None else None,
        outcomes=len(group.outcome_ids),
        seconds=time.perf_counter() - started,
    )
    return group, file, times


def _assemble_or_release(
    group: ClaimedGroup,
    *,
    partner: TradingPartner,
    now: datetime | None,
    actor: str,
    times: StepTimes,
    allocated: OutboundFile | None = None,
) -> OutboundFile | None:
    try:
        if allocated is not None:  # claimed and allocated in one transaction
            return file_build_and_store(file=allocated, times=times)
        return _group_assemble(
            partner=partner,
            response_type=group.response_type,
            outcome_ids=group.outcome_ids,
            batch_ids=group.batch_ids,
            now=now,
            actor=actor,
            reprocessed_from=None,
            times=times,
        )
    except Exception as exc:
        # One group's failure (counter exhausted, database down after retries, claim lost)
        # must not strand the others: release this group's outcomes and carry on.
        found = classify(exc)
        logger.error(
            "outbound group partner=%s type=%s (%d outcomes) not assembled: %s",
            partner.code,
            group.response_type,
            len(group.outcome_ids),
            found.summary(),
        )
        reason = f"not assembled: {type(exc).__name__}: {exc}"
        if not found.retryable:
            # What an operator can do about it (the next run retries what waiting can fix).
            reason = f"{reason[:300]} — what to do: {found.suggestion}"
        _release(group.outcome_ids, reason=reason[:500])
        return None


def _release(outcome_ids: Sequence[int], *, reason: str) -> None:
    """CLAIMED outcomes without a file back to PENDING (next run retries them)."""
    try:
        ProcessingOutcome.objects.filter(
            id__in=outcome_ids, status=OutcomeStatus.CLAIMED, outbound_file__isnull=True
        ).update(status=OutcomeStatus.PENDING, claimed_at=None, failure_reason=reason)
    except Exception:  # the database itself is gone: recovery releases them later
        logger.exception("could not release claimed outcomes; recovery will")


def group_assemble(
    *,
    partner: TradingPartner,
    response_type: str,
    outcome_ids: Sequence[int],
    now: datetime | None = None,
    acting_user: Any = None,
    reprocessed_from: OutboundFile | None = None,
    times: StepTimes | None = None,
    batch_ids: list[int] | None = None,
) -> OutboundFile:
    """Allocate numbers for CLAIMED outcomes, then build, validate, store and finish the file.

    ``batch_ids`` (the inbound batches answered) is looked up when not given."""
    return _group_assemble(
        partner=partner,
        response_type=response_type,
        outcome_ids=outcome_ids,
        now=now,
        actor=actor_label(acting_user, system=True),
        reprocessed_from=reprocessed_from,
        times=times,
        batch_ids=batch_ids,
    )


def _group_assemble(
    *,
    partner: TradingPartner,
    response_type: str,
    outcome_ids: Sequence[int],
    now: datetime | None,
    actor: str,
    reprocessed_from: OutboundFile | None,
    times: StepTimes | None,
    batch_ids: list[int] | None,
) -> OutboundFile:
    times = times if times is not None else StepTimes()
    started = time.perf_counter()
    file = run_retrying(
        lambda: _allocate(
            partner=partner,
            response_type=response_type,
            outcome_ids=list(outcome_ids),
            stamp=batch_timestamp(now),
            actor=actor,
            reprocessed_from=reprocessed_from,
            batch_ids=batch_ids,
        )
    )
    times.allocation += time.perf_counter() - started
    crash_point("OUTBOUND_CRASH_AT", "after_allocation")
    return file_build_and_store(file=file, times=times)


def _allocate(
    *,
    partner: TradingPartner,
    response_type: str,
    outcome_ids: list[int],
    stamp: datetime,
    actor: str,
    reprocessed_from: OutboundFile | None,
    batch_ids: list[int] | None,
    claimed_at: datetime | None = None,
) -> OutboundFile:
    """Numbers, file row and links in one transaction. ``claimed_at``: the outcomes are
    PENDING rows the caller's claim transaction holds locked, claimed here by the same UPDATE
    that links them (the real-time path); otherwise they are CLAIMED already."""
    file_id = uuid.uuid4()
    spec = spec_for(response_type)
    # no savepoint when joining the claim transaction: any failure rolls back the claim too
    with transaction.atomic(savepoint=claimed_at is None):
        with_group = spec.uses_group
        numbers = allocate_envelope(
            partner_code=partner.code,
            transaction_type=spec.counter_type,
            outbound_file_id=file_id,
            st_count=len(outcome_ids),  # (without a group no ST02 is taken)
            with_group=with_group,
            actor=actor,
        )
        if batch_ids is None:
            batch_ids = list(
                ProcessingOutcome.objects.filter(
                    id__in=outcome_ids, batch_id__isnull=False
                ).values_list("batch_id", flat=True)
            )
        file = OutboundFile(
            id=file_id,
            partner=partner,
            transaction_type=response_type,
            isa13=numbers.isa13,
            gs06=numbers.gs06,
            st02s=list(numbers.st02s),
            batch_timestamp=stamp,
            outcome_ids=outcome_ids,
            ingestion_ids=sorted(set(batch_ids)),
            envelope=envelope_snapshot(partner),
            reprocessed_from=reprocessed_from,
        )
        linked = file_insert_and_link(file=file, outcome_ids=outcome_ids, claimed_at=claimed_at)
        if linked != len(outcome_ids):
            # Another worker or recovery moved them: roll back (numbers included).
            raise _ClaimLost(f"{len(outcome_ids) - linked} outcome(s) no longer claimed")
    return file


class _ClaimLost(Exception):
    pass


@logged_with("file_id", "file")
def file_build_and_store(*, file: OutboundFile, times: StepTimes | None = None) -> OutboundFile:
    """Render, validate and store an ASSEMBLING file, then finish it (or quarantine it).

    Idempotent: used by assembly right after allocation and by recovery for stale files.
    """
    times = times if times is not None else StepTimes()
    started = time.perf_counter()
    # Rendering and validating a big file builds ~10^6 short-lived objects (contents,
    # segments, the engine's report) in a process whose heap may already be large: the
    # cyclic collector re-scanned that heap over and over (measured on a 10,000-claim 835:
    # decoding its contents took 3x longer with it on). Nothing here makes cycles.
    with gc_paused():
        try:
            data = render_file(file)
        except RenderError as exc:
            times.render += time.perf_counter() - started
            return file_quarantine(file=file, data=None, reason=str(exc))
        mid = time.perf_counter()
        times.render += mid - started
        problems = file_problems(data, response_type=file.transaction_type)
        times.validation += time.perf_counter() - mid
    if problems:
        return file_quarantine(file=file, data=data, reason="; ".join(problems))
    path = file_path(file)
    started = time.perf_counter()
    try:
        write_create_only(path, data)
    except StorageConflict as exc:
        times.storage += time.perf_counter() - started
        return file_quarantine(file=file, data=data, reason=str(exc))
    times.storage += time.perf_counter() - started
    crash_point("OUTBOUND_CRASH_AT", "after_write")
    started = time.perf_counter()
    finished = run_retrying(lambda: _finish(file, path=path, data=data))
    times.finish += time.perf_counter() - started
    logger.info(
        "outbound file %s %s ISA13 %09d: %s (%d outcomes)",
        finished.pk,
        finished.transaction_type,
        finished.isa13,
        finished.status,
        len(finished.outcome_ids),
    )
    return finished


def _finish(file: OutboundFile, *, path: str, data: bytes) -> OutboundFile:
    with transaction.atomic():
        now = timezone.now()
        fields = {
            "status": OutboundFileStatus.PERSISTED,
            "storage_path": path,
            "size": len(data),
            "sha256": sha256_hex(data),
            "segment_count": segment_count(data, file.envelope),
            "updated_at": now,
        }
        for name, value in fields.items():
            setattr(file, name, value)  # the outbox payload names the path
        # (to the model's default stream, OUTBOX_STREAM)
        outbox = OutboxMessage(outbound_file=file, payload=outbox_payload(file))
        # File PERSISTED, outcomes ASSEMBLED, outbox message: one statement on PostgreSQL.
        # Nothing written means recovery (or a slow twin) finished the file meanwhile.
        if not file_finish(file_id=file.pk, fields=fields, now=now, outbox=outbox):
            return OutboundFile.objects.select_related("partner").get(pk=file.pk)
        numbers_mark_persisted(outbound_file_id=file.id, file_name=file.file_name)
        crash_point("OUTBOUND_CRASH_AT", "before_commit")
        enqueue_on_commit("outbound.tasks.publish_outbox")
    return file


def outbox_payload(file: OutboundFile) -> dict[str, str]:
    """The 'file ready' message: ids, numbers and the path; never PHI."""
    return {
        "file_id": str(file.id),
        "partner": file.partner.code,
        "transaction_type": file.transaction_type,
        "storage_path": file.storage_path,
        "isa13": f"{file.isa13:09d}",
        "gs06": "" if file.gs06 is None else str(file.gs06),
        "st02s": ",".join(f"{n:04d}" for n in file.st02s),
        "created": file.created_at.astimezone(UTC).isoformat(),
    }
