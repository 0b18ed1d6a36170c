"""Database-level guarantees: constraints and the append-only audit trigger (PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from controlnumbers.models import AuditStatus, ControlNumberAudit, ControlNumberCounter
from tests.factories import ControlNumberCounterFactory

pytestmark = pytest.mark.django_db


def _audit(counter, number=1, status=AuditStatus.ISSUED) -> ControlNumberAudit:
    return ControlNumberAudit.objects.create(
        counter=counter,
        number=number,
        epoch=counter.epoch,
        outbound_file_id=uuid.uuid4(),
        issued_at=timezone.now(),
        status=status,
    )


def test_current_value_cannot_pass_max_value():
    counter = ControlNumberCounterFactory(max_value=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        ControlNumberCounter.objects.filter(id=counter.id).update(current_value=11)


def test_current_value_cannot_be_negative():
    counter = ControlNumberCounterFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ControlNumberCounter.objects.filter(id=counter.id).update(current_value=-1)


def test_counter_key_is_unique():
    ControlNumberCounterFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ControlNumberCounter.objects.create(
            partner_code="PARTNERA", transaction_type="*", counter_type="ISA"
        )


def test_a_number_cannot_be_recorded_twice_in_an_epoch():
    counter = ControlNumberCounterFactory()
    _audit(counter, 7)
    with pytest.raises(IntegrityError), transaction.atomic():
        _audit(counter, 7)


def test_audit_rows_cannot_be_deleted():
    row = _audit(ControlNumberCounterFactory())
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ControlNumberAudit.objects.filter(id=row.id).delete()
    assert ControlNumberAudit.objects.filter(id=row.id).exists()


@pytest.mark.parametrize(
    "change",
    [
        {"number": 99},
        {"seq": 42},
        {"outbound_file_id": uuid.uuid4()},
        {"retry_count": 3},
        {"actor": "someone"},
        {"notes": "rewritten history"},
        {"status": AuditStatus.REISSUED},  # ISSUED -> REISSUED is not a move
        {"status": AuditStatus.RESET},
    ],
)
def test_audit_rows_refuse_any_other_update(change):
    row = _audit(ControlNumberCounterFactory())
    with pytest.raises(DatabaseError), transaction.atomic():
        ControlNumberAudit.objects.filter(id=row.id).update(**change)


@pytest.mark.parametrize(
    "path",
    [
        [AuditStatus.PERSISTED],
        [AuditStatus.FAILED, AuditStatus.PERSISTED],
        [AuditStatus.FAILED, AuditStatus.REISSUED],
    ],
)
def test_audit_rows_allow_the_lifecycle_moves(path):
    row = _audit(ControlNumberCounterFactory())
    for status in path:
        ControlNumberAudit.objects.filter(id=row.id).update(status=status, notes=f"to {status}")
    row.refresh_from_db()
    assert row.status == path[-1]


@pytest.mark.parametrize(
    "start, target",
    [
        (AuditStatus.PERSISTED, AuditStatus.FAILED),
        (AuditStatus.REISSUED, AuditStatus.PERSISTED),
        (AuditStatus.RESET, AuditStatus.PERSISTED),
    ],
)
def test_final_states_do_not_move(start, target):
    counter = ControlNumberCounterFactory()
    row = _audit(counter)
    path = {
        AuditStatus.PERSISTED: [AuditStatus.PERSISTED],
        AuditStatus.REISSUED: [AuditStatus.FAILED, AuditStatus.REISSUED],
        AuditStatus.RESET: [],
    }[start]
    if start == AuditStatus.RESET:
        row = ControlNumberAudit.objects.create(
            counter=counter, number=0, epoch=2, issued_at=timezone.now(), status="RESET"
        )
    for status in path:
        ControlNumberAudit.objects.filter(id=row.id).update(status=status)
    with pytest.raises(DatabaseError), transaction.atomic():
        ControlNumberAudit.objects.filter(id=row.id).update(status=target)


def test_the_trigger_is_installed_on_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = 'controlnumbers_audit_guard'")
        assert cursor.fetchone() == (1,)


def test_a_counter_with_audit_rows_cannot_be_deleted_even_in_sql():
    counter = ControlNumberCounterFactory()
    _audit(counter)
    with (
        pytest.raises(DatabaseError, match="has audit rows"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"DELETE FROM {ControlNumberCounter._meta.db_table} WHERE id = %s", [counter.id]
        )
    unused = ControlNumberCounterFactory(counter_type="GS")
    ControlNumberCounter.objects.filter(id=unused.id).delete()  # no audit rows: fine
