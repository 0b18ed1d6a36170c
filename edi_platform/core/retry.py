"""Retry of transient database errors, classified by SQLSTATE (never by exception class).

The one retry loop of the project: control-number allocation, outbound assembly, the outbox
and every other service that retries a transaction use :func:`retry_transient` (or
:func:`run_retrying`), and Celery tasks use the presets of :mod:`edi_platform.core.tasking`.

psycopg reports a refused password as ``OperationalError`` just like a dropped connection, so
the class says nothing about whether trying again can help; the SQLSTATE does:

- ``40P01`` deadlock detected, ``40001`` serialization failure, ``55P03`` lock not available
  (lock_timeout): another transaction got in the way; the next attempt will usually pass.
- ``08xxx`` connection exceptions: the server restarted or the network dropped.
- A psycopg ``OperationalError`` with no SQLSTATE at all means the client never got an answer
  from the server (connection refused / lost): treated as ``08006`` (connection failure).
- SQLite ``SQLITE_BUSY`` / ``SQLITE_LOCKED`` (the embedded default) are transient as well.

Everything else (``28P01`` bad password, ``23xxx`` constraint violations, syntax errors, ...)
is raised at once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

T = TypeVar("T")

TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
CONNECTION_SQLSTATE_CLASS = "08"
# The server ended the session: shut down by an administrator or a restart (57P01), crashed
# (57P02), or not accepting connections yet (57P03). Like a lost connection: reconnect.
SESSION_ENDED_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
_SQLITE_TRANSIENT_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED

DEFAULT_ATTEMPTS = 5
BASE_DELAY_SECONDS = 0.01
MAX_DELAY_SECONDS = 0.5

# The attempt number (0 = first) of the retry_transient call currently running, so that e.g.
# the allocation services can record it as the audit rows' retry_count.
_current_attempt: ContextVar[int] = ContextVar("retry_attempt", default=0)


def current_retry_count() -> int:
    """Retries already spent by the enclosing :func:`retry_transient` (0 outside one)."""
    return _current_attempt.get()


def _exception_chain(exc: BaseException):
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo.extend([item.__cause__, item.__context__])


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE behind ``exc`` (Django wraps the driver's error in ``__cause__``).

    Returns ``"08006"`` for a psycopg ``OperationalError`` carrying no SQLSTATE (no answer from
    the server), ``None`` when no database error is involved.
    """
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a hard dependency
        psycopg = None
    no_state_operational = False
    for item in _exception_chain(exc):
        state = getattr(item, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
        if psycopg is not None and isinstance(item, psycopg.OperationalError):
            no_state_operational = True
    return "08006" if no_state_operational else None


def _connection_gone(state: str) -> bool:
    return state.startswith(CONNECTION_SQLSTATE_CLASS) or state in SESSION_ENDED_SQLSTATES


def is_transient(exc: BaseException) -> bool:
    """True when trying the same transaction again may succeed."""
    state = sqlstate_of(exc)
    if state is not None:
        return state in TRANSIENT_SQLSTATES or _connection_gone(state)
    for item in _exception_chain(exc):
        code = getattr(item, "sqlite_errorcode", None)
        if code is not None and (code & 0xFF) in _SQLITE_TRANSIENT_CODES:
            return True
    return False


def backoff_delay(
    attempt: int, *, base: float = BASE_DELAY_SECONDS, cap: float = MAX_DELAY_SECONDS
) -> float:
    """Capped exponential backoff with "equal jitter": half fixed, half random.

    attempt 0 -> 5–10 ms, 1 -> 10–20 ms, 2 -> 20–40 ms, ... never more than ``cap``.
    """
    ceiling = min(cap, base * (2**attempt))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def retry_transient(
    fn: Callable[[], T],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    using: str = DEFAULT_DB_ALIAS,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T, int]:
    """Run ``fn`` and retry it on transient database errors; return ``(result, retries used)``.

    ``fn`` opens its own transaction (``transaction.atomic()``) or runs single statements, so
    each attempt starts clean. Must be called outside any ``transaction.atomic()`` block: a
    failed statement poisons the enclosing transaction, which only its owner can retry.
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    connection = connections[using]
    if connection.in_atomic_block:
        raise RuntimeError("retry_transient() must be called outside transaction.atomic()")
    for attempt in range(attempts):
        token = _current_attempt.set(attempt)
        try:
            return fn(), attempt
        except Exception as exc:
            if attempt == attempts - 1 or not is_transient(exc):
                raise
            state = sqlstate_of(exc) or "sqlite-busy"
            if _connection_gone(state):
                # The connection is gone: drop it so the next attempt reconnects.
                connection.close()
            delay = backoff_delay(attempt)
            logger.warning(
                "transient database error (SQLSTATE %s), attempt %d/%d, retrying in %.0f ms",
                state,
                attempt + 1,
                attempts,
                delay * 1000,
            )
            sleep(delay)
        finally:
            _current_attempt.reset(token)
    raise AssertionError("unreachable")  # pragma: no cover


def run_retrying(fn: Callable[[], T], *, using: str = DEFAULT_DB_ALIAS) -> T:
    """Run a transaction function, retrying transient database errors (deadlock,
    serialization, lost connection). Inside a caller's transaction only the caller can
    retry, so there it runs once."""
    if connections[using].in_atomic_block:
        return fn()
    result, _ = retry_transient(fn, using=using)
    return result
