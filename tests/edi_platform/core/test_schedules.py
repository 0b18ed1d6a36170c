"""setup_schedules upserts the default periodic tasks by name and keeps operators' edits."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from edi_platform.core.schedules import DEFAULT_SCHEDULES

pytestmark = pytest.mark.django_db


def test_setup_schedules_creates_every_default_task_once():
    call_command("setup_schedules", stdout=StringIO())
    call_command("setup_schedules", stdout=StringIO())
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert {spec.name for spec in DEFAULT_SCHEDULES} <= names
    assert PeriodicTask.objects.filter(name=DEFAULT_SCHEDULES[0].name).count() == 1


def test_operator_edits_survive_setup_schedules():
    call_command("setup_schedules", stdout=StringIO())
    task = PeriodicTask.objects.get(name=DEFAULT_SCHEDULES[0].name)
    task.enabled = False
    task.interval, _ = IntervalSchedule.objects.get_or_create(every=999, period="seconds")
    task.save()
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    task.refresh_from_db()
    assert task.enabled is False
    assert task.interval.every == 999
    assert "unchanged" in out.getvalue()


def test_every_scheduled_task_is_registered_with_celery():
    from edi_platform.celery import app

    app.loader.import_default_modules()
    for spec in DEFAULT_SCHEDULES:
        assert spec.task in app.tasks, spec.task
