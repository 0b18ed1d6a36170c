"""The claim's rows: due PENDING outcomes of the asked types, filtered, ordered, limited and
locked, skipping rows another session holds (the statement every real-time file runs)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from outbound.models import OutcomeStatus, ProcessingOutcome
from outbound.services.claiming import due_outcomes_lock
from tests.factories import TradingPartnerFactory, TransactionBatchFactory
from tests.outbound.conftest import stage
from tests.support.pg import other_session

pytestmark = pytest.mark.django_db


def claim(**kwargs) -> list[tuple]:
    args = dict(
        types=["999", "TA1"],
        now=timezone.now(),
        ignore_windows=False,
        partner_code=None,
        exclude_ids=None,
        batch_ids=None,
        limit=100,
    )
    args.update(kwargs)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # a row lock waited for fails the test instead of hanging it
            cursor.execute("SET LOCAL lock_timeout = '2s'")
        return due_outcomes_lock(**args)


def lock(**kwargs) -> list[int]:
    return [row[0] for row in claim(**kwargs)]


def test_rows_are_id_partner_type_and_batch_of_pending_due_outcomes_of_the_asked_types():
    partner = TradingPartnerFactory()
    batch = TransactionBatchFactory(partner=partner)
    due, claimed, later = stage(partner, "999", 3)
    ProcessingOutcome.objects.filter(pk=due.pk).update(batch=batch)
    ProcessingOutcome.objects.filter(pk=claimed.pk).update(status=OutcomeStatus.CLAIMED)
    ProcessingOutcome.objects.filter(pk=later.pk).update(
        due_at=timezone.now() + timedelta(minutes=5)
    )
    (ta1,) = stage(partner, "TA1", 1)
    rows = claim(types=["999"], limit=10)
    assert rows == [(due.pk, partner.pk, "999", batch.pk)]
    assert lock(ignore_windows=True) == [due.pk, ta1.pk, later.pk]


def test_each_filter_narrows_the_rows_and_the_limit_takes_the_first():
    one, two = TradingPartnerFactory(), TradingPartnerFactory()
    batch, other_batch = TransactionBatchFactory(partner=one), TransactionBatchFactory(partner=one)
    a, b, c = stage(one, "999", 3)
    (d,) = stage(two, "999", 1)
    ProcessingOutcome.objects.filter(pk__in=[a.pk, b.pk]).update(batch=batch)
    ProcessingOutcome.objects.filter(pk=c.pk).update(batch=other_batch)
    assert lock(batch_ids=[batch.pk]) == [a.pk, b.pk]
    assert lock(batch_ids=[]) == []
    assert lock(partner_code=two.code) == [d.pk]
    assert lock(exclude_ids={a.pk, d.pk}) == [b.pk, c.pk]
    assert lock(limit=2) == [a.pk, b.pk]


@pytest.mark.django_db(transaction=True)
def test_a_row_another_session_is_claiming_is_skipped_not_waited_for():
    first, second = stage(TradingPartnerFactory(), "999", 2)
    with other_session(autocommit=False) as other:
        other.execute(
            "SELECT 1 FROM outbound_processingoutcome WHERE id = %s FOR UPDATE", [first.pk]
        )
        assert lock() == [second.pk]
        other.rollback()
    assert lock() == [first.pk, second.pk]
