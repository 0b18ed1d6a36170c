"""Scheduled checks: findings become deduplicated Alert rows, resolved when they go away."""

from __future__ import annotations

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
