"""The balancing X221A1 requires (section 1.10.2.1), and the code checks, on adjudication
results before anything is written (pure: the code lists are the engine's data files).

Per line: charge − paid = Σ line adjustments. Per claim: charge − paid = Σ claim and line
adjustments; patient responsibility = Σ PR adjustments (claim and lines); with lines,
the claim's charge is the sum of its lines'. Per payment: amount = Σ claim paid
− Σ provider adjustments (PLB); a negative amount is a debit of the payee (BPR03 D, by
ACH only: the 835 carries its absolute value, as BPR02 is never below zero). Every
message says where, what was expected and the difference, so an analyst can fix the row.

Codes: CAS groups, CARC and RARC are judged on the service date (the line's, else the
claim's first date of service): a code our list does not hold is refused (the shipped
lists are subsets: an operator installs the full ones with ``python -m edi_platform.x12
codes refresh carc FILE``), as is a code not effective on that date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from edi_platform.x12.codelists import get_list

from .parsing import Adjustment, ClaimResult, Payment

__all__ = ["GROUP_CODES", "claim_problems", "codes_problems", "payment_problems"]

_ZERO = Decimal(0)
# CAS01 claim adjustment group codes, as data with effective dates: CR (corrections and
# reversals) was retired with 4010 and is not an X221A1 code.
GROUP_CODES: dict[str, tuple[dt.date, dt.date | None, str]] = {
    "CO": (dt.date(1995, 1, 1), None, "Contractual obligations"),
    "OA": (dt.date(1995, 1, 1), None, "Other adjustments"),
    "PI": (dt.date(1995, 1, 1), None, "Payor initiated reductions"),
    "PR": (dt.date(1995, 1, 1), None, "Patient responsibility"),
    "CR": (dt.date(1995, 1, 1), dt.date(2011, 12, 31), "Corrections and reversals"),
}
ACH_BANK_FIELDS = ("payer_routing", "payer_account", "payee_routing", "payee_account")
# PLB03-1 reasons the import takes (X221A1): interest, levy, forwarding balance,
# overpayment recovery, withholding, and the other common ones
_PLB_TEXT = (
    "50 51 72 90 AH AM AP B2 B3 BD BN C5 CR CS CT CV CW DM E3 FB FC GO HM IP IR IS J1 L3 L6 LE LS "
    "OA OB PI PL RA RE SL TL WO WU"
)
PLB_REASONS = frozenset(_PLB_TEXT.split())


def _fmt(value: Decimal) -> str:
    return format(value, "f")


def _sum(adjustments: Iterable[Adjustment], group: str | None = None) -> Decimal:
    return sum((a.amount for a in adjustments if group is None or a.group == group), _ZERO)


def _unbalanced(where: str, what: str, expected: Decimal, got: Decimal) -> str:
    return (
        f"{where}: {what} is {_fmt(got)}, the guide requires {_fmt(expected)} "
        f"(difference {_fmt(got - expected)})"
    )


def claim_problems(claim: ClaimResult) -> list[str]:
    """Line and claim balancing of one claim (empty when it balances)."""
    out = []
    line_cas = _ZERO
    line_pr = _ZERO
    for n, line in enumerate(claim.lines, 1):
        adjustments = _sum(line.adjustments)
        line_cas += adjustments
        line_pr += _sum(line.adjustments, "PR")
        if line.charge - line.paid != adjustments:
            out.append(
                _unbalanced(
                    f"{claim.where}, line {n}",
                    "charge − paid",
                    adjustments,
                    line.charge - line.paid,
                )
            )
    if claim.lines:
        # the claim's payment may be below its lines' (claim-level adjustments): the
        # charge − paid rule below covers it
        charges = sum((line.charge for line in claim.lines), _ZERO)
        if charges != claim.charge:
            out.append(_unbalanced(claim.where, "the claim charge", charges, claim.charge))
    adjustments = _sum(claim.adjustments) + line_cas
    if claim.charge - claim.paid != adjustments:
        out.append(
            _unbalanced(
                claim.where,
                "charge − paid (CLP03 − CLP04)",
                adjustments,
                claim.charge - claim.paid,
            )
            + " = the claim and line adjustments"
        )
    responsibility = _sum(claim.adjustments, "PR") + line_pr
    if claim.patient_responsibility != responsibility:
        out.append(
            _unbalanced(
                claim.where,
                "patient responsibility (CLP05)",
                responsibility,
                claim.patient_responsibility,
            )
            + " = the PR adjustments"
        )
    if claim.status == "4" and claim.paid != 0:
        out.append(f"{claim.where}: a denied claim (status 4) pays nothing")
    if claim.status == "25" and claim.paid != 0:
        out.append(f"{claim.where}: predetermination pricing only (status 25) pays nothing")
    return out


def payment_problems(payment: Payment) -> list[str]:
    """Every claim's balancing, then the payment's (BPR02 = Σ CLP04 − Σ PLB)."""
    out = [p for claim in payment.claims for p in claim_problems(claim)]
    expected = sum((c.paid for c in payment.claims), _ZERO) - sum(
        (a.amount for a in payment.provider_adjustments), _ZERO
    )
    if payment.amount != expected:
        out.append(
            _unbalanced(payment.where, "the payment amount (BPR02)", expected, payment.amount)
            + " = the claims paid − the provider adjustments"
        )
    if payment.amount < 0 and payment.method != "ACH":
        # X221A1: BPR02 is never below zero; a net-negative payment is a debit (BPR03 D)
        # of the payee's account, which only an EFT can make
        out.append(
            f"{payment.where}: a negative amount is a debit of the payee's account "
            "(BPR03 D): method ACH with bank data, or carry the balance forward (PLB FB)"
        )
    if payment.method == "NON" and payment.amount != 0:
        out.append(f"{payment.where}: method NON (no payment) needs an amount of 0")
    if payment.method != "NON" and payment.amount == 0:
        out.append(f"{payment.where}: a payment of 0 is sent with method NON")
    if payment.method == "ACH":
        missing = [k for k in ACH_BANK_FIELDS if not payment.bank.get(k)]
        if missing:
            out.append(f"{payment.where}: an ACH payment needs bank {', '.join(missing)}")
    for n, plb in enumerate(payment.provider_adjustments, 1):
        if plb.reason not in PLB_REASONS:
            out.append(f"{payment.where}, provider adjustment {n}: reason is not a PLB03 code")
    return out


def _judge(name: str, code: str, on: dt.date | None) -> str | None:
    if name == "group":
        entry = GROUP_CODES.get(code)
        if entry is None:
            return "is not a claim adjustment group code (CO, OA, PI, PR)"
        start, end, _ = entry
        if on is not None and end is not None and on > end:
            return f"is not effective after {end.isoformat()}"
        if on is not None and on < start:
            return f"is not effective before {start.isoformat()}"
        return None
    codes = get_list(name)
    if codes is None:
        return f"cannot be checked: the {name.upper()} list is not installed"
    if code not in codes.codes:
        return f"is not in our {name.upper()} list (install the full list if it is valid)"
    return codes.lookup(code, on)


def codes_problems(claim: ClaimResult, *, service_date: dt.date | None) -> list[str]:
    """Unknown or out-of-date group codes, CARCs and RARCs of one claim, judged on the
    line's date, else ``service_date`` (the claim's first date of service)."""
    out = []

    def check(where: str, adjustments: list[Adjustment], remarks: list[str], on) -> None:
        for n, a in enumerate(adjustments, 1):
            for name, code in (("group", a.group), ("carc", a.reason)):
                why = _judge(name, code, on)
                if why:
                    label = "group code" if name == "group" else "CARC"
                    out.append(f"{where}, adjustment {n}: {label} {code} {why}")
        for code in remarks:
            why = _judge("rarc", code, on)
            if why:
                out.append(f"{where}: RARC {code} {why}")

    check(claim.where, claim.adjustments, claim.remarks, service_date)
    for n, line in enumerate(claim.lines, 1):
        check(f"{claim.where}, line {n}", line.adjustments, line.remarks, line.date or service_date)
    return out
