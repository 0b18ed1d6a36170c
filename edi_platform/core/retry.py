"""The one error classifier of the project, and the retry loops built on it.

Every retry in the project goes through here: control-number allocation, outbound assembly
and quarantine, the outbox publisher (Redis), Celery tasks (the presets of
:mod:`edi_platform.core.tasking`), ``migrate_database`` / ``backup`` / ``restore`` and
resumable ingestion runs. Code asks :func:`classify` what an exception means and gets one
:class:`Classification`: what to do (:class:`Action`), a stable code for logs and reports
(SQLSTATE, ``redis:<class>``, ``errno:<name>``) and, for what waiting cannot fix, a
suggestion an operator can act on (commands print it; the admin shows it).

Database errors are classified by SQLSTATE, never by exception class: psycopg reports a
refused password as ``OperationalError`` just like a dropped connection.

=================================  ===================  =====================================
SQLSTATE                           Action               Why
=================================  ===================  =====================================
``40001`` ``40P01``                RETRY                serialization failure / deadlock: the
                                                        next attempt of the transaction passes
``08xxx`` (not ``08007``), and a   RECONNECT            the connection is gone; drop it, try
psycopg ``OperationalError`` with                       again on a new one
no SQLSTATE (no server answer)
``55P03`` ``57014`` ``53300``      BACK_OFF             lock timeout, statement timeout, too
``57P01`` ``57P03``                                     many connections, server shutting down
                                                        or starting: wait longer, then retry
``08007``                          CHECK_FIRST          the connection broke during COMMIT: the
                                                        transaction may have committed; never
                                                        retried blindly
``23xxx`` ``22xxx`` ``42xxx``      PERMANENT            constraint, data, schema/privilege,
``28xxx`` and everything else                           authentication: retrying cannot help
=================================  ===================  =====================================

SQLite (the embedded default): ``SQLITE_BUSY`` / ``SQLITE_LOCKED`` back off; the rest is
permanent. Redis: connection and timeout errors (and a server still loading or read-only
during a fail-over) reconnect; authentication and command errors are permanent. Storage
(``OSError``): timeouts, interrupted calls and network file-system hiccups back off; a full
disk, missing permissions or a read-only file system are permanent.

Backoff is capped exponential with "equal jitter" (:func:`backoff_delay`).
"""

from __future__ import annotations

import enum
import errno
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

__all__ = [
    "DEFAULT_ATTEMPTS",
    "TRANSACTION_POLICY",
    "Action",
    "Classification",
    "RetryPolicy",
    "backoff_delay",
    "classify",
    "current_retry_count",
    "is_transient",
    "retry_call",
    "retry_transient",
    "run_retrying",
    "sqlstate_of",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Action(enum.StrEnum):
    """What the caller should do about an error."""

    RETRY = "retry"  # run the same transaction again, after a short wait
    RECONNECT = "reconnect"  # drop the connection, then retry on a new one
    BACK_OFF = "back off"  # the server is overloaded or busy: wait longer, then retry
    CHECK_FIRST = "check first"  # the outcome is unknown: look before doing it again
    PERMANENT = "permanent"  # the same call will fail the same way: an operator must act

    @property
    def retryable(self) -> bool:
        return self in (Action.RETRY, Action.RECONNECT, Action.BACK_OFF)


@dataclass(frozen=True)
class Classification:
    """What an exception means: ``action``, a stable ``code`` and an operator ``suggestion``.

    ``source`` is ``database``, ``redis``, ``storage`` or ``application``. Nothing here
    quotes the exception's text (a database error may quote row values): codes only.
    """

    action: Action
    source: str
    code: str
    suggestion: str = ""

    @property
    def retryable(self) -> bool:
        return self.action.retryable

    def summary(self) -> str:
        """``"database 23505 (permanent): a row with the same key exists …"``."""
        text = f"{self.source} {self.code} ({self.action})"
        return f"{text}: {self.suggestion}" if self.suggestion else text


# -- SQLSTATE table --------------------------------------------------------------------------

_SQLSTATE_ACTIONS: dict[str, Action] = {
    "40001": Action.RETRY,
    "40P01": Action.RETRY,
    "08007": Action.CHECK_FIRST,
    "55P03": Action.BACK_OFF,
    "57014": Action.BACK_OFF,
    "53300": Action.BACK_OFF,
    "57P01": Action.BACK_OFF,
    "57P02": Action.BACK_OFF,
    "57P03": Action.BACK_OFF,
}
# Connection-level states: the session is gone, so a retry needs a new connection.
_CONNECTION_LOST = frozenset({"57P01", "57P02", "57P03"})

_SQLSTATE_SUGGESTIONS: dict[str, str] = {
    "08007": (
        "the connection broke while committing: the transaction may or may not have "
        "committed; check the result (the run's step, the batch's status) before retrying"
    ),
    "23505": "a row with the same key already exists: the work was probably done already",
    "23503": "a referenced row is missing: run the invariant checks or restore from a backup",
    "23502": "a required value is missing: the data does not fit this version's schema",
    "23514": "a value breaks a check constraint: the data does not fit this version's schema",
    "22001": "a value is longer than its column allows",
    "22021": (
        "a text value has a NUL character or bytes that are not UTF-8, which PostgreSQL "
        "refuses: correct that row in the source (the table is named) and try again"
    ),
    "22P05": "a text value cannot be stored in the database encoding: correct it at the source",
    "22P02": "a value has the wrong format for its column type",
    "22003": "a number is out of range for its column",
    "42P01": "a table is missing: run `manage.py migrate` on this database",
    "42703": "a column is missing: run `manage.py migrate` on this database",
    "42501": "the database user lacks a privilege: grant it (or use the owner's account)",
    "28P01": "the password was refused: check the user and password in the database URL",
    "28000": "the server refused this user or host: check pg_hba.conf and the database URL",
    "3D000": "the database does not exist: create it (createdb NAME) or fix the database URL",
    "53100": "the database server's disk is full: free space there, then try again",
    "53200": "the database server is out of memory: lower the load or add memory",
    "XX001": "the database reports corrupted data: restore the affected table from a backup",
    "XX002": "the database reports a corrupted index: REINDEX it",
}
_SQLSTATE_CLASS_SUGGESTIONS: dict[str, str] = {
    "08": "cannot reach the database server: check that it runs and the host/port in the URL",
    "22": "a value does not fit its column: correct it at the source",
    "23": "the data breaks a constraint of the schema: it does not fit this version",
    "28": "authentication failed: check the user and password in the database URL",
    "42": "the SQL does not match the schema: run `manage.py migrate`; if it persists, report it",
    "53": "the database server is short of a resource (disk, memory, connections)",
    "55": "the object is in use: try again when the other operation is over",
    "57": "the server stopped or cancelled the operation: try again when it is back",
}
_PERMANENT_DEFAULT = "unexpected error: see the log (class and frames) and report it"

# SQLite result codes (primary code = low byte of the extended code).
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_SQLITE_SUGGESTIONS: dict[int, str] = {
    8: "the SQLite file is read-only: check its permissions and those of its directory",
    10: "disk I/O error on the SQLite file: check the disk",
    11: "the SQLite file is corrupted: restore it from a backup (`manage.py restore`)",
    13: "the disk holding the SQLite file is full: free space, then try again",
    14: "the SQLite file cannot be opened: check the path in DATABASE_URL and permissions",
    19: "the data breaks a constraint of the schema",
    26: "the file is not an SQLite database: check the path in DATABASE_URL",
}

# Storage (OSError): errors that go away by themselves.
_STORAGE_TRANSIENT = frozenset(
    {
        errno.EAGAIN,
        errno.EINTR,
        errno.ETIMEDOUT,
        errno.ECONNRESET,
        errno.ECONNREFUSED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ESTALE,
        errno.EBUSY,
    }
)
_STORAGE_SUGGESTIONS: dict[int, str] = {
    errno.ENOSPC: "the disk is full: free space on the storage volume, then try again",
    errno.EDQUOT: "the disk quota is exhausted: free space or raise the quota",
    errno.EACCES: "permission denied: check the owner and mode of the storage directory",
    errno.EPERM: "operation not permitted: check the owner and mode of the storage directory",
    errno.EROFS: "the storage is mounted read-only: remount it read-write",
    errno.ENOENT: "a file or directory is missing: check the path (storage root settings)",
    errno.EIO: "I/O error: check the disk (dmesg) before trying again",
}
# Names of storage-client connection errors (boto, Azure, requests) matched without
# importing those optional libraries.
_STORAGE_CONNECTION_CLASSES = frozenset(
    {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
        "ServiceRequestError",
        "ServiceResponseError",
        "ConnectionError",
        "Timeout",
    }
)


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo.extend([item.__cause__, item.__context__])


# libpq reports a server's refusal *while connecting* as text only (no SQLSTATE): the FATAL
# messages a server sends then, mapped to the SQLSTATE it would have given. Matched, never
# repeated (a message may quote a user or database name).
_CONNECT_FAILURES: tuple[tuple[str, str], ...] = (
    ("password authentication failed", "28P01"),
    ("no pg_hba.conf entry", "28000"),
    ('role "', "28000"),
    ('database "', "3D000"),
    ("too many clients", "53300"),
    ("connection slots are reserved", "53300"),
    ("the database system is starting up", "57P03"),
    ("the database system is shutting down", "57P03"),
    ("the database system is in recovery mode", "57P03"),
)


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE behind ``exc`` (Django wraps the driver's error in ``__cause__``).

    A psycopg ``OperationalError`` carrying no SQLSTATE is a failure to connect: the state
    the server's refusal stands for (wrong password ``28P01``, no such database ``3D000``,
    starting up ``57P03``...), else ``"08006"`` (no answer from the server). ``None`` when no
    PostgreSQL error is involved.
    """
    import psycopg
    from django.db import InterfaceError

    no_state_operational: BaseException | None = None
    for item in _exception_chain(exc):
        state = getattr(item, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
        if isinstance(item, psycopg.InterfaceError | InterfaceError):
            # "connection already closed": the session is gone (connection_does_not_exist)
            return "08003"
        if isinstance(item, psycopg.OperationalError) and no_state_operational is None:
            no_state_operational = item
    if no_state_operational is None:
        return _client_side_data_error(exc)
    text = str(no_state_operational)
    if "FATAL" in text:
        for needle, state in _CONNECT_FAILURES:
            if needle in text:
                return state
    return "08006"


def _client_side_data_error(exc: BaseException) -> str | None:
    """psycopg refuses some values itself, before the server sees them (no SQLSTATE): a NUL
    character in text is what the server would call ``22021``; others are ``22000``."""
    import psycopg

    for item in _exception_chain(exc):
        if isinstance(item, psycopg.DataError) and not getattr(item, "sqlstate", None):
            return "22021" if "NUL" in str(item) else "22000"
    return None


def _classify_sqlstate(state: str) -> Classification:
    action = _SQLSTATE_ACTIONS.get(state)
    if action is None:
        action = Action.RECONNECT if state.startswith("08") else Action.PERMANENT
    suggestion = _SQLSTATE_SUGGESTIONS.get(state) or _SQLSTATE_CLASS_SUGGESTIONS.get(
        state[:2], "" if action.retryable else _PERMANENT_DEFAULT
    )
    return Classification(action=action, source="database", code=state, suggestion=suggestion)


def _classify_sqlite(code: int) -> Classification:
    primary = code & 0xFF
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return Classification(
            action=Action.BACK_OFF,
            source="database",
            code=f"sqlite:{primary}",
            suggestion="another process holds the SQLite write lock",
        )
    return Classification(
        action=Action.PERMANENT,
        source="database",
        code=f"sqlite:{primary}",
        suggestion=_SQLITE_SUGGESTIONS.get(primary, _PERMANENT_DEFAULT),
    )


def _classify_redis(item: BaseException) -> Classification | None:
    try:
        import redis.exceptions as rex
    except ImportError:  # pragma: no cover - redis is a hard dependency
        return None
    if not isinstance(item, rex.RedisError):
        return None
    code = f"redis:{type(item).__name__}"
    # AuthenticationError is a ConnectionError subclass: test it first.
    if isinstance(item, rex.AuthenticationError | rex.AuthorizationError | rex.NoPermissionError):
        return Classification(
            Action.PERMANENT,
            "redis",
            code,
            "Redis refused the credentials: check the user and password in the Redis URL",
        )
    if isinstance(item, rex.BusyLoadingError | rex.ReadOnlyError | rex.TryAgainError):
        return Classification(Action.BACK_OFF, "redis", code, "Redis is loading or failing over")
    if isinstance(item, rex.ConnectionError | rex.TimeoutError):
        return Classification(
            Action.RECONNECT,
            "redis",
            code,
            "cannot reach Redis: check that it runs and the host/port in the Redis URL",
        )
    if isinstance(item, rex.ResponseError) and str(item).startswith("OOM"):
        return Classification(
            Action.BACK_OFF, "redis", "redis:OOM", "Redis is out of memory: raise maxmemory"
        )
    return Classification(
        Action.PERMANENT,
        "redis",
        code,
        "Redis refused the command: check the server version and configuration",
    )


def _classify_storage(item: BaseException) -> Classification | None:
    if type(item).__name__ in _STORAGE_CONNECTION_CLASSES and not isinstance(item, OSError):
        return Classification(
            Action.RECONNECT,
            "storage",
            f"storage:{type(item).__name__}",
            "cannot reach the storage service: check the endpoint and network",
        )
    if not isinstance(item, OSError) or item.errno is None:
        return None
    name = errno.errorcode.get(item.errno, str(item.errno))
    if item.errno in _STORAGE_TRANSIENT:
        return Classification(Action.BACK_OFF, "storage", f"errno:{name}", "")
    return Classification(
        Action.PERMANENT,
        "storage",
        f"errno:{name}",
        _STORAGE_SUGGESTIONS.get(item.errno, f"the operating system refused ({name})"),
    )


def classify(exc: BaseException) -> Classification:
    """What ``exc`` means for a retry, with a suggestion for the operator (see the table)."""
    state = sqlstate_of(exc)
    if state is not None:
        return _classify_sqlstate(state)
    for item in _exception_chain(exc):
        code = getattr(item, "sqlite_errorcode", None)
        if isinstance(code, int):
            return _classify_sqlite(code)
        found = _classify_redis(item) or _classify_storage(item)
        if found is not None:
            return found
    # Domain errors may say themselves what an operator should do.
    hint = getattr(exc, "suggestion", "")
    return Classification(
        action=Action.PERMANENT,
        source="application",
        code=type(exc).__name__,
        suggestion=hint if isinstance(hint, str) and hint else _PERMANENT_DEFAULT,
    )


def is_transient(exc: BaseException) -> bool:
    """True when trying the same call again may succeed."""
    return classify(exc).retryable


# -- backoff and retry loops ---------------------------------------------------------------

DEFAULT_ATTEMPTS = 5
BASE_DELAY_SECONDS = 0.01
MAX_DELAY_SECONDS = 0.5


def backoff_delay(
    attempt: int, *, base: float = BASE_DELAY_SECONDS, cap: float = MAX_DELAY_SECONDS
) -> float:
    """Capped exponential backoff with "equal jitter": half fixed, half random.

    attempt 0 -> 5–10 ms, 1 -> 10–20 ms, 2 -> 20–40 ms, ... never more than ``cap``.
    """
    ceiling = min(cap, base * (2 ** min(attempt, 60)))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts and how long to wait: ``base``/``cap`` seconds for RETRY and
    RECONNECT, ``back_off_factor`` times longer for BACK_OFF (a busy server needs time)."""

    attempts: int = DEFAULT_ATTEMPTS
    base: float = BASE_DELAY_SECONDS
    cap: float = MAX_DELAY_SECONDS
    back_off_factor: float = 10.0

    def delay(self, attempt: int, action: Action) -> float:
        factor = self.back_off_factor if action is Action.BACK_OFF else 1.0
        return backoff_delay(attempt, base=self.base * factor, cap=self.cap * factor)


# A transaction of a service (allocation, assembly): a few quick attempts.
TRANSACTION_POLICY = RetryPolicy()

# The attempt number (0 = first) of the retry loop currently running, so that e.g. the
# allocation services can record it as the audit rows' retry_count.
_current_attempt: ContextVar[int] = ContextVar("retry_attempt", default=0)


def current_retry_count() -> int:
    """Retries already spent by the enclosing retry loop (0 outside one)."""
    return _current_attempt.get()


def retry_call(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy = TRANSACTION_POLICY,
    what: str = "call",
    before_retry: Callable[[Classification], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T, int]:
    """Run ``fn``, retrying what :func:`classify` calls retryable; return (result, retries).

    ``before_retry(classification)`` runs before each wait (drop a connection, log progress).
    The last error, or the first that is not retryable, is raised as it is.
    """
    if policy.attempts < 1:
        raise ValueError("attempts must be >= 1")
    for attempt in range(policy.attempts):
        token = _current_attempt.set(attempt)
        try:
            return fn(), attempt
        except Exception as exc:
            found = classify(exc)
            if attempt == policy.attempts - 1 or not found.retryable:
                raise
            if before_retry is not None:
                before_retry(found)
            delay = policy.delay(attempt, found.action)
            logger.warning(
                "%s: %s %s (%s), attempt %d/%d, retrying in %.0f ms",
                what,
                found.source,
                found.code,
                found.action,
                attempt + 1,
                policy.attempts,
                delay * 1000,
            )
            sleep(delay)
        finally:
            _current_attempt.reset(token)
    raise AssertionError("unreachable")  # pragma: no cover


def retry_transient(
    fn: Callable[[], T],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    using: str = DEFAULT_DB_ALIAS,
    sleep: Callable[[float], None] = time.sleep,
    policy: RetryPolicy | None = None,
) -> tuple[T, int]:
    """Run a transaction function ``fn`` and retry it on retryable database errors; return
    ``(result, retries used)``.

    ``fn`` opens its own transaction (``transaction.atomic()``) or runs single statements, so
    each attempt starts clean. Must be called outside any ``transaction.atomic()`` block: a
    failed statement poisons the enclosing transaction, which only its owner can retry.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        raise RuntimeError("retry_transient() must be called outside transaction.atomic()")
    if policy is None:
        policy = RetryPolicy(attempts=attempts)

    def reconnect_if_needed(found: Classification) -> None:
        if found.action is Action.RECONNECT or found.code in _CONNECTION_LOST:
            # The connection is gone: drop it so the next attempt reconnects.
            connection.close()
        else:
            connection.close_if_unusable_or_obsolete()

    return retry_call(
        fn, policy=policy, what="transaction", before_retry=reconnect_if_needed, sleep=sleep
    )


def run_retrying(fn: Callable[[], T], *, using: str = DEFAULT_DB_ALIAS) -> T:
    """Run a transaction function, retrying retryable database errors (deadlock,
    serialization, lost connection, lock timeout). Inside a caller's transaction only the
    caller can retry, so there it runs once."""
    if connections[using].in_atomic_block:
        return fn()
    result, _ = retry_transient(fn, using=using)
    return result
