"""Adjudication results as they come in: the JSON format (and its CSV pair) read into
plain dataclasses, with one message per row that cannot be read (pure, no database).

The formats are documented in the README (section "Remittance"). A message names where the
problem is (payment n, claim n, line n, and the field) and never quotes a value that could
be PHI: an analyst opens the file at that place. Amounts are exact decimals (at most two
fraction digits); dates are ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

__all__ = [
    "CLAIM_STATUSES",
    "FORMAT",
    "METHODS",
    "Adjustment",
    "ClaimResult",
    "LineResult",
    "Payment",
    "ProviderAdjustment",
    "Remittance",
    "read_csv_pair",
    "read_json",
]

FORMAT = "edi-platform-remittance/1"
# CLP02 the import takes (X221A1): processed as primary/secondary/tertiary, denied,
# processed as primary/secondary/tertiary and forwarded, not our claim, reversal,
# predetermination pricing only (no payment)
CLAIM_STATUSES = ("1", "2", "3", "4", "19", "20", "21", "22", "23", "25")
METHODS = ("ACH", "CHK", "NON")
# CLP06 claim filing indicator codes of X221A1
FILING_INDICATORS = ("12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA")
PROCEDURE_QUALIFIERS = ("AD", "ER", "HC", "HP", "IV", "N4", "N6", "NU", "UI", "WK")
# QTY01 of X221A1: the claim's (2100, up to 14) and the service line's (2110, up to 6)
CLAIM_QUANTITIES = (
    "CA", "CD", "LA", "LE", "NE", "NR", "OU", "PS", "VS", "ZK", "ZL", "ZM", "ZN", "ZO"
)  # fmt: skip
LINE_QUANTITIES = ("ZK", "ZL", "ZM", "ZN", "ZO")
MAX_ROWS = 200_000  # claims per file: a bigger result set is split by the payer
# the common spelling of an amount ("-12.50"): taken without Decimal's exponent check
_PLAIN_AMOUNT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,2})?")
# amounts and dates repeat across 10^5 rows of a file: one object per distinct spelling
# (both types are immutable)
_decimal = functools.lru_cache(maxsize=8192)(Decimal)
_iso_date = functools.lru_cache(maxsize=4096)(dt.date.fromisoformat)


@dataclass(frozen=True)
class Adjustment:
    group: str  # CAS01: CO, PR, OA, PI (CR is refused by its end date)
    reason: str  # CARC
    amount: Decimal
    quantity: Decimal | None = None


@dataclass
class LineResult:
    procedure: list[str]  # qualifier, code, modifiers...
    charge: Decimal
    paid: Decimal
    units: Decimal | None = None
    date: dt.date | None = None
    control_number: str = ""
    allowed: Decimal | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    quantities: list[tuple[str, Decimal]] = field(default_factory=list)  # QTY01, QTY02


@dataclass
class ClaimResult:
    where: str  # "payment 1, claim 2" for messages
    claim_control_number: int | None
    patient_control_number: str
    billing_npi: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    filing_indicator: str
    payer_claim_id: str
    statement_from: dt.date | None = None
    statement_to: dt.date | None = None
    received: dt.date | None = None
    coverage_amount: Decimal | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    lines: list[LineResult] = field(default_factory=list)
    quantities: list[tuple[str, Decimal]] = field(default_factory=list)  # QTY01, QTY02


@dataclass(frozen=True)
class ProviderAdjustment:
    reason: str  # PLB03-1: L6 interest, WO overpayment recovery, FB forwarding balance...
    reference: str  # PLB03-2
    amount: Decimal  # positive: taken from the payment; negative: added (interest)
    fiscal_period_end: dt.date | None = None


@dataclass
class Payment:
    where: str
    partner: str  # the payee partner's code (who receives the 835)
    payee_npi: str
    payee_tin: str
    payee_name: str
    method: str
    amount: Decimal
    date: dt.date
    trace: str
    bank: dict[str, str] = field(default_factory=dict)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    claims: list[ClaimResult] = field(default_factory=list)


@dataclass
class Remittance:
    payer: dict[str, Any]
    payments: list[Payment]

    @property
    def claim_count(self) -> int:
        return sum(len(p.claims) for p in self.payments)


class _Reader:
    """Collects per-row messages while values are read."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.procedures: dict[str, tuple[str, ...]] = {}

    def fail(self, where: str, what: str) -> None:
        self.errors.append(f"{where}: {what}")

    def text(self, obj: dict, key: str, where: str, *, required: bool = True, size: int = 50):
        value = obj.get(key)
        if (
            type(value) is str
            and 0 < len(value) <= size
            and value.isprintable()
            and value[0] != " "
            and value[-1] != " "
        ):
            return value  # the fast path: already stripped and short enough
        if value is None or value == "":
            if required:
                self.fail(where, f"{key} is missing")
            return ""
        if not isinstance(value, str | int):
            self.fail(where, f"{key} must be text")
            return ""
        value = str(value).strip()
        if len(value) > size:
            self.fail(where, f"{key} is longer than {size} characters")
        return value[:size]

    def amount(self, obj: dict, key: str, where: str, *, required: bool = True):
        value = obj.get(key)
        if type(value) is str and _PLAIN_AMOUNT.fullmatch(value):
            return _decimal(value)  # the fast path: 10^5 amounts a file
        if value is None or value == "":
            if required:
                self.fail(where, f"{key} is missing")
            return None
        if isinstance(value, float):
            self.fail(where, f"{key} must be a string or an integer (floats lose cents)")
            return None
        try:
            number = Decimal(value if isinstance(value, str) else str(value))
        except InvalidOperation:
            self.fail(where, f"{key} is not an amount")
            return None
        # finite, at most two decimals (an exponent, not a quantize: 10^5 amounts a file)
        exponent = number.as_tuple().exponent
        if not isinstance(exponent, int) or exponent < -2 or abs(number) >= 10**15:
            self.fail(where, f"{key} is not an amount with at most two decimals")
            return None
        return number

    def date(self, obj: dict, key: str, where: str, *, required: bool = False):
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.fail(where, f"{key} is missing")
            return None
        try:
            return _iso_date(str(value))
        except ValueError:
            self.fail(where, f"{key} is not a date (YYYY-MM-DD)")
            return None

    def choice(self, obj: dict, key: str, where: str, options: tuple[str, ...]) -> str:
        value = self.text(obj, key, where)
        if value and value not in options:
            self.fail(where, f"{key} must be one of {', '.join(options)}")
        return value

    def items(self, obj: dict, key: str, where: str) -> list:
        value = obj.get(key) or []
        if not isinstance(value, list):
            self.fail(where, f"{key} must be a list")
            return []
        return value

    def objects(self, obj: dict, key: str, where: str, label: str, most: int = 0):
        """(where, item) of each object of the list ``key`` (up to ``most`` when given)."""
        items = self.items(obj, key, where)
        if most and len(items) > most:
            self.fail(where, f"at most {most} {key}")
            items = items[:most]
        for n, raw in enumerate(items, 1):
            here = f"{where}, {label} {n}"
            if not isinstance(raw, dict):
                self.fail(here, "must be an object")
                continue
            yield here, raw

    def adjustments(self, obj: dict, where: str) -> list[Adjustment]:
        out = []
        for here, raw in self.objects(obj, "adjustments", where, "adjustment"):
            group = self.text(raw, "group", here, size=2).upper()
            reason = self.text(raw, "reason", here, size=5).upper()
            amount = self.amount(raw, "amount", here)
            quantity = self.amount(raw, "quantity", here, required=False)
            if group and reason and amount is not None:
                out.append(Adjustment(group, reason, amount, quantity))
        return out

    def remarks(self, obj: dict, where: str) -> list[str]:
        out = []
        for n, raw in enumerate(self.items(obj, "remarks", where), 1):
            if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > 30:
                self.fail(where, f"remark {n} is not a remark code")
                continue
            out.append(raw.strip().upper())
        return out

    def quantities(
        self, obj: dict, where: str, qualifiers: tuple[str, ...], most: int
    ) -> list[tuple[str, Decimal]]:
        """``[{"qualifier": "CA", "quantity": "3"}, ...]`` -> (QTY01, QTY02) pairs."""
        out = []
        for here, raw in self.objects(obj, "quantities", where, "quantity", most):
            qualifier = self.text(raw, "qualifier", here, size=2).upper()
            value = self.amount(raw, "quantity", here)
            if qualifier and qualifier not in qualifiers:
                self.fail(here, f"qualifier must be one of {', '.join(qualifiers)}")
            elif qualifier and value is not None:
                out.append((qualifier, value))
        return out

    def procedure(self, obj: dict, where: str) -> list[str]:
        raw = obj.get("procedure")
        known = self.procedures.get(raw) if type(raw) is str else None
        if known is not None:
            return list(known)  # a file names few distinct procedures: read each once
        parts = self._procedure(raw, where)
        if parts and type(raw) is str:
            self.procedures[raw] = tuple(parts)
        return parts

    def _procedure(self, raw: Any, where: str) -> list[str]:
        parts = raw.split(":") if isinstance(raw, str) else raw
        if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
            self.fail(where, "procedure is missing (e.g. HC:99213:25)")
            return []
        parts = [p.strip().upper() for p in parts]
        if len(parts) == 1:
            parts = ["HC", parts[0]]
        if parts[0] not in PROCEDURE_QUALIFIERS or not parts[1] or len(parts) > 6:
            self.fail(where, "procedure must be QUALIFIER:CODE[:MODIFIER...] (up to 4 modifiers)")
            return []
        return parts

    def line(self, raw: Any, where: str) -> LineResult | None:
        if not isinstance(raw, dict):
            self.fail(where, "must be an object")
            return None
        procedure = self.procedure(raw, where)
        charge = self.amount(raw, "charge", where)
        paid = self.amount(raw, "paid", where)
        units = self.amount(raw, "units", where, required=False)
        if charge is None or paid is None or not procedure:
            return None
        return LineResult(
            procedure=procedure,
            charge=charge,
            paid=paid,
            units=units,
            date=self.date(raw, "date", where),
            control_number=self.text(raw, "control_number", where, required=False, size=30),
            allowed=self.amount(raw, "allowed", where, required=False),
            adjustments=self.adjustments(raw, where),
            remarks=self.remarks(raw, where),
            quantities=self.quantities(raw, where, LINE_QUANTITIES, 6),
        )

    def claim(self, raw: Any, where: str) -> ClaimResult | None:
        if not isinstance(raw, dict):
            self.fail(where, "must be an object")
            return None
        number = raw.get("claim_control_number")
        icn: int | None = None
        if number not in (None, ""):
            try:
                icn = int(str(number))
            except ValueError:
                self.fail(where, "claim_control_number is not a number")
        pcn = self.text(raw, "patient_control_number", where, required=False, size=38)
        npi = self.text(raw, "billing_npi", where, required=False, size=80)
        if icn is None and not (pcn and npi):
            self.fail(where, "give claim_control_number, or patient_control_number and billing_npi")
        status = self.choice(raw, "status", where, CLAIM_STATUSES)
        charge = self.amount(raw, "charge", where)
        paid = self.amount(raw, "paid", where)
        responsibility = self.amount(raw, "patient_responsibility", where, required=False)
        filing = self.choice(raw, "filing_indicator", where, FILING_INDICATORS)
        payer_claim_id = self.text(raw, "payer_claim_id", where, size=50)
        lines = []
        for n, line in enumerate(self.items(raw, "lines", where), 1):
            read = self.line(line, f"{where}, line {n}")
            if read is not None:
                lines.append(read)
        if charge is None or paid is None:
            return None
        return ClaimResult(
            where=where + (f" (claim control number {icn})" if icn is not None else ""),
            claim_control_number=icn,
            patient_control_number=pcn,
            billing_npi=npi,
            status=status,
            charge=charge,
            paid=paid,
            patient_responsibility=responsibility or Decimal(0),
            filing_indicator=filing,
            payer_claim_id=payer_claim_id,
            statement_from=self.date(raw, "statement_from", where),
            statement_to=self.date(raw, "statement_to", where),
            received=self.date(raw, "received", where),
            coverage_amount=self.amount(raw, "coverage_amount", where, required=False),
            adjustments=self.adjustments(raw, where),
            remarks=self.remarks(raw, where),
            lines=lines,
            quantities=self.quantities(raw, where, CLAIM_QUANTITIES, 14),
        )

    def payment(self, raw: Any, where: str) -> Payment | None:
        if not isinstance(raw, dict):
            self.fail(where, "must be an object")
            return None
        trace = self.text(raw, "trace", where, size=50)
        where = where + (f" (trace {trace})" if trace else "")
        payee = raw.get("payee") if isinstance(raw.get("payee"), dict) else {}
        if not payee:
            self.fail(where, "payee is missing")
        partner = self.text(payee, "partner", f"{where}, payee", size=30)
        npi = self.text(payee, "npi", f"{where}, payee", size=10)
        if npi and (len(npi) != 10 or not npi.isdigit()):
            self.fail(f"{where}, payee", "npi must be 10 digits")
        plbs = []
        for here, item in self.objects(raw, "provider_adjustments", where, "provider adjustment"):
            reason = self.text(item, "reason", here, size=2).upper()
            amount = self.amount(item, "amount", here)
            if reason and amount is not None:
                plbs.append(
                    ProviderAdjustment(
                        reason=reason,
                        reference=self.text(item, "reference", here, required=False, size=50),
                        amount=amount,
                        fiscal_period_end=self.date(item, "fiscal_period_end", here),
                    )
                )
        bank = raw.get("bank") if isinstance(raw.get("bank"), dict) else {}
        claims = []
        for n, item in enumerate(self.items(raw, "claims", where), 1):
            read = self.claim(item, f"{where}, claim {n}")
            if read is not None:
                claims.append(read)
        if not raw.get("claims"):
            self.fail(where, "has no claims")
        method = self.choice(raw, "method", where, METHODS)
        amount = self.amount(raw, "amount", where)
        date = self.date(raw, "date", where, required=True)
        if amount is None or date is None:
            return None
        return Payment(
            where=where,
            partner=partner,
            payee_npi=npi,
            payee_tin=self.text(payee, "tin", f"{where}, payee", required=False, size=30),
            payee_name=self.text(payee, "name", f"{where}, payee", required=False, size=60),
            method=method,
            amount=amount,
            date=date,
            trace=trace,
            bank={k: str(v)[:35] for k, v in bank.items() if isinstance(v, str | int)},
            provider_adjustments=plbs,
            claims=claims,
        )


class RemittanceUnreadable(ValueError):
    """The file cannot be read as adjudication results: ``messages`` say where."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(f"{len(messages)} problem(s) in the adjudication results")
        self.messages = messages


def read_json(data: bytes) -> Remittance:
    """The JSON format (see the README); raises :class:`RemittanceUnreadable`."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RemittanceUnreadable([f"not valid JSON (at character {exc.pos})"]) from None
    return _read_doc(doc)


def _read_doc(doc: Any) -> Remittance:
    reader = _Reader()
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise RemittanceUnreadable([f'the document must be an object with "format": "{FORMAT}"'])
    payer = doc.get("payer") if isinstance(doc.get("payer"), dict) else {}
    raw_payments = reader.items(doc, "payments", "file")
    if not raw_payments:
        reader.fail("file", "has no payments")
    payments = []
    for n, raw in enumerate(raw_payments, 1):
        read = reader.payment(raw, f"payment {n}")
        if read is not None:
            payments.append(read)
    remittance = Remittance(payer=payer, payments=payments)
    if remittance.claim_count > MAX_ROWS:
        reader.fail("file", f"more than {MAX_ROWS} claims: split it")
    if reader.errors:
        raise RemittanceUnreadable(reader.errors)
    return remittance


# -- the CSV pair ----------------------------------------------------------------------------
CLAIM_COLUMNS = (
    "payment_trace",
    "payee_partner",
    "payee_npi",
    "payee_tin",
    "payee_name",
    "payment_method",
    "payment_amount",
    "payment_date",
    "provider_adjustments",
    "claim_control_number",
    "patient_control_number",
    "billing_npi",
    "status",
    "charge",
    "paid",
    "patient_responsibility",
    "filing_indicator",
    "payer_claim_id",
    "statement_from",
    "statement_to",
    "adjustments",
    "remarks",
)
# columns a file may leave out (added after the first files were written)
OPTIONAL_COLUMNS = ("quantities",)
LINE_COLUMNS = (
    "payment_trace",
    "claim_row",
    "procedure",
    "charge",
    "paid",
    "units",
    "date",
    "control_number",
    "allowed",
    "adjustments",
    "remarks",
)


def _csv_rows(data: bytes, name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RemittanceUnreadable([f"{name}: not UTF-8 text"]) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    missing = [c for c in columns if rows and c not in rows[0]]
    if not rows:
        raise RemittanceUnreadable([f"{name}: no rows"])
    if missing:
        raise RemittanceUnreadable([f"{name}: missing columns {', '.join(missing)}"])
    return rows


def _cas_list(text: str) -> list[dict[str, str]]:
    """``CO:45:20.00;PR:1:10.00:1`` -> adjustments (group:reason:amount[:quantity])."""
    out = []
    for item in filter(None, (t.strip() for t in (text or "").split(";"))):
        parts = item.split(":")
        out.append(
            dict(zip(("group", "reason", "amount", "quantity"), parts[:4], strict=False))
            if len(parts) >= 3
            else {"group": item}
        )
    return out


def _qty_list(text: str) -> list[dict[str, str]]:
    """``CA:3;NE:1`` -> quantities (qualifier:quantity)."""
    out = []
    for item in filter(None, (t.strip() for t in (text or "").split(";"))):
        qualifier, _, value = item.partition(":")
        out.append({"qualifier": qualifier, "quantity": value})
    return out


def _plb_list(text: str) -> list[dict[str, str]]:
    """``L6::-2.00;WO:REF1:5.00`` -> provider adjustments (reason:reference:amount)."""
    out = []
    for item in filter(None, (t.strip() for t in (text or "").split(";"))):
        parts = item.split(":")
        out.append(
            {"reason": parts[0], "reference": parts[1] if len(parts) > 2 else ""}
            | ({"amount": parts[-1]} if len(parts) > 1 else {})
        )
    return out


def read_csv_pair(claims: bytes, lines: bytes | None) -> Remittance:
    """The CSV pair: one row per claim (its payment's columns repeated, the first row of a
    trace wins) and one row per service line naming its claim by ``claim_row`` (the claim's
    row number in the claims file, 1 = the first data row). Same checks as JSON."""
    claim_rows = _csv_rows(claims, "claims file", CLAIM_COLUMNS)
    line_rows = _csv_rows(lines, "lines file", LINE_COLUMNS) if lines else []
    lines_of: dict[str, list[dict[str, Any]]] = {}
    for row in line_rows:
        lines_of.setdefault(row["claim_row"].strip(), []).append(
            {k: row[k] for k in ("procedure", "charge", "paid", "units", "date", "control_number")}
            | {
                "allowed": row["allowed"],
                "adjustments": _cas_list(row["adjustments"]),
                "remarks": [r for r in (row["remarks"] or "").split(";") if r.strip()],
                "quantities": _qty_list(row.get("quantities", "")),
            }
        )
    payments: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(claim_rows, 1):
        trace = row["payment_trace"].strip()
        payment = payments.setdefault(
            trace,
            {
                "payee": {
                    "partner": row["payee_partner"],
                    "npi": row["payee_npi"],
                    "tin": row["payee_tin"],
                    "name": row["payee_name"],
                },
                "method": row["payment_method"],
                "amount": row["payment_amount"],
                "date": row["payment_date"],
                "trace": trace,
                "provider_adjustments": _plb_list(row["provider_adjustments"]),
                "claims": [],
            },
        )
        payment["claims"].append(
            {
                k: row[k]
                for k in (
                    "claim_control_number",
                    "patient_control_number",
                    "billing_npi",
                    "status",
                    "charge",
                    "paid",
                    "patient_responsibility",
                    "filing_indicator",
                    "payer_claim_id",
                    "statement_from",
                    "statement_to",
                )
            }
            | {
                "adjustments": _cas_list(row["adjustments"]),
                "remarks": [r for r in (row["remarks"] or "").split(";") if r.strip()],
                "lines": lines_of.pop(str(n), []),
                "quantities": _qty_list(row.get("quantities", "")),
            }
        )
    if lines_of:
        rows = ", ".join(sorted(lines_of)[:10])
        raise RemittanceUnreadable([f"lines file: claim_row {rows} names no claim row"])
    return _read_doc({"format": FORMAT, "payments": list(payments.values())})
