"""The 835 responder: its declaration, a deterministic renderer, and an 835 that does not
balance never passes the check assembly runs before storing (it would be quarantined)."""

from __future__ import annotations

import datetime as dt

from edi_platform import x12
from edi_platform.x12.segments import Delimiters
from outbound.remittance.parsing import read_json
from outbound.remittance.response import payer_defaults, payment_content
from outbound.responders import spec_for
from outbound.responders.r835 import render
from outbound.services.validation import file_problems
from tests.support.synthetic_remittance import claim_result, document, encode, line, payment

ENV = x12.EnvelopeParams(
    sender_qualifier="ZZ",
    sender_id="EDIPLATFORM",
    receiver_qualifier="ZZ",
    receiver_id="PROVIDER01",
    sender_gs_code="EDIPLATFORM",
    receiver_gs_code="PROVIDER01",
    usage_indicator="T",
    delimiters=Delimiters(),
    isa13=7,
    gs06=7,
    timestamp=dt.datetime(2026, 1, 1, 12, 0),
)
KNOWN = {
    "pcn": "P1",
    "patient": ["DOE", "KIM", "MI", "SUB0001"],
    "subscriber": ["", "", "MI", "SUB0001"],
    "service_from": dt.date(2025, 1, 10),
    "service_to": dt.date(2025, 1, 11),
    "facility": "11",
    "frequency": "1",
    "received": dt.date(2025, 1, 12),
}


def content() -> dict:
    doc = document([payment([claim_result(1, [line(co="20.00", pr="5.00")])], method="CHK")])
    (pay,) = read_json(encode(doc)).payments
    return payment_content(
        pay,
        payer=payer_defaults(doc["payer"]),
        receiver="PROVIDER01",
        produced=dt.date(2026, 1, 1),
        registry=[KNOWN],
    )


def test_declared_with_its_window_guide_and_balancing_check():
    spec = spec_for("835")
    assert (spec.functional_id, spec.counter_type, spec.window_minutes, spec.sla_minutes) == (
        "HP",
        "835",
        1440,
        None,
    )
    assert spec.guide_version == "005010X221A1" and spec.validation_snip_level == 3


def test_render_is_deterministic_and_valid_with_a_dependent_patient():
    one = render([content()], ENV, ["0001"])
    assert one == render([content()], ENV, ["0001"])
    assert file_problems(one, response_type="835") == []
    text = one.decode()
    assert "NM1*QC*1*DOE*KIM~" in text and "NM1*IL*1******MI*SUB0001~" in text
    assert "DTM*232*20250110~DTM*233*20250111~DTM*050*20250112~" in text


def test_an_unbalanced_835_is_refused_before_it_is_stored():
    c = content()
    c["payment"]["amount"] = "99"  # BPR02 no longer the claims paid
    problems = file_problems(render([c], ENV, ["0001"]), response_type="835")
    assert any("BPR" in p and "I12" in p for p in problems), problems


def test_pyx12s_x221a1_map_reads_our_835(tmp_path):
    """The peer's reading of the same file (pyx12's X221A1 map, ``x12valid``): its only
    finding is ST03, which its map marks "not used" while X221A1 requires it (see
    ``edi_platform/x12/guides/__init__.py``)."""
    import subprocess
    import sys
    from pathlib import Path

    copy = tmp_path / "remit.x12"
    copy.write_bytes(render([content(), content()], ENV, ["0001", "0002"]))
    run = subprocess.run(
        [str(Path(sys.executable).parent / "x12valid"), "-q", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = [line for line in run.stderr.splitlines() if " ERROR Line:" in line]
    assert len(errors) == 2, run.stderr
    assert all('"Implementation Convention Reference" (ST03) is marked as Not Used' in e
               for e in errors)  # fmt: skip
