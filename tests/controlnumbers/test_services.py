"""Allocation services: scope rule, envelopes, blocks, exhaustion, lifecycle, transactions."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from controlnumbers import services
from controlnumbers.models import AuditStatus, ControlNumberAudit, ControlNumberCounter
from controlnumbers.selectors import numbers_for_file
from controlnumbers.services import (
    ControlNumberExhausted,
    EnvelopeNumbers,
    NumbersNotFound,
    UnknownPartner,
    allocate_block,
    allocate_envelope,
    allocation,
    numbers_mark_failed,
    numbers_mark_persisted,
    numbers_reissue,
)
from tests.factories import ControlNumberCounterFactory, TradingPartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return TradingPartnerFactory(code="PARTNERA")


def _envelope(transaction_type="271", **kwargs) -> EnvelopeNumbers:
    kwargs.setdefault("partner_code", "PARTNERA")
    return allocate_envelope(
        transaction_type=transaction_type, outbound_file_id=uuid.uuid4(), **kwargs
    )


def test_envelopes_get_consecutive_numbers_and_one_audit_row_each(partner):
    first = _envelope(st_count=3)
    second = _envelope(st_count=2)
    assert (first.isa13, first.gs06, first.st02s) == (1, 1, [1, 2, 3])
    assert (second.isa13, second.gs06, second.st02s) == (2, 2, [4, 5])
    rows = ControlNumberAudit.objects.filter(outbound_file_id=first.outbound_file_id)
    assert rows.count() == 5
    assert set(rows.values_list("status", flat=True)) == {AuditStatus.ISSUED}
    assert set(rows.values_list("epoch", flat=True)) == {1}


def test_counters_are_created_on_first_use(partner):
    assert not ControlNumberCounter.objects.exists()
    _envelope()
    keys = set(
        ControlNumberCounter.objects.values_list("partner_code", "transaction_type", "counter_type")
    )
    assert keys == {("PARTNERA", "*", "ISA"), ("PARTNERA", "*", "GS"), ("PARTNERA", "271", "ST")}


def test_isa13_is_shared_across_transaction_types_by_default(partner):
    ack = _envelope("999")
    eligibility = _envelope("271")
    # The partner must never see ISA13 = 1 twice, whatever the transaction type.
    assert (ack.isa13, eligibility.isa13) == (1, 2)
    assert (ack.gs06, eligibility.gs06) == (1, 2)
    # ST02 stays per transaction type.
    assert (ack.st02s, eligibility.st02s) == ([1], [1])


def test_partner_with_transaction_scope_gets_per_transaction_isa_counters():
    TradingPartnerFactory(code="LEGACY", control_number_scope="transaction")
    ack = _envelope("999", partner_code="LEGACY")
    eligibility = _envelope("271", partner_code="LEGACY")
    assert (ack.isa13, eligibility.isa13) == (1, 1)
    assert ControlNumberCounter.objects.filter(
        partner_code="LEGACY", transaction_type="999", counter_type="ISA"
    ).exists()


def test_interchange_without_group_allocates_isa13_only(partner):
    ta1 = _envelope("TA1", with_group=False)
    assert (ta1.isa13, ta1.gs06, ta1.st02s) == (1, None, [])
    assert ControlNumberAudit.objects.filter(outbound_file_id=ta1.outbound_file_id).count() == 1


def test_unknown_partner_is_a_domain_error():
    with pytest.raises(UnknownPartner):
        _envelope(partner_code="NOPE")


def test_block_allocation_is_consecutive_with_one_audit_row_per_number(partner):
    file_id = uuid.uuid4()
    block = allocate_block(
        partner_code="PARTNERA",
        transaction_type="837",
        counter_type="ST",
        count=1000,
        outbound_file_id=file_id,
    )
    assert block == list(range(1, 1001))
    assert ControlNumberAudit.objects.filter(outbound_file_id=file_id).count() == 1000
    after = allocate_block(
        partner_code="PARTNERA",
        transaction_type="837",
        counter_type="ST",
        count=2,
        outbound_file_id=uuid.uuid4(),
    )
    assert after == [1001, 1002]


def test_exhaustion_raises_and_allocates_nothing(partner):
    _envelope()
    ControlNumberCounter.objects.filter(counter_type="ST").update(max_value=10, current_value=8)
    before = list(ControlNumberCounter.objects.order_by("id").values_list("current_value"))
    with pytest.raises(ControlNumberExhausted, match="2 number"):
        _envelope(st_count=3)  # ISA and GS have room; ST has 2 left
    assert list(ControlNumberCounter.objects.order_by("id").values_list("current_value")) == before
    assert ControlNumberAudit.objects.count() == 3
    ok = _envelope(st_count=2)  # exactly up to the max is fine
    assert ok.st02s == [9, 10]


def test_exhaustion_at_max_value_on_isa(partner):
    ControlNumberCounterFactory(current_value=999_999_999)
    with pytest.raises(ControlNumberExhausted):
        _envelope()
    assert ControlNumberAudit.objects.count() == 0
    assert ControlNumberCounter.objects.get(counter_type="GS").current_value == 0


def test_allocation_joins_the_callers_transaction(partner):
    with pytest.raises(RuntimeError), transaction.atomic():
        _envelope()
        raise RuntimeError("caller failed after allocating")
    assert ControlNumberAudit.objects.count() == 0
    assert _envelope().isa13 == 1  # rolled back with the caller: no gap


def test_exhaustion_inside_callers_transaction_leaves_it_usable(partner):
    ControlNumberCounterFactory(current_value=999_999_999)
    with transaction.atomic():
        with pytest.raises(ControlNumberExhausted):
            _envelope()
        # The statement changed nothing and raised no database error: the caller goes on.
        assert ControlNumberCounter.objects.filter(counter_type="ISA").count() == 1


def test_mark_persisted_records_file_name_and_counter_last_file(partner):
    env = _envelope()
    moved = numbers_mark_persisted(
        outbound_file_id=env.outbound_file_id, file_name="partner=PARTNERA/a.edi", note="sent"
    )
    assert moved == 3
    rows = ControlNumberAudit.objects.filter(outbound_file_id=env.outbound_file_id)
    assert set(rows.values_list("status", "file_name", "notes")) == {
        (AuditStatus.PERSISTED, "partner=PARTNERA/a.edi", "sent")
    }
    assert ControlNumberCounter.objects.get(counter_type="ISA").last_file_name.endswith("a.edi")


def test_mark_persisted_appends_its_note_after_the_failure_reason(partner):
    env = _envelope()
    numbers_mark_failed(outbound_file_id=env.outbound_file_id, reason="disk full")
    assert numbers_mark_persisted(outbound_file_id=env.outbound_file_id, note="resent") == 3
    assert _rows(env) == {(AuditStatus.PERSISTED, "", "disk full | resent")}


def test_a_file_with_nothing_left_to_persist_leaves_the_counters_last_file_alone(partner):
    env = _envelope(file_name="first.x12")
    numbers_reissue(outbound_file_id=env.outbound_file_id)  # REISSUED rows are final
    assert numbers_mark_persisted(outbound_file_id=env.outbound_file_id, file_name="b.x12") == 0
    names = set(ControlNumberCounter.objects.values_list("last_file_name", flat=True))
    assert names == {"first.x12"}
    assert {s for s, _, _ in _rows(env)} == {AuditStatus.REISSUED}


def test_mark_failed_needs_a_reason_and_then_reissue_returns_the_same_numbers(partner):
    env = _envelope(st_count=2)
    with pytest.raises(ValueError):
        numbers_mark_failed(outbound_file_id=env.outbound_file_id, reason=" ")
    assert numbers_mark_failed(outbound_file_id=env.outbound_file_id, reason="disk full") == 4
    again = numbers_reissue(outbound_file_id=env.outbound_file_id, note="retry")
    assert again == env
    statuses = ControlNumberAudit.objects.filter(outbound_file_id=env.outbound_file_id)
    assert set(statuses.values_list("status", flat=True)) == {AuditStatus.REISSUED}
    assert "disk full" in statuses.first().notes


def test_reissue_of_an_interrupted_file_goes_through_failed(partner):
    env = _envelope()
    assert numbers_reissue(outbound_file_id=env.outbound_file_id) == env
    notes = ControlNumberAudit.objects.filter(outbound_file_id=env.outbound_file_id).first().notes
    assert "did not complete" in notes
    # A recovery may be interrupted too: the same numbers again.
    assert numbers_reissue(outbound_file_id=env.outbound_file_id) == env


def test_reissue_is_refused_for_persisted_or_unknown_files(partner):
    env = _envelope()
    numbers_mark_persisted(outbound_file_id=env.outbound_file_id)
    with pytest.raises(services.ControlNumberError):
        numbers_reissue(outbound_file_id=env.outbound_file_id)
    with pytest.raises(NumbersNotFound):
        numbers_reissue(outbound_file_id=uuid.uuid4())


def test_numbers_for_file(partner):
    env = _envelope(st_count=3)
    assert numbers_for_file(outbound_file_id=env.outbound_file_id) == env
    assert numbers_for_file(outbound_file_id=uuid.uuid4()) is None


def _fail_once_with_a_serialization_failure(monkeypatch) -> list[int]:
    """The next allocation statement fails as a serialization failure would (then works);
    returns the list of attempts."""
    import psycopg.errors
    from django.db import OperationalError

    real = allocation._allocate_once_postgresql
    calls: list[int] = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            try:
                raise psycopg.errors.SerializationFailure("could not serialize")
            except psycopg.errors.SerializationFailure as exc:
                raise OperationalError("wrapped by Django") from exc
        return real(*args, **kwargs)

    monkeypatch.setattr(allocation, "_allocate_once_postgresql", flaky)
    return calls


@pytest.mark.django_db(transaction=True)
def test_transient_error_is_retried_and_recorded_on_the_audit_rows(partner, monkeypatch):
    _envelope()  # counters exist: one statement per attempt from here on
    calls = _fail_once_with_a_serialization_failure(monkeypatch)
    env = _envelope()
    assert len(calls) == 2
    retries = ControlNumberAudit.objects.filter(outbound_file_id=env.outbound_file_id)
    assert set(retries.values_list("retry_count", flat=True)) == {1}


def test_block_exhaustion_raises_and_allocates_nothing(partner):
    ControlNumberCounterFactory(counter_type="ST", transaction_type="835", max_value=100)
    first = allocate_block(
        partner_code="PARTNERA",
        transaction_type="835",
        counter_type="ST",
        count=98,
        outbound_file_id=uuid.uuid4(),
    )
    assert first[-1] == 98
    with pytest.raises(ControlNumberExhausted, match="2 number"):
        allocate_block(
            partner_code="PARTNERA",
            transaction_type="835",
            counter_type="ST",
            count=3,
            outbound_file_id=uuid.uuid4(),
        )
    assert ControlNumberCounter.objects.get(transaction_type="835").current_value == 98
    assert ControlNumberAudit.objects.count() == 98


def test_audit_rows_carry_their_ordinal_within_the_counter(partner):
    _envelope(st_count=3)
    allocate_block(
        partner_code="PARTNERA",
        transaction_type="271",
        counter_type="ST",
        count=4,
        outbound_file_id=uuid.uuid4(),
    )
    st = ControlNumberCounter.objects.get(counter_type="ST")
    rows = ControlNumberAudit.objects.filter(counter=st).order_by("number")
    assert list(rows.values_list("number", "seq")) == [(n, n) for n in range(1, 8)]
    assert st.issued_count == 7


def test_a_block_may_fill_exactly_up_to_the_maximum_and_not_one_more(partner):
    _envelope()
    ControlNumberCounter.objects.filter(counter_type="ISA").update(max_value=5, current_value=2)
    block = allocate_block(
        partner_code="PARTNERA",
        transaction_type="271",
        counter_type="ISA",
        count=3,
        outbound_file_id=uuid.uuid4(),
    )
    assert block == [3, 4, 5]
    with pytest.raises(ControlNumberExhausted):
        allocate_block(
            partner_code="PARTNERA",
            transaction_type="271",
            counter_type="ISA",
            count=1,
            outbound_file_id=uuid.uuid4(),
        )
    assert ControlNumberCounter.objects.get(counter_type="ISA").current_value == 5


# -- found unpinned by the mutation run (docs/mutation.md) -----------------------------------


def _block(partner_code="PARTNERA", transaction_type="271", counter_type="ST", count=1, **kw):
    return allocate_block(
        partner_code=partner_code,
        transaction_type=transaction_type,
        counter_type=counter_type,
        count=count,
        outbound_file_id=uuid.uuid4(),
        **kw,
    )


def test_a_block_follows_the_partner_scope_and_records_system_and_no_file_name():
    TradingPartnerFactory(code="PARTNERT", control_number_scope="transaction")
    assert _block("PARTNERT", counter_type="ISA", count=2) == [1, 2]
    counter = ControlNumberCounter.objects.get()
    assert (counter.partner_code, counter.transaction_type) == ("PARTNERT", "271")
    assert counter.last_file_name == ""
    rows = ControlNumberAudit.objects.filter(counter=counter)
    assert set(rows.values_list("actor", "file_name")) == {("system", "")}
    assert _block("PARTNERT", counter_type="ISA", actor="ops-7") == [3]
    assert ControlNumberAudit.objects.get(counter=counter, number=3).actor == "ops-7"


def test_exhaustion_names_the_counter_what_is_left_and_what_to_do(partner):
    ControlNumberCounterFactory(
        transaction_type="271", counter_type="ST", current_value=8, max_value=9
    )
    with pytest.raises(ControlNumberExhausted) as refused:
        _block(count=2)
    assert str(refused.value) == (
        "counter PARTNERA/271/ST is exhausted: 1 number(s) left, 2 requested "
        "(reset or roll it over after coordinating with the partner)"
    )


def test_a_first_allocation_is_not_confused_by_counters_of_other_keys(partner):
    TradingPartnerFactory(code="PARTNERB")
    ControlNumberCounterFactory(
        partner_code="PARTNERB", transaction_type="271", counter_type="ST", current_value=5
    )
    ControlNumberCounterFactory(transaction_type="837", counter_type="ST", current_value=7)
    assert _block() == [1]  # PARTNERA/271/ST did not exist: created, starts at 1
    assert _block(transaction_type="837") == [8]
    assert _block("PARTNERB") == [6]


def test_an_envelope_follows_the_partner_scope_and_records_system_and_no_file_name():
    TradingPartnerFactory(code="PARTNERT", control_number_scope="transaction")
    numbers = _envelope(partner_code="PARTNERT", st_count=2)
    keys = set(
        ControlNumberCounter.objects.values_list("partner_code", "transaction_type", "counter_type")
    )
    assert keys == {
        ("PARTNERT", "271", "ISA"),
        ("PARTNERT", "271", "GS"),
        ("PARTNERT", "271", "ST"),
    }
    rows = ControlNumberAudit.objects.filter(outbound_file_id=numbers.outbound_file_id)
    assert set(rows.values_list("actor", "file_name")) == {("system", "")}


def test_a_group_without_sets_is_refused_by_name(partner):
    with pytest.raises(ValueError) as refused:
        _envelope(st_count=0)
    assert str(refused.value) == "a functional group needs st_count >= 1"
    assert not ControlNumberAudit.objects.exists()


def test_counters_ensure_creates_only_the_missing_ones_and_says_how_many(partner):
    from controlnumbers.domain import CounterKey

    ControlNumberCounterFactory()  # PARTNERA/*/ISA exists
    keys = [
        CounterKey("PARTNERA", "*", "ISA"),
        CounterKey("PARTNERA", "*", "GS"),
        CounterKey("PARTNERA", "271", "ST"),
        CounterKey("PARTNERA", "271", "ST"),  # asked twice, created once
    ]
    assert services.counters_ensure(keys=keys) == 2
    assert services.counters_ensure(keys=keys) == 0
    assert ControlNumberCounter.objects.count() == 3


def test_a_scope_changed_behind_the_cache_is_seen_once_the_cache_time_is_up(settings):
    from edi_platform.partners.models import TradingPartner

    settings.CONTROL_NUMBER_SCOPE_CACHE_SECONDS = 0.0
    TradingPartnerFactory(code="PARTNERT")
    assert _block("PARTNERT", counter_type="ISA") == [1]  # partner scope: PARTNERT/*/ISA
    # changed without the model's signals (a bulk update): only the cache time tells
    TradingPartner.objects.filter(code="PARTNERT").update(control_number_scope="transaction")
    assert _block("PARTNERT", counter_type="ISA") == [1]  # now PARTNERT/271/ISA
    assert ControlNumberCounter.objects.filter(transaction_type="271").exists()


def test_a_scope_changed_behind_the_cache_is_seen_by_the_very_next_allocation(settings):
    from edi_platform.partners.models import TradingPartner

    # However long commands may cache it: allocations confirm the scope in their statement.
    settings.CONTROL_NUMBER_SCOPE_CACHE_SECONDS = 3600.0
    TradingPartnerFactory(code="PARTNERT")
    assert _block("PARTNERT", counter_type="ISA") == [1]  # PARTNERT/*/ISA
    TradingPartner.objects.filter(code="PARTNERT").update(control_number_scope="transaction")
    env = _envelope(partner_code="PARTNERT")
    assert (env.isa13, env.gs06) == (1, 1)  # PARTNERT/271/ISA and /GS, new counters
    assert (
        ControlNumberCounter.objects.get(
            partner_code="PARTNERT", transaction_type="*", counter_type="ISA"
        ).current_value
        == 1
    )
    TradingPartner.objects.filter(code="PARTNERT").delete()
    with pytest.raises(UnknownPartner):
        _block("PARTNERT", counter_type="ISA")


# -- outside a transaction: the allocation commits itself (locks released before the flush) ---


def _session_setting(name: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_numbers_are_committed_and_the_session_keeps_its_commit_mode(
    partner,
):
    import psycopg
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")  # the test servers run with it off
    try:
        first = _envelope(st_count=2)
        second = _envelope()
        # off for the allocation's own commit only, never for the session
        assert _session_setting("synchronous_commit") == "on"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
    assert (second.isa13, second.gs06, second.st02s) == (2, 2, [3])
    # Another session sees them: committed by the time the call returned.
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]
    ) as other:
        rows = other.execute(
            "SELECT count(*) FROM controlnumbers_controlnumberaudit WHERE outbound_file_id = %s",
            [first.outbound_file_id],
        ).fetchone()
    assert rows == (4,)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_first_use_exhaustion_and_scope_changes_behave_the_same(partner):
    from edi_platform.partners.models import TradingPartner

    assert _block(count=3) == [1, 2, 3]  # counter created on first use, then allocated
    ControlNumberCounter.objects.filter(counter_type="ST").update(max_value=5)
    assert _block(count=2) == [4, 5]
    with pytest.raises(ControlNumberExhausted, match="0 number"):
        _block()
    assert ControlNumberAudit.objects.count() == 5
    TradingPartner.objects.filter(code="PARTNERA").update(control_number_scope="transaction")
    assert _block(counter_type="ISA") == [1]
    assert ControlNumberCounter.objects.filter(transaction_type="271", counter_type="ISA").exists()


def test_a_transaction_type_with_array_syntax_in_it_gets_its_own_counter(partner):
    # The counters reach the database as array literals: quoting keeps each element whole.
    odd = 'a,"b}\\'
    assert _block(transaction_type=odd, count=2) == [1, 2]
    assert (
        ControlNumberCounter.objects.get(transaction_type=odd, counter_type="ST").current_value == 2
    )


def test_an_envelope_names_the_one_counter_that_is_exhausted_in_and_out_of_a_transaction(
    partner,
):
    _envelope()
    ControlNumberCounter.objects.filter(counter_type="ST").update(max_value=10, current_value=8)
    message = (
        "counter PARTNERA/271/ST is exhausted: 2 number(s) left, 3 requested "
        "(reset or roll it over after coordinating with the partner)"
    )
    with pytest.raises(ControlNumberExhausted) as refused:
        _envelope(st_count=3)
    assert str(refused.value) == message
    # joining the caller's transaction: the same refusal
    with transaction.atomic(), pytest.raises(ControlNumberExhausted) as refused:
        _envelope(st_count=3)
    assert str(refused.value) == message
    assert ControlNumberAudit.objects.count() == 3  # the first envelope's only
    ControlNumberCounter.objects.filter(counter_type="ISA").update(max_value=2, current_value=2)
    with pytest.raises(ControlNumberExhausted) as refused:
        _envelope(st_count=1)
    # the ISA counter is the partner's (scope "partner"): one for every transaction type
    assert str(refused.value).startswith("counter PARTNERA/*/ISA is exhausted: 0 number(s)")


def test_a_request_is_refused_before_anything_when_it_repeats_a_counter_or_asks_for_none(
    partner,
):
    from controlnumbers.services.allocation import _allocate

    with pytest.raises(ValueError) as refused:
        _allocate(
            partner_code="PARTNERA",
            transaction_type="271",
            requests=[("ST", 1), ("ST", 2)],
            outbound_file_id=uuid.uuid4(),
            file_name="",
            actor="system",
        )
    assert str(refused.value) == "each counter may be requested once per allocation"
    for count in (0, -1):
        with pytest.raises(ValueError) as refused:
            _block(count=count)
        assert str(refused.value) == "count must be >= 1"
    assert not ControlNumberCounter.objects.exists()
    assert not ControlNumberAudit.objects.exists()


def _allocation_metric(name: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name) or 0.0


@pytest.mark.django_db(transaction=True)
def test_the_metrics_count_each_retry_and_the_elapsed_time_and_no_retry_inside_a_transaction(
    partner, monkeypatch
):
    _envelope()
    retries = "edi_allocation_retries_total"
    seconds = "edi_allocation_seconds_sum"
    before = _allocation_metric(retries), _allocation_metric(seconds)
    real = allocation._allocate_once_postgresql
    _fail_once_with_a_serialization_failure(monkeypatch)
    _envelope()
    assert _allocation_metric(retries) == before[0] + 1
    elapsed = _allocation_metric(seconds) - before[1]
    # the time the allocation took, not a clock reading (perf_counter + started is ~2x uptime)
    assert 0 < elapsed < 60
    # inside a caller's transaction nothing is retried here, so nothing is counted
    monkeypatch.setattr(allocation, "_allocate_once_postgresql", real)
    with transaction.atomic():
        _envelope()
    assert _allocation_metric(retries) == before[0] + 1


def test_an_allocation_gives_up_by_name_after_four_attempts_when_the_scope_keeps_changing(
    partner, monkeypatch
):
    # the scope it is given never matches the partner's (another process changes it between
    # every read): each attempt allocates nothing, forgets the cached scope and tries again
    asked = []

    def changing(partner_code: str) -> str:
        asked.append(partner_code)
        return "transaction"  # the partner's scope is "partner"

    monkeypatch.setattr(allocation, "_allocation_scope", changing)
    with pytest.raises(services.ControlNumberError) as gave_up:
        _envelope()
    assert str(gave_up.value) == "partner 'PARTNERA': allocation kept changing"
    assert asked == ["PARTNERA"] * 4
    assert not ControlNumberAudit.objects.exists()


def test_a_partner_is_read_once_and_its_scope_kept_for_later_allocations(partner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _envelope()
    with CaptureQueriesContext(connection) as later:
        second = _envelope()
    assert (second.isa13, second.gs06) == (2, 2)
    assert not [q for q in later.captured_queries if "partners_tradingpartner" in q["sql"]]


def test_an_unknown_partner_is_named_in_the_error(partner):
    with pytest.raises(UnknownPartner) as unknown:
        _envelope(partner_code="NOPE")
    assert str(unknown.value) == "no trading partner with code 'NOPE'"


@pytest.mark.django_db(transaction=True)
def test_a_session_with_autocommit_off_gets_numbers_in_its_open_transaction(partner):
    from django.db import connection

    _envelope()
    transaction.set_autocommit(False)
    try:
        # no atomic block, but a transaction is open: the allocation joins it and the
        # session's rollback takes the numbers back (no commit of its own inside it)
        env = _envelope()
        assert env.isa13 == 2
        transaction.rollback()
    finally:
        transaction.set_autocommit(True)
    assert connection.get_autocommit()
    assert _envelope().isa13 == 2


def test_a_scope_read_for_commands_is_kept_for_the_cache_time_and_read_again_when_it_ends(
    partner, settings, monkeypatch
):
    import time
    from types import SimpleNamespace

    from controlnumbers.domain import CounterKey
    from edi_platform.partners.models import TradingPartner

    clock = [1000.0]
    # the module's clock only (the connection pool keeps the real one)
    monkeypatch.setattr(
        allocation,
        "time",
        SimpleNamespace(monotonic=lambda: clock[0], perf_counter=time.perf_counter),
    )
    settings.CONTROL_NUMBER_SCOPE_CACHE_SECONDS = 0.5
    assert services.partner_scope(partner_code="PARTNERA") == "partner"
    # changed without the model's signals (a bulk update): only the cache time tells
    TradingPartner.objects.filter(code="PARTNERA").update(control_number_scope="transaction")
    clock[0] += 0.25
    assert services.partner_scope(partner_code="PARTNERA") == "partner"
    isa = {"partner_code": "PARTNERA", "transaction_type": "999", "counter_type": "ISA"}
    assert services.resolve_counter_key(**isa) == CounterKey("PARTNERA", "*", "ISA")
    clock[0] += 0.25  # the cache time is up exactly now
    assert services.partner_scope(partner_code="PARTNERA") == "transaction"
    assert services.resolve_counter_key(**isa) == CounterKey("PARTNERA", "999", "ISA")
    # no cache time: every read goes to the partner
    settings.CONTROL_NUMBER_SCOPE_CACHE_SECONDS = 0.0
    TradingPartner.objects.filter(code="PARTNERA").update(control_number_scope="partner")
    services.scope_cache_clear()
    assert services.partner_scope(partner_code="PARTNERA") == "partner"
    TradingPartner.objects.filter(code="PARTNERA").update(control_number_scope="transaction")
    assert services.partner_scope(partner_code="PARTNERA") == "transaction"
    with pytest.raises(UnknownPartner) as unknown:
        services.partner_scope(partner_code="NOPE")
    assert str(unknown.value) == "no trading partner with code 'NOPE'"


def _rows(env: EnvelopeNumbers) -> set[tuple[str, str, str]]:
    rows = ControlNumberAudit.objects.filter(outbound_file_id=env.outbound_file_id)
    return set(rows.values_list("status", "file_name", "notes"))


def test_mark_persisted_moves_only_its_own_files_rows_and_without_a_name_keeps_the_old_one(
    partner,
):
    mine = _envelope(file_name="given-at-allocation.x12")
    other = _envelope(file_name="other.x12")
    assert numbers_mark_persisted(outbound_file_id=mine.outbound_file_id) == 3
    # no file name and no note given: the names and notes the rows had are kept
    assert _rows(mine) == {(AuditStatus.PERSISTED, "given-at-allocation.x12", "")}
    assert _rows(other) == {(AuditStatus.ISSUED, "other.x12", "")}
    # and the counters keep the latest file they were told of
    names = set(ControlNumberCounter.objects.values_list("last_file_name", flat=True))
    assert names == {"other.x12"}
    # persisted without a name, the file holding the counters' latest numbers leaves them be
    assert numbers_mark_persisted(outbound_file_id=other.outbound_file_id) == 3
    names = set(ControlNumberCounter.objects.values_list("last_file_name", flat=True))
    assert names == {"other.x12"}


def test_a_counter_records_a_persisted_file_only_when_its_latest_number_is_in_that_file(
    partner,
):
    from controlnumbers.services import counter_reset

    older = _envelope(st_count=3)  # ISA 1, GS 1, ST 1-3
    newer = _envelope()  # ISA 2, GS 2, ST 4: the ISA counter stands at one of older's ST02s
    # another partner's counters stand at the same values as the older file's numbers
    TradingPartnerFactory(code="PARTNERB")
    _envelope(partner_code="PARTNERB")
    numbers_mark_persisted(outbound_file_id=older.outbound_file_id, file_name="older.x12")
    # the counters' latest numbers are the newer file's: the older name is not recorded
    assert set(ControlNumberCounter.objects.values_list("last_file_name", flat=True)) == {""}
    numbers_mark_persisted(outbound_file_id=newer.outbound_file_id, file_name="newer.x12")
    latest = set(ControlNumberCounter.objects.values_list("partner_code", "last_file_name"))
    assert latest == {("PARTNERA", "newer.x12"), ("PARTNERB", "")}
    # a rollover to a new epoch that reaches the same value again: ISA 3 of the new epoch
    # is not the pending file's ISA 3 of the old one
    pending = _envelope()
    assert pending.isa13 == 3
    isa = ControlNumberCounter.objects.get(partner_code="PARTNERA", counter_type="ISA")
    counter_reset(
        counter_id=isa.pk, new_value=0, reason="rollover", acting_user=None, rollover=True
    )
    assert [_envelope().isa13 for _ in range(3)] == [1, 2, 3]
    numbers_mark_persisted(outbound_file_id=pending.outbound_file_id, file_name="pending.x12")
    isa.refresh_from_db()
    assert (isa.current_value, isa.last_file_name) == (3, "newer.x12")


def test_mark_persisted_leaves_reissued_rows_as_they_are(partner):
    env = _envelope()
    numbers_reissue(outbound_file_id=env.outbound_file_id, note="recovered")
    assert numbers_mark_persisted(outbound_file_id=env.outbound_file_id, file_name="r.x12") == 0
    statuses = ControlNumberAudit.objects.filter(outbound_file_id=env.outbound_file_id)
    assert set(statuses.values_list("status", "file_name")) == {(AuditStatus.REISSUED, "")}


def test_mark_failed_records_the_reason_and_a_file_name_and_refuses_no_reason_by_name(partner):
    env = _envelope()
    for reason in (None, "", "  "):
        with pytest.raises(ValueError) as refused:
            numbers_mark_failed(outbound_file_id=env.outbound_file_id, reason=reason)
        assert str(refused.value) == "a reason is required"
    assert _rows(env) == {(AuditStatus.ISSUED, "", "")}
    numbers_mark_failed(outbound_file_id=env.outbound_file_id, reason=" disk full ")
    assert _rows(env) == {(AuditStatus.FAILED, "", "disk full")}
    named = _envelope()
    numbers_mark_failed(outbound_file_id=named.outbound_file_id, reason="x", file_name="n.x12")
    assert _rows(named) == {(AuditStatus.FAILED, "n.x12", "x")}


def test_mark_failed_moves_only_issued_numbers(partner):
    sent = _envelope()
    numbers_mark_persisted(outbound_file_id=sent.outbound_file_id, file_name="sent.x12")
    assert numbers_mark_failed(outbound_file_id=sent.outbound_file_id, reason="late") == 0
    assert _rows(sent) == {(AuditStatus.PERSISTED, "sent.x12", "")}


def test_a_reissue_appends_its_note_to_what_happened_before(partner):
    failed = _envelope()
    numbers_mark_failed(outbound_file_id=failed.outbound_file_id, reason="disk full")
    numbers_reissue(outbound_file_id=failed.outbound_file_id)
    assert _rows(failed) == {(AuditStatus.REISSUED, "", "disk full | reissued")}
    noted = _envelope()
    numbers_mark_failed(outbound_file_id=noted.outbound_file_id, reason="disk full")
    numbers_reissue(outbound_file_id=noted.outbound_file_id, note="by ops")
    assert _rows(noted) == {(AuditStatus.REISSUED, "", "disk full | by ops")}
    interrupted = _envelope()
    numbers_reissue(outbound_file_id=interrupted.outbound_file_id)
    assert _rows(interrupted) == {
        (AuditStatus.REISSUED, "", "attempt did not complete; numbers reissued | reissued")
    }


def test_a_reissue_refused_names_the_file(partner):
    sent = _envelope()
    numbers_mark_persisted(outbound_file_id=sent.outbound_file_id)
    with pytest.raises(services.ControlNumberError) as refused:
        numbers_reissue(outbound_file_id=sent.outbound_file_id)
    assert str(refused.value) == (
        f"file {sent.outbound_file_id} was already persisted: its numbers are not reissued"
    )
    unknown = uuid.uuid4()
    with pytest.raises(NumbersNotFound) as missing:
        numbers_reissue(outbound_file_id=unknown)
    assert str(missing.value) == f"no control numbers allocated to file {unknown}"
