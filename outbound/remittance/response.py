"""The 835 (005010X221A1) of one payment: its content when the results are imported, its
segments when the file is assembled (pure and deterministic: a rebuild has the same bytes).

* BPR: BPR01 C (check with its advice), I (EFT, advice only) or H (notification only: no
  payment, BPR02 0, NON), BPR02 the amount, BPR03 C credit, or D debit when the payment is
  negative (recoupments or reversals above the claims paid: BPR02 is then its absolute
  value, X221A1 never sends a negative BPR02; by ACH only), the method; for ACH the DFI
  and account data the import gives for the payee (CCP, 01 routing numbers, DA
  accounts); BPR16 the check / EFT date;
* TRN*1 the check or EFT trace number, TRN03 1 + the payer's tax id;
* REF*EV the receiver (the payee partner's id), DTM*405 the production date;
* 1000A payer: N1*PR, N3, N4, REF*2U payer id, PER*BL technical contact;
* 1000B payee: N1*PE with its NPI (XX), REF*TJ its tax id;
* LX*1, then per claim (2100): CLP (CLP01 the patient control number, CLP02 status,
  CLP03 charge, CLP04 paid, CLP05 patient responsibility, CLP06 filing indicator, CLP07
  the payer's claim id, CLP08 facility, CLP09 frequency), CAS per group (up to six
  reasons each), NM1*QC the patient (and NM1*IL the subscriber when it is someone else),
  MOA with the claim's RARCs (X221A1 has no 2100 REF for our claim control number: the
  provider matches on CLP01 and CLP07), DTM*232/233 statement period, DTM*050 received,
  AMT*AU coverage amount, QTY per claim quantity (CA covered actual, NE non-covered
  estimated... up to 14);
* per line (2110): SVC (procedure and modifiers, charge, paid, units), DTM*472, CAS,
  REF*6R line item control number, AMT*B6 allowed, QTY per line quantity (ZK..ZO, up to
  6), LQ*HE per RARC;
* PLB per six provider adjustments (payee NPI, fiscal period end, reason:reference, amount).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings

from .parsing import Adjustment, ClaimResult, Payment

__all__ = ["payer_defaults", "payer_problems", "payment_content", "remit_segments"]

DATE = "%Y%m%d"


@functools.lru_cache(maxsize=8192)  # amounts repeat across a file's 10^5 claims
def amount(value: Decimal | str | None) -> str:
    """An X12 amount (R): no exponent, no trailing fraction zeros."""
    if value is None:
        return "0"
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


@functools.lru_cache(maxsize=4096)
def _day(value: dt.date) -> str:
    return value.strftime(DATE)


PAYER_KEYS = ("name", "tin", "address", "city", "state", "zip", "contact", "phone")


def payer_defaults(payer: dict[str, Any]) -> dict[str, str]:
    """The payer block of the file, completed from ``REMITTANCE_PAYER`` (``name|tin|address|
    city|state|zip|contact|phone``: the CSV pair names no payer) and ``CLAIMS_PAYER_NAME`` /
    ``CLAIMS_PAYER_ID``. :func:`payer_problems` says what is still missing."""
    configured = str(getattr(settings, "REMITTANCE_PAYER", "") or "").split("|")
    base = dict(zip(PAYER_KEYS, (v.strip() for v in configured), strict=False))
    get = lambda k, d="": str(payer.get(k) or base.get(k) or d)[:60]  # noqa: E731
    return {
        "name": get("name", getattr(settings, "CLAIMS_PAYER_NAME", "")),
        "id": get("id", getattr(settings, "CLAIMS_PAYER_ID", "")),
        "tin": "".join(c for c in get("tin") if c.isdigit()),
        "address": get("address"),
        "city": get("city"),
        "state": get("state")[:2].upper(),
        "zip": "".join(c for c in get("zip") if c.isalnum())[:15],
        "contact": get("contact", "EDI SUPPORT"),
        "phone": "".join(c for c in get("phone") if c.isdigit()),
    }


def payer_problems(payer: dict[str, str]) -> list[str]:
    """What the 835's payer block lacks (the file's "payer", else ``REMITTANCE_PAYER``)."""
    missing = [k for k in ("name", "address", "city", "state", "zip") if not payer[k]]
    out = (
        [f"payer: {', '.join(missing)} missing (in the file or REMITTANCE_PAYER)"]
        if missing
        else []
    )
    if len(payer["tin"]) != 9:
        out.append("payer: tin must be the payer's 9-digit tax id (TRN03)")
    return out


def _cas(adjustments: Sequence[Adjustment]) -> list[list[str]]:
    """[group, reason, amount, quantity] rows (the JSON form)."""
    return [
        [a.group, a.reason, amount(a.amount), "" if a.quantity is None else amount(a.quantity)]
        for a in adjustments
    ]


def payment_content(
    payment: Payment,
    *,
    payer: dict[str, str],
    receiver: str,
    produced: dt.date,
    registry: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """The outcome payload of one payment; ``registry`` holds, per claim in order, what
    the claim registry knows (patient, subscriber id, dates, facility, frequency, ICN)."""
    claims = []
    for claim, known in zip(payment.claims, registry, strict=True):
        claims.append(_claim(claim, known))
    return {
        "type": "835",
        "payer": payer,
        "receiver": receiver[:50],
        "produced": produced.strftime(DATE),
        "payment": {
            "method": payment.method,
            "amount": amount(payment.amount),
            "date": payment.date.strftime(DATE),
            "trace": payment.trace,
            "bank": payment.bank,
        },
        "payee": {
            "name": payment.payee_name or "PAYEE",
            "npi": payment.payee_npi,
            "tin": payment.payee_tin,
        },
        "claims": claims,
        "plb": [
            [
                p.reason,
                p.reference,
                amount(p.amount),
                (p.fiscal_period_end or dt.date(payment.date.year, 12, 31)).strftime(DATE),
            ]
            for p in payment.provider_adjustments
        ],
    }


def _claim(claim: ClaimResult, known: dict[str, Any]) -> dict[str, Any]:
    start = claim.statement_from or known.get("service_from")
    end = claim.statement_to or known.get("service_to") or start
    return {
        "pcn": known["pcn"],
        "status": claim.status,
        "charge": amount(claim.charge),
        "paid": amount(claim.paid),
        "responsibility": amount(claim.patient_responsibility),
        "filing": claim.filing_indicator,
        "payer_claim_id": claim.payer_claim_id,
        "facility": known.get("facility", ""),
        "frequency": known.get("frequency", ""),
        "cas": _cas(claim.adjustments),
        "remarks": claim.remarks[:5],
        "patient": known["patient"],
        "subscriber": known.get("subscriber"),
        "icn": known.get("icn"),
        "from": _day(start) if start else "",
        "to": _day(end) if end else "",
        "received": _day(claim.received or known.get("received"))
        if (claim.received or known.get("received"))
        else "",
        "coverage": "" if claim.coverage_amount is None else amount(claim.coverage_amount),
        "qty": [[q, amount(v)] for q, v in claim.quantities],
        "lines": [
            {
                "procedure": line.procedure,
                "charge": amount(line.charge),
                "paid": amount(line.paid),
                "units": "" if line.units is None else amount(line.units),
                "date": _day(line.date) if line.date else "",
                "cas": _cas(line.adjustments),
                "control": line.control_number,
                "allowed": "" if line.allowed is None else amount(line.allowed),
                "remarks": line.remarks,
                "qty": [[q, amount(v)] for q, v in line.quantities],
            }
            for line in claim.lines
        ],
    }


def _cas_segments(rows: Sequence[Sequence[str]]) -> list[list[str]]:
    """One CAS per group, six reasons each at most (X221A1 CAS02..CAS19), groups in the
    order they first come."""
    if not rows:
        return []
    out: list[list[str]] = []
    open_of: dict[str, list[str]] = {}  # the group's CAS being filled
    for group, reason, value, quantity in rows:
        seg = open_of.get(group)
        if seg is None or len(seg) >= 20:  # CAS01 + six triples: the next CAS
            seg = open_of[group] = ["CAS", group]
            out.append(seg)
        seg += (reason, value, quantity)
    if len(open_of) == len(out):
        return out
    # a group that filled more than one CAS keeps them together, in first-come order
    order = list(open_of)
    return sorted(out, key=lambda s: order.index(s[1]))


def remit_segments(content: dict[str, Any]) -> list[list[Any]]:
    """The segments between ST and SE of one 835 (see the module docstring)."""
    pay, payer, payee = content["payment"], content["payer"], content["payee"]
    bank = pay.get("bank") or {}
    value = pay["amount"]
    flag = "D" if value.startswith("-") else "C"
    value = value.lstrip("-")
    if pay["method"] == "ACH":
        bpr = [
            "BPR", "I", value, flag, "ACH", "CCP",
            "01", bank.get("payer_routing", ""), "DA", bank.get("payer_account", ""),
            ("1" + payer["tin"])[:10], "",
            "01", bank.get("payee_routing", ""), "DA", bank.get("payee_account", ""),
            pay["date"],
        ]  # fmt: skip
    else:
        first = "C" if pay["method"] == "CHK" else "H"
        bpr = ["BPR", first, value, flag, pay["method"], *[""] * 11, pay["date"]]
    out: list[list[Any]] = [
        bpr,
        ["TRN", "1", pay["trace"], "1" + payer["tin"]],
        ["REF", "EV", content["receiver"]],
        ["DTM", "405", content["produced"]],
        ["N1", "PR", payer["name"]],
        ["N3", payer["address"]],
        ["N4", payer["city"], payer["state"], payer["zip"]],
    ]
    if payer.get("id"):
        out.append(["REF", "2U", payer["id"]])
    out.append(["PER", "BL", payer["contact"], *(["TE", payer["phone"]] if payer["phone"] else [])])
    out.append(["N1", "PE", payee["name"], "XX", payee["npi"]])
    if payee.get("tin"):
        out.append(["REF", "TJ", payee["tin"]])
    if content["claims"]:
        out.append(["LX", "1"])
    for claim in content["claims"]:
        out += _claim_segments(claim)
    plbs = content["plb"]
    for i in range(0, len(plbs), 6):
        chunk = plbs[i : i + 6]
        seg = ["PLB", payee["npi"], chunk[0][3]]
        for reason, reference, value, _ in chunk:
            seg += [[reason, reference] if reference else reason, value]
        out.append(seg)
    return out


def _claim_segments(c: dict[str, Any]) -> list[list[Any]]:
    out: list[list[Any]] = [
        [
            "CLP",
            c["pcn"],
            c["status"],
            c["charge"],
            c["paid"],
            c["responsibility"] if c["responsibility"] != "0" else "",
            c["filing"],
            c["payer_claim_id"],
            c["facility"],
            c["frequency"],
        ]
    ]
    out += _cas_segments(c["cas"])
    patient = c["patient"]  # [last, first, id qualifier, id]
    if c.get("subscriber"):
        out.append(["NM1", "QC", "1", patient[0], patient[1]])
        sub = c["subscriber"]
        out.append(["NM1", "IL", "1", sub[0], sub[1], "", "", "", sub[2], sub[3]])
    else:
        out.append(["NM1", "QC", "1", patient[0], patient[1], "", "", "", patient[2], patient[3]])
    if c["remarks"]:
        out.append(["MOA", "", "", *c["remarks"]])
    if c["from"]:
        out.append(["DTM", "232", c["from"]])
    if c["to"]:
        out.append(["DTM", "233", c["to"]])
    if c["received"]:
        out.append(["DTM", "050", c["received"]])
    if c["coverage"]:
        out.append(["AMT", "AU", c["coverage"]])
    out += [["QTY", q, v] for q, v in c.get("qty", ())]
    for line in c["lines"]:
        svc = ["SVC", line["procedure"], line["charge"], line["paid"], "", line["units"]]
        out.append(svc)
        if line["date"]:
            out.append(["DTM", "472", line["date"]])
        out += _cas_segments(line["cas"])
        if line["control"]:
            out.append(["REF", "6R", line["control"]])
        if line["allowed"]:
            out.append(["AMT", "B6", line["allowed"]])
        out += [["QTY", q, v] for q, v in line.get("qty", ())]
        for code in line["remarks"]:
            out.append(["LQ", "HE", code])
    return out
