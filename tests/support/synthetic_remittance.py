"""Synthetic adjudication results (the import's JSON format) for the remittance tests and
benchmark: balanced by construction unless a test says otherwise.

``claim_result(icn, charge, ...)`` writes one claim's result whose numbers balance (lines,
claim, PR = patient responsibility); ``payment(claims, ...)`` one payment whose amount is
the claims' paid minus the provider adjustments; ``document(payments)`` the file.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

FORMAT = "edi-platform-remittance/1"
PAYEE_NPI = "1234567893"
BANK = {
    "payer_routing": "011000015",
    "payer_account": "123456789",
    "payee_routing": "021000021",
    "payee_account": "987654321",
}


def money(value: Decimal | str | int) -> str:
    return f"{Decimal(value):.2f}"


def line(
    charge: str = "100.00",
    *,
    paid: str | None = None,
    co: str = "0",
    pr: str = "0",
    carc_co: str = "45",
    carc_pr: str = "2",
    procedure: str = "HC:99213",
    date: str = "2025-01-10",
    control: str = "",
    remarks: list[str] | None = None,
) -> dict[str, Any]:
    """A balanced line: paid = charge − CO − PR (unless ``paid`` says otherwise)."""
    adjustments = []
    if Decimal(co):
        adjustments.append({"group": "CO", "reason": carc_co, "amount": money(co)})
    if Decimal(pr):
        adjustments.append({"group": "PR", "reason": carc_pr, "amount": money(pr)})
    value = paid if paid is not None else money(Decimal(charge) - Decimal(co) - Decimal(pr))
    out = {
        "procedure": procedure,
        "charge": money(charge),
        "paid": value,
        "units": "1",
        "date": date,
        "allowed": money(Decimal(charge) - Decimal(co)),
        "adjustments": adjustments,
        "remarks": remarks or [],
    }
    if control:
        out["control_number"] = control
    return out


def claim_result(
    icn: int | None,
    lines: list[dict[str, Any]] | None = None,
    *,
    status: str = "1",
    claim_adjustments: list[dict[str, Any]] | None = None,
    remarks: list[str] | None = None,
    payer_claim_id: str = "",
    **keys: Any,
) -> dict[str, Any]:
    """A claim's result: charge and paid are its lines' sums, minus claim-level adjustments
    from paid; patient responsibility is every PR adjustment."""
    lines = lines if lines is not None else [line()]
    claim_adjustments = claim_adjustments or []
    charge = sum(Decimal(x["charge"]) for x in lines)
    paid = sum(Decimal(x["paid"]) for x in lines)
    every = claim_adjustments + [a for x in lines for a in x["adjustments"]]
    if not lines:
        charge = Decimal(keys.pop("charge", "100.00"))
        paid = charge - sum(Decimal(a["amount"]) for a in claim_adjustments)
    else:
        paid -= sum(Decimal(a["amount"]) for a in claim_adjustments)
    out = {
        "status": status,
        "charge": money(charge),
        "paid": money(paid),
        "patient_responsibility": money(
            sum((Decimal(a["amount"]) for a in every if a["group"] == "PR"), Decimal(0))
        ),
        "filing_indicator": "12",
        "payer_claim_id": payer_claim_id or f"PAY{icn or 0}",
        "adjustments": claim_adjustments,
        "remarks": remarks or [],
        "lines": lines,
    }
    if icn is not None:
        out["claim_control_number"] = icn
    out.update(keys)
    return out


def payment(
    claims: list[dict[str, Any]],
    *,
    trace: str = "EFT0001",
    method: str = "ACH",
    partner: str = "PROV01",
    plb: list[dict[str, Any]] | None = None,
    date: str = "2025-02-01",
    amount: str | None = None,
) -> dict[str, Any]:
    plb = plb or []
    total = sum(Decimal(c["paid"]) for c in claims) - sum(Decimal(p["amount"]) for p in plb)
    if method == "CHK" and total == 0:
        method = "NON"
    return {
        "payee": {"partner": partner, "npi": PAYEE_NPI, "tin": "999000444", "name": "TEST CLINIC"},
        "method": method if total else "NON",
        "amount": amount if amount is not None else money(total),
        "date": date,
        "trace": trace,
        "bank": BANK if method == "ACH" and total else {},
        "provider_adjustments": plb,
        "claims": claims,
    }


def document(payments: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "payer": {
            "name": "TEST HEALTH PLAN",
            "id": "PAYER01",
            "tin": "123456789",
            "address": "1 PLAN WAY",
            "city": "HARTFORD",
            "state": "CT",
            "zip": "06101",
            "contact": "EDI HELP DESK",
            "phone": "8005551212",
        },
        "payments": payments,
    }


def encode(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(doc)
