"""Staging owed responses: due after the batch window, once per dedupe key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outbound.models import BatchWindow, OutcomeStatus, ProcessingOutcome
from outbound.services.outcomes import OwedOutcome, outcome_stage, outcomes_stage_many
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


def test_many_outcomes_in_one_statement_each_staged_once():
    partner = TradingPartnerFactory()
    owed = [
        OwedOutcome(
            partner_id=partner.pk,
            dedupe_key=f"many:{n}",
            payload=b'{"type":"277CA","n":%d,"text":"tab\\there \\\\ back"}' % n,
            isa13="000000001",
            gs06="7",
            st02s=(f"{n:04d}",),
        )
        for n in range(3)
    ]
    first = outcomes_stage_many(response_type="277CA", owed=owed[:2])
    assert [created for _, created in first.values()] == [True, True]
    again = outcomes_stage_many(response_type="277CA", owed=owed)
    assert again["many:0"] == (first["many:0"][0], False)
    assert again["many:2"][1] is True
    rows = ProcessingOutcome.objects.filter(dedupe_key__startswith="many:").order_by("id")
    assert rows.count() == 3
    one = rows.first()
    assert one.payload == {"type": "277CA", "n": 0, "text": "tab\there \\ back"}
    assert (one.st02s, one.gs06, one.status) == (["0000"], "7", OutcomeStatus.PENDING)
    assert round((one.due_at - one.created_at).total_seconds() / 60) == 60  # its window
