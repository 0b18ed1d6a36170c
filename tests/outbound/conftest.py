"""Fixtures for the outbound tests: a private outbound storage and synthetic outcomes."""

from __future__ import annotations

import itertools
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from edi_platform import x12
from outbound.models import BatchWindow, ProcessingOutcome
from tests.conftest import child_process_env

_seq = itertools.count(1)


_FIXTURE_834 = (Path(__file__).resolve().parents[1] / "fixtures" / "x12" / "834.x12").read_text()


def content_999(set_count: int = 1, verdict: str = "A") -> dict:
    """The 999 content the x12 engine builds for one group of ``set_count`` 834 sets (all
    accepted, or all rejected with ``verdict="R"``): what ingest really stages, so a change
    in the engine's content shows here too. Each call answers another GS06."""
    n = next(_seq)
    head, rest = _FIXTURE_834.split("ST*834*", 1)
    body, tail = "ST*834*" + rest.split("GE*", 1)[0], "GE*" + rest.split("GE*", 1)[1]
    sets = []
    for i in range(1, set_count + 1):
        one = body.replace("*0001", f"*{i:04d}")
        if verdict == "R":
            one = one.replace("SE*14*", "SE*13*")  # IK5 R 4: the segment count is wrong
        sets.append(one)
    text = head.replace("*101*X*", f"*{n}*X*") + "".join(sets)
    text += tail.replace("GE*1*101~", f"GE*{set_count}*{n}~")
    (group,) = x12.validate(text.encode()).interchanges[0].groups
    assert group.ack_code == ("A" if verdict == "A" else "R"), group.ack_code
    return x12.ack_999_content(group)


def content_ta1(code: str = "A", note: str = "000") -> dict:
    """The TA1 content the x12 engine builds for an interchange (``code``/``note`` as given,
    e.g. R 025 for a duplicate): what ingest really stages. Each call answers another ISA13."""
    n = next(_seq)
    (ic,) = x12.validate(_FIXTURE_834.replace("000000101", f"{n:09d}").encode()).interchanges
    ic.ta1_code, ic.ta1_note = code, note
    return x12.ta1_content(ic)


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


class Crash(BaseException):
    """Stands in for a killed process: nothing after the crash point runs."""


def left_assembling(crash_at, monkeypatch, partner, count: int = 1):
    """A 999 file of ``count`` sets that a worker left ASSEMBLING right after its numbers
    were allocated (the crash point disarmed again)."""
    from outbound.models import OutboundFile
    from outbound.services.assembly import outbound_assemble

    crash_at("after_allocation")
    stage(partner, "999", count)
    with pytest.raises(Crash):
        outbound_assemble()
    monkeypatch.undo()
    return OutboundFile.objects.latest("created_at")


def exhaust_numbers_for(monkeypatch, partner, message: str = "ISA counter at its maximum") -> None:
    """Every envelope allocation for ``partner`` fails as an exhausted counter would."""
    from controlnumbers.domain import ControlNumberExhausted

    fail_allocation_for(monkeypatch, partner, ControlNumberExhausted(message))


def fail_allocation_for(monkeypatch, partner, error: Exception) -> None:
    """Every envelope allocation for ``partner`` raises ``error`` (the others go on)."""
    from outbound.services import assembly

    real = assembly.allocate_envelope

    def allocate(**kwargs):
        if kwargs["partner_code"] == partner.code:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(assembly, "allocate_envelope", allocate)


@pytest.fixture
def crash_at(monkeypatch):
    """``crash_at("<step>")`` makes assembly's crash point ``<step>`` raise :class:`Crash`
    (``monkeypatch.undo()`` disarms it)."""
    from outbound.services import assembly

    def arm(name: str) -> None:
        def point(setting: str, here: str) -> None:
            if (setting, here) == ("OUTBOUND_CRASH_AT", name):
                raise Crash(here)

        monkeypatch.setattr(assembly, "crash_point", point)

    return arm


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
