"""Header -> batch references are enforced by the database (statement-level trigger)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from eventstore.models import TransactionBatch, TransactionHeader
from tests.factories import TransactionBatchFactory, TransactionHeaderFactory

pytestmark = pytest.mark.django_db

COLUMNS = (
    "batch_id, isa13, gs01, gs06, gs08, st01, st02, st03, segment_count, start_offset, "
    "end_offset, first_line, verdict, error_summary, routing_status, routing_result, created_at"
)


def _sql(statement: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _header_values(batch_id: int) -> list:
    return [batch_id, "1", "HC", "1", "005010X222A1", "837", "0001", "", 0, 0, 0, 0, "A"]


def test_a_header_of_a_missing_batch_is_refused_by_insert_and_copy():
    batch = TransactionBatchFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        TransactionHeaderFactory(batch=TransactionBatch(pk=batch.pk + 1000))
    copy_sql = f"COPY eventstore_transactionheader ({COLUMNS}) FROM STDIN"
    with (
        pytest.raises(psycopg.errors.ForeignKeyViolation),  # psycopg's own cursor: not wrapped
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(copy_sql) as copy,
    ):
        for batch_id in (batch.pk, batch.pk + 1000):
            copy.write_row([*_header_values(batch_id), "[]", "NO_HANDLER", "", "now"])
    assert TransactionHeader.objects.count() == 0


def test_many_headers_of_existing_batches_go_in_with_one_statement():
    one, two = TransactionBatchFactory(), TransactionBatchFactory()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY eventstore_transactionheader ({COLUMNS}) FROM STDIN") as copy,
    ):
        for n in range(500):
            batch_id = (one.pk, two.pk)[n % 2]
            copy.write_row([*_header_values(batch_id), "[]", "NO_HANDLER", "", "now"])
    assert TransactionHeader.objects.filter(batch=one).count() == 250
    assert TransactionHeader.objects.filter(batch=two).count() == 250


def test_a_batch_with_headers_cannot_be_deleted_and_a_header_cannot_move():
    header = TransactionHeaderFactory()
    other = TransactionBatchFactory()
    with pytest.raises(IntegrityError):
        _sql("DELETE FROM eventstore_transactionbatch WHERE id = %s", [header.batch_id])
    with pytest.raises(IntegrityError):
        _sql(
            "UPDATE eventstore_transactionheader SET batch_id = %s WHERE id = %s",
            [other.pk, header.pk],
        )
    _sql("DELETE FROM eventstore_transactionbatch WHERE id = %s", [other.pk])  # no headers
    assert TransactionHeader.objects.get(pk=header.pk).batch_id == header.batch_id
    assert not TransactionBatch.objects.filter(pk=other.pk).exists()
