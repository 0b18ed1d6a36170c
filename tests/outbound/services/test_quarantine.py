"""Envelope mismatches are caught before delivery: quarantined, numbers FAILED, reprocessable."""

from __future__ import annotations

import gc
import re

import pytest

from controlnumbers.gaps import gap_report
from controlnumbers.models import ControlNumberAudit
from outbound.models import (
    OperatorAction,
    OutboundFile,
    OutboundFileStatus,
    OutboxMessage,
    OutcomeStatus,
    ProcessingOutcome,
)
from outbound.services import assembly
from outbound.services.assembly import outbound_assemble
from outbound.services.reprocess import ReprocessRefused, outbound_reprocess
from tests.factories import TradingPartnerFactory
from tests.outbound.conftest import stage

pytestmark = pytest.mark.django_db

# Each envelope count / control-number mismatch, made by corrupting the rendered bytes.
MUTATIONS = {
    "SE01 count": (rb"SE\*(\d+)\*", lambda m: b"SE*%d*" % (int(m.group(1)) + 1)),
    "SE02 control number": (rb"SE\*(\d+)\*(\d+)~", lambda m: b"SE*%s*9999~" % m.group(1)),
    "GE01 count": (rb"GE\*(\d+)\*", lambda m: b"GE*%d*" % (int(m.group(1)) + 1)),
    "GE02 control number": (rb"GE\*(\d+)\*(\d+)~", lambda m: b"GE*%s*77777~" % m.group(1)),
    "IEA01 count": (rb"IEA\*1\*", lambda m: b"IEA*2*"),
    "IEA02 control number": (rb"IEA\*1\*(\d{9})", lambda m: b"IEA*1*999999999"),
}


@pytest.fixture
def corrupt(monkeypatch):
    def apply(name: str) -> None:
        pattern, repl = MUTATIONS[name]
        real = assembly.render_file

        def broken(file):
            data, count = re.subn(pattern, repl, real(file), count=1)
            assert count == 1
            return data

        monkeypatch.setattr(assembly, "render_file", broken)

    return apply


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_each_envelope_mismatch_is_quarantined_with_its_reason(mutation, corrupt, outbound_root):
    corrupt(mutation)
    partner = TradingPartnerFactory()
    stage(partner, "999", 2)
    result = outbound_assemble()
    assert result.quarantined == 1 and result.persisted == 0
    file = OutboundFile.objects.get()
    assert file.status == OutboundFileStatus.QUARANTINED
    assert file.storage_path.startswith("outbound/_quarantine/partner=")
    assert "outbound validation failed" in file.status_reason
    field = mutation.split()[0]
    assert field[:2] in file.status_reason  # SE / GE / IEA named in the reason
    assert (outbound_root / file.storage_path).exists()
    reason_file = outbound_root / (file.storage_path + ".reason.txt")
    assert reason_file.read_text().strip() == file.status_reason
    assert not (outbound_root / "outbound" / f"partner={partner.code}").exists()
    assert set(ProcessingOutcome.objects.values_list("status", flat=True)) == {"FAILED"}
    assert not OutboxMessage.objects.exists()
    # the numbers are a documented gap: FAILED audit rows carrying the reason
    audit = ControlNumberAudit.objects.filter(outbound_file_id=file.id)
    assert audit.count() == 4  # ISA13, GS06, two ST02
    assert set(audit.values_list("status", flat=True)) == {"FAILED"}
    assert all("outbound validation failed" in n for n in audit.values_list("notes", flat=True))
    assert {g.kind for g in gap_report().gaps} <= {"documented"}


def test_unrenderable_payload_is_quarantined_without_echoing_its_content():
    partner = TradingPartnerFactory()
    [outcome] = stage(partner, "999", 1)
    outcome.payload = {"type": "999", "secret": "JOHN DOE 1970-01-01"}
    outcome.save()
    outbound_assemble()
    file = OutboundFile.objects.get()
    assert file.status == OutboundFileStatus.QUARANTINED
    assert "JOHN" not in file.status_reason and "KeyError" in file.status_reason


def test_reprocess_builds_a_new_file_with_new_numbers_and_keeps_the_old_one(
    corrupt, monkeypatch, outbound_root, ops_user
):
    corrupt("SE01 count")
    partner = TradingPartnerFactory()
    outcomes = stage(partner, "999", 2)
    outbound_assemble()
    old = OutboundFile.objects.get()
    monkeypatch.undo()  # the cause is fixed
    new = outbound_reprocess(file_id=old.id, acting_user=ops_user, reason="fixed")
    assert new.status == OutboundFileStatus.PERSISTED and new.reprocessed_from_id == old.id
    assert new.isa13 != old.isa13 and not set(new.st02s) & set(old.st02s)
    old.refresh_from_db()
    assert old.status == OutboundFileStatus.QUARANTINED  # stays documented
    assert set(ProcessingOutcome.objects.values_list("status", "outbound_file")) == {
        (OutcomeStatus.ASSEMBLED, new.id)
    }
    assert new.outcome_ids == [o.id for o in outcomes]
    action = OperatorAction.objects.get()
    assert (action.action, action.actor, action.outbound_file_id) == (
        "REPROCESS",
        "ops-admin",
        old.id,
    )
    with pytest.raises(ReprocessRefused):
        outbound_reprocess(file_id=old.id, acting_user=ops_user)


def test_reprocess_refuses_a_file_that_is_not_quarantined(ops_user):
    stage(TradingPartnerFactory(), "999", 1)
    outbound_assemble()
    with pytest.raises(ReprocessRefused):
        outbound_reprocess(file_id=OutboundFile.objects.get().id, acting_user=ops_user)


@pytest.mark.parametrize("payload_ok", [True, False], ids=["persisted", "quarantined"])
def test_render_and_validation_run_with_the_cyclic_collector_paused_and_restore_it(
    monkeypatch, outbound_root, payload_ok
):
    # a big file is ~10^6 short-lived objects: a collector left on re-scans the whole heap
    seen: list[bool] = []
    real_render, real_problems = assembly.render_file, assembly.file_problems

    def render(file):
        seen.append(gc.isenabled())
        return real_render(file)

    def problems(data, **kwargs):
        seen.append(gc.isenabled())
        return real_problems(data, **kwargs)

    monkeypatch.setattr(assembly, "render_file", render)
    monkeypatch.setattr(assembly, "file_problems", problems)
    [outcome] = stage(TradingPartnerFactory(), "999", 1)
    if not payload_ok:
        outcome.payload = {"type": "999"}  # cannot be rendered: quarantined at once
        outcome.save()
    assert gc.isenabled()
    result = outbound_assemble()
    assert (result.persisted, result.quarantined) == ((1, 0) if payload_ok else (0, 1))
    assert seen == ([False, False] if payload_ok else [False])
    assert gc.isenabled()
