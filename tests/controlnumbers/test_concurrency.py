"""Real OS processes allocating from one partner's counters at the same time (PostgreSQL).

8 processes x 2,000 allocations by default (CN_CONCURRENCY_PER_PROCESS changes the per-process
count for local experiments; the acceptance numbers are the default).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.db.models import Count, Max, Min

from controlnumbers.models import ControlNumberAudit
from tests.conftest import REPO_ROOT, child_process_env
from tests.factories import TradingPartnerFactory

PROCESSES = 8
PER_PROCESS = int(os.environ.get("CN_CONCURRENCY_PER_PROCESS", "2000"))
WORKER = REPO_ROOT / "tests" / "controlnumbers" / "alloc_worker.py"


def _run_workers(mode: str, tmp_path) -> list[int]:
    env = child_process_env()
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), mode, str(PER_PROCESS), str(tmp_path), str(i)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("ready-*"))) < PROCESSES:
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.05)
        (tmp_path / "go").touch()
        outputs = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-3000:]
    return [int(out.strip()) for out, _ in outputs]


def _assert_consecutive_once_each(counter_type: str, expected: int) -> None:
    rows = ControlNumberAudit.objects.filter(
        counter__partner_code="CONC", counter__counter_type=counter_type
    )
    summary = rows.aggregate(n=Count("id"), lo=Min("number"), hi=Max("number"))
    assert summary == {"n": expected, "lo": 1, "hi": expected}
    # distinct numbers == rows: no number twice, and with min 1 / max N: no gap either.
    assert rows.values("number").distinct().count() == expected


def _assert_each_file_has_one_isa13() -> None:
    per_file = (
        ControlNumberAudit.objects.filter(counter__partner_code="CONC", counter__counter_type="ISA")
        .values("outbound_file_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not per_file.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_eight_processes_get_distinct_consecutive_isa13_without_gaps(tmp_path):
    TradingPartnerFactory(code="CONC")
    _run_workers("single", tmp_path)
    total = PROCESSES * PER_PROCESS
    _assert_consecutive_once_each("ISA", total)
    _assert_consecutive_once_each("GS", total)
    _assert_consecutive_once_each("ST", total)
    _assert_each_file_has_one_isa13()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_eight_processes_with_block_allocations_mixed_in(tmp_path):
    TradingPartnerFactory(code="CONC")
    st_per_process = _run_workers("mixed", tmp_path)
    total = PROCESSES * PER_PROCESS
    _assert_consecutive_once_each("ISA", total)
    _assert_consecutive_once_each("GS", total)
    _assert_consecutive_once_each("ST", sum(st_per_process))
    _assert_each_file_has_one_isa13()
