"""The 277CA we send for a mixed 837 (accepted and rejected claims, two billing providers, a
dependent, an institutional claim): its levels, traces, totals and codes; every file passes
our X214 validation (assembly quarantines otherwise) and pyx12's X214 map (x12valid)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from outbound.services.files import render_file
from outbound.services.storage import outbound_storage
from tests.support.synthetic_834 import member
from tests.support.synthetic_837 import OTHER_NPI, Line, Person, Provider
from tests.support.synthetic_837 import Claim as C

pytestmark = pytest.mark.django_db

KID = Person(last="DOE", first="KIM", birth="20120303")


def mixed(world, kind="P"):
    world.enrol(
        member("SUB0001"), member("SUB0001", relationship="19", first="KIM", birth="20120303")
    )
    return world.send(
        kind,
        [
            Provider(
                claims=[
                    C(pcn="OK1", lines=[Line(charge="70.00"), Line(charge="30.00")]),
                    C(pcn="BAD1", charge="5.00", lines=[Line(charge="10.00")]),
                    C(pcn="KID1", patient=KID, lines=[Line(charge="20.00", date="20250101")]),
                ]
            ),
            Provider(
                npi=OTHER_NPI,
                claims=[C(pcn="NOBODY", subscriber=Person(id="X999"), lines=[Line()])],
            ),
        ],
    )


def test_levels_traces_totals_and_codes(world):
    result = mixed(world)
    ack = world.ack(result)
    segs = ack.segments
    bht = ack.all("BHT")[0]
    assert bht.elements[:2] == ["0085", "08"] and bht.get(6) == "TH"
    today = timezone.localdate().strftime("%Y%m%d")
    assert bht.get(4) == today
    # 2000A: us, as the 837's 1000B named us; received and processed dates
    assert [s.elements[:3] for s in ack.all("NM1", "PR")] == [["PR", "2", "TEST PAYER"]]
    assert ack.all("NM1", "PR")[0].get(9) == "PAYER01"
    assert [(s.get(1), s.get(3)) for s in ack.all("DTP") if s.get(1) in ("050", "009")] == [
        ("050", today),
        ("009", today),
    ]
    # 2000B: the submitter, the 837's BHT03, totals of the set
    assert ack.all("NM1", "41")[0].get(9) == "SUBMIT01"
    assert ack.all("TRN", "2")[0].get(2).startswith("BATCH")
    assert ack.all("STC")[0].get(1) == "A1:19:PR" and ack.all("STC")[0].get(3) == "WQ"
    assert ack.all("STC")[0].get(4) == "225"
    qty = [(s.get(1), s.get(2)) for s in ack.all("QTY")]
    amt = [(s.get(1), s.get(2)) for s in ack.all("AMT")]
    assert qty[:2] == [("90", "2"), ("AA", "2")] and amt[:2] == [("YU", "120"), ("YY", "105")]
    # 2000C per provider, with its own totals
    assert qty[2:] == [("QA", "2"), ("QC", "1"), ("QC", "1")]
    assert amt[2:] == [("YU", "120"), ("YY", "5"), ("YY", "100")]
    hls = [(s.get(1), s.get(2), s.get(3)) for s in segs if s.id == "HL"]
    assert hls == [
        ("1", "", "20"),
        ("2", "1", "21"),
        ("3", "2", "19"),
        ("4", "3", "PT"),
        ("5", "3", "PT"),
        ("6", "3", "PT"),
        ("7", "2", "19"),
        ("8", "7", "PT"),
    ]
    claims = ack.claims()
    assert ack.stc("OK1") == ["A2:20"] and ack.stc("BAD1") == ["A7:400"]
    assert ack.stc("NOBODY") == ["A7:33"] and ack.stc("KID1") == ["A2:20"]
    patient = next(s for s in claims["KID1"] if s.id == "NM1")
    assert patient.elements[:4] == ["QC", "1", "DOE", "KIM"]
    assert (patient.get(8), patient.get(9)) == ("MI", "SUB0001")  # the subscriber's id
    accepted = next(s for s in claims["OK1"] if s.id == "STC")
    assert (accepted.get(2), accepted.get(3), accepted.get(4)) == (today, "WQ", "100")
    rejected = next(s for s in claims["BAD1"] if s.id == "STC")
    assert (rejected.get(3), rejected.get(4)) == ("U", "5")
    assert not [s for s in claims["BAD1"] if s.id == "REF" and s.get(1) == "1K"]
    assert [s.elements for s in claims["KID1"] if s.id == "DTP"] == [["472", "D8", "20250101"]]


def test_institutional_bill_type_and_statement_dates(world):
    world.enrol()
    result = world.send("I", [Provider(claims=[C(pcn="INST", dates="20250105-20250107")])])
    segs = world.ack(result).claims()["INST"]
    refs = {s.get(1): s.get(2) for s in segs if s.id == "REF"}
    assert refs["BLT"] == "131"
    assert [s.elements for s in segs if s.id == "DTP"] == [["472", "RD8", "20250105-20250107"]]


def test_every_277ca_passes_pyx12s_x214_map(world, tmp_path):
    result = mixed(world)
    ack = world.ack(result)
    storage = outbound_storage()
    for file in ack.files:
        with storage.open(file.storage_path, "rb") as handle:
            copy = tmp_path / f"{file.isa13}.x12"
            copy.write_bytes(handle.read())
        run = subprocess.run(
            [str(Path(sys.executable).parent / "x12valid"), "-q", str(copy)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert f"{copy}: OK" in run.stderr, run.stderr


def test_a_rebuilt_277ca_has_the_same_bytes(world):
    result = mixed(world)
    ack = world.ack(result)
    (file,) = ack.files
    with outbound_storage().open(file.storage_path, "rb") as handle:
        stored = handle.read()
    assert render_file(file) == stored  # what recovery relies on


def test_the_settings_name_us_when_set(world, settings):
    settings.CLAIMS_PAYER_NAME = "OUR HEALTH PLAN"
    settings.CLAIMS_PAYER_ID = "OHP01"
    world.enrol()
    result = world.send("P", [Provider()])
    source = world.ack(result).all("NM1", "PR")[0]
    assert (source.get(3), source.get(8), source.get(9)) == ("OUR HEALTH PLAN", "PI", "OHP01")
