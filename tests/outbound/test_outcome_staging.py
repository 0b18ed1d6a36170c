"""Staging owed responses: due after the batch window, once per dedupe key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outbound.models import BatchWindow, OutcomeStatus
from outbound.services.outcomes import outcome_stage
from tests.factories import TradingPartnerFactory

pytestmark = pytest.mark.django_db


def test_migration_seeds_the_default_batch_windows_idempotently():
    # Transactional tests elsewhere flush tables, so run the data migration's own function
    # on an empty table rather than trusting what is left in this worker's database.
    from importlib import import_module

    from django.apps import apps

    seed = import_module("outbound.migrations.0002_seed_batch_windows").seed
    BatchWindow.objects.all().delete()
    seed(apps, None)
    seed(apps, None)
    windows = dict(BatchWindow.objects.values_list("response_type", "window_minutes"))
    assert windows == {"TA1": 0, "271": 2, "999": 5, "277CA": 60, "835": 1440}
    assert set(BatchWindow.objects.values_list("max_batch_size", flat=True)) == {100}


def test_outcome_is_due_after_its_window_and_staged_once():
    partner = TradingPartnerFactory()
    outcome, created = outcome_stage(
        partner=partner, response_type="999", payload={"ak9": "A"}, dedupe_key="b1:999:1:1"
    )
    assert created and outcome.status == OutcomeStatus.PENDING
    assert outcome.due_at - outcome.created_at == timedelta(minutes=5)
    again, created = outcome_stage(
        partner=partner, response_type="999", payload={"ak9": "R"}, dedupe_key="b1:999:1:1"
    )
    assert not created and again.pk == outcome.pk and again.payload == {"ak9": "A"}


def test_edited_window_changes_due_time():
    BatchWindow.objects.update_or_create(response_type="999", defaults={"window_minutes": 30})
    outcome, _ = outcome_stage(
        partner=TradingPartnerFactory(), response_type="999", payload={}, dedupe_key="k"
    )
    assert outcome.due_at - outcome.created_at == timedelta(minutes=30)


def test_a_payload_encoded_already_is_stored_as_the_same_json():
    from outbound.models import ProcessingOutcome

    partner = TradingPartnerFactory()
    content = {"type": "999", "sets": [{"ak2": ["837", "0001", ""], "ik5": ["A"]}], "n": 1}
    outcome, created = outcome_stage(
        partner=partner,
        response_type="999",
        payload=b'{"type":"999","sets":[{"ak2":["837","0001",""],"ik5":["A"]}],"n":1}',
        dedupe_key="b2:999:1:1",
        st02s=["0001"],
    )
    assert created
    assert outcome.payload == content  # read back from the row
    stored = ProcessingOutcome.objects.get(pk=outcome.pk)
    assert (stored.payload, stored.st02s) == (content, ["0001"])
