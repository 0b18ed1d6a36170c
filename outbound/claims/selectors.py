"""Claim reads: one claim's journey, a batch's claims by status, the SLA board, the rejection
report, the edits table with each partner's switches.

Claim rows are PHI (callers of :func:`claim_journey` check ``eventstore.view_member``);
the board and the reports return ids, codes and counts only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from eventstore.inbound.models import RoutingStatus, TransactionHeader
from outbound.models import (
    BatchWindow,
    Claim,
    ClaimEditSetting,
    ClaimStatus,
    OutcomeStatus,
    ProcessingOutcome,
)
from outbound.responders import spec_for

from .codes import stc_meaning
from .edits import EDITS, edit_for

__all__ = [
    "EditRow",
    "JourneyStep",
    "LateSet",
    "RejectionRow",
    "batch_claim_summary",
    "claim_journey",
    "claims_past_sla",
    "edits_table",
    "register_journey_step",
    "rejections_by_edit",
    "sla_minutes",
]

RESPONSE_TYPE = "277CA"
_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class JourneyStep:
    """One step of a claim's journey: what happened, when, and where to look."""

    step: str  # "received", "999", "277CA", or a later response ("835", "277")
    when: dt.datetime | None
    summary: str  # codes and states, no PHI
    outbound_file_id: object | None = None  # the file that carried it, if any
    batch_id: int | None = None


# Later responses (the 835, the 277) add their steps here: fn(claim) -> steps.
_journey_steps: dict[str, Callable[[Claim], list[JourneyStep]]] = {}


def register_journey_step(name: str, fn: Callable[[Claim], list[JourneyStep]]) -> None:
    """Add the steps ``fn(claim)`` returns to every claim's journey (after the 277CA)."""
    _journey_steps[name] = fn


def claim_journey(claim: Claim) -> list[JourneyStep]:
    """Received -> 999 verdict -> 277CA -> later responses (in time order)."""
    header = claim.header
    batch = claim.batch
    steps = [
        JourneyStep(
            "received",
            batch.received_at,
            f"batch {batch.pk} ({batch.original_name}), ISA13 {header.isa13}, GS06 "
            f"{header.gs06}, ST02 {header.st02}, claim at segment position {claim.position}",
            batch_id=batch.pk,
        )
    ]
    ack = (
        ProcessingOutcome.objects.filter(
            batch_id=batch.pk, response_type="999", isa13=header.isa13, gs06=header.gs06
        )
        .select_related("outbound_file")
        .defer("payload")
        .first()
    )
    verdict = {"A": "accepted", "E": "accepted with errors", "R": "rejected"}.get(
        header.verdict, header.verdict or "?"
    )
    steps.append(
        JourneyStep(
            "999",
            ack.assembled_at if ack else None,
            f"set {verdict} (IK5 {header.verdict or '?'})"
            + (f"; 999 {ack.get_status_display().lower()}" if ack else "; no 999 staged"),
            outbound_file_id=ack.outbound_file_id if ack else None,
        )
    )
    if claim.outcome_id:
        outcome = (
            ProcessingOutcome.objects.select_related("outbound_file")
            .defer("payload")
            .get(pk=claim.outcome_id)
        )
        codes = (
            "; ".join(stc_meaning(r[1], r[2], r[3]) for r in claim.reasons)
            if claim.reasons
            else f"{stc_meaning('A2', '20')}, REF*1K {claim.payer_claim_control_number}"
        )
        steps.append(
            JourneyStep(
                "277CA",
                outcome.assembled_at,
                f"{outcome.get_status_display().lower()} (due {outcome.due_at:%Y-%m-%d %H:%M}): "
                + codes,
                outbound_file_id=outcome.outbound_file_id,
            )
        )
    else:
        steps.append(JourneyStep("277CA", None, "none: the 999 is the answer to this claim"))
    later = [step for fn in _journey_steps.values() for step in fn(claim)]
    # the 835s and 277s as they happened (a step not sent yet, without a time, last)
    later.sort(key=lambda step: (step.when is None, step.when or _NEVER))
    return steps + later


def batch_claim_summary(batch_id: int) -> dict[str, int]:
    """Claims of one inbound batch by status (counts only: no PHI)."""
    counts = dict(
        Claim.objects.filter(batch_id=batch_id)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {label: counts.get(value, 0) for value, label in ClaimStatus.choices}


def sla_minutes() -> int:
    """The 277CA's SLA: its batch window's, else the responder's (4 hours)."""
    minutes = (
        BatchWindow.objects.filter(response_type=RESPONSE_TYPE)
        .values_list("sla_minutes", flat=True)
        .first()
    )
    return int(minutes or spec_for(RESPONSE_TYPE).sla_minutes or 240)


@dataclass(frozen=True)
class LateSet:
    """An 837 set whose claims have waited longer than the SLA without a 277CA."""

    partner: str
    batch_id: int
    header_id: int
    st02: str
    claims: int
    received_at: dt.datetime
    age_minutes: int
    state: str  # what the set waits for


def claims_past_sla(*, now: dt.datetime | None = None) -> list[LateSet]:
    """837 sets received more than the SLA ago whose 277CA is not assembled yet: outcomes
    still pending (or failed), and sets whose claims are not even recorded (routing failed
    or pending). Oldest first."""
    now = now or timezone.now()
    limit = now - dt.timedelta(minutes=sla_minutes())
    out: list[LateSet] = []
    outcomes = list(
        ProcessingOutcome.objects.filter(response_type=RESPONSE_TYPE, created_at__lt=limit)
        .exclude(status=OutcomeStatus.ASSEMBLED)
        .select_related("partner", "batch")
        .defer("payload")
        .order_by("created_at")[:1000]
    )
    # one 277CA per set: its dedupe key ends with the set's header id (the claims' index)
    header_of = {o.pk: int(o.dedupe_key.rsplit(":", 1)[-1]) for o in outcomes}
    counts = {}
    if outcomes:
        counts = dict(
            Claim.objects.filter(header_id__in=set(header_of.values()))
            .values_list("header_id")
            .annotate(n=Count("id"))
            .values_list("header_id", "n")
        )
    for o in outcomes:
        received = o.batch.received_at if o.batch else o.created_at
        out.append(
            LateSet(
                partner=o.partner.code,
                batch_id=o.batch_id or 0,
                header_id=header_of[o.pk],
                st02=o.st02s[0] if o.st02s else "",
                claims=counts.get(header_of[o.pk], 0),
                received_at=received,
                age_minutes=int((now - received).total_seconds() // 60),
                state=f"277CA {o.get_status_display().lower()}"
                + (f": {o.failure_reason[:120]}" if o.failure_reason else ""),
            )
        )
    unrouted = (
        TransactionHeader.objects.filter(
            st01="837",
            routing_status__in=[RoutingStatus.PENDING, RoutingStatus.FAILED],
            batch__received_at__lt=limit,
        )
        .select_related("batch__partner")
        .order_by("id")[:1000]
    )
    for h in unrouted:
        out.append(
            LateSet(
                partner=h.batch.partner.code if h.batch.partner else "",
                batch_id=h.batch_id,
                header_id=h.pk,
                st02=h.st02,
                claims=0,
                received_at=h.batch.received_at,
                age_minutes=int((now - h.batch.received_at).total_seconds() // 60),
                state=f"claims not recorded (routing {h.get_routing_status_display().lower()})",
            )
        )
    return sorted(out, key=lambda late: late.received_at)


@dataclass(frozen=True)
class RejectionRow:
    partner: str
    edit: str
    stc: str
    meaning: str
    claims: int
    last_seen: dt.datetime


def rejections_by_edit(*, days: int = 30, now: dt.datetime | None = None) -> list[RejectionRow]:
    """Claims rejected in the 277CA over the last ``days`` days, per partner and edit."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    counts: Counter[tuple[str, str]] = Counter()
    last: dict[tuple[str, str], dt.datetime] = {}
    rows = Claim.objects.filter(status=ClaimStatus.REJECTED, recorded_at__gte=since).values_list(
        "partner__code", "reasons", "recorded_at"
    )
    for partner, reasons, recorded in rows.iterator(chunk_size=5000):
        for reason in reasons or ():
            key = (partner, str(reason[0]))
            counts[key] += 1
            last[key] = max(last.get(key, recorded), recorded)
    out = []
    for key in sorted(counts, key=lambda k: (k[0], -counts[k], k[1])):
        edit = edit_for(key[1])
        out.append(
            RejectionRow(
                partner=key[0],
                edit=key[1],
                stc=edit.stc if edit else "",
                meaning=edit.meaning if edit else "",
                claims=counts[key],
                last_seen=last[key],
            )
        )
    return out


@dataclass(frozen=True)
class EditRow:
    code: str
    description: str
    stc: str
    meaning: str
    switchable: bool
    switched_off_for: str  # partner codes


def edits_table() -> list[EditRow]:
    """The edits table, with the partners each edit is switched off for."""
    off: dict[str, list[str]] = {}
    for code, partner in (
        ClaimEditSetting.objects.filter(enabled=False)
        .order_by("partner__code")
        .values_list("edit", "partner__code")
    ):
        off.setdefault(code, []).append(partner)
    return [
        EditRow(
            code=e.code,
            description=e.description,
            stc=e.stc,
            meaning=e.meaning,
            switchable=e.switchable,
            switched_off_for=", ".join(off.get(e.code, [])),
        )
        for e in EDITS
    ]
