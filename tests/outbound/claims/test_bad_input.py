"""Bad input: a claim whose set the 999 accepted but whose data the registry cannot use is
rejected with a status code that says what to fix, its reason on the row; a handler that
fails marks its set FAILED with a reason that names no data, and Reprocess records it then,
without duplicating anything; logs carry ids and counts only."""

from __future__ import annotations

import logging

import pytest

from eventstore.inbound.services.reprocess import batch_reprocess
from eventstore.models import TransactionBatch, TransactionHeader
from outbound.claims import services
from outbound.models import Claim, ClaimStatus, ProcessingOutcome
from tests.support.synthetic_837 import Claim as C
from tests.support.synthetic_837 import Line, Person, Provider

pytestmark = pytest.mark.django_db


def test_an_amount_the_registry_cannot_hold_is_rejected_with_what_to_fix(world):
    world.enrol()
    huge = "9999999999999999"  # 16 digits: a valid X12 amount, beyond any claim we record
    claim = C(pcn="HUGE", charge=huge, lines=[Line(charge=huge)])
    result = world.send("P", [Provider(claims=[claim])])
    assert result.status == "ACCEPTED"
    (row,) = world.claims(result)
    assert row.status == ClaimStatus.REJECTED and row.total_charge is None
    assert [r[0] for r in row.reasons] == ["CHARGE_UNUSABLE"]
    assert "A7:178" in row.reason and "total claim charge amount" in row.reason
    segs = world.ack(result).claims()["HUGE"]
    assert next(s.get(1) for s in segs if s.id == "STC") == "A7:178"
    assert next(s.get(4) for s in segs if s.id == "STC") == "0"  # STC04 stays a number


def test_a_failing_handler_marks_its_set_failed_without_data_and_reprocess_records_it_once(
    world, monkeypatch, caplog, settings
):
    world.enrol()
    settings.INBOUND_SINGLE_TRANSACTION_MAX_BYTES = 0  # two phases: a set fails on its own
    real = services.read_837
    calls = {"n": 0}

    def failing(text, delimiters):
        calls["n"] += 1
        if "FAILME" in text:
            raise ValueError("could not read DOE JANE SUB0001")  # text with PHI in it
        return real(text, delimiters)

    monkeypatch.setattr(services, "read_837", failing)
    caplog.set_level(logging.INFO)
    result = world.send(
        "P", [Provider(claims=[C(pcn="OK1")])], [Provider(claims=[C(pcn="FAILME")])]
    )
    headers = {h.st02: h for h in TransactionHeader.objects.filter(batch_id=result.batch)}
    assert headers["0001"].routing_status == "ROUTED"
    failed = headers["0002"]
    assert failed.routing_status == "FAILED"
    assert failed.routing_result == "handler failed (ValueError); retry with Reprocess"
    assert [c.patient_control_number for c in world.claims(result)] == ["OK1"]
    for text in ("DOE", "JANE", "SUB0001", "FAILME"):
        assert text not in caplog.text

    monkeypatch.setattr(services, "read_837", real)
    batch_reprocess(batch_id=result.batch, acting_user=None)
    assert TransactionHeader.objects.get(pk=failed.pk).routing_status == "ROUTED"
    rows = world.claims(result)
    assert sorted(c.patient_control_number for c in rows) == ["FAILME", "OK1"]
    assert (
        ProcessingOutcome.objects.filter(batch_id=result.batch, response_type="277CA").count() == 2
    )
    # nothing to reprocess any more, and nothing recorded twice
    assert Claim.objects.filter(batch_id=result.batch).count() == 2
    assert TransactionBatch.objects.get(pk=result.batch).status == "ACCEPTED"


def test_logs_carry_ids_and_counts_only(world, caplog):
    world.enrol()
    caplog.set_level(logging.DEBUG, logger="outbound")
    world.send("P", [Provider(claims=[C(pcn="PCNSECRET", subscriber=Person(last="ZZLOGLAST"))])])
    assert "837 chunk of 1 sets" in caplog.text
    assert "ZZLOGLAST" not in caplog.text and "PCNSECRET" not in caplog.text
