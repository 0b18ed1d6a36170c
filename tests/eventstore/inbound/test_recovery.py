"""Recovery of unfinished batches: attempts, backoff, FAILED after the last attempt, an
operator's Reprocess, and the inbox never moving a file whose batch is not finished."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from eventstore.inbound import hooks
from eventstore.inbound.services.inbox import inbox_poll
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.inbound.services.recovery import batches_recover
from eventstore.inbound.services.reprocess import ReprocessRefused, batch_reprocess
from eventstore.models import BatchStatus, TransactionBatch
from outbound.models import ProcessingOutcome
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.eventstore.inbound.samples import onboard_partner, sample

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("inbound_storage_dir"),
]


@pytest.fixture
def broken_sink(monkeypatch):
    def refuse(**_):
        raise ConnectionError("the outbound database is away")

    monkeypatch.setattr(hooks, "_sink", refuse)


@override_settings(INBOUND_SINGLE_TRANSACTION_MAX_BYTES=0, INBOUND_MAX_PROCESSING_ATTEMPTS=3)
def test_a_batch_that_keeps_failing_is_failed_after_its_attempts(broken_sink, monkeypatch):
    onboard_partner()
    first = ingest_bytes(data=sample(), original_name="a.x12")
    batch = TransactionBatch.objects.get(pk=first.batch)
    assert (batch.status, batch.processing_attempts) == (BatchStatus.RECEIVED, 1)
    assert batch.lease_expires_at is None and batch.retry_after > timezone.now()
    assert "retried automatically" in batch.status_reason

    assert batches_recover().retrying == []  # not before the backoff is over
    soon = timezone.now() + timedelta(hours=1)
    assert batches_recover(now=soon).retrying == [batch.pk]  # attempt 2
    later = timezone.now() + timedelta(days=1)
    assert batches_recover(now=later).failed == [batch.pk]  # attempt 3: FAILED
    batch.refresh_from_db()
    assert (batch.status, batch.processing_attempts) == (BatchStatus.FAILED, 3)
    assert "after 3 attempt(s)" in batch.status_reason and "Reprocess" in batch.status_reason
    assert batches_recover(now=later + timedelta(days=1)).summary().startswith("0 stalled")
    assert not ProcessingOutcome.objects.exists()

    monkeypatch.undo()  # the cause is fixed: the operator reprocesses
    done = batch_reprocess(batch_id=batch.pk, acting_user=None)
    assert done.status == BatchStatus.ACCEPTED
    assert ProcessingOutcome.objects.filter(batch=batch).count() == 1


def test_a_batch_a_live_worker_holds_is_left_alone(settings):
    onboard_partner()
    data = sample()
    held = TransactionBatch.objects.create(
        original_name="held.x12",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        status=BatchStatus.RECEIVED,
        lease_expires_at=timezone.now() + timedelta(seconds=60),
        received_at=timezone.now() - timedelta(hours=1),
    )
    assert batches_recover().finished == []
    with pytest.raises(ReprocessRefused, match="another worker"):
        batch_reprocess(batch_id=held.pk, acting_user=None)

    # the inbox does not move a file whose batch is not finished
    inbox = settings.INBOUND_INBOX_DIR
    (inbox / "held.x12").write_bytes(data)
    result = inbox_poll(min_age_seconds=0)
    assert (result.processed, result.failed, result.left) == (0, 0, 1)
    assert (inbox / "held.x12").exists()
