"""Synthetic 276 claim status inquiries (fake people only) for tests and the benchmark.

``inquiry(...)`` describes one claim asked about (by our claim control number, or by
patient control number + dates), ``build_276(inquiries, ...)`` writes one interchange of
one 276 set: payer, receiver, one provider (NPI), one subscriber level per inquiry (and a
dependent level when the inquiry names one).
"""

from __future__ import annotations

from typing import Any

NPI = "1234567893"


def inquiry(
    *,
    icn: int | None = None,
    pcn: str = "",
    dates: str = "20250110",
    member_id: str = "SUB0001",
    last: str = "DOE",
    first: str = "JANE",
    dependent: str = "",  # the dependent patient's first name
    trace: str = "TRACE1",
    charge: str = "100",
    lines: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One claim inquiry; ``lines`` are 2210 service line inquiries (see :func:`svc`)."""
    return {
        "lines": lines or [],
        "icn": icn,
        "pcn": pcn,
        "dates": dates,
        "member_id": member_id,
        "last": last,
        "first": first,
        "dependent": dependent,
        "trace": trace,
        "charge": charge,
    }


def svc(
    procedure: str = "HC:99213", charge: str = "100", *, control: str = "", date: str = "20250110"
) -> dict[str, str]:
    """A service line inquiry (2210D/E): SVC, REF*FJ when ``control``, DTP*472."""
    return {"procedure": procedure, "charge": charge, "control": control, "date": date}


def _claim(q: dict[str, Any]) -> list[str]:
    out = [f"TRN*1*{q['trace']}"]
    if q["icn"] is not None:
        out.append(f"REF*1K*{q['icn']}")
    if q["pcn"]:
        out.append(f"REF*EJ*{q['pcn']}")
    out.append(f"AMT*T3*{q['charge']}")
    if q["dates"]:
        qualifier = "RD8" if "-" in q["dates"] else "D8"
        out.append(f"DTP*472*{qualifier}*{q['dates']}")
    for line in q["lines"]:
        out.append(f"SVC*{line['procedure']}*{line['charge']}")
        if line["control"]:
            out.append(f"REF*FJ*{line['control']}")
        out.append(f"DTP*472*D8*{line['date']}")
    return out


def build_276(
    inquiries: list[dict[str, Any]],
    *,
    isa13: int = 1,
    sender: str = "PROVIDER01",
    receiver: str = "EDIPLATFORM",
    npi: str = NPI,
    date: str = "20260101",
) -> bytes:
    body = [
        "ST*276*0001*005010X212",
        f"BHT*0010*13*REQ{isa13}*{date}*1200",
        "HL*1**20*1",
        "NM1*PR*2*TEST HEALTH PLAN*****PI*EDIPLATFORM",
        "HL*2*1*21*1",
        f"NM1*41*2*TEST CLEARINGHOUSE*****46*{sender}",
        "HL*3*2*19*1",
        f"NM1*1P*2*TEST CLINIC*****XX*{npi}",
    ]
    hl = 3
    for q in inquiries:
        hl += 1
        sub = hl
        body.append(f"HL*{sub}*3*22*{1 if q['dependent'] else 0}")
        body.append("DMG*D8*19800101*F")
        body.append(f"NM1*IL*1*{q['last']}*{q['first']}****MI*{q['member_id']}")
        if q["dependent"]:
            hl += 1
            body += [
                f"HL*{hl}*{sub}*23",
                "DMG*D8*20120303*F",
                f"NM1*QC*1*{q['last']}*{q['dependent']}",
            ]
        body += _claim(q)
    body.append(f"SE*{len(body) + 1}*0001")
    lines = [
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender:<15}*ZZ*{receiver:<15}*{date[2:]}*1200*^*"
        f"00501*{isa13:09d}*0*T*:",
        f"GS*HR*{sender}*{receiver}*{date}*1200*{isa13}*X*005010X212",
        *body,
        f"GE*1*{isa13}",
        f"IEA*1*{isa13:09d}",
    ]
    return ("~\n".join(lines) + "~\n").encode("latin-1")
