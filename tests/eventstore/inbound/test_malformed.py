"""Bad input never raises: a REJECTED batch with a readable reason, the raw file kept, and a TA1
whenever the sender can be identified from ISA05/ISA06."""

from __future__ import annotations

import pytest

from eventstore.inbound.services.ingest import ingest_bytes
from eventstore.inbound.storage import inbound_storage
from eventstore.models import BatchStatus, TransactionBatch
from outbound.models import ProcessingOutcome
from tests.eventstore.inbound.samples import inbound_storage as inbound_storage_dir  # noqa: F401
from tests.eventstore.inbound.samples import onboard_partner, sample

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_storage_dir")]

VALID = sample()

# name -> (bytes, TA105 expected or None when the sender cannot be identified, reason words)
MALFORMED = {
    "empty": (b"", None, "empty"),
    "binary": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, None, "not an X12 file"),
    "truncated": (VALID[: len(VALID) // 2], "023", "ended before the IEA"),
    "truncated_inside_isa": (VALID[:60], "023", "cut off"),
    "isa_width": (VALID.replace(b"SYNTHSENDER    ", b"SYNTHSENDER   ", 1), "006", "15 characters"),
    "element_separator_is_a_letter": (VALID.replace(b"*", b"Q"), None, "Element Separator"),
    "segment_terminator_is_a_letter": (VALID.replace(b"~", b"X"), "004", "Segment Terminator"),
    "unknown_interchange_version": (VALID.replace(b"*^*00501*", b"*U*00401*", 1), "003", "00401"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_file_is_rejected_with_a_reason_and_kept(kind):
    onboard_partner()
    data, ta105, words = MALFORMED[kind]

    result = ingest_bytes(data=data, original_name=f"{kind}.x12", channel="command")

    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status == BatchStatus.REJECTED and not result.ok
    assert words.lower() in batch.status_reason.lower()
    assert "Traceback" not in batch.status_reason
    with inbound_storage().open(batch.storage_path, "rb") as stored:
        assert stored.read() == data
    outcomes = list(ProcessingOutcome.objects.filter(batch=batch))
    if ta105 is None:
        assert outcomes == []
    else:
        assert [o.response_type for o in outcomes] == ["TA1"]
        assert (outcomes[0].payload["ack_code"], outcomes[0].payload["note_code"]) == ("R", ta105)
        assert batch.partner is not None


def test_unknown_group_version_is_rejected_with_a_999_ak9_code_2():
    onboard_partner()
    data = VALID.replace(b"005010X220A1~\nST", b"004010X095A1~\nST", 1)
    result = ingest_bytes(data=data, original_name="gs08.x12")
    assert result.status == BatchStatus.REJECTED
    assert "Functional Group Version Not Supported" in result.reason
    ack = ProcessingOutcome.objects.get(batch_id=result.batch)
    assert ack.response_type == "999" and ack.payload["ak9"][0] == "R" and "2" in ack.payload["ak9"]


def test_version_fallback_reject_answers_an_unknown_guide_with_ik5_i6():
    onboard_partner(version_fallback="reject")
    data = VALID.replace(b"005010X220A1", b"005010X220A9")
    result = ingest_bytes(data=data, original_name="x220a9.x12")
    assert result.status == BatchStatus.REJECTED
    ack = ProcessingOutcome.objects.get(batch_id=result.batch)
    assert ack.payload["sets"][0]["ik5"][:2] == ["R", "I6"]


def test_nul_bytes_inside_values_end_in_a_final_status_and_nul_padding_is_ignored():
    onboard_partner()
    isa = VALID[:106]
    damaged = isa[:99] + b"\x00" + isa[100:] + VALID[106:].replace(b"DMG*D8*", b"DMG*D\x00*", 1)
    result = ingest_bytes(data=damaged, original_name="nul\x00.x12")
    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status == BatchStatus.REJECTED and batch.original_name == "nul.x12"
    assert "interrupted" not in batch.status_reason
    (ta1,) = ProcessingOutcome.objects.filter(batch=batch, response_type="TA1")
    assert ta1.payload["ack_code"] == "R"

    padded = ingest_bytes(data=sample(isa13="000000777") + b"\x00" * 100, original_name="p.x12")
    assert padded.status == BatchStatus.ACCEPTED


def test_reasons_show_raw_bytes_escaped():
    onboard_partner()
    # an unknown sender whose ISA06 holds a control character and a NUL (read as U+FFFD)
    damaged = VALID.replace(b"*ZZ*SYNTHSENDER    *", b"*ZZ*SYN\x01\x00SENDER    *", 1)
    result = ingest_bytes(data=damaged, original_name="ctl.x12")
    batch = TransactionBatch.objects.get(pk=result.batch)
    reason = batch.status_reason
    assert reason and reason.isprintable()  # no control characters or U+FFFD as such
    assert "\\x01" in reason
    for interchange in batch.report.get("interchanges", []):
        for issue in interchange.get("issues", []):
            assert issue["message"].isprintable()


def test_a_count_beyond_64_bits_ends_in_a_final_status_with_ak9_r():
    # GE01 of 2^64: the 999 content is built and stored (AK905 5), nothing is left RECEIVED
    onboard_partner()
    data = VALID.replace(b"GE*1*1~", b"GE*" + str(2**64).encode() + b"*1~")
    result = ingest_bytes(data=data, original_name="huge-count.x12")
    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status == BatchStatus.REJECTED and "interrupted" not in batch.status_reason
    ack = ProcessingOutcome.objects.get(batch=batch, response_type="999")
    assert ack.payload["ak9"][0] == "R" and "5" in ack.payload["ak9"][4:]
    assert all(len(str(n)) <= 6 for n in ack.payload["ak9"][1:4])  # AK902-904: 6 digits


def test_a_file_past_the_partners_limits_is_rejected_with_the_limit_as_reason():
    from tests.eventstore.inbound.samples import many_sets

    onboard_partner(max_sets=3)
    result = ingest_bytes(data=many_sets(5), original_name="too-many.x12")
    batch = TransactionBatch.objects.get(pk=result.batch)
    assert batch.status == BatchStatus.REJECTED
    assert batch.status_reason.startswith("The file is over a limit")
    assert "3" in batch.status_reason
