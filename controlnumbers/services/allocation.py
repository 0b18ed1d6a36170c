"""Allocation of ISA13 / GS06 / ST02 numbers, and the per-partner scope that picks the counters.

Steps of one allocation (``allocate_envelope`` / ``allocate_block``):

1. pick the counters from the partner's scope (ISA/GS per partner or per transaction type),
   cached per process without a time limit: step 2 confirms it in the same statement;
2. one statement on PostgreSQL (the database function ``controlnumbers_allocate``, migration
   0004): confirm the scope, lock the counter rows in the fixed order ISA < GS < ST, check
   every max value, advance the counters, insert one ISSUED audit row per number — all or
   nothing;
3. when nothing came back, find out why with plain reads: the scope changed (forget it, go to
   1), a counter is missing (create it with INSERT ... ON CONFLICT DO NOTHING, go to 2) or
   would pass its max value (raise ControlNumberExhausted, nothing allocated).

Outside a transaction (autocommit) step 2 is ``CALL controlnumbers_allocate_durable``: the
allocation commits without waiting for its WAL flush, which releases the row locks at once
(the next allocation of a hot counter no longer queues behind this one's fsync), and a second
small transaction in the same call commits with a flush that covers the allocation; CALL
returns the numbers only after it. Inside a caller's ``transaction.atomic()`` step 2 is a
plain SELECT of the function and joins that transaction (locks held to the caller's commit).
Retryable errors (deadlock, lost connection, lock timeout) are retried here outside a
transaction and left to the caller inside one. The statements are prepared once per connection
(see DATABASE_PREPARED_STATEMENTS). Other databases (SQLite, the embedded default) take the
portable ORM path inside an IMMEDIATE transaction.

What a crash leaves behind: before the allocation's commit record is flushed, nothing (the
counter and its audit rows come back together, and no caller has the numbers: CALL had not
returned, and any allocation that came after it flushes after it). After the flush but before
the caller stored its file: the numbers stay ISSUED in the audit with the file id, the
documented trace the gap report and the reissue path work from.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from edi_platform.core.db import hot_cursor
from edi_platform.core.retry import current_retry_count, retry_transient
from edi_platform.partners.selectors import partner_by_code

from ..domain import (
    ControlNumberError,
    ControlNumberExhausted,
    CounterKey,
    EnvelopeNumbers,
    UnknownPartner,
    counter_key,
)
from ..metrics import allocation_observed
from ..models import (
    COUNTER_TYPE_RANK,
    AuditStatus,
    ControlNumberAudit,
    ControlNumberCounter,
    CounterType,
)

logger = logging.getLogger(__name__)


# --- scope -------------------------------------------------------------------------------------
# partner code -> (scope, monotonic expiry), for partner_scope() callers that resolve counter
# keys outside an allocation (commands); a change saved in this process clears it at once
# (signal in apps.py).
_scope_cache: dict[str, tuple[str, float]] = {}
# partner code -> scope, for allocations: no time limit, because every allocation statement
# confirms the scope it was given and allocates nothing when it changed. (A time limit made
# each process read every partner again every few seconds: with many partners that was one
# partner query for every few allocations.)
_allocation_scopes: dict[str, str] = {}


def _scope_cache_seconds() -> float:
    return float(getattr(settings, "CONTROL_NUMBER_SCOPE_CACHE_SECONDS", 5.0))


def scope_cache_clear(**_: Any) -> None:
    """Forget cached partner scopes (connected to the partner model's save/delete signals)."""
    _scope_cache.clear()
    _allocation_scopes.clear()


def partner_scope(*, partner_code: str) -> str:
    """The partner's control-number scope ("partner" or "transaction")."""
    now = time.monotonic()
    cached = _scope_cache.get(partner_code)
    if cached is not None and cached[1] > now:
        return cached[0]
    partner = partner_by_code(code=partner_code)
    if partner is None:
        raise UnknownPartner(f"no trading partner with code {partner_code!r}")
    ttl = _scope_cache_seconds()
    if ttl > 0:
        _scope_cache[partner_code] = (partner.control_number_scope, now + ttl)
    return partner.control_number_scope


def resolve_counter_key(
    *, partner_code: str, transaction_type: str, counter_type: str
) -> CounterKey:
    """The counter a number of this kind is taken from, for this partner (scope rule)."""
    scope = partner_scope(partner_code=partner_code)
    return counter_key(
        partner_code=partner_code,
        transaction_type=transaction_type,
        counter_type=counter_type,
        scope=scope,
    )


def _allocation_scope(partner_code: str) -> str:
    scope = _allocation_scopes.get(partner_code)
    if scope is None:
        partner = partner_by_code(code=partner_code)
        if partner is None:
            raise UnknownPartner(f"no trading partner with code {partner_code!r}")
        scope = _allocation_scopes[partner_code] = partner.control_number_scope
    return scope


# --- allocation --------------------------------------------------------------------------------
# Why an attempt allocated nothing (step 3 of the module docstring).
_MISSING = object()  # a counter does not exist yet
_STALE = object()  # the partner's scope changed (or the partner is gone)
_CHANGED = object()  # it fits now (a reset in between): run the statement again

_ARGS = "%s, %s, %s::text[], %s::text[], %s::bigint[], %s::uuid, %s::integer, %s, %s"
_SELECT_SQL = f"SELECT out_ord, out_first, out_last FROM controlnumbers_allocate({_ARGS})"
_CALL_SQL = f"CALL controlnumbers_allocate_durable({_ARGS}, NULL, NULL)"


def _array_literal(values: list[str] | list[int]) -> str:
    """A PostgreSQL array literal (elements quoted) for a ``%s::text[]`` / ``%s::bigint[]``
    parameter: psycopg's dumping of Python lists cost a quarter of the client's CPU per call."""
    quoted = (str(v).replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{v}"' for v in quoted) + "}"


def _exhausted(key: CounterKey, current: int, maximum: int, count: int) -> ControlNumberExhausted:
    return ControlNumberExhausted(
        f"counter {key} is exhausted: {maximum - current} number(s) left, {count} requested "
        "(reset or roll it over after coordinating with the partner)"
    )


def _why_nothing(
    *, partner_code: str, scope: str, keys: list[CounterKey], counts: list[int]
) -> object:
    """Step 3: why did the allocation statement allocate nothing? (Plain reads, rare path.)"""
    partner = partner_by_code(code=partner_code)
    if partner is None or partner.control_number_scope != scope:
        return _STALE
    states = {
        (tt, ct): (current, maximum)
        for tt, ct, current, maximum in ControlNumberCounter.objects.filter(
            partner_code=partner_code,
            transaction_type__in={k.transaction_type for k in keys},
            counter_type__in={k.counter_type for k in keys},
        ).values_list("transaction_type", "counter_type", "current_value", "max_value")
    }
    found = [states.get((k.transaction_type, k.counter_type)) for k in keys]
    if None in found:
        return _MISSING
    for key, count, (current, maximum) in zip(keys, counts, found, strict=True):
        if current + count > maximum:
            raise _exhausted(key, current, maximum, count)
    return _CHANGED


def _allocate_once_postgresql(
    *,
    partner_code: str,
    scope: str,
    keys: list[CounterKey],
    counts: list[int],
    outbound_file_id: uuid.UUID,
    file_name: str,
    actor: str,
) -> dict[CounterKey, range] | object:
    connection = connections[DEFAULT_DB_ALIAS]
    params = [
        partner_code,
        scope,
        _array_literal([k.transaction_type for k in keys]),
        _array_literal([k.counter_type for k in keys]),
        _array_literal(counts),
        outbound_file_id,
        current_retry_count(),
        actor,
        file_name,
    ]
    with hot_cursor(prepare=True) as cursor:
        if connection.in_atomic_block or not connection.get_autocommit():
            # Join the caller's transaction: its commit makes the numbers durable.
            cursor.execute(_SELECT_SQL, params)
            spans = [(first, last) for _, first, last in sorted(cursor.fetchall())]
        else:
            cursor.execute(_CALL_SQL, params)
            firsts, lasts = cursor.fetchone()
            spans = list(zip(firsts or (), lasts or (), strict=True))
    if len(spans) == len(keys):
        return {key: range(first, last + 1) for key, (first, last) in zip(keys, spans, strict=True)}
    return _why_nothing(partner_code=partner_code, scope=scope, keys=keys, counts=counts)


def _allocate_once_portable(
    *,
    partner_code: str,
    scope: str,
    keys: list[CounterKey],
    counts: list[int],
    outbound_file_id: uuid.UUID,
    file_name: str,
    actor: str,
) -> dict[CounterKey, range] | object:
    # SQLite: the IMMEDIATE transaction holds the database write lock from BEGIN to COMMIT,
    # which serialises allocations (select_for_update is a no-op there).
    retries = current_retry_count()
    with transaction.atomic():
        partner = partner_by_code(code=partner_code)
        if partner is None or partner.control_number_scope != scope:
            return _STALE
        counters: list[tuple[CounterKey, int, ControlNumberCounter]] = []
        for key, count in zip(keys, counts, strict=True):
            counter = (
                ControlNumberCounter.objects.select_for_update()
                .filter(
                    partner_code=key.partner_code,
                    transaction_type=key.transaction_type,
                    counter_type=key.counter_type,
                )
                .first()
            )
            if counter is None:
                return _MISSING
            counters.append((key, count, counter))
        for key, count, counter in counters:
            if counter.current_value + count > counter.max_value:
                raise _exhausted(key, counter.current_value, counter.max_value, count)
        now = timezone.now()
        result: dict[CounterKey, range] = {}
        audit: list[ControlNumberAudit] = []
        for key, count, counter in counters:
            numbers = range(counter.current_value + 1, counter.current_value + count + 1)
            first_seq = counter.issued_count + 1
            counter.current_value += count
            counter.issued_count += count
            counter.last_increment_at = now
            fields = ["current_value", "issued_count", "last_increment_at", "modified_at"]
            if file_name:
                counter.last_file_name = file_name
                fields.append("last_file_name")
            counter.save(update_fields=fields)
            result[key] = numbers
            audit.extend(
                ControlNumberAudit(
                    counter=counter,
                    number=number,
                    epoch=counter.epoch,
                    seq=first_seq + (number - numbers.start),
                    outbound_file_id=outbound_file_id,
                    issued_at=now,
                    retry_count=retries,
                    status=AuditStatus.ISSUED,
                    actor=actor,
                    file_name=file_name,
                )
                for number in numbers
            )
        ControlNumberAudit.objects.bulk_create(audit, batch_size=500)
        return result


def counters_ensure(*, keys: Iterable[CounterKey]) -> int:
    """Create the counters that do not exist yet (race-safe); return how many were created."""
    keys = sorted(set(keys), key=CounterKey.lock_rank)
    before = ControlNumberCounter.objects.count()
    ControlNumberCounter.objects.bulk_create(
        [
            ControlNumberCounter(
                partner_code=k.partner_code,
                transaction_type=k.transaction_type,
                counter_type=k.counter_type,
            )
            for k in keys
        ],
        ignore_conflicts=True,  # INSERT ... ON CONFLICT DO NOTHING / INSERT OR IGNORE
    )
    return ControlNumberCounter.objects.count() - before


def _allocate(
    *,
    partner_code: str,
    transaction_type: str,
    requests: list[tuple[str, int]],
    outbound_file_id: uuid.UUID,
    file_name: str,
    actor: str,
) -> dict[str, range]:
    """Allocate ``count`` numbers of each ``(counter_type, count)`` of one partner, all or
    nothing; the numbers by counter type."""
    if len({counter_type for counter_type, _ in requests}) != len(requests):
        raise ValueError("each counter may be requested once per allocation")
    for _, count in requests:
        if count < 1:
            raise ValueError("count must be >= 1")
    # The fixed lock order (ISA < GS < ST): within one partner and transaction type the
    # counter type alone decides it.
    requests = sorted(requests, key=lambda r: COUNTER_TYPE_RANK[r[0]])
    counts = [count for _, count in requests]
    connection = connections[DEFAULT_DB_ALIAS]
    once = (
        _allocate_once_postgresql if connection.vendor == "postgresql" else _allocate_once_portable
    )

    def attempt() -> dict[CounterKey, range]:
        for _ in range(4):
            scope = _allocation_scope(partner_code)
            keys = [
                counter_key(
                    partner_code=partner_code,
                    transaction_type=transaction_type,
                    counter_type=counter_type,
                    scope=scope,
                )
                for counter_type, _ in requests
            ]
            result = once(
                partner_code=partner_code,
                scope=scope,
                keys=keys,
                counts=counts,
                outbound_file_id=outbound_file_id,
                file_name=file_name,
                actor=actor,
            )
            if isinstance(result, dict):
                return result
            if result is _STALE:
                _allocation_scopes.pop(partner_code, None)  # read the partner again
            elif result is _MISSING:
                # First use of a counter: create it outside the lock, then allocate again.
                counters_ensure(keys=keys)
        raise ControlNumberError(f"partner {partner_code!r}: allocation kept changing")

    started = time.perf_counter()
    if connection.in_atomic_block:
        # Joining the caller's transaction: only the caller can retry it as a whole.
        numbers, retries = attempt(), 0
    else:
        numbers, retries = retry_transient(attempt)
    allocation_observed(seconds=time.perf_counter() - started, retries=retries)
    return {key.counter_type: span for key, span in numbers.items()}


def allocate_envelope(
    *,
    partner_code: str,
    transaction_type: str,
    outbound_file_id: uuid.UUID,
    st_count: int = 1,
    with_group: bool = True,
    file_name: str = "",
    actor: str = "system",
) -> EnvelopeNumbers:
    """Allocate ISA13 + GS06 + ``st_count`` consecutive ST02 for one outbound file, atomically.

    One statement on PostgreSQL; joins the caller's transaction when called inside
    ``transaction.atomic()``, otherwise commits it itself (durably before returning) and
    retries transient errors (the retry count is recorded on the audit rows). Audit rows are
    ISSUED. Counters are created on first use. ``with_group=False`` (a TA1 interchange)
    allocates the ISA13 only: ``gs06`` is None and ``st02s`` is empty. Raises
    ControlNumberExhausted (nothing allocated) when a counter would pass its max value,
    UnknownPartner for an unknown partner code.
    """
    requests = [("ISA", 1)]
    if with_group:
        if st_count < 1:
            raise ValueError("a functional group needs st_count >= 1")
        requests += [("GS", 1), ("ST", st_count)]
    numbers = _allocate(
        partner_code=partner_code,
        transaction_type=transaction_type,
        requests=requests,
        outbound_file_id=outbound_file_id,
        file_name=file_name,
        actor=actor,
    )
    return EnvelopeNumbers(
        isa13=numbers["ISA"][0],
        gs06=numbers["GS"][0] if with_group else None,
        st02s=list(numbers["ST"]) if with_group else [],
        outbound_file_id=outbound_file_id,
    )


def allocate_block(
    *,
    partner_code: str,
    transaction_type: str,
    counter_type: str,
    count: int,
    outbound_file_id: uuid.UUID,
    actor: str = "system",
) -> list[int]:
    """Allocate ``count`` consecutive numbers of one counter (one UPDATE, one bulk insert)."""
    counter_type = CounterType(counter_type).value
    numbers = _allocate(
        partner_code=partner_code,
        transaction_type=transaction_type,
        requests=[(counter_type, count)],
        outbound_file_id=outbound_file_id,
        file_name="",
        actor=actor,
    )
    return list(numbers[counter_type])
