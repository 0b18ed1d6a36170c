"""The plan of a batch, built from the engine's report without a database: final status and
reason, owed TA1 / 999, counts, and the routing status of every set."""

from __future__ import annotations

from edi_platform import x12
from edi_platform.x12.peek import peek_isa
from eventstore.inbound.models import BatchStatus, RoutingStatus
from eventstore.inbound.services.plan import (
    plan_duplicate,
    plan_from_report,
    plan_unknown_partner,
    plan_without_partner,
)
from tests.eventstore.inbound.samples import SENDER, sample, two_sets_one_bad
from tests.factories import TradingPartnerFactory


def partner(**overrides):
    return TradingPartnerFactory.build(
        pk=41, code="SYNTH", their_isa_id=SENDER, their_gs_code=SENDER, **overrides
    )


def planned(data: bytes, who=None):
    who = who or partner()
    return plan_from_report(
        batch_id=7, report=x12.validate(data), partner=who, lookup=lambda q, i: who
    )


def test_an_accepted_file_owes_a_999_and_routes_its_set():
    plan = planned(sample())
    assert (plan.status, plan.reason, plan.sets_accepted, plan.sets_rejected) == (
        BatchStatus.ACCEPTED,
        "",
        1,
        0,
    )
    (ack,) = plan.outcomes
    assert (ack.response_type, ack.dedupe_key, ack.st02s) == ("999", "7:999:000000101:1", ["0001"])
    assert [status for *_, status in plan.headers] == [RoutingStatus.PENDING]  # 834: the ledger
    assert plan.batch_fields()["partner_id"] == 41


def test_a_rejected_set_is_named_in_the_reason_and_not_routed():
    plan = planned(two_sets_one_bad())
    assert plan.status == BatchStatus.PARTIALLY_ACCEPTED
    assert (plan.sets_accepted, plan.sets_rejected) == (1, 1)
    assert "Transaction set 834 ST02 0002 rejected (IK5 R" in plan.reason
    assert "19801340" not in plan.reason  # the bad value (PHI) is never echoed
    statuses = {s.control_number: status for _, _, s, status in plan.headers}
    assert statuses == {"0001": RoutingStatus.PENDING, "0002": RoutingStatus.NOT_ROUTED}


def test_ta1_follows_the_partner_policy_and_a_rejected_interchange_always_gets_one():
    assert [o.response_type for o in planned(sample(), partner(ta1_policy="always")).outcomes] == [
        "TA1",
        "999",
    ]
    cut = sample()[: len(sample()) // 2]
    plan = planned(cut, partner(ta1_policy="on_error"))
    assert plan.status == BatchStatus.REJECTED and "TA1 R" in plan.reason
    assert [o.response_type for o in plan.outcomes] == ["TA1"]
    assert planned(cut, partner(ta1_policy="never")).outcomes == []


def test_a_duplicate_is_answered_with_ta1_r_025_and_nothing_else():
    plan = plan_duplicate(
        batch_id=9,
        partner=partner(),
        original_id=3,
        original_isa13="000000101",
        isa_report=x12.validate(sample()[:4096]),
    )
    assert (plan.status, plan.duplicate_of_id) == (BatchStatus.DUPLICATE, 3)
    (ta1,) = plan.outcomes
    assert (ta1.response_type, ta1.payload["ack_code"], ta1.payload["note_code"]) == (
        "TA1",
        "R",
        "025",
    )
    assert len(plan.headers) == 0


def test_no_partner_means_no_answer():
    unknown = plan_unknown_partner(peek_isa(sample()), None)
    assert unknown.status == BatchStatus.UNKNOWN_PARTNER and unknown.outcomes == []
    assert "is not a trading partner" in unknown.reason
    junk = plan_without_partner(x12.validate(b"\x00\x01 not x12"))
    assert junk.status == BatchStatus.REJECTED and junk.reason.startswith("Not a usable X12")
