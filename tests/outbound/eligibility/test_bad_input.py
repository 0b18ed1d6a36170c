"""Bad input: a malformed 270 gets its 999 rejection and no 271; a handler failure marks the
set FAILED with a reason free of PHI and Reprocess answers it; a 271 that fails our guide is
quarantined with the reason; nothing about a member reaches the logs."""

from __future__ import annotations

import logging

import pytest

from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.inbound.services.reprocess import batch_reprocess
from eventstore.models import TransactionHeader
from outbound.eligibility import services
from outbound.models import (
    EligibilityInquiry,
    OutboundFileStatus,
    OutboxMessage,
    ProcessingOutcome,
)
from outbound.services.assembly import outbound_assemble
from outbound.services.outcomes import outcome_stage
from tests.outbound.eligibility.world import days
from tests.support.synthetic_270 import build_270, subscriber
from tests.support.synthetic_834 import member

pytestmark = pytest.mark.django_db

PHI = ("DOE", "JANE", "S100", "19800101", "Doe", "Jane")


def enrolled(world):
    world.enrol(
        member(
            "S100",
            last="DOE",
            first="JANE",
            birth="19800101",
            coverages=[{"line": "HLT", "plan": "GOLD", "begin": days(-30)}],
        )
    )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda text: text.replace("EQ*30", "EQ*ZZZ"),  # not a service type code
        lambda text: text.replace("DMG*D8*19800101", "DMG*D8*19801340"),  # not a date
        lambda text: text.replace("NM1*IL*1*DOE*JANE****MI*S100~\n", ""),  # 2100C name missing
    ],
)
def test_a_malformed_270_gets_its_999_rejection_and_no_271(world, mangle):
    enrolled(world)
    text = build_270([subscriber("S100")], isa13=77, sender="PROVIDER01").decode()
    result = ingest_bytes(data=mangle(text).encode(), original_name="bad.270")
    ack = ProcessingOutcome.objects.get(batch_id=result.batch, response_type="999")
    assert ack.payload["sets"][0]["ik5"][0] == "R"
    assert not ProcessingOutcome.objects.filter(batch_id=result.batch, response_type="271")
    assert not EligibilityInquiry.objects.exists()


def test_a_handler_failure_marks_the_set_failed_without_phi_and_reprocess_answers_it(
    world, monkeypatch, ops_user
):
    enrolled(world)

    def broken(**_kwargs):
        raise RuntimeError("lookup of DOE JANE S100 failed")

    monkeypatch.setattr(services, "members_by_identifier", broken)
    result = world.ask(subscriber("S100"))
    header = TransactionHeader.objects.get(batch_id=result.batch)
    assert header.routing_status == "FAILED"
    assert header.routing_result == "handler failed (RuntimeError); retry with Reprocess"
    assert not ProcessingOutcome.objects.filter(batch_id=result.batch, response_type="271")
    assert not EligibilityInquiry.objects.exists()
    monkeypatch.undo()
    batch_reprocess(batch_id=result.batch, acting_user=ops_user)
    header.refresh_from_db()
    assert header.routing_status == "ROUTED" and header.routing_result.startswith("271 staged")
    answer = world.answer(result)
    assert answer.ebs()[0][0] == "1"
    assert EligibilityInquiry.objects.count() == 1


def test_a_271_that_fails_our_guide_is_quarantined_with_the_reason_not_sent(world):
    outcome, _ = outcome_stage(
        partner=world.provider,
        response_type="271",
        payload={
            "segments": [
                ["BHT", "0022", "11", "R1", "20260105", "1200"],
                ["HL", "1", "", "20", "1"],
                ["NM1", "PR", "2", "PAYER", "", "", "", "", "PI", "EDIPLATFORM"],
                ["HL", "2", "1", "21", "1"],
                ["NM1", "1P", "2", "CLINIC", "", "", "", "", "XX", "1234567893"],
                ["HL", "3", "2", "22", "0"],
                ["NM1", "IL", "1", "DOE", "JANE", "", "", "", "MI", "S100"],
                ["EB", "Q9", "", "30"],  # not an eligibility code
            ]
        },
        dedupe_key="bad-271",
        window_minutes=0,
    )
    outbound_assemble(response_type="271")
    outcome.refresh_from_db()
    file = outcome.outbound_file
    assert file.status == OutboundFileStatus.QUARANTINED and outcome.status == "FAILED"
    assert "EB at position 9 (loop 2110C)" in file.status_reason and "EB01" in file.status_reason
    assert not any(value in file.status_reason for value in PHI)
    assert not OutboxMessage.objects.filter(outbound_file=file).exists()


def test_nothing_about_a_member_reaches_logs_results_or_messages(world, caplog):
    caplog.set_level(logging.DEBUG)
    enrolled(world)
    caplog.clear()
    result = world.ask(subscriber("S100"), subscriber("S404", last="NOBODY"))
    answer = world.answer(result)
    header = TransactionHeader.objects.get(batch_id=result.batch)
    message = OutboxMessage.objects.get(outbound_file=answer.file)
    for text in (caplog.text, header.routing_result, str(message.payload)):
        assert not any(value in text for value in (*PHI, "NOBODY", "S404")), text
    assert "270 header" in caplog.text  # it did log, by ids and counts
