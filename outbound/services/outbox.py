"""Transactional outbox → Redis stream ``edi-outbound-ready``.

An OutboxMessage is written in the same transaction that persists its file, so a message
exists exactly when the file does. The publisher sends PENDING messages with XADD and marks
them SENT (file PUBLISHED). Publishing is idempotent per file: a small Lua script adds the
stream entry only if ``<stream>:file:<file id>`` is not set yet and remembers the entry id
there, so a publisher that dies between XADD and its database commit does not publish the
same file twice when it retries. Redis errors are classified by the project's one
classifier (:func:`edi_platform.core.retry.classify`): Redis unreachable → the message waits
(attempts, capped exponential backoff); after ``max_attempts`` it becomes DEAD with the
reason. A permanent error (refused credentials, a refused command) makes it DEAD at once,
with the operator's suggestion in ``last_error`` (fix it, then admin "Resubmit").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from edi_platform.core.actors import actor_label
from edi_platform.core.retry import backoff_delay, classify
from outbound.models import (
    OperatorAction,
    OutboundFile,
    OutboundFileStatus,
    OutboxMessage,
    OutboxStatus,
)

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 5
BACKOFF_CAP_SECONDS = 300
DEDUPE_TTL_SECONDS = 30 * 24 * 3600

# KEYS[1] stream, KEYS[2] dedupe key; ARGV[1] ttl, ARGV[2..] field/value pairs.
_PUBLISH_ONCE = """
local existing = redis.call('GET', KEYS[2])
if existing then return existing end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[2], id, 'EX', tonumber(ARGV[1]))
return id
"""


class OutboxNotConfigured(Exception):
    """No Redis URL for the outbox (messages wait until one is configured)."""


@dataclass
class PublishResult:
    """What one publisher run did."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    skipped_reason: str = ""

    def summary(self) -> str:
        if self.skipped_reason:
            return f"not published: {self.skipped_reason}"
        return f"{self.sent} sent, {self.retrying} waiting to retry, {self.dead} dead"


def outbox_redis_url() -> str | None:
    """``OUTBOUND_REDIS_URL``, else a Redis Celery broker URL."""
    url = settings.OUTBOUND_REDIS_URL
    if url:
        return url
    broker = settings.CELERY_BROKER_URL
    return broker if broker.startswith(("redis://", "rediss://", "unix://")) else None


def max_attempts() -> int:
    """Failures after which a message is DEAD (``OUTBOUND_OUTBOX_MAX_ATTEMPTS``, default 10)."""
    return int(settings.OUTBOUND_OUTBOX_MAX_ATTEMPTS)


def backoff(attempts: int) -> timedelta:
    """Capped exponential backoff with jitter after ``attempts`` failures (the project's one
    backoff, :func:`edi_platform.core.retry.backoff_delay`): 5–10 s, 10–20 s, … 2.5–5 min."""
    return timedelta(
        seconds=backoff_delay(
            max(0, attempts - 1), base=2 * BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS
        )
    )


def dedupe_key(stream: str, file_id: str) -> str:
    """Redis key remembering the stream entry id of a published file."""
    return f"{stream}:file:{file_id}"


def outbox_publish(
    *,
    redis_url: str | None = None,
    client: redis.Redis | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> PublishResult:
    """Send due PENDING outbox messages to their Redis stream (see the module docstring)."""
    result = PublishResult()
    if client is None:
        url = redis_url or outbox_redis_url()
        if not url:
            result.skipped_reason = "no Redis configured (OUTBOUND_REDIS_URL)"
            return result
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
    now = now or timezone.now()
    script = client.register_script(_PUBLISH_ONCE)
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        sent_file_ids = []
        for i, message in enumerate(messages):
            fields = {k: str(v) for k, v in message.payload.items()}
            file_id = str(message.outbound_file_id)
            args: list[str] = [str(DEDUPE_TTL_SECONDS)]
            for key, value in fields.items():
                args += [key, value]
            try:
                entry_id = script(
                    keys=[message.stream, dedupe_key(message.stream, file_id)], args=args
                )
            except redis.RedisError as exc:
                # Redis is unreachable (or refusing): every remaining message waits alike.
                found = classify(exc)
                reason = f"{type(exc).__name__}: {str(exc)[:200]}"
                if not found.retryable:
                    reason = f"{reason} — what to do: {found.suggestion}"
                for waiting in messages[i:]:
                    _record_failure(waiting, reason, now, result, permanent=not found.retryable)
                logger.warning(
                    "outbox: Redis %s, %d message(s) wait", found.summary(), len(messages) - i
                )
                break
            message.status = OutboxStatus.SENT
            message.sent_at = now
            message.attempts += 1
            message.last_error = ""
            message.redis_message_id = (
                entry_id.decode() if isinstance(entry_id, bytes) else entry_id
            )
            message.save(
                update_fields=["status", "sent_at", "attempts", "last_error", "redis_message_id"]
            )
            sent_file_ids.append(message.outbound_file_id)
            result.sent += 1
        OutboundFile.objects.filter(
            id__in=sent_file_ids, status=OutboundFileStatus.PERSISTED
        ).update(status=OutboundFileStatus.PUBLISHED, updated_at=now)
    return result


def _record_failure(
    message: OutboxMessage,
    reason: str,
    now: datetime,
    result: PublishResult,
    *,
    permanent: bool,
) -> None:
    message.attempts += 1
    message.last_error = reason
    # A permanent error will not pass by waiting: dead at once, for an operator to act on.
    if permanent or message.attempts >= max_attempts():
        message.status = OutboxStatus.DEAD
        result.dead += 1
    else:
        message.next_attempt_at = now + backoff(message.attempts)
        result.retrying += 1
    message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])


def outbox_resubmit(*, message_id: int, acting_user: Any, reason: str = "") -> OutboxMessage:
    """Put a DEAD message back to PENDING (attempts reset), with an operator audit row."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.status != OutboxStatus.DEAD:
            raise ValueError(f"outbox message {message.pk} is {message.status}, not DEAD")
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = timezone.now()
        message.save(update_fields=["status", "attempts", "next_attempt_at"])
        OperatorAction.objects.create(
            action=OperatorAction.Action.RESUBMIT,
            actor=actor_label(acting_user),
            outbound_file_id=message.outbound_file_id,
            reason=reason,
            result=f"previous error: {message.last_error[:300]}",
        )
    return message
