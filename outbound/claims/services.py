"""Recording the claims of 837 sets and staging their 277CAs: the 277CA responder's work.

:func:`claims_sets_record` takes a chunk of sets of one batch (inbound's bulk routing hands
over up to a few thousand at once) inside the chunk's routing transaction. Steps:

1. each set is read (:mod:`.reading`: text in, claims out; nothing raises on odd data);
2. every claim is judged (:mod:`.verdicts`): set-based member lookups, the claim counter
   locked, the duplicates and originals read, the edits run; claims of a set the 999
   rejected are recorded as such (no 277CA: the 999 is their answer);
3. one block of claim control numbers for the accepted claims (:mod:`.registry`);
4. one 277CA outcome per accepted set, all in one statement (its content: :mod:`.response`;
   dedupe key ``<batch>:277CA:<header>``: a set is never answered twice), due after the
   277CA window;
5. every claim in one COPY (:func:`.registry.claims_insert`: a set recorded before makes it
   fall back to ``ON CONFLICT (header, position) DO NOTHING``); a duplicate of a claim
   accepted earlier in the chunk is then linked to it (one ``UPDATE``).

A crash (or any exception) anywhere leaves nothing of the chunk: every write is in the
caller's transaction and the sets stay PENDING (or FAILED, one by one, with a reason that
names no data); Reprocess records them then, never twice. Logs carry ids and counts only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import orjson
from django.utils import timezone

from eventstore.inbound.hooks import RoutingError, SetText
from outbound.models import ClaimStatus
from outbound.services.outcomes import OwedOutcome, outcomes_stage_many

from .facts import ClaimFacts
from .reading import period, read_837
from .registry import claim_numbers_take, claims_insert, claims_link_duplicates
from .response import ack_content, payer_source
from .verdicts import JudgedSet, chunk_judge

__all__ = ["RESPONSE_TYPE", "claims_sets_record", "dedupe_key"]

logger = logging.getLogger(__name__)

RESPONSE_TYPE = "277CA"


def dedupe_key(*, batch_id: int, header_id: int) -> str:
    """The 277CA outcome of one 837 set (staged once, whatever the retries)."""
    return f"{batch_id}:{RESPONSE_TYPE}:{header_id}"


def claims_sets_record(*, sets: Sequence[SetText], now: dt.datetime | None = None) -> list[str]:
    """Record every claim of ``sets`` and stage the 277CA of each accepted set (see the
    module docstring); returns one routing result per set (counts, no PHI). Call inside a
    transaction (the routing transaction of the chunk)."""
    if not sets:
        return []
    now = now or timezone.now()
    batches = {id(s.header.batch): s.header.batch for s in sets}  # usually one
    if any(b.partner_id is None for b in batches.values()):
        raise RoutingError("the 837's sender is not a known partner")
    batches = {b.pk: b for b in batches.values()}
    received = {pk: timezone.localdate(b.received_at) for pk, b in batches.items()}
    reads = [read_837(s.text, s.delimiters) for s in sets]
    judged = chunk_judge(sets=sets, reads=reads, received=received)
    accepted = [f for j in judged for f in j.claims if f.accepted]
    numbers = iter(claim_numbers_take(len(accepted)))
    numbered: dict[int, int] = {id(f): next(numbers) for f in accepted}
    outcomes = _stage(judged, numbered=numbered, received=received, now=now)
    rows = []
    for one in judged:
        outcome_id = outcomes.get(one.set.header.pk, (None, False))[0]
        received_at = batches[one.batch_id].received_at
        rows += [
            _row(
                one,
                f,
                number=numbered.get(id(f)),
                outcome_id=outcome_id,
                received_at=received_at,
                now=now,
            )
            for f in one.claims
        ]
    inserted = claims_insert(rows)
    # judged before the original had an id (see verdicts.chunk_judge)
    claims_link_duplicates(
        [
            (one.set.header.pk, f.claim.position)
            for one in judged
            for f in one.claims
            if f.duplicate_of == -1 and any(edit.code == "DUPLICATE" for edit, _ in f.hits)
        ]
    )
    results = [_result(one, outcomes.get(one.set.header.pk)) for one in judged]
    logger.info(
        "837 chunk of %d sets (headers %s..%s): %d claims recorded (%d new), %d accepted",
        len(sets),
        sets[0].header.pk,
        sets[-1].header.pk,
        len(rows),
        inserted,
        len(accepted),
    )
    return results


def _stage(
    judged: Sequence[JudgedSet],
    *,
    numbered: dict[int, int],
    received: dict[int, dt.date],
    now: dt.datetime,
) -> dict[int, tuple[int, bool]]:
    """One 277CA outcome per accepted set with claims: header id -> (outcome id, created)."""
    owed = []
    header_of: dict[str, int] = {}  # dedupe key -> header id
    local = timezone.localtime(now)
    source = payer_source()  # the settings, read once per chunk
    for one in judged:
        header = one.set.header
        if not one.set.accepted or not one.claims:
            continue
        content = ack_content(
            judged=one,
            numbers={f.claim.position: numbered[id(f)] for f in one.claims if id(f) in numbered},
            trace=str(header.pk),
            received=received[one.batch_id],
            now=local,
            source=source,
        )
        key = dedupe_key(batch_id=one.batch_id, header_id=header.pk)
        header_of[key] = header.pk
        owed.append(
            OwedOutcome(
                partner_id=one.partner_id,
                dedupe_key=key,
                payload=orjson.dumps(content),
                batch_id=one.batch_id,
                isa13=header.isa13,
                gs06=header.gs06,
                st02s=(header.st02,),
            )
        )
    staged = outcomes_stage_many(response_type=RESPONSE_TYPE, owed=owed)
    return {header_of[key]: value for key, value in staged.items() if key in header_of}


def _row(
    one: JudgedSet,
    f: ClaimFacts,
    *,
    number: int | None,
    outcome_id: int | None,
    received_at: dt.datetime,
    now: dt.datetime,
) -> tuple:
    """One registry row (:data:`.registry.ROW_COLUMNS` order)."""
    claim = f.claim
    person = claim.patient or claim.subscriber
    born = period("D8", person.birth)
    reasons = (
        orjson.dumps(
            [
                [edit.code, edit.category, edit.status, edit.entity, [n for n in where if n]]
                for edit, where in f.hits
            ]
        ).decode()
        if f.hits
        else "[]"
    )
    return (
        one.partner_id,
        one.batch_id,
        one.set.header.pk,
        outcome_id,
        one.kind,
        claim.position,
        claim.pcn[:38],
        f.charge,
        claim.frequency[:1],
        claim.facility[:2],
        f"{claim.facility}{claim.frequency}"[:4] if one.kind == "I" else "",
        claim.provider.id[:80],
        claim.provider.tax_id[:30],
        claim.subscriber.id[:80],
        f.subscriber.aggregate_id if f.subscriber is not None else "",
        f.patient_member.aggregate_id if f.patient_member is not None else "",
        claim.patient is None,
        person.last[:60],
        person.first[:35],
        None if born is None else born[0],
        None if f.period is None else f.period[0],
        None if f.period is None else f.period[1],
        len(claim.lines),
        number,
        f.status,
        reasons,
        f.reason[:4000],
        f.duplicate_of if f.duplicate_of and f.duplicate_of > 0 else None,
        f.replaces,
        received_at,
        now,
    )


def _result(one: JudgedSet, staged: tuple[int, bool] | None) -> str:
    claims = len(one.claims)
    if not one.set.accepted:
        return f"rejected by the 999: {claims} claim(s) recorded as rejected, no 277CA"
    if staged is None:
        return "no claim in the set: nothing recorded, no 277CA"
    outcome_id, created = staged
    accepted = sum(f.status == ClaimStatus.ACCEPTED for f in one.claims)
    if not created:
        return f"277CA already staged (outcome {outcome_id})"
    return (
        f"277CA staged (outcome {outcome_id}): {claims} claim(s), {accepted} accepted, "
        f"{claims - accepted} rejected"
    )
