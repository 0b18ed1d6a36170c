"""276 → 277 from the claim registry: each claim status (accepted, rejected with our 277CA
reasons, paid / denied / revised with the 835's figures), by each key (our claim control
number; patient control number + provider + member + dates), not found, ambiguous (never
another claim), a dependent's claim, service lines answered line by line (2220D), one 277
per 276 set assembled at once (real time) and validated by our X212 guide."""

from __future__ import annotations

import pytest

from edi_platform import x12
from eventstore.inbound.services.ingest import ingest_bytes
from outbound.models import ProcessingOutcome
from outbound.services.assembly import outbound_assemble
from outbound.services.storage import outbound_storage
from tests.outbound.remittance.world import segs
from tests.support.synthetic_276 import build_276, inquiry, svc
from tests.support.synthetic_834 import member
from tests.support.synthetic_837 import Line, Person
from tests.support.synthetic_remittance import claim_result, document, line, payment

pytestmark = pytest.mark.django_db


def ask(world, *inquiries) -> list:
    """Send a 276 from the provider; the 277 it got (assembled at once for one inquiry)."""
    result = ingest_bytes(
        data=build_276(list(inquiries), isa13=world.next_isa13()), original_name="status.276"
    )
    assert result.status == "ACCEPTED", result.reason
    # a test's transaction never commits: assemble as the on-commit task would
    outbound_assemble(ignore_windows=True, response_type="277")
    (outcome,) = ProcessingOutcome.objects.filter(batch_id=result.batch, response_type="277")
    outcome.refresh_from_db()
    assert outcome.status == "ASSEMBLED", outcome.failure_reason
    file = outcome.outbound_file
    assert file.status == "PERSISTED", file.status_reason
    with outbound_storage().open(file.storage_path, "rb") as handle:
        data = handle.read()
    assert x12.validate_outbound(data) == []
    (tset,) = [t for ic in x12.read(data) for g in ic.groups for t in g.transaction_sets]
    return tset.segments


def stc(segments) -> list[str]:
    return [s.get(1) for s in segs(segments, "STC")]


def test_accepted_claim_by_claim_control_number_is_a2_in_real_time(
    world, django_capture_on_commit_callbacks
):
    (claim,) = world.accepted("P1")
    world.ack_of(claim)  # the 277CA is sent
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = ask(world, inquiry(icn=claim.payer_claim_control_number))
    assert callbacks  # assembly enqueued on commit
    assert stc(answer) == ["A2:20"]
    outcome = ProcessingOutcome.objects.get(response_type="277")
    assert outcome.due_at == outcome.created_at  # window 0: real time
    assert segs(answer, "REF", "1K")[0].get(2) == str(claim.payer_claim_control_number)
    assert segs(answer, "TRN")[0].elements[:2] == ["2", "TRACE1"]
    assert segs(answer, "BHT")[0].get(6) == "DG"


def test_accepted_claim_whose_277ca_waits_is_a1(world):
    (claim,) = world.accepted("P1")
    assert stc(ask(world, inquiry(icn=claim.payer_claim_control_number))) == ["A1:19"]


def test_by_patient_control_number_provider_member_and_dates(world):
    world.accepted("P1")
    answer = ask(world, inquiry(pcn="P1", dates="20250101-20250131"))
    assert stc(answer) == ["A1:19"]
    assert segs(answer, "REF", "EJ")[0].get(2) == "P1"


def test_rejected_claim_carries_the_277ca_reasons(world):
    world.enrol(member("SUB0001"))
    from tests.support.synthetic_837 import Claim as C
    from tests.support.synthetic_837 import Provider

    result = world.send("P", [Provider(claims=[C(pcn="R1", subscriber=Person(id="NOBODY"))])])
    assert result.status == "ACCEPTED"
    answer = ask(world, inquiry(pcn="R1", member_id="NOBODY"))
    assert stc(answer) == ["A7:33"]


@pytest.mark.parametrize(
    ("status", "lines", "expected"),
    [
        ("1", [line(co="20.00")], "F1:1"),
        ("4", [line(co="100.00", carc_co="96")], "F2:1"),
        ("22", [line(co="20.00")], "F3:1"),
    ],
)
def test_adjudicated_claim_is_finalized_with_the_835_figures(world, status, lines, expected):
    (claim,) = world.accepted("P1")
    doc = document(
        [payment([claim_result(claim.payer_claim_control_number, lines, status=status)],
                 trace="CHK77", method="CHK")]
    )  # fmt: skip
    world.remit(doc)
    answer = ask(world, inquiry(icn=claim.payer_claim_control_number))
    (seg,) = segs(answer, "STC")
    assert seg.get(1) == expected
    paid = "0" if status == "4" else "80"
    assert (seg.get(4), seg.get(5), seg.get(6), seg.get(8), seg.get(9)) == (
        "100",
        paid,
        "20250201",
        "20250201",
        "CHK77",
    )


def test_adjudicated_twice_is_revised(world):
    (claim,) = world.accepted("P1")
    icn = claim.payer_claim_control_number
    world.remit(document([payment([claim_result(icn)], trace="T1")]))
    world.remit(document([payment([claim_result(icn, [line(co="10.00")])], trace="T2")]))
    assert stc(ask(world, inquiry(icn=icn))) == ["F3:1"]


def test_not_found_by_each_key(world):
    world.accepted("P1")
    answer = ask(
        world,
        inquiry(icn=987654321, trace="T1"),
        inquiry(pcn="NOPE", trace="T2"),
        inquiry(pcn="P1", member_id="SUB9999", trace="T3"),  # another member
        inquiry(pcn="P1", dates="20240101", trace="T4"),  # other dates
    )
    assert stc(answer) == ["A4:35"] * 4
    assert not segs(answer, "REF", "1K")


def test_another_partners_claim_is_not_found(world):
    (claim,) = world.accepted("P1")
    from tests.factories import TradingPartnerFactory

    TradingPartnerFactory(
        code="OTHER", their_isa_id="OTHER01", their_gs_code="OTHER01", our_isa_id="EDIPLATFORM"
    )
    data = build_276(
        [inquiry(icn=claim.payer_claim_control_number)], isa13=world.next_isa13(), sender="OTHER01"
    )
    result = ingest_bytes(data=data, original_name="status.276")
    assert result.status == "ACCEPTED", result.reason
    outcome = ProcessingOutcome.objects.get(batch_id=result.batch, response_type="277")
    answered = [seg for seg in outcome.payload["segments"] if seg[0] in ("STC", "REF")]
    assert answered == [["STC", ["A4", "35"], answered[0][2]]]


def test_ambiguous_claims_are_not_found(world):
    from outbound.models import ClaimEditSetting

    world.accepted("P1")
    # a second accepted claim with the same keys (the partner switched the duplicate edit off)
    ClaimEditSetting.objects.create(partner=world.provider, edit="DUPLICATE", enabled=False)
    world.accepted("P1")
    answer = ask(world, inquiry(pcn="P1"))
    assert stc(answer) == ["A4:35"]


def test_dependent_claim_by_patient_first_name(world):
    world.enrol(
        member("SUB0001"), member("SUB0001", relationship="19", first="KIM", birth="20120303")
    )
    world._enrolled = True
    kid = Person(last="DOE", first="KIM", birth="20120303")
    world.accepted("K1", patient=kid, lines=[Line()])
    assert stc(ask(world, inquiry(pcn="K1", dependent="KIM"))) == ["A1:19"]
    assert stc(ask(world, inquiry(pcn="K1", dependent="JIM"))) == ["A4:35"]
    assert stc(ask(world, inquiry(pcn="K1"))) == ["A4:35"]  # asked as the subscriber's claim


def line_answers(segments) -> list[tuple]:
    """(SVC01, SVC02, SVC03, STC01, STC04, STC05, REF*FJ) of each 2220 loop, in order."""
    out: list[list] = []
    for seg in segments:
        if seg.id == "SVC":
            out.append([seg.get(1), seg.get(2), seg.get(3)])
        elif out and seg.id == "STC" and len(out[-1]) == 3:
            out[-1] += [seg.get(1), seg.get(4), seg.get(5), ""]
        elif out and seg.id == "REF" and seg.get(1) == "FJ":
            out[-1][6] = seg.get(2)
    return [tuple(x) for x in out]


def test_service_lines_are_answered_each_with_its_adjudicated_status(world):
    (claim,) = world.accepted("P1")
    icn = claim.payer_claim_control_number
    lines = [
        line("100.00", co="20.00", control="L1"),
        line("50.00", co="50.00", carc_co="96", procedure="HC:99214:25"),
    ]
    world.remit(document([payment([claim_result(icn, lines)], trace="CHK5", method="CHK")]))
    asked = [
        svc("HC:99214", "50"),  # by procedure code (the adjudicated line has a modifier)
        svc("HC:99213", "100", control="L1"),  # by line item control number
        svc("HC:81000", "10"),  # no such line in the adjudication
    ]
    answer = ask(world, inquiry(icn=icn, lines=asked))
    assert stc(answer)[0] == "F1:1"  # the claim's own status first (2200D)
    assert line_answers(answer) == [
        ("HC:99214", "50", "0", "F2:1", "50", "0", ""),
        ("HC:99213", "100", "80", "F1:1", "100", "80", "L1"),
        ("HC:81000", "10", "0", "F0:0", "10", "0", ""),
    ]


def test_service_lines_of_a_claim_not_adjudicated_share_its_status(world):
    (claim,) = world.accepted("P1")
    world.ack_of(claim)
    answer = ask(world, inquiry(icn=claim.payer_claim_control_number, lines=[svc(control="LX9")]))
    assert line_answers(answer) == [("HC:99213", "100", "0", "A2:20", "100", "", "LX9")]
    assert [s.get(1) for s in segs(answer, "DTP")] == ["472", "472"]  # claim, then line


def test_a_predetermination_is_finalized_without_payment(world):
    (claim,) = world.accepted("P1")
    icn = claim.payer_claim_control_number
    world.remit(
        document([payment([claim_result(icn, [line(co="100.00")], status="25")], trace="N1")])
    )
    assert stc(ask(world, inquiry(icn=icn))) == ["F4:1"]
