"""Coverage as of the date asked: terminated before or after it, future-dated, and a reversed
834 batch that changes the answer."""

from __future__ import annotations

import pytest

from eventstore.ledger.services.projections import project_pending
from eventstore.ledger.services.reversal import batch_reverse
from outbound.models import EligibilityInquiry
from outbound.services.validation import guide_problems
from tests.outbound.eligibility.world import days
from tests.support.synthetic_270 import subscriber
from tests.support.synthetic_834 import member

pytestmark = pytest.mark.django_db


def jane(**overrides):
    fields = dict(
        last="DOE",
        first="JANE",
        birth="19800101",
        coverages=[{"line": "HLT", "plan": "GOLD", "begin": days(-200), "level": "IND"}],
    )
    fields.update(overrides)
    return member("S100", **fields)


def dtp(answer, qualifier: str) -> list[str]:
    return [s.get(3) for s in answer.all("DTP", qualifier)]


def test_coverage_terminated_before_the_date_asked_is_inactive(world):
    world.enrol(
        jane(coverages=[{"line": "HLT", "plan": "GOLD", "begin": days(-200), "end": days(-20)}])
    )
    answer = world.ask_and_answer(subscriber("S100"))
    assert answer.ebs() == [("6", "IND", "30", "C1", "GOLD")]
    assert dtp(answer, "349") == [days(-20)] and dtp(answer, "357") == [days(-20)]
    assert EligibilityInquiry.objects.get().result == "INACTIVE"


def test_coverage_terminated_after_the_date_asked_is_active_on_that_date(world):
    world.enrol(
        jane(coverages=[{"line": "HLT", "plan": "GOLD", "begin": days(-200), "end": days(-20)}])
    )
    answer = world.ask_and_answer(subscriber("S100", date=days(-30)))
    assert answer.ebs() == [("1", "IND", "30", "C1", "GOLD")]
    row = EligibilityInquiry.objects.get()
    assert row.result == "ACTIVE" and row.as_of.strftime("%Y%m%d") == days(-30)


def test_a_termination_by_a_later_834_makes_the_member_inactive_after_its_date(world):
    world.enrol(jane())
    world.enrol(member("S100", maintenance="024", term_date=days(-10), coverages=[]))
    after = world.ask_and_answer(subscriber("S100"))
    assert after.ebs()[0][0] == "6"
    before = world.ask_and_answer(subscriber("S100", date=days(-15)))
    assert before.ebs()[0][0] == "1"


def test_future_dated_coverage_is_not_active_yet_and_says_when_it_begins(world):
    world.enrol(jane(coverages=[{"line": "HLT", "plan": "GOLD", "begin": days(10)}]))
    answer = world.ask_and_answer(subscriber("S100"))
    assert answer.ebs() == [("6", "IND", "30", "C1", "GOLD")]
    assert dtp(answer, "348") == [days(10)] and dtp(answer, "356") == [days(10)]
    assert guide_problems(answer.data) == []


def test_each_eq_is_answered_as_of_its_own_date(world):
    world.enrol(jane(coverages=[{"line": "HLT", "plan": "GOLD", "begin": days(-5)}]))
    answer = world.ask_and_answer(
        subscriber("S100", service_types=[("30",), ("48",)], eq_dates=[days(-10), ""])
    )
    assert [eb[0] for eb in answer.ebs()] == ["6", "1"]


def test_a_reversed_834_batch_changes_the_answer(world):
    world.enrol(jane())
    termination = world.enrol(member("S100", maintenance="024", term_date=days(-10), coverages=[]))
    assert world.ask_and_answer(subscriber("S100")).ebs()[0][0] == "6"
    batch_reverse(batch_id=termination.batch, reason="sent by mistake", acting_user=None)
    project_pending()
    assert world.ask_and_answer(subscriber("S100")).ebs()[0][0] == "1"


def test_a_reversed_enrolment_leaves_the_member_unknown(world):
    enrolment = world.enrol(jane())
    batch_reverse(batch_id=enrolment.batch, reason="wrong file", acting_user=None)
    project_pending()
    answer = world.ask_and_answer(subscriber("S100"))
    assert answer.aaa() == [("Y", "75", "C")] and answer.ebs() == []
