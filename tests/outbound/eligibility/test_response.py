"""The 271 segments: a 271 for any member we could hold always passes our X279A1 guide
(Hypothesis), and the content follows the inquiry."""

from __future__ import annotations

import datetime as dt
from datetime import UTC

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_platform import x12
from edi_platform.x12.guides.pyx12_maps import external_codes
from eventstore.ledger.lookup import CoverageFacts, MemberFacts
from outbound.eligibility import codes
from outbound.eligibility.codes import reject
from outbound.eligibility.inquiry import Benefit, Party, Person
from outbound.eligibility.matching import Verdict
from outbound.eligibility.response import (
    header_segments,
    party_segments,
    person_segments,
    text,
)
from outbound.services.validation import guide_problems

SOURCE = Party("20", "1", ["PR", "2", "SYNTH PAYER", "", "", "", "", "PI", "EDIPLATFORM"])
RECEIVER = Party("21", "2", ["1P", "2", "SYNTH CLINIC", "", "", "", "", "XX", "1234567893"])
SERVICE_TYPES = sorted(external_codes()["service_type"])
# What a name in an 834 may hold: letters (latin-1 accents too), digits, blanks and
# punctuation, and now and then a character that is a delimiter in some partner's files.
NAME_CHARS = st.sampled_from(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyzÉÑÖçé0123456789 -'.,&/#*~:^!"))


def name(max_size: int) -> st.SearchStrategy[str]:
    return st.text(NAME_CHARS, min_size=1, max_size=max_size).filter(
        lambda s: any(c.isalpha() for c in s)
    )


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2040, 12, 31))


@st.composite
def coverages(draw) -> CoverageFacts:
    begin = draw(st.none() | dates)
    end = draw(st.none() | dates.filter(lambda d: begin is None or d >= begin))
    return CoverageFacts(
        coverage_key=draw(st.sampled_from(["HLT", "DEN", "VIS", "PDG", "HMO", "PPO", "LTD", "AK"])),
        plan=draw(st.sampled_from(["", "GOLD", "SILVER PPO"]) | name(80)),
        coverage_level=draw(st.sampled_from(["", "IND", "FAM", "ESP", "E1D", "TWO", "CHD"])),
        benefit_begin=begin,
        benefit_end=end,
        terminated=end is not None,
    )


@st.composite
def members(draw, *, subscriber: bool) -> MemberFacts:
    covers = tuple(draw(st.lists(coverages(), max_size=4, unique_by=lambda c: c.coverage_key)))
    begins = [c.benefit_begin for c in covers if c.benefit_begin]
    return MemberFacts(
        aggregate_id="m-" + draw(st.text("0123456789abcdef", min_size=40, max_size=40)),
        partner_code="SPONSOR",
        subscriber_id=draw(st.text("ABCDEFGHIJ0123456789-", min_size=1, max_size=30)),
        member_ref=draw(st.sampled_from(["", "REF-01"])),
        is_subscriber=subscriber,
        relationship="18" if subscriber else draw(st.sampled_from(["01", "19", "15", "53", "G8"])),
        last_name=draw(name(70)),
        first_name=draw(name(40)),
        middle_name=draw(st.sampled_from(["", "Q"]) | name(30)),
        birth_date=draw(st.none() | dates),
        gender=draw(st.sampled_from(["", "F", "M", "U", "X"])),
        address_line1=draw(st.sampled_from(["", "100 MAIN ST"]) | name(70)),
        address_line2=draw(st.sampled_from(["", "APT 4"])),
        city=draw(st.sampled_from(["", "SPRINGFIELD"]) | name(40)),
        state=draw(st.sampled_from(["", "IL", "X", "ILL"])),
        postal_code=draw(st.sampled_from(["", "62701", "62701-1234", "1"])),
        group_policy=draw(st.sampled_from(["", "GRP001"]) | name(60)),
        terminated=draw(st.booleans()),
        eligibility_begin=draw(st.none() | dates),
        eligibility_end=draw(st.none() | dates),
        coverage_begin=min(begins) if begins else None,
        coverage_end=None,
        last_position=1,
        coverages=covers,
    )


@st.composite
def inquiries(draw, *, level: str) -> Person:
    benefits = [
        Benefit(service_types=draw(st.lists(st.sampled_from(SERVICE_TYPES), max_size=3)))
        for _ in range(draw(st.integers(0, 3)))
    ]
    nm1 = (
        ["IL", "1", "ASKED", "NAME", "", "", "", "MI", "ASKED01"]
        if level == "22"
        else ["03", "1", "ASKED", "KID"]
    )
    trns = [["1", f"TRACE{i}", "9123456789"] for i in range(draw(st.integers(0, 2)))]
    return Person(
        level=level,
        hl="3",
        position=7,
        trns=trns,
        nm1=nm1,
        dmg=["D8", "19800101"],
        benefits=benefits,
    )


def interchange(body: list[list[str]]) -> bytes:
    envelope = x12.EnvelopeParams(
        sender_qualifier="ZZ",
        sender_id="EDIPLATFORM",
        receiver_qualifier="ZZ",
        receiver_id="PROVIDER01",
        sender_gs_code="EDIPLATFORM",
        receiver_gs_code="PROVIDER01",
        usage_indicator="T",
        delimiters=x12.Delimiters(),
        isa13=1,
        gs06=1,
        timestamp=dt.datetime(2026, 6, 15, 12, 0, tzinfo=UTC),
    )
    return x12.build_interchange(
        [("271", body)],
        envelope=envelope,
        functional_id="HB",
        version="005010X279A1",
        st02s=["0001"],
    )


def body_for(subscriber: Verdict, dependent: Verdict | None = None) -> list[list[str]]:
    now = dt.datetime(2026, 6, 15, 12, 0)
    body = header_segments(["0022", "13", "REF1"], now)
    body += party_segments(SOURCE, hl=1, parent=None, rejects=[])
    body += party_segments(RECEIVER, hl=2, parent=1, rejects=[])
    segments, _ = person_segments(
        subscriber, hl=3, parent=2, child=dependent is not None, trace="9-7", trace_id="9EDIPLATFO"
    )
    body += segments
    if dependent is not None:
        segments, _ = person_segments(
            dependent, hl=4, parent=3, child=False, trace="9-8", trace_id="9EDIPLATFO"
        )
        body += segments
    return body


def verdict(person: Person, member: MemberFacts | None, day: dt.date) -> Verdict:
    return Verdict(person=person, member=member, dates=[day] * max(1, len(person.benefits)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    member=members(subscriber=True),
    person=inquiries(level="22"),
    day=dates,
)
def test_a_271_for_any_subscriber_we_hold_passes_our_guide(member, person, day):
    data = interchange(body_for(verdict(person, member, day)))
    assert x12.validate_envelope(data) == []
    problems = guide_problems(data)
    assert not problems, problems


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subscriber=members(subscriber=True),
    dependent=members(subscriber=False),
    person=inquiries(level="23"),
    day=dates,
)
def test_a_271_for_any_dependent_we_hold_passes_our_guide(subscriber, dependent, person, day):
    anchor = Person(
        level="22", hl="3", position=6, nm1=["IL", "1", "A", "B", "", "", "", "MI", "X1"]
    )
    anchor.dependents = [person]
    data = interchange(body_for(verdict(anchor, subscriber, day), verdict(person, dependent, day)))
    problems = guide_problems(data)
    assert not problems, problems


@settings(max_examples=60, deadline=None)
@given(
    sub_codes=st.lists(
        st.sampled_from(sorted(codes.LOOP_REASONS["2100C"])), min_size=1, max_size=9
    ),
    person=inquiries(level="22"),
)
def test_a_271_rejecting_a_subscriber_for_any_reasons_passes_our_guide(sub_codes, person):
    rejected = Verdict(person=person, rejects=[reject("2100C", c) for c in sub_codes])
    problems = guide_problems(interchange(body_for(rejected)))
    assert not problems, problems


def test_source_and_receiver_rejections_stop_the_hierarchy_there_and_pass_our_guide():
    now = dt.datetime(2026, 6, 15, 12, 0)
    lagging = header_segments(["0022", "13", "R"], now) + party_segments(
        SOURCE, hl=1, parent=None, rejects=[reject("2000A", "42")]
    )
    assert [s[0] for s in lagging] == ["BHT", "HL", "AAA", "NM1"]
    assert lagging[1][4] == "0"  # no child level
    assert guide_problems(interchange(lagging)) == []
    refused = (
        header_segments(["0022", "13", "R"], now)
        + party_segments(SOURCE, hl=1, parent=None, rejects=[])
        + party_segments(RECEIVER, hl=2, parent=1, rejects=[reject("2100B", "41")])
    )
    assert [s[0] for s in refused][-3:] == ["HL", "NM1", "AAA"]
    assert guide_problems(interchange(refused)) == []


def test_values_are_cleaned_for_x12_and_cut_to_their_length():
    assert text("  O'Brien*~ Smith  ", 60) == "O'Brien Smith"
    assert text("ABCDEFG ", 4) == "ABCD"
    assert text("ABC DEFG", 4) == "ABC"  # no blank left at the end after the cut
    assert text("\x00\x07", 10) == ""
