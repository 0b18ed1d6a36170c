"""Batch reversal: A, B, reverse B == A; once per batch; itself an auditable batch."""

from __future__ import annotations

import hashlib
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from eventstore.ledger.events.aggregate import fold
from eventstore.ledger.services.enrollment_834 import enrollment_834_apply
from eventstore.ledger.services.events import events_read
from eventstore.ledger.services.projections import LIVE, load_states, project_pending
from eventstore.ledger.services.reversal import ReversalError, batch_reverse
from eventstore.models import (
    BatchChannel,
    BatchReversal,
    BatchStatus,
    DomainEvent,
    Enrollment,
    Member,
)
from tests.factories import TradingPartnerFactory, TransactionBatchFactory
from tests.support import synthetic_834 as synth

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"


@pytest.fixture(autouse=True)
def inbound_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "inbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def apply(name: str, partner):
    batch, header = synth.register_834((FIXTURES / name).read_bytes(), partner=partner)
    enrollment_834_apply(header=header)
    project_pending()
    return batch


def without_positions(enrollments: dict) -> dict:
    return {
        key: {f: v for f, v in e.items() if f not in ("version", "last_position")}
        for key, e in enrollments.items()
    }


def comparable():
    """Projection rows without version / last_position (those legitimately move on)."""
    members = list(
        Member.objects.order_by("aggregate_id").values(
            *[
                f.attname
                for f in Member._meta.concrete_fields
                if f.attname not in ("version", "last_position")
            ]
        )
    )
    enrollments = list(
        Enrollment.objects.order_by("member_id", "coverage_key").values(
            *[
                f.attname
                for f in Enrollment._meta.concrete_fields
                if f.attname not in ("id", "version", "last_position")
            ]
        )
    )
    return members, enrollments


def test_a_then_b_then_reverse_b_equals_a():
    partner = TradingPartnerFactory(code="ACME")
    apply("834_add_family.edi", partner)
    state_a = comparable()
    b = apply("834_change_address_plan.edi", partner)
    assert comparable() != state_a
    record = batch_reverse(batch_id=b.pk, reason="wrong file")
    project_pending()
    assert comparable() == state_a
    reversals = list(DomainEvent.objects.filter(batch=record.reversal_batch).order_by("position"))
    originals = list(DomainEvent.objects.filter(batch=b).order_by("-position"))
    assert [r.reverses_id for r in reversals] == [o.position for o in originals]  # newest first
    assert all(
        r.is_reversal and r.event_type == o.event_type + "Reversed"
        for r, o in zip(reversals, originals, strict=True)
    )
    assert record.reversal_batch.channel == BatchChannel.SYSTEM
    assert record.events_reversed == 2


def test_reversing_a_middle_batch_equals_the_history_without_it():
    partner = TradingPartnerFactory(code="ACME")
    a = apply("834_add_family.edi", partner)
    b = apply("834_change_address_plan.edi", partner)
    c = apply("834_terminate_spouse.edi", partner)
    batch_reverse(batch_id=b.pk, reason="wrong file")
    project_pending()
    # The history without B, folded from A's and C's events only:
    kept = [
        r
        for r in events_read(limit=10_000)
        if r.position
        in set(DomainEvent.objects.filter(batch__in=[a, c]).values_list("position", flat=True))
    ]
    ids = sorted({r.aggregate_id for r in kept})
    expected = {i: fold([r for r in kept if r.aggregate_id == i]) for i in ids}
    actual = load_states(LIVE, ids)
    for i in ids:
        assert actual[i]["member"] == expected[i]["member"]
        assert without_positions(actual[i]["enrollments"]) == without_positions(
            expected[i]["enrollments"]
        )
    assert any(s["member"]["terminated"] for s in actual.values())  # C survived
    assert all(s["member"]["city"] == "SPRINGFIELD" for s in actual.values())  # B is gone


def test_a_batch_is_reversed_once_and_a_reversal_cannot_be_reversed():
    partner = TradingPartnerFactory(code="ACME")
    b = apply("834_add_family.edi", partner)
    record = batch_reverse(batch_id=b.pk, reason="duplicate")
    with pytest.raises(ReversalError, match="already been reversed"):
        batch_reverse(batch_id=b.pk, reason="again")
    with pytest.raises(ReversalError, match="itself a reversal"):
        batch_reverse(batch_id=record.reversal_batch_id, reason="undo")
    assert BatchReversal.objects.count() == 1


def test_reverse_batch_command_requires_a_reason_and_reports():
    partner = TradingPartnerFactory(code="ACME")
    b = apply("834_add_family.edi", partner)
    with pytest.raises(CommandError):
        call_command("reverse_batch", str(b.pk), "--reason", " ")
    out = StringIO()
    call_command("reverse_batch", str(b.pk), "--reason", "bad file", stdout=out)
    assert "7 events" in out.getvalue()
    project_pending()
    assert comparable() == ([], [])


def test_a_reversal_records_its_batch_events_and_operator_exactly(django_user_model, caplog):
    partner = TradingPartnerFactory(code="ACME")
    b = apply("834_add_family.edi", partner)
    operator = django_user_model.objects.create_user("reverser", "", "pw-reverser-1")
    originals = list(
        DomainEvent.objects.filter(batch=b)
        .order_by("-position")
        .values_list("position", "event_id", "aggregate_id", "event_type")
    )
    assert len(originals) == 7
    caplog.clear()
    with caplog.at_level("INFO", logger="eventstore.ledger.services.reversal"):
        record = batch_reverse(batch_id=b.pk, reason="  sent twice  ", acting_user=operator)

    record.refresh_from_db()
    assert (record.batch_id, record.reason, record.actor) == (b.pk, "sent twice", "reverser")
    assert record.acting_user_id == operator.pk
    assert record.events_reversed == 7
    rev = record.reversal_batch
    reversals = list(DomainEvent.objects.filter(batch=rev).order_by("position"))
    assert (record.first_position, record.last_position) == (
        reversals[0].position,
        reversals[-1].position,
    )
    # the reversal is its own auditable batch of the same partner
    assert rev.original_name == f"reversal of batch {b.pk}"
    assert rev.partner_id == partner.pk
    assert rev.sha256 == hashlib.sha256(f"reversal-of-batch:{b.pk}".encode()).hexdigest()
    assert (rev.size, rev.channel, rev.status) == (0, BatchChannel.SYSTEM, BatchStatus.ACCEPTED)
    assert rev.status_reason == f"Reversal of batch {b.pk}: 7 events compensated."
    assert rev.report == {"reversal_of_batch": b.pk, "events": 7}
    assert rev.processed_at is not None
    # one compensating event per original, newest first, each naming what it reverses
    correlations = {r.metadata["correlation_id"] for r in reversals}
    assert len(correlations) == 1
    assert str(uuid.UUID(next(iter(correlations)))) == next(iter(correlations))
    for r, (position, event_id, aggregate_id, event_type) in zip(reversals, originals, strict=True):
        assert (r.aggregate_id, r.event_type, r.reverses_id) == (
            aggregate_id,
            event_type + "Reversed",
            position,
        )
        assert r.data == {
            "reverses_event_id": str(event_id),
            "reverses_position": position,
            "reverses_type": event_type,
        }
        assert r.metadata == {
            "batch_id": rev.pk,
            "reversal_of_batch": b.pk,
            "correlation_id": next(iter(correlations)),
        }
        assert r.occurred_at == rev.processed_at
    assert [m.getMessage() for m in caplog.records if m.name.endswith(".reversal")] == [
        f"batch {b.pk} reversed by batch {rev.pk}: 7 events, positions "
        f"{record.first_position}..{record.last_position}"
    ]


def test_reversal_refusals_name_the_batch_and_change_nothing():
    partner = TradingPartnerFactory(code="ACME")
    b = apply("834_add_family.edi", partner)
    for reason in ("", "   ", None):
        with pytest.raises(ReversalError) as raised:
            batch_reverse(batch_id=b.pk, reason=reason)
        assert str(raised.value) == "a reason is required"
    with pytest.raises(ReversalError) as raised:
        batch_reverse(batch_id=b.pk + 1000, reason="x")
    assert str(raised.value) == f"batch {b.pk + 1000} does not exist"
    empty = TransactionBatchFactory(partner=partner)
    with pytest.raises(ReversalError) as raised:
        batch_reverse(batch_id=empty.pk, reason="x")
    assert str(raised.value) == f"batch {empty.pk} produced no enrollment events"
    record = batch_reverse(batch_id=b.pk, reason="x")
    with pytest.raises(ReversalError) as raised:
        batch_reverse(batch_id=b.pk, reason="again")
    assert str(raised.value) == f"batch {b.pk} has already been reversed"
    with pytest.raises(ReversalError) as raised:
        batch_reverse(batch_id=record.reversal_batch_id, reason="undo")
    # a reversal is not also reported as "produced no enrollment events" (its events are
    # all reversals)
    assert str(raised.value) == (
        f"batch {record.reversal_batch_id} is itself a reversal and cannot be reversed"
    )
    assert BatchReversal.objects.count() == 1
    assert DomainEvent.objects.filter(is_reversal=True).count() == 7


def test_the_unique_constraint_backs_the_once_per_batch_check(monkeypatch):
    # the check runs under the batch's row lock; should a second reversal get past it
    # anyway, the constraint refuses it with the same words, and nothing of it remains
    from eventstore.ledger.services import reversal

    partner = TradingPartnerFactory(code="ACME")
    b = apply("834_add_family.edi", partner)
    batch_reverse(batch_id=b.pk, reason="first")
    monkeypatch.setattr(reversal, "reversal_blockers", lambda batch: [])
    with pytest.raises(ReversalError) as raised:
        batch_reverse(batch_id=b.pk, reason="second")
    assert str(raised.value) == f"batch {b.pk} has already been reversed"
    assert BatchReversal.objects.count() == 1
    assert DomainEvent.objects.filter(is_reversal=True).count() == 7


def test_reversal_blockers_say_why_a_batch_cannot_be_reversed():
    # what the admin's confirmation page lists per selected batch
    from eventstore.ledger.services.reversal import reversal_blockers

    partner = TradingPartnerFactory(code="ACME")
    b = apply("834_add_family.edi", partner)
    other = apply("834_change_address_plan.edi", partner)
    empty = TransactionBatchFactory(partner=partner)
    assert reversal_blockers(b) == []
    assert reversal_blockers(empty) == [f"batch {empty.pk} produced no enrollment events"]
    record = batch_reverse(batch_id=b.pk, reason="x")
    assert reversal_blockers(b) == [f"batch {b.pk} has already been reversed"]
    assert reversal_blockers(record.reversal_batch) == [
        f"batch {record.reversal_batch_id} is itself a reversal and cannot be reversed"
    ]
    assert reversal_blockers(other) == []  # another batch's reversal changes nothing here
