"""The house conventions for Celery tasks: how services enqueue them, how they retry.

* :func:`enqueue_on_commit` — services never import ``tasks`` modules (tasks import
  services, so the other direction would be a cycle). A service names the task and passes
  ids only (JSON-safe, never PHI); the task is sent when the current transaction commits,
  or at once outside one. With Celery eager (the embedded default) it runs inline after
  the commit.
* Retry presets — every ``@shared_task`` spreads one of these instead of spelling out its
  own policy. Every preset retries only what a later attempt can fix, as the project's one
  classifier (:func:`edi_platform.core.retry.classify`) decides: a deadlock, a lost
  connection, Redis or storage unreachable. Anything permanent (a bug, a constraint, a
  refused password) fails at once and is logged by class, code and the operator suggestion
  (never the exception's text).

  ``RETRY_IDEMPOTENT_STEP``: outbound steps and projections (redoable; the same input gives
  the same result), long capped backoff. ``RETRY_SCHEDULED_CHECK``: periodic checks that
  run again on the next tick anyway: a few quick retries. ``NO_RETRY``: work that must not
  run twice on its own (the next poll or an operator decides).
"""

from __future__ import annotations

import importlib
import json
import logging
from typing import Any

from celery import Task
from celery.exceptions import Ignore, Retry
from django.conf import settings
from django.db import transaction

from edi_platform.x12.logsafe import exception_summary

from .retry import backoff_delay, classify

__all__ = [
    "NO_RETRY",
    "RETRY_IDEMPOTENT_STEP",
    "RETRY_SCHEDULED_CHECK",
    "ClassifiedRetryTask",
    "enqueue_on_commit",
    "task_named",
]

logger = logging.getLogger(__name__)


class ClassifiedRetryTask(Task):
    """A task that retries exactly what the classifier calls retryable.

    Celery's own ``autoretry_for`` matches exception classes, which cannot tell a dropped
    connection from a refused password (both ``OperationalError``). This base asks
    :func:`classify` instead and retries with the project's capped exponential backoff
    with jitter (``retry_backoff_base`` .. ``retry_backoff_cap`` seconds). Tasks keep
    ``max_retries``; ``retry_classified = False`` (``NO_RETRY``) never retries.
    """

    retry_classified = True
    retry_backoff_base = 5.0
    retry_backoff_cap = 300.0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except (Retry, Ignore):
            raise
        except Exception as exc:
            found = classify(exc)
            retries = self.request.retries or 0
            if self.retry_classified and found.retryable and retries < (self.max_retries or 0):
                delay = backoff_delay(
                    retries, base=self.retry_backoff_base, cap=self.retry_backoff_cap
                )
                logger.warning(
                    "task %s: %s, retry %d in %.0f s",
                    self.name,
                    found.summary(),
                    retries + 1,
                    delay,
                )
                raise self.retry(exc=exc, countdown=delay) from None
            logger.error("task %s failed: %s", self.name, found.summary())
            raise


RETRY_IDEMPOTENT_STEP: dict[str, Any] = {
    "base": ClassifiedRetryTask,
    "retry_backoff_base": 5.0,
    "retry_backoff_cap": 300.0,
    "max_retries": 10,
    "acks_late": True,
}
RETRY_SCHEDULED_CHECK: dict[str, Any] = {
    "base": ClassifiedRetryTask,
    "retry_backoff_base": 1.0,
    "retry_backoff_cap": 60.0,
    "max_retries": 3,
}
NO_RETRY: dict[str, Any] = {
    "base": ClassifiedRetryTask,
    "retry_classified": False,
    "max_retries": 0,
}


def task_named(name: str) -> Any:
    """The registered Celery task ``name`` (``"outbound.tasks.publish_outbox"``).

    Task modules register their tasks when imported; the module is the name up to its last
    dot, so it is imported here on first use (by name: no static import edge to the task
    module, which is what keeps services below their tasks).
    """
    from edi_platform.celery import app

    task = app.tasks.get(name)
    if task is None:
        importlib.import_module(name.rpartition(".")[0])
        task = app.tasks[name]
    return task


def enqueue_on_commit(task: str, /, **ids: Any) -> None:
    """Send ``task`` with keyword arguments ``ids`` once the current transaction commits.

    A failure to send (broker down) or, in eager mode, of the task itself must not fail the
    caller's already committed work: every task enqueued this way also runs from beat, which
    picks the work up. It is logged by class and frames only (an eager task's exception text
    may quote data).
    """

    def send() -> None:
        try:
            found = task_named(task)
            if getattr(settings, "CELERY_EAGER", False):
                # what an eager delay() does, without its "inside a task" marker: Celery keeps
                # that marker in one process-wide flag, so two threads sending at once (the
                # assembly's thread pool) can leave it set for good, and every result.get()
                # of the process then raises "Never call result.get() within a task"
                found.apply(kwargs=json.loads(json.dumps(ids)))
            else:
                found.delay(**ids)
        except Exception as exc:
            logger.error("%s not enqueued after commit: %s", task, exception_summary(exc))

    transaction.on_commit(send)
