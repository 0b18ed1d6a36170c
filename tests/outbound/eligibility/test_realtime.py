"""Real time: a 270 with one inquiry is answered as soon as its inbound transaction commits
(no beat tick, no operator), its 999 with it; a batch 270 waits for the 271 window."""

from __future__ import annotations

import pytest

from outbound.models import OutboundFile, OutboundFileStatus, ProcessingOutcome
from tests.outbound.eligibility.world import days
from tests.support.synthetic_270 import subscriber
from tests.support.synthetic_834 import member

pytestmark = pytest.mark.django_db(transaction=True)


def enrolled(world):
    world.enrol(
        member(
            "S100",
            last="DOE",
            first="JANE",
            birth="19800101",
            coverages=[{"line": "HLT", "plan": "GOLD", "begin": days(-30)}],
        ),
        member("S200", last="ROE", first="RAY", birth="19700101"),
    )


def test_one_inquiry_is_answered_right_after_the_commit_with_its_999(world):
    enrolled(world)
    result = world.ask(subscriber("S100"))
    # Celery runs eagerly here: the on-commit assembly has run when ingest returns
    owed = {o.response_type: o for o in ProcessingOutcome.objects.filter(batch_id=result.batch)}
    assert set(owed) == {"999", "271"}
    for outcome in owed.values():
        assert outcome.outbound_file is not None
        assert outcome.outbound_file.status == OutboundFileStatus.PERSISTED
    # the answer first (its SLA is the tight one), its acknowledgment right after
    assert owed["271"].outbound_file.created_at <= owed["999"].outbound_file.created_at


def test_a_batch_270_waits_for_the_271_window(world):
    enrolled(world)
    result = world.ask(
        subscriber("S100"), subscriber("S200", last="ROE", first="RAY", birth="19700101")
    )
    answer = ProcessingOutcome.objects.get(batch_id=result.batch, response_type="271")
    assert answer.outbound_file is None and answer.status == "PENDING"
    assert not OutboundFile.objects.filter(transaction_type="271").exists()
