"""What the 999 says decides first: a set (or group) it rejects has its claims recorded as
rejected by it, with no 277CA (the 999 is their answer), the claim holding the finding
named; a set it accepts with errors has only the claim (or line) holding the finding
rejected in the 277CA; the others are judged by the edits as usual."""

from __future__ import annotations

import pytest

from eventstore.models import TransactionHeader
from outbound.models import ClaimStatus, ProcessingOutcome
from tests.outbound.claims.world import PROVIDER_SENDER
from tests.support.synthetic_837 import Claim as C
from tests.support.synthetic_837 import Line, Provider, build_837

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["P", "I", "D"])
def test_a_set_the_999_rejects_has_its_claims_recorded_without_a_277ca(world, kind):
    world.enrol()
    good = [Provider(claims=[C(pcn="GOOD1")])]
    bad = [Provider(claims=[C(pcn="BAD1"), C(pcn="BAD2", lines=[Line(date="20251340")])])]
    result = world.send(kind, good, bad)
    assert result.status == "PARTIALLY_ACCEPTED"
    rows = {r.patient_control_number: r for r in world.claims(result)}
    assert rows["GOOD1"].status == ClaimStatus.ACCEPTED
    assert rows["BAD1"].status == rows["BAD2"].status == ClaimStatus.REJECTED_999
    assert "DTP at position" in rows["BAD2"].reason and "IK4 8" in rows["BAD2"].reason
    assert "outside this claim" in rows["BAD1"].reason and "20251340" not in rows["BAD2"].reason
    assert rows["BAD1"].outcome_id is None and rows["BAD1"].payer_claim_control_number is None
    bad_header = TransactionHeader.objects.get(batch_id=result.batch, st02="0002")
    assert bad_header.verdict == "R" and bad_header.routing_status == "ROUTED"
    assert bad_header.routing_result.startswith("rejected by the 999: 2 claim(s)")
    owed = ProcessingOutcome.objects.filter(batch_id=result.batch, response_type="277CA")
    assert owed.count() == 1  # the good set's only
    ack = world.ack(result)
    assert set(ack.claims()) == {"GOOD1"}


def test_a_group_the_999_rejects_for_a_group_reason_rejects_its_accepted_sets(world):
    world.enrol()
    data = build_837("P", [[Provider()]], isa13=world.next_isa13(), sender=PROVIDER_SENDER)
    data = data.replace(b"GE*1*", b"GE*2*")  # a wrong set count: AK9 R, the set itself IK5 A
    from eventstore.inbound.services.ingest import ingest_bytes

    result = ingest_bytes(data=data, original_name="group.837")
    assert result.status == "REJECTED"
    (row,) = world.claims(result)
    assert row.status == ClaimStatus.REJECTED_999 and "functional group" in row.reason
    assert not ProcessingOutcome.objects.filter(batch_id=result.batch, response_type="277CA")


def test_a_finding_inside_one_claim_of_an_accepted_set_rejects_that_claim_only(world):
    world.enrol()
    result = world.send("P", [Provider(claims=[C(pcn="CLEAN1"), C(pcn="NOTUSED", clm04="Z")])])
    assert result.status == "ACCEPTED"
    header = TransactionHeader.objects.get(batch_id=result.batch)
    assert header.verdict == "E"  # accepted with errors: CLM04 is "not used" (IK403 I10)
    rows = {r.patient_control_number: r for r in world.claims(result)}
    assert rows["CLEAN1"].status == ClaimStatus.ACCEPTED
    assert rows["NOTUSED"].status == ClaimStatus.REJECTED
    assert [r[0] for r in rows["NOTUSED"].reasons] == ["GUIDE_FINDING"]
    assert "CLM at position" in rows["NOTUSED"].reason and "IK4 I10" in rows["NOTUSED"].reason
    ack = world.ack(result)
    assert ack.stc("CLEAN1") == ["A2:20"] and ack.stc("NOTUSED") == ["A7:21"]


def test_a_finding_inside_a_line_is_answered_at_that_line(world):
    world.enrol()
    data = build_837(
        "P",
        [[Provider(claims=[C(pcn="LINEERR", lines=[Line(charge="40.00"), Line(charge="60.00")])])]],
        isa13=world.next_isa13(),
        sender=PROVIDER_SENDER,
    ).replace(b"SV1*HC:99213*40.00*UN*1***1", b"SV1*HC:99213*40.00*UN*1**X*1")
    from eventstore.inbound.services.ingest import ingest_bytes

    result = ingest_bytes(data=data, original_name="line.837")
    (row,) = world.claims(result)
    assert row.reasons == [["GUIDE_FINDING", "A7", "21", "", [1]]]
    segs = world.ack(result).claims()["LINEERR"]
    svc = next(i for i, s in enumerate(segs) if s.id == "SVC")
    assert segs[svc].get(2) == "40" and segs[svc + 1].get(1) == "A7:21"
