"""A real worker killed (SIGKILL) at every step of both ingest paths leaves nothing half-done:
afterwards the recovery schedule, or a re-ingest of the same bytes, finishes the file exactly
once - one batch, its headers, its TA1/999 staged once, its events appended once."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import Count
from django.utils import timezone

from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.inbound.services.recovery import batches_recover
from eventstore.models import (
    BatchStatus,
    DomainEvent,
    RoutingStatus,
    TransactionBatch,
    TransactionHeader,
)
from outbound.models import ProcessingOutcome
from tests.conftest import REPO_ROOT, child_process_env
from tests.eventstore.inbound.samples import (
    SENDER,
    clean_handlers,
    many_sets,
    onboard_partner,
    sample,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
_ = clean_handlers  # (fixture)

SETS = 55  # above HEADER_RETURNING_MAX: a two-phase file routes its sets after the commit
ONE_TRANSACTION, TWO_PHASES = "one transaction", "two phases"


@pytest.fixture
def storages(settings, tmp_path):
    root = tmp_path / "inbound-storage"
    settings.STORAGES = {
        **settings.STORAGES,
        "inbound": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


def crash_ingest(
    path: Path, storage: Path, *, point: str, mode: str
) -> subprocess.CompletedProcess:
    env = child_process_env(
        INBOUND_STORAGE_ROOT=str(storage),
        INBOUND_CRASH_AT=point,
        INBOUND_SINGLE_TRANSACTION_MAX_BYTES="0" if mode == TWO_PHASES else str(1 << 20),
    )
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "ingest", str(path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def events_of_a_clean_run() -> int:
    """How many events a clean run of the file appends (measured, not assumed): the same file
    from another partner, whose members are others."""
    onboard_partner(code="CLEAN", their_isa_id="CLEANSENDER", their_gs_code="CLEANSENDER")
    clean = ingest_bytes(data=many_sets(SETS, sender="CLEANSENDER"), original_name="clean")
    assert clean.status == BatchStatus.ACCEPTED
    count = DomainEvent.objects.filter(batch_id=clean.batch).count()
    assert count > 0
    return count


def assert_finished_exactly_once(expected_events: int) -> None:
    batch = TransactionBatch.objects.exclude(partner__code="CLEAN").get()
    assert batch.status == BatchStatus.ACCEPTED, batch.status_reason
    assert batch.lease_expires_at is None
    headers = TransactionHeader.objects.filter(batch=batch)
    assert headers.count() == batch.sets_accepted == SETS
    assert set(headers.values_list("routing_status", flat=True)) == {RoutingStatus.ROUTED}
    outcomes = ProcessingOutcome.objects.filter(batch=batch)
    assert sorted(outcomes.values_list("response_type", flat=True)) == ["999"]
    assert outcomes.get().payload["ak9"][:2] == ["A", SETS]
    # the 834 handler appended the file's events once, not once per attempt
    assert DomainEvent.objects.filter(batch=batch).count() == expected_events


@pytest.mark.parametrize(
    ("mode", "point"),
    [
        (ONE_TRANSACTION, "after_register"),
        (ONE_TRANSACTION, "after_plan"),
        (ONE_TRANSACTION, "before_commit"),
        (TWO_PHASES, "after_register"),
        (TWO_PHASES, "after_plan"),
        (TWO_PHASES, "before_commit"),
        (TWO_PHASES, "before_routing"),
        (TWO_PHASES, "during_routing"),
    ],
)
def test_a_worker_killed_at_any_step_is_finished_exactly_once_by_recovery(
    tmp_path, storages, mode, point
):
    onboard_partner()
    expected_events = events_of_a_clean_run()
    data = many_sets(SETS)
    path = tmp_path / "enrollment.x12"
    path.write_bytes(data)

    done = crash_ingest(path, storages, point=point, mode=mode)
    assert done.returncode == -9, done.stderr[-2000:]  # killed at the step, not finished

    batches = list(TransactionBatch.objects.exclude(partner__code="CLEAN"))
    if mode == ONE_TRANSACTION:
        assert batches == []  # nothing was committed: the caller still has its file
        ingest_bytes(data=data, original_name=path.name)  # the inbox's next poll
    else:
        (batch,) = batches
        unfinished = (
            batch.status == BatchStatus.RECEIVED
            or TransactionHeader.objects.filter(
                batch=batch, routing_status=RoutingStatus.PENDING
            ).exists()
        )
        assert unfinished and batch.lease_expires_at is not None  # a dead worker's lease
        assert batches_recover().finished == []  # the lease is still running: hands off
        later = timezone.now() + timedelta(minutes=2)
        assert batches_recover(now=later).finished == [batch.pk]
        assert batches_recover(now=later).finished == []  # exactly once
    assert_finished_exactly_once(expected_events)


def test_a_re_ingest_of_an_abandoned_batch_finishes_it_instead_of_reporting_success(
    tmp_path, storages, settings
):
    onboard_partner()
    data = sample()
    path = tmp_path / "small.x12"
    path.write_bytes(data)
    done = crash_ingest(path, storages, point="after_plan", mode=TWO_PHASES)
    assert done.returncode == -9
    batch = TransactionBatch.objects.get()
    assert batch.status == BatchStatus.RECEIVED

    # while the dead worker's lease runs, a re-ingest says "still being processed"
    again = ingest_bytes(data=data, original_name=path.name)
    assert (again.already_received, again.status) == (True, BatchStatus.RECEIVED)
    TransactionBatch.objects.filter(pk=batch.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    again = ingest_bytes(data=data, original_name=path.name)
    assert (again.already_received, again.status, again.batch) == (
        True,
        BatchStatus.ACCEPTED,
        batch.pk,
    )
    assert ProcessingOutcome.objects.filter(batch_id=batch.pk).count() == 1


# a worker whose 837 handler is a bulk one (25 sets per chunk), killed between chunks
BULK_WORKER = """
import sys

import django

django.setup()
from django.core.management import call_command

from eventstore.inbound.hooks import BulkHandler, register_handler

register_handler("837", BulkHandler(handle=lambda sets: ["first run"] * len(sets), chunk_sets=25))
call_command("ingest", sys.argv[1])
"""


@pytest.mark.usefixtures("clean_handlers")
def test_a_worker_killed_between_bulk_chunks_leaves_whole_chunks_and_recovery_routes_the_rest(
    tmp_path, storages
):
    from eventstore.inbound.hooks import BulkHandler, register_handler
    from tests.support.synthetic_837 import Claim, Provider, build_837

    onboard_partner()
    sets = [[Provider(claims=[Claim(pcn=f"PCN{n}")])] for n in range(1, SETS + 1)]
    path = tmp_path / "claims.837"
    path.write_bytes(build_837("P", sets, isa13=501, sender=SENDER))
    env = child_process_env(
        INBOUND_STORAGE_ROOT=str(storages),
        INBOUND_CRASH_AT="during_routing",
        INBOUND_SINGLE_TRANSACTION_MAX_BYTES="0",  # two phases: each chunk commits
    )
    done = subprocess.run(
        [sys.executable, "-c", BULK_WORKER, str(path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr[-2000:]  # killed after its first chunk

    batch = TransactionBatch.objects.exclude(partner__code="CLEAN").get()
    by_status = dict(
        batch.headers.values("routing_status")
        .annotate(n=Count("id"))
        .values_list("routing_status", "n")
    )
    assert by_status == {RoutingStatus.ROUTED: 25, RoutingStatus.PENDING: SETS - 25}
    register_handler("837", BulkHandler(handle=lambda sets: ["recovered"] * len(sets)))
    later = timezone.now() + timedelta(minutes=2)
    assert batches_recover(now=later).finished == [batch.pk]
    results = list(batch.headers.order_by("st02").values_list("routing_result", flat=True))
    assert results == ["first run"] * 25 + ["recovered"] * (SETS - 25)
