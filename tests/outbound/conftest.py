"""Fixtures for the outbound tests: a private outbound storage and synthetic outcomes."""

from __future__ import annotations

import itertools
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from outbound.models import BatchWindow, ProcessingOutcome
from tests.conftest import child_process_env

_seq = itertools.count(1)


def content_999(set_count: int = 1, verdict: str = "A") -> dict:
    """A synthetic 999 content (the x12 engine's ack_999_content shape) for one group."""
    n = next(_seq)
    return {
        "type": "999",
        "ak1": ["HC", str(n), "005010X222A1"],
        "sets": [
            {"ak2": ["837", f"{i + 1:04d}", "005010X222A1"], "ik3": [], "ik5": [verdict]}
            for i in range(set_count)
        ],
        "ak9": [verdict, set_count, set_count, set_count if verdict == "A" else 0],
    }


def content_ta1(code: str = "A", note: str = "000") -> dict:
    """A synthetic TA1 content (the engine's ta1_content shape)."""
    n = next(_seq)
    return {
        "type": "TA1",
        "control_number": f"{n:09d}",
        "date": "261123",
        "time": "0640",
        "ack_code": code,
        "note_code": note,
        "original_sender": ["ZZ", "SENDER"],
        "original_receiver": ["ZZ", "EDIPLATFORM"],
    }


def stage(partner, response_type: str = "999", count: int = 1, *, due_in_minutes: int = -1):
    """Create PENDING outcomes directly (already due unless ``due_in_minutes`` > 0)."""
    now = timezone.now()
    rows = []
    for _ in range(count):
        n = next(_seq)
        rows.append(
            ProcessingOutcome(
                partner=partner,
                response_type=response_type,
                payload=content_999() if response_type == "999" else content_ta1(),
                dedupe_key=f"test:{response_type}:{n}",
                isa13=f"{n:09d}",
                gs06=str(n),
                created_at=now,
                due_at=now + timedelta(minutes=due_in_minutes),
            )
        )
    return ProcessingOutcome.objects.bulk_create(rows)


@pytest.fixture(autouse=True)
def project_celery_app() -> None:
    """Tasks resolve through Celery's *current* app: a test that built a client app
    (``Celery(broker=...)``) earlier in this process may have made it current, and
    ``.delay()`` would then go to that broker instead of running eagerly."""
    from edi_platform.celery import app

    app.set_current()


@pytest.fixture(autouse=True)
def batch_windows(request) -> None:
    """The migration-seeded batch windows, restored when a transactional test (from any app)
    flushed them earlier in this worker (TransactionTestCase empties every table)."""
    if request.node.get_closest_marker("django_db") is None:
        return
    if request.module.__name__.endswith("test_outcome_staging"):
        return  # that module checks the migration's seeding itself
    from importlib import import_module

    defaults = import_module("outbound.migrations.0002_seed_batch_windows").DEFAULTS
    for response_type, minutes, priority, sla in defaults:
        BatchWindow.objects.get_or_create(
            response_type=response_type,
            defaults={
                "window_minutes": minutes,
                "max_batch_size": 100,
                "priority": priority,
                "sla_minutes": sla,
            },
        )


@pytest.fixture(autouse=True)
def outbound_root(settings, tmp_path) -> Path:
    """Each test writes its files under its own temporary outbound storage."""
    root = tmp_path / "outbound-storage"
    settings.STORAGES = {
        **settings.STORAGES,
        "outbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


def subprocess_env(outbound_root: Path, **extra: str) -> dict[str, str]:
    """Environment for a real child process working on this test's database and storage."""
    env = child_process_env(OUTBOUND_STORAGE_ROOT=str(outbound_root))
    env.pop("OUTBOUND_CRASH_AT", None)
    env.update(extra)
    return env


PYTHON = sys.executable
