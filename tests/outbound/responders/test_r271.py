"""The 271 responder end to end: an 834 enrols people, a 270 asks, the 271 we store answers
(ingest -> routing -> lookup -> outcome -> assembly -> guide validation -> storage)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import storages

from edi_platform import x12
from eventstore.models import TransactionHeader
from outbound.eligibility.services import eligibility_270_answer
from outbound.models import EligibilityInquiry, OutboundFileStatus, ProcessingOutcome
from outbound.responders import spec_for
from outbound.services.validation import guide_problems
from tests.outbound.eligibility.world import days
from tests.support.synthetic_270 import dependent, subscriber
from tests.support.synthetic_834 import member

pytestmark = pytest.mark.django_db


def jane(**overrides):
    fields = dict(
        last="DOE",
        first="JANE",
        birth="19800101",
        coverages=[{"line": "HLT", "plan": "GOLD PPO", "begin": days(-100), "level": "FAM"}],
    )
    fields.update(overrides)
    return member("S100", **fields)


def test_the_271_is_declared_as_the_answer_to_the_270():
    spec = spec_for("271")
    assert (spec.functional_id, spec.counter_type, spec.window_minutes, spec.sla_minutes) == (
        "HB",
        "271",
        2,
        5,
    )
    assert [st01 for st01, _ in spec.answers] == ["270"]
    assert spec.guide_version == "005010X279A1" and spec.group_by_batch


def test_an_active_subscriber_is_answered_with_what_we_hold(world):
    world.enrol(jane())
    answer = world.ask_and_answer(subscriber("S100", trn="PROVTRACE1"), bht_ref="ASK-0042")
    assert answer.file.status == OutboundFileStatus.PERSISTED
    assert guide_problems(answer.data) == []
    bht = answer.all("BHT")[0]
    assert (bht.get(1), bht.get(2), bht.get(3)) == ("0022", "11", "ASK-0042")
    assert [(s.get(3), s.get(4)) for s in answer.all("HL")] == [
        ("20", "1"),
        ("21", "1"),
        ("22", "0"),
    ]
    trns = [(s.get(1), s.get(2)) for s in answer.all("TRN")]
    assert trns[0] == ("2", "PROVTRACE1") and trns[1][0] == "1"
    name = answer.all("NM1", "IL")[0]
    assert (name.get(3), name.get(4), name.get(8), name.get(9)) == ("DOE", "JANE", "MI", "S100")
    assert answer.all("DMG")[0].elements[:3] == ["D8", "19800101", "F"]
    assert answer.all("REF", "1L")[0].get(2) == "GRP001"
    dtps = {s.get(1): s.get(3) for s in answer.all("DTP")}
    assert dtps["346"] == days(-100) and dtps["356"] == days(-100) and "357" not in dtps
    assert answer.ebs() == [("1", "FAM", "30", "C1", "GOLD PPO")]
    assert answer.aaa() == []


def test_several_service_types_get_one_eb_each_from_the_coverage_that_answers_them(world):
    world.enrol(
        jane(
            coverages=[
                {"line": "HLT", "plan": "GOLD", "begin": days(-100), "level": "IND"},
                {"line": "DEN", "plan": "SMILE", "begin": days(-100), "level": "IND"},
            ]
        )
    )
    answer = world.ask_and_answer(
        subscriber("S100", service_types=[("30",), ("35", "AL"), ("48",), ("12",)])
    )
    assert answer.ebs() == [
        ("1", "IND", "30", "C1", "SMILE"),  # generic: every coverage (by insurance line)
        ("1", "IND", "30", "C1", "GOLD"),
        ("1", "IND", "35", "C1", "SMILE"),  # dental by the dental coverage
        ("I", "", "AL", "", ""),  # vision: no coverage of hers has it
        ("1", "IND", "48", "C1", "GOLD"),  # hospital inpatient by the health coverage
        # 12 (durable medical equipment) is not answered specifically: as 30, already said
    ]
    row = EligibilityInquiry.objects.get()
    assert row.service_types == "30,35,AL,48,12" and row.result == "ACTIVE"


def test_a_dependent_is_answered_under_the_subscriber_we_hold(world):
    world.enrol(
        jane(),
        member(
            "S100",
            relationship="19",
            last="DOE",
            first="JIM",
            birth="20100101",
            coverages=[{"line": "HLT", "plan": "GOLD PPO", "begin": days(-100), "level": "FAM"}],
        ),
    )
    answer = world.ask_and_answer(
        subscriber(
            "S100",
            birth="",
            service_types=[],
            dependents=[dependent(first="JIM", birth="20100101", trn="KIDTRACE")],
        )
    )
    assert guide_problems(answer.data) == []
    assert [(s.get(1), s.get(2), s.get(3), s.get(4)) for s in answer.all("HL")][2:] == [
        ("3", "2", "22", "1"),
        ("4", "3", "23", "0"),
    ]
    assert answer.all("NM1", "IL")[0].get(9) == "S100"
    kid = answer.all("NM1", "03")[0]
    assert (kid.get(3), kid.get(4)) == ("DOE", "JIM")
    assert answer.all("INS", "N")[0].elements == ["N", "19"]
    assert answer.all("INS", "Y") == []  # nothing of the subscriber's was corrected
    assert ("2", "KIDTRACE") in [(s.get(1), s.get(2)) for s in answer.all("TRN")]
    assert answer.ebs() == [("1", "FAM", "30", "C1", "GOLD PPO")]
    # the subscriber was only the way to the family: one inquiry, about the child
    row = EligibilityInquiry.objects.get()
    assert row.level == "dependent" and row.result == "ACTIVE" and row.member_id


def test_one_inquiry_is_due_at_once_and_a_batch_after_the_271_window(world):
    world.enrol(jane(), member("S200", last="ROE", first="RAY", birth="19700101"))
    single = world.ask(subscriber("S100"))
    batch = world.ask(
        subscriber("S100"), subscriber("S200", last="ROE", first="RAY", birth="19700101")
    )
    one = ProcessingOutcome.objects.get(batch_id=single.batch, response_type="271")
    many = ProcessingOutcome.objects.get(batch_id=batch.batch, response_type="271")
    assert abs((one.due_at - one.created_at).total_seconds()) < 1
    assert many.due_at - many.created_at == timedelta(minutes=2)
    # the 999 of each 270 is never due after its 271
    for result, outcome in ((single, one), (batch, many)):
        ack = ProcessingOutcome.objects.get(batch_id=result.batch, response_type="999")
        assert ack.due_at <= outcome.due_at


def test_each_270_interchange_gets_its_own_271_interchange(world):
    world.enrol(jane())
    first = world.ask(subscriber("S100"))
    second = world.ask(subscriber("S100"))
    a, b = world.answer(first), world.answer(second)
    assert a.file.pk != b.file.pk
    assert a.file.ingestion_ids == [first.batch] and b.file.ingestion_ids == [second.batch]


def test_a_270_with_several_sets_is_answered_set_by_set_in_one_271_interchange(world):
    world.enrol(jane())
    result = world.ask(sets=[[subscriber("S100")], [subscriber("S999", last="NOBODY")]])
    answer = world.answer(result)
    assert len(answer.all("ST")) == 2 and guide_problems(answer.data) == []
    assert answer.aaa() == [("Y", "75", "C")]
    assert ProcessingOutcome.objects.filter(batch_id=result.batch, response_type="271").count() == 2


def test_answering_is_idempotent_per_set(world):
    world.enrol(jane())
    result = world.ask(subscriber("S100"))
    header = TransactionHeader.objects.get(batch_id=result.batch)
    with storages["inbound"].open(header.batch.storage_path, "rb") as handle:
        segments = next(iter(x12.iter_transaction_sets(handle)))[2].segments
        again = eligibility_270_answer(header=header, segments=segments)
    assert not again.created and again.text().startswith("271 already staged")
    assert ProcessingOutcome.objects.filter(batch_id=result.batch, response_type="271").count() == 1
    assert EligibilityInquiry.objects.filter(batch_id=result.batch).count() == 1
