"""Resumable ingestion runs: ``manage.py ingest … --run NAME`` / ``--resume`` /
``--resume-from NAME`` / ``--max-records N``, in real child processes on PostgreSQL, killed
with a real SIGKILL at any moment and resumed: every file is ingested exactly once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict

import pytest

from eventstore.models import (
    DomainEvent,
    IngestionRun,
    IngestionStep,
    TransactionBatch,
    TransactionHeader,
)
from outbound.models import ProcessingOutcome
from tests.conftest import REPO_ROOT, child_process_env
from tests.factories import TradingPartnerFactory
from tests.support import synthetic_834 as synth
from tests.support.pg import other_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

MEMBERS_PER_FILE = 3


@pytest.fixture
def backlog(tmp_path):
    """Eight 834 files of new subscribers from an onboarded partner, and a copy of one."""
    TradingPartnerFactory(
        code="FAMILY",
        their_isa_qualifier="ZZ",
        their_isa_id="SENDER",
        their_gs_code="SENDER",
        usage_indicator="T",
    )
    folder = tmp_path / "backlog"
    folder.mkdir()
    for i in range(8):
        members = [
            synth.member(f"R{i:02d}{n:05d}", last="ROE", first="RUN")
            for n in range(MEMBERS_PER_FILE)
        ]
        (folder / f"f{i}.834").write_bytes(synth.build_834(members, isa13=500 + i))
    (folder / "f9-same-bytes-as-f0.834").write_bytes((folder / "f0.834").read_bytes())
    return folder


def _env(tmp_path, **extra: str) -> dict[str, str]:
    return child_process_env(
        INBOUND_STORAGE_ROOT=str(tmp_path / "inbound"),
        OUTBOUND_STORAGE_ROOT=str(tmp_path / "outbound"),
        CELERY_BROKER_URL="",
        LOG_LEVEL="WARNING",
        **extra,
    )


def _ingest(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "ingest", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _assert_every_file_ingested_exactly_once(files: int) -> None:
    run = IngestionRun.objects.get()
    steps = list(run.steps.all())
    assert run.status == "DONE" and run.files_done == files and run.files_failed == 0
    assert [s.status for s in steps] == ["DONE"] * files
    assert run.duplicates_skipped == 1
    assert TransactionBatch.objects.count() == files
    assert sorted(s.batch_id for s in steps) == sorted(
        TransactionBatch.objects.values_list("pk", flat=True)
    )
    assert set(TransactionBatch.objects.values_list("status", flat=True)) == {"ACCEPTED"}
    assert TransactionHeader.objects.count() == files
    assert set(TransactionHeader.objects.values_list("routing_status", flat=True)) == {"ROUTED"}
    # one answer per owed outcome (no file answered twice)
    per_batch = Counter(ProcessingOutcome.objects.values_list("batch_id", flat=True))
    assert len(per_batch) == files and len(set(per_batch.values())) == 1
    # no event twice: every member has the same, single history of a new subscriber
    histories: dict[str, list[str]] = defaultdict(list)
    for aggregate, kind in DomainEvent.objects.order_by("position").values_list(
        "aggregate_id", "event_type"
    ):
        histories[aggregate].append(kind)
    assert len(histories) == files * MEMBERS_PER_FILE
    assert len({tuple(h) for h in histories.values()}) == 1
    history = next(iter(histories.values()))
    assert history and len(history) == len(set(history))
    positions = list(DomainEvent.objects.values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))


def test_a_run_ingests_every_file_once_keyed_by_sha256_and_reports_in_json(backlog, tmp_path):
    done = _ingest(_env(tmp_path), str(backlog), "--run", "backlog-1", "--format", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert (summary["status"], summary["files_done"], summary["sets_done"]) == ("DONE", 8, 8)
    assert summary["resume"] == ""
    _assert_every_file_ingested_exactly_once(8)
    assert "ingest run backlog-1: 8/8 files, 8 sets" in done.stderr  # progress line
    step = IngestionStep.objects.get(position=1)
    assert step.sha256 == TransactionBatch.objects.get(pk=step.batch_id).sha256


@pytest.mark.parametrize(
    "crash_at", ["before_ingest:3", "after_ingest:3", "after_ingest:8", "before_ingest:1"]
)
def test_a_run_killed_at_a_step_and_resumed_ingests_every_file_exactly_once(
    backlog, tmp_path, crash_at
):
    killed = _ingest(_env(tmp_path, INBOUND_RUN_CRASH_AT=crash_at), str(backlog), "--run", "r")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    run = IngestionRun.objects.get()
    assert run.status == "RUNNING"
    position = int(crash_at.split(":")[1])
    assert IngestionStep.objects.get(position=position).status == "RUNNING"

    resumed = _ingest(_env(tmp_path), "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "run r: DONE" in resumed.stdout
    _assert_every_file_ingested_exactly_once(8)
    assert IngestionStep.objects.get(position=position).attempts == 2


def test_a_run_killed_by_another_process_mid_file_and_resumed_ingests_every_file_once(
    backlog, tmp_path
):
    # Two phases (the RECEIVED batch commits before its processing) and bigger files: a kill
    # can land between the batch row and its final status, or among the routing.
    for i in range(8):
        members = [synth.member(f"R{i:02d}{n:05d}") for n in range(MEMBERS_PER_FILE)]
        members += [synth.member(f"P{i:02d}{n:05d}") for n in range(300)]
        (backlog / f"f{i}.834").write_bytes(synth.build_834(members, isa13=500 + i))
    (backlog / "f9-same-bytes-as-f0.834").write_bytes((backlog / "f0.834").read_bytes())
    env = _env(tmp_path, INBOUND_SINGLE_TRANSACTION_MAX_BYTES="0")
    command = [sys.executable, str(REPO_ROOT / "manage.py"), "ingest", str(backlog), "--run", "r"]
    child = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    with other_session() as probe:
        while time.monotonic() < deadline and child.poll() is None:
            # kill as soon as a file is half-way: a RECEIVED batch or a running step past 2
            received = probe.execute(
                "SELECT count(*) FROM eventstore_transactionbatch WHERE status = 'RECEIVED'"
            ).fetchone()[0]
            done = probe.execute(
                "SELECT count(*) FROM eventstore_ingestionstep WHERE status = 'DONE'"
            ).fetchone()[0]
            if received and done >= 2:
                break
            time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert IngestionRun.objects.get().status == "RUNNING"

    resumed = _ingest(_env(tmp_path), "--resume-from", "r")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    run = IngestionRun.objects.get()
    assert run.status == "DONE" and TransactionBatch.objects.count() == 8
    assert set(TransactionBatch.objects.values_list("status", flat=True)) == {"ACCEPTED"}
    assert set(TransactionHeader.objects.values_list("routing_status", flat=True)) == {"ROUTED"}
    per_aggregate = Counter(DomainEvent.objects.values_list("aggregate_id", flat=True))
    assert len(per_aggregate) == 8 * (MEMBERS_PER_FILE + 300)
    assert len(set(per_aggregate.values())) == 1, "a member got its events twice"


def test_max_records_stops_after_n_sets_and_a_resume_finishes(backlog, tmp_path):
    env = _env(tmp_path)
    stopped = _ingest(env, str(backlog), "--run", "debug", "--max-records", "3")
    assert stopped.returncode == 0, stopped.stderr[-2000:]
    assert "STOPPED" in stopped.stdout and "--resume-from debug" in stopped.stdout
    run = IngestionRun.objects.get()
    assert (run.status, run.files_done, run.sets_done) == ("STOPPED", 3, 3)
    assert TransactionBatch.objects.count() == 3
    finished = _ingest(env, "--resume-from", "debug")
    assert finished.returncode == 0, finished.stderr[-2000:]
    _assert_every_file_ingested_exactly_once(8)


def test_a_file_gone_fails_with_what_to_do_and_a_resume_retries_it(backlog, tmp_path):
    env = _env(tmp_path)
    planned = _ingest(env, str(backlog), "--run", "flaky", "--max-records", "1")
    assert planned.returncode == 0
    moved = backlog / "f5.834"
    kept = tmp_path / "f5.kept"
    moved.rename(kept)
    failed = _ingest(env, "--resume")
    assert failed.returncode == 1
    assert "storage errno:ENOENT" in failed.stdout and "check the path" in failed.stdout
    assert "FAILED" in failed.stderr  # errors are always shown as they happen
    step = IngestionStep.objects.get(path=str(moved))
    assert (step.status, step.error_code) == ("FAILED", "storage errno:ENOENT")
    assert IngestionRun.objects.get().status == "FAILED"
    kept.rename(moved)
    again = _ingest(env, "--resume")
    assert again.returncode == 0, again.stderr[-2000:]
    _assert_every_file_ingested_exactly_once(8)
    assert IngestionStep.objects.get(path=str(moved)).attempts == 2


def test_refusals_say_what_to_do(backlog, tmp_path):
    env = _env(tmp_path)
    nothing = _ingest(env, "--resume")
    assert nothing.returncode == 2 and "no unfinished run" in nothing.stderr
    assert _ingest(env, str(backlog), "--run", "x", "--max-records", "1").returncode == 0
    taken = _ingest(env, str(backlog), "--run", "x")
    assert taken.returncode == 2 and "--resume-from x" in taken.stderr
    # a run another live process is executing is not run twice at once
    IngestionRun.objects.update(owner=f"{socket.gethostname()}:{os.getppid()}")
    busy = _ingest(env, "--resume-from", "x")
    assert busy.returncode == 2 and "being executed by another process" in busy.stderr
    assert "Traceback" not in nothing.stderr + taken.stderr + busy.stderr
    alone = _ingest(env, str(backlog), "--max-records", "2")
    assert alone.returncode == 1 and "--max-records needs --run" in alone.stderr


def test_the_admin_shows_runs_steps_errors_and_the_resume_hint(
    backlog, tmp_path, admin_client_logged_in
):
    env = _env(tmp_path)
    _ingest(env, str(backlog), "--run", "seen", "--max-records", "1")
    (backlog / "f4.834").unlink()
    _ingest(env, "--resume")
    run = IngestionRun.objects.get()
    listing = admin_client_logged_in.get("/admin/eventstore/ingestionrun/")
    assert listing.status_code == 200
    assert b"manage.py ingest --resume-from seen" in listing.content
    page = admin_client_logged_in.get(f"/admin/eventstore/ingestionrun/{run.pk}/change/")
    assert page.status_code == 200
    assert b"errno:ENOENT" in page.content and b"check the path" in page.content
    steps = admin_client_logged_in.get("/admin/eventstore/ingestionstep/?status__exact=FAILED")
    assert steps.status_code == 200 and b"f4.834" in steps.content
