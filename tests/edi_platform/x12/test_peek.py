"""The ISA peek: sender and control facts from a file's first bytes, tolerant of damage."""

from __future__ import annotations

from edi_platform.x12.peek import is_isa13, peek_isa
from tests.edi_platform.x12.conftest import REPO

VALID = (REPO / "tests" / "fixtures" / "inbound" / "834_valid.x12").read_bytes()


def test_the_isa_head_names_the_sender_even_when_the_isa_is_cut_short():
    head = peek_isa(VALID[:60])
    assert head is not None and (head.sender_qualifier, head.sender_id) == ("ZZ", "SYNTHSENDER")
    assert peek_isa(VALID[:40]) is None  # ISA06 not complete yet
    assert peek_isa(b"\xef\xbb\xbf\r\n" + VALID).control_number == "000000101"
    assert peek_isa(b"GS*HC") is None


def test_a_full_isa_gives_every_field_cut_to_the_envelope_widths():
    head = peek_isa(VALID)
    assert head is not None and head.sender_identified
    fields = head.batch_fields()
    assert fields["isa13"] == head.isa13 == "000000101"
    assert len(fields["sender_id"]) <= 15 and fields["usage_indicator"] in ("P", "T")
    wide = VALID.replace(b"SYNTHSENDER    ", b"SYNTHSENDER-TOO-LONG-ID", 1)
    assert peek_isa(wide).batch_fields()["sender_id"] == "SYNTHSENDER-TOO"


def test_isa13_is_nine_ascii_digits_only():
    assert is_isa13("000000101")
    assert not is_isa13("00000010") and not is_isa13("00000010A")
    assert not is_isa13("00000010\u00b2")  # '²'.isdigit() is True: not an ASCII digit
