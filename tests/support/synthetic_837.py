"""Synthetic 837 files (fake people and providers only) for the claims tests and benchmark.

``build_837(kind, sets, ...)`` writes one interchange of 837P (X222A1), 837I (X223A2) or
837D (X224A2) sets; each set is a list of billing providers, each with its claims; each
claim names its subscriber and, for a dependent, its patient. Claims in a row with the
same subscriber and patient share one subscriber loop. Every claim and line takes keyword
overrides, so a test states only what it is about (a charge off balance, a future date, a
frequency-7 replacement, a value the guide flags).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

VERSIONS = {"P": "005010X222A1", "I": "005010X223A2", "D": "005010X224A2"}
NPI = "1234567893"  # a valid check digit
OTHER_NPI = "1245319599"  # another valid one


@dataclass
class Person:
    id: str = "SUB0001"
    last: str = "DOE"
    first: str = "JANE"
    birth: str = "19800101"
    relationship: str = "19"  # a dependent's PAT01 (child)


@dataclass
class Line:
    charge: str = "100.00"
    code: str = ""  # default per kind
    date: str = "20250110"  # DTP*472 (D8); "" for none; "A-B" for RD8
    control: str = ""  # REF*6R
    revenue: str = "0450"  # 837I
    units: str = "1"


@dataclass
class Claim:
    pcn: str = "PCN0001"
    charge: str = ""  # default: the sum of the lines
    lines: list[Line] = field(default_factory=lambda: [Line()])
    frequency: str = "1"
    facility: str = ""  # default per kind (11 office, 13 hospital outpatient)
    dates: str = ""  # claim-level DTP (837I statement DTP*434 RD8; 837D DTP*472)
    original: str = ""  # REF*F8
    d9: str = ""  # REF*D9
    subscriber: Person = field(default_factory=Person)
    patient: Person | None = None
    clm04: str = ""  # a value in a "not used" element: the 999 accepts the set with errors


@dataclass
class Provider:
    npi: str = NPI
    name: str = "TEST CLINIC"
    tax_id: str = "999000444"
    claims: list[Claim] = field(default_factory=lambda: [Claim()])


def _amount(lines: Iterable[Line]) -> str:
    total = sum(float(line.charge) for line in lines)
    return f"{total:.2f}"


def _dtp(qualifier: str, value: str) -> str:
    return f"DTP*{qualifier}*{'RD8' if '-' in value else 'D8'}*{value}"


def _claim_segments(kind: str, c: Claim) -> Iterator[str]:
    facility = c.facility or ("13" if kind == "I" else "11")
    qualifier = "A" if kind == "I" else "B"
    charge = c.charge or _amount(c.lines)
    clm04 = f"*{c.clm04}" if c.clm04 else "*"
    if kind == "I":
        yield f"CLM*{c.pcn}*{charge}*{clm04}*{facility}:{qualifier}:{c.frequency}**A*Y*Y"
        first = c.lines[0].date if c.lines and c.lines[0].date else "20250110"
        statement = c.dates or (first if "-" in first else f"{first}-{first}")
        yield _dtp("434", statement)
        yield "CL1*3**01"
    else:
        yield f"CLM*{c.pcn}*{charge}*{clm04}*{facility}:{qualifier}:{c.frequency}*Y*A*Y*I"
        if c.dates:
            yield _dtp("472", c.dates)
    if c.original:
        yield f"REF*F8*{c.original}"
    if c.d9:
        yield f"REF*D9*{c.d9}"
    if kind != "D":
        yield "HI*ABK:J069" if kind == "P" else "HI*ABK:R0789"
    for n, line in enumerate(c.lines, 1):
        yield f"LX*{n}"
        if kind == "P":
            yield f"SV1*HC:{line.code or '99213'}*{line.charge}*UN*{line.units}***1"
        elif kind == "I":
            yield f"SV2*{line.revenue}*HC:{line.code or '99283'}*{line.charge}*UN*{line.units}"
        else:
            yield f"SV3*AD:{line.code or 'D1110'}*{line.charge}****1"
        if line.date:
            yield _dtp("472", line.date)
        if line.control:
            yield f"REF*6R*{line.control}"


def _set_segments(kind: str, providers: list[Provider], st02: str, bht03: str) -> list[str]:
    body = [
        f"BHT*0019*00*{bht03}*20260101*1200*CH",
        "NM1*41*2*TEST SUBMITTER*****46*SUBMIT01",
        "PER*IC*TEST CONTACT*TE*5555550100",
        "NM1*40*2*TEST PAYER*****46*PAYER01",
    ]
    hl = 0
    for p in providers:
        hl += 1
        provider_hl = hl
        body += [
            f"HL*{provider_hl}**20*1",
            f"NM1*85*2*{p.name}*****XX*{p.npi}",
            "N3*1 CLINIC ROAD",
            "N4*TESTCITY*CA*900010000",
            f"REF*EI*{p.tax_id}",
        ]
        previous: tuple | None = None
        for c in p.claims:
            who = (c.subscriber, c.patient)
            if who != previous:
                s = c.subscriber
                hl += 1
                subscriber_hl = hl
                dependent = c.patient is not None
                body += [
                    f"HL*{subscriber_hl}*{provider_hl}*22*{1 if dependent else 0}",
                    f"SBR*P*{'' if dependent else '18'}*******CI",
                    f"NM1*IL*1*{s.last}*{s.first}****MI*{s.id}",
                    "N3*2 HOME STREET",
                    "N4*TESTCITY*CA*90001",
                    f"DMG*D8*{s.birth}*F",
                    "NM1*PR*2*TEST PAYER*****PI*PAYER01",
                ]
                if dependent:
                    pt = c.patient
                    assert pt is not None
                    hl += 1
                    body += [
                        f"HL*{hl}*{subscriber_hl}*23*0",
                        f"PAT*{pt.relationship}",
                        f"NM1*QC*1*{pt.last}*{pt.first}",
                        "N3*2 HOME STREET",
                        "N4*TESTCITY*CA*90001",
                        f"DMG*D8*{pt.birth}*M",
                    ]
                previous = who
            body.extend(_claim_segments(kind, c))
    version = VERSIONS[kind]
    return [f"ST*837*{st02}*{version}", *body, f"SE*{len(body) + 2}*{st02}"]


def build_837(
    kind: str,
    sets: Iterable[list[Provider]],
    *,
    isa13: int = 1,
    sender: str = "PROVIDER01",
    receiver: str = "EDIPLATFORM",
    gs06: int | None = None,
    date: str = "20260101",
) -> bytes:
    """One interchange with one functional group of 837 sets of ``kind`` (P, I or D)."""
    version = VERSIONS[kind]
    lines = [
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender:<15}*ZZ*{receiver:<15}*{date[2:]}*1200*^*"
        f"00501*{isa13:09d}*0*T*:",
        f"GS*HC*{sender}*{receiver}*{date}*1200*{gs06 or isa13}*X*{version}",
    ]
    count = 0
    for n, providers in enumerate(sets, 1):
        count += 1
        lines += _set_segments(kind, providers, f"{n:04d}", f"BATCH{isa13}-{n}")
    lines += [f"GE*{count}*{gs06 or isa13}", f"IEA*1*{isa13:09d}"]
    return ("~\n".join(lines) + "~\n").encode("latin-1")


def d8(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def many_claims(
    count: int, *, pcn_prefix: str = "C", subscriber: Person | None = None, line_date: str = ""
) -> list[Claim]:
    """``count`` distinct one-line claims of one subscriber (the benchmark's and big tests')."""
    who = subscriber or Person()
    date = line_date or "20250110"
    return [
        Claim(pcn=f"{pcn_prefix}{n:07d}", subscriber=who, lines=[Line(date=date)])
        for n in range(count)
    ]
