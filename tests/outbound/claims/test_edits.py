"""Each edit of the table on its own, through the whole loop (834 members, 837 in, registry,
277CA out): the claim's status and reasons, and the STC the 277CA carries; the business
edits switched off per partner; duplicates across files and within one file; a replacement
of an accepted claim."""

from __future__ import annotations

import datetime as dt

import pytest

from edi_platform.partners.models import SnipLevel
from outbound.models import Claim, ClaimEditSetting, ClaimStatus, ProcessingOutcome
from tests.support.synthetic_834 import member
from tests.support.synthetic_837 import Claim as C
from tests.support.synthetic_837 import Line, Person, Provider

pytestmark = pytest.mark.django_db

KID = Person(last="DOE", first="KIM", birth="20120303")


def one(world, kind="P", **claim):
    """Send one claim; returns (its registry row, its STC01s in the 277CA or None)."""
    result = world.send(kind, [Provider(claims=[C(**claim)])])
    assert result.status == "ACCEPTED", result.reason
    (row,) = world.claims(result)
    return row, world.ack(result).stc(row.patient_control_number)


def edits_of(row: Claim) -> list[str]:
    return [r[0] for r in row.reasons]


@pytest.mark.parametrize("kind", ["P", "I", "D"])
def test_subscriber_unknown(world, kind):
    world.enrol()
    row, stc = one(world, kind, subscriber=Person(id="NOBODY01"))
    assert row.status == ClaimStatus.REJECTED and edits_of(row) == ["SUBSCRIBER_UNKNOWN"]
    assert stc == ["A7:33"] and row.payer_claim_control_number is None
    assert "subscriber and subscriber id not found" in row.reason and "NOBODY" not in row.reason


def test_subscriber_with_another_last_name_is_not_matched(world):
    world.enrol()
    row, _stc = one(world, subscriber=Person(last="SMITH"))
    assert edits_of(row) == ["SUBSCRIBER_UNKNOWN"] and row.subscriber_member == ""


def test_patient_unknown_in_the_subscribers_family(world):
    world.enrol(member("SUB0001"), member("SUB0001", relationship="19", first="KIM"))
    row, stc = one(world, patient=Person(last="DOE", first="LEE", birth="20120303"))
    assert edits_of(row) == ["PATIENT_UNKNOWN"] and stc == ["A7:26:QC"]
    assert row.subscriber_member and not row.patient_member


def test_not_eligible_on_the_dates_of_service(world):
    ended = [{"line": "HLT", "plan": "GOLD", "begin": "20240101", "end": "20241231"}]
    world.enrol(member("SUB0001", coverages=ended))
    row, stc = one(world, lines=[Line(date="20250110")])
    assert edits_of(row) == ["NOT_ELIGIBLE"] and stc == ["A3:88:QC"]
    # the same member on a day they were covered is accepted
    row, stc = one(world, pcn="PCN0002", lines=[Line(date="20241115")])
    assert row.status == ClaimStatus.ACCEPTED and stc == ["A2:20"]


def test_a_dependent_is_eligible_on_their_own_coverage(world):
    ended = [{"line": "HLT", "plan": "GOLD", "begin": "20240101", "end": "20240630"}]
    world.enrol(
        member("SUB0001"),
        member("SUB0001", relationship="19", first="KIM", birth="20120303", coverages=ended),
    )
    row, _stc = one(world, patient=KID, lines=[Line(date="20250110")])
    assert edits_of(row) == ["NOT_ELIGIBLE"]


def test_duplicate_of_a_claim_accepted_in_an_earlier_file(world):
    world.enrol()
    first, _ = one(world)
    assert first.status == ClaimStatus.ACCEPTED
    again, stc = one(world)
    assert edits_of(again) == ["DUPLICATE"] and stc == ["A3:54"]
    assert again.duplicate_of == first.pk
    # another charge, another day or another provider is not a duplicate
    other, _ = one(world, lines=[Line(charge="99.00")])
    assert other.status == ClaimStatus.ACCEPTED


def test_duplicates_within_one_file_and_set_keep_the_first(world):
    world.enrol()
    result = world.send("P", [Provider(claims=[C(), C()])], [Provider(claims=[C()])])
    rows = world.claims(result)
    assert [r.status for r in rows] == [
        ClaimStatus.ACCEPTED,
        ClaimStatus.REJECTED,
        ClaimStatus.REJECTED,
    ]
    assert [edits_of(r) for r in rows[1:]] == [["DUPLICATE"], ["DUPLICATE"]]


def test_a_replacement_of_an_accepted_claim_is_accepted_and_linked(world):
    world.enrol()
    original, _ = one(world)
    number = str(original.payer_claim_control_number)
    replacement, stc = one(world, frequency="7", original=number)
    assert replacement.status == ClaimStatus.ACCEPTED and stc == ["A2:20"]
    assert replacement.replaces == original.pk and replacement.frequency_code == "7"
    # not a duplicate either (frequency 7), and it gets its own number
    assert replacement.payer_claim_control_number != original.payer_claim_control_number


def test_a_replacement_of_a_claim_we_do_not_know_is_rejected(world):
    world.enrol()
    row, stc = one(world, frequency="7", original="999999")
    assert edits_of(row) == ["ORIGINAL_NOT_FOUND"] and stc == ["A7:464"]
    row, stc = one(world, pcn="PCN0002", frequency="8")  # no REF*F8 at all
    assert edits_of(row) == ["ORIGINAL_NOT_FOUND"]


def test_future_dates_on_a_line_are_answered_at_the_line(world):
    world.enrol()
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).strftime("%Y%m%d")
    row, stc = one(world, lines=[Line(charge="60.00"), Line(charge="40.00", date=tomorrow)])
    assert edits_of(row) == ["FUTURE_DATE"] and row.reasons[0][4] == [2] and stc == ["A7:187"]
    ack = world.ack_of(row)
    svc = [s for s in ack.claims()[row.patient_control_number] if s.id in ("SVC", "STC")]
    assert [s.id for s in svc] == ["STC", "SVC", "STC"]
    assert svc[1].get(1) == "HC:99213" and svc[1].get(2) == "40" and svc[2].get(3) == "U"


def test_total_charge_not_the_sum_of_the_lines(world):
    world.enrol()
    row, stc = one(world, charge="150.00", lines=[Line(charge="100.00"), Line(charge="40.00")])
    assert edits_of(row) == ["OUT_OF_BALANCE"] and stc == ["A7:400"]


def test_several_reasons_give_one_stc_each(world):
    world.enrol()
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).strftime("%Y%m%d")
    row, stc = one(
        world,
        charge="1.00",
        subscriber=Person(id="NOBODY01"),
        dates="",
        lines=[Line(date=tomorrow)],
    )
    assert edits_of(row) == ["SUBSCRIBER_UNKNOWN", "FUTURE_DATE", "OUT_OF_BALANCE"]
    assert stc == ["A7:33", "A7:187", "A7:400"]


def test_business_edits_switched_off_for_a_partner(world):
    world.enrol()
    ClaimEditSetting.objects.create(
        partner=world.provider, edit="SUBSCRIBER_UNKNOWN", enabled=False
    )
    ClaimEditSetting.objects.create(partner=world.provider, edit="OUT_OF_BALANCE", enabled=True)
    row, stc = one(world, subscriber=Person(id="NOBODY01"))
    assert row.status == ClaimStatus.ACCEPTED and stc == ["A2:20"]
    row, stc = one(world, pcn="PCN0002", charge="1.00")
    assert edits_of(row) == ["OUT_OF_BALANCE"]
    # another partner keeps every edit on
    ClaimEditSetting.objects.filter(partner=world.provider).delete()
    row, _ = one(world, pcn="PCN0003", subscriber=Person(id="NOBODY01"))
    assert edits_of(row) == ["SUBSCRIBER_UNKNOWN"]


def test_billing_provider_npi_with_a_wrong_check_digit(world):
    world.enrol()
    # code sets checked (SNIP 5): the 999 already refuses the NPI, the whole set
    result = world.send("P", [Provider(npi="1234567890")])
    (row,) = world.claims(result)
    assert result.status == "REJECTED" and row.status == ClaimStatus.REJECTED_999
    # code sets off for this partner: the claim edit answers it in the 277CA
    world.provider.code_sets = False
    world.provider.save()
    result = world.send("P", [Provider(npi="1234567890")])
    (row,) = world.claims(result)
    assert edits_of(row) == ["NPI_INVALID"]
    assert world.ack(result).stc(row.patient_control_number) == ["A7:562:85"]


def test_duplicates_across_chunks_of_a_large_file(world, settings):
    from eventstore.inbound.hooks import BulkHandler, handler_for, register_handler

    settings.INBOUND_SINGLE_TRANSACTION_MAX_BYTES = 0  # two phases: each chunk commits
    real = handler_for("837")
    register_handler("837", BulkHandler(handle=real.handle, rejected_sets=True, chunk_sets=2))
    try:
        world.enrol()
        sets = [[Provider(claims=[C(pcn=f"P{n}")])] for n in range(4)] + [[Provider()]] * 2
        result = world.send("P", *sets)
    finally:
        register_handler("837", real)
    rows = world.claims(result)
    assert [r.status for r in rows].count(ClaimStatus.ACCEPTED) == 5
    assert edits_of(rows[-1]) == ["DUPLICATE"] and rows[-1].duplicate_of == rows[-2].pk


def test_at_snip_4_an_unbalanced_claim_is_rejected_by_the_999(world):
    """The partner's SNIP level decides who answers a balancing error: the 999 (the whole
    set) at 3 and above, the 277CA (that claim) at 2."""
    world.enrol()
    world.provider.snip_level = SnipLevel.SITUATIONAL
    world.provider.save()
    result = world.send(
        "P",
        [Provider(claims=[C(pcn="OK1"), C(pcn="BAD1", charge="1.00")])],
    )
    assert result.status == "REJECTED"
    rows = world.claims(result)
    assert [r.status for r in rows] == [ClaimStatus.REJECTED_999] * 2
    assert all(r.payer_claim_control_number is None for r in rows)
    assert not ProcessingOutcome.objects.filter(batch_id=result.batch, response_type="277CA")
