"""The plan of one batch: what its final transaction writes, built from the engine's report.

Pure: no database, no files. Given a validation report and the partners involved, it decides
the batch's final status and reason, the TA1 / 999 outcomes owed, the counts, and the header
rows of its transaction sets (with the routing status each gets). The orchestrator
(:mod:`.ingest`) writes the plan through :mod:`.sql` in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from edi_platform import x12
from edi_platform.partners.models import Ta1Policy, TradingPartner
from edi_platform.x12 import codes as x12_codes
from edi_platform.x12.peek import IsaHead
from edi_platform.x12.report import SetList
from edi_platform.x12.summary import printable, report_summary, set_reason
from eventstore.inbound.hooks import handler_for, wants_rejected_sets
from eventstore.inbound.models import BatchStatus, RoutingStatus

__all__ = [
    "ROUTABLE_SET_CODES",
    "HeaderSpec",
    "Plan",
    "PlannedOutcome",
    "SetHeaders",
    "plan_duplicate",
    "plan_from_report",
    "plan_unknown_partner",
    "plan_without_partner",
]

ROUTABLE_SET_CODES = ("A", "E")  # IK501 of the sets handed to handlers
NO_HANDLER = "accepted, no handler for this transaction type yet"

# (ISA13, group header, set report, routing status) of one header row
HeaderSpec = tuple[str, x12.GroupHeader, x12.SetReport, str]


class SetHeaders:
    """The transaction-set headers a plan writes, kept per functional group.

    Each group keeps the engine's compact set list (about 100 bytes per clean set); the
    (ISA13, group header, set report, routing status) of a set is built when iterated. A
    100 MB 837 with 10^5 sets held 10^5 report objects and tuples here (about 45 MB).
    """

    __slots__ = ("_count", "_groups", "_handlers")

    def __init__(self) -> None:
        self._groups: list[tuple[str, x12.GroupHeader, SetList, bool, bool]] = []
        self._count = 0
        self._handlers: dict[str, tuple[bool, bool]] = {}

    def add(
        self,
        isa13: str,
        gh: x12.GroupHeader,
        sets: SetList,
        accepted: bool,
        acknowledged: bool = True,
    ) -> None:
        """Add a group's sets; ``accepted``: the group is, so its accepted sets are routed;
        ``acknowledged``: a 999 answers the group (its interchange was not rejected), so
        its rejected sets go to handlers that record those too."""
        self._groups.append((isa13, gh, sets, accepted, acknowledged))
        self._count += len(sets)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[HeaderSpec]:
        status = self._status
        for isa13, gh, sets, accepted, acknowledged in self._groups:
            for s in sets:
                yield isa13, gh, s, status(accepted, acknowledged, s)

    def any_pending(self) -> bool:
        """Whether some set is routed (accepted with a handler, or rejected with a handler
        that records rejected sets)."""
        return any(
            acknowledged
            and any(self._handler(st01)[0] for st01 in sets.ids())
            and any(self._status(accepted, True, s) == RoutingStatus.PENDING for s in sets)
            for _, _, sets, accepted, acknowledged in self._groups
        )

    def _status(self, accepted: bool, acknowledged: bool, s: x12.SetReport) -> str:
        has_handler, wants_rejected = self._handler(s.id)
        if not accepted or s.ack_code not in ROUTABLE_SET_CODES:
            # the 999 rejects it: only a handler that records rejected sets gets it
            routed = acknowledged and wants_rejected
            return RoutingStatus.PENDING if routed else RoutingStatus.NOT_ROUTED
        return RoutingStatus.PENDING if has_handler else RoutingStatus.NO_HANDLER

    def _handler(self, st01: str) -> tuple[bool, bool]:
        known = self._handlers.get(st01)
        if known is None:
            known = self._handlers[st01] = (
                handler_for(st01) is not None,
                wants_rejected_sets(st01),
            )
        return known


@dataclass
class PlannedOutcome:
    """A TA1 or 999 owed to a partner, staged through the outcome sink."""

    partner: TradingPartner
    response_type: str
    payload: dict[str, Any] | bytes  # bytes: JSON already encoded (a 999, see ack_999_json)
    dedupe_key: str
    isa13: str
    gs06: str = ""
    st02s: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """Everything the final transaction of a batch writes."""

    status: str
    reason: str = ""
    # the header rows to write (iterated as HeaderSpec): built while they are written, so
    # 10^5 sets never become 10^5 objects at once
    headers: SetHeaders = field(default_factory=SetHeaders)
    outcomes: list[PlannedOutcome] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    groups_accepted: int = 0
    groups_rejected: int = 0
    sets_accepted: int = 0
    sets_rejected: int = 0
    segment_count: int = 0
    partner: TradingPartner | None = None
    duplicate_of_id: int | None = None

    def batch_fields(self) -> dict[str, Any]:
        """The batch columns this plan sets (with the final status)."""
        fields: dict[str, Any] = {
            "status": self.status,
            # the reason quotes the file (senders, control numbers, engine messages):
            # its bytes can be anything, so it is stored escaped and shortened
            "status_reason": printable(self.reason, limit=4000),
            "duplicate_of_id": self.duplicate_of_id,
            "groups_accepted": self.groups_accepted,
            "groups_rejected": self.groups_rejected,
            "sets_accepted": self.sets_accepted,
            "sets_rejected": self.sets_rejected,
            "segment_count": self.segment_count,
            "report": self.report,
        }
        if self.partner is not None:
            fields["partner_id"] = self.partner.pk
        return fields


def plan_without_partner(report: x12.ValidationReport) -> Plan:
    """No sender to address: REJECTED with the reason, no acknowledgment possible."""
    if report.interchanges:
        first = report.interchanges[0]
        detail = printable(first.issues[0].message) if first.issues else "the ISA has no sender"
        reason = f"The sender cannot be identified from ISA05/ISA06 ({detail}); no TA1 possible."
    else:
        reason = f"Not a usable X12 file: {printable(report.error or 'no interchange found')}."
    return Plan(
        status=BatchStatus.REJECTED,
        reason=reason,
        report=report_summary(report),
        segment_count=report.segment_count,
    )


def plan_unknown_partner(head: IsaHead, partner: TradingPartner | None) -> Plan:
    """The sender is not an (active) trading partner: nothing is answered or processed."""
    who = printable(f"{head.sender_qualifier}/{head.sender_id}", limit=40)
    why = "is not a trading partner" if partner is None else "is an inactive partner"
    return Plan(
        status=BatchStatus.UNKNOWN_PARTNER,
        reason=(
            f"Sender {who} (ISA05/ISA06) {why}. No acknowledgment was sent. Onboard the "
            "partner, then use Reprocess."
        ),
        partner=partner,
    )


def plan_duplicate(
    *,
    batch_id: int,
    partner: TradingPartner,
    original_id: int,
    original_isa13: str,
    isa_report: x12.ValidationReport,
) -> Plan:
    """Same partner and ISA13 already received: TA1 R 025, nothing else is processed.

    ``isa_report``: the engine's report on the file's first bytes (only the ISA is needed
    for the TA1).
    """
    plan = Plan(
        status=BatchStatus.DUPLICATE,
        reason=(
            f"Duplicate interchange: ISA13 {original_isa13} was already received from "
            f"{partner.code} as batch {original_id}; answered with TA1 R 025, nothing "
            "processed."
        ),
        partner=partner,
        duplicate_of_id=original_id,
    )
    if isa_report.interchanges and partner.ta1_policy != Ta1Policy.NEVER:
        ic = isa_report.interchanges[0]
        ic.ta1_code, ic.ta1_note = "R", "025"
        plan.outcomes.append(
            PlannedOutcome(
                partner=partner,
                response_type="TA1",
                payload=x12.ta1_content(ic),
                dedupe_key=f"{batch_id}:TA1:{original_isa13}",
                isa13=original_isa13,
            )
        )
    plan.report = {
        "verdict": "duplicate",
        "duplicate_of": original_id,
        "interchanges": [
            {
                "isa13": original_isa13,
                "ta1_code": "R",
                "ta1_note": "025",
                "ta1_meaning": x12_codes.TA1_NOTE_CODES["025"],
                "groups": [],
            }
        ],
    }
    return plan


def ta1_owed(ic: x12.InterchangeReport, policy: str) -> bool:
    """TA1 per the partner's policy; a rejected interchange is answered unless policy=never."""
    if policy == Ta1Policy.NEVER or not ic.sender_identified:
        return False
    if ic.ta1_code != "A":
        return True  # otherwise the sender never learns the interchange was rejected
    return x12.ta1_wanted(ic, policy)


def _unique(key: str, used: set[str]) -> str:
    """Keep dedupe keys distinct inside one batch (e.g. two groups with the same GS06)."""
    candidate, n = key, 1
    while candidate in used:
        n += 1
        candidate = f"{key}:{n}"
    used.add(candidate)
    return candidate


def plan_from_report(
    *,
    batch_id: int,
    report: x12.ValidationReport,
    partner: TradingPartner,
    lookup: Callable[[str, str], TradingPartner | None],
) -> Plan:
    """The plan of a validated file from a known sender. ``lookup(qualifier, id)``: the
    active partner of another interchange's sender (a file may hold several)."""
    plan = Plan(
        status=BatchStatus.RECEIVED,
        partner=partner,
        report=report_summary(report),
        segment_count=report.segment_count,
    )
    if not report.interchanges:
        plan.status = BatchStatus.REJECTED
        plan.reason = f"Not a usable X12 file: {report.error or 'no interchange found'}."
        return plan

    reasons: list[str] = []
    dedupe_used: set[str] = set()
    for ic in report.interchanges:
        h = ic.header
        ic_partner = lookup(h.sender_qualifier, h.sender_id) if ic.sender_identified else None
        isa13 = h.control_number[:9]
        if ic_partner is not None and ta1_owed(ic, ic_partner.ta1_policy):
            plan.outcomes.append(
                PlannedOutcome(
                    partner=ic_partner,
                    response_type="TA1",
                    payload=x12.ta1_content(ic),
                    dedupe_key=_unique(f"{batch_id}:TA1:{isa13}", dedupe_used),
                    isa13=isa13,
                )
            )
        ic_rejected = ic.ta1_code == "R" or ic_partner is None
        if ic.ta1_code == "R":
            first = ic.issues[0] if ic.issues else None
            where = f" at line {first.line}" if first and first.line else ""
            text = printable(first.message if first else "") or x12_codes.TA1_NOTE_CODES.get(
                ic.ta1_note, ""
            )
            reasons.append(
                f"Interchange ISA13 {isa13 or '?'} rejected (TA1 R {ic.ta1_note}){where}: {text}"
            )
        elif ic_partner is None:
            reasons.append(
                f"Interchange ISA13 {isa13 or '?'} is from an unknown sender "
                f"{printable(f'{h.sender_qualifier}/{h.sender_id}', limit=40)}: not processed"
            )
        for group in ic.groups:
            gh = group.header
            group_ok = not ic_rejected and group.ack_code != "R"
            if group_ok:
                plan.groups_accepted += 1
            else:
                plan.groups_rejected += 1
            # a 999 answers a group X231A1 has an AK101 code for (not a 999 itself)
            if not ic_rejected and not group.is_acknowledgment and group.acknowledgeable:
                plan.outcomes.append(
                    PlannedOutcome(
                        partner=ic_partner,  # type: ignore[arg-type]
                        response_type="999",
                        payload=x12.ack_999_json(group),
                        dedupe_key=_unique(
                            f"{batch_id}:999:{isa13}:{gh.control_number[:9]}", dedupe_used
                        ),
                        isa13=isa13,
                        gs06=gh.control_number[:9],
                        st02s=[st02[:9] for st02 in group.sets.control_numbers()],
                    )
                )
            if not ic_rejected and group.ack_code == "R" and group.codes:
                meanings = ", ".join(
                    f"{c} {x12_codes.AK9_ERROR_CODES.get(c, 'group error')}" for c in group.codes
                )
                reasons.append(
                    f"Functional group GS06 {printable(gh.control_number, limit=12) or '?'} "
                    f"rejected (AK9 R: {meanings})"
                )
            # only flagged sets (a finding, or not accepted) need looking at one by one
            flagged = group.sets.flagged()
            not_routable = sum(s.ack_code not in ROUTABLE_SET_CODES for s in flagged)
            if group_ok:
                plan.sets_accepted += len(group.sets) - not_routable
                plan.sets_rejected += not_routable
            else:
                plan.sets_rejected += len(group.sets)
            if not ic_rejected:
                reasons.extend(set_reason(s) for s in flagged if s.ack_code == "R")
            plan.headers.add(isa13, gh, group.sets, group_ok, not ic_rejected)

    any_rejected = (
        plan.sets_rejected
        or plan.groups_rejected
        or any(ic.ta1_code == "R" for ic in report.interchanges)
    )
    if plan.sets_accepted and not any_rejected:
        plan.status = BatchStatus.ACCEPTED
    elif plan.sets_accepted:
        plan.status = BatchStatus.PARTIALLY_ACCEPTED
    elif any_rejected:
        plan.status = BatchStatus.REJECTED
    else:
        plan.status = BatchStatus.ACCEPTED  # interchanges without transaction sets
        reasons.append("no transaction sets in the file")
    if report.limit_exceeded:
        # the engine stopped reading at a limit: say so first, it explains the rest
        reasons.insert(
            0, f"The file is over a limit and was not read further: {report.limit_message}"
        )
    if reasons:
        shown = reasons[:5]
        more = f" (and {len(reasons) - 5} more)" if len(reasons) > 5 else ""
        plan.reason = "; ".join(shown) + more + "."
    return plan
