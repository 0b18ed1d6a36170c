"""The house conventions for Celery tasks: how services enqueue them, how they retry.

* :func:`enqueue_on_commit` — services never import ``tasks`` modules (tasks import
  services, so the other direction would be a cycle). A service names the task and passes
  ids only (JSON-safe, never PHI); the task is sent when the current transaction commits,
  or at once outside one. With Celery eager (the embedded default) it runs inline after
  the commit.
* Retry presets — every ``@shared_task`` spreads one of these instead of spelling out its
  own policy. Every preset retries only what a later attempt can fix (the database or the
  broker unreachable); a bug in the task body fails at once and shows up in the logs.

  ``RETRY_IDEMPOTENT_STEP``: outbound steps and projections (redoable; the same input gives
  the same result), long capped backoff. ``RETRY_SCHEDULED_CHECK``: periodic checks that
  run again on the next tick anyway: a few quick retries. ``NO_RETRY``: work that must not
  run twice on its own (the next poll or an operator decides).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from django.db import InterfaceError, OperationalError, transaction

from edi_platform.x12.logsafe import exception_summary

__all__ = [
    "NO_RETRY",
    "RETRY_IDEMPOTENT_STEP",
    "RETRY_SCHEDULED_CHECK",
    "enqueue_on_commit",
    "task_named",
]

logger = logging.getLogger(__name__)

_TRANSIENT = (OperationalError, InterfaceError)

RETRY_IDEMPOTENT_STEP: dict[str, Any] = {
    "autoretry_for": _TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 10,
    "acks_late": True,
}
RETRY_SCHEDULED_CHECK: dict[str, Any] = {
    "autoretry_for": _TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 3,
}
NO_RETRY: dict[str, Any] = {"max_retries": 0}


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
            task_named(task).delay(**ids)
        except Exception as exc:
            logger.error("%s not enqueued after commit: %s", task, exception_summary(exc))

    transaction.on_commit(send)
