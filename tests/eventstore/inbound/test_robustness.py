"""Damaged files through the whole ingest service: never an exception, always a final status,
the raw bytes kept, every set accounted for and every staged answer renderable."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_platform.x12 import (
    Delimiters,
    EnvelopeParams,
    render_999_interchange,
    render_ta1_interchange,
    validate_envelope,
)
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.inbound.storage import inbound_storage
from eventstore.models import BatchStatus, RoutingStatus, TransactionBatch, TransactionHeader
from outbound.models import ProcessingOutcome
from tests.edi_platform.x12.mutations import mutations_of
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.eventstore.inbound.samples import onboard_partner, sample

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]

BASES = [sample(), sample("837p_valid.x12")]
FINAL = {s.value for s in BatchStatus} - {BatchStatus.RECEIVED}
ENV = EnvelopeParams(
    sender_qualifier="ZZ",
    sender_id="EDIPLATFORM",
    receiver_qualifier="ZZ",
    receiver_id="SYNTHSENDER",
    sender_gs_code="EDIPLATFORM",
    receiver_gs_code="SYNTHSENDER",
    usage_indicator="T",
    delimiters=Delimiters(),
    isa13=1,
    gs06=1,
    timestamp=datetime(2026, 1, 1),
)
_names = itertools.count()


def _ingest_and_check(data: bytes) -> None:
    result = ingest_bytes(data=data, original_name=f"damaged{next(_names)}.x12")
    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status in FINAL, batch.status_reason
    assert batch.status == BatchStatus.ACCEPTED or batch.status_reason
    assert "Traceback" not in batch.status_reason
    with inbound_storage().open(batch.storage_path, "rb") as stored:
        assert stored.read() == data

    headers = TransactionHeader.objects.filter(batch=batch)
    assert headers.count() == batch.sets_accepted + batch.sets_rejected
    assert not headers.filter(routing_status=RoutingStatus.PENDING).exists()
    outcomes = list(ProcessingOutcome.objects.filter(batch=batch).order_by("id"))
    contents = [o.payload for o in outcomes if o.response_type == "999"]
    if contents:
        st02s = [f"{n:04d}" for n in range(1, len(contents) + 1)]
        ack = render_999_interchange(contents, envelope=ENV, st02s=st02s)
        assert validate_envelope(ack) == []
    ta1s = [o.payload for o in outcomes if o.response_type == "TA1"]
    if ta1s:
        render_ta1_interchange(ta1s, envelope=ENV)

    again = ingest_bytes(data=data, original_name="again.x12")
    assert again.already_received and again.batch == batch.pk
    assert ProcessingOutcome.objects.filter(batch=batch).count() == len(outcomes)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.one_of(mutations_of(BASES), st.sampled_from(BASES)))
@pytest.mark.parametrize("one_transaction_max", [1 << 20, 0], ids=["one-transaction", "two-phase"])
def test_a_damaged_file_ends_in_a_final_status_with_everything_accounted_for(
    one_transaction_max, data
):
    with (
        override_settings(INBOUND_SINGLE_TRANSACTION_MAX_BYTES=one_transaction_max),
        transaction.atomic(),  # each example on its own (no duplicate ISA13 across examples)
    ):
        onboard_partner()
        _ingest_and_check(data)
        transaction.set_rollback(True)
