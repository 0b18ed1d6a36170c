"""Transient-error classification by SQLSTATE and the retry loop."""

from __future__ import annotations

import psycopg
import psycopg.errors
import pytest
from django.db import IntegrityError, OperationalError, transaction

from edi_platform.core.retry import (
    MAX_DELAY_SECONDS,
    backoff_delay,
    is_transient,
    retry_transient,
    sqlstate_of,
)


def _django_wrapped(driver_error: Exception, wrapper=OperationalError) -> Exception:
    """What Django raises: its own class, with the driver's error as __cause__."""
    try:
        try:
            raise driver_error
        except Exception as exc:
            raise wrapper(str(exc)) from exc
    except Exception as wrapped:
        return wrapped


@pytest.mark.parametrize(
    "driver_error, state",
    [
        (psycopg.errors.DeadlockDetected("deadlock"), "40P01"),
        (psycopg.errors.SerializationFailure("serialization"), "40001"),
        (psycopg.errors.LockNotAvailable("lock timeout"), "55P03"),
        (psycopg.errors.AdminShutdown("terminating connection"), "57P01"),
        (psycopg.errors.ConnectionFailure("connection failure"), "08006"),
        (psycopg.OperationalError("server closed the connection unexpectedly"), "08006"),
        (psycopg.errors.InvalidPassword("password authentication failed"), "28P01"),
    ],
)
def test_sqlstate_is_read_through_djangos_wrapper(driver_error, state):
    assert sqlstate_of(_django_wrapped(driver_error)) == state


@pytest.mark.parametrize(
    "driver_error",
    [
        psycopg.errors.DeadlockDetected("deadlock"),
        psycopg.errors.SerializationFailure("serialization"),
        psycopg.errors.LockNotAvailable("lock timeout"),
        psycopg.errors.ConnectionFailure("connection failure"),
        psycopg.errors.SqlclientUnableToEstablishSqlconnection("cannot connect"),
        psycopg.OperationalError("connection refused (no server answer)"),
        psycopg.errors.AdminShutdown("terminating connection (server restart)"),
        psycopg.errors.CannotConnectNow("the database system is starting up"),
    ],
)
def test_transient_errors_are_retryable(driver_error):
    assert is_transient(_django_wrapped(driver_error))


@pytest.mark.parametrize(
    "driver_error, wrapper",
    [
        # Same class as a dropped connection, but SQLSTATE 28P01: retrying cannot help.
        (psycopg.errors.InvalidPassword("password authentication failed"), OperationalError),
        (psycopg.errors.UniqueViolation("duplicate key"), IntegrityError),
        (psycopg.errors.CheckViolation("check constraint"), IntegrityError),
        (psycopg.errors.UndefinedTable("no such table"), OperationalError),
    ],
)
def test_other_errors_are_not_retryable(driver_error, wrapper):
    assert not is_transient(_django_wrapped(driver_error, wrapper))
    assert not is_transient(ValueError("not a database error"))


def test_backoff_is_exponential_and_capped():
    for attempt in range(10):
        delay = backoff_delay(attempt)
        ceiling = min(MAX_DELAY_SECONDS, 0.01 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert backoff_delay(30) <= MAX_DELAY_SECONDS


@pytest.mark.django_db(transaction=True)
def test_retry_returns_result_and_retries_used():
    failures = [_django_wrapped(psycopg.errors.DeadlockDetected("x"))] * 2
    sleeps = []

    def fn():
        if failures:
            raise failures.pop()
        return "done"

    assert retry_transient(fn, sleep=sleeps.append) == ("done", 2)
    assert len(sleeps) == 2 and sleeps[0] < 0.011


@pytest.mark.django_db(transaction=True)
def test_retry_gives_up_after_five_attempts():
    calls = []

    def fn():
        calls.append(1)
        raise _django_wrapped(psycopg.errors.SerializationFailure("x"))

    with pytest.raises(OperationalError):
        retry_transient(fn, sleep=lambda s: None)
    assert len(calls) == 5


@pytest.mark.django_db(transaction=True)
def test_non_transient_error_fails_at_once():
    calls = []

    def fn():
        calls.append(1)
        raise _django_wrapped(psycopg.errors.InvalidPassword("bad password"))

    with pytest.raises(OperationalError):
        retry_transient(fn, sleep=lambda s: None)
    assert calls == [1]


@pytest.mark.django_db
def test_retry_refuses_to_run_inside_a_transaction():
    with transaction.atomic(), pytest.raises(RuntimeError):
        retry_transient(lambda: 1)
