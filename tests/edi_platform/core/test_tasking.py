"""enqueue_on_commit sends a task by name once the transaction commits (never on rollback),
and every task of the project takes its retry policy from one of the named presets."""

from __future__ import annotations

import logging
import threading

import pytest
from celery import shared_task
from django.db import connections, transaction

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


FIRST_IN, SECOND_IN, FIRST_BACK = threading.Event(), threading.Event(), threading.Event()


@shared_task(name=f"{__name__}.overlap")
def overlap(role: str) -> None:
    # the first task waits until the second runs too, and the second returns only after
    # the first's sender is back: the overlap whose last exit restores Celery's flag set
    if role == "first":
        FIRST_IN.set()
        SECOND_IN.wait(timeout=10)
    else:
        SECOND_IN.set()
        FIRST_BACK.wait(timeout=10)
    CALLS.append({"role": role})


@pytest.mark.django_db(transaction=True)
def test_tasks_sent_from_two_threads_at_once_leave_results_readable():
    """The assembly's thread pool sends its tasks from two threads. In eager mode an
    overlapping pair must not leave Celery believing the process is inside a task (a
    process-wide flag; from then on every result.get() of the process raises)."""
    for event in (FIRST_IN, SECOND_IN, FIRST_BACK):
        event.clear()

    def send(role: str) -> None:
        try:
            enqueue_on_commit(f"{__name__}.overlap", role=role)  # no transaction here: at once
            if role == "first":
                FIRST_BACK.set()
        finally:
            connections.close_all()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert FIRST_IN.wait(timeout=10)
    second = threading.Thread(target=send, args=("second",))
    second.start()
    first.join()
    second.join()
    assert CALLS == [{"role": "first"}, {"role": "second"}]
    assert record.apply(kwargs={"batch_id": 9}).get() is None


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
            p
            for p in presets
            if isinstance(task, p["base"])
            and all(getattr(task, key, None) == value for key, value in p.items() if key != "base")
        ]
        assert matching, f"{task.name} has a retry policy of its own"


ATTEMPTS: list[int] = []


@pytest.fixture
def eager_retries():
    """Eager mode as a worker runs it: a retry runs again instead of propagating."""
    before = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    ATTEMPTS.clear()
    yield
    app.conf.task_eager_propagates = before


def _deadlock() -> Exception:
    import psycopg.errors
    from django.db import OperationalError

    try:
        try:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        except Exception as exc:
            raise OperationalError("deadlock detected") from exc
    except Exception as wrapped:
        return wrapped


@shared_task(name=f"{__name__}.flaky", **{**RETRY_SCHEDULED_CHECK, "retry_backoff_base": 0.0})
def flaky(fail_times: int, permanent: bool = False) -> str:
    ATTEMPTS.append(1)
    if permanent:
        raise ValueError("a bug, not the weather")
    if len(ATTEMPTS) <= fail_times:
        raise _deadlock()
    return "done"


def test_a_task_retries_what_the_classifier_calls_retryable(eager_retries):
    assert flaky.apply(kwargs={"fail_times": 2}, throw=False).get() == "done"
    assert len(ATTEMPTS) == 3


def test_a_task_fails_at_once_on_a_permanent_error_and_logs_the_suggestion(caplog, eager_retries):
    caplog.set_level(logging.ERROR)
    with pytest.raises(ValueError):
        flaky.apply(kwargs={"fail_times": 0, "permanent": True}, throw=False).get()
    assert len(ATTEMPTS) == 1
    assert "application ValueError (permanent)" in caplog.text


def test_a_task_gives_up_after_its_max_retries(eager_retries):
    with pytest.raises(Exception) as raised:
        flaky.apply(kwargs={"fail_times": 99}, throw=False).get()
    assert "deadlock" in str(raised.value)
    assert len(ATTEMPTS) == RETRY_SCHEDULED_CHECK["max_retries"] + 1
