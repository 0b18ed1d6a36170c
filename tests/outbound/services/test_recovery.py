"""Recovery: stale claims go back to PENDING; stale ASSEMBLING files are rebuilt with the
same numbers, byte for byte."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from controlnumbers.models import ControlNumberAudit
from outbound.models import OutboundFile, OutboundFileStatus, OutcomeStatus, ProcessingOutcome
from outbound.services.assembly import file_path, outbound_assemble
from outbound.services.recovery import _take, outbound_recover
from tests.factories import TradingPartnerFactory
from tests.outbound.conftest import Crash, left_assembling, stage
from tests.support.pg import other_session

pytestmark = pytest.mark.django_db


def _later():
    return timezone.now() + timedelta(minutes=10)


def test_stale_claimed_outcomes_without_a_file_go_back_to_pending(crash_at):
    crash_at("after_claim")
    stage(TradingPartnerFactory(), "999", 3)
    with pytest.raises(Crash):
        outbound_assemble()
    assert set(ProcessingOutcome.objects.values_list("status", flat=True)) == {"CLAIMED"}
    assert outbound_recover().released_outcomes == 0  # not stale yet
    assert outbound_recover(now=_later()).released_outcomes == 3
    assert set(ProcessingOutcome.objects.values_list("status", "claimed_at")) == {("PENDING", None)}


@pytest.mark.parametrize("point", ["after_allocation", "after_write", "before_commit"])
def test_stale_assembling_file_is_finished_with_its_original_numbers(
    point, crash_at, monkeypatch, outbound_root
):
    crash_at(point)
    partner = TradingPartnerFactory()
    stage(partner, "999", 2)
    with pytest.raises(Crash):
        outbound_assemble()
    file = OutboundFile.objects.get()
    assert file.status == OutboundFileStatus.ASSEMBLING  # before_commit: rolled back
    numbers = (file.isa13, file.gs06, list(file.st02s))
    monkeypatch.undo()
    assert outbound_recover().finished == []  # fresh: a live worker may still be on it
    result = outbound_recover(now=_later())
    assert result.finished == [str(file.id)]
    file.refresh_from_db()
    assert file.status == OutboundFileStatus.PERSISTED
    assert (file.isa13, file.gs06, list(file.st02s)) == numbers
    assert set(ProcessingOutcome.objects.values_list("status", flat=True)) == {
        OutcomeStatus.ASSEMBLED
    }
    stored = list((outbound_root / "outbound").rglob("*.edi"))
    assert [p.relative_to(outbound_root).as_posix() for p in stored] == [file.storage_path]


@pytest.mark.parametrize("point", ["after_allocation", "after_write", "before_commit"])
def test_a_real_time_file_left_assembling_is_finished_with_its_original_numbers(
    point, crash_at, monkeypatch, outbound_root
):
    crash_at(point)
    stage(TradingPartnerFactory(), "TA1", 2)  # window 0: claimed and allocated at once
    with pytest.raises(Crash):
        outbound_assemble()
    file = OutboundFile.objects.get()
    assert file.status == OutboundFileStatus.ASSEMBLING
    assert set(ProcessingOutcome.objects.values_list("status", "outbound_file")) == {
        (OutcomeStatus.CLAIMED, file.id)
    }
    monkeypatch.undo()
    assert outbound_recover(now=_later()).finished == [str(file.id)]
    file.refresh_from_db()
    assert (file.status, file.isa13) == (OutboundFileStatus.PERSISTED, 1)
    assert set(ProcessingOutcome.objects.values_list("status", flat=True)) == {
        OutcomeStatus.ASSEMBLED
    }
    stored = list((outbound_root / "outbound").rglob("*.edi"))
    assert [p.relative_to(outbound_root).as_posix() for p in stored] == [file.storage_path]


def test_rebuild_reproduces_the_file_byte_for_byte(crash_at, monkeypatch, outbound_root):
    crash_at("after_write")
    stage(TradingPartnerFactory(), "999", 4)
    with pytest.raises(Crash):
        outbound_assemble()
    file = OutboundFile.objects.get()
    path = outbound_root / file_path(file)
    first_attempt = path.read_bytes()
    path.unlink()  # lost with the crashed worker's disk, say
    monkeypatch.undo()
    outbound_recover(now=_later())
    file.refresh_from_db()
    assert file.status == OutboundFileStatus.PERSISTED
    assert path.read_bytes() == first_attempt


def test_a_different_file_at_the_path_is_never_overwritten(crash_at, monkeypatch, outbound_root):
    crash_at("after_allocation")
    stage(TradingPartnerFactory(), "999", 1)
    with pytest.raises(Crash):
        outbound_assemble()
    file = OutboundFile.objects.get()
    path = outbound_root / file_path(file)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"someone else's bytes~")
    monkeypatch.undo()
    result = outbound_recover(now=_later())
    assert result.quarantined == [str(file.id)]
    assert path.read_bytes() == b"someone else's bytes~"
    assert set(ProcessingOutcome.objects.values_list("status", flat=True)) == {"FAILED"}


def test_recovery_removes_the_temporary_file_of_a_killed_writer(
    crash_at, monkeypatch, outbound_root
):
    crash_at("after_allocation")
    stage(TradingPartnerFactory(), "999", 1)
    with pytest.raises(Crash):
        outbound_assemble()
    file = OutboundFile.objects.get()
    folder = (outbound_root / file_path(file)).parent
    folder.mkdir(parents=True)
    (folder / ".tmp-killed.part").write_bytes(b"ISA*00*half a fi")
    monkeypatch.undo()
    outbound_recover(stale_after=timedelta(0))
    assert sorted(p.name for p in folder.iterdir()) == [file_path(file).rsplit("/", 1)[1]]


def test_a_recovery_reports_and_logs_what_it_did(crash_at, caplog):
    from outbound.services.recovery import RecoveryResult

    assert RecoveryResult(
        released_outcomes=2, finished=["7"], quarantined=["8", "9"], skipped=[]
    ).summary() == (
        "2 stale claimed outcome(s) released; 1 file(s) finished with their original "
        "numbers; 2 quarantined, 0 skipped (see log)"
    )
    crash_at("after_claim")
    stage(TradingPartnerFactory(), "999", 2)
    with pytest.raises(Crash):
        outbound_assemble()
    with caplog.at_level("INFO", logger="outbound.services.recovery"):
        assert outbound_recover().released_outcomes == 0
        assert caplog.records == []  # nothing to do: nothing logged
        result = outbound_recover(stale_after=timedelta(0), now=timezone.now())
    assert result.released_outcomes == 2
    assert [r.getMessage() for r in caplog.records] == [f"outbound recovery: {result.summary()}"]


def test_the_reissued_numbers_say_recovery_rebuilt_the_file(crash_at, monkeypatch, outbound_root):
    file = left_assembling(crash_at, monkeypatch, TradingPartnerFactory())
    assert outbound_recover(now=_later()).finished == [str(file.id)]
    notes = ControlNumberAudit.objects.filter(outbound_file_id=file.id).values_list(
        "notes", flat=True
    )
    assert len(notes) == 3  # ISA13, GS06, ST02
    assert all("outbound recovery rebuild" in n.split(" | ") for n in notes), list(notes)


def test_a_file_whose_numbers_disagree_with_the_store_is_left_for_a_person(
    crash_at, monkeypatch, outbound_root, caplog
):
    file = left_assembling(crash_at, monkeypatch, TradingPartnerFactory())
    store = (file.isa13, file.gs06, list(file.st02s))
    audit_before = list(ControlNumberAudit.objects.values_list("id", "status", "notes"))
    OutboundFile.objects.filter(pk=file.pk).update(isa13=file.isa13 + 100)
    with caplog.at_level("ERROR", logger="outbound.services.recovery"):
        result = outbound_recover(now=_later())
    assert (result.finished, result.quarantined, result.skipped) == ([], [], [str(file.id)])
    file.refresh_from_db()
    assert file.status == OutboundFileStatus.ASSEMBLING
    # the reissue rolled back with the refusal: the audit is as the crash left it
    assert list(ControlNumberAudit.objects.values_list("id", "status", "notes")) == audit_before
    row = (file.isa13, file.gs06, list(file.st02s))
    assert [r.getMessage() for r in caplog.records] == [
        f"outbound recovery: file {file.id} not rebuilt: the control-number store has "
        f"ISA13/GS06/ST02s {store}, the file row {row}"
    ]


def test_taking_a_file_refuses_one_finished_or_touched_meanwhile(crash_at, monkeypatch):
    file = left_assembling(crash_at, monkeypatch, TradingPartnerFactory())
    cutoff = _later()
    OutboundFile.objects.filter(pk=file.pk).update(status=OutboundFileStatus.PERSISTED)
    assert _take(file.id, cutoff) is None  # finished by someone else since it was listed
    OutboundFile.objects.filter(pk=file.pk).update(status=OutboundFileStatus.ASSEMBLING)
    assert _take(file.id, file.updated_at) is None  # touched since: a live worker has it
    taken = _take(file.id, cutoff)
    assert taken.pk == file.pk and taken.updated_at > file.updated_at


@pytest.mark.django_db(transaction=True)
def test_recovery_skips_what_another_session_holds_and_takes_the_rest(
    crash_at, monkeypatch, outbound_root
):
    partner = TradingPartnerFactory()
    held = left_assembling(crash_at, monkeypatch, partner)
    free = left_assembling(crash_at, monkeypatch, partner)
    crash_at("after_claim")
    (claimed,) = stage(partner, "999", 1)
    with pytest.raises(Crash):
        outbound_assemble()
    monkeypatch.undo()
    with other_session(autocommit=False) as other:
        # another recovery is on `held` and on the claimed outcome; a partner row is locked
        # by someone else too (numbers, a profile change): none of them may stop this one
        other.execute("SELECT 1 FROM outbound_outboundfile WHERE id = %s FOR UPDATE", [held.id])
        other.execute(
            "SELECT 1 FROM outbound_processingoutcome WHERE id = %s FOR UPDATE", [claimed.id]
        )
        other.execute(
            "SELECT 1 FROM partners_tradingpartner WHERE id = %s FOR UPDATE", [partner.id]
        )
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # waiting would fail the test, not hang it
        result = outbound_recover(now=_later() + timedelta(hours=1))
        other.rollback()
    assert (result.released_outcomes, result.finished) == (0, [str(free.id)])
    held.refresh_from_db()
    assert held.status == OutboundFileStatus.ASSEMBLING
    assert ProcessingOutcome.objects.get(pk=claimed.pk).status == OutcomeStatus.CLAIMED


def test_a_recovery_with_nothing_stale_logs_nothing(crash_at, monkeypatch, caplog):
    stage(TradingPartnerFactory(), "999", 1)
    outbound_assemble()  # an old PERSISTED file: nothing to recover
    OutboundFile.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    left_assembling(crash_at, monkeypatch, TradingPartnerFactory())  # fresh: a live worker's
    caplog.clear()
    with caplog.at_level("INFO", logger="outbound.services.recovery"):
        result = outbound_recover(now=timezone.now() + timedelta(minutes=1))
    assert (result.finished, result.skipped, result.released_outcomes) == ([], [], 0)
    assert caplog.records == []


def test_one_file_left_for_a_person_does_not_stop_the_recovery_of_the_others(
    crash_at, monkeypatch, outbound_root
):
    files = [left_assembling(crash_at, monkeypatch, TradingPartnerFactory()) for _ in range(3)]
    for file in files[:2]:
        OutboundFile.objects.filter(pk=file.pk).update(isa13=file.isa13 + 100)
    result = outbound_recover(now=_later())
    assert sorted(result.skipped) == sorted(str(f.id) for f in files[:2])
    assert result.finished == [str(files[2].id)]


def test_stale_files_are_recovered_oldest_first_and_by_id_among_equals(
    crash_at, monkeypatch, outbound_root
):
    files = [left_assembling(crash_at, monkeypatch, TradingPartnerFactory()) for _ in range(3)]
    low, mid, high = sorted(files, key=lambda f: f.id)
    base = timezone.now() - timedelta(hours=1)
    # the oldest is the highest id (an order by id alone puts it last); the two equals are
    # rewritten high id first, created_at with them so that the rows (and the status index,
    # which a sort by time alone would keep the order of) hold them in that order
    for file, at in (
        (high, base),
        (mid, base + timedelta(seconds=1)),
        (low, base + timedelta(seconds=1)),
    ):
        OutboundFile.objects.filter(pk=file.pk).update(updated_at=at, created_at=at)
    result = outbound_recover(now=_later())
    assert result.finished == [str(high.id), str(low.id), str(mid.id)]
