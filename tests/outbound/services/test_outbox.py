"""Outbox → Redis stream edi-outbound-ready, against a real Redis server."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.utils import timezone

from outbound.models import (
    OperatorAction,
    OutboundFile,
    OutboundFileStatus,
    OutboxMessage,
    OutboxStatus,
)
from outbound.services.assembly import outbound_assemble
from outbound.services.outbox import backoff, outbox_publish, outbox_resubmit
from tests.factories import TradingPartnerFactory
from tests.outbound.conftest import stage
from tests.support.pg import other_session

pytestmark = pytest.mark.django_db

FIELDS = {
    "file_id",
    "partner",
    "transaction_type",
    "storage_path",
    "isa13",
    "gs06",
    "st02s",
    "created",
}


@pytest.fixture
def stream(redis_url, request):
    """A stream name private to this test, deleted afterwards (xdist workers share Redis)."""
    name = f"test-outbound-{request.node.name[:40]}-{time.monotonic_ns()}"
    client = redis.Redis.from_url(redis_url)
    yield name
    keys = [name, *client.keys(f"{name}:file:*")]
    client.delete(*keys)


def _assembled(stream: str, count: int = 1) -> list[OutboundFile]:
    partner = TradingPartnerFactory()
    stage(partner, "999", count)
    stage(partner, "TA1", 1)
    outbound_assemble()
    OutboxMessage.objects.update(stream=stream)
    return list(OutboundFile.objects.order_by("transaction_type"))


def test_publisher_adds_one_entry_per_file_and_marks_it_published(redis_url, stream):
    files = _assembled(stream)
    result = outbox_publish(redis_url=redis_url)
    assert (result.sent, result.retrying, result.dead) == (2, 0, 0)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    entries = client.xrange(stream)
    assert len(entries) == 2
    by_file = {fields["file_id"]: (entry_id, fields) for entry_id, fields in entries}
    for file in files:
        file.refresh_from_db()
        message = file.outbox_message
        assert file.status == OutboundFileStatus.PUBLISHED
        assert message.status == OutboxStatus.SENT
        entry_id, fields = by_file[str(file.id)]
        assert message.redis_message_id == entry_id
        assert set(fields) == FIELDS  # ids, numbers and the path: no PHI
        assert fields["storage_path"] == file.storage_path
        assert fields["isa13"] == f"{file.isa13:09d}"
        assert fields["partner"] == file.partner.code


def test_a_message_published_twice_appears_once_in_the_stream(redis_url, stream):
    _assembled(stream)
    outbox_publish(redis_url=redis_url)
    first = dict(OutboxMessage.objects.values_list("id", "redis_message_id"))
    # as if the publisher had died after XADD but before its commit
    OutboxMessage.objects.update(status=OutboxStatus.PENDING, redis_message_id="")
    outbox_publish(redis_url=redis_url)
    assert len(redis.Redis.from_url(redis_url).xrange(stream)) == 2
    assert dict(OutboxMessage.objects.values_list("id", "redis_message_id")) == first


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis(server: str, port: int, workdir) -> subprocess.Popen:
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("private redis-server did not start")


@pytest.fixture
def redis_server():
    import os

    server = os.environ.get("TEST_REDIS_SERVER")
    if not server:
        pytest.fail("TEST_REDIS_SERVER is not set: run the suite with `make test`")
    return server


def test_messages_wait_while_redis_is_down_and_publish_when_it_is_back(
    redis_server, tmp_path, stream
):
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    proc = _start_redis(redis_server, port, tmp_path)
    proc.terminate()
    proc.wait(timeout=10)  # Redis stopped
    _assembled(stream)
    now = timezone.now()
    result = outbox_publish(redis_url=url, now=now)
    assert (result.sent, result.retrying) == (0, 2)
    for message in OutboxMessage.objects.all():
        assert message.status == OutboxStatus.PENDING and message.attempts == 1
        assert "ConnectionError" in message.last_error
        wait = (message.next_attempt_at - now).total_seconds()
        assert 5 <= wait <= 10  # backoff(1): 5-10 s with jitter
    assert not OutboundFile.objects.filter(status=OutboundFileStatus.PUBLISHED).exists()
    # not due again before the backoff has passed
    assert outbox_publish(redis_url=url, now=now).retrying == 0
    proc = _start_redis(redis_server, port, tmp_path)  # Redis is back
    try:
        result = outbox_publish(redis_url=url, now=now + timedelta(minutes=1))
        assert result.sent == 2
        assert len(redis.Redis(port=port).xrange(stream)) == 2
        assert OutboundFile.objects.filter(status=OutboundFileStatus.PUBLISHED).count() == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_backoff_grows_with_jitter_and_is_capped():
    for attempts, low, high in ((1, 5, 10), (2, 10, 20), (3, 20, 40), (50, 150, 300)):
        delays = {backoff(attempts).total_seconds() for _ in range(20)}
        assert all(low <= d <= high for d in delays), (attempts, delays)
        assert len(delays) > 1  # jittered: workers retrying together spread out


def test_after_max_attempts_the_message_is_dead_and_can_be_resubmitted(
    settings, stream, redis_url, ops_user
):
    settings.OUTBOUND_OUTBOX_MAX_ATTEMPTS = 3
    _assembled(stream, count=1)
    down = f"redis://127.0.0.1:{_free_port()}/0"
    now = timezone.now()
    for step in range(3):
        outbox_publish(redis_url=down, now=now + timedelta(hours=step))
    dead = OutboxMessage.objects.filter(status=OutboxStatus.DEAD)
    assert dead.count() == 2
    assert all("ConnectionError" in m.last_error and m.attempts == 3 for m in dead)
    message = dead.first()
    outbox_resubmit(message_id=message.id, acting_user=ops_user, reason="redis fixed")
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 0
    action = OperatorAction.objects.get()
    assert (action.action, action.actor) == ("RESUBMIT", "ops-admin")
    assert outbox_publish(redis_url=redis_url).sent == 1
    with pytest.raises(ValueError):
        outbox_resubmit(message_id=message.id, acting_user=ops_user)


def test_a_delivery_system_reads_the_stream_with_a_consumer_group_and_acks(redis_url, stream):
    files = _assembled(stream)
    outbox_publish(redis_url=redis_url)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.xgroup_create(stream, "delivery", id="0")
    [(_, entries)] = client.xreadgroup("delivery", "sender-1", {stream: ">"}, count=10)
    assert {fields["file_id"] for _, fields in entries} == {str(f.id) for f in files}
    assert client.xpending(stream, "delivery")["pending"] == 2
    client.xack(stream, "delivery", *[entry_id for entry_id, _ in entries])
    assert client.xpending(stream, "delivery")["pending"] == 0


def test_without_a_redis_url_messages_wait(settings):
    settings.OUTBOUND_REDIS_URL = None
    settings.CELERY_BROKER_URL = "memory://"
    stage(TradingPartnerFactory(), "999", 1)
    outbound_assemble()
    result = outbox_publish()
    assert result.summary() == "not published: no Redis configured (OUTBOUND_REDIS_URL)"
    assert result.sent == 0
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING


def test_a_permanent_redis_error_makes_the_message_dead_at_once_with_what_to_do(
    redis_server, tmp_path, stream
):
    port = _free_port()
    proc = subprocess.Popen(
        [
            *(redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""),
            *("--dir", str(tmp_path), "--requirepass", "right-password"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port, password="right-password")
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        _assembled(stream)
        result = outbox_publish(redis_url=f"redis://:wrong-password@127.0.0.1:{port}/0")
        assert (result.sent, result.retrying, result.dead) == (0, 0, 2)
        for message in OutboxMessage.objects.all():
            assert message.status == OutboxStatus.DEAD and message.attempts == 1
            assert "what to do: Redis refused the credentials" in message.last_error
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_publisher_finds_redis_in_its_own_setting_or_a_redis_broker(settings):
    from outbound.services.outbox import outbox_redis_url

    settings.OUTBOUND_REDIS_URL = "redis://outbox:6379/3"
    settings.CELERY_BROKER_URL = "redis://broker:6379/0"
    assert outbox_redis_url() == "redis://outbox:6379/3"
    settings.OUTBOUND_REDIS_URL = ""
    for broker in ("redis://broker:6379/0", "rediss://broker:6380/0", "unix:///run/redis.sock"):
        settings.CELERY_BROKER_URL = broker
        assert outbox_redis_url() == broker
    for broker in ("amqp://guest@rabbit//", "memory://", ""):
        settings.CELERY_BROKER_URL = broker
        assert outbox_redis_url() is None


def test_publish_results_and_dedupe_keys_read_as_they_should():
    from outbound.services.outbox import PublishResult, dedupe_key

    assert PublishResult(sent=3, retrying=2, dead=1).summary() == (
        "3 sent, 2 waiting to retry, 1 dead"
    )
    assert PublishResult(skipped_reason="no Redis").summary() == "not published: no Redis"
    assert dedupe_key("edi-outbound-ready", "42") == "edi-outbound-ready:file:42"


def test_resubmitting_records_who_why_and_the_error_it_clears(settings, stream, ops_user):
    settings.OUTBOUND_OUTBOX_MAX_ATTEMPTS = 1
    _assembled(stream, count=1)
    outbox_publish(redis_url=f"redis://127.0.0.1:{_free_port()}/0")
    message = OutboxMessage.objects.filter(status=OutboxStatus.DEAD).order_by("id").first()
    assert message.attempts == 1
    before = timezone.now()
    outbox_resubmit(message_id=message.id, acting_user=ops_user, reason="redis fixed")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    assert message.next_attempt_at >= before  # due now, not at its old retry time
    action = OperatorAction.objects.get()
    assert action.outbound_file_id == message.outbound_file_id
    assert action.reason == "redis fixed"
    assert action.result == f"previous error: {message.last_error[:300]}"
    assert action.result.startswith("previous error: ConnectionError")
    with pytest.raises(ValueError) as refused:
        outbox_resubmit(message_id=message.id, acting_user=ops_user)
    assert str(refused.value) == f"outbox message {message.pk} is PENDING, not DEAD"


def test_a_resubmission_keeps_300_characters_of_a_long_error_and_needs_no_reason(stream, ops_user):
    _assembled(stream, count=1)
    message = OutboxMessage.objects.order_by("id").first()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.DEAD, last_error="E" * 299 + "12"
    )
    outbox_resubmit(message_id=message.pk, acting_user=ops_user)
    action = OperatorAction.objects.get()
    assert action.result == "previous error: " + "E" * 299 + "1"
    assert action.reason == ""


def _more_messages(stream: str, count: int) -> list[OutboxMessage]:
    """``count`` more due messages, for file rows like the first assembled one's (publishing
    reads only the rows, not the stored files)."""
    file = OutboundFile.objects.order_by("created_at").first()
    template = file.outbox_message
    files = OutboundFile.objects.bulk_create(
        [
            OutboundFile(
                partner=file.partner,
                transaction_type=file.transaction_type,
                isa13=1000 + i,
                batch_timestamp=file.batch_timestamp,
                status=OutboundFileStatus.PERSISTED,
            )
            for i in range(count)
        ]
    )
    return OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                outbound_file=f,
                stream=stream,
                payload={**template.payload, "file_id": str(f.id)},
                next_attempt_at=template.next_attempt_at,
            )
            for f in files
        ]
    )


def test_one_run_publishes_at_most_500_messages_and_leaves_the_rest_for_the_next(redis_url, stream):
    _assembled(stream, count=1)
    _more_messages(stream, 499)  # with the 999's and the TA1's own: 501
    assert outbox_publish(redis_url=redis_url).sent == 500
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 1
    assert outbox_publish(redis_url=redis_url).sent == 1


class _Hung(Exception):
    pass


@contextmanager
def _at_most(seconds: int):
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""

    def hung(signum, frame):
        raise _Hung(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_redis_that_accepts_but_never_answers_makes_messages_wait_not_the_publisher(stream):
    _assembled(stream, count=1)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete; nothing is ever read or answered
        port = silent.getsockname()[1]
        with _at_most(20):
            result = outbox_publish(redis_url=f"redis://127.0.0.1:{port}/0")
    assert (result.sent, result.retrying) == (0, 2)
    assert set(OutboxMessage.objects.values_list("last_error", flat=True)) == {
        "TimeoutError: Timeout reading from socket"
    }


def test_a_redis_whose_connections_never_complete_makes_messages_wait(stream):
    _assembled(stream, count=1)
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)  # never accepted: once the queue is full, further SYNs are dropped
        port = full.getsockname()[1]
        queued = []
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            queued.append(c)
        try:
            with _at_most(20):
                result = outbox_publish(redis_url=f"redis://127.0.0.1:{port}/0")
        finally:
            for c in queued:
                c.close()
    assert (result.sent, result.retrying) == (0, 2)
    assert set(OutboxMessage.objects.values_list("last_error", flat=True)) == {
        "TimeoutError: Timeout connecting to server"
    }


def test_the_longest_waiting_messages_go_first_and_equals_in_id_order(redis_url, stream):
    _assembled(stream)
    ids = sorted(m.pk for m in _more_messages(stream, 10))
    due = timezone.now() - timedelta(minutes=5)
    OutboxMessage.objects.update(next_attempt_at=due)
    for pk in reversed(ids):  # rows rewritten newest first: the table's order is reversed
        OutboxMessage.objects.filter(pk=pk).update(next_attempt_at=due)
    OutboxMessage.objects.filter(pk=ids[-1]).update(next_attempt_at=due - timedelta(minutes=1))
    # the assembled files' own messages (the lowest ids) are due a minute later
    OutboxMessage.objects.exclude(pk__in=ids).update(next_attempt_at=due + timedelta(minutes=1))
    assert outbox_publish(redis_url=redis_url, limit=4).sent == 4
    sent = set(OutboxMessage.objects.filter(status=OutboxStatus.SENT).values_list("pk", flat=True))
    assert sent == {ids[-1], *ids[:3]}  # the one that waited longer, then the lowest ids


def test_sent_and_dead_messages_are_never_published_again(redis_url, stream):
    sent, dead = (f.outbox_message for f in _assembled(stream))
    OutboxMessage.objects.filter(pk=sent.pk).update(status=OutboxStatus.SENT)
    OutboxMessage.objects.filter(pk=dead.pk).update(status=OutboxStatus.DEAD)
    assert outbox_publish(redis_url=redis_url).sent == 0
    assert redis.Redis.from_url(redis_url).xlen(stream) == 0


@pytest.mark.django_db(transaction=True)
def test_a_message_another_publisher_holds_is_skipped_not_waited_for(redis_url, stream):
    held, free = (f.outbox_message for f in _assembled(stream))
    with other_session(autocommit=False) as other:
        other.execute("SELECT 1 FROM outbound_outboxmessage WHERE id = %s FOR UPDATE", [held.pk])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # waiting would fail the test, not hang it
        result = outbox_publish(redis_url=redis_url)
        other.rollback()
    assert result.sent == 1
    assert OutboxMessage.objects.get(status=OutboxStatus.SENT).pk == free.pk
    assert OutboxMessage.objects.get(pk=held.pk).status == OutboxStatus.PENDING


def test_a_sent_message_records_when_its_attempts_and_clears_its_error(redis_url, stream, caplog):
    _assembled(stream)
    earlier = timezone.now() - timedelta(minutes=10)
    # one failed attempt before (Redis was down): attempts 1 and its error
    OutboxMessage.objects.update(
        attempts=1, last_error="ConnectionError: down", next_attempt_at=earlier
    )
    OutboundFile.objects.update(updated_at=earlier)
    persisted_before = set(OutboundFile.objects.values_list("status", flat=True))
    assert persisted_before == {OutboundFileStatus.PERSISTED}
    now = timezone.now() + timedelta(seconds=30)
    assert outbox_publish(redis_url=redis_url, now=now).sent == 2
    rows = set(OutboxMessage.objects.values_list("status", "sent_at", "attempts", "last_error"))
    assert rows == {(OutboxStatus.SENT, now, 2, "")}
    assert set(OutboundFile.objects.values_list("status", "updated_at")) == {
        (OutboundFileStatus.PUBLISHED, now)
    }
    # the dedupe key names the message's stream and file
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    for message in OutboxMessage.objects.all():
        assert client.get(f"{stream}:file:{message.outbound_file_id}") == message.redis_message_id


def test_a_redis_failure_is_logged_with_how_many_messages_wait(stream, caplog):
    _assembled(stream)
    with caplog.at_level("WARNING", logger="outbound.services.outbox"):
        outbox_publish(redis_url=f"redis://127.0.0.1:{_free_port()}/0")
    (record,) = [r for r in caplog.records if r.name == "outbound.services.outbox"]
    assert record.getMessage().startswith("outbox: Redis ")
    assert record.getMessage().endswith(", 2 message(s) wait")
    assert "None" not in record.getMessage()


@contextmanager
def _fake_redis(answer):
    """A Redis URL whose server answers each command it receives with ``answer(command)``
    (bytes of RESP): what a real server does not say on demand."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(20)

        def serve() -> None:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                while command := conn.recv(65536):
                    conn.sendall(answer(command))

        threading.Thread(target=serve, daemon=True).start()
        with _at_most(20):
            yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def test_a_long_redis_error_is_kept_to_its_first_200_characters(stream):
    from edi_platform.core.retry import classify

    _assembled(stream, count=1)
    text = "z" * 300  # what a server (or a proxy in front of it) may answer
    with _fake_redis(lambda command: f"-ERR {text}\r\n".encode()) as url:
        outbox_publish(redis_url=url)
    found = classify(redis.ResponseError(text))
    expected = f"ResponseError: {text[:200]}"
    if not found.retryable:
        expected = f"{expected} — what to do: {found.suggestion}"
    assert set(OutboxMessage.objects.values_list("last_error", flat=True)) == {expected}


def test_a_redis_failing_midway_counts_only_the_messages_left_waiting(stream, caplog):
    _assembled(stream, count=1)  # two messages
    sent: list[bytes] = []

    def answer(command: bytes) -> bytes:
        if b"HELLO" in command:  # the client's greeting (RESP3): a map naming the protocol
            return b"%1\r\n$5\r\nproto\r\n:3\r\n"
        if b"EVALSHA" not in command:
            return b"+OK\r\n"
        sent.append(command)
        return b"$15\r\n1700000000000-0\r\n" if len(sent) == 1 else b"-ERR gone away\r\n"

    with caplog.at_level("WARNING", logger="outbound.services.outbox"), _fake_redis(answer) as url:
        result = outbox_publish(redis_url=url)
    assert result.sent == 1
    (record,) = [r for r in caplog.records if r.name == "outbound.services.outbox"]
    assert record.getMessage().endswith(", 1 message(s) wait")
    statuses = sorted(OutboxMessage.objects.values_list("status", "redis_message_id"))
    assert statuses[0][0] != statuses[1][0] and ("SENT", "1700000000000-0") in statuses
