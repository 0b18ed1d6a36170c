"""Closing a documented gap finds the file where outbound really wrote it (the file locator
outbound registers with controlnumbers), through the admin action and the service."""

from __future__ import annotations

import getpass
import logging
import uuid

import pytest

from controlnumbers.locator import file_locate
from controlnumbers.models import AuditStatus, ControlNumberAudit
from controlnumbers.services import gaps_close, numbers_mark_failed
from outbound.models import OutboundFile, OutboundFileStatus
from outbound.services.assembly import outbound_assemble
from outbound.services.files import file_path
from tests.factories import TradingPartnerFactory
from tests.outbound.conftest import stage

pytestmark = pytest.mark.django_db

AUDIT = "/admin/controlnumbers/controlnumberaudit/"


class _FinishLost(Exception):
    pass


@pytest.fixture
def written_but_failed(outbound_root, monkeypatch):
    """A 999 file outbound's writer stored, whose finishing transaction never committed (the
    worker died after the write), and whose numbers an operator then marked FAILED: a
    documented gap whose file does exist, at the path only outbound knows."""
    partner = TradingPartnerFactory(code="PARTNERA")
    stage(partner, "999", 2)

    def finish_lost(*args, **kwargs):
        raise _FinishLost

    monkeypatch.setattr("outbound.services.assembly._finish", finish_lost)
    outbound_assemble(ignore_windows=True)
    monkeypatch.undo()
    file = OutboundFile.objects.get()
    assert file.status == OutboundFileStatus.ASSEMBLING and file.storage_path == ""
    written = [p for p in outbound_root.rglob("*.edi")]
    assert [p.relative_to(outbound_root).as_posix() for p in written] == [file_path(file)]
    assert numbers_mark_failed(outbound_file_id=file.id, reason="worker lost") == 4
    return file


def test_the_locator_answers_from_the_outbound_file_row(written_but_failed, outbound_root):
    assert file_locate(outbound_file_id=written_but_failed.id) == file_path(written_but_failed)
    (outbound_root / file_path(written_but_failed)).unlink()
    assert file_locate(outbound_file_id=written_but_failed.id) is None


def test_a_quarantined_file_is_never_found_as_stored(written_but_failed):
    OutboundFile.objects.filter(pk=written_but_failed.pk).update(
        status=OutboundFileStatus.QUARANTINED
    )
    assert file_locate(outbound_file_id=written_but_failed.id) is None


def test_close_gap_closes_the_numbers_of_a_file_outbound_wrote(
    admin_client_logged_in, written_but_failed
):
    rows = ControlNumberAudit.objects.filter(outbound_file_id=written_but_failed.id)
    ids = [str(i) for i in rows.values_list("id", flat=True)]
    assert set(rows.values_list("status", flat=True)) == {AuditStatus.FAILED}
    assert rows.count() == 4  # ISA13, GS06 and two ST02

    preview = admin_client_logged_in.post(AUDIT, {"action": "close_gap", "_selected_action": ids})
    assert preview.status_code == 200
    assert b"4 of 4 selected items qualify" in preview.content
    assert set(rows.values_list("status", flat=True)) == {AuditStatus.FAILED}  # not yet

    admin_client_logged_in.post(
        AUDIT, {"action": "close_gap", "_selected_action": ids, "confirm": "yes"}
    )
    assert set(rows.values_list("status", flat=True)) == {AuditStatus.PERSISTED}
    assert {r.file_name for r in rows} == {file_path(written_but_failed)}
    assert all("gap closed by ops-admin" in r.notes for r in rows)


def test_close_gap_service_reports_files_not_in_storage(written_but_failed, outbound_root):
    (outbound_root / file_path(written_but_failed)).unlink()
    ids = list(
        ControlNumberAudit.objects.filter(outbound_file_id=written_but_failed.id).values_list(
            "id", flat=True
        )
    )
    result = gaps_close(audit_ids=ids, acting_user=None)
    assert (result.closed, sorted(result.not_found)) == (0, sorted(ids))


def test_closing_a_gap_needs_the_permission_in_the_service_and_the_admin(
    client, django_user_model, written_but_failed
):
    from django.contrib.auth.models import Permission
    from django.core.exceptions import PermissionDenied

    ids = list(
        ControlNumberAudit.objects.filter(outbound_file_id=written_but_failed.id).values_list(
            "id", flat=True
        )
    )
    clerk = django_user_model.objects.create_user("clerk", password="pw-clerk-1", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_controlnumberaudit"))
    with pytest.raises(PermissionDenied) as denied:
        gaps_close(audit_ids=ids, acting_user=clerk)
    assert str(denied.value) == "closing gaps needs the permission controlnumbers.close_gap"
    client.force_login(clerk)
    page = client.post(AUDIT, {"action": "close_gap", "_selected_action": ids, "confirm": "yes"})
    assert page.status_code in (200, 302) and b"Close gaps" not in page.content
    assert not ControlNumberAudit.objects.filter(id__in=ids, status=AuditStatus.PERSISTED).exists()

    clerk.user_permissions.add(Permission.objects.get(codename="close_gap"))
    clerk = django_user_model.objects.get(pk=clerk.pk)  # a fresh permission cache
    client.force_login(clerk)
    client.post(AUDIT, {"action": "close_gap", "_selected_action": ids, "confirm": "yes"})
    assert set(ControlNumberAudit.objects.filter(id__in=ids).values_list("status", flat=True)) == {
        AuditStatus.PERSISTED
    }


def _failed_copy(row: ControlNumberAudit, *, outbound_file_id, shift: int) -> int:
    row.pk = None
    row.number += shift
    row.seq += shift
    row.outbound_file_id = outbound_file_id
    row.save()
    return row.pk


def _twin(file: OutboundFile, outbound_root) -> OutboundFile:
    """Another file of the same kind, written where outbound writes it, its finish lost too."""
    source = outbound_root / file_path(file)
    twin = OutboundFile.objects.get(pk=file.pk)
    twin.pk, twin.isa13 = uuid.uuid4(), file.isa13 + 100
    twin.save(force_insert=True)
    target = outbound_root / file_path(twin)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    return twin


def test_close_gap_service_closes_each_found_file_and_lists_the_rest(
    written_but_failed, outbound_root, caplog
):
    rows = ControlNumberAudit.objects.filter(outbound_file_id=written_but_failed.id)
    found_ids = sorted(rows.values_list("id", flat=True))
    template = rows.first()
    twin = _twin(written_but_failed, outbound_root)
    twin_row = _failed_copy(template, outbound_file_id=twin.id, shift=500)
    lost = _failed_copy(template, outbound_file_id=uuid.uuid4(), shift=1000)  # no such file
    lost2 = _failed_copy(template, outbound_file_id=uuid.uuid4(), shift=1500)
    done = _failed_copy(template, outbound_file_id=uuid.uuid4(), shift=3000)
    # a number of the found file already PERSISTED: not FAILED, so not closed again
    kept = _failed_copy(template, outbound_file_id=written_but_failed.id, shift=4000)
    ControlNumberAudit.objects.filter(pk__in=[done, kept]).update(status=AuditStatus.PERSISTED)
    asked = [lost, lost2, done, twin_row, *found_ids]
    paths = sorted([file_path(written_but_failed), file_path(twin)])

    preview = gaps_close(audit_ids=asked, acting_user=None, dry_run=True)
    assert (preview.closed, sorted(preview.files_found)) == (5, paths)
    assert sorted(preview.not_found) == sorted([lost, lost2])
    only_found = gaps_close(audit_ids=found_ids, acting_user=None, dry_run=True)
    assert only_found.not_found == []  # only the rows asked about are looked at
    assert set(rows.values_list("status", flat=True)) == {AuditStatus.FAILED, "PERSISTED"}
    assert rows.filter(status=AuditStatus.FAILED).count() == 4  # only a preview

    with caplog.at_level(logging.INFO, logger="controlnumbers.services.remediation"):
        result = gaps_close(audit_ids=asked, acting_user=None)
    logged = sorted(r.getMessage() for r in caplog.records if "gap closed" in r.getMessage())
    assert logged == sorted(
        f"control-number gap closed for outbound file {f.id}" for f in (written_but_failed, twin)
    )
    assert (result.closed, sorted(result.files_found)) == (5, paths)
    assert sorted(result.not_found) == sorted([lost, lost2])
    closed = ControlNumberAudit.objects.filter(pk__in=[*found_ids, twin_row])
    assert set(closed.values_list("status", flat=True)) == {AuditStatus.PERSISTED}
    path = file_path(written_but_failed)
    assert {r.file_name for r in closed.exclude(pk=twin_row)} == {path}
    assert all(
        f"gap closed by cli:{getpass.getuser()}: file found in outbound storage ({path})" in r.notes
        for r in closed.exclude(pk=twin_row)
    )
    assert ControlNumberAudit.objects.get(pk=lost).status == AuditStatus.FAILED
    untouched = ControlNumberAudit.objects.filter(pk__in=[done, kept])
    assert {r.notes for r in untouched} == {template.notes}
