"""Every AAA path end to end: the 270 is accepted, the content cannot be answered, the 271
says why at the right level with the right codes (never silence, never a guess)."""

from __future__ import annotations

import pytest
from django.core.files.storage import storages

from edi_platform import x12
from eventstore.ledger.services.projections import project_pending
from eventstore.models import TransactionHeader
from outbound.eligibility.services import eligibility_270_answer
from outbound.models import EligibilityInquiry, EligibilityPolicy
from outbound.services.validation import guide_problems
from tests.factories import TransactionHeaderFactory
from tests.outbound.eligibility.world import days
from tests.support.synthetic_270 import OTHER_VALID_NPI, dependent, subscriber
from tests.support.synthetic_834 import member

pytestmark = pytest.mark.django_db


def family():
    cover = [{"line": "HLT", "plan": "GOLD", "begin": days(-200), "level": "FAM"}]
    return [
        member("S100", last="DOE", first="JANE", birth="19800101", coverages=cover),
        member("S100", relationship="19", first="JIM", birth="20100101", coverages=cover),
        member("S100", relationship="19", first="ANN", birth="20120101", coverages=cover),
    ]


def rejected(answer):
    """The AAA triples and the one inquiry row, after checking the file is a valid 271."""
    assert guide_problems(answer.data) == []
    row = EligibilityInquiry.objects.get()
    assert row.result == "REJECTED" and row.member_id == ""
    return answer.aaa(), row


@pytest.mark.parametrize(
    ("asked", "aaa", "loop"),
    [
        (subscriber("S404", last="NOBODY"), ("Y", "75", "C"), "2100C"),  # not found
        (subscriber("S100", last="ROE"), ("N", "73", "C"), "2100C"),  # name differs
        (subscriber("S100", birth="19800102"), ("Y", "71", "C"), "2100C"),  # birth differs
        (subscriber("S100", birth=""), ("N", "58", "C"), "2100C"),  # birth date missing
        (subscriber("S100", last=""), ("N", "73", "C"), "2100C"),  # name missing
        (subscriber("S100", date=days(-400)), ("Y", "62", "N"), "2100C"),  # too far back
        (subscriber("S100", date=days(40)), ("Y", "63", "W"), "2100C"),  # too far ahead
        (subscriber("S100", date=days(-30), birth=days(-10)), ("N", "60", "C"), "2100C"),
        (
            subscriber("S100", eq_dates=[days(-500)]),
            ("Y", "62", "N"),
            "2100C",
        ),  # the EQ's own date is checked too
        pytest.param(
            subscriber(
                "S100",
                birth="",
                service_types=[],
                dependents=[dependent(first="ZED", birth="20000101")],
            ),
            ("Y", "67", "C"),
            "2100D",
        ),  # a dependent not in the family
        (
            subscriber(
                "S100",
                birth="",
                service_types=[],
                dependents=[dependent(first="JIM", birth="20100102")],
            ),
            ("Y", "71", "C"),
            "2100D",
        ),
    ],
)
def test_a_person_we_cannot_answer_for_gets_the_aaa_of_its_loop(world, asked, aaa, loop):
    world.enrol(*family())
    answer = world.ask_and_answer(asked)
    triples, row = rejected(answer)
    assert triples == [aaa]
    assert (row.aaa_loop, row.aaa_codes, row.follow_up) == (loop, aaa[1], aaa[2])
    assert answer.ebs() == []
    # the person comes back as sent (TRN echoed) so the provider can tell which it was
    assert answer.all("TRN", "2")


def test_without_an_id_and_without_name_search_the_id_is_asked_for_72(world):
    world.enrol(*family())
    EligibilityPolicy.objects.create(partner=world.provider, name_search=False)
    triples, row = rejected(world.ask_and_answer(subscriber("")))
    assert triples == [("N", "72", "C")] and row.aaa_loop == "2100C"


def test_without_an_id_a_unique_person_is_found_by_name_and_birth_date(world):
    world.enrol(*family())
    answer = world.ask_and_answer(subscriber("", last="doe", first="jane"))
    assert answer.aaa() == [] and answer.ebs()[0][0] == "1"
    assert answer.all("NM1", "IL")[0].get(9) == "S100"  # the id we hold comes back
    assert answer.all("INS", "Y")[0].elements == ["Y", "18", "001", "25"]  # the id was added


def test_two_dependents_alike_are_not_told_apart_by_a_guess_68(world):
    cover = [{"line": "HLT", "plan": "GOLD", "begin": days(-200)}]
    world.enrol(
        *family(),
        member(
            "S100",
            relationship="19",
            member_ref="T2",
            first="JIM",
            birth="20100101",
            coverages=cover,
        ),
    )
    asked = subscriber(
        "S100", birth="", service_types=[], dependents=[dependent(first="JIM", birth="20100101")]
    )
    triples, _row = rejected(world.ask_and_answer(asked))
    assert triples == [("Y", "68", "C")]


def test_a_payer_that_is_not_us_is_rejected_in_2100A_and_nothing_below_is_answered(world):
    world.enrol(*family())
    answer = world.ask_and_answer(subscriber("S100"), payer_id="OTHERPAYER")
    triples, row = rejected(answer)
    assert triples == [("N", "79", "C")]
    assert [(s.get(3), s.get(4)) for s in answer.all("HL")] == [("20", "0")]
    assert row.aaa_loop == "2100A" and answer.all("NM1", "IL") == []


def test_a_receiver_without_a_valid_npi_is_43_and_one_not_authorised_41(world):
    world.enrol(*family())
    # With SNIP type 5 on (the default) an NPI failing its check digit is rejected by the
    # 999 already; a partner without code-set checks gets the 271's AAA 43 instead.
    world.provider.code_sets = False
    world.provider.save(update_fields=["code_sets"])
    answer = world.ask_and_answer(subscriber("S100"), npi="1234567890")
    assert rejected(answer)[0] == [("N", "43", "C")]
    assert [(s.get(3), s.get(4)) for s in answer.all("HL")] == [("20", "1"), ("21", "0")]
    EligibilityInquiry.objects.all().delete()
    EligibilityPolicy.objects.create(partner=world.provider, authorised_receivers=OTHER_VALID_NPI)
    answer = world.ask_and_answer(subscriber("S100"))
    assert rejected(answer)[0] == [("Y", "41", "N")]
    EligibilityInquiry.objects.all().delete()
    answer = world.ask_and_answer(subscriber("S100"), npi=OTHER_VALID_NPI)
    assert answer.aaa() == [] and answer.ebs()[0][0] == "1"


def test_projections_lagging_behind_the_log_are_unable_to_respond_now_42(world, settings):
    world.enrol(*family())
    # a later 834 appended but not projected yet: what we hold may be stale
    world.enrol(member("S100", maintenance="024", term_date=days(-5)), project=False)
    settings.ELIGIBILITY_MAX_LAG_EVENTS = 1
    answer = world.ask_and_answer(subscriber("S100"), subscriber("S404"))
    assert answer.aaa() == [("Y", "42", "R")]
    assert [s.get(3) for s in answer.all("HL")] == ["20"]  # 2000A only
    assert guide_problems(answer.data) == []
    rows = list(EligibilityInquiry.objects.filter(aaa_codes="42"))
    assert len(rows) == 2 and {r.aaa_loop for r in rows} == {"2000A"}


def test_a_member_with_events_not_projected_yet_is_42_while_others_are_answered(world, settings):
    world.enrol(*family(), member("S200", last="ROE", first="RAY", birth="19700101"))
    world.enrol(member("S100", maintenance="024", term_date=days(-5)), project=False)
    settings.ELIGIBILITY_MAX_LAG_EVENTS = 1000
    answer = world.ask_and_answer(
        subscriber("S100"), subscriber("S200", last="ROE", first="RAY", birth="19700101")
    )
    assert answer.aaa() == [("Y", "42", "R")]
    assert len(answer.ebs()) == 1  # RAY's answer
    project_pending()
    EligibilityInquiry.objects.all().delete()
    answer = world.ask_and_answer(subscriber("S100"))
    assert answer.aaa() == [] and answer.ebs()[0][0] == "6"  # now terminated


def test_every_inquiry_under_a_rejected_level_is_recorded_with_that_reason(world):
    world.enrol(*family())
    world.ask_and_answer(
        subscriber("S100", dependents=[dependent(first="JIM", birth="20100101")]),
        subscriber("S404"),
        payer_id="OTHERPAYER",
    )
    rows = list(EligibilityInquiry.objects.order_by("position"))
    assert [(r.level, r.aaa_codes) for r in rows] == [
        ("subscriber", "79"),
        ("dependent", "79"),
        ("subscriber", "79"),
    ]


def test_a_date_we_cannot_read_is_57_even_when_validation_let_it_through(world):
    """Our own check behind the guide's (a partner may be validated at a lower SNIP level):
    the service reads the segments it is given."""
    world.enrol(*family())
    result = world.ask(subscriber("S100", date=days(-3)))
    header = TransactionHeader.objects.get(batch_id=result.batch)
    with storages["inbound"].open(header.batch.storage_path, "rb") as handle:
        segments = next(iter(x12.iter_transaction_sets(handle)))[2].segments
    for seg in segments:
        if seg.id == "DTP":  # a range that ends before it begins
            seg.elements[1:3] = ["RD8", f"{days(-2)}-{days(-9)}"]
    twin = TransactionHeaderFactory(batch=header.batch, st01="270", st02="0002")
    eligibility_270_answer(header=twin, segments=segments)
    row = EligibilityInquiry.objects.get(header=twin)
    assert (row.result, row.aaa_loop, row.aaa_codes, row.follow_up) == (
        "REJECTED",
        "2100C",
        "57",
        "C",
    )
