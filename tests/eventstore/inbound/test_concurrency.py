"""Two real OS processes ingesting the same file at the same moment register ONE batch."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from eventstore.models import TransactionBatch
from outbound.models import ProcessingOutcome
from tests.conftest import REPO_ROOT, child_process_env
from tests.eventstore.inbound.samples import onboard_partner, sample
from tests.support.pg import other_session


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_processes_ingesting_the_same_file_at_once_make_one_batch(tmp_path):
    onboard_partner()
    path = tmp_path / "same.x12"
    path.write_bytes(sample())
    env = child_process_env(INBOUND_STORAGE_ROOT=str(tmp_path / "storage"))
    command = [sys.executable, str(REPO_ROOT / "manage.py"), "ingest", str(path), "--format=json"]

    # Hold back every INSERT into the batch table (reads still pass) until both processes have
    # stored the raw file and are waiting to insert: then both race for the same sha256.
    with other_session(autocommit=False) as gate:
        gate.execute("LOCK TABLE eventstore_transactionbatch IN SHARE ROW EXCLUSIVE MODE")
        procs = [
            subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        waiting = 0
        deadline = time.monotonic() + 90
        with other_session() as probe:
            while waiting < 2 and time.monotonic() < deadline:
                if any(p.poll() is not None for p in procs):
                    break
                waiting = probe.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted "
                    "AND relation = 'eventstore_transactionbatch'::regclass"
                ).fetchone()[0]
                time.sleep(0.05)
        gate.rollback()  # release the lock: both INSERTs proceed at once
        outputs = [p.communicate(timeout=120) for p in procs]

    assert waiting == 2, [err.decode()[-2000:] for _, err in outputs]
    assert [p.returncode for p in procs] == [0, 0], [err.decode()[-2000:] for _, err in outputs]
    rows = [json.loads(out)[0] for out, _ in outputs]
    assert rows[0]["batch"] == rows[1]["batch"]
    assert sorted(r["already_received"] for r in rows) == [False, True]
    batch = TransactionBatch.objects.get()
    assert batch.status == "ACCEPTED"
    assert ProcessingOutcome.objects.filter(batch=batch).count() == 1
    stored = list((tmp_path / "storage").rglob("*"))
    assert [p.name for p in stored if p.is_file()] == [f"{batch.sha256}_same.x12"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_processes_ingesting_one_isa13_in_different_files_process_one_and_reject_one(
    tmp_path,
):
    # Small files register and process in one transaction, so neither process can see the
    # other's uncommitted batch: the ISA13 lock makes the second wait, then see it.
    onboard_partner()
    paths = [tmp_path / "first.x12", tmp_path / "second.x12"]
    paths[0].write_bytes(sample(ack_requested="0"))
    paths[1].write_bytes(sample(ack_requested="1"))  # other bytes, same sender and ISA13
    env = child_process_env(INBOUND_STORAGE_ROOT=str(tmp_path / "storage"))

    with other_session(autocommit=False) as gate:
        gate.execute("LOCK TABLE eventstore_transactionbatch IN SHARE ROW EXCLUSIVE MODE")
        procs = [
            subprocess.Popen(
                [sys.executable, str(REPO_ROOT / "manage.py"), "ingest", str(p), "--format=json"],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for p in paths
        ]
        waiting = 0
        deadline = time.monotonic() + 90
        with other_session() as probe:
            while waiting < 2 and time.monotonic() < deadline:
                if any(p.poll() is not None for p in procs):
                    break
                waiting = probe.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted "
                    "AND relation = 'eventstore_transactionbatch'::regclass"
                ).fetchone()[0]
                time.sleep(0.05)
        gate.rollback()  # both INSERTs proceed at once
        outputs = [p.communicate(timeout=120) for p in procs]

    assert waiting == 2, [err.decode()[-2000:] for _, err in outputs]
    statuses = sorted(TransactionBatch.objects.values_list("status", flat=True))
    assert statuses == ["ACCEPTED", "DUPLICATE"]
    duplicate = TransactionBatch.objects.get(status="DUPLICATE")
    original = TransactionBatch.objects.get(status="ACCEPTED")
    assert duplicate.duplicate_of_id == original.pk
    ta1 = ProcessingOutcome.objects.get(batch=duplicate)
    assert (ta1.response_type, ta1.payload["note_code"]) == ("TA1", "025")
    assert ProcessingOutcome.objects.filter(batch=original, response_type="999").count() == 1
