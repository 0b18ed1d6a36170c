"""The match rule, case by case: who is answered for, and the AAA when nobody may be."""

from __future__ import annotations

import datetime as dt

import pytest

from eventstore.ledger.lookup import CoverageFacts, MemberFacts
from outbound.eligibility.codes import LOOP_REASONS, REASON_FLAGS, reject
from outbound.eligibility.inquiry import Benefit, Party, Person
from outbound.eligibility.matching import (
    Policy,
    Verdict,
    check_receiver,
    check_source,
    dates_asked,
    match_dependent,
    match_subscriber,
    npi_valid,
    same_name,
)

TODAY = dt.date(2026, 6, 15)
POLICY = Policy(payer_ids=frozenset({"EDIPLATFORM"}))


def member(**overrides) -> MemberFacts:
    fields = dict(
        aggregate_id="m-1",
        partner_code="SPONSOR",
        subscriber_id="S1",
        member_ref="",
        is_subscriber=True,
        relationship="18",
        last_name="DOE",
        first_name="JANE",
        middle_name="",
        birth_date=dt.date(1980, 1, 1),
        gender="F",
        address_line1="",
        address_line2="",
        city="",
        state="",
        postal_code="",
        group_policy="",
        terminated=False,
        eligibility_begin=None,
        eligibility_end=None,
        coverage_begin=dt.date(2026, 1, 1),
        coverage_end=None,
        last_position=1,
        coverages=(CoverageFacts("HLT", "GOLD", "IND", dt.date(2026, 1, 1), None, False),),
    )
    fields.update(overrides)
    return MemberFacts(**fields)


def asked(
    member_id: str = "S1",
    *,
    last: str = "DOE",
    first: str = "JANE",
    birth: str = "19800101",
    level: str = "22",
    date: str = "",
    date_format: str = "D8",
    relationship: str = "",
) -> Person:
    nm1 = ["IL", "1", last, first, "", "", "", "MI" if member_id else "", member_id]
    if level == "23":
        nm1 = ["03", "1", last, first]
    person = Person(level=level, hl="3", position=9, nm1=nm1)
    if birth:
        person.dmg = ["D8", birth]
    if date:
        person.date_format, person.date = date_format, date
    if relationship:
        person.ins = ["N", relationship]
    person.benefits = [Benefit(service_types=["30"])]
    return person


def subscriber_verdict(person: Person, members=(), by_name=None, policy=POLICY) -> Verdict:
    dates, rejects = dates_asked(person, received=TODAY, policy=policy, loop="2100C")
    verdict = Verdict(person=person, dates=dates, rejects=rejects)
    if not verdict.rejects:
        by_id: dict[str, list[MemberFacts]] = {}
        for m in members:
            by_id.setdefault(m.subscriber_id, []).append(m)
            if m.member_ref:
                by_id.setdefault(m.member_ref, []).append(m)
        match_subscriber(verdict, by_id=by_id, by_name=by_name or {}, policy=policy)
    return verdict


def codes(verdict: Verdict) -> list[str]:
    return [r.code for r in verdict.rejects]


def test_the_subscriber_whose_id_name_and_birth_date_match_is_answered():
    verdict = subscriber_verdict(asked(), [member()])
    assert verdict.member is not None and verdict.member.aggregate_id == "m-1"
    assert verdict.rejects == [] and verdict.matched_by == "id"


def test_names_are_compared_without_case_accents_blanks_or_punctuation():
    assert same_name("O'Brien-Smith", "OBRIEN SMITH")
    assert same_name("José", "JOSE")
    assert not same_name("", "")
    verdict = subscriber_verdict(asked(last="o'doe"), [member(last_name="ODOE")])
    assert verdict.member is not None


def test_an_unknown_id_is_subscriber_not_found_75():
    assert codes(subscriber_verdict(asked("NOPE"), [member()])) == ["75"]


def test_an_id_whose_person_has_another_last_name_is_a_name_mismatch_73():
    assert codes(subscriber_verdict(asked(last="ROE"), [member()])) == ["73"]


def test_an_id_whose_person_has_another_birth_date_is_a_birth_date_mismatch_71():
    assert codes(subscriber_verdict(asked(birth="19810101"), [member()])) == ["71"]


def test_an_id_of_someone_else_entirely_is_not_found_not_a_guess():
    verdict = subscriber_verdict(asked(last="ROE", birth="19700101"), [member()])
    assert codes(verdict) == ["75"] and verdict.member is None


def test_a_wrong_id_for_a_person_we_know_by_name_is_an_invalid_id_72():
    known = member()
    by_name = {("DOE", known.birth_date): [known]}
    assert codes(subscriber_verdict(asked("WRONG"), [known], by_name)) == ["72"]


def test_two_people_matching_id_name_and_birth_date_are_a_duplicate_id_76():
    twin = member(aggregate_id="m-2", partner_code="OTHER")
    assert codes(subscriber_verdict(asked(), [member(), twin])) == ["76"]


def test_a_dependent_is_never_answered_for_in_the_subscriber_loop_by_the_family_id():
    child = member(aggregate_id="m-3", is_subscriber=False, relationship="19", first_name="JIM")
    verdict = subscriber_verdict(asked(first="JIM"), [member(), child])
    assert verdict.member is not None and verdict.member.aggregate_id == "m-1"


def test_the_member_level_id_of_the_834_finds_that_person():
    child = member(
        aggregate_id="m-3",
        is_subscriber=False,
        relationship="19",
        member_ref="S1-02",
        first_name="JIM",
        birth_date=dt.date(2010, 1, 1),
    )
    verdict = subscriber_verdict(asked("S1-02", first="JIM", birth="20100101"), [child])
    assert verdict.member is child


def test_a_missing_or_malformed_birth_date_is_58_and_a_missing_last_name_73():
    assert codes(subscriber_verdict(asked(birth=""), [member()])) == ["58"]
    assert codes(subscriber_verdict(asked(birth="19801340"), [member()])) == ["58"]
    assert codes(subscriber_verdict(asked(last=""), [member()])) == ["73"]


def test_a_birth_date_after_the_date_of_service_is_60():
    person = asked(birth="20260610", date="20260601")
    assert codes(subscriber_verdict(person, [member()])) == ["60"]


def test_the_policy_may_waive_the_birth_date_and_the_last_name():
    lax = Policy(payer_ids=POLICY.payer_ids, require_birth_date=False, require_last_name=False)
    assert subscriber_verdict(asked(birth="", last=""), [member()], policy=lax).member


def test_without_an_id_a_unique_name_and_birth_date_match_is_answered():
    known = member()
    by_name = {("DOE", known.birth_date): [known, member(aggregate_id="m-9", first_name="ANN")]}
    verdict = subscriber_verdict(asked(""), [], by_name)
    assert verdict.member is known and verdict.matched_by == "name"


def test_without_an_id_several_matches_are_72_and_none_75():
    a, b = member(), member(aggregate_id="m-2", subscriber_id="S2")
    assert codes(subscriber_verdict(asked(""), [], {("DOE", a.birth_date): [a, b]})) == ["72"]
    assert codes(subscriber_verdict(asked(""), [], {})) == ["75"]


def test_without_an_id_a_name_search_needs_both_names_and_the_birth_date():
    assert codes(subscriber_verdict(asked("", first=""), [])) == ["73"]
    assert codes(subscriber_verdict(asked("", birth=""), [])) == ["58"]


def test_without_an_id_and_without_name_search_it_is_72():
    strict = Policy(payer_ids=POLICY.payer_ids, name_search=False)
    assert codes(subscriber_verdict(asked(""), [], policy=strict)) == ["72"]


@pytest.mark.parametrize(
    ("date", "fmt", "expected"),
    [
        ("20260615", "D8", []),
        ("20260601-20260630", "RD8", []),
        ("20260630-20260601", "RD8", ["57"]),
        ("2026-06-01", "D8", ["57"]),
        ("20250101", "D8", ["62"]),  # more than 365 days before the day received
        ("20260701", "D8", ["63"]),  # after the end of the current month
        ("20260601-20260705", "RD8", ["63"]),
    ],
)
def test_dates_of_service_outside_what_we_answer_are_57_62_63(date, fmt, expected):
    person = asked(date=date, date_format=fmt)
    dates, rejects = dates_asked(person, received=TODAY, policy=POLICY, loop="2100C")
    assert [r.code for r in rejects] == expected
    if not expected:
        assert dates == [dt.date(2026, 6, int(date[6:8]))]


def test_each_inquiry_is_answered_as_of_its_own_date_else_the_persons_else_the_day_received():
    person = asked(date="20260610")
    person.benefits = [Benefit(["30"]), Benefit(["35"], "D8", "20260601")]
    dates, _ = dates_asked(person, received=TODAY, policy=POLICY, loop="2100C")
    assert dates == [dt.date(2026, 6, 10), dt.date(2026, 6, 1)]
    plain = asked()
    assert dates_asked(plain, received=TODAY, policy=POLICY, loop="2100C")[0] == [TODAY]


def test_a_partner_may_answer_further_ahead_and_less_far_back():
    wide = Policy(payer_ids=POLICY.payer_ids, future_days=60, past_days=10)
    dates, rejects = dates_asked(asked(date="20260801"), received=TODAY, policy=wide, loop="2100C")
    assert rejects == [] and dates == [dt.date(2026, 8, 1)]
    _, rejects = dates_asked(asked(date="20260601"), received=TODAY, policy=wide, loop="2100C")
    assert [r.code for r in rejects] == ["62"]


def test_npis_are_checked_with_their_luhn_digit():
    assert npi_valid("1234567893")
    assert not npi_valid("1234567890")
    assert not npi_valid("123456789")


def test_the_source_must_name_us_and_the_receiver_an_authorised_valid_npi():
    us = Party("20", "1", ["PR", "2", "PAYER", "", "", "", "", "PI", "EDIPLATFORM"])
    other = Party("20", "1", ["PR", "2", "PAYER", "", "", "", "", "PI", "SOMEONEELSE"])
    assert check_source(us, POLICY) is None
    assert check_source(other, POLICY).code == "79"
    good = Party("21", "2", ["1P", "2", "CLINIC", "", "", "", "", "XX", "1234567893"])
    bad = Party("21", "2", ["1P", "2", "CLINIC", "", "", "", "", "XX", "1234567890"])
    tax_id = Party("21", "2", ["1P", "2", "CLINIC", "", "", "", "", "FI", "123456789"])
    assert check_receiver(good, POLICY) is None
    assert check_receiver(bad, POLICY).code == "43"
    assert check_receiver(tax_id, POLICY).code == "43"
    only = Policy(payer_ids=POLICY.payer_ids, authorised_receivers=frozenset({"1245319599"}))
    refused = check_receiver(good, only)
    assert (refused.loop, refused.code, refused.follow_up) == ("2100B", "41", "N")


def dependent_verdict(person: Person, family, policy=POLICY) -> Verdict:
    dates, rejects = dates_asked(person, received=TODAY, policy=policy, loop="2100D")
    verdict = Verdict(person=person, dates=dates, rejects=rejects)
    if not verdict.rejects:
        match_dependent(verdict, family=family, policy=policy)
    return verdict


def kid(**overrides) -> MemberFacts:
    fields = dict(
        aggregate_id="m-k1",
        is_subscriber=False,
        relationship="19",
        first_name="JIM",
        birth_date=dt.date(2010, 1, 1),
    )
    fields.update(overrides)
    return member(**fields)


def test_a_dependent_is_found_in_the_family_by_first_name_and_birth_date():
    person = asked(level="23", first="Jim", birth="20100101")
    verdict = dependent_verdict(person, [kid(), kid(aggregate_id="m-k2", first_name="ANN")])
    assert verdict.member is not None and verdict.member.aggregate_id == "m-k1"


def test_a_dependent_not_in_the_family_is_67_and_partial_matches_65_or_71():
    assert codes(dependent_verdict(asked(level="23", first="ZED", birth="19990101"), [kid()])) == [
        "67"
    ]
    assert codes(dependent_verdict(asked(level="23", first="ZED", birth="20100101"), [kid()])) == [
        "65"
    ]
    assert codes(dependent_verdict(asked(level="23", first="JIM", birth="20100102"), [kid()])) == [
        "71"
    ]


def test_two_dependents_alike_are_68_unless_the_relationship_tells_them_apart():
    twins = [kid(), kid(aggregate_id="m-k2", relationship="01")]
    assert codes(dependent_verdict(asked(level="23", first="JIM", birth="20100101"), twins)) == [
        "68"
    ]
    person = asked(level="23", first="JIM", birth="20100101", relationship="01")
    assert dependent_verdict(person, twins).member.aggregate_id == "m-k2"


def test_a_dependent_without_first_name_or_birth_date_is_65_or_58():
    assert codes(dependent_verdict(asked(level="23", first="", birth="20100101"), [kid()])) == [
        "65"
    ]
    assert codes(dependent_verdict(asked(level="23", first="JIM", birth=""), [kid()])) == ["58"]


def test_every_reason_we_send_is_on_the_guides_list_for_its_loop_with_its_flags():
    for loop, reasons in LOOP_REASONS.items():
        for code in reasons:
            r = reject(loop, code)
            assert r.valid_request in ("Y", "N") and r.follow_up in "CNRWY"
            assert r.meaning
    assert set(REASON_FLAGS) == {c for reasons in LOOP_REASONS.values() for c in reasons}
    with pytest.raises(ValueError):
        reject("2100D", "75")  # a subscriber reason in the dependent loop
