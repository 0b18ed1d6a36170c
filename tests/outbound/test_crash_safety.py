"""Exactly once across crashes and concurrent workers, with real processes on PostgreSQL.

A child ``manage.py assemble_outbound`` is killed with SIGKILL at a crash point
(``OUTBOUND_CRASH_AT``); recovery then runs; the result must be exactly one file per outcome
group, every outcome answered once, and control numbers without unexplained gaps.
Two real Celery workers assembling the same backlog must never take the same outcome.
"""

from __future__ import annotations

import signal
import subprocess
from collections import defaultdict
from datetime import timedelta

import pytest
import redis
from celery import Celery

from controlnumbers.gaps import gap_report
from controlnumbers.models import ControlNumberAudit
from edi_platform import x12
from outbound.models import BatchWindow, OutboundFile, OutboundFileStatus, ProcessingOutcome
from outbound.services.assembly import outbound_assemble
from outbound.services.recovery import outbound_recover
from tests.conftest import REPO_ROOT
from tests.factories import TradingPartnerFactory
from tests.outbound.conftest import PYTHON, stage, subprocess_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, str(REPO_ROOT / "manage.py"), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _assert_exactly_once(outbound_root, outcome_count: int, groups: int | None) -> None:
    outcomes = list(ProcessingOutcome.objects.values_list("id", "status", "outbound_file_id"))
    assert len(outcomes) == outcome_count
    assert {status for _, status, _ in outcomes} == {"ASSEMBLED"}, "an outcome was lost"
    files = list(OutboundFile.objects.select_related("partner"))
    if groups is not None:
        assert len(files) == groups, "not exactly one file per outcome group"
    seen: list[int] = []
    for file in files:
        assert file.status in (OutboundFileStatus.PERSISTED, OutboundFileStatus.PUBLISHED)
        partners = set(
            ProcessingOutcome.objects.filter(id__in=file.outcome_ids).values_list(
                "partner_id", flat=True
            )
        )
        limit = BatchWindow.objects.get(response_type=file.transaction_type).max_batch_size
        assert partners == {file.partner_id} and 1 <= len(file.outcome_ids) <= limit
        seen += file.outcome_ids
        assert {o for o, _, f in outcomes if f == file.id} == set(file.outcome_ids)
        data = (outbound_root / file.storage_path).read_bytes()
        assert x12.validate_envelope(data) == []
    assert sorted(seen) == sorted(o for o, _, _ in outcomes), "an outcome is in two files"
    on_disk = sorted(
        p.relative_to(outbound_root).as_posix()
        for p in (outbound_root / "outbound").rglob("*")
        if p.is_file()
    )
    assert on_disk == sorted(f.storage_path for f in files), "stray or duplicate files on disk"
    # no unexplained gap: per partner, the ISA13s used are 1..n without holes or repeats
    isa13s = defaultdict(list)
    for file in files:
        isa13s[file.partner.code].append(file.isa13)
    for numbers in isa13s.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    # the control-number store agrees: no gap at all (recovery reused the numbers), and no
    # number left ISSUED without its file
    assert gap_report().gaps == []
    statuses = set(ControlNumberAudit.objects.values_list("status", flat=True))
    assert statuses <= {"PERSISTED", "REISSUED"}


@pytest.mark.parametrize(
    "point", ["after_claim", "after_allocation", "after_write", "before_commit"]
)
def test_worker_killed_at_any_step_then_recovery_gives_exactly_one_file_per_group(
    point, outbound_root
):
    a, b = TradingPartnerFactory(), TradingPartnerFactory()
    stage(a, "999", 3)
    stage(b, "999", 2)
    stage(a, "TA1", 1)
    crashed = _manage(
        subprocess_env(outbound_root, OUTBOUND_CRASH_AT=point), "assemble_outbound", "--now"
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert ProcessingOutcome.objects.exclude(status="ASSEMBLED").exists()
    # recovery (as the 5-minute task would, here with no grace period), then the next tick
    outbound_recover(stale_after=timedelta(0))
    outbound_assemble(ignore_windows=True)
    _assert_exactly_once(outbound_root, outcome_count=6, groups=3)


@pytest.mark.parametrize(
    "point", ["before_claim_commit", "after_allocation", "after_write", "before_commit"]
)
def test_worker_killed_on_the_real_time_path_then_recovery_gives_exactly_one_file(
    point, outbound_root
):
    a, b = TradingPartnerFactory(), TradingPartnerFactory()
    stage(a, "TA1", 2)  # window 0, one partner: one group, claimed and allocated at once
    crashed = _manage(
        subprocess_env(outbound_root, OUTBOUND_CRASH_AT=point), "assemble_outbound", "--now"
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert ProcessingOutcome.objects.exclude(status="ASSEMBLED").exists()
    stage(b, "TA1", 1)  # another partner's answer in between
    outbound_recover(stale_after=timedelta(0))
    outbound_assemble(ignore_windows=True)
    _assert_exactly_once(outbound_root, outcome_count=3, groups=2)


def test_two_celery_workers_assembling_concurrently_never_take_the_same_outcome(
    redis_url, outbound_root
):
    BatchWindow.objects.update(max_batch_size=5)
    partners = [TradingPartnerFactory() for _ in range(4)]
    for partner in partners:
        stage(partner, "999", 30)
    # a Redis database of its own: other test processes' workers must not take these tasks
    broker = redis_url.rsplit("/", 1)[0] + "/7"
    env = subprocess_env(
        outbound_root,
        CELERY_BROKER_URL=broker,
        CELERY_RESULT_BACKEND=broker,
        OUTBOUND_CLAIM_LIMIT="7",  # small claims: both workers keep coming back for more
    )
    workers = [
        subprocess.Popen(
            [
                PYTHON,
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
                "-n",
                f"assembler{i}@%h",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for i in range(2)
    ]
    try:
        client = Celery(broker=broker, backend=broker, set_as_current=False)
        results = [client.send_task("outbound.tasks.assemble_due") for _ in range(6)]
        summaries = [r.get(timeout=120) for r in results]
    finally:
        outputs = []
        for worker in workers:
            worker.terminate()
            outputs.append(worker.communicate(timeout=30)[0].decode(errors="replace"))
        redis.Redis.from_url(broker).flushdb()
    assert all("claimed" in s for s in summaries), outputs
    # claims are split by partner and max batch size (5): at least 6 files per partner
    assert OutboundFile.objects.count() >= 4 * 6
    _assert_exactly_once(outbound_root, outcome_count=120, groups=None)
