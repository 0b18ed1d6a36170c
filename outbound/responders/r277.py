"""277 claim status response (005010X212): answers every accepted 276 set.

Inbound routing hands each accepted 276 set to :func:`handle_276` inside its routing
transaction; :mod:`outbound.remittance.status` reads the inquiries, matches each in the
claim registry among the asking partner's claims (by our claim control number, or patient
control number + provider + member + dates; none or several is "not found", never a
guess), and stages ONE outcome per 276 set whose content is the 277's segments: each
claim's status now (A1/A2, the 277CA's A3/A7 reasons, F1/F2/F3 with the 835's amounts,
check/EFT number and date; each service line asked about answered in 2220) or A4:35 not
found; each answer is recorded per claim (the claim journey's "277" step). A set with one
inquiry is due at once (window 0: real time, assembled right after the inbound transaction
commits); a batch 276
waits for the 277 window (5 minutes). Each answered 276 interchange gets its own 277
interchange (``group_by_batch``); every file is validated by our X212 guide and the
envelope validator before it is stored, and quarantined with the reason otherwise.
SLA 5 minutes.

The 277 names patients: payloads, previews and downloads need ``outbound.view_file_content``.
A crash before the routing commit leaves the set unrouted and nothing staged (Reprocess
answers it); after it, the outcome is assembled like every other (see assembly).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edi_platform import x12
from eventstore.inbound.hooks import RoutedSet, RoutingError
from outbound.remittance.status import StatusInquiryError, claim_status_answer

from . import ResponseSpec, register

VERSION = "005010X212"


def handle_276(routed: RoutedSet) -> str:
    """Answer one accepted 276 set (contract of inbound routing: a short text, no PHI)."""
    try:
        return claim_status_answer(
            header=routed.header,
            segments=routed.segments,
            component=routed.delimiters.component,
        ).text()
    except StatusInquiryError as exc:
        raise RoutingError(f"276 not answered: {exc}") from exc


def render(
    contents: Sequence[dict[str, Any]], envelope: x12.EnvelopeParams, st02s: list[str]
) -> bytes:
    """One 277 set per outcome, from the segments staged with it. Pure and deterministic."""
    return x12.build_interchange(
        [("277", c["segments"]) for c in contents],
        envelope=envelope,
        functional_id="HN",
        version=VERSION,
        st02s=st02s,
    )


SPEC = register(
    ResponseSpec(
        response_type="277",
        label="277 claim status response",
        functional_id="HN",
        counter_type="277",
        window_minutes=5,
        sla_minutes=5,
        render=render,
        priority=35,
        answers=(("276", handle_276),),
        guide_version=VERSION,
        group_by_batch=True,
    )
)
