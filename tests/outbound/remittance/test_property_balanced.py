"""Property: any balanced remittance we can generate (claims of any status with lines,
claim- and line-level adjustments in every group, provider adjustments of either sign,
recoupments above the claims paid (a debit), several payments) passes our checks,
renders to 835s our X221A1 guide accepts with SNIP 3 balancing, and balances again when
the file is read back by our reader. Pure (no database): the responder's renderer on the
import's own content."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_platform import x12
from edi_platform.x12.segments import Delimiters
from outbound.remittance.balancing import payment_problems
from outbound.remittance.parsing import read_json
from outbound.remittance.response import payer_defaults, payment_content
from outbound.responders.r835 import render
from tests.support.synthetic_remittance import claim_result, document, encode, line, payment

CENTS = st.integers(min_value=0, max_value=500_000).map(lambda c: Decimal(c) / 100)
CARC = st.sampled_from(["1", "2", "3", "45", "96", "97", "253"])
ENV = x12.EnvelopeParams(
    sender_qualifier="ZZ",
    sender_id="EDIPLATFORM",
    receiver_qualifier="ZZ",
    receiver_id="PROVIDER01",
    sender_gs_code="EDIPLATFORM",
    receiver_gs_code="PROVIDER01",
    usage_indicator="T",
    delimiters=Delimiters(),
    isa13=1,
    gs06=1,
    timestamp=dt.datetime(2026, 1, 1),
)


@st.composite
def a_line(draw):
    charge = draw(CENTS) + Decimal("0.01")
    co = min(draw(CENTS), charge)
    pr = min(draw(CENTS), charge - co)
    return line(
        str(charge),
        co=str(co),
        pr=str(pr),
        carc_co=draw(CARC),
        carc_pr=draw(st.sampled_from(["1", "2", "3"])),
        remarks=draw(st.lists(st.sampled_from(["M15", "N130", "MA130"]), max_size=2)),
    )


@st.composite
def a_claim(draw, n: int):
    lines = draw(st.lists(a_line(), min_size=1, max_size=4))
    paid = sum(Decimal(x["paid"]) for x in lines)
    claim_level = []
    take = min(draw(CENTS), paid)
    if take:
        group = draw(st.sampled_from(["CO", "OA", "PI", "PR"]))
        claim_level.append({"group": group, "reason": draw(CARC), "amount": str(take)})
    status = draw(st.sampled_from(["1", "2", "3", "19", "20", "21", "22", "23"]))
    return claim_result(1000 + n, lines, status=status, claim_adjustments=claim_level)


@st.composite
def a_payment(draw, n: int):
    claims = [draw(a_claim(n * 100 + i)) for i in range(draw(st.integers(1, 5)))]
    paid = sum(Decimal(c["paid"]) for c in claims)
    plb = []
    method = draw(st.sampled_from(["ACH", "CHK"]))
    for reason in draw(st.lists(st.sampled_from(["L6", "WU", "FB", "WO"]), max_size=3)):
        # an EFT may recoup more than the claims pay: a debit of the payee (BPR03 D)
        value = (
            -draw(CENTS)
            if reason == "L6"
            else draw(CENTS)
            if method == "ACH"
            else min(draw(CENTS), paid)
        )
        paid -= value
        plb.append(
            {"reason": reason, "reference": "R1" if reason != "L6" else "", "amount": str(value)}
        )
    return payment(claims, trace=f"T{n}", method=method, plb=plb)


def _read_back_balances(data: bytes) -> int:
    """Re-add every set's numbers from the file as read: lines, claims and the payment."""
    sets = 0
    for ic in x12.read(data):
        for group in ic.groups:
            for tset in group.transaction_sets:
                sets += 1
                segs = tset.segments
                bpr = next(s for s in segs if s.id == "BPR")
                clp_total = Decimal(0)
                plb_total = Decimal(0)
                current = None  # [charge, paid, adjustments] of the open CLP / SVC
                claim = None
                for seg in segs:
                    if seg.id == "CLP":
                        _close(claim)
                        claim = [Decimal(seg.get(3)), Decimal(seg.get(4)), Decimal(0)]
                        current = claim
                        clp_total += claim[1]
                    elif seg.id == "SVC":
                        _close(current if current is not claim else None)
                        current = [Decimal(seg.get(2)), Decimal(seg.get(3)), Decimal(0)]
                        claim.append(current)
                    elif seg.id == "CAS":
                        total = sum(Decimal(seg.get(i)) for i in range(3, 19, 3) if seg.get(i))
                        current[2] += total
                        if current is not claim:
                            claim[2] += total
                    elif seg.id == "PLB":
                        plb_total += sum(Decimal(seg.get(i)) for i in range(4, 15, 2) if seg.get(i))
                _close(claim)
                sign = -1 if bpr.get(3) == "D" else 1
                assert Decimal(bpr.get(2)) >= 0
                assert sign * Decimal(bpr.get(2)) == clp_total - plb_total
    return sets


def _close(item) -> None:
    if item is not None:
        assert item[0] - item[1] == item[2], item
        for sub in item[3:]:
            assert sub[0] - sub[1] == sub[2], sub


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3).flatmap(lambda k: st.tuples(*[a_payment(n) for n in range(k)])))
def test_balanced_remittance_gives_valid_835s_that_rebalance(payments):
    remittance = read_json(encode(document(list(payments))))
    assert [p for pay in remittance.payments for p in payment_problems(pay)] == []
    payer = payer_defaults(remittance.payer)
    contents = [
        payment_content(
            pay,
            payer=payer,
            receiver="PROVIDER01",
            produced=dt.date(2026, 1, 1),
            registry=[
                {
                    "pcn": f"PCN{c.claim_control_number}",
                    "patient": ["DOE", "JANE", "MI", "SUB0001"],
                    "subscriber": None,
                    "service_from": dt.date(2025, 1, 10),
                    "service_to": dt.date(2025, 1, 10),
                    "facility": "11",
                    "frequency": "1",
                    "received": dt.date(2025, 1, 12),
                }
                for c in pay.claims
            ],
        )
        for pay in remittance.payments
    ]
    st02s = [f"{n:04d}" for n in range(1, len(contents) + 1)]
    data = render(contents, ENV, st02s)
    assert x12.validate_outbound(data, snip_level=3) == []
    assert _read_back_balances(data) == len(contents)
