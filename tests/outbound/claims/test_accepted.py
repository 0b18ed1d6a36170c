"""837P, 837I and 837D sets whose claims are all accepted: every claim is recorded with our
claim control number and answered A2:20 with REF*1K, per billing provider, in a 277CA that
passes our X214 validation (assembly quarantines it otherwise)."""

from __future__ import annotations

import pytest

from outbound.models import Claim, ClaimStatus
from tests.support.synthetic_834 import member
from tests.support.synthetic_837 import OTHER_NPI, Line, Person, Provider
from tests.support.synthetic_837 import Claim as C

pytestmark = pytest.mark.django_db

KID = Person(last="DOE", first="KIM", birth="20120303")


@pytest.mark.parametrize("kind", ["P", "I", "D"])
def test_every_claim_of_every_provider_is_accepted_and_numbered(world, kind):
    world.enrol(
        member("SUB0001"),
        member("SUB0001", relationship="19", first="KIM", birth="20120303"),
    )
    result = world.send(
        kind,
        [
            Provider(
                claims=[
                    C(pcn="P1", lines=[Line(control="LINE1"), Line(charge="25.50")]),
                    C(pcn="P2", patient=KID),
                ]
            ),
            Provider(npi=OTHER_NPI, name="OTHER CLINIC", claims=[C(pcn="P3", d9="CH0003")]),
        ],
    )
    assert result.status == "ACCEPTED", result.reason

    claims = world.claims(result)
    assert [(c.patient_control_number, c.status) for c in claims] == [
        ("P1", ClaimStatus.ACCEPTED),
        ("P2", ClaimStatus.ACCEPTED),
        ("P3", ClaimStatus.ACCEPTED),
    ]
    numbers = [c.payer_claim_control_number for c in claims]
    assert all(numbers) and len(set(numbers)) == 3
    p1, p2, p3 = claims
    assert p1.claim_type == kind and p1.line_count == 2 and str(p1.total_charge) == "125.50"
    assert p1.subscriber_member and p1.patient_member == p1.subscriber_member
    assert p2.patient_member and p2.patient_member != p2.subscriber_member
    assert not p2.patient_is_subscriber and p2.patient_first_name == "KIM"
    assert p3.billing_provider_npi == OTHER_NPI and p1.billing_provider_tax_id == "999000444"
    assert p1.bill_type == ("131" if kind == "I" else "")

    ack = world.ack(result)
    assert ack.all("BHT") and ack.all("BHT")[0].elements[:2] == ["0085", "08"]
    assert ack.all("BHT")[0].get(6) == "TH"
    assert [(s.get(8), s.get(9)) for s in ack.all("NM1", "85")] == [
        ("XX", "1234567893"),
        ("XX", OTHER_NPI),
    ]
    for claim in claims:
        segs = ack.claims()[claim.patient_control_number]
        assert ack.stc(claim.patient_control_number) == ["A2:20"]
        refs = {s.get(1): s.get(2) for s in segs if s.id == "REF"}
        assert refs["1K"] == str(claim.payer_claim_control_number)
        assert ("BLT" in refs) == (kind == "I")
    assert {s.get(1): s.get(2) for s in ack.claims()["P3"] if s.id == "REF"}["D9"] == "CH0003"
    assert [s.get(2) for s in ack.all("QTY", "90")] == ["3"]
    assert ack.all("TRN", "2")[0].get(2) == f"BATCH{result_isa13(result)}-1"
    assert Claim.objects.filter(outcome__isnull=True).count() == 0


def result_isa13(result) -> int:
    from eventstore.models import TransactionBatch

    return int(TransactionBatch.objects.get(pk=result.batch).isa13)
