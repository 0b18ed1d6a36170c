"""The 834 handler: mapping to events, member identity, idempotency, audits, malformed sets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edi_platform.x12.segments import Delimiters
from eventstore.inbound.hooks import RoutedSet, RoutingError, handler_for
from eventstore.ledger.events.mapping_834 import SEGMENT_MAP, Mapping834Error, member_aggregate_id
from eventstore.ledger.services.enrollment_834 import enrollment_834_apply, handle_834
from eventstore.ledger.services.projections import project_pending
from eventstore.models import DomainEvent, Enrollment, Member, ReconciliationReport
from tests.factories import TradingPartnerFactory
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


@pytest.fixture
def partner():
    return TradingPartnerFactory(code="ACME")


def ingest(name_or_bytes, partner):
    content = (
        name_or_bytes
        if isinstance(name_or_bytes, bytes)
        else (FIXTURES / name_or_bytes).read_bytes()
    )
    batch, header = synth.register_834(content, partner=partner)
    text = handle_834(
        RoutedSet(header=header, segments=synth.set_segments(content), delimiters=Delimiters())
    )
    project_pending()
    return batch, header, text


def types(batch) -> list[str]:
    return list(DomainEvent.objects.filter(batch=batch).values_list("event_type", flat=True))


def test_the_834_handler_is_registered_for_st01_834():
    assert handler_for("834") is handle_834


def test_mapping_table_covers_the_issue_elements():
    mapped = {(seg, q[1] if q else None, el) for _, seg, q, el, _ in SEGMENT_MAP}
    for needed in [
        ("INS", None, 1),
        ("INS", None, 2),
        ("INS", None, 3),
        ("INS", None, 4),
        ("INS", None, 5),
        ("REF", "0F", 2),
        ("REF", "1L", 2),
        ("NM1", "IL", 3),
        ("DMG", "D8", 2),
        ("DMG", "D8", 3),
        ("N3", None, 1),
        ("N4", None, 1),
        ("HD", None, 1),
        ("HD", None, 3),
        ("HD", None, 4),
        ("HD", None, 5),
        ("DTP", "348", 3),
        ("DTP", "349", 3),
        ("DTP", "356", 3),
        ("DTP", "357", 3),
        ("BGN", None, 8),
    ]:
        assert needed in mapped


def test_additions_create_members_and_enrollments_with_file_context(partner):
    batch, header, text = ingest("834_add_family.edi", partner)
    assert types(batch) == [
        "MemberAdded",
        "EnrollmentAdded",
        "EnrollmentAdded",
        "MemberAdded",
        "EnrollmentAdded",
        "MemberAdded",
        "EnrollmentAdded",
    ]
    assert text == "834: 7 events for 3 members"
    assert Member.objects.count() == 3 and Enrollment.objects.count() == 4
    event = DomainEvent.objects.filter(batch=batch).first()
    assert event.header_id == header.pk
    assert event.metadata["ins_position"] == 5  # INS is the 5th segment of the set (ST = 1)
    assert event.metadata["st02"] == "0101"
    assert event.occurred_at == dt.datetime(2024, 1, 5, 12, 0, tzinfo=dt.UTC)
    jane = Member.objects.get(relationship="18")
    assert (jane.last_name, jane.birth_date, jane.city) == (
        "DOE",
        dt.date(1980, 1, 1),
        "SPRINGFIELD",
    )
    assert set(jane.enrollments.values_list("coverage_key", "plan")) == {
        ("HLT", "GOLD"),
        ("DEN", "BASIC"),
    }


def test_member_identity_is_partner_subscriber_and_person_without_phi(partner):
    ingest("834_add_family.edi", partner)
    ids = set(Member.objects.values_list("aggregate_id", flat=True))
    assert member_aggregate_id("ACME", "SUB0001", "self") in ids
    assert member_aggregate_id("ACME", "SUB0001", "ref:SUB0001-03") in ids
    assert member_aggregate_id("ACME", "SUB0001", "rel:01:1979-02-02") in ids
    assert member_aggregate_id("OTHER", "SUB0001", "self") not in ids
    assert all("SUB0001" not in i and "DOE" not in i for i in ids)


def test_reingesting_the_same_content_adds_no_events(partner):
    _, header, _ = ingest("834_add_family.edi", partner)
    count = DomainEvent.objects.count()
    assert "already applied" in handle_834(
        RoutedSet(
            header=header,
            segments=synth.set_segments((FIXTURES / "834_add_family.edi").read_bytes()),
            delimiters=Delimiters(),
        )
    )
    # The same members sent again in a new interchange: nothing changed, nothing appended.
    again = (FIXTURES / "834_add_family.edi").read_bytes().replace(b"000000101", b"000000201")
    _, _, text = ingest(again, partner)
    assert DomainEvent.objects.count() == count
    assert "3 unchanged" in text


def test_changes_emit_only_the_differences(partner):
    ingest("834_add_family.edi", partner)
    batch, _, _ = ingest("834_change_address_plan.edi", partner)
    assert types(batch) == ["MemberChanged", "EnrollmentChanged"]
    changed = DomainEvent.objects.filter(batch=batch).first()
    assert set(changed.data["changes"]) == {"city", "maintenance_reason"}
    jane = Member.objects.get(relationship="18")
    assert jane.city == "CHICAGO"
    assert jane.enrollments.get(coverage_key="HLT").plan == "PLATINUM"
    assert jane.enrollments.get(coverage_key="DEN").plan == "BASIC"


def test_termination_ends_member_and_all_its_coverages(partner):
    ingest("834_add_family.edi", partner)
    batch, _, _ = ingest("834_terminate_spouse.edi", partner)
    assert types(batch) == ["EnrollmentTerminated", "MemberTerminated"]
    spouse = Member.objects.get(relationship="01")
    assert spouse.terminated and spouse.eligibility_end == dt.date(2024, 3, 31)
    assert spouse.enrollments.get().benefit_end == dt.date(2024, 3, 31)
    assert spouse.status(dt.date(2024, 3, 15)) == "ACTIVE"
    assert spouse.status(dt.date(2024, 4, 1)) == "TERMINATED"


def test_reinstatement_reopens_terminated_coverage(partner):
    ingest("834_add_family.edi", partner)
    ingest("834_terminate_spouse.edi", partner)
    reinstate = synth.build_834(
        [
            synth.member(
                "SUB0001",
                relationship="01",
                maintenance="025",
                last="DOE",
                first="JOHN",
                birth="19790202",
                gender="M",
                coverages=[],
            )
        ],
        isa13=106,
        date="20240415",
    )
    batch, _, _ = ingest(reinstate, partner)
    assert types(batch) == ["MemberReinstated", "EnrollmentReinstated"]
    spouse = Member.objects.get(relationship="01")
    assert not spouse.terminated and spouse.enrollments.get().benefit_end is None


def test_audit_file_produces_a_reconciliation_report_and_no_terminations(partner):
    ingest("834_add_family.edi", partner)
    before = DomainEvent.objects.count()
    batch, _, text = ingest("834_audit_full.edi", partner)
    assert DomainEvent.objects.count() == before
    report = ReconciliationReport.objects.get(batch=batch)
    assert f"reconciliation report {report.pk}" in text
    assert (
        report.members_in_file,
        report.matched,
        report.missing_from_projection,
        report.missing_from_file,
    ) == (2, 1, 1, 2)
    kinds = sorted(d["kind"] for d in report.details)
    assert kinds == ["missing_from_file", "missing_from_file", "missing_from_projection"]
    assert "DOE" not in str(report.details) and "SUB00" not in str(report.details)
    assert not Member.objects.filter(terminated=True).exists()


def test_malformed_set_adds_no_events_and_says_why_without_phi(partner):
    content = (FIXTURES / "834_malformed_date.edi").read_bytes()
    _, header = synth.register_834(content, partner=partner)
    with pytest.raises(RoutingError) as info:
        handle_834(
            RoutedSet(header=header, segments=synth.set_segments(content), delimiters=Delimiters())
        )
    assert "DMG02" in str(info.value) and "segment" in str(info.value)
    assert "19801399" not in str(info.value) and "LEE" not in str(info.value)
    assert DomainEvent.objects.count() == 0


def test_missing_subscriber_id_is_rejected(partner):
    content = synth.build_834([synth.member("SUB0003")]).replace(b"REF*0F*SUB0003~\n", b"")
    _, header = synth.register_834(content, partner=partner)
    with pytest.raises(Mapping834Error, match="REF\\*0F"):
        enrollment_834_apply(header=header, segments=synth.set_segments(content))


def test_handler_rereads_the_set_from_the_raw_file_when_no_segments_given(partner):
    content = (FIXTURES / "834_add_family.edi").read_bytes()
    _, header = synth.register_834(content, partner=partner)
    result = enrollment_834_apply(header=header)
    assert result.events == 7
