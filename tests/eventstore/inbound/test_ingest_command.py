"""``manage.py ingest PATH... [--format text|json]``: files, directories, globs, exit status."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from eventstore.models import BatchStatus, TransactionBatch
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.eventstore.inbound.samples import onboard_partner, sample

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("ingest", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, out.getvalue()


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "drop"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.x12").write_bytes(sample())
    (folder / "sub" / "b.x12").write_bytes(sample(isa13="000000102"))
    (folder / ".hidden").write_bytes(b"ignored")
    return folder


def test_json_lists_every_file_with_batch_status_and_already_received(files):
    onboard_partner()
    code, out = run(str(files), "--format", "json")
    rows = json.loads(out)
    assert code == 0
    assert [r["file"].rsplit("/", 1)[-1] for r in rows] == ["a.x12", "b.x12"]
    assert all(r["status"] == BatchStatus.ACCEPTED and not r["already_received"] for r in rows)
    assert {r["batch"] for r in rows} == set(TransactionBatch.objects.values_list("pk", flat=True))
    assert {b.channel for b in TransactionBatch.objects.all()} == {"command"}

    code, out = run(str(files / "*.x12"), str(files / "**" / "b.x12"), "--format", "json")
    again = json.loads(out)
    assert code == 0 and [r["already_received"] for r in again] == [True, True]
    assert TransactionBatch.objects.count() == 2


def test_exit_status_is_1_when_any_file_is_rejected(files):
    onboard_partner()
    (files / "bad.x12").write_bytes(b"not x12 at all")
    code, out = run(str(files / "a.x12"), str(files / "bad.x12"), "--format", "json")
    rows = json.loads(out)
    assert code == 1
    assert [r["status"] for r in rows] == [BatchStatus.ACCEPTED, BatchStatus.REJECTED]
    assert "not an X12 file" in rows[1]["reason"]


def test_unknown_partner_and_missing_paths_also_exit_1(files, tmp_path):
    code, out = run(str(files / "a.x12"), str(tmp_path / "nope*.x12"))
    assert code == 1
    assert "unknown partner as batch" in out
    assert "NOT_FOUND" in out


def test_text_format_says_already_received_as_batch_n(files):
    onboard_partner()
    run(str(files / "a.x12"))
    code, out = run(str(files / "a.x12"))
    batch = TransactionBatch.objects.get()
    assert code == 0
    assert f"already received as batch {batch.pk}" in out


def test_storage_failure_is_reported_per_file_without_a_traceback(files, monkeypatch):
    onboard_partner()

    def storage_down(**kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("eventstore.inbound.storage.raw_store", storage_down)
    code, out = run(str(files / "a.x12"), "--format", "json")
    rows = json.loads(out)
    assert code == 1
    assert rows[0]["status"] == "ERROR" and rows[0]["batch"] is None
    assert "No space left on device" in rows[0]["reason"]
    assert not TransactionBatch.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_workers_ingest_every_file_once_and_report_in_input_order(tmp_path):
    from tests.conftest import child_process_env, run_manage

    onboard_partner()
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.x12").write_bytes(sample())
    (folder / "b.x12").write_bytes(sample(isa13="000000102"))
    (folder / "c.x12").write_bytes(sample())  # the same bytes as a.x12, under another name
    (folder / "d.x12").write_bytes(sample(isa13="000000104", receiver="NOTUS"))
    env = child_process_env(INBOUND_STORAGE_ROOT=str(tmp_path / "storage"))

    done = run_manage("ingest", str(folder), "--workers", "2", "--format", "json", env=env)

    assert done.returncode == 1, done.stderr[-2000:]  # d.x12 is rejected
    rows = json.loads(done.stdout)
    assert [r["file"].rsplit("/", 1)[1] for r in rows] == ["a.x12", "b.x12", "c.x12", "d.x12"]
    assert rows[0]["batch"] == rows[2]["batch"]
    assert sorted([rows[0]["already_received"], rows[2]["already_received"]]) == [False, True]
    assert [r["status"] for r in rows] == ["ACCEPTED", "ACCEPTED", "ACCEPTED", "REJECTED"]
    assert TransactionBatch.objects.count() == 3


def test_workers_must_be_at_least_one(files):
    with pytest.raises(CommandError, match="--workers"):
        call_command("ingest", str(files), "--workers", "0")
