"""Mutated and hostile input never escapes as an exception and always ends in a verdict."""

from __future__ import annotations

import json
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_platform.x12 import (
    Delimiters,
    EnvelopeParams,
    ack_999_content,
    ack_999_json,
    read,
    render_999_interchange,
    render_ta1_interchange,
    ta1_content,
    validate,
    validate_envelope,
    validate_outbound,
)

from .conftest import FIXTURES
from .mutations import mutations_of

BASES = [p.read_bytes() for p in sorted(FIXTURES.glob("*.x12"))]
VERDICTS = {"accepted", "accepted_with_errors", "rejected", "not_x12"}
ENV = EnvelopeParams(
    "ZZ", "US", "ZZ", "THEM", "US", "THEM", "T", Delimiters(), 1, 1, datetime(2026, 1, 1)
)
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


mutated = mutations_of(BASES)


def _check(data: bytes) -> None:
    report = validate(data)
    assert report.verdict in VERDICTS
    json.dumps(report.to_dict())
    if not report.interchanges:
        assert report.error
    for ic in report.interchanges:
        assert ic.ta1_code in ("A", "E", "R")
        ta1 = render_ta1_interchange([ta1_content(ic)], envelope=ENV)
        assert validate_outbound(ta1) == []
        # the groups a 999 can answer (the API contract); every ack we build passes our guide
        groups = [g for g in ic.groups if g.acknowledgeable and not g.is_acknowledgment]
        contents = [ack_999_content(g) for g in groups]
        for group, content in zip(groups, contents, strict=True):
            assert json.loads(ack_999_json(group)) == json.loads(json.dumps(content))
        if contents:
            ack = render_999_interchange(
                contents, envelope=ENV, st02s=[f"{n:04d}" for n in range(1, len(contents) + 1)]
            )
            assert validate_outbound(ack) == []
    for _ in read(data):
        pass
    validate_envelope(data)


@SETTINGS
@given(mutated)
def test_mutated_files_always_end_in_a_verdict(data):
    _check(data)


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_end_in_a_verdict_or_a_clear_error(data):
    _check(data)


@SETTINGS
@given(st.binary(min_size=0, max_size=300))
def test_isa_followed_by_garbage_never_raises(tail):
    _check(BASES[0][:106] + tail)


# counts and control numbers: (segment ID, element position)
COUNTED = [("IEA", 1), ("IEA", 2), ("GE", 1), ("GE", 2), ("SE", 1), ("SE", 2), ("GS", 6)]
NUMBERS = [str(2**64).encode(), b"9" * 5000, b"-1", b"\xb2", b"1\xb3", b"\xb9\xbc", b"\x00"]


@SETTINGS
@given(st.sampled_from(BASES), st.sampled_from(COUNTED), st.sampled_from(NUMBERS))
def test_counts_that_overflow_or_are_not_ascii_digits_never_raise(base, target, number):
    # issue 14: GE01 >= 2**64 made the 999 content raise; byte 0xB2 ("²", isdigit() but not
    # int()) at IEA01 gave a misleading TA1 and an ERROR log
    sid, position = target
    segments = base.split(b"~")
    for i, segment in enumerate(segments):
        parts = segment.split(b"*")
        if parts[0].strip() == sid.encode() and len(parts) > position:
            parts[position] = number
            segments[i] = b"*".join(parts)
    _check(b"~".join(segments))


def test_non_x12_gives_not_x12():
    report = validate(b"<html><body>hello</body></html>")
    assert (report.verdict, report.error_code) == ("not_x12", "not_x12")
