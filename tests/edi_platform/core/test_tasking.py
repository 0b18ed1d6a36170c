"""enqueue_on_commit sends a task by name once the transaction commits (never on rollback),
and every task of the project takes its retry policy from one of the named presets."""

from __future__ import annotations

import logging

import pytest
from celery import shared_task
from django.db import transaction

from edi_platform.celery import app
from edi_platform.core.tasking import (
    NO_RETRY,
    RETRY_IDEMPOTENT_STEP,
    RETRY_SCHEDULED_CHECK,
    enqueue_on_commit,
    task_named,
)

CALLS: list[dict] = []
TASK = f"{__name__}.record"


@shared_task(name=TASK)
def record(**ids) -> None:
    CALLS.append(ids)
    if ids.get("fail"):
        raise ValueError("member DOE JOHN 19800101")  # the text must never be logged


@pytest.fixture(autouse=True)
def _clear() -> None:
    CALLS.clear()


@pytest.mark.django_db(transaction=True)
def test_the_task_runs_after_the_commit_with_its_ids():
    with transaction.atomic():
        enqueue_on_commit(TASK, batch_id=7, partner_code="ACME")
        assert CALLS == []  # not before the commit
    assert CALLS == [{"batch_id": 7, "partner_code": "ACME"}]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(TASK, batch_id=8)
        raise RuntimeError("rolled back")
    assert CALLS == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_does_not_fail_the_committed_caller_and_is_logged_without_text(caplog):
    caplog.set_level(logging.ERROR)
    with transaction.atomic():
        enqueue_on_commit(TASK, fail=True)
    assert CALLS == [{"fail": True}]
    assert "not enqueued after commit: ValueError" in caplog.text
    assert "DOE" not in caplog.text


def test_a_task_is_found_by_name_importing_its_module():
    assert task_named("outbound.tasks.publish_outbox").name == "outbound.tasks.publish_outbox"


def test_every_project_task_uses_a_named_retry_preset():
    app.loader.import_default_modules()
    presets = [RETRY_IDEMPOTENT_STEP, RETRY_SCHEDULED_CHECK, NO_RETRY]
    ours = [
        t
        for name, t in app.tasks.items()
        if name.split(".")[0] in ("outbound", "eventstore", "controlnumbers", "edi_platform")
    ]
    assert len(ours) >= 9
    for task in ours:
        matching = [
            p for p in presets if all(getattr(task, key, None) == value for key, value in p.items())
        ]
        assert matching, f"{task.name} has a retry policy of its own"
