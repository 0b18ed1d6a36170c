"""The finishing statement: file PERSISTED, outcomes ASSEMBLED and the outbox message, once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outbound.models import (
    OutboundFile,
    OutboundFileStatus,
    OutboxMessage,
    OutcomeStatus,
    ProcessingOutcome,
)
from outbound.services import finishing
from outbound.services.assembly import outbound_assemble
from outbound.services.finishing import file_finish
from tests.factories import TradingPartnerFactory
from tests.outbound.conftest import Crash, stage

pytestmark = pytest.mark.django_db


def _assembling_file(crash_at, monkeypatch) -> OutboundFile:
    crash_at("after_allocation")
    stage(TradingPartnerFactory(), "TA1", 2)
    with pytest.raises(Crash):
        outbound_assemble()
    monkeypatch.undo()
    return OutboundFile.objects.select_related("partner").get()


def _fields(now) -> dict:
    return {
        "status": OutboundFileStatus.PERSISTED,
        "storage_path": "outbound/x.edi",
        "size": 10,
        "sha256": "0" * 64,
        "segment_count": 4,
        "updated_at": now,
    }


# the one statement of PostgreSQL and the ORM's writes of the other databases (SQLite, the
# embedded default) do the same; the ORM path runs here on PostgreSQL as well
FINISHERS = pytest.mark.parametrize(
    "finish", [file_finish, finishing._file_finish_orm], ids=["statement", "orm"]
)


@FINISHERS
def test_an_assembling_file_is_finished_with_its_outcomes_and_one_outbox_message(
    finish, crash_at, monkeypatch
):
    file = _assembling_file(crash_at, monkeypatch)
    now = timezone.now()
    outbox = OutboxMessage(outbound_file=file, payload={"file_id": str(file.id)})
    assert finish(file_id=file.id, fields=_fields(now), now=now, outbox=outbox)
    file.refresh_from_db()
    assert (file.status, file.storage_path, file.size) == ("PERSISTED", "outbound/x.edi", 10)
    assert set(ProcessingOutcome.objects.values_list("status", "assembled_at")) == {
        (OutcomeStatus.ASSEMBLED, now)
    }
    message = OutboxMessage.objects.get()
    assert (message.outbound_file_id, message.payload) == (file.id, {"file_id": str(file.id)})
    assert message.status == "PENDING" and message.attempts == 0


@FINISHERS
def test_a_file_finished_meanwhile_is_left_as_it_is(finish, crash_at, monkeypatch):
    file = _assembling_file(crash_at, monkeypatch)
    now = timezone.now()
    first = OutboxMessage(outbound_file=file, payload={"n": 1})
    assert finish(file_id=file.id, fields=_fields(now), now=now, outbox=first)
    again = OutboxMessage(outbound_file=file, payload={"n": 2})
    assert not finish(file_id=file.id, fields=_fields(timezone.now()), now=now, outbox=again)
    assert list(OutboxMessage.objects.values_list("payload", flat=True)) == [{"n": 1}]


def test_on_postgresql_the_writes_are_one_statement_of_its_own_not_the_orms(crash_at, monkeypatch):
    file = _assembling_file(crash_at, monkeypatch)
    now = timezone.now()
    outbox = OutboxMessage(outbound_file=file, payload={})
    with CaptureQueriesContext(connection) as orm:
        assert file_finish(file_id=file.id, fields=_fields(now), now=now, outbox=outbox)
    assert len(orm) == 0  # (the prepared statement runs on the driver's own cursor)
    assert OutboxMessage.objects.get().outbound_file_id == file.id


@FINISHERS
def test_only_the_file_asked_for_is_finished_and_its_outcomes_lose_their_old_reason(
    finish, crash_at, monkeypatch
):
    file = _assembling_file(crash_at, monkeypatch)
    crash_at("after_allocation")
    stage(TradingPartnerFactory(), "TA1", 1)
    with pytest.raises(Crash):
        outbound_assemble()
    monkeypatch.undo()
    other = OutboundFile.objects.exclude(pk=file.pk).get()
    ProcessingOutcome.objects.update(failure_reason="not assembled: an earlier attempt")
    now = timezone.now()
    outbox = OutboxMessage(outbound_file=file, payload={})
    assert finish(file_id=file.id, fields=_fields(now), now=now, outbox=outbox)
    other.refresh_from_db()
    assert other.status == OutboundFileStatus.ASSEMBLING
    assert set(
        ProcessingOutcome.objects.filter(outbound_file=file).values_list(
            "failure_reason", flat=True
        )
    ) == {""}
    assert set(
        ProcessingOutcome.objects.filter(outbound_file=other).values_list("status", flat=True)
    ) == {OutcomeStatus.CLAIMED}
