"""assemble_outbound / recover_outbound / publish_outbox / run_scheduler / seed_demo --samples."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from edi_platform import x12
from eventstore.ledger.services.projections import project_pending
from eventstore.models import DomainEvent, Member
from outbound.models import (
    Claim,
    OutboundFile,
    OutboundFileStatus,
    OutcomeStatus,
    ProcessingOutcome,
)
from tests.factories import TradingPartnerFactory
from tests.outbound.conftest import stage

pytestmark = pytest.mark.django_db


def _call(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_assemble_outbound_respects_windows_unless_now():
    partner = TradingPartnerFactory()
    stage(partner, "999", 2, due_in_minutes=5)
    assert "claimed 0 outcome(s)" in _call("assemble_outbound")
    assert "1 file(s) persisted (2 outcome(s))" in _call("assemble_outbound", "--now")


def test_assemble_outbound_filters_partner_and_type():
    a, b = TradingPartnerFactory(), TradingPartnerFactory()
    stage(a, "999", 1)
    stage(a, "TA1", 1)
    stage(b, "999", 1)
    _call("assemble_outbound", "--partner", a.code, "--type", "TA1")
    assert list(OutboundFile.objects.values_list("partner__code", "transaction_type")) == [
        (a.code, "TA1")
    ]
    assert ProcessingOutcome.objects.filter(status=OutcomeStatus.PENDING).count() == 2


def test_assemble_outbound_rejects_an_unknown_partner():
    with pytest.raises(CommandError, match="Unknown partner"):
        call_command("assemble_outbound", "--partner", "NOPE")


def test_recover_outbound_reports_what_it_did():
    assert "0 stale claimed outcome(s) released" in _call("recover_outbound", "--older-than", "0")


def test_publish_outbox_without_redis_says_so(settings):
    settings.OUTBOUND_REDIS_URL = None
    settings.CELERY_BROKER_URL = "memory://"
    assert "no Redis configured" in _call("publish_outbox")


def test_run_scheduler_runs_each_default_schedule_once_without_a_broker():
    stage(TradingPartnerFactory(), "999", 1)
    out = _call("run_scheduler")
    assert "outbound: assemble due outcomes: claimed 1 outcome(s)" in out
    assert "outbound: publish outbox:" in out and "outbound: recover stale assembly:" in out
    assert OutboundFile.objects.get().status == OutboundFileStatus.PERSISTED


def test_seed_demo_with_samples_shows_the_whole_loop_once(settings, tmp_path, outbound_root):
    settings.STORAGES = {
        **settings.STORAGES,
        "inbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "inbound")},
        },
    }
    out = _call("seed_demo", "--samples")
    assert "demo ingest: PARTNERB_837P_bad_date.x12" in out
    files = list(OutboundFile.objects.select_related("partner"))
    kinds = sorted((f.partner.code, f.transaction_type) for f in files)
    # PARTNERA asked for a TA1 (ISA14=1); PARTNERB always gets one; one 999 file per partner
    # answering all its inbound groups (four groups for PARTNERA: three 837P groups and one
    # 834, one ST each); one 277CA file for PARTNERA's four accepted 837P sets (PARTNERB's
    # only set is rejected by the 999: its claim is recorded, no 277CA)
    assert kinds == [
        ("PARTNERA", "277CA"),
        ("PARTNERA", "999"),
        ("PARTNERA", "TA1"),
        ("PARTNERB", "999"),
        ("PARTNERB", "TA1"),
    ]
    partnera_999 = next(
        f for f in files if f.partner.code == "PARTNERA" and f.transaction_type == "999"
    )
    assert len(partnera_999.st02s) == 4
    # the demo 834 (a family of three) reached the event store; the projector (run on commit,
    # which this test's enclosing transaction never reaches) builds the members from it
    assert DomainEvent.objects.exists()
    project_pending()
    assert Member.objects.count() == 3
    for f in files:
        assert f.status == OutboundFileStatus.PERSISTED
        data = (outbound_root / f.storage_path).read_bytes()
        assert x12.validate_envelope(data) == []
        # incl. PARTNERB's rejection with IK3/IK4, '|' delimiters; the 277CA by pyx12's X214
        if f.transaction_type in ("999", "277CA"):
            copy = tmp_path / f"{f.partner.code}_{f.transaction_type}.x12"
            copy.write_bytes(data)
            run = subprocess.run(
                [str(Path(sys.executable).parent / "x12valid"), "-q", str(copy)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert f"{copy}: OK" in run.stderr, run.stderr
    partnerb_999 = next(
        f for f in files if f.partner.code == "PARTNERB" and f.transaction_type == "999"
    )
    rejection = (outbound_root / partnerb_999.storage_path).read_bytes()
    assert b"~IK3|DMG|" in rejection and b"~AK9|R|" in rejection
    again = _call("seed_demo", "--samples")
    assert "already received" in again and "nothing assembled" in again
    assert OutboundFile.objects.count() == 5
    assert Claim.objects.count() == 5  # every claim recorded once
    assert Member.objects.count() == 3
