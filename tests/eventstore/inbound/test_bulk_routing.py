"""Routing to a bulk handler: the sets of a batch handed over in chunks of their text (one
transaction per chunk, headers marked ROUTED with one result each), a failing set isolated
from its chunk (FAILED, reason without data; Reprocess routes it), the sets the 999 rejects
handed over only to a handler that asks for them, and set texts cut right whatever the
terminators, a missing SE or the delimiters of each interchange."""

from __future__ import annotations

import gc
import io

import pytest

from edi_platform.x12.segments import Delimiters
from eventstore.inbound.hooks import BulkHandler, RoutingError, SetHeader, register_handler
from eventstore.inbound.services.bulk_routing import iter_set_texts, set_headers
from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.inbound.services.reprocess import batch_reprocess, reprocess_refusal
from eventstore.inbound.services.routing import batch_route_pending
from eventstore.models import RoutingStatus, TransactionBatch, TransactionHeader
from tests.eventstore.inbound.samples import SENDER, clean_handlers, onboard_partner, routing_of
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.support.synthetic_837 import Claim, Line, Provider, build_837

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]
_ = clean_handlers  # (fixture)


class Recorder:
    def __init__(self, *, fail_on: str = "", message: str = "") -> None:
        self.calls: list[list[tuple[str, bool, str]]] = []
        self.fail_on, self.message = fail_on, message

    def __call__(self, sets) -> list[str]:
        self.calls.append([(s.header.st02, s.accepted, s.text) for s in sets])
        for s in sets:
            if self.fail_on and self.fail_on in s.text:
                raise RoutingError(self.message) if self.message else ValueError(s.text)
        return [f"seen {s.header.st02}" for s in sets]


def file_of(count: int, *, bad: int | None = None, isa13: int = 301) -> bytes:
    sets = []
    for n in range(1, count + 1):
        date = "20251340" if n == bad else "20250110"
        sets.append([Provider(claims=[Claim(pcn=f"PCN{n:04d}", lines=[Line(date=date)])])])
    return build_837("P", sets, isa13=isa13, sender=SENDER)


def test_a_large_file_is_routed_in_chunks_one_result_per_set(clean_handlers, settings):
    settings.INBOUND_SINGLE_TRANSACTION_MAX_BYTES = 0  # two phases: committed rows
    onboard_partner()
    recorder = Recorder()
    register_handler("837", BulkHandler(handle=recorder, chunk_sets=10))
    result = ingest_bytes(data=file_of(25), original_name="big.837")
    assert result.status == "ACCEPTED"
    assert [len(call) for call in recorder.calls] == [10, 10, 5]
    st02s = [st02 for call in recorder.calls for st02, _, _ in call]
    assert st02s == [f"{n:04d}" for n in range(1, 26)]
    for call in recorder.calls:
        for st02, accepted, text in call:
            assert (
                accepted
                and text.startswith("ST*837*")
                and text.endswith(f"SE*{text.count('~')}*{st02}~")
            )
    headers = TransactionHeader.objects.filter(batch_id=result.batch).order_by("st02")
    assert {h.routing_status for h in headers} == {RoutingStatus.ROUTED}
    assert [h.routing_result for h in headers][:2] == ["seen 0001", "seen 0002"]


def test_every_chunk_is_handled_with_the_cyclic_collector_paused_the_last_one_too(
    clean_handlers,
):
    # a chunk's claims are ~10^5 live objects: the collector would only re-scan them
    batch = _pending_batch(5)  # routed after the commit, as a large file's sets are
    paused: list[bool] = []
    recorder = Recorder()

    def handle(sets):
        paused.append(not gc.isenabled())
        return recorder(sets)

    register_handler("837", BulkHandler(handle=handle, chunk_sets=2))
    assert gc.isenabled()
    assert batch_route_pending(batch=batch) == 5
    assert [len(call) for call in recorder.calls] == [2, 2, 1]
    assert paused == [True, True, True]
    assert gc.isenabled()


def test_a_failing_set_is_isolated_from_its_chunk(clean_handlers, settings):
    settings.INBOUND_SINGLE_TRANSACTION_MAX_BYTES = 0
    onboard_partner()
    recorder = Recorder(fail_on="PCN0003")
    register_handler("837", BulkHandler(handle=recorder, chunk_sets=10))
    result = ingest_bytes(data=file_of(5), original_name="five.837")
    headers = {h.st02: h for h in TransactionHeader.objects.filter(batch_id=result.batch)}
    assert headers["0003"].routing_status == RoutingStatus.FAILED
    # the exception's text quotes the set: only its class is kept
    assert headers["0003"].routing_result == "handler failed (ValueError); retry with Reprocess"
    assert {headers[k].routing_status for k in ("0001", "0002", "0004", "0005")} == {
        RoutingStatus.ROUTED
    }
    # the chunk, then each set on its own
    assert [len(call) for call in recorder.calls] == [5, 1, 1, 1, 1, 1]
    recorder.fail_on = ""
    batch_reprocess(batch_id=result.batch, acting_user=None)
    assert TransactionHeader.objects.get(pk=headers["0003"].pk).routing_status == "ROUTED"
    assert recorder.calls[-1][0][0] == "0003"


def test_a_routing_error_keeps_its_own_words(clean_handlers):
    onboard_partner()
    register_handler(
        "837", BulkHandler(handle=Recorder(fail_on="PCN0001", message="no partner known"))
    )
    result = ingest_bytes(data=file_of(1), original_name="one.837")  # one transaction, then two
    header = TransactionHeader.objects.get(batch_id=result.batch)
    assert header.routing_result == "handler failed: no partner known"


@pytest.mark.parametrize("wants_rejected", [True, False])
def test_rejected_sets_go_only_to_a_handler_that_asks(clean_handlers, wants_rejected):
    onboard_partner()
    recorder = Recorder()
    register_handler("837", BulkHandler(handle=recorder, rejected_sets=wants_rejected))
    result = ingest_bytes(data=file_of(3, bad=2), original_name="bad.837")
    assert result.status == "PARTIALLY_ACCEPTED"
    bad = TransactionHeader.objects.get(batch_id=result.batch, st02="0002")
    seen = {st02: accepted for call in recorder.calls for st02, accepted, _ in call}
    if wants_rejected:
        assert seen == {"0001": True, "0002": False, "0003": True}
        assert bad.routing_status == RoutingStatus.ROUTED
    else:
        assert seen == {"0001": True, "0003": True}
        assert bad.routing_status == RoutingStatus.NOT_ROUTED


def test_a_rejected_batch_whose_rejected_sets_failed_can_be_reprocessed(clean_handlers):
    onboard_partner()
    recorder = Recorder(fail_on="PCN0001")
    register_handler("837", BulkHandler(handle=recorder, rejected_sets=True))
    result = ingest_bytes(data=file_of(1, bad=1), original_name="rejected.837")
    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status == "REJECTED"
    assert batch.headers.get().routing_status == RoutingStatus.FAILED
    assert reprocess_refusal(batch) is None
    recorder.fail_on = ""
    batch_reprocess(batch_id=batch.pk, acting_user=None)
    assert batch.headers.get().routing_status == RoutingStatus.ROUTED
    batch.refresh_from_db()
    assert reprocess_refusal(batch) is not None  # nothing left: final again


def _header(st02: str, offset: int) -> SetHeader:
    return SetHeader(0, TransactionBatch(pk=1), "1", "1", "", "837", st02, "", "A", [], offset)


def _report(*interchanges: tuple[int, dict]) -> dict:
    return {"interchanges": [{"offset": o, "delimiters": d} for o, d in interchanges]}


def test_set_texts_with_crlf_a_missing_se_and_two_delimiter_sets():
    plain = {"element": "*", "repetition": "^", "component": ":", "segment": "~"}
    other = {"element": "|", "repetition": "^", "component": ">", "segment": "!"}
    first = "ISA*...~\r\nGS*HC~\r\nST*837*0001~\r\nBHT*X~\r\nSE*3*0001~\r\n"
    truncated = "ST*837*0002~\r\nBHT*Y~\r\n"  # no SE: ends where the next set starts
    third = "ST*837*0003~BHT*Z~SE*3*0003~GE*3*1~IEA*1*1~"
    second_ic = "ISA|...!GS|HC!ST|837|0004!BHT|W!SE|3|0004!GE|1|1!IEA|1|1!"
    data = first + truncated + third + second_ic
    offsets = [data.index(f"837*{n}") - 3 for n in ("0001", "0002", "0003")]
    offsets.append(data.index("ST|837|0004"))
    headers = [_header(f"000{n + 1}", o) for n, o in enumerate(offsets)]
    report = _report((0, plain), (data.index("ISA|"), other))
    got = list(iter_set_texts(io.BytesIO(data.encode()), headers, report))
    assert [text for _, text, _ in got] == [
        "ST*837*0001~\r\nBHT*X~\r\nSE*3*0001~",
        "ST*837*0002~\r\nBHT*Y~",
        "ST*837*0003~BHT*Z~SE*3*0003~",
        "ST|837|0004!BHT|W!SE|3|0004!",
    ]
    assert got[3][2] == Delimiters(**other) and got[0][2] == Delimiters(**plain)
    # an offset where no set starts: no text (the set is then FAILED "not found")
    wrong = list(iter_set_texts(io.BytesIO(data.encode()), [_header("0009", 5)], report))
    assert wrong[0][1] is None


class ReadLog(io.BytesIO):
    """An in-memory file that records how many bytes each read asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(size)
        return super().read(size)


@pytest.mark.parametrize("block_size", [1, 2, 3, 5, 8, 13, 64, 1 << 22])
def test_set_texts_are_cut_the_same_whatever_the_read_block_reading_block_by_block(block_size):
    plain = {"element": "*", "repetition": "^", "component": ">", "segment": "~"}
    pipes = {"element": "|", "repetition": "^", "component": ">", "segment": "!"}
    sets = {
        "0001": "ST*837*0001~BHT*A~SE*3*0001~",
        "0002": "ST*837*0002~BHT*" + "L" * 200 + "~SE*3*0002~",  # skipped: a long gap
        "0003": "ST*837*0003~BHT*B~SE*3*0003~",  # right after the skipped one
        "0004": "ST*837*0004~\r\nBHT*C~",  # no SE: ends before the GE
        "0005": "ST|837|0005!BHT|D!SE|3|0005!",
        "0006": "ST*837*0006~BHT*E~",  # no SE, nothing after it: ends at the end of the file
    }
    first = "\r\n\r\nISA*...~GS*HC~" + "".join(sets[n] for n in ("0001", "0002", "0003"))
    first += sets["0004"] + "\r\nGE*4*1~IEA*1*1~\r\n"
    second = "ISA|...!GS|HC!" + sets["0005"] + "GE|1|1!IEA|1|1!"
    third = "ISA*...~GS*HC~" + sets["0006"]
    data = first + second + third
    offsets = {n: data.index(text) for n, text in sets.items()}
    wanted = ["0001", "0003", "0004", "0005", "0006"]
    headers = [
        _header("before", 0),  # before any interchange
        *(_header(n, offsets[n]) for n in wanted[:2]),
        _header("inside", offsets["0003"] + 5),  # no set starts there
        *(_header(n, offsets[n]) for n in wanted[2:]),
        _header("beyond", len(data) + 10),
        _header("further", len(data) + 10**6),
    ]
    report = _report((4, plain), (len(first), pipes), (len(first + second), plain))
    stream = ReadLog(data.encode())
    got = list(iter_set_texts(stream, headers, report, block_size=block_size))
    assert [(h.st02, text, d) for h, text, d in got] == [
        ("before", None, Delimiters()),
        ("0001", sets["0001"], Delimiters(**plain)),
        ("0003", sets["0003"], Delimiters(**plain)),
        ("inside", None, Delimiters(**plain)),
        ("0004", sets["0004"], Delimiters(**plain)),
        ("0005", sets["0005"], Delimiters(**pipes)),
        ("0006", sets["0006"], Delimiters(**plain)),
        ("beyond", None, Delimiters(**plain)),
        ("further", None, Delimiters(**plain)),
    ]
    # read once, block by block: never the whole file at once, no byte read twice
    assert set(stream.asked) == {block_size}
    assert len(stream.asked) <= len(data) // block_size + 2


def test_set_headers_reads_the_pending_sets_of_one_batch_and_type_with_their_errors(
    clean_handlers,
):
    # two batches of 837s, received while no handler was registered, then made PENDING again
    # (what a crash between registration and routing leaves)
    onboard_partner()
    first = ingest_bytes(data=file_of(3, bad=2), original_name="a.837").batch
    second = ingest_bytes(
        data=build_837("P", [[Provider()]], isa13=302, sender=SENDER), original_name="b.837"
    ).batch
    TransactionHeader.objects.filter(batch_id__in=[first, second]).update(
        routing_status=RoutingStatus.PENDING
    )
    batch = TransactionBatch.objects.get(pk=first)
    rows = set_headers(batch, st01s={"837"})
    stored = {h.pk: h for h in TransactionHeader.objects.filter(batch_id=first)}
    assert [r.st02 for r in rows] == ["0001", "0002", "0003"]  # file order, this batch only
    for row in rows:
        h = stored[row.pk]
        assert row == SetHeader(
            h.pk,
            batch,
            h.isa13,
            h.gs06,
            h.gs08,
            "837",
            h.st02,
            h.st03,
            h.verdict,
            h.error_summary if h.verdict != "A" else [],
            h.start_offset,
        )
    assert rows[1].verdict == "R" and rows[1].error_summary  # the rejected set's findings
    assert rows[0].error_summary == [] and rows[2].error_summary == []
    assert set_headers(batch, st01s={"834"}) == []
    # routed sets are no longer read
    TransactionHeader.objects.filter(pk=rows[0].pk).update(routing_status=RoutingStatus.ROUTED)
    assert [r.st02 for r in set_headers(batch, st01s={"837"})] == ["0002", "0003"]


@pytest.mark.parametrize("bulk", [True, False])
def test_routing_the_pending_sets_of_one_batch_leaves_other_batches_alone(clean_handlers, bulk):
    onboard_partner()
    first = ingest_bytes(data=file_of(2), original_name="a.837").batch
    second = ingest_bytes(
        data=build_837("P", [[Provider()]], isa13=302, sender=SENDER), original_name="b.837"
    ).batch
    TransactionHeader.objects.filter(batch_id__in=[first, second]).update(
        routing_status=RoutingStatus.PENDING
    )
    recorder, seen = Recorder(), []
    if bulk:
        register_handler("837", BulkHandler(handle=recorder))
    else:  # one set at a time, no result: recorded as "routed"
        register_handler("837", lambda routed: seen.append(routed.header.st02))
    assert batch_route_pending(batch=TransactionBatch.objects.get(pk=first)) == 2
    seen += [st02 for call in recorder.calls for st02, _, _ in call]
    assert seen == ["0001", "0002"]
    if not bulk:
        assert routing_of(TransactionBatch.objects.get(pk=first)) == {
            "0001": (RoutingStatus.ROUTED, "routed"),
            "0002": (RoutingStatus.ROUTED, "routed"),
        }
    assert set(
        TransactionHeader.objects.filter(batch_id=second).values_list("routing_status", flat=True)
    ) == {RoutingStatus.PENDING}


def test_a_set_routed_meanwhile_by_someone_else_is_not_handed_over_again(clean_handlers):
    # committed rows: each chunk locks its headers and re-checks PENDING; here the handler of
    # the first chunk routes the second set itself, as a concurrent run would have
    onboard_partner()
    first = ingest_bytes(data=file_of(3), original_name="a.837").batch
    TransactionHeader.objects.filter(batch_id=first).update(routing_status=RoutingStatus.PENDING)
    second_set = TransactionHeader.objects.get(batch_id=first, st02="0002")
    seen = []

    def handle(sets):
        seen.extend(s.header.st02 for s in sets)
        if len(seen) == 1:
            TransactionHeader.objects.filter(pk=second_set.pk).update(
                routing_status=RoutingStatus.ROUTED, routing_result="routed elsewhere"
            )
        return ["mine"] * len(sets)

    register_handler("837", BulkHandler(handle=handle, chunk_sets=1))
    assert batch_route_pending(batch=TransactionBatch.objects.get(pk=first)) == 2
    assert seen == ["0001", "0003"]
    second_set.refresh_from_db()
    assert second_set.routing_result == "routed elsewhere"


def test_a_failure_is_logged_by_ids_and_a_routing_error_kept_to_1000_characters(caplog):
    from eventstore.inbound.services.route_status import failure_reason, mark_failed

    assert failure_reason(RoutingError("z" * 1200)) == ("handler failed: " + "z" * 1200)[:1000]
    assert len(failure_reason(RoutingError("z" * 1200))) == 1000
    header = _header("0007", 0)
    with caplog.at_level("WARNING", logger="eventstore.inbound.services.routing"):
        mark_failed(header, ValueError("quotes the set"))
    assert [r.getMessage() for r in caplog.records] == [
        f"inbound header {header.pk} (ST01 837): routing failed"
    ]


def test_a_bulk_handlers_empty_results_read_routed_and_long_ones_are_cut_to_1000(clean_handlers):
    batch = _pending_batch(3)
    said = {"0001": None, "0002": "", "0003": "r" * 1200}
    # two chunks (2 + 1 sets): the count adds both
    register_handler(
        "837",
        BulkHandler(handle=lambda sets: [said[s.header.st02] for s in sets], chunk_sets=2),
    )
    assert batch_route_pending(batch=batch) == 3
    results = list(
        TransactionHeader.objects.filter(batch_id=batch)
        .order_by("st02")
        .values_list("routing_result", flat=True)
    )
    assert results == ["routed", "routed", "r" * 1000]


def test_a_pending_set_no_longer_found_in_the_stored_file_is_failed_by_name(clean_handlers):
    batch = _pending_batch(3)
    other = _pending_batch(2, isa13=302)
    # the second set's recorded place points into the envelope, where no set starts (it
    # comes first in file order: the sets after it are still routed)
    TransactionHeader.objects.filter(batch_id=batch, st02="0002").update(start_offset=1)
    recorder = Recorder()
    register_handler("837", BulkHandler(handle=recorder))
    assert batch_route_pending(batch=batch) == 2
    assert {status for status, _ in routing_of(other).values()} == {RoutingStatus.PENDING}
    rows = dict(
        TransactionHeader.objects.filter(batch_id=batch).values_list("st02", "routing_status")
    )
    assert rows == {"0001": "ROUTED", "0002": "FAILED", "0003": "ROUTED"}
    lost = TransactionHeader.objects.get(batch_id=batch, st02="0002")
    assert lost.routing_result == (
        "the transaction set was not found when re-reading the stored file"
    )


def test_sets_accepted_in_a_group_the_999_rejects_are_handed_over_as_rejected(clean_handlers):
    import re

    # GE01 counts three sets where there are two: the group is rejected (AK9 R) while each
    # set passed its own checks (IK5 A)
    onboard_partner()
    recorder = Recorder()
    register_handler("837", BulkHandler(handle=recorder, rejected_sets=True))
    data = build_837("P", [[Provider()], [Provider()]], isa13=303, sender=SENDER)
    result = ingest_bytes(data=re.sub(rb"GE\*2\*", b"GE*3*", data), original_name="ge.837")
    assert result.status == "REJECTED"
    verdicts = TransactionHeader.objects.filter(batch_id=result.batch)
    assert set(verdicts.values_list("verdict", flat=True)) == {"A"}
    seen = {st02: accepted for call in recorder.calls for st02, accepted, _ in call}
    assert seen == {"0001": False, "0002": False}


def _pending_batch(count: int, *, isa13: int = 301) -> TransactionBatch:
    onboard_partner()
    batch = ingest_bytes(data=file_of(count, isa13=isa13), original_name="p.837").batch
    TransactionHeader.objects.filter(batch_id=batch).update(routing_status=RoutingStatus.PENDING)
    return TransactionBatch.objects.get(pk=batch)


def test_a_small_file_goes_to_its_bulk_handler_in_one_call_with_each_sets_delimiters(
    clean_handlers,
):
    onboard_partner()
    calls = []

    def handle(sets) -> list[str]:
        calls.append([(s.header.st02, s.delimiters.element, s.delimiters.segment) for s in sets])
        return [f"seen {s.header.st02}" for s in sets]

    register_handler("837", BulkHandler(handle=handle))
    result = ingest_bytes(data=file_of(3), original_name="small.837")  # one transaction
    assert calls == [[("0001", "*", "~"), ("0002", "*", "~"), ("0003", "*", "~")]]
    rows = TransactionHeader.objects.filter(batch_id=result.batch).order_by("st02")
    assert [(h.routing_status, h.routing_result) for h in rows] == [
        (RoutingStatus.ROUTED, f"seen 000{n}") for n in (1, 2, 3)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_chunk_of_which_another_run_routed_a_set_is_undone_and_left_for_the_next_run(
    clean_handlers,
):
    from tests.support.pg import other_session

    batch = _pending_batch(3)
    TransactionHeader.objects.filter(batch=batch).update(routing_result="")
    second = TransactionHeader.objects.get(batch=batch, st02="0002").pk

    def handle(sets) -> list[str]:
        # another run (its own session, committed) routes the second set meanwhile
        with other_session() as other:
            other.execute(
                "UPDATE eventstore_transactionheader SET routing_status = 'ROUTED', "
                "routing_result = 'routed elsewhere' WHERE id = %s",
                [second],
            )
        return ["mine"] * len(sets)

    register_handler("837", BulkHandler(handle=handle, chunk_sets=10))
    assert batch_route_pending(batch=batch) == 0
    assert routing_of(batch) == {
        "0001": (RoutingStatus.PENDING, ""),
        "0002": (RoutingStatus.ROUTED, "routed elsewhere"),
        "0003": (RoutingStatus.PENDING, ""),
    }


def test_a_failed_chunk_is_routed_set_by_set_counting_only_the_routed_and_logged_by_ids(
    clean_handlers, caplog
):
    batch = _pending_batch(3)
    register_handler("837", BulkHandler(handle=Recorder(fail_on="PCN0002"), chunk_sets=10))
    with caplog.at_level("WARNING", logger="eventstore.inbound.services.bulk_routing"):
        assert batch_route_pending(batch=batch) == 2
    ids = dict(TransactionHeader.objects.filter(batch=batch).values_list("st02", "pk"))
    assert [r.getMessage() for r in caplog.records if r.name.endswith("bulk_routing")] == [
        f"inbound headers {ids['0001']}..{ids['0003']} (ST01 837): a chunk of 3 sets failed; "
        "routing them one by one"
    ]
    assert {st02: s for st02, (s, _) in routing_of(batch).items()} == {
        "0001": RoutingStatus.ROUTED,
        "0002": RoutingStatus.FAILED,
        "0003": RoutingStatus.ROUTED,
    }


def test_chunks_close_at_their_byte_limit_and_the_count_adds_every_chunk(clean_handlers):
    batch = _pending_batch(5)
    recorder = Recorder()
    register_handler("837", BulkHandler(handle=recorder))
    assert batch_route_pending(batch=batch) == 5
    sizes = [len(text) for _, _, text in recorder.calls[0]]
    # a limit of exactly two sets' text: a chunk closes when it reaches it
    TransactionHeader.objects.filter(batch=batch).update(routing_status=RoutingStatus.PENDING)
    recorder.calls.clear()
    register_handler("837", BulkHandler(handle=recorder, chunk_bytes=sizes[0] + sizes[1]))
    assert batch_route_pending(batch=batch) == 5
    assert [len(call) for call in recorder.calls] == [2, 2, 1]
    # one byte more: two sets stay below it, the third reaches it
    TransactionHeader.objects.filter(batch=batch).update(routing_status=RoutingStatus.PENDING)
    recorder.calls.clear()
    register_handler("837", BulkHandler(handle=recorder, chunk_bytes=sizes[0] + sizes[1] + 1))
    assert batch_route_pending(batch=batch) == 5
    assert [len(call) for call in recorder.calls] == [3, 2]


def test_sets_whose_bulk_handler_is_gone_are_left_pending_for_the_next_run(clean_handlers):
    from eventstore.inbound.services.bulk_routing import bulk_rows_route
    from eventstore.inbound.services.routing import _stored_opener

    batch = _pending_batch(2)
    rows = set_headers(batch, st01s={"837"})
    # no handler registered for 837 (unregistered after the rows were read)
    routed = bulk_rows_route(
        batch=batch, opener=_stored_opener(batch, None), rows=rows, fresh=False, isolated=True
    )
    assert routed == 0
    assert {s for s, _ in routing_of(batch).values()} == {RoutingStatus.PENDING}


def test_a_set_not_found_that_another_run_routed_meanwhile_keeps_its_routing(clean_handlers):
    from dataclasses import replace

    from eventstore.inbound.services.bulk_routing import bulk_rows_route
    from eventstore.inbound.services.routing import _stored_opener

    batch = _pending_batch(2)
    rows = set_headers(batch, st01s={"837"})
    # the second set's rows were read PENDING; it is routed elsewhere before its text is
    # looked for, and its place is not found: it keeps what the other run wrote
    TransactionHeader.objects.filter(pk=rows[1].pk).update(
        routing_status=RoutingStatus.ROUTED, routing_result="routed elsewhere"
    )
    rows[1] = replace(rows[1], start_offset=1)
    register_handler("837", BulkHandler(handle=Recorder()))
    routed = bulk_rows_route(
        batch=batch, opener=_stored_opener(batch, None), rows=rows, fresh=False, isolated=True
    )
    assert routed == 1
    assert routing_of(batch) == {
        "0001": (RoutingStatus.ROUTED, "seen 0001"),
        "0002": (RoutingStatus.ROUTED, "routed elsewhere"),
    }


@pytest.mark.django_db(transaction=True)
def test_a_set_routed_on_its_own_locks_only_its_own_header(clean_handlers):
    import psycopg

    from tests.support.pg import other_session

    batch = _pending_batch(1)
    other = TransactionHeader.objects.get(batch=_pending_batch(1, isa13=302)).pk
    seen = []

    def handle(sets) -> list[str]:
        # another worker locks a pending set of another batch meanwhile: not blocked by us
        with other_session(autocommit=False) as session:
            try:
                session.execute(
                    "SELECT id FROM eventstore_transactionheader WHERE id = %s FOR UPDATE NOWAIT",
                    [other],
                )
                seen.append("free")
            except psycopg.errors.LockNotAvailable:
                seen.append("locked by us")
        return ["mine"]

    register_handler("837", BulkHandler(handle=handle))
    assert batch_route_pending(batch=batch) == 1
    assert seen == ["free"]
    assert routing_of(batch) == {"0001": (RoutingStatus.ROUTED, "mine")}


def test_a_small_file_is_routed_to_its_bulk_handler_inside_its_one_transaction(
    clean_handlers, caplog
):
    onboard_partner()
    batches = []

    def handle(sets) -> list[str]:
        batches.extend(s.header.batch.original_name for s in sets)
        return ["fine"] * len(sets)

    register_handler("837", BulkHandler(handle=handle))
    with caplog.at_level("INFO", logger="eventstore.inbound.services.ingest"):
        result = ingest_bytes(data=file_of(2), original_name="small.837")
    # no first attempt that failed and was redone in two phases
    assert not [r for r in caplog.records if "two phases" in r.getMessage()]
    assert batches == ["small.837", "small.837"]
    assert routing_of(TransactionBatch.objects.get(pk=result.batch)) == {
        "0001": (RoutingStatus.ROUTED, "fine"),
        "0002": (RoutingStatus.ROUTED, "fine"),
    }
