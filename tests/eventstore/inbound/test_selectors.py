"""Inbound selectors: lookups by sha256, batches awaiting a partner, sets needing attention."""

from __future__ import annotations

import pytest

from eventstore.inbound.hooks import register_handler
from eventstore.inbound.selectors import (
    batch_by_sha256,
    batch_tree,
    batches_awaiting_partner,
    headers_needing_attention,
)
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.models import RoutingStatus
from tests.eventstore.inbound.samples import (
    clean_handlers,  # noqa: F401 - fixture
    onboard_partner,
    sample,
    two_sets_one_bad,
)
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("inbound_storage_dir", "clean_handlers"),
]


def test_batch_by_sha256_and_batches_awaiting_a_partner():
    waiting = ingest_bytes(data=sample(), original_name="w.x12")
    assert [b.pk for b in batches_awaiting_partner()] == [waiting.batch]
    batch = batches_awaiting_partner().get()
    assert batch_by_sha256(sha256=batch.sha256.upper()) == batch
    assert batch_by_sha256(sha256="0" * 64) is None


def test_failed_routing_needs_attention():
    onboard_partner()

    def broken(routed):
        raise RuntimeError("down")

    register_handler("834", broken)
    result = ingest_bytes(data=sample(), original_name="a.x12")
    assert [(h.batch_id, h.routing_status) for h in headers_needing_attention()] == [
        (result.batch, RoutingStatus.FAILED)
    ]


def test_tree_puts_each_set_under_its_group_and_caps_the_listing():
    onboard_partner()
    result = ingest_bytes(data=two_sets_one_bad(), original_name="t.x12")
    batch = batches_awaiting_partner().model.objects.get(pk=result.batch)

    tree = batch_tree(batch=batch)
    group = tree.interchanges[0].groups[0]
    assert [h.st02 for h in group.sets] == ["0001", "0002"] and tree.total_sets == 2

    capped = batch_tree(batch=batch, max_sets=1)
    group = capped.interchanges[0].groups[0]
    assert [h.st02 for h in group.sets] == ["0001"] and group.hidden_sets == 1
