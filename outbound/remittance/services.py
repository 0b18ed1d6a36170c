"""Importing adjudication results: the claims' adjudications and their 835s, all or nothing.

:func:`remittance_import` is the one code path of ``manage.py import_remittance`` and the
admin upload. Steps:

1. the file's sha256 (of both files for the CSV pair): imported before → nothing changes,
   the earlier import is returned (``created=False``);
2. read (:mod:`.parsing`, JSON or the CSV pair) — a row that cannot be read is a message;
3. balance every line, claim and payment and check every CAS group, CARC and RARC
   (:mod:`.balancing`), on the service date;
4. look up the payees (partner codes) and the claims (our claim control number, else
   patient control number + billing NPI among accepted claims: none or several is a
   refusal, never a guess); a claim must have been sent by the payee partner (a partner
   sees only its own claims) and accepted by our 277CA; a trace number is used once per
   payee;
5. any message → :class:`RemittanceRefused` with all of them, nothing written;
6. one transaction: the import row, one payment row per payment, one 835 outcome per
   payment (content: :mod:`.response`; dedupe key ``835:<import>:<payment>``; due after
   the 835 window, 1,440 minutes by default), one adjudication per claim.

A crash before the commit of step 6 leaves nothing (import it again); after it, the file
is imported and importing it again changes nothing. Logs carry ids and counts only;
messages name places (payment n, claim n, line n), codes and amounts, never patients.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.utils import timezone

from edi_platform.core.actors import actor_label
from edi_platform.core.db import iso_temporal
from edi_platform.core.gc_pause import gc_paused
from edi_platform.partners.models import TradingPartner
from outbound.models import Claim, ClaimStatus
from outbound.services.outcomes import OwedOutcome, outcomes_stage_many

from .balancing import codes_problems, payment_problems
from .models import Adjudication, RemittanceImport, RemittancePayment
from .parsing import ClaimResult, Remittance, RemittanceUnreadable, read_csv_pair, read_json
from .response import payer_defaults, payer_problems, payment_content

__all__ = ["ImportResult", "RemittanceRefused", "remittance_import"]

logger = logging.getLogger(__name__)

RESPONSE_TYPE = "835"
MAX_MESSAGES = 500  # a file wrong everywhere: the first ones are enough to act on


class RemittanceRefused(ValueError):
    """The file was refused, nothing imported; ``messages`` say where and why (no PHI)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(f"adjudication results refused: {len(messages)} problem(s)")
        extra = len(messages) - MAX_MESSAGES
        self.messages = messages[:MAX_MESSAGES] + ([f"... and {extra} more"] if extra > 0 else [])


@dataclass
class ImportResult:
    import_id: int
    created: bool
    payments: int
    claims: int
    total_paid: Decimal
    outcome_ids: list[int] = field(default_factory=list)

    def text(self) -> str:
        if not self.created:
            return f"already imported (import {self.import_id}): nothing changed"
        return (
            f"import {self.import_id}: {self.payments} payment(s), {self.claims} claim(s), "
            f"{self.total_paid} paid; {len(self.outcome_ids)} 835(s) staged"
        )


def _existing(sha: str) -> ImportResult | None:
    row = RemittanceImport.objects.filter(sha256=sha).first()
    if row is None:
        return None
    return ImportResult(row.pk, False, row.payments, row.claims, row.total_paid)


def remittance_import(
    *,
    data: bytes,
    name: str,
    lines_data: bytes | None = None,
    file_format: str = "",
    acting_user: Any,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Import one file of adjudication results (see the module docstring). ``file_format``
    ``json`` or ``csv`` (default: by the name; ``lines_data`` is the CSV pair's lines
    file). Raises :class:`RemittanceRefused`. Runs its own transaction."""
    now = now or timezone.now()
    digest = hashlib.sha256(data)
    if lines_data is not None:
        digest.update(b"\0lines\0" + lines_data)
    sha = digest.hexdigest()
    earlier = _existing(sha)
    if earlier is not None:
        return earlier
    fmt = file_format or ("csv" if name.lower().endswith(".csv") else "json")
    # a file of 10^4 claims is ~10^6 objects that all stay alive until written: the cyclic
    # collector would only re-scan them (and the rest of a worker's heap) again and again
    with gc_paused():
        return _import(
            data, lines_data, sha=sha, name=name, fmt=fmt, acting_user=acting_user, now=now
        )


def _import(
    data: bytes,
    lines_data: bytes | None,
    *,
    sha: str,
    name: str,
    fmt: str,
    acting_user: Any,
    now: dt.datetime,
) -> ImportResult:
    """Steps 2-6 of the module docstring (the file was not imported before)."""
    try:
        remittance = read_csv_pair(data, lines_data) if fmt == "csv" else read_json(data)
    except RemittanceUnreadable as exc:
        raise RemittanceRefused(exc.messages) from None
    messages = payer_problems(payer_defaults(remittance.payer))
    messages += [m for p in remittance.payments for m in payment_problems(p)]
    partners, claims, found_messages = _resolve(remittance)
    messages += found_messages
    for payment in remittance.payments:
        for claim in payment.claims:
            known = claims.get(id(claim))
            start = known.service_from if known is not None else None
            messages += codes_problems(claim, service_date=start)
    if messages:
        raise RemittanceRefused(messages)
    try:
        with transaction.atomic():
            return _write(
                remittance,
                sha=sha,
                name=name,
                fmt=fmt,
                partners=partners,
                claims=claims,
                actor=actor_label(acting_user),
                now=now,
            )
    except IntegrityError:
        # the same file imported concurrently (sha256 unique): the other import won; or
        # another file took one of these trace numbers meanwhile (unique per payee)
        earlier = _existing(sha)
        if earlier is not None:
            return earlier
        raise RemittanceRefused(
            ["a trace number of this file was imported by another file at the same time: "
             "import it again to see which"]
        ) from None  # fmt: skip


def _resolve(
    remittance: Remittance,
) -> tuple[dict[str, TradingPartner], dict[int, Any], list[str]]:
    """Payees by code and each claim result's registry claim (by ``id()`` of the result),
    with a message for each that cannot be matched exactly once."""
    messages: list[str] = []
    codes = {p.partner for p in remittance.payments}
    partners = {p.code: p for p in TradingPartner.objects.filter(code__in=codes)}
    results = [(p, c) for p in remittance.payments for c in p.claims]
    icns = {c.claim_control_number for _, c in results if c.claim_control_number is not None}
    pcns = {c.patient_control_number for _, c in results if c.claim_control_number is None}
    # every field the 835 takes (:func:`_registry`): one query, no second read
    fields = (
        "id",
        "partner_id",
        "status",
        "claim_type",
        "payer_claim_control_number",
        "patient_control_number",
        "billing_provider_npi",
        "patient_last_name",
        "patient_first_name",
        "patient_is_subscriber",
        "subscriber_id",
        "service_from",
        "service_to",
        "facility_code",
        "frequency_code",
        "received_day",
    )
    # the day each claim was received, in the current time zone, computed by the database
    # (10^4 timestamps converted by Django's loader were a twentieth of the import)
    claims_of = Claim.objects.annotate(received_day=TruncDate("received_at"))
    by_icn: dict[int, Any] = {}
    by_pcn: dict[tuple[str, str], list[Any]] = defaultdict(list)
    if icns:
        numbers = _one_parameter(icns, "bigint")
        for claim in _rows(claims_of.filter(payer_claim_control_number__in=numbers), fields):
            by_icn[claim.payer_claim_control_number] = claim
    if pcns:
        accepted = claims_of.filter(
            patient_control_number__in=_one_parameter(pcns, "varchar"),
            status=ClaimStatus.ACCEPTED,
        )
        for claim in _rows(accepted, fields):
            by_pcn[(claim.patient_control_number, claim.billing_provider_npi)].append(claim)
    claims: dict[int, Any] = {}
    seen: dict[int, list[ClaimResult]] = defaultdict(list)
    traces: dict[tuple[str, str], str] = {}
    for payment in remittance.payments:
        partner = partners.get(payment.partner)
        if partner is None and payment.partner:
            messages.append(f"{payment.where}: payee partner is not a known partner code")
        key = (payment.partner, payment.trace)
        if key in traces:
            messages.append(f"{payment.where}: the same trace number as {traces[key]}")
        traces[key] = payment.where
    used = set(
        RemittancePayment.objects.filter(
            partner__code__in=codes, trace_number__in={p.trace for p in remittance.payments}
        ).values_list("partner__code", "trace_number", "remittance_import_id")
    )
    for code, trace, import_id in used:
        for payment in remittance.payments:
            if (payment.partner, payment.trace) == (code, trace):
                messages.append(
                    f"{payment.where}: trace number already imported (import {import_id})"
                )
    for payment, result in results:
        partner = partners.get(payment.partner)
        if result.claim_control_number is not None:
            claim = by_icn.get(result.claim_control_number)
            if claim is None:
                messages.append(f"{result.where}: no claim has this claim control number")
                continue
        else:
            found = by_pcn.get((result.patient_control_number, result.billing_npi), [])
            if len(found) != 1:
                messages.append(
                    f"{result.where}: "
                    + (
                        "no accepted claim has this patient control number and billing NPI"
                        if not found
                        else f"{len(found)} accepted claims have this patient control "
                        "number and billing NPI: give claim_control_number"
                    )
                )
                continue
            claim = found[0]
        if claim.status != ClaimStatus.ACCEPTED:
            messages.append(f"{result.where}: the claim was not accepted (no adjudication)")
            continue
        if partner is not None and claim.partner_id != partner.pk:
            messages.append(f"{result.where}: the claim was sent by another partner than the payee")
            continue
        claims[id(result)] = claim
        seen[claim.pk].append(result)
    for results_of in seen.values():
        if len(results_of) > 1 and not any(r.status == "22" for r in results_of):
            places = " and ".join(r.where for r in results_of)
            messages.append(f"{places}: the same claim twice (only a reversal, status 22, may)")
    return partners, claims, messages


def _one_parameter(values: set, sql_type: str) -> Any:
    """``values`` for an ``__in`` lookup: on PostgreSQL one array parameter (binding 10^4
    parameters one by one costs the import a quarter of a second), else the values."""
    if connection.vendor != "postgresql":
        return values
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", [list(values)])


def _rows(queryset: Any, fields: tuple[str, ...]) -> Any:
    """Claim rows as light read-only objects, ``pk`` included (10^4 model instances cost a
    second of the import)."""
    row, at = _row_type(fields), fields.index("id")
    for values in queryset.values_list(*fields):
        yield row(*values, values[at])


@functools.cache
def _row_type(fields: tuple[str, ...]) -> type:
    return namedtuple("ClaimRow", (*fields, "pk"))  # type: ignore[misc]


def _registry(claim: Any) -> dict[str, Any]:
    """What the 835 takes from the registry about one claim."""
    patient = [
        claim.patient_last_name or "UNKNOWN",
        claim.patient_first_name,
        "MI",
        claim.subscriber_id,
    ]
    return {
        "pcn": claim.patient_control_number,
        "patient": patient,
        "subscriber": None if claim.patient_is_subscriber else ["", "", "MI", claim.subscriber_id],
        "service_from": claim.service_from,
        "service_to": claim.service_to,
        "facility": claim.facility_code if claim.claim_type != "D" else "",
        "frequency": claim.frequency_code,
        "received": claim.received_day,
        "icn": claim.payer_claim_control_number,
    }


def _write(
    remittance: Remittance,
    *,
    sha: str,
    name: str,
    fmt: str,
    partners: dict[str, TradingPartner],
    claims: dict[int, Any],
    actor: str,
    now: dt.datetime,
) -> ImportResult:
    total = sum((p.amount for p in remittance.payments), Decimal(0))
    row = RemittanceImport.objects.create(
        sha256=sha,
        name=name[:255],
        file_format=fmt,
        payments=len(remittance.payments),
        claims=remittance.claim_count,
        total_paid=total,
        imported_by=actor,
        imported_at=now,
    )
    payer = payer_defaults(remittance.payer)
    produced = timezone.localdate(now)
    owed = []
    for n, payment in enumerate(remittance.payments, 1):
        partner = partners[payment.partner]
        content = payment_content(
            payment,
            payer=payer,
            receiver=partner.their_isa_id.strip() or partner.code,
            produced=produced,
            registry=[_registry(claims[id(c)]) for c in payment.claims],
        )
        owed.append(
            OwedOutcome(
                partner_id=partner.pk,
                dedupe_key=f"{RESPONSE_TYPE}:{row.pk}:{n}",
                payload=orjson.dumps(content),
            )
        )
    staged = outcomes_stage_many(response_type=RESPONSE_TYPE, owed=owed)
    payments = RemittancePayment.objects.bulk_create(
        [
            RemittancePayment(
                remittance_import=row,
                partner=partners[p.partner],
                payee_npi=p.payee_npi,
                payee_tin=p.payee_tin,
                method=p.method,
                amount=p.amount,
                paid_on=p.date,
                trace_number=p.trace,
                provider_adjustments=[
                    [
                        a.reason,
                        a.reference,
                        str(a.amount),
                        a.fiscal_period_end and str(a.fiscal_period_end),
                    ]
                    for a in p.provider_adjustments
                ],
                claims=len(p.claims),
                outcome_id=staged[f"{RESPONSE_TYPE}:{row.pk}:{n}"][0],
                position=n,
            )
            for n, p in enumerate(remittance.payments, 1)
        ]
    )
    adjudications = []
    for payment, stored in zip(remittance.payments, payments, strict=True):
        for n, result in enumerate(payment.claims, 1):
            adjudications.append(
                (
                    claims[id(result)].pk,
                    stored.pk,
                    stored.partner_id,
                    n,
                    result.status,
                    result.charge,
                    result.paid,
                    result.patient_responsibility,
                    result.filing_indicator,
                    result.payer_claim_id,
                    _adjustments(result.adjustments)
                    + [x for line in result.lines for x in _adjustments(line.adjustments)],
                    result.remarks,
                    # what a 277 answers a service line inquiry with (2220D/E)
                    [
                        [
                            ":".join(line.procedure),
                            str(line.charge),
                            str(line.paid),
                            "" if line.units is None else str(line.units),
                            line.date.isoformat() if line.date else "",
                            line.control_number,
                        ]
                        for line in result.lines
                    ],
                    payment.date,
                    now,
                )
            )
    _adjudications_insert(adjudications)
    outcome_ids = [staged[o.dedupe_key][0] for o in owed]
    logger.info(
        "remittance import %s: %d payments, %d claims, outcomes %s",
        row.pk,
        len(payments),
        len(adjudications),
        outcome_ids[:20],
    )
    return ImportResult(row.pk, True, len(payments), len(adjudications), total, outcome_ids)


_ADJUDICATION_COLUMNS = (
    "claim_id",
    "payment_id",
    "partner_id",
    "position",
    "status",
    "charge",
    "paid",
    "patient_responsibility",
    "filing_indicator",
    "payer_claim_id",
    "adjustments",
    "remarks",
    "lines",
    "paid_on",
    "adjudicated_at",
)


# paid_on and adjudicated_at, sent to COPY as ISO text (see iso_temporal)
_ADJUDICATION_TEMPORAL = tuple(
    _ADJUDICATION_COLUMNS.index(name) for name in ("paid_on", "adjudicated_at")
)


def _adjudications_insert(rows: list[tuple]) -> None:
    """COPY on PostgreSQL (10^4 rows: a tenth of the ORM's multi-row INSERTs, whose
    parameter conversion dominates), ``bulk_create`` elsewhere. Rows in
    :data:`_ADJUDICATION_COLUMNS` order."""
    if connection.vendor != "postgresql":
        Adjudication.objects.bulk_create(
            [Adjudication(**dict(zip(_ADJUDICATION_COLUMNS, r, strict=True))) for r in rows],
            batch_size=2000,
        )
        return
    table = Adjudication._meta.db_table
    sql = f"COPY {table} ({', '.join(_ADJUDICATION_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for r in iso_temporal(rows, _ADJUDICATION_TEMPORAL):
            copy.write_row((*r[:10], *(orjson.dumps(v).decode() for v in r[10:13]), r[13], r[14]))


def _adjustments(items: list) -> list[list[str]]:
    return [
        [a.group, a.reason, str(a.amount), "" if a.quantity is None else str(a.quantity)]
        for a in items
    ]


def remittance_inbox_import(path: Any) -> tuple[bool | None, list[str]]:
    """The inbox folder ``remittance/`` (JSON files; the CSV pair goes through the command
    or the admin, whose two files arrive together): (imported, reasons) for the poller.
    A file imported before counts as imported (nothing changes)."""
    try:
        remittance_import(
            data=path.read_bytes(), name=path.name, file_format="json", acting_user=None
        )
    except RemittanceRefused as exc:
        return False, exc.messages
    return True, []
