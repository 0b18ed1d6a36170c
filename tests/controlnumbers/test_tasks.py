"""Scheduled checks: findings become deduplicated Alert rows, resolved when they go away."""

from __future__ import annotations

import uuid

import pytest

from controlnumbers.models import ControlNumberAlert, ControlNumberCounter
from controlnumbers.services import numbers_mark_failed
from controlnumbers.tasks import gap_check, rollover_check
from edi_platform.core.schedules import DEFAULT_SCHEDULES
from tests.controlnumbers.helpers import envelope, lose_numbers
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def partner():
    TradingPartnerFactory(code="PARTNERA")


def test_checks_are_on_the_default_schedule():
    schedules = {s.task: s.every_seconds for s in DEFAULT_SCHEDULES}
    assert schedules["controlnumbers.tasks.gap_check"] == 15 * 60
    assert schedules["controlnumbers.tasks.rollover_check"] == 60 * 60


def test_gap_check_raises_one_alert_per_gap_and_deduplicates(caplog):
    envelope()
    lose_numbers("ISA", 6)
    envelope()
    assert gap_check.delay(days=30).get() == {"raised": 1, "refreshed": 0, "resolved": 0}
    assert "gap" in caplog.text and "CRITICAL" in caplog.text
    assert gap_check.delay().get() == {"raised": 0, "refreshed": 1, "resolved": 0}
    alert = ControlNumberAlert.objects.get()
    assert (alert.severity, alert.occurrences, alert.kind) == ("CRITICAL", 2, "gap")
    assert alert.counter.counter_type == "ISA"
    assert alert.last_seen >= alert.first_seen
    assert "unexplained gap of 6" in alert.message


def test_documented_gap_alerts_are_minor_and_resolve_when_the_gap_closes():
    envelope()
    failed = envelope()
    envelope()
    numbers_mark_failed(outbound_file_id=failed.outbound_file_id, reason="x")
    gap_check()
    assert set(ControlNumberAlert.objects.values_list("severity", flat=True)) == {"MINOR"}
    from controlnumbers.services import numbers_reissue

    numbers_reissue(outbound_file_id=failed.outbound_file_id)
    assert gap_check()["resolved"] == 3
    assert not ControlNumberAlert.objects.filter(resolved_at__isnull=True).exists()


def test_rollover_check_warns_then_escalates(settings):
    envelope()
    ControlNumberCounter.objects.filter(counter_type="ISA").update(current_value=910_000_000)
    assert rollover_check()["raised"] == 1
    alert = ControlNumberAlert.objects.get()
    assert (alert.severity, alert.kind) == ("WARNING", "utilization")
    ControlNumberCounter.objects.filter(counter_type="ISA").update(current_value=960_000_000)
    rollover_check()
    alert.refresh_from_db()
    assert (alert.severity, alert.occurrences) == ("CRITICAL", 2)
    settings.CONTROL_NUMBER_WARNING_PERCENT = 97
    settings.CONTROL_NUMBER_CRITICAL_PERCENT = 99
    assert rollover_check()["resolved"] == 1


# -- alerts_sync: what a check's findings do to the open alerts ------------------------------
def test_a_finding_seen_again_refreshes_its_alert_with_the_new_severity_message_and_time():
    from controlnumbers.services.alerts import Finding, alerts_sync

    first = alerts_sync(
        kind="gap",
        findings=[Finding("k1", "MINOR", "y" * 600), Finding("k2", "MINOR", "two")],
    )
    assert (first.raised, first.refreshed, first.resolved) == (2, 0, 0)
    assert ControlNumberAlert.objects.get(key="k1").message == "y" * 500
    seen = ControlNumberAlert.objects.get(key="k1").last_seen
    again = alerts_sync(
        kind="gap",
        findings=[Finding("k1", "CRITICAL", "x" * 600), Finding("k2", "MINOR", "two again")],
    )
    # both refreshed (each counted), none raised again
    assert (again.raised, again.refreshed, again.resolved) == (0, 2, 0)
    k1 = ControlNumberAlert.objects.get(key="k1")
    assert (k1.severity, k1.message, k1.occurrences) == ("CRITICAL", "x" * 500, 2)
    assert k1.first_seen == seen and k1.last_seen > seen
    assert ControlNumberAlert.objects.get(key="k2").message == "two again"


def test_a_finding_back_after_its_alert_resolved_raises_a_new_alert_and_leaves_the_old_one():
    from controlnumbers.services.alerts import Finding, alerts_sync

    alerts_sync(kind="gap", findings=[Finding("k1", "MINOR", "one")])
    alerts_sync(kind="gap", findings=[Finding("k1", "MINOR", "one")])
    gone = alerts_sync(kind="gap", findings=[])
    assert gone.resolved == 1
    back = alerts_sync(kind="gap", findings=[Finding("k1", "MODERATE", "back")])
    assert (back.raised, back.refreshed) == (1, 0)
    old, new = ControlNumberAlert.objects.filter(key="k1").order_by("first_seen")
    assert (old.occurrences, old.message, old.resolved_at is not None) == (2, "one", True)
    assert (new.occurrences, new.message, new.resolved_at) == (1, "back", None)


@pytest.mark.django_db(transaction=True)
def test_an_alert_raised_by_another_run_at_the_same_moment_is_refreshed_not_duplicated():
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from controlnumbers.services.alerts import Finding, alerts_sync
    from tests.support.pg import other_session

    earlier = timezone.now() - timedelta(hours=1)
    raced = []
    # an open alert refreshed the ordinary way, and a resolved one under the raced key
    alerts_sync(kind="gap", findings=[Finding("k0", "MINOR", "open"), Finding("k1", "MINOR", "a")])
    alerts_sync(kind="gap", findings=[Finding("k0", "MINOR", "open")])
    gone = ControlNumberAlert.objects.get(key="k1")

    def other_run_first(execute, sql, params, many, context):
        # another run of the check commits the same alert between our UPDATE (found none)
        # and our INSERT: the unique open-key index refuses ours
        if sql.startswith('INSERT INTO "controlnumbers_controlnumberalert"') and not raced:
            raced.append(sql)
            with other_session() as other:
                other.execute(
                    "INSERT INTO controlnumbers_controlnumberalert (kind, key, severity, "
                    "message, first_seen, last_seen, occurrences) VALUES "
                    "('gap', 'k1', 'MINOR', 'theirs', %s, %s, 1)",
                    [earlier, earlier],
                )
        return execute(sql, params, many, context)

    with connection.execute_wrapper(other_run_first):
        result = alerts_sync(
            kind="gap",
            findings=[
                Finding("k0", "MINOR", "open"),
                Finding("k1", "CRITICAL", "mine"),
                Finding("k2", "MINOR", "new"),
            ],
        )
    assert len(raced) == 1
    # k0 refreshed, k1 refreshed after the race, k2 raised after it
    assert (result.raised, result.refreshed, result.resolved) == (1, 2, 0)
    alert = ControlNumberAlert.objects.get(key="k1", resolved_at__isnull=True)
    assert (alert.message, alert.occurrences) == ("theirs", 2)
    assert alert.last_seen > earlier and alert.first_seen == earlier
    # only the raced alert is touched: not the other open one, not the resolved one
    assert ControlNumberAlert.objects.get(key="k0").occurrences == 3
    resolved = ControlNumberAlert.objects.get(pk=gone.pk)
    assert (resolved.occurrences, resolved.last_seen) == (1, gone.last_seen)


def test_a_documented_gap_is_minor_however_large_and_an_unexplained_one_keeps_its_severity():
    from controlnumbers.services import gap_alerts_refresh

    envelope()
    failed = envelope(st_count=7)  # a documented gap of 7 ST02s: CRITICAL by size
    envelope()
    numbers_mark_failed(outbound_file_id=failed.outbound_file_id, reason="x")
    lose_numbers("ISA", 6)
    envelope()
    gap_alerts_refresh()
    found = set(ControlNumberAlert.objects.values_list("key", "severity"))
    assert {severity for key, severity in found if key.endswith(":documented")} == {"MINOR"}
    assert {severity for key, severity in found if key.endswith(":unexplained")} == {"CRITICAL"}


def test_the_gap_check_looks_back_thirty_days_by_default():
    from datetime import timedelta

    from django.utils import timezone

    from controlnumbers.models import ControlNumberAudit
    from controlnumbers.services import gap_alerts_refresh

    counter = ControlNumberCounter.objects.create(
        partner_code="PARTNERA", transaction_type="*", counter_type="ISA", current_value=3
    )
    # numbers 1 and 3 issued 30 days and 12 hours ago (2 missing): outside the default window
    issued = timezone.now() - timedelta(days=30, hours=12)
    for number in (1, 3):
        ControlNumberAudit.objects.create(
            counter=counter, number=number, epoch=1, outbound_file_id=uuid.uuid4(), issued_at=issued
        )
    assert gap_alerts_refresh().raised == 0
    assert gap_alerts_refresh(days=31).raised == 1


def test_a_rollover_alert_names_its_counter_and_what_to_do():
    envelope()
    ControlNumberCounter.objects.filter(counter_type="ISA").update(current_value=910_000_000)
    rollover_check()
    alert = ControlNumberAlert.objects.get()
    isa = ControlNumberCounter.objects.get(counter_type="ISA")
    assert alert.counter_id == isa.pk and alert.key == f"utilization:{isa.pk}:{isa.epoch}"
    assert alert.message == (
        "PARTNERA/*/ISA at 91.0 % of max (89,999,999 left): plan a rollover with the partner"
    )


def test_alerts_raised_and_resolved_are_logged_by_key_at_their_level_per_kind(caplog):
    from controlnumbers.services.alerts import Finding, alerts_sync

    with caplog.at_level("INFO", logger="controlnumbers.services.alerts"):
        raised = alerts_sync(
            kind="gap",
            findings=[Finding("g1", "CRITICAL", "big gap"), Finding("g2", "MODERATE", "gap")],
        )
        alerts_sync(kind="utilization", findings=[Finding("u1", "WARNING", "91 %")])
        first = ControlNumberAlert.objects.get(key="g2")
        gaps_gone = alerts_sync(kind="gap", findings=[Finding("g1", "CRITICAL", "big gap")])
        again = alerts_sync(kind="gap", findings=[Finding("g1", "CRITICAL", "big gap")])
    assert raised.raised == 2
    # a check resolves only its own kind's alerts, and each once
    assert (gaps_gone.resolved, again.resolved) == (1, 0)
    assert ControlNumberAlert.objects.get(key="u1").resolved_at is None
    resolved = ControlNumberAlert.objects.get(key="g2")
    assert resolved.resolved_at is not None and resolved.last_seen == first.last_seen
    records = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.endswith("alerts")]
    assert records == [
        ("ERROR", "control-number alert g1 [CRITICAL]: big gap"),
        ("WARNING", "control-number alert g2 [MODERATE]: gap"),
        ("WARNING", "control-number alert u1 [WARNING]: 91 %"),
        ("INFO", "control-number alert g2 resolved"),
    ]
