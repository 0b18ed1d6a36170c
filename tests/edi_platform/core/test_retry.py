"""Transient-error classification by SQLSTATE and the retry loop."""

from __future__ import annotations

import psycopg
import psycopg.errors
import pytest
from django.db import IntegrityError, OperationalError, transaction

from edi_platform.core.retry import (
    MAX_DELAY_SECONDS,
    Action,
    RetryPolicy,
    backoff_delay,
    classify,
    is_transient,
    retry_call,
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


# -- the classifier: actions by SQLSTATE, Redis and storage errors, suggestions ------------


@pytest.mark.parametrize(
    "state, action",
    [
        ("40001", Action.RETRY),
        ("40P01", Action.RETRY),
        ("08006", Action.RECONNECT),
        ("08001", Action.RECONNECT),
        ("08007", Action.CHECK_FIRST),
        ("55P03", Action.BACK_OFF),
        ("57014", Action.BACK_OFF),
        ("53300", Action.BACK_OFF),
        ("57P01", Action.BACK_OFF),
        ("57P03", Action.BACK_OFF),
        ("23505", Action.PERMANENT),
        ("22021", Action.PERMANENT),
        ("42P01", Action.PERMANENT),
        ("28P01", Action.PERMANENT),
    ],
)
def test_each_sqlstate_class_gets_its_action(state, action):
    error = psycopg.errors.lookup(state)("server message with a value: DOE JOHN")
    found = classify(_django_wrapped(error))
    assert (found.action, found.source, found.code) == (action, "database", state)
    assert found.retryable == (action in (Action.RETRY, Action.RECONNECT, Action.BACK_OFF))
    if not found.retryable:
        assert found.suggestion, "an operator needs something to act on"
    assert "DOE" not in found.summary()


def test_a_closed_connection_is_reconnected():
    from django.db import InterfaceError

    assert classify(InterfaceError("connection already closed")).action is Action.RECONNECT
    assert classify(psycopg.InterfaceError("the connection is closed")).code == "08003"


def test_a_lost_commit_is_never_retried_blindly():
    calls = []

    def fn():
        calls.append(1)
        raise _django_wrapped(psycopg.errors.lookup("08007")("resolution unknown"))

    with pytest.raises(OperationalError):
        retry_call(fn, policy=RetryPolicy(attempts=5), sleep=lambda s: None)
    assert calls == [1]


def test_back_off_waits_longer_than_a_plain_retry():
    policy = RetryPolicy(base=0.01, cap=0.5, back_off_factor=10)
    for attempt in range(6):
        assert policy.delay(attempt, Action.BACK_OFF) >= 5 * policy.delay(attempt, Action.RETRY)


@pytest.mark.django_db(transaction=True)
def test_a_real_unique_violation_is_permanent_with_a_suggestion():
    from edi_platform.core.models import SchedulerHeartbeat

    SchedulerHeartbeat.objects.create(id=1, last_beat_at="2025-01-01T00:00:00Z")
    with pytest.raises(IntegrityError) as raised:
        SchedulerHeartbeat.objects.create(id=1, last_beat_at="2025-01-01T00:00:00Z")
    found = classify(raised.value)
    assert (found.action, found.code) == (Action.PERMANENT, "23505")
    assert "already exists" in found.suggestion


@pytest.mark.django_db(transaction=True)
def test_a_real_lock_timeout_and_statement_timeout_back_off():
    from django.db import connection

    from edi_platform.core.models import SchedulerHeartbeat

    SchedulerHeartbeat.objects.create(id=1, last_beat_at="2025-01-01T00:00:00Z")
    db = connection.settings_dict
    other = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=False
    )
    try:
        other.execute("SELECT * FROM core_schedulerheartbeat FOR UPDATE")
        with (
            pytest.raises(OperationalError) as locked,
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL lock_timeout = '50ms'")
            cursor.execute("SELECT * FROM core_schedulerheartbeat FOR UPDATE")
        assert classify(locked.value).action is Action.BACK_OFF
        assert classify(locked.value).code == "55P03"
    finally:
        other.close()
    with (
        pytest.raises(OperationalError) as cancelled,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL statement_timeout = '50ms'")
        cursor.execute("SELECT pg_sleep(2)")
    assert (classify(cancelled.value).action, classify(cancelled.value).code) == (
        Action.BACK_OFF,
        "57014",
    )


def test_a_real_refused_connection_reconnects_and_a_missing_database_is_permanent():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(host="127.0.0.1", port=closed_port, dbname="x", connect_timeout=2)
    assert classify(refused.value).action is Action.RECONNECT
    from django.db import connection

    db = connection.settings_dict
    with pytest.raises(psycopg.OperationalError) as missing:
        psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="no_such_db")
    found = classify(missing.value)
    assert (found.action, found.code) == (Action.PERMANENT, "3D000")
    assert "createdb" in found.suggestion


def test_real_redis_errors_connection_versus_permanent(redis_url):
    import socket

    import redis

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    down = redis.Redis(host="127.0.0.1", port=closed_port, socket_connect_timeout=1)
    with pytest.raises(redis.RedisError) as unreachable:
        down.ping()
    assert classify(unreachable.value).action is Action.RECONNECT
    assert classify(unreachable.value).source == "redis"
    client = redis.Redis.from_url(redis_url)
    with pytest.raises(redis.RedisError) as refused:
        client.execute_command("NO-SUCH-COMMAND")
    assert classify(refused.value).action is Action.PERMANENT


def test_real_storage_and_sqlite_errors(tmp_path):
    import sqlite3

    with pytest.raises(OSError) as missing:
        (tmp_path / "no" / "such" / "file").read_bytes()
    found = classify(missing.value)
    assert (found.action, found.source, found.code) == (Action.PERMANENT, "storage", "errno:ENOENT")

    path = tmp_path / "db.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError) as busy:
        waiter.execute("BEGIN IMMEDIATE")
    assert classify(busy.value).action is Action.BACK_OFF
    holder.execute("ROLLBACK")

    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(sqlite3.DatabaseError) as not_a_db:
        sqlite3.connect(garbage).execute("SELECT * FROM sqlite_master")
    found = classify(not_a_db.value)
    assert (found.action, found.code) == (Action.PERMANENT, "sqlite:26")


def test_a_domain_error_brings_its_own_suggestion():
    from controlnumbers.domain import ControlNumberExhausted

    found = classify(ControlNumberExhausted("ISA counter of P at 999999999"))
    assert found.action is Action.PERMANENT and "rollover" in found.suggestion
