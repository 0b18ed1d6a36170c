"""Bad adjudication results are refused whole, with one message per problem that says
where it is and, for numbers, the difference: unknown claims, unknown or expired codes,
unbalanced lines, claims and payments, a trace number used twice. Nothing is half-imported.
"""

from __future__ import annotations

import pytest

from outbound.models import Adjudication, ProcessingOutcome, RemittanceImport
from outbound.remittance.services import RemittanceRefused
from tests.support.synthetic_remittance import claim_result, document, line, payment

pytestmark = pytest.mark.django_db


def refused(world, doc) -> list[str]:
    with pytest.raises(RemittanceRefused) as caught:
        world.remit(doc)
    assert RemittanceImport.objects.count() == 0 or caught.value.messages
    return caught.value.messages


def nothing_written(before_imports: int = 0) -> None:
    assert RemittanceImport.objects.count() == before_imports
    assert Adjudication.objects.count() == 0
    assert not ProcessingOutcome.objects.filter(response_type="835").exists()


def test_unbalanced_line_names_the_line_and_the_difference(world):
    claims = world.accepted("P1", "P2")
    good = claim_result(claims[0].payer_claim_control_number)
    bad_line = line("100.00", paid="85.00", co="20.00")  # 100 − 85 ≠ 20
    bad = claim_result(claims[1].payer_claim_control_number, [bad_line])
    messages = refused(world, document([payment([good, bad])]))
    assert any(
        m.startswith("payment 1 (trace EFT0001), claim 2")
        and "line 1: charge − paid is 15.00, the guide requires 20.00 (difference -5.00)" in m
        for m in messages
    ), messages
    nothing_written()


def test_unbalanced_claim_and_patient_responsibility(world):
    (claim,) = world.accepted("P1")
    item = claim_result(claim.payer_claim_control_number, [line(co="20.00")])
    item["paid"] = "70.00"  # the line pays 80
    item["patient_responsibility"] = "5.00"  # no PR adjustment
    messages = refused(world, document([payment([item], amount="70.00")]))
    text = "\n".join(messages)
    assert "charge − paid (CLP03 − CLP04) is 30.00, the guide requires 20.00" in text
    assert "patient responsibility (CLP05) is 5.00, the guide requires 0" in text
    nothing_written()


def test_unbalanced_payment_names_bpr02(world):
    (claim,) = world.accepted("P1")
    doc = document(
        [
            payment(
                [claim_result(claim.payer_claim_control_number)],
                plb=[{"reason": "L6", "amount": "-1.00"}],
                amount="80.00",
            )
        ]
    )
    (message,) = refused(world, doc)
    assert message == (
        "payment 1 (trace EFT0001): the payment amount (BPR02) is 80.00, the guide requires "
        "101.00 (difference -21.00) = the claims paid − the provider adjustments"
    )
    nothing_written()


def test_a_debit_by_check_is_refused(world):
    (claim,) = world.accepted("P1")
    plb = [{"reason": "WO", "reference": "OVERPAID1", "amount": "120.00"}]
    doc = document(
        [payment([claim_result(claim.payer_claim_control_number)], plb=plb, method="CHK")]
    )
    (message,) = refused(world, doc)
    assert message == (
        "payment 1 (trace EFT0001): a negative amount is a debit of the payee's account "
        "(BPR03 D): method ACH with bank data, or carry the balance forward (PLB FB)"
    )
    nothing_written()


def test_unknown_claims_by_each_key(world):
    world.accepted("P1")
    doc = document(
        [
            payment(
                [
                    claim_result(99999999),
                    claim_result(None, patient_control_number="NOPE", billing_npi="1234567893"),
                ]
            )
        ]
    )
    messages = refused(world, doc)
    assert messages == [
        "payment 1 (trace EFT0001), claim 1 (claim control number 99999999): no claim has "
        "this claim control number",
        "payment 1 (trace EFT0001), claim 2: no accepted claim has this patient control "
        "number and billing NPI",
    ]
    nothing_written()


def test_unknown_and_expired_codes_are_judged_on_the_service_date(world):
    (claim,) = world.accepted("P1")
    lines = [line(co="20.00", carc_co="ZZ9", remarks=["XX999"])]
    item = claim_result(
        claim.payer_claim_control_number,
        lines,
        claim_adjustments=[{"group": "CR", "reason": "45", "amount": "0.00"}],
    )
    messages = refused(world, document([payment([item])]))
    text = "\n".join(messages)
    assert "adjustment 1: group code CR is not effective after 2011-12-31" in text
    assert "line 1, adjustment 1: CARC ZZ9 is not in our CARC list" in text
    assert "line 1: RARC XX999 is not in our RARC list" in text
    nothing_written()


def test_a_claim_of_another_partner_is_refused(world):
    (claim,) = world.accepted("P1")
    from tests.factories import TradingPartnerFactory

    TradingPartnerFactory(code="OTHER")
    doc = document([payment([claim_result(claim.payer_claim_control_number)], partner="OTHER")])
    (message,) = refused(world, doc)
    assert message.endswith("the claim was sent by another partner than the payee")


def test_a_trace_number_is_used_once_per_payee(world):
    claims = world.accepted("P1", "P2")
    world.remit(document([payment([claim_result(claims[0].payer_claim_control_number)])]))
    doc = document([payment([claim_result(claims[1].payer_claim_control_number)])])
    (message,) = refused(world, doc)
    assert "trace number already imported (import" in message
    assert RemittanceImport.objects.count() == 1 and Adjudication.objects.count() == 1


def test_malformed_json_and_missing_fields(world):
    from outbound.remittance.services import remittance_import

    with pytest.raises(RemittanceRefused) as caught:
        remittance_import(data=b"{not json", name="x.json", acting_user=None)
    assert caught.value.messages[0].startswith("not valid JSON")
    doc = document([{"payee": {"partner": "PROV01"}, "claims": [{"status": "9"}]}])
    messages = refused(world, doc)
    text = "\n".join(messages)
    assert "payment 1, payee: npi is missing" in text
    assert "payment 1: trace is missing" in text
    assert "payment 1, claim 1: status must be one of 1, 2, 3, 4, 19, 20, 21, 22, 23" in text
    assert "payment 1: amount is missing" in text
    assert "payment 1: date is missing" in text
