"""The ingest service: registry, idempotency, duplicates, partners, outcomes and routing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import override_settings

from eventstore.inbound.hooks import RoutingError, register_handler
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.inbound.services.reprocess import ReprocessRefused, batch_reprocess
from eventstore.inbound.services.sql import find_duplicate
from eventstore.inbound.storage import inbound_storage
from eventstore.models import BatchStatus, RoutingStatus, TransactionBatch, TransactionHeader
from outbound.models import OutcomeStatus, ProcessingOutcome
from tests.eventstore.inbound.samples import (
    SENDER,
    clean_handlers,  # noqa: F401 - fixture
    onboard_partner,
    sample,
    two_sets_one_bad,
)
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.factories import TradingPartnerFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("inbound_storage_dir", "clean_handlers"),
]


def test_valid_file_is_registered_stored_accepted_and_owes_one_999():
    partner = onboard_partner()
    data = sample()
    result = ingest_bytes(data=data, original_name="enroll.x12", channel="upload")

    batch = TransactionBatch.objects.get(pk=result.batch)
    assert result.status == batch.status == BatchStatus.ACCEPTED
    assert not result.already_received and result.ok
    assert batch.partner == partner and batch.channel == "upload"
    assert (batch.isa13, batch.isa09, batch.isa10, batch.usage_indicator) == (
        "000000101",
        "230101",
        "1253",
        "P",
    )
    day = batch.received_at.strftime("%Y-%m-%d")
    assert batch.storage_path == f"inbound/partner=SYNTH/date={day}/{batch.sha256}_enroll.x12"
    with inbound_storage().open(batch.storage_path, "rb") as stored:
        assert stored.read() == data
    assert (batch.groups_accepted, batch.sets_accepted, batch.sets_rejected) == (1, 1, 0)
    assert batch.size == len(data) and batch.processed_at and batch.processing_ms is not None

    header = batch.headers.get()
    assert (header.gs01, header.gs06, header.gs08) == ("BE", "1", "005010X220A1")
    assert (header.st01, header.st02, header.st03, header.segment_count) == (
        "834",
        "0001",
        "005010X220A1",
        12,
    )
    assert header.verdict == "A" and header.routing_status == RoutingStatus.NO_HANDLER

    outcome = ProcessingOutcome.objects.get(batch=batch)
    assert outcome.response_type == "999" and outcome.status == OutcomeStatus.PENDING
    assert outcome.dedupe_key == f"{batch.pk}:999:000000101:1"
    assert (outcome.isa13, outcome.gs06, outcome.st02s) == ("000000101", "1", ["0001"])
    assert outcome.payload["ak9"][0] == "A" and outcome.partner == partner
    assert outcome.due_at > outcome.created_at


def test_ta1_is_owed_when_the_interchange_asks_for_it():
    onboard_partner()
    result = ingest_bytes(data=sample(ack_requested="1"), original_name="a.x12")
    types = sorted(
        ProcessingOutcome.objects.filter(batch_id=result.batch).values_list(
            "response_type", flat=True
        )
    )
    assert types == ["999", "TA1"]
    ta1 = ProcessingOutcome.objects.get(batch_id=result.batch, response_type="TA1")
    assert ta1.payload["ack_code"] == "A" and ta1.dedupe_key == f"{result.batch}:TA1:000000101"


def test_ta1_policy_never_sends_no_ta1_even_for_a_rejected_interchange():
    onboard_partner(ta1_policy="never")
    result = ingest_bytes(data=sample(receiver="NOTUS"), original_name="a.x12")
    assert result.status == BatchStatus.REJECTED
    assert not ProcessingOutcome.objects.filter(batch_id=result.batch).exists()


def test_same_bytes_again_return_the_existing_batch_and_change_nothing():
    onboard_partner()
    first = ingest_bytes(data=sample(), original_name="one.x12")
    counts = (
        TransactionBatch.objects.count(),
        TransactionHeader.objects.count(),
        ProcessingOutcome.objects.count(),
    )
    files = inbound_storage().listdir(
        TransactionBatch.objects.get().storage_path.rsplit("/", 1)[0]
    )[1]

    again = ingest_bytes(data=sample(), original_name="renamed.x12", channel="command")

    assert again.batch == first.batch and again.already_received
    assert again.status == BatchStatus.ACCEPTED
    assert "already received as batch" in again.message
    assert counts == (
        TransactionBatch.objects.count(),
        TransactionHeader.objects.count(),
        ProcessingOutcome.objects.count(),
    )
    path = TransactionBatch.objects.get().storage_path
    assert inbound_storage().listdir(path.rsplit("/", 1)[0])[1] == files
    assert TransactionBatch.objects.get().original_name == "one.x12"


def test_same_isa13_with_different_bytes_is_a_duplicate_answered_with_ta1_025():
    onboard_partner()
    original = ingest_bytes(data=sample(), original_name="one.x12")
    dup = ingest_bytes(data=sample(extra="REF*ZZ*OTHER~\n"), original_name="two.x12")

    batch = TransactionBatch.objects.get(pk=dup.batch)
    assert batch.status == BatchStatus.DUPLICATE and not dup.ok
    assert batch.duplicate_of_id == original.batch
    assert "000000101" in batch.status_reason and str(original.batch) in batch.status_reason
    assert not batch.headers.exists()
    outcomes = ProcessingOutcome.objects.filter(batch=batch)
    assert [o.response_type for o in outcomes] == ["TA1"]
    assert (outcomes[0].payload["ack_code"], outcomes[0].payload["note_code"]) == ("R", "025")
    assert outcomes[0].payload["control_number"] == "000000101"
    assert inbound_storage().exists(batch.storage_path)


@override_settings(INBOUND_DUPLICATE_WINDOW_DAYS=30)
def test_an_isa13_older_than_the_duplicate_window_is_processed_normally():
    onboard_partner()
    original = ingest_bytes(data=sample(), original_name="one.x12")
    TransactionBatch.objects.filter(pk=original.batch).update(
        received_at=TransactionBatch.objects.get(pk=original.batch).received_at - timedelta(days=31)
    )
    again = ingest_bytes(data=sample(extra="REF*ZZ*OTHER~\n"), original_name="two.x12")
    assert again.status != BatchStatus.DUPLICATE


def test_unknown_sender_waits_without_ack_then_reprocess_after_onboarding(django_user_model):
    result = ingest_bytes(data=sample(ack_requested="1"), original_name="new.x12")
    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status == BatchStatus.UNKNOWN_PARTNER and not result.ok
    assert "ZZ/SYNTHSENDER" in batch.status_reason
    assert batch.storage_path.startswith("inbound/partner=_unknown/")
    assert not ProcessingOutcome.objects.exists()

    onboarded = TradingPartnerFactory(code="LATE", their_isa_qualifier="ZZ", their_isa_id=SENDER)
    operator = django_user_model.objects.create_user("ops")
    done = batch_reprocess(batch_id=batch.pk, acting_user=operator)

    batch.refresh_from_db()
    assert done.status == batch.status == BatchStatus.ACCEPTED
    assert batch.partner == onboarded
    assert (batch.reprocess_count, batch.last_reprocessed_by) == (1, "ops")
    assert sorted(ProcessingOutcome.objects.values_list("response_type", flat=True)) == [
        "999",
        "TA1",
    ]


def test_inactive_partner_is_treated_as_unknown():
    onboard_partner(active=False)
    result = ingest_bytes(data=sample(), original_name="a.x12")
    assert result.status == BatchStatus.UNKNOWN_PARTNER
    assert not ProcessingOutcome.objects.exists()


def test_receiver_that_is_not_us_is_rejected_with_ta1_009():
    onboard_partner()
    result = ingest_bytes(data=sample(receiver="SOMEONEELSE"), original_name="a.x12")
    assert result.status == BatchStatus.REJECTED
    assert "009" in result.reason
    ta1 = ProcessingOutcome.objects.get(batch_id=result.batch)
    assert (ta1.response_type, ta1.payload["note_code"]) == ("TA1", "009")
    assert TransactionHeader.objects.get().routing_status == RoutingStatus.NOT_ROUTED


def test_one_bad_set_makes_the_batch_partially_accepted():
    onboard_partner()
    result = ingest_bytes(data=two_sets_one_bad(), original_name="two.x12")
    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status == BatchStatus.PARTIALLY_ACCEPTED and result.ok
    assert (batch.sets_accepted, batch.sets_rejected) == (1, 1)
    good, bad = batch.headers.order_by("st02")
    assert (good.verdict, good.routing_status) == ("A", RoutingStatus.NO_HANDLER)
    assert (bad.verdict, bad.routing_status) == ("R", RoutingStatus.NOT_ROUTED)
    segment_errors = [e for e in bad.error_summary if e["level"] == "segment"]
    assert segment_errors[0]["segment"] == "DMG"
    assert segment_errors[0]["elements"][0]["meaning"] == "Invalid Date"
    # an invalid date is a syntax finding: WEDI SNIP type 1, named on the set's errors
    assert segment_errors[0]["elements"][0]["snip"] == 1 and segment_errors[0]["snip"] == 1
    assert "19801340" not in str(bad.error_summary)  # no data values stored
    outcome = ProcessingOutcome.objects.get(batch=batch, response_type="999")
    assert outcome.payload["ak9"][0] == "P" and outcome.st02s == ["0001", "0002"]


def test_accepted_sets_are_routed_to_the_handler_for_their_st01():
    onboard_partner()
    seen = []

    def handler(routed):
        seen.append(
            (
                routed.header.st02,
                routed.segments[0].id,
                routed.segments[-1].id,
                routed.delimiters.element,
            )
        )
        return "3 events appended"

    register_handler("834", handler)
    result = ingest_bytes(data=sample(), original_name="a.x12")
    header = TransactionHeader.objects.get(batch_id=result.batch)
    assert header.routing_status == RoutingStatus.ROUTED
    assert header.routing_result == "3 events appended"
    assert seen == [("0001", "ST", "SE", "*")]


def test_failing_handler_marks_the_set_failed_without_data_and_reprocess_retries(django_user_model):
    onboard_partner()

    def broken(routed):
        raise ValueError("member TESTLAST born 19800101")

    register_handler("834", broken)
    result = ingest_bytes(data=sample(), original_name="a.x12")
    header = TransactionHeader.objects.get(batch_id=result.batch)
    assert result.status == BatchStatus.ACCEPTED
    assert header.routing_status == RoutingStatus.FAILED
    assert "ValueError" in header.routing_result and "TESTLAST" not in header.routing_result

    register_handler("834", lambda routed: "ok now")
    batch_reprocess(batch_id=result.batch, acting_user=django_user_model.objects.create_user("o"))
    header.refresh_from_db()
    assert (header.routing_status, header.routing_result) == (RoutingStatus.ROUTED, "ok now")
    assert ProcessingOutcome.objects.filter(batch_id=result.batch).count() == 1


def test_failing_handler_writes_are_undone_while_the_batch_commits():
    # small files are routed inside the final-status transaction: each handler in a savepoint
    onboard_partner()

    def half_done(routed):
        TransactionBatch.objects.filter(pk=routed.header.batch_id).update(status_reason="half done")
        raise ValueError("broken handler")

    register_handler("834", half_done)
    result = ingest_bytes(data=sample(), original_name="a.x12")
    batch = TransactionBatch.objects.get(pk=result.batch)
    header = TransactionHeader.objects.get(batch_id=result.batch)
    assert (batch.status, batch.status_reason) == (BatchStatus.ACCEPTED, "")
    assert header.routing_status == RoutingStatus.FAILED
    assert ProcessingOutcome.objects.filter(batch_id=result.batch).count() == 1


def test_routing_error_message_is_kept():
    onboard_partner()

    def refuses(routed):
        raise RoutingError("plan code not configured")

    register_handler("834", refuses)
    result = ingest_bytes(data=sample(), original_name="a.x12")
    header = TransactionHeader.objects.get(batch_id=result.batch)
    assert header.routing_result == "handler failed: plan code not configured"


def test_missing_outcome_sink_leaves_the_batch_received_for_reprocess(
    monkeypatch, django_user_model
):
    onboard_partner()
    from eventstore.inbound import hooks as inbound_hooks

    sink = inbound_hooks._sink
    monkeypatch.setattr(inbound_hooks, "_sink", None)
    result = ingest_bytes(data=sample(), original_name="a.x12")
    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status == BatchStatus.RECEIVED and not result.ok
    assert "OutcomeSinkMissing" in batch.status_reason
    assert not batch.headers.exists() and not ProcessingOutcome.objects.exists()

    monkeypatch.setattr(inbound_hooks, "_sink", sink)
    done = batch_reprocess(
        batch_id=batch.pk, acting_user=django_user_model.objects.create_user("o")
    )
    assert done.status == BatchStatus.ACCEPTED
    assert ProcessingOutcome.objects.filter(batch=batch).count() == 1


def test_an_interruption_is_logged_without_the_text_of_the_error(monkeypatch, caplog):
    onboard_partner()
    from eventstore.inbound import hooks as inbound_hooks

    def quoting_sink(**_):
        raise ValueError("value 'DOE JOHN 19800101' refused")  # as a database error might

    monkeypatch.setattr(inbound_hooks, "_sink", quoting_sink)
    result = ingest_bytes(data=sample(), original_name="a.x12")
    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status == BatchStatus.RECEIVED and "ValueError" in batch.status_reason
    assert "processing interrupted: ValueError at" in caplog.text
    assert "DOE" not in caplog.text and "DOE" not in batch.status_reason


def test_final_batches_are_not_reprocessed(django_user_model):
    onboard_partner()
    result = ingest_bytes(data=sample(receiver="NOTUS"), original_name="a.x12")
    with pytest.raises(ReprocessRefused):
        batch_reprocess(
            batch_id=result.batch, acting_user=django_user_model.objects.create_user("o")
        )


def test_each_interchange_of_a_file_gets_its_own_999_and_a_repeated_isa13_is_rejected():
    onboard_partner()
    first = sample().decode()
    second = sample(isa13="000000102").decode()
    repeated = sample(ack_requested="1").decode()  # ISA13 000000101 again, in the same file
    result = ingest_bytes(data=(first + second + repeated).encode(), original_name="multi.x12")

    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status == BatchStatus.PARTIALLY_ACCEPTED
    acks = ProcessingOutcome.objects.filter(batch=batch).order_by("dedupe_key")
    assert [(o.response_type, o.isa13) for o in acks] == [
        ("999", "000000101"),
        ("999", "000000102"),
        ("TA1", "000000101"),
    ]
    assert acks[2].payload["note_code"] == "025"
    assert len({o.dedupe_key for o in acks}) == 3
    assert sorted(batch.headers.values_list("isa13", "routing_status")) == [
        ("000000101", RoutingStatus.NOT_ROUTED),
        ("000000101", RoutingStatus.NO_HANDLER),
        ("000000102", RoutingStatus.NO_HANDLER),
    ]


def test_of_two_files_with_one_isa13_registered_together_only_the_later_is_the_duplicate():
    partner = onboard_partner()

    def registered(n):
        return TransactionBatch.objects.create(
            original_name=f"{n}.x12",
            partner=partner,
            sha256=f"{n:064d}",
            size=1,
            isa13="000000101",
            status=BatchStatus.RECEIVED,
        )

    first, second = registered(1), registered(2)
    now = second.received_at
    assert (
        find_duplicate(partner_id=partner.pk, isa13="000000101", exclude_batch_id=first.pk, now=now)
        is None
    )
    assert (
        find_duplicate(
            partner_id=partner.pk, isa13="000000101", exclude_batch_id=second.pk, now=now
        )
        == first
    )
    # an older batch reprocessed later sees the newer one once that one is answered
    TransactionBatch.objects.filter(pk=second.pk).update(status=BatchStatus.ACCEPTED)
    assert (
        find_duplicate(partner_id=partner.pk, isa13="000000101", exclude_batch_id=first.pk, now=now)
        == second
    )


def test_an_unknown_partner_batch_does_not_make_the_resent_file_a_duplicate():
    ingest_bytes(data=sample(), original_name="early.x12")  # before onboarding
    onboard_partner()
    resent = ingest_bytes(data=sample().replace(b"REF0001", b"REF0002"), original_name="b.x12")
    assert resent.status == BatchStatus.ACCEPTED


def test_staged_payloads_render_into_valid_ack_interchanges():
    from datetime import UTC, datetime

    from edi_platform import x12

    onboard_partner()
    ingest_bytes(data=sample(ack_requested="1"), original_name="a.x12")
    ingest_bytes(data=two_sets_one_bad().replace(b"000000101", b"000000102"), original_name="b.x12")
    params = x12.EnvelopeParams(
        sender_qualifier="ZZ",
        sender_id="EDIPLATFORM",
        receiver_qualifier="ZZ",
        receiver_id=SENDER,
        sender_gs_code="EDIPLATFORM",
        receiver_gs_code=SENDER,
        usage_indicator="P",
        delimiters=x12.Delimiters(),
        isa13=7,
        gs06=7,
        timestamp=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
    )
    acks = [o.payload for o in ProcessingOutcome.objects.filter(response_type="999")]
    ta1s = [o.payload for o in ProcessingOutcome.objects.filter(response_type="TA1")]
    assert len(acks) == 2 and len(ta1s) == 1
    rendered_999 = x12.render_999_interchange(acks, envelope=params, st02s=["0001", "0002"])
    rendered_ta1 = x12.render_ta1_interchange(ta1s, envelope=params)
    assert x12.validate_envelope(rendered_999) == []
    assert x12.validate_envelope(rendered_ta1) == []
    assert b"AK9*P*2*2*1" in rendered_999 and b"TA1*000000101*230101*1253*A*000" in rendered_ta1


@override_settings(INBOUND_SINGLE_TRANSACTION_MAX_BYTES=0)
def test_with_the_single_transaction_path_off_a_file_gets_the_same_results():
    # files above the size limit commit RECEIVED first, then process (the large-file path)
    onboard_partner()
    register_handler("834", lambda routed: "routed in two phases")
    result = ingest_bytes(data=sample(ack_requested="1"), original_name="a.x12")

    batch = TransactionBatch.objects.get(pk=result.batch)
    assert result.status == batch.status == BatchStatus.ACCEPTED and not result.already_received
    header = TransactionHeader.objects.get(batch=batch)
    assert (header.routing_status, header.routing_result) == (
        RoutingStatus.ROUTED,
        "routed in two phases",
    )
    types = sorted(
        ProcessingOutcome.objects.filter(batch=batch).values_list("response_type", flat=True)
    )
    assert types == ["999", "TA1"]


def test_a_crash_before_the_commit_leaves_the_raw_copy_and_the_file_ingests_again(monkeypatch):
    # one transaction per small file: the raw copy is stored before the row, nothing of the
    # row is committed when the process dies mid-processing
    onboard_partner()
    from eventstore.inbound.services import ingest as ingest_module

    real_plan = ingest_module._plan
    runs = []

    def dies_the_first_time(**kwargs):
        runs.append(1)
        if len(runs) == 1:
            raise KeyboardInterrupt  # not an Exception: nothing catches it, like a kill
        return real_plan(**kwargs)

    monkeypatch.setattr(ingest_module, "_plan", dies_the_first_time)
    root = Path(inbound_storage().location)
    with pytest.raises(KeyboardInterrupt):
        ingest_bytes(data=sample(), original_name="a.x12")
    assert not TransactionBatch.objects.exists()
    stored = [p for p in root.rglob("*") if p.is_file()]
    assert len(stored) == 1

    result = ingest_bytes(data=sample(), original_name="a.x12")

    assert result.status == BatchStatus.ACCEPTED and not result.already_received
    assert [p for p in root.rglob("*") if p.is_file()] == stored
    assert TransactionBatch.objects.get().storage_path == str(stored[0].relative_to(root))
    assert ProcessingOutcome.objects.filter(batch_id=result.batch).count() == 1


def test_handlers_learn_whether_their_header_row_is_uncommitted(
    django_user_model,
):
    onboard_partner()
    calls = []

    def handler(routed):
        calls.append(routed.fresh_header)
        if len(calls) < 3:
            raise RoutingError("not yet")
        return "ok"

    register_handler("834", handler)
    result = ingest_bytes(data=sample(), original_name="a.x12")
    header = TransactionHeader.objects.get(batch_id=result.batch)
    assert header.routing_status == RoutingStatus.FAILED
    # the single transaction failed and was rolled back; the two-phase retry then inserted
    # the row in its final-status transaction: both times the row was this transaction's own
    assert calls == [True, True]

    batch_reprocess(batch_id=result.batch, acting_user=django_user_model.objects.create_user("o"))
    header.refresh_from_db()
    assert header.routing_status == RoutingStatus.ROUTED
    assert calls == [True, True, False]  # a committed row: the handler must lock and check


def test_a_small_file_with_many_sets_is_processed_and_routed_in_one_transaction():
    # above HEADER_RETURNING_MAX sets the headers go in with COPY and are selected back
    from eventstore.inbound.services.sql import HEADER_RETURNING_MAX

    onboard_partner()
    text = sample().decode()
    start, end = text.index("ST*834"), text.index("GE*")
    body = text[start:end]
    count = HEADER_RETURNING_MAX + 5
    sets = "".join(body.replace("0001", f"{n:04d}") for n in range(1, count + 1))
    data = (text[:start] + sets + text[end:]).replace("GE*1*", f"GE*{count}*").encode()
    routed = []
    register_handler("834", lambda r: routed.append(r.header.st02) or "ok")

    result = ingest_bytes(data=data, original_name="many.x12")

    assert result.status == BatchStatus.ACCEPTED and result.sets_accepted == count
    statuses = set(
        TransactionHeader.objects.filter(batch_id=result.batch).values_list(
            "routing_status", flat=True
        )
    )
    assert statuses == {RoutingStatus.ROUTED} and len(routed) == count
    assert ProcessingOutcome.objects.filter(batch_id=result.batch).count() == 1


def test_the_same_isa13_from_two_partners_is_two_interchanges_not_a_duplicate():
    onboard_partner()
    onboard_partner(code="OTHER", their_isa_id="OTHERSENDER", their_gs_code="OTHERSENDER")
    first = ingest_bytes(data=sample(), original_name="a.x12")
    other = ingest_bytes(data=sample(sender="OTHERSENDER"), original_name="b.x12")
    again = ingest_bytes(data=sample() + b"\n", original_name="c.x12")  # same partner + ISA13
    assert (first.status, other.status) == (BatchStatus.ACCEPTED, BatchStatus.ACCEPTED)
    assert again.status == BatchStatus.DUPLICATE  # the check itself works
    assert TransactionBatch.objects.get(pk=other.batch).duplicate_of_id is None


# -- routing committed sets one at a time (a reprocess, a large file's second phase) ---------
