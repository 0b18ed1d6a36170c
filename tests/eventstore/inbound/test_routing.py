"""Routing to per-set handlers: each pending set of a batch handed over once, whole, with
its batch and its interchange's delimiters; sets re-routed only while PENDING; a set no
longer found failed by name; a small file's sets routed inside its one transaction."""

from __future__ import annotations

import pytest

from eventstore.inbound.hooks import RoutingError, register_handler
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.models import RoutingStatus, TransactionBatch, TransactionHeader
from tests.eventstore.inbound.samples import SENDER, clean_handlers, onboard_partner, routing_of
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("inbound_storage_dir", "clean_handlers"),
]
_ = clean_handlers  # (fixture)


def _pending_837s(count: int, *, isa13: int = 401) -> TransactionBatch:
    from tests.support.synthetic_837 import Claim, Provider, build_837

    onboard_partner()
    sets = [[Provider(claims=[Claim(pcn=f"PCN{n}")])] for n in range(1, count + 1)]
    result = ingest_bytes(data=build_837("P", sets, isa13=isa13, sender=SENDER), original_name="p")
    TransactionHeader.objects.filter(batch_id=result.batch).update(
        routing_status=RoutingStatus.PENDING
    )
    return TransactionBatch.objects.get(pk=result.batch)


def test_a_committed_set_is_handed_over_whole_with_its_batch_and_counted_once_routed():
    from eventstore.inbound.services.routing import batch_route_pending

    batch = _pending_837s(4)
    seen = []

    def handle(routed) -> str:
        seen.append(routed.header.st02)
        assert routed.header.batch.pk == batch.pk and routed.fresh_header is False
        assert [routed.segments[0].id, routed.segments[-1].id] == ["ST", "SE"]
        assert routed.delimiters.element == "*" and routed.delimiters.segment == "~"
        if routed.header.st02 == "0002":
            raise RoutingError("not today")
        if routed.header.st02 == "0003":
            # routed meanwhile by another run: the next set finds it no longer PENDING
            TransactionHeader.objects.filter(batch=batch, st02="0004").update(
                routing_status=RoutingStatus.ROUTED, routing_result="elsewhere"
            )
        return "x" * 1200

    register_handler("837", handle)
    # 0001 and 0003 routed; 0002 failed; 0004 routed meanwhile
    assert batch_route_pending(batch=batch) == 2
    assert seen == ["0001", "0002", "0003"]
    assert routing_of(batch) == {
        "0001": (RoutingStatus.ROUTED, "x" * 1000),
        "0002": (RoutingStatus.FAILED, "handler failed: not today"),
        "0003": (RoutingStatus.ROUTED, "x" * 1000),
        "0004": (RoutingStatus.ROUTED, "elsewhere"),
    }


def test_a_committed_set_whose_handler_is_gone_is_recorded_without_one_and_not_counted():
    from eventstore.inbound.hooks import unregister_handler
    from eventstore.inbound.services.plan import NO_HANDLER
    from eventstore.inbound.services.routing import batch_route_pending

    batch = _pending_837s(2)
    unregister_handler("837")
    assert batch_route_pending(batch=batch) == 0
    assert routing_of(batch) == {
        "0001": (RoutingStatus.NO_HANDLER, NO_HANDLER),
        "0002": (RoutingStatus.NO_HANDLER, NO_HANDLER),
    }


def test_a_committed_set_is_handed_over_with_its_interchanges_own_delimiters():
    from eventstore.inbound.services.routing import batch_route_pending
    from tests.support.synthetic_837 import Claim, Provider, build_837

    onboard_partner()
    data = build_837("P", [[Provider(claims=[Claim(pcn="PCN1")])]], isa13=402, sender=SENDER)
    assert b"|" not in data and b"!" not in data
    # the same file written with "|" between elements and "!" after each segment
    result = ingest_bytes(
        data=data.replace(b"*", b"|").replace(b"~", b"!"), original_name="pipes.837"
    )
    assert result.status == "ACCEPTED"
    TransactionHeader.objects.filter(batch_id=result.batch).update(
        routing_status=RoutingStatus.PENDING
    )
    seen = []
    register_handler(
        "837",
        lambda routed: seen.append(
            (routed.delimiters.element, routed.delimiters.segment, routed.segments[0].elements[1])
        ),
    )
    assert batch_route_pending(batch=TransactionBatch.objects.get(pk=result.batch)) == 1
    assert seen == [("|", "!", "0001")]  # ST02, read with those delimiters


@pytest.mark.parametrize("handled", [True, False])
def test_only_the_pending_sets_of_a_partly_routed_batch_are_routed_again(handled):
    from eventstore.inbound.services.plan import NO_HANDLER
    from eventstore.inbound.services.routing import batch_route_pending

    batch = _pending_837s(3)
    TransactionHeader.objects.filter(batch=batch, st02="0001").update(
        routing_status=RoutingStatus.ROUTED, routing_result="done before"
    )
    seen = []
    if handled:
        register_handler("837", lambda routed: seen.append(routed.header.st02) or "now")
    else:
        from eventstore.inbound.hooks import unregister_handler

        unregister_handler("837")
    assert batch_route_pending(batch=batch) == (2 if handled else 0)
    after = (RoutingStatus.ROUTED, "now") if handled else (RoutingStatus.NO_HANDLER, NO_HANDLER)
    assert routing_of(batch) == {
        "0001": (RoutingStatus.ROUTED, "done before"),
        "0002": after,
        "0003": after,
    }
    assert seen == (["0002", "0003"] if handled else [])


def test_a_committed_set_no_longer_found_in_the_stored_file_is_failed_by_name():
    from eventstore.inbound.services.routing import batch_route_pending

    batch = _pending_837s(3)
    other = _pending_837s(1, isa13=402)
    TransactionHeader.objects.filter(batch=batch, st02="0002").update(start_offset=10**9)
    register_handler("837", lambda routed: "ok")
    assert batch_route_pending(batch=batch) == 2
    assert routing_of(other)["0001"][0] == RoutingStatus.PENDING  # another batch's set
    assert routing_of(batch) == {
        "0001": (RoutingStatus.ROUTED, "ok"),
        "0002": (
            RoutingStatus.FAILED,
            "the transaction set was not found when re-reading the stored file",
        ),
        "0003": (RoutingStatus.ROUTED, "ok"),
    }


def test_a_small_files_sets_go_to_a_per_set_handler_whole_with_their_batch(caplog):
    from tests.support.synthetic_837 import Claim, Provider, build_837

    onboard_partner()
    seen, calls = [], []

    def handle(routed) -> str:
        calls.append(routed.header.st02)
        seen.append(
            (
                routed.header.st02,
                routed.header.batch.original_name,
                routed.segments[0].id,
                routed.segments[-1].id,
                routed.delimiters.element,
                routed.fresh_header,
            )
        )
        return "fine"

    register_handler("837", handle)
    sets = [[Provider(claims=[Claim(pcn=f"PCN{n}")])] for n in (1, 2)]
    with caplog.at_level("INFO", logger="eventstore.inbound.services.ingest"):
        data = build_837("P", sets, isa13=403, sender=SENDER)
        result = ingest_bytes(data=data, original_name="s")
    # in the file's one transaction: each set handed over once (no failed first attempt
    # that the two-phase path would have to repeat)
    assert not [r for r in caplog.records if "two phases" in r.getMessage()]
    assert calls == ["0001", "0002"]
    assert seen == [("0001", "s", "ST", "SE", "*", True), ("0002", "s", "ST", "SE", "*", True)]
    assert routing_of(TransactionBatch.objects.get(pk=result.batch)) == {
        "0001": (RoutingStatus.ROUTED, "fine"),
        "0002": (RoutingStatus.ROUTED, "fine"),
    }


def test_a_set_not_found_that_another_run_routed_meanwhile_keeps_its_routing():
    from eventstore.inbound.services.routing import rows_route

    batch = _pending_837s(2)
    rows = list(TransactionHeader.objects.filter(batch=batch).order_by("st02"))
    # read PENDING, then routed by another run; its recorded place is not found
    TransactionHeader.objects.filter(pk=rows[1].pk).update(
        routing_status=RoutingStatus.ROUTED, routing_result="routed elsewhere"
    )
    rows[1].start_offset = 10**9
    register_handler("837", lambda routed: "ok")
    assert rows_route(batch=batch, opener=None, rows=rows, fresh=False, isolated=True) == 1
    assert routing_of(batch) == {
        "0001": (RoutingStatus.ROUTED, "ok"),
        "0002": (RoutingStatus.ROUTED, "routed elsewhere"),
    }


def test_a_mixed_batch_is_routed_bulk_and_per_set_each_with_its_interchanges_delimiters():
    from eventstore.inbound.hooks import BulkHandler
    from eventstore.inbound.services.routing import rows_route
    from tests.eventstore.inbound.samples import sample
    from tests.support.synthetic_837 import Claim, Provider, build_837

    onboard_partner()
    claims = build_837("P", [[Provider(claims=[Claim(pcn="PCN1")])]], isa13=405, sender=SENDER)
    # an 834 interchange ("*", "~"), then an 837 one written with "|" and "!"
    data = sample() + claims.replace(b"*", b"|").replace(b"~", b"!")
    batch = TransactionBatch.objects.get(pk=ingest_bytes(data=data, original_name="m").batch)
    headers = TransactionHeader.objects.filter(batch=batch)
    headers.update(routing_status=RoutingStatus.PENDING)
    register_handler(
        "834",
        BulkHandler(handle=lambda sets: [f"bulk {s.delimiters.element}" for s in sets]),
    )
    register_handler(
        "837",
        lambda routed: (
            f"per set {routed.delimiters.element}{routed.delimiters.segment} "
            f"ST02 {routed.segments[0].elements[1]}"
        ),
    )
    rows = list(headers.order_by("id"))
    assert rows_route(batch=batch, opener=None, rows=rows, fresh=False, isolated=True) == 2
    assert dict(headers.values_list("st01", "routing_result")) == {
        "834": "bulk *",
        "837": "per set |! ST02 0001",
    }
