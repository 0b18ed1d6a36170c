"""Writing the claim registry: our claim control numbers and the claim rows, set-based.

* :func:`claim_numbers_lock` / :func:`claim_numbers_take` — the one counter row
  (``ClaimNumberCounter``): locked by an ``UPDATE ... RETURNING`` (created when missing),
  held until the caller's transaction ends; a block of consecutive numbers is taken in one
  more statement. Rolled back with the transaction, a block is taken again by the next one
  and never sent twice (the unique index on the claim's number is the last defence).
* :func:`claims_insert` — every claim of a chunk COPied straight into the table, in a
  savepoint; when a claim of the chunk is there already (a set routed again, or by a
  concurrent run) the unique index refuses the COPY, the savepoint is undone and the rows
  go the slower way: COPY into a temporary table, then one ``INSERT ... SELECT ... ON
  CONFLICT (header_id, position) DO NOTHING``
  (:func:`edi_platform.core.db.copy_insert_unless_exists`), so a set routed again adds
  nothing. No statement per claim either way; ``bulk_create`` with ``ignore_conflicts``
  off PostgreSQL.
* :func:`claims_link_duplicates` — a duplicate of a claim accepted earlier in the same chunk
  is judged before either has an id: one ``UPDATE`` afterwards names the original.

Call inside a transaction (the routing transaction of the chunk).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Min, OuterRef, Q, Subquery

from edi_platform.core.db import copy_insert_unless_exists, hot_cursor, iso_temporal
from outbound.models import Claim, ClaimNumberCounter, ClaimStatus

__all__ = [
    "COUNTER",
    "ROW_COLUMNS",
    "claim_numbers_lock",
    "claim_numbers_take",
    "claims_insert",
    "claims_link_duplicates",
]

COUNTER = "payer-claim-control-number"

# (column, PostgreSQL array type) of the rows :func:`claims_insert` takes, in order
ROW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("partner_id", "bigint"),
    ("batch_id", "bigint"),
    ("header_id", "bigint"),
    ("outcome_id", "bigint"),
    ("claim_type", "text"),
    ("position", "integer"),
    ("patient_control_number", "text"),
    ("total_charge", "numeric"),
    ("frequency_code", "text"),
    ("facility_code", "text"),
    ("bill_type", "text"),
    ("billing_provider_npi", "text"),
    ("billing_provider_tax_id", "text"),
    ("subscriber_id", "text"),
    ("subscriber_member", "text"),
    ("patient_member", "text"),
    ("patient_is_subscriber", "boolean"),
    ("patient_last_name", "text"),
    ("patient_first_name", "text"),
    ("patient_birth_date", "date"),
    ("service_from", "date"),
    ("service_to", "date"),
    ("line_count", "integer"),
    ("payer_claim_control_number", "bigint"),
    ("status", "text"),
    ("reasons", "jsonb"),
    ("reason", "text"),
    ("duplicate_of", "bigint"),
    ("replaces", "bigint"),
    ("received_at", "timestamptz"),
    ("recorded_at", "timestamptz"),
)


# the dates and timestamps of a row, sent to COPY as text (see iso_temporal)
_TEMPORAL = tuple(i for i, (_, kind) in enumerate(ROW_COLUMNS) if kind in ("date", "timestamptz"))


def _counter_value(delta: int) -> int | None:
    table = connection.ops.quote_name(ClaimNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_value = last_value + %s WHERE name = %s RETURNING last_value",
            [delta, COUNTER],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def claim_numbers_lock() -> int:
    """Lock the counter row until the transaction ends; returns the last number given."""
    value = _counter_value(0)
    if value is None:
        # first use (or a test database emptied): the row is created, then locked
        ClaimNumberCounter.objects.get_or_create(name=COUNTER)
        value = _counter_value(0)
    return value or 0


def claim_numbers_take(count: int) -> list[int]:
    """``count`` new consecutive claim control numbers (the counter locked meanwhile)."""
    if count <= 0:
        return []
    last = _counter_value(count)
    if last is None:
        claim_numbers_lock()
        last = _counter_value(count)
    assert last is not None
    return list(range(last - count + 1, last + 1))


def claims_insert(rows: Sequence[Sequence[Any]]) -> int:
    """Insert claim rows (values in :data:`ROW_COLUMNS` order; ``reasons`` as JSON text);
    a claim already recorded (same header and position) is skipped. Returns how many were
    inserted."""
    if not rows:
        return 0
    names = [name for name, _ in ROW_COLUMNS]
    if connection.vendor != "postgresql":
        import json

        objects = []
        for row in rows:
            values = dict(zip(names, row, strict=True))
            values["reasons"] = json.loads(values["reasons"])
            objects.append(Claim(**values))
        return len(Claim.objects.bulk_create(objects, ignore_conflicts=True, batch_size=200))
    try:
        # a savepoint: a conflict undoes only this attempt, never the caller's transaction
        with transaction.atomic():
            return _copy_into_table(names, rows)
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != _UNIQUE_VIOLATION:
            raise  # a check constraint: the chunk is wrong, not routed again
    inserted = copy_insert_unless_exists(
        table=Claim._meta.db_table,
        columns=names,
        rows=iso_temporal(rows, _TEMPORAL),
        conflict="header_id, position",
        returning="id",
    )
    return len(inserted)


def claims_link_duplicates(places: Sequence[tuple[int, int]]) -> int:
    """Point the rejected duplicates at (header id, position) ``places`` to the first
    accepted claim with the same key (NPI, patient control number, charge, dates, frequency
    1). Returns how many rows were linked."""
    if not places:
        return 0
    where = Q()
    for header_id, position in places:
        where |= Q(header_id=header_id, position=position)
    first = (
        Claim.objects.filter(
            status=ClaimStatus.ACCEPTED,
            frequency_code="1",
            billing_provider_npi=OuterRef("billing_provider_npi"),
            patient_control_number=OuterRef("patient_control_number"),
            total_charge=OuterRef("total_charge"),
            service_from=OuterRef("service_from"),
            service_to=OuterRef("service_to"),
        )
        .order_by()
        .values("patient_control_number")
        .annotate(first=Min("id"))
        .values("first")
    )
    return Claim.objects.filter(where, duplicate_of__isnull=True).update(
        duplicate_of=Subquery(first[:1])
    )


_UNIQUE_VIOLATION = "23505"


def _copy_into_table(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """COPY ``rows`` into the claim table itself: the cheapest way in (batched heap and index
    writes, no temporary table, no per-row conflict check); a row already there (same
    header and position) raises ``IntegrityError`` (unique violation) and nothing is kept."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in names)
    sql = f"COPY {quote(Claim._meta.db_table)} ({columns}) FROM STDIN"
    with hot_cursor() as cursor, cursor.copy(sql) as copy:
        for row in iso_temporal(rows, _TEMPORAL):
            copy.write_row(row)
    return len(rows)
