"""Deciding every claim of a chunk of 837 sets: the facts the edits read, looked up for the
whole chunk at once, then the edits table run claim by claim.

Steps (:func:`chunk_judge`, inside the routing transaction):

1. each claim's facts: amounts and dates parsed, the NPI checked, the 999's findings of
   its set (an IK3 in 2300 or below, by position) placed on the claim or its line;
2. the subscribers' ids looked up in the member projections (one lookup for the chunk,
   :func:`eventstore.ledger.lookup.members_by_identifier`), narrowed by last name and
   birth date; a dependent patient within the subscriber's family by first name and birth
   date — never a guess: none or several is "unknown";
3. the claim counter row is locked (:func:`.registry.claim_numbers_lock`), so the claims
   accepted before are all committed and visible, then the accepted claims that a claim
   could duplicate (by patient control number) and the originals that replacements name
   (by our claim control number) are read, one query each;
4. in file order, the edits (:mod:`.edits`) switched on for the sender run on each claim
   of an accepted set; a claim with no hit is accepted, and a later claim of the chunk can
   duplicate it. Claims of a set the 999 rejected are not judged: they are recorded as
   rejected by the 999, the claim holding the finding named.

Reads only (the lock aside): a crash leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

from edi_platform.core.db import hot_cursor
from eventstore.inbound.hooks import SetText
from eventstore.ledger.lookup import MemberFacts, members_by_identifier
from outbound.eligibility.matching import npi_valid, same_name
from outbound.models import Claim, ClaimEditSetting, ClaimStatus

from .codes import claim_type_for
from .edits import EDITS, Edit
from .facts import ClaimFacts, LineFacts
from .reading import ClaimSet, ReadClaim, money, period
from .registry import claim_numbers_lock

__all__ = ["JudgedSet", "chunk_judge"]


@dataclass(slots=True)
class JudgedSet:
    """One set of the chunk: its text, what it says, and each claim's facts."""

    set: SetText
    read: ClaimSet
    kind: str  # P / I / D
    claims: list[ClaimFacts]
    batch_id: int = 0  # the set's batch and sender, read once (10^5 sets in a large file)
    partner_id: int = 0


@functools.lru_cache(maxsize=4096)
def _npi_ok(qualifier: str, npi: str) -> bool:
    # a file's claims name a few providers many times
    return qualifier == "XX" and npi_valid(npi)


@functools.lru_cache(maxsize=64)
def _claim_type(version: str) -> str:
    return claim_type_for(version)


def _facts(claim: ReadClaim, today: dt.date) -> ClaimFacts:
    facts = ClaimFacts(claim=claim, today=today)
    facts.charge = money(claim.charge)
    facts.npi_valid = _npi_ok(claim.provider.id_qualifier, claim.provider.id)
    spans = []
    for line in claim.lines:
        fmt, value = line.date
        span = period(fmt, value) if value else None
        lf = LineFacts(
            line=line,
            charge=money(line.charge),
            period=span,
            unusable_date=bool(value) and not span,
        )
        facts.lines.append((line.number, lf))
        if span is not None:
            spans.append(span)
    fmt, value = claim.dates
    if value:
        facts.period = period(fmt, value)
    elif spans:
        facts.period = (min(s[0] for s in spans), max(s[1] for s in spans))
    return facts


def _place_findings(judged: JudgedSet) -> None:
    """The 999's findings of the set (codes and positions) on the claim or line they fall in."""
    for error in judged.set.header.error_summary or ():
        if error.get("level") != "segment":
            continue
        where = int(error.get("position") or 0)
        loop = str(error.get("loop") or "")
        if loop and loop[:2] not in ("23", "24"):
            continue  # above the claims (2000A-2010CA): not one claim's
        for facts in judged.claims:
            claim = facts.claim
            if not claim.position <= where <= claim.end:
                continue
            text = (
                f"IK3 {error.get('code', '')} {error.get('meaning', '')}: "
                f"{error.get('segment', '')} at position {where}"
                + (f" (loop {loop})" if loop else "")
            )
            elements = ", ".join(
                f"{e.get('name') or error.get('segment', '')} IK4 {e.get('code', '')}"
                for e in error.get("elements") or ()
            )
            facts.findings.append(text + (f" [{elements}]" if elements else ""))
            line = next(
                (lf.line for _, lf in facts.lines if lf.line.position <= where <= lf.line.end),
                None,
            )
            if line is not None and loop.startswith("24"):
                facts.finding_lines.add(line.number)
            else:
                facts.finding_claim = True
            break


def _match_subscriber(facts: ClaimFacts, by_id: dict[str, list[MemberFacts]]) -> None:
    person = facts.claim.subscriber
    candidates = [
        m
        for m in by_id.get(person.id, ())
        if (m.subscriber_id == person.id and m.is_subscriber) or m.member_ref == person.id
    ]
    candidates = [m for m in candidates if same_name(m.last_name, person.last)]
    born = period("D8", person.birth)
    if born is not None and len(candidates) > 1:
        candidates = [m for m in candidates if m.birth_date in (None, born[0])]
    if len(candidates) == 1:
        facts.subscriber = candidates[0]


def _match_patient(facts: ClaimFacts, by_id: dict[str, list[MemberFacts]]) -> None:
    person, subscriber = facts.claim.patient, facts.subscriber
    if person is None or subscriber is None:
        return
    born = period("D8", person.birth)
    family = [
        m
        for m in by_id.get(subscriber.subscriber_id, ())
        if m.partner_code == subscriber.partner_code
        and m.subscriber_id == subscriber.subscriber_id
        and m.aggregate_id != subscriber.aggregate_id
        and same_name(m.first_name, person.first)
        and born is not None
        and m.birth_date == born[0]
    ]
    if len(family) == 1:
        facts.patient = family[0]


def _switched_off(partners: Iterable[int]) -> dict[int, set[str]]:
    off: dict[int, set[str]] = defaultdict(set)
    for partner_id, code in ClaimEditSetting.objects.filter(
        partner_id__in=set(partners), enabled=False
    ).values_list("partner_id", "edit"):
        off[partner_id].add(code)
    return off


def _accepted_before(claims: Sequence[ClaimFacts]) -> dict[tuple, int]:
    """Accepted frequency-1 claims with the patient control numbers of ``claims``: (NPI,
    PCN, charge, from, to) -> the first one's id. One query (an array parameter)."""
    pcns = sorted({f.claim.pcn for f in claims if f.duplicate_key() is not None})
    found: dict[tuple, int] = {}
    if not pcns:
        return found
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Claim._meta.db_table)
        with hot_cursor(prepare=True) as cursor:
            cursor.execute(
                "SELECT id, billing_provider_npi, patient_control_number, total_charge, "
                f"service_from, service_to FROM {table} WHERE patient_control_number = "
                "ANY(%s::text[]) AND status = %s AND frequency_code = '1' ORDER BY id",
                [pcns, ClaimStatus.ACCEPTED.value],
                binary=True,
            )
            rows = cursor.fetchall()
    else:
        rows = list(
            Claim.objects.filter(
                patient_control_number__in=pcns, status=ClaimStatus.ACCEPTED, frequency_code="1"
            )
            .order_by("id")
            .values_list(
                "id",
                "billing_provider_npi",
                "patient_control_number",
                "total_charge",
                "service_from",
                "service_to",
            )
        )
    for row in rows:
        found.setdefault(tuple(row[1:]), row[0])
    return found


def _originals(claims: Sequence[ClaimFacts]) -> dict[tuple[int, str], int]:
    """(our claim control number, billing NPI) -> claim id, for the REF*F8 of replacements."""
    numbers = {
        int(f.claim.original_reference)
        for f in claims
        if f.claim.frequency in ("7", "8")
        and f.claim.original_reference.isdigit()
        and len(f.claim.original_reference) <= 18
    }
    if not numbers:
        return {}
    return {
        (number, npi): claim_id
        for claim_id, number, npi in Claim.objects.filter(
            payer_claim_control_number__in=numbers, status=ClaimStatus.ACCEPTED
        ).values_list("id", "payer_claim_control_number", "billing_provider_npi")
    }


def _verdict_999(judged: JudgedSet) -> None:
    for facts in judged.claims:
        facts.status = ClaimStatus.REJECTED_999
        if facts.findings:
            facts.reason = "The 999 rejected its transaction set; in this claim: " + "; ".join(
                facts.findings[:5]
            )
        else:
            facts.reason = (
                "The 999 rejected its transaction set (or functional group) for a finding "
                "outside this claim; see the set's errors."
            )


def chunk_judge(
    *, sets: Sequence[SetText], reads: Sequence[ClaimSet], received: dict[int, dt.date]
) -> list[JudgedSet]:
    """Facts and verdicts of every claim of ``sets`` (``reads``: what each set says;
    ``received``: the day each batch was received, by batch id). Takes the claim counter
    lock (held until the caller's transaction ends)."""
    judged = []
    for text, read in zip(sets, reads, strict=True):
        header = text.header
        batch = header.batch
        today = received[batch.pk]
        one = JudgedSet(
            set=text,
            read=read,
            kind=_claim_type(header.st03 or header.gs08),
            claims=[_facts(claim, today) for claim in read.claims],
            batch_id=batch.pk,
            partner_id=batch.partner_id,
        )
        if text.header.verdict != "A" or not text.accepted:
            _place_findings(one)
        judged.append(one)
    live = [f for j in judged if j.set.accepted for f in j.claims]
    by_id = members_by_identifier(identifiers={f.claim.subscriber.id for f in live})
    for facts in live:
        _match_subscriber(facts, by_id)
        _match_patient(facts, by_id)
    claim_numbers_lock()
    seen = _accepted_before(live)
    originals = _originals(live)
    switched_off = _switched_off(j.partner_id for j in judged)
    # the edits each sender has on, in table order (worked out once per sender)
    edits_on: dict[int, tuple[Edit, ...]] = {}
    for one in judged:
        if not one.set.accepted:
            _verdict_999(one)
            continue
        edits = edits_on.get(one.partner_id)
        if edits is None:
            off = switched_off.get(one.partner_id, set())
            edits = edits_on[one.partner_id] = tuple(e for e in EDITS if e.code not in off)
        for facts in one.claims:
            key = facts.duplicate_key()
            facts.duplicate_of = seen.get(key) if key is not None else None
            ref = facts.claim.original_reference
            if ref.isdigit() and len(ref) <= 18:
                facts.replaces = originals.get((int(ref), facts.claim.provider.id))
            _judge(facts, edits)
            if facts.accepted and key is not None:
                seen.setdefault(key, -1)  # accepted earlier in this chunk (no id yet)
    return judged


def _judge(facts: ClaimFacts, edits: Sequence[Edit]) -> None:
    blocked: set[str] = set()
    for edit in edits:
        if blocked and edit.code in blocked:
            continue
        where = edit.check(facts)
        if not where:
            continue
        facts.hits.append((edit, where))
        # what the later edits could not read reliably
        if edit.code == "CHARGE_UNUSABLE":
            blocked |= {"OUT_OF_BALANCE", "DUPLICATE"}
        elif edit.code == "DATES_UNUSABLE":
            blocked |= {"FUTURE_DATE", "NOT_ELIGIBLE", "DUPLICATE"}
        elif edit.code == "SUBSCRIBER_UNKNOWN":
            blocked |= {"PATIENT_UNKNOWN", "NOT_ELIGIBLE"}
        elif edit.code == "PATIENT_UNKNOWN":
            blocked.add("NOT_ELIGIBLE")
    if facts.hits:
        facts.status = ClaimStatus.REJECTED
        parts = []
        for edit, where in facts.hits:
            lines = f" (lines {', '.join(map(str, where))})" if where != [0] else ""
            parts.append(f"{edit.meaning} — {edit.code}{lines}")
        if facts.findings:
            parts.append("999 findings: " + "; ".join(facts.findings[:5]))
        facts.reason = "; ".join(parts)
