"""Synthetic 270 eligibility inquiries (fake people only) for tests and the benchmark.

``subscriber`` / ``dependent`` describe the people asked about; ``build_270`` writes one
interchange (one group, one or more 270 sets) from them. Defaults make a valid inquiry
that names us as the payer (``EDIPLATFORM``) from a provider with a valid NPI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

VALID_NPI = "1234567893"  # the classic check-digit example (Luhn over 80840 + 9 digits)
OTHER_VALID_NPI = "1245319599"
PAYER_ID = "EDIPLATFORM"


def subscriber(
    member_id: str = "",
    *,
    last: str = "DOE",
    first: str = "JANE",
    birth: str = "19800101",
    gender: str = "",
    trn: str = "TRN0001",
    service_types: Iterable[Sequence[str]] = (("30",),),
    date: str = "",
    date_format: str = "D8",
    eq_dates: Sequence[str] = (),
    dependents: Iterable[dict[str, Any]] = (),
    dmg_format: str = "D8",
) -> dict[str, Any]:
    """A subscriber asked about. ``service_types``: one tuple of EQ01 codes per EQ (several
    codes = repetitions); ``eq_dates``: a DTP*291 per EQ (same order, "" for none)."""
    return {
        "member_id": member_id,
        "last": last,
        "first": first,
        "birth": birth,
        "gender": gender,
        "trn": trn,
        "service_types": [tuple(s) for s in service_types],
        "date": date,
        "date_format": date_format,
        "eq_dates": list(eq_dates),
        "dependents": [dict(d) for d in dependents],
        "dmg_format": dmg_format,
    }


def dependent(
    *,
    last: str = "DOE",
    first: str = "JIM",
    birth: str = "20100101",
    relationship: str = "",
    trn: str = "TRND001",
    service_types: Iterable[Sequence[str]] = (("30",),),
    date: str = "",
) -> dict[str, Any]:
    """A dependent asked about (under a subscriber)."""
    return {
        "last": last,
        "first": first,
        "birth": birth,
        "relationship": relationship,
        "trn": trn,
        "service_types": [tuple(s) for s in service_types],
        "date": date,
        "date_format": "D8",
        "eq_dates": [],
        "dmg_format": "D8",
        "gender": "",
    }


def _person(p: dict[str, Any], level: str, hl: int, parent: int, children: bool) -> list[str]:
    out = [f"HL*{hl}*{parent}*{level}*{1 if children else 0}", f"TRN*1*{p['trn']}*9123456789"]
    if level == "22":
        name = f"NM1*IL*1*{p['last']}*{p['first']}"
        if p["member_id"]:
            name += f"****MI*{p['member_id']}"
    else:
        name = f"NM1*03*1*{p['last']}*{p['first']}"
    out.append(name)
    if p["birth"]:
        out.append(
            f"DMG*{p['dmg_format']}*{p['birth']}" + (f"*{p['gender']}" if p["gender"] else "")
        )
    if level == "23" and p.get("relationship"):
        out.append("*".join(["INS", "N", p["relationship"], *[""] * 14, "1"]))
    if p["date"]:
        out.append(f"DTP*291*{p['date_format']}*{p['date']}")
    for index, codes in enumerate(p["service_types"]):
        out.append("EQ*" + "^".join(codes))
        eq_date = p["eq_dates"][index] if index < len(p["eq_dates"]) else ""
        if eq_date:
            out.append(f"DTP*291*D8*{eq_date}")
    return out


def set_body(
    subscribers: Iterable[dict[str, Any]],
    *,
    payer_id: str = PAYER_ID,
    npi: str = VALID_NPI,
    npi_qualifier: str = "XX",
    bht_ref: str = "BHTREF0001",
    date: str = "20260105",
) -> list[str]:
    """The segments of one 270 set between ST and SE."""
    body = [
        f"BHT*0022*13*{bht_ref}*{date}*1200",
        "HL*1**20*1",
        f"NM1*PR*2*SYNTH PAYER*****PI*{payer_id}",
        "HL*2*1*21*1",
        f"NM1*1P*2*SYNTH CLINIC*****{npi_qualifier}*{npi}",
    ]
    hl = 2
    for s in subscribers:
        hl += 1
        parent = hl
        body += _person(s, "22", hl, 2, bool(s["dependents"]))
        for d in s["dependents"]:
            hl += 1
            body += _person(d, "23", hl, parent, False)
    return body


def build_270(
    subscribers: Iterable[dict[str, Any]] | None = None,
    *,
    sets: Sequence[list[dict[str, Any]]] | None = None,
    isa13: int = 1,
    sender: str = "PROVIDER01",
    receiver: str = "EDIPLATFORM",
    date: str = "20260105",
    **body: Any,
) -> bytes:
    """One interchange with one HS group holding one 270 set per entry of ``sets`` (or one
    set of ``subscribers``); one segment per line, ``~`` terminated."""
    all_sets = list(sets) if sets is not None else [list(subscribers or [subscriber("S1")])]
    lines = [
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender:<15}*ZZ*{receiver:<15}*{date[2:]}*1200*^*"
        f"00501*{isa13:09d}*0*T*:",
        f"GS*HS*{sender}*{receiver}*{date}*1200*{isa13}*X*005010X279A1",
    ]
    for index, subs in enumerate(all_sets, start=1):
        st02 = f"{index:04d}"
        segs = set_body(subs, date=date, **body)
        lines.append(f"ST*270*{st02}*005010X279A1")
        lines += segs
        lines.append(f"SE*{len(segs) + 2}*{st02}")
    lines += [f"GE*{len(all_sets)}*{isa13}", f"IEA*1*{isa13:09d}"]
    return ("~\n".join(lines) + "~\n").encode("latin-1")
