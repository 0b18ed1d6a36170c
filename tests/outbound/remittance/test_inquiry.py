"""Reading a 276 (pure): each inquiry's keys from its own loop and the levels above it; a
service line's SVC, REF and DTP stay the line's; odd values are empty keys, never errors."""

from __future__ import annotations

import datetime as dt

from edi_platform import x12
from outbound.remittance.inquiry import read_276
from tests.support.synthetic_276 import build_276, inquiry


def segments(data: bytes) -> list:
    (tset,) = [t for ic in x12.read(data) for g in ic.groups for t in g.transaction_sets]
    return tset.segments


def test_keys_of_each_inquiry_and_its_levels():
    data = build_276(
        [
            inquiry(icn=1000001, trace="A", dates="20250101-20250131"),
            inquiry(pcn="P9", trace="B", member_id="SUB0002", dependent="KIM"),
        ]
    )
    request = read_276(segments(data))
    first, second = request.inquiries
    assert (first.trace, first.icn, first.npi, first.member_id, first.level) == (
        "A",
        1000001,
        "1234567893",
        "SUB0001",
        "22",
    )
    assert first.dates == (dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert (second.pcn, second.member_id, second.level, second.patient_first) == (
        "P9",
        "SUB0002",
        "23",
        "KIM",
    )
    assert [level.code for level in request.levels] == ["20", "21", "19", "22", "22", "23"]


def test_service_line_dates_do_not_replace_the_claims_and_odd_values_are_empty():
    text = build_276([inquiry(icn=5, dates="20250110")]).decode()
    text = text.replace(
        "DTP*472*D8*20250110~",
        "DTP*472*D8*20250110~\nSVC*HC:99213*100*0~\nREF*FJ*L1~\nDTP*472*D8*20240101~",
    ).replace("SE*16*", "SE*19*")
    (q,) = read_276(segments(text.encode())).inquiries
    assert q.dates == (dt.date(2025, 1, 10), dt.date(2025, 1, 10))
    (asked,) = q.lines
    assert (asked.procedure, asked.charge, asked.control) == (["HC", "99213"], "100", "L1")
    assert asked.dates == (dt.date(2024, 1, 1), dt.date(2024, 1, 1))
    bad = build_276([inquiry(icn=None, pcn="X", dates="2025XX01")]).decode()
    bad = bad.replace("REF*EJ*X~", "REF*1K*NOTANUMBER~REF*EJ*X~")
    (odd,) = read_276(segments(bad.encode())).inquiries
    assert odd.icn == -1 and odd.dates is None
