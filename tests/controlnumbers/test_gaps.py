"""Gap detection: documented vs unexplained, severities, epochs, rollover, filters, window."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from controlnumbers.models import AuditStatus, ControlNumberAudit, ControlNumberCounter
from controlnumbers.selectors import gap_report
from controlnumbers.services import (
    ControlNumberExhausted,
    counter_reset,
    numbers_mark_failed,
    numbers_reissue,
)
from tests.controlnumbers.helpers import envelope, lose_numbers
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def partners():
    TradingPartnerFactory(code="PARTNERA")
    TradingPartnerFactory(code="PARTNERB")


def _isa():
    return ControlNumberCounter.objects.get(partner_code="PARTNERA", counter_type="ISA")


def test_consecutive_allocations_have_no_gaps():
    for _ in range(5):
        envelope(st_count=2)
    assert gap_report().gaps == []


@pytest.mark.parametrize(
    "lost, severity", [(1, "MINOR"), (2, "MODERATE"), (5, "MODERATE"), (6, "CRITICAL")]
)
def test_missing_numbers_are_unexplained_gaps_with_severity(lost, severity):
    envelope()
    envelope()
    lose_numbers("ISA", lost)
    after = envelope()
    (gap,) = gap_report(counter_type="ISA").gaps
    assert (gap.kind, gap.severity, gap.size) == ("unexplained", severity, lost)
    assert (gap.first_number, gap.last_number) == (3, 2 + lost)
    assert after.isa13 == 3 + lost
    assert gap.seen_at is not None


def test_failed_numbers_are_documented_gaps():
    envelope()
    failed = envelope(st_count=3)
    envelope()
    numbers_mark_failed(outbound_file_id=failed.outbound_file_id, reason="storage down")
    gaps = {g.counter_type: g for g in gap_report().gaps}
    assert {g.kind for g in gaps.values()} == {"documented"}
    assert (gaps["ISA"].first_number, gaps["ISA"].size, gaps["ISA"].severity) == (2, 1, "MINOR")
    assert (gaps["ST"].first_number, gaps["ST"].last_number) == (2, 4)
    assert gaps["ST"].severity == "MODERATE"


def test_consecutive_failed_files_form_one_documented_gap_and_reissue_closes_it():
    envelope()
    files = [envelope() for _ in range(6)]
    for env in files:
        numbers_mark_failed(outbound_file_id=env.outbound_file_id, reason="x")
    (gap,) = gap_report(counter_type="ISA").gaps
    assert (gap.first_number, gap.last_number, gap.severity) == (2, 7, "CRITICAL")
    assert gap.kind == "documented"
    for env in files:
        numbers_reissue(outbound_file_id=env.outbound_file_id)
    assert gap_report().gaps == []


def test_documented_and_unexplained_gaps_are_reported_side_by_side():
    envelope()
    failed = envelope()
    numbers_mark_failed(outbound_file_id=failed.outbound_file_id, reason="x")
    lose_numbers("ISA", 2)
    envelope()
    kinds = sorted((g.kind, g.first_number, g.size) for g in gap_report(counter_type="ISA").gaps)
    assert kinds == [("documented", 2, 1), ("unexplained", 3, 2)]
    totals = gap_report(counter_type="ISA").totals
    assert totals["documented"]["numbers"] == 1
    assert totals["unexplained"] == {
        "gaps": 1,
        "numbers": 2,
        "MINOR": 0,
        "MODERATE": 1,
        "CRITICAL": 0,
    }


def test_rollover_from_max_to_one_is_neither_a_gap_nor_negative(django_user_model):
    admin = django_user_model.objects.create_superuser("ops", "", "pw")
    envelope()
    counter_reset(
        counter_id=_isa().id, new_value=999_999_997, reason="near the end", acting_user=admin
    )
    assert [envelope().isa13 for _ in range(2)] == [999_999_998, 999_999_999]
    with pytest.raises(ControlNumberExhausted):
        envelope()
    counter_reset(
        counter_id=_isa().id,
        new_value=0,
        reason="agreed with partner A",
        acting_user=admin,
        rollover=True,
    )
    assert envelope().isa13 == 1
    assert envelope().isa13 == 2
    assert gap_report(counter_type="ISA").gaps == []
    epochs = ControlNumberAudit.objects.filter(counter=_isa()).values_list("epoch", flat=True)
    assert sorted(set(epochs)) == [1, 2, 3]


def test_a_forward_reset_is_not_a_gap(django_user_model):
    admin = django_user_model.objects.create_superuser("ops", "", "pw")
    envelope()
    counter_reset(counter_id=_isa().id, new_value=500, reason="align", acting_user=admin)
    assert envelope().isa13 == 501
    assert gap_report(counter_type="ISA").gaps == []


def test_a_gap_after_a_reset_is_found_in_the_new_epoch(django_user_model):
    admin = django_user_model.objects.create_superuser("ops", "", "pw")
    envelope()
    counter_reset(
        counter_id=_isa().id, new_value=0, reason="rollover", acting_user=admin, rollover=True
    )
    envelope()
    lose_numbers("ISA", 1)
    envelope()
    (gap,) = gap_report(counter_type="ISA").gaps
    assert (gap.epoch, gap.first_number, gap.kind) == (2, 2, "unexplained")


def test_filters_partner_transaction_and_counter_type():
    envelope("PARTNERA")
    lose_numbers("ISA", 1, partner="PARTNERA")
    envelope("PARTNERA")
    envelope("PARTNERB", "999")
    failed = envelope("PARTNERB", "999")
    numbers_mark_failed(outbound_file_id=failed.outbound_file_id, reason="x")
    assert {g.partner_code for g in gap_report(partner_code="PARTNERA").gaps} == {"PARTNERA"}
    assert {g.partner_code for g in gap_report(transaction_type="999").gaps} == {"PARTNERB"}
    assert {g.counter_type for g in gap_report(counter_type="GS").gaps} == {"GS"}
    assert len(gap_report().gaps) == 4  # A: ISA unexplained; B: ISA, GS, ST documented


def test_days_window_leaves_out_old_numbers():
    counter = ControlNumberCounter.objects.create(
        partner_code="PARTNERA", transaction_type="*", counter_type="ISA", current_value=10
    )
    old = timezone.now() - timedelta(days=40)
    for number in (1, 2, 5):  # gap 3-4, forty days ago
        ControlNumberAudit.objects.create(
            counter=counter,
            number=number,
            epoch=1,
            outbound_file_id=uuid.uuid4(),
            issued_at=old,
            status=AuditStatus.PERSISTED,
        )
    assert gap_report(days=30).gaps == []
    (gap,) = gap_report(days=60).gaps
    assert (gap.first_number, gap.last_number) == (3, 4)


def test_the_window_is_at_least_one_day_and_the_report_says_which_it_used():
    for days in (0, -3):
        with pytest.raises(ValueError) as refused:
            gap_report(days=days)
        assert str(refused.value) == "days must be >= 1"
    assert gap_report(days=1).days == 1
    assert gap_report(days=7).days == 7


def test_a_gap_as_a_row_carries_when_it_was_seen_in_iso_form_and_the_csv_uses_line_feeds():
    envelope()
    lose_numbers("ISA", 2)
    after = envelope()
    report = gap_report(counter_type="ISA")
    (gap,) = report.gaps
    seen = ControlNumberAudit.objects.get(
        outbound_file_id=after.outbound_file_id, counter__counter_type="ISA"
    ).issued_at
    assert gap.as_dict()["seen_at"] == seen.isoformat()
    assert gap.seen_at == seen and gap.seen_at.tzinfo is not None
    text = report.to_csv()
    assert "\r" not in text and text.endswith("\n") and len(text.splitlines()) == 2
    assert text.splitlines()[1].endswith(seen.isoformat())


def test_a_gap_seen_at_no_time_is_written_as_none():
    from dataclasses import replace

    envelope()
    lose_numbers("ISA", 1)
    envelope()
    (gap,) = gap_report(counter_type="ISA").gaps
    assert replace(gap, seen_at=None).as_dict()["seen_at"] is None
