"""Assembly: due outcomes → one validated interchange per partner + type batch."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from datetime import UTC, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client import REGISTRY

from controlnumbers.models import ControlNumberAudit, ControlNumberCounter
from edi_platform import x12
from edi_platform.core.actors import SYSTEM
from edi_platform.core.logs import current_context
from outbound.models import (
    BatchWindow,
    OutboundFile,
    OutboundFileStatus,
    OutboxMessage,
    OutcomeStatus,
    ProcessingOutcome,
)
from outbound.services import assembly
from outbound.services.assembly import outbound_assemble, render_file
from outbound.services.outcomes import outcome_stage
from tests.factories import TradingPartnerFactory, TransactionBatchFactory
from tests.outbound.conftest import (
    Crash,
    content_ta1,
    exhaust_numbers_for,
    fail_allocation_for,
    left_assembling,
    stage,
)
from tests.outbound.services.test_storage import PATH_RE
from tests.support.pg import other_session

pytestmark = pytest.mark.django_db


def _segments(data: bytes, terminator: str = "~") -> list[str]:
    return [s for s in data.decode("latin-1").split(terminator) if s]


def test_999_outcomes_of_one_partner_become_one_interchange_with_one_st_each(outbound_root):
    partner = TradingPartnerFactory()
    outcomes = stage(partner, "999", 3)
    result = outbound_assemble()
    assert result.persisted == 1 and result.outcomes_assembled == 3
    file = OutboundFile.objects.get()
    data = (outbound_root / file.storage_path).read_bytes()
    ids = [s.split("*")[0] for s in _segments(data)]
    assert ids.count("ISA") == 1 and ids.count("GS") == 1 and ids.count("ST") == 3
    assert [s.split("*")[2] for s in _segments(data) if s.startswith("ST*")] == [
        f"{n:04d}" for n in file.st02s
    ]
    assert file.outcome_ids == [o.id for o in outcomes]
    assert set(ProcessingOutcome.objects.values_list("status", flat=True)) == {"ASSEMBLED"}
    assert set(ProcessingOutcome.objects.values_list("outbound_file", flat=True)) == {file.id}


def test_ta1_outcomes_travel_without_a_functional_group(outbound_root):
    partner = TradingPartnerFactory()
    stage(partner, "TA1", 2)
    outbound_assemble()
    file = OutboundFile.objects.get()
    segs = _segments((outbound_root / file.storage_path).read_bytes())
    assert [s[:3] for s in segs] == ["ISA", "TA1", "TA1", "IEA"]
    assert segs[-1] == f"IEA*0*{file.isa13:09d}"
    assert file.gs06 is None


def test_partner_delimiters_and_ids_are_used(outbound_root):
    partner = TradingPartnerFactory(
        element_separator="|",
        segment_terminator="\n",
        component_separator=">",
        repetition_separator="!",
        our_isa_id="OURID",
        their_isa_id="THEIRID",
    )
    stage(partner, "999", 1)
    outbound_assemble()
    file = OutboundFile.objects.get()
    first = (outbound_root / file.storage_path).read_bytes().decode().split("\n")[0]
    assert first.split("|")[6].strip() == "OURID" and first.split("|")[8].strip() == "THEIRID"
    assert first.endswith("|>") and first.split("|")[11] == "!"


def test_groups_split_by_partner_response_type_and_max_batch_size():
    BatchWindow.objects.filter(response_type="999").update(max_batch_size=2)
    a, b = TradingPartnerFactory(), TradingPartnerFactory()
    stage(a, "999", 5)
    stage(b, "999", 1)
    stage(a, "TA1", 1)
    outbound_assemble()
    sizes = sorted(
        (f.partner.code, f.transaction_type, len(f.outcome_ids))
        for f in OutboundFile.objects.select_related("partner")
    )
    assert sizes == [
        (a.code, "999", 1),
        (a.code, "999", 2),
        (a.code, "999", 2),
        (a.code, "TA1", 1),
        (b.code, "999", 1),
    ]


def test_outcomes_wait_for_their_window_unless_now_is_asked():
    partner = TradingPartnerFactory()
    stage(partner, "999", 2, due_in_minutes=5)
    assert outbound_assemble().claimed == 0
    assert OutboundFile.objects.count() == 0
    assert outbound_assemble(ignore_windows=True).outcomes_assembled == 2


def test_disabled_window_keeps_its_outcomes_pending():
    BatchWindow.objects.filter(response_type="999").update(enabled=False)
    stage(TradingPartnerFactory(), "999", 1)
    assert outbound_assemble().claimed == 0
    assert ProcessingOutcome.objects.get().status == OutcomeStatus.PENDING


def test_filters_by_partner_and_type():
    a, b = TradingPartnerFactory(), TradingPartnerFactory()
    stage(a, "999", 1)
    stage(b, "999", 1)
    stage(a, "TA1", 1)
    outbound_assemble(partner_code=a.code, response_type="999")
    assert list(OutboundFile.objects.values_list("partner__code", "transaction_type")) == [
        (a.code, "999")
    ]


def test_persisted_file_records_metadata_and_its_outbox_message(outbound_root):
    partner = TradingPartnerFactory()
    stage(partner, "999", 2)
    outbound_assemble()
    file = OutboundFile.objects.get()
    data = (outbound_root / file.storage_path).read_bytes()
    assert file.status == OutboundFileStatus.PERSISTED
    assert PATH_RE.match(file.storage_path)
    assert f"_{file.isa13:09d}_" in file.storage_path
    assert file.batch_timestamp.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") in file.storage_path
    assert file.size == len(data) and file.segment_count == len(_segments(data))
    import hashlib

    assert file.sha256 == hashlib.sha256(data).hexdigest()
    message = OutboxMessage.objects.get()
    assert message.outbound_file_id == file.id and message.status == "PENDING"
    assert set(message.payload) == {
        "file_id",
        "partner",
        "transaction_type",
        "storage_path",
        "isa13",
        "gs06",
        "st02s",
        "created",
    }
    assert message.payload["isa13"] == f"{file.isa13:09d}"


def test_rendering_is_deterministic_from_the_stored_inputs(outbound_root):
    partner = TradingPartnerFactory()
    stage(partner, "999", 3)
    outbound_assemble()
    file = OutboundFile.objects.get()
    stored = (outbound_root / file.storage_path).read_bytes()
    # partner edits after allocation do not change a rebuild (the envelope is snapshotted)
    partner.our_isa_id = "CHANGEDID"
    partner.save()
    file.refresh_from_db()
    assert render_file(file) == stored


def test_every_written_file_passes_the_engine_and_pyx12_for_999s(outbound_root, tmp_path):
    for partner in (TradingPartnerFactory(), TradingPartnerFactory(usage_indicator="T")):
        stage(partner, "999", 2)
        stage(partner, "TA1", 1)
    outbound_assemble()
    files = list(OutboundFile.objects.all())
    assert len(files) == 4
    for file in files:
        data = (outbound_root / file.storage_path).read_bytes()
        assert x12.validate_envelope(data) == []
        if file.transaction_type == "999":
            copy = tmp_path / f"{file.isa13}.x12"
            copy.write_bytes(data)
            run = subprocess.run(
                [_x12valid(), "-q", str(copy)], capture_output=True, text=True, timeout=60
            )
            assert f"{copy}: OK" in run.stderr, run.stderr


def _x12valid() -> str:
    import sys
    from pathlib import Path

    return str(Path(sys.executable).parent / "x12valid")


@pytest.mark.django_db(transaction=True)
def test_zero_minute_window_assembles_right_after_the_staging_commit(outbound_root):
    partner = TradingPartnerFactory()
    with transaction.atomic():
        outcome, _ = outcome_stage(
            partner=partner, response_type="TA1", payload=content_ta1(), dedupe_key="b9:ta1"
        )
        assert OutboundFile.objects.count() == 0  # nothing before the commit
    outcome.refresh_from_db()
    assert outcome.status == OutcomeStatus.ASSEMBLED
    assert OutboundFile.objects.get().transaction_type == "TA1"


def test_a_failing_group_is_released_and_does_not_stop_the_others(monkeypatch):
    a, b = TradingPartnerFactory(), TradingPartnerFactory()
    stage(a, "999", 2)
    stage(b, "999", 1)
    exhaust_numbers_for(monkeypatch, a)
    result = outbound_assemble()
    assert (result.persisted, result.failed_groups) == (1, 1)
    assert "1 group(s) failed" in result.summary()
    left = ProcessingOutcome.objects.filter(partner=a)
    assert set(left.values_list("status", flat=True)) == {OutcomeStatus.PENDING}
    assert "ControlNumberExhausted" in left.first().failure_reason
    assert OutboundFile.objects.get().partner == b


def _counter_values() -> list[int]:
    return sorted(ControlNumberCounter.objects.values_list("current_value", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_due_now_file_takes_two_commits_numbers_with_the_claim_then_the_finish(outbound_root):
    stage(TradingPartnerFactory(), "TA1", 2)  # TA1: window 0, one group
    with CaptureQueriesContext(connection) as queries:
        result = outbound_assemble()
    assert (result.persisted, result.outcomes_assembled) == (1, 2)
    commits = [q["sql"] for q in queries.captured_queries if q["sql"] == "COMMIT"]
    assert len(commits) == 2  # claim + numbers + file row + links; then the finish
    file = OutboundFile.objects.get()
    assert file.status == OutboundFileStatus.PERSISTED and file.isa13 == 1
    assert set(ProcessingOutcome.objects.values_list("status", flat=True)) == {"ASSEMBLED"}


def test_a_crash_inside_the_real_time_claim_leaves_nothing_claimed_issued_or_written(
    crash_at, monkeypatch, outbound_root
):
    partner = TradingPartnerFactory()
    stage(partner, "TA1", 1)
    outbound_assemble()  # the counter exists and stands at 1
    stage(partner, "TA1", 1)
    crash_at("before_claim_commit")
    with pytest.raises(Crash):
        outbound_assemble()
    assert ProcessingOutcome.objects.filter(status=OutcomeStatus.PENDING).count() == 1
    assert OutboundFile.objects.count() == 1 and _counter_values() == [1]
    assert ControlNumberAudit.objects.count() == 1
    assert len(list((outbound_root / "outbound").rglob("*.edi"))) == 1
    monkeypatch.undo()
    outbound_assemble()
    assert sorted(OutboundFile.objects.values_list("isa13", flat=True)) == [1, 2]  # no gap


def test_a_real_time_group_whose_allocation_fails_waits_with_the_reason(monkeypatch, caplog):
    from controlnumbers.domain import ControlNumberExhausted
    from edi_platform.core.retry import classify

    def exhausted(**kwargs):
        raise ControlNumberExhausted("ISA counter at its maximum")

    stage(TradingPartnerFactory(), "TA1", 1)
    monkeypatch.setattr(assembly, "allocate_envelope", exhausted)
    with caplog.at_level("WARNING", logger="outbound.services.assembly"):
        result = outbound_assemble()
    assert (result.persisted, result.failed_groups) == (0, 1)
    summary = classify(ControlNumberExhausted("ISA counter at its maximum")).summary()
    assert caplog.records[0].getMessage() == f"real-time claim fell back to steps: {summary}"
    outcome = ProcessingOutcome.objects.get()
    assert outcome.status == OutcomeStatus.PENDING
    assert "ControlNumberExhausted" in outcome.failure_reason
    assert OutboundFile.objects.count() == 0 and ControlNumberAudit.objects.count() == 0


def test_the_batch_a_caller_waits_for_takes_the_real_time_path_whatever_its_window(
    crash_at, outbound_root
):
    crash_at("after_claim")  # only the step-by-step path passes there
    partner = TradingPartnerFactory()
    batch = TransactionBatchFactory(partner=partner)
    (outcome,) = stage(partner, "999", 1, due_in_minutes=5)  # 999: a 5-minute window
    ProcessingOutcome.objects.filter(pk=outcome.pk).update(batch=batch)
    result = outbound_assemble(ignore_windows=True, batch_ids=[batch.pk])
    assert result.outcomes_assembled == 1
    assert OutboundFile.objects.get().ingestion_ids == [batch.pk]


def test_a_short_claim_ends_the_run_without_an_empty_claim(outbound_root, monkeypatch):
    stage(TradingPartnerFactory(), "999", 3)
    claims: list[int] = []
    real = assembly.due_outcomes_lock

    def counted(**kwargs):
        rows = real(**kwargs)
        claims.append(len(rows))
        return rows

    monkeypatch.setattr(assembly, "due_outcomes_lock", counted)
    assert outbound_assemble().outcomes_assembled == 3
    assert claims == [3]


def test_a_run_summary_names_failed_groups_only_when_there_are_some():
    result = assembly.AssemblyResult(claimed=3, persisted=1, outcomes_assembled=2, quarantined=1)
    assert result.summary() == (
        "claimed 3 outcome(s); 1 file(s) persisted (2 outcome(s)), 1 quarantined"
    )
    result.failed_groups = 2
    assert result.summary().endswith(", 1 quarantined, 2 group(s) failed and wait")


def test_releasing_a_group_puts_back_only_its_claimed_outcomes_without_a_claim_time():
    partner = TradingPartnerFactory()
    claimed, pending, failed = stage(partner, "999", 3)
    ProcessingOutcome.objects.filter(pk=claimed.pk).update(
        status=OutcomeStatus.CLAIMED, claimed_at=claimed.created_at
    )
    ProcessingOutcome.objects.filter(pk=failed.pk).update(status=OutcomeStatus.FAILED)
    assembly._release([claimed.pk, pending.pk, failed.pk], reason="not assembled: why")
    rows = {
        o.pk: (o.status, o.claimed_at, o.failure_reason) for o in ProcessingOutcome.objects.all()
    }
    assert rows == {
        claimed.pk: (OutcomeStatus.PENDING, None, "not assembled: why"),
        pending.pk: (OutcomeStatus.PENDING, None, ""),
        failed.pk: (OutcomeStatus.FAILED, None, ""),
    }


def test_a_release_the_database_refuses_is_logged_for_recovery_and_not_raised(caplog):
    with caplog.at_level("ERROR", logger="outbound.services.assembly"):
        assembly._release(["not-an-id"], reason="x")  # the update itself fails
    assert [r.getMessage() for r in caplog.records] == [
        "could not release claimed outcomes; recovery will"
    ]


def test_a_release_leaves_claimed_outcomes_that_already_have_their_file(crash_at, monkeypatch):
    file = left_assembling(crash_at, monkeypatch, TradingPartnerFactory(), count=2)
    outcomes = list(ProcessingOutcome.objects.filter(outbound_file=file))
    linked = ProcessingOutcome.objects.filter(pk__in=[o.pk for o in outcomes])
    assert {(o.status, o.outbound_file_id is not None) for o in linked} == {
        (OutcomeStatus.CLAIMED, True)
    }
    assembly._release([o.pk for o in outcomes], reason="not assembled: why")
    # their numbers are allocated: recovery finishes that file, a release must not orphan it
    assert {(o.status, o.failure_reason) for o in linked.all()} == {(OutcomeStatus.CLAIMED, "")}


@pytest.mark.django_db(transaction=True)
def test_groups_assembled_in_threads_each_get_their_file_stamp_and_actor(outbound_root, ops_user):
    partners = [TradingPartnerFactory() for _ in range(3)]
    for partner in partners:
        stage(partner, "999", 2)
    now = timezone.now() + timedelta(seconds=90)  # not the clock: the stamp must come from it
    result = outbound_assemble(now=now, acting_user=ops_user, threads=2)
    assert (result.persisted, result.outcomes_assembled, result.failed_groups) == (3, 6, 0)
    files = list(OutboundFile.objects.order_by("partner_id"))
    assert [f.partner_id for f in files] == sorted(p.id for p in partners)
    assert {f.status for f in files} == {OutboundFileStatus.PERSISTED}
    assert {f.batch_timestamp for f in files} == {assembly.batch_timestamp(now)}
    assert set(ControlNumberAudit.objects.values_list("actor", flat=True)) == {
        ops_user.get_username()
    }
    for f in files:
        assert sorted(f.outcome_ids) == sorted(
            ProcessingOutcome.objects.filter(partner_id=f.partner_id).values_list("id", flat=True)
        )


def test_groups_assembled_one_after_another_take_the_given_time_too(outbound_root):
    for _ in range(2):
        stage(TradingPartnerFactory(), "999", 1)
    now = timezone.now() + timedelta(seconds=90)
    assert outbound_assemble(now=now, threads=1).persisted == 2
    assert set(OutboundFile.objects.values_list("batch_timestamp", flat=True)) == {
        assembly.batch_timestamp(now)
    }


@pytest.mark.parametrize(
    ("response_type", "window"),
    [("999", 0), ("TA1", None)],
    ids=["a-window-row-of-0-minutes", "no-window-row-so-the-guide-default"],
)
def test_a_response_due_now_takes_the_real_time_path(crash_at, response_type, window):
    if window is None:
        BatchWindow.objects.filter(response_type=response_type).delete()
    else:
        BatchWindow.objects.filter(response_type=response_type).update(window_minutes=window)
    crash_at("after_claim")  # only the step-by-step path passes there
    stage(TradingPartnerFactory(), response_type, 1)
    assert outbound_assemble().persisted == 1


def test_step_times_add_up_field_by_field():
    total = assembly.StepTimes(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    total.add(assembly.StepTimes(0.5, 0.25, 0.125, 1.0, 2.0, 3.0))
    assert total == assembly.StepTimes(1.5, 2.25, 3.125, 5.0, 7.0, 9.0)


def test_a_run_accounts_every_step_of_every_group_within_its_own_duration(outbound_root):
    for _ in range(2):
        stage(TradingPartnerFactory(), "999", 1)  # a 5-minute window: the step-by-step path
    started = time.perf_counter()
    result = outbound_assemble(threads=1)
    elapsed = time.perf_counter() - started
    steps = [getattr(result.times, name) for name in assembly.StepTimes.__dataclass_fields__]
    assert result.persisted == 2
    # each step was measured (none left out) and none counted twice or backwards: the
    # consistency of the accounting, not a speed
    assert all(s > 0 for s in steps), result.times
    assert sum(steps) <= elapsed


def test_outcomes_are_assembled_at_the_moment_their_file_is_persisted(outbound_root):
    stage(TradingPartnerFactory(), "999", 2)
    outbound_assemble()
    file = OutboundFile.objects.get()
    assert set(ProcessingOutcome.objects.values_list("assembled_at", flat=True)) == {
        file.updated_at
    }


def test_a_file_finished_meanwhile_by_someone_else_is_returned_as_it_now_is(
    crash_at, monkeypatch, outbound_root
):
    file = left_assembling(crash_at, monkeypatch, TradingPartnerFactory())
    real = assembly.file_finish

    def twin_first(**kwargs):
        # a slow twin (recovery) finished the file between our write and our finish
        OutboundFile.objects.filter(pk=file.pk).update(
            status=OutboundFileStatus.PERSISTED, storage_path="by/the/twin.edi"
        )
        return real(**kwargs)

    monkeypatch.setattr(assembly, "file_finish", twin_first)
    done = assembly.file_build_and_store(file=file)
    assert (done.pk, done.status, done.storage_path) == (
        file.pk,
        OutboundFileStatus.PERSISTED,
        "by/the/twin.edi",
    )
    assert OutboxMessage.objects.count() == 0  # ours was not written beside the twin's


class _ContextSeen(logging.Handler):
    """Keeps each record's message with the correlation ids in force when it was logged."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, dict]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), current_context()))


def test_a_groups_log_lines_carry_its_partner_type_and_outcome_ids(outbound_root):
    partner = TradingPartnerFactory()
    outcomes = stage(partner, "999", 2)
    handler = _ContextSeen()
    logger = logging.getLogger("outbound.services.assembly")
    logger.addHandler(handler)
    try:
        outbound_assemble()
    finally:
        logger.removeHandler(handler)
    (ids,) = [c for m, c in handler.seen if m.startswith("outbound file ")]
    assert {k: ids.get(k) for k in ("partner", "response_type", "outcome_ids")} == {
        "partner": partner.code,
        "response_type": "999",
        "outcome_ids": [o.id for o in outcomes],
    }


def _assembly_metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_assembled_or_failed_group_is_counted_by_type_and_result(outbound_root, monkeypatch):
    before = {
        (name, result): _assembly_metric(name, type="999", result=result)
        for name in ("edi_assembly_files_total", "edi_assembly_outcomes_total")
        for result in ("persisted", "failed")
    }
    seconds_before = _assembly_metric("edi_assembly_seconds_count", type="999")
    sum_before = _assembly_metric("edi_assembly_seconds_sum", type="999")
    good, bad = TradingPartnerFactory(), TradingPartnerFactory()
    stage(good, "999", 2)
    stage(bad, "999", 3)
    exhaust_numbers_for(monkeypatch, bad)
    started = time.perf_counter()
    outbound_assemble(threads=1)
    elapsed = time.perf_counter() - started
    grown = {
        key: _assembly_metric(key[0], type="999", result=key[1]) - v for key, v in before.items()
    }
    assert grown == {
        ("edi_assembly_files_total", "persisted"): 1,
        ("edi_assembly_files_total", "failed"): 1,
        ("edi_assembly_outcomes_total", "persisted"): 2,
        ("edi_assembly_outcomes_total", "failed"): 3,
    }
    assert _assembly_metric("edi_assembly_seconds_count", type="999") - seconds_before == 2
    observed = _assembly_metric("edi_assembly_seconds_sum", type="999") - sum_before
    assert 0 < observed <= elapsed  # the groups' own durations, within the run's


def test_the_real_time_path_accounts_its_steps_too(outbound_root):
    stage(TradingPartnerFactory(), "TA1", 1)  # window 0: claim and numbers in one commit
    result = outbound_assemble()
    assert result.persisted == 1
    times = result.times
    assert times.claim == 0  # the claim is counted with the allocation it shares a commit with
    assert min(times.allocation, times.render, times.validation, times.storage, times.finish) > 0


@pytest.mark.parametrize("response_type", ["999", "TA1"])
def test_the_file_ready_message_names_the_file_and_its_numbers_exactly(
    outbound_root, monkeypatch, response_type
):
    monkeypatch.setenv("TZ", "America/New_York")  # "created" is UTC whatever the host's zone
    time.tzset()
    try:
        stage(TradingPartnerFactory(), response_type, 2)
        outbound_assemble()
    finally:
        monkeypatch.undo()
        time.tzset()
    file = OutboundFile.objects.get()
    gs06 = "" if response_type == "TA1" else str(file.gs06)
    st02s = "" if response_type == "TA1" else f"{file.st02s[0]:04d},{file.st02s[1]:04d}"
    assert OutboxMessage.objects.get().payload == {
        "file_id": str(file.id),
        "partner": file.partner.code,
        "transaction_type": response_type,
        "storage_path": file.storage_path,
        "isa13": f"{file.isa13:09d}",
        "gs06": gs06,
        "st02s": st02s,
        "created": file.created_at.astimezone(UTC).isoformat(),
    }
    assert OutboxMessage.objects.get().payload["created"].endswith("+00:00")


def test_a_failed_group_is_logged_and_its_reason_says_what_to_do_within_500_characters(
    monkeypatch, caplog
):
    from controlnumbers.domain import ControlNumberExhausted
    from edi_platform.core.retry import classify

    partner = TradingPartnerFactory()
    stage(partner, "999", 3)
    message = "counter ISA " + "x" * 600
    exhaust_numbers_for(monkeypatch, partner, message)
    with caplog.at_level("ERROR", logger="outbound.services.assembly"):
        assert outbound_assemble().failed_groups == 1
    found = classify(ControlNumberExhausted(message))
    assert not found.retryable and found.suggestion  # what this test is about
    assert [r.getMessage() for r in caplog.records] == [
        f"outbound group partner={partner.code} type=999 (3 outcomes) not assembled: "
        f"{found.summary()}"
    ]
    head = f"not assembled: ControlNumberExhausted: {message}"[:300]
    expected = f"{head} — what to do: {found.suggestion}"[:500]
    assert set(ProcessingOutcome.objects.values_list("failure_reason", flat=True)) == {expected}


def _deadlock(message: str = "deadlock detected") -> Exception:
    """A deadlock as Django raises it (the driver's error as its cause): retryable."""
    import psycopg.errors
    from django.db import OperationalError

    try:
        try:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        except psycopg.errors.DeadlockDetected as cause:
            raise OperationalError(message) from cause
    except OperationalError as exc:
        return exc


def test_a_retryable_failure_keeps_the_first_500_characters_of_its_reason(monkeypatch):
    from edi_platform.core.retry import classify

    partner = TradingPartnerFactory()
    stage(partner, "999", 2)
    error = _deadlock("deadlock detected " + "y" * 600)
    assert classify(error).retryable  # no suggestion appended: the cut is all there is
    fail_allocation_for(monkeypatch, partner, error)
    assert outbound_assemble().failed_groups == 1
    expected = f"not assembled: OperationalError: {error}"[:500]
    assert len(expected) == 500
    assert set(ProcessingOutcome.objects.values_list("failure_reason", flat=True)) == {expected}


def test_a_persisted_files_numbers_are_persisted_with_its_file_name(outbound_root):
    stage(TradingPartnerFactory(), "999", 2)
    outbound_assemble()
    file = OutboundFile.objects.get()
    audit = ControlNumberAudit.objects.filter(outbound_file_id=file.id)
    assert (
        sorted(audit.values_list("status", "file_name")) == [("PERSISTED", file.file_name)] * 4
    )  # ISA13, GS06 and two ST02s


def test_a_persisted_file_sends_the_publish_task_when_it_commits(
    outbound_root, monkeypatch, django_capture_on_commit_callbacks
):
    from edi_platform.core import tasking

    sent = []
    monkeypatch.setattr(tasking, "task_named", lambda name: sent.append(name) or _NoTask())
    stage(TradingPartnerFactory(), "999", 1)
    with django_capture_on_commit_callbacks(execute=True):
        outbound_assemble()
    assert "outbound.tasks.publish_outbox" in sent


class _NoTask:
    def apply(self, kwargs):  # what an eager send calls
        return None


# -- claiming and splitting --------------------------------------------------------------------
def _groups(rows, windows=None, types=("TA1", "271", "999")):
    return [
        (g.partner_id, g.response_type, g.outcome_ids, g.batch_ids)
        for g in assembly._split(rows, windows=windows or {}, types=list(types))
    ]


def test_a_per_batch_type_is_split_by_batch_and_the_others_are_not():
    # 271 answers each inbound batch in files of its own; 999 does not. Batch 1 is a real
    # batch id: outcomes without a batch must not join it.
    rows = [
        (1, 5, "271", 1),
        (2, 5, "271", 8),
        (3, 5, "271", None),
        (4, 5, "999", 1),
        (5, 5, "999", 8),
        (6, 5, "271", 1),
    ]
    assert _groups(rows) == [
        (5, "271", [3], []),
        (5, "271", [1, 6], [1]),
        (5, "271", [2], [8]),
        (5, "999", [4, 5], [1, 8]),
    ]


def test_groups_go_by_priority_then_partner_then_type():
    # rows in an order unlike the expected one: TA1 (priority 10) before 999 (30), partner 3
    # before partner 9, and among equal priorities "271" before "999"
    rows = [(1, 9, "999", None), (2, 9, "TA1", None), (3, 3, "999", None), (4, 3, "TA1", None)]
    assert [g[:2] for g in _groups(rows)] == [(3, "TA1"), (9, "TA1"), (3, "999"), (9, "999")]
    same = {
        "999": BatchWindow(response_type="999", window_minutes=0, priority=5),
        "271": BatchWindow(response_type="271", window_minutes=0, priority=5),
    }
    rows = [(1, 3, "999", None), (2, 3, "271", 8)]
    assert [g[:2] for g in _groups(rows, same)] == [(3, "271"), (3, "999")]


def test_a_window_row_overrides_the_priority_and_batch_size_of_its_type():
    windows = {
        "999": BatchWindow(response_type="999", window_minutes=0, priority=5, max_batch_size=2)
    }
    rows = [(1, 3, "TA1", None), (2, 3, "999", None), (3, 3, "999", None), (4, 3, "999", None)]
    assert _groups(rows, windows) == [
        (3, "999", [2, 3], []),
        (3, "999", [4], []),
        (3, "TA1", [1], []),
    ]


def test_the_batch_timestamp_is_utc_in_whole_seconds_whatever_the_local_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: a local time shows at once
    time.tzset()
    try:
        moment = timezone.now().replace(microsecond=654321)
        stamp = assembly.batch_timestamp(moment)
        assert stamp == moment.replace(microsecond=0)
        assert stamp.utcoffset() == timedelta(0) and stamp.microsecond == 0
    finally:
        monkeypatch.undo()
        time.tzset()


def test_assembly_threads_follow_the_setting_and_never_fall_below_one(settings):
    settings.OUTBOUND_ASSEMBLY_THREADS = 3
    assert assembly.assembly_threads() == 3
    settings.OUTBOUND_ASSEMBLY_THREADS = 1
    assert assembly.assembly_threads() == 1
    settings.OUTBOUND_ASSEMBLY_THREADS = 0
    assert assembly.assembly_threads() == 1


def _claimed(outcomes, at=None):
    ProcessingOutcome.objects.filter(pk__in=[o.pk for o in outcomes]).update(
        status=OutcomeStatus.CLAIMED, claimed_at=at or timezone.now()
    )


def _allocate(partner, outcomes, **kwargs):
    return assembly._allocate(
        partner=partner,
        response_type="999",
        outcome_ids=[o.pk for o in outcomes],
        stamp=assembly.batch_timestamp(),
        actor="test",
        reprocessed_from=None,
        batch_ids=kwargs.pop("batch_ids", []),
        **kwargs,
    )


def test_allocation_links_only_claimed_outcomes_without_a_file_or_rolls_back(crash_at, monkeypatch):
    partner = TradingPartnerFactory()
    # claimed, and already in a file of its own (a worker stopped after its allocation)
    taken = ProcessingOutcome.objects.get(
        outbound_file=left_assembling(crash_at, monkeypatch, TradingPartnerFactory())
    )
    a, b, released = stage(partner, "999", 3)
    _claimed([a, b])  # the third was released meanwhile (recovery): still PENDING
    for intruder in (released, taken):
        with pytest.raises(assembly._ClaimLost, match=r"^1 outcome\(s\) no longer claimed$"):
            _allocate(partner, [a, b, intruder])
    # numbers, file row and links rolled back together
    assert list(OutboundFile.objects.values_list("id", flat=True)) == [taken.outbound_file_id]
    assert ProcessingOutcome.objects.filter(outbound_file__isnull=False).get() == taken
    file = _allocate(partner, [a, b])
    assert set(ProcessingOutcome.objects.filter(outbound_file=file)) == {a, b}


def test_real_time_allocation_claims_exactly_its_pending_outcomes_at_the_claim_time():
    partner = TradingPartnerFactory()
    mine, other = stage(partner, "999", 2)  # the other is due too, but not in this group
    at = timezone.now() - timedelta(seconds=42)
    file = _allocate(partner, [mine], claimed_at=at)
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.status, mine.claimed_at, mine.outbound_file_id) == (
        OutcomeStatus.CLAIMED,
        at,
        file.id,
    )
    assert (other.status, other.claimed_at, other.outbound_file_id) == (
        OutcomeStatus.PENDING,
        None,
        None,
    )


def test_real_time_allocation_refuses_outcomes_claimed_or_filed_by_someone_else(
    crash_at, monkeypatch
):
    partner = TradingPartnerFactory()
    filed = ProcessingOutcome.objects.get(
        outbound_file=left_assembling(crash_at, monkeypatch, TradingPartnerFactory())
    )
    ProcessingOutcome.objects.filter(pk=filed.pk).update(status=OutcomeStatus.PENDING)
    pending, claimed_elsewhere = stage(partner, "999", 2)
    _claimed([claimed_elsewhere])
    for intruder in (claimed_elsewhere, filed):
        # (the real-time allocation joins its caller's transaction)
        with (
            pytest.raises(assembly._ClaimLost, match=r"^1 outcome\(s\) no longer claimed$"),
            transaction.atomic(),
        ):
            _allocate(partner, [pending, intruder], claimed_at=timezone.now())
    pending.refresh_from_db()
    assert (pending.status, pending.outbound_file_id) == (OutcomeStatus.PENDING, None)


def test_a_group_assembled_on_its_own_looks_up_its_batches_and_keeps_its_origin(outbound_root):
    partner = TradingPartnerFactory()
    first, second = (
        TransactionBatchFactory(partner=partner),
        TransactionBatchFactory(partner=partner),
    )
    origin = stage(partner, "999", 1)
    outbound_assemble()
    old = OutboundFile.objects.get()
    outcomes = stage(partner, "999", 3)
    for outcome, batch in zip(outcomes, (second, first, None), strict=True):
        ProcessingOutcome.objects.filter(pk=outcome.pk).update(batch=batch)
    _claimed(outcomes)
    times = assembly.StepTimes(allocation=5.0)
    file = assembly.group_assemble(
        partner=partner,
        response_type="999",
        outcome_ids=[o.pk for o in outcomes],
        reprocessed_from=old,
        times=times,
    )
    assert file.status == OutboundFileStatus.PERSISTED
    assert file.ingestion_ids == sorted([first.pk, second.pk])
    assert file.reprocessed_from_id == old.id
    assert times.allocation > 5.0  # added to what the caller had counted
    more = stage(partner, "999", 1)
    _claimed(more)
    again = assembly.group_assemble(partner=partner, response_type="999", outcome_ids=[more[0].pk])
    assert (again.status, again.ingestion_ids, again.reprocessed_from_id) == (
        OutboundFileStatus.PERSISTED,
        [],
        None,
    )
    audit = ControlNumberAudit.objects.filter(outbound_file_id=again.id)
    assert set(audit.values_list("actor", flat=True)) == {SYSTEM}  # no user: the platform
    assert origin[0].pk not in file.outcome_ids


def test_a_group_assembled_on_its_own_takes_the_given_time_batches_and_user(
    outbound_root, ops_user
):
    partner = TradingPartnerFactory()
    batch = TransactionBatchFactory(partner=partner)
    outcomes = stage(partner, "999", 2)  # (no batch of their own: the given ones count)
    _claimed(outcomes)
    later = timezone.now() + timedelta(hours=5)
    file = assembly.group_assemble(
        partner=partner,
        response_type="999",
        outcome_ids=[o.pk for o in outcomes],
        now=later,
        acting_user=ops_user,
        batch_ids=[batch.pk],
    )
    assert (file.batch_timestamp, file.ingestion_ids) == (
        assembly.batch_timestamp(later),
        [batch.pk],
    )
    audit = ControlNumberAudit.objects.filter(outbound_file_id=file.id)
    assert set(audit.values_list("actor", flat=True)) == {ops_user.get_username()}


def test_a_real_time_allocation_the_database_keeps_failing_is_raised_not_stepped_around(
    monkeypatch,
):
    from django.db import OperationalError

    partner = TradingPartnerFactory()
    stage(partner, "TA1", 1)  # window 0: claimed and allocated in one transaction
    fail_allocation_for(monkeypatch, partner, _deadlock())
    with pytest.raises(OperationalError):
        outbound_assemble()
    assert ProcessingOutcome.objects.get().status == OutcomeStatus.PENDING


def test_the_platforms_own_runs_allocate_as_the_system(outbound_root):
    stage(TradingPartnerFactory(), "999", 1)
    outbound_assemble()
    assert set(ControlNumberAudit.objects.values_list("actor", flat=True)) == {SYSTEM}


def test_outcomes_due_at_the_given_time_are_claimed_though_not_due_by_the_clock(outbound_root):
    stage(TradingPartnerFactory(), "999", 2, due_in_minutes=30)
    assert outbound_assemble().persisted == 0
    later = timezone.now() + timedelta(hours=1)
    assert outbound_assemble(now=later).outcomes_assembled == 2


def test_claims_of_exactly_the_limit_go_on_until_the_backlog_is_drained(settings, outbound_root):
    settings.OUTBOUND_CLAIM_LIMIT = 2
    for _ in range(3):
        stage(TradingPartnerFactory(), "999", 2)
    result = outbound_assemble()
    assert (result.claimed, result.persisted) == (6, 3)
    assert not ProcessingOutcome.objects.exclude(status=OutcomeStatus.ASSEMBLED).exists()


def _claim_groups(**given):
    """One claim transaction, step by step (no real-time allocation), as a run makes it."""
    kwargs = {
        "now": None,
        "partner_code": None,
        "response_type": None,
        "ignore_windows": False,
        "limit": None,
        "exclude_ids": None,
        "batch_ids": None,
        "allocate_for": None,
    }
    return assembly._claim(**{**kwargs, **given})


def test_the_most_overdue_outcomes_are_claimed_first_whatever_their_ids(settings):
    settings.OUTBOUND_CLAIM_LIMIT = 1
    partner = TradingPartnerFactory()
    _newer, older = stage(partner, "999", 2)
    ProcessingOutcome.objects.filter(pk=older.pk).update(due_at=timezone.now() - timedelta(hours=2))
    groups, _ = _claim_groups()
    assert [g.outcome_ids for g in groups] == [[older.pk]]


def test_a_run_counts_every_claim_of_it_and_never_retries_a_failed_group_within_it(
    settings, monkeypatch
):
    from controlnumbers.domain import ControlNumberExhausted

    settings.OUTBOUND_CLAIM_LIMIT = 2
    # claimed two at a time, in this order: two failing groups, two unrenderable ones, one
    # that persists (each stage() is due a moment after the one before)
    failing = [TradingPartnerFactory(), TradingPartnerFactory()]
    broken = [TradingPartnerFactory(), TradingPartnerFactory()]
    good = TradingPartnerFactory()
    for partner in (*failing, *broken):
        stage(partner, "999", 2)
    [persisted] = stage(good, "999", 1)
    ProcessingOutcome.objects.filter(partner__in=broken).update(payload={"type": "999"})
    attempts: list[str] = []
    real = assembly.allocate_envelope

    def allocate(**kwargs):
        if kwargs["partner_code"] in {p.code for p in failing}:
            if kwargs["partner_code"] in attempts:
                raise Crash("a group that failed was claimed again in the same run")
            attempts.append(kwargs["partner_code"])
            raise ControlNumberExhausted("ISA counter at its maximum")
        return real(**kwargs)

    monkeypatch.setattr(assembly, "allocate_envelope", allocate)
    result = outbound_assemble(threads=1)
    assert attempts == [p.code for p in failing]
    assert (result.claimed, result.failed_groups, result.quarantined, result.persisted) == (
        9,
        2,
        2,
        1,
    )
    assert result.outcomes_assembled == 1
    files = {f.partner_id: f.id for f in OutboundFile.objects.all()}
    assert result.files == [files[broken[0].id], files[broken[1].id], files[good.id]]
    persisted.refresh_from_db()
    assert persisted.outbound_file_id == files[good.id]


def _checked_out() -> int:
    """Connections of the pool in use (the caller's own included)."""
    stats = connection.pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]


@pytest.mark.django_db(transaction=True)
def test_groups_run_in_at_most_the_given_threads_which_give_their_connections_back(
    outbound_root, caplog
):
    for _ in range(4):
        stage(TradingPartnerFactory(), "999", 1)
    assert OutboundFile.objects.count() == 0  # (the caller's connection is in use)
    before = _checked_out()
    with caplog.at_level("INFO", logger="outbound.services.assembly"):
        assert outbound_assemble(threads=2).persisted == 4
    threads = {r.thread for r in caplog.records if r.getMessage().endswith("(1 outcomes)")}
    assert len(threads) == 2 and threading.get_ident() not in threads
    assert _checked_out() == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("groups", "threads", "threaded"), [(2, 2, True), (1, 2, False), (2, 1, False)]
)
def test_only_several_groups_with_several_threads_leave_the_calling_thread(
    groups, threads, threaded, outbound_root, caplog
):
    for _ in range(groups):
        stage(TradingPartnerFactory(), "999", 1)
    with caplog.at_level("INFO", logger="outbound.services.assembly"):
        assert outbound_assemble(threads=threads).persisted == groups
    ran_in = {r.thread for r in caplog.records if r.getMessage().endswith("(1 outcomes)")}
    assert (threading.get_ident() not in ran_in) is threaded and len(ran_in) >= 1


def _slow_claims(monkeypatch, seconds: float) -> None:
    """Every claim transaction takes at least ``seconds`` (a lower bound the accounting
    must show, whatever the machine's speed)."""
    real = assembly._claim

    def claim(**kwargs):
        time.sleep(seconds)
        return real(**kwargs)

    monkeypatch.setattr(assembly, "_claim", claim)


def test_a_run_of_several_claims_adds_up_the_time_of_each(settings, monkeypatch, outbound_root):
    settings.OUTBOUND_CLAIM_LIMIT = 1
    for _ in range(2):
        stage(TradingPartnerFactory(), "999", 1)  # step by step: three claims, the last empty
    _slow_claims(monkeypatch, 0.05)
    started = time.perf_counter()
    result = outbound_assemble(threads=1)
    elapsed = time.perf_counter() - started
    assert result.persisted == 2
    assert result.times.claim >= 3 * 0.05
    assert sum(getattr(result.times, f) for f in assembly.StepTimes.__dataclass_fields__) <= elapsed


def test_real_time_claims_add_their_time_to_the_allocation_they_share_a_commit_with(
    settings, monkeypatch, outbound_root
):
    settings.OUTBOUND_CLAIM_LIMIT = 1
    for _ in range(3):
        stage(TradingPartnerFactory(), "TA1", 1)  # window 0: each claim allocates its file
    _slow_claims(monkeypatch, 0.05)
    started = time.perf_counter()
    result = outbound_assemble()
    elapsed = time.perf_counter() - started
    assert result.persisted == 3
    assert result.times.allocation >= 3 * 0.05
    assert result.times.claim >= 0.05  # the last claim, which found nothing
    assert sum(getattr(result.times, f) for f in assembly.StepTimes.__dataclass_fields__) <= elapsed


@pytest.mark.django_db(transaction=True)
def test_a_claim_by_partner_locks_outcomes_only_not_the_partner_row():
    partner = TradingPartnerFactory()
    [outcome] = stage(partner, "999", 1)
    with other_session(autocommit=False) as other:
        # someone edits the partner's profile meanwhile (an UPDATE's row lock)
        other.execute(
            "SELECT 1 FROM partners_tradingpartner WHERE id = %s FOR NO KEY UPDATE", [partner.id]
        )
        groups, _ = _claim_groups(partner_code=partner.code)
        other.rollback()
    assert [g.outcome_ids for g in groups] == [[outcome.pk]]


def test_outcomes_due_at_the_same_moment_are_claimed_in_id_order(settings):
    settings.OUTBOUND_CLAIM_LIMIT = 1
    first, _second = stage(TradingPartnerFactory(), "999", 2)
    # the first row rewritten twice (its index entry moved behind the second's): an order
    # by due time alone now meets the second first
    due = ProcessingOutcome.objects.get(pk=first.pk).due_at
    for at in (due + timedelta(seconds=1), due):
        ProcessingOutcome.objects.filter(pk=first.pk).update(due_at=at)
    groups, _ = _claim_groups()
    assert [g.outcome_ids for g in groups] == [[first.pk]]


def test_a_real_time_file_is_stamped_with_the_given_time(outbound_root):
    stage(TradingPartnerFactory(), "TA1", 1)  # window 0: the real-time path
    later = timezone.now() + timedelta(hours=3)
    assert outbound_assemble(now=later).persisted == 1
    assert OutboundFile.objects.get().batch_timestamp == assembly.batch_timestamp(later)
