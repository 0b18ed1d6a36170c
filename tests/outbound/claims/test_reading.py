"""Reading the claims of one 837 set (pure): our own fixtures of 837P, 837I and 837D, the
loops that must not be mistaken for the claim's (other subscriber, other payer, line
adjudication), positions as the 999 counts them, padding between segments, odd data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from edi_platform.x12.segments import Delimiters
from outbound.claims.reading import money, period, read_837

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "claims"


def set_text(name: str) -> str:
    text = (FIXTURES / name).read_text()
    return text[text.index("ST*") : text.index("GE*")]


def test_837p_providers_subscribers_dependents_claims_and_lines():
    read = read_837(set_text("837p_two_providers.x12"), Delimiters())
    assert (read.reference, read.created) == ("PBATCH501", "20260105")
    assert (read.submitter.last, read.submitter.id) == ("NORTH BILLING SERVICE", "NBS0001")
    assert (read.receiver.last, read.receiver.id) == ("EXAMPLE HEALTH PLAN", "EXPLAN01")
    assert [(p.id_qualifier, p.id, p.tax_id) for p in read.providers] == [
        ("XX", "1234567893", "741852963"),
        ("XX", "1245319599", "123450987"),
    ]
    assert read.providers[1].entity_type == "1" and read.providers[1].first == "JUNE"
    first, second, third = read.claims
    assert (first.pcn, first.charge, first.facility, first.frequency) == (
        "RFP-1001",
        "180.00",
        "11",
        "1",
    )
    assert first.provider is read.providers[0] and first.patient is None
    assert (first.subscriber.id, first.subscriber.last, first.subscriber.birth) == (
        "XM1000001",
        "QUILL",
        "19750512",
    )
    # the other subscriber (2330A NM1*IL) and the other payer's REF*F8 (2330B) are not the
    # claim's; the 2400 REF*6R is the line's
    assert first.original_reference == "" and first.clearinghouse_reference == "CLEAR778812"
    assert [(line.number, line.charge, line.procedure, line.control) for line in first.lines] == [
        (1, "130.00", ["HC", "99214", "25"], "RFP1001-1"),
        (2, "50.00", ["HC", "36415"], "RFP1001-2"),
    ]
    assert first.lines[0].date == ("D8", "20251202")
    # a dependent's claim: the patient loop (2000C) under the same subscriber id
    assert second.patient is not None and second.patient.first == "OTTO"
    assert second.patient.birth == "20140903" and second.patient.relationship == "19"
    assert (second.frequency, second.original_reference) == ("7", "000000000042")
    assert second.lines[0].date == ("RD8", "20251203-20251204")
    assert third.provider is read.providers[1] and third.subscriber.id == "XM1000002"


def test_positions_are_the_999s_and_bound_each_claim_and_line():
    text = set_text("837p_two_providers.x12")
    read = read_837(text, Delimiters())
    ids = [seg.split("*")[0] for seg in text.replace("\n", "").split("~") if seg]
    first, second, third = read.claims
    assert ids[first.position - 1] == "CLM" and ids[second.position - 1] == "CLM"
    assert ids[first.end] == "HL"  # the next segment after the first claim opens a level
    assert ids[first.lines[1].position - 1] == "LX" and first.lines[1].end == first.end
    assert third.end == len(ids) - 1  # up to the segment before SE
    assert read.segment_count == len(ids)


def test_837i_statement_dates_revenue_codes_and_bill_type_parts():
    read = read_837(set_text("837i_outpatient.x12"), Delimiters())
    (claim,) = read.claims
    assert (claim.facility, claim.facility_qualifier, claim.frequency) == ("13", "A", "1")
    assert claim.dates == ("RD8", "20251120-20251121")
    assert [(line.revenue, line.procedure, line.charge, line.units) for line in claim.lines] == [
        ("0450", ["HC", "99284"], "300.00", "1"),
        ("0300", [], "120.00", "2"),
    ]


def test_837d_claim_date_and_dental_procedures():
    read = read_837(set_text("837d_two_lines.x12"), Delimiters())
    (claim,) = read.claims
    assert claim.dates == ("D8", "20251210")
    assert [line.procedure for line in claim.lines] == [["AD", "D0120"], ["AD", "D1110"]]


def test_crlf_and_padding_between_segments_and_other_delimiters():
    text = set_text("837i_outpatient.x12")
    crlf = text.replace("~\n", "~\r\n  ")
    plain = read_837(text, Delimiters())
    assert read_837(crlf, Delimiters()) == plain
    other = text.replace("*", "|").replace(":", ">").replace("~\n", "\n")
    read = read_837(other, Delimiters(element="|", component=">", segment="\n"))
    assert read.claims[0].lines[0].procedure == ["HC", "99284"]
    assert [c.position for c in read.claims] == [c.position for c in plain.claims]


@pytest.mark.parametrize(
    "text",
    ["", "ST", "ST*837~CLM~LX~SV1~", "ST*837~HL*1**23~CLM*X*1*::::~NM1~DTP*472~", "garbage\x00~~"],
)
def test_odd_data_never_raises_and_every_clm_is_a_claim(text):
    read = read_837(text, Delimiters())
    assert len(read.claims) == text.count("CLM")


def test_amounts_and_periods():
    assert money("100.5") == Decimal("100.5") and money("-3") == Decimal(-3)
    assert money("") is None and money("1E5x") is None and money("NaN") is None
    assert money("1" * 16) is None  # beyond the registry's 18 digits with 2 decimals
    assert period("D8", "20251202") == (dt.date(2025, 12, 2),) * 2
    assert period("RD8", "20251201-20251203") == (dt.date(2025, 12, 1), dt.date(2025, 12, 3))
    assert period("RD8", "20251203-20251201") is None  # ends before it starts
    assert period("D8", "20250230") is None and period("DT", "202501011200") is None
