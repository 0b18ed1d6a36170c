"""Scheduler truth: the banner follows the heartbeats (never the broker setting) and names
what is late; the embedded runner records its runs on the periodic tasks like beat does
(admin "Last run"), at the admin's intervals, once per interval whatever the number of
runners; `make run` appends to the scheduler log."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from edi_platform.core.management.commands.run_scheduler import entries, run_claim
from edi_platform.core.models import SchedulerHeartbeat
from edi_platform.core.schedules import DEFAULT_SCHEDULES
from edi_platform.core.selectors import scheduler_status
from edi_platform.core.services import heartbeat_record, schedules_setup

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def empty_inbox(settings, tmp_path):
    """The runner polls the inbox: an empty one of this test's own."""
    settings.INBOUND_INBOX_DIR = tmp_path / "inbox"


def fresh_heartbeats() -> None:
    schedules_setup()
    PeriodicTask.objects.update(last_run_at=timezone.now())
    heartbeat_record(hostname="worker-1")


def test_no_banner_while_the_heartbeats_are_fresh_even_without_a_broker(
    admin_client_logged_in, settings
):
    settings.CELERY_EAGER = True  # the embedded default: make run's scheduler is running
    fresh_heartbeats()
    page = admin_client_logged_in.get(reverse("admin:index")).content.decode()
    assert 'id="scheduler-banner"' not in page
    assert "Schedules are not running" not in page


def test_a_stale_heartbeat_raises_a_red_banner_naming_what_is_late(
    admin_client_logged_in, settings
):
    settings.CELERY_EAGER = False
    fresh_heartbeats()
    late = timezone.now() - timedelta(minutes=14)
    PeriodicTask.objects.update(last_run_at=late)
    SchedulerHeartbeat.objects.update(last_beat_at=late)
    page = admin_client_logged_in.get(reverse("admin:outbound_outboundfile_changelist"))
    html = page.content.decode()
    banner = re.search(r'<li class="error" id="scheduler-banner">(.*?)</li>', html, re.S)
    assert banner, "a red (error) banner"
    text = banner.group(1)
    assert "No scheduler heartbeat since" in text and "No worker heartbeat since" in text
    assert "outbound: assemble due outcomes (every 60 s; last ran 14 min ago)" in text
    # the hourly rollover check ran 14 minutes ago: not late
    assert "controlnumbers: rollover check" not in text


def test_status_separates_scheduler_and_worker():
    fresh_heartbeats()
    SchedulerHeartbeat.objects.update(last_beat_at=timezone.now() - timedelta(hours=1))
    status = scheduler_status()
    assert not status.scheduler_stale and status.worker_stale and status.stale
    assert status.late_tasks == []


def test_the_embedded_runner_records_every_run_like_beat():
    out = StringIO()
    call_command("run_scheduler", stdout=out, stderr=StringIO())
    tasks = {t.name: t for t in PeriodicTask.objects.all()}
    for spec in DEFAULT_SCHEDULES:
        assert tasks[spec.name].last_run_at is not None, spec.name
        assert tasks[spec.name].total_run_count == 1, spec.name
    status = scheduler_status()
    assert not status.stale and status.late_tasks == []
    assert "run_scheduler started" in out.getvalue()


def test_the_runner_follows_the_admin_intervals_and_enabled_flags():
    call_command("run_scheduler", stdout=StringIO(), stderr=StringIO())
    PeriodicTask.objects.filter(name="platform: scheduler heartbeat").update(enabled=False)
    PeriodicTask.objects.filter(name="outbound: publish outbox").update(
        last_run_at=timezone.now() - timedelta(seconds=31)
    )
    call_command("run_scheduler", stdout=StringIO(), stderr=StringIO())
    counts = dict(PeriodicTask.objects.values_list("name", "total_run_count"))
    assert counts["outbound: publish outbox"] == 2  # every 30 s: due again
    assert counts["outbound: assemble due outcomes"] == 1  # every 60 s: not yet
    assert counts["platform: scheduler heartbeat"] == 1  # disabled in the admin


def test_two_runners_never_run_a_task_twice_in_one_interval():
    schedules_setup()
    now = timezone.now()
    entry = next(e for e in entries() if e.name == "outbound: assemble due outcomes")
    assert run_claim(entry, now) is True
    assert run_claim(entry, now) is False  # the other runner, the same moment
    assert run_claim(entry, now + timedelta(seconds=30)) is False
    assert run_claim(entry, now + timedelta(seconds=61)) is True


def test_make_run_appends_to_the_scheduler_log_and_sets_up_the_groups():
    recipe = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\ntest:", 1)[0]
    assert ">>var/scheduler.log" in recipe
    assert not re.search(r"[^>]>var/scheduler\.log", recipe)  # never truncated
    assert "manage.py setup_groups" in recipe
