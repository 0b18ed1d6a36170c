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
        contents = [
            ack_999_content(g) for g in ic.groups if g.acknowledgeable and not g.is_acknowledgment
        ]
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


def test_non_x12_gives_not_x12():
    report = validate(b"<html><body>hello</body></html>")
    assert (report.verdict, report.error_code) == ("not_x12", "not_x12")
