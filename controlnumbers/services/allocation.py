"""Writes of the control-number store: allocation, lifecycle, reset/rollover, gap closing, alerts.

Allocation on PostgreSQL is ONE SQL statement per call (whatever the number of counters):

    lock the counter rows in the fixed order (SELECT ... ORDER BY rank FOR UPDATE)
    -> check every counter exists and none would pass its max value
    -> UPDATE current_value = current_value + n RETURNING the new range
    -> one INSERT of every audit row (generate_series over each range, with each row's seq)

A single counter (allocate_block) needs no lock order: its statement is the plain
``UPDATE ... WHERE key AND current_value + n <= max_value RETURNING`` feeding the INSERT.
The statement is prepared once per connection (see DATABASE_PREPARED_STATEMENTS).

Outside a transaction the statement runs in autocommit, so it *is* the short transaction:
the row locks are held from the lock step until its commit, with no client round trip in
between. Inside a caller's ``transaction.atomic()`` it simply joins that transaction. When a
counter does not exist yet, or one would be exhausted, the statement changes nothing and says
so; the counters are then created (INSERT ... ON CONFLICT DO NOTHING) and the statement run
again, or ControlNumberExhausted is raised. Other databases (SQLite, the embedded default) take
the portable ORM path inside an IMMEDIATE transaction.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
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
from ..models import AuditStatus, ControlNumberAudit, ControlNumberCounter

logger = logging.getLogger(__name__)

COUNTER_TABLE = ControlNumberCounter._meta.db_table
AUDIT_TABLE = ControlNumberAudit._meta.db_table


# --- scope -------------------------------------------------------------------------------------
# partner code -> (scope, monotonic expiry). Reading the partner costs more CPU than the
# allocation statement itself, and a scope change is a rare, coordinated operation (it re-keys
# the ISA/GS counters and needs a counter reset anyway), so each process keeps the answer for a
# few seconds; a change saved in this process clears it at once (signal in apps.py).
_scope_cache: dict[str, tuple[str, float]] = {}


def _scope_cache_seconds() -> float:
    return float(getattr(settings, "CONTROL_NUMBER_SCOPE_CACHE_SECONDS", 5.0))


def scope_cache_clear(**_: Any) -> None:
    """Forget cached partner scopes (connected to the partner model's save/delete signals)."""
    _scope_cache.clear()


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


# --- allocation --------------------------------------------------------------------------------
_MISSING = object()

# One statement: ordered lock, all-or-nothing guard, update, bulk audit insert.
# {values} is one "(%s, %s, %s, %s::bigint, %s::int)" per requested counter.
_ALLOCATE_SQL = f"""
WITH req(partner_code, transaction_type, counter_type, n, ord) AS (VALUES {{values}}),
locked AS (
    SELECT c.id, c.current_value, c.max_value, c.issued_count, req.n, req.ord
    FROM {COUNTER_TABLE} c
    JOIN req ON c.partner_code = req.partner_code
            AND c.transaction_type = req.transaction_type
            AND c.counter_type = req.counter_type
    ORDER BY req.ord
    FOR UPDATE OF c
),
guard AS (
    SELECT count(*) = %s AND coalesce(bool_and(current_value + n <= max_value), false) AS go
    FROM locked
),
upd AS (
    UPDATE {COUNTER_TABLE} c
    SET current_value = l.current_value + l.n,
        issued_count = l.issued_count + l.n,
        last_increment_at = clock_timestamp(),
        modified_at = clock_timestamp(),
        last_file_name = CASE WHEN %s = '' THEN c.last_file_name ELSE %s END
    FROM locked l, guard g
    WHERE c.id = l.id AND g.go
    RETURNING c.id, l.ord, l.current_value + 1 AS first_number, c.current_value AS last_number,
              l.issued_count + 1 AS first_seq, c.epoch, c.last_increment_at
),
ins AS (
    INSERT INTO {AUDIT_TABLE}
        (counter_id, number, epoch, seq, outbound_file_id, issued_at, retry_count, status,
         notes, actor, file_name)
    SELECT u.id, s.n, u.epoch, u.first_seq + (s.n - u.first_number), %s, u.last_increment_at,
           %s, 'ISSUED', '', %s, %s
    FROM upd u CROSS JOIN LATERAL generate_series(u.first_number, u.last_number) AS s(n)
)
SELECT 'u', ord, first_number, last_number FROM upd
UNION ALL
SELECT 'l', ord, current_value, max_value FROM locked
"""


@dataclass(frozen=True)
class _Request:
    key: CounterKey
    count: int


def _exhausted(key: CounterKey, current: int, maximum: int, count: int) -> ControlNumberExhausted:
    return ControlNumberExhausted(
        f"counter {key} is exhausted: {maximum - current} number(s) left, {count} requested "
        "(reset or roll it over after coordinating with the partner)"
    )


def _execute_hot(sql: str, params: list[Any]) -> list[tuple]:
    """Run the allocation statement on Django's connection (joining its transaction, if any),
    bound server-side and prepared once per connection (see ``edi_platform.core.db``)."""
    with hot_cursor(prepare=True) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# One counter: no lock order to respect, so the statement is the plain form (the UPDATE's
# row lock is the only one taken); the guard sits in its WHERE clause.
_ALLOCATE_ONE_SQL = f"""
WITH upd AS (
    UPDATE {COUNTER_TABLE} c
    SET current_value = c.current_value + %s::bigint,
        issued_count = c.issued_count + %s::bigint,
        last_increment_at = clock_timestamp(),
        modified_at = clock_timestamp(),
        last_file_name = CASE WHEN %s = '' THEN c.last_file_name ELSE %s END
    WHERE c.partner_code = %s AND c.transaction_type = %s AND c.counter_type = %s
      AND c.current_value + %s::bigint <= c.max_value
    RETURNING c.id, c.current_value - %s::bigint + 1 AS first_number,
              c.current_value AS last_number, c.issued_count - %s::bigint + 1 AS first_seq,
              c.epoch, c.last_increment_at
),
ins AS (
    INSERT INTO {AUDIT_TABLE}
        (counter_id, number, epoch, seq, outbound_file_id, issued_at, retry_count, status,
         notes, actor, file_name)
    SELECT u.id, s.n, u.epoch, u.first_seq + (s.n - u.first_number), %s, u.last_increment_at,
           %s, 'ISSUED', '', %s, %s
    FROM upd u CROSS JOIN LATERAL generate_series(u.first_number, u.last_number) AS s(n)
)
SELECT first_number, last_number FROM upd
"""


def _allocate_one_postgresql(
    req: _Request, *, outbound_file_id: uuid.UUID, file_name: str, actor: str
) -> dict[CounterKey, range] | object:
    key, n = req.key, req.count
    params: list[Any] = [n, n, file_name, file_name, key.partner_code, key.transaction_type]
    params += [key.counter_type, n, n, n]
    params += [outbound_file_id, current_retry_count(), actor, file_name]
    for _ in range(3):
        rows = _execute_hot(_ALLOCATE_ONE_SQL, params)
        if rows:
            first, last = rows[0]
            return {key: range(first, last + 1)}
        # Nothing updated: the counter is missing, or it would pass its max value.
        state = (
            ControlNumberCounter.objects.filter(
                partner_code=key.partner_code,
                transaction_type=key.transaction_type,
                counter_type=key.counter_type,
            )
            .values_list("current_value", "max_value")
            .first()
        )
        if state is None:
            return _MISSING
        current, maximum = state
        if current + n > maximum:
            raise _exhausted(key, current, maximum, n)
        # It fits now (reset in between): run the statement again.
    raise ControlNumberError(f"counter {key} kept changing during allocation")


def _allocate_once_postgresql(
    requests: list[_Request], *, outbound_file_id: uuid.UUID, file_name: str, actor: str
) -> dict[CounterKey, range] | object:
    if len(requests) == 1:
        return _allocate_one_postgresql(
            requests[0], outbound_file_id=outbound_file_id, file_name=file_name, actor=actor
        )
    values = ", ".join(["(%s, %s, %s, %s::bigint, %s::int)"] * len(requests))
    params: list[Any] = []
    for order, req in enumerate(requests):
        params += [req.key.partner_code, req.key.transaction_type, req.key.counter_type]
        params += [req.count, order]
    params += [len(requests), file_name, file_name]
    params += [outbound_file_id, current_retry_count(), actor, file_name]
    rows = _execute_hot(_ALLOCATE_SQL.format(values=values), params)
    updated = {order: (first, last) for tag, order, first, last in rows if tag == "u"}
    if len(updated) == len(requests):
        return {req.key: range(updated[i][0], updated[i][1] + 1) for i, req in enumerate(requests)}
    locked = {order: (current, maximum) for tag, order, current, maximum in rows if tag == "l"}
    if len(locked) < len(requests):
        return _MISSING
    for i, req in enumerate(requests):
        current, maximum = locked[i]
        if current + req.count > maximum:
            raise _exhausted(req.key, current, maximum, req.count)
    raise ControlNumberError("allocation changed nothing for an unknown reason")  # defensive


def _allocate_once_portable(
    requests: list[_Request], *, outbound_file_id: uuid.UUID, file_name: str, actor: str
) -> dict[CounterKey, range] | object:
    # SQLite: the IMMEDIATE transaction holds the database write lock from BEGIN to COMMIT,
    # which serialises allocations (select_for_update is a no-op there).
    retries = current_retry_count()
    with transaction.atomic():
        counters: list[tuple[_Request, ControlNumberCounter]] = []
        for req in requests:
            counter = (
                ControlNumberCounter.objects.select_for_update()
                .filter(
                    partner_code=req.key.partner_code,
                    transaction_type=req.key.transaction_type,
                    counter_type=req.key.counter_type,
                )
                .first()
            )
            if counter is None:
                return _MISSING
            counters.append((req, counter))
        for req, counter in counters:
            if counter.current_value + req.count > counter.max_value:
                raise _exhausted(req.key, counter.current_value, counter.max_value, req.count)
        now = timezone.now()
        result: dict[CounterKey, range] = {}
        audit: list[ControlNumberAudit] = []
        for req, counter in counters:
            numbers = range(counter.current_value + 1, counter.current_value + req.count + 1)
            first_seq = counter.issued_count + 1
            counter.current_value += req.count
            counter.issued_count += req.count
            counter.last_increment_at = now
            fields = ["current_value", "issued_count", "last_increment_at", "modified_at"]
            if file_name:
                counter.last_file_name = file_name
                fields.append("last_file_name")
            counter.save(update_fields=fields)
            result[req.key] = numbers
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
    requests: list[_Request], *, outbound_file_id: uuid.UUID, file_name: str, actor: str
) -> dict[CounterKey, range]:
    if len({r.key for r in requests}) != len(requests):
        raise ValueError("each counter may be requested once per allocation")
    for req in requests:
        if req.count < 1:
            raise ValueError("count must be >= 1")
    requests = sorted(requests, key=lambda r: r.key.lock_rank())
    once = (
        _allocate_once_postgresql if connection.vendor == "postgresql" else _allocate_once_portable
    )

    def attempt() -> dict[CounterKey, range]:
        for _ in range(2):
            result = once(
                requests, outbound_file_id=outbound_file_id, file_name=file_name, actor=actor
            )
            if result is not _MISSING:
                return result  # type: ignore[return-value]
            # First use of a counter: create it outside the lock, then allocate again.
            counters_ensure(keys=[r.key for r in requests])
        raise ControlNumberError("counters could not be created")  # pragma: no cover

    started = time.perf_counter()
    if connection.in_atomic_block:
        # Joining the caller's transaction: only the caller can retry it as a whole.
        result, retries = attempt(), 0
    else:
        result, retries = retry_transient(attempt)
    allocation_observed(seconds=time.perf_counter() - started, retries=retries)
    return result


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

    One transaction (one SQL statement on PostgreSQL); joins the caller's transaction when
    called inside ``transaction.atomic()``, otherwise retries transient errors itself (the
    retry count is recorded on the audit rows). Audit rows are ISSUED. Counters are created on
    first use. ``with_group=False`` (a TA1 interchange) allocates the ISA13 only: ``gs06`` is
    None and ``st02s`` is empty. Raises ControlNumberExhausted (nothing allocated) when a
    counter would pass its max value, UnknownPartner for an unknown partner code.
    """
    scope = partner_scope(partner_code=partner_code)
    isa = counter_key(
        partner_code=partner_code,
        transaction_type=transaction_type,
        counter_type="ISA",
        scope=scope,
    )
    requests = [_Request(isa, 1)]
    if with_group:
        if st_count < 1:
            raise ValueError("a functional group needs st_count >= 1")
        gs = counter_key(
            partner_code=partner_code,
            transaction_type=transaction_type,
            counter_type="GS",
            scope=scope,
        )
        st = counter_key(
            partner_code=partner_code,
            transaction_type=transaction_type,
            counter_type="ST",
            scope=scope,
        )
        requests += [_Request(gs, 1), _Request(st, st_count)]
    numbers = _allocate(
        requests, outbound_file_id=outbound_file_id, file_name=file_name, actor=actor
    )
    return EnvelopeNumbers(
        isa13=numbers[isa][0],
        gs06=numbers[requests[1].key][0] if with_group else None,
        st02s=list(numbers[requests[2].key]) if with_group else [],
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
    key = resolve_counter_key(
        partner_code=partner_code, transaction_type=transaction_type, counter_type=counter_type
    )
    numbers = _allocate(
        [_Request(key, count)], outbound_file_id=outbound_file_id, file_name="", actor=actor
    )
    return list(numbers[key])
