"""Reset / rollover service: reason, permission, epochs, refusal to re-issue numbers."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from controlnumbers.models import AuditStatus, ControlNumberAudit, ControlNumberCounter
from controlnumbers.services import ResetRefused, counter_reset
from tests.controlnumbers.helpers import envelope
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter():
    TradingPartnerFactory(code="PARTNERA")
    for _ in range(10):
        envelope()
    return ControlNumberCounter.objects.get(partner_code="PARTNERA", counter_type="ISA")


@pytest.fixture
def operator(django_user_model):
    user = django_user_model.objects.create_user("operator", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="reset_counter"))
    return django_user_model.objects.get(id=user.id)  # fresh permission cache


def test_reset_below_current_is_refused_without_rollover(counter, operator):
    with pytest.raises(ResetRefused, match="re-issue numbers 6–10"):
        counter_reset(counter_id=counter.id, new_value=5, reason="oops", acting_user=operator)
    counter.refresh_from_db()
    assert (counter.current_value, counter.epoch) == (10, 1)
    assert not ControlNumberAudit.objects.filter(status=AuditStatus.RESET).exists()


def test_explicit_rollover_starts_a_new_epoch_with_a_reset_row(counter, operator):
    row = counter_reset(
        counter_id=counter.id,
        new_value=5,
        reason="partner asked",
        acting_user=operator,
        rollover=True,
    )
    counter.refresh_from_db()
    assert (counter.current_value, counter.epoch) == (5, 2)
    assert (row.status, row.number, row.epoch, row.actor) == ("RESET", 5, 2, "operator")
    assert "partner asked" in row.notes and "rollover" in row.notes
    # Number 6 again, now in epoch 2: the database allows it, once.
    assert envelope().isa13 == 6


def test_forward_reset_needs_no_rollover(counter, operator):
    counter_reset(counter_id=counter.id, new_value=10, reason="new epoch", acting_user=operator)
    counter_reset(counter_id=counter.id, new_value=50, reason="skip ahead", acting_user=operator)
    assert envelope().isa13 == 51


def test_reset_needs_a_reason(counter, operator):
    with pytest.raises(ResetRefused, match="reason"):
        counter_reset(counter_id=counter.id, new_value=20, reason="  ", acting_user=operator)


def test_reset_refused_without_the_permission(counter, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    with pytest.raises(PermissionDenied):
        counter_reset(counter_id=counter.id, new_value=20, reason="try", acting_user=clerk)
    counter.refresh_from_db()
    assert counter.current_value == 10


def test_reset_value_must_fit_the_counter(counter, operator):
    with pytest.raises(ResetRefused):
        counter_reset(
            counter_id=counter.id, new_value=1_000_000_000, reason="x", acting_user=operator
        )


def test_command_line_reset_is_recorded_with_a_cli_actor(counter):
    row = counter_reset(counter_id=counter.id, new_value=10, reason="cron", acting_user=None)
    assert row.actor.startswith("cli")


def test_reset_to_exactly_one_below_current_is_refused_and_to_current_is_allowed(counter, operator):
    # current - 1 would re-issue exactly one number: still a re-issue
    with pytest.raises(ResetRefused, match="re-issue numbers 10–10"):
        counter_reset(counter_id=counter.id, new_value=9, reason="one short", acting_user=operator)
    row = counter_reset(counter_id=counter.id, new_value=10, reason="same", acting_user=operator)
    counter.refresh_from_db()
    assert (row.number, counter.current_value, counter.epoch) == (10, 10, 2)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_missing_or_blank_reason_is_refused_by_name(counter, operator, reason):
    with pytest.raises(ResetRefused) as refused:
        counter_reset(counter_id=counter.id, new_value=20, reason=reason, acting_user=operator)
    assert str(refused.value) == "a reason is required"
    counter.refresh_from_db()
    assert counter.current_value == 10


def test_the_reset_row_says_what_happened_and_anchors_the_epoch_s_seq(counter, operator):
    issued = counter.issued_count
    assert issued == 10
    row = counter_reset(counter_id=counter.id, new_value=20, reason="skip", acting_user=operator)
    assert row.notes == "reset from 10 (epoch 1) to 20: skip"
    assert (row.seq, row.outbound_file_id) == (issued, None)
    again = counter_reset(
        counter_id=counter.id, new_value=3, reason="told", acting_user=operator, rollover=True
    )
    assert again.notes == "rollover from 20 (epoch 2) to 3: told"
    envelope()
    nxt = ControlNumberAudit.objects.get(counter=counter, epoch=3, number=4)
    assert nxt.seq == again.seq + 1  # the next row of the epoch follows its anchor


def test_refusals_say_why_in_words(counter, operator, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    with pytest.raises(PermissionDenied) as denied:
        counter_reset(counter_id=counter.id, new_value=20, reason="try", acting_user=clerk)
    assert str(denied.value) == (
        "resetting a counter needs the permission controlnumbers.reset_counter"
    )
    with pytest.raises(ResetRefused) as too_big:
        counter_reset(counter_id=counter.id, new_value=-1, reason="x", acting_user=operator)
    assert str(too_big.value) == "the new value must be between 0 and 999,999,999"
    with pytest.raises(ResetRefused) as reissue:
        counter_reset(counter_id=counter.id, new_value=8, reason="x", acting_user=operator)
    assert str(reissue.value) == (
        f"counter {counter}: setting 8 would re-issue numbers 9–10 of epoch 1; choose a value "
        ">= the current one, or an explicit rollover after coordinating with the partner"
    )


def test_a_reset_to_exactly_the_max_value_is_allowed(counter, operator):
    row = counter_reset(
        counter_id=counter.id, new_value=counter.max_value, reason="end", acting_user=operator
    )
    counter.refresh_from_db()
    assert row.number == counter.current_value == 999_999_999


def test_a_reset_is_logged_as_a_warning_naming_counter_values_epoch_and_operator(
    counter, operator, caplog
):
    with caplog.at_level(logging.WARNING, logger="controlnumbers.services.reset"):
        counter_reset(counter_id=counter.id, new_value=20, reason="skip", acting_user=operator)
    (record,) = [r for r in caplog.records if r.name == "controlnumbers.services.reset"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"control-number counter {counter} reset from 10 to 20 (epoch 2) by operator"
    )
