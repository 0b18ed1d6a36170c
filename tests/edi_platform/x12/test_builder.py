"""Outbound builder and the envelope validator outbound runs before persisting a file."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from edi_platform.x12 import Delimiters, EnvelopeParams, build_interchange, read, validate_envelope
from edi_platform.x12.builder import BuildError, render_segment

ENV = EnvelopeParams(
    sender_qualifier="ZZ",
    sender_id="OURPLAN",
    receiver_qualifier="30",
    receiver_id="999000111",
    sender_gs_code="OURPLAN",
    receiver_gs_code="PARTNER",
    usage_indicator="P",
    delimiters=Delimiters("|", "!", ">", "\x85"),
    isa13=123456789,
    gs06=55,
    timestamp=datetime(2026, 12, 31, 23, 59),
)

SETS = [
    ("271", [["BHT", "0022", "11", "REF1", "20261231", "2359"], ["HL", "1", "", "20", "1"]]),
    ("271", [["BHT", "0022", "11", "REF2", "20261231", "2359"], ["EB", "1", "", ["30", ""]]]),
]


def _build(**overrides) -> bytes:
    env = dataclasses.replace(ENV, **overrides)
    return build_interchange(
        SETS, envelope=env, functional_id="HB", version="005010X279A1", st02s=["0001", "0002"]
    )


def test_isa_is_fixed_width_with_the_partner_delimiters():
    data = _build()
    isa = data[:106].decode("latin-1")
    assert len(isa) == 106 and isa[3] == "|" and isa[104] == ">" and isa[105] == "\x85"
    assert isa.split("|")[6] == "OURPLAN        " and isa.split("|")[13] == "123456789"
    assert isa.split("|")[11] == "!"


def test_counts_and_control_numbers_are_computed():
    data = _build()
    ic = next(iter(read(data)))
    group = ic.groups[0]
    assert [t.control_number for t in group.transaction_sets] == ["0001", "0002"]
    assert [t.trailer.elements for t in group.transaction_sets] == [["4", "0001"], ["4", "0002"]]
    assert group.trailer.elements == ["2", "55"]
    assert ic.trailer.elements == ["1", "123456789"]
    assert validate_envelope(data) == []


def test_trailing_empty_elements_and_components_are_trimmed():
    d = Delimiters()
    assert render_segment(["HL", "1", "", "20", "", ""], d) == "HL*1**20"
    assert render_segment(["EB", "1", "", ["30", "", ""]], d) == "EB*1**30"
    assert render_segment(["SV1", ["HC", "99213"], "10"], d) == "SV1*HC:99213*10"


def test_same_inputs_give_the_same_bytes():
    assert _build() == _build()
    assert _build() != _build(isa13=123456790)


def test_line_break_option_adds_newlines_only_after_terminators():
    data = _build(line_break=True)
    assert data.count(b"\n") == data.count(b"\x85")
    assert validate_envelope(data) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"sender_id": "X" * 16},
        {"receiver_qualifier": "3"},
        {"isa13": 0},
        {"isa13": 1_000_000_000},
        {"gs06": 0},
        {"usage_indicator": "Q"},
        {"delimiters": Delimiters("*", "*", ":", "~")},
        {"delimiters": Delimiters("A", "^", ":", "~")},
    ],
)
def test_parameters_that_cannot_make_a_valid_envelope_raise(overrides):
    with pytest.raises(BuildError):
        _build(**overrides)


def test_st02s_must_match_the_sets_and_be_unique():
    with pytest.raises(BuildError):
        build_interchange(
            SETS, envelope=ENV, functional_id="HB", version="005010X279A1", st02s=["0001"]
        )
    with pytest.raises(BuildError):
        build_interchange(
            SETS, envelope=ENV, functional_id="HB", version="005010X279A1", st02s=["0001", "0001"]
        )


GOOD = (
    "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260101*1200*^*00501*"
    "000000001*0*P*:~GS*HB*A*B*20260101*1200*1*X*005010X279A1~ST*271*0001*005010X279A1~"
    "BHT*0022*11~SE*3*0001~GE*1*1~IEA*1*000000001~"
)


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("SE*3*", "SE*4*", "SE01"),
        ("SE*3*0001", "SE*3*0002", "SE02"),
        ("GE*1*1", "GE*2*1", "GE01"),
        ("GE*1*1", "GE*1*2", "GE02"),
        ("IEA*1*", "IEA*2*", "IEA01"),
        ("IEA*1*000000001", "IEA*1*000000002", "IEA02"),
        ("*ZZ*A              *", "*ZZ*A             *", "ISA06"),
        ("*000000001*0*P", "*00000001*0*P", "ISA13"),
        ("SE*3*0001~", "", "without SE"),
        ("GE*1*1~", "", "without GE"),
        ("IEA*1*000000001~", "", "without IEA"),
    ],
)
def test_envelope_validator_names_each_problem(old, new, needle):
    assert validate_envelope(GOOD.encode()) == []
    problems = validate_envelope(GOOD.replace(old, new, 1).encode())
    assert any(needle in p for p in problems), problems


def test_envelope_validator_rejects_non_x12():
    assert validate_envelope(b"not edi at all") != []
