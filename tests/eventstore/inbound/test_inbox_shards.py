"""Inbox scale-out: a poll fans out into shard polls that a Celery worker pool runs in
parallel; shards never share a file and each is polled by one process at a time."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import redis
from celery import Celery
from django.test import override_settings

from eventstore.inbound.services import inbox as inbox_service
from eventstore.inbound.services.sql import INBOX_LOCK_CLASS
from eventstore.models import BatchStatus, TransactionBatch
from tests.conftest import REPO_ROOT, child_process_env
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.eventstore.inbound.samples import onboard_partner, sample
from tests.support.pg import other_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]


def _drop(inbox, count: int, first_isa13: int = 800) -> list[str]:
    names = [f"f{n:03d}.x12" for n in range(count)]
    for n, name in enumerate(names):
        (inbox / name).write_bytes(sample(isa13=f"{first_isa13 + n:09d}"))
    return names


def _left(inbox) -> set[str]:
    return {p.name for p in inbox.iterdir() if p.is_file()}


@override_settings(INBOUND_INBOX_MIN_AGE_SECONDS=0)
def test_shard_polls_take_disjoint_files_and_together_every_file(settings):
    onboard_partner()
    inbox = settings.INBOUND_INBOX_DIR
    names = _drop(inbox, 12)
    mine = {name for name in names if inbox_service.in_shard(name, (1, 3))}
    assert 0 < len(mine) < len(names)

    first = inbox_service.inbox_poll(shard=(1, 3))

    assert first.processed == len(mine)
    assert _left(inbox) == set(names) - mine
    others = [inbox_service.inbox_poll(shard=(n, 3)).processed for n in (0, 2)]
    assert sum(others) == len(names) - len(mine)
    assert not _left(inbox)
    assert TransactionBatch.objects.filter(status=BatchStatus.ACCEPTED).count() == len(names)


@override_settings(INBOUND_INBOX_MIN_AGE_SECONDS=0)
def test_a_shard_another_process_is_polling_is_skipped_and_its_files_wait(settings):
    onboard_partner()
    inbox = settings.INBOUND_INBOX_DIR
    names = _drop(inbox, 6)
    with other_session() as other_poller:
        other_poller.execute("SELECT pg_advisory_lock(%s, 0)", [INBOX_LOCK_CLASS])
        skipped = inbox_service.inbox_poll(shard=(0, 2))
        taken = inbox_service.inbox_poll(shard=(1, 2))
        other_poller.execute("SELECT pg_advisory_unlock(%s, 0)", [INBOX_LOCK_CLASS])

    assert skipped.busy and skipped.processed == 0
    assert not taken.busy
    assert _left(inbox) == {n for n in names if inbox_service.in_shard(n, (0, 2))}
    # the other poller is done: the next tick takes the files
    again = inbox_service.inbox_poll(shard=(0, 2))
    assert not again.busy and again.processed == len(names) - taken.processed
    assert not _left(inbox)


@override_settings(INBOUND_INBOX_MIN_AGE_SECONDS=0, INBOUND_INBOX_SHARDS=3)
def test_without_a_broker_the_poll_runs_here_instead_of_fanning_out(settings):
    onboard_partner()
    _drop(settings.INBOUND_INBOX_DIR, 4)
    result = inbox_service.inbox_run()
    assert (result.dispatched, result.processed) == (0, 4)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_pool_ingests_a_backlog_through_shard_polls_once_each(tmp_path, redis_url):
    onboard_partner()
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    names = _drop(inbox, 30)
    # a Redis database of its own: other test processes' workers must not take these tasks
    broker = redis_url.rsplit("/", 1)[0] + "/8"
    env = child_process_env(
        INBOUND_STORAGE_ROOT=str(tmp_path / "storage"),
        INBOUND_INBOX_DIR=str(inbox),
        INBOUND_INBOX_MIN_AGE_SECONDS="0",
        INBOUND_INBOX_SHARDS="3",
        CELERY_BROKER_URL=broker,
        CELERY_RESULT_BACKEND=broker,
    )
    log = tmp_path / "worker.log"  # a file, not a pipe: a full pipe would stall the worker
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "edi_platform", "worker", "--pool", "prefork",
         "--concurrency", "2", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-n", "inbox@%h"],
        cwd=REPO_ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = Celery(broker=broker, backend=broker, set_as_current=False)
        client.send_task("eventstore.inbound.tasks.poll_inbox")  # as beat sends it
        deadline = time.monotonic() + 120
        while _left(inbox) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        output = log.read_text(errors="replace")
        redis.Redis.from_url(broker).flushdb()

    # what the shard polls did, for a failure's message (the whole log is long)
    story = "\n".join(
        line
        for line in output.splitlines()
        if any(w in line for w in ("shard", "Received task", "succeeded", "ERROR", "WARNING"))
    )
    # the poll fanned out (the task keeps no result: its log line says what it returned)
    assert "'dispatched': 3" in output, story
    assert not _left(inbox), f"left: {sorted(_left(inbox))}\n{story}"
    assert sorted(p.name for p in (inbox / "processed").rglob("*.x12")) == names
    batches = TransactionBatch.objects.filter(channel="inbox")
    assert batches.count() == len(names)
    assert set(batches.values_list("status", flat=True)) == {BatchStatus.ACCEPTED}
