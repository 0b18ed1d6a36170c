"""Outcome contents + envelope snapshot + control numbers + batch timestamp → interchange bytes.

Pure and deterministic: the same inputs always give the same bytes, which is what lets
recovery rebuild a file byte for byte with the numbers it was first given. The bytes of each
response type come from its responder (:mod:`outbound.responders`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from edi_platform import x12
from edi_platform.partners.models import TradingPartner
from outbound.responders import UnknownResponseType, spec_for


class RenderError(ValueError):
    """The outcomes cannot be rendered into an interchange (bad payload or settings)."""


def envelope_snapshot(partner: TradingPartner) -> dict[str, Any]:
    """The partner settings an envelope needs, frozen at allocation time (JSON-safe)."""
    return {
        "sender_qualifier": partner.our_isa_qualifier,
        "sender_id": partner.our_isa_id,
        "receiver_qualifier": partner.their_isa_qualifier,
        "receiver_id": partner.their_isa_id,
        "sender_gs_code": partner.our_gs_code,
        "receiver_gs_code": partner.their_gs_code,
        "usage_indicator": partner.usage_indicator,
        "delimiters": {
            "element": partner.element_separator,
            "repetition": partner.repetition_separator,
            "component": partner.component_separator,
            "segment": partner.segment_terminator,
        },
    }


def st02_text(number: int) -> str:
    """ST02 is 4–9 characters: zero-padded to at least four digits."""
    return f"{number:04d}"


def render_interchange(
    *,
    response_type: str,
    contents: Sequence[dict[str, Any]],
    envelope: dict[str, Any],
    isa13: int,
    gs06: int | None,
    st02s: Sequence[int],
    timestamp: datetime,
) -> bytes:
    """Bytes of ONE interchange answering ``contents`` (one ST per content, or TA1s).

    Raises :class:`RenderError` when the contents or settings cannot make an interchange.
    """
    params = x12.EnvelopeParams(
        sender_qualifier=envelope["sender_qualifier"],
        sender_id=envelope["sender_id"],
        receiver_qualifier=envelope["receiver_qualifier"],
        receiver_id=envelope["receiver_id"],
        sender_gs_code=envelope["sender_gs_code"],
        receiver_gs_code=envelope["receiver_gs_code"],
        usage_indicator=envelope["usage_indicator"],
        delimiters=x12.Delimiters(**envelope["delimiters"]),
        isa13=isa13,
        # A TA1 interchange has no GS: the value is never written, but the engine's
        # parameter check wants a positive number.
        gs06=gs06 if gs06 is not None else 1,
        timestamp=timestamp.astimezone(UTC),
    )
    try:
        spec = spec_for(response_type)
    except UnknownResponseType as exc:
        raise RenderError(str(exc)) from exc
    st02_texts = [st02_text(n) for n in st02s] if spec.uses_group else []
    try:
        return spec.render(list(contents), params, st02_texts)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        # Position/name of the problem only: payloads may carry PHI.
        raise RenderError(f"{response_type} cannot be rendered: {type(exc).__name__}") from exc


def segment_count(data: bytes, envelope: dict[str, Any]) -> int:
    """Number of segments (ISA..IEA) in a file we rendered."""
    return data.count(envelope["delimiters"]["segment"].encode("latin-1"))
