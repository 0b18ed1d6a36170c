"""Answering one accepted 270 set with a 271: the work of the 271 responder's handler.

:func:`eligibility_270_answer` runs inside the routing transaction of its set (the inbound
transaction itself for a small file). Steps:

1. the partner's policy (:func:`~.selectors.policy_for`) and how fresh the projections are:
   more than ``ELIGIBILITY_MAX_LAG_EVENTS`` events not projected yet → every source is
   answered "unable to respond now" (2000A AAA 42, resubmit); fewer → the members those
   events touch are answered 42 one by one (their rows may be stale);
2. the set is read one subscriber at a time (:mod:`.inquiry`); the source must name us
   (2100A, else 79), the receiver must be a valid, authorised NPI (2100B, else 43 / 41);
3. subscribers are answered in chunks of ``CHUNK``: one lookup by member id, one by name
   for those without (or with an unknown) id, one for the families of dependents found
   another way — a fixed number of queries per chunk (:mod:`eventstore.ledger.lookup`);
   the match rule (:mod:`.matching`) decides, :mod:`.response` writes the segments, which
   are encoded to JSON right away (no per-inquiry objects outlive their chunk);
4. the 271 outcome is staged (idempotent by set) with the window: 0 for a set with one
   inquiry (assembled right after the commit), the 271 batch window otherwise (a partner's
   policy may override either); then the 999 of the same batch is brought forward so it is
   never due after the 271 (real time: assembled right after it, from the same commit);
5. one EligibilityInquiry row per person asked about (COPY on PostgreSQL).

A crash (or any exception) anywhere leaves nothing: every write is in the caller's
transaction, the set stays unrouted (FAILED with a reason, or PENDING), and Reprocess
answers it again. Logs carry ids and counts only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.utils import timezone

from edi_platform.partners.models import TradingPartner
from edi_platform.x12.segments import Segment
from eventstore.inbound.models import TransactionHeader
from eventstore.ledger.lookup import (
    aggregates_changed_after,
    members_by_identifier,
    members_by_name,
    name_key,
    projection_freshness,
)
from outbound.models import EligibilityInquiry, InquiryResult
from outbound.services.outcomes import outcome_stage, outcomes_expedite, window_minutes_for

from .codes import Reject, reject
from .inquiry import InquiryError, Party, Person, iter_270
from .matching import (
    Policy,
    Verdict,
    check_receiver,
    check_source,
    dates_asked,
    match_dependent,
    match_subscriber,
    parse_birth,
)
from .response import EbSummary, header_segments, party_segments, person_segments
from .selectors import policy_for

__all__ = ["CHUNK", "AnswerResult", "InquiryError", "eligibility_270_answer", "trace_id"]

logger = logging.getLogger(__name__)

CHUNK = 1000  # subscribers answered together: one set of lookups, one JSON chunk
RESPONSE_TYPE = "271"

_ROW_COLUMNS = (
    "partner_id",
    "batch_id",
    "header_id",
    "outcome_id",
    "position",
    "level",
    "member_id",
    "receiver_npi",
    "trace",
    "as_of",
    "service_types",
    "result",
    "aaa_loop",
    "aaa_codes",
    "follow_up",
    "answer",
    "answered_at",
)


@dataclass
class AnswerResult:
    """What answering one 270 set did (ids and counts only)."""

    outcome_id: int
    created: bool
    inquiries: int
    active: int
    inactive: int
    rejected: int
    window_minutes: int

    def text(self) -> str:
        """The routing result shown on the set (no PHI)."""
        if not self.created:
            return f"271 already staged (outcome {self.outcome_id})"
        return (
            f"271 staged (outcome {self.outcome_id}, window {self.window_minutes} min): "
            f"{self.inquiries} inquiries, {self.active} active, {self.inactive} inactive, "
            f"{self.rejected} rejected"
        )


def trace_id(partner: TradingPartner) -> str:
    """TRN03 of our own trace numbers: ``ELIGIBILITY_TRACE_ID``, else "9" (a user-assigned
    id) + our ISA id for this partner, as 10 characters."""
    configured = str(getattr(settings, "ELIGIBILITY_TRACE_ID", "") or "")
    if configured:
        return configured[:10].ljust(10, "0")
    ours = "".join(c for c in partner.our_isa_id.upper() if c.isalnum())
    return ("9" + ours)[:10].ljust(10, "0")


class _Answer:
    """The state of answering one set: HL numbering, the open source/receiver, the chunk of
    subscribers waiting for their lookups, the encoded segments and the inquiry rows."""

    def __init__(
        self,
        *,
        header: TransactionHeader,
        policy: Policy,
        received: dt.date,
        now: dt.datetime,
        trace_id: str,
        lag_reject: Reject | None,
        stale: set[str],
    ) -> None:
        self.header = header
        self.policy = policy
        self.received = received
        self.now = now
        self.trace_id = trace_id
        self.lag_reject = lag_reject
        self.stale = stale
        self.hl = 0
        self.segments: list[list[str]] = []
        self.chunks: list[bytes] = []
        self.rows: list[tuple] = []
        self.source_hl = 0
        self.source_rejects: list[Reject] = []
        self.receiver_hl = 0
        self.receiver_rejects: list[Reject] = []
        self.receiver_npi = ""
        self.pending: list[tuple[Person, int, str]] = []

    # -- the pieces of the set, in order ---------------------------------------------------
    def feed(self, kind: str, item: Any) -> None:
        if kind == "header":
            self.segments += header_segments(item, timezone.localtime(self.now))
        elif kind == "source":
            self.flush()
            check = self.lag_reject or check_source(item, self.policy)
            self.source_rejects = [check] if check else []
            self.receiver_rejects = []
            self.source_hl = self._party(item, None, self.source_rejects)
        elif kind == "receiver":
            self.flush()
            self.receiver_npi = _npi(item)
            if self.source_rejects:
                return  # nothing below a source we do not answer for
            check = check_receiver(item, self.policy)
            self.receiver_rejects = [check] if check else []
            self.receiver_hl = self._party(item, self.source_hl, self.receiver_rejects)
        elif kind == "subscriber":
            above = self.source_rejects or self.receiver_rejects
            if above:
                for person in _patients(item):
                    self._row(Verdict(person=person, rejects=list(above)), [])
                return
            self.pending.append((item, self.receiver_hl, self.receiver_npi))
            if len(self.pending) >= CHUNK:
                self.flush()

    def _party(self, party: Party, parent: int | None, rejects: list[Reject]) -> int:
        self.hl += 1
        self.segments += party_segments(party, hl=self.hl, parent=parent, rejects=rejects)
        return self.hl

    # -- one chunk of subscribers ---------------------------------------------------------
    def flush(self) -> None:
        if self.pending:
            self._answer_chunk(self.pending)
            self.pending = []
        if self.segments:
            self.chunks.append(orjson.dumps(self.segments)[1:-1])
            self.segments = []

    def _answer_chunk(self, chunk: Sequence[tuple[Person, int, str]]) -> None:
        sources = self.policy.member_sources
        subs = [self._verdict(person, "2100C") for person, _, _ in chunk]
        ids = {v.person.member_id for v in subs if v.person.member_id and not v.rejects}
        by_id = members_by_identifier(identifiers=ids, partner_codes=sources)
        names = {
            (name_key(v.person.last_name), born)
            for v in subs
            if not v.rejects
            and self.policy.name_search
            and (not v.person.member_id or v.person.member_id not in by_id)
            and v.person.last_name
            and (born := parse_birth(v.person)[0]) is not None
        }
        by_name = members_by_name(keys=names, partner_codes=sources)
        for v in subs:
            if not v.rejects:
                match_subscriber(v, by_id=by_id, by_name=by_name, policy=self.policy)
        # Dependents are looked for in their subscriber's family: load the families of
        # subscribers found other than by their subscriber id.
        anchors = [v.member for v in subs if v.member is not None and v.person.dependents]
        missing = {m.subscriber_id for m in anchors if m.subscriber_id not in by_id}
        if missing:
            by_id.update(members_by_identifier(identifiers=missing, partner_codes=sources))
        for v, (person, receiver_hl, npi) in zip(subs, chunk, strict=True):
            self._stale_check(v)
            dependents = []
            if v.member is not None:
                family = [
                    m
                    for m in by_id.get(v.member.subscriber_id, ())
                    if m.partner_code == v.member.partner_code
                    and m.subscriber_id == v.member.subscriber_id
                    and m.aggregate_id != v.member.aggregate_id
                ]
                for dependent in person.dependents:
                    dv = self._verdict(dependent, "2100D")
                    if not dv.rejects:
                        match_dependent(dv, family=family, policy=self.policy)
                    self._stale_check(dv)
                    dependents.append(dv)
            self._emit(v, dependents, receiver_hl, npi)

    def _verdict(self, person: Person, loop: str) -> Verdict:
        dates, rejects = dates_asked(person, received=self.received, policy=self.policy, loop=loop)
        return Verdict(person=person, rejects=rejects, dates=dates)

    def _stale_check(self, verdict: Verdict) -> None:
        """A member with events the projector has not applied yet: its row may be stale."""
        if verdict.member is not None and verdict.member.aggregate_id in self.stale:
            loop = "2100C" if verdict.person.level == "22" else "2100D"
            verdict.member, verdict.rejects = None, [reject(loop, "42")]

    def _emit(self, v: Verdict, dependents: list[Verdict], parent: int, npi: str) -> None:
        person = v.person
        answered = v.member is not None and not v.rejects
        self.hl += 1
        hl = self.hl
        segments, summary = person_segments(
            v,
            hl=hl,
            parent=parent,
            child=answered and bool(dependents),
            trace=self._trace(person),
            trace_id=self.trace_id,
        )
        self.segments += segments
        if person.is_patient:
            self._row(v, summary, npi)
        if not answered:
            # Dependents of a subscriber we cannot answer for: the subscriber's reasons.
            for dependent in person.dependents:
                self._row(Verdict(person=dependent, rejects=list(v.rejects)), [], npi)
            return
        for dv in dependents:
            self.hl += 1
            segments, summary = person_segments(
                dv,
                hl=self.hl,
                parent=hl,
                child=False,
                trace=self._trace(dv.person),
                trace_id=self.trace_id,
            )
            self.segments += segments
            self._row(dv, summary, npi)

    def _trace(self, person: Person) -> str:
        return f"{self.header.pk}-{person.position}"

    def _row(self, v: Verdict, summary: list[EbSummary], npi: str | None = None) -> None:
        person = v.person
        asked = [c for b in person.benefits for c in b.service_types]
        if v.rejects:
            result = InquiryResult.REJECTED
        elif any(eb[0] == "1" for eb in summary):
            result = InquiryResult.ACTIVE
        else:
            result = InquiryResult.INACTIVE
        first = v.rejects[0] if v.rejects else None
        self.rows.append(
            (
                self.header.batch.partner_id,
                self.header.batch_id,
                self.header.pk,
                None,  # the outcome id, known once staged
                person.position,
                "subscriber" if person.level == "22" else "dependent",
                "" if v.rejects or v.member is None else v.member.aggregate_id,
                self.receiver_npi if npi is None else npi,
                self._trace(person),
                min(v.dates) if v.dates else None,
                ",".join(dict.fromkeys(asked))[:300],
                result,
                first.loop if first else "",
                ",".join(dict.fromkeys(r.code for r in v.rejects))[:40],
                first.follow_up if first else "",
                summary,
                self.now,
            )
        )


def _npi(receiver: Party) -> str:
    return receiver.nm1[8].strip()[:80] if len(receiver.nm1) > 8 else ""


def _patients(subscriber: Person) -> list[Person]:
    return ([subscriber] if subscriber.is_patient else []) + list(subscriber.dependents)


def _freshness(policy: Policy) -> tuple[Reject | None, set[str]]:
    """(2000A AAA 42 when the projections lag too far, else the members not projected yet)."""
    head, checkpoint = projection_freshness()
    if head <= checkpoint:
        return None, set()
    changed = aggregates_changed_after(position=checkpoint, limit=policy.max_lag_events)
    if changed is None:
        return reject("2000A", "42"), set()
    return None, changed


def eligibility_270_answer(
    *,
    header: TransactionHeader,
    segments: Sequence[Segment],
    repetition: str = "^",
    now: dt.datetime | None = None,
) -> AnswerResult:
    """Answer one accepted 270 set: stage its 271 and record its inquiries (see the module
    docstring). Raises :class:`~.inquiry.InquiryError` when the hierarchy cannot be read.
    Call inside a transaction (the routing transaction)."""
    batch = header.batch
    partner = batch.partner
    if partner is None:
        raise InquiryError("the 270's sender is not a known partner")
    now = now or timezone.now()
    policy = policy_for(partner)
    lag_reject, stale = _freshness(policy)
    answer = _Answer(
        header=header,
        policy=policy,
        received=timezone.localdate(batch.received_at),
        now=now,
        trace_id=trace_id(partner),
        lag_reject=lag_reject,
        stale=stale,
    )
    for kind, item in iter_270(segments, repetition=repetition):
        answer.feed(kind, item)
    answer.flush()
    rows = answer.rows
    window = _window(policy, inquiries=len(rows))
    payload = (
        b'{"type":"271","inquiries":%d,"segments":[' % len(rows)
        + b",".join(c for c in answer.chunks if c)
        + b"]}"
    )
    outcome, created = outcome_stage(
        partner=partner,
        response_type=RESPONSE_TYPE,
        payload=payload,
        dedupe_key=f"{batch.pk}:{RESPONSE_TYPE}:{header.pk}",
        batch_id=batch.pk,
        isa13=header.isa13,
        gs06=header.gs06,
        st02s=[header.st02],
        window_minutes=window,
    )
    if created:
        _record(rows, outcome_id=outcome.pk)
    # The acknowledgment of the same 270 is never due after its answer. Brought forward
    # after the 271 is staged, so a real-time 271 is assembled first (its SLA is the tight
    # one) and the 999 right after it, from the same commit.
    outcomes_expedite(batch_id=batch.pk, response_type="999", due_at=outcome.due_at)
    counts = {r: 0 for r in InquiryResult.values}
    for row in rows:
        counts[row[11]] += 1
    result = AnswerResult(
        outcome_id=outcome.pk,
        created=created,
        inquiries=len(rows),
        active=counts[InquiryResult.ACTIVE],
        inactive=counts[InquiryResult.INACTIVE],
        rejected=counts[InquiryResult.REJECTED],
        window_minutes=window,
    )
    logger.info(
        "270 header %s answered: outcome %s, %d inquiries (%d rejected), window %d min",
        header.pk,
        outcome.pk,
        result.inquiries,
        result.rejected,
        window,
    )
    return result


def _window(policy: Policy, *, inquiries: int) -> int:
    """0 (or the partner's real-time window) for one inquiry, else the batch window."""
    if inquiries <= 1:
        return policy.realtime_window_minutes
    if policy.batch_window_minutes is not None:
        return policy.batch_window_minutes
    return window_minutes_for(RESPONSE_TYPE)


def _record(rows: list[tuple], *, outcome_id: int) -> None:
    """One EligibilityInquiry per person asked about (COPY on PostgreSQL)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = EligibilityInquiry._meta.db_table
        sql = f"COPY {table} ({', '.join(_ROW_COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(
                    (*row[:3], outcome_id, *row[4:15], orjson.dumps(row[15]).decode(), row[16])
                )
        return
    EligibilityInquiry.objects.bulk_create(
        [
            EligibilityInquiry(
                **dict(zip(_ROW_COLUMNS, (*row[:3], outcome_id, *row[4:]), strict=True))
            )
            for row in rows
        ],
        batch_size=500,
    )
