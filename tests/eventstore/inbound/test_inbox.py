"""Inbox polling (the service and its beat task): files move to processed/ or failed/ only
after their raw copy is stored."""

from __future__ import annotations

import pytest
from django.test import override_settings

from edi_platform.core.schedules import DEFAULT_SCHEDULES
from eventstore import tasks
from eventstore.inbound.services import inbox as inbox_service
from eventstore.inbound.storage import inbound_storage
from eventstore.models import BatchStatus, TransactionBatch
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.eventstore.inbound.samples import onboard_partner, sample

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]


def moved(inbox, folder):
    return sorted(p.name for p in (inbox / folder).rglob("*") if p.is_file())


@override_settings(INBOUND_INBOX_MIN_AGE_SECONDS=0)
def test_poll_ingests_and_moves_files_by_result(settings):
    onboard_partner()
    inbox = settings.INBOUND_INBOX_DIR
    (inbox / "good.x12").write_bytes(sample())
    (inbox / "junk.x12").write_bytes(b"\x00\x01binary")
    (inbox / "upload.part").write_bytes(sample(isa13="000000333"))  # still being written

    counts = tasks.poll_inbox.delay().get()

    assert counts == {"processed": 1, "failed": 1, "left": 0, "dispatched": 0}
    assert moved(inbox, "processed") == ["good.x12"]
    assert moved(inbox, "failed") == ["junk.x12"]
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["upload.part"]
    good = TransactionBatch.objects.get(original_name="good.x12")
    assert good.channel == "inbox" and good.status == BatchStatus.ACCEPTED
    assert inbound_storage().exists(good.storage_path)
    assert TransactionBatch.objects.get(original_name="junk.x12").status == BatchStatus.REJECTED


@override_settings(INBOUND_INBOX_MIN_AGE_SECONDS=0)
def test_file_stays_in_the_inbox_when_its_raw_copy_cannot_be_stored(settings, monkeypatch):
    onboard_partner()
    inbox = settings.INBOUND_INBOX_DIR
    (inbox / "good.x12").write_bytes(sample())

    def storage_down(**kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("eventstore.inbound.storage.raw_store", storage_down)
    result = inbox_service.inbox_poll()

    assert (result.processed, result.failed, result.left) == (0, 0, 1)
    assert (inbox / "good.x12").exists()
    assert not TransactionBatch.objects.exists()

    monkeypatch.undo()
    assert inbox_service.inbox_poll().processed == 1
    assert not (inbox / "good.x12").exists()


@override_settings(INBOUND_INBOX_MIN_AGE_SECONDS=0)
def test_the_same_file_dropped_twice_is_one_batch_and_both_copies_leave_the_inbox(settings):
    onboard_partner()
    inbox = settings.INBOUND_INBOX_DIR
    (inbox / "x.x12").write_bytes(sample())
    inbox_service.inbox_poll()
    (inbox / "x.x12").write_bytes(sample())
    inbox_service.inbox_poll()
    assert TransactionBatch.objects.count() == 1
    assert len(moved(inbox, "processed")) == 2


def test_recent_files_wait_for_the_next_poll(settings):
    (settings.INBOUND_INBOX_DIR / "fresh.x12").write_bytes(sample())
    assert inbox_service.inbox_poll(min_age_seconds=3600).processed == 0
    assert (settings.INBOUND_INBOX_DIR / "fresh.x12").exists()


def test_inbox_polling_is_a_default_schedule():
    specs = {s.task: s for s in DEFAULT_SCHEDULES}
    assert "eventstore.inbound.tasks.poll_inbox" in specs


@override_settings(INBOUND_INBOX_MIN_AGE_SECONDS=0, INBOUND_INBOX_WORKERS=3)
def test_only_a_burst_of_files_is_handed_to_worker_processes(settings, monkeypatch):
    from eventstore.inbound.services.ingest_many import FileOutcome

    asked = []

    def fake_ingest_paths(*, paths, channel, workers):
        asked.append((len(paths), workers))
        return [FileOutcome(path=str(p), error="database down") for p in paths]

    monkeypatch.setattr(inbox_service, "ingest_paths", fake_ingest_paths)
    inbox = settings.INBOUND_INBOX_DIR
    for n in range(inbox_service.MIN_FILES_PER_WORKER - 1):
        (inbox / f"f{n:03d}.x12").write_bytes(sample(isa13=f"{600 + n:09d}"))
    assert inbox_service.inbox_poll().left == inbox_service.MIN_FILES_PER_WORKER - 1
    for n in range(inbox_service.MIN_FILES_PER_WORKER - 1, 5 * inbox_service.MIN_FILES_PER_WORKER):
        (inbox / f"f{n:03d}.x12").write_bytes(sample(isa13=f"{600 + n:09d}"))
    assert inbox_service.inbox_poll().left == 5 * inbox_service.MIN_FILES_PER_WORKER

    assert asked == [
        (inbox_service.MIN_FILES_PER_WORKER - 1, 1),
        (5 * inbox_service.MIN_FILES_PER_WORKER, 3),
    ]
    assert len(list(inbox.glob("*.x12"))) == 5 * inbox_service.MIN_FILES_PER_WORKER  # none moved


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_processes_ingest_a_burst_and_this_process_moves_every_file(tmp_path):
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT, child_process_env

    onboard_partner()
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    count = 2 * inbox_service.MIN_FILES_PER_WORKER
    for n in range(count):
        (inbox / f"f{n:03d}.x12").write_bytes(sample(isa13=f"{700 + n:09d}"))
    (inbox / "junk.x12").write_bytes(b"\x00\x01binary")
    env = child_process_env(
        INBOUND_STORAGE_ROOT=str(tmp_path / "storage"), INBOUND_INBOX_DIR=str(inbox)
    )
    code = (
        "import django; django.setup(); "
        "from eventstore.inbound.services.inbox import inbox_poll; "
        "r = inbox_poll(min_age_seconds=0, workers=2); print(r.processed, r.failed, r.left)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.stdout.split() == [str(count), "1", "0"], done.stderr[-2000:]
    assert len(moved(inbox, "processed")) == count and moved(inbox, "failed") == ["junk.x12"]
    assert not list(inbox.glob("*.x12"))
    assert TransactionBatch.objects.filter(channel="inbox", status="ACCEPTED").count() == count
