"""What the responder registry's optional declarations make assembly do, for any response
type: validate against its implementation guide (quarantine on a finding), keep each
answered batch in files of its own, stage with another window, bring an acknowledgment
forward."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from edi_platform import x12
from outbound import responders
from outbound.models import OutboundFileStatus, OutcomeStatus, ProcessingOutcome
from outbound.responders import ResponseSpec, register
from outbound.services.assembly import outbound_assemble
from outbound.services.outcomes import outcome_stage, outcomes_expedite
from outbound.services.validation import file_problems
from tests.factories import TradingPartnerFactory, TransactionBatchFactory

pytestmark = pytest.mark.django_db

GOOD_BODY = [
    ["BHT", "0022", "11", "REF", "20260105", "1200"],
    ["HL", "1", "", "20", "0"],
    ["NM1", "PR", "2", "PAYER", "", "", "", "", "PI", "EDIPLATFORM"],
]


def render_gdt(
    contents: Sequence[dict[str, Any]], envelope: x12.EnvelopeParams, st02s: list[str]
) -> bytes:
    return x12.build_interchange(
        [("271", c["body"]) for c in contents],
        envelope=envelope,
        functional_id="HB",
        version="005010X279A1",
        st02s=st02s,
    )


@pytest.fixture
def gdt_type(monkeypatch):
    """A response type that declares a guide and one file per answered batch."""
    monkeypatch.setattr(responders, "_specs", dict(responders._specs))
    return register(
        ResponseSpec(
            response_type="GDT",
            label="guided test response",
            functional_id="HB",
            counter_type="GDT",
            window_minutes=3,
            sla_minutes=5,
            render=render_gdt,
            guide_version="005010X279A1",
            group_by_batch=True,
        )
    )


def stage(partner, body, *, batch=None, key="1"):
    outcome, _ = outcome_stage(
        partner=partner,
        response_type="GDT",
        payload={"body": body},
        dedupe_key=f"gdt:{key}",
        batch_id=batch.pk if batch else None,
        window_minutes=0,
    )
    return outcome


def test_a_file_its_guide_accepts_is_stored(gdt_type, outbound_root):
    partner = TradingPartnerFactory()
    stage(partner, GOOD_BODY)
    result = outbound_assemble(response_type="GDT")
    assert (result.persisted, result.quarantined) == (1, 0)


def test_a_file_its_guide_flags_is_quarantined_with_codes_and_positions_only(
    gdt_type, outbound_root
):
    partner = TradingPartnerFactory()
    bad = [*GOOD_BODY[:2], ["NM1", "PR", "2", "SECRET NAME", "", "", "", "", "ZZ", "X"]]
    outcome = stage(partner, bad)
    result = outbound_assemble(response_type="GDT")
    assert result.quarantined == 1
    outcome.refresh_from_db()
    file = outcome.outbound_file
    assert file.status == OutboundFileStatus.QUARANTINED
    assert outcome.status == OutcomeStatus.FAILED
    reason = file.status_reason
    assert reason.startswith("outbound validation failed")
    assert "NM1 at position 4" in reason and "NM108" in reason
    assert "SECRET" not in reason and "ZZ" not in reason.split("IK4")[0][-20:]
    assert (outbound_root / (file.storage_path + ".reason.txt")).exists()


def test_every_file_is_checked_against_the_guide_of_its_sets_whatever_its_type(gdt_type):
    envelope = x12.EnvelopeParams(
        sender_qualifier="ZZ",
        sender_id="US",
        receiver_qualifier="ZZ",
        receiver_id="THEM",
        sender_gs_code="US",
        receiver_gs_code="THEM",
        usage_indicator="T",
        delimiters=x12.Delimiters(),
        isa13=1,
        gs06=1,
        timestamp=timezone.now(),
    )
    # a sound envelope around content no 271 guide would accept: refused under any type
    data = render_gdt([{"body": [["BHT", "0022"]]}], envelope, ["0001"])
    for response_type in ("GDT", "999", "NOPE"):
        problems = file_problems(data, response_type=response_type)
        assert problems and problems[0].startswith("outbound validation failed")
    assert x12.validate_envelope(data) == []  # the envelope alone would have let it go
    broken = data.replace(b"SE*3*0001", b"SE*9*0001")
    assert any("SE01" in p for p in file_problems(broken, response_type="GDT"))


def test_outcomes_of_different_batches_are_never_in_one_file_when_declared(gdt_type, outbound_root):
    partner = TradingPartnerFactory()
    first, second = (
        TransactionBatchFactory(partner=partner),
        TransactionBatchFactory(partner=partner),
    )
    stage(partner, GOOD_BODY, batch=first, key="a")
    stage(partner, GOOD_BODY, batch=first, key="b")
    stage(partner, GOOD_BODY, batch=second, key="c")
    result = outbound_assemble(response_type="GDT")
    assert result.persisted == 2
    files = {o.outbound_file_id for o in ProcessingOutcome.objects.filter(batch=first)}
    assert len(files) == 1
    assert files.isdisjoint(
        {o.outbound_file_id for o in ProcessingOutcome.objects.filter(batch=second)}
    )


def test_an_outcome_can_be_staged_with_its_own_window(gdt_type):
    partner = TradingPartnerFactory()
    later, _ = outcome_stage(partner=partner, response_type="GDT", payload={}, dedupe_key="w1")
    now, _ = outcome_stage(
        partner=partner, response_type="GDT", payload={}, dedupe_key="w2", window_minutes=0
    )
    assert later.due_at - later.created_at == timedelta(minutes=3)
    assert now.due_at == now.created_at


def test_an_acknowledgment_is_brought_forward_never_back():
    partner = TradingPartnerFactory()
    batch = TransactionBatchFactory(partner=partner)
    ack, _ = outcome_stage(
        partner=partner, response_type="999", payload={}, dedupe_key="a1", batch_id=batch.pk
    )
    soon = timezone.now() + timedelta(minutes=2)
    assert outcomes_expedite(batch_id=batch.pk, response_type="999", due_at=soon) == 1
    ack.refresh_from_db()
    assert ack.due_at == soon
    later = timezone.now() + timedelta(minutes=4)
    assert outcomes_expedite(batch_id=batch.pk, response_type="999", due_at=later) == 0
    ack.refresh_from_db()
    assert ack.due_at == soon
