"""The projector: status from dates, exactly-once under retries, lag and stuck-lag alerts."""

from __future__ import annotations

import datetime as dt

import pytest

from eventstore.ledger.selectors import active_enrollments
from eventstore.ledger.services import projections
from eventstore.ledger.services.events import NewEvent, events_append
from eventstore.ledger.services.projections import (
    LIVE,
    project_pending,
    projection_lag_check,
    projection_rows,
)
from eventstore.models import (
    DomainEvent,
    Enrollment,
    Member,
    ProjectionCheckpoint,
    ProjectionLagAlert,
)

pytestmark = pytest.mark.django_db


def added(aggregate_id: str, **extra) -> NewEvent:
    return NewEvent(
        aggregate_id=aggregate_id,
        event_type="MemberAdded",
        data={
            "partner_code": "P",
            "subscriber_id": aggregate_id.upper(),
            "is_subscriber": True,
            "relationship": "18",
            "name": {"last": "DOE"},
            "address": {"city": "X"},
            **extra,
        },
    )


def enrolled(aggregate_id: str, key: str, begin: str, end: str | None = None) -> NewEvent:
    data = {"coverage_key": key, "plan": "GOLD", "benefit_begin": begin}
    if end:
        data["benefit_end"] = end
    return NewEvent(aggregate_id=aggregate_id, event_type="EnrollmentAdded", data=data)


def test_status_is_computed_from_dates_as_of_today():
    today = dt.date(2024, 6, 1)
    events_append(
        events=[
            added("a"),
            enrolled("a", "HLT", "2024-01-01"),
            enrolled("a", "DEN", "2024-07-01"),
            enrolled("a", "VIS", "2023-01-01", "2024-05-31"),
        ],
        project=False,
    )
    project_pending()
    statuses = {e.coverage_key: e.status(today) for e in Enrollment.objects.all()}
    assert statuses == {"HLT": "ACTIVE", "DEN": "FUTURE", "VIS": "TERMINATED"}
    assert [e.coverage_key for e in active_enrollments(today=today)] == ["HLT"]
    assert Member.objects.get().status(today) == "ACTIVE"


def test_projector_killed_mid_batch_then_retried_gives_the_same_state(monkeypatch):
    events_append(events=[added(f"m{i}") for i in range(30)], project=False)
    events_append(events=[enrolled(f"m{i}", "HLT", "2024-01-01") for i in range(30)], project=False)

    def crash(name, position):
        raise SystemExit("worker killed after writing rows, before the checkpoint")

    monkeypatch.setattr(projections, "_store_checkpoint", crash)
    with pytest.raises(SystemExit):
        project_pending(batch_size=25)
    assert Member.objects.count() == 0  # the whole batch rolled back with the checkpoint
    monkeypatch.undo()
    project_pending(batch_size=25)
    retried = projection_rows(LIVE)
    assert ProjectionCheckpoint.objects.get(name="members").position == 60
    # A projector re-applying already-applied events (checkpoint lost) changes nothing.
    ProjectionCheckpoint.objects.filter(name="members").update(position=10)
    project_pending(batch_size=7)
    assert projection_rows(LIVE) == retried
    assert Enrollment.objects.count() == 30


def test_rows_skip_events_at_or_below_their_last_applied_position():
    events_append(events=[added("a")], project=False)  # city X
    events_append(
        events=[
            NewEvent(aggregate_id="a", event_type="MemberChanged", data={"changes": {"city": "Y"}})
        ],
        project=False,
    )
    project_pending()
    member = Member.objects.get()
    assert (member.city, member.last_position, member.version) == ("Y", 2, 2)
    # The checkpoint is lost and the projector starts over one event at a time: the row
    # already holds position 2, so re-reading MemberAdded (position 1) must not put city X
    # back, not even for the moment before MemberChanged comes again.
    ProjectionCheckpoint.objects.filter(name="members").update(position=0)
    assert projections.project_batch(LIVE, batch_size=1) == 1
    member.refresh_from_db()
    assert (member.city, member.last_position) == ("Y", 2)


def test_lag_and_stuck_lag_raise_alerts_and_resolve(settings):
    settings.EVENTSTORE_LAG_ALERT_EVENTS = 2
    settings.EVENTSTORE_STUCK_LAG_MINUTES = 5
    now = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
    events_append(events=[added(f"m{i}") for i in range(3)], project=False)
    assert projection_lag_check(now=now) == ["LAG"]
    assert projection_lag_check(now=now + dt.timedelta(minutes=6)) == ["LAG", "STUCK"]
    assert ProjectionLagAlert.objects.filter(resolved_at__isnull=True).count() == 2
    project_pending()
    assert projection_lag_check(now=now + dt.timedelta(minutes=7)) == []
    assert not ProjectionLagAlert.objects.filter(resolved_at__isnull=True).exists()
    assert ProjectionLagAlert.objects.count() == 2
    assert DomainEvent.objects.count() == 3


def test_projector_task_runs_inline_on_commit_when_eager(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        events_append(events=[added("a")])
    assert Member.objects.filter(aggregate_id="a").exists()


KILLED_PROJECTOR = r"""
import pathlib, sys, time
import django
django.setup()
from eventstore.ledger.services import projections

ready = pathlib.Path(sys.argv[1])
def hang(name, position):
    # Rows of the batch are written, the transaction is open: now get killed.
    ready.write_text(str(position))
    time.sleep(120)

projections._store_checkpoint = hang
projections.project_pending(batch_size=40)
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_projector_process_killed_mid_batch_then_rerun_gives_the_same_state(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from eventstore.ledger.services.replay import replay_events
    from tests.conftest import REPO_ROOT, child_process_env

    events_append(events=[added(f"k{i}") for i in range(60)], project=False)
    events_append(events=[enrolled(f"k{i}", "HLT", "2024-01-01") for i in range(60)], project=False)
    env = child_process_env()
    ready = tmp_path / "ready"
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_PROJECTOR, str(ready)],
        cwd=REPO_ROOT,
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(600):
            if ready.exists() or worker.poll() is not None:
                break
            time.sleep(0.05)
        assert ready.exists(), worker.stderr.read() if worker.poll() is not None else ""
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert Member.objects.count() == 0  # the killed batch left nothing behind
    project_pending(batch_size=40)
    after_retry = projection_rows(LIVE)
    replay_events(batch_size=25)  # from scratch, as a reference
    assert projection_rows(LIVE) == after_retry
    assert Member.objects.count() == 60 and Enrollment.objects.count() == 60
