"""The 277CA responder end to end: its declaration, the 60-minute window (the 999 first, the
277CA when the window has passed), one 277CA set per 837 set, sets of several batches in
one file, and quarantine when our X214 guide refuses a file (never sent)."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from outbound.models import OutboundFileStatus, OutcomeStatus, ProcessingOutcome
from outbound.responders import spec_for
from outbound.services.assembly import outbound_assemble
from tests.support.synthetic_837 import Claim, Provider

pytestmark = pytest.mark.django_db


def test_the_277ca_is_declared_as_the_answer_to_the_837():
    spec = spec_for("277CA")
    assert (spec.functional_id, spec.counter_type, spec.window_minutes, spec.sla_minutes) == (
        "HN",
        "277CA",
        60,
        240,
    )
    assert [st01 for st01, _ in spec.answers] == ["837"]
    assert spec.answers[0][1].rejected_sets  # the 999-rejected sets are recorded too
    assert spec.guide_version == "005010X214" and not spec.group_by_batch


def test_staged_with_the_set_and_assembled_when_its_window_has_passed(claims_world):
    claims_world.enrol()
    result = claims_world.send("P", [Provider()], [Provider(claims=[Claim(pcn="SECOND")])])
    owed = ProcessingOutcome.objects.filter(batch_id=result.batch, response_type="277CA")
    assert owed.count() == 2  # one per 837 set
    for outcome in owed:
        minutes = (outcome.due_at - outcome.created_at).total_seconds() / 60
        assert round(minutes) == 60 and outcome.st02s and outcome.gs06
    outbound_assemble()  # the 999 is due after 5 minutes, the 277CA after 60: neither yet
    assert set(owed.values_list("status", flat=True)) == {OutcomeStatus.PENDING}
    outbound_assemble(now=timezone.now() + timedelta(minutes=61))
    files = {o.outbound_file for o in owed.select_related("outbound_file")}
    (file,) = files  # both sets in one 277CA file, two ST..SE
    assert file.status == OutboundFileStatus.PERSISTED and len(file.st02s) == 2
    assert file.file_name.startswith(f"{claims_world.provider.code}_277CA_")


def test_sets_of_several_batches_share_a_file_up_to_the_batch_size(claims_world):
    claims_world.enrol()
    first = claims_world.send("P", [Provider(claims=[Claim(pcn="B1")])])
    second = claims_world.send("P", [Provider(claims=[Claim(pcn="B2")])])
    ack = claims_world.ack(first)
    assert set(ack.claims()) == {"B1"} and ack.files == claims_world.ack(second).files


def test_a_277ca_our_x214_guide_refuses_is_quarantined_never_sent(claims_world):
    claims_world.enrol()
    result = claims_world.send("P", [Provider()])
    outcome = ProcessingOutcome.objects.get(batch_id=result.batch, response_type="277CA")
    content = outcome.payload
    content["providers"][0][1][0][7] = [["A9", "20", ""]]  # no such claim status category
    ProcessingOutcome.objects.filter(pk=outcome.pk).update(
        payload=orjson.loads(orjson.dumps(content))
    )
    outbound_assemble(ignore_windows=True, response_type="277CA")
    outcome.refresh_from_db()
    file = outcome.outbound_file
    assert file.status == OutboundFileStatus.QUARANTINED
    assert "outbound validation failed" in file.status_reason and "STC" in file.status_reason
    assert "STC" in file.status_reason and "A9" not in file.status_reason  # codes, no values
