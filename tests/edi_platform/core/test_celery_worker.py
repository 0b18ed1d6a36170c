"""A real Celery worker process, connected to the throwaway Redis, executes our task."""

from __future__ import annotations

import subprocess
import sys

import pytest
from celery import Celery

from edi_platform.core.models import SchedulerHeartbeat
from tests.conftest import REPO_ROOT, child_process_env


@pytest.mark.django_db(transaction=True)
def test_heartbeat_task_runs_in_a_real_worker_and_writes_postgres(redis_url):
    env = child_process_env(CELERY_BROKER_URL=redis_url, CELERY_RESULT_BACKEND=redis_url)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "edi_platform",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        client = Celery(broker=redis_url, backend=redis_url, set_as_current=False)
        result = client.send_task("edi_platform.core.tasks.heartbeat")
        stamp = result.get(timeout=90)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    beat = SchedulerHeartbeat.objects.get(id=1)
    assert beat.last_beat_at.isoformat() == stamp, output
    assert beat.worker_hostname
