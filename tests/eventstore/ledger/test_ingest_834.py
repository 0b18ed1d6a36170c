"""End to end: the inbound ingest service routes accepted 834 sets to the event store."""

from __future__ import annotations

import pytest

from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.ledger.services.projections import project_pending
from eventstore.models import (
    BatchStatus,
    DomainEvent,
    Member,
    RoutingStatus,
    TransactionBatch,
    TransactionHeader,
)
from tests.eventstore.inbound.samples import (  # noqa: F401 - fixture
    inbound_storage,
    onboard_partner,
    sample,
    two_sets_one_bad,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage")]


def test_an_ingested_834_becomes_events_and_projections():
    onboard_partner()
    result = ingest_bytes(data=sample(), original_name="enroll.x12")
    header = TransactionHeader.objects.get(batch_id=result.batch)
    assert header.routing_status == RoutingStatus.ROUTED
    assert header.routing_result == "834: 2 events for 1 members"
    assert list(DomainEvent.objects.values_list("event_type", flat=True)) == [
        "MemberAdded",
        "EnrollmentAdded",
    ]
    project_pending()
    member = Member.objects.get()
    assert (member.partner_code, member.subscriber_id, member.last_name) == (
        "SYNTH",
        "SYNTH00001",
        "TESTLAST",
    )
    assert member.enrollments.get().coverage_key == "HLT"


def test_the_same_file_twice_adds_no_events():
    onboard_partner()
    ingest_bytes(data=sample(), original_name="enroll.x12")
    again = ingest_bytes(data=sample(), original_name="enroll-copy.x12")
    resent = ingest_bytes(data=sample(isa13="000000555"), original_name="resent.x12")
    assert again.already_received or again.status == BatchStatus.DUPLICATE
    header = TransactionHeader.objects.get(batch_id=resent.batch)
    assert header.routing_result == "834: 0 events for 1 members; 1 unchanged"
    assert DomainEvent.objects.count() == 2


def test_a_rejected_set_adds_no_events_and_the_batch_says_why():
    onboard_partner()
    result = ingest_bytes(data=two_sets_one_bad(), original_name="two.x12")
    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status == BatchStatus.PARTIALLY_ACCEPTED and batch.status_reason
    statuses = dict(TransactionHeader.objects.values_list("st02", "routing_status"))
    assert statuses == {"0001": RoutingStatus.ROUTED, "0002": RoutingStatus.NOT_ROUTED}
    assert set(DomainEvent.objects.values_list("header__st02", flat=True)) == {"0001"}
