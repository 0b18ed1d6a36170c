"""Answering one accepted 276 set with a 277 (005010X212): the 277 responder's work.

:func:`claim_status_answer` runs inside the routing transaction of its set. Steps:

1. the set is read (:mod:`.inquiry`): its hierarchy as sent and each claim inquiry's keys;
2. every inquiry is matched in the claim registry, among the claims the asking partner
   sent (a partner sees only its own claims), in two queries for the whole set: by our
   claim control number (REF*1K), else by patient control number (REF*EJ) + billing NPI
   (2100C) + member id (2100D) + dates of service (DTP*472, the claim within them) and,
   for a dependent, the patient's first name. None or several claims: "not found"
   (A4:35) — never a guess, never another patient's claim (as eligibility answers
   ambiguity);
3. each found claim's status now: rejected → its 277CA reasons (A3/A7...); accepted and
   not adjudicated → A2:20 on the day its 277CA was sent (A1:19 on the day received
   while the 277CA waits); adjudicated → F1 paid, F2 denied (CLP02 4), F3 revised (a
   reversal, or adjudicated again), F4 no payment (a predetermination, CLP02 25) with the
   835's charge, payment, date, check/EFT date and trace number (STC04-06, STC08-09);
   each service line asked about (2210) is answered in 2220 with its own status: the
   adjudicated line it names (by line item control number, else procedure and date) with
   its charge and payment, F0:0 when the adjudication has no such line, else (not
   adjudicated yet) the claim's status;
4. ONE 277 outcome per 276 set (dedupe key ``<batch>:277:<header>``) whose content is the
   277's segments: window 0 for one inquiry (assembled right after the commit: real time),
   the 277 window otherwise; the 999 of the batch is brought forward so it is never due
   after the 277; with it, one :class:`StatusAnswer` per found claim (the claim's link to
   its 277: the claim journey's "277" step), ``ON CONFLICT DO NOTHING``.

A crash before the routing commit leaves nothing (the set stays unrouted; Reprocess
answers it, never twice). Logs carry ids and counts only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from edi_platform.x12.segments import Segment
from eventstore.inbound.models import TransactionHeader
from outbound.models import Claim, ClaimStatus, ProcessingOutcome
from outbound.services.outcomes import outcome_stage, outcomes_expedite, window_minutes_for

from .inquiry import Inquiry, LineInquiry, StatusRequest, read_276
from .models import StatusAnswer
from .response import amount
from .selectors import adjudication_count, adjudication_totals

__all__ = ["StatusInquiryError", "StatusResult", "claim_status_answer"]

logger = logging.getLogger(__name__)

RESPONSE_TYPE = "277"
NOT_FOUND = ("A4", "35")
DATE = "%Y%m%d"
_CLAIM_FIELDS = (
    "id",
    "partner_id",
    "status",
    "payer_claim_control_number",
    "patient_control_number",
    "billing_provider_npi",
    "subscriber_id",
    "patient_first_name",
    "patient_is_subscriber",
    "service_from",
    "service_to",
    "total_charge",
    "reasons",
    "outcome_id",
    "received_at",
    "recorded_at",
)


class StatusInquiryError(ValueError):
    """A 276 set that cannot be answered (the message names no data)."""


@dataclass
class StatusResult:
    outcome_id: int
    created: bool
    inquiries: int
    found: int
    window_minutes: int

    def text(self) -> str:
        if not self.created:
            return f"277 already staged (outcome {self.outcome_id})"
        return (
            f"277 staged (outcome {self.outcome_id}, window {self.window_minutes} min): "
            f"{self.inquiries} inquiries, {self.found} found, "
            f"{self.inquiries - self.found} not found"
        )


def _matches(claim: Claim, q: Inquiry) -> bool:
    """The keys other than the one the claim was found by (all given ones must agree)."""
    if q.member_id and claim.subscriber_id != q.member_id:
        return False
    if q.npi and claim.billing_provider_npi != q.npi:
        return False
    if q.level == "23":
        if claim.patient_is_subscriber or claim.patient_first_name.upper() != q.patient_first:
            return False
    elif not claim.patient_is_subscriber:
        return False
    if q.dates is not None:
        if claim.service_from is None or claim.service_to is None:
            return False
        if claim.service_from < q.dates[0] or claim.service_to > q.dates[1]:
            return False
    return True


def claims_match(*, partner_id: int, inquiries: Sequence[Inquiry]) -> dict[int, Claim | None]:
    """Each inquiry's claim (by ``id()``), or None when no claim or several match."""
    icns = {q.icn for q in inquiries if q.icn is not None and q.icn > 0}
    pcns = {q.pcn for q in inquiries if q.icn is None and q.pcn}
    found: list[Claim] = []
    if icns or pcns:
        where = Q()
        if icns:
            where |= Q(payer_claim_control_number__in=icns)
        if pcns:
            where |= Q(patient_control_number__in=pcns)
        found = list(Claim.objects.filter(where, partner_id=partner_id).only(*_CLAIM_FIELDS))
    by_icn = {c.payer_claim_control_number: c for c in found if c.payer_claim_control_number}
    by_pcn: dict[str, list[Claim]] = defaultdict(list)
    for c in found:
        by_pcn[c.patient_control_number].append(c)
    out: dict[int, Claim | None] = {}
    for q in inquiries:
        if q.icn is not None:
            claim = by_icn.get(q.icn)
            candidates = [claim] if claim is not None else []
        else:
            candidates = by_pcn.get(q.pcn, []) if q.pcn and q.npi and q.member_id else []
        hits = [c for c in candidates if _matches(c, q)]
        out[id(q)] = hits[0] if len(hits) == 1 else None
    return out


def _span(first: dt.date, last: dt.date) -> list[str]:
    if first == last:
        return ["D8", first.strftime(DATE)]
    return ["RD8", f"{first.strftime(DATE)}-{last.strftime(DATE)}"]


def _stc(claim: Claim, adjudication: Any, revised: bool, ack: Any) -> list[list[Any]]:
    """The STC segments of a found claim (see the module docstring, step 3)."""
    charge = amount(claim.total_charge)
    if adjudication is not None:
        a = adjudication
        category = _category(a.status, revised)
        day = a.paid_on.strftime(DATE)
        payment = a.payment
        return [
            ["STC", [category, "1"], day, "", amount(a.charge), amount(a.paid), day, "",
             payment.paid_on.strftime(DATE), payment.trace_number]
        ]  # fmt: skip
    if claim.status == ClaimStatus.ACCEPTED:
        if ack is not None and ack.assembled_at is not None:
            return [["STC", ["A2", "20"], timezone.localdate(ack.assembled_at).strftime(DATE),
                     "", charge]]  # fmt: skip
        return [["STC", ["A1", "19"], timezone.localdate(claim.received_at).strftime(DATE), "",
                 charge]]  # fmt: skip
    day = timezone.localdate(claim.recorded_at).strftime(DATE)
    reasons = [r for r in claim.reasons or () if len(r) > 2 and r[1] and r[2]] or [
        ["", "A3", "21", ""]
    ]
    out = []
    for r in reasons[:10]:
        composite = [r[1], r[2]] + ([r[3]] if len(r) > 3 and r[3] else [])
        out.append(["STC", composite, day, "", charge])
    return out


def _category(status: str, revised: bool) -> str:
    """STC01-1 of an adjudicated claim: F2 denied, F3 revised, F4 no payment, F1 paid."""
    if status == "4":
        return "F2"
    if status == "22" or revised:
        return "F3"
    return "F4" if status == "25" else "F1"


def _line_match(asked: LineInquiry, lines: list, used: set[int]) -> int | None:
    """The adjudicated line a 2210 names: its line item control number, else the same
    procedure (with modifiers, else the code alone) on the same date when both are known."""

    def day_fits(row: list) -> bool:
        day = row[4] if len(row) > 4 else ""
        if not day or asked.dates is None:
            return True
        return asked.dates[0].isoformat() <= day <= asked.dates[1].isoformat()

    free = [(n, row) for n, row in enumerate(lines) if n not in used]
    if asked.control:
        for n, row in free:
            if len(row) > 5 and row[5] == asked.control:
                return n
    full = ":".join(asked.procedure)
    code = ":".join(asked.procedure[:2])
    for same in (lambda p: p == full, lambda p: ":".join(p.split(":")[:2]) == code):
        for n, row in free:
            if same(row[0]) and day_fits(row):
                return n
    return None


def _line_loops(q: Inquiry, claim_stc: list[list[Any]], adjudication: Any, revised: bool):
    """The 2220 loops answering the service lines of ``q`` (see the module docstring)."""
    out: list[list[Any]] = []
    used: set[int] = set()
    lines = list(adjudication.lines or ()) if adjudication is not None else []
    for asked in q.lines:
        charge, paid, dates = asked.charge or "0", "0", asked.dates
        if adjudication is not None:
            day = adjudication.paid_on.strftime(DATE)
            n = _line_match(asked, lines, used)
            if n is None:
                stc = ["STC", ["F0", "0"], day, "", charge, "0"]
            else:
                used.add(n)
                row = lines[n]
                charge, paid = amount(row[1]), amount(row[2])
                denied = adjudication.status == "4" or (paid == "0" and charge != "0")
                category = "F2" if denied else _category(adjudication.status, revised)
                stc = ["STC", [category, "1"], day, "", charge, paid]
                if not asked.dates and len(row) > 4 and row[4]:
                    first = dt.date.fromisoformat(row[4])
                    dates = (first, first)
        else:
            # not adjudicated: the line shares the claim's status (first STC)
            stc = ["STC", claim_stc[0][1], claim_stc[0][2], "", charge]
        svc = ["SVC", asked.procedure, charge, paid]
        if asked.revenue or asked.units:
            svc += [asked.revenue, "", "", asked.units]
        out += [svc, stc]
        if asked.control:
            out.append(["REF", "FJ", asked.control])
        if dates is not None:
            out.append(["DTP", "472", *_span(*dates)])
    return out


def _claim_loop(q: Inquiry, claim: Claim | None, facts: dict[str, Any], today: str) -> list:
    out: list[list[Any]] = [["TRN", "2", q.trace or "0"]]
    if claim is None:
        out.append(["STC", list(NOT_FOUND), today])
        if q.pcn:
            out.append(["REF", "EJ", q.pcn])
        if q.dates is not None:
            out.append(["DTP", "472", *_span(*q.dates)])
        return out
    adjudication = facts["adjudications"].get(claim.pk)
    revised = facts["counts"].get(claim.pk, 0) > 1
    stc = _stc(claim, adjudication, revised, facts["acks"].get(claim.outcome_id))
    out += stc
    if claim.payer_claim_control_number:
        out.append(["REF", "1K", str(claim.payer_claim_control_number)])
    out.append(["REF", "EJ", claim.patient_control_number])
    if claim.service_from and claim.service_to:
        out.append(["DTP", "472", *_span(claim.service_from, claim.service_to)])
    return out + _line_loops(q, stc, adjudication, revised)


def status_segments(
    request: StatusRequest,
    matched: dict[int, Claim | None],
    facts: dict[str, Any],
    now: dt.datetime,
) -> list[list[Any]]:
    """The 277 between ST and SE: the 276's hierarchy echoed, each inquiry answered."""
    local = timezone.localtime(now)
    today = local.strftime(DATE)
    out: list[list[Any]] = [
        ["BHT", "0010", "08", request.reference or "0", today, local.strftime("%H%M%S"), "DG"]
    ]
    parents = {level.parent for level in request.levels}
    for level in request.levels:
        if level.code not in ("20", "21", "19", "22", "23"):
            continue
        child = "1" if level.number in parents else "0"
        if level.code == "23":
            out.append(["HL", level.number, level.parent, "23"])
        else:
            out.append(["HL", level.number, level.parent, level.code, child])
        out.append(["NM1", *level.nm1[:9]])
        for q in level.inquiries:
            out += _claim_loop(q, matched.get(id(q)), facts, today)
    return out


def claim_status_answer(
    *,
    header: TransactionHeader,
    segments: Sequence[Segment],
    component: str = ":",
    now: dt.datetime | None = None,
) -> StatusResult:
    """Answer one accepted 276 set with its 277 (see the module docstring); ``component``
    is the 276 interchange's component separator. Call inside a transaction (the routing
    transaction)."""
    batch = header.batch
    partner = batch.partner
    if partner is None:
        raise StatusInquiryError("the 276's sender is not a known partner")
    now = now or timezone.now()
    request = read_276(segments, component=component)
    inquiries = request.inquiries
    matched = claims_match(partner_id=partner.pk, inquiries=inquiries)
    ids = [c.pk for c in matched.values() if c is not None]
    ack_ids = {c.outcome_id for c in matched.values() if c is not None and c.outcome_id}
    facts = {
        "adjudications": adjudication_totals(ids),
        "counts": adjudication_count(ids),
        "acks": ProcessingOutcome.objects.defer("payload").in_bulk(ack_ids),
    }
    body = status_segments(request, matched, facts, now)
    window = 0 if len(inquiries) <= 1 else window_minutes_for(RESPONSE_TYPE)
    outcome, created = outcome_stage(
        partner=partner,
        response_type=RESPONSE_TYPE,
        payload={"type": "277", "inquiries": len(inquiries), "segments": body},
        dedupe_key=f"{batch.pk}:{RESPONSE_TYPE}:{header.pk}",
        batch_id=batch.pk,
        isa13=header.isa13,
        gs06=header.gs06,
        st02s=[header.st02],
        window_minutes=window,
    )
    # the acknowledgment of the same 276 is never due after its answer (as for the 271)
    outcomes_expedite(batch_id=batch.pk, response_type="999", due_at=outcome.due_at)
    if created:
        _answers_record(outcome_id=outcome.pk, inquiries=inquiries, matched=matched, body=body)
    result = StatusResult(outcome.pk, created, len(inquiries), len(ids), window)
    logger.info(
        "276 header %s answered: outcome %s, %d inquiries, %d found, window %d min",
        header.pk,
        outcome.pk,
        result.inquiries,
        result.found,
        window,
    )
    return result


def _answers_record(
    *, outcome_id: int, inquiries: list[Inquiry], matched: dict, body: list[list[Any]]
) -> None:
    """One :class:`StatusAnswer` per inquiry that found its claim: the status it was sent
    (the first STC after its TRN, in order), ON CONFLICT DO NOTHING."""
    firsts = []
    for n, seg in enumerate(body):
        if seg[0] == "TRN":
            firsts.append(body[n + 1][1])
    rows = []
    for position, (q, composite) in enumerate(zip(inquiries, firsts, strict=True), 1):
        claim = matched.get(id(q))
        if claim is not None:
            rows.append(
                StatusAnswer(
                    claim_id=claim.pk,
                    outcome_id=outcome_id,
                    position=position,
                    category=composite[0],
                    status_code=composite[1] if len(composite) > 1 else "",
                    lines=len(q.lines),
                )
            )
    StatusAnswer.objects.bulk_create(rows, ignore_conflicts=True)
