"""271 eligibility response (005010X279A1): answers every accepted 270 set.

Inbound routing hands each accepted 270 set to :func:`handle_270` inside its routing
transaction; :mod:`outbound.eligibility.services` reads the inquiries, looks the people up in
the member projections (as of the date asked), stages ONE outcome per 270 set whose content
is the 271 set's segments, and records every inquiry. A set with one inquiry is due at once
(window 0: assembled right after the inbound transaction commits, like a TA1); a batch 270
waits for the 271 window (2 minutes); the partner's eligibility policy or the window can
override. Each answered 270 interchange gets its own 271 interchange
(``group_by_batch``); every file is validated by our X279A1 guide and the envelope
validator before it is stored, and quarantined with the reason otherwise. SLA 5 minutes.

The 271 names members: payloads, previews and downloads need ``eventstore.view_member``.
A crash before the routing commit leaves the set unrouted and nothing staged (Reprocess
answers it); after it, the outcome is assembled like every other (see assembly).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edi_platform import x12
from eventstore.inbound.hooks import RoutedSet, RoutingError
from outbound.eligibility.services import InquiryError, eligibility_270_answer

from . import ResponseSpec, register

VERSION = "005010X279A1"


def handle_270(routed: RoutedSet) -> str:
    """Answer one accepted 270 set (contract of inbound routing: a short text, no PHI)."""
    try:
        return eligibility_270_answer(
            header=routed.header,
            segments=routed.segments,
            repetition=routed.delimiters.repetition,
        ).text()
    except InquiryError as exc:
        raise RoutingError(f"270 not answered: {exc}") from exc


def render(
    contents: Sequence[dict[str, Any]], envelope: x12.EnvelopeParams, st02s: list[str]
) -> bytes:
    """One 271 set per outcome, from the segments staged with it. Pure and deterministic."""
    return x12.build_interchange(
        [("271", c["segments"]) for c in contents],
        envelope=envelope,
        functional_id="HB",
        version=VERSION,
        st02s=st02s,
    )


SPEC = register(
    ResponseSpec(
        response_type="271",
        label="271 eligibility response",
        functional_id="HB",
        counter_type="271",
        window_minutes=2,
        sla_minutes=5,
        render=render,
        priority=20,
        answers=(("270", handle_270),),
        guide_version=VERSION,
        group_by_batch=True,
    )
)
