"""Importing adjudication results: each claim status, partial payments, denials with
CARC/RARC, provider adjustments, several payments to one payee; the claims get their
adjudication and the 835 that carries it; the same file twice changes nothing."""

from __future__ import annotations

import datetime as dt
import gc

import pytest
from django.test import override_settings

from outbound.models import (
    Adjudication,
    Claim,
    ProcessingOutcome,
    RemittanceImport,
    RemittancePayment,
)
from outbound.remittance import services
from tests.outbound.remittance.world import segs
from tests.support.synthetic_remittance import claim_result, document, line, payment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["1", "2", "3", "4", "19", "20", "21", "22", "23", "25"])
def test_each_claim_status_is_imported_and_sent_in_a_balanced_835(world, status):
    (claim,) = world.accepted("P1")
    # a denial, and a predetermination (25), pay nothing: the whole charge is adjusted
    denied = status in ("4", "25")
    lines = [line(co="100.00", carc_co="96")] if denied else [line(co="15.00", pr="5.00")]
    result = world.remit(
        document([payment([claim_result(claim.payer_claim_control_number, lines, status=status)])])
    )
    assert result.created and result.claims == 1
    adjudication = Adjudication.objects.get(claim=claim)
    assert adjudication.status == status
    _, (remit,) = world.remits(result.outcome_ids)
    (clp,) = segs(remit, "CLP")
    assert clp.get(1) == "P1" and clp.get(2) == status
    assert clp.get(4) == ("0" if denied else "80")


def test_partial_payment_with_denied_line_carc_rarc_and_line_detail(world):
    (claim,) = world.accepted("P1")
    lines = [
        line("100.00", co="20.00", pr="10.00", control="LINE1"),
        line("50.00", co="50.00", carc_co="97", remarks=["M15"], procedure="HC:99214:25"),
    ]
    doc = document(
        [payment([claim_result(claim.payer_claim_control_number, lines, remarks=["N130"])])]
    )
    result = world.remit(doc)
    _, (remit,) = world.remits(result.outcome_ids)
    (clp,) = segs(remit, "CLP")
    assert (clp.get(3), clp.get(4), clp.get(5)) == ("150", "70", "10")
    assert [s.get(1) for s in segs(remit, "SVC")] == ["HC:99213", "HC:99214:25"]
    assert segs(remit, "REF", "6R")[0].get(2) == "LINE1"
    assert [s.get(2) for s in segs(remit, "LQ")] == ["M15"]
    assert segs(remit, "MOA")[0].get(3) == "N130"
    assert [s.elements[:3] for s in segs(remit, "CAS")] == [
        ["CO", "45", "20"],
        ["PR", "2", "10"],
        ["CO", "97", "50"],
    ]
    assert segs(remit, "AMT", "B6")[0].get(2) == "80"
    assert segs(remit, "DTM", "472")[0].get(2) == "20250110"
    assert segs(remit, "NM1", "QC")[0].get(9) == "SUB0001"


def test_provider_adjustments_interest_levy_and_forwarding_balance(world):
    (claim,) = world.accepted("P1")
    plb = [
        {"reason": "L6", "amount": "-2.50"},
        {"reason": "WU", "reference": "LEVY01", "amount": "10.00"},
        {"reason": "FB", "reference": "FWD01", "amount": "5.00"},
    ]
    doc = document([payment([claim_result(claim.payer_claim_control_number)], plb=plb)])
    result = world.remit(doc)
    assert str(RemittancePayment.objects.get().amount) == "87.50"
    _, (remit,) = world.remits(result.outcome_ids)
    (bpr,) = segs(remit, "BPR")
    assert bpr.get(2) == "87.5" and bpr.get(4) == "ACH"
    (plb_seg,) = segs(remit, "PLB")
    assert plb_seg.get(3) == "L6" and plb_seg.get(4) == "-2.5"
    assert plb_seg.get(5) == "WU:LEVY01" and plb_seg.get(6) == "10"


def test_a_recoupment_above_the_claims_paid_is_a_debit_by_eft(world):
    (claim,) = world.accepted("P1")
    plb = [{"reason": "WO", "reference": "OVERPAID1", "amount": "120.00"}]  # the claim pays 100
    doc = document([payment([claim_result(claim.payer_claim_control_number)], plb=plb)])
    result = world.remit(doc)
    assert str(RemittancePayment.objects.get().amount) == "-20.00"
    _, (remit,) = world.remits(result.outcome_ids)  # X221A1 + SNIP 3: balanced as a debit
    (bpr,) = segs(remit, "BPR")
    # BPR02 is never negative: the flag says the money goes from the payee to the payer
    assert bpr.elements[:5] == ["I", "20", "D", "ACH", "CCP"]
    assert bpr.get(13) and bpr.get(15), "the payee's bank data, which the debit takes from"


def test_a_reversal_alone_is_a_debit_that_balances(world):
    (claim,) = world.accepted("P1")
    reversed_line = line("-100.00", co="-15.00", pr="-5.00")
    reversal = claim_result(claim.payer_claim_control_number, [reversed_line], status="22")
    result = world.remit(document([payment([reversal], trace="EFT22")]))
    _, (remit,) = world.remits(result.outcome_ids)
    (bpr,) = segs(remit, "BPR")
    (clp,) = segs(remit, "CLP")
    assert (bpr.get(2), bpr.get(3)) == ("80", "D")
    assert (clp.get(2), clp.get(3), clp.get(4), clp.get(5)) == ("22", "-100", "-80", "-5")


def test_a_zero_payment_is_notification_only(world):
    (claim,) = world.accepted("P1")
    denied = claim_result(claim.payer_claim_control_number, [line(co="100.00", carc_co="96")])
    denied["status"] = "4"
    result = world.remit(document([payment([denied])]))
    _, (remit,) = world.remits(result.outcome_ids)
    (bpr,) = segs(remit, "BPR")
    assert bpr.elements[:4] == ["H", "0", "C", "NON"]


def test_several_payments_to_one_payee_are_one_835_set_each_in_one_file(world):
    claims = world.accepted("P1", "P2", "P3")
    doc = document(
        [
            payment([claim_result(claims[0].payer_claim_control_number)], trace="EFT1"),
            payment(
                [claim_result(c.payer_claim_control_number) for c in claims[1:]],
                trace="CHK2",
                method="CHK",
            ),
        ]
    )
    result = world.remit(doc)
    assert result.payments == 2
    files, (first, second) = world.remits(result.outcome_ids)
    assert len(files) == 1
    assert segs(first, "TRN")[0].get(2) == "EFT1" and len(segs(first, "CLP")) == 1
    assert segs(second, "TRN")[0].get(2) == "CHK2" and len(segs(second, "CLP")) == 2
    assert segs(second, "BPR")[0].get(1) == "C"


def test_claim_matched_by_patient_control_number_and_billing_npi(world):
    world.accepted("P1")
    item = claim_result(None, patient_control_number="P1", billing_npi="1234567893")
    result = world.remit(document([payment([item])]))
    assert Adjudication.objects.get().claim.patient_control_number == "P1"
    assert result.claims == 1


def test_the_same_file_twice_changes_nothing(world):
    (claim,) = world.accepted("P1")
    doc = document([payment([claim_result(claim.payer_claim_control_number)])])
    first = world.remit(doc)
    again = world.remit(doc)
    assert first.created and not again.created and again.import_id == first.import_id
    assert RemittanceImport.objects.count() == 1
    assert Adjudication.objects.count() == 1
    assert ProcessingOutcome.objects.filter(response_type="835").count() == 1


@override_settings(
    REMITTANCE_PAYER="TEST PLAN|123456789|1 PLAN WAY|HARTFORD|CT|06101|EDI HELP|8005551212"
)
def test_csv_pair_imports_like_json(world):
    claims = world.accepted("P1", "P2")
    head = (
        "payment_trace,payee_partner,payee_npi,payee_tin,payee_name,payment_method,"
        "payment_amount,payment_date,provider_adjustments,claim_control_number,"
        "patient_control_number,billing_npi,status,charge,paid,patient_responsibility,"
        "filing_indicator,payer_claim_id,statement_from,statement_to,adjustments,remarks\n"
    )
    rows = "".join(
        f"CHK9,PROV01,1234567893,,TEST CLINIC,CHK,157.50,2025-02-01,L6::-2.50,"
        f"{c.payer_claim_control_number},,,1,100.00,{paid},{pr},12,PAY{n},,,,\n"
        for n, (c, paid, pr) in enumerate(
            zip(claims, ("80.00", "75.00"), ("20.00", "25.00"), strict=True)
        )
    )
    lines = (
        "payment_trace,claim_row,procedure,charge,paid,units,date,control_number,allowed,"
        "adjustments,remarks\n"
        "CHK9,1,HC:99213,100.00,80.00,1,2025-01-10,L1,100.00,PR:1:20.00,\n"
        "CHK9,2,HC:99213,100.00,75.00,1,2025-01-10,,100.00,PR:2:25.00,M15\n"
    )
    from outbound.remittance.services import remittance_import

    result = remittance_import(
        data=(head + rows).encode(),
        lines_data=lines.encode(),
        name="claims.csv",
        acting_user=None,
    )
    assert result.created and result.claims == 2 and str(result.total_paid) == "157.50"
    _, (remit,) = world.remits(result.outcome_ids)
    assert segs(remit, "BPR")[0].get(2) == "157.5"


def test_claim_and_line_quantities_are_sent_as_qty(world):
    (claim,) = world.accepted("P1")
    item = line(co="15.00", pr="5.00")
    item["quantities"] = [{"qualifier": "ZK", "quantity": "2"}]
    result_ = claim_result(claim.payer_claim_control_number, [item])
    result_["quantities"] = [
        {"qualifier": "CA", "quantity": "3"},
        {"qualifier": "NE", "quantity": "1.5"},
    ]
    result = world.remit(document([payment([result_])]))
    _, (remit,) = world.remits(result.outcome_ids)  # X221A1: claim QTY, then line QTY
    assert [s.elements[:2] for s in segs(remit, "QTY")] == [["CA", "3"], ["NE", "1.5"], ["ZK", "2"]]
    ids = [s.id for s in remit]
    assert ids.index("QTY") > ids.index("DTM") and ids.index("QTY") < ids.index("SVC")


def test_a_line_quantity_the_guide_lists_for_claims_only_is_refused(world):
    from outbound.remittance.services import RemittanceRefused

    (claim,) = world.accepted("P1")
    item = line()
    item["quantities"] = [{"qualifier": "CA", "quantity": "1"}]
    with pytest.raises(RemittanceRefused) as caught:
        world.remit(document([payment([claim_result(claim.payer_claim_control_number, [item])])]))
    assert caught.value.messages == [
        "payment 1 (trace EFT0001), claim 1, line 1, quantity 1: qualifier must be one of "
        "ZK, ZL, ZM, ZN, ZO"
    ]


def test_csv_pair_carries_claim_and_line_quantities(world):
    from outbound.remittance.services import remittance_import

    (claim,) = world.accepted("P1")
    head = (
        "payment_trace,payee_partner,payee_npi,payee_tin,payee_name,payment_method,"
        "payment_amount,payment_date,provider_adjustments,claim_control_number,"
        "patient_control_number,billing_npi,status,charge,paid,patient_responsibility,"
        "filing_indicator,payer_claim_id,statement_from,statement_to,adjustments,remarks,"
        "quantities\n"
        f"CHK7,PROV01,1234567893,,CLINIC,CHK,80.00,2025-02-01,,{claim.payer_claim_control_number},"
        ",,1,100.00,80.00,20.00,12,PAY1,,,,,CA:1;VS:2\n"
    )
    lines = (
        "payment_trace,claim_row,procedure,charge,paid,units,date,control_number,allowed,"
        "adjustments,remarks,quantities\n"
        "CHK7,1,HC:99213,100.00,80.00,1,2025-01-10,,100.00,PR:1:20.00,,ZL:4\n"
    )
    with override_settings(
        REMITTANCE_PAYER="TEST PLAN|123456789|1 PLAN WAY|HARTFORD|CT|06101|EDI HELP|8005551212"
    ):
        result = remittance_import(
            data=head.encode(), lines_data=lines.encode(), name="c.csv", acting_user=None
        )
    _, (remit,) = world.remits(result.outcome_ids)
    assert [s.elements[:2] for s in segs(remit, "QTY")] == [["CA", "1"], ["VS", "2"], ["ZL", "4"]]


def test_import_reads_and_writes_with_the_cyclic_collector_paused_and_restores_it(
    world, monkeypatch
):
    # 10^4 claims are ~10^6 live objects: a collector left on re-scans them again and again
    seen: list[bool] = []
    real_read, real_write = services.read_json, services._write

    def read(data):
        seen.append(gc.isenabled())
        return real_read(data)

    def write(*args, **kwargs):
        seen.append(gc.isenabled())
        return real_write(*args, **kwargs)

    monkeypatch.setattr(services, "read_json", read)
    monkeypatch.setattr(services, "_write", write)
    (claim,) = world.accepted("P1")
    doc = document([payment([claim_result(claim.payer_claim_control_number, [line()])])])
    assert gc.isenabled()
    assert world.remit(doc).created
    assert seen == [False, False]
    assert gc.isenabled()
    # a refused file (unknown claim) leaves the collector on too
    with pytest.raises(services.RemittanceRefused):
        world.remit(document([payment([claim_result(999_999_999, [line()])], trace="T2")]))
    assert gc.isenabled()


@override_settings(TIME_ZONE="America/New_York")
def test_the_835_dates_the_claims_receipt_by_the_local_day_of_its_arrival(world):
    # 03:00 UTC on January 2 is still January 1 in New York: the day the payer received it
    (claim,) = world.accepted("P1")
    Claim.objects.filter(pk=claim.pk).update(
        received_at=dt.datetime(2026, 1, 2, 3, 0, tzinfo=dt.UTC)
    )
    result = world.remit(
        document([payment([claim_result(claim.payer_claim_control_number, [line()])])])
    )
    _, (remit,) = world.remits(result.outcome_ids)
    assert segs(remit, "DTM", "050")[0].get(2) == "20260101"
