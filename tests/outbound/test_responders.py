"""The response-type registry: what TA1 and 999 declare, and that a new response type is one
module's declaration that assembly, staging, batch windows and the admin all follow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from edi_platform import x12
from outbound import responders
from outbound.models import BatchWindow, OutboundFile, OutboundFileStatus
from outbound.responders import ResponseSpec, register, response_types, spec_for
from outbound.services.assembly import outbound_assemble
from outbound.services.outcomes import outcome_stage, window_minutes_for
from outbound.services.windows import batch_windows_ensure
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db


def test_ta1_and_999_are_declared_with_their_envelope_facts():
    ta1, ack = spec_for("TA1"), spec_for("999")
    assert (ta1.functional_id, ta1.uses_group, ta1.window_minutes, ta1.sla_minutes) == (
        None,
        False,
        0,
        5,
    )
    assert (ack.functional_id, ack.uses_group, ack.window_minutes, ack.sla_minutes) == (
        "FA",
        True,
        5,
        15,
    )
    assert response_types()[:3] == ["TA1", "271", "999"]  # by priority
    with pytest.raises(responders.UnknownResponseType):
        spec_for("NOPE")


def render_tst(
    contents: Sequence[dict[str, Any]], envelope: x12.EnvelopeParams, st02s: list[str]
) -> bytes:
    # one small acknowledgment-shaped set per content, carrying the content's reference
    return x12.build_interchange(
        [
            ("999", [["AK1", "HC", c["ref"], "005010X222A1"], ["AK9", "A", "0", "0", "0"]])
            for c in contents
        ],
        envelope=envelope,
        functional_id="FA",
        version="005010X231A1",
        st02s=st02s,
    )


@pytest.fixture
def tst_type(monkeypatch):
    """A response type declared the way a module of outbound/responders/ declares one."""
    monkeypatch.setattr(responders, "_specs", dict(responders._specs))
    return register(
        ResponseSpec(
            response_type="TST",
            label="test response",
            functional_id="FA",
            counter_type="TST",
            window_minutes=7,
            sla_minutes=30,
            render=render_tst,
            priority=90,
            max_batch_size=2,
        )
    )


def test_a_declared_response_type_gets_its_window_and_is_assembled(tst_type, outbound_root):
    assert batch_windows_ensure() == ["TST"]
    window = BatchWindow.objects.get(response_type="TST")
    assert (window.window_minutes, window.max_batch_size, window.sla_minutes) == (7, 2, 30)
    window.window_minutes = 0  # an operator's edit is never undone
    window.save()
    assert batch_windows_ensure() == [] and window_minutes_for("TST") == 0

    partner = TradingPartnerFactory(code="RESP")
    for n in range(3):
        outcome_stage(
            partner=partner, response_type="TST", payload={"ref": str(n)}, dedupe_key=f"tst:{n}"
        )
    result = outbound_assemble(response_type="TST")
    files = OutboundFile.objects.filter(transaction_type="TST").order_by("isa13")
    assert result.persisted == 2 and [len(f.outcome_ids) for f in files] == [2, 1]
    assert {f.status for f in files} == {OutboundFileStatus.PERSISTED}
    data = (outbound_root / files[0].storage_path).read_bytes()
    assert b"GS*FA*" in data and x12.validate_envelope(data) == []


def test_the_admin_and_the_command_offer_the_declared_types(tst_type, admin_client_logged_in):
    from outbound.windows_admin import BatchWindowForm

    assert ("TST", "test response") in BatchWindowForm().fields["response_type"].choices
    from django.core.management import call_command

    call_command("assemble_outbound", "--type", "TST")  # accepted as a choice
