"""Appending domain events: contiguous positions, versions, validation, append-only trigger."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from eventstore.ledger.services.events import (
    ConcurrencyError,
    EventValidationError,
    NewEvent,
    events_append,
    events_head,
    events_read,
)
from eventstore.models import DomainEvent, PositionCounter

pytestmark = pytest.mark.django_db


def changed(aggregate_id: str, city: str = "X") -> NewEvent:
    return NewEvent(
        aggregate_id=aggregate_id, event_type="MemberChanged", data={"changes": {"city": city}}
    )


def test_a_batch_gets_one_contiguous_block_and_versions_per_aggregate():
    first = events_append(events=[changed("a"), changed("b"), changed("a")], project=False)
    second = events_append(events=[changed("b")], project=False)
    assert [e.position for e in first + second] == [1, 2, 3, 4]
    assert [(e.aggregate_id, e.aggregate_version) for e in first + second] == [
        ("a", 1),
        ("b", 1),
        ("a", 2),
        ("b", 2),
    ]
    assert PositionCounter.objects.get(name="events").last_position == 4
    assert events_head() == 4


def test_expected_version_mismatch_raises_and_appends_nothing():
    events_append(events=[changed("a")], project=False)
    with pytest.raises(ConcurrencyError):
        events_append(
            events=[changed("a"), changed("b")], expected_versions={"a": 0}, project=False
        )
    assert DomainEvent.objects.count() == 1
    appended = events_append(events=[changed("a")], expected_versions={"a": 1}, project=False)
    assert appended[0].aggregate_version == 2


def test_a_rolled_back_append_leaves_no_hole():
    events_append(events=[changed("a")], project=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        events_append(events=[changed("a"), changed("a")], project=False)
        raise RuntimeError("caller fails after appending")
    after = events_append(events=[changed("a")], project=False)
    assert after[0].position == 2
    assert list(DomainEvent.objects.values_list("position", flat=True)) == [1, 2]


def test_payload_is_validated_against_the_schema_without_echoing_values():
    bad = NewEvent(
        aggregate_id="a",
        event_type="MemberChanged",
        data={"changes": {"birth_date": "1980-13-45", "ssn": "123456789"}},
    )
    with pytest.raises(EventValidationError) as info:
        events_append(events=[bad], project=False)
    message = str(info.value)
    assert "birth_date" in message and "ssn" in message
    assert "123456789" not in message and "1980-13-45" not in message
    assert DomainEvent.objects.count() == 0


def test_unknown_event_type_is_rejected():
    with pytest.raises(EventValidationError):
        events_append(
            events=[NewEvent(aggregate_id="a", event_type="MemberMoved", data={})], project=False
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger is PostgreSQL-only")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE eventstore_domainevent SET event_type = 'X'",
        "DELETE FROM eventstore_domainevent",
    ],
)
def test_trigger_rejects_update_and_delete(sql):
    events_append(events=[changed("a")], project=False)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert DomainEvent.objects.get().event_type == "MemberChanged"


def test_old_schema_versions_are_upcast_when_read():
    v1 = NewEvent(
        aggregate_id="a",
        event_type="MemberAdded",
        schema_version=1,
        data={
            "partner_code": "P",
            "subscriber_id": "S1",
            "is_subscriber": True,
            "relationship": "18",
            "name": {"last": "DOE"},
            "city": "SPRINGFIELD",
            "postal_code": "62701",
        },
    )
    events_append(events=[v1], project=False)
    assert DomainEvent.objects.get().schema_version == 1
    (record,) = events_read()
    assert record.data["address"]["city"] == "SPRINGFIELD"
    assert "city" not in record.data


def test_references_to_missing_batches_headers_or_events_are_rejected():
    for broken in (
        changed("a")._replace(batch_id=999_999),
        changed("a")._replace(header_id=999_999),
        NewEvent(
            aggregate_id="a",
            event_type="MemberChangedReversed",
            data={
                "reverses_event_id": "00000000-0000-4000-8000-000000000000",
                "reverses_position": 999_999,
                "reverses_type": "MemberChanged",
            },
            reverses=999_999,
        ),
    ):
        with pytest.raises(IntegrityError):
            events_append(events=[broken], project=False)
    assert DomainEvent.objects.count() == 0


def test_batches_and_headers_with_events_cannot_be_deleted_in_the_database():
    from tests.factories import TradingPartnerFactory
    from tests.support import synthetic_834 as synth

    batch, header = synth.register_834(
        synth.build_834(synth.generated_members(1), isa13=77),
        partner=TradingPartnerFactory(code="ACME"),
    )
    events_append(
        events=[changed("a")._replace(batch_id=batch.pk, header_id=header.pk)], project=False
    )
    for table, row_id in (
        ("eventstore_transactionheader", header.pk),
        ("eventstore_transactionbatch", batch.pk),
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row_id])
    assert DomainEvent.objects.filter(batch_id=batch.pk, header_id=header.pk).count() == 1


def test_event_ids_are_time_ordered_uuids():
    import time

    before = time.time_ns() // 1_000_000
    appended = events_append(events=[changed("a"), changed("b")], project=False)
    after = time.time_ns() // 1_000_000
    stored = list(DomainEvent.objects.order_by("position").values_list("event_id", flat=True))
    assert stored == [e.event_id for e in appended]
    assert len(set(stored)) == 2
    for event_id in stored:
        assert event_id.version == 7
        assert before <= event_id.int >> 80 <= after  # the 48-bit millisecond prefix


def test_event_ids_made_in_bulk_are_valid_distinct_version_7_uuids():
    import itertools
    import uuid

    from eventstore.ledger.services.events import _event_ids

    ids = list(itertools.islice(_event_ids(), 5000))
    assert len(set(ids)) == 5000
    for event_id in ids[:600]:
        again = uuid.UUID(str(event_id))
        assert again == event_id and hash(again) == hash(event_id)
        assert (again.version, again.variant) == (7, uuid.RFC_4122)
    assert ids[0].int >> 80 <= ids[-1].int >> 80


# --- a single event: one statement on PostgreSQL (migration 0016), same guarantees --------------


@pytest.mark.django_db(transaction=True)
def test_a_single_event_outside_a_transaction_gets_the_next_position_and_version():
    # transaction=True: autocommit, and the flush between tests removed the counter row
    first = events_append(events=[changed("a")], project=False)
    second = events_append(events=[changed("a")], project=False)
    third = events_append(events=[changed("b")], expected_versions={"b": 0}, project=False)
    assert [(e.position, e.aggregate_id, e.aggregate_version) for e in first + second + third] == [
        (1, "a", 1),
        (2, "a", 2),
        (3, "b", 1),
    ]
    stored = DomainEvent.objects.get(position=2)
    assert (stored.event_id, stored.data, stored.is_reversal) == (
        second[0].event_id,
        {"changes": {"city": "X"}},
        False,
    )
    assert PositionCounter.objects.get(name="events").last_position == 3


@pytest.mark.django_db(transaction=True)
def test_a_conflicting_single_event_outside_a_transaction_leaves_no_hole():
    events_append(events=[changed("a")], project=False)
    with pytest.raises(ConcurrencyError):  # version 1 is taken
        events_append(events=[changed("a")], expected_versions={"a": 0}, project=False)
    with pytest.raises(ConcurrencyError, match="behind the expected version 5"):
        events_append(events=[changed("a")], expected_versions={"a": 5}, project=False)
    with pytest.raises(IntegrityError):
        events_append(events=[changed("a")._replace(batch_id=999_999)], project=False)
    after = events_append(events=[changed("a")], expected_versions={"a": 1}, project=False)
    assert (after[0].position, after[0].aggregate_version) == (2, 2)
    assert list(DomainEvent.objects.values_list("position", flat=True)) == [1, 2]
    assert PositionCounter.objects.get(name="events").last_position == 2


def test_a_conflicting_single_event_inside_a_transaction_leaves_it_usable():
    with transaction.atomic():
        events_append(events=[changed("a")], project=False)
        with pytest.raises(ConcurrencyError):
            events_append(events=[changed("a")], expected_versions={"a": 0}, project=False)
        with pytest.raises(ConcurrencyError):
            events_append(events=[changed("a")], expected_versions={"a": 3}, project=False)
        after = events_append(events=[changed("b")], project=False)
    assert after[0].position == 2
    assert list(DomainEvent.objects.values_list("position", flat=True)) == [1, 2]


def test_a_single_event_keeps_its_given_id_time_and_reversal_link():
    import datetime as dt
    import uuid

    (original,) = events_append(events=[changed("a")], project=False)
    given = uuid.uuid4()
    occurred = dt.datetime(2026, 1, 2, 3, 4, 5)  # naive: taken as UTC, as in a batch
    (reversal,) = events_append(
        events=[
            NewEvent(
                aggregate_id="a",
                event_type="MemberChangedReversed",
                data={
                    "reverses_event_id": str(original.event_id),
                    "reverses_position": original.position,
                    "reverses_type": "MemberChanged",
                },
                reverses=original.position,
                event_id=given,
                occurred_at=occurred,
                metadata={"correlation": "c-1"},
            )
        ],
        project=False,
    )
    stored = DomainEvent.objects.get(position=reversal.position)
    assert (stored.event_id, stored.reverses_id, stored.is_reversal) == (given, 1, True)
    assert stored.occurred_at == occurred.replace(tzinfo=dt.UTC)
    assert stored.metadata == {"correlation": "c-1"}
    with pytest.raises(ConcurrencyError):  # an event is reversed at most once
        events_append(
            events=[NewEvent(**{**reversal_fields(stored), "event_id": None})], project=False
        )


def reversal_fields(stored: DomainEvent) -> dict:
    return {
        "aggregate_id": stored.aggregate_id,
        "event_type": stored.event_type,
        "data": stored.data,
        "reverses": stored.reverses_id,
    }
