"""The rows of assembly's claim: due PENDING outcomes, locked, skipping the locked ones.

:func:`due_outcomes_lock` is the one ``SELECT ... FOR UPDATE SKIP LOCKED`` of the claim
transaction (:func:`outbound.services.assembly._claim`): concurrent workers take disjoint
rows, a row another transaction is claiming is skipped, and only the outcome rows are
locked (never the partner's, whose code may filter them). Every real-time file runs it once:
on PostgreSQL it is one prepared statement per shape of its filters (the ORM spent ~0.7 ms
building it each time); other databases (SQLite, the embedded default) use the ORM. Reads
and locks only: a crash leaves nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from django.db import connection

from edi_platform.core.db import hot_cursor
from edi_platform.partners.models import TradingPartner
from outbound.models import OutcomeStatus, ProcessingOutcome

__all__ = ["due_outcomes_lock"]

Row = tuple[int, int, str, int | None]  # (id, partner id, response type, batch id)


def due_outcomes_lock(
    *,
    types: Sequence[str],
    now: datetime,
    ignore_windows: bool,
    partner_code: str | None,
    exclude_ids: set[int] | None,
    batch_ids: Sequence[int] | None,
    limit: int,
) -> list[Row]:
    """PENDING outcomes of ``types`` (due by ``now`` unless ``ignore_windows``; of that
    partner, not among ``exclude_ids``, of those inbound batches when given), most overdue
    first then by id, at most ``limit``, locked until the caller's transaction ends."""
    if connection.vendor == "postgresql":
        sql = _sql(
            due=not ignore_windows,
            partner=bool(partner_code),
            exclude=bool(exclude_ids),
            batches=batch_ids is not None,
        )
        params: list = [OutcomeStatus.PENDING.value, list(types)]
        if not ignore_windows:
            params.append(now)
        if partner_code:
            params.append(partner_code)
        if exclude_ids:
            params.append(sorted(exclude_ids))
        if batch_ids is not None:
            params.append(list(batch_ids))
        params.append(limit)
        with hot_cursor(prepare=True) as cursor:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]  # type: ignore[misc]
    qs = ProcessingOutcome.objects.filter(status=OutcomeStatus.PENDING, response_type__in=types)
    if not ignore_windows:
        qs = qs.filter(due_at__lte=now)
    if partner_code:
        qs = qs.filter(partner__code=partner_code)
    if exclude_ids:
        qs = qs.exclude(id__in=exclude_ids)
    if batch_ids is not None:
        qs = qs.filter(batch_id__in=list(batch_ids))
    return list(
        qs.order_by("due_at", "id")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("id", "partner_id", "response_type", "batch_id")[:limit]
    )


@cache
def _sql(*, due: bool, partner: bool, exclude: bool, batches: bool) -> str:
    """The statement for this shape of the filters (built once; parameters in order)."""
    quote = connection.ops.quote_name
    outcomes = quote(ProcessingOutcome._meta.db_table)
    partners = quote(TradingPartner._meta.db_table)
    sql = f"SELECT o.id, o.partner_id, o.response_type, o.batch_id FROM {outcomes} AS o "
    if partner:
        sql += f"JOIN {partners} AS p ON p.id = o.partner_id "
    sql += "WHERE o.status = %s AND o.response_type = ANY(%s::text[]) "
    if due:
        sql += "AND o.due_at <= %s "
    if partner:
        sql += "AND p.code = %s "
    if exclude:
        sql += "AND NOT (o.id = ANY(%s::bigint[])) "
    if batches:
        sql += "AND o.batch_id = ANY(%s::bigint[]) "
    return sql + "ORDER BY o.due_at, o.id LIMIT %s FOR UPDATE OF o SKIP LOCKED"
