"""Counts and control numbers from untrusted files: ASCII digits only, no int() overflow."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest

from edi_platform.x12 import (
    Delimiters,
    EnvelopeParams,
    ack_999_json,
    build_999,
    validate,
    validate_envelope,
)
from edi_platform.x12.numbers import ascii_int, clamp, is_ascii_digits, same_count

from .conftest import FIXTURES

ENV = EnvelopeParams(
    "ZZ", "US", "ZZ", "THEM", "US", "THEM", "T", Delimiters(), 1, 1, datetime(2026, 1, 1)
)
BASE = (FIXTURES / "834.x12").read_bytes()


def test_ascii_helpers_refuse_superscripts_and_huge_numbers():
    assert "²".isdigit() and not is_ascii_digits("²")
    assert ascii_int("0042") == 42 and ascii_int("²") is None
    assert ascii_int("9" * 5000) is None  # int() would raise on this many digits
    assert ascii_int("1234567", max_digits=6) is None
    assert same_count("0003", 3) and not same_count("²", 2) and not same_count("9" * 5000, 9)
    assert clamp(2**70, 999_999) == 999_999 and clamp(-1, 5) == 0


@pytest.mark.parametrize(
    ("old", "new", "level", "code"),
    [
        (b"IEA*1*", b"IEA*\xb2*", "ta1", "021"),
        (b"IEA*1*", b"IEA*" + b"9" * 5000 + b"*", "ta1", "021"),
        (b"SE*14*", b"SE*\xb2\xb2*", "ik5", "4"),
        (b"GE*1*", b"GE*\xb2*", "ak9", "5"),
    ],
    ids=["iea01-b2", "iea01-5000-digits", "se01-b2", "ge01-b2"],
)
def test_non_ascii_or_huge_counts_are_wrong_counts_not_internal_errors(
    old, new, level, code, caplog
):
    caplog.set_level(logging.WARNING)
    report = validate(BASE.replace(old, new))
    ic = report.interchanges[0]
    assert not report.problems  # no "validation stopped: ValueError"
    if level == "ta1":
        assert (ic.ta1_code, ic.ta1_note) == ("R", code)
    elif level == "ik5":
        assert code in ic.groups[0].sets[0].codes
    else:
        assert ic.groups[0].codes == [code]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_ge01_of_2_to_the_64_is_answered_ak905_5_and_encodes():
    group = validate(BASE.replace(b"GE*1*", b"GE*" + str(2**64).encode() + b"*")).interchanges[0]
    group = group.groups[0]
    assert (group.ack_code, group.codes) == ("R", ["5"])
    decoded = json.loads(ack_999_json(group))  # orjson refused integers beyond 64 bits
    assert decoded["ak9"] == ["R", 1, 1, 1, "5"]


def test_ak902_to_ak904_never_exceed_six_digits():
    group = validate(BASE.replace(b"GE*1*", b"GE*1234567*")).interchanges[0].groups[0]
    group.received = group.accepted = 2_000_000  # as if the group had that many sets
    data = build_999(group, envelope=ENV, st02="0001")
    assert b"AK9*R*1*999999*999999*5~" in data
    assert validate_envelope(data) == []


def test_validate_envelope_notices_an_ak9_count_of_seven_digits():
    group = validate(BASE).interchanges[0].groups[0]
    data = build_999(group, envelope=ENV, st02="0001").replace(b"AK9*A*1*", b"AK9*A*1234567*")
    assert any("AK902 is not 1 to 6 digits" in p for p in validate_envelope(data))
