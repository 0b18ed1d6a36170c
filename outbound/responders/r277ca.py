"""277CA claim acknowledgment (005010X214): answers every 837 set (P, I, D) claim by claim.

Inbound's bulk routing hands the 837 sets of a batch to :func:`handle_837_sets` a few
thousand at a time, inside their routing transaction; :mod:`outbound.claims.services`
records every claim in the claim registry (the sets the 999 rejected too, as rejected by
it), judges each claim of an accepted set (guide findings, unusable data, the business
edits) and stages ONE outcome per accepted set whose content is its 277CA: accepted claims
(A2:20, with our claim control number in REF*1K) and rejected ones (one STC per reason).
Outcomes wait for the 277CA window (60 minutes, editable in the admin); files carry up to
the window's batch size of sets for one partner; every file is validated by our X214 guide
and the envelope validator before it is stored, and quarantined with the reason otherwise.
SLA 4 hours.

The 277CA names patients: payloads, previews and downloads need ``outbound.view_file_content``
and the claims ``eventstore.view_member``. A crash before the routing commit leaves the sets
unrouted and nothing recorded (Reprocess records them, never twice); after it, the outcome is
assembled like every other (see assembly).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edi_platform import x12
from eventstore.inbound.hooks import BulkHandler, SetText
from outbound.claims.response import ack_segments
from outbound.claims.services import claims_sets_record

from . import ResponseSpec, register

VERSION = "005010X214"


def handle_837_sets(sets: Sequence[SetText]) -> list[str]:
    """Record and judge a chunk of 837 sets (contract of inbound's bulk routing)."""
    return claims_sets_record(sets=sets)


HANDLER = BulkHandler(handle=handle_837_sets, rejected_sets=True)


def render(
    contents: Sequence[dict[str, Any]], envelope: x12.EnvelopeParams, st02s: list[str]
) -> bytes:
    """One 277 set per outcome, from its content. Pure and deterministic."""
    return x12.build_interchange(
        [("277", ack_segments(c)) for c in contents],
        envelope=envelope,
        functional_id="HN",
        version=VERSION,
        st02s=st02s,
    )


SPEC = register(
    ResponseSpec(
        response_type="277CA",
        label="277CA claim acknowledgment",
        functional_id="HN",
        counter_type="277CA",
        window_minutes=60,
        sla_minutes=240,
        render=render,
        priority=40,
        answers=(("837", HANDLER),),
        guide_version=VERSION,
    )
)
